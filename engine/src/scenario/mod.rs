//! The scenario file: a versioned, human-readable TOML file describing what to
//! simulate. For now it holds the machine; later it will also hold a workload and a
//! seed. Every key has a default, so a scenario can be three lines long:
//!
//! ```toml
//! version = 1
//! [machine]
//! thp = "never"
//! ```
//!
//! A full example (a two-node machine; [`scenario_to_toml`] writes every key this way):
//!
//! ```toml
//! version = 1
//!
//! [machine]
//! section_size_bits = 27
//! thp = "always"              # always | madvise | never
//! kernelcore = "512M"          # optional: bytes (K, M, G, T suffixes) or "25%"
//! movablecore = "25%"          # optional
//! distances = [                # optional: the SLIT, distances[from][to]
//!   [10, 20],
//!   [20, 10],
//! ]
//! reserved = []                # physical byte ranges kept by the kernel
//!
//! # node 0
//! [[machine.nodes]]
//! memory = ["0x1000-0x9efff", "0x100000-0x3fffffff"]
//! cpus = "0"
//!
//! # node 1
//! [[machine.nodes]]
//! memory = ["1G@0x40000000"]   # SIZE@START works too
//! cpus = "1"
//!
//! [machine.sysctl]
//! min_free_kbytes = 67584      # optional: absent = computed by the kernel's rules
//! watermark_scale_factor = 10
//! watermark_boost_factor = 15000
//! lowmem_reserve_ratio = [256, 256, 32, 0, 0]
//! percpu_pagelist_high_fraction = 0
//!
//! [machine.managed]            # optional: managed pages copied from a real machine
//! "0:DMA" = 3840
//! "0:DMA32" = 242525
//! ```
//!
//! Memory ranges are physical byte ranges with an inclusive end, exactly as dmesg's
//! "Early memory node ranges" prints them, or `SIZE@START`. CPUs use sysfs cpulist
//! syntax. Sizes use the kernel's `memparse()` syntax (like the command line). Node
//! ids are the order of the `[[machine.nodes]]` tables.
//!
//! Defaults: a missing `version` is 1; a missing `[machine]` is
//! [`MachineConfig::default()`]; a missing key in `[machine]` takes that machine's
//! value (so a missing `nodes` is the default machine's one node); a node's missing
//! `memory` is empty, and so is its missing `cpus`, except on a one-node machine whose
//! node has no `cpus` key: that node gets the default machine's CPUs 0-1 (a note says
//! so); a missing sysctl is the kernel's default.
//!
//! `[[expect]]` tables write the `[about]` text's claims as checked expectations
//! (format in [`expect`], the check in `view::check_expectations`).
//!
//! Unknown keys are errors. Only the syntax of values is checked here; whether the
//! machine makes sense (overlapping ranges, a CPU on two nodes, ...) is checked when
//! it is built.

#![warn(clippy::indexing_slicing)]

pub mod expect;
pub mod library;
mod one_zone;
#[cfg(test)]
mod oracle;
pub mod progress;
pub mod question;
mod read;
pub(crate) use read::parse_table;
pub mod share;
pub mod toml_text;
pub mod vary;

pub use expect::{ExpectAt, Expectation, ProcFile};
pub use one_zone::{
    one_zone, warm_up_script, ONE_ZONE_PAGES, ONE_ZONE_START_PFN, WARM_UP_ALLOCATIONS, WARM_UP_SEED,
};
pub use question::{Answer, AnswerKey, AskAt, Question};

use crate::limits::{CPUS_MAX, NODES_MAX, SCENARIO_BYTES_MAX, SNAPSHOT_BYTES_MAX};
use core::fmt;

#[cfg(test)]
use serde::Deserialize;

use crate::import::snapshot::{
    decode_file, has_early_memory_ranges, is_machine_text, is_snapshot, read_machine, InputFile,
    PASTED,
};
use crate::machine::{
    format_core_size, CoreSize, MachineConfig, ManagedCount, NodeConfig, Sysctls, ThpMode,
};
use crate::session::KswapdMode;
use crate::text::{format_cpulist, format_phys_range};
use crate::types::{Kernel, PfnRange, ZoneType};

/// The scenario format version this build reads and writes.
pub const SCENARIO_VERSION: i64 = 1;

/// What to simulate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scenario {
    pub machine: MachineConfig,
    /// The `[workload]` script (see [`crate::workload`]), if any.
    pub workload: Option<String>,
    /// `[workload] seed`: the seed of everything random in the run (default 1).
    pub seed: Option<u64>,
    /// `[workload] open_at`: the step a viewer opens at (see
    /// [`crate::session::Session::cursor_at_step`]); the end of the run when absent.
    pub open_at: Option<u64>,
    /// `[workload] kswapd`: `"auto"` (absent: a woken kswapd runs as a call of its
    /// own right after the call that woke it) or `"manual"` (only where the workload
    /// says `kswapd node=N`). See [`crate::session::KswapdMode`].
    pub kswapd: Option<KswapdMode>,
    /// `[about] title`: a one-line title.
    pub title: Option<String>,
    /// `[about] text`: what to watch and why the kernel does it.
    pub about: Option<String>,
    /// `[[expect]]`: the text's claims as checked expectations (see [`expect`]).
    pub expectations: Vec<Expectation>,
    /// `[[question]]`: what a lesson asks, at which steps (see [`question`]).
    pub questions: Vec<Question>,
}

/// A scenario file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioError {
    /// The file is larger than [`SCENARIO_BYTES_MAX`].
    TooLarge { bytes: usize },
    /// Bad TOML, an unknown key, a value of the wrong type or a malformed value: the
    /// text is toml's message, with the line and column and the offending line.
    Toml(String),
    /// `version` is newer than [`SCENARIO_VERSION`].
    NewerVersion { version: i64 },
    /// A value that is well-formed on its own but not acceptable (names the key).
    Invalid(String),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::TooLarge { bytes } => write!(
                f,
                "the scenario file is {bytes} bytes; the limit is {SCENARIO_BYTES_MAX} bytes (65 MiB)"
            ),
            ScenarioError::Toml(message) => write!(f, "{message}"),
            ScenarioError::NewerVersion { version } => write!(
                f,
                "scenario version {version} is newer than this Buddyscope understands ({SCENARIO_VERSION})"
            ),
            ScenarioError::Invalid(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Reads a scenario file.
pub fn parse_scenario(text: &str) -> Result<Scenario, ScenarioError> {
    parse_with_notes(text).map(|(scenario, _)| scenario)
}

/// What kind of text [`load_machine`] was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A machine snapshot (`==> SOURCE <==` sections, or a bare dmesg).
    Snapshot,
    /// A TOML scenario file.
    Scenario,
}

/// Tells a machine description from a scenario by content: a snapshot has a
/// whole-line `==> SOURCE <==` header; without headers, dmesg's "Early memory node
/// ranges", a bare `/proc/zoneinfo` or `numactl -H` output are machine texts too
/// (see [`read_machine`]); anything else is taken to be a scenario.
pub fn detect_kind(text: &str) -> InputKind {
    if is_snapshot(text) || has_early_memory_ranges(text) || is_machine_text(text) {
        InputKind::Snapshot
    } else {
        InputKind::Scenario
    }
}

/// Reads a machine from a snapshot or a scenario file, whichever `text` is, and
/// returns it with notes on what was missing and defaulted.
pub fn load_machine(text: &str) -> Result<(MachineConfig, Vec<String>), String> {
    if text.len() > SCENARIO_BYTES_MAX {
        return Err(format!(
            "the input is {} bytes; the limit is {SNAPSHOT_BYTES_MAX} bytes (16 MiB) for a snapshot and \
             {SCENARIO_BYTES_MAX} bytes (65 MiB) for a scenario",
            text.len()
        ));
    }
    load_machine_files(&[InputFile::new(PASTED, text.as_bytes())])
}

/// Reads a machine from the user's files: one scenario file, or any of the forms
/// [`read_machine`] takes (a snapshot, dmesg, /proc/zoneinfo, numactl -H, a
/// sosreport's files, each plain or gzip-compressed). Returns it with notes on what
/// was missing and defaulted, and on what each file was used for.
pub fn load_machine_files(files: &[InputFile]) -> Result<(MachineConfig, Vec<String>), String> {
    if let [file] = files {
        let text = decode_file(file).map_err(|why| format!("{}: {why}", file.name))?;
        if detect_kind(&text) == InputKind::Scenario {
            return parse_with_notes(&text)
                .map(|(scenario, notes)| (scenario.machine, notes))
                .map_err(|error| {
                    format!(
                        "reading a scenario file (TOML; the text has no `==> ... <==` sections, no dmesg memory \
                         ranges, no /proc/zoneinfo): {error}"
                    )
                });
        }
    }
    let what = if files.len() > 1 {
        "reading a machine from its files"
    } else {
        "reading a machine snapshot (the text has `==> ... <==` sections, dmesg or /proc/zoneinfo)"
    };
    let intake = read_machine(files).map_err(|error| format!("{what}: {error}"))?;
    let mut notes = intake.imported.notes;
    if files.len() > 1 {
        notes.extend(
            intake
                .files
                .iter()
                .map(|file| format!("`{}`: {}", file.name, file.what)),
        );
    }
    Ok((intake.imported.config, notes))
}

fn parse_with_notes(text: &str) -> Result<(Scenario, Vec<String>), ScenarioError> {
    if text.len() > SCENARIO_BYTES_MAX {
        return Err(ScenarioError::TooLarge { bytes: text.len() });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file = read_file(text)?;
    let mut notes = Vec::new();
    let machine = match file.machine {
        Some(machine) => machine.into_config(&mut notes)?,
        None => {
            notes.push(
                "no [machine] table: using the default machine (one node with 512 MiB laid out like a QEMU `-m 512M` guest, CPUs 0-1)"
                    .to_string(),
            );
            MachineConfig::default()
        }
    };
    let (workload, seed, open_at, kswapd) = match file.workload {
        Some(w) => {
            if let Some(script) = &w.script {
                crate::workload::parse_workload(script)
                    .map_err(|e| ScenarioError::Invalid(format!("`workload.script`, {e}")))?;
            }
            let kswapd = match w.kswapd.as_deref() {
                None => None,
                Some(name) => Some(KswapdMode::from_name(name).ok_or_else(|| {
                    ScenarioError::Invalid(format!(
                        "`workload.kswapd` must be \"auto\" (kswapd runs right after the call that woke it) or \"manual\" (only where the workload says `kswapd node=N`), found {name:?}"
                    ))
                })?),
            };
            (w.script, w.seed, w.open_at, kswapd)
        }
        None => (None, None, None, None),
    };
    let (title, about) = match file.about {
        Some(a) => (a.title, a.text),
        None => (None, None),
    };
    for (key, value) in [("about.title", &title), ("about.text", &about)] {
        if let Some(value) = value {
            if value
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                return Err(ScenarioError::Invalid(format!(
                    "`{key}` holds a control character"
                )));
            }
        }
    }
    if title.as_deref().is_some_and(|t| t.contains('\n')) {
        return Err(ScenarioError::Invalid(
            "`about.title` must be one line".to_string(),
        ));
    }
    let expectations = file
        .expect
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, e)| e.into_expectation(i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let questions = file
        .question
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, q)| {
            let place = question::line_column(text, q.span().start);
            q.into_inner().into_question(i + 1, place)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        Scenario {
            machine,
            workload,
            seed,
            open_at,
            kswapd,
            title,
            about,
            expectations,
            questions,
        },
        notes,
    ))
}

/// The file read from toml's parsed tree (see [`read`]), the TOML parsed once (the
/// page reads its default scenario at start-up). The version is checked first, so
/// that a newer file gets the version message rather than complaints about keys this
/// build does not know.
fn read_file(text: &str) -> Result<FileToml, ScenarioError> {
    #[cfg(test)]
    if oracle::SERDE.with(|serde| serde.get()) {
        return oracle::read_file(text);
    }
    let root = toml::de::DeTable::parse(text).map_err(|error| toml_error(&error))?;
    // An integer beyond i64 failed a whole-file read as a `toml::Table` (as the
    // version check once read the file), with that read's message: such a file gets
    // it, as it always did (`toml::Value`'s read of the file gives it).
    let fail = |fail| ScenarioError::Toml(read::render(text, fail));
    // The whole file as one value, moved rather than cloned (a clone of the tree
    // compiled the parsed table's clone into the page, docs/performance.md, size24).
    let span = root.span();
    let root = toml::Spanned::new(span, toml::de::DeValue::Table(root.into_inner()));
    if let toml::de::DeValue::Table(table) = root.get_ref() {
        if !integers_fit_i64(table) {
            read::Val::value(&root).map_err(fail)?;
        }
        let version = table
            .iter()
            .find(|(key, _)| key.get_ref().as_ref() == "version")
            .map(|(_, value)| read::Val::value(value))
            .transpose()
            .map_err(fail)?;
        check_version(version.as_ref())?;
    }
    read::file(&root).map_err(fail)
}

/// Refuses a `version` other than [`SCENARIO_VERSION`] (none is fine).
fn check_version(version: Option<&toml::Value>) -> Result<(), ScenarioError> {
    match version {
        None => Ok(()),
        Some(toml::Value::Integer(version)) if *version > SCENARIO_VERSION => {
            Err(ScenarioError::NewerVersion { version: *version })
        }
        Some(toml::Value::Integer(version)) if *version == SCENARIO_VERSION => Ok(()),
        Some(other) => Err(ScenarioError::Invalid(format!(
            "`version` must be {SCENARIO_VERSION} (a whole number), found `{}`",
            toml_text::ValueText(other)
        ))),
    }
}

/// Whether every integer in `table` (nested tables and arrays included) is an i64.
fn integers_fit_i64(table: &toml::de::DeTable<'_>) -> bool {
    fn fits(value: &toml::Spanned<toml::de::DeValue<'_>>) -> bool {
        match value.get_ref() {
            toml::de::DeValue::Integer(integer) => {
                i64::from_str_radix(integer.as_str(), integer.radix()).is_ok()
            }
            toml::de::DeValue::Array(items) => items.iter().all(fits),
            toml::de::DeValue::Table(table) => integers_fit_i64(table),
            _ => true,
        }
    }
    table.iter().all(|(_, value)| fits(value))
}

fn toml_error(error: &toml::de::Error) -> ScenarioError {
    ScenarioError::Toml(error.to_string().trim_end().to_string())
}

// ---------------------------------------------------------------------------------
// The file's tables, as `read` fills them (and serde, in the tests' oracle).

#[derive(Default)]
#[cfg_attr(test, derive(Deserialize), serde(deny_unknown_fields))]
struct FileToml {
    // Checked before deserializing; present here so that it is not an unknown key.
    #[cfg_attr(test, serde(default, rename = "version"))]
    _version: Option<i64>,
    #[cfg_attr(test, serde(default))]
    machine: Option<MachineToml>,
    #[cfg_attr(test, serde(default))]
    workload: Option<WorkloadToml>,
    #[cfg_attr(test, serde(default))]
    about: Option<AboutToml>,
    #[cfg_attr(test, serde(default))]
    expect: Option<Vec<expect::ExpectToml>>,
    #[cfg_attr(test, serde(default))]
    question: Option<Vec<toml::Spanned<question::QuestionToml>>>,
}

#[derive(Default)]
#[cfg_attr(test, derive(Deserialize), serde(deny_unknown_fields))]
struct AboutToml {
    #[cfg_attr(test, serde(default))]
    title: Option<String>,
    #[cfg_attr(test, serde(default))]
    text: Option<String>,
}

#[derive(Default)]
#[cfg_attr(test, derive(Deserialize), serde(deny_unknown_fields))]
struct WorkloadToml {
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_big"))]
    seed: Option<u64>,
    #[cfg_attr(test, serde(default))]
    script: Option<String>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_big"))]
    open_at: Option<u64>,
    #[cfg_attr(test, serde(default))]
    kswapd: Option<String>,
}

/// How `read` reads it back: a TOML integer when it fits, else a string.
fn toml_big(value: u64) -> String {
    if value <= i64::MAX as u64 {
        value.to_string()
    } else {
        format!("\"{value}\"")
    }
}

#[derive(Default)]
#[cfg_attr(test, derive(Deserialize), serde(deny_unknown_fields))]
struct MachineToml {
    #[cfg_attr(test, serde(default))]
    section_size_bits: Option<u8>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_thp"))]
    thp: Option<ThpMode>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_kernelcore"))]
    kernelcore: Option<CoreSize>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_movablecore"))]
    movablecore: Option<CoreSize>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_cma"))]
    cma: Option<u64>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_movable_node"))]
    movable_node: Option<Vec<PfnRange>>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_kernel"))]
    kernel: Option<Kernel>,
    #[cfg_attr(test, serde(default))]
    mobility_grouping: Option<bool>,
    #[cfg_attr(test, serde(default))]
    distances: Option<Vec<Vec<u32>>>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_reserved"))]
    reserved: Option<Vec<PfnRange>>,
    #[cfg_attr(test, serde(default))]
    nodes: Option<Vec<NodeToml>>,
    #[cfg_attr(test, serde(default))]
    sysctl: Option<SysctlToml>,
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_managed"))]
    managed: Option<Vec<ManagedCount>>,
}

#[derive(Default)]
#[cfg_attr(test, derive(Deserialize), serde(deny_unknown_fields))]
struct NodeToml {
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_memory"))]
    memory: Vec<PfnRange>,
    /// `None` when the key is absent (unlike `cpus = ""`): see `into_config`.
    #[cfg_attr(test, serde(default, deserialize_with = "oracle::de_node_cpus"))]
    cpus: Option<Vec<u32>>,
}

#[derive(Default)]
#[cfg_attr(test, derive(Deserialize), serde(deny_unknown_fields))]
struct SysctlToml {
    #[cfg_attr(test, serde(default))]
    min_free_kbytes: Option<u64>,
    #[cfg_attr(test, serde(default))]
    watermark_scale_factor: Option<u32>,
    #[cfg_attr(test, serde(default))]
    watermark_boost_factor: Option<u32>,
    #[cfg_attr(
        test,
        serde(default, deserialize_with = "oracle::de_lowmem_reserve_ratio")
    )]
    lowmem_reserve_ratio: Option<[u32; 5]>,
    #[cfg_attr(test, serde(default))]
    percpu_pagelist_high_fraction: Option<u32>,
}

impl MachineToml {
    fn into_config(self, notes: &mut Vec<String>) -> Result<MachineConfig, ScenarioError> {
        let defaults = MachineConfig::default();
        let nodes = match self.nodes {
            // The short form: one node that does not say `cpus` gets the default
            // machine's CPUs. Any other machine needed CPU 0 written out already (the
            // boot CPU), so no file that built before means something else now.
            Some(nodes) if nodes.len() == 1 && nodes.iter().all(|node| node.cpus.is_none()) => {
                notes.push(format!(
                    "node 0 has no `cpus` key: it gets the default machine's CPUs {}",
                    format_cpulist(&default_cpus(&defaults))
                ));
                nodes
                    .into_iter()
                    .map(|node| NodeConfig {
                        memory: node.memory,
                        cpus: default_cpus(&defaults),
                    })
                    .collect()
            }
            Some(nodes) => nodes
                .into_iter()
                .map(|node| NodeConfig {
                    memory: node.memory,
                    cpus: node.cpus.unwrap_or_default(),
                })
                .collect(),
            None => {
                notes.push(
                    "no [[machine.nodes]]: using the default machine's one node (512 MiB, CPUs 0-1)".to_string(),
                );
                defaults.nodes
            }
        };
        let nodes: Vec<NodeConfig> = nodes;
        if nodes.len() > NODES_MAX {
            return Err(ScenarioError::Invalid(format!(
                "`machine.nodes` has {} nodes; the limit is {NODES_MAX}",
                nodes.len()
            )));
        }
        let cpus = nodes
            .iter()
            .fold(0usize, |sum, node| sum.saturating_add(node.cpus.len()));
        if cpus > CPUS_MAX as usize {
            return Err(ScenarioError::Invalid(format!(
                "`machine.nodes.cpus`: {cpus} CPUs in all; the limit is {CPUS_MAX}"
            )));
        }
        if let Some(distances) = &self.distances {
            if distances.len() > NODES_MAX || distances.iter().any(|row| row.len() > NODES_MAX) {
                return Err(ScenarioError::Invalid(format!(
                    "`machine.distances` is larger than {NODES_MAX} x {NODES_MAX}, the most nodes there can be"
                )));
            }
        }
        let sysctls = match self.sysctl {
            Some(sysctl) => {
                let base = Sysctls::default();
                Sysctls {
                    min_free_kbytes: sysctl.min_free_kbytes,
                    watermark_scale_factor: sysctl
                        .watermark_scale_factor
                        .unwrap_or(base.watermark_scale_factor),
                    watermark_boost_factor: sysctl
                        .watermark_boost_factor
                        .unwrap_or(base.watermark_boost_factor),
                    lowmem_reserve_ratio: sysctl
                        .lowmem_reserve_ratio
                        .unwrap_or(base.lowmem_reserve_ratio),
                    percpu_pagelist_high_fraction: sysctl
                        .percpu_pagelist_high_fraction
                        .unwrap_or(base.percpu_pagelist_high_fraction),
                }
            }
            None => defaults.sysctls,
        };
        Ok(MachineConfig {
            nodes,
            distances: self.distances,
            section_size_bits: self.section_size_bits.unwrap_or(defaults.section_size_bits),
            kernelcore: self.kernelcore,
            movablecore: self.movablecore,
            thp: self.thp.unwrap_or(defaults.thp),
            sysctls,
            reserved: self.reserved.unwrap_or(defaults.reserved),
            managed: self.managed.unwrap_or(defaults.managed),
            cma_bytes: self.cma,
            movable_node: self.movable_node,
            kernel: self.kernel.unwrap_or(defaults.kernel),
            mobility_grouping: self.mobility_grouping,
        })
    }
}

/// The CPUs of the default machine's node 0 (0-1), which a one-node scenario without
/// a `cpus` key gets.
fn default_cpus(defaults: &MachineConfig) -> Vec<u32> {
    defaults
        .nodes
        .first()
        .map(|node| node.cpus.clone())
        .unwrap_or_else(|| vec![0])
}

// ---------------------------------------------------------------------------------
// Writing.

/// Writes a scenario as TOML that [`parse_scenario`] reads back to the same value.
///
/// The round trip is exact for every machine whose ranges and values are valid
/// (within the limits) and whose `managed` list is sorted by node and zone without
/// duplicates, as the snapshot importer and the parser produce it; `managed` is
/// written sorted and de-duplicated (the last count for a zone wins).
pub fn scenario_to_toml(scenario: &Scenario) -> String {
    let mut out = format!("version = {SCENARIO_VERSION}\n\n");
    if scenario.title.is_some() || scenario.about.is_some() {
        out.push_str("[about]\n");
        if let Some(title) = &scenario.title {
            out.push_str(&format!("title = {}\n", toml_string(title)));
        }
        if let Some(text) = &scenario.about {
            out.push_str(&format!("text = {}\n", toml_string(text)));
        }
        out.push('\n');
    }
    out.push_str(&machine_to_toml(&scenario.machine));
    if scenario.workload.is_some()
        || scenario.seed.is_some()
        || scenario.open_at.is_some()
        || scenario.kswapd.is_some()
    {
        out.push_str("\n[workload]\n");
        if let Some(mode) = scenario.kswapd {
            out.push_str(&format!("kswapd = \"{}\"\n", mode.name()));
        }
        if let Some(seed) = scenario.seed {
            out.push_str(&format!("seed = {}\n", toml_big(seed)));
        }
        if let Some(step) = scenario.open_at {
            out.push_str(&format!("open_at = {}\n", toml_big(step)));
        }
        if let Some(script) = &scenario.workload {
            out.push_str(&format!("script = {}\n", toml_string(script)));
        }
    }
    out.push_str(&expect::expectations_to_toml(
        &scenario.expectations,
        toml_string,
    ));
    out.push_str(&question::questions_to_toml(
        &scenario.questions,
        toml_string,
    ));
    out
}

/// A TOML string for `text`: a multi-line literal string (readable, no escapes)
/// for several lines when the text allows one, else a basic string with escapes.
/// Read a byte at a time, the text copied in runs between the characters escaped
/// (the page writes the scenario file at every load).
fn toml_string(text: &str) -> String {
    let bytes = text.as_bytes();
    if text.contains('\n')
        && !text.contains("'''")
        && !text.contains('\r')
        && !bytes.iter().enumerate().any(|(i, &b)| {
            may_be_control(b) && b != b'\n' && b != b'\t' && control_at(bytes, i).is_some()
        })
    {
        // A newline right after the opening quotes is dropped by TOML.
        format!("'''\n{text}'''")
    } else {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('"');
        let mut copied = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\t' => "\\t",
                _ if may_be_control(b) && control_at(bytes, i).is_some() => "",
                _ => continue,
            };
            out.push_str(text.get(copied..i).unwrap_or_default());
            copied = i + 1;
            if escape.is_empty() {
                // A control character: one byte, or two for U+0080-U+009F.
                let c = text
                    .get(i..)
                    .and_then(|t| t.chars().next())
                    .unwrap_or_default();
                out.push_str(&format!("\\u{:04X}", c as u32));
                copied = i + c.len_utf8();
            } else {
                out.push_str(escape);
            }
        }
        out.push_str(text.get(copied..).unwrap_or_default());
        out.push('"');
        out
    }
}

/// Whether a control character may start with byte `b` (the cheap test before
/// [`control_at`] in the loops).
#[inline(always)]
fn may_be_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b == 0xc2
}

/// The byte at `i` when a control character (`char::is_control`: U+0000-U+001F,
/// U+007F-U+009F) starts there: the character's byte, or 0xc2 for U+0080-U+009F.
fn control_at(bytes: &[u8], i: usize) -> Option<u8> {
    let b = *bytes.get(i)?;
    let two_byte_c1 = b == 0xc2
        && bytes
            .get(i + 1)
            .is_some_and(|&n| (0x80..=0x9f).contains(&n));
    (b < 0x20 || b == 0x7f || two_byte_c1).then_some(b)
}

/// The `[machine]` part of a scenario file.
pub fn machine_to_toml(machine: &MachineConfig) -> String {
    let mut out = String::new();
    out.push_str("[machine]\n");
    // Written only for a kernel other than 6.1, so a 6.1 file reads as it always did.
    if machine.kernel != Kernel::V6_1 {
        out.push_str(&format!(
            "kernel = \"{}\"  # boot-time setup by this kernel's rules; allocation still by 6.1's\n",
            machine.kernel.name()
        ));
    }
    out.push_str(&format!(
        "section_size_bits = {}\n",
        machine.section_size_bits
    ));
    out.push_str(&format!(
        "thp = \"{}\"  # always | madvise | never\n",
        machine.thp.name()
    ));
    match machine.kernelcore {
        Some(size) => out.push_str(&format!("kernelcore = \"{}\"\n", format_core_size(size))),
        None => out
            .push_str("# kernelcore = \"512M\"  # optional: a size or a percentage like \"25%\"\n"),
    }
    match machine.movablecore {
        Some(size) => out.push_str(&format!("movablecore = \"{}\"\n", format_core_size(size))),
        None => out.push_str("# movablecore = \"25%\"  # optional\n"),
    }
    if let Some(bytes) = machine.cma_bytes {
        out.push_str(&format!(
            "cma = \"{}\"  # models a kernel built with CONFIG_CMA\n",
            crate::text::format_size(bytes)
        ));
    }
    if let Some(ranges) = &machine.movable_node {
        out.push_str(&format!(
            "movable_node = {}  # `movable_node` on the command line: the hotpluggable memory (SRAT)\n",
            range_array(ranges)
        ));
    }
    // Written only when set, so a file that leaves the decision to the kernel reads
    // as it always did.
    if let Some(grouping) = machine.mobility_grouping {
        out.push_str(&format!(
            "mobility_grouping = {grouping}  # the model's switch: no real kernel has one\n"
        ));
    }
    match &machine.distances {
        Some(rows) if rows.is_empty() => out.push_str("distances = []\n"),
        Some(rows) => {
            out.push_str("distances = [  # distances[from][to]\n");
            for row in rows {
                let row: Vec<String> = row.iter().map(|distance| distance.to_string()).collect();
                out.push_str(&format!("  [{}],\n", row.join(", ")));
            }
            out.push_str("]\n");
        }
        None => out.push_str("# distances = [[10, 20], [20, 10]]  # optional: the SLIT\n"),
    }
    out.push_str(&format!(
        "reserved = {}  # physical byte ranges kept by the kernel\n",
        range_array(&machine.reserved)
    ));

    if machine.nodes.is_empty() {
        // Without this line a missing `nodes` would read as the default machine's.
        out.push_str("nodes = []\n");
    }
    for (id, node) in machine.nodes.iter().enumerate() {
        out.push_str(&format!("\n# node {id}\n[[machine.nodes]]\n"));
        out.push_str(&format!("memory = {}\n", range_array(&node.memory)));
        out.push_str(&format!("cpus = \"{}\"\n", format_cpulist(&node.cpus)));
    }

    let sysctls = &machine.sysctls;
    out.push_str("\n[machine.sysctl]\n");
    match sysctls.min_free_kbytes {
        Some(kbytes) => out.push_str(&format!("min_free_kbytes = {kbytes}\n")),
        None => out.push_str(
            "# min_free_kbytes = 67584  # optional: absent = computed by the kernel's rules\n",
        ),
    }
    out.push_str(&format!(
        "watermark_scale_factor = {}\n",
        sysctls.watermark_scale_factor
    ));
    out.push_str(&format!(
        "watermark_boost_factor = {}\n",
        sysctls.watermark_boost_factor
    ));
    let ratios: Vec<String> = sysctls
        .lowmem_reserve_ratio
        .iter()
        .map(|ratio| ratio.to_string())
        .collect();
    out.push_str(&format!("lowmem_reserve_ratio = [{}]\n", ratios.join(", ")));
    out.push_str(&format!(
        "percpu_pagelist_high_fraction = {}\n",
        sysctls.percpu_pagelist_high_fraction
    ));

    if !machine.managed.is_empty() {
        // Sorted by node and zone, the last count of a key winning (a sorted `Vec`:
        // a `BTreeMap` of its own compiled its code into the page, docs/performance.md,
        // branch size23).
        let mut counts: Vec<((u32, ZoneType), u64)> = Vec::new();
        for count in &machine.managed {
            let key = (count.node, count.zone);
            if let Some(slot) = crate::types::sort::sorted_entry(&mut counts, &key, || (key, 0)) {
                *slot = count.managed;
            }
        }
        out.push_str(
            "\n[machine.managed]  # managed pages per \"NODE:ZONE\", from a real machine\n",
        );
        for ((node, zone), managed) in counts {
            out.push_str(&format!("\"{node}:{}\" = {managed}\n", zone.name()));
        }
    }
    out
}

/// `["0x1000-0x9efff", ...]`, one range a line when there are many.
fn range_array(ranges: &[PfnRange]) -> String {
    let quoted: Vec<String> = ranges
        .iter()
        .map(|range| format!("\"{}\"", format_phys_range(*range)))
        .collect();
    if quoted.len() <= 3 {
        format!("[{}]", quoted.join(", "))
    } else {
        let mut out = String::from("[\n");
        for range in quoted {
            out.push_str(&format!("  {range},\n"));
        }
        out.push(']');
        out
    }
}

#[cfg(test)]
mod toml_string_tests {
    use super::toml_string;

    /// `toml_string` as it was written a `char` at a time.
    fn by_chars(text: &str) -> String {
        if text.contains('\n')
            && !text.contains("'''")
            && !text.contains('\r')
            && !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            format!("'''\n{text}'''")
        } else {
            let mut out = String::from("\"");
            for c in text.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
    }

    #[test]
    fn the_same_text_as_a_char_at_a_time() {
        let pieces = [
            "",
            "a",
            "\"",
            "\\",
            "\n",
            "\t",
            "\r",
            "'''",
            "\u{0}",
            "\u{1f}",
            "\u{7f}",
            "\u{80}",
            "\u{85}",
            "\u{9f}",
            "\u{a0}",
            "\u{bf}",
            "\u{c0}",
            "é",
            "—",
            "“",
            "zone 0:DMA32",
            "\u{2028}",
            "🦀",
        ];
        let mut texts = vec![include_str!("../../../web/scenarios/default.toml").to_string()];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    texts.push(format!("{a}{b}x{c}"));
                    texts.push(format!("{a}\n{b}{c}"));
                }
            }
        }
        for text in &texts {
            assert_eq!(toml_string(text), by_chars(text), "{text:?}");
        }
    }
}
