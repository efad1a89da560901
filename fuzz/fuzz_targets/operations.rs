//! Operation sequences: the fuzzer's bytes choose a small machine and then
//! operations (allocations with any gfp, order, node, nodemask and CPU; frees,
//! drains, kswapd, compaction, drop_caches, sysctl writes, hotplug, `generate` with
//! small parameters) applied to a `Session`, with `check_invariants()` after each
//! and refused operations checked to change nothing. The choices are the seeded
//! simulation's (engine/tests/common/random_run.rs), driven by bytes instead of a
//! seed.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../engine/tests/common/random_run.rs"]
#[allow(dead_code)]
mod random_run;

use random_run::{
    apply_checked, boot, generate_checked, generate_statement, machine_toml, operation, Choose,
};

/// Choices read from the fuzzer's bytes, two at a time; zeros once they run out.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Choose for Bytes<'_> {
    fn below(&mut self, bound: u64) -> u64 {
        let (value, rest) = match self.data {
            [a, b, rest @ ..] => (u64::from(*a) << 8 | u64::from(*b), rest),
            [a] => (u64::from(*a), &[][..]),
            [] => (0, &[][..]),
        };
        self.data = rest;
        value % bound
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes { data };
    // Machines of 1 to 72 MiB: the checker's cost is linear in pages, and small
    // machines still have every zone, node, section and pageblock case.
    let text = machine_toml(&mut bytes, 1..9);
    let Some(mut session) = boot(&text) else {
        return;
    };
    let mut steps = 0;
    while !bytes.data.is_empty() && steps < 64 {
        steps += 1;
        let result = if bytes.below(50) == 0 {
            let statement = generate_statement(&mut bytes);
            let seed = bytes.below(1 << 16);
            // Few operations a generator: each is replayed and checked, and a fuzzer
            // wants many short runs (the seeded simulation runs long ones).
            generate_checked(&mut session, &statement, seed, 32)
        } else {
            let operation = operation(&mut bytes, &session);
            apply_checked(&mut session, operation)
        };
        if let Err(message) = result {
            panic!("{message}\nmachine:\n{text}");
        }
    }
});
