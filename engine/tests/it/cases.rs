//! Data tests: a scenario file and a workload script in, the allocator's records,
//! tracepoint events, final state dump and /proc/buddyinfo out, compared with the
//! reviewed `expected.txt` of each case in tests/data/cases/. After a deliberate
//! change, `BUDDYSCOPE_BLESS=1 cargo test -p buddyscope-engine --test it -- cases::` rewrites
//! the expected files; review the diff before committing it.

use std::path::Path;

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::import::modtrace;
use buddyscope_engine::import::modtrace::replay::{module_header, run_script};
use buddyscope_engine::machine::Machine;
use buddyscope_engine::report::proc;
use buddyscope_engine::scenario;

fn run_case(dir: &Path) -> String {
    let text = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let scenario = scenario::parse_scenario(&text("scenario.toml")).unwrap();
    let machine = Machine::build(&scenario.machine).unwrap();
    let mut allocator = Allocator::from_machine(&machine).unwrap();
    let ops = modtrace::parse_workload(&text("workload.txt")).unwrap();
    let header = module_header(allocator.kernel());
    let output = run_script(&mut allocator, &header, &ops, 1).unwrap();
    allocator.check_invariants().unwrap();
    let mut out = String::new();
    out.push_str("== allocs.txt\n");
    out.push_str(&output.allocs);
    out.push_str("== events.txt\n");
    out.push_str(&output.events);
    for (label, dump) in &output.dumps {
        out.push_str(&format!("== {label}.txt\n{dump}"));
    }
    out.push_str("== after.txt\n");
    out.push_str(&output.after);
    out.push_str("== /proc/buddyinfo\n");
    for zone in allocator.zones() {
        out.push_str(&proc::buddyinfo_line(
            zone.nid,
            zone.zone.name(),
            &zone.buddy,
        ));
    }
    out
}

#[test]
fn every_case_matches_its_reviewed_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases");
    let bless = std::env::var_os("BUDDYSCOPE_BLESS").is_some();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 3);
    let mut failures = Vec::new();
    for dir in dirs {
        let actual = run_case(&dir);
        let expected_path = dir.join("expected.txt");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            let line = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0)
                + 1;
            failures.push(format!(
                "{}: differs from expected.txt at line {line}",
                dir.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(after a deliberate change: BUDDYSCOPE_BLESS=1, then review the diff)",
        failures.join("\n")
    );
}
