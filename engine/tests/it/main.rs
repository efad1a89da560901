//! The engine's integration tests, one module per topic, in one test binary: the
//! engine and the tests' dependencies are linked once instead of once per file, and
//! the test harness runs every test of every topic in parallel. Run one topic with a
//! name filter: `cargo test -p buddyscope-engine --test it -- buddy::`.
//!
//! `common` holds what several modules (and the fuzz targets, by path) share.

mod common;

mod alloc_random;
mod buddy;
mod cases;
mod causal;
mod cma;
mod contig;
mod digest;
mod embed_api;
mod event_state;
mod extfrag;
mod fuzz_regressions;
mod generate;
mod hotplug;
mod import;
mod intake;
mod kernel_diff;
mod kmemtrace;
mod kswapd;
mod layers;
mod lessons;
mod library;
mod limits;
mod machine;
mod mobility;
mod modtrace_format;
mod pair;
mod pinned;
mod random_ops;
mod reclaim;
mod redraw;
mod series;
mod session;
mod share;
mod simulation;
mod source_lines;
mod toml_text;
mod v6_12;
mod view;
mod vmstat;
mod watermark;
mod workload;
