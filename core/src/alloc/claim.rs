//! Linux 6.12's way of taking pages off the buddy lists where it differs from 6.1:
//! `__rmqueue()` with its `rmqueue_mode`, the fallback split into
//! `__rmqueue_claim()` (`try_to_steal_block()`) and `__rmqueue_steal()`, and the
//! per-migratetype free-page accounting of `account_freepages()`.
//!
//! The 6.12.95 stable kernel carries the split of the fallback into claim and steal
//! that mainline made in 6.15 ("mm: page_alloc: speed up fallbacks in
//! rmqueue_bulk()"); 6.1's single `__rmqueue_fallback()` is in [`super::rmqueue`].

use super::*;
use crate::buddy::TraceSink;
use crate::event::{AfterNoBlock, ClaimRefusal, Event, StealKind};
use crate::types::gfp::alloc_flags as af;
use crate::types::{MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_ORDER, PAGEBLOCK_PAGES};

/// 6.12's `enum rmqueue_mode`: where `__rmqueue()` last found pages, so the next
/// call of the same `rmqueue_bulk()` refill starts there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RmqueueMode {
    Normal,
    Cma,
    Claim,
    Steal,
}

impl Allocator {
    /// `account_freepages()` (Linux 6.10 and later): every change of a free list's
    /// pages is counted in NR_FREE_PAGES (one `__mod_zone_page_state()` per call,
    /// which is when a CPU's delta may fold), except for isolated pageblocks; the
    /// highatomic lists also count in `nr_free_highatomic`.
    pub(super) fn account_freepages(&mut self, z: usize, pages: i64, migratetype: MigrateType) {
        if migratetype == MigrateType::Isolate {
            return;
        }
        let cpu = self.cpu;
        let zone = &mut self.zones[z];
        zone.mod_free_pages(cpu, pages);
        if migratetype == MigrateType::HighAtomic {
            zone.nr_free_highatomic = zone.nr_free_highatomic.saturating_add_signed(pages);
            zone.note();
        }
    }

    /// 6.12's `__rmqueue()`: the request's own lists, then CMA (ALLOC_CMA), then a
    /// claim of a fallback pageblock, then (without ALLOC_NOFRAGMENT) a steal of a
    /// single block, each tried from where `mode` says the last call found pages.
    pub(super) fn rmqueue_6_12(
        &mut self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
        flags: u32,
        mode: &mut RmqueueMode,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        crate::buddy::traced(trace, "__rmqueue", |trace| {
            if self.cma
                && flags & af::CMA != 0
                && self.free_cma_pages(z) > self.zones[z].free_pages() / 2
            {
                if let Some(pfn) =
                    self.rmqueue_smallest(z, order, MigrateType::Cma, AfterNoBlock::OwnList, trace)
                {
                    return Some(pfn);
                }
            }
            if *mode == RmqueueMode::Normal {
                let then = if flags & af::CMA != 0 {
                    AfterNoBlock::Cma
                } else {
                    AfterNoBlock::Fallback
                };
                if let Some(pfn) = self.rmqueue_smallest(z, order, migratetype, then, trace) {
                    return Some(pfn);
                }
            }
            if *mode <= RmqueueMode::Cma && flags & af::CMA != 0 {
                let then = AfterNoBlock::Fallback;
                if let Some(pfn) = self.rmqueue_smallest(z, order, MigrateType::Cma, then, trace) {
                    *mode = RmqueueMode::Cma;
                    return Some(pfn);
                }
            }
            if *mode <= RmqueueMode::Claim {
                if let Some(pfn) = self.rmqueue_claim(z, order, migratetype, flags, trace) {
                    *mode = RmqueueMode::Normal;
                    return Some(pfn);
                }
            }
            if flags & af::NOFRAGMENT == 0 {
                if let Some(pfn) = self.rmqueue_steal(z, order, migratetype, trace) {
                    *mode = RmqueueMode::Steal;
                    return Some(pfn);
                }
            }
            None
        })
    }

    /// `__rmqueue_claim()`: from the largest order down to the request's (pageblock
    /// order under ALLOC_NOFRAGMENT), the first fallback list with a block; stop at
    /// an order `can_steal_fallback()` refuses, else try to claim the block's
    /// pageblock and go on down when that is refused.
    fn rmqueue_claim(
        &mut self,
        z: usize,
        order: Order,
        start: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        crate::buddy::traced(trace, "__rmqueue_claim", |trace| {
            let min_order = super::rmqueue::fallback_min_order(order, flags);
            let mut stopped_at = None;
            for current in (min_order..MAX_ORDER).rev() {
                let current = Order::new(u32::from(current)).unwrap_or(Order::ZERO);
                let Some((fallback, can_steal)) = self.find_suitable_fallback(z, current, start)
                else {
                    continue;
                };
                if !can_steal {
                    stopped_at = Some(current);
                    break;
                }
                let Some(pfn) = self.zones[z].buddy.first_free(current, fallback) else {
                    continue;
                };
                if let Some((page, how, boosted, block_type)) =
                    self.try_to_steal_block(z, pfn, current, order, start, fallback, flags, trace)
                {
                    self.emit_claim(
                        z, page, order, current, start, fallback, how, boosted, block_type, trace,
                    );
                    return Some(page);
                }
            }
            trace.emit(Event::ClaimNone {
                min_order: Order::new(u32::from(min_order)).unwrap_or(order),
                migratetype: start,
                stopped_at,
                steal_next: flags & af::NOFRAGMENT == 0,
            });
            None
        })
    }

    /// `try_to_steal_block()`: claim the pageblock of the fallback block at `pfn`
    /// (order `current`, on `fallback`'s list) for `start`. From pageblock order up
    /// the block's pageblocks are retyped and the block is split for the request;
    /// below it the watermark is boosted, and the pageblock is claimed only when its
    /// free and compatible pages make half of it, after which `__rmqueue_smallest()`
    /// takes the page from the requester's lists. Returns the page, how the pageblock
    /// was claimed, whether the watermark was boosted and the pageblock's old type,
    /// for the caller's mm_page_alloc_extfrag.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn try_to_steal_block(
        &mut self,
        z: usize,
        pfn: Pfn,
        current: Order,
        order: Order,
        start: MigrateType,
        fallback: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> Option<(Pfn, StealKind, bool, MigrateType)> {
        crate::buddy::traced(trace, "try_to_steal_block", |trace| {
            let block_type = self.zones[z].buddy.pageblock_type(pfn);
            let refuse = |refusal, boosted| Event::ClaimRefused {
                pfn,
                fallback_order: current,
                fallback_migratetype: fallback,
                alloc_migratetype: start,
                refusal,
                boosted,
            };
            if block_type == MigrateType::HighAtomic {
                trace.emit(refuse(ClaimRefusal::Highatomic, false));
                return None;
            }
            if current.get() >= PAGEBLOCK_ORDER {
                // del_page_from_free_list(), change_pageblock_range(), expand().
                let pageblocks = 1u64 << (current.get() - PAGEBLOCK_ORDER);
                for i in 0..pageblocks {
                    self.zones[z]
                        .buddy
                        .set_pageblock_type(Pfn(pfn.0 + i * PAGEBLOCK_PAGES), start);
                }
                self.zones[z]
                    .buddy
                    .del_and_expand(current, fallback, order, start, true, trace)?;
                self.account_freepages(z, -(current.pages() as i64), block_type);
                let added = current.pages() - order.pages();
                self.account_freepages(z, added as i64, start);
                self.note_small();
                return Some((pfn, StealKind::ClaimWhole { pageblocks }, false, block_type));
            }
            let boosted = self.boost_watermark(z) && flags & af::KSWAPD != 0;
            if boosted {
                self.zones[z].flags |= ZONE_BOOSTED_WATERMARK;
            }
            self.note_small();
            let Some((first, free_pages, movable_pages)) =
                self.zones[z].buddy.pageblock_free_movable(pfn)
            else {
                trace.emit(refuse(ClaimRefusal::ZoneBoundary, boosted));
                return None;
            };
            let alike_pages = if start == MigrateType::Movable {
                movable_pages
            } else if block_type == MigrateType::Movable {
                PAGEBLOCK_PAGES.saturating_sub(free_pages + movable_pages)
            } else {
                0
            };
            // With grouping off every claim goes through, whatever the block holds.
            if free_pages + alike_pages < PAGEBLOCK_PAGES / 2 && !self.mobility_disabled {
                trace.emit(refuse(
                    ClaimRefusal::TooFew {
                        free_pages,
                        alike_pages,
                    },
                    boosted,
                ));
                return None;
            }
            self.move_freepages_block_6_12(z, first, start);
            let page = self.rmqueue_smallest(z, order, start, AfterNoBlock::GiveUp, trace)?;
            let how = StealKind::ClaimPageblock {
                free_pages,
                alike_pages,
            };
            Some((page, how, boosted, block_type))
        })
    }

    /// 6.12's `__move_freepages_block()`: every free block of the pageblock at
    /// `first` moves to `migratetype`'s lists, each counted out of its old type and
    /// into the new one (`move_to_free_list()`), and the pageblock takes the type.
    /// Returns the pages moved.
    pub(super) fn move_freepages_block_6_12(
        &mut self,
        z: usize,
        first: Pfn,
        migratetype: MigrateType,
    ) -> u64 {
        let moved = self.zones[z]
            .buddy
            .move_pageblock_free_blocks(first, migratetype);
        let mut pages = 0;
        for (order, old) in moved {
            self.account_freepages(z, -(order.pages() as i64), old);
            self.account_freepages(z, order.pages() as i64, migratetype);
            pages += order.pages();
        }
        self.note_small();
        pages
    }

    /// `__rmqueue_steal()`: from the request's order up, the first block on a
    /// fallback list, split there (`page_del_and_expand()` on the fallback type);
    /// the pageblock keeps its type.
    fn rmqueue_steal(
        &mut self,
        z: usize,
        order: Order,
        start: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        crate::buddy::traced(trace, "__rmqueue_steal", |trace| {
            for current in Order::all().skip(order.get() as usize) {
                let Some((fallback, _)) = self.find_suitable_fallback(z, current, start) else {
                    continue;
                };
                let block_type = self.zones[z]
                    .buddy
                    .pageblock_type(self.zones[z].buddy.first_free(current, fallback)?);
                let pfn = self.zones[z]
                    .buddy
                    .del_and_expand(current, fallback, order, fallback, true, trace)?;
                self.account_freepages(z, -(order.pages() as i64), fallback);
                self.note_small();
                self.emit_claim(
                    z,
                    pfn,
                    order,
                    current,
                    start,
                    fallback,
                    StealKind::StealBlock,
                    false,
                    block_type,
                    trace,
                );
                return Some(pfn);
            }
            trace.emit(Event::StealNone {
                order,
                migratetype: start,
            });
            None
        })
    }

    /// The mm_page_alloc_extfrag tracepoint of a fallback (6.1's steal, 6.12's claim
    /// or steal): change_ownership is read from `pfn`'s pageblock now.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn emit_claim(
        &self,
        z: usize,
        pfn: Pfn,
        order: Order,
        current: Order,
        start: MigrateType,
        fallback: MigrateType,
        how: StealKind,
        boosted: bool,
        pageblock_type: MigrateType,
        trace: &mut impl TraceSink,
    ) {
        trace.emit(Event::Steal {
            pfn,
            alloc_order: order,
            fallback_order: current,
            alloc_migratetype: start,
            fallback_migratetype: fallback,
            claimed: self.zones[z].buddy.pageblock_type(pfn) == start,
            how,
            boosted,
            pageblock_type,
        });
    }
}
