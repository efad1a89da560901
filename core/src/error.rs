//! Errors are for bad input only. A failed allocation is an outcome, not an error.

use core::fmt;

use crate::types::{Pfn, ZoneType, MAX_ORDER, PAGE_SIZE_BYTES};

/// Something the caller asked for that the model cannot do. Every variant names what
/// was wrong in words a user can act on; the state is left exactly as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// An order at or above `MAX_ORDER`, which `__alloc_pages()` refuses.
    OrderTooLarge { order: u32 },
    /// A zone with no pages.
    EmptyZone,
    /// A zone larger than the model accepts.
    ZoneTooLarge { pages: u64, limit: u64 },
    /// A machine's zone larger than the per-page model accepts, found before any
    /// zone is built.
    MachineZoneTooLarge {
        node: u32,
        zone: ZoneType,
        spanned: u64,
        present: u64,
        limit: u64,
    },
    /// A zone whose end would overflow the pfn space.
    ZoneOutOfRange { start_pfn: u64, pages: u64 },
    /// A pfn that is not inside the zone.
    PfnOutsideZone { pfn: Pfn },
    /// Freeing a pfn that is not the first page of an allocated block: a double free,
    /// a page never handed out, or a page in the middle of a block.
    NotAllocated { pfn: Pfn },
    /// Freeing with nothing allocated.
    NothingAllocated,
    /// A node the machine does not have.
    NoSuchNode { node: u32 },
    /// A CPU that is not online.
    NoSuchCpu { cpu: u32 },
    /// Freeing an allocation index that was never made or returned NULL.
    NoSuchAllocation { index: usize },
    /// A sysctl write the kernel would refuse.
    Sysctl { message: String },
    /// A sysctl write on a state loaded from a kernel dump, which has no machine.
    NoMachine,
    /// A memory hotplug request that names no section it could act on.
    Hotplug { message: String },
    /// More per-cpu pagesets (online CPUs × populated zones) than the run-time model
    /// keeps; boot-time numbers need none.
    TooManyPagesets { cpus: u64, zones: u64, limit: u64 },
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::OrderTooLarge { order } => write!(
                f,
                "order {order} is too large: Linux 6.1 on x86_64 allocates orders 0 to {} (MAX_ORDER is {MAX_ORDER})",
                MAX_ORDER - 1
            ),
            EngineError::TooManyPagesets { cpus, zones, limit } => write!(
                f,
                "{cpus} CPUs × {zones} populated zones make {} per-cpu pagesets; the model keeps at most {limit} \
                 (boot-time numbers, zoneinfo and zonelists, need none)",
                cpus * zones
            ),
            EngineError::EmptyZone => write!(f, "a zone needs at least one page"),
            EngineError::ZoneTooLarge { pages, limit } => {
                write!(f, "a zone of {pages} pages is larger than the limit of {limit} pages")
            }
            EngineError::MachineZoneTooLarge {
                node,
                zone,
                spanned,
                present,
                limit,
            } => write!(
                f,
                "node {node} zone {} spans {spanned} pages ({}), {present} of them present ({}): the per-page model numbers a zone's pages in 32 bits, so one zone may span at most {limit} pages (just under {} TiB); boot-time numbers (zoneinfo, zonelists, watermarks) need no per-page model",
                zone.name(),
                gib(*spanned),
                gib(*present),
                ((*limit + 1) * PAGE_SIZE_BYTES) >> 40
            ),
            EngineError::ZoneOutOfRange { start_pfn, pages } => write!(
                f,
                "a zone of {pages} pages starting at pfn {start_pfn:#x} runs past the end of the physical address space"
            ),
            EngineError::PfnOutsideZone { pfn } => write!(f, "pfn {pfn} is outside the zone"),
            EngineError::NotAllocated { pfn } => write!(
                f,
                "pfn {pfn} is not the first page of an allocated block (double free, or never allocated)"
            ),
            EngineError::NothingAllocated => write!(f, "nothing is allocated, so there is nothing to free"),
            EngineError::NoSuchNode { node } => write!(f, "node {node} does not exist on this machine"),
            EngineError::NoSuchCpu { cpu } => write!(f, "CPU {cpu} is not online on this machine"),
            EngineError::Sysctl { message } => write!(f, "{message}"),
            EngineError::Hotplug { message } => write!(f, "{message}"),
            EngineError::NoMachine => write!(f, "this state came from a kernel dump without its machine, so sysctls cannot be recomputed"),
            EngineError::NoSuchAllocation { index } => {
                write!(f, "allocation #{index} does not exist or returned NULL, so it cannot be freed")
            }
        }
    }
}

impl std::error::Error for EngineError {}

/// Pages as a size: whole GiB, GiB to one decimal, or MiB below 1 GiB.
fn gib(pages: u64) -> String {
    let bytes = u128::from(pages) * u128::from(PAGE_SIZE_BYTES);
    if bytes < 1 << 30 {
        return format!("{} MiB", bytes >> 20);
    }
    let tenths = (bytes * 10) >> 30;
    if tenths % 10 == 0 {
        format!("{} GiB", tenths / 10)
    } else {
        format!("{}.{} GiB", tenths / 10, tenths % 10)
    }
}
