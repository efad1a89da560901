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
//! `pfn=` is read as hex with `0x` and as decimal without (older kernels print
//! `pfn=%lu`, and so does perf's raw `[FAILED TO PARSE]` fallback). `gfp_flags=` is
//! the `show_gfp_flags()` text of include/trace/events/mmflags.h: names joined with
//! `|`, a hex remainder for bits without a name, or `none`.
//!
//! Frees are matched to allocations by pfn. Header lines (`#`) and blank lines are
//! ignored; every other line that is not used is counted in
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
    /// [`TraceOp::Alloc`] it frees.
    Free {
        cpu: u32,
        pfn: u64,
        order: u32,
        alloc_index: Option<usize>,
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
    /// untraced and stays without a [`TraceOp::Free`]).
    pub informational: Vec<(String, u64)>,
}

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
    pub const FREE_UNKNOWN: &str = "free of a pfn never allocated in the trace";
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

const EVENTS: &[(&str, Kind)] = &[
    ("mm_page_alloc", Kind::Alloc),
    ("mm_page_free", Kind::Free),
    ("mm_page_free_batched", Kind::FreeBatched),
    ("mm_page_pcpu_drain", Kind::PcpuDrain),
    ("mm_page_alloc_extfrag", Kind::Extfrag),
    ("mm_page_alloc_zone_locked", Kind::ZoneLocked),
];

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

/// The mask a `show_gfp_flags()` text stands for: `none`, names joined with `|`,
/// hex remainders (`0x...`), or a plain number (perf's raw fallback).
fn parse_gfp_text(text: &str) -> Result<u32, GfpProblem> {
    if text == "none" || text == "0" {
        return Ok(0);
    }
    if text.is_empty() {
        return Err(GfpProblem::Garbled);
    }
    let mut mask = 0u32;
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
        let null_page = field(fields, "page").is_some_and(is_null_page);
        let pfn = if null_page || (pfn == 0 && field(fields, "page").is_none()) {
            None
        } else {
            Some(pfn)
        };
        let index = self.out.ops.len();
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
                self.out.ops.push(TraceOp::Free {
                    cpu,
                    pfn,
                    order,
                    alloc_index: Some(index),
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
            Some(_) => self.skip(reason::FREE_ORDER_MISMATCH, line),
            None if self.covering(pfn).is_some() => self.skip(reason::FREE_INSIDE, line),
            None => self.skip(reason::FREE_UNKNOWN, line),
        }
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
            let reason = if text.contains("LOST") && text.contains("EVENTS") {
                reason::LOST_EVENTS
            } else if (1..toks.len())
                .any(|i| is_timestamp(tok(i - 1)) && tok(i).len() > 1 && tok(i).ends_with(':'))
            {
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
        match kind {
            Kind::Alloc => self.alloc(cpu, &fields, line),
            Kind::Free => self.free(cpu, &fields, line, false),
            Kind::FreeBatched => self.free(cpu, &fields, line, true),
            Kind::PcpuDrain | Kind::Extfrag | Kind::ZoneLocked => {
                bump(&mut self.out.informational, name)
            }
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
    };
    let body = text.strip_suffix('\n').unwrap_or(text);
    if !text.is_empty() {
        for (i, raw) in body.split('\n').enumerate() {
            importer.line(raw, i + 1);
        }
    }
    Ok(importer.out)
}

/// A workload that replays an imported trace's requests: every allocation (order,
/// gfp mask, CPU) in order, in one group `t`, and every free matched to its
/// allocation, as `free t[i]`, on the CPU that freed it. Runs of identical
/// allocations become one `alloc ... count=N` and frees of consecutive allocations
/// one `free t[i..j]`, so a long trace stays a short file. The pfns are the model's
/// own, not the trace's: the model decides where each block goes.
pub fn trace_workload(trace: &ImportedTrace) -> Vec<crate::workload::Statement> {
    use crate::alloc::reclaim::PageUse;
    use crate::types::gfp::{Gfp, GFP_BITS_MASK};
    use crate::workload::{FreeTarget, Statement};
    let mut out: Vec<Statement> = Vec::new();
    let mut cpu_now: Option<u32> = None;
    // Allocation ordinal in the group `t` of each op index.
    let mut ordinal = vec![usize::MAX; trace.ops.len()];
    let mut made = 0usize;
    for (index, op) in trace.ops.iter().enumerate() {
        let cpu = match op {
            TraceOp::Alloc { cpu, .. } | TraceOp::Free { cpu, .. } => *cpu,
        };
        if cpu_now != Some(cpu) {
            out.push(Statement::Cpu(cpu));
            cpu_now = Some(cpu);
        }
        match op {
            TraceOp::Alloc { order, gfp, .. } => {
                if let Some(slot) = ordinal.get_mut(index) {
                    *slot = made;
                }
                made += 1;
                if let Some(Statement::Alloc {
                    order: o,
                    gfp: g,
                    count,
                    ..
                }) = out.last_mut()
                {
                    if *o == *order && g.0 == *gfp & GFP_BITS_MASK {
                        *count += 1;
                        continue;
                    }
                }
                out.push(Statement::Alloc {
                    name: Some("t".to_string()),
                    order: *order,
                    // Bits above __GFP_BITS_MASK are debugging flags of other
                    // kernel configurations (KASAN, lockdep) that do not steer the
                    // allocator and that the workload language cannot write.
                    gfp: Gfp(*gfp & GFP_BITS_MASK),
                    count: 1,
                    node: -1,
                    nodemask: None,
                    cpu: None,
                    use_: PageUse::Kernel,
                });
            }
            TraceOp::Free { alloc_index, .. } => {
                let Some(k) = alloc_index
                    .and_then(|a| ordinal.get(a).copied())
                    .filter(|k| *k != usize::MAX)
                else {
                    continue;
                };
                match out.last_mut() {
                    Some(Statement::Free(FreeTarget::Range(_, _, end))) if *end == k => {
                        *end = k + 1;
                    }
                    Some(last @ Statement::Free(FreeTarget::Index(_, _))) => {
                        if let Statement::Free(FreeTarget::Index(name, i)) = last {
                            if *i + 1 == k {
                                let (name, i) = (name.clone(), *i);
                                *last = Statement::Free(FreeTarget::Range(name, i, k + 1));
                                continue;
                            }
                        }
                        out.push(Statement::Free(FreeTarget::Index("t".to_string(), k)));
                    }
                    _ => out.push(Statement::Free(FreeTarget::Index("t".to_string(), k))),
                }
            }
        }
    }
    out
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
