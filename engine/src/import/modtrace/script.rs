//! The workload script the module runs (`A`, `F` and `D` ops), its canonical text,
//! and the allocation indexes an `F` op visits. The one lenient parser of the format:
//! people type scripts.

use super::fields::shown;
use super::FormatError;
use crate::limits::MODTRACE_FREE_INDEXES_MAX;

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
