//! Seeded random alloc/free sequences with the invariant checker after every operation.
//! Seeds 1 to 200 × `BUDDYSCOPE_SIZE`, 2 000 operations each; a failure prints the seed
//! and the command that replays it (common/seeded.rs).

use buddyscope_engine::{BuddyZone, MigrateType, Order, Pfn, Rng};

use crate::common::seeded;

/// Runs `ops` random operations on a zone shaped by `seed`, checking after each.
fn run(seed: u64, ops: u32) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let start_pfn = rng.below(1 << 20);
    let pages = 1 + rng.below(8192);
    let mut zone = BuddyZone::new(start_pfn, pages).map_err(|e| e.to_string())?;
    zone.check_invariants()?;
    let mut live: Vec<(Pfn, Order)> = Vec::new();
    for step in 0..ops {
        if live.is_empty() || rng.below(100) < 55 {
            // Small orders are common, as in real workloads.
            let order = Order::new(rng.below(11).min(rng.below(11)) as u32).unwrap_or(Order::ZERO);
            let before = zone.free_pages();
            match zone.alloc(order, &mut ()) {
                Some(pfn) => {
                    if !pfn.is_aligned(order) {
                        return Err(format!(
                            "step {step}: misaligned block {pfn} of order {order}"
                        ));
                    }
                    if zone.free_pages() + order.pages() != before {
                        return Err(format!("step {step}: free count did not drop by the block"));
                    }
                    live.push((pfn, order));
                }
                None => {
                    // Failure must be honest: no MOVABLE free block of this order or
                    // above (this path has no fallback to other migratetypes).
                    if Order::all()
                        .any(|o| o >= order && zone.nr_free_of_type(o, MigrateType::Movable) > 0)
                    {
                        return Err(format!(
                            "step {step}: order {order} failed with a large enough block free"
                        ));
                    }
                }
            }
        } else {
            let index = rng.below(live.len() as u64) as usize;
            let (pfn, order) = live.swap_remove(index);
            let freed = zone
                .free(pfn, &mut ())
                .map_err(|e| format!("step {step}: {e}"))?;
            if freed != order {
                return Err(format!(
                    "step {step}: freed order {freed}, allocated {order}"
                ));
            }
        }
        zone.check_invariants()
            .map_err(|e| format!("step {step}: {e}"))?;
    }
    // Freeing everything must merge the zone back to its boot-time shape.
    for (pfn, _) in live.drain(..) {
        zone.free(pfn, &mut ()).map_err(|e| e.to_string())?;
    }
    let fresh = BuddyZone::new(start_pfn, pages).map_err(|e| e.to_string())?;
    for order in Order::all() {
        if zone.nr_free(order) != fresh.nr_free(order) {
            return Err(format!(
                "after freeing everything, nr_free[{order}] differs from boot"
            ));
        }
    }
    Ok(())
}

#[test]
fn random_sequences_keep_every_invariant() {
    seeded::run(
        "random_ops::random_sequences_keep_every_invariant",
        200 * seeded::size(),
        |seed| run(seed, 2_000),
    );
}
