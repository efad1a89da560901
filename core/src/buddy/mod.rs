//! One zone's buddy free lists: `struct zone`'s `free_area[MAX_ORDER]` and the parts
//! of `struct page` the buddy allocator reads (`PageBuddy`, `buddy_order`).
//!
//! This is the foundation slice: a single zone, a single migratetype, no per-cpu lists
//! and no watermarks, so every allocation is `__rmqueue_smallest()` + `expand()` and
//! every free is `__free_one_page()`. The list order, the split order and the merge
//! rules are the kernel's; what is absent is listed in `buddyscope_engine::LIMITATIONS`.

pub mod chunked;
pub mod frag;
pub mod journal;
pub mod lists;
pub mod stack;

use crate::error::EngineError;
use crate::event::{AfterNoBlock, Event, Placement};
use crate::limits::ZONE_PAGES_MAX;
use crate::types::Kernel;
use crate::types::{
    MigrateType, Order, Pfn, MAX_ORDER, MIGRATE_TYPES_STORED as MIGRATE_TYPES, PAGEBLOCK_ORDER,
};
use chunked::Chunked;
use journal::{BuddyOp, BuddyUndo, Recorder};
use lists::PageLists;

/// Where trace events go. `()` discards them (boot-time freeing of a large zone would
/// otherwise record millions), a `Vec<Event>` keeps them.
///
/// Every modelled kernel function tells the sink when the engine enters and leaves
/// it ([`traced`]), so a sink that wants the call stack of each event
/// ([`stack::StackRecorder`]) records the path the engine really took; the others
/// ignore it.
pub trait TraceSink {
    /// Records one event.
    fn emit(&mut self, event: Event);

    /// The engine enters the model of kernel function `function`.
    fn enter(&mut self, _function: &'static str) {}

    /// The engine leaves the function it entered last.
    fn leave(&mut self) {}

    /// Whether this sink keeps what it hears. `false` (the `()` sink) lets the
    /// engine skip building what only an event would carry, such as the terms of a
    /// watermark check, and run a path without its events or function entries at
    /// all (the per-cpu allocation's shortcut, `alloc_pages_pcp_quiet()`); the
    /// state changes and the results stay the same. A sink that does not listen
    /// may therefore hear only part of a call.
    fn listening(&self) -> bool {
        true
    }
}

/// Runs `body` as the model of kernel function `function`: the sink hears of the
/// entry before and the exit after, whichever way `body` returns.
pub fn traced<S: TraceSink + ?Sized, R>(
    trace: &mut S,
    function: &'static str,
    body: impl FnOnce(&mut S) -> R,
) -> R {
    trace.enter(function);
    let result = body(trace);
    trace.leave();
    result
}

impl TraceSink for () {
    #[inline(always)]
    fn emit(&mut self, event: Event) {
        event.discard();
    }

    #[inline(always)]
    fn enter(&mut self, _function: &'static str) {}

    #[inline(always)]
    fn leave(&mut self) {}

    #[inline(always)]
    fn listening(&self) -> bool {
        false
    }
}

/// A sink behind a reference, so callers can hand the engine `&mut dyn TraceSink`:
/// the allocation paths are generic over the sink and compiled once per sink type,
/// and every sink reached as `&mut dyn TraceSink` shares one copy of them (the page's
/// wasm would otherwise hold a copy per sink the session uses: docs/performance.md).
impl<S: TraceSink + ?Sized> TraceSink for &mut S {
    #[inline]
    fn emit(&mut self, event: Event) {
        (**self).emit(event);
    }

    #[inline]
    fn enter(&mut self, function: &'static str) {
        (**self).enter(function);
    }

    #[inline]
    fn leave(&mut self) {
        (**self).leave();
    }

    #[inline]
    fn listening(&self) -> bool {
        (**self).listening()
    }
}

impl TraceSink for Vec<Event> {
    fn emit(&mut self, event: Event) {
        self.push(event);
    }
}

/// What a block of pages is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockState {
    /// On a free list (`PageBuddy` set on its first page).
    Free,
    /// Handed out by an allocation.
    Allocated,
    /// A page the buddy allocator never manages: a hole in the zone's span or memory
    /// the kernel kept at boot (memmap, reservations). Always order 0.
    Reserved,
}

/// A naturally aligned run of `2^order` pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub pfn: Pfn,
    pub order: Order,
    pub state: BlockState,
}

// One byte of state a page: what the page heads (bits 4-5) and its block's order
// (bits 0-3). Pages inside a block are KIND_TAIL; only a block's first page says what
// the block is, as only the first page of a kernel buddy block carries PageBuddy and
// the order in page_private.
const KIND_TAIL: u8 = 0;
const KIND_FREE: u8 = 1 << 4;
const KIND_ALLOCATED: u8 = 2 << 4;
const KIND_RESERVED: u8 = 3 << 4;
const KIND_MASK: u8 = 0x30;
/// On a page that is not free: the kernel could migrate it (PageLRU or
/// __PageMovable), which `move_freepages()` counts.
const FLAG_MOVABLE: u8 = 0x40;
/// Raw pageblock value for a pageblock with no memory map (`!pfn_valid`).
pub const PAGEBLOCK_NO_MEMMAP: u8 = 0xff;
const ORDER_MASK: u8 = 0x0f;

/// One zone's pages and free lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuddyZone {
    start_pfn: Pfn,
    nr_pages: u32,
    /// Each page's state byte, stored by max-order block ([`chunked`]).
    state: Chunked<u8>,
    /// For a free block's first page, the migratetype of the list it is on.
    list_type: Chunked<u8>,
    /// The migratetype of each pageblock touching the zone (`pageblock_flags`), from
    /// the one holding `start_pfn`.
    pageblock_type: Vec<u8>,
    /// `free_area[order].free_list[migratetype]`, at `order * MIGRATE_TYPES + mt`.
    lists: PageLists,
    /// Where changes are recorded while a session steps through a call (see
    /// [`journal`]); every change goes through the `w_*` and `l_*` methods.
    recorder: Recorder,
    /// Whose `__free_one_page()` runs: 6.12 gives a merged buddy's pageblocks the
    /// freed block's type.
    kernel: Kernel,
    /// `page_group_by_mobility_disabled`: set after boot when grouping is off (see
    /// `machine::mobility`), so [`BuddyZone::set_pageblock_type`] folds the
    /// per-cpu types into MIGRATE_UNMOVABLE as the kernel does. The boot-time
    /// Movable pageblocks of [`BuddyZone::new`] are set before it, as
    /// `memmap_init()` runs before `build_all_zonelists()`.
    mobility_disabled: bool,
}

impl BuddyZone {
    /// A zone of `nr_pages` pages from `start_pfn`, every page free, entered into the
    /// free lists as `memblock_free_all()` does: `__free_pages_memory()` cuts the range
    /// into the largest naturally aligned blocks, in ascending pfn order, and frees
    /// each with `FPI_TO_TAIL`, so the lists end up in ascending pfn order.
    pub fn new(start_pfn: u64, nr_pages: u64) -> Result<BuddyZone, EngineError> {
        let all = [(start_pfn, start_pfn.saturating_add(nr_pages))];
        BuddyZone::with_free_ranges(start_pfn, nr_pages, &all, &all)
    }

    /// A zone spanning `nr_pages` from `start_pfn` whose `memory` (`[start, end)`
    /// pfn ranges) is initialised as `memmap_init_range()` does, marking every
    /// pageblock whose first pfn is memory MOVABLE (other pageblocks keep type 0,
    /// Unmovable), and in which only `free` ranges reach the buddy allocator; every
    /// other page is reserved. `memblock_free_all()` frees each free range with
    /// `__free_pages_memory()`, each block to the list of its pageblock's type.
    pub fn with_free_ranges(
        start_pfn: u64,
        nr_pages: u64,
        memory: &[(u64, u64)],
        free: &[(u64, u64)],
    ) -> Result<BuddyZone, EngineError> {
        if nr_pages == 0 {
            return Err(EngineError::EmptyZone);
        }
        if nr_pages > ZONE_PAGES_MAX {
            return Err(EngineError::ZoneTooLarge {
                pages: nr_pages,
                limit: ZONE_PAGES_MAX,
            });
        }
        // Keep every pfn (and its buddy) well inside u64 so the arithmetic below can
        // never overflow.
        if start_pfn > (u64::MAX >> 8) - nr_pages {
            return Err(EngineError::ZoneOutOfRange {
                start_pfn,
                pages: nr_pages,
            });
        }
        let pages = nr_pages as u32;
        let end_pfn = start_pfn + nr_pages;
        let first_block = start_pfn >> PAGEBLOCK_ORDER;
        let blocks = ((end_pfn - 1) >> PAGEBLOCK_ORDER) - first_block + 1;
        let mut zone = BuddyZone {
            start_pfn: Pfn(start_pfn),
            nr_pages: pages,
            state: Chunked::new(start_pfn, pages, KIND_RESERVED, KIND_RESERVED),
            list_type: Chunked::new(start_pfn, pages, 0, 0),
            pageblock_type: vec![MigrateType::Unmovable as u8; blocks as usize],
            lists: PageLists::new(start_pfn, pages, MAX_ORDER as usize * MIGRATE_TYPES),
            recorder: Recorder::default(),
            kernel: Kernel::V6_1,
            mobility_disabled: false,
        };
        for &(start, end) in memory {
            let (start, end) = (start.max(start_pfn), end.min(end_pfn));
            let mut pfn = start.next_multiple_of(1 << PAGEBLOCK_ORDER);
            while pfn < end {
                zone.set_pageblock_type(Pfn(pfn), MigrateType::Movable);
                pfn += 1 << PAGEBLOCK_ORDER;
            }
        }
        for &(start, end) in free {
            let (start, end) = (start.max(start_pfn), end.min(end_pfn));
            if start < end {
                zone.free_range_at_boot(start, end);
            }
        }
        Ok(zone)
    }

    /// `__free_pages_memory()`: free `[start, end)` in the largest aligned chunks.
    fn free_range_at_boot(&mut self, mut start: u64, end: u64) {
        while start < end {
            // pfn 0 is aligned to every order; trailing_zeros gives 64 for it.
            let mut order = (start.trailing_zeros() as u8).min(MAX_ORDER - 1);
            while start + (1u64 << order) > end {
                order -= 1;
            }
            let order = Order::new(u32::from(order)).unwrap_or(Order::ZERO);
            if let Some(index) = self.index_of(Pfn(start)) {
                // The block's pages stop being reserved; its head is set when it is
                // put on a free list.
                let first = index as usize;
                let last = first + order.pages() as usize;
                self.w_fill(first as u32, last as u32, KIND_TAIL);
            }
            let migratetype = self.pageblock_type(Pfn(start));
            self.free_one_page(Pfn(start), order, migratetype, true, &mut ());
            start += order.pages();
        }
    }

    /// First pfn of the zone.
    pub fn start_pfn(&self) -> Pfn {
        self.start_pfn
    }

    /// Pages the zone spans.
    pub fn nr_pages(&self) -> u64 {
        u64::from(self.nr_pages)
    }

    /// One past the last pfn of the zone.
    pub fn end_pfn(&self) -> Pfn {
        Pfn(self.start_pfn.0 + u64::from(self.nr_pages))
    }

    /// `free_area[order].nr_free`: free blocks of this order, of every migratetype.
    pub fn nr_free(&self, order: Order) -> u32 {
        self.lists.group_len(usize::from(order.get()))
    }

    /// Free blocks of this order on the `migratetype` list.
    pub fn nr_free_of_type(&self, order: Order, migratetype: MigrateType) -> u32 {
        self.lists.len(list_of(order, migratetype))
    }

    /// Every order's `free_area[order].nr_free`, as `fill_contig_page_info()` reads
    /// them. The lists are stored order by order, `MIGRATE_TYPES` of them an order
    /// (`list_of`), and each order's total is kept as they change: the timeline's
    /// series reads this after every call.
    pub fn nr_free_counts(&self) -> [u64; crate::types::NR_ORDERS] {
        self.lists.group_lens().map(u64::from)
    }

    /// The same as `u32`s, as kept (the series compares them after every call).
    #[inline]
    pub fn nr_free_counts_u32(&self) -> &[u32; crate::types::NR_ORDERS] {
        self.lists.group_lens()
    }

    /// `get_pfnblock_migratetype()`: the type of the pageblock holding `pfn`.
    pub fn pageblock_type(&self, pfn: Pfn) -> MigrateType {
        let index = (pfn.0 >> PAGEBLOCK_ORDER).wrapping_sub(self.start_pfn.0 >> PAGEBLOCK_ORDER);
        let raw = self
            .pageblock_type
            .get(index as usize)
            .copied()
            .unwrap_or(0);
        MigrateType::from_index(raw as usize).unwrap_or(MigrateType::Unmovable)
    }

    /// `set_pageblock_migratetype()`: with grouping by mobility off, Unmovable,
    /// Movable and Reclaimable (the types below MIGRATE_PCPTYPES) are all stored
    /// as Unmovable; HighAtomic, CMA and Isolate are stored as asked.
    pub fn set_pageblock_type(&mut self, pfn: Pfn, migratetype: MigrateType) {
        let migratetype = if self.mobility_disabled && migratetype.is_pcp_type() {
            MigrateType::Unmovable
        } else {
            migratetype
        };
        let index = (pfn.0 >> PAGEBLOCK_ORDER).wrapping_sub(self.start_pfn.0 >> PAGEBLOCK_ORDER);
        if let Ok(index) = usize::try_from(index) {
            self.set_pageblock_raw(index, migratetype as u8);
        }
    }

    /// Pages the zone spans that are not reserved (`managed_pages`).
    pub fn managed_pages(&self) -> u64 {
        self.state
            .count(0u32, self.nr_pages, |s| s & KIND_MASK != KIND_RESERVED)
    }

    /// Free pages in the zone (`NR_FREE_PAGES`).
    pub fn free_pages(&self) -> u64 {
        Order::all()
            .map(|order| u64::from(self.nr_free(order)) * order.pages())
            .sum()
    }

    /// The free list of `order` and `migratetype`, head first: the order the
    /// allocator takes blocks in.
    pub fn free_list(&self, order: Order, migratetype: MigrateType) -> Vec<Pfn> {
        self.lists
            .iter(list_of(order, migratetype))
            .map(|index| self.pfn_of(index))
            .collect()
    }

    /// Allocates a MOVABLE block of `order` with [`BuddyZone::rmqueue_smallest`].
    pub fn alloc(&mut self, order: Order, trace: &mut impl TraceSink) -> Option<Pfn> {
        let migratetype = MigrateType::Movable;
        let page = self.rmqueue_smallest(order, migratetype, trace);
        if page.is_none() {
            trace.emit(Event::NoBlock {
                order,
                migratetype,
                then: AfterNoBlock::GiveUp,
            });
        }
        page
    }

    /// `__rmqueue_smallest()`: walks the free areas from `order` up, takes the first
    /// block on the first non-empty `migratetype` list, and splits it down with
    /// `expand()`. `None` when no list from `order` up has a block; that is an
    /// outcome, not an error, and the caller tells it (its next step depends on it).
    pub fn rmqueue_smallest(
        &mut self,
        order: Order,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        for current in Order::all().skip(order.get() as usize) {
            if self.lists.first(list_of(current, migratetype)).is_none() {
                trace.emit(Event::AreaEmpty {
                    order: current,
                    migratetype,
                });
                continue;
            }
            return self.del_and_expand(current, migratetype, order, migratetype, false, trace);
        }
        None
    }

    /// Takes the head of `free_area[current].free_list[from]` and cuts it down to
    /// `low` with `expand()`, the halves going to the `to` lists (`from` for
    /// `page_del_and_expand()`; the requester's type when 6.12's
    /// `try_to_steal_block()` claims whole pageblocks). `None` if that list is empty.
    /// `fallback`: Linux 6.12's fallback paths take the block themselves
    /// (`__del_page_from_free_list()`), not `__rmqueue_smallest()`, and say so.
    pub fn del_and_expand(
        &mut self,
        current: Order,
        from: MigrateType,
        low: Order,
        to: MigrateType,
        fallback: bool,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let index = self.lists.first(list_of(current, from))?;
        let pfn = self.pfn_of(index);
        // Changed before the event that says so, so a session stepping through
        // the call shows the block off its list at this event (see `journal`).
        // While it is cut down, the block reads as in use at its current order.
        self.l_remove(list_of(current, from), index);
        self.w_state(index, KIND_ALLOCATED | current.get());
        if fallback {
            traced(trace, "__del_page_from_free_list", |trace| {
                trace.emit(Event::BlockTaken {
                    pfn,
                    order: current,
                    migratetype: from,
                })
            });
        } else {
            trace.emit(Event::TakeBlock {
                pfn,
                order: current,
                migratetype: from,
            });
        }
        self.expand(index, low, current, to, trace);
        self.w_state(index, KIND_ALLOCATED | low.get());
        Some(pfn)
    }

    /// Which kernel's `__free_one_page()` this zone runs (6.1 unless set).
    pub fn set_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
    }

    /// `page_group_by_mobility_disabled` as `build_all_zonelists()` last set it.
    pub fn set_mobility_disabled(&mut self, disabled: bool) {
        self.mobility_disabled = disabled;
    }

    /// Whether this zone's pageblock writes fold the per-cpu types into Unmovable.
    pub fn mobility_disabled(&self) -> bool {
        self.mobility_disabled
    }

    /// `expand()`: the block at `index` of order `high` is cut down to `low`; each
    /// upper half goes to the head of its free list, largest first.
    fn expand(
        &mut self,
        index: u32,
        low: Order,
        high: Order,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) {
        traced(trace, "expand", |trace| {
            let mut high = high;
            while high > low {
                let Some(lower) = high.lower() else { break };
                high = lower;
                let half = index + high.pages() as u32;
                self.l_push_head(list_of(high, migratetype), half);
                self.w_state(index, KIND_ALLOCATED | high.get());
                self.w_state(half, KIND_FREE | high.get());
                self.w_list_type(half, migratetype as u8);
                trace.emit(Event::SplitHalf {
                    pfn: self.pfn_of(half),
                    order: high,
                    migratetype,
                });
            }
        })
    }

    /// Frees the allocated block that starts at `pfn`, with the order it was allocated
    /// at (the kernel's caller passes the order; the model remembers it). Refuses a pfn
    /// outside the zone, a double free and a pfn inside a block, leaving the state as
    /// it was.
    pub fn free(&mut self, pfn: Pfn, trace: &mut impl TraceSink) -> Result<Order, EngineError> {
        let index = self
            .index_of(pfn)
            .ok_or(EngineError::PfnOutsideZone { pfn })?;
        let state = self.state.get(index);
        if state & KIND_MASK != KIND_ALLOCATED {
            return Err(EngineError::NotAllocated { pfn });
        }
        let state = state & (KIND_MASK | ORDER_MASK);
        let order = Order::new(u32::from(state & ORDER_MASK)).unwrap_or(Order::ZERO);
        self.w_state(index, KIND_TAIL);
        let migratetype = self.pageblock_type(pfn);
        self.free_one_page(pfn, order, migratetype, false, trace);
        Ok(order)
    }

    /// `__free_one_page()`: merge with the buddy while it is free at the same order
    /// (from pageblock order up, only if both pageblock types may merge), then put
    /// the block on the `migratetype` free list. `to_tail` is `FPI_TO_TAIL`; otherwise
    /// the block goes to the tail only if `buddy_merge_likely()`.
    fn free_one_page(
        &mut self,
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        to_tail: bool,
        trace: &mut impl TraceSink,
    ) {
        traced(trace, "__free_one_page", |trace| {
            let mut pfn = pfn;
            let mut order = order;
            // The kernel's buddy_pfn starts at 0 and keeps the last buddy looked at; it
            // only matters below MAX_ORDER - 2, where at least one buddy was looked at.
            let mut buddy_pfn = Pfn(0);
            while order < Order::MAX {
                buddy_pfn = pfn.buddy(order);
                let Some(buddy_index) = self.free_head_at(buddy_pfn, order) else {
                    break;
                };
                let mut retype = false;
                if order.get() >= PAGEBLOCK_ORDER {
                    let buddy_type = self.pageblock_type(buddy_pfn);
                    if migratetype != buddy_type
                        && (!migratetype.is_mergeable() || !buddy_type.is_mergeable())
                    {
                        break;
                    }
                    // 6.12 makes the buddy's pageblocks the freed block's type, so a
                    // later expand() puts every part on the right list (6.1 leaves
                    // them mixed).
                    retype = self.kernel == Kernel::V6_12 && buddy_type != migratetype;
                }
                if retype {
                    for i in 0..order.pages() >> PAGEBLOCK_ORDER {
                        self.set_pageblock_type(
                            Pfn(buddy_pfn.0 + (i << PAGEBLOCK_ORDER)),
                            migratetype,
                        );
                    }
                }
                let buddy_list = MigrateType::from_index(self.list_type.get(buddy_index) as usize)
                    .unwrap_or(MigrateType::Unmovable);
                // Changed before the event that says so (see `journal`). Until it is
                // put on a list, the merged block reads as one block in use of the next
                // order, headed by its lower half (the kernel's page is not PageBuddy
                // meanwhile).
                self.l_remove(list_of(order, buddy_list), buddy_index);
                self.w_state(buddy_index, KIND_TAIL);
                let combined = Pfn(pfn.0 & buddy_pfn.0);
                if let (Some(old), Some(new), Some(higher)) =
                    (self.index_of(pfn), self.index_of(combined), order.higher())
                {
                    if old != new {
                        self.w_state(old, KIND_TAIL);
                    }
                    self.w_state(new, KIND_ALLOCATED | higher.get());
                }
                trace.emit(Event::Merge {
                    pfn,
                    buddy: buddy_pfn,
                    order,
                });
                pfn = combined;
                order = order.higher().unwrap_or(Order::MAX);
            }
            let Some(index) = self.index_of(pfn) else {
                return;
            };
            self.w_state(index, KIND_FREE | order.get());
            self.w_list_type(index, migratetype as u8);
            let placement = if to_tail {
                Placement::TailRequested
            } else if self.buddy_merge_likely(pfn, buddy_pfn, order) {
                Placement::TailMergeLikely
            } else {
                Placement::Head
            };
            match placement {
                Placement::Head => self.l_push_head(list_of(order, migratetype), index),
                _ => self.l_push_tail(list_of(order, migratetype), index),
            }
            trace.emit(Event::AddFree {
                pfn,
                order,
                migratetype,
                placement,
            });
        })
    }

    /// `buddy_merge_likely()`: below `MAX_ORDER - 2`, is the buddy of the block that
    /// this one would merge into free at the next order?
    fn buddy_merge_likely(&self, pfn: Pfn, buddy_pfn: Pfn, order: Order) -> bool {
        if order.get() >= MAX_ORDER - 2 {
            return false;
        }
        let Some(higher) = order.higher() else {
            return false;
        };
        let higher_pfn = Pfn(buddy_pfn.0 & pfn.0);
        self.free_head_at(higher_pfn.buddy(higher), higher)
            .is_some()
    }

    /// `page_is_buddy()`: the page at `pfn` is in this zone, heads a free block, and
    /// that block has exactly `order`. Returns its index.
    fn free_head_at(&self, pfn: Pfn, order: Order) -> Option<u32> {
        let index = self.index_of(pfn)?;
        (self.state.get(index) == KIND_FREE | order.get()).then_some(index)
    }

    /// A zone in which every page is in use, no block is free and every pageblock is
    /// Unmovable: the starting point for loading a real kernel's state with
    /// [`BuddyZone::load_free_block`], [`BuddyZone::load_in_use`] and
    /// [`BuddyZone::set_pageblock_raw`].
    pub fn all_in_use(start_pfn: u64, nr_pages: u64) -> Result<BuddyZone, EngineError> {
        BuddyZone::with_free_ranges(start_pfn, nr_pages, &[], &[])
    }

    /// Appends a free block to the tail of `free_area[order].free_list[mt]`, as the
    /// list was walked head to tail in a dump. Refuses a block outside the zone,
    /// misaligned, or overlapping a block already free.
    pub fn load_free_block(
        &mut self,
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
    ) -> Result<(), EngineError> {
        let index = self
            .index_of(pfn)
            .ok_or(EngineError::PfnOutsideZone { pfn })?;
        let last = index as u64 + order.pages();
        if !pfn.is_aligned(order) || last > u64::from(self.nr_pages) {
            return Err(EngineError::PfnOutsideZone { pfn });
        }
        if self
            .state
            .any(index, last as u32, |s| s & KIND_MASK != KIND_RESERVED)
        {
            return Err(EngineError::NotAllocated { pfn });
        }
        self.w_fill(index, last as u32, KIND_TAIL);
        self.w_state(index, KIND_FREE | order.get());
        self.w_list_type(index, migratetype as u8);
        self.l_push_tail(list_of(order, migratetype), index);
        Ok(())
    }

    /// Marks the block at `pfn` as in use by the allocator's callers with `order`
    /// (a page on a per-cpu list, or a live allocation), so a later free of it is
    /// accepted.
    pub fn load_in_use(&mut self, pfn: Pfn, order: Order) -> Result<(), EngineError> {
        let index = self
            .index_of(pfn)
            .ok_or(EngineError::PfnOutsideZone { pfn })?;
        let last = index as u64 + order.pages();
        if last > u64::from(self.nr_pages)
            || self
                .state
                .any(index, last as u32, |s| s & KIND_MASK != KIND_RESERVED)
        {
            return Err(EngineError::NotAllocated { pfn });
        }
        self.w_fill(index, last as u32, KIND_TAIL);
        self.w_state(index, KIND_ALLOCATED | order.get());
        Ok(())
    }

    /// `init_cma_reserved_pageblock()`: a reserved pageblock becomes `migratetype`
    /// (MIGRATE_CMA) and is freed as one order-9 block through `__free_one_page()`.
    pub fn free_reserved_pageblock(
        &mut self,
        pfn: Pfn,
        migratetype: MigrateType,
    ) -> Result<(), EngineError> {
        let order = Order::new(u32::from(PAGEBLOCK_ORDER)).unwrap_or(Order::ZERO);
        self.claim_reserved(pfn, order)?;
        self.set_pageblock_type(pfn, migratetype);
        self.free_one_page(pfn, order, migratetype, false, &mut ());
        Ok(())
    }

    /// `__offline_isolated_pages()` for one block: the free block at `pfn` leaves
    /// its free list and its pages are no longer the buddy allocator's (they read as
    /// reserved, as a hole does). Returns its order, or `None` if no free block starts
    /// at `pfn`.
    pub fn offline_free_block(&mut self, pfn: Pfn) -> Option<Order> {
        let index = self.index_of(pfn)?;
        let state = self.state.get(index);
        if state & KIND_MASK != KIND_FREE {
            return None;
        }
        let order = Order::new(u32::from(state & ORDER_MASK))?;
        let list = MigrateType::from_index(self.list_type.get(index) as usize)?;
        self.l_remove(list_of(order, list), index);
        let range = index as usize..(index as u64 + order.pages()) as usize;
        self.w_fill(range.start as u32, range.end as u32, KIND_RESERVED);
        Some(order)
    }

    /// `generic_online_page()` for one block: reserved pages at `pfn` become the
    /// buddy allocator's, freed as one block of `order` to the tail of the
    /// `migratetype` list (`__free_pages_core()` frees with `FPI_TO_TAIL`). Refuses,
    /// changing nothing, a misaligned block or one holding a page that is not reserved.
    pub fn online_block(
        &mut self,
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        self.claim_reserved(pfn, order)?;
        self.free_one_page(pfn, order, migratetype, true, trace);
        Ok(())
    }

    /// Makes the reserved pages of the block of `order` at `pfn` one block about to be
    /// freed; refuses, changing nothing, a misaligned block or one holding a page that
    /// is not reserved.
    fn claim_reserved(&mut self, pfn: Pfn, order: Order) -> Result<(), EngineError> {
        let index = self
            .index_of(pfn)
            .ok_or(EngineError::PfnOutsideZone { pfn })?;
        let last = index as u64 + order.pages();
        if !pfn.is_aligned(order)
            || last > u64::from(self.nr_pages)
            || self
                .state
                .any(index, last as u32, |s| s & KIND_MASK != KIND_RESERVED)
        {
            return Err(EngineError::NotAllocated { pfn });
        }
        self.w_fill(index, last as u32, KIND_TAIL);
        Ok(())
    }

    /// Marks an in-use page as one the kernel could migrate (PageLRU).
    pub fn set_page_movable(&mut self, pfn: Pfn, movable: bool) {
        if let Some(index) = self.index_of(pfn) {
            let state = self.state.get(index);
            if state & KIND_MASK != KIND_FREE {
                let value = if movable {
                    state | FLAG_MOVABLE
                } else {
                    state & !FLAG_MOVABLE
                };
                self.w_state(index, value);
            }
        }
    }

    /// The raw pageblock type of pageblock `index` counted from the one holding the
    /// zone's first pfn ([`PAGEBLOCK_NO_MEMMAP`] for a hole without memmap).
    pub fn pageblock_raw(&self, index: usize) -> Option<u8> {
        self.pageblock_type.get(index).copied()
    }

    /// Sets the raw pageblock type of pageblock `index`.
    pub fn set_pageblock_raw(&mut self, index: usize, raw: u8) {
        if let Some(slot) = self.pageblock_type.get_mut(index) {
            *slot = raw;
            self.recorder.buddy(BuddyOp::Pageblock {
                index: index as u32,
                value: raw,
            });
        }
    }

    /// Pageblocks from the one holding the zone's first pfn to the zone's end.
    pub fn pageblock_count(&self) -> usize {
        self.pageblock_type.len()
    }

    /// `pageblock_start_pfn(zone_start_pfn)`.
    pub fn first_pageblock_pfn(&self) -> Pfn {
        Pfn(self.start_pfn.0 & !((1 << PAGEBLOCK_ORDER) - 1))
    }

    /// `get_page_from_free_area()`: the head of `free_area[order].free_list[mt]`.
    pub fn first_free(&self, order: Order, migratetype: MigrateType) -> Option<Pfn> {
        self.lists
            .first(list_of(order, migratetype))
            .map(|index| self.pfn_of(index))
    }

    /// `move_to_free_list()`: moves the free block at `pfn` to the tail of the
    /// `migratetype` list of its order.
    pub fn move_to_free_list(&mut self, pfn: Pfn, migratetype: MigrateType) {
        let Some(index) = self.index_of(pfn) else {
            return;
        };
        let state = self.state.get(index);
        if state & KIND_MASK != KIND_FREE {
            return;
        }
        let Some(order) = Order::new(u32::from(state & ORDER_MASK)) else {
            return;
        };
        let old = MigrateType::from_index(self.list_type.get(index) as usize)
            .unwrap_or(MigrateType::Unmovable);
        self.l_remove(list_of(order, old), index);
        self.l_push_tail(list_of(order, migratetype), index);
        self.w_list_type(index, migratetype as u8);
    }

    /// `move_freepages_block()`: moves every free block of the pageblock holding
    /// `pfn` to the tail of the `migratetype` lists. Returns the pages moved and the
    /// in-use pages that could be migrated. Like the kernel, a pageblock that starts
    /// before the zone is scanned from `pfn`, and one that ends after it is skipped.
    pub fn move_freepages_block(&mut self, pfn: Pfn, migratetype: MigrateType) -> (u64, u64) {
        let block = 1u64 << PAGEBLOCK_ORDER;
        let mut start = pfn.0 & !(block - 1);
        let end = start + block - 1;
        if self.index_of(Pfn(start)).is_none() {
            start = pfn.0;
        }
        if self.index_of(Pfn(end)).is_none() {
            return (0, 0);
        }
        let (mut moved, mut movable) = (0u64, 0u64);
        let mut current = start;
        while current <= end {
            let Some(index) = self.index_of(Pfn(current)) else {
                break;
            };
            let state = self.state.get(index);
            if state & KIND_MASK != KIND_FREE {
                if state & FLAG_MOVABLE != 0 {
                    movable += 1;
                }
                current += 1;
                continue;
            }
            let pages = 1u64 << (state & ORDER_MASK);
            self.move_to_free_list(Pfn(current), migratetype);
            current += pages;
            moved += pages;
        }
        (moved, movable)
    }

    /// 6.12's `prep_move_freepages_block()`: the pageblock holding `pfn` as its first
    /// pfn, its free pages and its in-use pages that could be migrated; `None` when
    /// the pageblock is not wholly inside the zone (6.1 scanned a partial one).
    pub fn pageblock_free_movable(&self, pfn: Pfn) -> Option<(Pfn, u64, u64)> {
        let block = 1u64 << PAGEBLOCK_ORDER;
        let start = pfn.0 & !(block - 1);
        self.index_of(Pfn(start))?;
        self.index_of(Pfn(start + block - 1))?;
        let (mut free, mut movable) = (0u64, 0u64);
        let mut current = start;
        while current < start + block {
            let state = self.index_of(Pfn(current)).map_or(0, |i| self.state.get(i));
            if state & KIND_MASK == KIND_FREE {
                let pages = 1u64 << (state & ORDER_MASK);
                free += pages;
                current += pages;
                continue;
            }
            if state & FLAG_MOVABLE != 0 {
                movable += 1;
            }
            current += 1;
        }
        Some((Pfn(start), free, movable))
    }

    /// 6.12's `__move_freepages_block()`: every free block of the pageblock starting
    /// at `start` goes to the tail of its order's `migratetype` list, then the
    /// pageblock gets that type. Returns each moved block's order and the list it
    /// left, in pfn order, for the caller's per-block accounting.
    pub fn move_pageblock_free_blocks(
        &mut self,
        start: Pfn,
        migratetype: MigrateType,
    ) -> Vec<(Order, MigrateType)> {
        let block = 1u64 << PAGEBLOCK_ORDER;
        let mut moved = Vec::new();
        let mut current = start.0;
        while current < start.0 + block {
            let Some(index) = self.index_of(Pfn(current)) else {
                break;
            };
            let state = self.state.get(index);
            if state & KIND_MASK != KIND_FREE {
                current += 1;
                continue;
            }
            let order = Order::new(u32::from(state & ORDER_MASK)).unwrap_or(Order::ZERO);
            let old = MigrateType::from_index(self.list_type.get(index) as usize)
                .unwrap_or(MigrateType::Unmovable);
            self.move_to_free_list(Pfn(current), migratetype);
            moved.push((order, old));
            current += order.pages();
        }
        self.set_pageblock_type(start, migratetype);
        moved
    }

    /// Whether `pfn` is a page the buddy allocator does not hold and no caller of the
    /// model was given (in use before the model started, or a hole).
    pub fn is_reserved_page(&self, pfn: Pfn) -> bool {
        self.index_of(pfn)
            .is_some_and(|i| self.state.get(i) & KIND_MASK == KIND_RESERVED)
    }

    /// Whether an in-use block of exactly `order` starts at `pfn`. Inlined: every
    /// free asks it, and the wasm build left it a call of its own that took a fifth
    /// of the order-0 workload's time in Chromium (docs/performance.md).
    ///
    /// The page's offset is not checked against the zone's span first: the state
    /// table is exactly as long as the span and answers `KIND_RESERVED` past its end,
    /// which a pfn below the start (a wrapped offset) also is, and a reserved page is
    /// no in-use block (the free path asks after finding the zone, which checked it).
    #[inline]
    pub fn is_in_use_block(&self, pfn: Pfn, order: Order) -> bool {
        let offset = pfn.0.wrapping_sub(self.start_pfn.0);
        self.state.get(offset) & (KIND_MASK | ORDER_MASK) == KIND_ALLOCATED | order.get()
    }

    /// The order of the free block starting at `pfn` (`buddy_order()`), if it is one.
    pub fn free_order(&self, pfn: Pfn) -> Option<Order> {
        let state = self.state.get(self.index_of(pfn)?);
        (state & KIND_MASK == KIND_FREE)
            .then(|| Order::new(u32::from(state & ORDER_MASK)))
            .flatten()
    }

    /// Returns an in-use block of `order` at `pfn` to the free lists through
    /// `__free_one_page()` with the given migratetype (`FPI_TO_TAIL` if `to_tail`).
    pub fn free_block(
        &mut self,
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        to_tail: bool,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        let index = self
            .index_of(pfn)
            .ok_or(EngineError::PfnOutsideZone { pfn })?;
        if self.state.get(index) & (KIND_MASK | ORDER_MASK) != KIND_ALLOCATED | order.get() {
            return Err(EngineError::NotAllocated { pfn });
        }
        self.w_state(index, KIND_TAIL);
        self.free_one_page(pfn, order, migratetype, to_tail, trace);
        Ok(())
    }

    /// Takes the free block at `pfn` off its free list (`__isolate_free_page()`'s list
    /// part) and leaves its pages in use as separate order-0 pages (`split_page()`),
    /// as compaction's free scanner holds them. Returns the block's order and the
    /// list it was on.
    pub fn isolate_free_block(&mut self, pfn: Pfn) -> Option<(Order, MigrateType)> {
        let index = self.index_of(pfn)?;
        let state = self.state.get(index);
        if state & KIND_MASK != KIND_FREE {
            return None;
        }
        let order = Order::new(u32::from(state & ORDER_MASK))?;
        let list = MigrateType::from_index(self.list_type.get(index) as usize)
            .unwrap_or(MigrateType::Unmovable);
        self.l_remove(list_of(order, list), index);
        let range = index as usize..(index as u64 + order.pages()) as usize;
        self.w_fill(range.start as u32, range.end as u32, KIND_ALLOCATED);
        Some((order, list))
    }

    /// `split_page()`: an in-use block of `order` at `pfn` becomes `2^order` in-use
    /// order-0 pages. False if there is no such block.
    pub fn split_in_use(&mut self, pfn: Pfn, order: Order) -> bool {
        if !self.is_in_use_block(pfn, order) {
            return false;
        }
        let Some(index) = self.index_of(pfn) else {
            return false;
        };
        let flags = self.state.get(index) & FLAG_MOVABLE;
        let range = index as usize..(index as u64 + order.pages()) as usize;
        self.w_fill(range.start as u32, range.end as u32, KIND_ALLOCATED | flags);
        true
    }

    /// Every block in the zone, in ascending pfn order.
    pub fn blocks(&self) -> impl Iterator<Item = Block> + '_ {
        let mut index = 0u32;
        core::iter::from_fn(move || {
            while index < self.nr_pages {
                let here = index;
                let state = self.state.get(here);
                let Some(block) = self.block_at(here, state) else {
                    // A tail where a head should be breaks an invariant; the checker
                    // reports it, the walk steps over the page.
                    index += 1;
                    continue;
                };
                index = here.saturating_add(block.order.pages() as u32);
                return Some(block);
            }
            None
        })
    }

    /// Every block in ascending pfn order as [`BuddyZone::blocks`] gives them, except
    /// that a max-order block of pages that all read the same (a run of reserved
    /// order-0 pages, stored as one value) comes as its first page's block and the
    /// number of such blocks, 1024: what a view of the whole machine needs, in time
    /// proportional to the blocks a workload touched rather than to the pages.
    pub fn for_each_run(&self, mut visit: impl FnMut(Block, u64)) {
        let mut index = 0u32;
        while index < self.nr_pages {
            let here = index;
            if let Some(state) = self.state.uniform_chunk_at(here) {
                if let Some(block) = self.block_at(here, state) {
                    if block.order == Order::ZERO {
                        visit(block, chunked::CHUNK_PAGES as u64);
                        index = here.saturating_add(chunked::CHUNK_PAGES as u32);
                        continue;
                    }
                }
            }
            let Some(block) = self.block_at(here, self.state.get(here)) else {
                index += 1;
                continue;
            };
            visit(block, 1);
            index = here.saturating_add(block.order.pages() as u32);
        }
    }

    /// The block that contains `pfn`, if `pfn` is in the zone.
    pub fn block_containing(&self, pfn: Pfn) -> Option<Block> {
        self.index_of(pfn)?;
        Order::all().find_map(|order| {
            let head = Pfn(pfn.0 & !(order.pages() - 1));
            let index = self.index_of(head)?;
            let block = self.block_at(index, self.state.get(index))?;
            (block.order >= order).then_some(block)
        })
    }

    fn block_at(&self, index: u32, state: u8) -> Option<Block> {
        let block_state = match state & KIND_MASK {
            KIND_FREE => BlockState::Free,
            KIND_ALLOCATED => BlockState::Allocated,
            KIND_RESERVED => BlockState::Reserved,
            _ => return None,
        };
        let order = Order::new(u32::from(state & ORDER_MASK))?;
        Some(Block {
            pfn: self.pfn_of(index),
            order,
            state: block_state,
        })
    }

    /// Checks every structural invariant of the zone; `Err` names the first broken one.
    ///
    /// - blocks are naturally aligned, inside the zone, and cover it exactly (so pages
    ///   are conserved: free + allocated = spanned);
    /// - each free list is well linked and `nr_free` equals its length;
    /// - each free list holds exactly the free blocks of its order;
    /// - no two free buddies of the same order are left unmerged (this slice has no
    ///   migratetype or isolation rule that would keep them apart).
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut free_heads = [0u32; MAX_ORDER as usize];
        let mut covered = 0u64;
        for block in self.blocks() {
            let index = self.index_of(block.pfn).ok_or("block outside the zone")?;
            if u64::from(index) != covered {
                return Err(format!("pages before pfn {} belong to no block", block.pfn));
            }
            if !block.pfn.is_aligned(block.order) {
                return Err(format!(
                    "block {} of order {} is misaligned",
                    block.pfn, block.order
                ));
            }
            if covered + block.order.pages() > u64::from(self.nr_pages) {
                return Err(format!(
                    "block {} of order {} runs past the zone",
                    block.pfn, block.order
                ));
            }
            if block.state == BlockState::Free {
                free_heads[block.order.get() as usize] += 1;
                self.check_merged(block)?;
            }
            covered += block.order.pages();
        }
        if covered != u64::from(self.nr_pages) {
            return Err(format!("blocks cover {covered} of {} pages", self.nr_pages));
        }
        self.lists.check_group_lens()?;
        for order in Order::all() {
            let mut listed = 0u32;
            for migratetype in MigrateType::STORED {
                let list = list_of(order, migratetype);
                self.lists.check(list)?;
                listed += self.lists.len(list);
                for index in self.lists.iter(list) {
                    let on_list = self.list_type.get(index);
                    if self.state.get(index) != KIND_FREE | order.get()
                        || on_list != migratetype as u8
                    {
                        return Err(format!(
                            "pfn {} is on free_area[{order}].free_list[{}] but is not a free block of that order and list",
                            self.pfn_of(index),
                            migratetype.name()
                        ));
                    }
                }
            }
            if listed != free_heads[order.get() as usize] {
                return Err(format!(
                    "nr_free[{order}] is {listed} but {} free blocks of that order exist",
                    free_heads[order.get() as usize]
                ));
            }
        }
        Ok(())
    }

    /// A free block and its free buddy of the same order may coexist only where the
    /// kernel would not have merged them: at the largest order, or from pageblock
    /// order up. There `__free_one_page()` refuses to merge unmergeable pageblock
    /// types, and a later change of a pageblock's type (unreserving a highatomic
    /// block, a steal claiming one) never merges what is already free, so two
    /// mergeable neighbours can legitimately stay apart. Below pageblock order both
    /// halves share a pageblock and are always merged.
    fn check_merged(&self, block: Block) -> Result<(), String> {
        let buddy = block.pfn.buddy(block.order);
        if block.order >= Order::MAX
            || block.order.get() >= PAGEBLOCK_ORDER
            || self.free_head_at(buddy, block.order).is_none()
        {
            return Ok(());
        }
        Err(format!(
            "free block {} and its buddy {buddy} of order {} were not merged (pageblocks {} and {}, lists {:?} and {:?})",
            block.pfn,
            block.order,
            self.pageblock_type(block.pfn).name(),
            self.pageblock_type(buddy).name(),
            self.free_list_type(block.pfn),
            self.free_list_type(buddy)
        ))
    }

    /// Bytes of heap the zone holds, measured from its allocations.
    pub fn heap_bytes(&self) -> usize {
        self.state.heap_bytes()
            + self.list_type.heap_bytes()
            + self.pageblock_type.capacity()
            + self.lists.heap_bytes()
    }

    /// Bytes of engine state for each simulated page.
    pub fn bytes_per_page() -> usize {
        // state + list type + links; pageblock types add 1/512 byte a page.
        2 * core::mem::size_of::<u8>() + PageLists::bytes_per_page()
    }

    fn index_of(&self, pfn: Pfn) -> Option<u32> {
        let offset = pfn.0.checked_sub(self.start_pfn.0)?;
        (offset < u64::from(self.nr_pages)).then_some(offset as u32)
    }

    fn pfn_of(&self, index: u32) -> Pfn {
        Pfn(self.start_pfn.0 + u64::from(index))
    }
}

/// Every change to the zone's arrays, recorded when a journal is attached.
impl BuddyZone {
    /// Records this zone's changes in `journal` as zone `zone` (see [`journal`]).
    pub fn attach_journal(&mut self, journal: journal::SharedJournal, zone: u32) {
        self.recorder = Recorder::to(journal, zone);
    }

    /// Stops recording.
    pub fn detach_journal(&mut self) {
        self.recorder = Recorder::default();
    }

    /// Applies one recorded change again, on the state it was recorded from.
    pub fn replay(&mut self, op: BuddyOp) {
        match op {
            BuddyOp::State { index, value } => self.state.set(index, value),
            BuddyOp::Fill { start, end, value } => self.state.fill(start, end, value),
            BuddyOp::ListType { index, value } => self.list_type.set(index, value),
            BuddyOp::Pageblock { index, value } => {
                if let Some(slot) = self.pageblock_type.get_mut(index as usize) {
                    *slot = value;
                }
            }
            BuddyOp::PushHead { list, index } => self.lists.push_head(list as usize, index),
            BuddyOp::PushTail { list, index } => self.lists.push_tail(list as usize, index),
            BuddyOp::Remove { list, index } => self.lists.remove(list as usize, index),
        }
    }

    /// What undoes `op` on this zone as it is now (before [`BuddyZone::replay`]
    /// applies it): the values it overwrites.
    pub fn undo_of(&self, op: BuddyOp) -> BuddyUndo {
        let byte = |v: &[u8], i: u32| v.get(i as usize).copied().unwrap_or(0);
        match op {
            BuddyOp::State { index, .. } => BuddyUndo::Op(BuddyOp::State {
                index,
                value: self.state.get(index),
            }),
            BuddyOp::Fill { start, end, .. } => {
                if start >= end || end > self.nr_pages {
                    BuddyUndo::Op(BuddyOp::Fill {
                        start,
                        end: start,
                        value: 0,
                    })
                } else if let Some(value) = self.state.uniform(start, end) {
                    // A fill writes one value over a range: a range holding one value
                    // before is undone by one fill too (the common case), else page by page.
                    BuddyUndo::Op(BuddyOp::Fill { start, end, value })
                } else {
                    BuddyUndo::Bytes(start, self.state.copy_out(start, end).into())
                }
            }
            BuddyOp::ListType { index, .. } => BuddyUndo::Op(BuddyOp::ListType {
                index,
                value: self.list_type.get(index),
            }),
            BuddyOp::Pageblock { index, .. } => BuddyUndo::Op(BuddyOp::Pageblock {
                index,
                value: byte(&self.pageblock_type, index),
            }),
            BuddyOp::PushHead { list, index }
            | BuddyOp::PushTail { list, index }
            | BuddyOp::Remove { list, index } => {
                BuddyUndo::Links(Box::new(self.lists.links_before(list as usize, index)))
            }
        }
    }

    /// Applies what [`BuddyZone::undo_of`] computed.
    pub fn undo(&mut self, undo: &BuddyUndo) {
        match undo {
            BuddyUndo::Links(links) => self.lists.restore(links),
            BuddyUndo::Bytes(start, old) => {
                if u64::from(*start) + old.len() as u64 <= u64::from(self.nr_pages) {
                    self.state.copy_in(*start, old);
                }
            }
            BuddyUndo::Op(op) => self.replay(*op),
        }
    }

    fn w_state(&mut self, index: u32, value: u8) {
        self.state.set(index, value);
        self.recorder.buddy(BuddyOp::State { index, value });
    }

    fn w_fill(&mut self, start: u32, end: u32, value: u8) {
        self.state.fill(start, end, value);
        self.recorder.buddy(BuddyOp::Fill { start, end, value });
    }

    fn w_list_type(&mut self, index: u32, value: u8) {
        self.list_type.set(index, value);
        self.recorder.buddy(BuddyOp::ListType { index, value });
    }

    fn l_push_head(&mut self, list: usize, index: u32) {
        self.lists.push_head(list, index);
        self.recorder.buddy(BuddyOp::PushHead {
            list: list as u32,
            index,
        });
    }

    fn l_push_tail(&mut self, list: usize, index: u32) {
        self.lists.push_tail(list, index);
        self.recorder.buddy(BuddyOp::PushTail {
            list: list as u32,
            index,
        });
    }

    fn l_remove(&mut self, list: usize, index: u32) {
        self.lists.remove(list, index);
        self.recorder.buddy(BuddyOp::Remove {
            list: list as u32,
            index,
        });
        // A page off every list has no list type; clearing the stale one lets a block
        // that merges back into a whole max-order block store no per-page values.
        if self.list_type.get(index) != 0 {
            self.w_list_type(index, 0);
        }
    }
}

fn list_of(order: Order, migratetype: MigrateType) -> usize {
    order.get() as usize * MIGRATE_TYPES + migratetype.index()
}

/// Page-level queries and in-use block surgery, for the allocator's pageblock
/// isolation and contiguous-range allocation (a layer above, which calls these).
impl BuddyZone {
    /// The block that starts at `pfn`, with whether its first page is flagged as one
    /// the kernel could migrate (PageLRU or __PageMovable). `None` for a pfn outside
    /// the zone or inside a block.
    pub fn head_block(&self, pfn: Pfn) -> Option<(Block, bool)> {
        let index = self.index_of(pfn)?;
        let state = self.state.get(index);
        let block = self.block_at(index, state)?;
        Some((block, state & FLAG_MOVABLE != 0))
    }

    /// Whether the page at `pfn` is flagged as one the kernel could migrate.
    pub fn is_page_movable(&self, pfn: Pfn) -> bool {
        self.index_of(pfn)
            .is_some_and(|i| self.state.get(i) & FLAG_MOVABLE != 0)
    }

    /// The migratetype of the free list the free block at `pfn` is on (not always its
    /// pageblock's type: `move_freepages_block()` and stealing move blocks between
    /// lists). `None` if no free block starts at `pfn`.
    pub fn free_list_type(&self, pfn: Pfn) -> Option<MigrateType> {
        let index = self.index_of(pfn)?;
        if self.state.get(index) & KIND_MASK != KIND_FREE {
            return None;
        }
        MigrateType::from_index(self.list_type.get(index) as usize)
    }

    /// `del_page_from_free_list()` for a caller that keeps the block: the free block
    /// at `pfn` leaves its list and becomes one in-use block of the same order, as
    /// after `__isolate_free_page()`. Returns its order and the list it was on.
    pub fn take_free_block(&mut self, pfn: Pfn) -> Option<(Order, MigrateType)> {
        let index = self.index_of(pfn)?;
        let state = self.state.get(index);
        if state & KIND_MASK != KIND_FREE {
            return None;
        }
        let order = Order::new(u32::from(state & ORDER_MASK))?;
        let list = MigrateType::from_index(self.list_type.get(index) as usize)?;
        self.l_remove(list_of(order, list), index);
        self.w_state(index, KIND_ALLOCATED | order.get());
        Some((order, list))
    }

    /// `take_page_off_buddy()` for a block of `order` (the kernel takes one page,
    /// order 0; the trace replay's follow mode places blocks of any order): the free
    /// block holding `[pfn, pfn + 2^order)` leaves its free list, and
    /// `break_down_buddy_pages()` puts every half that does not hold the target at
    /// the head of the free list of its order, on the list the block was on. The
    /// target becomes one in-use block. Returns the free block it came from (pfn,
    /// order, list); `None`, changing nothing, when `pfn` is not aligned to `order`
    /// or the pages are not all inside one free block.
    pub fn take_block_off_buddy(
        &mut self,
        pfn: Pfn,
        order: Order,
    ) -> Option<(Pfn, Order, MigrateType)> {
        let block = self.block_containing(pfn)?;
        if block.state != BlockState::Free || block.order < order || !pfn.is_aligned(order) {
            return None;
        }
        let head = self.index_of(block.pfn)?;
        let target = self.index_of(pfn)?;
        let list = MigrateType::from_index(self.list_type.get(head) as usize)?;
        self.l_remove(list_of(block.order, list), head);
        self.w_state(head, KIND_ALLOCATED | block.order.get());
        // break_down_buddy_pages(): halve the block until it is the target's size,
        // keeping the half that holds the target and freeing the other.
        let mut start = head;
        let mut high = block.order;
        while high > order {
            let Some(lower) = high.lower() else { break };
            high = lower;
            let size = high.pages() as u32;
            let (keep, other) = if target >= start + size {
                (start + size, start)
            } else {
                (start, start + size)
            };
            self.l_push_head(list_of(high, list), other);
            self.w_state(other, KIND_FREE | high.get());
            self.w_list_type(other, list as u8);
            start = keep;
        }
        self.w_state(target, KIND_ALLOCATED | order.get());
        Some((block.pfn, block.order, list))
    }

    /// Cuts the in-use block of `order` at `pfn` into the in-use blocks `pieces`,
    /// which must be naturally aligned and tile the block in ascending order (what
    /// `split_page()` and `split_free_page()` need). The pieces carry no movable
    /// flag. Refuses, changing nothing, if there is no such block or the pieces do
    /// not tile it.
    pub fn split_in_use_into(
        &mut self,
        pfn: Pfn,
        order: Order,
        pieces: &[(Pfn, Order)],
    ) -> Result<(), EngineError> {
        if !self.is_in_use_block(pfn, order) {
            return Err(EngineError::NotAllocated { pfn });
        }
        let mut cursor = pfn.0;
        for &(piece, piece_order) in pieces {
            if piece.0 != cursor || piece_order > order || !piece.is_aligned(piece_order) {
                return Err(EngineError::NotAllocated { pfn: piece });
            }
            cursor += piece_order.pages();
        }
        if cursor != pfn.0 + order.pages() {
            return Err(EngineError::NotAllocated { pfn });
        }
        let Some(first) = self.index_of(pfn) else {
            return Err(EngineError::PfnOutsideZone { pfn });
        };
        let first = first as usize;
        self.w_fill(
            first as u32,
            (first as u64 + order.pages()) as u32,
            KIND_TAIL,
        );
        for &(piece, piece_order) in pieces {
            if let Some(index) = self.index_of(piece) {
                self.w_state(index, KIND_ALLOCATED | piece_order.get());
            }
        }
        Ok(())
    }
}
