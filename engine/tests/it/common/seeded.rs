//! The one runner of the seeded random tests, so that all of them are sized and
//! replayed the same way (TigerBeetle's rule: one seed drives everything, and a
//! failure prints the seed that replays it).
//!
//! - `BUDDYSCOPE_SEED=N` runs seed N alone: the line a failure prints.
//! - `BUDDYSCOPE_SIZE=K` (default 1) runs K times the default work. Each harness
//!   scales what makes it find more:
//!
//!   - `random_ops` (one zone's buddy lists): 200 × K seeds, 2 000 operations each;
//!   - `alloc_random` (whole machines): 12 seeds, 4 000 × K operations each;
//!   - `contig` (its random mix of contiguous ranges, isolation and splits): 10 seeds,
//!     1 500 × K operations each;
//!   - `simulation` (random machines and runs): 3 × K seeds, 300 operations each.
//!
//!   K = 1 is what plain `cargo test` runs. scripts/test.sh runs the allocator
//!   property test with K = 25 (1.2 M operations) and the simulation with K = 50
//!   (150 machines), both in release builds.
//!
//! With `BUDDYSCOPE_SEED`, a test whose operations scale with K still reads K, so a
//! failure's replay line repeats K when it was set.

use std::panic::{catch_unwind, AssertUnwindSafe};

const SEED: &str = "BUDDYSCOPE_SEED";
const SIZE: &str = "BUDDYSCOPE_SIZE";
/// The variables these tests read before this runner; refused so that a command
/// written for them does not silently run the default size.
const GONE: [&str; 3] = ["BUDDYSCOPE_OPS", "BUDDYSCOPE_SEEDS", "BUDDYSCOPE_SIM_OPS"];

/// `BUDDYSCOPE_SIZE`: how many times the default work to run (at least 1).
pub fn size() -> u64 {
    for name in GONE {
        assert!(
            std::env::var_os(name).is_none(),
            "{name} is no longer read: set {SIZE} instead (engine/tests/it/common/seeded.rs has what it scales)"
        );
    }
    let size = number(SIZE).unwrap_or(1);
    assert!(size >= 1, "{SIZE} must be at least 1");
    size
}

/// Runs `one` on seeds `1..=count`, or on the seed `BUDDYSCOPE_SEED` names, in
/// order. The first failure (an `Err` or a panic) fails the test with the seed and
/// the exact command that replays it alone. `test` is the test's name in the `it`
/// binary (`module::function`). Returns how many seeds ran.
pub fn run(test: &str, count: u64, mut one: impl FnMut(u64) -> Result<(), String>) -> u64 {
    let seeds = match number(SEED) {
        Some(seed) => seed..=seed,
        None => 1..=count,
    };
    let ran = seeds.end() - seeds.start() + 1;
    for seed in seeds {
        let failure = match catch_unwind(AssertUnwindSafe(|| one(seed))) {
            Ok(Ok(())) => continue,
            Ok(Err(message)) => message,
            Err(panic) => format!("panicked: {}", panic_text(panic.as_ref())),
        };
        panic!(
            "seed {seed} failed: {failure}\nreplay: {}",
            replay(test, seed)
        );
    }
    ran
}

/// The command that runs `test` on `seed` alone, in the same build and size.
fn replay(test: &str, seed: u64) -> String {
    let size = match std::env::var(SIZE) {
        Ok(size) => format!(" {SIZE}={size}"),
        Err(_) => String::new(),
    };
    let release = if cfg!(debug_assertions) {
        ""
    } else {
        " --release"
    };
    format!(
        "{SEED}={seed}{size} cargo test{release} -p buddyscope-engine --test it -- --exact {test}"
    )
}

fn number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not `{value}`")),
    )
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(not a string)"
    }
}
