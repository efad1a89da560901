//! The workload language's statements, where they are in the text, and the error
//! a workload that cannot be read or run gives back.

use core::fmt;

use crate::alloc::reclaim::PageUse;
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
    /// `place NAME order=N gfp=MASK at=PFN` (or `at=null`): a real kernel's traced
    /// allocation replayed where it happened (the model's own answer asked first;
    /// see `Operation::AllocAt`). `hold NAME order=N at=PFN` (no gfp): a block in use
    /// since before the trace began, taken at its pfn.
    Place {
        name: String,
        order: u32,
        gfp: Option<Gfp>,
        /// `None`: `at=null`, the traced allocation failed.
        at: Option<u64>,
        cpu: Option<u32>,
        /// `refill=PFN,PFN,...`: the blocks the traced `rmqueue_bulk()` moved to
        /// the per-cpu list for this request (see `Operation::AllocAt`).
        refill: Vec<u64>,
    },
    /// `drained at=PFN,PFN,...`: the pages a traced kernel's `free_pcppages_bulk()`
    /// gave back (see `Operation::DrainAt`).
    DrainedAt(Vec<u64>),
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

pub(super) fn err(span: Span, message: impl Into<String>) -> WorkloadError {
    WorkloadError {
        span,
        message: message.into(),
    }
}
