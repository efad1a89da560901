//! `/proc/zoneinfo` read for the cross-checks: each zone's start_pfn, spanned,
//! present and managed pages, and the CPUs its pagesets list. Lenient: the strict
//! reading (with errors) is `zoneinfo.rs`, which runs first; a line this reader
//! cannot use is skipped.

use super::sections::Section;
use crate::text::parse_decimal;
use crate::types::ZoneType;

/// One `Node N, zone NAME` block of zoneinfo.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ZoneInfoBlock {
    /// The line of the `Node N, zone NAME` header in the whole snapshot (0: none).
    pub(super) line: usize,
    pub(super) node: u32,
    pub(super) zone: Option<ZoneType>,
    /// `start_pfn:` (printed for populated zones only).
    pub(super) start_pfn: Option<u64>,
    pub(super) spanned: u64,
    pub(super) present: u64,
    pub(super) managed: u64,
    /// The `cpu: N` lines under `pagesets`, in order.
    pub(super) cpus: Vec<u32>,
}

pub(super) fn zone_blocks(section: &Section<'_>) -> Vec<ZoneInfoBlock> {
    let mut blocks: Vec<ZoneInfoBlock> = Vec::new();
    for &(number, line) in &section.lines {
        if let Some(rest) = line.strip_prefix("Node ") {
            let Some((node, zone)) = rest.split_once(',') else {
                continue;
            };
            let Some(node) = parse_decimal(node.trim()).and_then(|n| u32::try_from(n).ok()) else {
                continue;
            };
            let zone = zone
                .trim()
                .strip_prefix("zone")
                .and_then(|name| ZoneType::from_name(name.trim()));
            blocks.push(ZoneInfoBlock {
                line: number,
                node,
                zone,
                ..ZoneInfoBlock::default()
            });
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            continue;
        };
        let mut words = line.split_whitespace();
        let (Some(key), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        let Some(value) = parse_decimal(value) else {
            continue;
        };
        match key {
            "spanned" => block.spanned = value,
            "present" => block.present = value,
            "managed" => block.managed = value,
            "start_pfn:" => block.start_pfn = Some(value),
            "cpu:" => {
                if let Ok(cpu) = u32::try_from(value) {
                    block.cpus.push(cpu);
                }
            }
            _ => {}
        }
    }
    blocks
}
