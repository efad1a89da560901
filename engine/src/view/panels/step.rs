//! The step panel: the current call, the kernel call stack the engine was in at the
//! event just passed (a frame per function, with its inputs), a sentence on what happened, and
//! every event of the call. Also the words for operations and outcomes, and the
//! search for the next step that passes a kind of event.

use serde::Serialize;

use crate::buddy::stack::Stacks;
use crate::event::{Event, SourceLine};
use crate::session::{Call, Cursor, ModelPick, Operation, Outcome, Session};
use crate::types::{Kernel, Pfn};

/// The step: the current call, its frames and what just happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepView {
    pub step: u64,
    pub last_step: u64,
    /// Calls so far and the current one (1-based; 0 when there are none). A call is
    /// any operation (an allocation, a free, a drain, a sysctl write), so it counts
    /// something else than the allocation index of [`StepView::outcome`].
    pub call_number: usize,
    pub calls: usize,
    pub operation: String,
    /// What the call returns, with the allocation's 0-based index and its ordinal
    /// ("allocation #3970 (the 3971st allocation)").
    pub outcome: String,
    /// Whether the cursor has passed the call's last event (it has returned), so a
    /// page that hides what is ahead shows the outcome only then.
    pub returned: bool,
    /// Outermost first.
    pub frames: Vec<Frame>,
    pub sentence: String,
    /// The kernel function of the event just passed.
    pub function: Option<String>,
    /// The block it touches: first pfn and order.
    pub highlight: Option<(u64, u8)>,
    /// Every event of the current call, with whether it has been passed.
    pub events: Vec<EventLine>,
    /// Index in `events` of the event just passed.
    pub current_event: Option<usize>,
}

/// One kernel function on the call stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub function: String,
    pub inputs: String,
    /// Where the function starts in the run's kernel; `None` for an entry point the
    /// kernel has no function of that name for (docs/source-lines.md).
    pub source: Option<SourceLink>,
}

/// One event in the call's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventLine {
    pub function: String,
    pub text: String,
    pub passed: bool,
    /// The line of the run's kernel that takes the event's decision.
    pub source: Option<SourceLink>,
}

/// A link to a line of the kernel source on Elixir. Plain static data (no text is
/// built until the page draws the link), so a call of thousands of events costs no
/// allocation per event for its links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SourceLink {
    /// The kernel's own name of the function the line is in.
    pub function: &'static str,
    /// `mm/page_alloc.c`.
    pub file: &'static str,
    pub line: u32,
    /// The kernel's version (`6.1`) and its upstream tag (`v6.1.192`).
    pub kernel: &'static str,
    pub tag: &'static str,
    /// The Debian package version the line number was read from.
    pub debian_version: &'static str,
}

impl SourceLink {
    /// The link to `line` of `kernel`'s source.
    pub fn new(line: SourceLine, kernel: Kernel) -> SourceLink {
        SourceLink {
            function: line.function,
            file: line.file,
            line: line.line,
            kernel: kernel.name(),
            tag: kernel.tag(),
            debian_version: crate::event::source_lines::debian_version(kernel),
        }
    }

    /// `mm/page_alloc.c:2394`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// `https://elixir.bootlin.com/linux/v6.1.192/source/mm/page_alloc.c#L2394`.
    pub fn url(&self) -> String {
        crate::event::elixir_url(self.tag, self.file, self.line)
    }

    /// What the link opens, with the kernel's tag and the source it was read from.
    pub fn title(&self) -> String {
        format!(
            "{}() in Linux {} ({}), {} line {}: opens Elixir (line numbers from Debian's {} source)",
            self.function, self.kernel, self.tag, self.file, self.line, self.debian_version
        )
    }
}

/// What an operation asks for, in the words of the kernel call it stands for.
pub fn describe_operation(operation: &Operation) -> String {
    match operation {
        Operation::Alloc {
            order,
            gfp,
            node,
            nodemask,
            cpu,
            use_,
        } => {
            let cpu = cpu.map_or(String::new(), |c| format!(" on CPU {c}"));
            match nodemask {
                Some(mask) => format!(
                    "__alloc_pages({}, {order}, {node}, nodemask {}){cpu} for {use_:?}",
                    gfp.describe(),
                    crate::text::format_cpulist(mask)
                ),
                None => format!(
                    "alloc_pages_node({node}, {}, {order}){cpu} for {use_:?}",
                    gfp.describe()
                ),
            }
        }
        Operation::Free { index, cpu } => {
            let cpu = cpu.map_or(String::new(), |c| format!(" on CPU {c}"));
            format!("__free_pages(allocation #{index}){cpu}")
        }
        Operation::AllocAt {
            pfn,
            order,
            gfp,
            cpu,
            refill,
        } => {
            let refill = if refill.is_empty() {
                String::new()
            } else {
                format!(
                    " (its rmqueue_bulk moved {} traced blocks to the per-cpu list first)",
                    refill.len()
                )
            };
            let cpu = cpu.map_or(String::new(), |c| format!(" on CPU {c}"));
            match (gfp, pfn) {
                (None, Some(pfn)) => format!(
                    "the order-{order} block at pfn {} in use since before the trace began: take_page_off_buddy(){cpu}",
                    Pfn(*pfn)
                ),
                (None, None) => format!("an order-{order} block held since before the trace{cpu}"),
                (Some(gfp), Some(pfn)) => format!(
                    "traced alloc_pages({}, {order}) that returned pfn {}{cpu}: the model's own answer, then take_page_off_buddy() there{refill}",
                    gfp.describe(),
                    Pfn(*pfn)
                ),
                (Some(gfp), None) => format!(
                    "traced alloc_pages({}, {order}) that returned NULL{cpu}: the model's own answer",
                    gfp.describe()
                ),
            }
        }
        Operation::DrainLocal { cpu } => format!("drain_local_pages() on CPU {cpu}"),
        Operation::DrainAll => "drain_all_pages()".to_string(),
        Operation::DrainAt { pfns } => format!(
            "the traced free_pcppages_bulk() of {} per-cpu pages (mm_page_pcpu_drain)",
            pfns.len()
        ),
        Operation::RunKswapd { node } => format!("kswapd{node}: balance_pgdat()"),
        Operation::KswapdWoken {
            node,
            woken_by,
            order,
            highest_zoneidx,
        } => {
            let zones = crate::types::ZoneType::ALL
                .get(*highest_zoneidx as usize)
                .map_or_else(
                    || "every zone".to_string(),
                    |z| format!("zones up to {}", z.name()),
                );
            format!(
                "kswapd{node} (woken by call {} for order {order}, {zones}; run automatically): balance_pgdat()",
                woken_by + 1
            )
        }
        Operation::CompactMemory => "echo 1 > /proc/sys/vm/compact_memory".to_string(),
        Operation::DropCaches => "echo 3 > /proc/sys/vm/drop_caches".to_string(),
        Operation::Sysctl { name, value } => format!("sysctl vm.{name} = {value}"),
        Operation::OfflineSection { section } => {
            format!("echo offline > /sys/devices/system/memory/memory{section}/state")
        }
        Operation::OnlineSection { section } => {
            format!("echo online > /sys/devices/system/memory/memory{section}/state")
        }
    }
}

/// What an outcome was, in words.
pub fn describe_outcome(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Allocated { index, allocation } => format!(
            "allocation #{index}: the order-{} block at pfn {} in node {} {}",
            allocation.order,
            allocation.pfn,
            allocation.node,
            allocation.zone.name()
        ),
        Outcome::Failed { index } => format!("allocation #{index} failed: NULL"),
        Outcome::Placed {
            index,
            allocation,
            model_pick,
        } => format!(
            "allocation #{index}: the order-{} block at the traced pfn {} in node {} {}{}",
            allocation.order,
            allocation.pfn,
            allocation.node,
            allocation.zone.name(),
            describe_pick(*model_pick, Some(allocation.pfn))
        ),
        Outcome::NotPlaced {
            index,
            pfn: Some(pfn),
            model_pick,
        } => format!(
            "allocation #{index}: the traced block at pfn {pfn} is not free in the model, so it is not placed{}",
            describe_pick(*model_pick, Some(*pfn))
        ),
        Outcome::NotPlaced {
            index,
            pfn: None,
            model_pick,
        } => format!(
            "allocation #{index}: the traced kernel returned NULL{}",
            describe_pick(*model_pick, None)
        ),
        Outcome::Freed { index, pfn, order } => {
            format!("freed allocation #{index}, the order-{order} block at pfn {pfn}")
        }
        Outcome::Drained => "per-cpu lists drained".to_string(),
        Outcome::Reclaimed { pages } => format!("{pages} pages reclaimed"),
        Outcome::Compacted => "compaction ran".to_string(),
        Outcome::SysctlWritten => "sysctl written; watermarks and reserves recomputed".to_string(),
        Outcome::Hotplugged { online: true } => "the section is online".to_string(),
        Outcome::Hotplugged { online: false } => "the section is offline".to_string(),
        Outcome::HotplugRefused { reason } => format!("the kernel refused: {reason}"),
    }
}

/// The model's own answer to a traced request, against the traced result.
fn describe_pick(pick: ModelPick, traced: Option<Pfn>) -> String {
    match (pick, traced) {
        (ModelPick::NotAsked, _) => String::new(),
        (ModelPick::Failed, None) => "; the model's allocation fails too".to_string(),
        (ModelPick::Failed, Some(_)) => {
            "; the model's own allocation would have failed".to_string()
        }
        (ModelPick::At(at), None) => {
            format!("; the model's own allocation would have succeeded, at pfn {at}")
        }
        (ModelPick::At(at), Some(pfn)) if at == pfn => {
            "; the model would have picked the same block".to_string()
        }
        (ModelPick::At(at), Some(_)) => format!("; the model would have picked pfn {at}"),
    }
}

fn entry_point(operation: &Operation) -> &'static str {
    match operation {
        Operation::Alloc { .. } => "__alloc_pages",
        Operation::Free { .. } => "__free_pages",
        Operation::AllocAt { .. } => "take_page_off_buddy",
        Operation::DrainLocal { .. } => "drain_local_pages",
        Operation::DrainAll => "drain_all_pages",
        Operation::DrainAt { .. } => "free_pcppages_bulk",
        Operation::RunKswapd { .. } | Operation::KswapdWoken { .. } => "kswapd",
        Operation::CompactMemory => "compact_nodes",
        Operation::DropCaches => "drop_caches_sysctl_handler",
        Operation::Sysctl { .. } => "sysctl handler",
        Operation::OfflineSection { .. } | Operation::OnlineSection { .. } => "memory_block_action",
    }
}

/// The call stack at the event just passed, outermost first: the functions the
/// engine was in when it emitted the event, as it recorded them while running
/// ([`Stacks`]). Before the first event, the call's entry point. The outermost frame
/// shows the operation; the innermost the event; each frame between shows the latest
/// event taken in that function, so the zone a frame works on shows on the frame.
fn frames(call: &Call, stacks: &Stacks, upto: usize, kernel: Kernel) -> Vec<Frame> {
    let operation = describe_operation(&call.operation);
    let link = |function: &str| {
        crate::event::function_source_line(kernel, function).map(|l| SourceLink::new(l, kernel))
    };
    let root = stacks
        .root()
        .unwrap_or_else(|| entry_point(&call.operation));
    let entry = Frame {
        function: root.to_string(),
        inputs: operation.clone(),
        source: link(root),
    };
    let Some(last) = upto.checked_sub(1).and_then(|i| call.events.get(i)) else {
        return vec![entry];
    };
    let stack = stacks.stack(upto - 1);
    if stack.is_empty() {
        // An event outside every modelled function: the entry point tells it.
        return vec![Frame {
            inputs: format!("{operation} — {}", last.describe()),
            ..entry
        }];
    }
    let ids = stacks.frame_ids(upto - 1);
    let deepest = stack.len() - 1;
    stack
        .iter()
        .enumerate()
        .map(|(depth, function)| {
            let inputs = match (depth == 0, depth == deepest) {
                (true, true) => format!("{operation} — {}", last.describe()),
                (true, false) => operation.clone(),
                (false, true) => last.describe(),
                (false, false) => ids
                    .get(depth)
                    .and_then(|&id| latest_in_frame(call, stacks, upto, id))
                    .map(context_inputs)
                    .unwrap_or_default(),
            };
            Frame {
                function: function.to_string(),
                inputs,
                source: link(function),
            }
        })
        .collect()
}

/// The latest of the first `upto` events taken in frame `id` itself, else the
/// latest watermark check below it (which names the zone the frame works on).
fn latest_in_frame<'a>(call: &'a Call, stacks: &Stacks, upto: usize, id: u32) -> Option<&'a Event> {
    let seen = call.events.get(..upto).unwrap_or_default();
    let own = seen
        .iter()
        .enumerate()
        .rev()
        .find(|(i, _)| stacks.frame_ids(*i).last() == Some(&id));
    let below = || {
        seen.iter().enumerate().rev().find(|(i, e)| {
            matches!(e, Event::WatermarkCheck { .. }) && stacks.frame_ids(*i).contains(&id)
        })
    };
    own.or_else(below).map(|(_, e)| e)
}

fn context_inputs(event: &Event) -> String {
    match *event {
        Event::WatermarkCheck {
            node, zone, order, ..
        } => {
            format!("zone {} of node {node}, order {order}", zone.name())
        }
        _ => event.describe(),
    }
}

/// The English ordinal of `n` (1st, 2nd, 3rd, 4th, 11th, 21st, ...).
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// `text` (an outcome described) with the allocation's ordinal after its index: the
/// session numbers allocations from 0 in the order they were made, NULL results
/// included, so allocation #3970 is the 3971st and is not call 3971.
fn with_ordinal(outcome: &Outcome, text: String) -> String {
    let index = match *outcome {
        Outcome::Allocated { index, .. }
        | Outcome::Placed { index, .. }
        | Outcome::NotPlaced { index, .. }
        | Outcome::Failed { index }
        | Outcome::Freed { index, .. } => index,
        _ => return text,
    };
    let tag = format!("allocation #{index}");
    let note = format!("{tag} (the {} allocation)", ordinal(index + 1));
    text.replacen(&tag, &note, 1)
}

pub(super) fn step_view(session: &Session, cursor: Cursor) -> StepView {
    let calls = session.calls();
    let step = session.step_of(cursor);
    let last_step = session.last_step();
    let Some(call) = session.call(cursor.call) else {
        return StepView {
            step,
            last_step,
            call_number: 0,
            calls: 0,
            operation: "nothing yet".to_string(),
            outcome: String::new(),
            returned: false,
            frames: Vec::new(),
            sentence: "The machine has just booted: every zone's free lists hold the boot-time blocks (memblock_free_all). Add a workload to step through allocations.".to_string(),
            function: None,
            highlight: None,
            events: Vec::new(),
            current_event: None,
        };
    };
    let (_, stacks) = session.traced_events(cursor.call);
    let kernel = session.current().kernel();
    let upto = cursor.event.min(call.events.len());
    let event = upto.checked_sub(1).and_then(|i| call.events.get(i));
    let operation = describe_operation(&call.operation);
    let outcome = with_ordinal(&call.outcome, describe_outcome(&call.outcome));
    let sentence = match event {
        None => format!("About to call {operation}. Step forward to see its first decision."),
        Some(e) if upto == call.events.len() => format!(
            "{}: {}. The call has returned: {outcome}.",
            e.kernel_function(),
            e.describe()
        ),
        Some(e) => format!("{}: {}.", e.kernel_function(), e.describe()),
    };
    // Once the call has returned, an event without a block of its own (the final
    // watermark or statistics events) highlights what the call did.
    let highlight = event.and_then(Event::block).or({
        if upto < call.events.len() {
            None
        } else {
            match call.outcome {
                Outcome::Allocated { allocation, .. } => Some((allocation.pfn, allocation.order)),
                Outcome::Freed { pfn, order, .. } => Some((pfn, order)),
                _ => None,
            }
        }
    });
    StepView {
        step,
        last_step,
        call_number: cursor.call + 1,
        calls: calls.len(),
        operation,
        outcome,
        returned: upto == call.events.len(),
        frames: frames(&call, &stacks, upto, kernel),
        sentence,
        function: event.map(|e| e.kernel_function().to_string()),
        highlight: highlight.map(|(p, o)| (p.0, o.get())),
        events: call
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| EventLine {
                function: e.kernel_function().to_string(),
                text: e.describe(),
                passed: i < upto,
                source: e.source_line(kernel).map(|l| SourceLink::new(l, kernel)),
            })
            .collect(),
        current_event: upto.checked_sub(1),
    }
}

/// The first step after `from` at which an event matching `wanted` has just been
/// passed, if any (how the page's "next watermark check" button finds it).
pub fn next_step_where(
    session: &Session,
    from: u64,
    wanted: impl Fn(&Event) -> bool,
) -> Option<u64> {
    let first = session.cursor_at_step(from).call;
    for index in first..session.calls().len() {
        // The position before the call's first event, then one after each event.
        let mut step = session.step_of(Cursor {
            call: index,
            event: 0,
        });
        for event in session.events(index).iter() {
            step += 1;
            if step > from && wanted(event) {
                return Some(step);
            }
        }
    }
    None
}

/// The kinds of event a learner hunts for with "Next": each a predicate on events,
/// so the page and the tests agree on what counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum EventKind {
    /// `__rmqueue_fallback()` (6.12: `__rmqueue_claim()` or `__rmqueue_steal()`) took
    /// a block of another migratetype (mm_page_alloc_extfrag), claiming the pageblock
    /// or not.
    Steal,
    /// A fallback that claimed the pageblock for the requested migratetype
    /// (`steal_suitable_fallback()` moved it: `claimed`).
    Claim,
    /// `__free_one_page()` merged a block with its buddy.
    Merge,
    /// `wakeup_kswapd()` woke kswapd, or kswapd ran (`balance_pgdat()`).
    Kswapd,
    /// Compaction moved a page or finished a zone.
    Compaction,
    /// `__alloc_pages_may_oom()` was reached.
    Oom,
}

impl EventKind {
    /// Every kind, in the order the page offers them.
    pub const ALL: [EventKind; 6] = [
        EventKind::Steal,
        EventKind::Claim,
        EventKind::Merge,
        EventKind::Kswapd,
        EventKind::Compaction,
        EventKind::Oom,
    ];

    /// A short stable name (for a select's value).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Steal => "steal",
            EventKind::Claim => "claim",
            EventKind::Merge => "merge",
            EventKind::Kswapd => "kswapd",
            EventKind::Compaction => "compaction",
            EventKind::Oom => "oom",
        }
    }

    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What a learner reads in the select, with the kernel function to search for.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Steal => "fallback to another migratetype (mm_page_alloc_extfrag)",
            EventKind::Claim => {
                "pageblock claimed (6.1: steal_suitable_fallback, 6.12: try_to_steal_block)"
            }
            EventKind::Merge => "buddy merge (__free_one_page)",
            EventKind::Kswapd => "kswapd woken or run",
            EventKind::Compaction => "compaction",
            EventKind::Oom => "OOM (__alloc_pages_may_oom)",
        }
    }

    /// Whether `event` is of this kind.
    pub fn matches(self, event: &Event) -> bool {
        match self {
            EventKind::Steal => matches!(event, Event::Steal { .. }),
            EventKind::Claim => matches!(event, Event::Steal { claimed: true, .. }),
            EventKind::Merge => matches!(event, Event::Merge { .. }),
            EventKind::Kswapd => {
                matches!(
                    event,
                    Event::KswapdWake { .. }
                        | Event::KswapdRun { .. }
                        | Event::KswapdNotWoken { .. }
                        | Event::BoostCleared { .. }
                        | Event::KswapdTrySleep { .. }
                )
            }
            EventKind::Compaction => {
                matches!(event, Event::Compacted { .. } | Event::Migrated { .. })
            }
            EventKind::Oom => matches!(event, Event::OomDecision { .. }),
        }
    }
}

/// Where a "go to" box's text asks to go: a step number (`1234`) or a call
/// (`call 12`, 1-based as the step panel counts, at the position before its first
/// event). The error is a sentence for the user: the page shows it and stays put.
pub fn go_to_step(session: &Session, text: &str) -> Result<u64, String> {
    let text = text.trim();
    let last_step = session.last_step();
    let calls = session.calls().len();
    let lower = text.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("call") {
        let rest = rest.trim();
        return match rest.parse::<usize>() {
            Ok(n) if (1..=calls).contains(&n) => Ok(session.step_of(Cursor {
                call: n - 1,
                event: 0,
            })),
            Ok(_) if calls == 0 => Err("This run has no calls.".to_string()),
            Ok(n) => Err(format!(
                "There is no call {n}: calls are numbered 1 to {calls}."
            )),
            Err(_) => Err(format!(
                "“{text}” is not a call: write “call” and a number from 1 to {calls}."
            )),
        };
    }
    match text.parse::<u64>() {
        Ok(step) if step <= last_step => Ok(step),
        Ok(step) => Err(format!(
            "There is no step {step}: steps are numbered 0 to {last_step}."
        )),
        Err(_) => Err(format!(
            "“{text}” is not a step: write a step number (0 to {last_step}) or “call N”."
        )),
    }
}
