//! Watermark checks: `zone_watermark_fast()`, `__zone_watermark_unusable_free()`,
//! `__zone_watermark_ok()`, and `boost_watermark()` after a fallback steal.

use super::*;
use crate::types::gfp::{self, alloc_flags as af, Gfp};
use crate::types::ZoneType;
use crate::types::{MigrateType, Order};

impl Allocator {
    /// `zone_watermark_fast()`.
    pub(super) fn zone_watermark_fast(
        &self,
        z: usize,
        order: Order,
        mark: u64,
        highest: ZoneType,
        flags: u32,
        gfp: Gfp,
    ) -> bool {
        let zone = &self.zones[z];
        let free_pages = zone.free_pages();
        let reserve = zone.lowmem_reserve[highest.index()] as i64;
        if order.get() == 0 {
            let reserved = self.watermark_unusable_free(z, Order::ZERO, flags);
            let usable = free_pages - free_pages.min(reserved);
            if usable > mark as i64 + reserve {
                return true;
            }
        }
        if self.zone_watermark_ok(z, order, mark, highest, flags, free_pages) {
            return true;
        }
        if order.get() == 0
            && gfp.has(gfp::GFP_ATOMIC_BIT)
            && zone.watermark_boost > 0
            && flags & af::WMARK_MASK == af::WMARK_MIN
        {
            return self.zone_watermark_ok(z, order, zone.watermark[0], highest, flags, free_pages);
        }
        false
    }

    /// `__zone_watermark_unusable_free()`.
    pub(super) fn watermark_unusable_free(&self, z: usize, order: Order, flags: u32) -> i64 {
        let mut unusable = order.pages() as i64 - 1;
        if flags & af::RESERVES == 0 {
            unusable += self.zones[z].nr_reserved_highatomic as i64;
        }
        if self.cma && flags & af::CMA == 0 {
            unusable += self.free_cma_pages(z);
        }
        unusable
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
        if free <= min + zone.lowmem_reserve[highest.index()] as i64 {
            return false;
        }
        if order.get() == 0 {
            return true;
        }
        for o in Order::all().skip(order.get() as usize) {
            if zone.buddy.nr_free(o) == 0 {
                continue;
            }
            if [
                MigrateType::Unmovable,
                MigrateType::Movable,
                MigrateType::Reclaimable,
            ]
            .iter()
            .any(|&mt| zone.buddy.nr_free_of_type(o, mt) > 0)
            {
                return true;
            }
            if flags & af::CMA != 0 && zone.buddy.nr_free_of_type(o, MigrateType::Cma) > 0 {
                return true;
            }
            if flags & (af::HIGHATOMIC | af::OOM) != 0
                && zone.buddy.nr_free_of_type(o, MigrateType::HighAtomic) > 0
            {
                return true;
            }
        }
        false
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
