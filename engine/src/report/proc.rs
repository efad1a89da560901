//! Kernel-format text: `/proc/zoneinfo`, `/proc/buddyinfo`, `/proc/pagetypeinfo`
//! (mm/vmstat.c) and the boot log's zonelist lines (mm/page_alloc.c,
//! mm/mm_init.c), byte for byte for every line the model has a value for. Lines for
//! statistics the model does not keep (per-node vmstat items, numa counters, ...)
//! are left out rather than filled with invented numbers.

use core::fmt::Write;

use crate::buddy::BuddyZone;
use crate::machine::boot::{ZoneFree, ZoneMemory};
use crate::machine::{Machine, Zone};
use crate::types::Kernel;
use crate::types::{MigrateType, Order, MAX_ORDER, PAGEBLOCK_ORDER};

/// One `/proc/buddyinfo` line for `zone` (`frag_show_print()` in mm/vmstat.c): node,
/// zone name padded to 8, then `nr_free` of each order in a field of 6 followed by a
/// space (the kernel leaves that last space before the newline).
pub fn buddyinfo_line(node: u32, zone_name: &str, zone: &BuddyZone) -> String {
    let mut line = format!("Node {node}, zone {zone_name:>8} ");
    for order in Order::all() {
        let _ = write!(line, "{:6} ", zone.nr_free(order));
    }
    line.push('\n');
    line
}

/// `/proc/buddyinfo`: one line per populated zone, nodes in order.
pub fn buddyinfo(memory: &[ZoneMemory]) -> String {
    memory
        .iter()
        .map(|z| buddyinfo_line(z.node, z.zone.name(), &z.buddy))
        .collect()
}

/// `/proc/pagetypeinfo` (`pagetypeinfo_show()`), for each node with memory: the
/// free block counts per migratetype and order, and the pageblock counts per type
/// (`pagetypeinfo_showblockcount_print()`: one pageblock every 512 pfns from the
/// zone's first pfn, counted if its memory map exists). The mixed-block table needs
/// CONFIG_PAGE_OWNER and is not printed, as on the reference kernel.
pub fn pagetypeinfo(machine: &Machine, memory: &[ZoneMemory]) -> String {
    let mut out = String::new();
    for node in machine.nodes.iter().filter(|n| n.present > 0) {
        let zones: Vec<&ZoneMemory> = memory.iter().filter(|z| z.node == node.id).collect();
        let _ = writeln!(out, "Page block order: {PAGEBLOCK_ORDER}");
        let _ = writeln!(out, "Pages per block:  {}", 1u64 << PAGEBLOCK_ORDER);
        out.push('\n');
        let _ = write!(out, "{:<43} ", "Free pages count per migrate type at order");
        for order in 0..MAX_ORDER {
            let _ = write!(out, "{order:6} ");
        }
        out.push('\n');
        for zone in &zones {
            for &migratetype in kernel_types(machine) {
                let _ = write!(
                    out,
                    "Node {:4}, zone {:>8}, type {:>12} ",
                    zone.node,
                    zone.zone.name(),
                    migratetype.name()
                );
                for order in Order::all() {
                    let count = zone.buddy.nr_free_of_type(order, migratetype);
                    let overflow = if count >= 100_000 { ">" } else { "" };
                    let _ = write!(out, "{overflow}{:6} ", count.min(100_000));
                }
                out.push('\n');
            }
        }
        let _ = write!(out, "\n{:<23}", "Number of blocks type ");
        for migratetype in kernel_types(machine) {
            let _ = write!(out, "{:>12} ", migratetype.name());
        }
        out.push('\n');
        for zone in &zones {
            let counts = pageblock_counts(machine, zone);
            let _ = write!(out, "Node {}, zone {:>8} ", zone.node, zone.zone.name());
            for migratetype in kernel_types(machine) {
                let _ = write!(out, "{:12} ", counts[migratetype.index()]);
            }
            out.push('\n');
        }
    }
    out
}

/// The migratetypes the kernel prints, in its order: with CONFIG_CMA (a machine
/// with `cma=`) CMA comes before Isolate.
fn kernel_types(machine: &Machine) -> &'static [MigrateType] {
    if machine.cma.is_some() {
        &MigrateType::ALL_WITH_CMA
    } else {
        &MigrateType::ALL
    }
}

/// Pageblocks of each migratetype, walked as `pagetypeinfo_showblockcount_print()`
/// walks them: from `zone_start_pfn` in steps of a pageblock, counting a pfn whose
/// memory map exists (its 2 MiB subsection holds memory, as `pfn_to_online_page()`
/// decides with SPARSEMEM_VMEMMAP).
fn pageblock_counts(
    machine: &Machine,
    zone: &ZoneMemory,
) -> [u64; crate::types::MIGRATE_TYPES_STORED] {
    let mut counts = [0u64; crate::types::MIGRATE_TYPES_STORED];
    let memory: Vec<_> = machine
        .config
        .nodes
        .iter()
        .flat_map(|n| n.memory.iter())
        .collect();
    let start = zone.buddy.start_pfn().0;
    let end = zone.buddy.end_pfn().0;
    let block = 1u64 << PAGEBLOCK_ORDER;
    let mut pfn = start;
    while pfn < end {
        let sub_start = pfn & !(block - 1);
        let sub_end = sub_start + block;
        if memory
            .iter()
            .any(|r| r.start < sub_end && r.end > sub_start)
        {
            counts[zone.buddy.pageblock_type(crate::types::Pfn(pfn)).index()] += 1;
        }
        pfn += block;
    }
    counts
}

/// `/proc/zoneinfo` (`zoneinfo_show_print()`) right after boot: every zone of every
/// node, populated or not. `free` gives the free page counts
/// ([`crate::machine::boot::boot_free_pages`], so no zone's pages are built); the
/// per-cpu lists start empty.
pub fn zoneinfo(machine: &Machine, free: &[ZoneFree]) -> String {
    let mut out = String::new();
    for node in &machine.nodes {
        for zone in &node.zones {
            let free = free
                .iter()
                .find(|m| m.node == zone.node && m.zone == zone.zone_type)
                .map_or(0, |m| m.free_pages);
            zone_block(&mut out, machine, zone, free, &[]);
        }
    }
    out
}

/// `/proc/zoneinfo` of a running allocator: the machine's zones as memory hotplug
/// and sysctl writes left them, with the allocator's free-page counter (without the
/// per-cpu deltas not yet folded, as `zone_page_state()` reads it), watermarks and
/// boost, and every CPU's per-cpu list count. `None` for an allocator loaded from a
/// state dump, which has no machine.
pub fn zoneinfo_running(allocator: &crate::alloc::Allocator) -> Option<String> {
    let machine = allocator.machine()?;
    let mut out = String::new();
    for node in &machine.nodes {
        for zone in &node.zones {
            let running = allocator
                .zones()
                .iter()
                .find(|z| z.nid == zone.node && z.zone == zone.zone_type);
            let Some(running) = running else {
                zone_block(&mut out, machine, zone, 0, &[]);
                continue;
            };
            let mut shown = zone.clone();
            shown.watermark_min = running.watermark[0];
            shown.watermark_low = running.watermark[1];
            shown.watermark_high = running.watermark[2];
            shown.watermark_boost = running.watermark_boost;
            shown.lowmem_reserve = running.lowmem_reserve;
            shown.present = running.present;
            shown.managed = running.managed;
            let counts: Vec<(u64, u64)> = machine
                .online_cpus
                .iter()
                .map(|&cpu| {
                    running
                        .pcps
                        .iter()
                        .find(|p| p.cpu == cpu)
                        .map_or((0, zone.pcp_high), |p| (p.count, p.high))
                })
                .collect();
            let free = running.free_pages_global.max(0) as u64;
            zone_block(&mut out, machine, &shown, free, &counts);
        }
    }
    Some(out)
}

/// `/proc/pagetypeinfo` of a running allocator (see [`pagetypeinfo`]).
pub fn pagetypeinfo_running(allocator: &crate::alloc::Allocator) -> Option<String> {
    let machine = allocator.machine()?;
    let memory: Vec<ZoneMemory> = allocator
        .zones()
        .iter()
        .map(|z| ZoneMemory {
            node: z.nid,
            zone: z.zone,
            buddy: z.buddy.clone(),
        })
        .collect();
    Some(pagetypeinfo(machine, &memory))
}

/// `/proc/buddyinfo` of a running allocator.
pub fn buddyinfo_running(allocator: &crate::alloc::Allocator) -> String {
    allocator
        .zones()
        .iter()
        .map(|z| buddyinfo_line(z.nid, z.zone.name(), &z.buddy))
        .collect()
}

/// One zone's block; `pcps` holds each online CPU's (count, high), and a CPU left out
/// shows the state right after boot: an empty list and the boot `high` (on 6.12, 0:
/// each CPU's `high` is tuned from 0 at run time).
fn zone_block(out: &mut String, machine: &Machine, zone: &Zone, free: u64, pcps: &[(u64, u64)]) {
    let _ = write!(out, "Node {}, zone {:>8}", zone.node, zone.zone_type.name());
    let _ = write!(
        out,
        "\n  pages free     {free}\n        boost    {}\n        min      {}\n        low      {}\n        high     {}",
        zone.watermark_boost,
        zone.watermark_min + zone.watermark_boost,
        zone.watermark_low + zone.watermark_boost,
        zone.watermark_high + zone.watermark_boost,
    );
    // Linux 6.12's zoneinfo_show_print() adds WMARK_PROMO (CONFIG_NUMA_BALANCING):
    // `__setup_per_zone_wmarks()` sets it one more low-to-high step above high.
    if machine.config.kernel == Kernel::V6_12 {
        let step = zone.watermark_high.saturating_sub(zone.watermark_low);
        let _ = write!(
            out,
            "\n        promo    {}",
            zone.watermark_high + step + zone.watermark_boost
        );
    }
    let _ = write!(
        out,
        "\n        spanned  {}\n        present  {}\n        managed  {}\n        cma      {}",
        zone.spanned, zone.present, zone.managed, zone.cma_pages
    );
    let protection: Vec<String> = zone.lowmem_reserve.iter().map(u64::to_string).collect();
    let _ = write!(out, "\n        protection: ({})", protection.join(", "));
    if !zone.is_populated() {
        out.push('\n');
        return;
    }
    let _ = write!(out, "\n      {:<12} {free}", "nr_free_pages");
    out.push_str("\n  pagesets");
    for (i, cpu) in machine.online_cpus.iter().enumerate() {
        let boot_high = match machine.config.kernel {
            Kernel::V6_1 => zone.pcp_high,
            Kernel::V6_12 => 0,
        };
        let (count, high) = pcps.get(i).copied().unwrap_or((0, boot_high));
        let _ = write!(
            out,
            "\n    cpu: {cpu}\n              count: {count}\n              high:  {high}\n              batch: {}\n  vm stats threshold: {}",
            zone.pcp_batch, zone.stat_threshold
        );
    }
    let _ = write!(
        out,
        "\n  node_unreclaimable:  0\n  start_pfn:           {}\n",
        zone.start_pfn
    );
}

/// The boot log's zonelist lines: `Fallback order for Node N: ...` from
/// `build_zonelists()`, the `mminit::zonelist` lines of `mminit_verify_zonelist()`
/// (general then thisnode, for each populated zone, listing the zones a request of
/// that zone type may use), and `Built N zonelists ...` with the page total the
/// kernel computes at that point (managed estimates, watermarks still zero).
pub fn zonelists_boot_log(machine: &Machine) -> String {
    let mut out = String::new();
    for list in &machine.zonelists {
        let order: Vec<String> = list.node_order.iter().map(u32::to_string).collect();
        let _ = writeln!(
            out,
            "Fallback order for Node {}: {}",
            list.node,
            order.join(" ")
        );
    }
    for list in &machine.zonelists {
        let Some(node) = machine.nodes.get(list.node as usize) else {
            continue;
        };
        for (kind, refs) in [("general", &list.general), ("thisnode", &list.thisnode)] {
            for zone in node.zones.iter().filter(|z| z.is_populated()) {
                let allowed: Vec<String> = refs
                    .iter()
                    .filter(|r| r.zone <= zone.zone_type)
                    .map(|r| format!("{}:{}", r.node, r.zone.name()))
                    .collect();
                let _ = writeln!(
                    out,
                    "mminit::zonelist {kind} {}:{} = {}",
                    list.node,
                    zone.zone_type.name(),
                    allowed.join(" ")
                );
            }
        }
    }
    if let Some(total) = machine.boot_vm_total_pages() {
        let grouping = if machine.page_group_by_mobility_disabled() {
            "off"
        } else {
            "on"
        };
        let _ = writeln!(
            out,
            "Built {} zonelists, mobility grouping {grouping}.  Total pages: {total}",
            machine.zonelists.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buddyinfo_matches_the_kernel_layout_byte_for_byte() {
        // 1024 pages at pfn 0: one order-10 block. The expected line is laid out by
        // hand from frag_show_print()'s format strings.
        let zone = BuddyZone::new(0, 1024).unwrap();
        let expected = format!("Node 0, zone    DMA32 {}{:6} \n", "     0 ".repeat(10), 1);
        assert_eq!(buddyinfo_line(0, "DMA32", &zone), expected);
    }
}
