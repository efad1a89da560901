//! The fragmentation indexes of mm/vmstat.c (`buddy::frag`, `report::extfrag`)
//! against values worked out by hand from real `/proc/buddyinfo` lines.

use buddyscope_engine::buddy::frag::{
    contig_page_info, fragmentation_index, index_text, unusable_free_index,
};
use buddyscope_engine::types::{Order, NR_ORDERS};

/// The free-block counts of a `/proc/buddyinfo` line.
fn counts(line: &str) -> [u64; NR_ORDERS] {
    let numbers: Vec<u64> = line
        .split_whitespace()
        .skip(4)
        .map(|n| n.parse().unwrap())
        .collect();
    numbers.try_into().unwrap()
}

fn order(n: u32) -> Order {
    Order::new(n).unwrap()
}

/// The oracle machine a-1node-512M's buddyinfo after boot (its machine.snapshot).
const DMA32: &str = "Node 0, zone    DMA32      2      2      3      5      7      7      5      6      5      2    100";
const DMA: &str = "Node 0, zone      DMA      0      0      0      0      0      1      1      1      0      1      3";

#[test]
fn unusable_index_of_a_real_zone() {
    // DMA32: free pages 2 + 4 + 12 + 40 + 112 + 224 + 320 + 768 + 1280 + 1024 + 102400
    // = 106186. Order 9: 2 + (100 << 1) = 202 blocks of 512 = 103424 pages usable:
    // (106186 - 103424) * 1000 / 106186 = 26. Order 10: 100 * 1024 = 102400:
    // 3786000 / 106186 = 35. Order 0: everything is usable: 0.
    let dma32 = counts(DMA32);
    let at = |o| unusable_free_index(order(o), &contig_page_info(&dma32, order(o)));
    assert_eq!(contig_page_info(&dma32, order(0)).free_pages, 106186);
    assert_eq!((at(0), at(9), at(10)), (0, 26, 35));
    // DMA: free 32 + 64 + 128 + 512 + 3072 = 3808. Order 8: (1 << 1) + (3 << 2) = 14
    // blocks of 256 = 3584: 224000 / 3808 = 58; order 10: 3072: 736000 / 3808 = 193.
    let dma = counts(DMA);
    let at = |o| unusable_free_index(order(o), &contig_page_info(&dma, order(o)));
    assert_eq!((at(8), at(9), at(10)), (58, 58, 193));
    assert_eq!(index_text(at(10), false), "0.193");
}

#[test]
fn extfrag_index_is_minus_one_while_a_block_is_free() {
    let dma32 = counts(DMA32);
    for o in 0..11 {
        let info = contig_page_info(&dma32, order(o));
        assert_eq!(fragmentation_index(order(o), &info), -1000);
    }
    assert_eq!(index_text(-1000, true), "-1.000");
}

#[test]
fn extfrag_index_of_a_fragmented_zone() {
    // Nothing free above order 5: 8269 blocks, 4512 + 4582 + 4248 + 2800 + 816 + 96 =
    // 17054 pages. Order 6: 1000 - (1000 + 17054000 / 64) / 8269 = 1000 - 267468 /
    // 8269 = 1000 - 32 = 968. Order 9: 1000 - (1000 + 33308) / 8269 = 1000 - 4 = 996.
    // Order 5: three order-5 blocks are free: -1000. Unusable at order 5:
    // (17054 - 96) * 1000 / 17054 = 994.
    let fragmented =
        counts("Node 0, zone   Normal   4512   2291   1062    350     51      3      0      0      0      0      0");
    let info = |o| contig_page_info(&fragmented, order(o));
    assert_eq!(info(0).free_blocks_total, 8269);
    assert_eq!(info(0).free_pages, 17054);
    assert_eq!(fragmentation_index(order(6), &info(6)), 968);
    assert_eq!(fragmentation_index(order(9), &info(9)), 996);
    assert_eq!(fragmentation_index(order(5), &info(5)), -1000);
    assert_eq!(unusable_free_index(order(5), &info(5)), 994);
    assert_eq!(index_text(968, true), " 0.968");
}
