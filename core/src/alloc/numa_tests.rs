//! `numa_mem_id()`'s one-node answer against the search it skips: on machines of one,
//! two and three nodes, for every CPU a node lists and CPUs no node lists (which fall
//! back to the first node), both must name the same node.

use super::Allocator;
use crate::machine::{Machine, MachineConfig, NodeConfig};
use crate::types::PfnRange;

/// `nodes` nodes of 64 MiB each from 4 GiB, node n listing CPUs 2n and 2n + 1.
fn machine(nodes: u64) -> Machine {
    let each = 0x4000;
    let base = 0x10_0000;
    let config = MachineConfig {
        nodes: (0..nodes)
            .map(|n| NodeConfig {
                memory: vec![PfnRange {
                    start: base + n * each,
                    end: base + (n + 1) * each,
                }],
                cpus: vec![2 * n as u32, 2 * n as u32 + 1],
            })
            .collect(),
        ..MachineConfig::default()
    };
    Machine::build(&config).unwrap()
}

#[test]
fn the_one_node_answer_equals_the_search_for_every_cpu() {
    let mut unlisted = 0;
    for nodes in 1..=3 {
        let mut allocator = Allocator::from_machine(&machine(nodes)).unwrap();
        // CPUs 0..8: every listed CPU, and some no node lists.
        for cpu in 0..8 {
            allocator.cpu = cpu;
            let listed = allocator.nodes.iter().any(|n| n.cpus.contains(&cpu));
            unlisted += u32::from(!listed);
            assert_eq!(
                allocator.numa_mem_id(),
                allocator.numa_mem_id_searched(),
                "{nodes} node(s), CPU {cpu} (listed: {listed})"
            );
        }
    }
    // The fallback to the first node was exercised on each machine.
    assert_eq!(unlisted, 6 + 4 + 2);
}

#[test]
fn a_cpu_on_the_second_node_allocates_there() {
    let mut allocator = Allocator::from_machine(&machine(2)).unwrap();
    allocator.cpu = 3;
    assert_eq!(allocator.numa_mem_id(), 1);
    allocator.cpu = 7;
    assert_eq!(
        allocator.numa_mem_id(),
        0,
        "an unlisted CPU: the first node"
    );
}
