//! The sentence for each event: what happened, in words a reader of
//! `mm/page_alloc.c` recognises, without the function name (`Display` puts
//! [`Event::kernel_function`] in front). One function per family of events; each
//! answers `None` for the others. The sentences are compared by tests and shown on
//! the page: a change to one is a change of the tool's output.

use core::fmt;

use super::{BalanceCheck, DrainCause, Event, KswapdSkip, Placement, StealKind};
use crate::types::{pcp_list_name, Order, Pfn, PAGEBLOCK_ORDER, PAGEBLOCK_PAGES};

impl Event {
    /// What happened, in one sentence, without the function name.
    pub fn describe(&self) -> String {
        free_list_sentence(self)
            .or_else(|| pcp_sentence(self))
            .or_else(|| zone_sentence(self))
            .or_else(|| reclaim_sentence(self))
            .or_else(|| contig_sentence(self))
            // Every variant has a family (the tests check it); the Debug text is
            // what a variant added without a sentence would show.
            .unwrap_or_else(|| format!("{self:?}"))
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
        claimed: _,
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
    let found = format!(
        "no {start} block of order ≥ {alloc_order}; took the order-{fallback_order} block at pfn {pfn} from free_list[{fallback}] for the order-{alloc_order} {start} request"
    );
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
