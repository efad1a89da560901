//! The free path: `__free_pages()` → `free_unref_page()` →
//! `free_unref_page_commit()` → `free_pcppages_bulk()`, or `__free_pages_ok()` →
//! `__free_one_page()`; and draining the per-cpu lists.

use super::*;
use crate::buddy::TraceSink;
use crate::error::EngineError;
use crate::event::{DrainCause, Event};
use crate::types::{Kernel, MigrateType, Order, Pfn, PAGEBLOCK_ORDER};

impl Allocator {
    /// `__free_pages(page, order)`: through the per-cpu lists for the orders they
    /// hold (`free_unref_page()`), else straight to the buddy (`__free_pages_ok()`).
    pub fn free_pages(
        &mut self,
        pfn: Pfn,
        order: u32,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        let Some(order) = Order::new(order) else {
            return free_refused(EngineError::OrderTooLarge { order });
        };
        let Some(z) = self.zone_of_pfn(pfn) else {
            return free_refused(EngineError::PfnOutsideZone { pfn });
        };
        if !self.zones[z].buddy.is_in_use_block(pfn, order) {
            return free_refused(EngineError::NotAllocated { pfn });
        }
        crate::buddy::traced(trace, "__free_pages", |trace| {
            let migratetype = self.zones[z].buddy.pageblock_type(pfn);
            // The current CPU's pageset, if the zone has one (found once: nothing
            // below adds or removes pagesets).
            let cpu = self.cpu;
            let pcp_slot = self.zones[z].pcp_slot(cpu);
            if let (true, Some(slot)) = (pcp_allowed_order(order), pcp_slot) {
                return crate::buddy::traced(trace, "free_unref_page", |trace| {
                    // 6.12 folded free_unref_page_prepare() into free_unref_page().
                    if self.kernel == Kernel::V6_12 {
                        free_pages_prepare(pfn, order, trace);
                    } else {
                        crate::buddy::traced(trace, "free_unref_page_prepare", |trace| {
                            free_pages_prepare(pfn, order, trace);
                        });
                    }
                    if migratetype == MigrateType::Isolate {
                        return self.free_one_page(z, pfn, order, migratetype, trace);
                    }
                    // Highatomic and CMA pages go to the Movable per-cpu list.
                    let pcp_type = if migratetype.index() >= 3 {
                        MigrateType::Movable
                    } else {
                        migratetype
                    };
                    self.free_unref_page_commit(z, slot, pfn, migratetype, pcp_type, order, trace);
                    Ok(())
                });
            }
            crate::buddy::traced(trace, "__free_pages_ok", |trace| {
                free_pages_prepare(pfn, order, trace);
                self.free_one_page(z, pfn, order, migratetype, trace)?;
                // 6.1's __free_pages_ok() counts the free itself; 6.12's
                // free_one_page() does (for this caller and the isolated one).
                if self.kernel == Kernel::V6_1 {
                    self.count_vm_events(vmstat::VmEvent::Pgfree, order.pages());
                }
                Ok(())
            })
        })
    }

    /// `free_one_page()` / `__free_pages_ok()`: `__free_one_page()` and the counter.
    pub(super) fn free_one_page(
        &mut self,
        z: usize,
        pfn: Pfn,
        order: Order,
        migratetype: MigrateType,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        if self.kernel == Kernel::V6_12 {
            return self.split_large_buddy(z, pfn, order, trace);
        }
        crate::buddy::traced(trace, "free_one_page", |trace| {
            let cpu = self.cpu;
            let zone = &mut self.zones[z];
            // With any pageblock of the zone isolated (has_isolate_pageblock()), or for a
            // caller that saw MIGRATE_ISOLATE, the type is read again under the zone lock;
            // a block freed into an isolated pageblock goes to the isolate list and does
            // not count in NR_FREE_PAGES (__mod_zone_freepage_state() skips it).
            let mut migratetype = migratetype;
            if zone.nr_isolate_pageblock > 0 || migratetype == MigrateType::Isolate {
                migratetype = zone.buddy.pageblock_type(pfn);
            }
            if migratetype != MigrateType::Isolate {
                zone.mod_free_pages(cpu, order.pages() as i64);
            }
            self.note_small();
            self.zones[z]
                .buddy
                .free_block(pfn, order, migratetype, false, trace)
        })
    }

    /// 6.12's `free_one_page()` → `split_large_buddy()`: a block larger than a
    /// pageblock is freed pageblock by pageblock, each with its pageblock's type
    /// (`__free_one_page()` merges them back where the types allow), and each piece
    /// is counted on its own.
    fn split_large_buddy(
        &mut self,
        z: usize,
        pfn: Pfn,
        order: Order,
        trace: &mut impl TraceSink,
    ) -> Result<(), EngineError> {
        crate::buddy::traced(trace, "split_large_buddy", |trace| {
            let piece = order.min(Order::new(u32::from(PAGEBLOCK_ORDER)).unwrap_or(order));
            if piece < order {
                let pieces: Vec<(Pfn, Order)> = (0..order.pages() / piece.pages())
                    .map(|i| (Pfn(pfn.0 + i * piece.pages()), piece))
                    .collect();
                self.zones[z].buddy.split_in_use_into(pfn, order, &pieces)?;
            }
            let mut here = pfn.0;
            while here < pfn.0 + order.pages() {
                let migratetype = self.zones[z].buddy.pageblock_type(Pfn(here));
                self.account_freepages(z, piece.pages() as i64, migratetype);
                self.note_small();
                self.zones[z]
                    .buddy
                    .free_block(Pfn(here), piece, migratetype, false, trace)?;
                here += piece.pages();
            }
            // 6.12's free_one_page() counts every free it makes, the isolated
            // pageblock's included (6.1's does not count at all).
            self.count_vm_events(vmstat::VmEvent::Pgfree, order.pages());
            Ok(())
        })
    }

    /// `free_unref_page_commit()`: put the page at the head of its pcp list; past
    /// `high`, give a batch back with `free_pcppages_bulk()`. `slot` is the position
    /// of the current CPU's pageset in the zone's `pcps`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn free_unref_page_commit(
        &mut self,
        z: usize,
        slot: usize,
        pfn: Pfn,
        cached: MigrateType,
        pcp_type: MigrateType,
        order: Order,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "free_unref_page_commit", |trace| {
            let cpu = self.cpu;
            if self.kernel == Kernel::V6_1 && !self.recorder.is_on() {
                // Nothing records the changes: 6.1's changes below with the pageset
                // found once and no journal notes.
                self.vm_events.add(vmstat::VmEvent::Pgfree, order.pages());
                let zone = &mut self.zones[z];
                let zone_flags = zone.flags;
                let Some(pcp) = zone.pcps.get_mut(slot) else {
                    return;
                };
                let pindex = order_to_pindex(pcp_type, order);
                pcp.lists[pindex].push_front(PcpPage {
                    pfn: pfn.0,
                    migratetype: cached,
                });
                pcp.count += order.pages();
                let free_high =
                    pcp.free_factor > 0 && order.get() > 0 && order.get() <= COSTLY_ORDER;
                let high = nr_pcp_high(pcp, zone_flags, free_high);
                trace.emit(Event::PcpFree {
                    pfn,
                    order,
                    pindex: pindex as u32,
                    cpu,
                });
                if pcp.count >= high {
                    let (to_free, cause) = over_high_drain(pcp, cpu, high, free_high);
                    self.free_pcppages_bulk(z, to_free, pindex, cause, trace);
                }
                return;
            }
            let zone_flags = self.zones[z].flags;
            // Both kernels count the free first, before the page is on its list.
            self.count_vm_events(vmstat::VmEvent::Pgfree, order.pages());
            let Some(pcp) = self.zones[z].pcps.get_mut(slot) else {
                return;
            };
            let pindex = order_to_pindex(pcp_type, order);
            let page = PcpPage {
                pfn: pfn.0,
                migratetype: cached,
            };
            pcp.lists[pindex].push_front(page);
            pcp.count += order.pages();
            // 6.1's test against `high`, read while the pageset is at hand: nothing
            // below changes the pageset before the test.
            let free_high = pcp.free_factor > 0 && order.get() > 0 && order.get() <= COSTLY_ORDER;
            let high = nr_pcp_high(pcp, zone_flags, free_high);
            let over_high = pcp.count >= high;
            self.note_pcp(z, cpu, pindex, journal::PcpOp::PushFront(page));
            self.note_small();
            trace.emit(Event::PcpFree {
                pfn,
                order,
                pindex: pindex as u32,
                cpu,
            });
            if self.kernel == Kernel::V6_12 {
                return self.free_commit_6_12(z, cpu, order, pindex, trace);
            }
            if over_high {
                let Some(pcp) = self.zones[z].pcps.get_mut(slot) else {
                    return;
                };
                let (to_free, cause) = over_high_drain(pcp, cpu, high, free_high);
                self.note_small();
                self.free_pcppages_bulk(z, to_free, pindex, cause, trace);
            }
        })
    }

    /// `free_pcppages_bulk()`: return `count` pages from the tails of the pcp lists,
    /// round-robin from the list after `pindex - 1`, each to the buddy list of its
    /// cached migratetype.
    #[inline(never)]
    pub(super) fn free_pcppages_bulk(
        &mut self,
        z: usize,
        count: u64,
        pindex: usize,
        cause: DrainCause,
        trace: &mut impl TraceSink,
    ) {
        crate::buddy::traced(trace, "free_pcppages_bulk", |trace| {
            let cpu = self.cpu;
            // has_isolate_pageblock(), read once under the zone lock.
            let isolated_pageblocks = self.zones[z].nr_isolate_pageblock > 0;
            let Some(pcp) = self.zones[z].pcp_mut(cpu) else {
                return;
            };
            let mut count = count.min(pcp.count) as i64;
            let (mut min_pindex, mut max_pindex) = (0usize, NR_PCP_LISTS - 1);
            let mut pindex = pindex as isize - 1;
            let mut drained: Vec<(PcpPage, Order, usize)> = Vec::new();
            while count > 0 {
                loop {
                    pindex += 1;
                    if pindex as usize > max_pindex {
                        pindex = min_pindex as isize;
                    }
                    let p = pindex as usize;
                    if !pcp.lists[p].is_empty() {
                        break;
                    }
                    if p == max_pindex {
                        max_pindex = max_pindex.saturating_sub(1);
                    }
                    if p == min_pindex {
                        min_pindex += 1;
                    }
                    if min_pindex > max_pindex + 1 {
                        // Every list is empty although count said otherwise.
                        count = 0;
                        break;
                    }
                }
                if count <= 0 {
                    break;
                }
                let p = pindex as usize;
                let order = pindex_to_order(p);
                while let Some(page) = pcp.lists[p].pop_back() {
                    count -= order.pages() as i64;
                    drained.push((page, order, p));
                    if count <= 0 {
                        break;
                    }
                }
            }
            for (page, order, p) in drained {
                // Each page leaves its list (and the count) with its own event; the
                // lists were emptied above, which only this loop reads after (see
                // `journal`).
                if let Some(pcp) = self.zones[z].pcp_mut(cpu) {
                    pcp.count -= order.pages();
                }
                self.note_pcp(z, cpu, p, journal::PcpOp::PopBack);
                let zone = &mut self.zones[z];
                let pfn = Pfn(page.pfn);
                // The pageblock may have been isolated since the page was cached: then its
                // current type decides the list, and an isolated page is not counted.
                let mut migratetype = page.migratetype;
                // 6.12 always reads the pageblock's type as the page leaves.
                if isolated_pageblocks || self.kernel == Kernel::V6_12 {
                    migratetype = zone.buddy.pageblock_type(pfn);
                }
                match self.kernel {
                    Kernel::V6_1 if migratetype != MigrateType::Isolate => {
                        zone.mod_free_pages(cpu, order.pages() as i64);
                    }
                    Kernel::V6_1 => {}
                    Kernel::V6_12 => {
                        self.account_freepages(z, order.pages() as i64, migratetype);
                    }
                }
                self.note_small();
                // The kernel fires mm_page_pcpu_drain after __free_one_page(); the
                // event comes first here so the page leaves the per-cpu list before
                // the merges it causes are told (the tracepoints keep their order
                // among themselves).
                trace.emit(Event::PcpDrain {
                    pfn,
                    order,
                    migratetype,
                    cause,
                });
                let zone = &mut self.zones[z];
                let _ = zone.buddy.free_block(pfn, order, migratetype, false, trace);
            }
        })
    }

    /// `drain_local_pages()` for one zone (`drain_pages_zone()`): every page on this
    /// CPU's lists goes back to the buddy.
    pub fn drain_local_pages(&mut self, trace: &mut impl TraceSink) {
        crate::buddy::traced(trace, "drain_local_pages", |trace| {
            let cpu = self.cpu;
            for z in 0..self.zones.len() {
                // 6.12's drain_pages_zone() gives back at most batch << 5 pages per
                // free_pcppages_bulk(), each round starting again at list 0.
                while let Some(pcp) = self.zones[z].pcp_mut(cpu) {
                    let count = pcp.count;
                    if count == 0 {
                        break;
                    }
                    let to_drain = match self.kernel {
                        Kernel::V6_1 => count,
                        Kernel::V6_12 => count.min(pcp.batch << PCP_BATCH_SCALE_MAX),
                    };
                    self.free_pcppages_bulk(z, to_drain, 0, DrainCause::Drained { cpu }, trace);
                    let left = self.zones[z].pcp_mut(cpu).map_or(0, |p| p.count);
                    // A count its lists do not hold cannot be drained: stop there.
                    if self.kernel == Kernel::V6_1 || left >= count {
                        break;
                    }
                }
            }
        })
    }

    /// `drain_all_pages()`: every CPU's lists.
    pub fn drain_all_pages(&mut self, trace: &mut impl TraceSink) {
        crate::buddy::traced(trace, "drain_all_pages", |trace| {
            let current = self.cpu;
            for cpu in self.online_cpus.clone() {
                self.cpu = cpu;
                self.note_small();
                self.drain_local_pages(trace);
            }
            self.cpu = current;
            self.note_small();
        })
    }
}

/// [`Allocator::free_pages`] refusing a block: a call LLVM takes as cold, so that it
/// weighs the free's branches towards the path that frees (docs/performance.md,
/// branch pcp18).
#[cold]
#[inline(never)]
fn free_refused(error: EngineError) -> Result<(), EngineError> {
    Err(error)
}

/// 6.1's `free_unref_page_commit()` with the pageset at or over `high`: the pages
/// `nr_pcp_free()` returns to the buddy (raising `free_factor` as it does), and the
/// drain's cause as the events tell it.
fn over_high_drain(pcp: &mut Pcp, cpu: u32, high: u64, free_high: bool) -> (u64, DrainCause) {
    let batch = pcp.batch;
    let to_free = nr_pcp_free(pcp, high, batch, free_high);
    (to_free, over_high(pcp, cpu, high, to_free, free_high))
}

/// Why a free drains the pageset: at or over `high` (both kernels' free commit).
pub(super) fn over_high(
    pcp: &Pcp,
    cpu: u32,
    high: u64,
    to_free: u64,
    free_high: bool,
) -> DrainCause {
    DrainCause::OverHigh {
        cpu,
        count: pcp.count,
        high,
        to_free,
        free_high,
    }
}

/// `nr_pcp_high()`: `high`, or at most four batches while reclaim is active; 0 to
/// free everything when freeing high-order pages in bulk.
pub(super) fn nr_pcp_high(pcp: &Pcp, zone_flags: u64, free_high: bool) -> u64 {
    if pcp.high == 0 || free_high {
        return 0;
    }
    if zone_flags & ZONE_RECLAIM_ACTIVE == 0 {
        return pcp.high;
    }
    (pcp.batch << 2).min(pcp.high)
}

/// `nr_pcp_free()`: how many pages to give back; doubles (up to 2^5 batches) with
/// each consecutive free that overflows, leaving at least a batch.
pub(super) fn nr_pcp_free(pcp: &mut Pcp, high: u64, batch: u64, free_high: bool) -> u64 {
    if free_high {
        return pcp.count;
    }
    if high < batch {
        return 1;
    }
    let min_nr_free = batch as i64;
    let max_nr_free = high as i64 - batch as i64;
    let mut batch = (batch as i64) << pcp.free_factor;
    if batch < max_nr_free && pcp.free_factor < PCP_BATCH_SCALE_MAX {
        pcp.free_factor += 1;
    }
    // clamp(batch, min, max) as the kernel's macro: max(min, min(batch, max)) when
    // min <= max; when max < min the kernel's clamp gives max.
    batch = batch.max(min_nr_free).min(max_nr_free);
    batch.max(0) as u64
}

/// `free_pages_prepare()`, where the kernel's mm_page_free tracepoint fires: the
/// first thing both `free_unref_page()` (through `free_unref_page_prepare()`) and
/// `__free_pages_ok()` do with the block. The model keeps only the event.
pub(super) fn free_pages_prepare(pfn: Pfn, order: Order, trace: &mut impl TraceSink) {
    crate::buddy::traced(trace, "free_pages_prepare", |trace| {
        trace.emit(Event::PageFree { pfn, order });
    });
}
