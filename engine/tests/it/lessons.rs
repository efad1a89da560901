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

/// Every question of every lesson is proved by its run: its check holds with the
/// right answer and fails with every wrong one (another choice, or the number one
/// either side), so the question has one answer and the run bears it out.
#[test]
fn every_question_of_every_lesson_has_one_answer_the_run_bears_out() {
    use buddyscope_engine::view::{check_question_with, check_questions, question_step};
    let mut failures = Vec::new();
    let mut asking = 0;
    for (name, text) in lessons() {
        let scenario = parse_scenario(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        if scenario.questions.is_empty() {
            continue;
        }
        asking += 1;
        let loaded = load(&scenario).unwrap_or_else(|e| panic!("{e}"));
        let session = &loaded.session;
        for verdict in check_questions(session, &scenario.questions)
            .into_iter()
            .filter(|v| !v.holds)
        {
            failures.push(format!(
                "{name}: the question \"{}\" is not borne out: {}",
                verdict.claim, verdict.found
            ));
        }
        let mut last_step = None;
        for question in &scenario.questions {
            for wrong in question.wrong_texts() {
                let verdict = check_question_with(session, question, &wrong);
                if verdict.holds {
                    failures.push(format!(
                        "{name}: the question \"{}\" also holds with the wrong answer {wrong:?}: {}",
                        question.ask, verdict.found
                    ));
                }
            }
            // Asked in the order the run reaches them, each inside the run.
            let step = question_step(session, question);
            assert!(step < session.last_step(), "{name}: {question:?}");
            assert!(
                last_step.is_none_or(|last| last < step),
                "{name}: questions out of order at {step}"
            );
            last_step = Some(step);
        }
    }
    assert!(
        asking >= 6,
        "{asking} lessons ask questions; at least 6 must"
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// A wrong answer key is refused, with what the run says instead.
#[test]
fn a_wrong_answer_key_is_reported_with_what_was_found() {
    use buddyscope_engine::scenario::library;
    use buddyscope_engine::scenario::AnswerKey;
    use buddyscope_engine::view::check_questions;
    let text = library::get("split-merge").unwrap().text;
    // The number question: 10 is right, 9 is not.
    let wrong_number = text.replace("answer = 10\n", "answer = 9\n");
    assert_ne!(wrong_number, text);
    let scenario = parse_scenario(&wrong_number).unwrap();
    assert_eq!(scenario.questions[0].key, AnswerKey::Number(9));
    let verdict = &verdicts_of_questions(&scenario)[0];
    assert!(!verdict.holds);
    assert!(verdict.claim.ends_with("Answer: 9"), "{}", verdict.claim);
    // What the call did instead: its operation, outcome and __rmqueue_smallest's
    // sentences.
    assert!(
        verdict
            .found
            .starts_with("no match; call 0 is alloc_pages_node(-1, GFP_KERNEL, 4)"),
        "{}",
        verdict.found
    );
    assert!(
        verdict.found.contains(
            "call 0, step 9: __rmqueue_smallest: free_area[10].free_list[Unmovable] is empty"
        ),
        "{}",
        verdict.found
    );
    // The choice question: 0x1030 named as the right choice.
    let wrong_choice = text.replace("answer = \"0x1020\"", "answer = \"0x1030\"");
    let scenario = parse_scenario(&wrong_choice).unwrap();
    let loaded = load(&scenario).unwrap();
    let verdict = &check_questions(&loaded.session, &scenario.questions)[1];
    assert!(!verdict.holds);
    assert!(
        verdict
            .found
            .contains("__alloc_pages: returned the order-4 block at pfn 0x1020"),
        "{}",
        verdict.found
    );
}

fn verdicts_of_questions(scenario: &Scenario) -> Vec<Verdict> {
    let loaded = load(scenario).unwrap_or_else(|e| panic!("{e}"));
    buddyscope_engine::view::check_questions(&loaded.session, &scenario.questions)
}

#[test]
fn bad_questions_are_refused_naming_the_key_line_and_column() {
    let head = "version = 1\n\n[[question]]\n";
    let good = "step = 3\nask = \"Which?\"\nchoices = [\"a\", \"b\"]\nanswer = \"a\"\nexplain = \"Because.\"\n[question.check]\nsays = \"{answer}\"\n";
    assert!(parse_scenario(&format!("{head}{good}")).is_ok());
    let with = |from: &str, to: &str| {
        let body = good.replace(from, to);
        assert_ne!(body, good, "{from}");
        error(&format!("{head}{body}"))
    };
    let place = "`question` number 1 (line 3, column 1)";
    for (message, wanted) in [
        (with("step = 3\n", ""), "`step` or `call` is missing"),
        (
            with("step = 3\n", "step = 3\ncall = 2\n"),
            "one of `step` and `call`",
        ),
        (with("step = 3\n", "step = -3\n"), "`step` is -3"),
        (with("ask = \"Which?\"\n", ""), "`ask` is missing"),
        (
            with("explain = \"Because.\"\n", "explain = \" \"\n"),
            "`explain` is missing",
        ),
        (with("answer = \"a\"\n", ""), "`answer` is missing"),
        (
            with("answer = \"a\"\n", "answer = \"c\"\n"),
            "`answer` = \"c\" is not one of `choices` (a, b)",
        ),
        (
            with("answer = \"a\"\n", "answer = 1\n"),
            "`answer` = 1 is a number",
        ),
        (
            with("[\"a\", \"b\"]", "[\"a\"]"),
            "`choices` holds 1 choice(s)",
        ),
        (
            with("[\"a\", \"b\"]", "[\"a\", \"a\"]"),
            "`choices` holds \"a\" twice",
        ),
        (
            with("says = \"{answer}\"", "says = \"x\""),
            "never uses {answer}",
        ),
        (
            with("says = \"{answer}\"", "says = \"{answer}\"\nclaim = \"c\""),
            "`check.claim`",
        ),
        (
            with(
                "says = \"{answer}\"",
                "says = \"{answer}\"\nrun = true\nstep = 2",
            ),
            "`check.run = true`",
        ),
        (
            with("says = \"{answer}\"", "says = \"{answer}\"\ncount = -1"),
            "`check`: `count` is -1",
        ),
        (
            with("[question.check]\nsays = \"{answer}\"\n", ""),
            "`check` is missing",
        ),
    ] {
        assert!(message.contains(wanted), "{message}\nshould say: {wanted}");
        assert!(message.contains(place), "{message}");
    }
    // A number question has no choices, and its answer is a number.
    let number = good.replace("choices = [\"a\", \"b\"]\nanswer = \"a\"", "answer = \"7\"");
    assert!(error(&format!("{head}{number}")).contains("`answer` = \"7\" is text"));
    // An unknown key is toml's message with its line and column.
    let unknown = error(&format!(
        "{head}{}",
        good.replace("ask =", "colour = 1\nask =")
    ));
    assert!(
        unknown.contains("colour") && unknown.contains("line 5"),
        "{unknown}"
    );
    // The second table is named as the second, at its own line.
    let two = error(&format!(
        "{head}{good}\n[[question]]\n{}",
        good.replace("step = 3\n", "")
    ));
    assert!(
        two.contains("`question` number 2 (line 12, column 1)"),
        "{two}"
    );
}

/// A learner's progress as the page's `lesson=` value round-trips, and a value that
/// does not fit the lesson is refused naming the item.
#[test]
fn lesson_progress_round_trips_and_refuses_what_does_not_fit() {
    use buddyscope_engine::scenario::progress::{progress_from_text, progress_to_text};
    use buddyscope_engine::scenario::{library, Answer};
    let scenario = parse_scenario(library::get("split-merge").unwrap().text).unwrap();
    let questions = &scenario.questions;
    assert_eq!(progress_to_text(&[None, None]), "-");
    assert_eq!(progress_to_text(&[Some(Answer::Number(9)), None]), "9");
    assert_eq!(progress_to_text(&[None, Some(Answer::Choice(1))]), "-,b");
    for answers in [
        vec![None, None],
        vec![Some(Answer::Number(-4)), None],
        vec![Some(Answer::Number(10)), Some(Answer::Choice(2))],
        vec![None, Some(Answer::Choice(0))],
    ] {
        let text = progress_to_text(&answers);
        assert_eq!(progress_from_text(&text, questions), Ok(answers), "{text}");
    }
    assert_eq!(progress_from_text("", questions), Ok(vec![None, None]));
    let refused = |text: &str| progress_from_text(text, questions).unwrap_err();
    assert!(refused("a").contains("answer 1 (`a`) is not a whole number"));
    assert!(refused("10,d").contains("question 2 has 3 choices"));
    assert!(refused("10,7").contains("not a choice letter"));
    assert!(refused("10,a,b").contains("3 items; the lesson has 2 questions"));
}
