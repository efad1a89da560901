//! dmesg's accounting lines, used as cross-checks: `Memory: XK/YK available (...,
//! ZK reserved, CK cma-reserved)` (mem_init_print_info(): Y is every node's present
//! pages, Y - Z - C the pages handed to the buddy allocator by then, to which the
//! later `Freeing ... memory: NK` lines add), and the `DMA zone: N pages reserved`
//! and `ZONE zone: N pages used for memmap` lines of free_area_init_core()
//! (dma_reserve and calc_memmap_size(), printed with pr_debug, so only on kernels
//! with debug output on).

use super::dmesg::dmesg_message;
use super::sections::Section;
use super::{SnapshotError, DMESG, EARLY_RANGES};
use crate::machine::setup::calc_memmap_size;
use crate::machine::{Machine, MachineConfig};
use crate::text::parse_decimal;
use crate::types::ZoneType;

/// The numbers of the `Memory:` line, in KiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MemoryLine {
    line: usize,
    physpages_kib: u64,
    reserved_kib: u64,
    cma_kib: u64,
}

fn memory_line(dmesg: &Section<'_>) -> Option<MemoryLine> {
    dmesg.lines.iter().find_map(|&(line, text)| {
        let rest = dmesg_message(text).trim().strip_prefix("Memory: ")?;
        let (counts, details) = rest.split_once(" available (")?;
        let (_, total) = counts.split_once('/')?;
        let physpages_kib = parse_decimal(total.strip_suffix('K')?)?;
        let field = |name: &str| {
            details
                .trim_end_matches(')')
                .split(", ")
                .find_map(|part| parse_decimal(part.strip_suffix(name)?.strip_suffix('K')?))
        };
        Some(MemoryLine {
            line,
            physpages_kib,
            reserved_kib: field(" reserved")?,
            cma_kib: field(" cma-reserved").unwrap_or(0),
        })
    })
}

/// The KiB of the `Freeing ... memory: NK` lines after line `after` (the kernel's
/// init sections, the gaps of its image, the initrd: pages handed to the buddy
/// allocator after mem_init()).
fn freed_after(dmesg: &Section<'_>, after: usize) -> u64 {
    dmesg
        .lines
        .iter()
        .filter(|&&(line, _)| line > after)
        .filter_map(|(_, text)| {
            let rest = dmesg_message(text).trim().strip_prefix("Freeing ")?;
            let (_, size) = rest.rsplit_once(" memory: ")?;
            parse_decimal(size.strip_suffix('K')?)
        })
        .fold(0u64, u64::saturating_add)
}

/// `  ZONE zone: N pages used for memmap` (pr_debug in free_area_init_core()), each
/// with the node of the `Initmem setup node N` line before it, as (line, node, zone,
/// pages).
fn memmap_lines(dmesg: &Section<'_>) -> Vec<(usize, u32, ZoneType, u64)> {
    let mut node = None;
    let mut found = Vec::new();
    for &(line, text) in &dmesg.lines {
        let message = dmesg_message(text).trim();
        if let Some(rest) = message.strip_prefix("Initmem setup node ") {
            node = rest
                .split_whitespace()
                .next()
                .and_then(parse_decimal)
                .and_then(|id| u32::try_from(id).ok());
            continue;
        }
        let parsed = message.split_once(" zone: ").and_then(|(zone, rest)| {
            let zone = ZoneType::from_name(zone.trim())?;
            let pages = parse_decimal(rest.strip_suffix(" pages used for memmap")?)?;
            Some((zone, pages))
        });
        if let (Some(node), Some((zone, pages))) = (node, parsed) {
            found.push((line, node, zone, pages));
        }
    }
    found
}

/// Compares dmesg's memmap lines with calc_memmap_size() of the model's zones.
fn check_memmap_lines(dmesg: &Section<'_>, machine: Option<&Machine>, notes: &mut Vec<String>) {
    let lines = memmap_lines(dmesg);
    let Some(machine) = machine else { return };
    if lines.is_empty() {
        return;
    }
    let differences: Vec<String> = lines
        .iter()
        .filter_map(|&(line, node, zone, pages)| {
            let model = machine
                .zone(node, zone)
                .map_or(0, |z| calc_memmap_size(z.spanned, z.present));
            (model != pages).then(|| {
                format!(
                    "node {node} zone {}: dmesg (line {line}) says {pages} pages, the model's calc_memmap_size() \
                     gives {model}",
                    zone.name()
                )
            })
        })
        .collect();
    if differences.is_empty() {
        notes.push(format!(
            "dmesg's {} `pages used for memmap` lines match the model's calc_memmap_size() (used as a check of the \
             zone sizes the managed estimate starts from)",
            lines.len()
        ));
    } else {
        notes.push(format!(
            "dmesg's `pages used for memmap` lines differ from the model's calc_memmap_size(): {}; the model's are \
             used (they only enter the managed estimate, which zoneinfo's counts replace when present)",
            differences.join("; ")
        ));
    }
}

/// `  DMA zone: N pages reserved`.
fn dma_reserve_line(dmesg: &Section<'_>) -> Option<u64> {
    dmesg.lines.iter().find_map(|(_, text)| {
        let rest = dmesg_message(text).trim().strip_prefix("DMA zone: ")?;
        parse_decimal(rest.strip_suffix(" pages reserved")?)
    })
}

/// Checks the present pages against the `Memory:` line (an error if they differ:
/// one boot prints both from the same memblock), compares the managed pages with it,
/// and says what the `Memory:` and `DMA zone` lines were used for.
pub(super) fn check_reserve_lines(
    dmesg: &Section<'_>,
    config: &MachineConfig,
    machine: Option<&Machine>,
    notes: &mut Vec<String>,
) -> Result<(), SnapshotError> {
    let present: u64 = config
        .nodes
        .iter()
        .flat_map(|node| node.memory.iter())
        .map(|range| range.pages())
        .sum();
    if let Some(memory) = memory_line(dmesg) {
        let physpages = memory.physpages_kib / 4;
        if physpages != present {
            return Err(SnapshotError::in_section(
                DMESG,
                Some(memory.line),
                format!(
                    "the `Memory:` line counts {}K ({physpages} pages) of memory, but the \"{EARLY_RANGES}\" lines \
                     add up to {present} pages; one boot prints both from the same memory map, so the ranges are \
                     incomplete or the lines come from two boots",
                    memory.physpages_kib
                ),
            ));
        }
        let at_mem_init = physpages
            .saturating_sub(memory.reserved_kib / 4)
            .saturating_sub(memory.cma_kib / 4);
        let freed = freed_after(dmesg, memory.line) / 4;
        let expected = at_mem_init.saturating_add(freed);
        let basis = format!(
            "the {at_mem_init} pages the buddy allocator had at mem_init() plus the {freed} of the later `Freeing ... \
             memory` lines make {expected}"
        );
        let used_for = if config.managed.is_empty() {
            let estimate: u64 =
                machine.map_or(0, |machine| machine.zones().map(|zone| zone.managed).sum());
            format!(
                "{basis}; the model's managed estimate (present minus the memory map, as there is no zoneinfo to \
                 copy) totals {estimate}, {}; the estimate is used",
                difference(estimate, expected)
            )
        } else {
            let copied: u64 = config.managed.iter().map(|count| count.managed).sum();
            let agreement = if copied == expected {
                "exactly zoneinfo's managed total".to_string()
            } else {
                format!(
                    "but zoneinfo's managed pages total {copied}, {} (memory hot-added or taken offline, or a balloon \
                     driver, after boot; or sections from two machines); zoneinfo's are used",
                    difference(copied, expected)
                )
            };
            format!("{basis}, {agreement}")
        };
        notes.push(format!(
            "dmesg's `Memory:` line (line {}) was used as a check: its {physpages} pages of memory match the \
             \"{EARLY_RANGES}\"; {used_for}",
            memory.line
        ));
    }
    check_memmap_lines(dmesg, machine, notes);
    if let Some(reserved) = dma_reserve_line(dmesg) {
        let dma = machine
            .and_then(|machine| machine.zone(0, ZoneType::Dma))
            .filter(|zone| zone.present > 0);
        let compared = match dma {
            Some(zone) if config.managed.iter().any(|c| c.node == 0 && c.zone == ZoneType::Dma) => format!(
                "zoneinfo's DMA zone has {} present pages that are not managed",
                zone.present.saturating_sub(zone.managed)
            ),
            Some(zone) => format!(
                "the model estimates the DMA zone's managed pages as present minus the memory map ({}) and does not \
                 subtract dma_reserve, so that estimate may be up to {reserved} pages high",
                zone.managed
            ),
            None => "the model has no DMA zone on node 0".to_string(),
        };
        notes.push(format!(
            "dmesg's `DMA zone: {reserved} pages reserved` (dma_reserve in free_area_init_core()) was used as a \
             check only: {compared}"
        ));
    }
    Ok(())
}

fn difference(value: u64, reference: u64) -> String {
    if value >= reference {
        format!("{} more", value - reference)
    } else {
        format!("{} fewer", reference - value)
    }
}
