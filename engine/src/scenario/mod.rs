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
pub mod progress;
pub mod question;
pub mod share;
pub mod vary;

pub use expect::{ExpectAt, Expectation, ProcFile};
pub use one_zone::{
    one_zone, warm_up_script, ONE_ZONE_PAGES, ONE_ZONE_START_PFN, WARM_UP_ALLOCATIONS, WARM_UP_SEED,
};
pub use question::{Answer, AnswerKey, AskAt, Question};

use crate::limits::{CPUS_MAX, NODES_MAX, SCENARIO_BYTES_MAX, SNAPSHOT_BYTES_MAX};
use core::fmt;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::import::snapshot::{
    decode_file, has_early_memory_ranges, is_machine_text, is_snapshot, read_machine, InputFile,
    PASTED,
};
use crate::machine::{
    format_core_size, parse_core_size, CoreSize, MachineConfig, ManagedCount, NodeConfig, Sysctls,
    ThpMode,
};
use crate::session::KswapdMode;
use crate::text::{format_cpulist, format_phys_range, parse_cpulist, parse_phys_range};
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

/// The file as serde reads it, the TOML parsed once (the page reads its default
/// scenario at start-up). The version is checked first, so that a newer file gets the
/// version message rather than complaints about keys this build does not know.
fn read_file(text: &str) -> Result<FileToml, ScenarioError> {
    let root = toml::de::DeTable::parse(text).map_err(|error| toml_error(&error))?;
    // An integer beyond i64 fails the version check's whole-file read (a
    // `toml::Table`) with that read's message: such a file takes the two-pass path,
    // so its message stays what it was.
    if !integers_fit_i64(root.get_ref()) {
        return read_file_twice(text);
    }
    let version = root
        .get_ref()
        .iter()
        .find(|(key, _)| key.get_ref().as_ref() == "version")
        .map(|(_, value)| {
            toml::Value::deserialize(toml::de::ValueDeserializer::from(value.clone()))
        })
        .transpose()
        .map_err(|mut error| {
            error.set_input(Some(text));
            toml_error(&error)
        })?;
    check_version(version.as_ref())?;
    FileToml::deserialize(toml::de::Deserializer::from(root)).map_err(|mut error| {
        error.set_input(Some(text));
        toml_error(&error)
    })
}

/// [`read_file`] as it was first written: the text read as a `toml::Table` for the
/// version, then again for the file.
fn read_file_twice(text: &str) -> Result<FileToml, ScenarioError> {
    let table: toml::Table = text
        .parse()
        .map_err(|error: toml::de::Error| toml_error(&error))?;
    check_version(table.get("version"))?;
    toml::from_str(text).map_err(|error| toml_error(&error))
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
            "`version` must be {SCENARIO_VERSION} (a whole number), found `{other}`"
        ))),
    }
}

/// Whether every integer in `table` (nested tables and arrays included) is an i64.
fn integers_fit_i64(table: &toml::de::DeTable<'_>) -> bool {
    fn fits(value: &toml::Spanned<toml::de::DeValue<'_>>) -> bool {
        match value.get_ref() {
            toml::de::DeValue::Integer(_) => {
                i64::deserialize(toml::de::ValueDeserializer::from(value.clone())).is_ok()
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
// The file as serde sees it.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    // Checked before deserializing; present here so that it is not an unknown key.
    #[serde(default, rename = "version")]
    _version: Option<i64>,
    #[serde(default)]
    machine: Option<MachineToml>,
    #[serde(default)]
    workload: Option<WorkloadToml>,
    #[serde(default)]
    about: Option<AboutToml>,
    #[serde(default)]
    expect: Option<Vec<expect::ExpectToml>>,
    #[serde(default)]
    question: Option<Vec<toml::Spanned<question::QuestionToml>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AboutToml {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadToml {
    #[serde(default, deserialize_with = "de_big")]
    seed: Option<u64>,
    #[serde(default)]
    script: Option<String>,
    #[serde(default, deserialize_with = "de_big")]
    open_at: Option<u64>,
    #[serde(default)]
    kswapd: Option<String>,
}

/// A whole number of 64 bits: TOML integers stop at 2^63 - 1, so larger values are
/// written as a string of digits.
fn de_big<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Big {
        Number(i64),
        Text(String),
        Other(toml::Value),
    }
    match Big::deserialize(deserializer)? {
        Big::Number(n) => u64::try_from(n).map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "{n} is negative; a whole number 0 or more is needed"
            ))
        }),
        Big::Text(t) => t.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("\"{t}\" is not a whole number from 0 to 2^64 - 1"))
        }),
        Big::Other(v) => Err(serde::de::Error::custom(format!(
            "expected a whole number, found `{v}`"
        ))),
    }
}

/// How [`de_big`] reads it back: a TOML integer when it fits, else a string.
fn toml_big(value: u64) -> String {
    if value <= i64::MAX as u64 {
        value.to_string()
    } else {
        format!("\"{value}\"")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MachineToml {
    #[serde(default)]
    section_size_bits: Option<u8>,
    #[serde(default, deserialize_with = "de_thp")]
    thp: Option<ThpMode>,
    #[serde(default, deserialize_with = "de_kernelcore")]
    kernelcore: Option<CoreSize>,
    #[serde(default, deserialize_with = "de_movablecore")]
    movablecore: Option<CoreSize>,
    #[serde(default, deserialize_with = "de_cma")]
    cma: Option<u64>,
    #[serde(default, deserialize_with = "de_movable_node")]
    movable_node: Option<Vec<PfnRange>>,
    #[serde(default, deserialize_with = "de_kernel")]
    kernel: Option<Kernel>,
    #[serde(default)]
    mobility_grouping: Option<bool>,
    #[serde(default)]
    distances: Option<Vec<Vec<u32>>>,
    #[serde(default, deserialize_with = "de_reserved")]
    reserved: Option<Vec<PfnRange>>,
    #[serde(default)]
    nodes: Option<Vec<NodeToml>>,
    #[serde(default)]
    sysctl: Option<SysctlToml>,
    #[serde(default, deserialize_with = "de_managed")]
    managed: Option<Vec<ManagedCount>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeToml {
    #[serde(default, deserialize_with = "de_memory")]
    memory: Vec<PfnRange>,
    /// `None` when the key is absent (unlike `cpus = ""`): see `into_config`.
    #[serde(default, deserialize_with = "de_node_cpus")]
    cpus: Option<Vec<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SysctlToml {
    #[serde(default)]
    min_free_kbytes: Option<u64>,
    #[serde(default)]
    watermark_scale_factor: Option<u32>,
    #[serde(default)]
    watermark_boost_factor: Option<u32>,
    #[serde(default, deserialize_with = "de_lowmem_reserve_ratio")]
    lowmem_reserve_ratio: Option<[u32; 5]>,
    #[serde(default)]
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

fn de_kernel<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Kernel>, D::Error> {
    let text = String::deserialize(deserializer)?;
    Kernel::parse(&text)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("`machine.kernel`: {e}")))
}

fn de_cma<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let text = String::deserialize(deserializer)?;
    crate::text::parse_size(&text).map(Some).map_err(|e| {
        serde::de::Error::custom(format!("`machine.cma`: {e} (a size such as \"64M\")"))
    })
}

fn de_thp<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<ThpMode>, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.as_str() {
        "always" => Ok(Some(ThpMode::Always)),
        "madvise" => Ok(Some(ThpMode::Madvise)),
        "never" => Ok(Some(ThpMode::Never)),
        _ => Err(serde::de::Error::custom(format!(
            "`machine.thp` must be \"always\", \"madvise\" or \"never\", found \"{text}\""
        ))),
    }
}

fn de_core_size<'de, D: Deserializer<'de>>(
    deserializer: D,
    field: &str,
) -> Result<Option<CoreSize>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim() == "mirror" && field == "kernelcore" {
        return Err(serde::de::Error::custom(
            "`machine.kernelcore`: \"mirror\" (ZONE_MOVABLE from mirrored memory) is not modelled by Buddyscope; \
             use a size like \"512M\" or a percentage like \"25%\"",
        ));
    }
    parse_core_size(&text)
        .map(Some)
        .map_err(|why| serde::de::Error::custom(format!("`machine.{field}`: {why}")))
}

fn de_kernelcore<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<CoreSize>, D::Error> {
    de_core_size(deserializer, "kernelcore")
}

fn de_movablecore<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<CoreSize>, D::Error> {
    de_core_size(deserializer, "movablecore")
}

fn de_ranges<'de, D: Deserializer<'de>>(
    deserializer: D,
    field: &str,
) -> Result<Vec<PfnRange>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| {
            parse_phys_range(text)
                .map_err(|why| serde::de::Error::custom(format!("`{field}`: {why}")))
        })
        .collect()
}

fn de_memory<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<PfnRange>, D::Error> {
    de_ranges(deserializer, "machine.nodes.memory")
}

fn de_reserved<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<PfnRange>>, D::Error> {
    de_ranges(deserializer, "machine.reserved").map(Some)
}

fn de_movable_node<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<PfnRange>>, D::Error> {
    de_ranges(deserializer, "machine.movable_node").map(Some)
}

fn de_node_cpus<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u32>>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_cpulist(&text)
        .map(Some)
        .map_err(|why| serde::de::Error::custom(format!("`machine.nodes.cpus`: {why}")))
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

fn de_lowmem_reserve_ratio<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<[u32; 5]>, D::Error> {
    let values = Vec::<u32>::deserialize(deserializer)?;
    <[u32; 5]>::try_from(values.as_slice()).map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "`machine.sysctl.lowmem_reserve_ratio` needs 5 numbers, one per zone (DMA, DMA32, Normal, Movable, \
             Device), like [256, 256, 32, 0, 0]; found {}",
            values.len()
        ))
    })
}

fn de_managed<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<ManagedCount>>, D::Error> {
    let table = BTreeMap::<String, u64>::deserialize(deserializer)?;
    let mut counts = Vec::with_capacity(table.len());
    for (key, managed) in table {
        let parsed = key.split_once(':').and_then(|(node, zone)| {
            let node: u32 = node
                .trim()
                .parse()
                .ok()
                .filter(|&node| (node as usize) < NODES_MAX)?;
            Some((node, ZoneType::from_name(zone.trim())?))
        });
        let Some((node, zone)) = parsed else {
            return Err(serde::de::Error::custom(format!(
                "`machine.managed`: the key \"{key}\" is not NODE:ZONE like \"0:DMA32\" (node 0 to {}, zone DMA, \
                 DMA32, Normal, Movable or Device)",
                NODES_MAX - 1
            )));
        };
        counts.push(ManagedCount {
            node,
            zone,
            managed,
        });
    }
    crate::types::sort::sort_by_key(&mut counts, |count| (count.node, count.zone));
    Ok(Some(counts))
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
fn toml_string(text: &str) -> String {
    if text.contains('\n')
        && !text.contains("'''")
        && !text.contains('\r')
        && !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        // A newline right after the opening quotes is dropped by TOML.
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
        let mut counts: BTreeMap<(u32, ZoneType), u64> = BTreeMap::new();
        for count in &machine.managed {
            counts.insert((count.node, count.zone), count.managed);
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
mod tests {
    use super::*;

    /// The one-pass read gives what the two-pass read gave: the same messages for
    /// broken files, and for good ones the same scenario.
    #[test]
    fn reading_once_reads_as_reading_twice() {
        let machine =
            "[machine]\n[[machine.nodes]]\nmemory = [\"0x100000-0x3fffffff\"]\ncpus = \"0-1\"\n";
        let texts = [
            format!("version = 1\n{machine}"),
            format!("version = 1\n{machine}[workload]\nseed = 7\nscript = \"alloc order=2\"\n"),
            "version = 2\n[machine]\nunknown = 1\n".to_string(),
            "version = \"1\"\n".to_string(),
            "version = 1.5\n".to_string(),
            "version = [1, 99999999999999999999]\n".to_string(),
            format!("version = 1\n{machine}[workload]\nseed = 99999999999999999999\n"),
            format!("version = 1\n{machine}[workload]\nseed = -1\n"),
            "version = 1\n[machine\n".to_string(),
            "version = 1\nversion = 1\n".to_string(),
            "version = 1\n[about]\ntitle = 3\n".to_string(),
            "[question]\nask = 1\n".to_string(),
            String::new(),
        ];
        for text in &texts {
            let once = read_file(text).map(|_| ()).map_err(|e| e.to_string());
            let twice = read_file_twice(text).map(|_| ()).map_err(|e| e.to_string());
            assert_eq!(once, twice, "{text}");
        }
        // The good files read into the same scenario either way.
        for text in &texts[..2] {
            let twice = toml::from_str::<FileToml>(text).map(|file| file.workload.map(|w| w.seed));
            let once = read_file(text).map(|file| file.workload.map(|w| w.seed));
            assert_eq!(once.ok(), twice.ok(), "{text}");
        }
        assert!(read_file(&texts[1]).is_ok());
    }
}
