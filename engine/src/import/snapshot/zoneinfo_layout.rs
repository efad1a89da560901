//! A memory layout from `/proc/zoneinfo` alone, for when there is no dmesg with
//! "Early memory node ranges" (a bare zoneinfo, or a dmesg that has wrapped).
//!
//! zoneinfo gives each populated zone its first pfn (`start_pfn`), its span
//! (`spanned`) and the pages present in it (`present`), but not where the holes
//! (`spanned - present`) are. They are placed as x86 machines usually have them:
//! DMA's hole below 1 MiB at pfns 0x9f-0xff (the legacy VGA and BIOS area) when it
//! fits, and every other hole (or what is left of DMA's) at the end of its zone. The
//! zones' sizes, and so the watermarks and per-cpu sizes, come out the same wherever
//! the holes are; only pfns inside a zone can differ from the real machine's.

use crate::limits::{CPUS_MAX, NODES_MAX, PHYS_READ_BYTES_MAX};
use crate::text::{parse_decimal, shorten};
use crate::types::{PfnRange, ZoneType, PAGE_SIZE_BYTES};

/// The x86 hole below 1 MiB: pfns 0x9f to 0xff (640 KiB less the EBDA, to 1 MiB).
const LOW_HOLE: PfnRange = PfnRange {
    start: 0x9f,
    end: 0x100,
};

/// One zone of zoneinfo, as far as the layout needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ZoneSpan {
    pub(super) node: u32,
    pub(super) zone: ZoneType,
    /// 1-based line of the zone's `Node N, zone NAME` line.
    pub(super) line: usize,
    pub(super) start_pfn: Option<u64>,
    pub(super) spanned: u64,
    pub(super) present: u64,
    pub(super) managed: u64,
}

/// What zoneinfo says about the layout and the CPUs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ZoneinfoFacts {
    pub(super) zones: Vec<ZoneSpan>,
    /// The CPUs of the `pagesets` (`cpu: N` lines), sorted: zoneinfo lists every
    /// online CPU for every populated zone.
    pub(super) cpus: Vec<u32>,
}

impl ZoneinfoFacts {
    /// The managed pages of each node (sorted by node): what numactl's `size` is.
    pub(super) fn managed_per_node(&self) -> Vec<(u32, u64)> {
        let mut out: Vec<(u32, u64)> = Vec::new();
        for zone in &self.zones {
            match out.iter_mut().find(|(node, _)| *node == zone.node) {
                Some((_, pages)) => *pages = pages.saturating_add(zone.managed),
                None => out.push((zone.node, zone.managed)),
            }
        }
        crate::types::sort::sort(&mut out);
        out
    }

    /// The (node, zone) pairs with present pages: the zones /proc/buddyinfo lists.
    pub(super) fn populated(&self) -> Vec<(u32, ZoneType)> {
        let mut out: Vec<(u32, ZoneType)> = self
            .zones
            .iter()
            .filter(|zone| zone.present > 0)
            .map(|zone| (zone.node, zone.zone))
            .collect();
        crate::types::sort::sort(&mut out);
        out
    }
}

/// Whether the text is a /proc/zoneinfo (without section headers).
pub(super) fn is_zoneinfo(text: &str) -> bool {
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    lines
        .next()
        .is_some_and(|line| line.starts_with("Node ") && line.contains(", zone"))
        && text
            .lines()
            .any(|line| line.trim_start().starts_with("spanned"))
}

/// Reads the zones and CPUs of a zoneinfo; errors name the 1-based line of `text`.
pub(super) fn zoneinfo_facts(text: &str) -> Result<ZoneinfoFacts, (usize, String)> {
    let mut facts = ZoneinfoFacts::default();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(rest) = line.strip_prefix("Node ") {
            let parsed = rest.split_once(',').and_then(|(node, zone)| {
                let node = parse_decimal(node.trim()).filter(|&n| n < NODES_MAX as u64)?;
                let zone = ZoneType::from_name(zone.trim().strip_prefix("zone")?.trim())?;
                Some((node as u32, zone))
            });
            let Some((node, zone)) = parsed else {
                return Err((
                    number,
                    format!(
                        "cannot read the zone header `{}`; expected a line like `Node 0, zone    DMA32` \
                         (node below {NODES_MAX}, zone DMA, DMA32, Normal, Movable or Device)",
                        shorten(line)
                    ),
                ));
            };
            facts.zones.push(ZoneSpan {
                node,
                zone,
                line: number,
                start_pfn: None,
                spanned: 0,
                present: 0,
                managed: 0,
            });
            continue;
        }
        let trimmed = line.trim();
        let (key, value) = match trimmed.split_once(':') {
            Some((key @ ("start_pfn" | "cpu"), value)) => (key, value.trim()),
            _ => {
                let mut words = trimmed.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some(key @ ("spanned" | "present" | "managed")), Some(value), None) => {
                        (key, value)
                    }
                    _ => continue,
                }
            }
        };
        let max = if key == "cpu" {
            u64::from(CPUS_MAX) - 1
        } else {
            PHYS_READ_BYTES_MAX / PAGE_SIZE_BYTES
        };
        let Some(value) = parse_decimal(value).filter(|&value| value <= max) else {
            return Err((
                number,
                format!(
                    "expected a number up to {max} after `{key}`, found `{}`",
                    shorten(value)
                ),
            ));
        };
        if key == "cpu" {
            if let Err(at) = facts.cpus.binary_search(&(value as u32)) {
                facts.cpus.insert(at, value as u32);
            }
            continue;
        }
        let Some(zone) = facts.zones.last_mut() else {
            return Err((
                number,
                format!("a `{key}` line before any `Node N, zone NAME` line; is the start of the file missing?"),
            ));
        };
        match key {
            "start_pfn" => zone.start_pfn = Some(value),
            "spanned" => zone.spanned = value,
            "managed" => zone.managed = value,
            _ => zone.present = value,
        }
    }
    Ok(facts)
}

/// The memory ranges of each node, from the populated zones' spans with their holes
/// placed as the module documentation says, merged where they touch; errors name
/// the zone's line.
pub(super) fn layout(facts: &ZoneinfoFacts) -> Result<Vec<(u32, PfnRange)>, (usize, String)> {
    let mut ranges: Vec<(u32, PfnRange)> = Vec::new();
    for zone in facts.zones.iter().filter(|zone| zone.present > 0) {
        let name = zone.zone.name();
        let Some(start) = zone.start_pfn else {
            return Err((
                zone.line,
                format!(
                    "node {} zone {name} has `present {}` but no `start_pfn:` line; is the file truncated?",
                    zone.node, zone.present
                ),
            ));
        };
        if zone.present > zone.spanned {
            return Err((
                zone.line,
                format!(
                    "node {} zone {name} has more present pages ({}) than it spans ({})",
                    zone.node, zone.present, zone.spanned
                ),
            ));
        }
        let end = start.saturating_add(zone.spanned);
        let hole = zone.spanned - zone.present;
        let low_hole = LOW_HOLE.end - LOW_HOLE.start;
        let pieces = if zone.zone == ZoneType::Dma
            && hole >= low_hole
            && start < LOW_HOLE.start
            && end >= LOW_HOLE.end + (hole - low_hole)
        {
            let rest_end = end - (hole - low_hole);
            vec![
                PfnRange {
                    start,
                    end: LOW_HOLE.start,
                },
                PfnRange {
                    start: LOW_HOLE.end,
                    end: rest_end,
                },
            ]
        } else {
            vec![PfnRange {
                start,
                end: end - hole,
            }]
        };
        for piece in pieces.into_iter().filter(|piece| piece.end > piece.start) {
            match ranges.last_mut() {
                Some((node, last)) if *node == zone.node && last.end == piece.start => {
                    last.end = piece.end;
                }
                _ => ranges.push((zone.node, piece)),
            }
        }
    }
    // Nodes whose spans interleave (node 0's Normal around node 1's) have their real
    // memory in each other's holes; zoneinfo cannot say where.
    for (index, (node, range)) in ranges.iter().enumerate() {
        for (other_node, other) in ranges.iter().skip(index + 1) {
            if range.start < other.end && other.start < range.end {
                let line = facts
                    .zones
                    .iter()
                    .find(|zone| zone.node == *other_node)
                    .map_or(1, |zone| zone.line);
                return Err((
                    line,
                    format!(
                        "node {node}'s memory (pfns {:#x}-{:#x}) and node {other_node}'s ({:#x}-{:#x}) overlap when \
                         each zone's holes are put at its end: the nodes' spans interleave, and zoneinfo does not \
                         say where each node's memory lies; give dmesg's \"Early memory node ranges\" too",
                        range.start, range.end, other.start, other.end
                    ),
                ));
            }
        }
    }
    if ranges.is_empty() {
        return Err((
            1,
            "no zone has present pages; expected zones with `start_pfn:`, `spanned` and `present` lines".to_string(),
        ));
    }
    Ok(ranges)
}

/// The lines of a dmesg "Early memory node ranges" block for `ranges`, as the kernel
/// prints them (byte addresses, inclusive end).
pub(super) fn early_ranges_lines(ranges: &[(u32, PfnRange)]) -> Vec<String> {
    ranges
        .iter()
        .map(|(node, range)| {
            format!(
                "  node {node:>3}: [mem {:#018x}-{:#018x}]",
                range.start.saturating_mul(PAGE_SIZE_BYTES),
                range.end.saturating_mul(PAGE_SIZE_BYTES).saturating_sub(1)
            )
        })
        .collect()
}
