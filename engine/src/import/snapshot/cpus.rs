//! The CPUs of each node: the sysfs cpulists, else the online CPUs on node 0, else
//! the count dmesg says were brought up.

use super::dmesg::dmesg_message;
use super::sections::{Section, Sections};
use super::{node_entry, SnapshotError, CPU_ONLINE, NODE_DIR};
use crate::limits::CPUS_MAX;
use crate::machine::NodeConfig;
use crate::text::{parse_cpulist, parse_decimal};

pub(super) fn cpus_per_node(
    sections: &Sections<'_>,
    dmesg: &Section<'_>,
    nodes: &mut Vec<NodeConfig>,
    notes: &mut Vec<String>,
) -> Result<(), SnapshotError> {
    let lists = sections.numbered(NODE_DIR, "/cpulist")?;
    let mut total = 0usize;
    if !lists.is_empty() {
        for (id, section) in lists {
            let cpus = match section.single_line()? {
                Some((number, text)) => parse_cpulist(text).map_err(|message| {
                    SnapshotError::in_section(section.source, Some(number), message)
                })?,
                None => Vec::new(),
            };
            total = total.saturating_add(cpus.len());
            if total > CPUS_MAX as usize {
                return Err(SnapshotError::in_section(
                    section.source,
                    section.header_line(),
                    format!("more than {CPUS_MAX} CPUs in all nodes' cpulists; the limit is {CPUS_MAX} (NR_CPUS)"),
                ));
            }
            node_entry(nodes, id).cpus = cpus;
        }
        return Ok(());
    }
    let what = if nodes.len() > 1 {
        " Every CPU was put on node 0, which changes per-cpu list sizes on the other nodes"
    } else {
        ""
    };
    if let Some(section) = sections.one(CPU_ONLINE)? {
        let cpus = match section.single_line()? {
            Some((number, text)) => parse_cpulist(text)
                .map_err(|message| SnapshotError::in_section(CPU_ONLINE, Some(number), message))?,
            None => Vec::new(),
        };
        if !cpus.is_empty() {
            notes.push(format!(
                "no `{NODE_DIR}N/cpulist` sections: the CPUs of `{CPU_ONLINE}` are taken to be on node 0.{what}"
            ));
            node_entry(nodes, 0).cpus = cpus;
            return Ok(());
        }
    }
    // dmesg: "smp: Brought up 1 node, 2 CPUs".
    let brought_up = dmesg.lines.iter().find_map(|(_, line)| {
        let message = dmesg_message(line).trim();
        let rest = message.strip_prefix("smp: Brought up ")?;
        let (_, cpus) = rest.rsplit_once(", ")?;
        let count = cpus
            .strip_suffix(" CPUs")
            .or_else(|| cpus.strip_suffix(" CPU"))?;
        parse_decimal(count)
    });
    if let Some(count) = brought_up.filter(|count| (1..=CPUS_MAX as u64).contains(count)) {
        notes.push(format!(
            "no `{NODE_DIR}N/cpulist` or `{CPU_ONLINE}` sections: dmesg says {count} CPUs were brought up; \
             they are taken to be CPUs 0-{} on node 0.{what}",
            count - 1
        ));
        node_entry(nodes, 0).cpus = (0..count as u32).collect();
        return Ok(());
    }
    notes.push(format!(
        "no CPU information (no `{NODE_DIR}N/cpulist`, no `{CPU_ONLINE}`): the machine is taken to have one CPU, \
         CPU 0 on node 0.{what}"
    ));
    node_entry(nodes, 0).cpus = vec![0];
    Ok(())
}
