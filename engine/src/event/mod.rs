//! Trace events: every decision the model takes, named after the kernel function that
//! takes it, with its inputs and outcome. The page shows them as "what just happened";
//! tests compare them as data.
//!
//! Here: the events, [`Event::kernel_function`] (the one table from an event to the
//! kernel function it models) and [`Event::block`]. `describe.rs` writes each event's
//! sentence.

mod describe;
mod watermark;

pub use watermark::{FreeAreaScan, FullCheck, WatermarkTerms};

use crate::types::ZoneType;
use crate::types::{MigrateType, Order, Pfn};

/// Where `__free_one_page()` put a block on its free list, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// `list_add()`: the head, so it is handed out next.
    Head,
    /// `list_add_tail()` because the caller passed `FPI_TO_TAIL` (boot-time freeing,
    /// memory onlining).
    TailRequested,
    /// `list_add_tail()` because `buddy_merge_likely()` found the next-order buddy
    /// free: keep this block unused so it can merge when its own buddy comes back.
    TailMergeLikely,
}

/// Why `free_pcppages_bulk()` gives pages back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainCause {
    /// `free_unref_page_commit()`: after the free, CPU `cpu`'s list held `count`
    /// pages, at or over `nr_pcp_high()`'s `high`, so `nr_pcp_free()` said to give
    /// back `to_free`. `free_high`: `high` is 0 because high-order pages are being
    /// freed in bulk.
    OverHigh {
        cpu: u32,
        count: u64,
        high: u64,
        to_free: u64,
        free_high: bool,
    },
    /// A drain (`drain_local_pages()`, `drain_all_pages()`): CPU `cpu`'s lists of
    /// the zone are emptied.
    Drained { cpu: u32 },
    /// The trace replay's follow mode: the traced kernel's `free_pcppages_bulk()`
    /// gave this page back from CPU `cpu`'s list (an mm_page_pcpu_drain line).
    Traced { cpu: u32 },
}

/// Which way `steal_suitable_fallback()` went with a fallback block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StealKind {
    /// The block's pageblock is a highatomic reserve: only the block moves.
    Highatomic,
    /// The block is `pageblocks` whole pageblocks (order ≥ pageblock_order):
    /// `change_pageblock_range()` gives each the requested type, and the block moves.
    WholeBlocks { pageblocks: u64 },
    /// `can_steal_fallback()` said no (a Movable request below half a pageblock's
    /// order): only the block moves, the pageblock keeps its type.
    BlockOnly,
    /// `move_freepages_block()` moved the pageblock's `free_pages` free pages to the
    /// requester's lists; `alike_pages` of its pages in use count as compatible. The
    /// pageblock is claimed when the two reach half a pageblock. With no free page
    /// moved, only the block moves.
    Pageblock { free_pages: u64, alike_pages: u64 },
    /// Linux 6.12's `try_to_steal_block()` on a block of `pageblocks` whole
    /// pageblocks: `change_pageblock_range()` gives each the requested type and the
    /// block is split for the request right away (no `__rmqueue_smallest()` retry).
    ClaimWhole { pageblocks: u64 },
    /// Linux 6.12's `try_to_steal_block()`: the pageblock's `free_pages` free pages
    /// and `alike_pages` compatible pages in use reached half a pageblock, so
    /// `__move_freepages_block()` moved the free ones to the requester's lists and
    /// gave the pageblock its type; `__rmqueue_smallest()` then took the page.
    ClaimPageblock { free_pages: u64, alike_pages: u64 },
    /// Linux 6.12's `__rmqueue_steal()`: one block taken off the fallback list and
    /// split there, its pageblock and the split remainder left as they were.
    StealBlock,
}

/// Why Linux 6.12's `try_to_steal_block()` did not claim a fallback pageblock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// The pageblock is a highatomic reserve.
    Highatomic,
    /// The pageblock is not wholly inside the zone (`prep_move_freepages_block()`).
    ZoneBoundary,
    /// Its free and compatible pages are fewer than half a pageblock.
    TooFew { free_pages: u64, alike_pages: u64 },
}

/// Linux 6.12's `nr_pcp_alloc()`: the arithmetic of a refill's size, and the
/// `high` and `alloc_factor` it left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcpAllocSize {
    pub cpu: u32,
    pub order: Order,
    /// `pcp->count` before the refill.
    pub count: u64,
    pub base_batch: u64,
    pub high_min: u64,
    pub high_max: u64,
    /// `high` as found, and after the clamp to [high_min, high_max].
    pub high_found: u64,
    pub high_clamped: u64,
    /// `high` after the growth by a batch (unchanged under ZONE_BELOW_HIGH or a
    /// fixed range).
    pub high: u64,
    pub below_high: bool,
    pub alloc_factor_before: u32,
    pub alloc_factor: u32,
    /// What it returned: the pages (blocks of `order`) asked of `rmqueue_bulk()`.
    pub batch: u64,
}

/// Linux 6.12's `nr_pcp_high()` on a free: which rule set `high`, and what it
/// returned as the threshold for a drain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcpHighTuning {
    pub cpu: u32,
    pub rule: PcpHighRule,
    pub count: u64,
    pub batch: u64,
    pub free_count: u64,
    pub high_min: u64,
    pub high_max: u64,
    /// `pcp->high` before (after the clamp) and after.
    pub high_before: u64,
    pub high_after: u64,
    /// The threshold the free compares `count` with.
    pub threshold: u64,
}

/// The branch `nr_pcp_high()` took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PcpHighRule {
    /// `high` is 0: the lists are disabled.
    Disabled,
    /// High-order pages are being freed in bulk (`free_high`).
    FreeHigh,
    /// ZONE_RECLAIM_ACTIVE: `high` shrinks and the threshold is at most 4 batches.
    ReclaimActive,
    /// high_min equals high_max: nothing to tune.
    Fixed,
    /// ZONE_BELOW_HIGH: `high` shrinks by the pages freed since the last allocation.
    BelowHigh,
    /// The list reached `high`: `high` grows to hold a batch of frees.
    Grow,
    /// Below `high`: unchanged.
    Unchanged,
}

/// What the caller of `__rmqueue_smallest()` does after it found no block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterNoBlock {
    /// `__rmqueue()` tries the CMA lists next (`__rmqueue_cma_fallback()`, ALLOC_CMA).
    Cma,
    /// `__rmqueue()` tries other migratetypes' lists next (`__rmqueue_fallback()`).
    Fallback,
    /// `__rmqueue()` tried CMA first (CMA held over half the free pages) and tries
    /// the request's own list next.
    OwnList,
    /// `rmqueue_buddy()` tried the highatomic reserve first (ALLOC_HIGHATOMIC) and
    /// tries `__rmqueue()` next.
    Rmqueue,
    /// Nothing else to try in this zone: the caller gets no page from it.
    GiveUp,
}

impl AfterNoBlock {
    /// The next step, in words.
    pub fn describe(self) -> &'static str {
        match self {
            AfterNoBlock::Cma => "__rmqueue tries the CMA lists next",
            AfterNoBlock::Fallback => "__rmqueue tries the fallback lists next",
            AfterNoBlock::OwnList => "__rmqueue tries the request's own list next",
            AfterNoBlock::Rmqueue => "rmqueue_buddy tries __rmqueue next",
            AfterNoBlock::GiveUp => "nothing else to try in this zone",
        }
    }
}

/// `pgdat_balanced()` on one node: whether a zone up to the highest index kswapd
/// works for passes `zone_watermark_ok_safe()` at its high watermark (boost
/// included, as `high_wmark_pages()` adds it) for the order, with every term of
/// that check, for the zone that decided: the first balanced zone, bottom up, or
/// else the highest eligible zone (the last one checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceCheck {
    /// `None`: the node has no managed zone up to the index (balanced by definition).
    pub zone: Option<ZoneType>,
    /// kswapd's highest zone index, whose `lowmem_reserve` entry the check adds.
    pub highest: ZoneType,
    /// The zone's free pages as the check read them.
    pub free: i64,
    /// Its raw high watermark.
    pub high: u64,
    /// Its `watermark_boost`.
    pub boost: u64,
    /// Its `lowmem_reserve[highest]`.
    pub lowmem_reserve: u64,
    /// Its `nr_reserved_highatomic`, which `__zone_watermark_unusable_free()`
    /// subtracts (the check passes no `ALLOC_*` flags, so no reserves are usable).
    pub highatomic: u64,
    /// On a CMA kernel, its free CMA pages, subtracted too (no ALLOC_CMA).
    pub cma: Option<i64>,
    /// `__zone_watermark_ok()` at high + boost: the usable free pages, the
    /// free-pages test and, for order > 0, the free-area scan.
    pub check: FullCheck,
    pub balanced: bool,
}

/// Why `wakeup_kswapd()` returned without waking kswapd (it records the order and
/// zone index first in every case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KswapdSkip {
    /// kswapd is not on its wait queue: woken already and not yet run.
    Awake,
    /// `kswapd_failures` reached `MAX_RECLAIM_RETRIES`: the node is left to direct
    /// reclaim.
    Hopeless { failures: u32 },
    /// The node is balanced for the request and no zone up to its index is boosted.
    Balanced { check: BalanceCheck },
}

/// One decision of the allocator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `__rmqueue_smallest()` found `free_area[order].free_list[migratetype]` empty.
    AreaEmpty {
        order: Order,
        migratetype: MigrateType,
    },
    /// `__rmqueue_smallest()` took the block at the head of
    /// `free_area[order].free_list[migratetype]`.
    TakeBlock {
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
    },
    /// `expand()` split a block and put the upper half, `pfn` of `order`, at the head
    /// of `free_area[order].free_list[migratetype]`.
    SplitHalf {
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
    },
    /// The allocation of `order` succeeded at `pfn`.
    Allocated { pfn: Pfn, order: Order },
    /// `__rmqueue_smallest()` found no block on `free_list[migratetype]` from
    /// `free_area[order]` up. Not the end of the request: `then` is what its caller
    /// does next, as the engine ran it.
    NoBlock {
        order: Order,
        migratetype: MigrateType,
        then: AfterNoBlock,
    },
    /// `__rmqueue_fallback()` found no block of `order` or above on the lists
    /// `migratetype` may fall back to: `__rmqueue()` gets no page from this zone.
    NoFallback {
        order: Order,
        migratetype: MigrateType,
    },
    /// `__alloc_pages()` returns NULL: no zone could serve the request, in the fast
    /// path or the slow path.
    AllocFailed { order: Order },
    /// `__free_one_page()` found the buddy `buddy` free at `order` and merged with it.
    Merge { pfn: Pfn, buddy: Pfn, order: Order },
    /// `__free_one_page()` stopped merging (buddy not free, or the largest order) and
    /// put the block on `free_area[order].free_list[migratetype]`.
    AddFree {
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        placement: Placement,
    },
    /// `__alloc_pages()` was called.
    AllocStart {
        gfp: u32,
        order: Order,
        cpu: u32,
        node: u32,
        migratetype: MigrateType,
        highest_zone: ZoneType,
    },
    /// `prepare_alloc_pages()` leaves this zone of the zonelist out of the walk (the
    /// kernel's `for_next_zone_zonelist_nodemask()` skips it): its node is not in the
    /// request's nodemask.
    ZoneNotInNodemask { node: u32, zone: ZoneType },
    /// `zone_watermark_fast()` checked a zone's watermark for
    /// `get_page_from_freelist()`: every term the check used and what each of its
    /// steps found.
    WatermarkCheck {
        node: u32,
        zone: ZoneType,
        order: Order,
        terms: WatermarkTerms,
        ok: bool,
    },
    /// `get_page_from_freelist()` dropped ALLOC_NOFRAGMENT and walked the zonelist again.
    NoFragmentRetry,
    /// `rmqueue_bulk()` refilled a per-cpu list with `pages` blocks.
    PcpRefill {
        node: u32,
        zone: ZoneType,
        order: Order,
        pages: u64,
    },
    /// `__rmqueue_pcplist()` took the head of per-cpu list `pindex`.
    PcpTake {
        pfn: Pfn,
        order: Order,
        pindex: u32,
        cpu: u32,
    },
    /// `free_unref_page_commit()` put a page at the head of per-cpu list `pindex`.
    PcpFree {
        pfn: Pfn,
        order: Order,
        pindex: u32,
        cpu: u32,
    },
    /// tracepoint mm_page_alloc_zone_locked: `__rmqueue_smallest()` took a block off
    /// `free_list[migratetype]`.
    ZoneLocked {
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        pcp: bool,
    },
    /// tracepoint mm_page_pcpu_drain: `free_pcppages_bulk()` returned a page to the
    /// buddy lists, for the reason `cause` says.
    PcpDrain {
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        cause: DrainCause,
    },
    /// tracepoint mm_page_alloc_extfrag: `__rmqueue_fallback()` stole a block
    /// (`steal_suitable_fallback()` moved it to the requester's list, with its
    /// pageblock or not: `how`). `claimed` is the tracepoint's change_ownership:
    /// the pageblock is now of the requested type. `boosted`: `boost_watermark()`
    /// raised the zone's boost and, the caller allowing kswapd, set
    /// ZONE_BOOSTED_WATERMARK, so `rmqueue()` wakes kswapd once it has the page.
    Steal {
        pfn: Pfn,
        alloc_order: Order,
        fallback_order: Order,
        alloc_migratetype: MigrateType,
        fallback_migratetype: MigrateType,
        claimed: bool,
        how: StealKind,
        boosted: bool,
        /// The pageblock's type before the steal (`old_block_type`), which may
        /// differ from the list the block was on (a page freed through a per-cpu list
        /// keeps the type it was cached with) and may already be the requested one.
        pageblock_type: MigrateType,
    },
    /// Linux 6.12's `try_to_steal_block()` did not claim the pageblock of the
    /// fallback block at `pfn`; `boosted` as for [`Event::Steal`]. The kernel traces
    /// nothing here.
    ClaimRefused {
        pfn: Pfn,
        fallback_order: Order,
        fallback_migratetype: MigrateType,
        alloc_migratetype: MigrateType,
        refusal: ClaimRefusal,
        boosted: bool,
    },
    /// Linux 6.12's `__rmqueue_claim()` claimed nothing: no fallback block from
    /// `min_order` up, or (`stopped_at`) the largest one found is of an order
    /// `can_steal_fallback()` refuses, or every claim was refused. `steal_next`:
    /// `__rmqueue_steal()` runs next (the request has no ALLOC_NOFRAGMENT).
    ClaimNone {
        min_order: Order,
        migratetype: MigrateType,
        stopped_at: Option<Order>,
        steal_next: bool,
    },
    /// Linux 6.12's claim and steal paths took the free block at `pfn` off
    /// `free_area[order].free_list[migratetype]` themselves (`del_page_from_free_list()`
    /// and `page_del_and_expand()` call `__del_page_from_free_list()`).
    BlockTaken {
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
    },
    /// Linux 6.12's `__rmqueue_steal()` found no block of `order` or above on the
    /// lists `migratetype` requests may fall back to.
    StealNone {
        order: Order,
        migratetype: MigrateType,
    },
    /// Linux 6.12's `nr_pcp_alloc()` sized a refill.
    PcpAllocSize(PcpAllocSize),
    /// Linux 6.12's `nr_pcp_high()` set `high` on a free.
    PcpHigh(PcpHighTuning),
    /// Linux 6.12's `get_page_from_freelist()` tested the zone against its high
    /// watermark (only while ZONE_BELOW_HIGH is clear): below it, the flag is set.
    BelowHighCheck {
        node: u32,
        zone: ZoneType,
        order: Order,
        terms: WatermarkTerms,
        ok: bool,
    },
    /// Linux 6.12's `free_unref_page_commit()` cleared ZONE_BELOW_HIGH after a drain
    /// left the zone's free pages above the high watermark.
    BelowHighCleared {
        node: u32,
        zone: ZoneType,
        free_pages: i64,
        high_mark: u64,
    },
    /// `reserve_highatomic_pageblock()` made the pageblock a highatomic reserve.
    HighatomicReserve { pfn: Pfn, reserved: u64 },
    /// `split_page()`: the in-use block of `order` at `pfn` became `2^order` in-use
    /// single pages.
    PageSplit { pfn: Pfn, order: Order },
    /// `make_alloc_exact()`: of the order-`order` block at `pfn`, the first `kept`
    /// pages stay allocated and the rest are freed one by one.
    AllocExact { pfn: Pfn, order: Order, kept: u64 },
    /// `set_migratetype_isolate()`: the pageblock at `pfn` is MIGRATE_ISOLATE; its
    /// `moved` free pages went to the isolate lists and out of NR_FREE_PAGES.
    PageblockIsolated { pfn: Pfn, moved: u64 },
    /// `set_migratetype_isolate()` refused the pageblock at `pfn`: it was isolated
    /// already (`unmovable` is `None`), or `has_unmovable_pages()` found `unmovable`.
    IsolationRefused { pfn: Pfn, unmovable: Option<Pfn> },
    /// `unset_migratetype_isolate()`: the pageblock at `pfn` is `migratetype` again and
    /// `moved` free pages are back in NR_FREE_PAGES; `merged`: its whole-pageblock free
    /// block was taken off and freed again so it could merge with its buddy.
    PageblockUnisolated {
        pfn: Pfn,
        migratetype: MigrateType,
        moved: u64,
        merged: bool,
    },
    /// `split_free_page()`: the free block of `order` at `pfn` was cut at `at` and
    /// each part freed to the list of its own pageblock's type.
    FreePageSplit { pfn: Pfn, order: Order, at: Pfn },
    /// `migrate_pages()` for a contiguous range: the in-use block of `order` at
    /// `from` now lives at `to`, and `from` was freed. `owner`: who holds the page
    /// (the session's allocation index), if it has an owner.
    ContigMigrated {
        from: Pfn,
        to: Pfn,
        order: Order,
        owner: Option<u64>,
    },
    /// `migrate_pages()` for a contiguous range found no target page for the block
    /// at `pfn` (-ENOMEM).
    ContigMigrateFailed { pfn: Pfn, order: Order },
    /// tracepoint test_pages_isolated: `[start, end)` was checked; `fin` is the first
    /// pfn that is not a free page of an isolated pageblock (`end` or beyond if
    /// there is none).
    TestPagesIsolated { start: Pfn, end: Pfn, fin: Pfn },
    /// `__isolate_free_page()` for `isolate_freepages_range()`: the free block of
    /// `order` at `pfn` left the free lists for a contiguous allocation.
    FreePageTaken { pfn: Pfn, order: Order },
    /// `take_page_off_buddy()` as the trace replay's follow mode uses it: the block
    /// of `order` at `pfn`, where the traced kernel put an allocation, was taken out
    /// of the free block `from` of `from_order` on the `migratetype` list (the rest
    /// split back by `break_down_buddy_pages()`), or off CPU `pcp_cpu`'s per-cpu
    /// list when it lay there (then `from` is `pfn`).
    TakenOffBuddy {
        pfn: Pfn,
        order: Order,
        from: Pfn,
        from_order: Order,
        migratetype: MigrateType,
        pcp_cpu: Option<u32>,
    },
    /// `__alloc_pages_slowpath()` entered, with `gfp_to_alloc_flags()`'s flags.
    SlowPath { alloc_flags: u32 },
    /// `wakeup_kswapd()`.
    KswapdWake {
        node: u32,
        order: u8,
        highest_zoneidx: u32,
    },
    /// tracepoint mm_page_alloc: `__alloc_pages()` succeeded.
    PageAlloc {
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        gfp: u32,
    },
    /// tracepoint mm_page_free: a block is being freed.
    PageFree { pfn: Pfn, order: Order },
    /// The kernel would do something here that the model does not run yet.
    NotModelled { what: &'static str },
    /// Reclaim freed an LRU page its owner no longer has.
    Reclaimed { pfn: Pfn, owner: u64 },
    /// `__alloc_pages_direct_reclaim()` freed this many pages.
    DirectReclaim { reclaimed: u64 },
    /// `wakeup_kswapd()` recorded the order and zone index but did not wake kswapd.
    KswapdNotWoken {
        node: u32,
        order: u8,
        highest_zoneidx: u32,
        reason: KswapdSkip,
    },
    /// One round of `balance_pgdat()`'s loop: the `pgdat_balanced()` check for
    /// `order` and what follows from it and `nr_boost_reclaim` (the boost pages
    /// still to reclaim).
    KswapdRound {
        node: u32,
        order: u8,
        highest_zoneidx: u32,
        check: BalanceCheck,
        nr_boost_reclaim: u64,
    },
    /// `balance_pgdat()` took back the boost it started with from a zone.
    BoostCleared {
        node: u32,
        zone: ZoneType,
        boost: u64,
    },
    /// `balance_pgdat()` ended, having reclaimed `reclaimed` pages; `failures` is
    /// `kswapd_failures` after it.
    KswapdRun {
        node: u32,
        reclaimed: u64,
        failures: u32,
    },
    /// `kswapd_try_to_sleep()`: `prepare_kswapd_sleep()` for `order` decided whether
    /// kswapd sleeps (hopeless node or balanced) or runs `balance_pgdat()` again.
    KswapdTrySleep {
        node: u32,
        order: u8,
        failures: u32,
        check: BalanceCheck,
        sleeps: bool,
    },
    /// Compaction moved a page; its owner now has it at `to`.
    Migrated { from: Pfn, to: Pfn, owner: u64 },
    /// A compaction run of one zone ended.
    Compacted {
        node: u32,
        zone: ZoneType,
        migrated: u64,
        success: bool,
    },
    /// `__alloc_pages_may_oom()`: the OOM killer would now pick a victim.
    OomDecision { order: Order, would_kill: bool },
    /// `unreserve_highatomic_pageblock()` gave a highatomic pageblock back.
    HighatomicUnreserve { pfn: Pfn, migratetype: MigrateType },
    /// `offline_pages()` started on `[start, end)`.
    OfflinePages { start: Pfn, end: Pfn },
    /// `online_pages()` started on `[start, end)`, into this zone.
    OnlinePages {
        start: Pfn,
        end: Pfn,
        node: u32,
        zone: ZoneType,
    },
    /// Memory hotplug refused (the errno and why).
    HotplugFailed { reason: String },
    /// The range is now offline (or online).
    HotplugDone { start: Pfn, end: Pfn, online: bool },
    /// `build_all_zonelists()` rebuilt every node's zonelists.
    ZonelistsRebuilt,
    /// `init_per_zone_wmark_min()` recomputed min_free_kbytes and the watermarks.
    WatermarksRecomputed {
        min_free_kbytes: u64,
        warning: Option<String>,
    },
}

impl Event {
    /// The kernel function that takes this decision: the one place that maps an
    /// event to `mm/` (`Display` writes it before the sentence).
    pub fn kernel_function(&self) -> &'static str {
        match self {
            Event::AreaEmpty { .. } | Event::TakeBlock { .. } => "__rmqueue_smallest",
            Event::SplitHalf { .. } => "expand",
            Event::Allocated { .. } => "rmqueue",
            Event::NoBlock { .. } => "__rmqueue_smallest",
            Event::AllocFailed { .. } => "__alloc_pages",
            Event::Merge { .. } | Event::AddFree { .. } => "__free_one_page",
            Event::AllocStart { .. } | Event::PageAlloc { .. } => "__alloc_pages",
            Event::WatermarkCheck { .. } => "zone_watermark_fast",
            Event::NoFragmentRetry => "get_page_from_freelist",
            Event::ZoneNotInNodemask { .. } => "prepare_alloc_pages",
            Event::PcpRefill { .. } => "rmqueue_bulk",
            Event::PcpTake { .. } => "__rmqueue_pcplist",
            Event::PcpFree { .. } => "free_unref_page_commit",
            Event::ZoneLocked { .. } => "__rmqueue_smallest",
            Event::PcpDrain { .. } => "free_pcppages_bulk",
            Event::Steal {
                how: StealKind::StealBlock,
                ..
            } => "__rmqueue_steal",
            Event::Steal {
                how: StealKind::ClaimWhole { .. } | StealKind::ClaimPageblock { .. },
                ..
            } => "__rmqueue_claim",
            Event::Steal { .. } | Event::NoFallback { .. } => "__rmqueue_fallback",
            Event::ClaimRefused { .. } => "try_to_steal_block",
            Event::ClaimNone { .. } => "__rmqueue_claim",
            Event::StealNone { .. } => "__rmqueue_steal",
            Event::BlockTaken { .. } => "__del_page_from_free_list",
            Event::PcpAllocSize(_) => "nr_pcp_alloc",
            Event::PcpHigh(_) => "nr_pcp_high",
            Event::BelowHighCheck { .. } => "get_page_from_freelist",
            Event::BelowHighCleared { .. } => "free_unref_page_commit",
            Event::HighatomicReserve { .. } => "reserve_highatomic_pageblock",
            Event::PageSplit { .. } => "split_page",
            Event::AllocExact { .. } => "make_alloc_exact",
            Event::PageblockIsolated { .. } | Event::IsolationRefused { .. } => {
                "set_migratetype_isolate"
            }
            Event::PageblockUnisolated { .. } => "unset_migratetype_isolate",
            Event::FreePageSplit { .. } => "split_free_page",
            Event::ContigMigrated { .. } | Event::ContigMigrateFailed { .. } => "migrate_pages",
            Event::TestPagesIsolated { .. } => "test_pages_isolated",
            Event::FreePageTaken { .. } => "__isolate_free_page",
            Event::TakenOffBuddy { .. } => "take_page_off_buddy",
            Event::SlowPath { .. } | Event::NotModelled { .. } => "__alloc_pages_slowpath",
            Event::KswapdWake { .. } => "wakeup_kswapd",
            Event::PageFree { .. } => "free_pages_prepare",
            Event::Reclaimed { .. } => "shrink_page_list",
            Event::DirectReclaim { .. } => "__alloc_pages_direct_reclaim",
            Event::KswapdNotWoken { .. } => "wakeup_kswapd",
            Event::KswapdRun { .. } | Event::KswapdRound { .. } | Event::BoostCleared { .. } => {
                "balance_pgdat"
            }
            Event::KswapdTrySleep { .. } => "kswapd_try_to_sleep",
            Event::Migrated { .. } => "migrate_pages",
            Event::Compacted { .. } => "compact_zone",
            Event::OomDecision { .. } => "__alloc_pages_may_oom",
            Event::HighatomicUnreserve { .. } => "unreserve_highatomic_pageblock",
            Event::OfflinePages { .. } => "offline_pages",
            Event::OnlinePages { .. } => "online_pages",
            Event::HotplugFailed { .. } | Event::HotplugDone { online: false, .. } => {
                "offline_pages"
            }
            Event::HotplugDone { online: true, .. } => "online_pages",
            Event::ZonelistsRebuilt => "build_all_zonelists",
            Event::WatermarksRecomputed { .. } => "init_per_zone_wmark_min",
        }
    }

    /// The block this event touches, for highlighting.
    pub fn block(&self) -> Option<(Pfn, Order)> {
        match *self {
            Event::AreaEmpty { .. }
            | Event::NoBlock { .. }
            | Event::NoFallback { .. }
            | Event::AllocFailed { .. }
            | Event::AllocStart { .. }
            | Event::WatermarkCheck { .. }
            | Event::ZoneNotInNodemask { .. }
            | Event::NoFragmentRetry
            | Event::PcpRefill { .. }
            | Event::SlowPath { .. }
            | Event::KswapdWake { .. }
            | Event::NotModelled { .. }
            | Event::DirectReclaim { .. }
            | Event::KswapdRun { .. }
            | Event::KswapdNotWoken { .. }
            | Event::KswapdRound { .. }
            | Event::BoostCleared { .. }
            | Event::KswapdTrySleep { .. }
            | Event::Compacted { .. }
            | Event::OomDecision { .. }
            | Event::OfflinePages { .. }
            | Event::OnlinePages { .. }
            | Event::HotplugFailed { .. }
            | Event::HotplugDone { .. }
            | Event::ZonelistsRebuilt
            | Event::ClaimNone { .. }
            | Event::StealNone { .. }
            | Event::PcpAllocSize(_)
            | Event::PcpHigh(_)
            | Event::BelowHighCheck { .. }
            | Event::BelowHighCleared { .. }
            | Event::WatermarksRecomputed { .. } => None,
            Event::ClaimRefused {
                pfn,
                fallback_order,
                ..
            } => Some((pfn, fallback_order)),
            Event::HighatomicUnreserve { pfn, .. } => {
                Order::new(u32::from(crate::types::PAGEBLOCK_ORDER))
                    .map(|o| (Pfn(pfn.0 & !(o.pages() - 1)), o))
            }
            Event::Reclaimed { pfn, .. } | Event::Migrated { to: pfn, .. } => {
                Some((pfn, Order::ZERO))
            }
            Event::BlockTaken { pfn, order, .. } => Some((pfn, order)),
            Event::PcpTake { pfn, order, .. }
            | Event::PcpFree { pfn, order, .. }
            | Event::ZoneLocked { pfn, order, .. }
            | Event::PcpDrain { pfn, order, .. }
            | Event::PageAlloc { pfn, order, .. }
            | Event::PageFree { pfn, order } => Some((pfn, order)),
            Event::Steal {
                pfn,
                fallback_order,
                ..
            } => Some((pfn, fallback_order)),
            Event::HighatomicReserve { pfn, .. } => {
                Order::new(u32::from(crate::types::PAGEBLOCK_ORDER))
                    .map(|o| (Pfn(pfn.0 & !(o.pages() - 1)), o))
            }
            Event::PageblockIsolated { pfn, .. }
            | Event::IsolationRefused { pfn, .. }
            | Event::PageblockUnisolated { pfn, .. } => {
                Order::new(u32::from(crate::types::PAGEBLOCK_ORDER))
                    .map(|o| (Pfn(pfn.0 & !(o.pages() - 1)), o))
            }
            Event::TestPagesIsolated { .. } => None,
            Event::ContigMigrated { to, order, .. } => Some((to, order)),
            Event::PageSplit { pfn, order }
            | Event::AllocExact { pfn, order, .. }
            | Event::FreePageSplit { pfn, order, .. }
            | Event::ContigMigrateFailed { pfn, order }
            | Event::FreePageTaken { pfn, order }
            | Event::TakenOffBuddy { pfn, order, .. } => Some((pfn, order)),
            Event::TakeBlock { pfn, order, .. }
            | Event::SplitHalf { pfn, order, .. }
            | Event::Allocated { pfn, order }
            | Event::AddFree { pfn, order, .. } => Some((pfn, order)),
            Event::Merge { pfn, buddy, order } => {
                let combined = Pfn(pfn.0 & buddy.0);
                order.higher().map(|higher| (combined, higher))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PFN: Pfn = Pfn(512);
    const NODE: u32 = 0;
    const CPU: u32 = 1;
    const ZONE: ZoneType = ZoneType::Normal;
    const MIGRATETYPE: MigrateType = MigrateType::Movable;

    fn order() -> Order {
        Order::new(3).expect("order 3")
    }

    /// One event of every variant, in the order of [`sample_index`].
    pub(super) fn one_of_each() -> Vec<Event> {
        [
            free_list_samples(),
            pcp_samples(),
            zone_samples(),
            reclaim_samples(),
            contig_samples(),
            // Added after the numbering above was laid out, so last.
            vec![Event::NoBlock {
                order: order(),
                migratetype: MIGRATETYPE,
                then: AfterNoBlock::Fallback,
            }],
            vec![Event::NoFallback {
                order: order(),
                migratetype: MIGRATETYPE,
            }],
            kswapd_samples(),
            vec![Event::TakenOffBuddy {
                pfn: Pfn(516),
                order: Order::ZERO,
                from: PFN,
                from_order: order(),
                migratetype: MIGRATETYPE,
                pcp_cpu: None,
            }],
            v6_12_samples(),
        ]
        .concat()
    }

    /// The events only Linux 6.12's paths emit.
    fn v6_12_samples() -> Vec<Event> {
        let terms = match zone_samples()
            .into_iter()
            .find(|e| matches!(e, Event::WatermarkCheck { .. }))
        {
            Some(Event::WatermarkCheck { terms, .. }) => terms,
            _ => unreachable!("zone_samples has a watermark check"),
        };
        vec![
            Event::ClaimRefused {
                pfn: PFN,
                fallback_order: order(),
                fallback_migratetype: MigrateType::Movable,
                alloc_migratetype: MigrateType::Unmovable,
                refusal: ClaimRefusal::TooFew {
                    free_pages: 8,
                    alike_pages: 100,
                },
                boosted: true,
            },
            Event::ClaimNone {
                min_order: order(),
                migratetype: MIGRATETYPE,
                stopped_at: Some(order()),
                steal_next: true,
            },
            Event::PcpAllocSize(PcpAllocSize {
                cpu: CPU,
                order: Order::ZERO,
                count: 0,
                base_batch: 63,
                high_min: 1000,
                high_max: 6074,
                high_found: 0,
                high_clamped: 1000,
                high: 1126,
                below_high: false,
                alloc_factor_before: 1,
                alloc_factor: 2,
                batch: 126,
            }),
            Event::PcpHigh(PcpHighTuning {
                cpu: CPU,
                rule: PcpHighRule::Grow,
                count: 1200,
                batch: 63,
                free_count: 1190,
                high_min: 1000,
                high_max: 6074,
                high_before: 1200,
                high_after: 1253,
                threshold: 1200,
            }),
            Event::BelowHighCheck {
                node: NODE,
                zone: ZONE,
                order: order(),
                terms: WatermarkTerms {
                    mark_index: Some(2),
                    v6_12: true,
                    ..terms
                },
                ok: false,
            },
            Event::BelowHighCleared {
                node: NODE,
                zone: ZONE,
                free_pages: 5000,
                high_mark: 4000,
            },
            Event::StealNone {
                order: order(),
                migratetype: MIGRATETYPE,
            },
            Event::BlockTaken {
                pfn: PFN,
                order: order(),
                migratetype: MIGRATETYPE,
            },
        ]
    }

    /// The free-list events.
    fn free_list_samples() -> Vec<Event> {
        let pfn = PFN;
        let order = order();
        let migratetype = MIGRATETYPE;
        vec![
            Event::AreaEmpty { order, migratetype },
            Event::TakeBlock {
                pfn,
                order,
                migratetype,
            },
            Event::SplitHalf {
                pfn,
                order,
                migratetype,
            },
            Event::Allocated { pfn, order },
            Event::AllocFailed { order },
            Event::Merge {
                pfn,
                buddy: Pfn(520),
                order,
            },
            Event::AddFree {
                pfn,
                order,
                migratetype,
                placement: Placement::TailMergeLikely,
            },
            Event::ZoneLocked {
                pfn,
                order,
                migratetype,
                pcp: true,
            },
            Event::Steal {
                pfn,
                alloc_order: Order::ZERO,
                fallback_order: order,
                alloc_migratetype: MigrateType::Unmovable,
                fallback_migratetype: migratetype,
                claimed: false,
                how: StealKind::Pageblock {
                    free_pages: 40,
                    alike_pages: 100,
                },
                boosted: true,
                pageblock_type: migratetype,
            },
            Event::HighatomicReserve { pfn, reserved: 512 },
            Event::HighatomicUnreserve { pfn, migratetype },
            Event::PageSplit { pfn, order },
            Event::AllocExact {
                pfn,
                order,
                kept: 5,
            },
            Event::PageAlloc {
                pfn,
                order,
                migratetype,
                gfp: 0xcc0,
            },
            Event::PageFree { pfn, order },
        ]
    }

    /// The per-cpu list events.
    fn pcp_samples() -> Vec<Event> {
        let pfn = PFN;
        let order = order();
        let node = NODE;
        let zone = ZONE;
        let cpu = CPU;
        let migratetype = MIGRATETYPE;
        vec![
            Event::PcpRefill {
                node,
                zone,
                order,
                pages: 31,
            },
            Event::PcpTake {
                pfn,
                order,
                pindex: 3,
                cpu,
            },
            Event::PcpFree {
                pfn,
                order,
                pindex: 3,
                cpu,
            },
            Event::PcpDrain {
                pfn,
                order,
                migratetype,
                cause: DrainCause::OverHigh {
                    cpu,
                    count: 190,
                    high: 186,
                    to_free: 31,
                    free_high: false,
                },
            },
        ]
    }

    /// The zonelist and watermark events.
    fn zone_samples() -> Vec<Event> {
        let order = order();
        let node = NODE;
        let zone = ZONE;
        let cpu = CPU;
        let migratetype = MIGRATETYPE;
        vec![
            Event::AllocStart {
                gfp: 0xcc0,
                order,
                cpu,
                node,
                migratetype,
                highest_zone: zone,
            },
            Event::WatermarkCheck {
                node,
                zone,
                order,
                terms: WatermarkTerms {
                    v6_12: false,
                    mark_index: None,
                    alloc_flags: 1,
                    highest_zone: zone,
                    mark_base: 128,
                    boost: 0,
                    free_pages: 100,
                    highatomic_unusable: Some(0),
                    cma_unusable: None,
                    lowmem_reserve: 0,
                    shortcut: None,
                    full: Some(FullCheck {
                        mark: 128,
                        min: 128,
                        usable: 93,
                        free_ok: false,
                        scan: None,
                    }),
                    unboosted: None,
                },
                ok: false,
            },
            Event::ZoneNotInNodemask { node, zone },
            Event::NoFragmentRetry,
            Event::ZonelistsRebuilt,
            Event::WatermarksRecomputed {
                min_free_kbytes: 8192,
                warning: None,
            },
        ]
    }

    /// The kswapd events added with kswapd's own calls.
    fn kswapd_samples() -> Vec<Event> {
        let node = NODE;
        let check = BalanceCheck {
            zone: Some(ZONE),
            highest: ZONE,
            free: 900,
            high: 600,
            boost: 512,
            lowmem_reserve: 0,
            highatomic: 0,
            cma: None,
            check: FullCheck {
                mark: 1112,
                min: 1112,
                usable: 900,
                free_ok: false,
                scan: None,
            },
            balanced: false,
        };
        vec![
            Event::KswapdNotWoken {
                node,
                order: 0,
                highest_zoneidx: 2,
                reason: KswapdSkip::Balanced { check },
            },
            Event::KswapdRound {
                node,
                order: 0,
                highest_zoneidx: 2,
                check,
                nr_boost_reclaim: 512,
            },
            Event::BoostCleared {
                node,
                zone: ZONE,
                boost: 512,
            },
            Event::KswapdTrySleep {
                node,
                order: 0,
                failures: 0,
                check,
                sleeps: true,
            },
        ]
    }

    /// The reclaim and compaction events.
    fn reclaim_samples() -> Vec<Event> {
        let pfn = PFN;
        let order = order();
        let node = NODE;
        let zone = ZONE;
        vec![
            Event::SlowPath { alloc_flags: 0x41 },
            Event::KswapdWake {
                node,
                order: 3,
                highest_zoneidx: 2,
            },
            Event::NotModelled {
                what: "memory cgroups",
            },
            Event::Reclaimed { pfn, owner: 7 },
            Event::DirectReclaim { reclaimed: 32 },
            Event::KswapdRun {
                node,
                reclaimed: 64,
                failures: 0,
            },
            Event::Migrated {
                from: pfn,
                to: Pfn(4096),
                owner: 7,
            },
            Event::Compacted {
                node,
                zone,
                migrated: 12,
                success: true,
            },
            Event::OomDecision {
                order,
                would_kill: true,
            },
        ]
    }

    /// The contiguous-range and hotplug events.
    fn contig_samples() -> Vec<Event> {
        let pfn = PFN;
        let order = order();
        let node = NODE;
        let migratetype = MIGRATETYPE;
        vec![
            Event::PageblockIsolated { pfn, moved: 8 },
            Event::IsolationRefused {
                pfn,
                unmovable: Some(Pfn(600)),
            },
            Event::PageblockUnisolated {
                pfn,
                migratetype,
                moved: 8,
                merged: true,
            },
            Event::FreePageSplit {
                pfn,
                order,
                at: Pfn(516),
            },
            Event::ContigMigrated {
                from: pfn,
                to: Pfn(4096),
                order,
                owner: Some(7),
            },
            Event::ContigMigrateFailed { pfn, order },
            Event::TestPagesIsolated {
                start: pfn,
                end: Pfn(1024),
                fin: Pfn(1024),
            },
            Event::FreePageTaken { pfn, order },
            Event::OfflinePages {
                start: Pfn(32768),
                end: Pfn(65536),
            },
            Event::OnlinePages {
                start: Pfn(32768),
                end: Pfn(65536),
                node,
                zone: ZoneType::Movable,
            },
            Event::HotplugFailed {
                reason: "-EBUSY: a page cannot move".to_string(),
            },
            Event::HotplugDone {
                start: Pfn(32768),
                end: Pfn(65536),
                online: true,
            },
        ]
    }

    /// The variant's place in [`one_of_each`]. The match is exhaustive, so a new
    /// variant does not compile until it has a number, and the tests then fail until
    /// it has a sample.
    fn sample_index(event: &Event) -> usize {
        match event {
            Event::AreaEmpty { .. } => 0,
            Event::TakeBlock { .. } => 1,
            Event::SplitHalf { .. } => 2,
            Event::Allocated { .. } => 3,
            Event::AllocFailed { .. } => 4,
            Event::Merge { .. } => 5,
            Event::AddFree { .. } => 6,
            Event::AllocStart { .. } => 19,
            Event::ZoneNotInNodemask { .. } => 21,
            Event::WatermarkCheck { .. } => 20,
            Event::NoFragmentRetry => 22,
            Event::PcpRefill { .. } => 15,
            Event::PcpTake { .. } => 16,
            Event::PcpFree { .. } => 17,
            Event::ZoneLocked { .. } => 7,
            Event::PcpDrain { .. } => 18,
            Event::Steal { .. } => 8,
            Event::HighatomicReserve { .. } => 9,
            Event::PageSplit { .. } => 11,
            Event::AllocExact { .. } => 12,
            Event::PageblockIsolated { .. } => 34,
            Event::IsolationRefused { .. } => 35,
            Event::PageblockUnisolated { .. } => 36,
            Event::FreePageSplit { .. } => 37,
            Event::ContigMigrated { .. } => 38,
            Event::ContigMigrateFailed { .. } => 39,
            Event::TestPagesIsolated { .. } => 40,
            Event::FreePageTaken { .. } => 41,
            Event::SlowPath { .. } => 25,
            Event::KswapdWake { .. } => 26,
            Event::PageAlloc { .. } => 13,
            Event::PageFree { .. } => 14,
            Event::NotModelled { .. } => 27,
            Event::Reclaimed { .. } => 28,
            Event::DirectReclaim { .. } => 29,
            Event::KswapdRun { .. } => 30,
            Event::Migrated { .. } => 31,
            Event::Compacted { .. } => 32,
            Event::OomDecision { .. } => 33,
            Event::HighatomicUnreserve { .. } => 10,
            Event::OfflinePages { .. } => 42,
            Event::OnlinePages { .. } => 43,
            Event::HotplugFailed { .. } => 44,
            Event::HotplugDone { .. } => 45,
            Event::NoBlock { .. } => 46,
            Event::NoFallback { .. } => 47,
            Event::ZonelistsRebuilt => 23,
            Event::WatermarksRecomputed { .. } => 24,
            Event::KswapdNotWoken { .. } => 48,
            Event::KswapdRound { .. } => 49,
            Event::BoostCleared { .. } => 50,
            Event::KswapdTrySleep { .. } => 51,
            Event::TakenOffBuddy { .. } => 52,
            Event::ClaimRefused { .. } => 53,
            Event::ClaimNone { .. } => 54,
            Event::PcpAllocSize(_) => 55,
            Event::PcpHigh(_) => 56,
            Event::BelowHighCheck { .. } => 57,
            Event::BelowHighCleared { .. } => 58,
            Event::StealNone { .. } => 59,
            Event::BlockTaken { .. } => 60,
        }
    }

    #[test]
    fn the_samples_cover_every_variant_once() {
        let indexes: Vec<usize> = one_of_each().iter().map(sample_index).collect();
        let expected: Vec<usize> = (0..indexes.len()).collect();
        assert_eq!(indexes, expected);
    }

    /// The sentences leave the function out (`Display` puts it in front), so what
    /// can be checked of the table is that every entry is a C identifier a reader can
    /// search `mm/` for.
    #[test]
    fn every_event_names_a_kernel_function() {
        for event in one_of_each() {
            let name = event.kernel_function();
            let mut chars = name.chars();
            let first = chars.next();
            assert!(
                first.is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                    && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{event:?}: `{name}` is not a kernel function's name"
            );
            assert_eq!(
                event.to_string(),
                format!("{name}: {}", event.describe()),
                "{event:?}"
            );
        }
    }
}
