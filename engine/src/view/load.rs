//! Loading a scenario for the page: the machine booted, the workload run (within the
//! page's limits) and the cursor to open at. An error says where it belongs (the
//! scenario text, the machine, or the workload's line) so the page can show it by the
//! field that caused it.

use serde::Serialize;

use crate::alloc::Allocator;
use crate::limits::{PAGE_MAP_PAGES_MAX, PAGE_OPERATIONS_MAX};
use crate::machine::Machine;
use crate::scenario::{parse_scenario, Scenario};
use crate::session::{Cursor, Session};
use crate::types::PAGE_SIZE_BYTES;
use crate::workload::{parse_workload, run_workload_seeded};

/// A scenario booted and run.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub session: Session,
    /// Where the viewer opens: the scenario's `open_at` step, or the end.
    pub cursor: Cursor,
    /// The machine builder's warnings (a bad distance table, defaults taken).
    pub warnings: Vec<String>,
    /// Operations the workload ran.
    pub operations: u64,
}

/// Where a scenario went wrong, so the page can show the message by the right field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum LoadErrorPlace {
    /// The scenario text itself (TOML, an unknown key, a bad value).
    Scenario,
    /// The machine could not be built.
    Machine,
    /// The workload, at a line and column (1-based).
    Workload { line: usize, column: usize },
}

/// Why a scenario could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoadError {
    pub place: LoadErrorPlace,
    pub message: String,
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.place {
            LoadErrorPlace::Scenario => write!(f, "scenario: {}", self.message),
            LoadErrorPlace::Machine => write!(f, "machine: {}", self.message),
            LoadErrorPlace::Workload { line, column } => {
                write!(f, "workload line {line}, column {column}: {}", self.message)
            }
        }
    }
}

/// Reads a scenario file and [`load`]s it.
pub fn load_text(text: &str) -> Result<(Scenario, Loaded), LoadError> {
    let scenario = parse_scenario(text).map_err(|e| LoadError {
        place: LoadErrorPlace::Scenario,
        message: e.to_string(),
    })?;
    let loaded = load(&scenario)?;
    Ok((scenario, loaded))
}

/// Boots the scenario's machine, runs its workload (at most
/// [`PAGE_OPERATIONS_MAX`] operations) and finds the step to open at.
pub fn load(scenario: &Scenario) -> Result<Loaded, LoadError> {
    load_with(scenario, None)
}

/// [`load`] with the workload's statements already made (a trace replay built in
/// the engine): `statements` run instead of parsing `scenario.workload`, which is
/// then only their text for the editor. Each is placed at line `i + 1`, as
/// [`crate::workload::format_statements`] writes a list without `repeat` blocks.
pub fn load_statements(
    scenario: &Scenario,
    statements: &[crate::workload::Statement],
) -> Result<Loaded, LoadError> {
    let placed: Vec<(crate::workload::Statement, crate::workload::Span)> = statements
        .iter()
        .enumerate()
        .map(|(i, statement)| {
            let span = crate::workload::Span {
                line: i + 1,
                column: 1,
            };
            (statement.clone(), span)
        })
        .collect();
    load_with(scenario, Some(&placed))
}

fn load_with(
    scenario: &Scenario,
    made: Option<&[(crate::workload::Statement, crate::workload::Span)]>,
) -> Result<Loaded, LoadError> {
    let machine_error = |message: String| LoadError {
        place: LoadErrorPlace::Machine,
        message,
    };
    let machine = Machine::build(&scenario.machine).map_err(|e| machine_error(e.to_string()))?;
    let pages: u64 = machine.nodes.iter().map(|n| n.spanned).sum();
    if machine.max_pfn > PAGE_MAP_PAGES_MAX {
        return Err(machine_error(format!(
            "the page draws machines up to {} TiB of address space; this one reaches {} GiB ({pages} pages spanned)",
            (PAGE_MAP_PAGES_MAX * PAGE_SIZE_BYTES) >> 40,
            (machine.max_pfn * PAGE_SIZE_BYTES) >> 30
        )));
    }
    let mut warnings = machine.warnings.clone();
    // A 6.12 machine is only partly 6.12's: the page says so beside the machine.
    if let Some(note) = machine.config.kernel.partial_model_note() {
        warnings.push(note.to_string());
    }
    let allocator = Allocator::from_machine(&machine).map_err(|e| machine_error(e.to_string()))?;
    let mut session = Session::with_kswapd(allocator, scenario.kswapd.unwrap_or_default());
    let mut operations = 0;
    let workload_error = |e: crate::workload::WorkloadError| LoadError {
        place: LoadErrorPlace::Workload {
            line: e.span.line,
            column: e.span.column,
        },
        message: e.message,
    };
    let parsed;
    let statements = match (made, scenario.workload.as_deref()) {
        (Some(made), _) => Some(made),
        (None, Some(script)) => {
            parsed = parse_workload(script).map_err(workload_error)?;
            Some(parsed.as_slice())
        }
        (None, None) => None,
    };
    if let Some(statements) = statements {
        let summary = run_workload_seeded(
            &mut session,
            statements,
            Some(PAGE_OPERATIONS_MAX),
            scenario.seed.unwrap_or(1),
        )
        .map_err(workload_error)?;
        operations = summary.operations;
    }
    let cursor = match scenario.open_at {
        Some(step) => session.cursor_at_step(step),
        None => session.end(),
    };
    Ok(Loaded {
        session,
        cursor,
        warnings,
        operations,
    })
}
