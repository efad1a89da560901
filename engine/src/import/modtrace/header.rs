//! `header.txt`: the run's constants, gfp masks and ops, outside the dumps and
//! records.

use super::fields::{dec_u64, rest_after_tokens, shown, Cursor, Fields};
use super::FormatError;
use crate::types::Kernel;

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
    /// The kernel of the format version the `pa_oracle` line names: `version=1` is
    /// Linux 6.1's module, `version=2` Linux 6.12's.
    pub kernel: Kernel,
    /// The canonical op text of every `op I TEXT` line, by I.
    pub ops: Vec<String>,
    /// `workload nops=K nallocs=T`: T.
    pub nallocs: Option<u64>,
    /// `error ...` lines verbatim (a workload that did not parse, a full buffer).
    pub errors: Vec<String>,
}

impl Header {
    /// The value of `key=` on the constants line (`max_order` gives `"11"` in
    /// version 1, `max_page_order` `"10"` in version 2).
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

/// Parses `header.txt` of format version 1 (Linux 6.1) or 2 (Linux 6.12). The
/// `pa_oracle` and `gfp` lines are required; `op` lines must count up from 0 and agree
/// with `workload nops=`.
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
                header.kernel = constants_kernel(&mut f)?;
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

/// The format version of a `pa_oracle version=N ...` line and the order constants
/// that go with it: version 1 (Linux 6.1) has `max_order=11` (MAX_ORDER, exclusive),
/// version 2 (Linux 6.12) `max_page_order=10 nr_page_orders=11` (6.8 made the limit
/// inclusive). Another version, or a constant the version does not have or with
/// another value, is an error naming it; the other constants are kept verbatim.
fn constants_kernel(f: &mut Fields<'_>) -> Result<Kernel, FormatError> {
    let version = f.value("version")?;
    let (kernel, want, refused): (Kernel, &[(&str, &str)], &[&str]) = match version {
        "1" => (
            Kernel::V6_1,
            &[("max_order", "11")],
            &["max_page_order", "nr_page_orders"],
        ),
        "2" => (
            Kernel::V6_12,
            &[("max_page_order", "10"), ("nr_page_orders", "11")],
            &["max_order"],
        ),
        other => {
            let known = match dec_u64(other) {
                Some(_) => format!("`version={other}`"),
                None => format!("`version={}` (not a number)", shown(other)),
            };
            return Err(f.err(format!(
                "unknown pa_oracle format {known}: this reader knows version 1 (Linux 6.1) \
                 and version 2 (Linux 6.12)"
            )));
        }
    };
    let fields: Vec<(&str, &str)> = f.toks.clone().filter_map(|t| t.split_once('=')).collect();
    for (key, value) in want {
        match fields.iter().find(|(k, _)| k == key) {
            Some((_, got)) if got == value => {}
            Some((_, got)) => {
                return Err(f.err(format!(
                    "`pa_oracle version={version}`: `{key}={}` but this version's kernel has \
                     {key}={value}",
                    shown(got)
                )))
            }
            None => {
                return Err(f.err(format!(
                    "`pa_oracle version={version}`: `{key}=` is missing (this version has \
                     {key}={value})"
                )))
            }
        }
    }
    if let Some(key) = refused
        .iter()
        .find(|key| fields.iter().any(|(k, _)| k == *key))
    {
        return Err(f.err(format!(
            "`pa_oracle version={version}` has `{key}=`, which is a constant of the other \
             format version"
        )));
    }
    Ok(kernel)
}
