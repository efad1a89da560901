//! A session: an allocator, the operations applied to it, every event each one
//! caused, and a way back to any earlier point.
//!
//! Going back never undoes anything. The session keeps a copy of the state every
//! [`CHECKPOINT_EVERY`] calls; the state after call `n` is the nearest checkpoint
//! at or before `n` with the calls after it applied again. The engine is
//! deterministic, so that gives exactly the state that was there.
//!
//! Stepping works on a [`Cursor`]: a call and a position among that call's events.
//! Inside a call the state is the state before the call. The events say what the call
//! is deciding (zone tried, watermark compared, list taken from). Once the cursor
//! passes a call's last event, the state is the state after the call. A kernel
//! function cannot be paused halfway here. This is how it is shown instead.

use crate::alloc::gfp::Gfp;
use crate::alloc::reclaim::PageUse;
use crate::alloc::{Allocation, Allocator};
use crate::error::EngineError;
use crate::trace::Event;
use crate::types::{Order, Pfn};

/// How often the session keeps a full copy of the state at first. When more than
/// [`CHECKPOINTS_MAX`] copies (or more than [`CHECKPOINT_BUDGET_BYTES`] of them)
/// would be kept, every other one is dropped and the spacing doubles, so memory stays
/// bounded and going back costs at most one spacing of replayed calls.
pub const CHECKPOINT_EVERY: usize = 64;
/// The most checkpoints kept.
pub const CHECKPOINTS_MAX: usize = 32;
/// The most bytes of checkpoints kept (at least two checkpoints are always kept).
pub const CHECKPOINT_BUDGET_BYTES: usize = 256 << 20;

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
    /// `drain_local_pages()` on a CPU.
    DrainLocal { cpu: u32 },
    /// `drain_all_pages()`.
    DrainAll,
    /// Wake kswapd on a node and let it run until the node is balanced.
    RunKswapd { node: u32 },
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

/// A position in the timeline: call `call`, after `event` of its events (0: none
/// yet; `events.len()`: the call has returned).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub call: usize,
    pub event: usize,
}

/// The allocations made so far: index → block while live.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Allocations {
    blocks: Vec<Option<(Pfn, Order)>>,
    freed: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Checkpoint {
    calls: usize,
    allocator: Allocator,
    allocations: Allocations,
}

/// An allocator and its history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    checkpoints: Vec<Checkpoint>,
    /// Calls between checkpoints now.
    spacing: usize,
    calls: Vec<Call>,
    current: Allocator,
    allocations: Allocations,
}

impl Session {
    /// A session starting from `allocator`.
    pub fn new(allocator: Allocator) -> Session {
        Session {
            spacing: CHECKPOINT_EVERY,
            checkpoints: vec![Checkpoint {
                calls: 0,
                allocator: allocator.clone(),
                allocations: Allocations::default(),
            }],
            calls: Vec::new(),
            current: allocator,
            allocations: Allocations::default(),
        }
    }

    /// The state after every call so far.
    pub fn current(&self) -> &Allocator {
        &self.current
    }

    /// Every call so far.
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// Allocations made so far (NULL results included): the next one's index.
    pub fn allocations_made(&self) -> usize {
        self.allocations.blocks.len()
    }

    /// Whether allocation `index` holds a block now (not NULL, freed or reclaimed).
    pub fn is_live(&self, index: usize) -> bool {
        matches!(self.allocations.blocks.get(index), Some(Some(_)))
            && !self.allocations.freed.get(index).copied().unwrap_or(true)
    }

    /// Applies `operation`. Bad input (an order above 10, a node or CPU that does
    /// not exist, freeing an allocation twice or one that never was) is an error and
    /// changes nothing; a failed allocation is an outcome.
    pub fn apply(&mut self, operation: Operation) -> Result<&Call, EngineError> {
        let call = execute(&mut self.current, &mut self.allocations, &operation)?;
        self.calls.push(call);
        if self.calls.len() % self.spacing == 0 {
            self.checkpoints.push(Checkpoint {
                calls: self.calls.len(),
                allocator: self.current.clone(),
                allocations: self.allocations.clone(),
            });
            self.thin_checkpoints();
        }
        self.calls.last().ok_or(EngineError::NothingAllocated)
    }

    /// The state after the first `calls` calls, rebuilt from the nearest checkpoint.
    pub fn state_after(&self, calls: usize) -> Allocator {
        let calls = calls.min(self.calls.len());
        if calls == self.calls.len() {
            return self.current.clone();
        }
        let (mut allocator, mut allocations) = self.restore(calls);
        self.replay_into(&mut allocator, &mut allocations, calls);
        allocator
    }

    /// The state at a cursor: before its call while the call is in progress, after
    /// it once the cursor has passed the call's last event.
    pub fn state_at(&self, cursor: Cursor) -> Allocator {
        let done = self
            .calls
            .get(cursor.call)
            .is_some_and(|c| cursor.event >= c.events.len());
        self.state_after(cursor.call + usize::from(done))
    }

    /// The event the cursor has just passed, if any.
    pub fn event_at(&self, cursor: Cursor) -> Option<&Event> {
        let call = self.calls.get(cursor.call)?;
        cursor.event.checked_sub(1).and_then(|i| call.events.get(i))
    }

    /// Forgets every call after the first `calls`, so a user who stepped back can go
    /// another way.
    pub fn truncate(&mut self, calls: usize) {
        if calls >= self.calls.len() {
            return;
        }
        let (mut allocator, mut allocations) = self.restore(calls);
        self.replay_into(&mut allocator, &mut allocations, calls);
        self.calls.truncate(calls);
        self.checkpoints.retain(|c| c.calls <= calls);
        self.spacing = CHECKPOINT_EVERY;
        while self.checkpoints.iter().any(|c| c.calls % self.spacing != 0) {
            self.spacing *= 2;
        }
        self.current = allocator;
        self.allocations = allocations;
    }

    /// Step into: the next event, moving into the next call after the last one.
    pub fn step_into(&self, cursor: Cursor) -> Cursor {
        match self.calls.get(cursor.call) {
            Some(call) if cursor.event < call.events.len() => Cursor {
                call: cursor.call,
                event: cursor.event + 1,
            },
            Some(_) if cursor.call + 1 < self.calls.len() => Cursor {
                call: cursor.call + 1,
                event: 0,
            },
            _ => cursor,
        }
    }

    /// Step over: to the end of the current call, or of the next one if this one has
    /// returned already.
    pub fn step_over(&self, cursor: Cursor) -> Cursor {
        match self.calls.get(cursor.call) {
            Some(call) if cursor.event < call.events.len() => Cursor {
                call: cursor.call,
                event: call.events.len(),
            },
            Some(_) => match self.calls.get(cursor.call + 1) {
                Some(next) => Cursor {
                    call: cursor.call + 1,
                    event: next.events.len(),
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
                event: self.calls[previous].events.len(),
            },
            None => cursor,
        }
    }

    /// The cursor `step` step-into moves from the start (the numbering a share link's
    /// `step=` and a scenario's `open_at` use): each call has one position before its
    /// first event and one after each event. Past the end, the end.
    pub fn cursor_at_step(&self, step: u64) -> Cursor {
        let mut left = step;
        for (index, call) in self.calls.iter().enumerate() {
            let positions = call.events.len() as u64 + 1;
            if left < positions {
                return Cursor {
                    call: index,
                    event: left as usize,
                };
            }
            left -= positions;
        }
        self.end()
    }

    /// The step number of a cursor (the inverse of [`Session::cursor_at_step`]).
    pub fn step_of(&self, cursor: Cursor) -> u64 {
        let before: u64 = self
            .calls
            .iter()
            .take(cursor.call)
            .map(|call| call.events.len() as u64 + 1)
            .sum();
        before + cursor.event as u64
    }

    /// The number of the last step (the end of the last call).
    pub fn last_step(&self) -> u64 {
        self.step_of(self.end())
    }

    /// The cursor after everything.
    pub fn end(&self) -> Cursor {
        match self.calls.len().checked_sub(1) {
            Some(last) => Cursor {
                call: last,
                event: self.calls[last].events.len(),
            },
            None => Cursor::default(),
        }
    }

    /// Drops every other checkpoint (keeping the first) while there are too many or
    /// they take too much memory, doubling the spacing each time.
    fn thin_checkpoints(&mut self) {
        let bytes_each = self.current.heap_bytes().max(1);
        let limit = (CHECKPOINT_BUDGET_BYTES / bytes_each).clamp(2, CHECKPOINTS_MAX);
        while self.checkpoints.len() > limit {
            self.spacing *= 2;
            let spacing = self.spacing;
            self.checkpoints.retain(|c| c.calls % spacing == 0);
        }
    }

    fn restore(&self, calls: usize) -> (Allocator, Allocations) {
        let checkpoint = self
            .checkpoints
            .iter()
            .rev()
            .find(|c| c.calls <= calls)
            .or_else(|| self.checkpoints.first());
        match checkpoint {
            Some(c) => (c.allocator.clone(), c.allocations.clone()),
            None => (self.current.clone(), self.allocations.clone()),
        }
    }

    fn replay_into(&self, allocator: &mut Allocator, allocations: &mut Allocations, calls: usize) {
        let from = self
            .checkpoints
            .iter()
            .rev()
            .find(|c| c.calls <= calls)
            .map_or(0, |c| c.calls);
        for call in self.calls.iter().take(calls).skip(from) {
            // Every recorded call succeeded once on exactly this state.
            let _ = execute(allocator, allocations, &call.operation);
        }
    }
}

/// Runs one operation; on bad input nothing changes.
fn execute(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    operation: &Operation,
) -> Result<Call, EngineError> {
    let mut events = Vec::new();
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
            let owner = allocations.blocks.len() as u64;
            let result = allocator.alloc_for_nodemask(
                node,
                nodemask.as_deref(),
                gfp,
                order,
                use_,
                owner,
                &mut events,
            );
            if cpu.is_some() {
                allocator.cpu = previous_cpu;
            }
            let index = allocations.blocks.len();
            let result = result?;
            allocations.blocks.push(result.map(|a| (a.pfn, a.order)));
            allocations.freed.push(false);
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
            let result = free_allocation(allocator, allocations, index, &mut events);
            allocator.cpu = previous_cpu;
            result?
        }
        Operation::DrainLocal { cpu } => {
            let previous_cpu = allocator.cpu;
            allocator.set_cpu(cpu)?;
            allocator.drain_local_pages(&mut events);
            allocator.cpu = previous_cpu;
            Outcome::Drained
        }
        Operation::DrainAll => {
            allocator.drain_all_pages(&mut events);
            Outcome::Drained
        }
        Operation::RunKswapd { node } => Outcome::Reclaimed {
            pages: allocator.run_kswapd(node, &mut events)?,
        },
        Operation::CompactMemory => {
            allocator.compact_memory(&mut events);
            Outcome::Compacted
        }
        Operation::DropCaches => Outcome::Reclaimed {
            pages: allocator.drop_caches(&mut events),
        },
        Operation::Sysctl {
            ref name,
            ref value,
        } => {
            allocator.set_sysctl(name, value)?;
            Outcome::SysctlWritten
        }
        Operation::OfflineSection { section } => {
            match allocator.offline_section(section, &mut events)? {
                Ok(()) => Outcome::Hotplugged { online: false },
                Err(failure) => Outcome::HotplugRefused {
                    reason: failure.to_string(),
                },
            }
        }
        Operation::OnlineSection { section } => {
            allocator.online_section(section, &mut events)?;
            Outcome::Hotplugged { online: true }
        }
    };
    track_ownership(allocations, &events);
    Ok(Call {
        operation: operation.clone(),
        outcome,
        events,
    })
}

/// Frees allocation `index` on the allocator's current CPU.
fn free_allocation(
    allocator: &mut Allocator,
    allocations: &mut Allocations,
    index: usize,
    events: &mut Vec<Event>,
) -> Result<Outcome, EngineError> {
    let Some(Some((pfn, order))) = allocations.blocks.get(index).copied() else {
        return Err(EngineError::NoSuchAllocation { index });
    };
    if allocations.freed.get(index).copied().unwrap_or(true) {
        return Err(EngineError::NotAllocated { pfn });
    }
    allocator.free_owned(pfn, u32::from(order.get()), events)?;
    if let Some(flag) = allocations.freed.get_mut(index) {
        *flag = true;
    }
    Ok(Outcome::Freed { index, pfn, order })
}

/// Reclaim takes pages from their owners; compaction moves them.
fn track_ownership(allocations: &mut Allocations, events: &[Event]) {
    for event in events {
        match *event {
            Event::Reclaimed { owner, .. } => {
                if let Some(flag) = allocations.freed.get_mut(owner as usize) {
                    *flag = true;
                }
            }
            Event::Migrated { to, owner, .. } => {
                if let Some(Some((pfn, _))) = allocations.blocks.get_mut(owner as usize) {
                    *pfn = to;
                }
            }
            _ => {}
        }
    }
}
