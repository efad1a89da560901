//! The allocator's invariants, checked after every operation by the property tests
//! and the seeded simulation.

use super::*;
use crate::types::{MigrateType, Order, Pfn};

impl Allocator {
    /// Checks every invariant of the allocator; `Err` names the first broken one:
    /// each zone's buddy invariants, each pcp count equal to the pages on its lists,
    /// pcp pages in use from the buddy's point of view and on one list once, and the
    /// free-page counter (with every CPU's delta) equal to the pages on the free
    /// lists.
    pub fn check_invariants(&self) -> Result<(), String> {
        for zone in &self.zones {
            let name = format!("zone {}:{}", zone.nid, zone.zone.name());
            zone.buddy
                .check_invariants()
                .map_err(|e| format!("{name}: {e}"))?;
            // A page is on at most one per-cpu list, once (a page freed twice would be
            // given out twice).
            let mut on_pcp = std::collections::BTreeSet::new();
            for pcp in &zone.pcps {
                let mut pages = 0u64;
                for (pindex, list) in pcp.lists.iter().enumerate() {
                    let order = pindex_to_order(pindex);
                    for page in list {
                        if !zone.buddy.is_in_use_block(Pfn(page.pfn), order) {
                            return Err(format!("{name}: pcp page {} on cpu {} list {pindex} is not an in-use block", page.pfn, pcp.cpu));
                        }
                        if !on_pcp.insert(page.pfn) {
                            return Err(format!(
                                "{name}: pcp page {} is on a per-cpu list twice (cpu {} list {pindex})",
                                page.pfn, pcp.cpu
                            ));
                        }
                        pages += order.pages();
                    }
                }
                if pages != pcp.count {
                    return Err(format!(
                        "{name}: cpu {} pcp count {} but {pages} pages on its lists",
                        pcp.cpu, pcp.count
                    ));
                }
            }
            // Free pages on MIGRATE_ISOLATE lists are not counted in NR_FREE_PAGES
            // (__mod_zone_freepage_state() skips them).
            let isolated: u64 = Order::all()
                .map(|o| u64::from(zone.buddy.nr_free_of_type(o, MigrateType::Isolate)) << o.get())
                .sum();
            // Linux 6.12 counts the free highatomic pages apart
            // (`nr_free_highatomic`, which its watermark checks hold back).
            if self.kernel == crate::types::Kernel::V6_12 {
                let highatomic: u64 = Order::all()
                    .map(|o| {
                        u64::from(zone.buddy.nr_free_of_type(o, MigrateType::HighAtomic)) << o.get()
                    })
                    .sum();
                if zone.nr_free_highatomic != highatomic {
                    return Err(format!(
                        "{name}: nr_free_highatomic is {} but {highatomic} pages are on the highatomic lists",
                        zone.nr_free_highatomic
                    ));
                }
            }
            let buddy_pages = (zone.buddy.free_pages() - isolated) as i64;
            if zone.free_pages_snapshot() != buddy_pages {
                return Err(format!(
                    "{name}: NR_FREE_PAGES with per-cpu deltas is {} but {buddy_pages} pages are on the free lists",
                    zone.free_pages_snapshot()
                ));
            }
        }
        Ok(())
    }
}
