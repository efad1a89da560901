//! # buddyscope-core
//!
//! The lower, hot layers of Buddyscope's model of the Linux page allocator
//! (`mm/page_alloc.c`): the vocabulary (types, limits, errors, text forms), the
//! events, one zone's free lists (`__rmqueue_smallest()`, `expand()`,
//! `__free_one_page()`), the machine's boot-time setup, the allocator at run time and
//! the session that records a run and steps through it.
//!
//! Use it through `buddyscope-engine`, which re-exports every module here under the
//! same path (`buddyscope_engine::alloc::Allocator`) and adds the cold layers: the
//! workload language, the real kernels' files, scenarios, reports and the page's
//! views. The two are separate crates only so that a release build can optimise this
//! one for speed and the engine for size (ARCHITECTURE.md, docs/performance.md).
//!
//! The crate has no dependencies and no I/O, clock, threads, global RNG or browser
//! access. It builds for native targets and `wasm32-unknown-unknown` and gives the
//! same result on both.

#![forbid(unsafe_code)]
// A panic in the browser kills the page: library code returns errors instead, and the
// compiler holds it to that. Unit tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

// The layers, lowest first, continued by buddyscope-engine's (workload, import,
// scenario, report, view). A module uses only modules of the layers below it (and its
// own folder); `engine/tests/it/layers.rs` reads every `crate::` path of both crates
// and fails on a use that goes up or sideways into a cycle.

// 0. Vocabulary: kernel constants and newtypes, limits, errors, text forms.
#[doc(hidden)] // reached through buddyscope_engine's root re-exports
pub mod error;
pub mod limits;
#[doc(hidden)] // reached through buddyscope_engine's root re-exports
pub mod rng;
pub mod text;
pub mod types;
// 1. What the model says it did.
pub mod event;
// 2. One zone's free lists.
pub mod buddy;
// 3. The machine and its boot-time setup.
pub mod machine;
// 4. The allocator at run time.
pub mod alloc;
// 5. A run's history, stepped through.
pub mod session;
