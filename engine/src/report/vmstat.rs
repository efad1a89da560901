//! `/proc/vmstat` of a running allocator, reduced to the counters the model keeps:
//! `nr_free_pages` (the zone counter, summed over zones) and the event counters of
//! [`crate::alloc::vmstat`], one `name value` line each, in `vmstat_text[]` order.
//! The kernel prints many more lines (the LRU sizes, dirty limits, NUMA hits,
//! faults, ...); the model does not keep them, so they are left out rather than
//! printed with invented values.

use crate::alloc::vmstat::VM_EVENTS;
use crate::alloc::Allocator;

/// `/proc/vmstat` (`vmstat_show()`), the lines the model keeps.
pub fn vmstat(allocator: &Allocator) -> String {
    // global_zone_page_state(NR_FREE_PAGES): the folded counters of every zone,
    // without the per-cpu deltas, and never below 0.
    let free: i64 = allocator.zones().iter().map(|z| z.free_pages_global).sum();
    let mut out = format!("nr_free_pages {}\n", free.max(0));
    let events = allocator.vm_events();
    for (event, name) in VM_EVENTS {
        out.push_str(&format!("{name} {}\n", events.get(event)));
    }
    out
}
