//! The text formats of the real-kernel runs in `tests/data/modtrace/` and
//! `tests/data/modtrace-6.12/` (a kernel module that dumps the whole allocator state,
//! runs an alloc/free script with interrupts off and records what the kernel
//! returned): the state dumps (`before.txt`, `after.txt`, `dN.txt`), `header.txt`, the
//! workload script, `allocs.txt` and `events.txt`, as plain data with a parser and a
//! writer each. The Linux 6.1 module writes format version 1, the 6.12 module version
//! 2 (new zone and per-cpu fields, a pcp page's `/X` read from its pageblock, the
//! header's `max_page_order`); both are read and written, and a dump's
//! [`StateDump::kernel`] says which it is.
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
//!
//! One file per part of the format: `dump.rs` holds the state dump as data,
//! `parse_dump.rs` and `write_dump.rs` read and print it, `header.rs`, `script.rs`,
//! `allocs.rs` and `events.rs` hold the other files of a run, and `fields.rs` the
//! strict line and field reader they share. [`replay`] runs a case on the engine.

mod allocs;
mod dump;
mod events;
mod fields;
mod header;
mod parse_dump;
pub mod replay;
mod script;
mod write_dump;

use core::fmt;

use crate::types::MigrateType;

pub use allocs::{parse_allocs, write_allocs, AllocRecord};
pub use dump::{CpuStat, ExtraLine, NodeDump, PcpDump, PcpPage, StateDump, ZoneDump};
pub use events::{parse_events, write_events, EventRecord, KernelEvent};
pub use header::{parse_header, Header};
pub use parse_dump::parse_dump;
pub use replay::AllocatorDump;
pub use script::{
    canonical_op, free_indexes, free_targets, parse_workload, FreeSpec, FreeTarget, Op,
};
pub use write_dump::write_dump;

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
