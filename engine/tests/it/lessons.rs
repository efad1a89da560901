//! Lessons are tested: every library scenario and the page's default scenario write
//! their text's claims as `[[expect]]` tables, and each claim must hold in the run.
//! A failure names the lesson, the claim and what the run says instead (the event
//! sentences of the call it looked at), so a change of the engine that makes a lesson
//! untrue is caught here and fixed in the lesson's text and its expectations together.

use buddyscope_engine::scenario::library::ENTRIES;
use buddyscope_engine::scenario::{
    parse_scenario, ExpectAt, Expectation, ProcFile, Scenario, ScenarioError,
};
use buddyscope_engine::view::{check_expectations, load, Verdict};

/// The page's default scenario (web/scenarios/default.toml), read from its file.
fn default_scenario() -> (String, String) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/scenarios/default.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ("default (web/scenarios/default.toml)".to_string(), text)
}

fn lessons() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = ENTRIES
        .iter()
        .map(|entry| (entry.name.to_string(), entry.text.to_string()))
        .collect();
    all.push(default_scenario());
    all
}

fn verdicts(scenario: &Scenario) -> Vec<Verdict> {
    let loaded = load(scenario).unwrap_or_else(|e| panic!("{e}"));
    check_expectations(&loaded.session, &scenario.expectations)
}

#[test]
fn every_claim_of_every_lesson_holds() {
    let mut failures = Vec::new();
    for (name, text) in lessons() {
        let scenario = parse_scenario(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Every lesson says something checkable: at least the event it opens at and
        // two claims of its text.
        if scenario.expectations.len() < 3 {
            failures.push(format!(
                "{name}: {} [[expect]] claims; every lesson needs at least 3",
                scenario.expectations.len()
            ));
        }
        for verdict in verdicts(&scenario).into_iter().filter(|v| !v.holds) {
            failures.push(format!(
                "{name}: the claim \"{}\" does not hold: {}",
                verdict.claim, verdict.found
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn every_lesson_checks_the_step_it_opens_at() {
    for (name, text) in lessons() {
        let scenario = parse_scenario(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let open_at = scenario.open_at;
        assert!(
            scenario
                .expectations
                .iter()
                .any(|e| open_at.is_some_and(|step| e.at == ExpectAt::Step(step))),
            "{name}: no [[expect]] has `step = {open_at:?}`, the step it opens at"
        );
    }
}

/// The check can fail: the default scenario with one number of a claim changed is
/// reported, with the sentences the call really printed.
#[test]
fn a_wrong_claim_is_reported_with_what_was_found() {
    let (_, text) = default_scenario();
    let mut scenario = parse_scenario(&text).unwrap();
    let at_open = scenario
        .expectations
        .iter()
        .position(|e| scenario.open_at.is_some_and(|s| e.at == ExpectAt::Step(s)))
        .unwrap();
    let right = verdicts(&scenario);
    assert!(right[at_open].holds, "{:?}", right[at_open]);
    // A number that is not in the sentence.
    scenario.expectations[at_open].says =
        vec!["lowmem_reserve for Normal requests 235".to_string()];
    let wrong = &verdicts(&scenario)[at_open];
    assert!(!wrong.holds);
    assert!(wrong.found.contains("no match"), "{}", wrong.found);
    assert!(
        wrong
            .found
            .contains("lowmem_reserve for Normal requests 236"),
        "{}",
        wrong.found
    );
    // A claim that something never happens, where it does.
    scenario.expectations[at_open].at = ExpectAt::Run;
    scenario.expectations[at_open].says = vec!["too low, next zone".to_string()];
    scenario.expectations[at_open].count = Some(0);
    let wrong = &verdicts(&scenario)[at_open];
    assert!(!wrong.holds);
    assert!(
        wrong.found.starts_with("expected 0 matches, found "),
        "{}",
        wrong.found
    );
    // A call past the end of the run.
    scenario.expectations[at_open].at = ExpectAt::Call(1 << 40);
    let wrong = &verdicts(&scenario)[at_open];
    assert!(!wrong.holds);
    assert!(wrong.found.contains("the run has"), "{}", wrong.found);
    // A file that does not say it: the lines with the claim's words are shown.
    scenario.expectations[at_open] = Expectation {
        claim: "DMA's high watermark".to_string(),
        at: ExpectAt::Call(0),
        event: None,
        says: vec!["high 32".to_string()],
        outcome: None,
        operation: None,
        count: None,
        proc: Some(ProcFile::Zoneinfo),
    };
    let wrong = &verdicts(&scenario)[at_open];
    assert!(!wrong.holds);
    assert!(wrong.found.contains("high     31"), "{}", wrong.found);
    scenario.expectations[at_open].says = vec!["high 31".to_string()];
    assert!(verdicts(&scenario)[at_open].holds);
}

fn error(text: &str) -> String {
    match parse_scenario(text) {
        Err(ScenarioError::Toml(m) | ScenarioError::Invalid(m)) => m,
        other => panic!("expected an error for\n{text}\ngot {other:?}"),
    }
}

#[test]
fn bad_expectations_are_refused_naming_the_key() {
    let claim = "[[expect]]\nclaim = \"c\"\n";
    assert!(error(&format!("{claim}call = 1\nsays = \"x\"\ncolour = 3\n")).contains("colour"));
    assert!(error(&format!("{claim}call = -1\nsays = \"x\"\n")).contains("`call` is -1"));
    assert!(error(&format!("{claim}call = 1\nstep = 2\nsays = \"x\"\n")).contains("one of `call`"));
    assert!(error(&format!("{claim}calls = [3]\nsays = \"x\"\n")).contains("`calls` needs two"));
    assert!(error(&format!("{claim}calls = [3, 2]\nsays = \"x\"\n")).contains("ends before"));
    assert!(error(&format!("{claim}call = 1\n")).contains("checks nothing"));
    assert!(error(&format!("{claim}event = \"a b\"\n")).contains("`event`"));
    assert!(error(&format!("{claim}says = \"\"\n")).contains("`says`"));
    assert!(error(&format!("{claim}says = \"x\"\ncount = -2\n")).contains("`count`"));
    assert!(error("[[expect]]\nsays = \"x\"\n").contains("`claim` is missing"));
    assert!(error("[[expect]]\nclaim = \"c\"\nsays = 5\n").contains("says"));
    assert!(error(&format!("{claim}proc = \"meminfo\"\nsays = \"x\"\n")).contains("`proc`"));
    assert!(error(&format!("{claim}proc = \"zoneinfo\"\n")).contains("`proc` needs `says`"));
    assert!(error(&format!(
        "{claim}proc = \"zoneinfo\"\nsays = \"x\"\ncount = 1\n"
    ))
    .contains("do not go with it"));
    assert!(error(&format!(
        "{claim}proc = \"zoneinfo\"\nsays = \"x\"\nstep = 3\n"
    ))
    .contains("give `call`"));
    // The number says which table.
    assert!(error(&format!("{claim}says = \"x\"\n{claim}call = 1\n")).contains("`expect` number 2"));
}

#[test]
fn expectations_survive_writing_and_share_links() {
    use buddyscope_engine::scenario::scenario_to_toml;
    use buddyscope_engine::scenario::share::{decode, encode, ShareLink};
    for (name, text) in lessons() {
        let scenario = parse_scenario(&text).unwrap();
        let written = scenario_to_toml(&scenario);
        assert_eq!(
            parse_scenario(&written).as_ref(),
            Ok(&scenario),
            "{name}\n{written}"
        );
        let link = encode(&ShareLink {
            scenario: written.clone(),
            step: scenario.open_at,
        });
        assert_eq!(decode(&link).map(|l| l.scenario), Ok(written), "{name}");
    }
}
