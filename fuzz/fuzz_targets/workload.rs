//! The workload language: `parse_workload` takes any text without panicking, and
//! what it accepts is written by `format_statements` as text that reads back to the
//! same statements.
#![no_main]
use buddyscope_engine::workload::{format_statements, parse_workload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = parse_workload(text) else {
        return;
    };
    let statements: Vec<_> = parsed.into_iter().map(|(statement, _)| statement).collect();
    let written = format_statements(&statements);
    let again: Vec<_> = parse_workload(&written)
        .unwrap_or_else(|e| panic!("a written workload is refused: {e}\n{written}"))
        .into_iter()
        .map(|(statement, _)| statement)
        .collect();
    assert_eq!(again, statements, "workload round trip\n{written}");
});
