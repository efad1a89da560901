//! Reading a machine snapshot: the text anyone can capture on a real Linux machine
//! (`dmesg`, `/proc/cmdline`, `/proc/zoneinfo`, a few `/proc/sys/vm` and `/sys` files,
//! each under a `==> SOURCE <==` header as `tail -v` prints it) and turning it into a
//! [`MachineConfig`].
//!
//! Only the kernel's *inputs* are read: the firmware memory map as the kernel printed it
//! ("Early memory node ranges"), the command line, CPUs per node, the SLIT distances,
//! the sysctls, the THP mode and the final managed page counts. The lines the kernel
//! prints as *results* of its zone setup ("Zone ranges", "Movable zone start",
//! zonelists, "Fallback order") are never used: the engine computes those itself.
//!
//! Parsing never panics. Every problem is a [`SnapshotError`] naming the section (and
//! the line of the file) and what was expected there; every section that was missing
//! and replaced by a default is listed in [`Imported::notes`].
//!
//! The small parsers for the kernel's text formats (cpulists, `memparse()` sizes,
//! physical ranges) are public: the scenario format uses the same syntax.

use crate::limits::{CPUS_MAX, NODES_MAX, PHYS_READ_BYTES_MAX, SNAPSHOT_BYTES_MAX};
use core::fmt;

use crate::machine::config::parse_core_size_lenient;
use crate::machine::{CoreSize, MachineConfig, ManagedCount, NodeConfig, Sysctls, ThpMode};
use crate::text::{inclusive_to_pfns, parse_cpulist, parse_decimal, parse_hex, shorten};
use crate::types::PAGE_SIZE_BYTES;
use crate::types::{PfnRange, ZoneType};

/// The kernel turns transparent hugepages off at boot on machines with less than
/// this much RAM (`hugepage_init()`: `totalram_pages() < 512 << (20 - PAGE_SHIFT)`).
const THP_MIN_RAM_PAGES: u64 = (512 << 20) / PAGE_SIZE_BYTES;

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
const RANGE_EXAMPLE: &str = "`  node   0: [mem 0x0000000000001000-0x000000000009efff]`";

/// A machine read from a snapshot, with what was missing and how it was filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub config: MachineConfig,
    /// One sentence per section that was missing (and the default used instead), or
    /// per oddity worth knowing. Empty when the snapshot had everything.
    pub notes: Vec<String>,
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
        SnapshotError {
            section: None,
            line: None,
            message: message.into(),
        }
    }

    fn in_section(section: &str, line: Option<usize>, message: impl Into<String>) -> SnapshotError {
        SnapshotError {
            section: Some(section.to_string()),
            line,
            message: message.into(),
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
        .any(|line| dmesg_message(line.trim_start_matches('\u{feff}')).trim() == EARLY_RANGES)
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
    kernel_version_note(dmesg, &mut notes);

    let mut nodes: Vec<NodeConfig> = Vec::new();
    for (node, range) in ranges {
        node_entry(&mut nodes, node).memory.push(range);
    }

    // CPUs.
    cpus_per_node(&sections, dmesg, &mut nodes, &mut notes)?;

    // The command line: kernelcore=, movablecore=, transparent_hugepage=.
    let cmdline = command_line(&sections, dmesg, &mut notes)?;

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
    let thp = thp_mode(&sections, &cmdline, &nodes, &managed, &mut notes)?;

    Ok(Imported {
        config: MachineConfig {
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
        },
        notes,
    })
}

// ---------------------------------------------------------------------------------
// Sections.

struct Section<'a> {
    source: &'a str,
    /// 1-based line number of the header in the whole text (0: no header, the text
    /// was read as plain dmesg).
    header_line: usize,
    /// (1-based line number, text) of each line of the body.
    lines: Vec<(usize, &'a str)>,
}

impl Section<'_> {
    /// The body's non-blank lines.
    fn content_lines(&self) -> impl Iterator<Item = &(usize, &str)> {
        self.lines
            .iter()
            .filter(|(_, text)| !text.trim().is_empty())
    }

    /// The body of a file that holds one line (a sysctl, a cpulist): that line, or
    /// `None` when the body is blank.
    fn single_line(&self) -> Result<Option<(usize, &str)>, SnapshotError> {
        let mut lines = self.content_lines();
        let first = lines.next().map(|&(n, text)| (n, text.trim()));
        if let Some(&(n, _)) = lines.next() {
            return Err(SnapshotError::in_section(
                self.source,
                Some(n),
                "expected one line (this file holds one value), found more; is a section header missing?",
            ));
        }
        Ok(first)
    }

    fn header_line(&self) -> Option<usize> {
        (self.header_line > 0).then_some(self.header_line)
    }
}

struct Sections<'a> {
    list: Vec<Section<'a>>,
}

impl<'a> Sections<'a> {
    /// The section called `source`; an error if there are two.
    fn one(&self, source: &str) -> Result<Option<&Section<'a>>, SnapshotError> {
        let mut found = self.list.iter().filter(|section| section.source == source);
        let first = found.next();
        if let Some(second) = found.next() {
            return Err(SnapshotError::in_section(
                source,
                second.header_line(),
                format!(
                    "the section appears twice (first at line {}); keep one",
                    first.map_or(0, |section| section.header_line)
                ),
            ));
        }
        Ok(first)
    }

    /// Sections whose source is `{prefix}N{suffix}`, with N, sorted by N. Errors on
    /// a malformed or too-large N and on duplicates.
    fn numbered(
        &self,
        prefix: &str,
        suffix: &str,
    ) -> Result<Vec<(u32, &Section<'a>)>, SnapshotError> {
        let mut out: Vec<(u32, &Section<'a>)> = Vec::new();
        for section in &self.list {
            let Some(number) = section
                .source
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(suffix))
            else {
                continue;
            };
            let id = match parse_decimal(number) {
                Some(id) if id < NODES_MAX as u64 => id as u32,
                Some(_) => {
                    return Err(SnapshotError::in_section(
                        section.source,
                        section.header_line(),
                        format!(
                        "node {number} is beyond the limit of {NODES_MAX} nodes (node ids 0 to {})",
                        NODES_MAX - 1
                    ),
                    ))
                }
                None => {
                    return Err(SnapshotError::in_section(
                        section.source,
                        section.header_line(),
                        format!("expected a node number in the path, like `{prefix}0{suffix}`"),
                    ))
                }
            };
            if let Some((_, earlier)) = out.iter().find(|(other, _)| *other == id) {
                return Err(SnapshotError::in_section(
                    section.source,
                    section.header_line(),
                    format!(
                        "the section appears twice (first at line {}); keep one",
                        earlier.header_line
                    ),
                ));
            }
            out.push((id, section));
        }
        out.sort_by_key(|(id, _)| *id);
        Ok(out)
    }
}

/// `Some(SOURCE)` when `line` is exactly `==> SOURCE <==`.
fn section_header(line: &str) -> Option<&str> {
    line.strip_prefix("==> ")?.strip_suffix(" <==")
}

fn split_sections<'a>(text: &'a str, notes: &mut Vec<String>) -> Sections<'a> {
    let mut list: Vec<Section<'a>> = Vec::new();
    let mut preamble: Vec<(usize, &'a str)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(source) = section_header(line) {
            list.push(Section {
                source: source.trim(),
                header_line: number,
                lines: Vec::new(),
            });
        } else if let Some(section) = list.last_mut() {
            section.lines.push((number, line));
        } else {
            preamble.push((number, line));
        }
    }
    let preamble_has_text = preamble.iter().any(|(_, line)| !line.trim().is_empty());
    if list.is_empty() {
        if preamble_has_text {
            notes.push(
                "the text has no `==> SOURCE <==` section headers; all of it was read as `dmesg`"
                    .to_string(),
            );
        }
        list.push(Section {
            source: DMESG,
            header_line: 0,
            lines: preamble,
        });
    } else if let Some((number, _)) = preamble.iter().find(|(_, line)| !line.trim().is_empty()) {
        notes.push(format!(
            "text before the first section header (from line {number}) belongs to no section and was ignored"
        ));
    }
    Sections { list }
}

// ---------------------------------------------------------------------------------
// dmesg.

/// The message of a dmesg line: without a `<N>` log-level prefix and a leading
/// `[timestamp]`.
fn dmesg_message(line: &str) -> &str {
    let mut message = line;
    if let Some(rest) = message.strip_prefix('<') {
        if let Some((level, after)) = rest.split_once('>') {
            if !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()) {
                message = after;
            }
        }
    }
    if let Some(rest) = message.strip_prefix('[') {
        if let Some((stamp, after)) = rest.split_once(']') {
            let stamp = stamp.trim();
            if !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                message = after;
            }
        }
    }
    message
}

/// The (node, range) pairs under "Early memory node ranges", in printed order.
fn memory_ranges(
    dmesg: &Section<'_>,
    notes: &mut Vec<String>,
) -> Result<Vec<(u32, PfnRange)>, SnapshotError> {
    let mut blocks = dmesg
        .lines
        .iter()
        .enumerate()
        .filter(|(_, (_, line))| dmesg_message(line).trim() == EARLY_RANGES)
        .map(|(index, &(number, _))| (index, number));
    let Some((start, header_number)) = blocks.next() else {
        return Err(SnapshotError::in_section(
            DMESG,
            None,
            format!(
                "no \"{EARLY_RANGES}\" lines; expected lines like {RANGE_EXAMPLE} under \"{EARLY_RANGES}\". \
                 The kernel prints them at boot; if dmesg has wrapped, capture it earlier or from the boot log"
            ),
        ));
    };
    if let Some((_, second)) = blocks.next() {
        return Err(SnapshotError::in_section(
            DMESG,
            Some(second),
            format!(
                "\"{EARLY_RANGES}\" appears twice (first at line {header_number}): dmesg holds more than one boot; \
                 keep only the last one"
            ),
        ));
    }
    let mut ranges = Vec::new();
    // Index in `dmesg.lines` of the first line after the block.
    let mut after = dmesg.lines.len();
    for (index, &(number, line)) in dmesg.lines.iter().enumerate().skip(start + 1) {
        let message = dmesg_message(line).trim();
        after = index;
        let Some(rest) = message.strip_prefix("node") else {
            break;
        };
        if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
            break;
        }
        let Some(parsed) = parse_range_line(rest) else {
            return Err(SnapshotError::in_section(
                DMESG,
                Some(number),
                format!(
                    "cannot read the memory range line `{}`; expected a line like {RANGE_EXAMPLE} \
                     (byte ranges with an inclusive end, page aligned)",
                    shorten(message)
                ),
            ));
        };
        let (node, range) =
            parsed.map_err(|message| SnapshotError::in_section(DMESG, Some(number), message))?;
        ranges.push((node, range));
        after = index + 1;
    }
    if ranges.is_empty() {
        return Err(SnapshotError::in_section(
            DMESG,
            Some(header_number),
            format!(
                "\"{EARLY_RANGES}\" is followed by no lines like {RANGE_EXAMPLE}; is the snapshot truncated?"
            ),
        ));
    }
    if dmesg.lines.len().saturating_sub(after) <= 1 {
        notes.push(format!(
            "dmesg ends right after the \"{EARLY_RANGES}\" lines; if the snapshot was cut short, memory ranges may \
             be missing"
        ));
    }
    Ok(ranges)
}

/// `   0: [mem 0x...-0x...]` (after "node"). `None` if the shape is wrong,
/// `Some(Err)` if the numbers are out of range.
fn parse_range_line(rest: &str) -> Option<Result<(u32, PfnRange), String>> {
    let (id, range) = rest.split_once(':')?;
    let id = parse_decimal(id.trim())?;
    let inner = range.trim().strip_prefix("[mem ")?.strip_suffix(']')?;
    let (start, end) = inner.split_once('-')?;
    let start = parse_hex(start.trim())?;
    let end = parse_hex(end.trim())?;
    if id >= NODES_MAX as u64 {
        return Some(Err(format!(
            "node {id} is beyond the limit of {NODES_MAX} nodes (node ids 0 to {})",
            NODES_MAX - 1
        )));
    }
    Some(inclusive_to_pfns(start, end).map(|range| (id as u32, range)))
}

/// A note when dmesg says the kernel is not 6.1.
fn kernel_version_note(dmesg: &Section<'_>, notes: &mut Vec<String>) {
    for (_, line) in &dmesg.lines {
        if let Some(rest) = dmesg_message(line).trim().strip_prefix("Linux version ") {
            let version = rest.split_whitespace().next().unwrap_or("");
            if !(version.starts_with("6.1.") || version == "6.1") {
                notes.push(format!(
                    "dmesg says this is Linux {}; Buddyscope models Linux 6.1, so other kernels' results may differ",
                    shorten(version)
                ));
            }
            return;
        }
    }
}

/// `nodes[id]`, creating empty nodes up to it.
fn node_entry(nodes: &mut Vec<NodeConfig>, id: u32) -> &mut NodeConfig {
    let id = id as usize;
    if nodes.len() <= id {
        nodes.resize_with(id + 1, NodeConfig::default);
    }
    // In bounds: the vector was just extended to hold `id`.
    &mut nodes[id]
}

// ---------------------------------------------------------------------------------
// CPUs.

fn cpus_per_node(
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

// ---------------------------------------------------------------------------------
// The command line.

#[derive(Default)]
struct CmdlineParams {
    kernelcore: Option<CoreSize>,
    movablecore: Option<CoreSize>,
    thp: Option<ThpMode>,
    /// Where the command line came from, for messages.
    source: String,
}

fn command_line(
    sections: &Sections<'_>,
    dmesg: &Section<'_>,
    notes: &mut Vec<String>,
) -> Result<CmdlineParams, SnapshotError> {
    let (source, line, text) = if let Some(section) = sections.one(CMDLINE)? {
        match section.single_line()? {
            Some((number, text)) => (CMDLINE, Some(number), text),
            None => (CMDLINE, None, ""),
        }
    } else {
        // "Kernel command line:" is /proc/cmdline's text; "Command line:" (printed
        // earlier by setup_arch()) is the boot loader's.
        let find = |prefix: &str| {
            dmesg.lines.iter().find_map(|&(number, line)| {
                dmesg_message(line)
                    .trim()
                    .strip_prefix(prefix)
                    .map(|rest| (number, rest))
            })
        };
        match find("Kernel command line:").or_else(|| find("Command line:")) {
            Some((number, text)) => {
                notes.push(format!(
                    "no `{CMDLINE}` section: the command line was taken from dmesg (line {number})"
                ));
                (DMESG, Some(number), text)
            }
            None => {
                notes.push(format!(
                    "no `{CMDLINE}` section and no \"Command line:\" in dmesg: no kernelcore=, movablecore= or \
                     transparent_hugepage= assumed"
                ));
                return Ok(CmdlineParams::default());
            }
        }
    };

    let mut params = CmdlineParams {
        source: source.to_string(),
        ..CmdlineParams::default()
    };
    // cmdline_parse_core() keeps a byte count and a percentage apart; a later
    // percentage does not clear an earlier size, but a later size clears the
    // percentage; find_zone_movable_pfns_for_nodes() prefers the percentage.
    let mut kernelcore = CoreState::default();
    let mut movablecore = CoreState::default();
    for arg in kernel_args(text) {
        let (name, value) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (arg.as_str(), None),
        };
        let name = name.replace('-', "_");
        let error = |message: String| SnapshotError::in_section(source, line, message);
        match name.as_str() {
            "kernelcore" | "movablecore" => {
                let Some(value) = value else {
                    notes.push(format!("`{name}` without a value on the command line is ignored, as the kernel does"));
                    continue;
                };
                if name == "kernelcore" && value == "mirror" {
                    return Err(error(
                        "`kernelcore=mirror` (ZONE_MOVABLE from mirrored memory) is not modelled by Buddyscope; \
                         remove it, or use a size (`kernelcore=512M`) or a percentage (`kernelcore=25%`)"
                            .to_string(),
                    ));
                }
                let state = if name == "kernelcore" { &mut kernelcore } else { &mut movablecore };
                let (size, rest) = parse_core_size_lenient(value).map_err(|why| error(format!("`{name}={value}`: {why}")))?;
                if !rest.is_empty() {
                    notes.push(format!(
                        "`{name}={value}`: the kernel ignores the trailing `{}`, and so does Buddyscope",
                        shorten(rest)
                    ));
                }
                match size {
                    CoreSize::Percent(percent) => state.percent = Some(percent),
                    CoreSize::Bytes(bytes) => {
                        state.bytes = Some(bytes);
                        state.percent = None;
                    }
                }
            }
            "transparent_hugepage" => match value {
                Some("always") => params.thp = Some(ThpMode::Always),
                Some("madvise") => params.thp = Some(ThpMode::Madvise),
                Some("never") => params.thp = Some(ThpMode::Never),
                _ => notes.push(format!(
                    "`{}` on the command line is not one the kernel accepts (always, madvise, never); it is ignored",
                    shorten(&arg)
                )),
            },
            _ => {}
        }
    }
    params.kernelcore = kernelcore.finish();
    params.movablecore = movablecore.finish();
    Ok(params)
}

#[derive(Default)]
struct CoreState {
    bytes: Option<u64>,
    percent: Option<u8>,
}

impl CoreState {
    fn finish(&self) -> Option<CoreSize> {
        match (self.percent, self.bytes) {
            (Some(percent), _) if percent > 0 => Some(CoreSize::Percent(percent)),
            (_, Some(bytes)) => Some(CoreSize::Bytes(bytes)),
            (Some(percent), None) => Some(CoreSize::Percent(percent)),
            (None, None) => None,
        }
    }
}

/// Splits a command line as the kernel's `next_arg()` does: on spaces outside double
/// quotes, with the quotes removed; stops at `--` (what follows is init's).
fn kernel_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut started = false;
    for c in text.chars() {
        if c == '"' {
            in_quotes = !in_quotes;
            started = true;
        } else if c.is_whitespace() && !in_quotes {
            if started {
                if current == "--" {
                    return args;
                }
                args.push(core::mem::take(&mut current));
                started = false;
            }
        } else {
            current.push(c);
            started = true;
        }
    }
    if started && current != "--" {
        args.push(current);
    }
    args
}

// ---------------------------------------------------------------------------------
// Distances.

/// One `/sys/devices/system/node/nodeN/distance` section, read.
struct DistanceRow<'a> {
    id: u32,
    source: &'a str,
    header_line: Option<usize>,
    distances: Vec<u32>,
}

/// The distance sections, sorted by node id.
fn distance_rows<'a>(sections: &Sections<'a>) -> Result<Vec<DistanceRow<'a>>, SnapshotError> {
    let mut rows = Vec::new();
    for (id, section) in sections.numbered(NODE_DIR, "/distance")? {
        let distances = match section.single_line()? {
            Some((number, text)) => parse_distance_row(text).map_err(|message| {
                SnapshotError::in_section(section.source, Some(number), message)
            })?,
            None => {
                return Err(SnapshotError::in_section(
                    section.source,
                    section.header_line(),
                    "the section is empty; expected one line of distances, like `10 20`",
                ))
            }
        };
        rows.push(DistanceRow {
            id,
            source: section.source,
            header_line: section.header_line(),
            distances,
        });
    }
    Ok(rows)
}

fn parse_distance_row(text: &str) -> Result<Vec<u32>, String> {
    let mut row = Vec::new();
    for word in text.split_whitespace() {
        let value = parse_decimal(word)
            .filter(|&value| value <= u64::from(u32::MAX))
            .ok_or_else(|| {
                format!(
                    "expected whole numbers separated by spaces, found `{}`",
                    shorten(word)
                )
            })?;
        if row.len() >= NODES_MAX {
            return Err(format!(
                "more than {NODES_MAX} distances in one row; the limit is {NODES_MAX} nodes"
            ));
        }
        row.push(value as u32);
    }
    Ok(row)
}

/// Builds `distances[from][to]` for every node id. The sysfs rows list one distance
/// per *online* node, in node order; nodes missing from the rows are filled in with
/// the kernel's defaults (10 local, 20 remote) when they have neither memory nor CPUs.
fn distance_matrix(
    rows: Vec<DistanceRow<'_>>,
    nodes: &mut Vec<NodeConfig>,
    notes: &mut Vec<String>,
) -> Result<Option<Vec<Vec<u32>>>, SnapshotError> {
    if rows.is_empty() {
        if nodes.len() > 1 {
            notes.push(format!(
                "no `{NODE_DIR}N/distance` sections: no distance matrix, so every remote distance is 20"
            ));
        }
        return Ok(None);
    }
    let ids: Vec<u32> = rows.iter().map(|row| row.id).collect();
    let id_list = ids
        .iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    for row in &rows {
        if row.distances.len() != ids.len() {
            return Err(SnapshotError::in_section(
                row.source,
                row.header_line,
                format!(
                    "has {} distances, but there are {} distance rows (nodes {id_list}): the matrix must be square, \
                     one distance per node in each row",
                    row.distances.len(),
                    ids.len()
                ),
            ));
        }
    }
    for (id, node) in nodes.iter().enumerate() {
        if (!node.memory.is_empty() || !node.cpus.is_empty()) && !ids.contains(&(id as u32)) {
            return Err(SnapshotError::in_section(
                &format!("{NODE_DIR}{id}/distance"),
                None,
                format!(
                    "missing: node {id} has {} but no distance row, so the {}x{} distance matrix (nodes {id_list}) \
                     does not match the nodes; add the section or remove all distance sections",
                    if node.memory.is_empty() { "CPUs" } else { "memory" },
                    ids.len(),
                    ids.len()
                ),
            ));
        }
    }
    if let Some(&last) = ids.last() {
        node_entry(nodes, last);
    }
    let dense = ids
        .iter()
        .enumerate()
        .all(|(index, &id)| index as u32 == id)
        && ids.len() == nodes.len();
    if dense {
        return Ok(Some(rows.into_iter().map(|row| row.distances).collect()));
    }
    notes.push(format!(
        "distance rows exist for nodes {id_list} only; distances to the other nodes (which have no memory and no \
         CPUs) are set to 10 for a node to itself and 20 otherwise"
    ));
    let position = |id: usize| ids.iter().position(|&other| other as usize == id);
    let matrix = (0..nodes.len())
        .map(|from| {
            (0..nodes.len())
                .map(|to| match (position(from), position(to)) {
                    (Some(row), Some(column)) => rows
                        .get(row)
                        .and_then(|row| row.distances.get(column))
                        .copied()
                        .unwrap_or(20),
                    _ if from == to => 10,
                    _ => 20,
                })
                .collect()
        })
        .collect();
    Ok(Some(matrix))
}

// ---------------------------------------------------------------------------------
// /proc/zoneinfo.

fn managed_counts(section: &Section<'_>) -> Result<Vec<ManagedCount>, SnapshotError> {
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
    counts.sort_by_key(|count| (count.node, count.zone));
    Ok(counts)
}

// ---------------------------------------------------------------------------------
// Sysctls and THP.

fn sysctls(sections: &Sections<'_>, notes: &mut Vec<String>) -> Result<Sysctls, SnapshotError> {
    let defaults = Sysctls::default();
    let mut sysctls = defaults.clone();
    match single_number(sections, SYSCTL_MIN_FREE, u64::from(u32::MAX))? {
        Some(value) => sysctls.min_free_kbytes = Some(value),
        None => notes.push(format!(
            "no `{SYSCTL_MIN_FREE}` section: min_free_kbytes will be computed by the kernel's rules"
        )),
    }
    let number =
        |source: &str, default: u32, notes: &mut Vec<String>| -> Result<u32, SnapshotError> {
            match single_number(sections, source, u64::from(u32::MAX))? {
                Some(value) => Ok(value as u32),
                None => {
                    notes.push(format!(
                        "no `{source}` section: using the kernel default {default}"
                    ));
                    Ok(default)
                }
            }
        };
    sysctls.watermark_scale_factor = number(SYSCTL_WSF, defaults.watermark_scale_factor, notes)?;
    sysctls.watermark_boost_factor = number(SYSCTL_WBF, defaults.watermark_boost_factor, notes)?;
    sysctls.percpu_pagelist_high_fraction =
        number(SYSCTL_PHF, defaults.percpu_pagelist_high_fraction, notes)?;
    match sections.one(SYSCTL_LRR)? {
        Some(section) => {
            let Some((number, text)) = section.single_line()? else {
                return Err(SnapshotError::in_section(
                    SYSCTL_LRR,
                    section.header_line(),
                    "the section is empty; expected 5 numbers, like `256 256 32 0 0`",
                ));
            };
            let words: Vec<&str> = text.split_whitespace().collect();
            let mut ratios = [0u32; 5];
            if words.len() != ratios.len() {
                return Err(SnapshotError::in_section(
                    SYSCTL_LRR,
                    Some(number),
                    format!(
                        "expected 5 numbers (one per zone: DMA, DMA32, Normal, Movable, Device), like `256 256 32 0 0`; \
                         found {}",
                        words.len()
                    ),
                ));
            }
            for (slot, word) in ratios.iter_mut().zip(words) {
                *slot = parse_decimal(word)
                    .filter(|&value| value <= u64::from(u32::MAX))
                    .ok_or_else(|| {
                        SnapshotError::in_section(
                            SYSCTL_LRR,
                            Some(number),
                            format!(
                                "expected whole numbers separated by spaces, found `{}`",
                                shorten(word)
                            ),
                        )
                    })? as u32;
            }
            sysctls.lowmem_reserve_ratio = ratios;
        }
        None => notes.push(format!(
            "no `{SYSCTL_LRR}` section: using the kernel default {:?}",
            defaults.lowmem_reserve_ratio
        )),
    }
    Ok(sysctls)
}

/// The one whole number in section `source`, at most `max`; `None` if the section is
/// missing.
fn single_number(
    sections: &Sections<'_>,
    source: &str,
    max: u64,
) -> Result<Option<u64>, SnapshotError> {
    let Some(section) = sections.one(source)? else {
        return Ok(None);
    };
    let Some((number, text)) = section.single_line()? else {
        return Err(SnapshotError::in_section(
            source,
            section.header_line(),
            "the section is empty; expected one whole number",
        ));
    };
    match parse_decimal(text) {
        Some(value) if value <= max => Ok(Some(value)),
        Some(_) => Err(SnapshotError::in_section(
            source,
            Some(number),
            format!("{text} is larger than {max}"),
        )),
        None => Err(SnapshotError::in_section(
            source,
            Some(number),
            format!("expected one whole number, found `{}`", shorten(text)),
        )),
    }
}

fn thp_mode(
    sections: &Sections<'_>,
    cmdline: &CmdlineParams,
    nodes: &[NodeConfig],
    managed: &[ManagedCount],
    notes: &mut Vec<String>,
) -> Result<ThpMode, SnapshotError> {
    if let Some(section) = sections.one(THP_ENABLED)? {
        let expected = "expected the three modes with the active one in brackets, like `[always] madvise never`";
        let Some((number, text)) = section.single_line()? else {
            return Err(SnapshotError::in_section(
                THP_ENABLED,
                section.header_line(),
                format!("the section is empty; {expected}"),
            ));
        };
        let word = text
            .split_once('[')
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(word, _)| word.trim());
        return match word {
            Some("always") => Ok(ThpMode::Always),
            Some("madvise") => Ok(ThpMode::Madvise),
            Some("never") => Ok(ThpMode::Never),
            _ => Err(SnapshotError::in_section(
                THP_ENABLED,
                Some(number),
                format!("{expected}; found `{}`", shorten(text)),
            )),
        };
    }
    // What the kernel would have set at boot: the command line, else the build-time
    // default (Debian: CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS), then hugepage_init()
    // turns THP off on a machine with less than 512 MiB.
    let (mode, why) = match cmdline.thp {
        Some(mode) => (
            mode,
            format!(
                "`transparent_hugepage={}` in {}",
                mode.name(),
                cmdline.source
            ),
        ),
        None => (
            ThpMode::Always,
            "Debian's build default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS)".to_string(),
        ),
    };
    let (pages, counted) = if managed.is_empty() {
        let present = nodes
            .iter()
            .flat_map(|node| node.memory.iter())
            .fold(0u64, |sum, range| sum.saturating_add(range.pages()));
        (
            present,
            "present pages (no zoneinfo, so managed pages are unknown)",
        )
    } else {
        (
            managed
                .iter()
                .fold(0u64, |sum, count| sum.saturating_add(count.managed)),
            "managed pages",
        )
    };
    if pages < THP_MIN_RAM_PAGES && mode != ThpMode::Never {
        notes.push(format!(
            "no `{THP_ENABLED}` section: THP taken as `never`: {why} would give `{}`, but the kernel turns THP off \
             at boot with less than 512 MiB of RAM (hugepage_init()), and this machine has {} MiB of {counted}",
            mode.name(),
            (pages * PAGE_SIZE_BYTES) >> 20
        ));
        return Ok(ThpMode::Never);
    }
    notes.push(format!(
        "no `{THP_ENABLED}` section: THP taken as `{}`, from {why}",
        mode.name()
    ));
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_words() {
        assert_eq!(
            kernel_args(r#"a=1 "b c" d="e f" -- kernelcore=1G"#),
            vec!["a=1", "b c", "d=e f"]
        );
    }

    #[test]
    fn dmesg_prefixes() {
        assert_eq!(
            dmesg_message("[    0.041105] Early memory node ranges"),
            " Early memory node ranges"
        );
        assert_eq!(dmesg_message("<6>[    0.041105]   node"), "   node");
        assert_eq!(
            dmesg_message("[mem 0x1-0x2] available"),
            "[mem 0x1-0x2] available"
        );
    }
}
