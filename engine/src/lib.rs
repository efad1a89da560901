//! # buddyscope-engine
//!
//! A deterministic model of the Linux 6.1 physical page allocator
//! (`mm/page_alloc.c`), built to be stepped through and drawn.
//!
//! The main types:
//!
//! - [`BuddyZone`]: one zone's `free_area[]` lists and per-page buddy state, with
//!   `__rmqueue_smallest()`, `expand()` and `__free_one_page()` as the kernel has them.
//! - [`alloc::Allocator`]: the whole allocator of a booted [`machine::Machine`]
//!   (zonelists, per-cpu lists, watermarks, fallback stealing, reclaim and compaction).
//! - [`session::Session`]: an allocator, the operations applied to it and their events,
//!   stepped through; what the page and the CLI drive.
//! - [`view`]: plain-data views of a session for the playground page (address-space
//!   pixels, zonelists, gauges, free areas, the step).
//! - [`Event`]: one allocator decision, named after the kernel function taking it.
//! - [`Pfn`] and [`Order`]: the quantities the kernel keeps apart by convention.
//!
//! The crate has no I/O, clock, threads, global RNG or browser dependency. It builds
//! for native targets and `wasm32-unknown-unknown` and gives the same result on both.

#![forbid(unsafe_code)]
// A panic in the browser kills the page: library code returns errors instead, and the
// compiler holds it to that. Unit tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

// The layers, lowest first. A module uses only modules of the layers below it (and
// its own folder); `engine/tests/it/layers.rs` reads every `crate::` path and fails
// on a use that goes up or sideways into a cycle. ARCHITECTURE.md draws the same.

// 0-5 live in buddyscope-core (core/src), built at opt-level 3 in release: the
// vocabulary (types, rng, limits, error, text), events, one zone's free lists, the
// machine, the allocator and the session. They are re-exported here under their own
// names, so `crate::alloc::...` and `buddyscope_engine::alloc::...` name them as if
// they lived in this crate. This crate's own layers build for size.
pub use buddyscope_core::{alloc, buddy, event, limits, machine, session, text, types};
use buddyscope_core::{error, rng};
// 6. The workload language and its generators.
pub mod workload;
// 7. Real kernels' files: snapshots, kmem traces, module traces.
pub mod import;
// 8. Scenario files, the teaching library, share links.
pub mod scenario;
// 9. Kernel-format text and digests of a run.
pub mod report;
// 10. Plain-data views for the page.
pub mod view;

pub use buddy::{Block, BlockState, BuddyZone, TraceSink};
pub use error::EngineError;
pub use event::{Event, Placement};
pub use rng::Rng;
pub use types::{
    MigrateType, Order, Pfn, MAX_ORDER, MIGRATE_TYPES, PAGEBLOCK_ORDER, PAGE_SIZE_BYTES,
};

/// What this version of the model leaves out, in words for the page and the docs.
/// Every entry is a deliberate simplification, not an oversight.
pub const LIMITATIONS: &[&str] = &[
    "The page drives the whole allocator (nodes, zonelists, per-cpu lists, watermarks, fallback stealing, the reduced reclaim and compaction model of docs/allocator.md); what that model leaves out is listed with it.",
    "The page draws machines of up to 16 TiB of address space (a larger one is refused with a message) and runs at most 10,000,000 workload operations (a longer workload stops there).",
    "Zoomed out, one pixel stands for several pages and shows their mean colour; zoom in to see single pages and buddy block outlines.",
    "The address-space picture is not to scale by default: whole rows with no memory (holes, offline sections) are collapsed to a hatched band labelled with the pfns and size it stands for, and rows before the first memory or after the last are left out (named above the picture). The \"true scale\" switch draws every pfn at its size.",
    "Pages on a per-cpu list are drawn as such; the buddy allocator counts them as allocated, which is what the buddyinfo and pagetypeinfo tables show.",
    "A machine with kernel = \"6.12\" runs Linux 6.12's boot-time setup and allocation and free paths, except decay_pcp_high() (the vmstat worker's periodic decay of per-cpu high: the model has no clock) and the reduced reclaim, compaction, OOM, contiguous-range and hotplug paths and the kmem trace replay's follow mode, which keep Linux 6.1's rules.",
    "Grouping pages by mobility is decided as build_all_zonelists() decides it, at boot (off below 2560 pages) and when memory hotplug rebuilds the zonelists; no step names the decision. The scenario key mobility_grouping = false is the model's own switch: no real kernel has one.",
];
