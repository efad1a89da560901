//! Statements applied to a session: names resolved to allocation indexes, `repeat`
//! and `generate` expanded as they run, and every run bounded by the operation
//! budget and [`STATEMENTS_MAX`].

use crate::error::EngineError;
use crate::limits::{GENERATE_STATEMENTS_MAX, OPERATIONS_MAX, STATEMENTS_MAX};
use crate::session::{Operation, Outcome, Session};
use crate::types::sort::sorted_entry;
use crate::workload::ast::{err, FreeTarget, Span, Statement, WorkloadError};
use crate::workload::generate::{self, Expansion, Generated};

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
    check_machine_names(session, statements)?;
    let mut state = RunState {
        names: Vec::new(),
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

/// Refuses a workload that names a CPU or a kswapd node the machine does not have,
/// before anything runs: the first such statement in the text, with the message the
/// run would give when it got there. The machine's CPUs and nodes do not change during
/// a run (hotplug is of memory sections), so a run would only have spent its
/// operations up to that statement before the same refusal (a fuzzer found a workload
/// of 616,000 operations refused only after them, fuzz/README.md). A statement the run
/// would not reach (past the operation budget) is refused all the same. An `alloc`'s
/// `node=` and `nodemask=` are still checked as the allocation runs.
fn check_machine_names(
    session: &Session,
    statements: &[(Statement, Span)],
) -> Result<(), WorkloadError> {
    let allocator = session.current();
    for (statement, span) in statements {
        let cpu = match statement {
            Statement::Cpu(cpu) => Some(*cpu),
            Statement::Alloc { cpu, .. }
            | Statement::Place { cpu, .. }
            | Statement::Drain { cpu } => *cpu,
            Statement::Kswapd { node } => {
                if !allocator.nodes().iter().any(|n| n.nid == *node) {
                    return Err(err(
                        *span,
                        EngineError::NoSuchNode { node: *node }.to_string(),
                    ));
                }
                None
            }
            Statement::Repeat { body, .. } => {
                check_machine_names(session, body)?;
                None
            }
            _ => None,
        };
        if let Some(cpu) = cpu.filter(|cpu| !allocator.online_cpus().contains(cpu)) {
            return Err(no_such_cpu(*span, cpu));
        }
    }
    Ok(())
}

/// The run's refusal of a CPU that is not online ([`EngineError::NoSuchCpu`]'s words).
fn no_such_cpu(span: Span, cpu: u32) -> WorkloadError {
    err(span, EngineError::NoSuchCpu { cpu }.to_string())
}

struct RunState {
    /// Allocation indexes by name, in order, the names sorted (looked up by binary
    /// search: a `BTreeMap` of its own compiled its insertion and removal code into
    /// the page, docs/performance.md, branch size23).
    names: Vec<(String, Group)>,
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

impl RunState {
    /// Where `name` is in `names`, or where it would be inserted (`BTreeMap`'s order:
    /// `str`'s `Ord`).
    fn name_at(&self, name: &str) -> Result<usize, usize> {
        self.names
            .binary_search_by(|(key, _)| key.as_str().cmp(name))
    }
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

/// Whether a run goes on after a statement, an operation or a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// Run the next statement.
    Continue,
    /// The operation budget is spent (the caller's `limit`, at most
    /// [`OPERATIONS_MAX`]): the run ends here, without an error, and its summary
    /// counts what ran. Every enclosing `repeat` and `generate` stops too.
    Stop,
}

/// Runs statements in order until one stops the run.
fn run_block(
    session: &mut Session,
    statements: &[(Statement, Span)],
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    for (statement, span) in statements {
        if let Flow::Stop = run_statement(session, statement, *span, state)? {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Continue)
}

/// Applies one operation and counts it, or stops if the budget is spent.
fn apply(
    session: &mut Session,
    operation: &Operation,
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    if state.summary.operations >= state.limit {
        return Ok(Flow::Stop);
    }
    let outcome = session
        .apply_outcome(operation)
        .map_err(|e| err(span, e.to_string()))?;
    state.summary.operations += 1;
    match outcome {
        Outcome::Allocated { .. } | Outcome::Placed { .. } => state.summary.allocated += 1,
        Outcome::Failed { .. } | Outcome::NotPlaced { .. } => state.summary.failed += 1,
        Outcome::Freed { .. } => state.summary.freed += 1,
        _ => {}
    }
    Ok(Flow::Continue)
}

/// Runs one statement: counts it, then hands it to the runner of its kind. The
/// statements that are one operation each are applied here.
fn run_statement(
    session: &mut Session,
    statement: &Statement,
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    count_statement(state, span)?;
    match statement {
        Statement::Cpu(cpu) => run_cpu(session, *cpu, span, state),
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
            let operation = Operation::Alloc {
                order: *order,
                gfp: *gfp,
                node: *node,
                nodemask: nodemask.clone(),
                cpu: cpu.or(state.cpu),
                use_: *use_,
            };
            run_alloc(session, name.as_deref(), *count, &operation, span, state)
        }
        Statement::Place {
            name,
            order,
            gfp,
            at,
            cpu,
            refill,
        } => {
            let operation = Operation::AllocAt {
                pfn: *at,
                order: *order,
                gfp: *gfp,
                cpu: cpu.or(state.cpu),
                refill: refill.clone(),
            };
            run_alloc(session, Some(name), 1, &operation, span, state)
        }
        Statement::DrainedAt(pfns) => apply(
            session,
            &Operation::DrainAt { pfns: pfns.clone() },
            span,
            state,
        ),
        Statement::Free(target) => run_free(session, target, span, state),
        Statement::Drain { cpu } => {
            let operation = match cpu {
                Some(cpu) => Operation::DrainLocal { cpu: *cpu },
                None => Operation::DrainAll,
            };
            apply(session, &operation, span, state)
        }
        Statement::DropCaches => apply(session, &Operation::DropCaches, span, state),
        Statement::Compact => apply(session, &Operation::CompactMemory, span, state),
        Statement::Kswapd { node } => {
            apply(session, &Operation::RunKswapd { node: *node }, span, state)
        }
        Statement::Generate { name, params } => run_generate(session, name, params, span, state),
        Statement::Hotplug { section, online } => {
            let operation = if *online {
                Operation::OnlineSection { section: *section }
            } else {
                Operation::OfflineSection { section: *section }
            };
            apply(session, &operation, span, state)
        }
        Statement::Sysctl(writes) => run_sysctl(session, writes, span, state),
        Statement::Repeat { count, body } => run_repeat(session, *count, body, span, state),
    }
}

/// `cpu N`: later statements run on CPU N, which must be online.
fn run_cpu(
    session: &Session,
    cpu: u32,
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    if !session.current().online_cpus().contains(&cpu) {
        return Err(no_such_cpu(span, cpu));
    }
    state.cpu = Some(cpu);
    Ok(Flow::Continue)
}

/// `alloc`: `count` allocations, each filed under `name` (if any) by its index.
fn run_alloc(
    session: &mut Session,
    name: Option<&str>,
    count: u64,
    operation: &Operation,
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    // Where the name's group is in `state.names`, once looked up: nothing else
    // changes the names while this statement runs, so it stays there.
    let mut at: Option<usize> = None;
    for _ in 0..count {
        let index = session.allocations_made();
        if let Flow::Stop = apply(session, operation, span, state)? {
            return Ok(Flow::Stop);
        }
        if let Some(name) = name {
            let i = *at.get_or_insert_with(|| match state.name_at(name) {
                Ok(i) => i,
                Err(i) => {
                    state.names.insert(i, (name.to_string(), Group::default()));
                    i
                }
            });
            if let Some((_, group)) = state.names.get_mut(i) {
                group.indexes.push(index);
            }
        }
    }
    Ok(Flow::Continue)
}

/// `free`: every allocation the target names that is still live.
fn run_free(
    session: &mut Session,
    target: &FreeTarget,
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    for index in free_indexes(session, target, span, state)? {
        if !session.is_live(index) {
            state.summary.skipped += 1;
            // A skipped free costs no operation but still takes time: it
            // counts as a statement, so `repeat N { free all }` ends.
            count_statement(state, span)?;
            continue;
        }
        let operation = Operation::Free {
            index,
            cpu: state.cpu,
        };
        if let Flow::Stop = apply(session, &operation, span, state)? {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Continue)
}

/// The allocation indexes a `free` names. `free all` and `free NAME` start after
/// the allocations known to be dead (and count those as skipped), so freeing in a
/// loop stays linear.
fn free_indexes(
    session: &Session,
    target: &FreeTarget,
    span: Span,
    state: &mut RunState,
) -> Result<Vec<usize>, WorkloadError> {
    let name = match target {
        FreeTarget::All => {
            let made = session.allocations_made();
            skip_dead(session, |i| (i < made).then_some(i), &mut state.all_dead);
            // The known-dead ones are skipped without looking at them again.
            state.summary.skipped += state.all_dead as u64;
            return Ok((state.all_dead..made).collect());
        }
        FreeTarget::Name(name)
        | FreeTarget::Index(name, _)
        | FreeTarget::Range(name, _, _)
        | FreeTarget::Every(name, _) => name,
    };
    let group = match state.name_at(name) {
        Ok(at) => state.names.get_mut(at).map(|(_, group)| group),
        Err(_) => None,
    }
    .ok_or_else(|| err(span, format!("nothing has been allocated as `{name}`")))?;
    let Group { indexes, dead } = group;
    Ok(match target {
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
        FreeTarget::Every(_, n) => indexes.iter().step_by((*n).max(1)).copied().collect(),
        FreeTarget::All | FreeTarget::Name(_) => {
            skip_dead(session, |i| indexes.get(i).copied(), dead);
            state.summary.skipped += *dead as u64;
            indexes.get(*dead..).unwrap_or_default().to_vec()
        }
    })
}

/// `generate`: expands the generator from its own seed stream and runs the
/// statements, all at the `generate` statement's place in the text.
fn run_generate(
    session: &mut Session,
    name: &str,
    params: &[(String, u64)],
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    state.generated += 1;
    if state.generated > GENERATE_STATEMENTS_MAX {
        return Err(err(
            span,
            format!("the workload runs more than {GENERATE_STATEMENTS_MAX} `generate` statements"),
        ));
    }
    let facts = generate::MachineFacts::of(session.current());
    let seed = generate::stream_seed(state.seed, state.generated);
    let prefix = format!("g{}", state.generated);
    // Only what the remaining operation budget can run (see expand_at_most).
    let remaining = state.limit.saturating_sub(state.summary.operations);
    let cap = usize::try_from(remaining.saturating_mul(2).saturating_add(2)).unwrap_or(usize::MAX);
    let expansion = generate::expand_generated(name, params, &facts, seed, &prefix, cap);
    let cut = expansion.items.len() >= cap;
    let flow = run_generated(session, &expansion, span, state)?;
    // A cut body ends where the full one would have hit the limit.
    if matches!(flow, Flow::Stop) || (cut && state.summary.operations >= state.limit) {
        return Ok(Flow::Stop);
    }
    Ok(Flow::Continue)
}

/// Runs a generator's statements, all at the `generate` statement's `span`, as
/// [`run_block`] runs the [`Statement`]s they stand for ([`Expansion::statement`]):
/// the same counting, the same operations, the same errors. The groups they name
/// are looked up once, not per statement: each is taken out of `state.names` (a
/// workload may have used the name before) for the run and put back after.
fn run_generated(
    session: &mut Session,
    expansion: &Expansion,
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    let mut groups: Vec<Option<Group>> = expansion
        .groups
        .iter()
        .map(|name| state.name_at(name).ok().map(|at| state.names.remove(at).1))
        .collect();
    let flow = run_generated_items(session, expansion, &mut groups, span, state);
    for (name, group) in expansion.groups.iter().zip(groups) {
        if let Some(group) = group {
            if let Some(slot) =
                sorted_entry(&mut state.names, name, || (name.clone(), Group::default()))
            {
                *slot = group;
            }
        }
    }
    flow
}

/// [`run_generated`]'s loop over the statements, with the groups in `groups`.
fn run_generated_items(
    session: &mut Session,
    expansion: &Expansion,
    groups: &mut [Option<Group>],
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    for item in &expansion.items {
        count_statement(state, span)?;
        let flow = match *item {
            Generated::Alloc {
                group,
                order,
                gfp,
                use_,
                node,
                cpu,
            } => {
                let operation = Operation::Alloc {
                    order,
                    gfp,
                    node,
                    nodemask: None,
                    cpu: cpu.or(state.cpu),
                    use_,
                };
                // As `run_alloc` with a count of 1.
                let index = session.allocations_made();
                let flow = apply(session, &operation, span, state)?;
                if flow == Flow::Continue {
                    if let Some(slot) = groups.get_mut(group as usize) {
                        slot.get_or_insert_with(Group::default).indexes.push(index);
                    }
                }
                flow
            }
            Generated::Free { group, index } => {
                // As `free_indexes` and `run_free` for `free NAME[index]`.
                let name = expansion.group_name(group);
                let Some(Some(Group { indexes, .. })) = groups.get(group as usize) else {
                    return Err(err(span, format!("nothing has been allocated as `{name}`")));
                };
                let Some(&allocation) = indexes.get(index) else {
                    return Err(err(
                        span,
                        format!(
                            "`{name}` has {} allocations, so there is no `{name}[{index}]`",
                            indexes.len()
                        ),
                    ));
                };
                if session.is_live(allocation) {
                    let operation = Operation::Free {
                        index: allocation,
                        cpu: state.cpu,
                    };
                    apply(session, &operation, span, state)?
                } else {
                    state.summary.skipped += 1;
                    count_statement(state, span)?;
                    Flow::Continue
                }
            }
            Generated::Kswapd { node } => {
                apply(session, &Operation::RunKswapd { node }, span, state)?
            }
        };
        if flow == Flow::Stop {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Continue)
}

/// `sysctl`: one write a setting, in the order written.
fn run_sysctl(
    session: &mut Session,
    writes: &[(String, String)],
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    for (name, value) in writes {
        let operation = Operation::Sysctl {
            name: name.clone(),
            value: value.clone(),
        };
        if let Flow::Stop = apply(session, &operation, span, state)? {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Continue)
}

/// `repeat N { ... }`: the body N times.
fn run_repeat(
    session: &mut Session,
    count: u64,
    body: &[(Statement, Span)],
    span: Span,
    state: &mut RunState,
) -> Result<Flow, WorkloadError> {
    for _ in 0..count {
        // Every pass counts, so an empty body cannot spin for hours.
        count_statement(state, span)?;
        if let Flow::Stop = run_block(session, body, state)? {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Continue)
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
