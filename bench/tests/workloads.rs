//! The benchmark workloads do what their names say, on both allocators, so the
//! figures compare the same work.

use buddyscope_bench::{machine, run_engine, run_peer, sequence, Op, Workload};
use buddyscope_engine::machine::Machine;

#[test]
fn engine_and_peer_serve_the_same_sequences() {
    let pages = 1 << 14;
    let booted = Machine::build(&machine(pages)).unwrap();
    for workload in Workload::ALL {
        let ops = sequence(workload, 20_000, pages, 1);
        assert_eq!(ops.len(), 20_000, "{workload:?}");
        assert_eq!(ops, sequence(workload, 20_000, pages, 1), "seeded");
        let allocs = ops.iter().filter(|o| matches!(o, Op::Alloc { .. })).count() as u64;
        // Memory never runs out in these sequences, so both serve every request
        // (the engine keeps its watermark reserve and still has room).
        let (engine, peer) = (run_engine(&booted, &ops, false), run_peer(pages, &ops));
        assert_eq!(engine, allocs, "{workload:?} engine");
        assert_eq!(peer, allocs, "{workload:?} peer");
        assert_eq!(
            run_engine(&booted, &ops, true),
            engine,
            "tracing changes nothing"
        );
    }
}

#[test]
fn each_workload_has_its_shape() {
    let pages = 1 << 14;
    let pcp = sequence(Workload::Pcp, 1000, pages, 1);
    assert!(pcp
        .chunks(2)
        .all(|p| matches!(p, [Op::Alloc { order: 0, .. }, Op::Free { .. }])));
    let mixed = sequence(Workload::Mixed, 10_000, pages, 1);
    let orders: Vec<u8> = mixed
        .iter()
        .filter_map(|o| match o {
            Op::Alloc { order, .. } => Some(*order),
            Op::Free { .. } => None,
        })
        .collect();
    assert!((0..=3).all(|k| orders.contains(&k)) && orders.iter().all(|&k| k <= 3));
    let frag = sequence(Workload::Fragmentation, 10_000, pages, 1);
    let movable = frag
        .iter()
        .filter(|o| matches!(o, Op::Alloc { movable: true, .. }))
        .count();
    let unmovable = frag
        .iter()
        .filter(|o| matches!(o, Op::Alloc { movable: false, .. }))
        .count();
    assert!(
        movable > 4 * unmovable && unmovable > 0,
        "{movable} {unmovable}"
    );
}
