//! Share links: `decode` and `decode_pair` (pair links, `b=` or `vary=`, and the
//! `KEY=VALUE` change they hold) take any text without panicking, and a link either
//! accepts encodes and decodes to the same link.
#![no_main]
use buddyscope_engine::scenario::share::{decode, decode_pair, encode, encode_pair};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(link) = decode(text) {
        let encoded = encode(&link);
        let again = decode(&encoded)
            .unwrap_or_else(|e| panic!("an encoded link is refused: {e}\n{encoded}"));
        assert_eq!(again, link);
    }
    if let Ok(pair) = decode_pair(text) {
        let encoded = encode_pair(&pair);
        let again = decode_pair(&encoded)
            .unwrap_or_else(|e| panic!("an encoded pair link is refused: {e}\n{encoded}"));
        assert_eq!(again, pair);
    }
});
