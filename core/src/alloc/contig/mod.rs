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
//! ([`crate::buddy::BuddyZone::set_page_movable`]): the kernel's PageLRU or __PageMovable.
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

mod isolate;
mod migrate;

use isolate::free_head_at_or_below;

use std::collections::BTreeSet;
use std::fmt;

use super::reclaim::LruPage;
use super::Allocator;
use crate::buddy::{TraceSink, PAGEBLOCK_NO_MEMMAP};
use crate::error::EngineError;
use crate::event::Event;
use crate::types::gfp::{self, Gfp};
use crate::types::ZoneType;
use crate::types::{
    MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_ORDER, PAGEBLOCK_PAGES, PAGE_SIZE_BYTES,
};

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
        crate::buddy::traced(trace, "split_page", |trace| {
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
        })
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
        crate::buddy::traced(trace, "alloc_pages_exact", |trace| {
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
            crate::buddy::traced(trace, "make_alloc_exact", |trace| {
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
                Ok::<(), EngineError>(())
            })?;
            Ok(Some(ExactAllocation {
                pfn: allocation.pfn,
                pages: kept,
                node: allocation.node,
                zone: allocation.zone,
            }))
        })
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
        crate::buddy::traced(trace, "alloc_contig_range", |trace| {
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
        })
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
        // Inserted one by one: `collect()` into a set compiles a copy of the standard
        // library's stable sort of its own (docs/performance.md, branch size21).
        let mut pfns = BTreeSet::new();
        for page in self.zones[z]
            .pcps
            .iter()
            .flat_map(|p| p.lists.iter().flatten())
        {
            pfns.insert(page.pfn);
        }
        pfns
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
        crate::buddy::traced(trace, "__free_pages_ok", |trace| {
            super::free::free_pages_prepare(pfn, order, trace);
            let cpu = self.cpu;
            let zone = &mut self.zones[z];
            // The type read before and after taking the zone lock is the same here.
            let migratetype = zone.buddy.pageblock_type(pfn);
            zone.buddy
                .free_block(pfn, order, migratetype, to_tail, trace)?;
            if migratetype != MigrateType::Isolate {
                zone.mod_free_pages(cpu, order.pages() as i64);
            }
            // 6.1's __free_pages_ok() and 6.12's free_one_page() count it.
            self.count_vm_events(crate::alloc::vmstat::VmEvent::Pgfree, order.pages());
            Ok(())
        })
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
        crate::buddy::traced(trace, "drain_all_pages", |trace| {
            let current = self.cpu;
            for cpu in self.online_cpus.clone() {
                self.cpu = cpu;
                let count = self.zones[z].pcp_mut(cpu).map_or(0, |p| p.count);
                if count > 0 {
                    let cause = crate::event::DrainCause::Drained { cpu };
                    self.free_pcppages_bulk(z, count, 0, cause, trace);
                }
            }
            self.cpu = current;
        })
    }
}
