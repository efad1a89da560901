//! Watermark checks: `zone_watermark_fast()`, `__zone_watermark_unusable_free()`,
//! `__zone_watermark_ok()`, and `boost_watermark()` after a fallback steal.

use super::*;
use crate::event::{FreeAreaScan, FullCheck, WatermarkTerms};
use crate::types::gfp::{self, alloc_flags as af, Gfp};
use crate::types::ZoneType;
use crate::types::{Kernel, MigrateType, Order};

impl Allocator {
    /// `zone_watermark_fast()`, returning every term it used and what each step
    /// found ([`WatermarkTerms::ok`] is the kernel's return value). The mark is
    /// `wmark_pages()` of the flags' `ALLOC_WMARK_*` index, as the caller passes it.
    pub(super) fn zone_watermark_fast(
        &self,
        z: usize,
        order: Order,
        highest: ZoneType,
        flags: u32,
        gfp: Gfp,
    ) -> WatermarkTerms {
        self.zone_watermark_fast_at(z, order, None, highest, flags, gfp)
    }

    /// `zone_watermark_fast()` with the mark of index `mark_index` (`None`: the one
    /// the flags select), as 6.12's ZONE_BELOW_HIGH test passes the high mark.
    #[inline(never)]
    pub(super) fn zone_watermark_fast_at(
        &self,
        z: usize,
        order: Order,
        mark_index: Option<u8>,
        highest: ZoneType,
        flags: u32,
        gfp: Gfp,
    ) -> WatermarkTerms {
        let zone = &self.zones[z];
        let index = mark_index.map_or((flags & af::WMARK_MASK) as usize, usize::from);
        let mark = zone.wmark_pages(index);
        let free_pages = zone.free_pages();
        let reserve = zone.lowmem_reserve[highest.index()];
        let (highatomic_unusable, cma_unusable) = self.unusable_terms(z, flags);
        let v6_12 = self.kernel == Kernel::V6_12;
        let mut terms = WatermarkTerms {
            v6_12,
            mark_index,
            alloc_flags: flags,
            highest_zone: highest,
            mark_base: zone.watermark.get(index).copied().unwrap_or(0),
            boost: zone.watermark_boost,
            free_pages,
            highatomic_unusable,
            cma_unusable,
            lowmem_reserve: reserve,
            shortcut: None,
            full: None,
            unboosted: None,
        };
        if order.get() == 0 {
            let reserved = self.watermark_unusable_free(z, Order::ZERO, flags);
            let usable = free_pages - free_pages.min(reserved);
            let passed = usable > mark as i64 + reserve as i64;
            terms.shortcut = Some(passed);
            if passed {
                return terms;
            }
        }
        let full = self.zone_watermark_check(z, order, mark, highest, flags, free_pages);
        terms.full = Some(full);
        if full.passed() {
            return terms;
        }
        // 6.1 asks for __GFP_ATOMIC, 6.12 (which dropped that bit) for ALLOC_MIN_RESERVE.
        let atomic = if v6_12 {
            flags & af::MIN_RESERVE != 0
        } else {
            gfp.has(gfp::GFP_ATOMIC_BIT)
        };
        if order.get() == 0
            && atomic
            && zone.watermark_boost > 0
            && flags & af::WMARK_MASK == af::WMARK_MIN
        {
            terms.unboosted = Some(self.zone_watermark_check(
                z,
                order,
                zone.watermark[0],
                highest,
                flags,
                free_pages,
            ));
        }
        terms
    }

    /// `zone_watermark_fast()`'s verdict alone, for callers whose sink keeps no
    /// event: the order-0 shortcut (free pages less the unusable ones above the mark
    /// plus the lowmem reserve) answers most order-0 checks, and a higher order is
    /// `__zone_watermark_ok()` alone (the unboosted retry is for order 0), all without
    /// building the terms; an order-0 request that fails the shortcut runs
    /// [`Allocator::zone_watermark_fast_at`]. Always equals
    /// `zone_watermark_fast_at(..).ok()` (`watermark_tests` checks it over many states).
    #[inline(always)]
    pub(super) fn zone_watermark_fast_ok(
        &self,
        z: usize,
        order: Order,
        mark_index: Option<u8>,
        highest: ZoneType,
        flags: u32,
        gfp: Gfp,
    ) -> bool {
        if let Some(zone) = self.zones.get(z) {
            let index = mark_index.map_or((flags & af::WMARK_MASK) as usize, usize::from);
            let mark = zone.wmark_pages(index);
            let free_pages = zone.free_pages();
            if order.get() > 0 {
                return self.zone_watermark_ok(z, order, mark, highest, flags, free_pages);
            }
            let reserve = zone
                .lowmem_reserve
                .get(highest.index())
                .copied()
                .unwrap_or(0);
            let reserved = self.watermark_unusable_free(z, Order::ZERO, flags);
            let usable = free_pages - free_pages.min(reserved);
            if usable > mark as i64 + reserve as i64 {
                return true;
            }
        }
        self.zone_watermark_fast_at(z, order, mark_index, highest, flags, gfp)
            .ok()
    }

    /// `__zone_watermark_unusable_free()`.
    #[inline(always)]
    pub(super) fn watermark_unusable_free(&self, z: usize, order: Order, flags: u32) -> i64 {
        let (highatomic, cma) = self.unusable_terms(z, flags);
        order.pages() as i64 - 1 + highatomic.unwrap_or(0) as i64 + cma.unwrap_or(0)
    }

    /// The two reserves `__zone_watermark_unusable_free()` may count as unusable: the
    /// highatomic reserve when the request may not dip into the reserves, and on a
    /// CMA kernel the free CMA pages when the request lacks ALLOC_CMA (`None` where a
    /// term does not apply).
    #[inline(always)]
    pub(super) fn unusable_terms(&self, z: usize, flags: u32) -> (Option<u64>, Option<i64>) {
        // 6.12 holds back the free highatomic pages, 6.1 the whole reserve.
        let held = match self.kernel {
            Kernel::V6_1 => self.zones[z].nr_reserved_highatomic,
            Kernel::V6_12 => self.zones[z].nr_free_highatomic,
        };
        let highatomic = (flags & af::RESERVES == 0).then_some(held);
        let cma = (self.cma && flags & af::CMA == 0).then(|| self.free_cma_pages(z));
        (highatomic, cma)
    }

    /// `__zone_watermark_ok()`.
    pub(super) fn zone_watermark_ok(
        &self,
        z: usize,
        order: Order,
        mark: u64,
        highest: ZoneType,
        flags: u32,
        free_pages: i64,
    ) -> bool {
        self.zone_watermark_check(z, order, mark, highest, flags, free_pages)
            .passed()
    }

    /// `__zone_watermark_ok()`, with what it compared and found.
    pub(super) fn zone_watermark_check(
        &self,
        z: usize,
        order: Order,
        mark: u64,
        highest: ZoneType,
        flags: u32,
        free_pages: i64,
    ) -> FullCheck {
        let zone = &self.zones[z];
        let mut min = mark as i64;
        let free = free_pages - self.watermark_unusable_free(z, order, flags);
        if flags & af::RESERVES != 0 {
            if flags & af::MIN_RESERVE != 0 {
                min -= min / 2;
                if flags & af::NON_BLOCK != 0 {
                    min -= min / 4;
                }
            }
            if flags & af::OOM != 0 {
                min -= min / 2;
            }
        }
        let free_ok = free > min + zone.lowmem_reserve[highest.index()] as i64;
        let scan = (free_ok && order.get() > 0).then(|| free_area_scan(zone, order, flags));
        FullCheck {
            mark,
            min,
            usable: free,
            free_ok,
            scan,
        }
    }

    /// `boost_watermark()`: raise the boost by a pageblock, up to
    /// watermark_boost_factor/10000 of the high watermark.
    pub(super) fn boost_watermark(&mut self, z: usize) -> bool {
        let factor = u64::from(self.watermark_boost_factor);
        let zone = &mut self.zones[z];
        if factor == 0 || PAGEBLOCK_PAGES * 4 > zone.managed {
            return false;
        }
        let high = zone.watermark[2];
        let max_boost = (high / 10_000) * factor + (high % 10_000) * factor / 10_000;
        if max_boost == 0 {
            return false;
        }
        let max_boost = max_boost.max(PAGEBLOCK_PAGES);
        zone.watermark_boost = (zone.watermark_boost + PAGEBLOCK_PAGES).min(max_boost);
        true
    }
}

/// The free-area scan of `__zone_watermark_ok()` for a high-order request: from the
/// request's order up, the first order with a block on a per-cpu type's list, or on
/// the CMA list (ALLOC_CMA) or the highatomic list (ALLOC_HIGHATOMIC or ALLOC_OOM).
fn free_area_scan(zone: &ZoneState, order: Order, flags: u32) -> FreeAreaScan {
    let cma = flags & af::CMA != 0;
    let highatomic = flags & (af::HIGHATOMIC | af::OOM) != 0;
    let extra = [
        (cma, MigrateType::Cma),
        (highatomic, MigrateType::HighAtomic),
    ];
    let lists = [
        MigrateType::Unmovable,
        MigrateType::Movable,
        MigrateType::Reclaimable,
    ]
    .into_iter()
    .chain(extra.into_iter().filter(|(may, _)| *may).map(|(_, mt)| mt));
    for o in Order::all().skip(order.get() as usize) {
        if zone.buddy.nr_free(o) == 0 {
            continue;
        }
        if let Some(migratetype) = lists
            .clone()
            .find(|&mt| zone.buddy.nr_free_of_type(o, mt) > 0)
        {
            return FreeAreaScan::Found {
                order: o,
                migratetype,
            };
        }
    }
    FreeAreaScan::NotFound { cma, highatomic }
}
