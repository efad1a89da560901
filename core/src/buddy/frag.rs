//! The fragmentation indexes of mm/vmstat.c, from a zone's free-block counts per
//! order: `fill_contig_page_info()`, `__fragmentation_index()` (debugfs
//! `extfrag/extfrag_index`, and compaction's `fragmentation_index()`) and
//! `unusable_free_index()` (debugfs `extfrag/unusable_index`). Both are in
//! thousandths, as the kernel computes them with integer division.

use crate::types::{Order, NR_ORDERS};

/// `struct contig_page_info` for one requested order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContigPageInfo {
    /// Free pages in the zone, `nr_free << order` summed over the orders.
    pub free_pages: u64,
    /// Free blocks of any order.
    pub free_blocks_total: u64,
    /// Blocks of the requested order the free blocks of that order or above make.
    pub free_blocks_suitable: u64,
}

/// `fill_contig_page_info()`: `nr_free[o]` is `free_area[o].nr_free`.
pub fn contig_page_info(nr_free: &[u64; NR_ORDERS], suitable: Order) -> ContigPageInfo {
    let mut info = ContigPageInfo::default();
    for (o, &blocks) in nr_free.iter().enumerate() {
        info.free_blocks_total += blocks;
        info.free_pages += blocks << o;
        if o >= usize::from(suitable.get()) {
            info.free_blocks_suitable += blocks << (o - usize::from(suitable.get()));
        }
    }
    info
}

/// `__fragmentation_index()`: 0 when free blocks are missing, up to 1000 when a
/// request of `order` would fail for fragmentation; -1000 when a suitable block is
/// free (the index is meaningless then).
pub fn fragmentation_index(order: Order, info: &ContigPageInfo) -> i64 {
    if info.free_blocks_total == 0 {
        return 0;
    }
    if info.free_blocks_suitable > 0 {
        return -1000;
    }
    1000 - ((1000 + info.free_pages * 1000 / order.pages()) / info.free_blocks_total) as i64
}

/// `unusable_free_index()`: the thousandths of the free pages that are not in blocks
/// of `order` or larger; 1000 when nothing is free.
pub fn unusable_free_index(order: Order, info: &ContigPageInfo) -> i64 {
    if info.free_pages == 0 {
        return 1000;
    }
    ((info.free_pages - (info.free_blocks_suitable << order.get())) * 1000 / info.free_pages) as i64
}

/// An index as `extfrag_show_print()` prints it (`%2d.%03d`: `-1.000`, ` 0.123`);
/// `unusable_show_print()` uses `%d.%03d`, the same for its 0..=1000 range but for
/// the padding, which `padded` selects.
pub fn index_text(index: i64, padded: bool) -> String {
    // C's `/` and `%` truncate toward zero, as Rust's do.
    let (whole, thousandths) = (index / 1000, index % 1000);
    if padded {
        format!("{whole:2}.{:03}", thousandths)
    } else {
        format!("{whole}.{:03}", thousandths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(n: u32) -> Order {
        Order::new(n).unwrap()
    }

    #[test]
    fn the_printed_forms_are_the_kernels() {
        assert_eq!(index_text(-1000, true), "-1.000");
        assert_eq!(index_text(0, true), " 0.000");
        assert_eq!(index_text(987, true), " 0.987");
        assert_eq!(index_text(1000, false), "1.000");
        assert_eq!(index_text(5, false), "0.005");
    }

    #[test]
    fn no_free_memory() {
        let info = contig_page_info(&[0; NR_ORDERS], order(3));
        assert_eq!(fragmentation_index(order(3), &info), 0);
        assert_eq!(unusable_free_index(order(3), &info), 1000);
    }
}
