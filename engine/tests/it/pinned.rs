//! Scenario files of released format versions keep loading to the same scenario and
//! keep running: each file in tests/data/scenarios/vN/ must read back to the value
//! written in NAME.canonical (`BUDDYSCOPE_BLESS=1` writes those; a pinned file's
//! canonical form changes only with a reviewed reason) and its workload must run.

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::{parse_scenario, scenario_to_toml};
use buddyscope_engine::session::Session;
use buddyscope_engine::workload::{parse_workload, run_workload_seeded};

#[test]
fn released_scenario_files_keep_loading_and_running() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenarios");
    let bless = std::env::var_os("BUDDYSCOPE_BLESS").is_some();
    let mut seen = 0;
    for version in std::fs::read_dir(&root).unwrap() {
        let version = version.unwrap().path();
        let mut files: Vec<_> = std::fs::read_dir(&version)
            .unwrap()
            .map(|f| f.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let scenario =
                parse_scenario(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let canonical = scenario_to_toml(&scenario);
            let pinned = file.with_extension("canonical");
            if bless {
                std::fs::write(&pinned, &canonical).unwrap();
            }
            assert_eq!(
                std::fs::read_to_string(&pinned).unwrap_or_default(),
                canonical,
                "{}",
                file.display()
            );
            let machine = Machine::build(&scenario.machine)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut session = Session::with_kswapd(
                Allocator::from_machine(&machine).unwrap(),
                scenario.kswapd.unwrap_or_default(),
            );
            let statements = parse_workload(scenario.workload.as_deref().unwrap_or("")).unwrap();
            run_workload_seeded(&mut session, &statements, None, scenario.seed.unwrap_or(1))
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            session.current().check_invariants().unwrap();
            seen += 1;
        }
    }
    assert!(seen >= 4, "pinned files: {seen}");
}
