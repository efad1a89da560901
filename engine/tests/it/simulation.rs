//! Seeded simulation: for every seed, a random machine (one to three nodes, holes,
//! section sizes, kernelcore or movablecore, CMA, reserved memory, SLIT) and a random
//! run on it through `Session::apply` (allocations with every gfp mask, order, node,
//! nodemask and CPU; frees, drains, kswapd, compaction, drop_caches, sysctl writes,
//! offlining and onlining sections, and `generate` statements with small
//! parameters), with every invariant checked after every operation and refused
//! operations checked to change nothing.
//!
//! Seeds 1 to 3 × `BUDDYSCOPE_SIZE` (3 is a smoke run in debug builds; scripts/test.sh
//! runs 150 in release), 300 operations each. A failure prints the seed and the
//! command that replays it alone (common/seeded.rs).

use crate::common;

use buddyscope_engine::session::{Outcome, Session};
use buddyscope_engine::Rng;
use common::random_run::{
    apply_checked, boot, generate_checked, generate_statement, machine_toml, operation, Choose,
};
use common::seeded;

/// Operations (or `generate` statements) per seed.
const OPS: u64 = 300;

/// What the runs did, so the test can tell it reached the interesting paths.
#[derive(Default, Debug)]
struct Reached {
    allocated: u64,
    null: u64,
    freed: u64,
    offlined: u64,
    onlined: u64,
    hotplug_refused: u64,
    reclaimed: u64,
}

impl Reached {
    fn add(&mut self, session: &Session) {
        for call in session.calls() {
            match call.outcome {
                Outcome::Allocated { .. } => self.allocated += 1,
                Outcome::Failed { .. } => self.null += 1,
                Outcome::Freed { .. } => self.freed += 1,
                Outcome::Hotplugged { online: false } => self.offlined += 1,
                Outcome::Hotplugged { online: true } => self.onlined += 1,
                Outcome::HotplugRefused { .. } => self.hotplug_refused += 1,
                Outcome::Reclaimed { pages } if pages > 0 => self.reclaimed += 1,
                _ => {}
            }
        }
    }
}

/// One seed's run. `Ok(false)`: the random machine was refused (counted, not a
/// failure: the generator reaches past what the kernel accepts on purpose).
fn run(seed: u64, ops: u64, reached: &mut Reached) -> Result<bool, String> {
    let mut rng = Rng::new(seed);
    let text = machine_toml(&mut rng, 4..52);
    let Some(mut session) = boot(&text) else {
        return Ok(false);
    };
    for step in 0..ops {
        if rng.chance(2) {
            let statement = generate_statement(&mut rng);
            generate_checked(&mut session, &statement, seed, 5_000)
                .map_err(|e| format!("step {step}: {e}\nmachine:\n{text}"))?;
        } else {
            let operation = operation(&mut rng, &session);
            apply_checked(&mut session, operation)
                .map_err(|e| format!("step {step}: {e}\nmachine:\n{text}"))?;
        }
    }
    reached.add(&session);
    Ok(true)
}

#[test]
fn random_machines_and_runs_keep_every_invariant() {
    let (mut booted, mut refused) = (0, 0);
    let mut reached = Reached::default();
    let seeds = seeded::run(
        "simulation::random_machines_and_runs_keep_every_invariant",
        3 * seeded::size(),
        |seed| {
            if run(seed, OPS, &mut reached)? {
                booted += 1;
            } else {
                refused += 1;
            }
            Ok(())
        },
    );
    eprintln!("{booted} machines run, {refused} refused, {OPS} steps each: {reached:?}");
    // The generator is meant to make machines the model accepts most of the time.
    assert!(
        booted * 4 >= seeds * 3,
        "{refused} of {seeds} random machines refused"
    );
}
