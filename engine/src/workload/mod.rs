//! The workload language: what a teacher writes to drive the allocator. One
//! statement a line, `#` starts a comment:
//!
//! ```text
//! cpu 1                                   # later statements run on CPU 1
//! alloc cache order=0 gfp=GFP_HIGHUSER_MOVABLE count=500 use=pagecache
//! alloc buf order=3 gfp=GFP_KERNEL node=0 cpu=0
//! free cache[0..100]                      # a range of cache's allocations (end excluded)
//! free cache every=2                      # every second one
//! free buf[0]
//! free buf                                # every live allocation named buf
//! repeat 10 {
//!   alloc tmp order=0 gfp=GFP_ATOMIC
//!   free tmp
//! }
//! drain                                   # every CPU; `drain cpu=1` for one
//! kswapd node=0
//! compact
//! drop_caches
//! sysctl min_free_kbytes=8192 watermark_scale_factor=100
//! sysctl lowmem_reserve_ratio=256,256,32,0,0
//! free all
//! ```
//!
//! `alloc` takes `order` (0-10, default 0), `gfp` (kernel names joined with `|`,
//! default GFP_KERNEL), `count` (default 1), `node` (default -1: the CPU's node),
//! `cpu` and `use` (`kernel`, `pagecache` or `anon`; default kernel). A name is
//! optional; every allocation also has an index, in order. Freeing something that is
//! no longer live (returned NULL, reclaimed, freed) is skipped, not an error.
//! Errors name the line and column.

#![warn(clippy::indexing_slicing)]

pub mod generate;

use crate::limits::{GENERATE_STATEMENTS_MAX, OPERATIONS_MAX, REPEAT_NESTING_MAX, STATEMENTS_MAX};
use core::fmt;
use std::collections::BTreeMap;

use crate::alloc::reclaim::PageUse;
use crate::session::{Operation, Outcome, Session};
use crate::types::gfp::Gfp;

/// Where something is in the workload text (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub line: usize,
    pub column: usize,
}

/// Which allocations a `free` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FreeTarget {
    All,
    Name(String),
    Index(String, usize),
    Range(String, usize, usize),
    Every(String, usize),
}

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    Cpu(u32),
    Alloc {
        name: Option<String>,
        order: u32,
        gfp: Gfp,
        count: u64,
        node: i32,
        nodemask: Option<Vec<u32>>,
        cpu: Option<u32>,
        use_: PageUse,
    },
    Free(FreeTarget),
    Drain {
        cpu: Option<u32>,
    },
    DropCaches,
    Compact,
    Kswapd {
        node: u32,
    },
    /// `sysctl NAME=VALUE ...`: /proc/sys/vm writes (`thp=` for the THP mode).
    Sysctl(Vec<(String, String)>),
    /// `offline section=N` / `online section=N`: memory hotplug of one section.
    Hotplug {
        section: u64,
        online: bool,
    },
    /// `generate NAME key=value ...`: a seeded generator (see [`crate::workload::generate`]).
    Generate {
        name: String,
        params: Vec<(String, u64)>,
    },
    Repeat {
        count: u64,
        body: Vec<(Statement, Span)>,
    },
}

/// A workload that cannot be read or run, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadError {
    pub span: Span,
    pub message: String,
}

impl fmt::Display for WorkloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.span.line, self.span.column, self.message
        )
    }
}

impl std::error::Error for WorkloadError {}

fn err(span: Span, message: impl Into<String>) -> WorkloadError {
    WorkloadError {
        span,
        message: message.into(),
    }
}

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
    while *index < lines.len() {
        let number = *index + 1;
        let words = words(lines[*index], number);
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
    let first = &words[0];
    let rest = &words[1..];
    match first.text {
        "cpu" => {
            let [cpu] = rest else { return Err(err(first.span, "`cpu` takes one CPU number: `cpu 1`")) };
            Ok(Statement::Cpu(number(cpu, "a CPU number")?))
        }
        "alloc" => parse_alloc(first, rest),
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
    let names: Vec<&str> = crate::workload::generate::GENERATORS
        .iter()
        .map(|g| g.name)
        .collect();
    let Some((kind, rest)) = rest.split_first() else {
        return Err(err(
            first.span,
            format!("`generate` needs a generator: {}", names.join(", ")),
        ));
    };
    let Some(generator) = crate::workload::generate::generator(kind.text) else {
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
    crate::workload::generate::check_params(generator.name, &params)
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

/// What running a workload did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub operations: u64,
    pub allocated: u64,
    pub failed: u64,
    pub freed: u64,
    /// Frees skipped because the allocation was no longer live.
    pub skipped: u64,
}

/// Runs a workload on a session with seed 1, stopping after `limit` operations if
/// given.
pub fn run_workload(
    session: &mut Session,
    statements: &[(Statement, Span)],
    limit: Option<u64>,
) -> Result<RunSummary, WorkloadError> {
    run_workload_seeded(session, statements, limit, 1)
}

/// Runs a workload on a session; `seed` (a scenario's `[workload] seed`) drives the
/// generators.
pub fn run_workload_seeded(
    session: &mut Session,
    statements: &[(Statement, Span)],
    limit: Option<u64>,
    seed: u64,
) -> Result<RunSummary, WorkloadError> {
    let mut state = RunState {
        names: BTreeMap::new(),
        all_dead: 0,
        cpu: None,
        summary: RunSummary::default(),
        limit: limit.unwrap_or(OPERATIONS_MAX).min(OPERATIONS_MAX),
        statements: 0,
        seed,
        generated: 0,
    };
    run_block(session, statements, &mut state)?;
    Ok(state.summary)
}

struct RunState {
    /// Allocation indexes by name, in order.
    names: BTreeMap<String, Group>,
    /// Allocations `0..all_dead` are known to be no longer live (an allocation never
    /// becomes live again), so `free all` starts after them.
    all_dead: usize,
    cpu: Option<u32>,
    summary: RunSummary,
    limit: u64,
    statements: u64,
    seed: u64,
    /// `generate` statements run so far.
    generated: u64,
}

/// The allocations made under one name.
#[derive(Default)]
struct Group {
    indexes: Vec<usize>,
    /// `indexes[..dead]` are known to be no longer live: `free NAME` starts after
    /// them, so `repeat N { alloc x; free x }` stays linear.
    dead: usize,
}

/// Moves `*dead` past the leading entries of `indexes` that are no longer live.
fn skip_dead(session: &Session, indexes: impl Fn(usize) -> Option<usize>, dead: &mut usize) {
    while let Some(index) = indexes(*dead) {
        if session.is_live(index) {
            break;
        }
        *dead += 1;
    }
}

/// Returns Ok(false) when the operation limit stopped the run.
fn run_block(
    session: &mut Session,
    statements: &[(Statement, Span)],
    state: &mut RunState,
) -> Result<bool, WorkloadError> {
    for (statement, span) in statements {
        if !run_statement(session, statement, *span, state)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn apply(
    session: &mut Session,
    operation: Operation,
    span: Span,
    state: &mut RunState,
) -> Result<bool, WorkloadError> {
    if state.summary.operations >= state.limit {
        return Ok(false);
    }
    let call = session
        .apply(operation)
        .map_err(|e| err(span, e.to_string()))?;
    state.summary.operations += 1;
    match call.outcome {
        Outcome::Allocated { .. } => state.summary.allocated += 1,
        Outcome::Failed { .. } => state.summary.failed += 1,
        Outcome::Freed { .. } => state.summary.freed += 1,
        _ => {}
    }
    Ok(true)
}

fn run_statement(
    session: &mut Session,
    statement: &Statement,
    span: Span,
    state: &mut RunState,
) -> Result<bool, WorkloadError> {
    count_statement(state, span)?;
    match statement {
        Statement::Cpu(cpu) => {
            if !session.current().online_cpus.contains(cpu) {
                return Err(err(
                    span,
                    format!("CPU {cpu} is not online on this machine"),
                ));
            }
            state.cpu = Some(*cpu);
        }
        Statement::Alloc {
            name,
            order,
            gfp,
            count,
            node,
            nodemask,
            cpu,
            use_,
        } => {
            for _ in 0..*count {
                let index = session.allocations_made();
                let operation = Operation::Alloc {
                    order: *order,
                    gfp: *gfp,
                    node: *node,
                    nodemask: nodemask.clone(),
                    cpu: cpu.or(state.cpu),
                    use_: *use_,
                };
                if !apply(session, operation, span, state)? {
                    return Ok(false);
                }
                if let Some(name) = name {
                    match state.names.get_mut(name.as_str()) {
                        Some(group) => group.indexes.push(index),
                        None => {
                            let group = Group {
                                indexes: vec![index],
                                dead: 0,
                            };
                            state.names.insert(name.clone(), group);
                        }
                    }
                }
            }
        }
        Statement::Free(target) => {
            let indexes: Vec<usize> = match target {
                FreeTarget::All => {
                    let made = session.allocations_made();
                    skip_dead(session, |i| (i < made).then_some(i), &mut state.all_dead);
                    // The known-dead ones are skipped without looking at them again.
                    state.summary.skipped += state.all_dead as u64;
                    (state.all_dead..made).collect()
                }
                FreeTarget::Name(name)
                | FreeTarget::Index(name, _)
                | FreeTarget::Range(name, _, _)
                | FreeTarget::Every(name, _) => {
                    let group = state.names.get_mut(name.as_str()).ok_or_else(|| {
                        err(span, format!("nothing has been allocated as `{name}`"))
                    })?;
                    let Group { indexes, dead } = group;
                    match target {
                        FreeTarget::Index(_, i) => vec![*indexes.get(*i).ok_or_else(|| {
                            err(
                                span,
                                format!(
                                    "`{name}` has {} allocations, so there is no `{name}[{i}]`",
                                    indexes.len()
                                ),
                            )
                        })?],
                        FreeTarget::Range(_, a, b) => indexes
                            .iter()
                            .skip(*a)
                            .take(b.saturating_sub(*a))
                            .copied()
                            .collect(),
                        FreeTarget::Every(_, n) => {
                            indexes.iter().step_by((*n).max(1)).copied().collect()
                        }
                        _ => {
                            skip_dead(session, |i| indexes.get(i).copied(), dead);
                            state.summary.skipped += *dead as u64;
                            indexes[*dead..].to_vec()
                        }
                    }
                }
            };
            for index in indexes {
                if !session.is_live(index) {
                    state.summary.skipped += 1;
                    // A skipped free costs no operation but still takes time: it
                    // counts as a statement, so `repeat N { free all }` ends.
                    count_statement(state, span)?;
                    continue;
                }
                if !apply(
                    session,
                    Operation::Free {
                        index,
                        cpu: state.cpu,
                    },
                    span,
                    state,
                )? {
                    return Ok(false);
                }
            }
        }
        Statement::Drain { cpu } => {
            let operation = match cpu {
                Some(cpu) => Operation::DrainLocal { cpu: *cpu },
                None => Operation::DrainAll,
            };
            return apply(session, operation, span, state);
        }
        Statement::DropCaches => return apply(session, Operation::DropCaches, span, state),
        Statement::Compact => return apply(session, Operation::CompactMemory, span, state),
        Statement::Kswapd { node } => {
            return apply(session, Operation::RunKswapd { node: *node }, span, state)
        }
        Statement::Generate { name, params } => {
            state.generated += 1;
            if state.generated > GENERATE_STATEMENTS_MAX {
                return Err(err(
                    span,
                    format!("the workload runs more than {GENERATE_STATEMENTS_MAX} `generate` statements"),
                ));
            }
            let facts = crate::workload::generate::MachineFacts::of(session.current());
            let seed = crate::workload::generate::stream_seed(state.seed, state.generated);
            let prefix = format!("g{}", state.generated);
            // Only what the remaining operation budget can run (see expand_at_most).
            let remaining = state.limit.saturating_sub(state.summary.operations);
            let cap = usize::try_from(remaining.saturating_mul(2).saturating_add(2))
                .unwrap_or(usize::MAX);
            let body: Vec<(Statement, Span)> =
                crate::workload::generate::expand_at_most(name, params, &facts, seed, &prefix, cap)
                    .into_iter()
                    .map(|statement| (statement, span))
                    .collect();
            let cut = body.len() >= cap;
            let finished = run_block(session, &body, state)?;
            // A cut body ends where the full one would have hit the limit.
            return Ok(finished && !(cut && state.summary.operations >= state.limit));
        }
        Statement::Hotplug { section, online } => {
            let operation = if *online {
                Operation::OnlineSection { section: *section }
            } else {
                Operation::OfflineSection { section: *section }
            };
            return apply(session, operation, span, state);
        }
        Statement::Sysctl(writes) => {
            for (name, value) in writes {
                let operation = Operation::Sysctl {
                    name: name.clone(),
                    value: value.clone(),
                };
                if !apply(session, operation, span, state)? {
                    return Ok(false);
                }
            }
        }
        Statement::Repeat { count, body } => {
            for _ in 0..*count {
                // Every pass counts, so an empty body cannot spin for hours.
                count_statement(state, span)?;
                if !run_block(session, body, state)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}

/// Counts one statement (or pass, or skipped free) against [`STATEMENTS_MAX`].
fn count_statement(state: &mut RunState, span: Span) -> Result<(), WorkloadError> {
    state.statements += 1;
    if state.statements > STATEMENTS_MAX {
        return Err(err(
            span,
            format!("the workload runs more than {STATEMENTS_MAX} statements (repeat passes and skipped frees count)"),
        ));
    }
    Ok(())
}

/// Writes statements back as workload text that [`parse_workload`] reads to the same
/// statements (one per line; `repeat` bodies indented by two spaces).
pub fn format_statements(statements: &[Statement]) -> String {
    let mut out = String::new();
    let refs: Vec<&Statement> = statements.iter().collect();
    write_block(&mut out, &refs, 0);
    out
}

fn write_block(out: &mut String, statements: &[&Statement], depth: usize) {
    for statement in statements {
        out.push_str(&"  ".repeat(depth));
        match statement {
            Statement::Repeat { count, body } => {
                out.push_str(&format!("repeat {count} {{\n"));
                let body: Vec<&Statement> = body.iter().map(|(s, _)| s).collect();
                write_block(out, &body, depth + 1);
                out.push_str(&"  ".repeat(depth));
                out.push_str("}\n");
                continue;
            }
            other => out.push_str(&format_statement(other)),
        }
        out.push('\n');
    }
}

/// One statement (not `repeat`) as a line of workload text.
pub fn format_statement(statement: &Statement) -> String {
    match statement {
        Statement::Cpu(cpu) => format!("cpu {cpu}"),
        Statement::Alloc {
            name,
            order,
            gfp,
            count,
            node,
            nodemask,
            cpu,
            use_,
        } => {
            let mut line = String::from("alloc");
            if let Some(name) = name {
                line.push_str(&format!(" {name}"));
            }
            line.push_str(&format!(" order={order} gfp={}", gfp.describe()));
            if *count != 1 {
                line.push_str(&format!(" count={count}"));
            }
            if *node >= 0 {
                line.push_str(&format!(" node={node}"));
            }
            if let Some(mask) = nodemask {
                line.push_str(&format!(" nodemask={}", crate::text::format_cpulist(mask)));
            }
            if let Some(cpu) = cpu {
                line.push_str(&format!(" cpu={cpu}"));
            }
            match use_ {
                PageUse::Kernel => {}
                PageUse::PageCache => line.push_str(" use=pagecache"),
                PageUse::Anon => line.push_str(" use=anon"),
            }
            line
        }
        Statement::Free(target) => match target {
            FreeTarget::All => "free all".to_string(),
            FreeTarget::Name(name) => format!("free {name}"),
            FreeTarget::Index(name, i) => format!("free {name}[{i}]"),
            FreeTarget::Range(name, a, b) => format!("free {name}[{a}..{b}]"),
            FreeTarget::Every(name, n) => format!("free {name} every={n}"),
        },
        Statement::Drain { cpu: None } => "drain".to_string(),
        Statement::Drain { cpu: Some(cpu) } => format!("drain cpu={cpu}"),
        Statement::DropCaches => "drop_caches".to_string(),
        Statement::Compact => "compact".to_string(),
        Statement::Kswapd { node } => format!("kswapd node={node}"),
        Statement::Sysctl(writes) => {
            let parts: Vec<String> = writes
                .iter()
                .map(|(name, value)| format!("{name}={}", value.replace(' ', ",")))
                .collect();
            format!("sysctl {}", parts.join(" "))
        }
        Statement::Hotplug { section, online } => format!(
            "{} section={section}",
            if *online { "online" } else { "offline" }
        ),
        Statement::Generate { name, params } => {
            let mut line = format!("generate {name}");
            for (key, value) in params {
                line.push_str(&format!(" {key}={value}"));
            }
            line
        }
        Statement::Repeat { count, .. } => format!("repeat {count} {{ }}"),
    }
}
