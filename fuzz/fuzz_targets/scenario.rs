//! Scenario files: `parse_scenario` takes any text without panicking, and a scenario
//! it accepts is written by `scenario_to_toml` as text that reads back the same.
//! A machine it accepts is built (when small enough to boot cheaply).
#![no_main]
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::{parse_scenario, scenario_to_toml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = parse_scenario(text) else {
        return;
    };
    let written = scenario_to_toml(&scenario);
    let again = parse_scenario(&written)
        .unwrap_or_else(|e| panic!("a written scenario is refused: {e}\n{written}"));
    assert_eq!(again, scenario, "scenario round trip\n{written}");
    // Machine::build does the zone arithmetic only (no per-page arrays).
    let _ = Machine::build(&scenario.machine);
});
