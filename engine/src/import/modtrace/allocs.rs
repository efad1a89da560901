//! `allocs.txt`: what every allocation and free of a run returned.

use core::fmt::Write as _;

use super::fields::{dec_u64, rest_after_tokens, shown, Cursor, Fields};
use super::FormatError;
use crate::types::ZoneType;

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

/// An `o I OP` line, the same in `allocs.txt` and `events.txt`.
pub(super) fn parse_o_line(f: &mut Fields<'_>, line: &str) -> Result<AllocRecord, FormatError> {
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

pub(super) fn parse_a_line(f: &mut Fields<'_>) -> Result<AllocRecord, FormatError> {
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

pub(super) fn parse_f_line(f: &mut Fields<'_>) -> Result<AllocRecord, FormatError> {
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
