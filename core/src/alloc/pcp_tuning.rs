//! Linux 6.12's per-cpu lists where they differ from 6.1: `high` tuned at run time
//! between `high_min` and `high_max` (Linux 6.7, "mm, pcp: decrease PCP high if
//! free pages < high watermark" and the series around it), refills that grow with
//! `alloc_factor` (`nr_pcp_alloc()`), frees that drain by `free_count` and the
//! `PCPF_*` flags (`nr_pcp_high()`, `nr_pcp_free()`, `free_unref_page_commit()`).
//!
//! Not modelled: `decay_pcp_high()`, which the vmstat worker runs every second to
//! bring `high` back down and drain what is over it; the model has no clock.

use super::*;
use crate::buddy::TraceSink;
use crate::event::{Event, PcpAllocSize, PcpHighRule, PcpHighTuning};
use crate::types::{Order, Pfn, ZoneType};

impl Allocator {
    /// `nr_pcp_alloc()`: how many blocks of `order` a refill of CPU `cpu`'s list asks
    /// for. It clamps `high` into [high_min, high_max], grows it by a batch unless
    /// the zone is below its high watermark (ZONE_BELOW_HIGH), and for order 0 scales
    /// the batch by `alloc_factor`, which rises while refills fit under `high`.
    #[inline(never)]
    pub(super) fn nr_pcp_alloc(
        &mut self,
        z: usize,
        cpu: u32,
        order: Order,
        trace: &mut impl TraceSink,
    ) -> u64 {
        crate::buddy::traced(trace, "nr_pcp_alloc", |trace| {
            let below_high = self.zones[z].flags & ZONE_BELOW_HIGH != 0;
            let Some(pcp) = self.zones[z].pcp_mut(cpu) else {
                return 1;
            };
            let Some(t) = pcp.tuning.as_mut() else {
                return 1;
            };
            let base_batch = pcp.batch;
            let high_found = pcp.high;
            let mut high = pcp.high.clamp(t.high_min, t.high_max.max(t.high_min));
            pcp.high = high;
            let high_clamped = high;
            let alloc_factor_before = t.alloc_factor;
            let mut size = PcpAllocSize {
                cpu,
                order,
                count: pcp.count,
                base_batch,
                high_min: t.high_min,
                high_max: t.high_max,
                high_found,
                high_clamped,
                high,
                below_high,
                alloc_factor_before,
                alloc_factor: alloc_factor_before,
                batch: 1,
            };
            if high < base_batch {
                // The lists are disabled (or a boot pageset): one page at a time.
                self.note_small();
                trace.emit(Event::PcpAllocSize(size));
                return 1;
            }
            let mut batch = if order.get() > 0 {
                base_batch
            } else {
                base_batch << t.alloc_factor
            };
            if t.high_min != t.high_max && !below_high {
                high = (high + batch).min(t.high_max);
                pcp.high = high;
            }
            if order.get() == 0 {
                let max_nr_alloc = (high as i64 - pcp.count as i64 - base_batch as i64)
                    .max(base_batch as i64) as u64;
                if batch <= max_nr_alloc && t.alloc_factor < PCP_BATCH_SCALE_MAX {
                    t.alloc_factor += 1;
                }
                batch = batch.min(max_nr_alloc);
            }
            if batch > 1 {
                batch = (batch >> order.get()).max(2);
            }
            size.high = high;
            size.alloc_factor = t.alloc_factor;
            size.batch = batch;
            self.note_small();
            trace.emit(Event::PcpAllocSize(size));
            batch
        })
    }

    /// 6.12's `free_unref_page_commit()` after the page is on its list: halve
    /// `alloc_factor`, decide `free_high` from the PCPF flags, count the page in
    /// `free_count`, let `nr_pcp_high()` set `high`, and past the threshold drain
    /// `nr_pcp_free()` pages; a drain may clear ZONE_BELOW_HIGH.
    pub(super) fn free_commit_6_12(
        &mut self,
        z: usize,
        cpu: u32,
        order: Order,
        pindex: usize,
        trace: &mut impl TraceSink,
    ) {
        let zone_flags = self.zones[z].flags;
        let Some(pcp) = self.zones[z].pcp_mut(cpu) else {
            return;
        };
        let batch = pcp.batch;
        let count = pcp.count;
        let Some(t) = pcp.tuning.as_mut() else {
            return;
        };
        t.alloc_factor >>= 1;
        let mut free_high = false;
        if order.get() > 0 && order.get() <= COSTLY_ORDER {
            free_high = t.free_count >= batch
                && t.flags & PCPF_PREV_FREE_HIGH_ORDER != 0
                && (t.flags & PCPF_FREE_HIGH_BATCH == 0 || count >= batch);
            t.flags |= PCPF_PREV_FREE_HIGH_ORDER;
        } else if t.flags & PCPF_PREV_FREE_HIGH_ORDER != 0 {
            t.flags &= !PCPF_PREV_FREE_HIGH_ORDER;
        }
        if t.free_count < batch << PCP_BATCH_SCALE_MAX {
            t.free_count += order.pages();
        }
        let tuning = nr_pcp_high_6_12(pcp, zone_flags, batch, free_high, cpu);
        self.note_small();
        crate::buddy::traced(trace, "nr_pcp_high", |trace| {
            trace.emit(Event::PcpHigh(tuning))
        });
        let high = tuning.threshold;
        let Some(pcp) = self.zones[z].pcp_mut(cpu) else {
            return;
        };
        if pcp.count < high {
            return;
        }
        let to_free = nr_pcp_free_6_12(pcp, batch, high, free_high);
        let cause = super::free::over_high(pcp, cpu, high, to_free, free_high);
        self.free_pcppages_bulk(z, to_free, pindex, cause, trace);
        if self.zones[z].flags & ZONE_BELOW_HIGH != 0 {
            // zone_watermark_ok(zone, 0, high_wmark_pages(zone), ZONE_MOVABLE, 0)
            let zone = &self.zones[z];
            let mark = zone.wmark_pages(2);
            let free = zone.free_pages();
            if self.zone_watermark_ok(z, Order::ZERO, mark, ZoneType::Movable, 0, free) {
                self.zones[z].flags &= !ZONE_BELOW_HIGH;
                self.note_small();
                let zone = &self.zones[z];
                trace.emit(Event::BelowHighCleared {
                    node: zone.nid,
                    zone: zone.zone,
                    free_pages: free,
                    high_mark: mark,
                });
            }
        }
    }

    /// 6.12's `reserve_highatomic_pageblock()`: nothing while 1% of the zone is less
    /// than a pageblock; the limit is 1% rounded up to whole pageblocks. A block
    /// below pageblock order has its pageblock's free pages moved to the highatomic
    /// lists; a larger block only has its pageblocks retyped.
    pub(super) fn reserve_highatomic_6_12(
        &mut self,
        z: usize,
        pfn: Pfn,
        order: Order,
        trace: &mut impl TraceSink,
    ) {
        let managed = self.zones[z].managed;
        if managed / 100 < PAGEBLOCK_PAGES {
            return;
        }
        let max_managed = (managed / 100).div_ceil(PAGEBLOCK_PAGES) * PAGEBLOCK_PAGES;
        if self.zones[z].nr_reserved_highatomic >= max_managed {
            return;
        }
        let mt = self.zones[z].buddy.pageblock_type(pfn);
        if !mt.is_mergeable() {
            return;
        }
        if order.get() < PAGEBLOCK_ORDER {
            let Some((first, _, _)) = self.zones[z].buddy.pageblock_free_movable(pfn) else {
                return;
            };
            self.move_freepages_block_6_12(z, first, MigrateType::HighAtomic);
            self.zones[z].nr_reserved_highatomic += PAGEBLOCK_PAGES;
        } else {
            for i in 0..order.pages() >> PAGEBLOCK_ORDER {
                self.zones[z]
                    .buddy
                    .set_pageblock_type(Pfn(pfn.0 + i * PAGEBLOCK_PAGES), MigrateType::HighAtomic);
            }
            self.zones[z].nr_reserved_highatomic += order.pages();
        }
        self.note_small();
        let reserved = self.zones[z].nr_reserved_highatomic;
        trace.emit(Event::HighatomicReserve { pfn, reserved });
    }
}

/// 6.12's `nr_pcp_high()`: clamp `high` into its range, then by the zone's state
/// shrink it (free_high, reclaim active, below the high watermark) or grow it to
/// hold a batch of frees; returns what it decided, `threshold` being what the free
/// compares the list's count with.
fn nr_pcp_high_6_12(
    pcp: &mut Pcp,
    zone_flags: u64,
    batch: u64,
    free_high: bool,
    cpu: u32,
) -> PcpHighTuning {
    let t = pcp.tuning.unwrap_or_default();
    let high = pcp.high.clamp(t.high_min, t.high_max.max(t.high_min));
    pcp.high = high;
    let mut out = PcpHighTuning {
        cpu,
        rule: PcpHighRule::Unchanged,
        count: pcp.count,
        batch,
        free_count: t.free_count,
        high_min: t.high_min,
        high_max: t.high_max,
        high_before: high,
        high_after: high,
        threshold: high,
    };
    let (rule, threshold) = if high == 0 {
        (PcpHighRule::Disabled, 0)
    } else if free_high {
        let shrink = batch << PCP_BATCH_SCALE_MAX;
        pcp.high = high.saturating_sub(shrink).max(t.high_min);
        (PcpHighRule::FreeHigh, 0)
    } else if zone_flags & ZONE_RECLAIM_ACTIVE != 0 {
        let free_count = t.free_count.max(batch);
        pcp.high = high.saturating_sub(free_count).max(t.high_min);
        (PcpHighRule::ReclaimActive, (batch << 2).min(pcp.high))
    } else if t.high_min == t.high_max {
        (PcpHighRule::Fixed, high)
    } else if zone_flags & ZONE_BELOW_HIGH != 0 {
        let free_count = t.free_count.max(batch);
        pcp.high = high.saturating_sub(free_count).max(t.high_min);
        (PcpHighRule::BelowHigh, pcp.count.max(t.high_min))
    } else if pcp.count >= high {
        let need_high = t.free_count + batch;
        if pcp.high < need_high {
            pcp.high = need_high.clamp(t.high_min, t.high_max.max(t.high_min));
        }
        (PcpHighRule::Grow, high)
    } else {
        (PcpHighRule::Unchanged, high)
    };
    out.rule = rule;
    out.high_after = pcp.high;
    out.threshold = threshold;
    out
}

/// 6.12's `nr_pcp_free()`: everything up to 2^5 batches when high-order pages are
/// freed in bulk; one page for disabled lists; otherwise `free_count` clamped to
/// [batch, high − batch].
fn nr_pcp_free_6_12(pcp: &Pcp, batch: u64, high: u64, free_high: bool) -> u64 {
    if free_high {
        return pcp.count.min(batch << PCP_BATCH_SCALE_MAX);
    }
    if high < batch {
        return 1;
    }
    let free_count = pcp.tuning.map_or(0, |t| t.free_count) as i64;
    let (min_nr_free, max_nr_free) = (batch as i64, high as i64 - batch as i64);
    // clamp_t(int, v, lo, hi): the kernel's clamp; with hi < lo it gives hi.
    free_count.max(min_nr_free).min(max_nr_free).max(0) as u64
}
