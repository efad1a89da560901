//! Reading a machine snapshot: the text anyone can capture on a real Linux machine
//! (`dmesg`, `/proc/cmdline`, `/proc/zoneinfo`, a few `/proc/sys/vm` and `/sys` files,
//! each under a `==> SOURCE <==` header as `tail -v` prints it) and turning it into a
//! [`MachineConfig`].
//!
//! Only the kernel's *inputs* are used to build the machine: the firmware memory map
//! as the kernel printed it ("Early memory node ranges"), the command line, the SRAT's
//! hotpluggable ranges (with `movable_node`), CPUs per node, the SLIT distances, the
//! sysctls, the THP mode and the final managed page counts. The lines the kernel
//! prints as *results* ("Movable zone start", zoneinfo's zone sizes, the `Memory:`
//! line) are only compared with what the engine computes (`checks.rs`): every
//! disagreement between two sources is named with both values, as an error when they
//! cannot come from one machine, as a note when something after boot explains it.
//!
//! Node ids are the kernel's, as every one of those sources prints them: the firmware's
//! proximity domains (`ACPI: SRAT: Node N PXM P`) are numbered in the order the kernel
//! meets them, and the SLIT, PXM-indexed in firmware, reaches sysfs as
//! `nodeN/distance` rows by node id. So the SRAT lines are not read, and the distance
//! matrix is by node id with nothing to translate.
//!
//! Parsing never panics. Every problem is a [`SnapshotError`] naming the section (and
//! the line of the file) and what was expected there; every section that was missing
//! and replaced by a default is listed in [`Imported::notes`].
//!
//! One file per part of the snapshot: `sections.rs` splits the text at its headers,
//! `dmesg.rs` reads the memory ranges, `version.rs` the kernel version (and which
//! rules differ on another one), `cpus.rs` the CPUs of each node, `cmdline.rs` the
//! command line, `distances.rs` the SLIT rows, `zoneinfo.rs` the managed counts,
//! `sysctls.rs` the sysctls, `thp.rs` the THP mode and `movable_lines.rs` the SRAT
//! hotplug ranges and the printed ZONE_MOVABLE starts. `checks.rs` cross-checks the
//! sources (with `zone_layout.rs`, zoneinfo's zone sizes and pageset CPUs, and
//! `reserve_lines.rs`, the `Memory:`, `Freeing` and `DMA zone` lines) and says once
//! what was copied and what recomputed. The small parsers of the kernel's text forms
//! (cpulists, `memparse()` sizes, physical ranges) are in [`crate::text`], shared
//! with the scenario format.

mod checks;
mod cmdline;
mod cpus;
mod decode;
mod distances;
mod dmesg;
mod intake;
mod movable_lines;
mod numactl;
mod reserve_lines;
mod sections;
mod sosreport;
mod sysctls;
#[cfg(test)]
mod tests;
mod thp;
mod version;
mod zone_layout;
mod zoneinfo;
mod zoneinfo_layout;

pub use intake::{
    decode_file, decode_trace_file, is_machine_text, read_machine, FileUse, InputFile, Intake,
    PASTED,
};
pub use sosreport::{is_read_path, SOSREPORT_FILES};

pub use version::KernelVersion;

use core::fmt;

use crate::limits::SNAPSHOT_BYTES_MAX;
use crate::machine::{MachineConfig, NodeConfig};

use cmdline::command_line;
use cpus::cpus_per_node;
use distances::{distance_matrix, distance_rows};
use dmesg::{dmesg_message, is_ranges_header, memory_ranges};
use sections::{section_header, split_sections};
use sysctls::sysctls;
use thp::thp_mode;
use version::{kernel_version, kernel_version_notes};
use zoneinfo::managed_counts;

const DMESG: &str = "dmesg";
const CMDLINE: &str = "/proc/cmdline";
const ZONEINFO: &str = "/proc/zoneinfo";
const THP_ENABLED: &str = "/sys/kernel/mm/transparent_hugepage/enabled";
const CPU_ONLINE: &str = "/sys/devices/system/cpu/online";
const NODE_DIR: &str = "/sys/devices/system/node/node";
const SYSCTL_MIN_FREE: &str = "/proc/sys/vm/min_free_kbytes";
const SYSCTL_WSF: &str = "/proc/sys/vm/watermark_scale_factor";
const SYSCTL_WBF: &str = "/proc/sys/vm/watermark_boost_factor";
const SYSCTL_LRR: &str = "/proc/sys/vm/lowmem_reserve_ratio";
const SYSCTL_PHF: &str = "/proc/sys/vm/percpu_pagelist_high_fraction";

const EARLY_RANGES: &str = "Early memory node ranges";
/// The line the intake adds after the "Early memory node ranges" it builds from a
/// /proc/zoneinfo when no dmesg gives them.
const BUILT_FROM_ZONEINFO: &str = "(memory ranges built by Buddyscope from /proc/zoneinfo)";
/// The line that ends those built ranges.
const END_OF_BUILT: &str = "(end of the built ranges)";
const RANGE_EXAMPLE: &str = "`  node   0: [mem 0x0000000000001000-0x000000000009efff]`";

/// A machine read from a snapshot, with what was missing and how it was filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub config: MachineConfig,
    /// One sentence per section that was missing (and the default used instead), or
    /// per oddity worth knowing. Empty when the snapshot had everything.
    pub notes: Vec<String>,
    /// The kernel dmesg's `Linux version` line names; `None` when there is no such
    /// line (a note then says so).
    pub kernel: Option<KernelVersion>,
}

/// A snapshot that cannot be read. The message says what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotError {
    /// The section (`dmesg`, `/proc/zoneinfo`, ...) the problem is in, if any.
    pub section: Option<String>,
    /// The 1-based line of the whole snapshot text, when one line is at fault.
    pub line: Option<usize>,
    pub message: String,
}

impl SnapshotError {
    fn new(message: impl Into<String>) -> SnapshotError {
        SnapshotError::build(None, None, message.into())
    }

    fn in_section(section: &str, line: Option<usize>, message: impl Into<String>) -> SnapshotError {
        SnapshotError::build(Some(section), line, message.into())
    }

    /// The one compiled constructor: every error site of the reader calls it rather
    /// than building (and moving) the struct in place (docs/performance.md, size24).
    #[cold]
    #[inline(never)]
    fn build(section: Option<&str>, line: Option<usize>, message: String) -> SnapshotError {
        SnapshotError {
            section: section.map(str::to_string),
            line,
            message,
        }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.section, self.line) {
            (Some(section), Some(line)) => {
                write!(f, "section `{section}` (line {line}): {}", self.message)
            }
            (Some(section), None) => write!(f, "section `{section}`: {}", self.message),
            (None, Some(line)) => write!(f, "line {line}: {}", self.message),
            (None, None) => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// Whether `text` looks like a snapshot: it has at least one whole-line
/// `==> SOURCE <==` section header.
pub fn is_snapshot(text: &str) -> bool {
    text.lines()
        .any(|line| section_header(line.trim_start_matches('\u{feff}')).is_some())
}

/// Whether `text` has dmesg's "Early memory node ranges" line (a bare dmesg without
/// section headers is read as a snapshot).
pub fn has_early_memory_ranges(text: &str) -> bool {
    text.lines()
        .any(|line| is_ranges_header(dmesg_message(line.trim_start_matches('\u{feff}')).trim()))
}

/// Reads a machine snapshot (see the module documentation and
/// `/work/shared/oracle/README.md` for the format).
///
/// Needed: dmesg's "Early memory node ranges" lines. Everything else is optional and
/// defaults as [`Imported::notes`] says: no kernelcore/movablecore, CPUs from
/// `/sys/devices/system/cpu/online` on node 0, no distance matrix, the kernel's
/// default sysctls, THP as the kernel would set it at boot, no managed counts.
pub fn parse_snapshot(text: &str) -> Result<Imported, SnapshotError> {
    if text.len() > SNAPSHOT_BYTES_MAX {
        return Err(SnapshotError::new(format!(
            "the snapshot is {} bytes; the limit is {SNAPSHOT_BYTES_MAX} bytes (16 MiB). \
             A snapshot needs only dmesg and a few small /proc and /sys files",
            text.len()
        )));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut notes = Vec::new();
    let sections = split_sections(text, &mut notes);

    // Memory: dmesg's "Early memory node ranges".
    let dmesg = sections.one(DMESG)?;
    let Some(dmesg) = dmesg else {
        return Err(SnapshotError::new(format!(
            "no `dmesg` section: the memory layout is read from dmesg's \"{EARLY_RANGES}\" lines. \
             Start the snapshot with a line `==> dmesg <==` followed by the output of `dmesg`"
        )));
    };
    let ranges = memory_ranges(dmesg, &mut notes)?;
    let kernel = kernel_version(dmesg);
    if kernel.is_none() && is_only_built_ranges(dmesg) {
        notes.push(
            "no dmesg was given (the memory ranges were built from /proc/zoneinfo): the kernel that wrote the files \
             is unknown, and the machine is set up by Linux 6.1's rules"
                .to_string(),
        );
    } else {
        kernel_version_notes(kernel.as_ref(), &mut notes);
    }

    let mut nodes: Vec<NodeConfig> = Vec::new();
    for (node, range) in ranges {
        node_entry(&mut nodes, node).memory.push(range);
    }

    // CPUs.
    cpus_per_node(&sections, dmesg, &mut nodes, &mut notes)?;

    // The command line: kernelcore=, movablecore=, transparent_hugepage=.
    let cmdline = command_line(&sections, dmesg, &mut notes)?;
    let movable_node = movable_lines::movable_node_input(dmesg, cmdline.movable_node, &mut notes)?;

    // Distances (may add nodes that are online but empty).
    let distance_rows = distance_rows(&sections)?;

    // Managed counts.
    let managed = match sections.one(ZONEINFO)? {
        Some(section) => managed_counts(section)?,
        None => {
            notes.push(format!(
                "no `{ZONEINFO}` section: managed pages will be estimated (present pages minus the memory map) \
                 instead of copied from the real machine"
            ));
            Vec::new()
        }
    };
    for count in &managed {
        let has_memory = nodes
            .get(count.node as usize)
            .is_some_and(|node| !node.memory.is_empty());
        if !has_memory {
            return Err(SnapshotError::in_section(
                ZONEINFO,
                None,
                format!(
                    "node {} zone {} has present pages, but dmesg's \"{EARLY_RANGES}\" shows no memory on node {}; \
                     are the sections from two different machines?",
                    count.node,
                    count.zone.name(),
                    count.node
                ),
            ));
        }
    }

    let distances = distance_matrix(distance_rows, &mut nodes, &mut notes)?;

    for (id, node) in nodes.iter().enumerate() {
        if node.memory.is_empty() && node.cpus.is_empty() {
            notes.push(format!(
                "node {id} has no memory and no CPUs in this snapshot; it is kept as an empty node so that node ids \
                 stay the same"
            ));
        }
    }

    let sysctls = sysctls(&sections, &mut notes)?;
    let thp = thp_mode(
        &sections,
        &cmdline,
        &nodes,
        &managed,
        kernel.as_ref(),
        &mut notes,
    )?;

    let config = MachineConfig {
        nodes,
        distances,
        section_size_bits: 27,
        kernelcore: cmdline.kernelcore,
        movablecore: cmdline.movablecore,
        thp,
        sysctls,
        reserved: Vec::new(),
        managed,
        cma_bytes: None,
        movable_node,
        kernel: kernel
            .as_ref()
            .map_or(crate::types::Kernel::V6_1, KernelVersion::kernel),
        mobility_grouping: None,
    };
    checks::cross_check(&sections, dmesg, &config, &mut notes)?;
    Ok(Imported {
        config,
        notes,
        kernel,
    })
}

/// `nodes[id]`, creating empty nodes up to it.
fn node_entry(nodes: &mut Vec<NodeConfig>, id: u32) -> &mut NodeConfig {
    let id = id as usize;
    if nodes.len() <= id {
        nodes.resize_with(id + 1, NodeConfig::default);
    }
    match nodes.get_mut(id) {
        Some(node) => node,
        None => unreachable!("the nodes were just extended to hold node {id}"),
    }
}

/// Whether the dmesg section holds nothing but the ranges the intake built from a
/// /proc/zoneinfo (no dmesg was given at all).
fn is_only_built_ranges(dmesg: &sections::Section<'_>) -> bool {
    let built = |message: &str| {
        message.is_empty()
            || message == EARLY_RANGES
            || message == BUILT_FROM_ZONEINFO
            || message == END_OF_BUILT
            || (message.starts_with("node ") && message.contains("[mem "))
    };
    dmesg
        .lines
        .iter()
        .any(|(_, line)| line.trim() == BUILT_FROM_ZONEINFO)
        && dmesg.lines.iter().all(|(_, line)| built(line.trim()))
}
