//! The scenario file read by hand from toml's parsed tree (`toml::de::DeTable`) into
//! the structs of `mod.rs`, `expect.rs` and `question.rs`.
//!
//! serde's derived deserializers did this before, and they were the page's largest
//! part after the engine (issue 18: ~160 KB of wasm before wasm-opt, one
//! `deserialize_option` per optional field type). Every message stays what serde and
//! toml's deserializer wrote, byte for byte: serde's "unknown field", "invalid type",
//! "invalid value" and "invalid length" texts (made by serde's own `de::Error`
//! methods), the custom messages of each key, and toml's rendering with the line,
//! column and source line, at the same span. The rules followed, as toml 0.9's
//! deserializer has them:
//!
//! - a value's own read sets its span on an error that has none (toml's
//!   `ValueDeserializer`), and so does a table's entry (its value's span) and a key
//!   (an unknown key's span);
//! - a key read with its own function (`deserialize_with` before: `de_thp`, ...)
//!   leaves its custom message without a span, so in a table it gets the value's span
//!   and in an array read as a table (serde reads a struct from a sequence, field by
//!   field, extra items ignored) the array's;
//! - a datetime is a map with one private key to serde; read from a `toml::Value` (a
//!   question's `check`) it is a string;
//! - a float too large for f64 fails every read that looks at it, containers read as a
//!   whole included ("floating-point number overflowed");
//! - keys are read in the table's order, the first error wins.
//!
//! Every integer here fits i64: a file with a larger one is read as a `toml::Table`
//! first, which fails (see `read_file`). `oracle.rs` (tests only) keeps the serde
//! reader and compares the two on the library and thousands of mutated files.

use core::fmt;
use core::ops::Range;
use std::borrow::Cow;

use serde::de::{Error as _, Unexpected};
use toml::de::DeValue;
use toml::value::Datetime;
use toml::Spanned;

use crate::limits::NODES_MAX;
use crate::machine::{parse_core_size, CoreSize, ManagedCount, ThpMode};
use crate::scenario::expect::{ExpectToml, Says};
use crate::scenario::question::{AnswerToml, QuestionToml};
use crate::scenario::{AboutToml, FileToml, MachineToml, NodeToml, SysctlToml, WorkloadToml};
use crate::text::{parse_cpulist, parse_phys_range};
use crate::types::{Kernel, PfnRange, ZoneType};

/// A value of the parsed file, with its span.
pub(super) type Item<'i> = Spanned<DeValue<'i>>;

/// The key serde sees in a datetime (toml_datetime's private field name).
const DATETIME_KEY: &str = "$__toml_private_datetime";

/// An error as toml's deserializer carries it: the message and, once known, the span.
#[derive(Debug)]
pub(super) struct Fail {
    pub(super) message: String,
    pub(super) span: Option<Range<usize>>,
}

impl Fail {
    fn or_span(mut self, span: Option<Range<usize>>) -> Self {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fail {}

/// serde's own `invalid_type`, `unknown_field`, ... write the messages.
impl serde::de::Error for Fail {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Fail {
            message: message.to_string(),
            span: None,
        }
    }
}

fn custom(message: String) -> Fail {
    Fail {
        message,
        span: None,
    }
}

/// What serde sees of a value.
pub(super) enum Kind<'v, V> {
    Str(Cow<'v, str>),
    Int(i64),
    /// `None`: too large for f64.
    Float(Option<f64>),
    Bool(bool),
    /// Only from the file's tree (a `toml::Value`'s datetime reads as a string).
    Datetime(&'v Datetime),
    /// An integer beyond i64 (never read here: such files take `read_file`'s other way).
    Big,
    Array(&'v [V]),
    /// The entries in the table's order: key, the key's span, value.
    Table(Vec<(&'v str, Option<Range<usize>>, &'v V)>),
}

/// A value the readers take: the file's tree, or a `toml::Value` (a question's `check`).
pub(super) trait Val: Sized {
    fn kind(&self) -> Kind<'_, Self>;
    fn at(&self) -> Option<Range<usize>>;
    /// The value as a `toml::Value` (for the messages that show one).
    fn value(&self) -> Result<toml::Value, Fail>;
}

/// toml's float conversion: a float that does not fit f64 (not written as `inf`) is an
/// error, not infinity.
fn float(text: &str) -> Option<f64> {
    let f: f64 = text.parse().ok()?;
    if f.is_infinite() && !text.contains("inf") {
        None
    } else {
        Some(f)
    }
}

fn overflowed() -> Fail {
    custom("floating-point number overflowed".to_string())
}

/// What `toml::Value`'s read says of an integer beyond i64 (toml hands it to serde
/// as the smallest type that holds it).
fn beyond_i64(digits: &str, radix: u32) -> Fail {
    let other = if u64::from_str_radix(digits, radix).is_ok() {
        return custom("u64 value was too large".to_string());
    } else if let Ok(n) = i128::from_str_radix(digits, radix) {
        format!("integer `{n}` as i128")
    } else if let Ok(n) = u128::from_str_radix(digits, radix) {
        format!("integer `{n}` as u128")
    } else {
        return too_large();
    };
    Fail::invalid_type(Unexpected::Other(&other), &"any valid TOML value")
}

fn too_large() -> Fail {
    custom("integer number overflowed".to_string())
}

impl Val for Item<'_> {
    fn kind(&self) -> Kind<'_, Self> {
        match self.get_ref() {
            DeValue::String(s) => Kind::Str(Cow::Borrowed(s)),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Kind::Int(n),
                Err(_) => Kind::Big,
            },
            DeValue::Float(f) => Kind::Float(float(f.as_str())),
            DeValue::Boolean(b) => Kind::Bool(*b),
            DeValue::Datetime(d) => Kind::Datetime(d),
            DeValue::Array(items) => Kind::Array(items),
            DeValue::Table(table) => Kind::Table(
                table
                    .iter()
                    .map(|(key, value)| (key.get_ref().as_ref(), Some(key.span()), value))
                    .collect(),
            ),
        }
    }

    fn at(&self) -> Option<Range<usize>> {
        Some(Spanned::span(self))
    }

    fn value(&self) -> Result<toml::Value, Fail> {
        let value = match self.get_ref() {
            DeValue::String(s) => Ok(toml::Value::String(s.to_string())),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map(toml::Value::Integer)
                .map_err(|_| beyond_i64(i.as_str(), i.radix())),
            DeValue::Float(f) => float(f.as_str())
                .map(toml::Value::Float)
                .ok_or_else(overflowed),
            DeValue::Boolean(b) => Ok(toml::Value::Boolean(*b)),
            DeValue::Datetime(d) => Ok(toml::Value::Datetime(*d)),
            DeValue::Array(items) => items
                .iter()
                .map(Val::value)
                .collect::<Result<Vec<_>, _>>()
                .map(toml::Value::Array),
            DeValue::Table(table) => value_table(table).map(toml::Value::Table),
        };
        value.map_err(|e| e.or_span(self.at()))
    }
}

impl Val for toml::Value {
    fn kind(&self) -> Kind<'_, Self> {
        match self {
            toml::Value::String(s) => Kind::Str(Cow::Borrowed(s)),
            toml::Value::Integer(n) => Kind::Int(*n),
            toml::Value::Float(f) => Kind::Float(Some(*f)),
            toml::Value::Boolean(b) => Kind::Bool(*b),
            toml::Value::Datetime(d) => Kind::Str(Cow::Owned(d.to_string())),
            toml::Value::Array(items) => Kind::Array(items),
            toml::Value::Table(table) => Kind::Table(
                table
                    .iter()
                    .map(|(key, value)| (key.as_str(), None, value))
                    .collect(),
            ),
        }
    }

    fn at(&self) -> Option<Range<usize>> {
        None
    }

    fn value(&self) -> Result<toml::Value, Fail> {
        Ok(self.clone())
    }
}

/// serde's "invalid type: X, expected `expected`" for a value of this kind (a float
/// too large fails before serde sees it).
fn invalid_type<V>(kind: &Kind<'_, V>, expected: &str) -> Fail {
    let unexpected = match kind {
        Kind::Str(s) => Unexpected::Str(s),
        Kind::Int(n) => Unexpected::Signed(*n),
        Kind::Float(Some(f)) => Unexpected::Float(*f),
        Kind::Float(None) => return overflowed(),
        Kind::Big => return too_large(),
        Kind::Bool(b) => Unexpected::Bool(*b),
        Kind::Datetime(_) | Kind::Table(_) => Unexpected::Map,
        Kind::Array(_) => Unexpected::Seq,
    };
    Fail::invalid_type(unexpected, &expected)
}

/// A string (`String`'s `Deserialize`).
fn string<V: Val>(v: &V) -> Result<String, Fail> {
    match v.kind() {
        Kind::Str(s) => Ok(s.into_owned()),
        other => Err(invalid_type(&other, "a string")),
    }
    .map_err(|e| e.or_span(v.at()))
}

fn boolean<V: Val>(v: &V) -> Result<bool, Fail> {
    match v.kind() {
        Kind::Bool(b) => Ok(b),
        other => Err(invalid_type(&other, "a boolean")),
    }
    .map_err(|e| e.or_span(v.at()))
}

/// An integer of type `T`, named `name` as serde names it ("u8", "i64", ...).
fn int<V: Val, T: TryFrom<i64>>(v: &V, name: &str) -> Result<T, Fail> {
    match v.kind() {
        Kind::Int(n) => {
            T::try_from(n).map_err(|_| Fail::invalid_value(Unexpected::Signed(n), &name))
        }
        other => Err(invalid_type(&other, name)),
    }
    .map_err(|e| e.or_span(v.at()))
}

/// A sequence (`Vec<T>`'s `Deserialize`), each item read by `item`.
fn seq<V: Val, T>(v: &V, item: impl Fn(&V) -> Result<T, Fail>) -> Result<Vec<T>, Fail> {
    match v.kind() {
        Kind::Array(items) => items.iter().map(item).collect(),
        other => Err(invalid_type(&other, "a sequence")),
    }
    .map_err(|e| e.or_span(v.at()))
}

/// What an untagged enum does first: the value read whole (only a float too large for
/// f64 fails that).
fn content<V: Val>(v: &V) -> Result<(), Fail> {
    let inner = match v.kind() {
        Kind::Float(None) => Err(overflowed()),
        Kind::Big => Err(too_large()),
        Kind::Array(items) => items.iter().try_for_each(content),
        Kind::Table(entries) => entries
            .iter()
            .try_for_each(|(_, _, value)| content(*value).map_err(|e| e.or_span(value.at()))),
        _ => Ok(()),
    };
    inner.map_err(|e| e.or_span(v.at()))
}

fn untagged(name: &str) -> Fail {
    custom(format!(
        "data did not match any variant of untagged enum {name}"
    ))
}

/// A struct with named fields, as serde's derive reads it (with `deny_unknown_fields`).
pub(super) trait Record<V: Val>: Default {
    /// serde's name for it: "struct MachineToml".
    const NAME: &'static str;
    /// The keys, in the struct's order.
    const FIELDS: &'static [&'static str];
    /// Whether the first field has no default (read from an array, an empty one is an
    /// error).
    const FIRST_REQUIRED: bool = false;
    /// Reads key `key` (one of [`Record::FIELDS`]).
    fn set(&mut self, key: &str, v: &V) -> Result<(), Fail>;
}

/// A struct from a table (or an array, field by field, or a datetime: its private key
/// is unknown).
pub(super) fn record<V: Val, R: Record<V>>(v: &V) -> Result<R, Fail> {
    let mut record = R::default();
    let read = match v.kind() {
        Kind::Table(entries) => entries.into_iter().try_for_each(|(key, key_span, value)| {
            if !R::FIELDS.contains(&key) {
                return Err(Fail::unknown_field(key, R::FIELDS).or_span(key_span));
            }
            record.set(key, value).map_err(|e| e.or_span(value.at()))
        }),
        Kind::Array(items) => {
            if R::FIRST_REQUIRED && items.is_empty() {
                let expected = format!("{} with {} elements", R::NAME, R::FIELDS.len());
                Err(Fail::invalid_length(0, &expected.as_str()))
            } else {
                R::FIELDS
                    .iter()
                    .zip(items)
                    .try_for_each(|(key, item)| record.set(key, item))
            }
        }
        Kind::Datetime(_) => Err(Fail::unknown_field(DATETIME_KEY, R::FIELDS)),
        other => Err(invalid_type(&other, R::NAME)),
    };
    read.map(|()| record).map_err(|e| e.or_span(v.at()))
}

// ---------------------------------------------------------------------------------
// The file.

impl<'i> Record<Item<'i>> for FileToml {
    const NAME: &'static str = "struct FileToml";
    const FIELDS: &'static [&'static str] = &[
        "version", "machine", "workload", "about", "expect", "question",
    ];

    fn set(&mut self, key: &str, v: &Item<'i>) -> Result<(), Fail> {
        match key {
            "version" => self._version = Some(int(v, "i64")?),
            "machine" => self.machine = Some(record(v)?),
            "workload" => self.workload = Some(record(v)?),
            "about" => self.about = Some(record(v)?),
            "expect" => self.expect = Some(seq(v, record)?),
            "question" => {
                self.question = Some(seq(v, |q| {
                    let question = record(q)?;
                    Ok(Spanned::new(Spanned::span(q), question))
                })?)
            }
            _ => {}
        }
        Ok(())
    }
}

/// The file's top table read into a [`FileToml`]; the version was checked before.
pub(super) fn file(root: &Item<'_>) -> Result<FileToml, Fail> {
    record(root)
}

impl<'i> Record<Item<'i>> for AboutToml {
    const NAME: &'static str = "struct AboutToml";
    const FIELDS: &'static [&'static str] = &["title", "text"];

    fn set(&mut self, key: &str, v: &Item<'i>) -> Result<(), Fail> {
        match key {
            "title" => self.title = Some(string(v)?),
            "text" => self.text = Some(string(v)?),
            _ => {}
        }
        Ok(())
    }
}

impl<'i> Record<Item<'i>> for WorkloadToml {
    const NAME: &'static str = "struct WorkloadToml";
    const FIELDS: &'static [&'static str] = &["seed", "script", "open_at", "kswapd"];

    fn set(&mut self, key: &str, v: &Item<'i>) -> Result<(), Fail> {
        match key {
            "seed" => self.seed = big(v)?,
            "script" => self.script = Some(string(v)?),
            "open_at" => self.open_at = big(v)?,
            "kswapd" => self.kswapd = Some(string(v)?),
            _ => {}
        }
        Ok(())
    }
}

/// A whole number of 64 bits: TOML integers stop at 2^63 - 1, so larger values are
/// written as a string of digits.
fn big(v: &Item<'_>) -> Result<Option<u64>, Fail> {
    content(v)?;
    match v.kind() {
        Kind::Int(n) => u64::try_from(n).map(Some).map_err(|_| {
            custom(format!(
                "{n} is negative; a whole number 0 or more is needed"
            ))
        }),
        Kind::Str(t) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| custom(format!("\"{t}\" is not a whole number from 0 to 2^64 - 1"))),
        _ => {
            let value = v.value()?;
            Err(custom(format!(
                "expected a whole number, found `{}`",
                super::toml_text::ValueText(&value)
            )))
        }
    }
}

impl<'i> Record<Item<'i>> for MachineToml {
    const NAME: &'static str = "struct MachineToml";
    const FIELDS: &'static [&'static str] = &[
        "section_size_bits",
        "thp",
        "kernelcore",
        "movablecore",
        "cma",
        "movable_node",
        "kernel",
        "mobility_grouping",
        "distances",
        "reserved",
        "nodes",
        "sysctl",
        "managed",
    ];

    fn set(&mut self, key: &str, v: &Item<'i>) -> Result<(), Fail> {
        match key {
            "section_size_bits" => self.section_size_bits = Some(int(v, "u8")?),
            "thp" => self.thp = Some(thp(v)?),
            "kernelcore" => self.kernelcore = Some(core_size(v, "kernelcore")?),
            "movablecore" => self.movablecore = Some(core_size(v, "movablecore")?),
            "cma" => self.cma = Some(cma(v)?),
            "movable_node" => self.movable_node = Some(ranges(v, "machine.movable_node")?),
            "kernel" => self.kernel = Some(kernel(v)?),
            "mobility_grouping" => self.mobility_grouping = Some(boolean(v)?),
            "distances" => self.distances = Some(seq(v, |row| seq(row, |d| int(d, "u32")))?),
            "reserved" => self.reserved = Some(ranges(v, "machine.reserved")?),
            "nodes" => self.nodes = Some(seq(v, record)?),
            "sysctl" => self.sysctl = Some(record(v)?),
            "managed" => self.managed = Some(managed(v)?),
            _ => {}
        }
        Ok(())
    }
}

impl<'i> Record<Item<'i>> for NodeToml {
    const NAME: &'static str = "struct NodeToml";
    const FIELDS: &'static [&'static str] = &["memory", "cpus"];

    fn set(&mut self, key: &str, v: &Item<'i>) -> Result<(), Fail> {
        match key {
            "memory" => self.memory = ranges(v, "machine.nodes.memory")?,
            "cpus" => {
                let text = string(v)?;
                self.cpus = Some(
                    parse_cpulist(&text)
                        .map_err(|why| custom(format!("`machine.nodes.cpus`: {why}")))?,
                )
            }
            _ => {}
        }
        Ok(())
    }
}

impl<'i> Record<Item<'i>> for SysctlToml {
    const NAME: &'static str = "struct SysctlToml";
    const FIELDS: &'static [&'static str] = &[
        "min_free_kbytes",
        "watermark_scale_factor",
        "watermark_boost_factor",
        "lowmem_reserve_ratio",
        "percpu_pagelist_high_fraction",
    ];

    fn set(&mut self, key: &str, v: &Item<'i>) -> Result<(), Fail> {
        match key {
            "min_free_kbytes" => self.min_free_kbytes = Some(int(v, "u64")?),
            "watermark_scale_factor" => self.watermark_scale_factor = Some(int(v, "u32")?),
            "watermark_boost_factor" => self.watermark_boost_factor = Some(int(v, "u32")?),
            "lowmem_reserve_ratio" => {
                let values: Vec<u32> = seq(v, |n| int(n, "u32"))?;
                let ratios = <[u32; 5]>::try_from(values.as_slice()).map_err(|_| {
                    custom(format!(
                        "`machine.sysctl.lowmem_reserve_ratio` needs 5 numbers, one per zone (DMA, DMA32, Normal, Movable, \
                         Device), like [256, 256, 32, 0, 0]; found {}",
                        values.len()
                    ))
                })?;
                self.lowmem_reserve_ratio = Some(ratios)
            }
            "percpu_pagelist_high_fraction" => {
                self.percpu_pagelist_high_fraction = Some(int(v, "u32")?)
            }
            _ => {}
        }
        Ok(())
    }
}

fn kernel(v: &Item<'_>) -> Result<Kernel, Fail> {
    let text = string(v)?;
    Kernel::parse(&text).map_err(|e| custom(format!("`machine.kernel`: {e}")))
}

fn cma(v: &Item<'_>) -> Result<u64, Fail> {
    let text = string(v)?;
    crate::text::parse_size(&text)
        .map_err(|e| custom(format!("`machine.cma`: {e} (a size such as \"64M\")")))
}

fn thp(v: &Item<'_>) -> Result<ThpMode, Fail> {
    let text = string(v)?;
    match text.as_str() {
        "always" => Ok(ThpMode::Always),
        "madvise" => Ok(ThpMode::Madvise),
        "never" => Ok(ThpMode::Never),
        _ => Err(custom(format!(
            "`machine.thp` must be \"always\", \"madvise\" or \"never\", found \"{text}\""
        ))),
    }
}

fn core_size(v: &Item<'_>, field: &str) -> Result<CoreSize, Fail> {
    let text = string(v)?;
    if text.trim() == "mirror" && field == "kernelcore" {
        return Err(custom(
            "`machine.kernelcore`: \"mirror\" (ZONE_MOVABLE from mirrored memory) is not modelled by Buddyscope; \
             use a size like \"512M\" or a percentage like \"25%\""
                .to_string(),
        ));
    }
    parse_core_size(&text).map_err(|why| custom(format!("`machine.{field}`: {why}")))
}

fn ranges(v: &Item<'_>, field: &str) -> Result<Vec<PfnRange>, Fail> {
    let texts = seq(v, string)?;
    texts
        .iter()
        .map(|text| parse_phys_range(text).map_err(|why| custom(format!("`{field}`: {why}"))))
        .collect()
}

/// `[machine.managed]`: `BTreeMap<String, u64>`'s read (a datetime is a map of one
/// string), then the keys checked in order.
fn managed(v: &Item<'_>) -> Result<Vec<ManagedCount>, Fail> {
    let table = match v.kind() {
        // Inserted one by one, the last count of a key winning as in `collect()`,
        // which compiles a copy of the standard library's stable sort of its own
        // (docs/performance.md, branch size21).
        // Kept sorted by key as a `BTreeMap` would be (a `BTreeMap<String, u64>`
        // compiled its code into the page, docs/performance.md, branch size23).
        Kind::Table(entries) => (|| -> Result<Vec<(String, u64)>, Fail> {
            let mut table: Vec<(String, u64)> = Vec::new();
            for (key, _, value) in entries {
                let count = int(value, "u64").map_err(|e| e.or_span(value.at()))?;
                let new = || (key.to_string(), 0);
                if let Some(slot) = crate::types::sort::sorted_entry(&mut table, key, new) {
                    *slot = count;
                }
            }
            Ok(table)
        })(),
        Kind::Datetime(d) => Err(Fail::invalid_type(Unexpected::Str(&d.to_string()), &"u64")),
        other => Err(invalid_type(&other, "a map")),
    }
    .map_err(|e| e.or_span(v.at()))?;
    managed_counts(table).map_err(custom)
}

/// `[machine.managed]`'s keys read as (node, zone), sorted by them. Two keys naming
/// the same zone of the same node (`"2:DMA32"` and `"02:DMA32"`, or `" 2:DMA32"`)
/// are refused by name: which count is meant is the file's to say, not the reader's.
/// Shared with the serde oracle (tests), which reads the same table.
pub(super) fn managed_counts(table: Vec<(String, u64)>) -> Result<Vec<ManagedCount>, String> {
    let mut counts: Vec<(ManagedCount, String)> = Vec::with_capacity(table.len());
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
            return Err(format!(
                "`machine.managed`: the key \"{key}\" is not NODE:ZONE like \"0:DMA32\" (node 0 to {}, zone DMA, \
                 DMA32, Normal, Movable or Device)",
                NODES_MAX - 1
            ));
        };
        if let Some((_, first)) = counts
            .iter()
            .find(|(count, _)| count.node == node && count.zone == zone)
        {
            return Err(format!(
                "`machine.managed`: the keys \"{first}\" and \"{key}\" both name node {node}'s {} zone; \
                 keep one",
                zone.name()
            ));
        }
        let count = ManagedCount {
            node,
            zone,
            managed,
        };
        counts.push((count, key));
    }
    crate::types::sort::sort_by_key(&mut counts, |(count, _)| (count.node, count.zone));
    Ok(counts.into_iter().map(|(count, _)| count).collect())
}

// ---------------------------------------------------------------------------------
// `[[expect]]` and `[[question]]`.

impl<V: Val> Record<V> for ExpectToml {
    const NAME: &'static str = "struct ExpectToml";
    const FIELDS: &'static [&'static str] = &[
        "claim",
        "call",
        "step",
        "calls",
        "event",
        "says",
        "outcome",
        "operation",
        "count",
        "proc",
    ];
    const FIRST_REQUIRED: bool = true;

    fn set(&mut self, key: &str, v: &V) -> Result<(), Fail> {
        match key {
            "claim" => self.claim = Some(string(v)?),
            "call" => self.call = Some(int(v, "i64")?),
            "step" => self.step = Some(int(v, "i64")?),
            "calls" => self.calls = Some(seq(v, |n| int(n, "i64"))?),
            "event" => self.event = Some(string(v)?),
            "says" => self.says = Some(says(v)?),
            "outcome" => self.outcome = Some(string(v)?),
            "operation" => self.operation = Some(string(v)?),
            "count" => self.count = Some(int(v, "i64")?),
            "proc" => self.proc = Some(string(v)?),
            _ => {}
        }
        Ok(())
    }
}

/// `says`: one text or a list of texts (an untagged enum before).
fn says<V: Val>(v: &V) -> Result<Says, Fail> {
    content(v)?;
    match v.kind() {
        Kind::Str(text) => Ok(Says::One(text.into_owned())),
        Kind::Array(items) => items
            .iter()
            .map(|item| match item.kind() {
                Kind::Str(text) => Some(text.into_owned()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Says::Many)
            .ok_or_else(|| untagged("Says")),
        _ => Err(untagged("Says")),
    }
    .map_err(|e| e.or_span(v.at()))
}

/// A question's `check` table read into an [`ExpectToml`] (only the message is kept).
pub(super) fn check_expect(check: &toml::Value) -> Result<ExpectToml, String> {
    record(check).map_err(|e| e.message)
}

impl<'i> Record<Item<'i>> for QuestionToml {
    const NAME: &'static str = "struct QuestionToml";
    const FIELDS: &'static [&'static str] = &[
        "step", "call", "ask", "choices", "answer", "explain", "check",
    ];

    fn set(&mut self, key: &str, v: &Item<'i>) -> Result<(), Fail> {
        match key {
            "step" => self.step = Some(int(v, "i64")?),
            "call" => self.call = Some(int(v, "i64")?),
            "ask" => self.ask = Some(string(v)?),
            "choices" => self.choices = Some(seq(v, string)?),
            "answer" => self.answer = Some(answer(v)?),
            "explain" => self.explain = Some(string(v)?),
            "check" => self.check = Some(check_table(v)?),
            _ => {}
        }
        Ok(())
    }
}

/// `answer`: a number or a text (an untagged enum before).
fn answer(v: &Item<'_>) -> Result<AnswerToml, Fail> {
    content(v)?;
    match v.kind() {
        Kind::Int(n) => Ok(AnswerToml::Number(n)),
        Kind::Str(text) => Ok(AnswerToml::Text(text.into_owned())),
        _ => Err(untagged("AnswerToml")),
    }
    .map_err(|e| e.or_span(v.at()))
}

/// A parsed table as a `toml::Table`, its values read in order until the first that
/// fails. Inserted one by one: `collect()` into the map compiles a copy of the
/// standard library's stable sort of its own (docs/performance.md, branch size21);
/// a parsed table's keys are distinct, so the map is the same.
fn value_table(table: &toml::de::DeTable<'_>) -> Result<toml::Table, Fail> {
    let mut out = toml::Table::new();
    for (key, value) in table.iter() {
        let value = value.value().map_err(|e| e.or_span(value.at()))?;
        out.insert(key.get_ref().to_string(), value);
    }
    Ok(out)
}

/// `check` as a `toml::Table` (`Table`'s `Deserialize`: a datetime is a table of one
/// string).
fn check_table(v: &Item<'_>) -> Result<toml::Table, Fail> {
    match v.get_ref() {
        DeValue::Table(table) => value_table(table),
        DeValue::Datetime(d) => {
            let mut table = toml::Table::new();
            table.insert(DATETIME_KEY.to_string(), toml::Value::String(d.to_string()));
            Ok(table)
        }
        _ => Err(invalid_type(&v.kind(), "a map")),
    }
    .map_err(|e| e.or_span(v.at()))
}

/// A whole file read as a `toml::Table` (what `text.parse::<toml::Table>()` gave,
/// its error as toml's `Display` writes it: a float or an integer no `toml::Value`
/// holds fails it).
pub(crate) fn parse_table(text: &str) -> Result<toml::Table, String> {
    let root = toml::de::DeTable::parse(text).map_err(|error| error.to_string())?;
    let span = root.span();
    let root = Spanned::new(span, DeValue::Table(root.into_inner()));
    match root.value() {
        Ok(toml::Value::Table(table)) => Ok(table),
        Ok(_) => Ok(toml::Table::new()),
        Err(fail) => Err(render(text, fail) + "\n"),
    }
}

// ---------------------------------------------------------------------------------
// The message.

/// The error as toml's `Display` writes it (the line and column, the source line with
/// the span underlined, then the message), trimmed at the end.
pub(super) fn render(input: &str, fail: Fail) -> String {
    use fmt::Write as _;
    let mut out = String::new();
    if let Some(span) = fail.span {
        let (line, column) = translate_position(input.as_bytes(), span.start);
        let line_num = line + 1;
        let col_num = column + 1;
        let gutter = line_num.to_string().len();
        let content = input.split('\n').nth(line).unwrap_or("");
        let highlight_len = span.end - span.start;
        // Allow highlight to go one past the line
        let highlight_len = highlight_len.min(content.len().saturating_sub(column));
        let _ = writeln!(out, "TOML parse error at line {line_num}, column {col_num}");
        out.push_str(&" ".repeat(gutter + 1));
        out.push_str("|\n");
        let _ = writeln!(out, "{line_num} | {content}");
        out.push_str(&" ".repeat(gutter + 1));
        out.push('|');
        out.push_str(&" ".repeat(column + 1));
        out.push('^');
        for _ in 1..highlight_len {
            out.push('^');
        }
        out.push('\n');
    }
    out.push_str(&fail.message);
    out.trim_end().to_string()
}

/// toml's line and column (from 0) of byte `index`.
fn translate_position(input: &[u8], index: usize) -> (usize, usize) {
    if input.is_empty() {
        return (0, index);
    }
    let safe_index = index.min(input.len() - 1);
    let column_offset = index - safe_index;
    let index = safe_index;
    let before = input.get(..index).unwrap_or_default();
    let nl = before
        .iter()
        .rev()
        .enumerate()
        .find(|(_, b)| **b == b'\n')
        .map(|(nl, _)| index - nl - 1);
    let line_start = match nl {
        Some(nl) => nl + 1,
        None => 0,
    };
    let line = input
        .get(..line_start)
        .unwrap_or_default()
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    let column = input
        .get(line_start..=index)
        .and_then(|s| core::str::from_utf8(s).ok())
        .map(|s| s.chars().count() - 1)
        .unwrap_or(index - line_start);
    (line, column + column_offset)
}
