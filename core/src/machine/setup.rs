//! The arithmetic of boot-time zone setup, one function per kernel function, each on
//! plain slices so it can be checked against numbers worked out from the source.

use crate::types::PAGEBLOCK_PAGES;
use crate::types::{PfnRange, ZoneType, MAX_NR_ZONES};

/// `MAX_DMA_PFN`: ZONE_DMA ends at 16 MiB.
pub const MAX_DMA_PFN: u64 = (16 << 20) >> 12;
/// `MAX_DMA32_PFN`: ZONE_DMA32 ends at 4 GiB.
pub const MAX_DMA32_PFN: u64 = (4u64 << 30) >> 12;
/// `sizeof(struct page)` on x86_64.
pub const STRUCT_PAGE_BYTES: u64 = 64;
/// `MIGRATE_PCPTYPES`: unmovable, movable, reclaimable.
pub const MIGRATE_PCPTYPES: u64 = 3;

/// `arch_zone_lowest_possible_pfn[]` and `arch_zone_highest_possible_pfn[]`, as
/// `zone_sizes_init()` (arch/x86/mm/init.c) and `free_area_init()` set them on x86_64.
/// By then `max_low_pfn` equals `max_pfn` (init_mem_mapping() raises it on 64-bit),
/// so DMA ends at min(16 MiB, end of RAM), DMA32 at min(4 GiB, end of RAM), Normal at
/// the end of RAM; Movable is left at 0 and placed per node later; Device is empty.
pub fn arch_zone_ranges(
    first_pfn: u64,
    max_pfn: u64,
) -> ([u64; MAX_NR_ZONES], [u64; MAX_NR_ZONES]) {
    let mut max_zone_pfns = [0u64; MAX_NR_ZONES];
    max_zone_pfns[ZoneType::Dma.index()] = MAX_DMA_PFN.min(max_pfn);
    max_zone_pfns[ZoneType::Dma32.index()] = MAX_DMA32_PFN.min(max_pfn);
    max_zone_pfns[ZoneType::Normal.index()] = max_pfn;
    let mut lowest = [0u64; MAX_NR_ZONES];
    let mut highest = [0u64; MAX_NR_ZONES];
    let mut start = first_pfn;
    for zone in ZoneType::ALL {
        if zone == ZoneType::Movable {
            continue;
        }
        let end = max_zone_pfns[zone.index()].max(start);
        lowest[zone.index()] = start;
        highest[zone.index()] = end;
        start = end;
    }
    (lowest, highest)
}

/// Where a zone lies in a node before holes are subtracted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneSpan {
    pub start_pfn: u64,
    pub end_pfn: u64,
}

/// Inputs shared by the per-zone span functions.
pub struct SpanInputs<'a> {
    pub lowest: &'a [u64; MAX_NR_ZONES],
    pub highest: &'a [u64; MAX_NR_ZONES],
    /// `zone_movable_pfn[nid]` of this node (0: no ZONE_MOVABLE here).
    pub zone_movable_pfn: u64,
    /// `movable_zone`: the zone ZONE_MOVABLE takes its pages from.
    pub movable_zone: ZoneType,
    pub node_start_pfn: u64,
    pub node_end_pfn: u64,
}

/// `adjust_zone_range_for_zone_movable()`: ZONE_MOVABLE takes the top of the node
/// from `zone_movable_pfn`; the zone it overlaps is cut short there.
fn adjust_for_movable(inputs: &SpanInputs, zone: ZoneType, start: &mut u64, end: &mut u64) {
    let movable_pfn = inputs.zone_movable_pfn;
    if movable_pfn == 0 {
        return;
    }
    if zone == ZoneType::Movable {
        *start = movable_pfn;
        *end = inputs
            .node_end_pfn
            .min(inputs.highest[inputs.movable_zone.index()]);
    } else if *start < movable_pfn && *end > movable_pfn {
        *end = movable_pfn;
    } else if *start >= movable_pfn {
        *start = *end;
    }
}

/// `zone_spanned_pages_in_node()`: the zone's span inside the node, or `None` when
/// the node has no pages in the zone's range.
pub fn zone_span_in_node(inputs: &SpanInputs, zone: ZoneType) -> Option<ZoneSpan> {
    if inputs.node_start_pfn == 0 && inputs.node_end_pfn == 0 {
        return None;
    }
    let low = inputs.lowest[zone.index()];
    let high = inputs.highest[zone.index()];
    let mut start = clamp(inputs.node_start_pfn, low, high);
    let mut end = clamp(inputs.node_end_pfn, low, high);
    adjust_for_movable(inputs, zone, &mut start, &mut end);
    if end < inputs.node_start_pfn || start > inputs.node_end_pfn {
        return None;
    }
    let end = end.min(inputs.node_end_pfn);
    let start = start.max(inputs.node_start_pfn);
    (end > start).then_some(ZoneSpan {
        start_pfn: start,
        end_pfn: end,
    })
}

/// `zone_absent_pages_in_node()` without memory mirroring: pages of the zone's range
/// in this node that no memory range covers (`__absent_pages_in_range()`).
pub fn zone_absent_in_node(inputs: &SpanInputs, zone: ZoneType, memory: &[PfnRange]) -> u64 {
    if inputs.node_start_pfn == 0 && inputs.node_end_pfn == 0 {
        return 0;
    }
    let low = inputs.lowest[zone.index()];
    let high = inputs.highest[zone.index()];
    let mut start = clamp(inputs.node_start_pfn, low, high);
    let mut end = clamp(inputs.node_end_pfn, low, high);
    adjust_for_movable(inputs, zone, &mut start, &mut end);
    absent_pages_in_range(memory, start, end)
}

/// `__absent_pages_in_range()`: pages of `[start, end)` no range of `memory` covers.
pub fn absent_pages_in_range(memory: &[PfnRange], start: u64, end: u64) -> u64 {
    let mut absent = end.saturating_sub(start);
    for range in memory {
        let covered_start = clamp(range.start, start, end);
        let covered_end = clamp(range.end, start, end);
        absent = absent.saturating_sub(covered_end.saturating_sub(covered_start));
    }
    absent
}

/// `calc_memmap_size()`: pages of `struct page` the zone costs. With sparsemem, a zone
/// with many holes (spanned more than present + present/16) is charged for its
/// present pages only.
pub fn calc_memmap_size(spanned: u64, present: u64) -> u64 {
    let pages = if spanned > present + (present >> 4) {
        present
    } else {
        spanned
    };
    (pages * STRUCT_PAGE_BYTES).div_ceil(4096)
}

/// The managed estimate of `free_area_init_core()`: present pages less the memmap,
/// when the memmap fits. The kernel also takes `dma_reserve` off the DMA zone's
/// (x86_64's `memblock_find_dma_reserve()`: memblock reservations below 16 MiB); here
/// those are the configured reserved ranges, which the caller subtracts.
pub fn managed_estimate(spanned: u64, present: u64) -> u64 {
    let memmap = calc_memmap_size(spanned, present);
    if present >= memmap {
        present - memmap
    } else {
        present
    }
}

/// `calculate_min_free_kbytes()` from the result of `nr_free_buffer_pages()`:
/// `sqrt(lowmem_kbytes * 16)`, clamped to 128 KiB .. 256 MiB.
pub fn calculate_min_free_kbytes(free_buffer_pages: u64) -> u64 {
    let lowmem_kbytes = free_buffer_pages * 4;
    int_sqrt(lowmem_kbytes.saturating_mul(16)).clamp(128, 262_144)
}

/// `set_recommended_min_free_kbytes()` (mm/khugepaged.c) with THP enabled: two
/// pageblocks per lowmem zone plus MIGRATE_PCPTYPES^2 more, capped at 5% of
/// `nr_free_buffer_pages()`, in KiB. The caller raises min_free_kbytes to this if
/// it is larger.
pub fn recommended_min_free_kbytes(lowmem_populated_zones: u64, free_buffer_pages: u64) -> u64 {
    let mut pages = PAGEBLOCK_PAGES * lowmem_populated_zones * 2;
    pages += PAGEBLOCK_PAGES * lowmem_populated_zones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
    pages = pages.min(free_buffer_pages / 20);
    pages * 4
}

/// Watermarks of one zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watermarks {
    pub min: u64,
    pub low: u64,
    pub high: u64,
}

/// `__setup_per_zone_wmarks()` for one zone: min is the zone's share of
/// min_free_kbytes by managed pages; low and high add the larger of min/4 and
/// `watermark_scale_factor` ten-thousandths of the zone. No zone is highmem on x86_64.
pub fn zone_watermarks(
    min_free_kbytes: u64,
    managed: u64,
    lowmem_pages: u64,
    scale_factor: u32,
) -> Watermarks {
    let pages_min = min_free_kbytes >> 2;
    let min = if lowmem_pages == 0 {
        0
    } else {
        ((u128::from(pages_min) * u128::from(managed)) / u128::from(lowmem_pages)) as u64
    };
    let step = (min >> 2).max(mult_frac(managed, u64::from(scale_factor), 10_000));
    Watermarks {
        min,
        low: min + step,
        high: min + 2 * step,
    }
}

/// Linux 6.12's `__setup_per_zone_wmarks()` for ZONE_MOVABLE: `min` is capped to
/// 1/1024 of the zone, between SWAP_CLUSTER_MAX and 128 pages, as for highmem, while
/// low and high still step from the uncapped share. `lowmem_pages` here leaves
/// ZONE_MOVABLE out (the caller sums the other zones).
pub fn movable_zone_watermarks_6_12(
    min_free_kbytes: u64,
    managed: u64,
    lowmem_pages: u64,
    scale_factor: u32,
) -> Watermarks {
    let share = zone_watermarks(min_free_kbytes, managed, lowmem_pages, scale_factor);
    let step = share.low - share.min;
    let min = (managed / 1024).clamp(crate::types::SWAP_CLUSTER_MAX, 128);
    Watermarks {
        min,
        low: min + step,
        high: min + 2 * step,
    }
}

/// `setup_per_zone_lowmem_reserve()` for one node: `managed` per zone type in, the
/// `lowmem_reserve[]` of each zone out.
pub fn lowmem_reserve(
    managed: &[u64; MAX_NR_ZONES],
    ratio: &[u32; MAX_NR_ZONES],
) -> [[u64; MAX_NR_ZONES]; MAX_NR_ZONES] {
    let mut reserve = [[0u64; MAX_NR_ZONES]; MAX_NR_ZONES];
    for lower in 0..MAX_NR_ZONES - 1 {
        let clear = ratio[lower] == 0 || managed[lower] == 0;
        let mut upper_managed = 0u64;
        for upper in lower + 1..MAX_NR_ZONES {
            upper_managed += managed[upper];
            reserve[lower][upper] = if clear {
                0
            } else {
                upper_managed / u64::from(ratio[lower])
            };
        }
    }
    reserve
}

/// `zone_batchsize()`: about a quarter of 0.1% of the zone, at most 1 MiB worth, then
/// rounded to 2^n - 1. `zone_set_pageset_high_and_batch()` keeps it at least 1.
pub fn zone_batchsize(managed: u64) -> u64 {
    let mut batch = (managed >> 10).min((1 << 20) / 4096);
    batch /= 4;
    if batch < 1 {
        batch = 1;
    }
    let batch = rounddown_pow_of_two(batch + batch / 2) - 1;
    batch.max(1)
}

/// `zone_highsize()` with `cpu_online` 0: the low watermark (or managed /
/// percpu_pagelist_high_fraction) split across the CPUs of the zone's node (all
/// online CPUs if it has none), at least 4 batches.
pub fn zone_highsize(
    low_watermark: u64,
    managed: u64,
    high_fraction: u32,
    batch: u64,
    node_cpus: u64,
    online_cpus: u64,
) -> u64 {
    let total = if high_fraction == 0 {
        low_watermark
    } else {
        managed / u64::from(high_fraction)
    };
    let split = if node_cpus == 0 {
        online_cpus
    } else {
        node_cpus
    };
    let high = total.checked_div(split).unwrap_or(total);
    high.max(batch << 2)
}

/// `MIN_PERCPU_PAGELIST_HIGH_FRACTION` (Linux 6.12): the `high_max` of a per-cpu
/// pageset is `zone_highsize()` with this fraction of managed pages.
pub const MIN_PERCPU_PAGELIST_HIGH_FRACTION: u32 = 8;

/// Linux 6.12's `zone_set_pageset_high_and_batch()`: the range `(high_min, high_max)`
/// that each CPU's `high` is tuned within at run time. With a
/// percpu_pagelist_high_fraction both are that fraction's `zone_highsize()` (no
/// tuning); otherwise `high_min` is the low watermark's and `high_max` 1/8 of the
/// zone's, split across the node's CPUs.
pub fn pageset_high_range_6_12(
    low_watermark: u64,
    managed: u64,
    high_fraction: u32,
    batch: u64,
    node_cpus: u64,
    online_cpus: u64,
) -> (u64, u64) {
    let highsize = |fraction| {
        zone_highsize(
            low_watermark,
            managed,
            fraction,
            batch,
            node_cpus,
            online_cpus,
        )
    };
    if high_fraction != 0 {
        let high = highsize(high_fraction);
        (high, high)
    } else {
        (highsize(0), highsize(MIN_PERCPU_PAGELIST_HIGH_FRACTION))
    }
}

/// `calculate_normal_threshold()` (mm/vmstat.c): how far per-cpu vmstat deltas may
/// drift before they are folded into the zone counters.
pub fn stat_threshold(managed: u64, online_cpus: u64) -> u64 {
    let mem = managed >> (27 - 12);
    let threshold = 2 * fls(online_cpus) * (1 + fls(mem));
    threshold.min(125)
}

/// `mult_frac(x, n, d)`: x * n / d without overflowing the intermediate product.
pub fn mult_frac(x: u64, n: u64, d: u64) -> u64 {
    let quotient = x / d;
    let remainder = x % d;
    quotient * n + remainder * n / d
}

/// `int_sqrt()`: floor of the square root.
pub fn int_sqrt(x: u64) -> u64 {
    if x < 2 {
        return x;
    }
    let mut root = (x as f64).sqrt() as u64;
    while root * root > x {
        root -= 1;
    }
    while (root + 1) * (root + 1) <= x {
        root += 1;
    }
    root
}

/// `fls()`: position of the highest set bit, 1-based; 0 for 0.
pub fn fls(x: u64) -> u64 {
    u64::from(64 - x.leading_zeros())
}

fn rounddown_pow_of_two(x: u64) -> u64 {
    if x == 0 {
        0
    } else {
        1 << (63 - x.leading_zeros())
    }
}

/// The kernel's `clamp()`: max(lo, min(x, hi)) evaluated as the macro does.
fn clamp(x: u64, lo: u64, hi: u64) -> u64 {
    x.max(lo).min(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ranges_of_a_4g_machine_with_a_pci_hole() {
        // RAM ends at 0x140000 (5 GiB): DMA [1, 0x1000), DMA32 [0x1000, 0x100000),
        // Normal [0x100000, 0x140000), Device empty at the end.
        let (low, high) = arch_zone_ranges(1, 0x140000);
        assert_eq!(low, [1, 0x1000, 0x100000, 0, 0x140000]);
        assert_eq!(high, [0x1000, 0x100000, 0x140000, 0, 0x140000]);
    }

    #[test]
    fn zone_ranges_of_a_small_machine_leave_normal_empty() {
        let (low, high) = arch_zone_ranges(1, 0x1ffe0);
        assert_eq!(
            low[ZoneType::Normal.index()],
            high[ZoneType::Normal.index()]
        );
        assert_eq!(high[ZoneType::Dma32.index()], 0x1ffe0);
    }

    #[test]
    fn memmap_size_is_64_bytes_a_page_rounded_up() {
        // 4095 spanned, 3998 present: 4095 <= 3998 + 249, so charge spanned:
        // 4095 * 64 = 262080 bytes = 63.98 pages -> 64.
        assert_eq!(calc_memmap_size(4095, 3998), 64);
        // Mostly holes: charge present. 1000 * 64 / 4096 = 15.6 -> 16.
        assert_eq!(calc_memmap_size(100_000, 1000), 16);
    }

    #[test]
    fn min_free_kbytes_follows_the_sqrt_rule() {
        // 1 GiB of lowmem: 262144 pages = 1048576 KiB; sqrt(16 Mi) = 4096.
        assert_eq!(calculate_min_free_kbytes(262_144), 4096);
        // Tiny machines are clamped to 128 KiB.
        assert_eq!(calculate_min_free_kbytes(100), 128);
    }

    #[test]
    fn recommended_min_for_three_zones() {
        // 3 zones: 512*3*2 + 512*3*9 = 3072 + 13824 = 16896 pages = 67584 KiB,
        // when 5% of free buffer pages (here 500000/20 = 25000) does not cap it.
        assert_eq!(recommended_min_free_kbytes(3, 500_000), 67_584);
        assert_eq!(recommended_min_free_kbytes(3, 100_000), 5000 * 4);
    }

    #[test]
    fn watermarks_of_a_zone() {
        // min_free_kbytes 67584 -> 16896 pages; zone 3840 of 515808 lowmem pages:
        // 16896 * 3840 / 515808 = 125.78 -> 125; step max(31, 3840*10/10000 = 3) = 31.
        let w = zone_watermarks(67_584, 3840, 515_808, 10);
        assert_eq!(
            w,
            Watermarks {
                min: 125,
                low: 156,
                high: 187
            }
        );
    }

    #[test]
    fn movable_watermarks_on_6_12() {
        // 300000 managed, min_free_kbytes 16384 -> 4096 pages over 600000 lowmem:
        // share 2048, step max(512, 300) = 512; min capped to 300000/1024 = 292 -> 128.
        let w = movable_zone_watermarks_6_12(16_384, 300_000, 600_000, 10);
        assert_eq!(
            w,
            Watermarks {
                min: 128,
                low: 640,
                high: 1152
            }
        );
        // A small zone is kept at SWAP_CLUSTER_MAX: 10000/1024 = 9 -> 32.
        assert_eq!(
            movable_zone_watermarks_6_12(16_384, 10_000, 600_000, 10).min,
            32
        );
    }

    #[test]
    fn pageset_high_range_on_6_12() {
        // low 1000, 2 CPUs: high_min 500; high_max 240000/8/2 = 15000.
        assert_eq!(
            pageset_high_range_6_12(1000, 240_000, 0, 63, 2, 2),
            (500, 15_000)
        );
        // A fraction fixes both.
        assert_eq!(
            pageset_high_range_6_12(1000, 240_000, 100, 63, 2, 2),
            (1200, 1200)
        );
    }

    #[test]
    fn lowmem_reserve_of_dma_under_dma32() {
        let managed = [3840, 240_000, 0, 0, 0];
        let reserve = lowmem_reserve(&managed, &[256, 256, 32, 0, 0]);
        // 240000 / 256 = 937 for every zone above DMA32 (they add 0 pages).
        assert_eq!(reserve[0], [0, 937, 937, 937, 937]);
        assert_eq!(reserve[1], [0, 0, 0, 0, 0]);
    }

    #[test]
    fn batch_sizes() {
        // 3840 >> 10 = 3; /4 = 0 -> 1; rounddown_pow2(1) - 1 = 0 -> at least 1.
        assert_eq!(zone_batchsize(3840), 1);
        // 240000 >> 10 = 234; /4 = 58; 58 + 29 = 87 -> 64 - 1 = 63.
        assert_eq!(zone_batchsize(240_000), 63);
        // Large zones cap at 256 / 4 = 64; 64 + 32 = 96 -> 63.
        assert_eq!(zone_batchsize(10_000_000), 63);
    }

    #[test]
    fn high_splits_low_across_node_cpus() {
        assert_eq!(zone_highsize(10_000, 0, 0, 63, 2, 2), 5000);
        // Tiny low watermark: at least 4 batches.
        assert_eq!(zone_highsize(100, 0, 0, 63, 2, 2), 252);
        // A node without CPUs splits across all online CPUs.
        assert_eq!(zone_highsize(10_000, 0, 0, 63, 0, 4), 2500);
        // With a fraction: managed / fraction.
        assert_eq!(zone_highsize(10_000, 80_000, 8, 63, 1, 1), 10_000);
    }

    #[test]
    fn stat_thresholds() {
        // 2 CPUs: fls(2) = 2; 3840 pages >> 15 = 0: 2*2*(1+0) = 4.
        assert_eq!(stat_threshold(3840, 2), 4);
        // 1 GiB = 262144 >> 15 = 8, fls 4: 2*2*5 = 20.
        assert_eq!(stat_threshold(262_144, 2), 20);
        assert_eq!(stat_threshold(u64::MAX >> 4, 8192), 125);
    }

    #[test]
    fn helpers() {
        assert_eq!(int_sqrt(16 * 1_048_576), 4096);
        assert_eq!(int_sqrt(15), 3);
        assert_eq!(mult_frac(3840, 10, 10_000), 3);
        assert_eq!(fls(0), 0);
        assert_eq!(fls(1), 1);
        assert_eq!(
            absent_pages_in_range(
                &[
                    PfnRange {
                        start: 1,
                        end: 0x9f
                    },
                    PfnRange {
                        start: 0x100,
                        end: 0x1000
                    }
                ],
                1,
                0x1000
            ),
            0x100 - 0x9f
        );
    }
}
