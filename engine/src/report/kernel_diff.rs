//! One scenario run on both kernels the model knows, and where the two runs part:
//! the boot-time setup zone by zone (watermarks, lowmem_reserve, the pageset's batch
//! and high or high_min/high_max, the zonelists), then the first call whose events
//! differ. `buddyscope diff-kernels` prints it and the page's "Compare kernels" view
//! draws it (through `view::kernel_diff_view`), so both say the same thing.
//!
//! The comparison itself ([`KernelDiff::run_pair`]) takes any two scenarios:
//! `report::pair` runs "A and B" and "A with one setting changed" through it.
//!
//! The two kernel runs share everything but `[machine] kernel`: the same machine, seed and
//! workload. A difference is found by comparing the calls' events, not their
//! sentences, so two sides that did the same thing with different numbers (a
//! watermark check against another `low`) differ as the kernels do.

use crate::alloc::Allocator;
use crate::event::Event;
use crate::machine::{Machine, NodeZonelists, Zone, ZoneRef};
use crate::scenario::Scenario;
use crate::session::{Operation, Outcome, Session};
use crate::types::{Kernel, ZoneType};
use crate::workload::{parse_workload, run_workload_seeded};

/// The two kernels in the order every pair here is written: 6.1, then 6.12.
pub const SIDES: [Kernel; 2] = [Kernel::V6_1, Kernel::V6_12];

/// The name of the row that differs on every zone (6.1 has one `high`, 6.12 the
/// range each CPU's `high` is tuned within).
pub const PAGESET_HIGH_ROW: &str = "pageset high";

/// A scenario run on both kernels, and what differs.
#[derive(Clone, Debug)]
pub struct KernelDiff {
    /// Each side's booted machine and run, 6.1 first.
    pub runs: [KernelRun; 2],
    /// The zones whose boot-time setup differs, node by node, lowest zone first.
    pub zones: Vec<ZoneDiff>,
    /// Populated zones whose boot-time setup is the same on both.
    pub zones_same: usize,
    /// The zonelist rows that differ (a node's fallback order, its general or its
    /// thisnode zonelist).
    pub zonelists: Vec<BootRow>,
    /// Calls compared: the longer side's count (a call one side does not have
    /// differs).
    pub calls_compared: usize,
    /// Calls whose events (or operation, or outcome) differ.
    pub calls_differing: usize,
    /// The first call whose events differ, with both sides' events.
    pub first: Option<CallDiff>,
    /// The first call whose outcome differs (another block, NULL on one side), which
    /// may come well after [`KernelDiff::first`].
    pub first_outcome: Option<usize>,
    /// Each populated zone's free pages at the end of both runs (`NR_FREE_PAGES`).
    pub free_pages: Vec<ZoneFree>,
    /// The sides' names: "Linux 6.1" and "Linux 6.12" for the kernel comparison,
    /// "A" and "B: KEY=VALUE" (or "B") for a pair.
    pub labels: [String; 2],
}

/// One side: its kernel, booted machine and session.
#[derive(Clone, Debug)]
pub struct KernelRun {
    pub kernel: Kernel,
    pub machine: Machine,
    pub session: Session,
    /// Workload operations run (kswapd's own calls not counted).
    pub operations: u64,
}

/// One zone's boot-time numbers that differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneDiff {
    pub node: u32,
    pub zone: ZoneType,
    pub rows: Vec<BootRow>,
}

/// One boot-time value on each side, as text (6.1 first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootRow {
    pub what: String,
    pub values: [String; 2],
}

/// The first call whose events differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallDiff {
    /// 0-based call index (the page's "call N" is `index + 1`).
    pub index: usize,
    /// Each side's call (`None`: that side's run has fewer calls).
    pub sides: [Option<CallSide>; 2],
    /// The index of the first event that differs (the shorter side's length when one
    /// side's events are the other's start).
    pub first_event: usize,
}

/// One side of a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSide {
    pub operation: Operation,
    pub outcome: Outcome,
    pub events: Vec<Event>,
}

/// A zone's free pages at the end of each run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneFree {
    pub node: u32,
    pub zone: ZoneType,
    pub pages: [i64; 2],
}

/// Why the comparison could not run, naming the side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelDiffError {
    /// The side that failed (`None`: the scenario itself, the same on both).
    pub kernel: Option<Kernel>,
    pub message: String,
}

impl core::fmt::Display for KernelDiffError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.kernel {
            Some(kernel) => write!(f, "on Linux {kernel}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl KernelDiff {
    /// Runs `scenario` as 6.1 and as 6.12 (its own `kernel` key is ignored), at
    /// most `operations_max` workload operations each, and compares the runs: the
    /// pair "B = A on the other kernel".
    pub fn run(
        scenario: &Scenario,
        operations_max: Option<u64>,
    ) -> Result<KernelDiff, KernelDiffError> {
        let sides = SIDES.map(|kernel| {
            let mut side = scenario.clone();
            side.machine.kernel = kernel;
            side
        });
        let [a, b] = &sides;
        Self::run_pair(
            a,
            b,
            SIDES.map(|k| format!("Linux {k}")),
            operations_max,
            true,
        )
    }

    /// Runs two scenarios (each on its own `[machine]`, kernel included), at most
    /// `operations_max` workload operations each, and compares the runs. `labels`
    /// name the sides in messages and views ("A", "B: watermark_scale_factor=200");
    /// `errors_by_kernel` names a failing side by its kernel (the kernel comparison)
    /// rather than by its label. `report::pair` is the entry for any two scenarios.
    pub fn run_pair(
        a: &Scenario,
        b: &Scenario,
        labels: [String; 2],
        operations_max: Option<u64>,
        errors_by_kernel: bool,
    ) -> Result<KernelDiff, KernelDiffError> {
        let [label_a, label_b] = &labels;
        let runs = [
            run_side(a, label_a, operations_max, errors_by_kernel)?,
            run_side(b, label_b, operations_max, errors_by_kernel)?,
        ];
        let (zones, zones_same) = zone_diffs(&runs[0].machine, &runs[1].machine);
        let zonelists = zonelist_diffs(&runs[0].machine.zonelists, &runs[1].machine.zonelists);
        let calls = compare_calls(&runs[0].session, &runs[1].session);
        let free_pages = zone_free(runs[0].session.current(), runs[1].session.current());
        Ok(KernelDiff {
            zones,
            zones_same,
            zonelists,
            calls_compared: calls.compared,
            calls_differing: calls.differing,
            first: calls.first,
            first_outcome: calls.first_outcome,
            free_pages,
            runs,
            labels,
        })
    }

    /// Whether the boot-time setup is the same on both kernels.
    pub fn boot_same(&self) -> bool {
        self.zones.is_empty() && self.zonelists.is_empty()
    }
}

/// Boots the side's machine and runs the workload, as `buddyscope run` does.
fn run_side(
    scenario: &Scenario,
    label: &str,
    operations_max: Option<u64>,
    errors_by_kernel: bool,
) -> Result<KernelRun, KernelDiffError> {
    let config = &scenario.machine;
    let kernel = config.kernel;
    let fail = |message: String| {
        if errors_by_kernel {
            KernelDiffError {
                kernel: Some(kernel),
                message,
            }
        } else {
            KernelDiffError {
                kernel: None,
                message: format!("{label}: {message}"),
            }
        }
    };
    let machine =
        Machine::build(config).map_err(|e| fail(format!("the machine cannot be built: {e}")))?;
    let allocator = Allocator::from_machine(&machine)
        .map_err(|e| fail(format!("the machine cannot be booted: {e}")))?;
    let mut session = Session::with_kswapd(allocator, scenario.kswapd.unwrap_or_default());
    let mut operations = 0;
    if let Some(script) = scenario.workload.as_deref() {
        // A script that does not parse is the scenario's fault, not a side's.
        let statements = parse_workload(script).map_err(|e| KernelDiffError {
            kernel: None,
            message: if errors_by_kernel {
                format!("workload {e}")
            } else {
                format!("{label}: workload {e}")
            },
        })?;
        let summary = run_workload_seeded(
            &mut session,
            &statements,
            operations_max,
            scenario.seed.unwrap_or(1),
        )
        .map_err(|e| fail(format!("workload {e}")))?;
        operations = summary.operations;
    }
    Ok(KernelRun {
        kernel,
        machine,
        session,
        operations,
    })
}

/// Each populated zone's rows that differ; and how many populated zones are alike.
fn zone_diffs(old: &Machine, new: &Machine) -> (Vec<ZoneDiff>, usize) {
    let mut diffs = Vec::new();
    let mut same = 0;
    for (old_node, new_node) in old.nodes.iter().zip(&new.nodes) {
        for (a, b) in old_node.zones.iter().zip(&new_node.zones) {
            if !a.is_populated() && !b.is_populated() {
                continue;
            }
            let rows: Vec<BootRow> = zone_rows(a, b)
                .into_iter()
                .filter(|r| r.values[0] != r.values[1])
                .collect();
            if rows.is_empty() {
                same += 1;
            } else {
                diffs.push(ZoneDiff {
                    node: a.node,
                    zone: a.zone_type,
                    rows,
                });
            }
        }
    }
    (diffs, same)
}

/// Every compared boot-time value of one zone on both sides.
fn zone_rows(a: &Zone, b: &Zone) -> Vec<BootRow> {
    let row = |what: &str, f: &dyn Fn(&Zone) -> String| BootRow {
        what: what.to_string(),
        values: [f(a), f(b)],
    };
    vec![
        row("managed", &|z| z.managed.to_string()),
        row("watermark min", &|z| z.watermark_min.to_string()),
        row("watermark low", &|z| z.watermark_low.to_string()),
        row("watermark high", &|z| z.watermark_high.to_string()),
        row("lowmem_reserve", &|z| {
            let values: Vec<String> = z.lowmem_reserve.iter().map(u64::to_string).collect();
            format!("({})", values.join(", "))
        }),
        row("pageset batch", &|z| z.pcp_batch.to_string()),
        row(PAGESET_HIGH_ROW, &pageset_high),
    ]
}

/// 6.1's one `high`, or 6.12's range each CPU's `high` is tuned within.
fn pageset_high(zone: &Zone) -> String {
    match zone.pcp_high_range {
        Some((min, max)) => format!("high_min {min}, high_max {max}"),
        None => format!("high {}", zone.pcp_high),
    }
}

/// The zonelist rows that differ, node by node.
fn zonelist_diffs(old: &[NodeZonelists], new: &[NodeZonelists]) -> Vec<BootRow> {
    let refs = |refs: &[ZoneRef]| -> String {
        let names: Vec<String> = refs
            .iter()
            .map(|r| format!("{}:{}", r.node, r.zone.name()))
            .collect();
        names.join(" ")
    };
    let mut rows = Vec::new();
    for (a, b) in old.iter().zip(new) {
        let order = |l: &NodeZonelists| -> String {
            let nodes: Vec<String> = l.node_order.iter().map(u32::to_string).collect();
            nodes.join(" ")
        };
        let candidates = [
            (
                format!("node {} fallback order", a.node),
                order(a),
                order(b),
            ),
            (
                format!("node {} zonelist (general)", a.node),
                refs(&a.general),
                refs(&b.general),
            ),
            (
                format!("node {} zonelist (thisnode)", a.node),
                refs(&a.thisnode),
                refs(&b.thisnode),
            ),
        ];
        for (what, x, y) in candidates {
            if x != y {
                rows.push(BootRow {
                    what,
                    values: [x, y],
                });
            }
        }
    }
    rows
}

struct Compared {
    compared: usize,
    differing: usize,
    first: Option<CallDiff>,
    first_outcome: Option<usize>,
}

/// Walks both histories call by call (each replayed once from the start).
fn compare_calls(old: &Session, new: &Session) -> Compared {
    let mut a = old.calls_with_events();
    let mut b = new.calls_with_events();
    let mut result = Compared {
        compared: 0,
        differing: 0,
        first: None,
        first_outcome: None,
    };
    loop {
        let (x, y) = (a.next(), b.next());
        if x.is_none() && y.is_none() {
            return result;
        }
        let index = result.compared;
        result.compared += 1;
        let x = x.map(|c| CallSide {
            operation: c.operation,
            outcome: c.outcome,
            events: c.events,
        });
        let y = y.map(|c| CallSide {
            operation: c.operation,
            outcome: c.outcome,
            events: c.events,
        });
        if x == y {
            continue;
        }
        result.differing += 1;
        let outcome_differs = match (&x, &y) {
            (Some(x), Some(y)) => x.operation != y.operation || x.outcome != y.outcome,
            _ => true,
        };
        if outcome_differs && result.first_outcome.is_none() {
            result.first_outcome = Some(index);
        }
        if result.first.is_none() {
            let first_event = first_event_difference(x.as_ref(), y.as_ref());
            result.first = Some(CallDiff {
                index,
                sides: [x, y],
                first_event,
            });
        }
    }
}

/// The first event index where two sides of a call differ.
fn first_event_difference(x: Option<&CallSide>, y: Option<&CallSide>) -> usize {
    let (xs, ys): (&[Event], &[Event]) = (
        x.map_or(&[], |c| c.events.as_slice()),
        y.map_or(&[], |c| c.events.as_slice()),
    );
    xs.iter()
        .zip(ys)
        .position(|(p, q)| p != q)
        .unwrap_or_else(|| xs.len().min(ys.len()))
}

/// `NR_FREE_PAGES` of each populated zone on both sides.
fn zone_free(old: &Allocator, new: &Allocator) -> Vec<ZoneFree> {
    old.zones()
        .iter()
        .zip(new.zones())
        .map(|(a, b)| ZoneFree {
            node: a.nid,
            zone: a.zone,
            pages: [a.free_pages_snapshot(), b.free_pages_snapshot()],
        })
        .collect()
}
