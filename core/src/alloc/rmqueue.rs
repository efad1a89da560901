//! Taking pages off the lists: `rmqueue()` through the per-cpu lists
//! (`rmqueue_pcplist()`, refilled by `rmqueue_bulk()`) or the buddy lists
//! (`rmqueue_buddy()`, `__rmqueue()`, `__rmqueue_smallest()`), falling back to other
//! migratetypes (`__rmqueue_fallback()`, `find_suitable_fallback()`,
//! `steal_suitable_fallback()`), and `reserve_highatomic_pageblock()`.

use super::*;
use crate::buddy::TraceSink;
use crate::event::{AfterNoBlock, Event, StealKind};
use crate::types::gfp::{alloc_flags as af, Gfp};
use crate::types::{Kernel, MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_ORDER};

pub(super) use super::claim::RmqueueMode;

impl Allocator {
    /// `rmqueue()`: per-cpu lists for the orders they hold, else the buddy lists;
    /// then, if a steal boosted the watermark, clear the flag and wake kswapd.
    pub(super) fn rmqueue(
        &mut self,
        z: usize,
        order: Order,
        _gfp: Gfp,
        flags: u32,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        crate::buddy::traced(trace, "rmqueue", |trace| {
            let mut page = None;
            // MIGRATE_MOVABLE pcp lists may hold CMA pages: skip them without ALLOC_CMA.
            if pcp_allowed_order(order)
                && (!self.cma || flags & af::CMA != 0 || migratetype != MigrateType::Movable)
            {
                page = self.rmqueue_pcplist(z, order, migratetype, flags, trace);
            }
            if page.is_none() {
                page = self.rmqueue_buddy(z, order, flags, migratetype, trace);
            }
            // 6.12 wakes kswapd for a boosted zone only for callers with ALLOC_KSWAPD.
            let may_wake = self.kernel == Kernel::V6_1 || flags & af::KSWAPD != 0;
            if may_wake && self.zones[z].flags & ZONE_BOOSTED_WATERMARK != 0 {
                self.zones[z].flags &= !ZONE_BOOSTED_WATERMARK;
                self.note_small();
                let zone_type = self.zones[z].zone;
                self.wakeup_kswapd(z, 0, zone_type, trace);
            }
            if let Some(pfn) = page {
                // rmqueue_pcplist() and rmqueue_buddy() count the pages handed out
                // against the page's zone (__count_zid_vm_events(PGALLOC, ...)).
                self.count_pgalloc(z, order.pages());
                trace.emit(Event::Allocated { pfn, order });
            }
            page
        })
    }

    /// `rmqueue_pcplist()` and `__rmqueue_pcplist()`: halve free_factor (6.12:
    /// free_count), take the head of the list for this order and migratetype,
    /// refilling it with `rmqueue_bulk()` when empty.
    pub(super) fn rmqueue_pcplist(
        &mut self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        trace.enter("rmqueue_pcplist");
        let cpu = self.cpu;
        let pindex = order_to_pindex(migratetype, order);
        // The CPU's pageset, found once for the whole call (refills and takes do not
        // add or remove pagesets).
        let slot = self.zones[z].pcp_slot(cpu);
        if let Some(pcp) = slot.and_then(|s| self.zones[z].pcps.get_mut(s)) {
            match pcp.tuning.as_mut() {
                Some(t) => t.free_count >>= 1,
                None => pcp.free_factor >>= 1,
            }
        }
        trace.enter("__rmqueue_pcplist");
        let page = match slot {
            Some(slot) => {
                self.rmqueue_pcplist_inner(z, slot, order, pindex, migratetype, flags, trace)
            }
            None => None,
        };
        trace.leave();
        trace.leave();
        page
    }

    /// The part of `__rmqueue_pcplist()` the model runs: refill the empty list with
    /// a batch from `rmqueue_bulk()`, then take its head. `slot` is the position of
    /// the current CPU's pageset in the zone's `pcps`.
    #[allow(clippy::too_many_arguments)]
    fn rmqueue_pcplist_inner(
        &mut self,
        z: usize,
        slot: usize,
        order: Order,
        pindex: usize,
        migratetype: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let cpu = self.cpu;
        let batch = {
            let pcp = self.zones[z].pcps.get_mut(slot)?;
            if !pcp.lists[pindex].is_empty() {
                None
            } else if pcp.tuning.is_some() {
                Some(self.nr_pcp_alloc(z, cpu, order, trace))
            } else {
                let batch = pcp.batch;
                Some(if batch > 1 {
                    (batch >> order.get()).max(2)
                } else {
                    batch
                })
            }
        };
        self.note_small();
        if let Some(batch) = batch {
            self.rmqueue_bulk(z, order, batch, pindex, migratetype, flags, trace);
        }
        self.pcp_take_front_at(z, slot, pindex, order, trace)
    }

    /// Takes the head of `cpu`'s per-cpu list `pindex` in zone `z`, as
    /// `__rmqueue_pcplist()` does once the list has pages: the page leaves the list,
    /// the count drops, the journal notes it and `PcpTake` says so. `None` when the
    /// list is empty.
    pub(crate) fn pcp_take_front(
        &mut self,
        z: usize,
        cpu: u32,
        pindex: usize,
        order: Order,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let slot = self.zones.get(z)?.pcp_slot(cpu)?;
        self.pcp_take_front_at(z, slot, pindex, order, trace)
    }

    /// [`Allocator::pcp_take_front`] for the pageset at position `slot` of the
    /// zone's `pcps` (its CPU's).
    #[inline]
    fn pcp_take_front_at(
        &mut self,
        z: usize,
        slot: usize,
        pindex: usize,
        order: Order,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        let pcp = self.zones.get_mut(z)?.pcps.get_mut(slot)?;
        let cpu = pcp.cpu;
        let page = pcp.lists.get_mut(pindex)?.pop_front()?;
        pcp.count -= order.pages();
        self.note_pcp(z, cpu, pindex, journal::PcpOp::PopFront);
        self.note_small();
        trace.emit(Event::PcpTake {
            pfn: Pfn(page.pfn),
            order,
            pindex: pindex as u32,
            cpu,
        });
        Some(Pfn(page.pfn))
    }

    /// `rmqueue_bulk()`: up to `count` blocks from `__rmqueue()`, in the order they
    /// come, onto the tail of per-cpu list `pindex`, and one counter update for all
    /// of them (the caller's `pcp->count` update is folded in here).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(super) fn rmqueue_bulk(
        &mut self,
        z: usize,
        order: Order,
        count: u64,
        pindex: usize,
        migratetype: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "rmqueue_bulk", |trace| {
            let mut pages = Vec::new();
            // 6.12 remembers which way __rmqueue() found pages for the whole refill.
            let mut mode = RmqueueMode::Normal;
            for _ in 0..count {
                let Some((pfn, cached)) =
                    self.rmqueue_mode(z, order, migratetype, flags, &mut mode, trace)
                else {
                    break;
                };
                pages.push(PcpPage {
                    pfn: pfn.0,
                    migratetype: cached,
                });
            }
            let taken = (pages.len() as i64) << order.get();
            let refilled = pages.len() as u64;
            let cpu = self.cpu;
            // 6.1 counts the whole refill once here; 6.12 counted each block as
            // __rmqueue_smallest() took it (account_freepages()).
            if self.kernel == Kernel::V6_1 {
                self.zones[z].mod_free_pages(cpu, -taken);
            }
            // The list and its count change before the event that says so, so a
            // session stepping through the call shows them at it (see `journal`).
            // The pages are copied for the journal only while one records.
            if self.recorder.is_on() {
                self.note_pcp(z, cpu, pindex, journal::PcpOp::Extend(pages.clone()));
            }
            if let Some(pcp) = self.zones[z].pcp_mut(cpu) {
                pcp.count += refilled << order.get();
                pcp.lists[pindex].extend(pages);
            }
            self.note_small();
            trace.emit(Event::PcpRefill {
                node: self.zones[z].nid,
                zone: self.zones[z].zone,
                order,
                pages: refilled,
            });
        })
    }

    /// `rmqueue_buddy()`: highatomic reserves first for ALLOC_HIGHATOMIC, then
    /// `__rmqueue()`, then the highatomic reserves for OOM and non-blocking callers.
    #[inline(never)]
    pub(super) fn rmqueue_buddy(
        &mut self,
        z: usize,
        order: Order,
        flags: u32,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        crate::buddy::traced(trace, "rmqueue_buddy", |trace| {
            let mut page = None;
            if flags & af::HIGHATOMIC != 0 {
                page = self
                    .rmqueue_smallest(
                        z,
                        order,
                        MigrateType::HighAtomic,
                        AfterNoBlock::Rmqueue,
                        trace,
                    )
                    .map(|p| (p, MigrateType::HighAtomic));
            }
            if page.is_none() {
                let mut mode = RmqueueMode::Normal;
                page = self.rmqueue_mode(z, order, migratetype, flags, &mut mode, trace);
                if page.is_none() && flags & (af::OOM | af::NON_BLOCK) != 0 {
                    page = self
                        .rmqueue_smallest(
                            z,
                            order,
                            MigrateType::HighAtomic,
                            AfterNoBlock::GiveUp,
                            trace,
                        )
                        .map(|p| (p, MigrateType::HighAtomic));
                }
            }
            let (pfn, _cached) = page?;
            if self.kernel == Kernel::V6_1 {
                let cpu = self.cpu;
                self.zones[z].mod_free_pages(cpu, -(order.pages() as i64));
                self.note_small();
            }
            Some(pfn)
        })
    }

    /// `__rmqueue()` of either kernel: 6.12's keeps `mode` between the calls of one
    /// refill (see `claim`); 6.1's has no mode.
    pub(super) fn rmqueue_mode(
        &mut self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
        flags: u32,
        mode: &mut RmqueueMode,
        trace: &mut impl TraceSink,
    ) -> Option<(Pfn, MigrateType)> {
        match self.kernel {
            Kernel::V6_1 => self.rmqueue_inner(z, order, migratetype, flags, trace),
            Kernel::V6_12 => self
                .rmqueue_6_12(z, order, migratetype, flags, mode, trace)
                .map(|pfn| (pfn, migratetype)),
        }
    }

    /// `__rmqueue()`: the smallest block of the migratetype, else steal a fallback
    /// block and try again. Returns the block and the migratetype cached in it.
    pub(super) fn rmqueue_inner(
        &mut self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> Option<(Pfn, MigrateType)> {
        crate::buddy::traced(trace, "__rmqueue", |trace| {
            // With CONFIG_CMA, movable requests take from CMA first while CMA holds more
            // than half of the zone's free pages, to keep the two balanced.
            if self.cma
                && flags & af::CMA != 0
                && self.free_cma_pages(z) > self.zones[z].free_pages() / 2
            {
                if let Some(pfn) =
                    self.rmqueue_smallest(z, order, MigrateType::Cma, AfterNoBlock::OwnList, trace)
                {
                    return Some((pfn, MigrateType::Cma));
                }
            }
            loop {
                let then = if flags & af::CMA != 0 {
                    AfterNoBlock::Cma
                } else {
                    AfterNoBlock::Fallback
                };
                if let Some(pfn) = self.rmqueue_smallest(z, order, migratetype, then, trace) {
                    return Some((pfn, migratetype));
                }
                if flags & af::CMA != 0 {
                    let cma = MigrateType::Cma;
                    let then = AfterNoBlock::Fallback;
                    if let Some(pfn) = self.rmqueue_smallest(z, order, cma, then, trace) {
                        return Some((pfn, MigrateType::Cma));
                    }
                }
                if !self.rmqueue_fallback(z, order, migratetype, flags, trace) {
                    return None;
                }
            }
        })
    }

    /// `__rmqueue_smallest()` on one zone, with its tracepoint.
    pub(super) fn rmqueue_smallest(
        &mut self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
        then: AfterNoBlock,
        trace: &mut impl TraceSink,
    ) -> Option<Pfn> {
        crate::buddy::traced(trace, "__rmqueue_smallest", |trace| {
            let Some(pfn) = self.zones[z]
                .buddy
                .rmqueue_smallest(order, migratetype, trace)
            else {
                trace.emit(Event::NoBlock {
                    order,
                    migratetype,
                    then,
                });
                return None;
            };
            if self.kernel == Kernel::V6_12 {
                // page_del_and_expand(): the pages that left the free lists.
                self.account_freepages(z, -(order.pages() as i64), migratetype);
            }
            let pcp = pcp_allowed_order(order) && migratetype.index() < 3;
            trace.emit(Event::ZoneLocked {
                pfn,
                order,
                migratetype,
                pcp,
            });
            Some(pfn)
        })
    }

    /// `__rmqueue_fallback()`: look for the largest block on a fallback list (only
    /// from pageblock order up under ALLOC_NOFRAGMENT), or for movable requests that
    /// cannot steal the pageblock, the smallest; steal it.
    pub(super) fn rmqueue_fallback(
        &mut self,
        z: usize,
        order: Order,
        start: MigrateType,
        flags: u32,
        trace: &mut impl TraceSink,
    ) -> bool {
        crate::buddy::traced(trace, "__rmqueue_fallback", |trace| {
            let min_order = fallback_min_order(order, flags);
            let mut found = None;
            for current in (min_order..MAX_ORDER).rev() {
                let current = Order::new(u32::from(current)).unwrap_or(Order::ZERO);
                let Some((fallback, can_steal)) = self.find_suitable_fallback(z, current, start)
                else {
                    continue;
                };
                if !can_steal && start == MigrateType::Movable && current > order {
                    // find_smallest
                    found = Order::all().skip(order.get() as usize).find_map(|o| {
                        self.find_suitable_fallback(z, o, start)
                            .map(|(mt, steal)| (o, mt, steal))
                    });
                    break;
                }
                found = Some((current, fallback, can_steal));
                break;
            }
            let found = found.and_then(|(current, fallback, can_steal)| {
                let pfn = self.zones[z].buddy.first_free(current, fallback)?;
                Some((current, fallback, can_steal, pfn))
            });
            let Some((current, fallback, can_steal, pfn)) = found else {
                let min_order = Order::new(u32::from(min_order)).unwrap_or(order);
                trace.emit(Event::NoFallback {
                    order: min_order,
                    migratetype: start,
                });
                return false;
            };
            let pageblock_type = self.zones[z].buddy.pageblock_type(pfn);
            let (how, boosted) = self.steal_suitable_fallback(z, pfn, flags, start, can_steal);
            self.emit_claim(
                z,
                pfn,
                order,
                current,
                start,
                fallback,
                how,
                boosted,
                pageblock_type,
                trace,
            );
            true
        })
    }

    /// `find_suitable_fallback()` with `only_stealable` false.
    pub(super) fn find_suitable_fallback(
        &self,
        z: usize,
        order: Order,
        migratetype: MigrateType,
    ) -> Option<(MigrateType, bool)> {
        let buddy = &self.zones[z].buddy;
        if buddy.nr_free(order) == 0 {
            return None;
        }
        fallbacks(migratetype)
            .iter()
            .find(|&&mt| buddy.nr_free_of_type(order, mt) > 0)
            .map(|&mt| {
                let disabled = self.mobility_disabled;
                (mt, can_steal_fallback(order, migratetype, disabled))
            })
    }

    /// `steal_suitable_fallback()`: which way it went with the block at `pfn`, and
    /// whether it set ZONE_BOOSTED_WATERMARK. The tracepoint's change_ownership is
    /// read from the pageblock afterwards.
    pub(super) fn steal_suitable_fallback(
        &mut self,
        z: usize,
        pfn: Pfn,
        flags: u32,
        start: MigrateType,
        whole_block: bool,
    ) -> (StealKind, bool) {
        let Some(current) = self.zones[z].buddy.free_order(pfn) else {
            return (StealKind::BlockOnly, false);
        };
        let old = self.zones[z].buddy.pageblock_type(pfn);
        if old == MigrateType::HighAtomic {
            self.zones[z].buddy.move_to_free_list(pfn, start);
            return (StealKind::Highatomic, false);
        }
        if current.get() >= PAGEBLOCK_ORDER {
            // change_pageblock_range()
            let pageblocks = 1u64 << (current.get() - PAGEBLOCK_ORDER);
            for i in 0..pageblocks {
                self.zones[z]
                    .buddy
                    .set_pageblock_type(Pfn(pfn.0 + i * PAGEBLOCK_PAGES), start);
            }
            self.zones[z].buddy.move_to_free_list(pfn, start);
            return (StealKind::WholeBlocks { pageblocks }, false);
        }
        let boosted = self.boost_watermark(z) && flags & af::KSWAPD != 0;
        if boosted {
            self.zones[z].flags |= ZONE_BOOSTED_WATERMARK;
        }
        self.note_small();
        if !whole_block {
            self.zones[z].buddy.move_to_free_list(pfn, start);
            return (StealKind::BlockOnly, boosted);
        }
        let (free_pages, movable_pages) = self.zones[z].buddy.move_freepages_block(pfn, start);
        let alike_pages = if start == MigrateType::Movable {
            movable_pages
        } else if old == MigrateType::Movable {
            PAGEBLOCK_PAGES.saturating_sub(free_pages + movable_pages)
        } else {
            0
        };
        let how = StealKind::Pageblock {
            free_pages,
            alike_pages,
        };
        if free_pages == 0 {
            self.zones[z].buddy.move_to_free_list(pfn, start);
            return (how, boosted);
        }
        // With grouping off the block is claimed whatever it holds (and the claim
        // stores Unmovable: set_pageblock_migratetype() folds the type).
        if free_pages + alike_pages >= PAGEBLOCK_PAGES / 2 || self.mobility_disabled {
            self.zones[z].buddy.set_pageblock_type(pfn, start);
        }
        (how, boosted)
    }

    /// `reserve_highatomic_pageblock()`: after a high-order atomic allocation, make
    /// its pageblock a highatomic reserve, while the reserve is below 1% of the zone's
    /// managed pages plus one pageblock.
    pub(super) fn reserve_highatomic_pageblock(
        &mut self,
        z: usize,
        pfn: Pfn,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "reserve_highatomic_pageblock", |trace| {
            let zone = &mut self.zones[z];
            let max_managed = zone.managed / 100 + PAGEBLOCK_PAGES;
            if zone.nr_reserved_highatomic >= max_managed {
                return;
            }
            let mt = zone.buddy.pageblock_type(pfn);
            if mt.is_mergeable() {
                zone.nr_reserved_highatomic += PAGEBLOCK_PAGES;
                zone.buddy.set_pageblock_type(pfn, MigrateType::HighAtomic);
                zone.buddy
                    .move_freepages_block(pfn, MigrateType::HighAtomic);
                let reserved = zone.nr_reserved_highatomic;
                self.note_small();
                trace.emit(Event::HighatomicReserve { pfn, reserved });
            }
        })
    }
}

/// The smallest order a fallback looks at: the request's, or pageblock order under
/// ALLOC_NOFRAGMENT, so that a request does not mix pageblocks while a whole one can
/// be taken (6.1's `__rmqueue_fallback()`, 6.12's `__rmqueue_claim()`).
pub(super) fn fallback_min_order(order: Order, flags: u32) -> u8 {
    if order.get() < PAGEBLOCK_ORDER && flags & af::NOFRAGMENT != 0 {
        PAGEBLOCK_ORDER
    } else {
        order.get()
    }
}

/// The `fallbacks[]` table: where each migratetype may steal from, in order.
pub fn fallbacks(migratetype: MigrateType) -> &'static [MigrateType] {
    match migratetype {
        MigrateType::Unmovable => &[MigrateType::Reclaimable, MigrateType::Movable],
        MigrateType::Movable => &[MigrateType::Reclaimable, MigrateType::Unmovable],
        MigrateType::Reclaimable => &[MigrateType::Unmovable, MigrateType::Movable],
        _ => &[],
    }
}

/// `can_steal_fallback()`: from half a pageblock up, for unmovable and
/// reclaimable requests, or for any request while grouping by mobility is off
/// (`mobility_disabled`), the whole pageblock's free pages may be taken.
pub(super) fn can_steal_fallback(
    order: Order,
    start: MigrateType,
    mobility_disabled: bool,
) -> bool {
    order.get() >= PAGEBLOCK_ORDER
        || order.get() >= PAGEBLOCK_ORDER / 2
        || start == MigrateType::Reclaimable
        || start == MigrateType::Unmovable
        || mobility_disabled
}
