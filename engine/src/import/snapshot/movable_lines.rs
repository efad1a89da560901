//! ZONE_MOVABLE in dmesg: the hotpluggable memory the firmware reports (ACPI SRAT
//! lines ending in `hotplug`), which with `movable_node` on the command line decides
//! where ZONE_MOVABLE starts, and the kernel's own result, the lines under "Movable
//! zone start for each node", compared with what the engine computes.

use super::dmesg::dmesg_message;
use super::sections::Section;
use super::{SnapshotError, DMESG};
use crate::machine::Machine;
use crate::text::{format_phys_range, inclusive_to_pfns, parse_decimal, parse_hex, shorten};
use crate::types::{PfnRange, PAGE_SIZE_BYTES};

const MOVABLE_START: &str = "Movable zone start for each node";
const SRAT_EXAMPLE: &str = "`ACPI: SRAT: Node 1 PXM 1 [mem 0x100000000-0x1bfffffff] hotplug`";

/// The memory ranges SRAT lines mark `hotplug`:
/// `ACPI: SRAT: Node N PXM P [mem 0xSTART-0xEND] hotplug` (acpi_numa_memory_affinity_init()).
fn hotplug_ranges(dmesg: &Section<'_>) -> Result<Vec<PfnRange>, SnapshotError> {
    let mut ranges = Vec::new();
    for &(number, line) in &dmesg.lines {
        let message = dmesg_message(line).trim();
        let message = message.strip_prefix("ACPI: ").unwrap_or(message);
        let Some(rest) = message.strip_prefix("SRAT: Node ") else {
            continue;
        };
        let Some((_, after_mem)) = rest.split_once("[mem ") else {
            continue;
        };
        let Some((range, flags)) = after_mem.split_once(']') else {
            continue;
        };
        if !flags.split_whitespace().any(|flag| flag == "hotplug") {
            continue;
        }
        let bad = |why: String| {
            SnapshotError::in_section(
                DMESG,
                Some(number),
                format!(
                    "cannot read the SRAT line `{}`: {why}; expected a line like {SRAT_EXAMPLE}",
                    shorten(message)
                ),
            )
        };
        let (start, end) = range
            .split_once('-')
            .and_then(|(start, end)| Some((parse_hex(start.trim())?, parse_hex(end.trim())?)))
            .ok_or_else(|| bad("no `0xSTART-0xEND` range".to_string()))?;
        ranges.push(inclusive_to_pfns(start, end).map_err(bad)?);
    }
    Ok(ranges)
}

/// The `Node N: 0xADDRESS` lines under "Movable zone start for each node", as
/// (node, pfn); `None` when dmesg does not have the header.
fn printed_starts(dmesg: &Section<'_>) -> Option<Vec<(u64, u64, usize)>> {
    let start = dmesg
        .lines
        .iter()
        .position(|(_, line)| dmesg_message(line).trim() == MOVABLE_START)?;
    let mut starts = Vec::new();
    for &(number, line) in dmesg.lines.iter().skip(start + 1) {
        let Some(rest) = dmesg_message(line).trim().strip_prefix("Node ") else {
            break;
        };
        let Some((node, address)) = rest.split_once(':') else {
            break;
        };
        let (Some(node), Some(address)) = (parse_decimal(node.trim()), parse_hex(address.trim()))
        else {
            break;
        };
        starts.push((node, address / PAGE_SIZE_BYTES, number));
    }
    Some(starts)
}

/// `movable_node`'s input: the hotpluggable ranges when the command line has
/// `movable_node`, with a note saying what was used.
pub(super) fn movable_node_input(
    dmesg: &Section<'_>,
    movable_node: bool,
    notes: &mut Vec<String>,
) -> Result<Option<Vec<PfnRange>>, SnapshotError> {
    let ranges = hotplug_ranges(dmesg)?;
    if !movable_node {
        if !ranges.is_empty() {
            notes.push(format!(
                "the SRAT marks {} memory ranges hotpluggable, but `movable_node` is not on the command line, so the \
                 kernel puts them in the ordinary zones (they are not used)",
                ranges.len()
            ));
        }
        return Ok(None);
    }
    if ranges.is_empty() {
        notes.push(
            "`movable_node` is on the command line but dmesg has no SRAT lines marked `hotplug` (or they have \
             scrolled away): no node gets a ZONE_MOVABLE from it, as on a machine whose firmware marks nothing \
             hotpluggable"
                .to_string(),
        );
    } else {
        let list: Vec<String> = ranges
            .iter()
            .take(8)
            .map(|r| format_phys_range(*r))
            .collect();
        notes.push(format!(
            "`movable_node` is on the command line: ZONE_MOVABLE starts on each node at its lowest memory the SRAT \
             marks hotpluggable ({} ranges: {}{}), as find_zone_movable_pfns_for_nodes() does; kernelcore= and \
             movablecore= are ignored",
            ranges.len(),
            list.join(", "),
            if ranges.len() > 8 { ", ..." } else { "" }
        ));
    }
    Ok(Some(ranges))
}

/// Compares dmesg's "Movable zone start for each node" lines, the kernel's own
/// result, with the engine's `zone_movable_pfn[]`, and names every difference.
pub(super) fn check_movable_starts(
    dmesg: &Section<'_>,
    machine: Option<&Machine>,
    notes: &mut Vec<String>,
) {
    let Some(printed) = printed_starts(dmesg) else {
        return;
    };
    let Some(machine) = machine else {
        return;
    };
    if printed.is_empty() {
        // A bare header: the kernel had no ZONE_MOVABLE, or the node lines were cut
        // from this dmesg (the oracle fixtures cut them), so it proves nothing.
        let computed: Vec<String> = machine
            .zone_movable_pfn
            .iter()
            .enumerate()
            .filter(|&(_, &pfn)| pfn != 0)
            .map(|(node, &pfn)| format!("node {node} at {:#x}", pfn * PAGE_SIZE_BYTES))
            .collect();
        if !computed.is_empty() {
            notes.push(format!(
                "dmesg's \"{MOVABLE_START}\" is followed by no `Node N:` lines (the kernel had no ZONE_MOVABLE, or \
                 the lines were cut from this dmesg), while the model computes ZONE_MOVABLE on {}; the model's is \
                 used",
                computed.join(", ")
            ));
        }
        return;
    }
    let nodes = machine.zone_movable_pfn.len().max(
        printed
            .iter()
            .map(|&(node, _, _)| {
                usize::try_from(node)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1)
            })
            .max()
            .unwrap_or(0),
    );
    let mut differences = Vec::new();
    for node in 0..nodes {
        let computed = machine.zone_movable_pfn.get(node).copied().unwrap_or(0);
        let from_dmesg = printed
            .iter()
            .find(|&&(id, _, _)| id == node as u64)
            .map(|&(_, pfn, line)| (pfn, line));
        let say = |pfn: u64| {
            if pfn == 0 {
                "none".to_string()
            } else {
                format!("{:#x} (pfn {pfn:#x})", pfn * PAGE_SIZE_BYTES)
            }
        };
        match from_dmesg {
            Some((pfn, _)) if pfn == computed => {}
            None if computed == 0 => {}
            Some((pfn, line)) => differences.push(format!(
                "node {node}: dmesg (line {line}) says {}, the model computes {}",
                say(pfn),
                say(computed)
            )),
            None => differences.push(format!(
                "node {node}: dmesg prints no start (no ZONE_MOVABLE), the model computes {}",
                say(computed)
            )),
        }
    }
    if differences.is_empty() {
        if !printed.is_empty() {
            notes.push(format!(
                "dmesg's \"{MOVABLE_START}\" lines match the model's ZONE_MOVABLE starts on all {} nodes that have one",
                printed.len()
            ));
        }
        return;
    }
    notes.push(format!(
        "dmesg's \"{MOVABLE_START}\" lines (the kernel's result) differ from what the model computes from the \
         command line and memory ranges: {}. The model's starts are used; a difference means an input the model \
         does not see (kernelcore=mirror, hotplug flags the kernel cleared on nodes holding its own memory, or a \
         command line from another boot)",
        differences.join("; ")
    ));
}
