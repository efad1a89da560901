//! # buddyscope-engine
//!
//! A deterministic model of the Linux 6.1 physical page allocator
//! (`mm/page_alloc.c`), built to be stepped through and drawn.
//!
//! The main types:
//!
//! - [`BuddyZone`]: one zone's `free_area[]` lists and per-page buddy state, with
//!   `__rmqueue_smallest()`, `expand()` and `__free_one_page()` as the kernel has them.
//! - [`ZoneSim`]: a zone plus the allocations made in it; what the page and the CLI
//!   drive. [`ZoneSim::view`] hands out plain data for drawing.
//! - [`Event`]: one allocator decision, named after the kernel function taking it.
//! - [`Pfn`] and [`Order`]: the quantities the kernel keeps apart by convention.
//!
//! The crate has no I/O, clock, threads, global RNG or browser dependency. It builds
//! for native targets and `wasm32-unknown-unknown` and gives the same result on both.

pub mod alloc;
mod error;
mod lists;
mod rng;
mod sim;
mod trace;
mod types;
mod zone;

pub mod kmemtrace;
pub mod library;
pub mod machine;
pub mod modtrace;
pub mod proc;
pub mod scenario;
pub mod session;
pub mod share;
pub mod snapshot;
pub mod view;
pub mod workload;

pub use error::EngineError;
pub use rng::Rng;
pub use sim::{ZoneConfig, ZoneSim, ZoneView};
pub use trace::{Event, Placement};
pub use types::{
    MigrateType, Order, Pfn, MAX_ORDER, MIGRATE_TYPES, PAGEBLOCK_ORDER, PAGE_SIZE_BYTES,
};
pub use zone::{Block, BlockState, BuddyZone, TraceSink};

/// What this version of the model leaves out, in words for the page and the docs.
/// Every entry is a deliberate simplification, not an oversight.
pub const LIMITATIONS: &[&str] = &[
    "This page still drives the one-zone foundation slice: MOVABLE allocations straight from the buddy lists of one zone. The engine's full allocator (nodes, zonelists, per-cpu lists, watermarks, fallback stealing; see docs/allocator.md) is not wired to the page yet.",
    "The slice does no reclaim or compaction: an allocation fails as soon as no free block is large enough (the engine models reclaim, compaction and kswapd; see docs/allocator.md).",
    "The slice's zone has no holes; every page of it starts free.",
];
