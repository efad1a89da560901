//! Splitting allocations, exact-size allocations, pageblock isolation and contiguous
//! range allocation, as Linux 6.1 does them (mm/page_alloc.c, mm/page_isolation.c and
//! `isolate_freepages_range()` of mm/compaction.c), built on the allocator's own
//! allocation and free paths.
//!
//! - `split_page()` is [`Allocator::split_page`].
//! - `alloc_pages_exact()` with `make_alloc_exact()`, and `free_pages_exact()`, are
//!   [`Allocator::alloc_pages_exact`] and [`Allocator::free_pages_exact`].
//! - `start_isolate_page_range()` (`isolate_single_pageblock()`,
//!   `set_migratetype_isolate()`, `has_unmovable_pages()`, `split_free_page()`) and
//!   `undo_isolate_page_range()` (`unset_migratetype_isolate()`) are
//!   [`Allocator::start_isolate_page_range`] and
//!   [`Allocator::undo_isolate_page_range`].
//! - `alloc_contig_range()` with `__alloc_contig_migrate_range()`,
//!   `test_pages_isolated()` and `isolate_freepages_range()`, and
//!   `free_contig_range()`, are [`Allocator::alloc_contig_range`] and
//!   [`Allocator::free_contig_range`].
//!
//! # Which pages can move, and what a migration is in the model
//!
//! The model has no page contents, mappings or reference counts. A page in use is
//! *movable* when its first page carries the movable flag
//! ([`crate::BuddyZone::set_page_movable`]): the kernel's PageLRU or __PageMovable.
//! An in-use block of order 0 with the flag is an LRU page; one of a higher order with
//! the flag stands for a compound LRU page (a THP), which the kernel migrates whole
//! and which `split_page()` refuses. An in-use block without the flag is kernel
//! memory: the kernel holds a reference on its first page only (a non-compound
//! allocation), so `has_unmovable_pages()` sees an unmovable first page and tail
//! pages with no references. Pages on a per-cpu list are free pages with no
//! references. A reserved page is PageReserved (unmovable) unless it carries the
//! movable flag: a replay loads the pages in use before the run as reserved and flags
//! the migratable ones, so such a page is an order-0 LRU page.
//!
//! Migrating a movable block means what `migrate_pages()` does to the allocator:
//! allocate a block of the same order through [`Allocator::alloc_pages`] with the mask
//! `alloc_migration_target()` uses (GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL,
//! plus __GFP_HIGHMEM for a ZONE_MOVABLE source; for a compound page the reclaim bits
//! cleared and GFP_TRANSHUGE added; __GFP_COMP from `__folio_alloc()`) on the source
//! zone's node, flag the new block movable and free the source through
//! [`Allocator::free_pages`]. The source sits in an isolated pageblock, so it goes to
//! the isolate lists, where no allocation can take it. A page on the reclaim model's
//! LRU list ([`Allocator::lru`]) leaves it while its batch is migrated (so reclaim
//! and compaction run by a target allocation leave it alone) and comes back as the
//! youngest entry, at the new pfn. Each migration is an [`Event::ContigMigrated`] and
//! a [`Migration`] in the outcome, so a caller can follow its pages.
//!
//! # NR_FREE_PAGES while pageblocks are isolated
//!
//! As in 6.1, free pages on the MIGRATE_ISOLATE lists do not count in NR_FREE_PAGES:
//! `set_migratetype_isolate()` subtracts what `move_freepages_block()` moved, frees
//! into an isolated pageblock do not add, and `unset_migratetype_isolate()` adds back
//! what it moves. [`Allocator::check_invariants`] compares the counter with every
//! free page, so it holds only while no free page is isolated;
//! [`Allocator::check_invariants_with_isolation`] checks the same state allowing for
//! isolation.
//!
//! 6.1's accounting is exact only while no free block spans an isolated and a
//! non-isolated pageblock, and the model keeps its behaviour when one does. Such a
//! block arises when a pageblock holding only tail pages of a kernel (non-compound)
//! order-10 block is isolated (`has_unmovable_pages()` sees no references there) and
//! the block is freed meanwhile, or when two isolations sharing a MAX_ORDER block are
//! undone separately (as after a failed `alloc_contig_range()` overlapping another
//! isolation). An allocation may then split the block and leave isolated pages on an
//! ordinary list, counted, which `unset_migratetype_isolate()` counts again
//! (NR_FREE_PAGES drifts up), or steal the whole block and retype an isolated
//! pageblock (`nr_isolate_pageblock` stays above the isolated pageblocks).

use std::collections::BTreeSet;
use std::fmt;

use super::reclaim::LruPage;
use super::Allocator;
use crate::buddy::{Block, BlockState, BuddyZone, TraceSink, PAGEBLOCK_NO_MEMMAP};
use crate::error::EngineError;
use crate::event::Event;
use crate::types::gfp::{self, Gfp};
use crate::types::ZoneType;
use crate::types::{MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_ORDER, PAGE_SIZE_BYTES};

const PAGEBLOCK_PAGES: u64 = 1 << PAGEBLOCK_ORDER;
/// `MAX_ORDER_NR_PAGES`: the largest block, 1024 pages.
const MAX_ORDER_PAGES: u64 = 1 << (MAX_ORDER - 1);
/// `COMPACT_CLUSTER_MAX`: pages `isolate_migratepages_range()` collects before they
/// are migrated.
pub const COMPACT_CLUSTER_MAX: u64 = 32;

/// `GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL`: the mask of
/// `__alloc_contig_migrate_range()`'s migration targets.
const MIGRATE_TARGET_GFP: u32 = gfp::GFP_DIRECT_RECLAIM
    | gfp::GFP_KSWAPD_RECLAIM
    | gfp::GFP_IO
    | gfp::GFP_FS
    | gfp::GFP_HARDWALL
    | gfp::GFP_MOVABLE
    | gfp::GFP_RETRY_MAYFAIL;
/// `GFP_TRANSHUGE`: `(GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC |
/// __GFP_NOWARN) & ~__GFP_RECLAIM`, plus `__GFP_DIRECT_RECLAIM`.
const TRANSHUGE_GFP: u32 = gfp::GFP_IO
    | gfp::GFP_FS
    | gfp::GFP_HARDWALL
    | gfp::GFP_HIGHMEM
    | gfp::GFP_MOVABLE
    | gfp::GFP_COMP
    | gfp::GFP_NOMEMALLOC
    | gfp::GFP_NOWARN
    | gfp::GFP_DIRECT_RECLAIM;

/// Bad input to the operations of this module. Like [`EngineError`], it leaves the
/// state exactly as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContigError {
    /// An error of the allocator itself (a pfn outside every zone, a page not
    /// allocated, an order too large).
    Engine(EngineError),
    /// A range whose end is not above its start.
    EmptyRange { start: Pfn, end: Pfn },
    /// The pageblocks a range touches do not all lie inside one zone.
    RangeNotInOneZone { start: Pfn, end: Pfn },
    /// A range touching a pageblock that has no memory map.
    NoMemmap { pfn: Pfn },
    /// A migratetype the operation cannot restore pageblocks to.
    BadMigratetype { migratetype: MigrateType },
    /// `alloc_pages_exact()` of zero bytes.
    ZeroSize,
    /// `split_page()` of a movable block of more than one page: it stands for a
    /// compound page, which the kernel refuses to split this way.
    CompoundPage { pfn: Pfn },
}

impl From<EngineError> for ContigError {
    fn from(error: EngineError) -> ContigError {
        ContigError::Engine(error)
    }
}

impl fmt::Display for ContigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContigError::Engine(error) => error.fmt(f),
            ContigError::EmptyRange { start, end } => {
                write!(f, "the range [{start}, {end}) is empty: its end must be above its start")
            }
            ContigError::RangeNotInOneZone { start, end } => write!(
                f,
                "the pageblocks of [{start}, {end}) do not all lie inside one zone; the range must stay within a zone, pageblock-aligned ends included"
            ),
            ContigError::NoMemmap { pfn } => {
                write!(f, "the pageblock of pfn {pfn} has no memory map")
            }
            ContigError::BadMigratetype { migratetype } => write!(
                f,
                "migratetype {} cannot be used here: isolation restores pageblocks to Unmovable, Movable or Reclaimable, and alloc_contig_range() takes Movable (CMA is not modelled)",
                migratetype.name()
            ),
            ContigError::ZeroSize => write!(f, "an exact allocation needs at least one byte"),
            ContigError::CompoundPage { pfn } => write!(
                f,
                "the block at pfn {pfn} is a movable (compound) page: split_page() takes non-compound allocations only"
            ),
        }
    }
}

impl std::error::Error for ContigError {}

/// Why isolation or a contiguous allocation did not succeed (-EBUSY or -ENOMEM in the
/// kernel): an outcome, not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContigFailure {
    /// `set_migratetype_isolate()`: the pageblock was isolated already.
    AlreadyIsolated { pageblock: Pfn },
    /// `has_unmovable_pages()` found the page at `pfn` in the pageblock.
    Unmovable { pageblock: Pfn, pfn: Pfn },
    /// No page to migrate the block at `pfn` into (-ENOMEM).
    NoMemory { pfn: Pfn, order: Order },
    /// `test_pages_isolated()`: the page at `pfn` is not a free page of an isolated
    /// pageblock (in use and not migratable, or still held elsewhere).
    Busy { pfn: Pfn },
}

impl fmt::Display for ContigFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContigFailure::AlreadyIsolated { pageblock } => {
                write!(f, "the pageblock at pfn {pageblock} is already isolated")
            }
            ContigFailure::Unmovable { pageblock, pfn } => write!(
                f,
                "pfn {pfn} in the pageblock at {pageblock} is in use and cannot be migrated"
            ),
            ContigFailure::NoMemory { pfn, order } => write!(
                f,
                "no free block of order {order} to migrate the page at pfn {pfn} into"
            ),
            ContigFailure::Busy { pfn } => {
                write!(f, "pfn {pfn} is still in use after migration")
            }
        }
    }
}

/// One migrated block: its pages now live at `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    pub from: Pfn,
    pub to: Pfn,
    pub order: Order,
}

/// What isolation or a contiguous allocation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContigOutcome {
    /// `None` when it succeeded.
    pub failure: Option<ContigFailure>,
    /// Every block migrated on the way, in order, also when it failed later.
    pub migrations: Vec<Migration>,
}

impl ContigOutcome {
    /// Whether the operation succeeded.
    pub fn succeeded(&self) -> bool {
        self.failure.is_none()
    }
}

/// What `alloc_pages_exact()` returned: `pages` single pages from `pfn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExactAllocation {
    pub pfn: Pfn,
    pub pages: u64,
    pub node: u32,
    pub zone: ZoneType,
}

/// `get_order()`: the smallest order whose block holds `size` bytes (`size` > 0).
pub fn get_order(size: u64) -> u32 {
    let pages = (size - 1) / PAGE_SIZE_BYTES;
    64 - pages.leading_zeros()
}

/// `pageblock_start_pfn()`.
fn pageblock_start(pfn: u64) -> u64 {
    pfn & !(PAGEBLOCK_PAGES - 1)
}

/// `pageblock_align()`: up to the next pageblock boundary.
fn pageblock_align(pfn: u64) -> u64 {
    pfn.saturating_add(PAGEBLOCK_PAGES - 1) & !(PAGEBLOCK_PAGES - 1)
}

impl Allocator {
    /// `split_page()`: the live, non-compound allocation of `order` at `pfn` becomes
    /// `2^order` live order-0 allocations, each freed on its own with order 0.
    ///
    /// Differences: the kernel does not check its input (VM_BUG_ON only); the model
    /// refuses a pfn that does not start an allocation of exactly `order` (a free
    /// page, a page on a per-cpu list, a reserved page, a page inside a block) with
    /// [`EngineError::NotAllocated`], and a movable block of more than one page (a
    /// compound page in the model) with [`ContigError::CompoundPage`].
    pub fn split_page(
        &mut self,
        pfn: Pfn,
        order: u32,
        trace: &mut impl TraceSink,
    ) -> Result<(), ContigError> {
        let order = Order::new(order).ok_or(EngineError::OrderTooLarge { order })?;
        let z = self.live_block(pfn, order)?;
        if order.get() > 0 && self.zones[z].buddy.is_page_movable(pfn) {
            return Err(ContigError::CompoundPage { pfn });
        }
        if order.get() > 0 {
            let pieces: Vec<(Pfn, Order)> = (0..order.pages())
                .map(|i| (Pfn(pfn.0 + i), Order::ZERO))
                .collect();
            self.zones[z].buddy.split_in_use_into(pfn, order, &pieces)?;
        }
        trace.emit(Event::PageSplit { pfn, order });
        Ok(())
    }

    /// `alloc_pages_exact()`: allocate `get_order(size_bytes)` pages with `gfp` on the
    /// current CPU's node (`alloc_pages()` under the default memory policy), then
    /// `make_alloc_exact()`: keep the first `DIV_ROUND_UP(size, PAGE_SIZE)` pages as
    /// live order-0 allocations and free each page after them, in ascending order,
    /// with `__free_pages_ok(page, 0, FPI_TO_TAIL)`: straight to the buddy lists,
    /// at the tail. `Ok(None)` is a failed allocation.
    ///
    /// Differences: __GFP_COMP and __GFP_HIGHMEM are dropped silently (the kernel
    /// warns once and drops them); a size of zero is [`ContigError::ZeroSize`] and a
    /// size above 4 MiB is [`EngineError::OrderTooLarge`] (the kernel warns and
    /// returns NULL).
    pub fn alloc_pages_exact(
        &mut self,
        size_bytes: u64,
        gfp: Gfp,
        trace: &mut impl TraceSink,
    ) -> Result<Option<ExactAllocation>, ContigError> {
        if size_bytes == 0 {
            return Err(ContigError::ZeroSize);
        }
        let order = get_order(size_bytes);
        Order::new(order).ok_or(EngineError::OrderTooLarge { order })?;
        let gfp = Gfp(gfp.0 & !(gfp::GFP_COMP | gfp::GFP_HIGHMEM));
        let nid = self.numa_node_id();
        let Some(allocation) = self.alloc_pages(gfp, order, nid, trace)? else {
            return Ok(None);
        };
        let kept = size_bytes.div_ceil(PAGE_SIZE_BYTES);
        let z = self
            .zone_of_pfn(allocation.pfn)
            .ok_or(EngineError::PfnOutsideZone {
                pfn: allocation.pfn,
            })?;
        let pieces: Vec<(Pfn, Order)> = (0..allocation.order.pages())
            .map(|i| (Pfn(allocation.pfn.0 + i), Order::ZERO))
            .collect();
        self.zones[z]
            .buddy
            .split_in_use_into(allocation.pfn, allocation.order, &pieces)?;
        trace.emit(Event::AllocExact {
            pfn: allocation.pfn,
            order: allocation.order,
            kept,
        });
        for i in kept..allocation.order.pages() {
            self.free_pages_ok(z, Pfn(allocation.pfn.0 + i), Order::ZERO, true, trace)?;
        }
        Ok(Some(ExactAllocation {
            pfn: allocation.pfn,
            pages: kept,
            node: allocation.node,
            zone: allocation.zone,
        }))
    }

    /// `free_pages_exact()`: frees the `PAGE_ALIGN(size_bytes) / PAGE_SIZE` pages from
    /// `pfn`, each with `free_page()` (the per-cpu lists, as any order-0 free).
    ///
    /// Difference: every page must be a live order-0 allocation, checked before any is
    /// freed; otherwise the call is refused and nothing changes (the kernel would free
    /// whatever is there).
    pub fn free_pages_exact(
        &mut self,
        pfn: Pfn,
        size_bytes: u64,
        trace: &mut impl TraceSink,
    ) -> Result<(), ContigError> {
        let pages = size_bytes.div_ceil(PAGE_SIZE_BYTES);
        self.free_single_pages(pfn, pages, trace)
    }

    /// `free_contig_range()`: frees `nr_pages` single pages from `pfn` with
    /// `__free_page()` each.
    ///
    /// Difference: every page must be a live order-0 allocation, checked before any is
    /// freed; otherwise the call is refused and nothing changes (the kernel warns about
    /// pages still in use and frees them anyway).
    pub fn free_contig_range(
        &mut self,
        pfn: Pfn,
        nr_pages: u64,
        trace: &mut impl TraceSink,
    ) -> Result<(), ContigError> {
        self.free_single_pages(pfn, nr_pages, trace)
    }

    /// `start_isolate_page_range()`: make every pageblock touching
    /// `[start_pfn, end_pfn)` MIGRATE_ISOLATE, so that no free page in them can be
    /// allocated and every page freed there stays on the isolate lists.
    ///
    /// The first and the last pageblock go through `isolate_single_pageblock()`,
    /// which also looks from the MAX_ORDER-aligned pfn below each boundary for a block
    /// across it: a free block is split at the boundary (`split_free_page()`), a
    /// movable compound block is migrated (with its own pageblock isolated meanwhile
    /// unless it is already) and the freed block split. The pageblocks between are
    /// isolated with `set_migratetype_isolate()`. On failure everything this call
    /// isolated is restored, as in the kernel, to `migratetype` rather than to each
    /// pageblock's previous type, and the outcome says why; pages it migrated stay
    /// migrated.
    ///
    /// Differences: the pageblocks touched must lie inside one zone and have a
    /// memory map (the kernel leaves this to its callers and would reach into the
    /// neighbouring zone); `migratetype` must be Unmovable, Movable or Reclaimable.
    /// The flags (MEMORY_OFFLINE, REPORT_FAILURE) are those of `alloc_contig_range()`
    /// (none), and no gfp mask is taken: migration targets use a fixed mask.
    pub fn start_isolate_page_range(
        &mut self,
        start_pfn: Pfn,
        end_pfn: Pfn,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Result<ContigOutcome, ContigError> {
        restorable(migratetype)?;
        let z = self.contig_zone(start_pfn, end_pfn)?;
        let mut outcome = ContigOutcome::default();
        if let Err(failure) = self.isolate_range(
            z,
            start_pfn.0,
            end_pfn.0,
            migratetype,
            trace,
            &mut outcome.migrations,
        ) {
            outcome.failure = Some(failure);
        }
        Ok(outcome)
    }

    /// `undo_isolate_page_range()`: every isolated pageblock touching
    /// `[start_pfn, end_pfn)` becomes `migratetype` again with
    /// `unset_migratetype_isolate()`: its free pages move back to the `migratetype`
    /// lists and count as free again; a whole-pageblock free block whose buddy is free
    /// outside isolation is instead taken off and freed again to the tail
    /// (`__isolate_free_page()`, `__putback_isolated_page()`) so the two merge.
    /// Pageblocks that are not isolated are left alone.
    ///
    /// Differences: as for [`Allocator::start_isolate_page_range`].
    pub fn undo_isolate_page_range(
        &mut self,
        start_pfn: Pfn,
        end_pfn: Pfn,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Result<(), ContigError> {
        restorable(migratetype)?;
        let z = self.contig_zone(start_pfn, end_pfn)?;
        self.undo_range(z, start_pfn.0, end_pfn.0, migratetype, trace);
        Ok(())
    }

    /// `test_pages_isolated()`: `None` if every pageblock from `start_pfn` (in steps of
    /// a pageblock) is isolated and every page of `[start_pfn, end_pfn)` is in a free
    /// block; otherwise the first pfn that is not. Records the tracepoint.
    ///
    /// Differences: as for [`Allocator::start_isolate_page_range`] (the range is
    /// checked to lie inside one zone).
    pub fn test_pages_isolated(
        &mut self,
        start_pfn: Pfn,
        end_pfn: Pfn,
        trace: &mut impl TraceSink,
    ) -> Result<Option<Pfn>, ContigError> {
        let z = self.contig_zone(start_pfn, end_pfn)?;
        Ok(self.test_isolated(z, start_pfn.0, end_pfn.0, trace))
    }

    /// `alloc_contig_range()`: make `[start_pfn, end_pfn)` live order-0 allocations,
    /// moving what is in the way.
    ///
    /// 1. `start_isolate_page_range()` on the range ([`Allocator::start_isolate_page_range`]).
    /// 2. `drain_all_pages(zone)`: every CPU's per-cpu lists of the zone go back to the
    ///    buddy lists; pages of isolated pageblocks land on the isolate lists.
    /// 3. `__alloc_contig_migrate_range()`: the movable blocks starting in the range
    ///    are collected in ascending pfn order, `COMPACT_CLUSTER_MAX` pages at a time,
    ///    and each batch migrated last-collected first (the kernel puts each page at
    ///    the head of its list); see the module notes for what a migration is.
    ///    -ENOMEM ends the call with [`ContigFailure::NoMemory`].
    /// 4. `outer_start`: the start of the free block holding `start_pfn`, if any.
    /// 5. `test_pages_isolated(outer_start, end)`: -EBUSY ends the call with
    ///    [`ContigFailure::Busy`] naming the first page in the way.
    /// 6. `isolate_freepages_range()`: every free block from `outer_start` is taken off
    ///    its list (`__isolate_free_page()`) and split into single pages, up to
    ///    `outer_end`, the end of the last block.
    /// 7. The pages in `[outer_start, start)` and `[end, outer_end)` are freed again
    ///    (`free_contig_range()`), to the isolate lists.
    /// 8. `undo_isolate_page_range()` restores every pageblock of the range to
    ///    `migratetype`, also after a failure, as the kernel's `done:` label does. After
    ///    [`ContigFailure::AlreadyIsolated`] this also restores pageblocks someone else
    ///    had isolated, as in the kernel, which relies on its callers not to overlap.
    ///
    /// Differences: `migratetype` must be Movable (CMA is not modelled); the range
    /// checks of [`Allocator::start_isolate_page_range`]; `gfp` is accepted and not
    /// used: in 6.1 migration targets use a fixed mask, and the caller's mask only
    /// decides warnings and whether file pages may be isolated without __GFP_FS,
    /// which the model does not distinguish. Clean page-cache pages are migrated
    /// rather than reclaimed (`reclaim_clean_pages_from_list()` is not modelled), a
    /// compound page whose migration target cannot be allocated is not split and
    /// retried as single pages (the kernel's `try_split_folio()`), and the kernel's
    /// five retries of pages that fail to migrate for a while do not arise.
    pub fn alloc_contig_range(
        &mut self,
        start_pfn: Pfn,
        end_pfn: Pfn,
        migratetype: MigrateType,
        gfp: Gfp,
        trace: &mut impl TraceSink,
    ) -> Result<ContigOutcome, ContigError> {
        if migratetype != MigrateType::Movable {
            return Err(ContigError::BadMigratetype { migratetype });
        }
        let z = self.contig_zone(start_pfn, end_pfn)?;
        let _ = gfp;
        let (start, end) = (start_pfn.0, end_pfn.0);
        let mut outcome = ContigOutcome::default();
        let result = self.alloc_contig_inner(z, start, end, migratetype, trace, &mut outcome);
        self.undo_range(z, start, end, migratetype, trace);
        outcome.failure = result.err();
        Ok(outcome)
    }

    /// Steps 1 to 7 of [`Allocator::alloc_contig_range`]; the caller undoes the
    /// isolation.
    fn alloc_contig_inner(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
        outcome: &mut ContigOutcome,
    ) -> Result<(), ContigFailure> {
        self.isolate_range(z, start, end, migratetype, trace, &mut outcome.migrations)?;
        self.drain_zone(z, trace);
        self.migrate_range(z, start, end, None, trace, &mut outcome.migrations)?;
        // The free block holding `start`, if there is one: its head may lie below.
        let buddy = &self.zones[z].buddy;
        let mut outer_start = free_head_at_or_below(buddy, start).unwrap_or(start);
        if outer_start != start {
            let pages = buddy.free_order(Pfn(outer_start)).map_or(0, |o| o.pages());
            if outer_start + pages <= start {
                outer_start = start;
            }
        }
        if let Some(pfn) = self.test_isolated(z, outer_start, end, trace) {
            return Err(ContigFailure::Busy { pfn });
        }
        let Some(outer_end) = self.isolate_freepages_range(z, outer_start, end, trace) else {
            return Err(ContigFailure::Busy {
                pfn: Pfn(outer_start),
            });
        };
        for pfn in (outer_start..start).chain(end..outer_end) {
            let _ = self.free_pages(Pfn(pfn), 0, trace);
        }
        Ok(())
    }

    /// Checks the same invariants as [`Allocator::check_invariants`], allowing for
    /// isolated pageblocks as 6.1 keeps them, and checks the isolation itself:
    ///
    /// - each zone's `nr_isolate_pageblock` is the number of its isolated pageblocks;
    /// - a free block on an isolate list starts in an isolated pageblock (the converse
    ///   does not always hold in 6.1: undoing part of an isolation, as a failed
    ///   `alloc_contig_range()` does, can leave free pages of an isolated pageblock
    ///   on other lists);
    /// - NR_FREE_PAGES (with every CPU's delta) plus the free pages on the isolate
    ///   lists is the number of free pages;
    /// - free buddies are merged, except two whole-pageblock blocks of two isolated
    ///   pageblocks moved to the isolate lists separately, which
    ///   `move_freepages_block()` does not merge (they merge when the isolation is
    ///   undone).
    ///
    /// Like 6.1's own counters, these do not hold after a free block has spanned an
    /// isolated and a non-isolated pageblock (see the module notes).
    pub fn check_invariants_with_isolation(&self) -> Result<(), String> {
        let mut relaxed = self.clone();
        for zone in &mut relaxed.zones {
            let name = format!("zone {}:{}", zone.nid, zone.zone.name());
            let buddy = &zone.buddy;
            let isolated = (0..buddy.pageblock_count())
                .filter(|&i| buddy.pageblock_raw(i) == Some(MigrateType::Isolate as u8))
                .count() as u64;
            if isolated != zone.nr_isolate_pageblock {
                return Err(format!(
                    "{name}: nr_isolate_pageblock is {} but {isolated} pageblocks are isolated",
                    zone.nr_isolate_pageblock
                ));
            }
            let mut unmerged = Vec::new();
            for block in buddy.blocks().filter(|b| b.state == BlockState::Free) {
                let on_isolate = buddy.free_list_type(block.pfn) == Some(MigrateType::Isolate);
                if on_isolate && buddy.pageblock_type(block.pfn) != MigrateType::Isolate {
                    return Err(format!(
                        "{name}: free block {} of order {} is on an isolate list but its pageblock is {}",
                        block.pfn,
                        block.order,
                        buddy.pageblock_type(block.pfn).name()
                    ));
                }
                if on_isolate && block.order.get() == PAGEBLOCK_ORDER && block.order < Order::MAX {
                    let other = block.pfn.buddy(block.order);
                    if block.pfn < other
                        && buddy.free_order(other) == Some(block.order)
                        && buddy.free_list_type(other) == Some(MigrateType::Isolate)
                    {
                        unmerged.push(block.pfn);
                    }
                }
            }
            // check_invariants() already leaves free pages on isolate lists out of
            // NR_FREE_PAGES, as the kernel counts them.
            // In the copy only: a pageblock type that may not merge with Isolate makes
            // the structural check accept the pair, as __free_one_page() would.
            for pfn in unmerged {
                zone.buddy.set_pageblock_type(pfn, MigrateType::HighAtomic);
            }
        }
        relaxed.check_invariants()
    }

    /// `numa_node_id()`: the node of the current CPU (the default memory policy's
    /// preferred node), or `numa_mem_id()` if no node lists the CPU.
    fn numa_node_id(&self) -> u32 {
        self.nodes
            .iter()
            .find(|n| n.cpus.contains(&self.cpu))
            .map_or_else(|| self.numa_mem_id(), |n| n.nid)
    }

    /// The pfns on the zone's per-cpu lists: free pages the buddy lists see as in use.
    fn pcp_pfns(&self, z: usize) -> BTreeSet<u64> {
        self.zones[z]
            .pcps
            .iter()
            .flat_map(|p| p.lists.iter().flatten().map(|page| page.pfn))
            .collect()
    }

    /// The zone of `pfn` if an allocation of exactly `order` starts there and the block
    /// is not on a per-cpu list.
    fn live_block(&self, pfn: Pfn, order: Order) -> Result<usize, ContigError> {
        let z = self
            .zone_of_pfn(pfn)
            .ok_or(EngineError::PfnOutsideZone { pfn })?;
        if !self.zones[z].buddy.is_in_use_block(pfn, order) || self.pcp_pfns(z).contains(&pfn.0) {
            return Err(EngineError::NotAllocated { pfn }.into());
        }
        Ok(z)
    }

    /// Frees `pages` live order-0 allocations from `pfn` through
    /// [`Allocator::free_pages`], all checked first.
    fn free_single_pages(
        &mut self,
        pfn: Pfn,
        pages: u64,
        trace: &mut impl TraceSink,
    ) -> Result<(), ContigError> {
        let end = pfn
            .0
            .checked_add(pages)
            .ok_or(EngineError::PfnOutsideZone { pfn })?;
        if pages > 0 {
            let z = self.live_block(pfn, Order::ZERO)?;
            let buddy = &self.zones[z].buddy;
            if end > buddy.end_pfn().0 {
                return Err(EngineError::PfnOutsideZone {
                    pfn: buddy.end_pfn(),
                }
                .into());
            }
            let pcp = self.pcp_pfns(z);
            for p in pfn.0..end {
                if !buddy.is_in_use_block(Pfn(p), Order::ZERO) || pcp.contains(&p) {
                    return Err(EngineError::NotAllocated { pfn: Pfn(p) }.into());
                }
            }
        }
        for p in pfn.0..end {
            self.free_pages(Pfn(p), 0, trace)?;
        }
        Ok(())
    }

    /// `__free_pages_ok()` with FPI flags: straight to `__free_one_page()` (no per-cpu
    /// lists), at the tail if `to_tail` (FPI_TO_TAIL), the type read again when the
    /// zone has isolated pageblocks, and not counted if it is MIGRATE_ISOLATE.
    fn free_pages_ok(
        &mut self,
        z: usize,
        pfn: Pfn,
        order: Order,
        to_tail: bool,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        trace.emit(Event::PageFree { pfn, order });
        let cpu = self.cpu;
        let zone = &mut self.zones[z];
        // The type read before and after taking the zone lock is the same here.
        let migratetype = zone.buddy.pageblock_type(pfn);
        zone.buddy
            .free_block(pfn, order, migratetype, to_tail, trace)?;
        if migratetype != MigrateType::Isolate {
            zone.mod_free_pages(cpu, order.pages() as i64);
        }
        Ok(())
    }

    /// The zone whose span holds every pageblock touching `[start, end)`; refuses an
    /// empty range, a range outside every zone or across zones, and pageblocks
    /// without a memory map.
    fn contig_zone(&self, start: Pfn, end: Pfn) -> Result<usize, ContigError> {
        if start >= end {
            return Err(ContigError::EmptyRange { start, end });
        }
        let z = self
            .zone_of_pfn(start)
            .ok_or(EngineError::PfnOutsideZone { pfn: start })?;
        let buddy = &self.zones[z].buddy;
        let (first, last) = (pageblock_start(start.0), pageblock_align(end.0));
        if first < buddy.start_pfn().0 || last > buddy.end_pfn().0 || last < end.0 {
            return Err(ContigError::RangeNotInOneZone { start, end });
        }
        let base = buddy.first_pageblock_pfn().0 >> PAGEBLOCK_ORDER;
        let mut pfn = first;
        while pfn < last {
            let index = ((pfn >> PAGEBLOCK_ORDER) - base) as usize;
            if buddy.pageblock_raw(index) == Some(PAGEBLOCK_NO_MEMMAP) {
                return Err(ContigError::NoMemmap { pfn: Pfn(pfn) });
            }
            pfn += PAGEBLOCK_PAGES;
        }
        Ok(z)
    }

    /// `drain_all_pages(zone)`: each online CPU's lists of zone `z`, in CPU order, go
    /// back with `free_pcppages_bulk()` (each CPU's counter delta on that CPU).
    pub(super) fn drain_zone(&mut self, z: usize, trace: &mut impl TraceSink) {
        let current = self.cpu;
        for cpu in self.online_cpus.clone() {
            self.cpu = cpu;
            let count = self.zones[z].pcp_mut(cpu).map_or(0, |p| p.count);
            if count > 0 {
                self.free_pcppages_bulk(z, count, 0, trace);
            }
        }
        self.cpu = current;
    }

    /// `has_unmovable_pages()` on `[start, end)` (one pageblock): the first page that
    /// keeps it from being isolated, if any (see the module notes for which pages the
    /// model counts as movable). In ZONE_MOVABLE only reserved pages count, as in the
    /// kernel: the rest is assumed movable and may fail later, in migration.
    fn has_unmovable_pages(&self, z: usize, start: u64, end: u64) -> Option<Pfn> {
        let zone = &self.zones[z];
        let buddy = &zone.buddy;
        let movable_zone = zone.zone == ZoneType::Movable;
        let pcp = self.pcp_pfns(z);
        let mut pfn = start;
        while pfn < end {
            let here = Pfn(pfn);
            let Some(block) = buddy.block_containing(here) else {
                pfn += 1;
                continue;
            };
            let head = block.pfn == here;
            let movable = buddy.is_page_movable(block.pfn);
            match block.state {
                // PageReserved, unless the model loaded an LRU page as reserved.
                BlockState::Reserved if !movable => return Some(here),
                BlockState::Reserved => {}
                // PageBuddy: skip the block; inside one (the range starts there) a
                // page has no references.
                BlockState::Free if head => {
                    pfn += block.order.pages();
                    continue;
                }
                BlockState::Free => {}
                BlockState::Allocated if movable_zone || pcp.contains(&block.pfn.0) => {}
                BlockState::Allocated if movable && block.order.get() > 0 => {
                    // A compound LRU page: skip to its end.
                    pfn = block.pfn.0 + block.order.pages();
                    continue;
                }
                BlockState::Allocated if movable || !head => {}
                BlockState::Allocated => return Some(here),
            }
            pfn += 1;
        }
        None
    }

    /// `set_migratetype_isolate()` for the pageblock of `page`: refuse it if it is
    /// isolated already or `has_unmovable_pages()` finds a page in the part of it
    /// inside `[start, end)`; otherwise make it MIGRATE_ISOLATE, count it in
    /// `nr_isolate_pageblock`, move its free pages to the isolate lists with
    /// `move_freepages_block()` and take them out of NR_FREE_PAGES.
    fn set_migratetype_isolate(
        &mut self,
        z: usize,
        page: u64,
        start: u64,
        end: u64,
        trace: &mut impl TraceSink,
    ) -> Result<(), ContigFailure> {
        let pageblock = Pfn(pageblock_start(page));
        if self.zones[z].buddy.pageblock_type(Pfn(page)) == MigrateType::Isolate {
            trace.emit(Event::IsolationRefused {
                pfn: pageblock,
                unmovable: None,
            });
            return Err(ContigFailure::AlreadyIsolated { pageblock });
        }
        let check_start = page.max(start);
        let check_end = (pageblock.0 + PAGEBLOCK_PAGES).min(end);
        if let Some(pfn) = self.has_unmovable_pages(z, check_start, check_end) {
            trace.emit(Event::IsolationRefused {
                pfn: pageblock,
                unmovable: Some(pfn),
            });
            return Err(ContigFailure::Unmovable { pageblock, pfn });
        }
        let cpu = self.cpu;
        let zone = &mut self.zones[z];
        zone.buddy
            .set_pageblock_type(Pfn(page), MigrateType::Isolate);
        zone.nr_isolate_pageblock += 1;
        let (moved, _) = zone
            .buddy
            .move_freepages_block(Pfn(page), MigrateType::Isolate);
        zone.mod_free_pages(cpu, -(moved as i64));
        trace.emit(Event::PageblockIsolated {
            pfn: pageblock,
            moved,
        });
        Ok(())
    }

    /// `unset_migratetype_isolate()` for the pageblock of `page`, if it is isolated.
    fn unset_migratetype_isolate(
        &mut self,
        z: usize,
        page: u64,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) {
        let cpu = self.cpu;
        let here = Pfn(page);
        let zone = &mut self.zones[z];
        if zone.buddy.pageblock_type(here) != MigrateType::Isolate {
            return;
        }
        // A free block of pageblock order (not the largest order) could not merge
        // with its free buddy while isolated; move_freepages_block() would not merge
        // them either, so take it off (__isolate_free_page() on an isolated pageblock:
        // no watermark check, no counter, the type stays) and free it again below.
        let mut isolated_page = None;
        if let Some(order) = zone.buddy.free_order(here) {
            if order.get() >= PAGEBLOCK_ORDER && order < Order::MAX {
                let other = here.buddy(order);
                if zone.buddy.free_order(other) == Some(order)
                    && zone.buddy.pageblock_type(other) != MigrateType::Isolate
                    && zone.buddy.take_free_block(here).is_some()
                {
                    isolated_page = Some(order);
                }
            }
        }
        let moved = match isolated_page {
            Some(order) => order.pages(),
            None => {
                let (moved, _) = zone.buddy.move_freepages_block(here, migratetype);
                zone.mod_free_pages(cpu, moved as i64);
                moved
            }
        };
        zone.buddy.set_pageblock_type(here, migratetype);
        trace.emit(Event::PageblockUnisolated {
            pfn: Pfn(pageblock_start(page)),
            migratetype,
            moved,
            merged: isolated_page.is_some(),
        });
        if let Some(order) = isolated_page {
            // __putback_isolated_page(): __free_one_page() to the tail.
            let _ = zone.buddy.free_block(here, order, migratetype, true, trace);
            zone.mod_free_pages(cpu, order.pages() as i64);
        }
        zone.nr_isolate_pageblock = zone.nr_isolate_pageblock.saturating_sub(1);
    }

    /// The body of `start_isolate_page_range()` on a checked range.
    pub(super) fn isolate_range(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
        migrations: &mut Vec<Migration>,
    ) -> Result<(), ContigFailure> {
        let isolate_start = pageblock_start(start);
        let isolate_end = pageblock_align(end);
        self.isolate_single_pageblock(
            z,
            isolate_start,
            false,
            false,
            migratetype,
            trace,
            migrations,
        )?;
        let skip = isolate_start == isolate_end - PAGEBLOCK_PAGES;
        if let Err(failure) = self.isolate_single_pageblock(
            z,
            isolate_end,
            true,
            skip,
            migratetype,
            trace,
            migrations,
        ) {
            self.unset_migratetype_isolate(z, isolate_start, migratetype, trace);
            return Err(failure);
        }
        let mut pfn = isolate_start + PAGEBLOCK_PAGES;
        while pfn < isolate_end - PAGEBLOCK_PAGES {
            if let Err(failure) = self.set_migratetype_isolate(z, pfn, start, end, trace) {
                self.undo_range(z, isolate_start, pfn, migratetype, trace);
                self.unset_migratetype_isolate(
                    z,
                    isolate_end - PAGEBLOCK_PAGES,
                    migratetype,
                    trace,
                );
                return Err(failure);
            }
            pfn += PAGEBLOCK_PAGES;
        }
        Ok(())
    }

    /// `isolate_single_pageblock()`: isolate the pageblock after `boundary` (or before
    /// it, `before`), unless `skip` (already done), then walk from the MAX_ORDER-aligned
    /// pfn below the pageblock (or the zone start) to `boundary` for a block across
    /// `boundary`: split a free one, migrate a movable compound one first. A
    /// non-compound in-use block across the boundary is stepped over page by page, as
    /// in the kernel. On failure the pageblock is restored to `migratetype`.
    #[allow(clippy::too_many_arguments)]
    fn isolate_single_pageblock(
        &mut self,
        z: usize,
        boundary: u64,
        before: bool,
        skip: bool,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
        migrations: &mut Vec<Migration>,
    ) -> Result<(), ContigFailure> {
        let isolate_pageblock = if before {
            boundary - PAGEBLOCK_PAGES
        } else {
            boundary
        };
        if !skip {
            self.set_migratetype_isolate(
                z,
                isolate_pageblock,
                isolate_pageblock,
                isolate_pageblock + PAGEBLOCK_PAGES,
                trace,
            )?;
        }
        // Nothing crosses the boundary if the page on its other side has no memory
        // map (the model: lies in no zone).
        let other_side = if before {
            Some(boundary)
        } else {
            boundary.checked_sub(1)
        };
        if other_side
            .and_then(|pfn| self.zone_of_pfn(Pfn(pfn)))
            .is_none()
        {
            return Ok(());
        }
        let zone_start = self.zones[z].buddy.start_pfn().0;
        let mut pfn = (isolate_pageblock & !(MAX_ORDER_PAGES - 1)).max(zone_start);
        let result = loop {
            if pfn >= boundary {
                break Ok(());
            }
            let here = Pfn(pfn);
            let Some(block) = self.zones[z].buddy.block_containing(here) else {
                pfn += 1;
                continue;
            };
            let head = block.pfn == here;
            if block.state == BlockState::Free && head {
                if pfn + block.order.pages() > boundary {
                    self.split_free_page(z, here, block.order, boundary - pfn, trace);
                }
                pfn += block.order.pages();
                continue;
            }
            let compound = block.state == BlockState::Allocated
                && block.order.get() > 0
                && self.zones[z].buddy.is_page_movable(block.pfn)
                && !self.pcp_pfns(z).contains(&block.pfn.0);
            if !compound {
                pfn += 1;
                continue;
            }
            let (head_pfn, nr) = (block.pfn.0, block.order.pages());
            if head_pfn + nr <= boundary {
                pfn = head_pfn + nr;
                continue;
            }
            // A movable compound block across the boundary: migrate it, with its own
            // pageblock isolated meanwhile so nobody takes the freed block.
            let page_mt = self.zones[z].buddy.pageblock_type(here);
            let isolate_page = page_mt != MigrateType::Isolate;
            if isolate_page {
                if let Err(failure) =
                    self.set_migratetype_isolate(z, pfn, head_pfn, head_pfn + nr, trace)
                {
                    break Err(failure);
                }
            }
            let migrated = self.migrate_range(z, head_pfn, head_pfn + nr, None, trace, migrations);
            if isolate_page {
                self.unset_migratetype_isolate(z, pfn, page_mt, trace);
            }
            if let Err(failure) = migrated {
                break Err(failure);
            }
            // Go back to the free block now holding `pfn`, to split it.
            let buddy = &self.zones[z].buddy;
            let Some(outer) = free_head_at_or_below(buddy, pfn) else {
                break Err(ContigFailure::Busy { pfn: here });
            };
            pfn = outer;
        };
        if result.is_err() && !skip {
            self.unset_migratetype_isolate(z, isolate_pageblock, migratetype, trace);
        }
        result
    }

    /// `split_free_page()`: the free block of `order` at `pfn` is cut at `pfn +
    /// offset` into naturally aligned pieces, each freed with `__free_one_page()` to
    /// the list of its own pageblock's type (so they may not merge back across an
    /// isolation boundary). Does nothing if `offset` is 0 or the block changed.
    fn split_free_page(
        &mut self,
        z: usize,
        pfn: Pfn,
        order: Order,
        offset: u64,
        trace: &mut impl TraceSink,
    ) {
        if offset == 0 || self.zones[z].buddy.free_order(pfn) != Some(order) {
            return;
        }
        let cpu = self.cpu;
        let zone = &mut self.zones[z];
        let migratetype = zone.buddy.pageblock_type(pfn);
        if migratetype != MigrateType::Isolate {
            zone.mod_free_pages(cpu, -(order.pages() as i64));
        }
        if zone.buddy.take_free_block(pfn).is_none() {
            return;
        }
        trace.emit(Event::FreePageSplit {
            pfn,
            order,
            at: Pfn(pfn.0 + offset),
        });
        let end = pfn.0 + order.pages();
        let mut pieces = Vec::new();
        let (mut piece, mut left) = (pfn.0, offset);
        while piece < end {
            let align = if piece == 0 {
                u32::from(order.get())
            } else {
                piece.trailing_zeros()
            };
            let fits = 63 - left.leading_zeros();
            let piece_order = Order::new(align.min(fits)).unwrap_or(Order::ZERO);
            pieces.push((Pfn(piece), piece_order));
            piece += piece_order.pages();
            left -= piece_order.pages();
            if left == 0 {
                left = end - piece;
            }
        }
        if zone.buddy.split_in_use_into(pfn, order, &pieces).is_err() {
            return;
        }
        for (piece, piece_order) in pieces {
            let piece_type = zone.buddy.pageblock_type(piece);
            if piece_type != MigrateType::Isolate {
                zone.mod_free_pages(cpu, piece_order.pages() as i64);
            }
            let _ = zone
                .buddy
                .free_block(piece, piece_order, piece_type, false, trace);
        }
    }

    /// `undo_isolate_page_range()` on a checked range.
    pub(super) fn undo_range(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) {
        let mut pfn = pageblock_start(start);
        while pfn < pageblock_align(end) {
            if self.zones[z].buddy.pageblock_type(Pfn(pfn)) == MigrateType::Isolate {
                self.unset_migratetype_isolate(z, pfn, migratetype, trace);
            }
            pfn += PAGEBLOCK_PAGES;
        }
    }

    /// `__alloc_contig_migrate_range()`: `isolate_migratepages_range()` collects the
    /// movable blocks that start in `[start, end)`, in ascending pfn order, until
    /// `COMPACT_CLUSTER_MAX` pages are collected; `migrate_pages()` then migrates the
    /// batch from the last collected (each was put at the head of the list); repeat
    /// to `end`. Free blocks are skipped whole; pages on per-cpu lists, pages without
    /// the movable flag and tails of blocks starting before `start` are not taken.
    /// `targets` is the nodemask of the migration targets (`None`: any node).
    pub(super) fn migrate_range(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        targets: Option<&[u32]>,
        trace: &mut impl TraceSink,
        migrations: &mut Vec<Migration>,
    ) -> Result<(), ContigFailure> {
        let mut pfn = start;
        loop {
            let pcp = self.pcp_pfns(z);
            let mut batch = Vec::new();
            let mut pages = 0u64;
            while pfn < end && pages < COMPACT_CLUSTER_MAX {
                let buddy = &self.zones[z].buddy;
                let Some((block, movable)) = buddy.head_block(Pfn(pfn)) else {
                    pfn += 1;
                    continue;
                };
                let candidate = movable
                    && match block.state {
                        BlockState::Allocated => !pcp.contains(&pfn),
                        BlockState::Reserved => true,
                        BlockState::Free => false,
                    };
                if candidate {
                    batch.push(block);
                    pages += block.order.pages();
                }
                pfn += block.order.pages();
            }
            if batch.is_empty() {
                return Ok(());
            }
            // Isolated for migration, the pages leave the LRU (the reclaim model's list),
            // so reclaim and compaction leave them alone meanwhile; each comes back as
            // the youngest page, at its new pfn once migrated (putback_lru_page()), at
            // its old one if it was not (putback_movable_pages()).
            let entries: Vec<Option<LruPage>> = batch
                .iter()
                .map(|block| self.lru.remove(block.pfn.0))
                .collect();
            let mut result = Ok(());
            for (block, entry) in batch.into_iter().zip(entries).rev() {
                let moved_to = match result {
                    Ok(()) => self.migrate_block(
                        z,
                        block,
                        entry.map(|page| page.owner),
                        targets,
                        trace,
                        migrations,
                    ),
                    Err(_) => Ok(None),
                };
                let moved_to = moved_to.unwrap_or_else(|failure| {
                    result = Err(failure);
                    None
                });
                if let Some(mut page) = entry {
                    if let Some(to) = moved_to {
                        page.pfn = to.0;
                    }
                    self.lru.push(page);
                }
            }
            result?;
        }
    }

    /// `migrate_pages()` on one block (see the module notes): the pfn it now lives
    /// at. A block that is no longer there (freed meanwhile) is skipped (`None`).
    /// `owner` (from the LRU entry) goes into the event, so the session moves its
    /// allocation to the new pfn, whether or not the whole operation succeeds.
    fn migrate_block(
        &mut self,
        z: usize,
        block: Block,
        owner: Option<u64>,
        targets: Option<&[u32]>,
        trace: &mut impl TraceSink,
        migrations: &mut Vec<Migration>,
    ) -> Result<Option<Pfn>, ContigFailure> {
        let (from, order, state) = (block.pfn, block.order, block.state);
        let still_there = match self.zones[z].buddy.head_block(from) {
            Some((block, true)) => block.order == order && block.state == state,
            _ => false,
        } && !self.pcp_pfns(z).contains(&from.0);
        if !still_there {
            return Ok(None);
        }
        let mut mask = MIGRATE_TARGET_GFP;
        if order.get() > 0 {
            mask &= !(gfp::GFP_DIRECT_RECLAIM | gfp::GFP_KSWAPD_RECLAIM);
            mask |= TRANSHUGE_GFP;
        }
        if self.zones[z].zone == ZoneType::Movable {
            mask |= gfp::GFP_HIGHMEM;
        }
        mask |= gfp::GFP_COMP;
        let nid = self.zones[z].nid;
        let target = self
            .alloc_pages_nodemask(Gfp(mask), u32::from(order.get()), nid, targets, trace)
            .unwrap_or(None);
        let Some(target) = target else {
            trace.emit(Event::ContigMigrateFailed { pfn: from, order });
            return Err(ContigFailure::NoMemory { pfn: from, order });
        };
        let to = target.pfn;
        if let Some(tz) = self.zone_of_pfn(to) {
            self.zones[tz].buddy.set_page_movable(to, true);
        }
        let buddy = &mut self.zones[z].buddy;
        buddy.set_page_movable(from, false);
        if state == BlockState::Reserved {
            // The model's reserved LRU page becomes an ordinary page to free.
            let _ = buddy.load_in_use(from, Order::ZERO);
        }
        let _ = self.free_pages(from, u32::from(order.get()), trace);
        trace.emit(Event::ContigMigrated {
            from,
            to,
            order,
            owner,
        });
        migrations.push(Migration { from, to, order });
        Ok(Some(to))
    }

    /// `test_pages_isolated()` on a checked range: `None` if it passes, else the
    /// first pfn in the way.
    pub(super) fn test_isolated(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let buddy = &self.zones[z].buddy;
        let mut pfn = start;
        while pfn < end {
            if buddy.pageblock_type(Pfn(pfn)) != MigrateType::Isolate {
                break;
            }
            pfn += PAGEBLOCK_PAGES;
        }
        if pfn >= end {
            pfn = start;
            while pfn < end {
                match buddy.free_order(Pfn(pfn)) {
                    Some(order) => pfn += order.pages(),
                    None => break,
                }
            }
        }
        trace.emit(Event::TestPagesIsolated {
            start: Pfn(start),
            end: Pfn(end),
            fin: Pfn(pfn),
        });
        (pfn < end).then_some(Pfn(pfn))
    }

    /// `isolate_freepages_range()` in strict mode on pages `test_pages_isolated()`
    /// just passed: every free block from `start` is taken off its list with
    /// `__isolate_free_page()` (counted out of NR_FREE_PAGES and its pageblocks made
    /// MOVABLE only for a block outside isolation, which does not arise here; the
    /// watermark check of that case is not modelled) and split into single pages
    /// (`split_map_pages()`). Returns the end of the last block, or `None`, changing
    /// nothing, if a page on the way is not free.
    fn isolate_freepages_range(
        &mut self,
        z: usize,
        start: u64,
        end: u64,
        trace: &mut impl TraceSink,
    ) -> Option<u64> {
        let mut pfn = start;
        while pfn < end {
            pfn += self.zones[z].buddy.free_order(Pfn(pfn))?.pages();
        }
        let outer_end = pfn;
        let cpu = self.cpu;
        let zone = &mut self.zones[z];
        let mut taken = Vec::new();
        pfn = start;
        while pfn < outer_end {
            let here = Pfn(pfn);
            let migratetype = zone.buddy.pageblock_type(here);
            let (order, _) = zone.buddy.take_free_block(here)?;
            if migratetype != MigrateType::Isolate {
                zone.mod_free_pages(cpu, -(order.pages() as i64));
            }
            if order.get() + 1 >= PAGEBLOCK_ORDER {
                let blocks = (order.pages() / PAGEBLOCK_PAGES).max(1);
                for i in 0..blocks {
                    let block = Pfn(pfn + i * PAGEBLOCK_PAGES);
                    if zone.buddy.pageblock_type(block).is_mergeable() {
                        zone.buddy.set_pageblock_type(block, MigrateType::Movable);
                    }
                }
            }
            trace.emit(Event::FreePageTaken { pfn: here, order });
            taken.push((here, order));
            pfn += order.pages();
        }
        for (block, order) in taken {
            let pieces: Vec<(Pfn, Order)> = (0..order.pages())
                .map(|i| (Pfn(block.0 + i), Order::ZERO))
                .collect();
            let _ = zone.buddy.split_in_use_into(block, order, &pieces);
        }
        Some(outer_end)
    }
}

/// The types isolation may restore pageblocks to.
fn restorable(migratetype: MigrateType) -> Result<(), ContigError> {
    if migratetype.is_mergeable() {
        Ok(())
    } else {
        Err(ContigError::BadMigratetype { migratetype })
    }
}

/// The kernel's walk for the free block that may hold `pfn`: the first free head met
/// while rounding `pfn` down to ever larger orders, or `None` past MAX_ORDER. (The
/// block found is not checked to reach `pfn`; callers check that, as the kernel does.)
fn free_head_at_or_below(buddy: &BuddyZone, pfn: u64) -> Option<u64> {
    let mut head = pfn;
    let mut order = 0u8;
    while buddy.free_order(Pfn(head)).is_none() {
        order += 1;
        if order >= MAX_ORDER {
            return None;
        }
        head &= !0u64 << order;
    }
    Some(head)
}
