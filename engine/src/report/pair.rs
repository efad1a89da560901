//! Side by side: two runs compared call by call. "A and B" are any two scenarios
//! (the same machine or not); "A with one change" is A and [`Vary::apply`] of it (a
//! sysctl, THP, the distances, the kernel). The comparison is the kernel
//! comparison's ([`KernelDiff::run_pair`]): the boot-time rows that differ, the first
//! call whose events differ, the first whose outcome differs, the end state.
//!
//! [`pair_sessions`] is the hook for drawing both runs on one axis (the timeline
//! plots): each side's label and session, which a plot replays as it does the page's
//! one session, and [`step_pair`] says where a shared call index falls on each side.

use crate::report::kernel_diff::{KernelDiff, KernelDiffError};
use crate::scenario::vary::Vary;
use crate::scenario::Scenario;
use crate::session::{Cursor, Session};

/// Runs `a` and `b` (each on its own machine and kernel) and compares them; the
/// sides are labelled "A" and "B".
pub fn pair_diff(
    a: &Scenario,
    b: &Scenario,
    operations_max: Option<u64>,
) -> Result<KernelDiff, KernelDiffError> {
    KernelDiff::run_pair(a, b, ["A".into(), "B".into()], operations_max, false)
}

/// Runs `a` and `a` with `vary` applied; the sides are labelled with the setting's
/// value on each ("A: watermark_scale_factor=10", "B: watermark_scale_factor=200").
pub fn vary_diff(
    a: &Scenario,
    vary: &Vary,
    operations_max: Option<u64>,
) -> Result<KernelDiff, KernelDiffError> {
    let b = vary.apply(a);
    let labels = [
        format!("A: {}={}", vary.key(), vary.current(a)),
        format!("B: {vary}"),
    ];
    KernelDiff::run_pair(a, &b, labels, operations_max, false)
}

/// Each side's label and session, A first: what a plot of both runs on one axis
/// reads (the sessions' call indexes are the shared axis).
pub fn pair_sessions(diff: &KernelDiff) -> [(&str, &Session); 2] {
    let [a, b] = &diff.runs;
    let [la, lb] = &diff.labels;
    [(la.as_str(), &a.session), (lb.as_str(), &b.session)]
}

/// Where the shared call index `call` (0-based) falls on each side: `Some(call)`
/// where that side has it, `None` where its run has fewer calls.
pub fn step_pair(diff: &KernelDiff, call: usize) -> [Option<usize>; 2] {
    diff.runs
        .each_ref()
        .map(|run| (call < run.session.calls().len()).then_some(call))
}

/// The calls the pair can be stepped through: the longer side's count.
pub fn pair_calls(diff: &KernelDiff) -> usize {
    diff.runs
        .iter()
        .map(|run| run.session.calls().len())
        .max()
        .unwrap_or(0)
}

/// Each side's cursor for the shared position "call `call` (0-based), `event` events
/// in": the event clamped to that side's call (`usize::MAX` is the whole call), and
/// `None` on a side whose run has no such call. With [`pair_sessions`], what the page
/// and a plot of both runs draw.
pub fn pair_cursors(diff: &KernelDiff, call: usize, event: usize) -> [Option<Cursor>; 2] {
    diff.runs.each_ref().map(|run| {
        (call < run.session.calls().len()).then(|| Cursor {
            call,
            event: event.min(run.session.event_count(call)),
        })
    })
}
