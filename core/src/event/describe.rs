//! The sentence for each event: what happened, in words a reader of
//! `mm/page_alloc.c` recognises, without the function name (`Display` puts
//! [`Event::kernel_function`] in front). One function per family of events; each
//! answers `None` for the others. The sentences are compared by tests and shown on
//! the page: a change to one is a change of the tool's output.

use core::fmt;

use super::{
    BalanceCheck, ClaimRefusal, DrainCause, Event, KswapdSkip, PcpAllocSize, PcpHighRule,
    PcpHighTuning, Placement, StealKind,
};
use crate::types::{pcp_list_name, Order, Pfn, PAGEBLOCK_ORDER, PAGEBLOCK_PAGES};

impl Event {
    /// What happened, in one sentence, without the function name.
    pub fn describe(&self) -> String {
        free_list_sentence(self)
            .or_else(|| pcp_sentence(self))
            .or_else(|| zone_sentence(self))
            .or_else(|| reclaim_sentence(self))
            .or_else(|| contig_sentence(self))
            // Every variant has a family (`every_event_has_one_sentence` and the
            // exhaustive `sample_index` check it), so this is never reached. It once
            // fell back to the Debug text, which compiled `Event`'s whole derived
            // `Debug` into the page for no output (docs/performance.md, size24).
            .unwrap_or_default()
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kernel_function(), self.describe())
    }
}

/// The buddy allocator's free lists: `__rmqueue_smallest()`, `expand()`,
/// `__free_one_page()`, fallback stealing and the highatomic reserve.
fn free_list_sentence(event: &Event) -> Option<String> {
    let sentence = match event {
        Event::AreaEmpty { order, migratetype } => format!(
            "free_area[{order}].free_list[{}] is empty, try the next order",
            migratetype.name()
        ),
        Event::BlockTaken { pfn, order, migratetype } => format!(
            "took the order-{order} block at pfn {pfn} off free_area[{order}].free_list[{}] for the fallback",
            migratetype.name()
        ),
        Event::TakeBlock { pfn, order, migratetype } => format!(
            "took the order-{order} block at pfn {pfn} from the head of free_area[{order}].free_list[{}]",
            migratetype.name()
        ),
        Event::SplitHalf { pfn, order, migratetype } => format!(
            "split; the upper half, order {order} at pfn {pfn}, goes to the head of free_area[{order}].free_list[{}]",
            migratetype.name()
        ),
        Event::Allocated { pfn, order } => {
            format!("returned the order-{order} block at pfn {pfn}")
        }
        Event::NoBlock { order, migratetype, then } => format!(
            "no block of order ≥ {order} on free_list[{}]: {}",
            migratetype.name(),
            then.describe()
        ),
        Event::AllocFailed { order } => format!(
            "no zone in the zonelist could serve the order-{order} request, in the fast or the slow path: it returns NULL"
        ),
        Event::Merge { pfn, buddy, order } => format!(
            "the buddy of pfn {pfn} at order {order}, pfn {buddy}, is free: merge into order {}",
            order.get() + 1
        ),
        Event::AddFree {
            pfn,
            order,
            migratetype,
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
                "the order-{order} block at pfn {pfn} goes to the {where_} of free_area[{order}].free_list[{}]",
                migratetype.name()
            )
        }
        Event::ZoneLocked { pfn, order, migratetype, .. } => {
            format!("took the order-{order} block at pfn {pfn} from free_list[{}]", migratetype.name())
        }
        Event::Steal { .. } => steal_sentence(event)?,
        Event::ClaimRefused { pfn, fallback_order, fallback_migratetype, alloc_migratetype, refusal, boosted } => {
            let why = match refusal {
                ClaimRefusal::Highatomic => "its pageblock is a highatomic reserve".to_string(),
                ClaimRefusal::ZoneBoundary => "its pageblock is not wholly inside the zone".to_string(),
                ClaimRefusal::TooFew { free_pages, alike_pages } => format!(
                    "its pageblock has {free_pages} free + {alike_pages} compatible pages in use = {} < {} (half a pageblock)",
                    free_pages + alike_pages,
                    PAGEBLOCK_PAGES / 2
                ),
            };
            let boost = if *boosted {
                " (boost_watermark raised the zone's boost first and set ZONE_BOOSTED_WATERMARK)"
            } else {
                ""
            };
            format!(
                "does not claim the order-{fallback_order} block at pfn {pfn} on free_list[{}] for {}: {why}{boost}; the kernel traces nothing here",
                fallback_migratetype.name(),
                alloc_migratetype.name()
            )
        }
        Event::ClaimNone { min_order, migratetype, stopped_at, steal_next } => {
            let why = match stopped_at {
                Some(order) => format!(
                    "the largest fallback block is of order {order}, below pageblock_order/2 = {} for a {} request (can_steal_fallback), so no pageblock is claimed",
                    PAGEBLOCK_ORDER / 2,
                    migratetype.name()
                ),
                None => format!("no fallback pageblock of order ≥ {min_order} could be claimed"),
            };
            let next = if *steal_next {
                "__rmqueue_steal tries a single block next"
            } else {
                "ALLOC_NOFRAGMENT rules out __rmqueue_steal: no page from this zone"
            };
            format!("{why}; {next}")
        }
        Event::StealNone { order, migratetype } => format!(
            "no block of order ≥ {order} on the lists {} requests may fall back to: __rmqueue gets no page from this zone",
            migratetype.name()
        ),
        Event::NoFallback { order, migratetype } => format!(
            "no block of order ≥ {order} on the lists {} requests may fall back to: __rmqueue gets no page from this zone",
            migratetype.name()
        ),
        Event::HighatomicReserve { pfn, reserved } => {
            format!("the pageblock of pfn {pfn} becomes a highatomic reserve ({reserved} pages reserved)")
        }
        Event::HighatomicUnreserve { pfn, migratetype } => format!(
            "memory is short: the highatomic pageblock of pfn {pfn} goes back to {}",
            migratetype.name()
        ),
        Event::PageSplit { pfn, order } => format!(
            "the order-{order} block at pfn {pfn} is now {} separate pages, each freed on its own",
            order.pages()
        ),
        Event::AllocExact { pfn, order, kept } => format!(
            "kept the first {kept} pages of the order-{order} block at pfn {pfn}; the other {} go back one by one to the tail of the free lists",
            order.pages().saturating_sub(*kept)
        ),
        Event::PageAlloc { pfn, order, .. } => format!("returned the order-{order} block at pfn {pfn}"),
        Event::PageFree { pfn, order } => format!("freeing the order-{order} block at pfn {pfn}"),
        _ => return None,
    };
    Some(sentence)
}

/// `__rmqueue_fallback()` and `steal_suitable_fallback()`: which block it found, and
/// what moved with it, with the claim test's numbers.
fn steal_sentence(event: &Event) -> Option<String> {
    let Event::Steal {
        pfn,
        alloc_order,
        fallback_order,
        alloc_migratetype,
        fallback_migratetype,
        // The tracepoint's change_ownership: what the cases below tell, that the
        // pageblock is of the requested type afterwards.
        claimed,
        how,
        boosted,
        pageblock_type,
    } = event
    else {
        return None;
    };
    let (start, fallback, old) = (
        alloc_migratetype.name(),
        fallback_migratetype.name(),
        pageblock_type.name(),
    );
    let found = match how {
        StealKind::ClaimPageblock { .. } => format!(
            "no {start} block of order ≥ {alloc_order}; the largest fallback block, of order {fallback_order} on free_list[{fallback}], was claimed for the order-{alloc_order} {start} request"
        ),
        _ => format!(
            "no {start} block of order ≥ {alloc_order}; took the order-{fallback_order} block at pfn {pfn} from free_list[{fallback}] for the order-{alloc_order} {start} request"
        ),
    };
    // What the pageblock is after a move that did not claim it.
    let stays = if pageblock_type == alloc_migratetype {
        format!("the pageblock already was {start}")
    } else {
        format!("the pageblock stays {old}")
    };
    let half = PAGEBLOCK_PAGES / 2;
    let moved = match *how {
        StealKind::Highatomic => format!(
            "its pageblock is a highatomic reserve, so only the block moves to free_list[{start}] and the pageblock stays HighAtomic"
        ),
        StealKind::WholeBlocks { pageblocks: 1 } => format!(
            "order {fallback_order} ≥ pageblock_order {PAGEBLOCK_ORDER}: its whole pageblock becomes {start} and the block moves to free_list[{start}]"
        ),
        StealKind::WholeBlocks { pageblocks } => format!(
            "order {fallback_order} ≥ pageblock_order {PAGEBLOCK_ORDER}: change_pageblock_range makes all {pageblocks} of its pageblocks {start} and the block moves to free_list[{start}]"
        ),
        StealKind::BlockOnly => format!(
            "can_steal_fallback says no (a {start} request, order {fallback_order} < pageblock_order/2 = {}): only the block moves to free_list[{start}]; {stays}",
            PAGEBLOCK_ORDER / 2
        ),
        StealKind::ClaimWhole { pageblocks } => {
            let which = if pageblocks == 1 {
                "its pageblock becomes".to_string()
            } else {
                format!("change_pageblock_range makes all {pageblocks} of its pageblocks")
            };
            format!(
                "order {fallback_order} ≥ pageblock_order {PAGEBLOCK_ORDER}: {which} {start} and the block is split for the request at once, the halves going to the {start} lists"
            )
        }
        StealKind::ClaimPageblock { free_pages, alike_pages } => {
            let sum = free_pages + alike_pages;
            // Below half a pageblock try_to_steal_block() claims only with grouping
            // by mobility off.
            let verdict = if sum >= half {
                format!("{sum} ≥ {half} (half a pageblock)")
            } else {
                format!("{sum} < {half} (half a pageblock), but grouping by mobility is off (page_group_by_mobility_disabled), so the block is claimed anyway")
            };
            format!(
                "the pageblock has {free_pages} free + {alike_pages} compatible pages in use = {verdict}: __move_freepages_block moved its free pages to the {start} lists and the pageblock becomes {start}; __rmqueue_smallest took pfn {pfn} from them"
            )
        }
        StealKind::StealBlock => format!(
            "__rmqueue_claim claimed nothing, so __rmqueue_steal took the block alone: it is split on free_list[{fallback}], the pageblock stays {old} and the remainder stays on the {fallback} lists"
        ),
        StealKind::Pageblock { free_pages: 0, .. } => format!(
            "move_freepages_block found no free page of the pageblock to move: only the block moves to free_list[{start}]; {stays}"
        ),
        StealKind::Pageblock { free_pages, alike_pages } => {
            let why = if *fallback_order >= Order::new(u32::from(PAGEBLOCK_ORDER / 2)).unwrap_or(Order::ZERO) {
                format!("order {fallback_order} ≥ pageblock_order/2 = {}", PAGEBLOCK_ORDER / 2)
            } else {
                let article = if start.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
                format!("{article} {start} request takes them, claimed or not")
            };
            let alike = match (start, old) {
                ("Movable", _) => "movable pages in use".to_string(),
                (_, "Movable") => "pages in use that are not movable".to_string(),
                _ => format!("pages in use are not counted in a {old} pageblock"),
            };
            let sum = free_pages + alike_pages;
            let verdict = if sum >= half {
                if pageblock_type == alloc_migratetype {
                    format!("{sum} ≥ {half} (half a pageblock): the pageblock stays {start}")
                } else {
                    format!("{sum} ≥ {half} (half a pageblock): the pageblock becomes {start}")
                }
            } else if *claimed && pageblock_type != alloc_migratetype {
                // steal_suitable_fallback() claims below half only with grouping off.
                format!("{sum} < {half} (half a pageblock), but grouping by mobility is off (page_group_by_mobility_disabled), so the pageblock becomes {start} anyway")
            } else {
                format!("{sum} < {half} (half a pageblock): {stays}")
            };
            format!(
                "move_freepages_block moved the pageblock's {free_pages} free pages to the {start} lists ({why}); {free_pages} free + {alike_pages} alike ({alike}) = {verdict}"
            )
        }
    };
    let boost = if *boosted {
        "; boost_watermark raised the zone's watermark boost and set ZONE_BOOSTED_WATERMARK, so rmqueue wakes kswapd once it has the page"
    } else {
        ""
    };
    Some(format!("{found}; {moved}{boost}"))
}

/// The per-cpu lists: `rmqueue_bulk()`, `__rmqueue_pcplist()`,
/// `free_unref_page_commit()`, `free_pcppages_bulk()`.
fn pcp_sentence(event: &Event) -> Option<String> {
    let sentence = match event {
        Event::PcpRefill {
            node,
            zone,
            order,
            pages,
        } => {
            let blocks = if *pages == 1 { "block" } else { "blocks" };
            format!("the per-cpu list of zone {node}:{} was empty: refilled with {pages} order-{order} {blocks}", zone.name())
        }
        Event::PcpAllocSize(size) => pcp_alloc_size_sentence(size),
        Event::PcpHigh(tuning) => pcp_high_sentence(tuning),
        Event::BelowHighCleared { node, zone, free_pages, high_mark } => format!(
            "after the drain zone {node}:{} has {free_pages} free pages, above its high watermark {high_mark}: ZONE_BELOW_HIGH is cleared, so per-cpu high may grow again",
            zone.name()
        ),
        Event::PcpTake {
            pfn,
            order,
            pindex,
            cpu,
        } => {
            format!("took pfn {pfn} (order {order}) from the head of CPU {cpu}'s per-cpu list for {} (list {pindex})", pcp_list_name(*pindex as usize))
        }
        Event::PcpFree {
            pfn,
            order,
            pindex,
            cpu,
        } => {
            format!("pfn {pfn} (order {order}) goes to the head of CPU {cpu}'s per-cpu list for {} (list {pindex})", pcp_list_name(*pindex as usize))
        }
        Event::PcpDrain {
            pfn,
            order,
            migratetype,
            cause,
        } => {
            let why = match *cause {
                DrainCause::OverHigh {
                    cpu,
                    count,
                    high,
                    to_free,
                    free_high,
                } => {
                    let high = if free_high {
                        format!("high {high} (high-order pages freed in bulk)")
                    } else {
                        format!("high {high}")
                    };
                    format!("CPU {cpu}'s per-cpu lists held {count} pages after a free, ≥ {high}: free_unref_page_commit gives back {to_free} (nr_pcp_free) and")
                }
                DrainCause::Drained { cpu } => {
                    format!("a drain empties CPU {cpu}'s per-cpu lists:")
                }
                DrainCause::Traced { cpu } => {
                    format!("the traced kernel's free_pcppages_bulk (mm_page_pcpu_drain) gives back from CPU {cpu}'s per-cpu lists:")
                }
            };
            format!(
                "{why} pfn {pfn} (order {order}) leaves them for free_list[{}]",
                migratetype.name()
            )
        }
        _ => return None,
    };
    Some(sentence)
}

/// Zonelists and watermarks: `__alloc_pages()` walking the zonelist,
/// `zone_watermark_fast()`, `build_all_zonelists()`, `init_per_zone_wmark_min()`.
fn zone_sentence(event: &Event) -> Option<String> {
    let sentence = match event {
        Event::AllocStart { gfp, order, cpu, node, migratetype, highest_zone } => format!(
            "CPU {cpu}: order {order}, gfp {}, {} pages, from node {node}, zones up to {}",
            crate::types::gfp::Gfp(*gfp).describe(),
            migratetype.name(),
            highest_zone.name()
        ),
        Event::WatermarkCheck { node, zone, order, terms, ok } => format!(
            "zone {node}:{} order {order}, {}",
            zone.name(),
            terms.describe(*order, *ok)
        ),
        Event::BelowHighCheck { node, zone, order, terms, ok } => {
            let verdict = if *ok {
                "above the high watermark: try this zone"
            } else {
                "below the high watermark: set ZONE_BELOW_HIGH (per-cpu high now shrinks on frees), then check the request's own mark"
            };
            format!(
                "zone {node}:{} order {order}, ZONE_BELOW_HIGH is clear, so first the high watermark: {}: {verdict}",
                zone.name(),
                terms.describe_steps(*order)
            )
        }
        Event::ZoneNotInNodemask { node, zone } => format!(
            "zone {node}:{} is left out of the zonelist walk: node {node} is not in the nodemask",
            zone.name()
        ),
        Event::NoFragmentRetry => "no zone could serve without mixing pageblocks: retry without ALLOC_NOFRAGMENT".to_string(),
        Event::ZonelistsRebuilt => "a zone became empty or populated: every node's zonelists are built again".to_string(),
        Event::WatermarksRecomputed { min_free_kbytes, warning } => match warning {
            Some(warning) => format!("{warning}; watermarks recomputed"),
            None => format!("min_free_kbytes is now {min_free_kbytes}; watermarks, lowmem_reserve and pcp sizes recomputed"),
        },
        _ => return None,
    };
    Some(sentence)
}

/// The slow path: kswapd, direct reclaim, compaction and the OOM decision.
fn reclaim_sentence(event: &Event) -> Option<String> {
    let sentence = match event {
        Event::SlowPath { alloc_flags } => format!(
            "the fast path failed: slow path with alloc_flags {}",
            crate::types::gfp::alloc_flags::names(*alloc_flags)
        ),
        Event::KswapdWake { node, order, highest_zoneidx } => {
            let highest = usize::try_from(*highest_zoneidx)
                .ok()
                .and_then(|i| crate::types::ZoneType::ALL.get(i))
                .map_or_else(|| format!("index {highest_zoneidx}"), |z| z.name().to_string());
            format!("woke kswapd on node {node} for order {order}, zones up to {highest}")
        }
        Event::NotModelled { what } => format!("the kernel would now try {what}, which the model does not run yet"),
        Event::Reclaimed { pfn, owner } => format!("reclaimed pfn {pfn} (allocation #{owner} loses it); the page is freed next"),
        Event::DirectReclaim { reclaimed } => format!("direct reclaim freed {reclaimed} pages"),
        Event::KswapdNotWoken { node, order, highest_zoneidx, reason } => {
            let highest = zone_index_name(*highest_zoneidx);
            let why = match reason {
                KswapdSkip::Awake => "kswapd is awake already (woken earlier, it has not run yet)".to_string(),
                KswapdSkip::Hopeless { failures } => format!(
                    "kswapd_failures is {failures} ≥ MAX_RECLAIM_RETRIES {}: the node is left to direct reclaim",
                    crate::types::MAX_RECLAIM_RETRIES
                ),
                KswapdSkip::Balanced { check } => format!(
                    "the node is balanced ({}) and no zone up to {highest} is boosted",
                    balance_words(*node, check, *order)
                ),
            };
            format!("node {node}: kswapd_order and kswapd_highest_zoneidx now cover order {order}, zones up to {highest}; kswapd not woken: {why}")
        }
        Event::KswapdRound { node, order, highest_zoneidx, check, nr_boost_reclaim } => {
            let highest = zone_index_name(*highest_zoneidx);
            let next = match (check.balanced, *nr_boost_reclaim) {
                (true, 0) => "nothing to reclaim: balance_pgdat() ends".to_string(),
                (true, boost) => format!(
                    "boosted reclaim: {boost} boost pages still to reclaim (nr_boost_reclaim), so reclaim up to {} pages of page cache (no swap)",
                    crate::types::SWAP_CLUSTER_MAX
                ),
                (false, 0) => format!(
                    "reclaim up to {} pages",
                    crate::types::SWAP_CLUSTER_MAX
                ),
                (false, boost) => format!(
                    "not balanced with {boost} boost pages to reclaim: boosted reclaim gives way to ordinary reclaim (nr_boost_reclaim = 0), reclaim up to {} pages",
                    crate::types::SWAP_CLUSTER_MAX
                ),
            };
            format!(
                "kswapd on node {node}, zones up to {highest}: pgdat_balanced() for order {order}: {}; {next}",
                balance_words(*node, check, *order)
            )
        }
        Event::BoostCleared { node, zone, boost } => format!(
            "boosted reclaim done: watermark_boost of zone {node}:{} goes from {boost} to 0 (kcompactd would now be woken for order 9, which the model does not run)",
            zone.name()
        ),
        Event::KswapdRun { node, reclaimed, failures } => {
            let failed = if *reclaimed == 0 {
                format!(": kswapd_failures is now {failures}")
            } else {
                String::new()
            };
            format!("balance_pgdat() on node {node} ends, having reclaimed {reclaimed} pages{failed}")
        }
        Event::KswapdTrySleep { node, order, failures, check, sleeps } => {
            let why = if *failures >= crate::types::MAX_RECLAIM_RETRIES {
                format!(
                    "kswapd_failures {failures} ≥ MAX_RECLAIM_RETRIES {} (hopeless node)",
                    crate::types::MAX_RECLAIM_RETRIES
                )
            } else {
                format!("pgdat_balanced() for order {order}: {}", balance_words(*node, check, *order))
            };
            if *sleeps {
                format!("prepare_kswapd_sleep(): {why}: kswapd{node} goes back to sleep")
            } else {
                format!("prepare_kswapd_sleep(): {why}: kswapd{node} cannot sleep and runs balance_pgdat() again")
            }
        }
        Event::Migrated { from, to, owner } => format!("compaction moved allocation #{owner} from pfn {from} to pfn {to}; the old page is freed next"),
        Event::Compacted { node, zone, migrated, success } => format!(
            "compaction of zone {node}:{} moved {migrated} pages: {}",
            zone.name(),
            if *success { "a block of the requested order is now free" } else { "the scanners met without freeing one" }
        ),
        Event::OomDecision { order, .. } => format!(
            "nothing left to reclaim for an order-{order} request: the OOM killer would now kill a task (the model does not kill; the allocation fails)"
        ),
        _ => return None,
    };
    Some(sentence)
}

/// A zone index as its zone's name.
fn zone_index_name(index: u32) -> String {
    usize::try_from(index)
        .ok()
        .and_then(|i| crate::types::ZoneType::ALL.get(i))
        .map_or_else(|| format!("index {index}"), |z| z.name().to_string())
}

/// A `pgdat_balanced()` check with its numbers: the deciding zone's
/// `zone_watermark_ok_safe()` at the high watermark plus the boost
/// (`high_wmark_pages()`), with the `lowmem_reserve` of kswapd's highest zone and
/// what `__zone_watermark_unusable_free()` subtracts, as `__zone_watermark_ok()`
/// compares them.
fn balance_words(node: u32, check: &BalanceCheck, order: u8) -> String {
    let Some(zone) = check.zone else {
        return format!(
            "node {node} has no managed zone up to {}, so it is balanced by definition",
            check.highest.name()
        );
    };
    let order = crate::types::Order::new(u32::from(order)).unwrap_or(crate::types::Order::ZERO);
    let terms = super::WatermarkTerms {
        v6_12: false,
        mark_index: None,
        alloc_flags: 0,
        highest_zone: check.highest,
        mark_base: check.high,
        boost: check.boost,
        free_pages: check.free,
        highatomic_unusable: Some(check.highatomic),
        cma_unusable: check.cma,
        lowmem_reserve: check.lowmem_reserve,
        shortcut: None,
        full: Some(check.check),
        unboosted: None,
    };
    let mark = if check.boost > 0 {
        format!("high {} + boost {}", check.high, check.boost)
    } else {
        format!("high {}", check.high)
    };
    let reserve = format!(
        "lowmem_reserve for {} requests {}",
        check.highest.name(),
        check.lowmem_reserve
    );
    let arithmetic =
        super::watermark::full_check_text(order, &terms, &check.check, &mark, &reserve);
    if check.balanced {
        format!("zone {node}:{} is balanced: {arithmetic}", zone.name())
    } else {
        format!(
            "no zone up to {} is balanced; the highest, zone {node}:{}, fails {arithmetic}",
            check.highest.name(),
            zone.name()
        )
    }
}

/// Contiguous ranges and memory hotplug: pageblock isolation, migration out of
/// a range, `offline_pages()` and `online_pages()`.
fn contig_sentence(event: &Event) -> Option<String> {
    let sentence = match event {
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
            "the order-{order} page at pfn {from} now lives at pfn {to}; the original is freed next"
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
        Event::TakenOffBuddy {
            pfn,
            order,
            from,
            from_order,
            migratetype,
            pcp_cpu,
        } => match pcp_cpu {
            Some(cpu) => format!(
                "the traced order-{order} block at pfn {pfn} lay on CPU {cpu}'s per-cpu list: taken off it where the trace put it"
            ),
            None if from_order == order => format!(
                "took the free order-{order} block at pfn {pfn} off the {} list, where the trace put it",
                migratetype.name()
            ),
            None => format!(
                "took the order-{order} block at pfn {pfn}, where the trace put it, out of the free order-{from_order} block at pfn {from} ({} list); break_down_buddy_pages returned the other halves to the free lists",
                migratetype.name()
            ),
        },
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
        _ => return None,
    };
    Some(sentence)
}

/// 6.12's `nr_pcp_alloc()`, with its arithmetic.
fn pcp_alloc_size_sentence(s: &PcpAllocSize) -> String {
    let clamp = if s.high_found == s.high_clamped {
        format!("high {}", s.high_clamped)
    } else {
        format!(
            "high {} clamped to [{}, {}] = {}",
            s.high_found, s.high_min, s.high_max, s.high_clamped
        )
    };
    if s.high_clamped < s.base_batch {
        return format!(
            "CPU {}: {clamp} < batch {}: the list is disabled, refill one block",
            s.cpu, s.base_batch
        );
    }
    let mut steps = vec![clamp];
    let batch = if s.order.get() > 0 {
        s.base_batch
    } else {
        s.base_batch << s.alloc_factor_before
    };
    if s.order.get() == 0 {
        steps.push(format!(
            "batch {} << alloc_factor {} = {batch}",
            s.base_batch, s.alloc_factor_before
        ));
    } else {
        steps.push(format!(
            "batch {batch} (order {} > 0: no alloc_factor)",
            s.order
        ));
    }
    if s.high_min == s.high_max {
        steps.push("high_min = high_max: high stays".to_string());
    } else if s.below_high {
        steps.push("ZONE_BELOW_HIGH: high does not grow".to_string());
    } else {
        steps.push(format!(
            "high grows to min({} + {batch}, high_max {}) = {}",
            s.high_clamped, s.high_max, s.high
        ));
    }
    let mut n = batch;
    if s.order.get() == 0 {
        let max_nr_alloc =
            (s.high as i64 - s.count as i64 - s.base_batch as i64).max(s.base_batch as i64) as u64;
        steps.push(format!(
            "max_nr_alloc = max({} − count {} − batch {}, {}) = {max_nr_alloc}",
            s.high, s.count, s.base_batch, s.base_batch
        ));
        if s.alloc_factor > s.alloc_factor_before {
            steps.push(format!(
                "{batch} ≤ {max_nr_alloc}: alloc_factor rises to {}",
                s.alloc_factor
            ));
        }
        n = batch.min(max_nr_alloc);
    }
    let result = if s.order.get() > 0 && n > 1 {
        format!(
            "max({n} >> order {}, 2) = {} blocks of order {}",
            s.order, s.batch, s.order
        )
    } else {
        format!("{} pages", s.batch)
    };
    format!("CPU {}: {}; refill {result}", s.cpu, steps.join("; "))
}

/// 6.12's `nr_pcp_high()` on a free, with its arithmetic.
fn pcp_high_sentence(t: &PcpHighTuning) -> String {
    let head = format!(
        "CPU {}: {} pages on the lists, high {} (range {}..{}), free_count {}",
        t.cpu, t.count, t.high_before, t.high_min, t.high_max, t.free_count
    );
    let change = if t.high_after == t.high_before {
        format!("high stays {}", t.high_after)
    } else {
        format!("high {} → {}", t.high_before, t.high_after)
    };
    let body = match t.rule {
        PcpHighRule::Disabled => "high is 0: the lists are off, every free drains".to_string(),
        PcpHighRule::FreeHigh => format!(
            "consecutive order-1..3 frees (free_high): high drops by batch {} << 5 to no less than high_min: {change}; drain down to nothing",
            t.batch
        ),
        PcpHighRule::ReclaimActive => format!(
            "reclaim is active in the zone: high drops by max(free_count, batch) to no less than high_min: {change}; drain past min(4 × batch {}, high) = {}",
            t.batch, t.threshold
        ),
        PcpHighRule::Fixed => format!("high_min = high_max: drain past high {}", t.threshold),
        PcpHighRule::BelowHigh => format!(
            "ZONE_BELOW_HIGH: high drops by max(free_count, batch {}) to no less than high_min: {change}; drain past max(count, high_min) = {}",
            t.batch, t.threshold
        ),
        PcpHighRule::Grow => {
            let need = t.free_count + t.batch;
            if t.high_after > t.high_before {
                format!(
                    "the lists reached high, so it grows to hold a batch of frees: clamp(free_count + batch = {need}, {}, {}) = {}: {change}; drain past {}",
                    t.high_min, t.high_max, t.high_after, t.threshold
                )
            } else if need > t.high_before {
                format!(
                    "the lists reached high, already at high_max {} (free_count + batch = {need}): {change}; drain past {}",
                    t.high_max, t.threshold
                )
            } else {
                format!(
                    "the lists reached high, which already holds free_count + batch = {need}: {change}; drain past {}",
                    t.threshold
                )
            }
        }
        PcpHighRule::Unchanged => format!("below high: {change}, no drain"),
    };
    format!("{head}: {body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::tests::one_of_each;

    /// Exactly one family writes each event's sentence, so `describe` never falls
    /// back to the Debug text and no sentence depends on the order of the families.
    #[test]
    fn every_event_has_one_sentence() {
        for event in one_of_each() {
            let sentences: Vec<String> = [
                free_list_sentence(&event),
                pcp_sentence(&event),
                zone_sentence(&event),
                reclaim_sentence(&event),
                contig_sentence(&event),
            ]
            .into_iter()
            .flatten()
            .collect();
            assert_eq!(sentences.len(), 1, "{event:?}: {sentences:?}");
            assert!(!sentences[0].is_empty(), "{event:?}");
        }
    }

    /// kswapd's balance check shows the lowmem_reserve of its highest zone and, above
    /// order 0, the order's subtraction and the free-area scan, as
    /// `zone_watermark_ok_safe()` computes them.
    #[test]
    fn the_balance_check_shows_the_reserve_and_the_order() {
        let check = BalanceCheck {
            zone: Some(crate::types::ZoneType::Dma),
            highest: crate::types::ZoneType::Normal,
            free: 2398,
            high: 13,
            boost: 0,
            lowmem_reserve: 2000,
            highatomic: 0,
            cma: None,
            check: super::super::FullCheck {
                mark: 13,
                min: 13,
                usable: 2395,
                free_ok: true,
                scan: Some(super::super::FreeAreaScan::Found {
                    order: crate::types::Order::new(3).unwrap(),
                    migratetype: crate::types::MigrateType::Movable,
                }),
            },
            balanced: true,
        };
        assert_eq!(
            balance_words(0, &check, 2),
            "zone 0:DMA is balanced: __zone_watermark_ok: free 2398 − ((1<<2) − 1 = 3) \
             − highatomic reserve 0 = 2395 > high 13 + lowmem_reserve for Normal requests 2000 = 2013, \
             and free_area[3] has a block on free_list[Movable]"
        );
        let failed = BalanceCheck {
            free: 1900,
            balanced: false,
            check: super::super::FullCheck {
                usable: 1900,
                free_ok: false,
                scan: None,
                ..check.check
            },
            ..check
        };
        assert_eq!(
            balance_words(0, &failed, 0),
            "no zone up to Normal is balanced; the highest, zone 0:DMA, fails __zone_watermark_ok: \
             free 1900 − highatomic reserve 0 = 1900 is not above high 13 + lowmem_reserve for Normal requests 2000 = 2013"
        );
    }
}
