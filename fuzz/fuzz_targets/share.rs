//! Share links: `decode` and `decode_pair` (pair links, `b=` or `vary=`, and the
//! `KEY=VALUE` change they hold) take any text without panicking, and a link either
//! accepts encodes and decodes to the same link. The scenario text a link holds is
//! then read as the page reads it (`parse_scenario`, the scenario reader that takes
//! untrusted text), B of a `vary=` pair made from A, and a scenario it accepts is
//! written by `scenario_to_toml` as text that reads back the same.
#![no_main]
use buddyscope_engine::scenario::share::{decode, decode_pair, encode, encode_pair, PairB};
use buddyscope_engine::scenario::{parse_scenario, scenario_to_toml, Scenario};
use libfuzzer_sys::fuzz_target;

/// The link's scenario text read as the page reads it.
fn read(text: &str) -> Option<Scenario> {
    let scenario = parse_scenario(text).ok()?;
    let written = scenario_to_toml(&scenario);
    let again = parse_scenario(&written)
        .unwrap_or_else(|e| panic!("a written scenario is refused: {e}\n{written}"));
    assert_eq!(again, scenario, "scenario round trip\n{written}");
    Some(scenario)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(link) = decode(text) {
        let encoded = encode(&link);
        let again = decode(&encoded)
            .unwrap_or_else(|e| panic!("an encoded link is refused: {e}\n{encoded}"));
        assert_eq!(again, link);
        read(&link.scenario);
    }
    if let Ok(pair) = decode_pair(text) {
        let encoded = encode_pair(&pair);
        let again = decode_pair(&encoded)
            .unwrap_or_else(|e| panic!("an encoded pair link is refused: {e}\n{encoded}"));
        assert_eq!(again, pair);
        let a = read(&pair.a);
        match &pair.b {
            PairB::Scenario(b) => {
                read(b);
            }
            PairB::Vary(vary) => {
                if let Some(a) = a {
                    let _ = vary.apply(&a);
                }
            }
        }
    }
});
