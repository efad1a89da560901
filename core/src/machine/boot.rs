//! The free lists of every zone right after boot: `memblock_free_all()` handing the
//! managed memory to the buddy allocator.

use super::{Machine, Zone};
use crate::buddy::BuddyZone;
use crate::error::EngineError;
use crate::limits::ZONE_PAGES_MAX;
use crate::types::{MigrateType, Pfn};
use crate::types::{PfnRange, ZoneType};

/// One populated zone's buddy state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneMemory {
    pub node: u32,
    pub zone: ZoneType,
    pub buddy: BuddyZone,
}

/// Builds the boot-time free lists of every populated zone.
///
/// Which pages are free: the zone's memory, less the configured reserved ranges, less
/// the rest of what the kernel keeps (present - managed pages). That remainder is
/// taken from the top of the zone's memory, where memblock's top-down allocations put
/// the memmap and early page tables; a real kernel also holds the kernel image,
/// initrd and firmware areas, wherever they happen to lie, so a real machine's exact
/// free pfns differ while the counts agree.
pub fn boot_free_lists(machine: &Machine) -> Result<Vec<ZoneMemory>, EngineError> {
    check_zone_sizes(machine)?;
    let mut zones = Vec::new();
    for node in &machine.nodes {
        let memory = node_memory(machine, node.id);
        for zone in node.zones.iter().filter(|z| z.is_populated()) {
            // The CMA area is reserved at boot and handed over later as CMA pageblocks.
            let cma: Vec<PfnRange> = machine.cma.into_iter().collect();
            let mut holes = machine.config.reserved.clone();
            holes.extend(cma.iter().copied());
            let free = free_ranges(zone, memory, &holes);
            let free: Vec<(u64, u64)> = free.iter().map(|r| (r.start, r.end)).collect();
            let memory: Vec<(u64, u64)> = memory.iter().map(|r| (r.start, r.end)).collect();
            let mut buddy =
                BuddyZone::with_free_ranges(zone.start_pfn, zone.spanned, &memory, &free)?;
            let zone_end = zone.start_pfn + zone.spanned;
            for area in cma
                .iter()
                .filter(|a| a.start >= zone.start_pfn && a.end <= zone_end)
            {
                let mut pfn = area.start;
                while pfn < area.end {
                    buddy.free_reserved_pageblock(Pfn(pfn), MigrateType::Cma)?;
                    pfn += 512;
                }
            }
            zones.push(ZoneMemory {
                node: node.id,
                zone: zone.zone_type,
                buddy,
            });
        }
    }
    Ok(zones)
}

/// Refuses, before any zone is built, a machine with a populated zone larger than
/// the per-page model holds ([`ZONE_PAGES_MAX`]), naming the first such zone.
pub fn check_zone_sizes(machine: &Machine) -> Result<(), EngineError> {
    let too_large = machine
        .nodes
        .iter()
        .flat_map(|n| n.zones.iter())
        .find(|z| z.is_populated() && z.spanned > ZONE_PAGES_MAX);
    match too_large {
        Some(zone) => Err(EngineError::MachineZoneTooLarge {
            node: zone.node,
            zone: zone.zone_type,
            spanned: zone.spanned,
            present: zone.present,
            limit: ZONE_PAGES_MAX,
        }),
        None => Ok(()),
    }
}

/// The free pages of one zone right after boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneFree {
    pub node: u32,
    pub zone: ZoneType,
    pub free_pages: u64,
}

/// The free pages of every populated zone right after boot, counted from the same
/// ranges [`boot_free_lists`] frees, without building any zone's pages: what
/// `/proc/zoneinfo` needs of a freshly booted machine of any size. The CMA area
/// (4 MiB-aligned, inside one zone and outside the free ranges) adds its pages.
pub fn boot_free_pages(machine: &Machine) -> Vec<ZoneFree> {
    let mut zones = Vec::new();
    for node in &machine.nodes {
        let memory = node_memory(machine, node.id);
        for zone in node.zones.iter().filter(|z| z.is_populated()) {
            let mut holes = machine.config.reserved.clone();
            holes.extend(machine.cma);
            let free: u64 = free_ranges(zone, memory, &holes)
                .iter()
                .map(PfnRange::pages)
                .sum();
            let zone_end = zone.start_pfn + zone.spanned;
            let cma: u64 = machine
                .cma
                .iter()
                .filter(|a| a.start >= zone.start_pfn && a.end <= zone_end)
                .map(|a| a.end.saturating_sub(a.start).div_ceil(512) * 512)
                .sum();
            zones.push(ZoneFree {
                node: node.id,
                zone: zone.zone_type,
                free_pages: free + cma,
            });
        }
    }
    zones
}

/// The zone's memory minus reserved ranges, then trimmed from the top until exactly
/// `managed` pages remain.
fn free_ranges(zone: &Zone, memory: &[PfnRange], reserved: &[PfnRange]) -> Vec<PfnRange> {
    let zone_end = zone.start_pfn + zone.spanned;
    let mut ranges: Vec<PfnRange> = memory
        .iter()
        .map(|m| PfnRange {
            start: m.start.max(zone.start_pfn),
            end: m.end.min(zone_end),
        })
        .filter(|r| r.start < r.end)
        .collect();
    ranges = ranges
        .into_iter()
        .flat_map(|r| super::subtract_all(r, reserved))
        .collect();
    let mut excess = ranges
        .iter()
        .map(PfnRange::pages)
        .sum::<u64>()
        .saturating_sub(zone.managed.saturating_sub(zone.cma_pages));
    while excess > 0 {
        let Some(last) = ranges.last_mut() else { break };
        let cut = excess.min(last.pages());
        last.end -= cut;
        excess -= cut;
        if last.start == last.end {
            ranges.pop();
        }
    }
    ranges
}

/// The memory ranges the machine's configuration gives node `id` (none for a node
/// it does not list).
fn node_memory(machine: &Machine, id: u32) -> &[PfnRange] {
    machine
        .config
        .nodes
        .get(id as usize)
        .map(|n| n.memory.as_slice())
        .unwrap_or(&[])
}
