//! debugfs `extfrag/unusable_index` and `extfrag/extfrag_index` of a running
//! allocator, as mm/vmstat.c's `unusable_show_print()` and `extfrag_show_print()`
//! print them: one line per populated zone, an index per order (formulas in
//! [`crate::buddy::frag`]).

use crate::alloc::Allocator;
use crate::buddy::frag;
use crate::types::Order;

/// `/sys/kernel/debug/extfrag/unusable_index`.
pub fn unusable_index(allocator: &Allocator) -> String {
    lines(allocator, |order, info| {
        frag::index_text(frag::unusable_free_index(order, info), false)
    })
}

/// `/sys/kernel/debug/extfrag/extfrag_index`.
pub fn extfrag_index(allocator: &Allocator) -> String {
    lines(allocator, |order, info| {
        frag::index_text(frag::fragmentation_index(order, info), true)
    })
}

fn lines(allocator: &Allocator, index: impl Fn(Order, &frag::ContigPageInfo) -> String) -> String {
    let mut out = String::new();
    for zone in allocator.zones() {
        out.push_str(&format!("Node {}, zone {:>8} ", zone.nid, zone.zone.name()));
        let counts = zone.buddy.nr_free_counts();
        for order in Order::all() {
            let info = frag::contig_page_info(&counts, order);
            out.push_str(&index(order, &info));
            out.push(' ');
        }
        out.push('\n');
    }
    out
}
