//! `header.txt`: the run's constants, gfp masks and ops, outside the dumps and
//! records.

use super::fields::{rest_after_tokens, shown, Cursor, Fields};
use super::FormatError;

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
