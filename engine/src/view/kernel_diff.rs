//! The "Compare kernels" view: a [`KernelDiff`] (the scenario run on Linux 6.1 and
//! on 6.12) as the text the page's view and `buddyscope diff-kernels` both show, so
//! the two never word it differently. The operation and outcome words are the step
//! panel's; an event's words are its sentence, as `buddyscope run --trace` prints it.

use serde::Serialize;

use crate::event::Event;
use crate::report::kernel_diff::{
    BootRow, CallDiff, CallSide, KernelDiff, KernelRun, PAGESET_HIGH_ROW,
};
use crate::types::Kernel;
use crate::view::panels::{describe_operation, describe_outcome};

/// Events shown after the first that differs, on each side (the rest are counted).
pub const EVENTS_AFTER_DIFFERENCE_SHOWN: usize = 12;

/// The comparison as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KernelDiffView {
    /// "Linux 6.1", "Linux 6.12".
    pub kernels: [String; 2],
    /// One sentence on the boot-time setup: what differs, or that nothing does.
    pub boot_summary: String,
    /// The zones whose setup differs ("Node 0 Movable") with their rows.
    pub zones: Vec<ZoneRowsView>,
    /// The zonelist rows that differ.
    pub zonelists: Vec<RowView>,
    /// The first call whose events differ, or `None` when the runs never do.
    pub first: Option<FirstCallView>,
    /// The first call (0-based) whose outcome differs, which may come long after the
    /// first whose events do.
    pub first_outcome: Option<usize>,
    /// What that call returned on each side, 6.1 first (empty strings when there is
    /// no such call, or on a side whose run has fewer calls).
    pub first_outcome_returns: [String; 2],
    /// The last line: calls compared and differing, the first outcome that differs,
    /// and each zone's free pages at the end on both sides.
    pub summary: String,
    /// What the model does not do on 6.12 (the partial-model warning), if anything.
    pub notes: Vec<String>,
}

/// A zone's rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZoneRowsView {
    pub zone: String,
    pub rows: Vec<RowView>,
}

/// One value on each side, 6.1 first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowView {
    pub what: String,
    pub values: [String; 2],
}

/// The first differing call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirstCallView {
    /// 0-based call index; the page's cursor goes to `Cursor { call, event }`.
    pub call: usize,
    /// The position just past the first differing event (on the page's own side,
    /// at most its event count), so the step panel shows that event as the last one
    /// passed.
    pub event: usize,
    /// "call 116 (the first call whose events differ)".
    pub title: String,
    /// 0-based index of the first differing event.
    pub first_event: usize,
    /// Each side, 6.1 first.
    pub sides: [SideView; 2],
}

/// One side of the first differing call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SideView {
    pub kernel: String,
    /// The operation in the step panel's words, or a sentence saying this side's run
    /// has no such call.
    pub operation: String,
    pub outcome: String,
    /// The events up to [`EVENTS_AFTER_DIFFERENCE_SHOWN`] past the first difference.
    pub events: Vec<DiffEventLine>,
    /// Events of the call not shown.
    pub more_events: usize,
}

/// An event in a side's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffEventLine {
    pub function: String,
    pub text: String,
    /// The first event that differs from the other side's.
    pub first_difference: bool,
    /// Past the first difference.
    pub after: bool,
}

/// The view of `diff` for a viewer whose run is on `kernel` (the side the page's
/// cursor moves in).
pub fn kernel_diff_view(diff: &KernelDiff, kernel: Kernel) -> KernelDiffView {
    diff_view(diff, usize::from(kernel == Kernel::V6_12))
}

/// The view of any pair (`report::pair`), for a viewer whose cursor moves in side
/// `side_index` (0: A, 1: B); the sides are named by the diff's labels.
pub fn diff_view(diff: &KernelDiff, side_index: usize) -> KernelDiffView {
    let kernels = diff.labels.clone();
    let zones: Vec<ZoneRowsView> = diff
        .zones
        .iter()
        .map(|z| ZoneRowsView {
            zone: format!("Node {} {}", z.node, z.zone.name()),
            rows: z.rows.iter().map(row_view).collect(),
        })
        .collect();
    let zonelists: Vec<RowView> = diff.zonelists.iter().map(row_view).collect();
    let mut notes: Vec<String> = Vec::new();
    for run in &diff.runs {
        if let Some(note) = run.kernel.partial_model_note() {
            if !notes.iter().any(|n| n == note) {
                notes.push(note.to_string());
            }
        }
    }
    KernelDiffView {
        boot_summary: boot_summary(diff),
        first: diff
            .first
            .as_ref()
            .map(|first| first_call_view(first, side_index, &diff.labels)),
        first_outcome: diff.first_outcome,
        first_outcome_returns: diff.runs.each_ref().map(|run| {
            diff.first_outcome
                .and_then(|call| run.session.calls().get(call))
                .map_or_else(String::new, |record| {
                    format!(
                        "{}: {}",
                        label_of(diff, run),
                        describe_outcome(&record.outcome)
                    )
                })
        }),
        summary: summary(diff),
        kernels,
        zones,
        zonelists,
        notes,
    }
}

fn row_view(row: &BootRow) -> RowView {
    RowView {
        what: row.what.clone(),
        values: row.values.clone(),
    }
}

/// The row that differs on every zone, kept apart in the summary so it does not read
/// as a difference in the other numbers.
const PAGESET_HIGH: &str = PAGESET_HIGH_ROW;

fn boot_summary(diff: &KernelDiff) -> String {
    let populated = diff.zones.len() + diff.zones_same;
    // The pageset's high is told apart only when the kernels differ (where it is a
    // value on one side and a range on the other).
    let kernels_differ = diff.runs[0].kernel != diff.runs[1].kernel;
    let beyond_high = diff
        .zones
        .iter()
        .filter(|z| {
            z.rows
                .iter()
                .any(|r| !kernels_differ || r.what != PAGESET_HIGH)
        })
        .count();
    let numbers = if beyond_high == 0 {
        format!(
            "watermarks, lowmem_reserve and batch are the same in all {populated} populated zones"
        )
    } else {
        format!("watermarks, lowmem_reserve or batch differ in {beyond_high} of {populated} populated zones")
    };
    let high = if kernels_differ
        && diff
            .zones
            .iter()
            .any(|z| z.rows.iter().any(|r| r.what == PAGESET_HIGH))
    {
        "; the pageset's high is one value on 6.1 and a range (high_min, high_max) on 6.12"
    } else {
        ""
    };
    let zonelists = if diff.zonelists.is_empty() {
        "the zonelists are the same".to_string()
    } else {
        format!("{} zonelist rows differ", diff.zonelists.len())
    };
    format!("Boot-time setup: {numbers}{high}; {zonelists}.")
}

/// The label of one of the diff's runs.
fn label_of<'a>(diff: &'a KernelDiff, run: &KernelRun) -> &'a str {
    let index = usize::from(!core::ptr::eq(run, &diff.runs[0]));
    diff.labels.get(index).map_or("", String::as_str)
}

fn first_call_view(first: &CallDiff, side_index: usize, labels: &[String; 2]) -> FirstCallView {
    let [old, new] = &first.sides;
    let [label_a, label_b] = labels;
    let sides = [
        side_view(label_a, old.as_ref(), first.first_event),
        side_view(label_b, new.as_ref(), first.first_event),
    ];
    let own_events = first
        .sides
        .get(side_index)
        .and_then(Option::as_ref)
        .map_or(0, |s| s.events.len());
    FirstCallView {
        call: first.index,
        event: (first.first_event + 1).min(own_events),
        title: format!(
            "call {} (the first call whose events differ)",
            first.index + 1
        ),
        first_event: first.first_event,
        sides,
    }
}

fn side_view(label: &str, side: Option<&CallSide>, first_event: usize) -> SideView {
    let Some(side) = side else {
        return SideView {
            kernel: label.to_string(),
            operation: "no such call: this run ended earlier".to_string(),
            outcome: String::new(),
            events: Vec::new(),
            more_events: 0,
        };
    };
    let shown = first_event + 1 + EVENTS_AFTER_DIFFERENCE_SHOWN;
    let events = side
        .events
        .iter()
        .take(shown)
        .enumerate()
        .map(|(i, event)| event_line(event, i == first_event, i > first_event))
        .collect();
    SideView {
        kernel: label.to_string(),
        operation: describe_operation(&side.operation),
        outcome: describe_outcome(&side.outcome),
        events,
        more_events: side.events.len().saturating_sub(shown),
    }
}

fn event_line(event: &Event, first_difference: bool, after: bool) -> DiffEventLine {
    DiffEventLine {
        function: event.kernel_function().to_string(),
        text: event.describe(),
        first_difference,
        after,
    }
}

fn summary(diff: &KernelDiff) -> String {
    let outcome = match diff.first_outcome {
        Some(index) => format!("; outcomes first differ at call {}", index + 1),
        None => "; every call's outcome is the same".to_string(),
    };
    let free: Vec<String> = diff
        .free_pages
        .iter()
        .map(|z| {
            format!(
                "node {} {} {} | {}",
                z.node,
                z.zone.name(),
                z.pages[0],
                z.pages[1]
            )
        })
        .collect();
    let calls = if diff.first.is_none() {
        format!(
            "{} calls compared: the runs never differ",
            diff.calls_compared
        )
    } else {
        format!(
            "{} calls compared, {} differ{outcome}",
            diff.calls_compared, diff.calls_differing
        )
    };
    let [a, b] = &diff.labels;
    let short = |label: &str| -> String {
        // "Linux 6.1" is shown as "6.1", "B: thp=never" as "B".
        let label = label.strip_prefix("Linux ").unwrap_or(label);
        label.split(':').next().unwrap_or(label).to_string()
    };
    format!(
        "{calls}. Free pages at the end ({} | {}): {}.",
        short(a),
        short(b),
        free.join(", ")
    )
}
