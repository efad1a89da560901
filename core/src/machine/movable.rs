//! Where ZONE_MOVABLE begins on each node, as Linux 6.1 works it out at boot from
//! `kernelcore=` and `movablecore=`, or from the hotpluggable memory with
//! `movable_node` (x86_64; no memory mirroring, no CMA, no HIGHMEM).
//!
//! Everything here is a pure function of its arguments: the kernel's boot-time
//! globals (`required_kernelcore`, `zone_movable_pfn[]`, `movable_zone`,
//! `node_states[N_MEMORY]`) become locals and return values. All arithmetic is on
//! `u64`, like the kernel's `unsigned long` on x86_64; where the kernel's
//! arithmetic could wrap, this module wraps the same way (the inputs needed for that
//! are far beyond any real machine), and nothing here can panic.

use super::CoreSize;
use crate::types::{PfnRange, ZoneType, MAX_NR_ZONES};
use crate::types::{MAX_ORDER, PAGE_SIZE_BYTES};

/// `PAGE_SHIFT` on x86_64 (4 KiB pages).
pub const PAGE_SHIFT: u32 = PAGE_SIZE_BYTES.trailing_zeros();

/// `MAX_ORDER_NR_PAGES` in Linux 6.1: pages in a block of the largest buddy order,
/// `1 << (MAX_ORDER - 1)` = 1024 on x86_64. The start of ZONE_MOVABLE and the size
/// asked for by `movablecore=` are rounded up to it.
pub const MAX_ORDER_NR_PAGES: u64 = 1 << (MAX_ORDER - 1);

/// Where in `mm/page_alloc.c` (Linux 6.1.192 as Debian ships it) the
/// `WARN_ON(coremem > 100)` of `cmdline_parse_core()` sits; used in the warning text.
const PERCENT_WARN_LINE: u32 = 8419;

/// What [`find_zone_movable_pfns_for_nodes`] decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovablePlacement {
    /// `zone_movable_pfn[nid]`: the first pfn of ZONE_MOVABLE on node `nid`, or 0 when
    /// the node has no ZONE_MOVABLE. One entry per node passed in.
    pub zone_movable_pfn: Vec<u64>,
    /// `movable_zone`: the zone whose upper part becomes ZONE_MOVABLE
    /// ([`find_usable_zone_for_movable`]). Set whether or not any node has a
    /// ZONE_MOVABLE, as the kernel sets it.
    pub movable_zone: ZoneType,
    /// Warnings the kernel would print while deciding (one line each, in the order
    /// `kernelcore=` then `movablecore=`); empty for ordinary parameters.
    pub warnings: Vec<String>,
}

impl MovablePlacement {
    /// Whether any node ended up with a ZONE_MOVABLE.
    pub fn any_movable(&self) -> bool {
        self.zone_movable_pfn.iter().any(|&pfn| pfn != 0)
    }
}

/// The zone ZONE_MOVABLE takes its pages from: walking down from the highest zone
/// type (`MAX_NR_ZONES - 1`, ZONE_DEVICE) and skipping ZONE_MOVABLE itself, the
/// first zone whose architectural range is not empty
/// (`arch_zone_highest_possible_pfn > arch_zone_lowest_possible_pfn`). On x86_64
/// ZONE_DEVICE's range is always empty, so this is the highest of DMA, DMA32 and
/// Normal that has one.
///
/// Models `find_usable_zone_for_movable()` in mm/page_alloc.c, Linux 6.1.
///
/// Differences: where no zone qualifies, the kernel's `VM_BUG_ON` does nothing on a
/// kernel built without `CONFIG_DEBUG_VM` and `movable_zone` becomes -1 (later used
/// as an array index); this returns `None` instead.
pub fn find_usable_zone_for_movable(
    arch_zone_lowest: &[u64; MAX_NR_ZONES],
    arch_zone_highest: &[u64; MAX_NR_ZONES],
) -> Option<ZoneType> {
    ZoneType::ALL
        .into_iter()
        .rev()
        .filter(|&zone| zone != ZoneType::Movable)
        .find(|zone| arch_zone_highest[zone.index()] > arch_zone_lowest[zone.index()])
}

/// Total pages of memory on all nodes: the sum of the lengths of every memory range.
///
/// Models `early_calculate_totalpages()` in mm/page_alloc.c, Linux 6.1 (which also
/// marks the nodes that have memory; see [`find_zone_movable_pfns_for_nodes`]).
///
/// Differences: ranges are first cleaned up as memblock would hold them (empty and
/// inverted ranges dropped, overlapping ones within a node merged); ranges that
/// overlap across nodes, which memblock cannot hold, are each counted, and the sum
/// saturates instead of wrapping.
pub fn early_calculate_totalpages(node_memory: &[Vec<PfnRange>]) -> u64 {
    node_memory
        .iter()
        .map(|ranges| node_pages(&memblock_ranges(ranges)))
        .fold(0u64, u64::saturating_add)
}

/// Decides where ZONE_MOVABLE begins on each node from `kernelcore=` and
/// `movablecore=`.
///
/// Models `find_zone_movable_pfns_for_nodes()` in mm/page_alloc.c, Linux 6.1,
/// together with what `cmdline_parse_core()` (via `cmdline_parse_kernelcore()` and
/// `cmdline_parse_movablecore()`) stored for it, `early_calculate_totalpages()` and
/// `find_usable_zone_for_movable()`:
///
/// * A size in bytes becomes `bytes >> PAGE_SHIFT` pages. A percentage `p` becomes
///   `totalpages * 100 * p / 10000` pages of the total memory. A percentage over 100
///   is kept (the kernel only warns), and so is a size larger than memory.
///   A percentage of 0, like a size under one page, asks for nothing.
/// * `movablecore=` is rounded up to [`MAX_ORDER_NR_PAGES`], capped at the total,
///   and turned into a kernelcore of `totalpages - movablecore`. Where both are
///   given, the larger kernelcore wins: the one that leaves the smaller ZONE_MOVABLE.
/// * With no kernelcore, or one of at least the total memory, no node gets a
///   ZONE_MOVABLE (every entry 0).
/// * Otherwise kernelcore is spread evenly over the nodes with memory, walking each
///   node's ranges upwards; memory below the lowest pfn of `movable_zone` always
///   counts as kernel memory. Whatever a node could not hold is spread again over
///   one node fewer, until no more pages are missing than there are nodes left.
/// * Each start is rounded up to [`MAX_ORDER_NR_PAGES`]; a start at or past the
///   node's last pfn means no ZONE_MOVABLE on that node.
///
/// `node_memory[nid]` is memblock.memory of node `nid` as `[start, end)` pfn ranges;
/// `arch_zone_lowest`/`arch_zone_highest` are `arch_zone_lowest_possible_pfn[]` and
/// `arch_zone_highest_possible_pfn[]` as `free_area_init()` set them (the
/// ZONE_MOVABLE entries are not read).
///
/// Differences from the kernel:
/// * `kernelcore=mirror` is not modelled (its branch is left out); the
///   `movable_node` branch is [`movable_node_pfns`], which the caller uses instead.
/// * Ranges are cleaned up as memblock would hold them: empty or inverted ranges are
///   skipped (as `for_each_mem_pfn_range()` skips them), each node's ranges are
///   sorted, and overlapping or touching ranges of one node are merged (memblock
///   never holds overlaps and merges neighbours; merging touching ranges does not
///   change the result). Ranges overlapping across nodes are used as given.
/// * Any number of nodes is accepted (the kernel has at most `MAX_NUMNODES`).
/// * The kernel's warning for a percentage over 100 is a full `WARN_ON()` splat with
///   a stack trace, printed while the command line is parsed; here it is one line.
/// * Should no zone be usable for ZONE_MOVABLE (the kernel would read
///   `arch_zone_lowest_possible_pfn[-1]`, which cannot happen on x86_64 with any
///   memory), no node gets a ZONE_MOVABLE and `movable_zone` is reported as
///   [`ZoneType::Dma`].
/// * The total page count saturates instead of wrapping (it can only overflow with
///   ranges that overlap across nodes).
pub fn find_zone_movable_pfns_for_nodes(
    node_memory: &[Vec<PfnRange>],
    arch_zone_lowest: &[u64; MAX_NR_ZONES],
    arch_zone_highest: &[u64; MAX_NR_ZONES],
    kernelcore: Option<CoreSize>,
    movablecore: Option<CoreSize>,
) -> MovablePlacement {
    let mut warnings = Vec::new();
    // What cmdline_parse_core() left in the two pairs of globals.
    let kernel_param = parse_core("kernelcore", kernelcore, &mut warnings);
    let movable_param = parse_core("movablecore", movablecore, &mut warnings);

    let nodes: Vec<Vec<PfnRange>> = node_memory
        .iter()
        .map(|ranges| memblock_ranges(ranges))
        .collect();
    let mut zone_movable_pfn = vec![0u64; nodes.len()];

    // early_calculate_totalpages(), and the N_MEMORY mask it fills in.
    let totalpages = nodes
        .iter()
        .map(|ranges| node_pages(ranges))
        .fold(0u64, u64::saturating_add);
    let memory_nodes: Vec<usize> = (0..nodes.len())
        .filter(|&nid| node_pages(&nodes[nid]) > 0)
        .collect();

    let usable_zone = find_usable_zone_for_movable(arch_zone_lowest, arch_zone_highest);
    let movable_zone = usable_zone.unwrap_or(ZoneType::Dma);
    let no_movable = |zone_movable_pfn: Vec<u64>, warnings: Vec<String>| MovablePlacement {
        zone_movable_pfn,
        movable_zone,
        warnings,
    };

    let mut required_kernelcore = kernel_param.pages;
    let mut required_movablecore = movable_param.pages;
    if kernel_param.percent != 0 {
        required_kernelcore = percent_of(totalpages, kernel_param.percent);
    }
    if movable_param.percent != 0 {
        required_movablecore = percent_of(totalpages, movable_param.percent);
    }

    // movablecore= is met by asking for the kernelcore that leaves that much; a
    // larger kernelcore= given as well takes precedence.
    if required_movablecore != 0 {
        required_movablecore =
            kernel_roundup(required_movablecore, MAX_ORDER_NR_PAGES).min(totalpages);
        let corepages = totalpages - required_movablecore;
        required_kernelcore = required_kernelcore.max(corepages);
    }

    // Nothing asked for, or all of memory asked for: no ZONE_MOVABLE anywhere. The
    // kernel jumps past the rounding pass here, so every entry stays 0.
    if required_kernelcore == 0 || required_kernelcore >= totalpages {
        return no_movable(zone_movable_pfn, warnings);
    }
    let Some(usable_zone) = usable_zone else {
        return no_movable(zone_movable_pfn, warnings);
    };

    // ZONE_MOVABLE can never begin below the first pfn of the zone it is carved from.
    let usable_startpfn = arch_zone_lowest[usable_zone.index()];
    let mut usable_nodes = memory_nodes.len() as u64;

    // One pass per iteration: give every node with memory an equal share of what is
    // still required. The division cannot fail on the first pass (required_kernelcore
    // < totalpages means some node has memory) and later passes need usable_nodes > 0.
    while let Some(mut kernelcore_node) = required_kernelcore.checked_div(usable_nodes) {
        for &nid in &memory_nodes {
            // Late in a pass the whole remainder can be less than one share.
            if required_kernelcore < kernelcore_node {
                kernelcore_node = required_kernelcore / usable_nodes;
            }
            let mut kernelcore_remaining = kernelcore_node;

            for range in &nodes[nid] {
                // Skip what earlier passes already handed to the kernel.
                let mut start_pfn = range.start.max(zone_movable_pfn[nid]);
                let end_pfn = range.end;
                if start_pfn >= end_pfn {
                    continue;
                }

                // Memory below usable_startpfn cannot be movable: it is kernel
                // memory whatever the share, and counts against it.
                if start_pfn < usable_startpfn {
                    let kernel_pages = end_pfn.min(usable_startpfn) - start_pfn;
                    kernelcore_remaining -= kernel_pages.min(kernelcore_remaining);
                    required_kernelcore -= kernel_pages.min(required_kernelcore);
                    if end_pfn <= usable_startpfn {
                        // Mark the whole range as taken so a later pass does not
                        // count it twice.
                        zone_movable_pfn[nid] = end_pfn;
                        continue;
                    }
                    start_pfn = usable_startpfn;
                }

                // Take as much of the rest of this range as the share still needs.
                let size_pages = (end_pfn - start_pfn).min(kernelcore_remaining);
                zone_movable_pfn[nid] = start_pfn + size_pages;
                required_kernelcore -= size_pages.min(required_kernelcore);
                kernelcore_remaining -= size_pages;
                if kernelcore_remaining == 0 {
                    break;
                }
            }
        }

        // Nodes that ran out of memory leave some kernelcore unplaced: go round
        // again with the share computed over one node fewer. Stop when no nodes are
        // left or no more pages are missing than there are nodes left (a share
        // would then round down to at most one page).
        usable_nodes -= 1;
        if usable_nodes == 0 || required_kernelcore <= usable_nodes {
            break;
        }
    }

    // Start ZONE_MOVABLE on a MAX_ORDER_NR_PAGES boundary; a start at or past the
    // end of the node leaves the node without one.
    for (pfn, ranges) in zone_movable_pfn.iter_mut().zip(&nodes) {
        *pfn = kernel_roundup(*pfn, MAX_ORDER_NR_PAGES);
        let (_, node_end) = pfn_range_for_nid(ranges);
        if *pfn >= node_end {
            *pfn = 0;
        }
    }

    MovablePlacement {
        zone_movable_pfn,
        movable_zone,
        warnings,
    }
}

/// Where ZONE_MOVABLE begins on each node with `movable_node` on the command line:
/// at the lowest hotpluggable memory of the node, rounded up to
/// [`MAX_ORDER_NR_PAGES`]; a start at or past the node's last pfn means none.
/// kernelcore= and movablecore= play no part.
///
/// Models the `movable_node_is_enabled()` branch of
/// `find_zone_movable_pfns_for_nodes()` in mm/page_alloc.c, Linux 6.1, and the
/// rounding after its `out2` label. The kernel walks memblock.memory, whose regions
/// the SRAT parser split at the hotpluggable ranges and flagged
/// (`memblock_mark_hotplug()`); here a flagged region is the overlap of a node's
/// memory range with a `hotplug` range, and its base the overlap's start.
///
/// Differences: x86's `numa_clear_kernel_node_hotplug()` clears the flag on every
/// node that holds one of the kernel's early memblock reservations; those
/// reservations are not in the model, so the hotpluggable ranges are taken as given
/// (firmware normally marks the boot node's memory as not hotpluggable anyway).
pub fn movable_node_pfns(node_memory: &[Vec<PfnRange>], hotplug: &[PfnRange]) -> Vec<u64> {
    // Sorted by start, with the furthest end so far: the lowest hotpluggable pfn
    // inside a range is then one binary search away (a snapshot can list many).
    let mut hot: Vec<PfnRange> = hotplug
        .iter()
        .copied()
        .filter(|r| r.start < r.end)
        .collect();
    crate::types::sort::sort(&mut hot);
    let furthest_end: Vec<u64> = hot
        .iter()
        .scan(0u64, |end, range| {
            *end = (*end).max(range.end);
            Some(*end)
        })
        .collect();
    let lowest_hotpluggable = |memory: &PfnRange| -> Option<u64> {
        let before = hot.partition_point(|range| range.start <= memory.start);
        let covers_start = before
            .checked_sub(1)
            .and_then(|index| furthest_end.get(index))
            .is_some_and(|&end| end > memory.start);
        if covers_start {
            return Some(memory.start);
        }
        hot.get(before)
            .map(|range| range.start)
            .filter(|&start| start < memory.end)
    };
    node_memory
        .iter()
        .map(|ranges| {
            let ranges = memblock_ranges(ranges);
            let Some(lowest) = ranges.iter().filter_map(lowest_hotpluggable).min() else {
                return 0;
            };
            let pfn = kernel_roundup(lowest, MAX_ORDER_NR_PAGES);
            let (_, node_end) = pfn_range_for_nid(&ranges);
            if pfn >= node_end {
                0
            } else {
                pfn
            }
        })
        .collect()
}

/// Narrows one zone's pfn range on a node to leave room for ZONE_MOVABLE, or gives
/// ZONE_MOVABLE its range: returns the new `(zone_start_pfn, zone_end_pfn)`.
///
/// `zone_movable_pfn` is the node's entry from [`MovablePlacement::zone_movable_pfn`];
/// `zone_start_pfn`/`zone_end_pfn` are the zone's architectural range clamped to the
/// node, as `zone_spanned_pages_in_node()` and `zone_absent_pages_in_node()` pass
/// them. With no ZONE_MOVABLE on the node (0) the range is returned unchanged.
///
/// Models `adjust_zone_range_for_zone_movable()` in mm/page_alloc.c, Linux 6.1.
///
/// Differences: the kernel also receives the node's start pfn but never reads it, so
/// it is not a parameter; `kernelcore=mirror` is not modelled, so the branch that
/// cuts a zone at the ZONE_MOVABLE start always applies.
pub fn adjust_zone_range_for_zone_movable(
    zone_movable_pfn: u64,
    movable_zone: ZoneType,
    arch_zone_highest: &[u64; MAX_NR_ZONES],
    zone_type: ZoneType,
    node_end_pfn: u64,
    zone_start_pfn: u64,
    zone_end_pfn: u64,
) -> (u64, u64) {
    if zone_movable_pfn == 0 {
        return (zone_start_pfn, zone_end_pfn);
    }
    if zone_type == ZoneType::Movable {
        // ZONE_MOVABLE runs from its start to the end of the node, but not past the
        // zone it is carved from.
        (
            zone_movable_pfn,
            node_end_pfn.min(arch_zone_highest[movable_zone.index()]),
        )
    } else if zone_start_pfn < zone_movable_pfn && zone_end_pfn > zone_movable_pfn {
        // ZONE_MOVABLE begins inside this zone: the zone stops there.
        (zone_start_pfn, zone_movable_pfn)
    } else if zone_start_pfn >= zone_movable_pfn {
        // The zone lies wholly above the start of ZONE_MOVABLE: it becomes empty.
        (zone_end_pfn, zone_end_pfn)
    } else {
        (zone_start_pfn, zone_end_pfn)
    }
}

/// What `cmdline_parse_core()` stores for one parameter: a page count, or a
/// percentage to be turned into one once total memory is known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ParsedCore {
    pages: u64,
    percent: u64,
}

/// `cmdline_parse_core()` for `name=` (`kernelcore` or `movablecore`): a percentage
/// is stored as given, with a warning above 100; a size in bytes becomes whole pages.
/// An absent parameter leaves both at 0, as the kernel's zeroed globals.
fn parse_core(name: &str, value: Option<CoreSize>, warnings: &mut Vec<String>) -> ParsedCore {
    match value {
        None => ParsedCore::default(),
        Some(CoreSize::Percent(percent)) => {
            if percent > 100 {
                warnings.push(format!(
                    "WARNING: CPU: 0 PID: 0 at mm/page_alloc.c:{PERCENT_WARN_LINE} cmdline_parse_core \
                     ({name}={percent}%: a percentage over 100)"
                ));
            }
            ParsedCore {
                pages: 0,
                percent: u64::from(percent),
            }
        }
        // The kernel also checks that the page count fits an unsigned long, which
        // it always does on 64-bit.
        Some(CoreSize::Bytes(bytes)) => ParsedCore {
            pages: bytes >> PAGE_SHIFT,
            percent: 0,
        },
    }
}

/// A percentage of the total, in the kernel's expression and with its `unsigned long`
/// wrap-around: `totalpages * 100 * percent / 10000`.
fn percent_of(totalpages: u64, percent: u64) -> u64 {
    totalpages.wrapping_mul(100).wrapping_mul(percent) / 10000
}

/// The kernel's `roundup(x, y)`: `((x + y - 1) / y) * y`, wrapping like
/// `unsigned long`. The product cannot overflow: it is at most the wrapped sum.
fn kernel_roundup(x: u64, y: u64) -> u64 {
    match x.wrapping_add(y.wrapping_sub(1)).checked_div(y) {
        Some(quotient) => quotient * y,
        None => x,
    }
}

/// A node's ranges as memblock would hold them: non-empty, sorted, with overlapping
/// or touching ranges merged.
fn memblock_ranges(ranges: &[PfnRange]) -> Vec<PfnRange> {
    let mut sorted: Vec<PfnRange> = ranges
        .iter()
        .copied()
        .filter(|range| range.start < range.end)
        .collect();
    crate::types::sort::sort(&mut sorted);
    let mut merged: Vec<PfnRange> = Vec::with_capacity(sorted.len());
    for range in sorted {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// Pages in a node's cleaned-up ranges (they do not overlap, so this cannot overflow).
fn node_pages(ranges: &[PfnRange]) -> u64 {
    ranges
        .iter()
        .map(PfnRange::pages)
        .fold(0u64, u64::saturating_add)
}

/// `get_pfn_range_for_nid()`: the lowest and highest pfn of a node's memory, or
/// `(0, 0)` for a node without memory.
fn pfn_range_for_nid(ranges: &[PfnRange]) -> (u64, u64) {
    let start = ranges.iter().map(|range| range.start).min().unwrap_or(0);
    let end = ranges.iter().map(|range| range.end).max().unwrap_or(0);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;

    fn r(start: u64, end: u64) -> PfnRange {
        PfnRange { start, end }
    }

    /// A 2 GiB QEMU guest on one node: memory at pfns 0x1-0x9f and 0x100-0x7ffe0.
    /// totalpages = (0x9f - 0x1) + (0x7ffe0 - 0x100) = 158 + 524000 = 524158.
    fn two_gib() -> Vec<Vec<PfnRange>> {
        vec![vec![r(0x1, 0x9f), r(0x100, 0x7ffe0)]]
    }

    /// free_area_init() for max_pfn = 0x7ffe0 (x86_64 zone_sizes_init(): DMA up to
    /// 0x1000, DMA32 up to min(0x100000, max_pfn), Normal up to max_pfn; Device gets
    /// an empty range at the top; Movable is left 0). DMA32 is the highest non-empty
    /// zone, so movable_zone = DMA32 and usable_startpfn = 0x1000.
    fn two_gib_arch() -> ([u64; MAX_NR_ZONES], [u64; MAX_NR_ZONES]) {
        (
            [0x1, 0x1000, 0x7ffe0, 0, 0x7ffe0],
            [0x1000, 0x7ffe0, 0x7ffe0, 0, 0x7ffe0],
        )
    }

    /// Zone boundaries for max_pfn = 0x240000 (9 GiB of address space): Normal is
    /// 0x100000-0x240000, so movable_zone = Normal and usable_startpfn = 0x100000.
    fn nine_gib_arch() -> ([u64; MAX_NR_ZONES], [u64; MAX_NR_ZONES]) {
        (
            [0x1, 0x1000, 0x100000, 0, 0x240000],
            [0x1000, 0x100000, 0x240000, 0, 0x240000],
        )
    }

    fn run(
        nodes: &[Vec<PfnRange>],
        arch: ([u64; MAX_NR_ZONES], [u64; MAX_NR_ZONES]),
        kernelcore: Option<CoreSize>,
        movablecore: Option<CoreSize>,
    ) -> MovablePlacement {
        find_zone_movable_pfns_for_nodes(nodes, &arch.0, &arch.1, kernelcore, movablecore)
    }

    #[test]
    fn no_parameters_gives_no_movable_zone() {
        // required_kernelcore = required_movablecore = 0: `goto out` before any
        // placement, so every entry stays 0. movable_zone is still found: Device and
        // Normal are empty (lowest == highest = 0x7ffe0), DMA32 is 0x1000-0x7ffe0.
        let placement = run(&two_gib(), two_gib_arch(), None, None);
        assert_eq!(placement.zone_movable_pfn, vec![0]);
        assert_eq!(placement.movable_zone, ZoneType::Dma32);
        assert!(placement.warnings.is_empty());
        assert!(!placement.any_movable());
    }

    #[test]
    fn totalpages_sums_all_ranges() {
        // 158 + 524000 = 524158 on one node; adding a second node of 0x1000 pages
        // gives 524158 + 4096 = 528254.
        assert_eq!(early_calculate_totalpages(&two_gib()), 524_158);
        let mut nodes = two_gib();
        nodes.push(vec![r(0x80000, 0x81000)]);
        assert_eq!(early_calculate_totalpages(&nodes), 528_254);
        assert_eq!(early_calculate_totalpages(&[]), 0);
    }

    #[test]
    fn movablecore_25_percent_on_two_gib() {
        // required_movablecore = 524158 * 100 * 25 / 10000 = 1310395000 / 10000
        //   = 131039; roundup to 1024 = 128 * 1024 = 131072; min(524158) = 131072.
        // required_kernelcore = 524158 - 131072 = 393086; one node, so
        //   kernelcore_node = 393086.
        // Range 0x1-0x9f is below usable_startpfn 0x1000: 158 kernel pages,
        //   remaining 392928, zone_movable_pfn = 0x9f.
        // Range 0x100-0x7ffe0: 0x100-0x1000 = 3840 kernel pages, remaining 389088;
        //   from 0x1000 take 389088 of 520160 pages: zone_movable_pfn = 4096 + 389088
        //   = 393184.
        // roundup(393184, 1024) = 384 * 1024 = 393216 = 0x60000 < 0x7ffe0: kept.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            None,
            Some(CoreSize::Percent(25)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x60000]);
        assert_eq!(placement.movable_zone, ZoneType::Dma32);
        assert!(placement.warnings.is_empty());
    }

    #[test]
    fn kernelcore_percent_on_two_gib() {
        // required_kernelcore = 524158 * 100 * 50 / 10000 = 262079.
        // 158 + 3840 pages below 0x1000 leave 262079 - 3998 = 258081 pages from 0x1000:
        //   zone_movable_pfn = 4096 + 258081 = 262177.
        // roundup(262177, 1024) = 257 * 1024 = 263168 = 0x40400.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Percent(50)),
            None,
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x40400]);
    }

    #[test]
    fn kernelcore_bytes_on_one_node() {
        // 8 GiB guest on one node: 0x1-0x9f, 0x100-0xbffe0, 0x100000-0x240000.
        // totalpages = 158 + 786144 + 1310720 = 2097022; usable_startpfn = 0x100000.
        // kernelcore=4G: 4 << 30 >> 12 = 1048576 pages (< totalpages).
        // 0x1-0x9f: 158 kernel pages, remaining 1048418, zone_movable_pfn = 0x9f.
        // 0x100-0xbffe0: all below 0x100000, 786144 kernel pages, remaining 262274,
        //   zone_movable_pfn = 0xbffe0.
        // 0x100000-0x240000: take 262274 pages, zone_movable_pfn = 1048576 + 262274
        //   = 1310850.
        // roundup(1310850, 1024) = 1281 * 1024 = 1311744 = 0x140400 < 0x240000.
        let nodes = vec![vec![r(0x1, 0x9f), r(0x100, 0xbffe0), r(0x100000, 0x240000)]];
        let placement = run(
            &nodes,
            nine_gib_arch(),
            Some(CoreSize::Bytes(4 * GIB)),
            None,
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x140400]);
        assert_eq!(placement.movable_zone, ZoneType::Normal);

        // A size that is not a whole number of pages is cut down by `>> PAGE_SHIFT`:
        // (4 GiB + 4095) >> 12 = 1048576 as well.
        let placement = run(
            &nodes,
            nine_gib_arch(),
            Some(CoreSize::Bytes(4 * GIB + 4095)),
            None,
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x140400]);
    }

    /// Two nodes of about 4 GiB: node A 0x1-0x9f, 0x100-0xbffe0, 0x100000-0x140000
    /// (158 + 786144 + 262144 = 1048446 pages), node B 0x140000-0x240000 (1048576
    /// pages). totalpages = 2097022.
    fn node_a() -> Vec<PfnRange> {
        vec![r(0x1, 0x9f), r(0x100, 0xbffe0), r(0x100000, 0x140000)]
    }

    fn node_b() -> Vec<PfnRange> {
        vec![r(0x140000, 0x240000)]
    }

    #[test]
    fn movablecore_bytes_spread_over_two_nodes() {
        // movablecore=2G: 2 << 30 >> 12 = 524288 = 512 * 1024, already rounded.
        // required_kernelcore = 2097022 - 524288 = 1572734; usable_nodes = 2, so
        //   kernelcore_node = 786367.
        // Node 0: 158 + 786144 pages below 0x100000 leave 786367 - 786302 = 65;
        //   required = 1572734 - 786302 = 786432. From 0x100000 take 65 pages:
        //   zone_movable_pfn = 0x100000 + 65 = 1048641; required = 786367.
        // Node 1: 786367 is not below kernelcore_node; from 0x140000 take 786367:
        //   zone_movable_pfn = 1310720 + 786367 = 2097087; required = 0.
        // usable_nodes = 1 and required 0 <= 1: no second pass.
        // Node 0: roundup(1048641, 1024) = 1025 * 1024 = 1049600 = 0x100400.
        // Node 1: roundup(2097087, 1024) = 2048 * 1024 = 2097152 = 0x200000.
        let nodes = vec![node_a(), node_b()];
        let placement = run(
            &nodes,
            nine_gib_arch(),
            None,
            Some(CoreSize::Bytes(2 * GIB)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x100400, 0x200000]);
    }

    #[test]
    fn node_without_memory_gets_no_share() {
        // Same two nodes as above, now as nodes 0 and 2, with node 1 holding only
        // an empty and an inverted range (skipped, as for_each_mem_pfn_range skips
        // ranges without a whole page). Node 1 is not in N_MEMORY: usable_nodes = 2
        // and the arithmetic is exactly the previous test's. Node 1's end pfn is 0,
        // so its entry, 0, is "at or beyond" the end and stays 0.
        let nodes = vec![
            node_a(),
            vec![r(0x5000, 0x5000), r(0x9000, 0x8000)],
            node_b(),
        ];
        let placement = run(
            &nodes,
            nine_gib_arch(),
            None,
            Some(CoreSize::Bytes(2 * GIB)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x100400, 0, 0x200000]);

        // A node with no ranges at all behaves the same.
        let nodes = vec![node_a(), Vec::new(), node_b()];
        let placement = run(
            &nodes,
            nine_gib_arch(),
            None,
            Some(CoreSize::Bytes(2 * GIB)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x100400, 0, 0x200000]);
    }

    #[test]
    fn small_node_pushes_its_share_onto_the_other() {
        // max_pfn 0x300000: Normal is 0x100000-0x300000, usable_startpfn = 0x100000.
        // Node 0: 0x1-0x9f, 0x100-0x40000 (158 + 261888 = 262046 pages, all below
        // 0x100000). Node 1: 0x100000-0x300000 (2097152 pages).
        // kernelcore=2G = 524288 pages; pass 1: kernelcore_node = 262144.
        // Node 0: 158 then 261888 kernel pages; required = 524288 - 262046 = 262242;
        //   zone_movable_pfn = 0x40000 (end of the last range).
        // Node 1: 262242 >= 262144; take 262144 from 0x100000: zone_movable_pfn =
        //   0x140000; required = 98.
        // usable_nodes = 1, 98 > 1: pass 2 with kernelcore_node = 98.
        // Node 0: both ranges start below zone_movable_pfn 0x40000: skipped.
        // Node 1: from 0x140000 take 98: zone_movable_pfn = 0x140062; required = 0.
        // usable_nodes = 0: done.
        // Node 0: roundup(0x40000) = 0x40000 >= node end 0x40000: cleared to 0.
        // Node 1: roundup(0x140062, 1024) = 0x140400.
        let arch = (
            [0x1, 0x1000, 0x100000, 0, 0x300000],
            [0x1000, 0x100000, 0x300000, 0, 0x300000],
        );
        let nodes = vec![
            vec![r(0x1, 0x9f), r(0x100, 0x40000)],
            vec![r(0x100000, 0x300000)],
        ];
        let placement = run(&nodes, arch, Some(CoreSize::Bytes(2 * GIB)), None);
        assert_eq!(placement.zone_movable_pfn, vec![0, 0x140400]);
        assert_eq!(placement.movable_zone, ZoneType::Normal);
    }

    #[test]
    fn kernelcore_at_or_above_memory_gives_no_movable_zone() {
        // kernelcore=4G = 1048576 pages >= totalpages 524158: `goto out`.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Bytes(4 * GIB)),
            None,
        );
        assert_eq!(placement.zone_movable_pfn, vec![0]);
        // Exactly totalpages (524158 pages) is also ">= totalpages".
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Bytes(524_158 * 4096)),
            None,
        );
        assert_eq!(placement.zone_movable_pfn, vec![0]);
    }

    #[test]
    fn movablecore_above_memory_gives_no_movable_zone() {
        // movablecore=4G: 1048576 pages, rounded 1048576, capped at 524158;
        // corepages = 0, so required_kernelcore = max(0, 0) = 0: `goto out`.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            None,
            Some(CoreSize::Bytes(4 * GIB)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0]);
        assert!(placement.warnings.is_empty());
    }

    #[test]
    fn movablecore_above_memory_with_kernelcore_uses_kernelcore() {
        // movablecore=4G gives corepages 0; kernelcore=512M = 131072 pages wins.
        // 158 + 3840 below 0x1000 leave 131072 - 3998 = 127074 from 0x1000:
        //   zone_movable_pfn = 4096 + 127074 = 131170.
        // roundup(131170, 1024) = 129 * 1024 = 132096 = 0x20400.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Bytes(512 * MIB)),
            Some(CoreSize::Bytes(4 * GIB)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x20400]);
    }

    #[test]
    fn both_given_the_larger_kernelcore_wins() {
        // movablecore=25% gives corepages 393086 (see the 25% test).
        // kernelcore=1G = 262144 < 393086: movablecore decides, 0x60000 as before.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Bytes(GIB)),
            Some(CoreSize::Percent(25)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x60000]);
        // kernelcore=1792M = 458752 > 393086: kernelcore decides.
        // 458752 - 3998 = 454754 from 0x1000: zone_movable_pfn = 4096 + 454754 =
        //   458850; roundup = 449 * 1024 = 459776 = 0x70400 < 0x7ffe0.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Bytes(1792 * MIB)),
            Some(CoreSize::Percent(25)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x70400]);
    }

    #[test]
    fn percent_over_100_warns_and_gives_no_movable_zone() {
        // movablecore=150%: WARN_ON(150 > 100), value kept.
        // required_movablecore = 524158 * 100 * 150 / 10000 = 786237; roundup =
        //   768 * 1024 = 786432; capped at 524158; corepages = 0; required_kernelcore
        //   = 0: `goto out`.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            None,
            Some(CoreSize::Percent(150)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0]);
        assert_eq!(placement.warnings.len(), 1);
        assert!(placement.warnings[0].contains("cmdline_parse_core"));
        assert!(placement.warnings[0].contains("movablecore=150%"));

        // kernelcore=101%: 524158 * 100 * 101 / 10000 = 529399 >= 524158: `goto out`.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Percent(101)),
            None,
        );
        assert_eq!(placement.zone_movable_pfn, vec![0]);
        assert_eq!(placement.warnings.len(), 1);
        assert!(placement.warnings[0].contains("kernelcore=101%"));

        // Exactly 100% does not warn (the check is "> 100").
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Percent(100)),
            None,
        );
        assert!(placement.warnings.is_empty());
        assert_eq!(placement.zone_movable_pfn, vec![0]);

        // movablecore=150% with kernelcore=512M: the kernelcore placement
        // (0x20400, as in the test above) and one warning.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Bytes(512 * MIB)),
            Some(CoreSize::Percent(150)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x20400]);
        assert_eq!(placement.warnings.len(), 1);
    }

    #[test]
    fn zero_and_sub_page_values_ask_for_nothing() {
        // Percent(0) sets required_*_percent = 0, so no conversion happens; Bytes
        // under one page give 4095 >> 12 = 0 pages.
        for core in [
            CoreSize::Percent(0),
            CoreSize::Bytes(0),
            CoreSize::Bytes(4095),
        ] {
            assert_eq!(
                run(&two_gib(), two_gib_arch(), Some(core), None).zone_movable_pfn,
                vec![0]
            );
            assert_eq!(
                run(&two_gib(), two_gib_arch(), None, Some(core)).zone_movable_pfn,
                vec![0]
            );
        }
    }

    #[test]
    fn one_page_of_movablecore_is_rounded_up() {
        // movablecore=4096 bytes = 1 page; roundup to 1024; required_kernelcore =
        //   524158 - 1024 = 523134; 523134 - 3998 = 519136 from 0x1000:
        //   zone_movable_pfn = 4096 + 519136 = 523232; roundup = 511 * 1024 = 523264
        //   = 0x7fc00 < 0x7ffe0 (a ZONE_MOVABLE of 992 pages).
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            None,
            Some(CoreSize::Bytes(4096)),
        );
        assert_eq!(placement.zone_movable_pfn, vec![0x7fc00]);
    }

    #[test]
    fn start_rounded_past_node_end_is_cleared() {
        // kernelcore of 523934 pages (< 524158): 523934 - 3998 = 519936 from 0x1000
        //   gives zone_movable_pfn = 0x1000 + 519936 = 0x7ff00; roundup = 0x80000,
        //   which is >= the node's end 0x7ffe0: cleared to 0.
        let placement = run(
            &two_gib(),
            two_gib_arch(),
            Some(CoreSize::Bytes(523_934 * 4096)),
            None,
        );
        assert_eq!(placement.zone_movable_pfn, vec![0]);
    }

    #[test]
    fn unsorted_and_overlapping_ranges_are_cleaned_up() {
        // The 2 GiB node given backwards and with 0x100-0x7ffe0 split in two
        // overlapping pieces: after cleaning it is the same memory, and the 25%
        // result is the same 0x60000.
        let nodes = vec![vec![r(0x40000, 0x7ffe0), r(0x100, 0x50000), r(0x1, 0x9f)]];
        assert_eq!(early_calculate_totalpages(&nodes), 524_158);
        let placement = run(&nodes, two_gib_arch(), None, Some(CoreSize::Percent(25)));
        assert_eq!(placement.zone_movable_pfn, vec![0x60000]);
    }

    #[test]
    fn usable_zone_walks_down_from_the_top() {
        let (low, high) = two_gib_arch();
        assert_eq!(
            find_usable_zone_for_movable(&low, &high),
            Some(ZoneType::Dma32)
        );
        let (low, high) = nine_gib_arch();
        assert_eq!(
            find_usable_zone_for_movable(&low, &high),
            Some(ZoneType::Normal)
        );
        // A non-empty Movable entry is ignored; a non-empty Device entry would win.
        let low = [0, 0x1000, 0x2000, 0x3000, 0x4000];
        let high = [0x1000, 0x2000, 0x2000, 0x9000, 0x4000];
        assert_eq!(
            find_usable_zone_for_movable(&low, &high),
            Some(ZoneType::Dma32)
        );
        let high = [0x1000, 0x2000, 0x2000, 0x9000, 0x5000];
        assert_eq!(
            find_usable_zone_for_movable(&low, &high),
            Some(ZoneType::Device)
        );
        // Nothing usable.
        assert_eq!(find_usable_zone_for_movable(&[0; 5], &[0; 5]), None);
    }

    #[test]
    fn no_usable_zone_places_nothing() {
        let placement = find_zone_movable_pfns_for_nodes(
            &two_gib(),
            &[0; MAX_NR_ZONES],
            &[0; MAX_NR_ZONES],
            Some(CoreSize::Bytes(GIB)),
            None,
        );
        assert_eq!(placement.zone_movable_pfn, vec![0]);
        assert_eq!(placement.movable_zone, ZoneType::Dma);
    }

    #[test]
    fn no_nodes_at_all() {
        let (low, high) = two_gib_arch();
        let placement = find_zone_movable_pfns_for_nodes(
            &[],
            &low,
            &high,
            Some(CoreSize::Percent(50)),
            Some(CoreSize::Bytes(GIB)),
        );
        assert!(placement.zone_movable_pfn.is_empty());
    }

    #[test]
    fn adjust_zone_ranges_for_movable() {
        // The 2 GiB node with ZONE_MOVABLE at 0x60000 carved from DMA32.
        let (_, high) = two_gib_arch();
        let adjust = |zone, start, end| {
            adjust_zone_range_for_zone_movable(
                0x60000,
                ZoneType::Dma32,
                &high,
                zone,
                0x7ffe0,
                start,
                end,
            )
        };
        // DMA lies wholly below 0x60000: unchanged.
        assert_eq!(adjust(ZoneType::Dma, 0x1, 0x1000), (0x1, 0x1000));
        // DMA32 contains 0x60000: it ends there.
        assert_eq!(adjust(ZoneType::Dma32, 0x1000, 0x7ffe0), (0x1000, 0x60000));
        // Normal (empty, at 0x7ffe0) is above 0x60000: start moved to its end.
        assert_eq!(
            adjust(ZoneType::Normal, 0x7ffe0, 0x7ffe0),
            (0x7ffe0, 0x7ffe0)
        );
        // Movable: 0x60000 to min(node end 0x7ffe0, DMA32's top 0x7ffe0).
        assert_eq!(adjust(ZoneType::Movable, 0, 0), (0x60000, 0x7ffe0));
        // No ZONE_MOVABLE on the node: nothing changes.
        assert_eq!(
            adjust_zone_range_for_zone_movable(
                0,
                ZoneType::Dma32,
                &high,
                ZoneType::Dma32,
                0x7ffe0,
                0x1000,
                0x7ffe0
            ),
            (0x1000, 0x7ffe0)
        );
    }

    #[test]
    fn kernel_roundup_matches_the_macro() {
        assert_eq!(kernel_roundup(0, 1024), 0);
        assert_eq!(kernel_roundup(1, 1024), 1024);
        assert_eq!(kernel_roundup(1024, 1024), 1024);
        assert_eq!(kernel_roundup(1025, 1024), 2048);
        // Wraps like unsigned long: (2^64 - 1 + 1023) mod 2^64 = 1022; 1022 / 1024 = 0.
        assert_eq!(kernel_roundup(u64::MAX, 1024), 0);
        assert_eq!(kernel_roundup(5, 0), 5);
    }

    /// A small deterministic generator for the no-panic sweep.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 11
        }

        fn pick(&mut self, choices: &[u64]) -> u64 {
            choices[(self.next() % choices.len() as u64) as usize]
        }
    }

    #[test]
    fn never_panics_and_results_are_sane() {
        let interesting = [
            0,
            1,
            0x9f,
            0x100,
            0x1000,
            0x7ffe0,
            0x100000,
            1 << 40,
            u64::MAX - 1,
            u64::MAX,
        ];
        let mut rng = Lcg(0x5eed);
        for _ in 0..4000 {
            let node_count = rng.next() % 5;
            let nodes: Vec<Vec<PfnRange>> = (0..node_count)
                .map(|_| {
                    (0..rng.next() % 4)
                        .map(|_| {
                            let a = if rng.next() % 2 == 0 {
                                rng.pick(&interesting)
                            } else {
                                rng.next() % 0x400000
                            };
                            let b = if rng.next() % 2 == 0 {
                                rng.pick(&interesting)
                            } else {
                                rng.next() % 0x400000
                            };
                            r(a, b)
                        })
                        .collect()
                })
                .collect();
            let mut low = [0u64; MAX_NR_ZONES];
            let mut high = [0u64; MAX_NR_ZONES];
            for zone in 0..MAX_NR_ZONES {
                low[zone] = rng.pick(&interesting);
                high[zone] = rng.pick(&interesting);
            }
            let core = |rng: &mut Lcg| match rng.next() % 3 {
                0 => None,
                1 => Some(CoreSize::Percent((rng.next() % 256) as u8)),
                _ => Some(CoreSize::Bytes(if rng.next() % 2 == 0 {
                    rng.pick(&interesting)
                } else {
                    rng.next() << 12
                })),
            };
            let kernelcore = core(&mut rng);
            let movablecore = core(&mut rng);
            let placement =
                find_zone_movable_pfns_for_nodes(&nodes, &low, &high, kernelcore, movablecore);
            assert_eq!(placement.zone_movable_pfn.len(), nodes.len());
            for (pfn, ranges) in placement.zone_movable_pfn.iter().zip(&nodes) {
                if *pfn != 0 {
                    assert_eq!(pfn % MAX_ORDER_NR_PAGES, 0);
                    let end = ranges
                        .iter()
                        .filter(|x| x.start < x.end)
                        .map(|x| x.end)
                        .max()
                        .unwrap_or(0);
                    assert!(*pfn < end);
                }
            }
        }
    }

    #[test]
    fn movable_node_starts_at_the_lowest_hotpluggable_memory() {
        // Node 0 not hotpluggable; node 1 hotpluggable from 0x50000 (not on a
        // MAX_ORDER_NR_PAGES boundary: rounded up to 0x50400); node 2 hotpluggable only
        // in its last 256 pages (rounded up to its end: none).
        let nodes = vec![
            vec![r(0x100, 0x40000)],
            vec![r(0x40000, 0x80000)],
            vec![r(0x80000, 0x80e00)],
        ];
        let hotplug = [r(0x80d00, 0x80e00), r(0x50010, 0x80000)];
        assert_eq!(movable_node_pfns(&nodes, &hotplug), vec![0, 0x50400, 0]);
        // A hotpluggable range that covers the node's start.
        assert_eq!(
            movable_node_pfns(&nodes[1..2], &[r(0x0, 0x60000)]),
            vec![0x40000]
        );
        assert_eq!(movable_node_pfns(&nodes, &[]), vec![0, 0, 0]);
    }
}
