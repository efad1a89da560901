//! Trace events: every decision the model takes, named after the kernel function that
//! takes it, with its inputs and outcome. The page shows them as "what just happened";
//! tests compare them as data.

use core::fmt;

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

/// One decision of the allocator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `__rmqueue_smallest()` looked at `free_area[order]` and found it empty.
    AreaEmpty { order: Order },
    /// `__rmqueue_smallest()` took the block at the head of `free_area[order]`.
    TakeBlock { pfn: Pfn, order: Order },
    /// `expand()` split a block and put the upper half, `pfn` of `order`, at the head
    /// of `free_area[order]`.
    SplitHalf { pfn: Pfn, order: Order },
    /// The allocation of `order` succeeded at `pfn`.
    Allocated { pfn: Pfn, order: Order },
    /// No free list from the requested order up had a block.
    AllocFailed { order: Order },
    /// `__free_one_page()` found the buddy `buddy` free at `order` and merged with it.
    Merge { pfn: Pfn, buddy: Pfn, order: Order },
    /// `__free_one_page()` stopped merging (buddy not free, or the largest order) and
    /// put the block on `free_area[order]`.
    AddFree {
        pfn: Pfn,
        order: Order,
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
    /// `for_next_zone_zonelist_nodemask()` passes over this zone of the zonelist: its
    /// node is not in the request's nodemask.
    ZoneNotInNodemask { node: u32, zone: ZoneType },
    /// `get_page_from_freelist()` checked a zone's watermark (`zone_watermark_fast()`).
    WatermarkCheck {
        node: u32,
        zone: ZoneType,
        order: Order,
        mark: u64,
        free_pages: i64,
        lowmem_reserve: u64,
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
    /// tracepoint mm_page_pcpu_drain: `free_pcppages_bulk()` returned a page.
    PcpDrain {
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
    },
    /// tracepoint mm_page_alloc_extfrag: `__rmqueue_fallback()` stole a block.
    Steal {
        pfn: Pfn,
        alloc_order: Order,
        fallback_order: Order,
        alloc_migratetype: MigrateType,
        fallback_migratetype: MigrateType,
        claimed: bool,
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
    /// kswapd balanced a node (the model's `balance_pgdat()`).
    KswapdRun { node: u32, reclaimed: u64 },
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
    /// The kernel function that takes this decision.
    pub fn kernel_function(&self) -> &'static str {
        match self {
            Event::AreaEmpty { .. } | Event::TakeBlock { .. } => "__rmqueue_smallest",
            Event::SplitHalf { .. } => "expand",
            Event::Allocated { .. } | Event::AllocFailed { .. } => "rmqueue",
            Event::Merge { .. } | Event::AddFree { .. } => "__free_one_page",
            Event::AllocStart { .. } | Event::PageAlloc { .. } => "__alloc_pages",
            Event::WatermarkCheck { .. } | Event::NoFragmentRetry => "get_page_from_freelist",
            Event::ZoneNotInNodemask { .. } => "for_next_zone_zonelist_nodemask",
            Event::PcpRefill { .. } => "rmqueue_bulk",
            Event::PcpTake { .. } => "__rmqueue_pcplist",
            Event::PcpFree { .. } => "free_unref_page_commit",
            Event::ZoneLocked { .. } => "__rmqueue_smallest",
            Event::PcpDrain { .. } => "free_pcppages_bulk",
            Event::Steal { .. } => "__rmqueue_fallback",
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
            Event::SlowPath { .. } | Event::NotModelled { .. } => "__alloc_pages_slowpath",
            Event::KswapdWake { .. } => "wakeup_kswapd",
            Event::PageFree { .. } => "__free_pages",
            Event::Reclaimed { .. } => "shrink_page_list",
            Event::DirectReclaim { .. } => "__alloc_pages_direct_reclaim",
            Event::KswapdRun { .. } => "balance_pgdat",
            Event::Migrated { .. } => "migrate_pages",
            Event::Compacted { .. } => "compact_zone",
            Event::OomDecision { .. } => "__alloc_pages_may_oom",
            Event::HighatomicUnreserve { .. } => "unreserve_highatomic_pageblock",
            Event::OfflinePages { .. } => "offline_pages",
            Event::OnlinePages { .. } => "online_pages",
            Event::HotplugFailed { .. } | Event::HotplugDone { .. } => "memory_block_action",
            Event::ZonelistsRebuilt => "build_all_zonelists",
            Event::WatermarksRecomputed { .. } => "init_per_zone_wmark_min",
        }
    }

    /// The block this event touches, for highlighting.
    pub fn block(&self) -> Option<(Pfn, Order)> {
        match *self {
            Event::AreaEmpty { .. }
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
            | Event::Compacted { .. }
            | Event::OomDecision { .. }
            | Event::OfflinePages { .. }
            | Event::OnlinePages { .. }
            | Event::HotplugFailed { .. }
            | Event::HotplugDone { .. }
            | Event::ZonelistsRebuilt
            | Event::WatermarksRecomputed { .. } => None,
            Event::HighatomicUnreserve { pfn, .. } => {
                Order::new(u32::from(crate::types::PAGEBLOCK_ORDER))
                    .map(|o| (Pfn(pfn.0 & !(o.pages() - 1)), o))
            }
            Event::Reclaimed { pfn, .. } | Event::Migrated { to: pfn, .. } => {
                Some((pfn, Order::ZERO))
            }
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
            | Event::FreePageTaken { pfn, order } => Some((pfn, order)),
            Event::TakeBlock { pfn, order }
            | Event::SplitHalf { pfn, order }
            | Event::Allocated { pfn, order }
            | Event::AddFree { pfn, order, .. } => Some((pfn, order)),
            Event::Merge { pfn, buddy, order } => {
                let combined = Pfn(pfn.0 & buddy.0);
                order.higher().map(|higher| (combined, higher))
            }
        }
    }
}

impl Event {
    /// What happened, in one sentence, without the function name.
    pub fn describe(&self) -> String {
        match self {
            Event::AreaEmpty { order } => {
                format!("free_area[{order}] is empty, try the next order")
            }
            Event::TakeBlock { pfn, order } => format!(
                "took the order-{order} block at pfn {pfn} from the head of free_area[{order}]"
            ),
            Event::SplitHalf { pfn, order } => format!(
                "split; the upper half, order {order} at pfn {pfn}, goes to the head of free_area[{order}]"
            ),
            Event::Allocated { pfn, order } => {
                format!("returned the order-{order} block at pfn {pfn}")
            }
            Event::AllocFailed { order } => format!(
                "no free block of order {order} or above; the allocation fails"
            ),
            Event::Merge { pfn, buddy, order } => format!(
                "the buddy of pfn {pfn} at order {order}, pfn {buddy}, is free: merge into order {}",
                order.get() + 1
            ),
            Event::AddFree {
                pfn,
                order,
                placement,
            } => {
                let where_ = match placement {
                    Placement::Head => "head",
                    Placement::TailRequested => "tail (FPI_TO_TAIL)",
                    Placement::TailMergeLikely => {
                        "tail (buddy_merge_likely: the next-order buddy is free)"
                    }
                };
                format!(
                    "the order-{order} block at pfn {pfn} goes to the {where_} of free_area[{order}]"
                )
            }
            Event::AllocStart { gfp, order, cpu, node, migratetype, highest_zone } => format!(
                "CPU {cpu}: order {order}, gfp {}, {} pages, from node {node}, zones up to {}",
                crate::types::gfp::Gfp(*gfp).describe(),
                migratetype.name(),
                highest_zone.name()
            ),
            Event::WatermarkCheck { node, zone, order, mark, free_pages, lowmem_reserve, ok } => format!(
                "zone {node}:{} order {order}: {free_pages} free pages against watermark {mark} + lowmem_reserve {lowmem_reserve}: {}",
                zone.name(),
                if *ok { "ok, try this zone" } else { "too low, next zone" }
            ),
            Event::ZoneNotInNodemask { node, zone } => format!(
                "zone {node}:{} is passed over: node {node} is not in the nodemask",
                zone.name()
            ),
            Event::NoFragmentRetry => "no zone could serve without mixing pageblocks: retry without ALLOC_NOFRAGMENT".to_string(),
            Event::PcpRefill { node, zone, order, pages } => {
                format!("the per-cpu list of zone {node}:{} was empty: refilled with {pages} order-{order} blocks", zone.name())
            }
            Event::PcpTake { pfn, order, pindex, cpu } => {
                format!("took pfn {pfn} (order {order}) from the head of CPU {cpu}'s per-cpu list {pindex}")
            }
            Event::PcpFree { pfn, order, pindex, cpu } => {
                format!("pfn {pfn} (order {order}) goes to the head of CPU {cpu}'s per-cpu list {pindex}")
            }
            Event::ZoneLocked { pfn, order, migratetype, .. } => {
                format!("took the order-{order} block at pfn {pfn} from free_list[{}]", migratetype.name())
            }
            Event::PcpDrain { pfn, order, migratetype } => format!(
                "pfn {pfn} (order {order}) leaves the per-cpu list (over its high mark, or drained) and goes back to free_list[{}]",
                migratetype.name()
            ),
            Event::Steal { pfn, alloc_order, fallback_order, alloc_migratetype, fallback_migratetype, claimed } => format!(
                "no {} block: stole the order-{fallback_order} {} block at pfn {pfn} for an order-{alloc_order} request{}",
                alloc_migratetype.name(),
                fallback_migratetype.name(),
                if *claimed { "; the pageblock now belongs to the requester" } else { "; the pageblock keeps its type" }
            ),
            Event::HighatomicReserve { pfn, reserved } => {
                format!("the pageblock of pfn {pfn} becomes a highatomic reserve ({reserved} pages reserved)")
            }
            Event::PageSplit { pfn, order } => format!(
                "the order-{order} block at pfn {pfn} is now {} separate pages, each freed on its own",
                order.pages()
            ),
            Event::AllocExact { pfn, order, kept } => format!(
                "kept the first {kept} pages of the order-{order} block at pfn {pfn}; the other {} go back one by one to the tail of the free lists",
                order.pages().saturating_sub(*kept)
            ),
            Event::PageblockIsolated { pfn, moved } => format!(
                "the pageblock at pfn {pfn} is now Isolate: its {moved} free pages moved to the isolate lists and no longer count as free"
            ),
            Event::IsolationRefused { pfn, unmovable } => match unmovable {
                Some(page) => format!(
                    "the pageblock at pfn {pfn} holds pfn {page}, which cannot be migrated: isolation refused (-EBUSY)"
                ),
                None => format!("the pageblock at pfn {pfn} is already isolated: refused (-EBUSY)"),
            },
            Event::PageblockUnisolated { pfn, migratetype, moved, merged } => format!(
                "the pageblock at pfn {pfn} is {} again: {moved} free pages count as free again{}",
                migratetype.name(),
                if *merged { " (its free pageblock was freed again to merge with its buddy)" } else { "" }
            ),
            Event::FreePageSplit { pfn, order, at } => format!(
                "the free order-{order} block at pfn {pfn} crosses an isolation boundary at pfn {at}: split, each part to its own pageblock's list"
            ),
            Event::ContigMigrated {
                from, to, order, ..
            } => format!(
                "migrated the order-{order} page at pfn {from} to pfn {to} and freed the original"
            ),
            Event::ContigMigrateFailed { pfn, order } => format!(
                "no page to migrate the order-{order} page at pfn {pfn} into (-ENOMEM)"
            ),
            Event::TestPagesIsolated { start, end, fin } => {
                if fin >= end {
                    format!("every page in [{start}, {end}) is free and isolated")
                } else {
                    format!("pfn {fin} in [{start}, {end}) is not a free isolated page (-EBUSY)")
                }
            }
            Event::FreePageTaken { pfn, order } => format!(
                "took the free order-{order} block at pfn {pfn} off the isolate list for the contiguous range"
            ),
            Event::SlowPath { alloc_flags } => {
                format!("the fast path failed: slow path with alloc_flags {alloc_flags:#x}")
            }
            Event::KswapdWake { node, order, highest_zoneidx } => {
                format!("woke kswapd on node {node} for order {order}, zones up to index {highest_zoneidx}")
            }
            Event::PageAlloc { pfn, order, .. } => format!("returned the order-{order} block at pfn {pfn}"),
            Event::PageFree { pfn, order } => format!("freeing the order-{order} block at pfn {pfn}"),
            Event::NotModelled { what } => format!("the kernel would now try {what}, which the model does not run yet"),
            Event::Reclaimed { pfn, owner } => format!("reclaimed pfn {pfn} (allocation #{owner} loses it)"),
            Event::DirectReclaim { reclaimed } => format!("direct reclaim freed {reclaimed} pages"),
            Event::KswapdRun { node, reclaimed } => format!("kswapd balanced node {node}, reclaiming {reclaimed} pages, and went back to sleep"),
            Event::Migrated { from, to, owner } => format!("compaction moved allocation #{owner} from pfn {from} to pfn {to}"),
            Event::Compacted { node, zone, migrated, success } => format!(
                "compaction of zone {node}:{} moved {migrated} pages: {}",
                zone.name(),
                if *success { "a block of the requested order is now free" } else { "the scanners met without freeing one" }
            ),
            Event::OomDecision { order, .. } => format!(
                "nothing left to reclaim for an order-{order} request: the OOM killer would now kill a task (the model does not kill; the allocation fails)"
            ),
            Event::HighatomicUnreserve { pfn, migratetype } => format!(
                "memory is short: the highatomic pageblock of pfn {pfn} goes back to {}",
                migratetype.name()
            ),
            Event::OfflinePages { start, end } => format!(
                "offline pfns {start}-{}: isolate the pageblocks, migrate what can move, take the free pages off the lists",
                Pfn(end.0 - 1)
            ),
            Event::OnlinePages { start, end, node, zone } => format!(
                "online pfns {start}-{} into zone {node}:{}: free them to the tail of the isolate lists, then hand them over as Movable",
                Pfn(end.0 - 1),
                zone.name()
            ),
            Event::HotplugFailed { reason } => format!("refused: {reason}"),
            Event::HotplugDone { start, end, online } => format!(
                "pfns {start}-{} are {}",
                Pfn(end.0 - 1),
                if *online { "online" } else { "offline" }
            ),
            Event::ZonelistsRebuilt => "a zone became empty or populated: every node's zonelists are built again".to_string(),
            Event::WatermarksRecomputed { min_free_kbytes, warning } => match warning {
                Some(warning) => format!("{warning}; watermarks recomputed"),
                None => format!("min_free_kbytes is now {min_free_kbytes}; watermarks, lowmem_reserve and pcp sizes recomputed"),
            },
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kernel_function(), self.describe())
    }
}
