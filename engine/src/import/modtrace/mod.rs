//! The text formats of the real-kernel runs in `tests/data/modtrace/` (a kernel module
//! that dumps the whole Linux 6.1 allocator state, runs an alloc/free script with
//! interrupts off and records what the kernel returned): the state dumps
//! (`before.txt`, `after.txt`, `dN.txt`), `header.txt`, the workload script,
//! `allocs.txt` and `events.txt`, as plain data with a parser and a writer each.
//!
//! The writers print exactly what the module prints, so an engine's replay can be
//! written in the same files and compared line by line (`replaycmp.py`). The parsers
//! of the module's own output are strict on purpose: numbers in the kernel's form
//! (no sign, no leading zeros, lowercase `0x` hex), single spaces, counts that agree
//! with the lists they announce. What parses therefore writes back byte for byte
//! (except `t_ns`, which is not state), and a line the module could not have printed
//! is an error naming its line. The workload parser alone is lenient (any whitespace,
//! `;` or newlines between ops, empty ops): people type scripts.
//!
//! Nothing here panics on any input, and no count read from the input sizes an
//! allocation before it has been checked against the data actually present.

pub mod replay;

use crate::limits::{MODTRACE_CPUS_MAX, MODTRACE_FREE_INDEXES_MAX, MODTRACE_PAGEBLOCKS_MAX};
use core::fmt::{self, Write as _};

use crate::types::MigrateType;
use crate::types::ZoneType;

/// Buddy orders of the dumps (`MAX_ORDER` 11 in 6.1: orders 0..=10).
pub const NR_ORDERS: usize = 11;
/// Migratetypes of the dumps, in `free` line order (U M R H I).
pub const NR_MIGRATETYPES: usize = 5;
/// `NR_PCP_LISTS` of the traced kernel: 12 lists for orders 0..3 × U/M/R, then two
/// for pageblock_order (non-movable `N`, movable `M`).
pub const NR_PCP_LISTS: usize = 14;
/// Entries of `zone->lowmem_reserve[]` (`MAX_NR_ZONES` with ZONE_DEVICE).
pub const NR_LOWMEM_RESERVE: usize = 5;
/// Pages per pageblock (pageblock_order 9).
pub const PAGEBLOCK_PAGES: u64 = 512;

/// A line of input that does not have the expected form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based line number; one past the last line for input that ends too early.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for FormatError {}

/// One migratetype letter of the dumps: U M R H I. (`N`, the type of pcp list 12,
/// and `?`, a value out of range, are not migratetypes and have no [`MigrateType`].)
pub fn mt_letter(mt: MigrateType) -> char {
    match mt {
        MigrateType::Unmovable => 'U',
        MigrateType::Movable => 'M',
        MigrateType::Reclaimable => 'R',
        MigrateType::HighAtomic => 'H',
        MigrateType::Isolate => 'I',
        // Never in a dump of the reference kernel (no CMA); `C` if one ever appears.
        MigrateType::Cma => 'C',
    }
}

/// The migratetype of a letter U M R H I; `None` for anything else (`N`, `?`, ...).
pub fn mt_from_letter(c: char) -> Option<MigrateType> {
    MigrateType::ALL.into_iter().find(|&mt| mt_letter(mt) == c)
}

/// The order and list type letter (`U`, `M`, `R` or `N`) of pcp list `pindex`, the
/// inverse of the kernel's `order_to_pindex()`: `3*order + mt` for orders 0..3, 12 for
/// pageblock_order non-movable, 13 for pageblock_order movable.
pub fn pcp_list_kind(pindex: usize) -> Option<(u32, char)> {
    match pindex {
        0..=11 => {
            let order = u32::try_from(pindex / 3).ok()?;
            let letter = ['U', 'M', 'R'].get(pindex % 3).copied()?;
            Some((order, letter))
        }
        12 => Some((9, 'N')),
        13 => Some((9, 'M')),
        _ => None,
    }
}

/// A `node` line and its two `zonelist` lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeDump {
    pub nid: u32,
    pub start_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub kswapd_order: u32,
    /// `MAX_NR_ZONES` (5) when no wakeup is pending, as the kernel resets it.
    pub kswapd_highest_zoneidx: u32,
    pub kswapd_failures: u32,
    /// `cpus=`, printed in the kernel's `%*pbl` list form (`0`, `0-3,6`, empty).
    pub cpus: Vec<u32>,
    /// ZONELIST_FALLBACK in zoneref order: (nid, zone).
    pub fallback: Vec<(u32, ZoneType)>,
    /// ZONELIST_NOFALLBACK (used with __GFP_THISNODE).
    pub nofallback: Vec<(u32, ZoneType)>,
}

/// One CPU's part of a `nr_free_pages` line (`cpuN_diff=D cpuN_threshold=T`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuStat {
    pub cpu: u32,
    /// `vm_stat_diff[NR_FREE_PAGES]` not yet folded into the global counter (s8).
    pub diff: i64,
    pub threshold: i64,
}

/// One entry of a pcp list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PcpPage {
    pub pfn: u64,
    /// The cached migratetype when the dump prints it (`pfn/X`): the module prints it
    /// when it differs from the list's type, and always on list 12 (`N`).
    pub cached: Option<MigrateType>,
}

/// A `pcp` line and its [`NR_PCP_LISTS`] `pcplist` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcpDump {
    pub cpu: u32,
    /// The CPU the section ran on.
    pub current: bool,
    /// Pages on the lists: each entry of list PINDEX counts 2^order (`pcp_list_kind`).
    pub count: u64,
    pub high: u64,
    pub batch: u64,
    pub free_factor: u64,
    pub expire: u64,
    /// NR_PCP_LISTS = 14 lists by pindex, each head first.
    pub lists: Vec<Vec<PcpPage>>,
}

impl Default for PcpDump {
    /// CPU 0 with all counters 0 and 14 empty lists.
    fn default() -> PcpDump {
        PcpDump {
            cpu: 0,
            current: false,
            count: 0,
            high: 0,
            batch: 0,
            free_factor: 0,
            expire: 0,
            lists: vec![Vec::new(); NR_PCP_LISTS],
        }
    }
}

/// One populated zone's block of a dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneDump {
    pub nid: u32,
    pub zone: ZoneType,
    pub zid: u32,
    pub start_pfn: u64,
    pub end_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub managed: u64,
    /// The raw `zone->_watermark[]`; the kernel's `*_wmark_pages()` add `boost`.
    pub min: u64,
    pub low: u64,
    pub high: u64,
    pub boost: u64,
    pub nr_reserved_highatomic: u64,
    /// Bit 0 ZONE_BOOSTED_WATERMARK, bit 1 ZONE_RECLAIM_ACTIVE.
    pub flags: u64,
    pub nr_isolate_pageblock: u64,
    pub percpu_drift_mark: u64,
    pub pageset_high: u64,
    pub pageset_batch: u64,
    pub lowmem_reserve: [u64; NR_LOWMEM_RESERVE],
    /// `global=`: `zone->vm_stat[NR_FREE_PAGES]`, what the watermark checks read.
    pub nr_free_pages_global: i64,
    /// `snapshot=`: global plus every CPU's unfolded diff.
    pub nr_free_pages_snapshot: i64,
    /// One entry per CPU of the `nr_free_pages` line, in line order.
    pub cpu_stats: Vec<CpuStat>,
    /// `free_area[order].nr_free`, counting blocks.
    pub nr_free: [u64; NR_ORDERS],
    /// free_area[order].free_list[mt], head first: `free[order][mt.index()]`.
    /// (A pfn the module marks `!`, not a buddy page, makes `parse_dump` fail.)
    pub free: Vec<Vec<Vec<u64>>>,
    pub buddy_pages: u64,
    /// One per online CPU.
    pub pcps: Vec<PcpDump>,
    pub pageblocks_first_pfn: u64,
    /// One entry per pageblock from pageblocks_first_pfn; None for `-` (no memmap).
    pub pageblocks: Vec<Option<MigrateType>>,
}

impl Default for ZoneDump {
    /// Node 0 DMA with every number 0, 11 × 5 empty free lists and nothing else:
    /// a base for `ZoneDump { .., ..Default::default() }`.
    fn default() -> ZoneDump {
        ZoneDump {
            nid: 0,
            zone: ZoneType::Dma,
            zid: 0,
            start_pfn: 0,
            end_pfn: 0,
            spanned: 0,
            present: 0,
            managed: 0,
            min: 0,
            low: 0,
            high: 0,
            boost: 0,
            nr_reserved_highatomic: 0,
            flags: 0,
            nr_isolate_pageblock: 0,
            percpu_drift_mark: 0,
            pageset_high: 0,
            pageset_batch: 0,
            lowmem_reserve: [0; NR_LOWMEM_RESERVE],
            nr_free_pages_global: 0,
            nr_free_pages_snapshot: 0,
            cpu_stats: Vec::new(),
            nr_free: [0; NR_ORDERS],
            free: vec![vec![Vec::new(); NR_MIGRATETYPES]; NR_ORDERS],
            buddy_pages: 0,
            pcps: Vec::new(),
            pageblocks_first_pfn: 0,
            pageblocks: Vec::new(),
        }
    }
}

/// A line inside a dump that the typed fields do not hold (`warn ...`, `note ...`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraLine {
    /// Index of the dump line it follows, counting only the typed lines from
    /// `dump begin` (0) on: `write_dump` prints it right after that line.
    pub after: usize,
    /// The whole line, verbatim.
    pub line: String,
}

/// One state dump: `dump begin LABEL run=N t_ns=T` ... `dump end LABEL`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateDump {
    pub label: String,
    pub run: u32,
    /// Online nodes, ascending.
    pub nodes: Vec<NodeDump>,
    /// Populated zones; `write_dump` prints each after the node with its `nid`.
    pub zones: Vec<ZoneDump>,
    /// Lines the format allows but the fields above do not hold (`warn ...`,
    /// `note ...`), verbatim, in order of appearance, each with the index of the line
    /// it followed.
    pub extra: Vec<ExtraLine>,
}

/// Parses one state dump (one `before.txt`, `after.txt` or `LABEL.txt`). `t_ns` is
/// read and dropped: it is a timestamp, not state.
pub fn parse_dump(text: &str) -> Result<StateDump, FormatError> {
    DumpParser::new(text).parse()
}

/// Writes the dump exactly in the kernel module's format: `dump begin LABEL run=N
/// t_ns=0` ... `dump end LABEL`, one `\n` after every line. For every dump the module
/// printed, `write_dump(&parse_dump(x)?)` equals `x` except the `t_ns` value.
///
/// Missing free lists and pcp lists print as empty ones (the format always has 55 and
/// 14); lists beyond those counts are not printed.
pub fn write_dump(dump: &StateDump) -> String {
    let mut lines: Vec<String> = Vec::new();
    lines.push(format!("dump begin {} run={} t_ns=0", dump.label, dump.run));
    for node in &dump.nodes {
        write_node(&mut lines, node);
        for zone in dump.zones.iter().filter(|z| z.nid == node.nid) {
            write_zone(&mut lines, zone);
        }
    }
    // Zones of no listed node cannot come from the parser; print them rather than
    // lose them.
    for zone in dump
        .zones
        .iter()
        .filter(|z| !dump.nodes.iter().any(|n| n.nid == z.nid))
    {
        write_zone(&mut lines, zone);
    }
    let last = lines.len().saturating_sub(1);
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        for extra in &dump.extra {
            if extra.after.min(last) == index {
                out.push_str(&extra.line);
                out.push('\n');
            }
        }
    }
    let _ = writeln!(out, "dump end {}", dump.label);
    out
}

/// `header.txt`: the lines of a run outside dumps and outside the `o/a/f/e` records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// The gfp mask the module uses for each op letter and the `t` modifier.
    pub gfp_u: u32,
    pub gfp_m: u32,
    pub gfp_r: u32,
    pub gfp_h: u32,
    pub gfp_thisnode: u32,
    /// The `pa_oracle ...` line, verbatim.
    pub constants: String,
    /// The canonical op text of every `op I TEXT` line, by I.
    pub ops: Vec<String>,
    /// `workload nops=K nallocs=T`: T.
    pub nallocs: Option<u64>,
    /// `error ...` lines verbatim (a workload that did not parse, a full buffer).
    pub errors: Vec<String>,
}

impl Header {
    /// The value of `key=` on the constants line (`max_order` gives `"11"`).
    pub fn constant(&self, key: &str) -> Option<&str> {
        self.constants
            .split(' ')
            .filter_map(|tok| tok.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The gfp mask the module passes for an op letter (U M R H) with or without `t`.
    pub fn gfp(&self, mt: char, thisnode: bool) -> Option<u32> {
        let base = match mt {
            'U' => self.gfp_u,
            'M' => self.gfp_m,
            'R' => self.gfp_r,
            'H' => self.gfp_h,
            _ => return None,
        };
        Some(if thisnode {
            base | self.gfp_thisnode
        } else {
            base
        })
    }
}

/// Parses `header.txt`. The `pa_oracle` and `gfp` lines are required; `op` lines must
/// count up from 0 and agree with `workload nops=`.
pub fn parse_header(text: &str) -> Result<Header, FormatError> {
    let mut header = Header::default();
    let (mut seen_constants, mut seen_gfp) = (false, false);
    let mut nops: Option<(usize, usize)> = None;
    let mut cur = Cursor::new(text);
    while let Some((ln, line)) = cur.next() {
        let mut f = Fields::new(ln, line);
        match f.record {
            "pa_oracle" => {
                if seen_constants {
                    return Err(f.err("a second `pa_oracle` line"));
                }
                seen_constants = true;
                header.constants = line.to_string();
            }
            "gfp" => {
                if seen_gfp {
                    return Err(f.err("a second `gfp` line"));
                }
                seen_gfp = true;
                header.gfp_u = f.key_hex_u32("U")?;
                header.gfp_m = f.key_hex_u32("M")?;
                header.gfp_r = f.key_hex_u32("R")?;
                header.gfp_h = f.key_hex_u32("H")?;
                header.gfp_thisnode = f.key_hex_u32("t")?;
                f.end()?;
            }
            "workload" => {
                let count = f.key_u64("nops")?;
                header.nallocs = Some(f.key_u64("nallocs")?);
                f.end()?;
                let count = usize::try_from(count).map_err(|_| f.err("`nops=` is too large"))?;
                nops = Some((ln, count));
            }
            "op" => {
                let index = f.usize("the op index")?;
                if index != header.ops.len() {
                    return Err(f.err(format!(
                        "expected `op {}` (ops count up from 0), found `op {index}`",
                        header.ops.len()
                    )));
                }
                let text = rest_after_tokens(line, 2);
                if text.is_empty() {
                    return Err(f.err("`op I OP`: the op text is missing"));
                }
                header.ops.push(text.to_string());
            }
            "error" => header.errors.push(line.to_string()),
            "run" | "section" | "summary" | "warn" | "note" => {}
            other => {
                return Err(f.err(format!(
                    "unknown record `{}` (a header holds pa_oracle, gfp, run, workload, op, \
                     section, summary, error, warn and note lines)",
                    shown(other)
                )))
            }
        }
    }
    if !seen_constants {
        return Err(cur.end_error("missing the `pa_oracle ...` constants line"));
    }
    if !seen_gfp {
        return Err(cur.end_error("missing the `gfp U= M= R= H= t=` line"));
    }
    if let Some((ln, count)) = nops {
        if count != header.ops.len() {
            return Err(FormatError {
                line: ln,
                message: format!(
                    "`workload nops={count}` but the header has {} `op` lines",
                    header.ops.len()
                ),
            });
        }
    }
    Ok(header)
}

/// One SPEC of an `F` op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeSpec {
    /// `N`
    Index(u64),
    /// `N-M` (step 1) or `N-M/S`; descending when `from > to`.
    Range { from: u64, to: u64, step: u64 },
    /// `all`: every live allocation, ascending.
    All,
    /// `rall`: every live allocation, descending.
    ReverseAll,
}

/// One op of the workload script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `A ORDER MT[t] COUNT [NODE]`: COUNT calls of `alloc_pages_node(NODE, gfp, ORDER)`.
    /// `mt` is the letter U M R H; `node` -1 is the local node.
    Alloc {
        order: u32,
        mt: char,
        thisnode: bool,
        count: u64,
        node: i32,
    },
    /// `F SPEC...`
    Free(Vec<FreeSpec>),
    /// `D LABEL`
    Dump(String),
}

/// Parses a workload script: ops separated by newlines or `;`, fields by whitespace,
/// empty ops ignored. Errors name the line of the op.
pub fn parse_workload(text: &str) -> Result<Vec<Op>, FormatError> {
    let mut ops = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let ln = index + 1;
        for part in line.split(';') {
            let mut toks = part.split_whitespace();
            if let Some(letter) = toks.next() {
                ops.push(parse_op(ln, letter, toks)?);
            }
        }
    }
    Ok(ops)
}

/// The canonical op text as the `o I ...` / `op I ...` lines print it: `A 4 M 40 0`
/// (node always printed), `F 0-39/2 all` (SPECs space-separated, `/S` only when S is
/// not 1), `D d1`. The `t` modifier prints as a suffix of the letter (`A 0 Mt 8 -1`);
/// no recorded run shows `t` or node -1, so those two forms are inferred.
pub fn canonical_op(op: &Op) -> String {
    match op {
        Op::Alloc {
            order,
            mt,
            thisnode,
            count,
            node,
        } => {
            let t = if *thisnode { "t" } else { "" };
            format!("A {order} {mt}{t} {count} {node}")
        }
        Op::Free(specs) => {
            let mut out = String::from("F");
            for spec in specs {
                out.push(' ');
                out.push_str(&canonical_spec(spec));
            }
            out
        }
        Op::Dump(label) => format!("D {label}"),
    }
}

/// One allocation index an `F` op visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeTarget {
    pub idx: u64,
    /// True when a SPEC names the index (`N`, `N-M`, `N-M/S`): if it cannot be freed
    /// (unknown, NULL, already freed) the module records `f IDX OPI skip ...`.
    /// False for `all`/`rall`, which pass over dead indexes without a record (a
    /// recorded run frees only live allocations there, and prints no skip).
    pub explicit: bool,
}

/// Expands SPECs to the indexes the module visits, in its order, given `nallocs`
/// allocations so far: `N-M` ascending or descending (N > M), `N-M/S` every S-th from
/// N, `all` 0..nallocs, `rall` the reverse. At most [`MODTRACE_FREE_INDEXES_MAX`] targets.
pub fn free_targets(specs: &[FreeSpec], nallocs: u64) -> Vec<FreeTarget> {
    let mut out = Targets(Vec::new());
    for spec in specs {
        match *spec {
            FreeSpec::Index(idx) => {
                if !out.push(idx, true) {
                    break;
                }
            }
            FreeSpec::Range { from, to, step } => {
                if !out.push_range(from, to, step) {
                    break;
                }
            }
            FreeSpec::All => {
                if !(0..nallocs).all(|idx| out.push(idx, false)) {
                    break;
                }
            }
            FreeSpec::ReverseAll => {
                if !(0..nallocs).rev().all(|idx| out.push(idx, false)) {
                    break;
                }
            }
        }
    }
    out.0
}

/// The allocation indexes of [`free_targets`], in the order the module visits them.
/// For `all`/`rall` this includes dead indexes, which the module passes over silently
/// (see [`FreeTarget::explicit`]).
pub fn free_indexes(specs: &[FreeSpec], nallocs: u64) -> Vec<u64> {
    free_targets(specs, nallocs)
        .into_iter()
        .map(|t| t.idx)
        .collect()
}

/// One line of `allocs.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocRecord {
    /// `o I CANONICAL-OP`; `text` verbatim.
    Op { index: usize, text: String },
    /// `a IDX OPI ORDER MT NID PFN ZNID/ZONE`, or `... NID NULL` (`result` None).
    /// `mt` is the op letter U M R H; `nid` the requested node (-1 local).
    /// `result` is (pfn, nid, zone) of the block returned.
    Alloc {
        idx: u64,
        op: usize,
        order: u32,
        mt: char,
        nid: i32,
        result: Option<(u64, u32, ZoneType)>,
    },
    /// `f IDX OPI PFN ORDER`
    Free {
        idx: u64,
        op: usize,
        pfn: u64,
        order: u32,
    },
    /// `f IDX OPI skip WHY`: `none` (no such index), `null`, `freed`.
    Skip { idx: u64, op: usize, why: String },
}

/// Writes records exactly in the `allocs.txt` format, one `\n` after every line.
pub fn write_allocs(records: &[AllocRecord]) -> String {
    let mut out = String::new();
    for record in records {
        let _ = match record {
            AllocRecord::Op { index, text } => writeln!(out, "o {index} {text}"),
            AllocRecord::Alloc {
                idx,
                op,
                order,
                mt,
                nid,
                result,
            } => match result {
                Some((pfn, znid, zone)) => writeln!(
                    out,
                    "a {idx} {op} {order} {mt} {nid} {pfn} {znid}/{}",
                    zone.name()
                ),
                None => writeln!(out, "a {idx} {op} {order} {mt} {nid} NULL"),
            },
            AllocRecord::Free {
                idx,
                op,
                pfn,
                order,
            } => writeln!(out, "f {idx} {op} {pfn} {order}"),
            AllocRecord::Skip { idx, op, why } => writeln!(out, "f {idx} {op} skip {why}"),
        };
    }
    out
}

/// Parses `allocs.txt` (`o`, `a` and `f` records).
pub fn parse_allocs(text: &str) -> Result<Vec<AllocRecord>, FormatError> {
    let mut records = Vec::new();
    let mut cur = Cursor::new(text);
    while let Some((ln, line)) = cur.next() {
        let mut f = Fields::new(ln, line);
        let record = match f.record {
            "o" => parse_o_line(&mut f, line)?,
            "a" => parse_a_line(&mut f)?,
            "f" => parse_f_line(&mut f)?,
            other => {
                return Err(f.err(format!(
                    "unknown record `{}` (allocs.txt holds o, a and f lines)",
                    shown(other)
                )))
            }
        };
        records.push(record);
    }
    Ok(records)
}

/// One tracepoint event of `events.txt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelEvent {
    /// `e alloc PFN ORDER MT GFP`: mm_page_alloc (MT = ac.migratetype).
    Alloc {
        pfn: u64,
        order: u32,
        mt: MigrateType,
        gfp: u32,
    },
    /// `e free PFN ORDER`: mm_page_free.
    Free { pfn: u64, order: u32 },
    /// `e buddy PFN ORDER MT PCP`: mm_page_alloc_zone_locked.
    Buddy {
        pfn: u64,
        order: u32,
        mt: MigrateType,
        pcp: bool,
    },
    /// `e drain PFN ORDER MT`: mm_page_pcpu_drain (MT = the cached type).
    Drain {
        pfn: u64,
        order: u32,
        mt: MigrateType,
    },
    /// `e steal PFN AORDER FORDER AMT FMT OWN`: mm_page_alloc_extfrag.
    Steal {
        pfn: u64,
        alloc_order: u32,
        fallback_order: u32,
        alloc_mt: MigrateType,
        fallback_mt: MigrateType,
        owner_changed: bool,
    },
}

/// One line of `events.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventRecord {
    /// `o I CANONICAL-OP`; `text` verbatim.
    Op {
        index: usize,
        text: String,
    },
    Event(KernelEvent),
}

/// Writes records exactly in the `events.txt` format.
pub fn write_events(records: &[EventRecord]) -> String {
    let mut out = String::new();
    for record in records {
        match record {
            EventRecord::Op { index, text } => {
                let _ = writeln!(out, "o {index} {text}");
            }
            EventRecord::Event(event) => {
                out.push_str(&event_line(event));
                out.push('\n');
            }
        }
    }
    out
}

/// Parses `events.txt` (`o` and `e` records).
pub fn parse_events(text: &str) -> Result<Vec<EventRecord>, FormatError> {
    let mut records = Vec::new();
    let mut cur = Cursor::new(text);
    while let Some((ln, line)) = cur.next() {
        let mut f = Fields::new(ln, line);
        let record = match f.record {
            "o" => match parse_o_line(&mut f, line)? {
                AllocRecord::Op { index, text } => EventRecord::Op { index, text },
                _ => return Err(f.err("expected an `o` line")),
            },
            "e" => EventRecord::Event(parse_e_line(&mut f)?),
            other => {
                return Err(f.err(format!(
                    "unknown record `{}` (events.txt holds o and e lines)",
                    shown(other)
                )))
            }
        };
        records.push(record);
    }
    Ok(records)
}

// ---------------------------------------------------------------------------------
// Dump writer

fn write_node(lines: &mut Vec<String>, node: &NodeDump) {
    lines.push(format!(
        "node {} start_pfn={} spanned={} present={} kswapd_order={} \
         kswapd_highest_zoneidx={} kswapd_failures={} cpus={}",
        node.nid,
        node.start_pfn,
        node.spanned,
        node.present,
        node.kswapd_order,
        node.kswapd_highest_zoneidx,
        node.kswapd_failures,
        format_cpulist(&node.cpus)
    ));
    for (kind, list) in [
        ("fallback", &node.fallback),
        ("nofallback", &node.nofallback),
    ] {
        let mut line = format!("zonelist {} {kind} :", node.nid);
        for (nid, zone) in list {
            let _ = write!(line, " {nid}/{}", zone.name());
        }
        lines.push(line);
    }
}

fn write_zone(lines: &mut Vec<String>, z: &ZoneDump) {
    let id = format!("{} {}", z.nid, z.zone.name());
    lines.push(format!(
        "zone {id} zid={} start_pfn={} end_pfn={} spanned={} present={} managed={} min={} \
         low={} high={} boost={} nr_reserved_highatomic={} flags={:#x} \
         nr_isolate_pageblock={} percpu_drift_mark={} pageset_high={} pageset_batch={}",
        z.zid,
        z.start_pfn,
        z.end_pfn,
        z.spanned,
        z.present,
        z.managed,
        z.min,
        z.low,
        z.high,
        z.boost,
        z.nr_reserved_highatomic,
        z.flags,
        z.nr_isolate_pageblock,
        z.percpu_drift_mark,
        z.pageset_high,
        z.pageset_batch
    ));
    lines.push(numbers_line(
        &format!("lowmem_reserve {id}"),
        &z.lowmem_reserve,
    ));
    let mut stats = format!(
        "nr_free_pages {id} global={} snapshot={}",
        z.nr_free_pages_global, z.nr_free_pages_snapshot
    );
    for stat in &z.cpu_stats {
        let _ = write!(
            stats,
            " cpu{0}_diff={1} cpu{0}_threshold={2}",
            stat.cpu, stat.diff, stat.threshold
        );
    }
    lines.push(stats);
    lines.push(numbers_line(&format!("nr_free {id}"), &z.nr_free));
    for order in 0..NR_ORDERS {
        for mt in MigrateType::ALL {
            lines.push(free_line(&id, z, order, mt));
        }
    }
    lines.push(format!("buddy_pages {id} {}", z.buddy_pages));
    for pcp in &z.pcps {
        write_pcp(lines, &id, pcp);
    }
    let mut blocks = format!(
        "pageblocks {id} first_pfn={} nr={} :",
        z.pageblocks_first_pfn,
        z.pageblocks.len()
    );
    for (mt, count) in runs(&z.pageblocks) {
        let _ = write!(blocks, " {}{count}", mt.map_or('-', mt_letter));
    }
    lines.push(blocks);
}

fn free_line(id: &str, z: &ZoneDump, order: usize, mt: MigrateType) -> String {
    let empty = Vec::new();
    let list = z
        .free
        .get(order)
        .and_then(|lists| lists.get(mt.index()))
        .unwrap_or(&empty);
    let mut line = format!("free {id} {order} {} {} :", mt_letter(mt), list.len());
    for pfn in list {
        let _ = write!(line, " {pfn}");
    }
    line
}

fn write_pcp(lines: &mut Vec<String>, id: &str, pcp: &PcpDump) {
    lines.push(format!(
        "pcp {id} cpu={} current={} count={} high={} batch={} free_factor={} expire={}",
        pcp.cpu,
        u8::from(pcp.current),
        pcp.count,
        pcp.high,
        pcp.batch,
        pcp.free_factor,
        pcp.expire
    ));
    let empty = Vec::new();
    for pindex in 0..NR_PCP_LISTS {
        let (order, letter) = pcp_list_kind(pindex).unwrap_or((0, '?'));
        let list = pcp.lists.get(pindex).unwrap_or(&empty);
        let mut line = format!(
            "pcplist {id} {} {pindex} {order} {letter} {} :",
            pcp.cpu,
            list.len()
        );
        for page in list {
            let _ = write!(line, " {}", page.pfn);
            if let Some(mt) = page.cached {
                let _ = write!(line, "/{}", mt_letter(mt));
            }
        }
        lines.push(line);
    }
}

fn numbers_line(prefix: &str, values: &[u64]) -> String {
    let mut line = format!("{prefix} :");
    for value in values {
        let _ = write!(line, " {value}");
    }
    line
}

/// Run-length encoding of pageblock types: maximal runs, as the module prints them.
fn runs(blocks: &[Option<MigrateType>]) -> Vec<(Option<MigrateType>, usize)> {
    let mut out: Vec<(Option<MigrateType>, usize)> = Vec::new();
    for &block in blocks {
        match out.last_mut() {
            Some((mt, count)) if *mt == block => *count += 1,
            _ => out.push((block, 1)),
        }
    }
    out
}

/// The kernel's `%*pbl` form: ascending ids, runs of two or more as `a-b`, commas.
fn format_cpulist(cpus: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&first) = cpus.get(i) {
        let mut last = first;
        let mut j = i + 1;
        while let Some(&next) = cpus.get(j) {
            if last.checked_add(1) != Some(next) {
                break;
            }
            last = next;
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if last == first {
            let _ = write!(out, "{first}");
        } else {
            let _ = write!(out, "{first}-{last}");
        }
        i = j;
    }
    out
}

// ---------------------------------------------------------------------------------
// Line cursor and field reader shared by the parsers

/// Lines of a text, 1-based, split on `\n` only (a `\r` is part of the line, and an
/// error, in the strict formats). A final `\n` ends the last line rather than
/// starting an empty one.
struct Cursor<'a> {
    lines: core::iter::Peekable<core::iter::Enumerate<core::str::Split<'a, char>>>,
    count: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        let body = text.strip_suffix('\n').unwrap_or(text);
        let count = if text.is_empty() {
            0
        } else {
            body.split('\n').count()
        };
        Cursor {
            lines: body.split('\n').enumerate().peekable(),
            count,
        }
    }

    fn next(&mut self) -> Option<(usize, &'a str)> {
        let (index, line) = self.lines.next()?;
        if index >= self.count {
            return None;
        }
        Some((index + 1, line))
    }

    fn peek(&mut self) -> Option<(usize, &'a str)> {
        let &(index, line) = self.lines.peek()?;
        if index >= self.count {
            return None;
        }
        Some((index + 1, line))
    }

    fn end_error(&self, message: impl Into<String>) -> FormatError {
        FormatError {
            line: self.count + 1,
            message: message.into(),
        }
    }
}

/// The space-separated fields of one strict line; the first is the record type.
struct Fields<'a> {
    line: usize,
    record: &'a str,
    toks: core::str::Split<'a, char>,
}

impl<'a> Fields<'a> {
    fn new(line: usize, text: &'a str) -> Fields<'a> {
        let mut toks = text.split(' ');
        let record = toks.next().unwrap_or("");
        Fields { line, record, toks }
    }

    fn err(&self, message: impl Into<String>) -> FormatError {
        FormatError {
            line: self.line,
            message: message.into(),
        }
    }

    fn expected(&self, what: &str, found: &str) -> FormatError {
        self.err(format!(
            "`{}`: expected {what}, found `{}`",
            shown(self.record),
            shown(found)
        ))
    }

    fn token(&mut self, what: &str) -> Result<&'a str, FormatError> {
        match self.toks.next() {
            Some(tok) if !tok.is_empty() => Ok(tok),
            other => Err(self.missing(what, other)),
        }
    }

    /// The error for a field that is absent (`None`) or empty.
    fn missing(&self, what: &str, tok: Option<&str>) -> FormatError {
        match tok {
            None => self.err(format!(
                "`{}`: expected {what}, found the end of the line",
                shown(self.record)
            )),
            Some("") => self.err(format!(
                "`{}`: expected {what}, found an empty field (fields are separated by \
                 single spaces)",
                shown(self.record)
            )),
            Some(tok) => self.expected(what, tok),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), FormatError> {
        match self.toks.next() {
            Some(tok) if tok == word => Ok(()),
            other => Err(self.missing(&format!("`{word}`"), other)),
        }
    }

    fn u64(&mut self, what: &str) -> Result<u64, FormatError> {
        let tok = self.token(what)?;
        dec_u64(tok).ok_or_else(|| self.expected(&format!("{what} (a decimal number)"), tok))
    }

    fn u32(&mut self, what: &str) -> Result<u32, FormatError> {
        let tok = self.token(what)?;
        dec_u64(tok)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| self.expected(&format!("{what} (a 32-bit decimal number)"), tok))
    }

    fn usize(&mut self, what: &str) -> Result<usize, FormatError> {
        let tok = self.token(what)?;
        dec_u64(tok)
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| self.expected(&format!("{what} (a decimal number)"), tok))
    }

    fn i32(&mut self, what: &str) -> Result<i32, FormatError> {
        let tok = self.token(what)?;
        dec_i64(tok)
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| self.expected(&format!("{what} (a decimal number)"), tok))
    }

    fn value(&mut self, key: &str) -> Result<&'a str, FormatError> {
        let tok = self.toks.next();
        match tok.and_then(|t| t.strip_prefix(key)?.strip_prefix('=')) {
            Some(value) => Ok(value),
            None => Err(self.missing(&format!("`{key}=`"), tok)),
        }
    }

    fn key_u64(&mut self, key: &str) -> Result<u64, FormatError> {
        let v = self.value(key)?;
        dec_u64(v).ok_or_else(|| self.expected(&format!("`{key}=` a decimal number"), v))
    }

    fn key_u32(&mut self, key: &str) -> Result<u32, FormatError> {
        let v = self.value(key)?;
        dec_u64(v)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.expected(&format!("`{key}=` a 32-bit decimal number"), v))
    }

    fn key_i64(&mut self, key: &str) -> Result<i64, FormatError> {
        let v = self.value(key)?;
        dec_i64(v).ok_or_else(|| self.expected(&format!("`{key}=` a decimal number"), v))
    }

    fn key_hex_u64(&mut self, key: &str) -> Result<u64, FormatError> {
        let v = self.value(key)?;
        hex_u64(v).ok_or_else(|| self.expected(&format!("`{key}=0x...` (lowercase hex)"), v))
    }

    fn key_hex_u32(&mut self, key: &str) -> Result<u32, FormatError> {
        let v = self.value(key)?;
        hex_u64(v)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.expected(&format!("`{key}=0x...` (32-bit lowercase hex)"), v))
    }

    fn zone_type(&mut self) -> Result<ZoneType, FormatError> {
        let tok = self.token("a zone name")?;
        ZoneType::from_name(tok)
            .ok_or_else(|| self.expected("a zone name (DMA, DMA32, Normal, Movable, Device)", tok))
    }

    /// `NID ZONE` of a zone block line, checked against the block's zone.
    fn zone_id(&mut self, zone: &ZoneDump) -> Result<(), FormatError> {
        let nid = self.u32("the node id")?;
        let zt = self.zone_type()?;
        if nid != zone.nid || zt != zone.zone {
            return Err(self.err(format!(
                "`{}` line for zone {nid} {} inside the block of zone {} {}",
                shown(self.record),
                zt.name(),
                zone.nid,
                zone.zone.name()
            )));
        }
        Ok(())
    }

    /// The remaining fields, each non-empty.
    fn items(&mut self, what: &str) -> Result<Vec<&'a str>, FormatError> {
        let mut out = Vec::new();
        while let Some(tok) = self.toks.next() {
            if tok.is_empty() {
                return Err(self.err(format!(
                    "`{}`: expected {what}, found an empty field (fields are separated by \
                     single spaces; an empty list ends in ` :`)",
                    shown(self.record)
                )));
            }
            out.push(tok);
        }
        Ok(out)
    }

    fn end(&mut self) -> Result<(), FormatError> {
        match self.toks.next() {
            None => Ok(()),
            Some(tok) => Err(self.expected("the end of the line", tok)),
        }
    }
}

/// A token for an error message: at most 40 characters.
fn shown(tok: &str) -> String {
    let mut out: String = tok.chars().take(40).collect();
    if tok.chars().nth(40).is_some() {
        out.push_str("...");
    }
    out
}

/// The line after its first `n` space-separated fields.
fn rest_after_tokens(line: &str, n: usize) -> &str {
    let mut rest = line;
    for _ in 0..n {
        rest = rest.split_once(' ').map_or("", |(_, r)| r);
    }
    rest
}

/// A decimal number as the kernel prints it: digits only, no leading zero.
fn dec_u64(s: &str) -> Option<u64> {
    let canonical = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s.len() == 1 || !s.starts_with('0'));
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

fn dec_i64(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(digits) => {
            if digits == "0" || dec_u64(digits).is_none() {
                None
            } else {
                s.parse().ok()
            }
        }
        None => dec_u64(s).and_then(|v| i64::try_from(v).ok()),
    }
}

/// `0x` and lowercase hex digits, no leading zero (`%#x`).
fn hex_u64(s: &str) -> Option<u64> {
    let digits = s.strip_prefix("0x")?;
    let canonical = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (digits.len() == 1 || !digits.starts_with('0'));
    if canonical {
        u64::from_str_radix(digits, 16).ok()
    } else {
        None
    }
}

/// A single-letter migratetype field (U M R H I).
fn mt_token(tok: &str) -> Option<MigrateType> {
    let mut chars = tok.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => mt_from_letter(c),
        _ => None,
    }
}

fn parse_cpulist(s: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    if !s.is_empty() {
        for part in s.split(',') {
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (dec_u64(a)?, dec_u64(b)?),
                None => {
                    let cpu = dec_u64(part)?;
                    (cpu, cpu)
                }
            };
            let first = u32::try_from(first).ok()?;
            let last = u32::try_from(last).ok()?;
            if first > last || last >= MODTRACE_CPUS_MAX {
                return None;
            }
            cpus.extend(first..=last);
            if cpus.len() > MODTRACE_CPUS_MAX as usize {
                return None;
            }
        }
    }
    // Only the kernel's own form, so that it prints back unchanged.
    (format_cpulist(&cpus) == s).then_some(cpus)
}

// ---------------------------------------------------------------------------------
// Dump parser

struct DumpParser<'a> {
    cur: Cursor<'a>,
    extra: Vec<ExtraLine>,
    /// Typed lines consumed so far (`dump begin` is line 0).
    consumed: usize,
}

fn is_extra(line: &str) -> bool {
    let record = line.split(' ').next().unwrap_or("");
    record == "warn" || record == "note"
}

impl<'a> DumpParser<'a> {
    fn new(text: &'a str) -> DumpParser<'a> {
        DumpParser {
            cur: Cursor::new(text),
            extra: Vec::new(),
            consumed: 0,
        }
    }

    /// Moves `warn`/`note` lines ahead of the cursor into `extra`.
    fn skip_extras(&mut self) {
        while let Some((_, line)) = self.cur.peek() {
            if !is_extra(line) {
                break;
            }
            self.cur.next();
            self.extra.push(ExtraLine {
                after: self.consumed.saturating_sub(1),
                line: line.to_string(),
            });
        }
    }

    /// The record type of the next typed line.
    fn peek_record(&mut self) -> Option<&'a str> {
        self.skip_extras();
        self.cur
            .peek()
            .map(|(_, line)| line.split(' ').next().unwrap_or(""))
    }

    /// The next typed line, which must be a `record` line.
    /// `what` describes the expected line for an error message; it is only built
    /// when there is an error.
    fn expect(
        &mut self,
        record: &str,
        what: impl FnOnce() -> String,
    ) -> Result<Fields<'a>, FormatError> {
        self.skip_extras();
        let Some((ln, line)) = self.cur.next() else {
            return Err(self
                .cur
                .end_error(format!("the input ends early: expected {}", what())));
        };
        self.consumed += 1;
        let f = Fields::new(ln, line);
        if f.record != record {
            return Err(f.err(format!(
                "expected {}, found a `{}` line",
                what(),
                shown(f.record)
            )));
        }
        Ok(f)
    }

    fn parse(mut self) -> Result<StateDump, FormatError> {
        if let Some((ln, line)) = self.cur.peek().filter(|(_, line)| is_extra(line)) {
            return Err(FormatError {
                line: ln,
                message: format!(
                    "expected `dump begin LABEL run=N t_ns=T`, found `{}`",
                    shown(line)
                ),
            });
        }
        let mut f = self.expect("dump", || "`dump begin LABEL run=N t_ns=T`".into())?;
        f.literal("begin")?;
        let label = f.token("the dump label")?.to_string();
        let run = f.key_u32("run")?;
        f.key_u64("t_ns")?;
        f.end()?;
        let mut dump = StateDump {
            label,
            run,
            ..StateDump::default()
        };
        loop {
            match self.peek_record() {
                Some("node") => {
                    let node = self.parse_node(&dump)?;
                    dump.nodes.push(node);
                }
                Some("zone") => {
                    let zone = self.parse_zone(&dump)?;
                    dump.zones.push(zone);
                }
                Some("dump") => break,
                Some(other) => {
                    let line = self.cur.peek().map_or(0, |(ln, _)| ln);
                    return Err(FormatError {
                        line,
                        message: format!(
                            "unknown or misplaced record `{}` (expected `node`, `zone` or \
                             `dump end {}`)",
                            shown(other),
                            shown(&dump.label)
                        ),
                    });
                }
                None => break,
            }
        }
        let end_what = format!("`dump end {}`", shown(&dump.label));
        let mut f = self.expect("dump", || end_what.clone())?;
        f.literal("end")?;
        let label = f.token("the dump label")?;
        if label != dump.label {
            return Err(f.expected(&end_what, &format!("dump end {label}")));
        }
        f.end()?;
        if let Some((ln, line)) = self.cur.next() {
            return Err(FormatError {
                line: ln,
                message: format!(
                    "a line after `dump end {}`: `{}`",
                    shown(&dump.label),
                    shown(line)
                ),
            });
        }
        dump.extra = self.extra;
        Ok(dump)
    }

    fn parse_node(&mut self, dump: &StateDump) -> Result<NodeDump, FormatError> {
        let mut f = self.expect("node", || "a `node` line".into())?;
        let nid = f.u32("the node id")?;
        if let Some(prev) = dump.nodes.last() {
            if nid <= prev.nid {
                return Err(f.err(format!(
                    "node {nid} after node {}: nodes come in ascending order",
                    prev.nid
                )));
            }
        }
        let mut node = NodeDump {
            nid,
            start_pfn: f.key_u64("start_pfn")?,
            spanned: f.key_u64("spanned")?,
            present: f.key_u64("present")?,
            kswapd_order: f.key_u32("kswapd_order")?,
            kswapd_highest_zoneidx: f.key_u32("kswapd_highest_zoneidx")?,
            kswapd_failures: f.key_u32("kswapd_failures")?,
            ..NodeDump::default()
        };
        let cpus = f.value("cpus")?;
        node.cpus = parse_cpulist(cpus)
            .ok_or_else(|| f.expected("`cpus=` a CPU list in the kernel's form (0-3,6)", cpus))?;
        f.end()?;
        node.fallback = self.parse_zonelist(nid, "fallback")?;
        node.nofallback = self.parse_zonelist(nid, "nofallback")?;
        Ok(node)
    }

    fn parse_zonelist(
        &mut self,
        nid: u32,
        kind: &str,
    ) -> Result<Vec<(u32, ZoneType)>, FormatError> {
        let mut f = self.expect("zonelist", || {
            format!("`zonelist {nid} {kind} : NID/ZONE ...`")
        })?;
        let got = f.u32("the node id")?;
        if got != nid {
            return Err(f.err(format!("zonelist of node {got} after the node {nid} line")));
        }
        f.literal(kind)?;
        f.literal(":")?;
        let mut list = Vec::new();
        for item in f.items("NID/ZONE")? {
            let entry = item.split_once('/').and_then(|(n, z)| {
                let n = u32::try_from(dec_u64(n)?).ok()?;
                Some((n, ZoneType::from_name(z)?))
            });
            list.push(entry.ok_or_else(|| f.expected("NID/ZONE", item))?);
        }
        Ok(list)
    }

    fn parse_zone(&mut self, dump: &StateDump) -> Result<ZoneDump, FormatError> {
        let mut f = self.expect("zone", || "a `zone` line".into())?;
        let nid = f.u32("the node id")?;
        let zone = f.zone_type()?;
        match dump.nodes.last() {
            Some(node) if node.nid == nid => {}
            _ => {
                return Err(f.err(format!(
                    "zone {nid} {} outside its node's block",
                    zone.name()
                )))
            }
        }
        let mut z = ZoneDump {
            nid,
            zone,
            zid: f.key_u32("zid")?,
            start_pfn: f.key_u64("start_pfn")?,
            end_pfn: f.key_u64("end_pfn")?,
            spanned: f.key_u64("spanned")?,
            present: f.key_u64("present")?,
            managed: f.key_u64("managed")?,
            min: f.key_u64("min")?,
            low: f.key_u64("low")?,
            high: f.key_u64("high")?,
            boost: f.key_u64("boost")?,
            nr_reserved_highatomic: f.key_u64("nr_reserved_highatomic")?,
            flags: f.key_hex_u64("flags")?,
            nr_isolate_pageblock: f.key_u64("nr_isolate_pageblock")?,
            percpu_drift_mark: f.key_u64("percpu_drift_mark")?,
            pageset_high: f.key_u64("pageset_high")?,
            pageset_batch: f.key_u64("pageset_batch")?,
            ..ZoneDump::default()
        };
        f.end()?;
        let id = format!("{nid} {}", zone.name());

        let mut f = self.expect("lowmem_reserve", || format!("`lowmem_reserve {id} : ...`"))?;
        f.zone_id(&z)?;
        f.literal(":")?;
        z.lowmem_reserve = fixed_numbers(&mut f, "lowmem_reserve entries")?;

        self.parse_nr_free_pages(&mut z, &id)?;

        let mut f = self.expect("nr_free", || format!("`nr_free {id} : ...`"))?;
        f.zone_id(&z)?;
        f.literal(":")?;
        z.nr_free = fixed_numbers(&mut f, "nr_free counts (orders 0..10)")?;

        for order in 0..NR_ORDERS {
            for mt in MigrateType::ALL {
                self.parse_free(&mut z, &id, order, mt)?;
            }
        }

        let mut f = self.expect("buddy_pages", || format!("`buddy_pages {id} N`"))?;
        f.zone_id(&z)?;
        z.buddy_pages = f.u64("the page count")?;
        f.end()?;

        while self.peek_record() == Some("pcp") {
            let pcp = self.parse_pcp(&z, &id)?;
            z.pcps.push(pcp);
        }
        self.parse_pageblocks(&mut z, &id)?;
        Ok(z)
    }

    fn parse_nr_free_pages(&mut self, z: &mut ZoneDump, id: &str) -> Result<(), FormatError> {
        let mut f = self.expect("nr_free_pages", || {
            format!("`nr_free_pages {id} global= snapshot= cpuN_diff= cpuN_threshold=`")
        })?;
        f.zone_id(z)?;
        z.nr_free_pages_global = f.key_i64("global")?;
        z.nr_free_pages_snapshot = f.key_i64("snapshot")?;
        while let Some(tok) = f.toks.next() {
            let stat = tok
                .split_once('=')
                .and_then(|(key, value)| {
                    let cpu = key.strip_prefix("cpu")?.strip_suffix("_diff")?;
                    Some((u32::try_from(dec_u64(cpu)?).ok()?, dec_i64(value)?))
                })
                .ok_or_else(|| f.expected("`cpuN_diff=D`", tok))?;
            let key = format!("cpu{}_threshold", stat.0);
            let threshold = f.key_i64(&key)?;
            z.cpu_stats.push(CpuStat {
                cpu: stat.0,
                diff: stat.1,
                threshold,
            });
        }
        Ok(())
    }

    fn parse_free(
        &mut self,
        z: &mut ZoneDump,
        id: &str,
        order: usize,
        mt: MigrateType,
    ) -> Result<(), FormatError> {
        let letter = mt_letter(mt);
        let what = || {
            format!(
                "`free {id} {order} {letter} COUNT : ...` (55 free lines per zone: orders \
                 0..10 × U M R H I)"
            )
        };
        let mut f = self.expect("free", what)?;
        f.zone_id(z)?;
        let got_order = f.token("the order")?;
        let got_mt = f.token("the migratetype letter")?;
        if dec_u64(got_order) != u64::try_from(order).ok() || mt_token(got_mt) != Some(mt) {
            return Err(f.expected(&what(), &format!("free {id} {got_order} {got_mt}")));
        }
        let count = f.u64("the list length")?;
        f.literal(":")?;
        let items = f.items("a pfn")?;
        if u64::try_from(items.len()).ok() != Some(count) {
            return Err(f.err(format!(
                "`free`: the list has {} pfns but COUNT is {count}",
                items.len()
            )));
        }
        let mut list = Vec::new();
        for item in items {
            if item.ends_with('!') {
                // The module's sign of a corrupt free list; the engine could not load it.
                return Err(f.err(format!(
                    "`free`: pfn `{}` is marked `!` (not a buddy page of this order and \
                     zone), which a loadable state never has",
                    shown(item)
                )));
            }
            list.push(dec_u64(item).ok_or_else(|| f.expected("a pfn", item))?);
        }
        if let Some(slot) = z.free.get_mut(order).and_then(|l| l.get_mut(mt.index())) {
            *slot = list;
        }
        Ok(())
    }

    fn parse_pcp(&mut self, z: &ZoneDump, id: &str) -> Result<PcpDump, FormatError> {
        let mut f = self.expect("pcp", || format!("a `pcp {id} cpu=...` line"))?;
        f.zone_id(z)?;
        let cpu = f.key_u32("cpu")?;
        let current = match f.value("current")? {
            "0" => false,
            "1" => true,
            other => return Err(f.expected("`current=0` or `current=1`", other)),
        };
        let mut pcp = PcpDump {
            cpu,
            current,
            count: f.key_u64("count")?,
            high: f.key_u64("high")?,
            batch: f.key_u64("batch")?,
            free_factor: f.key_u64("free_factor")?,
            expire: f.key_u64("expire")?,
            lists: Vec::new(),
        };
        f.end()?;
        for pindex in 0..NR_PCP_LISTS {
            pcp.lists.push(self.parse_pcplist(z, id, cpu, pindex)?);
        }
        Ok(pcp)
    }

    fn parse_pcplist(
        &mut self,
        z: &ZoneDump,
        id: &str,
        cpu: u32,
        pindex: usize,
    ) -> Result<Vec<PcpPage>, FormatError> {
        let (order, letter) = pcp_list_kind(pindex).unwrap_or((0, '?'));
        let what = || {
            format!(
                "`pcplist {id} {cpu} {pindex} {order} {letter} COUNT : ...` ({NR_PCP_LISTS} \
                 pcplist lines per pcp line)"
            )
        };
        let mut f = self.expect("pcplist", what)?;
        f.zone_id(z)?;
        let mut head = [""; 4];
        for slot in &mut head {
            *slot = f.token("the pcplist CPU PINDEX ORDER LMT fields")?;
        }
        let [got_cpu, got_pindex, got_order, got_letter] = head;
        let mut letters = got_letter.chars();
        let matches = dec_u64(got_cpu) == Some(u64::from(cpu))
            && dec_u64(got_pindex) == u64::try_from(pindex).ok()
            && dec_u64(got_order) == Some(u64::from(order))
            && letters.next() == Some(letter)
            && letters.next().is_none();
        if !matches {
            let found = format!("pcplist {id} {}", head.join(" "));
            return Err(f.expected(&what(), &found));
        }
        let count = f.u64("the list length")?;
        f.literal(":")?;
        let items = f.items("a pfn")?;
        if u64::try_from(items.len()).ok() != Some(count) {
            return Err(f.err(format!(
                "`pcplist`: the list has {} pfns but COUNT is {count}",
                items.len()
            )));
        }
        let mut list = Vec::new();
        for item in items {
            let page = match item.split_once('/') {
                Some((pfn, mt)) => dec_u64(pfn).zip(mt_token(mt)).map(|(pfn, mt)| PcpPage {
                    pfn,
                    cached: Some(mt),
                }),
                None => dec_u64(item).map(|pfn| PcpPage { pfn, cached: None }),
            };
            list.push(
                page.ok_or_else(|| f.expected("`PFN` or `PFN/X` (X one of U M R H I)", item))?,
            );
        }
        Ok(list)
    }

    fn parse_pageblocks(&mut self, z: &mut ZoneDump, id: &str) -> Result<(), FormatError> {
        let mut f = self.expect("pageblocks", || {
            format!("`pageblocks {id} first_pfn= nr= : ...` (or a `pcp` line)")
        })?;
        f.zone_id(z)?;
        z.pageblocks_first_pfn = f.key_u64("first_pfn")?;
        let nr = f.key_u64("nr")?;
        f.literal(":")?;
        if nr > MODTRACE_PAGEBLOCKS_MAX {
            return Err(f.err(format!(
                "`nr={nr}` is above the limit of {MODTRACE_PAGEBLOCKS_MAX} pageblocks"
            )));
        }
        let mut runs: Vec<(Option<MigrateType>, u64)> = Vec::new();
        let mut total: u64 = 0;
        for item in f.items("a run such as `M28` or `-3`")? {
            let run = item.split_at_checked(1).and_then(|(letter, count)| {
                let mt = match letter {
                    "-" => None,
                    _ => Some(mt_token(letter)?),
                };
                Some((mt, dec_u64(count).filter(|&c| c > 0)?))
            });
            let (mt, count) = run.ok_or_else(|| {
                f.expected("a run LETTERCOUNT (U M R H I or -, count from 1)", item)
            })?;
            if runs.last().is_some_and(|&(prev, _)| prev == mt) {
                return Err(f.expected("a run of a type other than the previous run's", item));
            }
            total = total.saturating_add(count);
            runs.push((mt, count));
        }
        if total != nr {
            return Err(f.err(format!(
                "`pageblocks`: the runs cover {total} pageblocks but nr={nr}"
            )));
        }
        for (mt, count) in runs {
            for _ in 0..count {
                z.pageblocks.push(mt);
            }
        }
        Ok(())
    }
}

/// Exactly `N` numbers to the end of the line.
fn fixed_numbers<const N: usize>(f: &mut Fields<'_>, what: &str) -> Result<[u64; N], FormatError> {
    let items = f.items("a number")?;
    if items.len() != N {
        return Err(f.err(format!(
            "`{}`: expected {N} {what}, found {}",
            shown(f.record),
            items.len()
        )));
    }
    let mut out = [0; N];
    for (slot, item) in out.iter_mut().zip(items) {
        *slot = dec_u64(item).ok_or_else(|| f.expected("a decimal number", item))?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------
// Workload and record parsers

fn parse_op<'a>(
    ln: usize,
    letter: &str,
    toks: impl Iterator<Item = &'a str>,
) -> Result<Op, FormatError> {
    let err = |message: String| FormatError { line: ln, message };
    let args: Vec<&str> = toks.collect();
    match letter {
        "A" => {
            if !(3..=4).contains(&args.len()) {
                return Err(err(
                    "`A ORDER MT COUNT [NODE]`: expected 3 or 4 fields".into()
                ));
            }
            let field = |i: usize| args.get(i).copied().unwrap_or("");
            let order = loose_u64(field(0))
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| err(format!("`A`: ORDER `{}` is not a number", shown(field(0)))))?;
            let mt_field = field(1);
            let mut chars = mt_field.chars();
            let mt = chars.next().filter(|c| "UMRH".contains(*c));
            let thisnode = match chars.as_str() {
                "" => false,
                "t" => true,
                _ => {
                    return Err(err(format!(
                        "`A`: MT `{}` is not U, M, R or H with an optional t",
                        shown(mt_field)
                    )))
                }
            };
            let mt = mt.ok_or_else(|| {
                err(format!(
                    "`A`: MT `{}` is not U, M, R or H with an optional t",
                    shown(mt_field)
                ))
            })?;
            let count = loose_u64(field(2))
                .ok_or_else(|| err(format!("`A`: COUNT `{}` is not a number", shown(field(2)))))?;
            let node = match args.get(3) {
                None => 0,
                Some(tok) => loose_i64(tok)
                    .and_then(|v| i32::try_from(v).ok())
                    .filter(|&v| v >= -1)
                    .ok_or_else(|| {
                        err(format!("`A`: NODE `{}` is not a node id or -1", shown(tok)))
                    })?,
            };
            Ok(Op::Alloc {
                order,
                mt,
                thisnode,
                count,
                node,
            })
        }
        "F" => {
            let mut specs = Vec::new();
            let mut explicit: u64 = 0;
            if args.is_empty() {
                return Err(err("`F SPEC...`: expected at least one SPEC".into()));
            }
            for tok in args {
                let spec = parse_spec(tok).ok_or_else(|| {
                    err(format!(
                        "`F`: SPEC `{}` is not N, N-M, N-M/S (S from 1), all or rall",
                        shown(tok)
                    ))
                })?;
                explicit = explicit.saturating_add(spec_len(&spec));
                if explicit > MODTRACE_FREE_INDEXES_MAX as u64 {
                    return Err(err(format!(
                        "`F`: the SPECs name more than {MODTRACE_FREE_INDEXES_MAX} indexes"
                    )));
                }
                specs.push(spec);
            }
            Ok(Op::Free(specs))
        }
        "D" => match args.as_slice() {
            [label] => Ok(Op::Dump((*label).to_string())),
            _ => Err(err("`D LABEL`: expected exactly one LABEL".into())),
        },
        other => Err(err(format!(
            "unknown op `{}` (expected A, F or D)",
            shown(other)
        ))),
    }
}

/// Digits only (leading zeros allowed: people type the script).
fn loose_u64(s: &str) -> Option<u64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn loose_i64(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(digits) => loose_u64(digits)
            .and_then(|v| i64::try_from(v).ok())
            .map(|v| -v),
        None => loose_u64(s).and_then(|v| i64::try_from(v).ok()),
    }
}

fn parse_spec(tok: &str) -> Option<FreeSpec> {
    match tok {
        "all" => return Some(FreeSpec::All),
        "rall" => return Some(FreeSpec::ReverseAll),
        _ => {}
    }
    let (range, step) = match tok.split_once('/') {
        Some((range, step)) => (range, Some(loose_u64(step).filter(|&s| s > 0)?)),
        None => (tok, None),
    };
    match (range.split_once('-'), step) {
        (Some((from, to)), step) => Some(FreeSpec::Range {
            from: loose_u64(from)?,
            to: loose_u64(to)?,
            step: step.unwrap_or(1),
        }),
        (None, None) => Some(FreeSpec::Index(loose_u64(range)?)),
        (None, Some(_)) => None,
    }
}

/// How many indexes an explicit SPEC names (0 for all/rall).
fn spec_len(spec: &FreeSpec) -> u64 {
    match *spec {
        FreeSpec::Index(_) => 1,
        FreeSpec::Range { from, to, step } => (from.abs_diff(to) / step.max(1)).saturating_add(1),
        FreeSpec::All | FreeSpec::ReverseAll => 0,
    }
}

fn canonical_spec(spec: &FreeSpec) -> String {
    match *spec {
        FreeSpec::Index(idx) => idx.to_string(),
        FreeSpec::Range { from, to, step: 1 } => format!("{from}-{to}"),
        FreeSpec::Range { from, to, step } => format!("{from}-{to}/{step}"),
        FreeSpec::All => "all".to_string(),
        FreeSpec::ReverseAll => "rall".to_string(),
    }
}

/// Collects free targets up to [`MODTRACE_FREE_INDEXES_MAX`]; `push` says whether there was room.
struct Targets(Vec<FreeTarget>);

impl Targets {
    fn push(&mut self, idx: u64, explicit: bool) -> bool {
        if self.0.len() >= MODTRACE_FREE_INDEXES_MAX {
            return false;
        }
        self.0.push(FreeTarget { idx, explicit });
        true
    }

    /// `from`, `from ± step`, ... while not past `to`.
    fn push_range(&mut self, from: u64, to: u64, step: u64) -> bool {
        let step = step.max(1);
        let mut idx = from;
        loop {
            if !self.push(idx, true) {
                return false;
            }
            if idx.abs_diff(to) < step {
                return true;
            }
            idx = if from <= to { idx + step } else { idx - step };
        }
    }
}

fn parse_o_line(f: &mut Fields<'_>, line: &str) -> Result<AllocRecord, FormatError> {
    let index = f.usize("the op index")?;
    let text = rest_after_tokens(line, 2);
    if text.is_empty() {
        return Err(f.err("`o I OP`: the op text is missing"));
    }
    Ok(AllocRecord::Op {
        index,
        text: text.to_string(),
    })
}

fn parse_a_line(f: &mut Fields<'_>) -> Result<AllocRecord, FormatError> {
    let idx = f.u64("the allocation index")?;
    let op = f.usize("the op index")?;
    let order = f.u32("the order")?;
    let tok = f.token("the op letter (U M R H)")?;
    let mt = match tok {
        "U" | "M" | "R" | "H" => tok.chars().next().unwrap_or('?'),
        _ => return Err(f.expected("the op letter (U M R H)", tok)),
    };
    let nid = f.i32("the requested node")?;
    let tok = f.token("a pfn or NULL")?;
    let result = if tok == "NULL" {
        None
    } else {
        let pfn = dec_u64(tok).ok_or_else(|| f.expected("a pfn or NULL", tok))?;
        let at = f.token("ZNID/ZONE")?;
        let zone = at
            .split_once('/')
            .and_then(|(n, z)| Some((u32::try_from(dec_u64(n)?).ok()?, ZoneType::from_name(z)?)))
            .ok_or_else(|| f.expected("ZNID/ZONE", at))?;
        Some((pfn, zone.0, zone.1))
    };
    f.end()?;
    Ok(AllocRecord::Alloc {
        idx,
        op,
        order,
        mt,
        nid,
        result,
    })
}

fn parse_f_line(f: &mut Fields<'_>) -> Result<AllocRecord, FormatError> {
    let idx = f.u64("the allocation index")?;
    let op = f.usize("the op index")?;
    let tok = f.token("a pfn or `skip`")?;
    let record = if tok == "skip" {
        let why = f.token("the skip reason (none, null, freed)")?;
        AllocRecord::Skip {
            idx,
            op,
            why: why.to_string(),
        }
    } else {
        let pfn = dec_u64(tok).ok_or_else(|| f.expected("a pfn or `skip`", tok))?;
        let order = f.u32("the order")?;
        AllocRecord::Free {
            idx,
            op,
            pfn,
            order,
        }
    };
    f.end()?;
    Ok(record)
}

fn parse_e_line(f: &mut Fields<'_>) -> Result<KernelEvent, FormatError> {
    let kind = f.token("the event name")?;
    let event = match kind {
        "alloc" => {
            let (pfn, order, mt) = (f.u64("the pfn")?, f.u32("the order")?, event_mt(f)?);
            let tok = f.token("the gfp mask")?;
            let gfp = hex_u64(tok)
                .and_then(|g| u32::try_from(g).ok())
                .ok_or_else(|| f.expected("the gfp mask (0x...)", tok))?;
            KernelEvent::Alloc {
                pfn,
                order,
                mt,
                gfp,
            }
        }
        "free" => KernelEvent::Free {
            pfn: f.u64("the pfn")?,
            order: f.u32("the order")?,
        },
        "buddy" => KernelEvent::Buddy {
            pfn: f.u64("the pfn")?,
            order: f.u32("the order")?,
            mt: event_mt(f)?,
            pcp: flag(f, "PCP")?,
        },
        "drain" => KernelEvent::Drain {
            pfn: f.u64("the pfn")?,
            order: f.u32("the order")?,
            mt: event_mt(f)?,
        },
        "steal" => KernelEvent::Steal {
            pfn: f.u64("the pfn")?,
            alloc_order: f.u32("the allocation order")?,
            fallback_order: f.u32("the fallback order")?,
            alloc_mt: event_mt(f)?,
            fallback_mt: event_mt(f)?,
            owner_changed: flag(f, "OWN")?,
        },
        other => return Err(f.expected("an event name (alloc, free, buddy, drain, steal)", other)),
    };
    f.end()?;
    Ok(event)
}

fn event_mt(f: &mut Fields<'_>) -> Result<MigrateType, FormatError> {
    let tok = f.token("a migratetype letter")?;
    mt_token(tok).ok_or_else(|| f.expected("a migratetype letter (U M R H I)", tok))
}

fn flag(f: &mut Fields<'_>, what: &str) -> Result<bool, FormatError> {
    match f.token(what)? {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(f.expected(&format!("{what} 0 or 1"), other)),
    }
}

fn event_line(event: &KernelEvent) -> String {
    match *event {
        KernelEvent::Alloc {
            pfn,
            order,
            mt,
            gfp,
        } => {
            format!("e alloc {pfn} {order} {} {gfp:#x}", mt_letter(mt))
        }
        KernelEvent::Free { pfn, order } => format!("e free {pfn} {order}"),
        KernelEvent::Buddy {
            pfn,
            order,
            mt,
            pcp,
        } => format!("e buddy {pfn} {order} {} {}", mt_letter(mt), u8::from(pcp)),
        KernelEvent::Drain { pfn, order, mt } => {
            format!("e drain {pfn} {order} {}", mt_letter(mt))
        }
        KernelEvent::Steal {
            pfn,
            alloc_order,
            fallback_order,
            alloc_mt,
            fallback_mt,
            owner_changed,
        } => format!(
            "e steal {pfn} {alloc_order} {fallback_order} {} {} {}",
            mt_letter(alloc_mt),
            mt_letter(fallback_mt),
            u8::from(owner_changed)
        ),
    }
}
