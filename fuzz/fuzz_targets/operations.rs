//! Operation sequences: the fuzzer's bytes choose a small machine and then
//! operations (allocations with any gfp, order, node, nodemask and CPU; frees,
//! drains, kswapd, compaction, drop_caches, sysctl writes, hotplug, `generate` with
//! small parameters) applied to a `Session`, with `check_invariants()` after each
//! and refused operations checked to change nothing. The run is `run_bytes` of the
//! seeded simulation's engine/tests/it/common/random_run.rs (the same choices, driven
//! by bytes instead of a seed), which engine/tests/it/fuzz_regressions.rs also runs on
//! the inputs this target found.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../engine/tests/it/common/random_run.rs"]
#[allow(dead_code)]
mod random_run;

fuzz_target!(|data: &[u8]| {
    if let Err(message) = random_run::run_bytes(data) {
        panic!("{message}");
    }
});
