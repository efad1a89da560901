//! `/proc/zoneinfo`: the managed page count of every populated zone.

use super::sections::Section;
use super::{SnapshotError, ZONEINFO};
use crate::limits::{NODES_MAX, PHYS_READ_BYTES_MAX};
use crate::machine::ManagedCount;
use crate::text::{parse_decimal, shorten};
use crate::types::{ZoneType, PAGE_SIZE_BYTES};

pub(super) fn managed_counts(section: &Section<'_>) -> Result<Vec<ManagedCount>, SnapshotError> {
    struct ZoneBlock {
        node: u32,
        zone: ZoneType,
        line: usize,
        present: Option<u64>,
        managed: Option<u64>,
    }
    let mut blocks: Vec<ZoneBlock> = Vec::new();
    for &(number, line) in &section.lines {
        let error = |message: String| SnapshotError::in_section(ZONEINFO, Some(number), message);
        if let Some(rest) = line.strip_prefix("Node ") {
            let parsed = rest.split_once(',').and_then(|(node, zone)| {
                let node = parse_decimal(node.trim())?;
                let zone = zone.trim().strip_prefix("zone")?.trim();
                Some((node, zone))
            });
            let Some((node, zone_name)) = parsed else {
                return Err(error(format!(
                    "cannot read the zone header `{}`; expected a line like `Node 0, zone    DMA32`",
                    shorten(line)
                )));
            };
            if node >= NODES_MAX as u64 {
                return Err(error(format!(
                    "node {node} is beyond the limit of {NODES_MAX} nodes"
                )));
            }
            let Some(zone) = ZoneType::from_name(zone_name) else {
                return Err(error(format!(
                    "unknown zone `{}`; Linux 6.1 on x86_64 has the zones DMA, DMA32, Normal, Movable and Device",
                    shorten(zone_name)
                )));
            };
            if let Some(earlier) = blocks
                .iter()
                .find(|block| block.node as u64 == node && block.zone == zone)
            {
                return Err(error(format!(
                    "node {node} zone {} appears twice (first at line {})",
                    zone.name(),
                    earlier.line
                )));
            }
            blocks.push(ZoneBlock {
                node: node as u32,
                zone,
                line: number,
                present: None,
                managed: None,
            });
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(key), Some(value), None) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        if key != "present" && key != "managed" {
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            return Err(error(format!(
                "a `{key}` line before any `Node N, zone NAME` line; is the start of the section missing?"
            )));
        };
        let Some(value) =
            parse_decimal(value).filter(|&value| value <= PHYS_READ_BYTES_MAX / PAGE_SIZE_BYTES)
        else {
            return Err(error(format!(
                "expected a page count after `{key}`, found `{}`",
                shorten(value)
            )));
        };
        if key == "present" {
            block.present = Some(value);
        } else {
            block.managed = Some(value);
        }
    }
    let mut counts = Vec::new();
    for block in &blocks {
        let present = block.present.unwrap_or(0);
        if present == 0 {
            continue;
        }
        let Some(managed) = block.managed else {
            return Err(SnapshotError::in_section(
                ZONEINFO,
                Some(block.line),
                format!(
                    "node {} zone {} has `present {present}` but no `managed` line; is the section truncated?",
                    block.node,
                    block.zone.name()
                ),
            ));
        };
        counts.push(ManagedCount {
            node: block.node,
            zone: block.zone,
            managed,
        });
    }
    crate::types::sort::sort_by_key(&mut counts, |count| (count.node, count.zone));
    Ok(counts)
}
