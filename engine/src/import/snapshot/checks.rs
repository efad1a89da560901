//! Cross-checks between the sources of a snapshot that say the same thing twice:
//! the zones the engine derives from dmesg's memory ranges against zoneinfo's
//! start_pfn/spanned/present, zoneinfo's managed against present, and the CPUs and
//! nodes as dmesg, sysfs and zoneinfo list them.
//!
//! Each disagreement is named with both values. It is an error when the two cannot
//! come from one boot of one machine, and a note (saying which value is used) when
//! something that happens after boot explains it: memory or CPUs hot-added or taken
//! offline, a node brought online.

use super::dmesg::dmesg_message;
use super::movable_lines::check_movable_starts;
use super::reserve_lines::check_reserve_lines;
use super::sections::{Section, Sections};
use super::zone_layout::{zone_blocks, ZoneInfoBlock};
use super::{
    SnapshotError, BUILT_FROM_ZONEINFO, CPU_ONLINE, DMESG, EARLY_RANGES, NODE_DIR, ZONEINFO,
};
use crate::machine::{Machine, MachineConfig};
use crate::text::{format_cpulist, parse_cpulist, parse_decimal};
use crate::types::ZoneType;

/// Runs every cross-check on an imported machine, then says once what was copied
/// and what recomputed. The machine is booted once here for the checks that compare
/// with the engine's results (an impossible machine is reported by whoever builds
/// it, so those checks are skipped for it).
pub(super) fn cross_check(
    sections: &Sections<'_>,
    dmesg: &Section<'_>,
    config: &MachineConfig,
    notes: &mut Vec<String>,
) -> Result<(), SnapshotError> {
    let blocks = match sections.one(ZONEINFO)? {
        Some(section) => zone_blocks(section),
        None => Vec::new(),
    };
    let machine = Machine::build(config).ok();
    check_layout(config, machine.as_ref(), &blocks, notes)?;
    check_cpus(sections, config, &blocks, notes)?;
    check_nodes(sections, config, &blocks, notes)?;
    check_reserve_lines(dmesg, config, machine.as_ref(), notes)?;
    check_movable_starts(dmesg, machine.as_ref(), notes);
    let from_zoneinfo = dmesg
        .lines
        .iter()
        .any(|(_, line)| line.trim() == BUILT_FROM_ZONEINFO);
    notes.push(copied_and_recomputed(config, from_zoneinfo));
    Ok(())
}

/// The one note that says which inputs are copied from the snapshot and which
/// results the engine recomputes, and why watermarks are not copied.
fn copied_and_recomputed(config: &MachineConfig, ranges_from_zoneinfo: bool) -> String {
    let ranges = if ranges_from_zoneinfo {
        "the memory ranges (built from /proc/zoneinfo's start_pfn, spanned and present, holes placed as the note on the layout says)"
            .to_string()
    } else {
        format!("the memory ranges (dmesg's \"{EARLY_RANGES}\")")
    };
    let managed = if config.managed.is_empty() {
        "managed counts estimated (present minus the memory map: no zoneinfo to copy)"
    } else {
        "the managed counts (zoneinfo)"
    };
    format!(
        "copied from the snapshot: {ranges}, {managed}, the sysctls, the \
         command line's kernelcore=/movablecore=/movable_node/transparent_hugepage=, the CPUs of each node and the \
         SLIT distances. Recomputed as Linux {} boots: the zones (start, spanned, present, ZONE_MOVABLE), \
         watermarks, lowmem_reserve, per-cpu high/batch and the zonelists. Watermarks are recomputed, not copied, \
         because the snapshot's zoneinfo watermarks were computed before the last pages (the freed init memory, \
         the initrd) reached the buddy allocator; the kernel's next recompute uses the final managed counts, as \
         the model does",
        config.kernel
    )
}

/// The zones the engine derives from dmesg against zoneinfo's, and zoneinfo's
/// managed against present. The first disagreement of each kind is named.
fn check_layout(
    config: &MachineConfig,
    machine: Option<&Machine>,
    blocks: &[ZoneInfoBlock],
    notes: &mut Vec<String>,
) -> Result<(), SnapshotError> {
    for block in blocks {
        let Some(zone) = block.zone else { continue };
        if block.managed > block.present {
            return Err(SnapshotError::in_section(
                ZONEINFO,
                (block.line > 0).then_some(block.line),
                format!(
                    "node {} zone {} has `managed {}` above `present {}`; one kernel never prints that (managed \
                     pages are present pages the buddy allocator got), so the section is edited or garbled",
                    block.node,
                    zone.name(),
                    block.managed,
                    block.present
                ),
            ));
        }
    }
    let Some(machine) = machine else {
        return Ok(());
    };
    // Every zone either side: zoneinfo's blocks, then populated zones the engine
    // derives that zoneinfo does not list (zoneinfo lists every zone of every online
    // node, so a missing one has no pages there).
    let mut compared: Vec<ZoneInfoBlock> = blocks
        .iter()
        .filter(|b| b.zone.is_some())
        .cloned()
        .collect();
    if !blocks.is_empty() {
        for zone in machine.zones().filter(|zone| zone.present > 0) {
            let listed = blocks
                .iter()
                .any(|block| block.node == zone.node && block.zone == Some(zone.zone_type));
            if !listed {
                compared.push(ZoneInfoBlock {
                    node: zone.node,
                    zone: Some(zone.zone_type),
                    ..ZoneInfoBlock::default()
                });
            }
        }
    }
    // Every error is found; of the explainable differences the first is named.
    let mut noted = false;
    for block in &compared {
        let Some(zone_type) = block.zone else {
            continue;
        };
        let derived = machine.zone(block.node, zone_type);
        let (start, spanned, present) = derived.map_or((0, 0, 0), |z| {
            if z.spanned == 0 {
                (0, 0, 0)
            } else {
                (z.start_pfn, z.spanned, z.present)
            }
        });
        let info_start = block
            .start_pfn
            .unwrap_or(if block.spanned == 0 { 0 } else { start });
        if block.spanned == 0 && block.present == 0 && present == 0 {
            continue;
        }
        if (info_start, block.spanned, block.present) == (start, spanned, present) {
            continue;
        }
        let both = format!(
            "dmesg's \"{EARLY_RANGES}\" give node {} zone {} start_pfn {start}, spanned {spanned}, present \
             {present}; {ZONEINFO} says start_pfn {info_start}, spanned {}, present {}",
            block.node,
            zone_type.name(),
            block.spanned,
            block.present
        );
        let end = start + spanned;
        let info_end = info_start.saturating_add(block.spanned);
        let grown =
            (spanned == 0 || info_start <= start) && info_end >= end && block.present >= present;
        let shrunk = (block.spanned == 0 || (info_start >= start && info_end <= end))
            && block.present <= present;
        let hotplug_zone = matches!(zone_type, ZoneType::Normal | ZoneType::Movable);
        if hotplug_zone && (grown || shrunk) && noted {
            continue;
        }
        if hotplug_zone && grown {
            noted = true;
            notes.push(format!(
                "{both}. More memory than at boot: probably hot-added after boot (or ZONE_MOVABLE placed other \
                 than the model computes). The boot-time layout from dmesg is used (the model boots the machine)"
            ));
        } else if hotplug_zone && shrunk {
            noted = true;
            notes.push(format!(
                "{both}. Less memory than at boot: probably taken offline after boot (or ZONE_MOVABLE placed \
                 other than the model computes). The boot-time layout from dmesg is used (the model boots the \
                 machine)"
            ));
        } else {
            return Err(SnapshotError::in_section(
                ZONEINFO,
                (block.line > 0).then_some(block.line),
                format!(
                    "{both}. These cannot be one machine (memory hotplug never changes a {} zone that way); are \
                     dmesg and zoneinfo from two different machines?",
                    zone_type.name()
                ),
            ));
        }
    }
    for count in &config.managed {
        let present = machine
            .zone(count.node, count.zone)
            .map_or(0, |zone| zone.present);
        if count.managed > present {
            notes.push(format!(
                "{ZONEINFO} says node {} zone {} manages {} pages, more than the {present} present pages dmesg's \
                 ranges give it; {present} is used (a zone cannot manage more pages than it has)",
                count.node,
                count.zone.name(),
                count.managed
            ));
        }
    }
    Ok(())
}

/// dmesg's "smp: Brought up N nodes, M CPUs", as (nodes, CPUs).
fn brought_up(sections: &Sections<'_>) -> Result<Option<(u64, u64)>, SnapshotError> {
    let Some(dmesg) = sections.one(DMESG)? else {
        return Ok(None);
    };
    Ok(dmesg.lines.iter().find_map(|(_, line)| {
        let rest = dmesg_message(line)
            .trim()
            .strip_prefix("smp: Brought up ")?;
        let (nodes, cpus) = rest.split_once(", ")?;
        let nodes = nodes
            .strip_suffix(" nodes")
            .or_else(|| nodes.strip_suffix(" node"))?;
        let cpus = cpus
            .strip_suffix(" CPUs")
            .or_else(|| cpus.strip_suffix(" CPU"))?;
        Some((parse_decimal(nodes)?, parse_decimal(cpus)?))
    }))
}

/// The online CPUs of `/sys/devices/system/cpu/online`, when that section reads.
fn online_cpus(sections: &Sections<'_>) -> Result<Option<Vec<u32>>, SnapshotError> {
    let Some(section) = sections.one(CPU_ONLINE)? else {
        return Ok(None);
    };
    Ok(section
        .single_line()?
        .and_then(|(_, text)| parse_cpulist(text).ok()))
}

/// CPUs: zoneinfo's pagesets and `cpu/online` both list the CPUs online when the
/// snapshot was taken, so they must agree (an error); the node cpulists the model
/// uses, and dmesg's count at boot, may differ from them by CPUs taken offline or
/// brought online after boot (a note).
fn check_cpus(
    sections: &Sections<'_>,
    config: &MachineConfig,
    blocks: &[ZoneInfoBlock],
    notes: &mut Vec<String>,
) -> Result<(), SnapshotError> {
    let online = online_cpus(sections)?;
    let mut in_nodes: Vec<u32> = config
        .nodes
        .iter()
        .flat_map(|node| node.cpus.iter().copied())
        .collect();
    crate::types::sort::sort(&mut in_nodes);
    let pagesets = blocks
        .iter()
        .find(|block| !block.cpus.is_empty())
        .map(|block| {
            let mut cpus = block.cpus.clone();
            crate::types::sort::sort(&mut cpus);
            cpus.dedup();
            (block.line, cpus)
        });
    if let (Some(online), Some((line, pagesets))) = (&online, &pagesets) {
        if online != pagesets {
            return Err(SnapshotError::in_section(
                ZONEINFO,
                (*line > 0).then_some(*line),
                format!(
                    "the zones' pagesets list CPUs {} but `{CPU_ONLINE}` says {}; both list the CPUs online when \
                     the snapshot was taken, so they cannot be from one machine at one time",
                    format_cpulist(pagesets),
                    format_cpulist(online)
                ),
            ));
        }
    }
    let has_node_lists = !sections.numbered(NODE_DIR, "/cpulist")?.is_empty();
    if let (true, Some(online)) = (has_node_lists, &online) {
        if *online != in_nodes {
            notes.push(format!(
                "the node cpulists hold CPUs {} but `{CPU_ONLINE}` says {}; the node cpulists are used (captured \
                 at different times, or CPUs changed state in between?)",
                format_cpulist(&in_nodes),
                format_cpulist(online)
            ));
        }
    }
    if let Some((_, count)) = brought_up(sections)? {
        let now = online.as_ref().map_or(in_nodes.len(), Vec::len) as u64;
        if count != now && (has_node_lists || online.is_some()) {
            notes.push(format!(
                "dmesg says {count} CPUs were brought up at boot, but {now} are online in the snapshot \
                 (CPUs taken offline or hot-added after boot, or `maxcpus=`); the {now} online CPUs are used"
            ));
        }
    }
    Ok(())
}

/// Nodes: zoneinfo, the node directories (cpulist, distance) and dmesg's count at
/// boot. A node brought online after boot explains a count that grew (a note).
fn check_nodes(
    sections: &Sections<'_>,
    config: &MachineConfig,
    blocks: &[ZoneInfoBlock],
    notes: &mut Vec<String>,
) -> Result<(), SnapshotError> {
    let mut zoneinfo_nodes: Vec<u32> = blocks.iter().map(|block| block.node).collect();
    crate::types::sort::sort(&mut zoneinfo_nodes);
    zoneinfo_nodes.dedup();
    let listed = |suffix: &str| -> Result<Vec<u32>, SnapshotError> {
        Ok(sections
            .numbered(NODE_DIR, suffix)?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    };
    let mut sources: Vec<(String, Vec<u32>)> = Vec::new();
    if !zoneinfo_nodes.is_empty() {
        sources.push((format!("`{ZONEINFO}`"), zoneinfo_nodes));
    }
    for suffix in ["/distance", "/cpulist"] {
        let ids = listed(suffix)?;
        if !ids.is_empty() {
            sources.push((format!("the `{NODE_DIR}N{suffix}` sections"), ids));
        }
    }
    if let Some(((first, first_ids), rest)) = sources.split_first() {
        if let Some((other, other_ids)) = rest.iter().find(|(_, ids)| ids != first_ids) {
            notes.push(format!(
                "{first} lists nodes {} but {other} list nodes {}; every online node is in both, so a section is \
                 missing or comes from another machine. The model has {} nodes",
                format_cpulist(first_ids),
                format_cpulist(other_ids),
                config.nodes.len()
            ));
        }
    }
    if let Some((count, _)) = brought_up(sections)? {
        let online = config
            .nodes
            .iter()
            .filter(|node| !node.memory.is_empty() || !node.cpus.is_empty())
            .count() as u64;
        if count != online {
            notes.push(format!(
                "dmesg says {count} nodes were online when the CPUs were brought up, but the snapshot has {online} \
                 nodes with memory or CPUs (a node brought online after boot, or sections from another machine?); \
                 the snapshot's {online} are used"
            ));
        }
    }
    Ok(())
}
