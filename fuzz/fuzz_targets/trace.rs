//! Trace import: `import_trace` takes any text without panicking, and the workloads
//! `trace_replay` makes of it (the requests, and the follow mode's `place`/`hold`
//! statements) are written and read back to the same statements. The bytes also go
//! through `decode_trace_file` (gzip, byte-order mark, line ends, the 64 MiB bound)
//! and `is_trace_text`, the page's test for a trace, which take anything too.
#![no_main]
use buddyscope_engine::import::kmemtrace::{
    import_trace, is_trace_text, trace_extent, trace_replay, ReplayMode,
};
use buddyscope_engine::import::snapshot::{decode_trace_file, InputFile};
use buddyscope_engine::workload::{format_statements, parse_workload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_trace_file(&InputFile::new("trace.gz", data)) {
        let _ = is_trace_text(&decoded);
    }
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
