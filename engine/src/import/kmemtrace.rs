//! Importer for the text of a real kernel's page-allocator trace: the ftrace `trace`
//! file (`/sys/kernel/tracing/trace`, also `trace-cmd report`) or `perf script`
//! output for the kmem events `mm_page_alloc`, `mm_page_free`, `mm_page_free_batched`
//! (turned into a workload) and `mm_page_pcpu_drain`, `mm_page_alloc_extfrag`,
//! `mm_page_alloc_zone_locked` (counted only: they are the allocator's own decisions,
//! which the engine recomputes).
//!
//! The print formats are those of Linux 6.1 `include/trace/events/kmem.h`:
//!
//! ```text
//! mm_page_alloc:        page=%p pfn=0x%lx order=%d migratetype=%d gfp_flags=%s
//! mm_page_free:         page=%p pfn=0x%lx order=%d
//! mm_page_free_batched: page=%p pfn=0x%lx order=0
//! ```
//!
//! and the two line layouts in front of them:
//!
//! ```text
//! ftrace:  "          <idle>-0       [000] d..1.     0.470381: mm_page_alloc: page=..."
//! perf:    "perf  6429 [000]    22.498450:             kmem:mm_page_alloc: page=..."
//! ```
//!
//! Kernels before 3.3 named two of the events differently: `mm_page_free_direct`
//! (today's `mm_page_free`) and `mm_pagevec_free` (today's `mm_page_free_batched`,
//! then printing `order=0 cold=%d`); both are read as today's events and counted
//! under today's names, with an informational count of the old name. Any other event
//! line is counted by its event name in [`ImportedTrace::unknown_events`].
//!
//! `pfn=` is read as hex with `0x` and as decimal without (older kernels print
//! `pfn=%lu`, and so does perf's raw `[FAILED TO PARSE]` fallback). A failed
//! allocation prints a null page: `page=0000000000000000 pfn=0x0` (6.1), or
//! `page=          (null) pfn=0` (older kernels pad `%p`'s `(null)` to the pointer
//! width), and becomes a [`TraceOp::Alloc`] without a pfn. `gfp_flags=` is
//! the `show_gfp_flags()` text of include/trace/events/mmflags.h: names joined with
//! `|`, a hex remainder for bits without a name, or `none`.
//!
//! Frees are matched to allocations by pfn. A free of pages the trace never saw
//! allocated (nor touched before) frees a block allocated before tracing began: it
//! is kept in [`ImportedTrace::pre_trace`], and a replay holds that block from the
//! start. Header lines (`#`) and blank lines are ignored; every other line that is not used is counted in
//! [`ImportedTrace::skipped`] with a reason and example line numbers. Nothing here
//! panics, whatever the input.

use crate::limits::{TRACE_BYTES_MAX, TRACE_LINES_MAX};
use core::fmt;
use std::collections::BTreeMap;

use crate::types::gfp::GFP_NAMES;

/// How many example line numbers each skip reason keeps.
pub const MAX_SKIP_EXAMPLES: usize = 5;
/// The highest order a Linux 6.1 allocation can have (`MAX_ORDER - 1`).
pub const MAX_TRACE_ORDER: u32 = 10;

/// gfp names `show_gfp_flags()` can print that [`GFP_NAMES`] lacks, with their
/// values from include/linux/gfp_types.h of 6.1. The KASAN bits only have names
/// (and values) in kernels built with CONFIG_KASAN_HW_TAGS; `__GFP_NOLOCKDEP` only
/// with CONFIG_LOCKDEP (6.1 does not print it, later kernels may).
const EXTRA_GFP_NAMES: &[(&str, u32)] = &[
    ("__GFP_SKIP_ZERO", 0x100_0000),
    ("__GFP_SKIP_KASAN_UNPOISON", 0x200_0000),
    ("__GFP_SKIP_KASAN_POISON", 0x400_0000),
    ("__GFP_NOLOCKDEP", 0x800_0000),
];

/// One operation of the imported workload, in trace order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceOp {
    /// mm_page_alloc: an allocation of `order` returned `pfn` (pfn absent when the
    /// trace prints a null page, `pfn=0x0`: a failed allocation).
    Alloc {
        cpu: u32,
        pfn: Option<u64>,
        order: u32,
        migratetype: i32,
        gfp: u32,
        gfp_text: String,
        /// 1-based line number in the input.
        line: usize,
    },
    /// mm_page_free / mm_page_free_batched: a free of an earlier allocation, matched
    /// by pfn. `alloc_index` is the index in [`ImportedTrace::ops`] of the
    /// [`TraceOp::Alloc`] it frees; `None` when it frees a block allocated before
    /// the trace began, then `pre_trace` is its index in [`ImportedTrace::pre_trace`].
    Free {
        cpu: u32,
        pfn: u64,
        order: u32,
        alloc_index: Option<usize>,
        pre_trace: Option<usize>,
        batched: bool,
        /// 1-based line number in the input.
        line: usize,
    },
}

/// Lines that could not be used, for one reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedLines {
    pub reason: String,
    pub count: u64,
    /// The first few (1-based) line numbers, at most [`MAX_SKIP_EXAMPLES`].
    pub examples: Vec<usize>,
}

/// The result of [`import_trace`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ImportedTrace {
    pub ops: Vec<TraceOp>,
    /// Counts by event name of the lines used.
    pub used: Vec<(String, u64)>,
    /// Lines that could not be used, counted by reason, in order of first
    /// occurrence.
    pub skipped: Vec<SkippedLines>,
    /// Informational events kept as counts only (mm_page_pcpu_drain,
    /// mm_page_alloc_extfrag, mm_page_alloc_zone_locked), plus
    /// [`ALLOC_OVER_LIVE`]: allocations of a pfn the trace still held allocated
    /// (the earlier allocation's free was not in the trace; it is taken as freed
    /// untraced and stays without a [`TraceOp::Free`]), [`FREE_PAIRED`], and the
    /// lines read under an old event name ([`renamed`]).
    pub informational: Vec<(String, u64)>,
    /// Event lines of events this importer does not read, counted by event name
    /// (they are also counted in [`ImportedTrace::skipped`] as
    /// [`reason::NOT_KMEM`]).
    pub unknown_events: Vec<(String, u64)>,
    /// Blocks freed in the trace whose allocation came before it began, in order of
    /// their free: a replay holds them from the start.
    pub pre_trace: Vec<PreTraceBlock>,
    /// For an allocation (by index in [`ImportedTrace::ops`]), the pfns its
    /// `rmqueue_bulk()` moved to the CPU's per-cpu list first, in order: the
    /// mm_page_alloc_zone_locked lines with `percpu_refill=1` on its CPU since that
    /// CPU's previous allocation, of its order and migratetype.
    pub pcp_refills: PfnsByOp,
    /// The pages mm_page_pcpu_drain lines gave back from per-cpu lists to the buddy
    /// lists, in order, keyed by the index in [`ImportedTrace::ops`] of the first
    /// operation after them.
    pub pcp_drains: PfnsByOp,
}

/// Pfns by operation index, in index order: a `BTreeMap<usize, Vec<u64>>`'s lookups
/// and order on a sorted `Vec` (the importer adds them in index order, so each is a
/// push; the map compiled its own code into the page, docs/performance.md, branch
/// size23). `Debug` shows it as the map it replaces.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PfnsByOp(Vec<(usize, Vec<u64>)>);

impl PfnsByOp {
    fn at(&self, index: usize) -> Result<usize, usize> {
        match self.0.last() {
            Some(&(last, _)) if last < index => Err(self.0.len()),
            None => Err(0),
            _ => self.0.binary_search_by(|&(k, _)| k.cmp(&index)),
        }
    }

    /// The pfns of operation `index`, an empty list added first if there is none.
    fn slot(&mut self, index: usize) -> Option<&mut Vec<u64>> {
        let at = match self.at(index) {
            Ok(at) => at,
            Err(at) => {
                self.0.insert(at, (index, Vec::new()));
                at
            }
        };
        self.0.get_mut(at).map(|(_, pfns)| pfns)
    }

    pub fn get(&self, index: &usize) -> Option<&Vec<u64>> {
        self.at(*index)
            .ok()
            .and_then(|at| self.0.get(at))
            .map(|(_, pfns)| pfns)
    }

    pub fn contains_key(&self, index: &usize) -> bool {
        self.at(*index).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The operations' indexes and pfns in index order.
    pub fn iter(&self) -> impl Iterator<Item = (&usize, &Vec<u64>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl std::fmt::Debug for PfnsByOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A block the trace frees without having seen it allocated: in use when tracing
/// began.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreTraceBlock {
    pub pfn: u64,
    pub order: u32,
    /// The (1-based) line of its free.
    pub line: usize,
}

/// Name of the informational count of a page's second free event: since Linux 3.3
/// `free_unref_page_list()` (`free_hot_cold_page_list()` before 4.15) traces a page
/// it frees twice, as mm_page_free (in `free_pages_prepare()`) and as
/// mm_page_free_batched (after it in 6.1, before it in 3.3), so one free of the pair
/// is the page's free and the other repeats it.
pub const FREE_PAIRED: &str =
    "mm_page_free_batched paired with the same page's mm_page_free (one free, traced twice by free_unref_page_list)";

/// Name of the informational count of allocations that overlapped a live one.
pub const ALLOC_OVER_LIVE: &str = "mm_page_alloc over a still-live allocation (free not traced)";

/// Skip reasons, as they appear in [`SkippedLines::reason`].
pub mod reason {
    pub const NOT_EVENT: &str = "not a trace event line";
    pub const NOT_KMEM: &str = "not a kmem page-allocator event";
    pub const LOST_EVENTS: &str = "lost-events marker (the trace is incomplete here)";
    pub const CALLCHAIN: &str = "perf callchain line";
    pub const NO_CPU: &str = "event line without a [CPU] field";
    pub const GARBLED_ALLOC: &str = "garbled mm_page_alloc line";
    pub const GARBLED_FREE: &str = "garbled mm_page_free line";
    pub const GARBLED_BATCHED: &str = "garbled mm_page_free_batched line";
    pub const UNKNOWN_GFP: &str = "mm_page_alloc with a gfp flag name this importer does not know";
    pub const ZONE_BAD_GFP: &str =
        "mm_page_alloc with zone modifiers the kernel rejects (GFP_ZONE_BAD)";
    pub const ORDER_TOO_HIGH: &str = "order above MAX_ORDER-1 (10)";
    pub const FREE_UNKNOWN: &str =
        "free of pages freed earlier in the trace and not allocated since by a traced call (__alloc_pages_bulk() allocates without an mm_page_alloc line)";
    pub const FREE_ORDER_MISMATCH: &str =
        "free whose order differs from the live allocation at that pfn";
    pub const FREE_INSIDE: &str =
        "free of a page inside a live higher-order allocation (split_page or alloc_pages_exact)";
}

/// A problem that stops the import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// 1-based line number the problem is at (for size limits, the first line
    /// beyond the limit, or 0 when the whole input is concerned).
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for TraceError {}

impl ImportedTrace {
    /// How many lines were skipped for `reason` (0 if none).
    pub fn skipped_count(&self, reason: &str) -> u64 {
        self.skipped
            .iter()
            .find(|s| s.reason == reason)
            .map_or(0, |s| s.count)
    }

    /// How many lines of event `name` were used (0 if none).
    pub fn used_count(&self, name: &str) -> u64 {
        count_of(&self.used, name)
    }

    /// The informational count of `name` (0 if none).
    pub fn informational_count(&self, name: &str) -> u64 {
        count_of(&self.informational, name)
    }

    /// How many lines of event `name` (not read by this importer) there were.
    pub fn unknown_event_count(&self, name: &str) -> u64 {
        count_of(&self.unknown_events, name)
    }

    /// The traced allocations that returned NULL.
    pub fn failed_allocations(&self) -> u64 {
        self.ops
            .iter()
            .filter(|op| matches!(op, TraceOp::Alloc { pfn: None, .. }))
            .count() as u64
    }

    /// Total number of skipped lines.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|s| s.count).sum()
    }
}

fn count_of(list: &[(String, u64)], name: &str) -> u64 {
    list.iter().find(|(n, _)| n == name).map_or(0, |(_, c)| *c)
}

fn bump(list: &mut Vec<(String, u64)>, name: &str) {
    if let Some(entry) = list.iter_mut().find(|(n, _)| n == name) {
        entry.1 = entry.1.saturating_add(1);
    } else {
        list.push((name.to_string(), 1));
    }
}

fn skip(list: &mut Vec<SkippedLines>, reason: &str, line: usize) {
    if let Some(entry) = list.iter_mut().find(|s| s.reason == reason) {
        entry.count = entry.count.saturating_add(1);
        if entry.examples.len() < MAX_SKIP_EXAMPLES {
            entry.examples.push(line);
        }
    } else {
        list.push(SkippedLines {
            reason: reason.to_string(),
            count: 1,
            examples: vec![line],
        });
    }
}

/// The events this importer understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Alloc,
    Free,
    FreeBatched,
    PcpuDrain,
    Extfrag,
    ZoneLocked,
}

/// Event names, each with what it is read as; the two names before Linux 3.3
/// (commit "mm-tracepoint: rename page-free events") are read as today's.
const EVENTS: &[(&str, Kind)] = &[
    ("mm_page_alloc", Kind::Alloc),
    ("mm_page_free", Kind::Free),
    ("mm_page_free_batched", Kind::FreeBatched),
    ("mm_page_pcpu_drain", Kind::PcpuDrain),
    ("mm_page_alloc_extfrag", Kind::Extfrag),
    ("mm_page_alloc_zone_locked", Kind::ZoneLocked),
    ("mm_page_free_direct", Kind::Free),
    ("mm_pagevec_free", Kind::FreeBatched),
];

/// The pre-3.3 event names and the names they are read as.
pub const OLD_NAMES: &[(&str, &str)] = &[
    ("mm_page_free_direct", "mm_page_free"),
    ("mm_pagevec_free", "mm_page_free_batched"),
];

/// The name of the informational count of lines read under the old event name
/// `old` (one of [`OLD_NAMES`]).
pub fn renamed(old: &str) -> String {
    let today = OLD_NAMES
        .iter()
        .find(|(o, _)| *o == old)
        .map_or("today's event", |(_, t)| t);
    format!("{old} (the name before Linux 3.3), read as {today}")
}

/// Whitespace-separated tokens with their byte ranges.
fn tokens(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

/// `12.345678:` (ftrace and perf timestamps).
fn is_timestamp(tok: &str) -> bool {
    let Some(body) = tok.strip_suffix(':') else {
        return false;
    };
    !body.is_empty()
        && body.bytes().any(|b| b.is_ascii_digit())
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// `[001]`.
fn cpu_of(tok: &str) -> Option<u32> {
    let body = tok.strip_prefix('[')?.strip_suffix(']')?;
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    body.parse().ok()
}

/// The known event a token names (`mm_page_alloc:` or `kmem:mm_page_alloc:`).
fn event_of(tok: &str) -> Option<(&'static str, Kind)> {
    let name = tok.strip_suffix(':')?;
    let name = name.strip_prefix("kmem:").unwrap_or(name);
    EVENTS.iter().find(|(n, _)| *n == name).copied()
}

/// A perf callchain frame: `    ffffffffbe23e32e __alloc_pages+0x22e (/path)`.
fn is_callchain(line: &str, toks: &[(usize, usize)]) -> bool {
    let Some(&(s, e)) = toks.first() else {
        return false;
    };
    let first = line.get(s..e).unwrap_or("");
    line.starts_with(|c: char| c.is_whitespace())
        && first.len() >= 4
        && first.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The value of `key=` among the field tokens.
fn field<'a>(fields: &[&'a str], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find_map(|t| t.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
}

/// `0x1f` as hex, `31` as decimal.
fn parse_u64(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(hex, 16).ok()
    } else {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    }
}

fn parse_u32(text: &str) -> Option<u32> {
    parse_u64(text).and_then(|v| u32::try_from(v).ok())
}

fn parse_i32(text: &str) -> Option<i32> {
    if let Some(neg) = text.strip_prefix('-') {
        let v = parse_u64(neg)?;
        i64::try_from(v).ok().and_then(|v| i32::try_from(-v).ok())
    } else {
        parse_u64(text).and_then(|v| i32::try_from(v).ok())
    }
}

/// Why a gfp text could not be read.
#[derive(Debug, PartialEq, Eq)]
enum GfpProblem {
    /// A name neither [`GFP_NAMES`] nor the extra table knows.
    UnknownName,
    /// Not names, hex or decimal at all.
    Garbled,
}

/// Single gfp flags as kernels before 4.6 printed them (include/trace/events/
/// gfpflags.h named each `__GFP_X` bit `GFP_X`), with the 6.1 bits they stand for.
/// `GFP_WAIT` (before 4.4) is today's direct reclaim; `GFP_REPEAT` (before 4.13) asked
/// costly orders to keep retrying, as `__GFP_RETRY_MAYFAIL` does. `GFP_COLD`,
/// `GFP_NOTRACK`, `GFP_OTHER_NODE`, `GFP_KMEMCG` and `GFP_NOACCOUNT` change nothing
/// the 6.1 allocator does (0). `GFP_NO_KSWAPD` is read apart: it removes a bit.
const OLD_GFP_NAMES: &[(&str, u32)] = {
    use crate::types::gfp::*;
    &[
        ("GFP_HIGH", GFP_HIGH),
        ("GFP_WAIT", GFP_DIRECT_RECLAIM),
        ("GFP_IO", GFP_IO),
        ("GFP_FS", GFP_FS),
        ("GFP_COLD", 0),
        ("GFP_NOWARN", GFP_NOWARN),
        ("GFP_REPEAT", GFP_RETRY_MAYFAIL),
        ("GFP_NOFAIL", GFP_NOFAIL),
        ("GFP_NORETRY", GFP_NORETRY),
        ("GFP_MEMALLOC", GFP_MEMALLOC),
        ("GFP_COMP", GFP_COMP),
        ("GFP_ZERO", GFP_ZERO),
        ("GFP_NOMEMALLOC", GFP_NOMEMALLOC),
        ("GFP_HARDWALL", GFP_HARDWALL),
        ("GFP_THISNODE", GFP_THISNODE),
        ("GFP_RECLAIMABLE", GFP_RECLAIMABLE),
        ("GFP_MOVABLE", GFP_MOVABLE),
        ("GFP_WRITE", GFP_WRITE),
        ("GFP_NOTRACK", 0),
        ("GFP_NOTRACK_FALSE_POSITIVE", 0),
        ("GFP_OTHER_NODE", 0),
        ("GFP_KMEMCG", 0),
        ("GFP_NOACCOUNT", 0),
        ("GFP_DIRECT_RECLAIM", GFP_DIRECT_RECLAIM),
        ("GFP_KSWAPD_RECLAIM", GFP_KSWAPD_RECLAIM),
        ("GFP_ACCOUNT", GFP_ACCOUNT),
        // Composites of old kernels that 6.1 no longer has.
        (
            "GFP_TEMPORARY",
            GFP_DIRECT_RECLAIM | GFP_KSWAPD_RECLAIM | GFP_IO | GFP_FS | GFP_RECLAIMABLE,
        ),
        ("GFP_IOFS", GFP_IO | GFP_FS),
    ]
};

/// The mask a `show_gfp_flags()` text stands for: `none`, names joined with `|`,
/// hex remainders (`0x...`), or a plain number (perf's raw fallback).
///
/// Texts of kernels before 4.6 name single flags without the leading `__`
/// ([`OLD_GFP_NAMES`]). Before 4.4 there was no kswapd bit: every allocation woke
/// kswapd unless it carried `__GFP_NO_KSWAPD`, so such a text (one that names an old
/// single flag and neither `GFP_KSWAPD_RECLAIM` nor `GFP_DIRECT_RECLAIM`, which 4.4
/// and 4.5 print) gets `__GFP_KSWAPD_RECLAIM` unless it says `GFP_NO_KSWAPD`, which
/// also clears it from a composite.
fn parse_gfp_text(text: &str) -> Result<u32, GfpProblem> {
    use crate::types::gfp::GFP_KSWAPD_RECLAIM;
    if text == "none" || text == "0" {
        return Ok(0);
    }
    if text.is_empty() {
        return Err(GfpProblem::Garbled);
    }
    let mut mask = 0u32;
    let mut old_names = false;
    let mut no_kswapd = false;
    let mut reclaim_named = false;
    for part in text.split('|') {
        if part.is_empty() {
            return Err(GfpProblem::Garbled);
        }
        if let Some((_, bits)) = GFP_NAMES
            .iter()
            .chain(EXTRA_GFP_NAMES.iter())
            .find(|(n, _)| *n == part)
        {
            mask |= bits;
        } else if part == "GFP_NO_KSWAPD" {
            old_names = true;
            no_kswapd = true;
        } else if let Some((name, bits)) = OLD_GFP_NAMES.iter().find(|(n, _)| *n == part) {
            old_names = true;
            reclaim_named |= matches!(*name, "GFP_KSWAPD_RECLAIM" | "GFP_DIRECT_RECLAIM");
            mask |= bits;
        } else if part.starts_with(|c: char| c.is_ascii_digit()) {
            mask |= parse_u32(part).ok_or(GfpProblem::Garbled)?;
        } else if part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && part.contains("GFP_")
        {
            return Err(GfpProblem::UnknownName);
        } else {
            return Err(GfpProblem::Garbled);
        }
    }
    if no_kswapd {
        mask &= !GFP_KSWAPD_RECLAIM;
    } else if old_names && !reclaim_named {
        mask |= GFP_KSWAPD_RECLAIM;
    }
    Ok(mask)
}

/// A `page=` value that stands for a null pointer.
fn is_null_page(text: &str) -> bool {
    matches!(text, "(null)" | "(nil)" | "0" | "0x0")
        || (!text.is_empty() && text.bytes().all(|b| b == b'0'))
}

/// Counts the lines of `text` the way [`import_trace`] numbers them.
fn line_count(text: &str) -> usize {
    let newlines = text.bytes().filter(|&b| b == b'\n').count();
    if text.is_empty() || text.ends_with('\n') {
        newlines
    } else {
        newlines + 1
    }
}

struct Importer {
    out: ImportedTrace,
    /// pfn -> (index in `out.ops`, order) of the live allocations.
    live: BTreeMap<u64, (usize, u32)>,
    /// Every page an allocation or a pre-trace block of the trace has covered.
    touched: PageSet,
    /// pfn -> (1 if it was mm_page_free_batched, else 0; order) of the last free of
    /// a block starting there, until an allocation covers it again. The value has
    /// `live`'s type so that both maps share one compiled copy of the map's code
    /// (docs/performance.md, size24).
    freed: BTreeMap<u64, (usize, u32)>,
    /// Per CPU, the (pfn, order, migratetype) of the mm_page_alloc_zone_locked
    /// lines with `percpu_refill=1` since its last allocation.
    /// Sorted by CPU (a `Vec`: a `BTreeMap` compiled its own code into the page).
    refills: Vec<(u32, CpuRefills)>,
}

/// A CPU's (pfn, order, migratetype) refills since its last allocation.
type CpuRefills = Vec<(u64, u32, i32)>;

/// A set of pfns, 32 a word: enough for the pages a trace names (at most
/// [`TRACE_LINES_MAX`] blocks of at most 1024 pages) without a bit per pfn of the
/// whole address space. Each word's bits are the first half of a value of `live`'s
/// map type (the second is 0), so the set uses the compiled copy of the map's code
/// that `live` and `freed` share (docs/performance.md, size24).
#[derive(Default)]
struct PageSet {
    words: BTreeMap<u64, (usize, u32)>,
}

impl PageSet {
    /// The bits of `[start, end)` in each word they touch.
    fn words_of(start: u64, end: u64) -> impl Iterator<Item = (u64, usize)> {
        let first = start / 32;
        let last = end.saturating_sub(1) / 32;
        (first..=last)
            .filter(move |_| end > start)
            .map(move |word| {
                let lo = start.max(word * 32) - word * 32;
                let hi = end.min(word * 32 + 32) - word * 32;
                let mask = if hi - lo == 32 {
                    u32::MAX
                } else {
                    ((1u32 << (hi - lo)) - 1) << lo
                };
                (word, mask as usize)
            })
    }

    fn set(&mut self, start: u64, end: u64) {
        for (word, mask) in Self::words_of(start, end) {
            let bits = self.words.get(&word).map_or(0, |&(bits, _)| bits);
            self.words.insert(word, (bits | mask, 0));
        }
    }

    fn any(&self, start: u64, end: u64) -> bool {
        Self::words_of(start, end).any(|(word, mask)| {
            self.words
                .get(&word)
                .is_some_and(|&(bits, _)| bits & mask != 0)
        })
    }
}

impl Importer {
    fn skip(&mut self, reason: &str, line: usize) {
        skip(&mut self.out.skipped, reason, line);
    }

    /// The live allocation whose range holds `pfn`, if any: (start pfn, index, order).
    fn covering(&self, pfn: u64) -> Option<(u64, usize, u32)> {
        let (&start, &(index, order)) = self.live.range(..=pfn).next_back()?;
        let end = start.saturating_add(1u64 << order.min(63));
        (pfn < end).then_some((start, index, order))
    }

    fn alloc(&mut self, cpu: u32, fields: &[&str], line: usize) {
        let (Some(pfn_text), Some(order_text), Some(mt_text), Some(gfp_text)) = (
            field(fields, "pfn"),
            field(fields, "order"),
            field(fields, "migratetype"),
            field(fields, "gfp_flags"),
        ) else {
            return self.skip(reason::GARBLED_ALLOC, line);
        };
        let (Some(pfn), Some(order), Some(migratetype)) = (
            parse_u64(pfn_text),
            parse_u32(order_text),
            parse_i32(mt_text),
        ) else {
            return self.skip(reason::GARBLED_ALLOC, line);
        };
        let gfp = match parse_gfp_text(gfp_text) {
            Ok(gfp) => gfp,
            Err(GfpProblem::UnknownName) => return self.skip(reason::UNKNOWN_GFP, line),
            Err(GfpProblem::Garbled) => return self.skip(reason::GARBLED_ALLOC, line),
        };
        // The kernel would not have served it, and the workload cannot say it.
        if !crate::types::gfp::Gfp::is_valid(gfp & crate::types::gfp::GFP_BITS_MASK) {
            return self.skip(reason::ZONE_BAD_GFP, line);
        }
        if order > MAX_TRACE_ORDER {
            return self.skip(reason::ORDER_TOO_HIGH, line);
        }
        // `page=%p` of NULL: zeros, or `(null)` padded to the pointer width, which
        // leaves `page=` empty and `(null)` the next word.
        let null_page = field(fields, "page").is_some_and(|page| {
            is_null_page(page)
                || (page.is_empty() && fields.iter().any(|t| matches!(*t, "(null)" | "(nil)")))
        });
        let pfn = if null_page || (pfn == 0 && field(fields, "page").is_none()) {
            None
        } else {
            Some(pfn)
        };
        let index = self.out.ops.len();
        let refill: Vec<u64> = self
            .refills
            .binary_search_by(|&(c, _)| c.cmp(&cpu))
            .map(|at| self.refills.remove(at).1)
            .unwrap_or_default()
            .into_iter()
            .filter(|&(_, o, mt)| o == order && mt == migratetype)
            .map(|(p, _, _)| p)
            .collect();
        if pfn.is_some() && !refill.is_empty() {
            if let Some(slot) = self.out.pcp_refills.slot(index) {
                *slot = refill;
            }
        }
        if let Some(pfn) = pfn {
            // Any live allocation this one overlaps was freed without a trace line.
            let end = pfn.saturating_add(1u64 << order);
            let mut stale: Vec<u64> = Vec::new();
            if let Some((start, _, _)) = self.covering(pfn) {
                stale.push(start);
            }
            stale.extend(self.live.range(pfn..end).map(|(&p, _)| p));
            stale.dedup();
            for p in stale {
                self.live.remove(&p);
                bump(&mut self.out.informational, ALLOC_OVER_LIVE);
            }
            self.live.insert(pfn, (index, order));
            self.touched.set(pfn, end);
            let again: Vec<u64> = self.freed.range(pfn..end).map(|(&p, _)| p).collect();
            for p in again {
                self.freed.remove(&p);
            }
        }
        self.out.ops.push(TraceOp::Alloc {
            cpu,
            pfn,
            order,
            migratetype,
            gfp,
            gfp_text: gfp_text.to_string(),
            line,
        });
        bump(&mut self.out.used, "mm_page_alloc");
    }

    fn free(&mut self, cpu: u32, fields: &[&str], line: usize, batched: bool) {
        let garbled = if batched {
            reason::GARBLED_BATCHED
        } else {
            reason::GARBLED_FREE
        };
        let Some(pfn) = field(fields, "pfn").and_then(parse_u64) else {
            return self.skip(garbled, line);
        };
        let order = match field(fields, "order") {
            Some(text) => match parse_u32(text) {
                Some(order) => order,
                None => return self.skip(garbled, line),
            },
            // mm_page_free_batched is always order 0.
            None if batched => 0,
            None => return self.skip(garbled, line),
        };
        if order > MAX_TRACE_ORDER {
            return self.skip(reason::ORDER_TOO_HIGH, line);
        }
        match self.live.get(&pfn).copied() {
            Some((index, alloc_order)) if alloc_order == order => {
                self.live.remove(&pfn);
                self.push_free(cpu, pfn, order, (Some(index), None), batched, line);
            }
            Some(_) => self.skip(reason::FREE_ORDER_MISMATCH, line),
            None if self.covering(pfn).is_some() => self.skip(reason::FREE_INSIDE, line),
            None if self.freed.get(&pfn) == Some(&(usize::from(!batched), order)) => {
                // The other half of a pair: the page is already freed.
                self.freed.remove(&pfn);
                bump(&mut self.out.informational, FREE_PAIRED);
            }
            None => {
                let end = pfn.saturating_add(1u64 << order);
                if self.touched.any(pfn, end) {
                    return self.skip(reason::FREE_UNKNOWN, line);
                }
                // Pages the trace never touched: allocated before it began.
                self.touched.set(pfn, end);
                let held = self.out.pre_trace.len();
                self.out.pre_trace.push(PreTraceBlock { pfn, order, line });
                self.push_free(cpu, pfn, order, (None, Some(held)), batched, line);
            }
        }
    }

    /// mm_page_alloc_zone_locked: with `percpu_refill=1` (a per-cpu order and type),
    /// a block `rmqueue_bulk()` may be moving to the per-cpu list; kept until the
    /// CPU's next allocation.
    fn zone_locked(&mut self, cpu: u32, fields: &[&str]) {
        let (Some(pfn), Some(order), Some(migratetype), Some("1")) = (
            field(fields, "pfn").and_then(parse_u64),
            field(fields, "order").and_then(parse_u32),
            field(fields, "migratetype").and_then(parse_i32),
            field(fields, "percpu_refill"),
        ) else {
            return;
        };
        if order <= 3 {
            let new = || (cpu, Vec::new());
            if let Some(list) = crate::types::sort::sorted_entry(&mut self.refills, &cpu, new) {
                list.push((pfn, order, migratetype));
            }
        }
    }

    fn push_free(
        &mut self,
        cpu: u32,
        pfn: u64,
        order: u32,
        (alloc_index, pre_trace): (Option<usize>, Option<usize>),
        batched: bool,
        line: usize,
    ) {
        self.freed.insert(pfn, (usize::from(batched), order));
        self.out.ops.push(TraceOp::Free {
            cpu,
            pfn,
            order,
            alloc_index,
            pre_trace,
            batched,
            line,
        });
        bump(
            &mut self.out.used,
            if batched {
                "mm_page_free_batched"
            } else {
                "mm_page_free"
            },
        );
    }

    fn line(&mut self, raw: &str, line: usize) {
        let text = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        let toks = tokens(text);
        let tok =
            |i: usize| -> &str { toks.get(i).and_then(|&(s, e)| text.get(s..e)).unwrap_or("") };
        let event = (0..toks.len()).find_map(|i| event_of(tok(i)).map(|ev| (i, ev)));
        let Some((at, (name, kind))) = event else {
            let unknown = (1..toks.len())
                .find(|&i| is_timestamp(tok(i - 1)) && tok(i).len() > 1 && tok(i).ends_with(':'));
            let reason = if text.contains("LOST") && text.contains("EVENTS") {
                reason::LOST_EVENTS
            } else if let Some(i) = unknown {
                let name = tok(i).strip_suffix(':').unwrap_or("");
                bump(&mut self.out.unknown_events, name);
                reason::NOT_KMEM
            } else if is_callchain(text, &toks) {
                reason::CALLCHAIN
            } else {
                reason::NOT_EVENT
            };
            return self.skip(reason, line);
        };
        let Some(cpu) = (0..at).rev().find_map(|i| cpu_of(tok(i))) else {
            return self.skip(reason::NO_CPU, line);
        };
        let fields: Vec<&str> = (at + 1..toks.len()).map(tok).collect();
        if OLD_NAMES.iter().any(|(old, _)| *old == name) {
            bump(&mut self.out.informational, &renamed(name));
        }
        match kind {
            Kind::Alloc => self.alloc(cpu, &fields, line),
            Kind::Free => self.free(cpu, &fields, line, false),
            Kind::FreeBatched => self.free(cpu, &fields, line, true),
            Kind::ZoneLocked => {
                bump(&mut self.out.informational, name);
                self.zone_locked(cpu, &fields);
            }
            Kind::PcpuDrain => {
                bump(&mut self.out.informational, name);
                if let Some(pfn) = field(&fields, "pfn").and_then(parse_u64) {
                    let next = self.out.ops.len();
                    if let Some(pfns) = self.out.pcp_drains.slot(next) {
                        pfns.push(pfn);
                    }
                }
            }
            Kind::Extfrag => bump(&mut self.out.informational, name),
        }
    }
}

/// Imports the text of an ftrace `trace` file or `perf script` output.
///
/// Fatal errors are only the size limits ([`TRACE_BYTES_MAX`],
/// [`TRACE_LINES_MAX`]); problems with single lines are counted in
/// [`ImportedTrace::skipped`].
pub fn import_trace(text: &str) -> Result<ImportedTrace, TraceError> {
    if text.len() > TRACE_BYTES_MAX {
        return Err(TraceError {
            line: 0,
            message: format!(
                "the trace is {} bytes; at most {} bytes (64 MiB) can be imported",
                text.len(),
                TRACE_BYTES_MAX
            ),
        });
    }
    let lines = line_count(text);
    if lines > TRACE_LINES_MAX {
        return Err(TraceError {
            line: TRACE_LINES_MAX + 1,
            message: format!(
                "the trace has {lines} lines; at most {TRACE_LINES_MAX} lines can be imported"
            ),
        });
    }
    let mut importer = Importer {
        out: ImportedTrace::default(),
        live: BTreeMap::new(),
        touched: PageSet::default(),
        freed: BTreeMap::new(),
        refills: Vec::new(),
    };
    let body = text.strip_suffix('\n').unwrap_or(text);
    if !text.is_empty() {
        for (i, raw) in body.split('\n').enumerate() {
            importer.line(raw, i + 1);
        }
    }
    Ok(importer.out)
}

/// How a trace is replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayMode {
    /// The trace's requests: the model places every block itself (`alloc`), so its
    /// pfns are its own and its state drifts from the traced machine's.
    Requests,
    /// Every block where the traced kernel put it (`place ... at=PFN`), after asking
    /// the model what it would have picked: the state follows the traced machine's.
    Follow,
}

/// What one allocation of a replay stands for, in the order the session numbers
/// allocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TracedAllocation {
    /// A traced request (mm_page_alloc at `line`) and the pfn the kernel returned
    /// (`None`: NULL); `refilled`: the trace recorded a per-cpu refill for it.
    Request {
        traced: Option<u64>,
        line: usize,
        refilled: bool,
    },
    /// A block in use since before the trace began, held from the start.
    PreTrace { pfn: u64, line: usize },
}

/// A trace turned into a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceReplay {
    pub mode: ReplayMode,
    pub statements: Vec<crate::workload::Statement>,
    /// Every allocation the statements make, by allocation index.
    pub allocations: Vec<TracedAllocation>,
}

/// The name of the group of traced allocations, and of the pre-trace blocks.
pub const TRACED_GROUP: &str = "t";
pub const PRE_TRACE_GROUP: &str = "pre";

/// [`trace_replay`] in [`ReplayMode::Requests`], statements only.
pub fn trace_workload(trace: &ImportedTrace) -> Vec<crate::workload::Statement> {
    trace_replay(trace, ReplayMode::Requests).statements
}

/// A workload that replays an imported trace.
///
/// First every pre-trace block is held at its pfn (`hold pre order=N at=PFN`),
/// so the machine starts with the pages the trace frees without having allocated
/// them in use. Then every traced allocation in order, on its CPU, in one group `t`:
/// in [`ReplayMode::Requests`] as a request (order and gfp mask; runs of identical
/// requests become one `alloc ... count=N`) that the model places itself, in
/// [`ReplayMode::Follow`] as `place t ... at=PFN refill=...` with the per-cpu
/// refill the trace recorded for it, and the traced per-cpu drains as
/// `drained at=...` before the next operation. Every free, matched to its
/// allocation or pre-trace block, is `free t[i]` or `free pre[i]` on the CPU that
/// freed it (consecutive ones as `free t[i..j]`).
///
/// An allocation the traced kernel failed (a null page) is still a request: the
/// model may satisfy it. In requests mode such a block is freed again at once
/// (`free t[i]` right after it, skipped when the model fails too), so the model
/// does not go on holding memory the traced machine never had; the report counts
/// these. In follow mode nothing is placed for it (`at=null`); only the model's
/// own answer is recorded.
pub fn trace_replay(trace: &ImportedTrace, mode: ReplayMode) -> TraceReplay {
    use crate::workload::{FreeTarget, Statement};
    let mut out: Vec<Statement> = Vec::new();
    let mut allocations = Vec::new();
    for block in &trace.pre_trace {
        out.push(Statement::Place {
            name: PRE_TRACE_GROUP.to_string(),
            order: block.order,
            gfp: None,
            at: Some(block.pfn),
            cpu: None,
            refill: Vec::new(),
        });
        allocations.push(TracedAllocation::PreTrace {
            pfn: block.pfn,
            line: block.line,
        });
    }
    let mut cpu_now: Option<u32> = None;
    // Allocation ordinal in the group `t` of each op index.
    let mut ordinal = vec![usize::MAX; trace.ops.len()];
    let mut made = 0usize;
    let drains_before = |index: usize, out: &mut Vec<Statement>| {
        if mode == ReplayMode::Follow {
            if let Some(pfns) = trace.pcp_drains.get(&index) {
                out.push(Statement::DrainedAt(pfns.clone()));
            }
        }
    };
    for (index, op) in trace.ops.iter().enumerate() {
        drains_before(index, &mut out);
        let cpu = match op {
            TraceOp::Alloc { cpu, .. } | TraceOp::Free { cpu, .. } => *cpu,
        };
        if cpu_now != Some(cpu) {
            out.push(Statement::Cpu(cpu));
            cpu_now = Some(cpu);
        }
        match op {
            TraceOp::Alloc {
                order,
                gfp,
                pfn,
                line,
                ..
            } => {
                if let Some(slot) = ordinal.get_mut(index) {
                    *slot = made;
                }
                allocations.push(TracedAllocation::Request {
                    traced: *pfn,
                    line: *line,
                    refilled: trace.pcp_refills.contains_key(&index),
                });
                let refill = trace.pcp_refills.get(&index).cloned().unwrap_or_default();
                push_alloc(&mut out, mode, (*order, *gfp, *pfn), refill, made);
                made += 1;
            }
            TraceOp::Free {
                alloc_index,
                pre_trace,
                ..
            } => {
                if let Some(k) = pre_trace {
                    out.push(Statement::Free(FreeTarget::Index(
                        PRE_TRACE_GROUP.to_string(),
                        *k,
                    )));
                    continue;
                }
                let Some(k) = alloc_index
                    .and_then(|a| ordinal.get(a).copied())
                    .filter(|k| *k != usize::MAX)
                else {
                    continue;
                };
                push_free(&mut out, k);
            }
        }
    }
    drains_before(trace.ops.len(), &mut out);
    TraceReplay {
        mode,
        statements: out,
        allocations,
    }
}

/// One traced allocation, the `made`-th of group `t`.
fn push_alloc(
    out: &mut Vec<crate::workload::Statement>,
    mode: ReplayMode,
    (order, gfp, pfn): (u32, u32, Option<u64>),
    refill: Vec<u64>,
    made: usize,
) {
    use crate::alloc::reclaim::PageUse;
    use crate::types::gfp::{Gfp, GFP_BITS_MASK};
    use crate::workload::{FreeTarget, Statement};
    // Bits above __GFP_BITS_MASK are debugging flags of other kernel configurations
    // (KASAN, lockdep) that do not steer the allocator and that the workload
    // language cannot write.
    let gfp = Gfp(gfp & GFP_BITS_MASK);
    if mode == ReplayMode::Follow {
        out.push(Statement::Place {
            name: TRACED_GROUP.to_string(),
            order,
            gfp: Some(gfp),
            at: pfn,
            cpu: None,
            refill,
        });
        return;
    }
    if pfn.is_some() {
        if let Some(Statement::Alloc {
            order: o,
            gfp: g,
            count,
            ..
        }) = out.last_mut()
        {
            if *o == order && *g == gfp {
                *count += 1;
                return;
            }
        }
    }
    out.push(Statement::Alloc {
        name: Some(TRACED_GROUP.to_string()),
        order,
        gfp,
        count: 1,
        node: -1,
        nodemask: None,
        cpu: None,
        use_: PageUse::Kernel,
    });
    if pfn.is_none() {
        // The traced kernel returned NULL: whatever the model got goes back at once.
        out.push(Statement::Free(FreeTarget::Index(
            TRACED_GROUP.to_string(),
            made,
        )));
    }
}

/// `free t[k]`, joined with the free before it when they are consecutive.
fn push_free(out: &mut Vec<crate::workload::Statement>, k: usize) {
    use crate::workload::{FreeTarget, Statement};
    match out.last_mut() {
        Some(Statement::Free(FreeTarget::Range(name, _, end)))
            if name == TRACED_GROUP && *end == k =>
        {
            *end = k + 1;
        }
        Some(last @ Statement::Free(FreeTarget::Index(_, _))) => {
            if let Statement::Free(FreeTarget::Index(name, i)) = last {
                if name == TRACED_GROUP && *i + 1 == k {
                    let (name, i) = (name.clone(), *i);
                    *last = Statement::Free(FreeTarget::Range(name, i, k + 1));
                    return;
                }
            }
            out.push(Statement::Free(FreeTarget::Index(
                TRACED_GROUP.to_string(),
                k,
            )));
        }
        _ => out.push(Statement::Free(FreeTarget::Index(
            TRACED_GROUP.to_string(),
            k,
        ))),
    }
}

/// How a replay compared with the trace, found from the session that ran it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayFigures {
    /// Traced allocation requests the replay made.
    pub allocations: u64,
    /// Of those, where the model's choice was the traced one: the same pfn, or NULL
    /// where the kernel returned NULL.
    pub agreed: u64,
    /// Traced requests the kernel failed (null page).
    pub kernel_failed: u64,
    /// Of those, the model satisfied.
    pub model_satisfied_kernel_failed: u64,
    /// Traced requests the kernel satisfied and the model would have failed.
    pub model_failed_kernel_satisfied: u64,
    /// Follow mode: traced blocks the model did not hold free, so not placed.
    pub not_free_in_model: u64,
    /// Pre-trace blocks the replay held from the start, and how many of them the
    /// model did not hold free (not held; their frees are skipped).
    pub pre_trace_blocks: u64,
    pub pre_trace_not_free: u64,
    /// Trace lines of the first few pre-trace blocks the model did not hold free.
    pub first_pre_trace_not_free: Vec<usize>,
    /// Traced requests the trace recorded a per-cpu refill for (`rmqueue_bulk()`
    /// ran, so the kernel's choice came from its buddy lists), and how many of them
    /// agreed.
    pub refilled: u64,
    pub refilled_agreed: u64,
    /// Trace lines of the first few allocations where the model chose otherwise.
    pub first_disagreements: Vec<usize>,
}

impl ReplayFigures {
    /// `agreed / allocations` in percent (0 with no allocations).
    pub fn agreement_percent(&self) -> f64 {
        if self.allocations == 0 {
            0.0
        } else {
            self.agreed as f64 * 100.0 / self.allocations as f64
        }
    }
}

/// Reads a replay's outcomes off the session that ran its statements (from its
/// first call): for each allocation, what the model chose against what the trace
/// says.
pub fn replay_figures(replay: &TraceReplay, session: &crate::session::Session) -> ReplayFigures {
    use crate::session::Outcome;
    let mut figures = ReplayFigures::default();
    for record in session.calls() {
        // The model's choice (`None`: NULL) and whether the traced block was placed.
        let (index, chosen, not_free) = match &record.outcome {
            Outcome::Allocated { index, allocation } => (*index, Some(allocation.pfn.0), false),
            Outcome::Failed { index } => (*index, None, false),
            Outcome::Placed {
                index, model_pick, ..
            } => (*index, pick_pfn(*model_pick), false),
            Outcome::NotPlaced {
                index,
                pfn,
                model_pick,
            } => (*index, pick_pfn(*model_pick), pfn.is_some()),
            _ => continue,
        };
        match replay.allocations.get(index) {
            Some(TracedAllocation::PreTrace { line, .. }) => {
                figures.pre_trace_blocks += 1;
                if matches!(record.outcome, Outcome::NotPlaced { .. }) {
                    figures.pre_trace_not_free += 1;
                    if figures.first_pre_trace_not_free.len() < MAX_SKIP_EXAMPLES {
                        figures.first_pre_trace_not_free.push(*line);
                    }
                }
            }
            Some(TracedAllocation::Request {
                traced,
                line,
                refilled,
            }) => {
                figures.allocations += 1;
                figures.refilled += u64::from(*refilled);
                figures.refilled_agreed += u64::from(*refilled && *traced == chosen);
                figures.not_free_in_model += u64::from(not_free);
                match (traced, chosen) {
                    (None, Some(_)) => {
                        figures.kernel_failed += 1;
                        figures.model_satisfied_kernel_failed += 1;
                    }
                    (None, None) => figures.kernel_failed += 1,
                    (Some(_), None) => figures.model_failed_kernel_satisfied += 1,
                    (Some(_), Some(_)) => {}
                }
                if *traced == chosen {
                    figures.agreed += 1;
                } else if figures.first_disagreements.len() < MAX_SKIP_EXAMPLES {
                    figures.first_disagreements.push(*line);
                }
            }
            None => {}
        }
    }
    figures
}

fn pick_pfn(pick: crate::session::ModelPick) -> Option<u64> {
    match pick {
        crate::session::ModelPick::At(pfn) => Some(pfn.0),
        _ => None,
    }
}

/// The largest CPU number and pfn (one past the block) the trace mentions.
pub fn trace_extent(trace: &ImportedTrace) -> (u32, u64) {
    let mut cpu = 0;
    let mut end = 0;
    for op in &trace.ops {
        match op {
            TraceOp::Alloc {
                cpu: c, pfn, order, ..
            } => {
                cpu = cpu.max(*c);
                if let Some(pfn) = pfn {
                    end = end.max(pfn + (1u64 << order.min(&10)));
                }
            }
            TraceOp::Free {
                cpu: c, pfn, order, ..
            } => {
                cpu = cpu.max(*c);
                end = end.max(pfn + (1u64 << order.min(&10)));
            }
        }
    }
    (cpu, end)
}

/// Whether `text` looks like a kmem trace: a line carrying one of the kmem
/// page-allocator events (today's names or the old ones) followed by `page=`, as
/// ftrace and `perf script` print them. Machine files (dmesg, /proc) have none.
pub fn is_trace_text(text: &str) -> bool {
    text.lines().any(|line| {
        EVENTS.iter().any(|(name, _)| {
            line.find(name).is_some_and(|at| {
                line.get(at + name.len()..)
                    .is_some_and(|rest| rest.starts_with(": page="))
            })
        })
    })
}

/// One node laid out like a QEMU guest (the low 640 KiB, then from 1 MiB), up to the
/// next 128 MiB boundary above `end_pfn` and at least 512 MiB, with CPUs 0 to
/// `max_cpu`: the machine a trace is replayed on when none is given.
pub fn trace_machine(max_cpu: u32, end_pfn: u64) -> crate::machine::MachineConfig {
    use crate::machine::{MachineConfig, NodeConfig};
    use crate::types::PfnRange;
    let section = 1u64 << 15;
    let end = end_pfn.div_ceil(section).max(4) * section;
    MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![
                PfnRange {
                    start: 1,
                    end: 0x9f,
                },
                PfnRange {
                    start: 0x100,
                    end: end - 0x20,
                },
            ],
            cpus: (0..=max_cpu).collect(),
        }],
        ..MachineConfig::default()
    }
}

/// What a replay of `mode` is, for a scenario's `about`.
pub fn replay_about(mode: ReplayMode) -> &'static str {
    match mode {
        ReplayMode::Requests => "The requests of a real kernel's kmem trace, in order, on their CPUs: every allocation with its order and gfp mask, every free matched to its allocation by pfn; blocks the trace frees without having seen them allocated are held from the start at their own pfns. The model places the blocks itself, so pfns differ from the trace's; a request the traced kernel failed is still made, and a block the model gets for it is freed again at once.",
        ReplayMode::Follow => "A real kernel's kmem trace, followed block by block: every allocation is placed at the pfn the traced kernel returned (take_page_off_buddy), after asking the model what it would have picked; blocks the trace frees without having seen them allocated are held from the start at their own pfns; every free is matched to its allocation by pfn.",
    }
}

/// What the importer read from the trace called `name`: operations by kind, counted
/// lines, skipped lines (one sentence a line; the command line prints them on
/// stderr, the page in its import panel).
pub fn import_report(name: &str, imported: &ImportedTrace) -> Vec<String> {
    let frees = imported.ops.len() as u64 - imported.used_count("mm_page_alloc");
    let mut report = vec![format!(
        "{}: {} operations: {} allocations ({} failed in the traced kernel), {} frees ({} of blocks allocated before the trace began, held from the start)",
        name,
        imported.ops.len(),
        imported.used_count("mm_page_alloc"),
        imported.failed_allocations(),
        frees,
        imported.pre_trace.len()
    )];
    for (event, count) in &imported.used {
        report.push(format!("used {event} {count}"));
    }
    for (event, count) in &imported.informational {
        report.push(format!("informational {event} {count}"));
    }
    for (event, count) in &imported.unknown_events {
        report.push(format!("unknown event {event} {count}"));
    }
    for skipped in &imported.skipped {
        let examples: Vec<String> = skipped.examples.iter().map(usize::to_string).collect();
        report.push(format!(
            "skipped {} ({}; e.g. lines {})",
            skipped.count,
            skipped.reason,
            examples.join(", ")
        ));
    }
    report
}

/// The replay against the trace, one sentence a line; the first is the agreement
/// figure.
pub fn figures_report(figures: &ReplayFigures, mode: ReplayMode) -> Vec<String> {
    let lines: Vec<String> = figures
        .first_disagreements
        .iter()
        .map(usize::to_string)
        .collect();
    let choice = match mode {
        ReplayMode::Requests => "on the model's own state",
        ReplayMode::Follow => "given the traced state so far",
    };
    let mut report = vec![format!(
        "agreement {}/{} allocations ({:.1}%): the model chose the traced block ({choice}){}",
        figures.agreed,
        figures.allocations,
        figures.agreement_percent(),
        if lines.is_empty() {
            String::new()
        } else {
            format!("; first differences at lines {}", lines.join(", "))
        }
    )];
    if figures.refilled > 0 {
        report.push(format!(
            "of those, {} came with a traced per-cpu refill (rmqueue_bulk took them from the buddy lists): {} agreed; the other {}: {} agreed",
            figures.refilled,
            figures.refilled_agreed,
            figures.allocations - figures.refilled,
            figures.agreed - figures.refilled_agreed
        ));
    }
    report.push(format!(
        "failed allocations {}: the model satisfied {} of them{}",
        figures.kernel_failed,
        figures.model_satisfied_kernel_failed,
        match mode {
            ReplayMode::Requests => " (each such block freed again at once)",
            ReplayMode::Follow => " (nothing placed for them)",
        }
    ));
    report.push(format!(
        "the model would have failed {} allocations the traced kernel satisfied",
        figures.model_failed_kernel_satisfied
    ));
    let held_lines: Vec<String> = figures
        .first_pre_trace_not_free
        .iter()
        .map(usize::to_string)
        .collect();
    report.push(format!(
        "pre-trace blocks held from the start {} ({} not free in the booted model, so not held, their frees skipped{})",
        figures.pre_trace_blocks,
        figures.pre_trace_not_free,
        if held_lines.is_empty() {
            String::new()
        } else {
            format!("; e.g. the frees at lines {}", held_lines.join(", "))
        }
    ));
    if mode == ReplayMode::Follow {
        report.push(format!(
            "traced blocks not free in the model {} (not placed; their frees are skipped)",
            figures.not_free_in_model
        ));
    }
    report
}
