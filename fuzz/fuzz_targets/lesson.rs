//! Lesson progress (the page's `lesson=` value): a scenario's text, a NUL byte, then
//! a progress value. `progress_from_text` takes any value for any lesson without
//! panicking, and progress it accepts is written back to a value that reads the same.
#![no_main]
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::scenario::progress::{progress_from_text, progress_to_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (scenario, progress) = text.split_once('\0').unwrap_or((text, ""));
    let Ok(scenario) = parse_scenario(scenario) else {
        return;
    };
    // The page reads and writes progress only for a lesson (a scenario with questions:
    // `open_lesson` refuses lesson mode without one), and `progress_to_text` of no
    // answers is `-`, one item, which no lesson of 0 questions takes.
    if scenario.questions.is_empty() {
        return;
    }
    if let Ok(answers) = progress_from_text(progress, &scenario.questions) {
        assert_eq!(answers.len(), scenario.questions.len());
        let written = progress_to_text(&answers);
        let again = progress_from_text(&written, &scenario.questions)
            .unwrap_or_else(|e| panic!("written progress is refused: {e}\n{written}"));
        assert_eq!(again, answers, "{written}");
    }
});
