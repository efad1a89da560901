//! Workload text to statements: words with their columns, one statement a line,
//! `repeat` blocks nested up to [`REPEAT_NESTING_MAX`]. Every error names the line
//! and column of the word at fault.

use crate::alloc::reclaim::PageUse;
use crate::limits::{OPERATIONS_MAX, REPEAT_NESTING_MAX};
use crate::types::gfp::Gfp;
use crate::workload::ast::{err, FreeTarget, Span, Statement, WorkloadError};
use crate::workload::generate;

/// A word of a line and where it starts.
struct Word<'a> {
    text: &'a str,
    span: Span,
}

fn words(line: &str, number: usize) -> Vec<Word<'_>> {
    let code = line.split('#').next().unwrap_or("");
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in code
        .char_indices()
        .chain(core::iter::once((code.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(Word {
                    text: &code[s..i],
                    span: Span {
                        line: number,
                        column: code[..s].chars().count() + 1,
                    },
                });
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Parses a workload.
pub fn parse_workload(text: &str) -> Result<Vec<(Statement, Span)>, WorkloadError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut index = 0;
    let body = parse_block(&lines, &mut index, 0)?;
    if index < lines.len() {
        return Err(err(
            Span {
                line: index + 1,
                column: 1,
            },
            "a `}` without a `repeat ... {` before it",
        ));
    }
    Ok(body)
}

fn parse_block(
    lines: &[&str],
    index: &mut usize,
    depth: usize,
) -> Result<Vec<(Statement, Span)>, WorkloadError> {
    let mut out = Vec::new();
    while let Some(&line) = lines.get(*index) {
        let number = *index + 1;
        let words = words(line, number);
        *index += 1;
        let Some(first) = words.first() else { continue };
        if first.text == "}" {
            if depth == 0 {
                return Err(err(first.span, "a `}` without a `repeat ... {` before it"));
            }
            return Ok(out);
        }
        let statement = parse_statement(&words, lines, index, depth)?;
        out.push((statement, first.span));
    }
    if depth > 0 {
        return Err(err(
            Span {
                line: lines.len(),
                column: 1,
            },
            "a `repeat` block is not closed with `}`",
        ));
    }
    Ok(out)
}

fn parse_statement(
    words: &[Word<'_>],
    lines: &[&str],
    index: &mut usize,
    depth: usize,
) -> Result<Statement, WorkloadError> {
    let Some((first, rest)) = words.split_first() else {
        return Err(err(
            Span {
                line: *index,
                column: 1,
            },
            "an empty statement",
        ));
    };
    match first.text {
        "cpu" => {
            let [cpu] = rest else { return Err(err(first.span, "`cpu` takes one CPU number: `cpu 1`")) };
            Ok(Statement::Cpu(number(cpu, "a CPU number")?))
        }
        "alloc" => parse_alloc(first, rest),
        "place" | "hold" => parse_place(first, rest),
        "drained" => {
            let [word] = rest else {
                return Err(err(first.span, "`drained` takes `at=PFN,PFN,...`"));
            };
            let Some(("at", value)) = word.text.split_once('=') else {
                return Err(err(word.span, "`drained` takes `at=PFN,PFN,...`"));
            };
            let span = Span {
                line: word.span.line,
                column: word.span.column + 3,
            };
            let pfns = value
                .split(',')
                .map(|text| pfn_number(&Word { text, span }))
                .collect::<Result<Vec<u64>, _>>()?;
            Ok(Statement::DrainedAt(pfns))
        }
        "free" => parse_free(first, rest),
        "drain" => {
            let mut cpu = None;
            for word in rest {
                match word.text.split_once('=') {
                    Some(("cpu", value)) => cpu = Some(number(&Word { text: value, span: word.span }, "a CPU number")?),
                    _ => return Err(err(word.span, format!("`drain` takes only `cpu=N`, not `{}`", word.text))),
                }
            }
            Ok(Statement::Drain { cpu })
        }
        "drop_caches" | "compact" => {
            if let Some(extra) = rest.first() {
                return Err(err(extra.span, format!("`{}` takes nothing after it", first.text)));
            }
            Ok(if first.text == "compact" { Statement::Compact } else { Statement::DropCaches })
        }
        "kswapd" => match rest {
            [word] => match word.text.split_once('=') {
                Some(("node", value)) => Ok(Statement::Kswapd { node: number(&Word { text: value, span: word.span }, "a node number")? }),
                _ => Err(err(word.span, "`kswapd` takes `node=N`")),
            },
            _ => Err(err(first.span, "`kswapd` takes `node=N`")),
        },
        "repeat" => {
            let [count, brace] = rest else { return Err(err(first.span, "`repeat` is written `repeat N {`")) };
            if brace.text != "{" {
                return Err(err(brace.span, "`repeat N` must end with `{`"));
            }
            if depth + 1 > REPEAT_NESTING_MAX {
                return Err(err(first.span, format!("`repeat` blocks nest at most {REPEAT_NESTING_MAX} deep")));
            }
            let count = number(count, "a repeat count")?;
            let body = parse_block(lines, index, depth + 1)?;
            Ok(Statement::Repeat { count, body })
        }
        "sysctl" => {
            if rest.is_empty() {
                return Err(err(first.span, "`sysctl` takes NAME=VALUE, e.g. `sysctl min_free_kbytes=8192`"));
            }
            let mut writes = Vec::new();
            for word in rest {
                let Some((name, value)) = word.text.split_once('=') else {
                    return Err(err(word.span, format!("expected NAME=VALUE, found `{}`", word.text)));
                };
                // Several numbers (lowmem_reserve_ratio) are written with commas.
                writes.push((name.to_string(), value.replace(',', " ")));
            }
            Ok(Statement::Sysctl(writes))
        }
        "generate" => parse_generate(first, rest),
        "online" | "offline" => {
            let usage = format!("`{}` takes `section=N` (a sparsemem section number)", first.text);
            match rest {
                [word] => match word.text.split_once('=') {
                    Some(("section", value)) => {
                        let value_word = Word {
                            text: value,
                            span: Span { line: word.span.line, column: word.span.column + "section=".len() },
                        };
                        Ok(Statement::Hotplug { section: number(&value_word, "a section number")?, online: first.text == "online" })
                    }
                    _ => Err(err(word.span, usage)),
                },
                _ => Err(err(first.span, usage)),
            }
        }
        other => Err(err(
            first.span,
            format!("unknown statement `{other}`: use alloc, free, cpu, drain, drop_caches, compact, kswapd, sysctl, online, offline, generate or repeat"),
        )),
    }
}

fn parse_generate(first: &Word<'_>, rest: &[Word<'_>]) -> Result<Statement, WorkloadError> {
    let names: Vec<&str> = generate::GENERATORS.iter().map(|g| g.name).collect();
    let Some((kind, rest)) = rest.split_first() else {
        return Err(err(
            first.span,
            format!("`generate` needs a generator: {}", names.join(", ")),
        ));
    };
    let Some(generator) = generate::generator(kind.text) else {
        return Err(err(
            kind.span,
            format!(
                "unknown generator `{}`: use {}",
                kind.text,
                names.join(", ")
            ),
        ));
    };
    let mut params: Vec<(String, u64)> = Vec::new();
    for word in rest {
        let Some((key, value)) = word.text.split_once('=') else {
            return Err(err(
                word.span,
                format!("expected `key=value`, found `{}`", word.text),
            ));
        };
        let Some(param) = generator.params.iter().find(|p| p.name == key) else {
            let keys: Vec<&str> = generator.params.iter().map(|p| p.name).collect();
            return Err(err(
                word.span,
                format!(
                    "generator `{}` has no `{key}=`: use {}",
                    generator.name,
                    keys.join(", ")
                ),
            ));
        };
        let value_word = Word {
            text: value,
            span: Span {
                line: word.span.line,
                column: word.span.column + key.len() + 1,
            },
        };
        let value: u64 = number(&value_word, "a whole number")?;
        if value > param.max {
            return Err(err(
                value_word.span,
                format!("`{key}` is at most {}", param.max),
            ));
        }
        params.retain(|(k, _)| k != key);
        params.push((key.to_string(), value));
    }
    generate::check_params(generator.name, &params)
        .map_err(|message| err(kind.span, format!("generate {}: {message}", generator.name)))?;
    Ok(Statement::Generate {
        name: generator.name.to_string(),
        params,
    })
}

fn number<T: core::str::FromStr>(word: &Word<'_>, what: &str) -> Result<T, WorkloadError> {
    word.text
        .parse()
        .map_err(|_| err(word.span, format!("expected {what}, found `{}`", word.text)))
}

fn valid_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && text != "all"
}

fn parse_alloc(first: &Word<'_>, rest: &[Word<'_>]) -> Result<Statement, WorkloadError> {
    let (mut name, mut order, mut gfp, mut count, mut node, mut cpu, mut use_) =
        (None, 0u32, Gfp(0xcc0), 1u64, -1i32, None, PageUse::Kernel);
    let mut nodemask = None;
    for (i, word) in rest.iter().enumerate() {
        let Some((key, value)) = word.text.split_once('=') else {
            if i == 0 && valid_name(word.text) {
                name = Some(word.text.to_string());
                continue;
            }
            return Err(err(
                word.span,
                format!("expected `key=value` or a name, found `{}`", word.text),
            ));
        };
        let value_word = Word {
            text: value,
            span: Span {
                line: word.span.line,
                column: word.span.column + key.len() + 1,
            },
        };
        match key {
            "order" => {
                order = number(&value_word, "an order 0-10")?;
                if order > 10 {
                    return Err(err(
                        value_word.span,
                        format!("order {order} is too large: Linux 6.1 allocates orders 0 to 10"),
                    ));
                }
            }
            "gfp" => gfp = Gfp::parse(value).map_err(|e| err(value_word.span, e.message))?,
            "count" => {
                count = number(&value_word, "a count")?;
                if count == 0 || count > OPERATIONS_MAX {
                    return Err(err(
                        value_word.span,
                        format!("count must be 1 to {OPERATIONS_MAX}"),
                    ));
                }
            }
            "node" => {
                node = number(&value_word, "a node number (or -1)")?;
                // -1 is "the CPU's node"; other negative numbers name nothing (and
                // would not be written back).
                if node < -1 {
                    return Err(err(
                        value_word.span,
                        format!("`node` is a node number or -1 (the CPU's own node), not {node}"),
                    ));
                }
            }
            "nodemask" => {
                let nodes = crate::text::parse_cpulist(value).map_err(|e| {
                    err(
                        value_word.span,
                        format!(
                            "`nodemask` is a node list such as 0,2-3: {}",
                            e.replace("CPU", "node")
                        ),
                    )
                })?;
                if nodes.is_empty() {
                    return Err(err(value_word.span, "`nodemask` names no node"));
                }
                nodemask = Some(nodes);
            }
            "cpu" => cpu = Some(number(&value_word, "a CPU number")?),
            "use" => {
                use_ = match value {
                    "kernel" => PageUse::Kernel,
                    "pagecache" => PageUse::PageCache,
                    "anon" => PageUse::Anon,
                    other => {
                        return Err(err(
                            value_word.span,
                            format!("`use` is kernel, pagecache or anon, not `{other}`"),
                        ))
                    }
                }
            }
            other => {
                return Err(err(
                    word.span,
                    format!(
                    "`alloc` has no `{other}=`: use order, gfp, count, node, nodemask, cpu or use"
                ),
                ))
            }
        }
    }
    let _ = first;
    Ok(Statement::Alloc {
        name,
        order,
        gfp,
        count,
        node,
        nodemask,
        cpu,
        use_,
    })
}

/// `place NAME order=N gfp=MASK at=PFN|null [cpu=N] [refill=PFN,...]` and
/// `hold NAME order=N at=PFN [cpu=N]`.
fn parse_place(first: &Word<'_>, rest: &[Word<'_>]) -> Result<Statement, WorkloadError> {
    let hold = first.text == "hold";
    let usage = if hold {
        "`hold NAME order=N at=PFN`"
    } else {
        "`place NAME order=N gfp=MASK at=PFN` (or `at=null`)"
    };
    let Some((name_word, rest)) = rest.split_first() else {
        return Err(err(first.span, format!("{usage} needs a name")));
    };
    if !valid_name(name_word.text) {
        return Err(err(
            name_word.span,
            format!("{usage}: `{}` is not a name", name_word.text),
        ));
    }
    let (mut order, mut gfp, mut at, mut cpu) = (None, None, None, None);
    let mut refill = Vec::new();
    for word in rest {
        let Some((key, value)) = word.text.split_once('=') else {
            return Err(err(
                word.span,
                format!("expected `key=value`, found `{}`", word.text),
            ));
        };
        let value_word = Word {
            text: value,
            span: Span {
                line: word.span.line,
                column: word.span.column + key.len() + 1,
            },
        };
        match key {
            "order" => {
                let n: u32 = number(&value_word, "an order 0-10")?;
                if n > 10 {
                    return Err(err(
                        value_word.span,
                        format!("order {n} is too large: Linux 6.1 allocates orders 0 to 10"),
                    ));
                }
                order = Some(n);
            }
            "gfp" if !hold => {
                gfp = Some(Gfp::parse(value).map_err(|e| err(value_word.span, e.message))?)
            }
            "at" => {
                at = Some(if value == "null" && !hold {
                    None
                } else {
                    Some(pfn_number(&value_word)?)
                })
            }
            "cpu" => cpu = Some(number(&value_word, "a CPU number")?),
            "refill" if !hold => {
                refill = value
                    .split(',')
                    .map(|text| {
                        pfn_number(&Word {
                            text,
                            span: value_word.span,
                        })
                    })
                    .collect::<Result<Vec<u64>, _>>()?;
            }
            other => {
                let keys = if hold {
                    "order, at or cpu"
                } else {
                    "order, gfp, at, cpu or refill"
                };
                return Err(err(
                    word.span,
                    format!("`{}` has no `{other}=`: use {keys}", first.text),
                ));
            }
        }
    }
    let (Some(order), Some(at)) = (order, at) else {
        return Err(err(first.span, format!("{usage} needs `order=` and `at=`")));
    };
    if !hold && gfp.is_none() {
        return Err(err(first.span, format!("{usage} needs `gfp=`")));
    }
    Ok(Statement::Place {
        name: name_word.text.to_string(),
        order,
        gfp,
        at,
        cpu,
        refill,
    })
}

/// A pfn, `0x...` in hex or decimal.
fn pfn_number(word: &Word<'_>) -> Result<u64, WorkloadError> {
    let parsed = match word.text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => word.text.parse().ok(),
    };
    parsed.ok_or_else(|| {
        err(
            word.span,
            format!("expected a pfn (0x... or decimal), found `{}`", word.text),
        )
    })
}

fn parse_free(first: &Word<'_>, rest: &[Word<'_>]) -> Result<Statement, WorkloadError> {
    let Some(target) = rest.first() else {
        return Err(err(
            first.span,
            "`free` needs a name, `name[i]`, `name[i..j]`, `name every=N` or `all`",
        ));
    };
    if target.text == "all" {
        if let Some(extra) = rest.get(1) {
            return Err(err(extra.span, "`free all` takes nothing after it"));
        }
        return Ok(Statement::Free(FreeTarget::All));
    }
    let (name, bracket) = match target.text.split_once('[') {
        Some((name, inner)) => (name, Some(inner)),
        None => (target.text, None),
    };
    if !valid_name(name) {
        return Err(err(
            target.span,
            format!("`{name}` is not a name (letters, digits, `_`, `-`)"),
        ));
    }
    let name = name.to_string();
    let at = |offset: usize| Span {
        line: target.span.line,
        column: target.span.column + offset,
    };
    if let Some(inner) = bracket {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| err(target.span, "a `[` without its `]`"))?;
        let offset = name.len() + 1;
        return match inner.split_once("..") {
            Some((a, b)) => {
                let a: usize = number(
                    &Word {
                        text: a,
                        span: at(offset),
                    },
                    "a start index",
                )?;
                let b: usize = number(
                    &Word {
                        text: b,
                        span: at(offset + a.to_string().len() + 2),
                    },
                    "an end index",
                )?;
                if a > b {
                    return Err(err(
                        at(offset),
                        format!("the range {a}..{b} runs backwards"),
                    ));
                }
                Ok(Statement::Free(FreeTarget::Range(name, a, b)))
            }
            None => Ok(Statement::Free(FreeTarget::Index(
                name,
                number(
                    &Word {
                        text: inner,
                        span: at(offset),
                    },
                    "an index",
                )?,
            ))),
        };
    }
    match rest.get(1) {
        None => Ok(Statement::Free(FreeTarget::Name(name))),
        Some(word) => match word.text.split_once('=') {
            Some(("every", value)) => {
                let n: usize = number(
                    &Word {
                        text: value,
                        span: word.span,
                    },
                    "a step",
                )?;
                if n == 0 {
                    return Err(err(word.span, "`every=` must be at least 1"));
                }
                Ok(Statement::Free(FreeTarget::Every(name, n)))
            }
            _ => Err(err(
                word.span,
                format!(
                    "`free NAME` takes only `every=N` after it, not `{}`",
                    word.text
                ),
            )),
        },
    }
}
