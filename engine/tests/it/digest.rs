//! Same result everywhere, the native half: every library scenario, the page's default
//! scenario and a run of every generator, run the way the CLI runs them, digested
//! (`buddyscope_engine::report::digest`) and compared with tests/data/digests.txt
//! (`BUDDYSCOPE_BLESS=1` rewrites it). web/tests/browser.rs runs the same scenarios
//! the way the page does, in wasm in headless Chromium, and compares with the same
//! file, so native and wasm agree byte for byte exactly when both tests pass.

use crate::common::scenario_run::run_scenario;
use buddyscope_engine::report::digest::{run_digest, RunDigest};
use buddyscope_engine::scenario::library::ENTRIES;
use buddyscope_engine::scenario::{parse_scenario, Scenario};
use buddyscope_engine::types::Kernel;
use buddyscope_engine::view;

const DIGESTS: &str = include_str!("../data/digests.txt");

/// Every scenario the digests cover, by name: each on the kernel it names (6.1 for
/// all of them today), and each library scenario again on Linux 6.12 as
/// `NAME@6.12` (issue #16, point 6).
fn scenarios() -> Vec<(String, Scenario)> {
    let mut all: Vec<(String, &str)> = ENTRIES
        .iter()
        .map(|e| (e.name.to_string(), e.text))
        .collect();
    all.push((
        "default".to_string(),
        include_str!("../../../web/scenarios/default.toml"),
    ));
    all.push((
        "generators".to_string(),
        include_str!("../data/digest/generators.toml"),
    ));
    let mut out: Vec<(String, Scenario)> = all
        .iter()
        .map(|(name, text)| (name.clone(), parse_scenario(text).unwrap()))
        .collect();
    for entry in ENTRIES {
        let mut scenario = parse_scenario(entry.text).unwrap();
        scenario.machine.kernel = Kernel::V6_12;
        out.push((format!("{}@6.12", entry.name), scenario));
    }
    out
}

/// The CLI's way: build, run with the scenario's seed, open at `open_at`.
fn run_as_cli(scenario: &Scenario) -> RunDigest {
    let (session, _) = run_scenario(scenario);
    let cursor = match scenario.open_at {
        Some(step) => session.cursor_at_step(step),
        None => session.end(),
    };
    run_digest(&session, cursor)
}

#[test]
fn native_digests_match_the_pinned_file() {
    let actual: String = scenarios()
        .iter()
        .map(|(name, scenario)| format!("{name} {}\n", run_as_cli(scenario)))
        .collect();
    if std::env::var_os("BUDDYSCOPE_BLESS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/digests.txt");
        std::fs::write(path, &actual).unwrap();
        return;
    }
    assert_eq!(
        DIGESTS, actual,
        "digests changed: if the model changed on purpose, rerun with BUDDYSCOPE_BLESS=1 and review"
    );
}

/// The page loads through `view::load`; it must run exactly what the CLI runs
/// (including the scenario's seed, which drives the generators).
#[test]
fn the_page_loader_runs_what_the_cli_runs() {
    for (name, scenario) in scenarios() {
        let loaded = view::load(&scenario).unwrap();
        assert_eq!(
            run_digest(&loaded.session, loaded.cursor),
            run_as_cli(&scenario),
            "{name}: view::load and the CLI disagree"
        );
    }
}

#[test]
fn the_digest_sees_a_changed_seed() {
    let text = include_str!("../data/digest/generators.toml");
    let reseeded = text.replace("seed = 7", "seed = 8");
    assert_ne!(
        run_as_cli(&parse_scenario(text).unwrap()),
        run_as_cli(&parse_scenario(&reseeded).unwrap())
    );
}
