//! Trace import: `import_trace` takes any text without panicking, and the workloads
//! `trace_replay` makes of it (the requests, and the follow mode's `place`/`hold`
//! statements) are written and read back to the same statements.
#![no_main]
use buddyscope_engine::import::kmemtrace::{import_trace, trace_extent, trace_replay, ReplayMode};
use buddyscope_engine::workload::{format_statements, parse_workload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(trace) = import_trace(text) else {
        return;
    };
    let _ = trace_extent(&trace);
    for mode in [ReplayMode::Requests, ReplayMode::Follow] {
        let replay = trace_replay(&trace, mode);
        let statements = replay.statements;
        let written = format_statements(&statements);
        let again: Vec<_> = parse_workload(&written)
            .unwrap_or_else(|e| panic!("the trace's workload is refused: {e}\n{written}"))
            .into_iter()
            .map(|(statement, _)| statement)
            .collect();
        assert_eq!(again, statements, "trace workload round trip ({mode:?})\n{written}");
    }
});
