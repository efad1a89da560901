//! Machine snapshots: `parse_snapshot` and `load_machine` take any text without
//! panicking, and an imported machine written as a scenario reads back the same.
#![no_main]
use buddyscope_engine::scenario::{load_machine, machine_to_toml};
use buddyscope_engine::import::snapshot::parse_snapshot;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(imported) = parse_snapshot(text) {
        let toml = machine_to_toml(&imported.config);
        let (again, _) = load_machine(&toml)
            .unwrap_or_else(|e| panic!("the import's own scenario is refused: {e}\n{toml}"));
        assert_eq!(again, imported.config, "import round trip\n{toml}");
    }
    let _ = load_machine(text);
});
