//! A session: an allocator, the operations applied to it, every event each one
//! caused, and a way back to any earlier point.
//!
//! Going back never undoes anything. The session keeps a copy of the state every
//! [`CHECKPOINT_EVERY`] calls; the state after call `n` is the nearest checkpoint
//! at or before `n` with the calls after it applied again. The engine is
//! deterministic, so that gives exactly the state that was there.
//!
//! Stepping works on a [`Cursor`]: a call and a position among that call's events.
//! Inside a call the state is the state at that event: the call is run again on the
//! state before it with its changes recorded in a journal, each stamped with the
//! events before it ([`crate::buddy::journal`]), and the changes made before the
//! cursor's next event are applied to the state before the call. Stepping forward
//! applies one event's changes to a state kept from an earlier step; stepping back
//! undoes them (what undoes each change is recorded the first time a state moves
//! forward over it). Once the cursor passes a call's last event, the state is the
//! state after the call.
//!
//! States are handed out shared ([`Session::state_at`] gives an `Rc`): a page keeps
//! the one it shows while it asks for the next, and the session changes a state in
//! place only when nothing else holds it, copying it otherwise. It keeps a few
//! states (after some calls, and at events of the call being stepped through) so
//! that one is free to move to the next cursor.
//!
//! kswapd is a kernel thread that runs beside the allocations; here it runs at one
//! defined point. When a call wakes kswapd on some nodes (`wakeup_kswapd()` found it
//! asleep and the node in need), the session runs each woken node's kswapd, in node
//! order, as calls of their own right after the waking call and before anything
//! else ([`Operation::KswapdWoken`]), unless the session's [`KswapdMode`] is
//! [`KswapdMode::Manual`], where a woken kswapd waits for an explicit
//! [`Operation::RunKswapd`]. These calls are records like any other, so stepping
//! shows them and replay from a checkpoint repeats them.

mod records;
pub mod series;

pub use records::Records;

use crate::alloc::reclaim::PageUse;
use crate::alloc::{Allocation, Allocator};
use crate::error::EngineError;
use crate::limits::{CHECKPOINTS_MAX, CHECKPOINT_BYTES_MAX};
use crate::types::gfp::Gfp;
use std::cell::RefCell;
use std::rc::Rc;

use crate::alloc::journal::UndoLog;
use crate::buddy::journal::{Journal, SharedJournal};
use crate::buddy::stack::{StackRecorder, Stacks};
use crate::buddy::TraceSink;
use crate::event::Event;
use crate::types::{Order, Pfn};

/// How often the session keeps a full copy of the state at first. When more than
/// [`CHECKPOINTS_MAX`] copies (or more than [`CHECKPOINT_BYTES_MAX`] of them)
/// would be kept, every other one is dropped and the spacing doubles, so memory stays
/// bounded and going back costs at most one spacing of replayed calls.
pub const CHECKPOINT_EVERY: usize = 64;

/// Besides the checkpoints, the session keeps the state after the last multiple of
/// this many calls (the trailing checkpoint), so the calls near the end of a long
/// run, where the page opens, replay from at most this many calls back rather than
/// from the last checkpoint, which is a million or more calls back at ten million.
/// A copy of the state shares its per-page records, so one every 65,536 calls
/// costs little.
pub const TRAILING_CHECKPOINT_EVERY: usize = 1 << 16;

/// When a woken kswapd runs (a scenario's `[workload] kswapd`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KswapdMode {
    /// Right after the call that woke it, as a call of its own (the default).
    #[default]
    Auto,
    /// Only when an operation asks for it ([`Operation::RunKswapd`], the workload's
    /// `kswapd node=N`): a frozen kswapd, for a lesson that needs one.
    Manual,
}

impl KswapdMode {
    /// The word a scenario file uses.
    pub fn name(self) -> &'static str {
        match self {
            KswapdMode::Auto => "auto",
            KswapdMode::Manual => "manual",
        }
    }

    /// The mode a scenario file's word names.
    pub fn from_name(name: &str) -> Option<KswapdMode> {
        match name {
            "auto" => Some(KswapdMode::Auto),
            "manual" => Some(KswapdMode::Manual),
            _ => None,
        }
    }
}

/// One operation a user or a workload applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `alloc_pages_node(node, gfp, order)` on `cpu` (the current CPU if `None`);
    /// node -1 is the CPU's own node. `use_` says what the pages are for (page cache
    /// and anonymous order-0 pages can be reclaimed and migrated).
    Alloc {
        order: u32,
        gfp: Gfp,
        node: i32,
        /// Nodes the pages may come from (`None`: every node).
        nodemask: Option<Vec<u32>>,
        cpu: Option<u32>,
        use_: PageUse,
    },
    /// `__free_pages()` of the allocation with this index (in order of allocation),
    /// on `cpu` (the current CPU if `None`).
    Free { index: usize, cpu: Option<u32> },
    /// A real kernel's traced allocation, replayed where it happened (the trace
    /// importer's follow mode): first the model's own answer to the request
    /// ([`Allocator::predict_alloc`], which changes nothing), then the block taken at
    /// the traced pfn ([`Allocator::take_block_at`], `take_page_off_buddy()`), on
    /// `cpu` (the current CPU if `None`). An allocation like any other: `free`
    /// names it by its index.
    AllocAt {
        /// The pfn the traced kernel returned; `None` when its allocation failed
        /// (nothing is placed, the model's answer is still asked).
        pfn: Option<u64>,
        order: u32,
        /// The request's gfp mask; `None` for a block in use since before the trace
        /// began (a `hold`), which no traced request made: nothing to ask the model.
        gfp: Option<Gfp>,
        cpu: Option<u32>,
        /// The blocks the traced kernel's `rmqueue_bulk()` moved to this CPU's
        /// per-cpu list for the request (its mm_page_alloc_zone_locked lines with
        /// `percpu_refill=1`), moved there after the model's answer is asked and
        /// before the block is placed.
        refill: Vec<u64>,
    },
    /// The trace replay's follow mode: the pages the traced kernel's
    /// `free_pcppages_bulk()` gave back (mm_page_pcpu_drain), taken off whichever
    /// per-cpu list holds them and freed to the buddy lists
    /// ([`Allocator::drain_pcp_at`]).
    DrainAt { pfns: Vec<u64> },
    /// `drain_local_pages()` on a CPU.
    DrainLocal { cpu: u32 },
    /// `drain_all_pages()`.
    DrainAll,
    /// Wake kswapd on a node and let it run until the node is balanced.
    RunKswapd { node: u32 },
    /// kswapd on `node`, run by the session right after call `woken_by` (an index
    /// into the calls) woke it, for the order and zone index recorded then (what the
    /// step text shows; kswapd reads them from the node as it runs).
    KswapdWoken {
        node: u32,
        woken_by: usize,
        order: u32,
        highest_zoneidx: u32,
    },
    /// `echo 1 > /proc/sys/vm/compact_memory`.
    CompactMemory,
    /// `echo 3 > /proc/sys/vm/drop_caches`.
    DropCaches,
    /// Writes a sysctl (`/proc/sys/vm/NAME`, or `thp` for the THP `enabled` file).
    Sysctl { name: String, value: String },
    /// `echo offline > /sys/devices/system/memory/memoryN/state` for section N.
    OfflineSection { section: u64 },
    /// `echo online > .../memoryN/state` for a section offlined earlier.
    OnlineSection { section: u64 },
}

impl Operation {
    /// `alloc_pages(GFP_KERNEL, order)` on the current CPU, from its own node: the
    /// plain kernel allocation (unmovable, may reclaim), which `buddyscope zone`'s
    /// `aN` and the one-zone warm-up make.
    pub fn alloc_kernel(order: u32) -> Operation {
        Operation::Alloc {
            order,
            gfp: Gfp::KERNEL,
            node: -1,
            nodemask: None,
            cpu: None,
            use_: PageUse::Kernel,
        }
    }
}

/// What the model's own allocation would have returned for a traced request
/// ([`Operation::AllocAt`]), asked before the traced block is placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelPick {
    /// No request to ask about (a block held since before the trace began).
    NotAsked,
    /// The model's allocation would have failed.
    Failed,
    /// The model would have returned the block at this pfn.
    At(Pfn),
}

/// What an operation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The allocation with this index got a block.
    Allocated {
        index: usize,
        allocation: Allocation,
    },
    /// The allocation with this index returned NULL.
    Failed {
        index: usize,
    },
    /// [`Operation::AllocAt`]: the traced block is held at its traced pfn.
    Placed {
        index: usize,
        allocation: Allocation,
        model_pick: ModelPick,
    },
    /// [`Operation::AllocAt`] placed nothing: the traced kernel's allocation failed
    /// (`pfn` is `None`), or the model does not hold the traced block free.
    NotPlaced {
        index: usize,
        pfn: Option<Pfn>,
        model_pick: ModelPick,
    },
    Freed {
        index: usize,
        pfn: Pfn,
        order: Order,
    },
    Drained,
    /// kswapd ran or caches were dropped: this many pages were reclaimed.
    Reclaimed {
        pages: u64,
    },
    Compacted,
    SysctlWritten,
    /// The section went offline or online.
    Hotplugged {
        online: bool,
    },
    /// The kernel refused to offline the section (the errno and why).
    HotplugRefused {
        reason: String,
    },
}

/// One applied operation with its outcome and events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub operation: Operation,
    pub outcome: Outcome,
    pub events: Vec<Event>,
}

/// One applied operation as the session keeps it: the operation, its outcome and
/// how many events it had. The events themselves are rebuilt when asked for
/// ([`Session::events`]), and [`Records`] packs a plain allocation or free into
/// sixteen bytes, so a ten-million-operation session fits in the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub operation: Operation,
    pub outcome: Outcome,
    pub event_count: u32,
}

/// A position in the timeline: call `call`, after `event` of its events (0: none
/// yet; `events.len()`: the call has returned).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub call: usize,
    pub event: usize,
}

/// The allocations made so far, one word each: the block's pfn and order while it is
/// held, a freed flag, or [`Allocations::NULL`] for an allocation that returned NULL.
///
/// The words sit in chunks of [`Allocations::CHUNK`] shared between copies: a
/// checkpoint's copy of a ten-million-operation run's table (40 MB at 5 M
/// allocations) is then a list of pointers, and a chunk is copied only when a copy
/// that shares it changes it (a free marks an allocation of the last few hundred
/// thousand, so few chunks are). [`Allocations::heap_bytes`] still answers what
/// one unshared table would take, as before the chunks (the checkpoint spacing
/// reads it, and it stays as it was).
#[derive(Debug, Default)]
struct Allocations {
    chunks: Vec<Rc<Vec<u64>>>,
    len: usize,
    /// The capacity one growing `Vec` of the words would have now (what
    /// `heap_bytes` reports): doubled as a `Vec` grows, equal to the length in a
    /// copy, as a `Vec`'s clone.
    capacity: usize,
}

impl Clone for Allocations {
    fn clone(&self) -> Allocations {
        Allocations {
            chunks: self.chunks.clone(),
            len: self.len,
            capacity: self.len,
        }
    }
}

impl PartialEq for Allocations {
    fn eq(&self, other: &Allocations) -> bool {
        self.len == other.len && self.chunks == other.chunks
    }
}

impl Eq for Allocations {}

impl Allocations {
    const NULL: u64 = u64::MAX;
    const FREED: u64 = 1 << 63;
    const ORDER_SHIFT: u32 = 56;
    const PFN_MASK: u64 = (1 << 56) - 1;
    /// Words a chunk (8 KiB). The first push after a checkpoint copies the last
    /// chunk, so a short run's recording copied up to its whole table at every
    /// checkpoint with chunks of 65,536 words (the default scenario: about 0.7 M of
    /// its 21 M native instructions); a ten-million-operation run's table is then
    /// about 5,000 chunks, a checkpoint's copy 40 KB of pointers (docs/performance.md,
    /// branch rec16).
    const CHUNK: usize = 1 << 10;

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, block: Option<(Pfn, Order)>) {
        let word = match block {
            Some((pfn, order)) => {
                (pfn.0 & Self::PFN_MASK) | (u64::from(order.get()) << Self::ORDER_SHIFT)
            }
            None => Self::NULL,
        };
        if self.len % Self::CHUNK == 0 {
            self.chunks.push(Rc::new(Vec::with_capacity(Self::CHUNK)));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            Self::own(chunk).push(word);
            self.len += 1;
        }
        if self.len > self.capacity {
            // `RawVec`'s growth: twice the capacity, at least what is needed and 4.
            self.capacity = (self.capacity * 2).max(self.len).max(4);
        }
    }

    fn word(&self, index: usize) -> Option<u64> {
        self.chunks
            .get(index / Self::CHUNK)?
            .get(index % Self::CHUNK)
            .copied()
    }

    /// The word of allocation `index` to change, its chunk copied first if a copy
    /// shares it.
    fn word_mut(&mut self, index: usize) -> Option<&mut u64> {
        let chunk = self.chunks.get_mut(index / Self::CHUNK)?;
        Self::own(chunk).get_mut(index % Self::CHUNK)
    }

    /// `chunk` to change: copied first when a copy shares it, with room for twice
    /// its words (at most a chunk's), so the last chunk keeps growing as a `Vec` does.
    /// A copy at the chunk's full size held 512 KiB for every checkpoint of a short
    /// run: the default scenario's 4,064 calls kept about 20 MiB in their
    /// checkpoints' copies (docs/performance.md, branch tti23).
    fn own(chunk: &mut Rc<Vec<u64>>) -> &mut Vec<u64> {
        if Rc::get_mut(chunk).is_none() {
            let room = (2 * chunk.len()).clamp(64, Self::CHUNK);
            let mut copy = Vec::with_capacity(room);
            copy.extend_from_slice(chunk);
            *chunk = Rc::new(copy);
        }
        Rc::make_mut(chunk)
    }

    /// The block of allocation `index`, freed or not; `None` for NULL or no such index.
    fn block(&self, index: usize) -> Option<(Pfn, Order)> {
        let slot = self.word(index)?;
        if slot == Self::NULL {
            return None;
        }
        let order = Order::new(((slot >> Self::ORDER_SHIFT) & 0x7f) as u32)?;
        Some((Pfn(slot & Self::PFN_MASK), order))
    }

    fn is_freed(&self, index: usize) -> bool {
        self.word(index)
            .is_none_or(|s| s != Self::NULL && s & Self::FREED != 0)
    }

    fn set_freed(&mut self, index: usize) {
        if self.word(index).is_some_and(|s| s != Self::NULL) {
            if let Some(slot) = self.word_mut(index) {
                *slot |= Self::FREED;
            }
        }
    }

    fn move_to(&mut self, index: usize, pfn: Pfn) {
        if self.word(index).is_some_and(|s| s != Self::NULL) {
            if let Some(slot) = self.word_mut(index) {
                *slot = (*slot & !Self::PFN_MASK) | (pfn.0 & Self::PFN_MASK);
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        self.capacity * core::mem::size_of::<u64>()
    }
}

/// A state after some calls. The allocator is shared: with the caller it was handed
/// to ([`Session::state_at`]) and between checkpoints and the replay cache; it is
/// changed in place only when nothing else holds it, else copied first.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Checkpoint {
    calls: usize,
    allocator: Rc<Allocator>,
    allocations: Allocations,
}

/// How many states after some calls the replay cache keeps: the one a caller holds,
/// and others to replay forward in place or to step through a call with, so that
/// stepping back and forth over short calls copies no state (a copy shares the
/// per-page records it has not written, but a workload that split much of a large
/// machine makes its states large); one fewer for a state above
/// [`CACHED_BYTES_LARGE`].
const CACHED_STATES: usize = 3;

/// A state this large (a 64 GiB machine with every max-order block split would be
/// 160 MB) is cached one fewer time.
const CACHED_BYTES_LARGE: usize = 128 << 20;

/// Where the last replays stopped, so that stepping forward continues from there
/// instead of from a checkpoint, and the events of the call last asked for.
#[derive(Default)]
struct ReplayCache {
    /// States after some calls, the last replayed first.
    states: Vec<Checkpoint>,
    events: Option<(usize, Rc<[Event]>, Rc<Stacks>)>,
    /// The call the cursor was last inside, with its journal and the states at the
    /// events it was at, so stepping by one event applies (or undoes) only that
    /// event's changes.
    step: Option<StepState>,
}

impl Clone for ReplayCache {
    /// A copy shares the cached states but not the call being stepped through.
    fn clone(&self) -> ReplayCache {
        ReplayCache {
            states: self.states.clone(),
            events: self.events.clone(),
            step: None,
        }
    }
}

impl std::fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayCache")
            .field(
                "states",
                &self.states.iter().map(|c| c.calls).collect::<Vec<_>>(),
            )
            .field("events", &self.events.as_ref().map(|e| e.0))
            .field("step", &self.step.as_ref().map(|s| s.call))
            .finish()
    }
}

/// How many states inside a call a step keeps: the one last handed out (which the
/// page holds while it computes the next) and one to move to the next event in place.
const STEP_STATES: usize = 2;

/// A call being stepped through: the changes it made (see
/// [`crate::buddy::journal`]), what undoes the changes of its first `known` events
/// (filled as states move forward through them), and states at some of its events.
struct StepState {
    call: usize,
    journal: Rc<Journal>,
    undo: UndoLog,
    known: usize,
    states: Vec<(usize, Rc<Allocator>)>,
}

impl StepState {
    /// The state after the first `event` events: one kept, or one nothing else
    /// holds moved there by applying or undoing the events between, or else a copy
    /// of the nearest moved there (or of the state before the call, from `before`).
    fn state_at(&mut self, event: usize, before: impl FnOnce() -> Rc<Allocator>) -> Rc<Allocator> {
        if let Some((_, state)) = self.states.iter().find(|(e, _)| *e == event) {
            return state.clone();
        }
        let free = self
            .states
            .iter()
            .enumerate()
            .filter(|(_, (_, s))| Rc::strong_count(s) == 1)
            .min_by_key(|(_, (e, _))| e.abs_diff(event))
            .map(|(i, _)| i);
        let (from, mut state) = match free {
            Some(i) => self.states.swap_remove(i),
            None => {
                let nearest = self
                    .states
                    .iter()
                    .min_by_key(|(e, _)| e.abs_diff(event))
                    .filter(|(e, _)| e.abs_diff(event) < event)
                    .map(|(e, s)| (*e, s.clone()));
                // Copied when changed below, unless nothing else holds it.
                let (from, shared) = nearest.unwrap_or_else(|| (0, before()));
                (from, shared)
            }
        };
        self.move_state(Rc::make_mut(&mut state), from, event);
        if self.states.len() >= STEP_STATES {
            // Drop the state furthest from this one (its holder, if any, keeps it).
            if let Some(i) = self
                .states
                .iter()
                .enumerate()
                .max_by_key(|(_, (e, _))| e.abs_diff(event))
                .map(|(i, _)| i)
            {
                self.states.swap_remove(i);
            }
        }
        self.states.push((event, state.clone()));
        state
    }

    /// The states nothing else holds, each moved past every change of the call (so
    /// each is the state after it, `events` being the call's event count).
    fn states_at_end(mut self, events: usize) -> Vec<Rc<Allocator>> {
        // Past every change, including those after the call's last event.
        let end = self
            .journal
            .changes
            .last()
            .map_or(0, |(stamp, _)| *stamp as usize + 1)
            .max(events);
        let states = std::mem::take(&mut self.states);
        let mut moved = Vec::new();
        for (from, mut state) in states {
            if Rc::strong_count(&state) == 1 {
                self.move_state(Rc::make_mut(&mut state), from, end);
                moved.push(state);
            }
        }
        moved
    }

    /// Moves `state` from event `from` to event `to`: forward by applying the
    /// journal (recording what undoes each change the first time), back by undoing.
    fn move_state(&mut self, state: &mut Allocator, from: usize, to: usize) {
        if to > from {
            if from < self.known {
                state.replay(&self.journal, from as u32..to.min(self.known) as u32);
            }
            if to > self.known {
                let start = from.max(self.known);
                state.replay_undoable(&self.journal, start as u32..to as u32, &mut self.undo);
                self.known = to;
            }
        } else if to < from {
            state.undo(&self.undo, to as u32..from as u32);
        }
    }
}

/// An allocator and its history.
#[derive(Clone, Debug)]
pub struct Session {
    checkpoints: Vec<Checkpoint>,
    /// The state after the last multiple of [`TRAILING_CHECKPOINT_EVERY`] calls when
    /// no checkpoint is there (kept outside `checkpoints`, so it changes neither their
    /// spacing nor their thinning).
    trailing: Option<Checkpoint>,
    /// Calls between checkpoints now.
    spacing: usize,
    records: Records,
    current: Allocator,
    allocations: Allocations,
    cache: RefCell<ReplayCache>,
    kswapd: KswapdMode,
    /// What the timeline plots draw, kept as the calls are made; not part of the
    /// state (equality and digests leave it out).
    series: series::Series,
    /// Where [`Session::apply_outcome`] hears a call's events: empty between calls,
    /// kept for its capacity.
    scratch: Vec<Event>,
}

impl PartialEq for Session {
    /// Two sessions are equal when their histories and states are; what either has
    /// cached for replay does not count.
    fn eq(&self, other: &Session) -> bool {
        self.records == other.records
            && self.kswapd == other.kswapd
            && self.current == other.current
            && self.allocations == other.allocations
    }
}

impl Eq for Session {}

impl Session {
    /// A session starting from `allocator`, running a woken kswapd after the call
    /// that woke it ([`KswapdMode::Auto`]).
    pub fn new(allocator: Allocator) -> Session {
        Session::with_kswapd(allocator, KswapdMode::Auto)
    }

    /// A session starting from `allocator` whose woken kswapd runs as `kswapd` says.
    pub fn with_kswapd(allocator: Allocator, kswapd: KswapdMode) -> Session {
        Session {
            kswapd,
            series: series::Series::new(&allocator),
            spacing: CHECKPOINT_EVERY,
            trailing: None,
            checkpoints: vec![Checkpoint {
                calls: 0,
                allocator: Rc::new(allocator.clone()),
                allocations: Allocations::default(),
            }],
            records: Records::default(),
            current: allocator,
            allocations: Allocations::default(),
            cache: RefCell::new(ReplayCache::default()),
            scratch: Vec::new(),
        }
    }

    /// The state after every call so far.
    pub fn current(&self) -> &Allocator {
        &self.current
    }

    /// The timeline's series: per zone and call, free pages, watermarks, boost and
    /// the fragmentation indexes, and each call's markers.
    pub fn series(&self) -> &series::Series {
        &self.series
    }

    /// Every call so far, without its events (see [`Session::events`]).
    pub fn calls(&self) -> &Records {
        &self.records
    }

    /// Call `index` with its events.
    pub fn call(&self, index: usize) -> Option<Call> {
        let record = self.records.get(index)?;
        Some(Call {
            operation: record.operation,
            outcome: record.outcome,
            events: self.events(index).to_vec(),
        })
    }

    /// Every call with its events, in order, replayed once from the start.
    pub fn calls_with_events(&self) -> impl Iterator<Item = Call> + '_ {
        let start = self.checkpoints.first();
        let mut allocator = start.map_or_else(|| self.current.clone(), |c| (*c.allocator).clone());
        let mut allocations = Allocations::default();
        self.records
            .iter()
            .map(move |record| replay_call(&mut allocator, &mut allocations, record))
    }

    /// The events of call `index` (empty if there is no such call), rebuilt by
    /// replaying from the nearest saved state and kept until another call's events
    /// are asked for.
    pub fn events(&self, index: usize) -> Rc<[Event]> {
        self.traced_events(index).0
    }

    /// The events of call `index` with the call stack the engine was in at each
    /// (see [`Session::events`]).
    pub fn traced_events(&self, index: usize) -> (Rc<[Event]>, Rc<Stacks>) {
        let Some(record) = self.records.get(index) else {
            return (Rc::from(Vec::new()), Rc::default());
        };
        if let Some((cached, events, stacks)) = &self.cache.borrow().events {
            if *cached == index {
                return (events.clone(), stacks.clone());
            }
        }
        let mut state = self.replayed(index, true);
        let mut recorder = StackRecorder::default();
        let _ = execute(
            Rc::make_mut(&mut state.allocator),
            &mut state.allocations,
            &record.operation,
            &mut recorder,
        );
        state.calls = index + 1;
        let (events, stacks) = recorder.finish();
        let (events, stacks): (Rc<[Event]>, _) = (Rc::from(events), Rc::new(stacks));
        self.keep(state);
        self.cache.borrow_mut().events = Some((index, events.clone(), stacks.clone()));
        (events, stacks)
    }

    /// How many events call `index` had.
    pub fn event_count(&self, index: usize) -> usize {
        self.records.event_count(index).map_or(0, |n| n as usize)
    }

    /// Allocations made so far (NULL results included): the next one's index.
    pub fn allocations_made(&self) -> usize {
        self.allocations.len()
    }

    /// Whether allocation `index` holds a block now (not NULL, freed or reclaimed).
    pub fn is_live(&self, index: usize) -> bool {
        self.allocations.block(index).is_some() && !self.allocations.is_freed(index)
    }

    /// The allocation whose block starts at `pfn` and is held now, if any: the one a
    /// user means who names a block by its first page. Compaction and offlining move
    /// allocations, so this is where the block is now, not where it was handed out.
    pub fn live_allocation_at(&self, pfn: Pfn) -> Option<usize> {
        (0..self.allocations.len()).rev().find(|&index| {
            self.is_live(index) && self.allocations.block(index).is_some_and(|(p, _)| p == pfn)
        })
    }

    /// The newest allocation still held, if any.
    pub fn newest_live_allocation(&self) -> Option<usize> {
        (0..self.allocations.len())
            .rev()
            .find(|&index| self.is_live(index))
    }

    /// When a woken kswapd runs in this session.
    pub fn kswapd_mode(&self) -> KswapdMode {
        self.kswapd
    }

    /// Applies `operation`, then (in [`KswapdMode::Auto`]) runs the kswapd of every
    /// node it woke, in node order, each as a call of its own; the returned call is
    /// `operation`'s ([`Session::calls`] has the others). Bad input (an order above
    /// 10, a node or CPU that does not exist, freeing an allocation twice or one that
    /// never was) is an error and changes nothing; a failed allocation is an
    /// outcome.
    pub fn apply(&mut self, operation: Operation) -> Result<Call, EngineError> {
        let mut events = Vec::new();
        let outcome = self.apply_into(&operation, &mut events)?;
        Ok(Call {
            operation,
            outcome,
            events,
        })
    }

    /// [`Session::apply`] for a caller that needs only the outcome (a workload's
    /// run): the same calls recorded, the events heard into a buffer the session
    /// reuses, so a call allocates nothing for them.
    pub fn apply_outcome(&mut self, operation: &Operation) -> Result<Outcome, EngineError> {
        let mut events = std::mem::take(&mut self.scratch);
        let outcome = self.apply_into(operation, &mut events);
        events.clear();
        self.scratch = events;
        outcome
    }

    /// [`Session::apply`] with `operation`'s events left in `events` (cleared
    /// first); the woken kswapd's calls after it hear into it too, and clear it
    /// again when there are any, so `events` ends with `operation`'s only if none.
    fn apply_into(
        &mut self,
        operation: &Operation,
        events: &mut Vec<Event>,
    ) -> Result<Outcome, EngineError> {
        events.clear();
        let outcome = self.record(operation, events)?;
        if self.kswapd == KswapdMode::Auto {
            let woken_by = self.records.len() - 1;
            let woken: Vec<Operation> = self
                .current
                .nodes()
                .iter()
                .filter(|n| n.kswapd_woken)
                .map(|n| Operation::KswapdWoken {
                    node: n.nid,
                    woken_by,
                    order: n.kswapd_order,
                    highest_zoneidx: n.kswapd_highest_zoneidx,
                })
                .collect();
            if !woken.is_empty() {
                // The caller's call keeps its own events.
                let mut kswapd_events = Vec::new();
                for operation in woken {
                    kswapd_events.clear();
                    self.record(&operation, &mut kswapd_events)?;
                }
            }
        }
        Ok(outcome)
    }

    /// A copy of the state after every call so far (the allocation table's chunks
    /// shared, not copied).
    fn checkpoint_now(&self) -> Checkpoint {
        Checkpoint {
            calls: self.records.len(),
            allocator: Rc::new(self.current.clone()),
            allocations: self.allocations.clone(),
        }
    }

    /// Applies one operation and keeps its record; its events are pushed to
    /// `events` (empty on entry).
    fn record(
        &mut self,
        operation: &Operation,
        events: &mut Vec<Event>,
    ) -> Result<Outcome, EngineError> {
        let outcome =
            execute_recording(&mut self.current, &mut self.allocations, operation, events)?;
        let event_count = u32::try_from(events.len()).unwrap_or(u32::MAX);
        self.records.push(operation, &outcome, event_count);
        self.series.push(&self.current, events, &outcome);
        if self.records.len() % self.spacing == 0 {
            let checkpoint = self.checkpoint_now();
            self.checkpoints.push(checkpoint);
            self.thin_checkpoints();
        } else if self.records.len() % TRAILING_CHECKPOINT_EVERY == 0 {
            self.trailing = Some(self.checkpoint_now());
        }
        Ok(outcome)
    }

    /// The state after the first `calls` calls, rebuilt from the nearest saved state
    /// (a copy; [`Session::state_at`] shares it instead).
    pub fn state_after(&self, calls: usize) -> Allocator {
        let calls = calls.min(self.records.len());
        if calls == self.records.len() {
            return self.current.clone();
        }
        (*self.shared_after(calls)).clone()
    }

    /// The state after the first `calls` calls, shared with the replay cache.
    fn shared_after(&self, calls: usize) -> Rc<Allocator> {
        let state = self.replayed(calls.min(self.records.len()), false);
        let allocator = state.allocator.clone();
        self.keep(state);
        allocator
    }

    /// The state after the first `calls` calls to change: taken from the cache when
    /// nothing else holds it there, else shared (and so copied when changed).
    fn take_state_after(&self, calls: usize) -> Rc<Allocator> {
        let mut cache = self.cache.borrow_mut();
        let free = cache
            .states
            .iter()
            .position(|c| c.calls == calls && Rc::strong_count(&c.allocator) == 1);
        if let Some(i) = free {
            return cache.states.remove(i).allocator;
        }
        drop(cache);
        self.shared_after(calls)
    }

    /// Keeps a replayed state in the cache, first, dropping the oldest beyond
    /// [`CACHED_STATES`].
    fn keep(&self, state: Checkpoint) {
        let most = if self.current.heap_bytes() > CACHED_BYTES_LARGE {
            CACHED_STATES - 1
        } else {
            CACHED_STATES
        };
        let mut cache = self.cache.borrow_mut();
        cache.states.insert(0, state);
        cache.states.truncate(most);
    }

    /// The allocator and allocations after `calls` calls: a cached state at
    /// `calls`, or one at or before `calls` and no further back than the nearest
    /// checkpoint (one nothing else holds first, when the state is to be changed
    /// (`to_change`) or calls have to be replayed on it), else the nearest checkpoint;
    /// with the calls up to `calls` replayed on it. The state taken leaves the cache.
    fn replayed(&self, calls: usize, to_change: bool) -> Checkpoint {
        let regular = self.checkpoints.iter().rev().find(|c| c.calls <= calls);
        let trailing = self
            .trailing
            .as_ref()
            .filter(|t| t.calls <= calls && regular.is_some_and(|k| k.calls < t.calls));
        let checkpoint = trailing.or(regular).or_else(|| self.checkpoints.first());
        let floor = checkpoint.map_or(0, |k| k.calls);
        let mut cached = std::mem::take(&mut self.cache.borrow_mut().states);
        let unique = |c: &Checkpoint| Rc::strong_count(&c.allocator) == 1;
        let usable = |c: &Checkpoint| c.calls <= calls && c.calls >= floor;
        let exact = |c: &Checkpoint| c.calls == calls;
        let pick = if to_change {
            cached
                .iter()
                .position(|c| exact(c) && unique(c))
                .or_else(|| cached.iter().position(|c| usable(c) && unique(c)))
                .or_else(|| cached.iter().position(exact))
        } else {
            cached
                .iter()
                .position(exact)
                .or_else(|| cached.iter().position(|c| usable(c) && unique(c)))
        }
        .or_else(|| {
            cached
                .iter()
                .enumerate()
                .filter(|(_, c)| usable(c))
                .max_by_key(|(_, c)| c.calls)
                .map(|(i, _)| i)
        });
        let mut state = match (pick, checkpoint) {
            (Some(i), _) => cached.remove(i),
            (None, Some(k)) if k.calls == calls || calls < self.records.len() => k.clone(),
            // The state after every call is at hand: one copy, no replay.
            _ if calls == self.records.len() => self.checkpoint_now(),
            (None, Some(k)) => k.clone(),
            (None, None) => Checkpoint {
                calls: 0,
                allocator: Rc::new(self.current.clone()),
                allocations: Allocations::default(),
            },
        };
        self.cache.borrow_mut().states = cached;
        let from = state.calls.min(calls);
        if from == calls {
            state.calls = calls;
            return state;
        }
        let allocator = Rc::make_mut(&mut state.allocator);
        let mut sink = OwnershipSink::default();
        for (index, record) in self.records.range(from, calls).enumerate() {
            // Every recorded call succeeded once on exactly this state. The last one
            // is replayed with every event kept: stepping to the end of a call asks
            // for its state and then for its events.
            if from + index + 1 == calls {
                let mut recorder = StackRecorder::default();
                let _ = execute(
                    allocator,
                    &mut state.allocations,
                    &record.operation,
                    &mut recorder,
                );
                let (events, stacks) = recorder.finish();
                self.cache.borrow_mut().events =
                    Some((calls - 1, Rc::from(events), Rc::new(stacks)));
            } else {
                sink.events.clear();
                let _ = execute(
                    allocator,
                    &mut state.allocations,
                    &record.operation,
                    &mut sink,
                );
            }
        }
        state.calls = calls;
        state
    }

    /// The calls whose effect the state at `cursor` includes: those before its call,
    /// plus its call once the cursor has passed the call's last event.
    pub fn calls_done_at(&self, cursor: Cursor) -> usize {
        let done = self
            .records
            .event_count(cursor.call)
            .is_some_and(|n| cursor.event >= n as usize);
        cursor.call + usize::from(done)
    }

    /// The state at a cursor: after its call's first `cursor.event` events (before
    /// the call at event 0, after it once the cursor has passed its last event).
    /// Inside a call, the state before it with the changes the call made before its
    /// next event applied again (see [`crate::buddy::journal`]); stepping one event
    /// forward or back applies or undoes one event's changes on a kept state. The
    /// state is shared with the session's cache: a caller that drops the one it held
    /// before asking for the next lets the session reuse it instead of copying.
    pub fn state_at(&self, cursor: Cursor) -> Rc<Allocator> {
        let done = self
            .records
            .event_count(cursor.call)
            .is_none_or(|n| cursor.event >= n as usize);
        if done || cursor.event == 0 {
            return self.shared_after(cursor.call + usize::from(done));
        }
        self.state_inside(cursor.call, cursor.event)
    }

    /// The state after the first `event` events of call `call`, which has more.
    fn state_inside(&self, call: usize, event: usize) -> Rc<Allocator> {
        let cached = self.cache.borrow_mut().step.take();
        let mut step = match cached {
            Some(step) if step.call == call => step,
            previous => self.journal_call(call, previous),
        };
        let state = step.state_at(event, || self.take_state_after(call));
        self.cache.borrow_mut().step = Some(step);
        state
    }

    /// Runs call `call` again on the state before it, recording its changes; keeps
    /// its events and the state after it for the steps that follow. A state of the
    /// call stepped through before (`previous`) that nothing else holds is kept to
    /// step through this one when that call came just before this one: moved to its
    /// end, it is the state before this call.
    fn journal_call(&self, call: usize, previous: Option<StepState>) -> StepState {
        let before = self.replayed(call, false);
        let allocations = before.allocations.clone();
        self.keep(before);
        let mut reused = previous
            .filter(|p| p.call + 1 == call)
            .map(|p| {
                let events = self.event_count(p.call);
                p.states_at_end(events)
            })
            .unwrap_or_default();
        let mut state = match reused.pop() {
            Some(allocator) => Checkpoint {
                calls: call,
                allocator,
                allocations,
            },
            None => self.replayed(call, true),
        };
        let journal = SharedJournal::default();
        let allocator = Rc::make_mut(&mut state.allocator);
        allocator.attach_journal(&journal);
        let mut sink = JournalSink {
            recorder: StackRecorder::default(),
            journal: journal.clone(),
        };
        if let Some(record) = self.records.get(call) {
            let _ = execute(
                allocator,
                &mut state.allocations,
                &record.operation,
                &mut sink,
            );
        }
        allocator.detach_journal();
        state.calls = call + 1;
        let journal = Rc::new(std::mem::take(&mut *journal.borrow_mut()));
        let (events, stacks) = sink.recorder.finish();
        self.cache.borrow_mut().events = Some((call, Rc::from(events), Rc::new(stacks)));
        self.keep(state);
        StepState {
            call,
            journal,
            undo: UndoLog::default(),
            known: 0,
            states: reused.into_iter().map(|s| (0, s)).collect(),
        }
    }

    /// The changes call `call` made, each stamped with the number of its events
    /// before it (for tests and tools that check the journal is complete).
    pub fn journal(&self, call: usize) -> Option<(Allocator, Rc<Journal>)> {
        if call >= self.records.len() {
            return None;
        }
        let step = self.journal_call(call, None);
        Some(((*self.shared_after(call)).clone(), step.journal))
    }

    /// The event the cursor has just passed, if any.
    pub fn event_at(&self, cursor: Cursor) -> Option<Event> {
        let i = cursor.event.checked_sub(1)?;
        if i >= self.event_count(cursor.call) {
            return None;
        }
        self.events(cursor.call).get(i).cloned()
    }

    /// Forgets every call after the first `calls`, so a user who stepped back can go
    /// another way.
    pub fn truncate(&mut self, calls: usize) {
        if calls >= self.records.len() {
            return;
        }
        let kept = usize::try_from(self.series.truncate(calls as u64)).unwrap_or(calls);
        if kept < calls {
            // The series' last bucket held calls on both sides of the cut: record
            // the calls before the cut that it held again.
            let mut state = self.replayed(kept, false);
            for record in self.records.range(kept, calls) {
                let mut events = Vec::new();
                let _ = execute(
                    Rc::make_mut(&mut state.allocator),
                    &mut state.allocations,
                    &record.operation,
                    &mut events,
                );
                self.series.push(&state.allocator, &events, &record.outcome);
            }
        }
        let state = self.replayed(calls, false);
        self.records.truncate(calls);
        self.checkpoints.retain(|c| c.calls <= calls);
        if self.trailing.as_ref().is_some_and(|t| t.calls > calls) {
            self.trailing = None;
        }
        self.spacing = CHECKPOINT_EVERY;
        while self.checkpoints.iter().any(|c| c.calls % self.spacing != 0) {
            self.spacing *= 2;
        }
        self.current = Rc::unwrap_or_clone(state.allocator);
        self.allocations = state.allocations;
        *self.cache.borrow_mut() = ReplayCache::default();
    }

    /// Step into: the next event, moving into the next call after the last one.
    pub fn step_into(&self, cursor: Cursor) -> Cursor {
        match self.records.event_count(cursor.call) {
            Some(count) if cursor.event < count as usize => Cursor {
                call: cursor.call,
                event: cursor.event + 1,
            },
            Some(_) if cursor.call + 1 < self.records.len() => Cursor {
                call: cursor.call + 1,
                event: 0,
            },
            _ => cursor,
        }
    }

    /// Step over: to the end of the current call, or of the next one if this one has
    /// returned already.
    pub fn step_over(&self, cursor: Cursor) -> Cursor {
        match self.records.event_count(cursor.call) {
            Some(count) if cursor.event < count as usize => Cursor {
                call: cursor.call,
                event: count as usize,
            },
            Some(_) => match self.records.event_count(cursor.call + 1) {
                Some(next) => Cursor {
                    call: cursor.call + 1,
                    event: next as usize,
                },
                None => cursor,
            },
            None => cursor,
        }
    }

    /// Step back: the previous event (the end of the previous call from a call's start).
    pub fn step_back(&self, cursor: Cursor) -> Cursor {
        if cursor.event > 0 {
            return Cursor {
                call: cursor.call,
                event: cursor.event - 1,
            };
        }
        match cursor.call.checked_sub(1) {
            Some(previous) => Cursor {
                call: previous,
                event: self.records.event_count(previous).unwrap_or(0) as usize,
            },
            None => cursor,
        }
    }

    /// The cursor `step` step-into moves from the start (the numbering a share link's
    /// `step=` and a scenario's `open_at` use): each call has one position before its
    /// first event and one after each event. Past the end, the end.
    pub fn cursor_at_step(&self, step: u64) -> Cursor {
        if step >= self.last_step() {
            return self.end();
        }
        let (call, event) = self.records.call_at_step(step);
        Cursor {
            call,
            event: event as usize,
        }
    }

    /// The step number of a cursor (the inverse of [`Session::cursor_at_step`]).
    pub fn step_of(&self, cursor: Cursor) -> u64 {
        match self.records.start(cursor.call) {
            Some(start) => start + cursor.event as u64,
            None => self.last_step(),
        }
    }

    /// The number of the last step (the end of the last call).
    pub fn last_step(&self) -> u64 {
        self.records.last_step()
    }

    /// The cursor after everything.
    pub fn end(&self) -> Cursor {
        match self.records.len().checked_sub(1) {
            Some(last) => Cursor {
                call: last,
                event: self.records.event_count(last).unwrap_or(0) as usize,
            },
            None => Cursor::default(),
        }
    }

    /// Drops every other checkpoint (keeping the first) while there are too many or
    /// they take too much memory (the allocator and the allocation table, which
    /// grows with the history), doubling the spacing each time.
    fn thin_checkpoints(&mut self) {
        let bytes_each = (self.current.heap_bytes() + self.allocations.heap_bytes()).max(1);
        let limit = (CHECKPOINT_BYTES_MAX / bytes_each).clamp(2, CHECKPOINTS_MAX);
        while self.checkpoints.len() > limit {
            self.spacing *= 2;
            let spacing = self.spacing;
            self.checkpoints.retain(|c| c.calls % spacing == 0);
        }
    }
}

/// A trace sink for replaying: it keeps only the events that change who owns which
/// allocation (reclaim, compaction, the migration of a range), which replay must
/// apply, and drops the rest.
#[derive(Default)]
struct OwnershipSink {
    events: Vec<Event>,
}

impl TraceSink for OwnershipSink {
    fn emit(&mut self, event: Event) {
        if ownership_change(&event).is_some() {
            self.events.push(event);
        }
    }
}

/// A trace sink for stepping through a call: it keeps every event and counts them
/// in the journal the state records its changes in, so each change is stamped with
/// the events before it.
struct JournalSink {
    recorder: StackRecorder,
    journal: SharedJournal,
}

impl TraceSink for JournalSink {
    fn emit(&mut self, event: Event) {
        self.recorder.emit(event);
        self.journal.borrow_mut().events += 1;
    }

    fn enter(&mut self, function: &'static str) {
        self.recorder.enter(function);
    }

    fn leave(&mut self) {
        self.recorder.leave();
    }
}

impl Recorded for JournalSink {
    fn recorded(&self) -> &[Event] {
        &self.recorder.events
    }
}

/// The events an operation's ownership tracking needs, from whichever sink ran it.
trait Recorded: TraceSink {
    fn recorded(&self) -> &[Event];
}

impl Recorded for Vec<Event> {
    fn recorded(&self) -> &[Event] {
        self
    }
}

impl Recorded for StackRecorder {
    fn recorded(&self) -> &[Event] {
        &self.events
    }
}

impl Recorded for OwnershipSink {
    fn recorded(&self) -> &[Event] {
        &self.events
    }
}

/// Runs one operation; on bad input nothing changes. Every sink reaches the
/// allocator as `&mut dyn TraceSink`, so the allocation paths are compiled once for
/// all the sinks that replay and step through calls (the page's wasm held a copy per
/// sink type: docs/performance.md); [`execute_recording`] is the recording path.
fn execute<S: Recorded>(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    operation: &Operation,
    events: &mut S,
) -> Result<Outcome, EngineError> {
    let outcome = operate(
        allocator,
        allocations,
        operation,
        &mut (events as &mut dyn TraceSink),
    )?;
    after_operation(allocator, allocations, operation, events.recorded());
    Ok(outcome)
}

/// [`execute`] for [`Session::record`], the loop a workload runs: its allocations and
/// frees take the allocation paths compiled for the `Vec<Event>` sink itself, its
/// pushes inlined, rather than reached through `dyn` ([`operate_pages`]).
fn execute_recording(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    operation: &Operation,
    events: &mut Vec<Event>,
) -> Result<Outcome, EngineError> {
    let outcome = operate_pages(allocator, allocations, operation, events)?;
    after_operation(allocator, allocations, operation, events);
    Ok(outcome)
}

/// One call of [`Session::calls_with_events`], replayed. A function of its own, not
/// generic and never inlined, so that the allocation paths it runs are the core's
/// compiled copy: as the body of the iterator's closure it was compiled in the crate
/// that drives the iterator (the engine's kernel comparison), at that crate's
/// opt-level, and the page's wasm held a third copy of every allocation path
/// (docs/performance.md, branch size21).
#[inline(never)]
fn replay_call(allocator: &mut Allocator, allocations: &mut Allocations, record: Record) -> Call {
    let mut events = Vec::new();
    let _ = execute(allocator, allocations, &record.operation, &mut events);
    Call {
        operation: record.operation,
        outcome: record.outcome,
        events,
    }
}

/// What follows a successful operation, whichever sink heard it.
fn after_operation(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    operation: &Operation,
    events: &[Event],
) {
    // The CPU an operation ran on is the current one again, and a sysctl write
    // changed settings without an event: for a recording state, the last changes of
    // the call say so.
    allocator.note_small();
    if matches!(operation, Operation::Sysctl { .. }) {
        allocator.note_machine();
    }
    track_ownership(allocations, events);
}

/// [`operate`]'s allocations and frees, the operations a workload's loop runs nearly
/// all the time: [`execute_recording`] runs them with its own sink's compiled paths
/// and every other operation (drains, reclaim, compaction, hotplug, placements from a
/// trace) through `dyn`, so the page's wasm does not hold a second copy of those
/// paths for the recording sink (docs/performance.md, branch size21).
fn operate_pages<S: TraceSink>(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    operation: &Operation,
    events: &mut S,
) -> Result<Outcome, EngineError> {
    let outcome = match *operation {
        Operation::Alloc {
            order,
            gfp,
            node,
            ref nodemask,
            cpu,
            use_,
        } => {
            let previous_cpu = allocator.cpu;
            if let Some(cpu) = cpu {
                allocator.set_cpu(cpu)?;
            }
            let owner = allocations.len() as u64;
            let result = allocator.alloc_for_nodemask(
                node,
                nodemask.as_deref(),
                gfp,
                order,
                use_,
                owner,
                events,
            );
            if cpu.is_some() {
                allocator.cpu = previous_cpu;
            }
            let index = allocations.len();
            let result = result?;
            allocations.push(result.map(|a| (a.pfn, a.order)));
            match result {
                Some(allocation) => Outcome::Allocated { index, allocation },
                None => Outcome::Failed { index },
            }
        }
        Operation::Free { index, cpu } => {
            let previous_cpu = allocator.cpu;
            if let Some(cpu) = cpu {
                allocator.set_cpu(cpu)?;
            }
            let result = free_allocation(allocator, allocations, index, events);
            allocator.cpu = previous_cpu;
            result?
        }
        _ => {
            return operate(
                allocator,
                allocations,
                operation,
                &mut (events as &mut dyn TraceSink),
            )
        }
    };
    Ok(outcome)
}

/// The allocator's side of [`execute`]: the operation's kernel path.
fn operate<S: TraceSink>(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    operation: &Operation,
    events: &mut S,
) -> Result<Outcome, EngineError> {
    let outcome = match *operation {
        Operation::Alloc { .. } | Operation::Free { .. } => {
            return operate_pages(allocator, allocations, operation, events)
        }
        Operation::AllocAt {
            pfn,
            order,
            gfp,
            cpu,
            ref refill,
        } => {
            let previous_cpu = allocator.cpu;
            if let Some(cpu) = cpu {
                allocator.set_cpu(cpu)?;
            }
            let result = alloc_at(allocator, allocations, (pfn, order, gfp), refill, events);
            allocator.cpu = previous_cpu;
            result?
        }
        Operation::DrainLocal { cpu } => {
            let previous_cpu = allocator.cpu;
            allocator.set_cpu(cpu)?;
            allocator.drain_local_pages(events);
            allocator.cpu = previous_cpu;
            Outcome::Drained
        }
        Operation::DrainAll => {
            allocator.drain_all_pages(events);
            Outcome::Drained
        }
        Operation::DrainAt { ref pfns } => {
            allocator.drain_pcp_at(pfns, events);
            Outcome::Drained
        }
        Operation::RunKswapd { node } | Operation::KswapdWoken { node, .. } => Outcome::Reclaimed {
            pages: allocator.run_kswapd(node, events)?,
        },
        Operation::CompactMemory => {
            allocator.compact_memory(events);
            Outcome::Compacted
        }
        Operation::DropCaches => Outcome::Reclaimed {
            pages: allocator.drop_caches(events),
        },
        Operation::Sysctl {
            ref name,
            ref value,
        } => {
            allocator.set_sysctl(name, value)?;
            Outcome::SysctlWritten
        }
        Operation::OfflineSection { section } => {
            match allocator.offline_section(section, events)? {
                Ok(()) => Outcome::Hotplugged { online: false },
                Err(failure) => Outcome::HotplugRefused {
                    reason: failure.to_string(),
                },
            }
        }
        Operation::OnlineSection { section } => {
            allocator.online_section(section, events)?;
            Outcome::Hotplugged { online: true }
        }
    };
    Ok(outcome)
}

/// [`Operation::AllocAt`] on the allocator's current CPU.
fn alloc_at(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    (pfn, order, gfp): (Option<u64>, u32, Option<Gfp>),
    refill: &[u64],
    events: &mut impl TraceSink,
) -> Result<Outcome, EngineError> {
    if Order::new(order).is_none() {
        return Err(EngineError::OrderTooLarge { order });
    }
    // A traced refill says the kernel's per-cpu list was empty: what the model
    // still has there went to allocations the trace does not show.
    if let (Some(gfp), Some(&first)) = (gfp, refill.first()) {
        allocator.take_untraced_pcp(Pfn(first), order, allocator.gfp_migratetype(gfp), events);
    }
    let model_pick = match gfp {
        None => ModelPick::NotAsked,
        Some(gfp) => match allocator.predict_alloc(-1, gfp, order) {
            Some(at) => ModelPick::At(at),
            None => ModelPick::Failed,
        },
    };
    if let (Some(gfp), false) = (gfp, refill.is_empty()) {
        let migratetype = allocator.gfp_migratetype(gfp);
        allocator.refill_pcp_at(refill, order, migratetype, events)?;
    }
    let index = allocations.len();
    let placed = match pfn {
        Some(pfn) => {
            allocator.take_block_at(Pfn(pfn), order, PageUse::Kernel, index as u64, events)?
        }
        None => None,
    };
    allocations.push(placed.map(|a| (a.pfn, a.order)));
    Ok(match placed {
        Some(allocation) => Outcome::Placed {
            index,
            allocation,
            model_pick,
        },
        None => Outcome::NotPlaced {
            index,
            pfn: pfn.map(Pfn),
            model_pick,
        },
    })
}

/// Frees allocation `index` on the allocator's current CPU.
fn free_allocation(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    index: usize,
    events: &mut impl TraceSink,
) -> Result<Outcome, EngineError> {
    let Some((pfn, order)) = allocations.block(index) else {
        return Err(EngineError::NoSuchAllocation { index });
    };
    if allocations.is_freed(index) {
        return Err(EngineError::NotAllocated { pfn });
    }
    allocator.free_owned(pfn, u32::from(order.get()), events)?;
    allocations.set_freed(index);
    Ok(Outcome::Freed { index, pfn, order })
}

/// What an event does to the allocation table: reclaim takes a page from its owner
/// (`None`: no longer held); compaction and the migration of a range (memory
/// offlining) move it (`Some(pfn)`: held there now). The owner is the allocation's
/// index.
fn ownership_change(event: &Event) -> Option<(usize, Option<Pfn>)> {
    match *event {
        Event::Reclaimed { owner, .. } => Some((owner as usize, None)),
        Event::Migrated { to, owner, .. }
        | Event::ContigMigrated {
            to,
            owner: Some(owner),
            ..
        } => Some((owner as usize, Some(to))),
        _ => None,
    }
}

fn track_ownership(allocations: &mut Allocations, events: &[Event]) {
    for (owner, now) in events.iter().filter_map(ownership_change) {
        match now {
            None => allocations.set_freed(owner),
            Some(pfn) => allocations.move_to(owner, pfn),
        }
    }
}

#[cfg(test)]
mod allocations_tests {
    use super::Allocations;
    use crate::types::{Order, Pfn};
    use std::rc::Rc;

    fn block(i: usize) -> Option<(Pfn, Order)> {
        (i % 7 != 3).then(|| (Pfn(i as u64 * 8), Order::new((i % 4) as u32).unwrap()))
    }

    /// A copy shares every chunk; changing one side copies only the chunk changed,
    /// and the other side still reads what it had.
    #[test]
    fn a_copy_shares_the_chunks_it_does_not_change() {
        let mut table = Allocations::default();
        let n = 3 * Allocations::CHUNK + 100;
        for i in 0..n {
            table.push(block(i));
        }
        let copy = table.clone();
        // In the second chunk, and not a NULL result (those are i % 7 == 3).
        let moved = Allocations::CHUNK + 2;
        assert!(block(moved).is_some());
        table.set_freed(5);
        table.move_to(moved, Pfn(0x1234));
        table.push(None);
        assert!(table.is_freed(5) && !copy.is_freed(5));
        assert_eq!(copy.block(moved), block(moved));
        assert_eq!(table.block(moved).map(|(p, _)| p), Some(Pfn(0x1234)));
        assert_eq!((table.len(), copy.len()), (n + 1, n));
        let shared: Vec<bool> = table
            .chunks
            .iter()
            .zip(&copy.chunks)
            .map(|(a, b)| Rc::ptr_eq(a, b))
            .collect();
        // Chunk 0 and 1 were changed, the last one grew; chunk 2 is still shared.
        assert_eq!(shared, [false, false, true, false]);
        for i in 0..n {
            if i != 5 && i != moved {
                assert_eq!(table.block(i), copy.block(i), "{i}");
                assert_eq!(table.is_freed(i), copy.is_freed(i), "{i}");
            }
            assert_eq!(copy.block(i), block(i), "{i}");
        }
        // A NULL result stays NULL: nothing to free or move.
        table.set_freed(3);
        assert_eq!(table.block(3), None);
        assert!(!table.is_freed(3));
    }

    /// `heap_bytes` answers what one growing `Vec<u64>` of the words would hold, as
    /// before the chunks (the checkpoint spacing reads it), in a copy too.
    #[test]
    fn heap_bytes_is_that_of_one_growing_vec() {
        let mut table = Allocations::default();
        let mut words: Vec<u64> = Vec::new();
        assert_eq!(table.heap_bytes(), 0);
        for i in 0..200_000 {
            table.push(block(i));
            words.push(0);
            assert_eq!(table.heap_bytes(), words.capacity() * 8, "{i}");
            if i == 70_000 {
                let copy = table.clone();
                let vec_copy = words.clone();
                assert_eq!(copy.heap_bytes(), vec_copy.capacity() * 8);
                table = copy;
                words = vec_copy;
            }
        }
    }
}
