//! NUMA distances and zonelists: `slit_valid()` (drivers/acpi/numa/srat.c),
//! `find_next_best_node()` and `build_zonelists()` (mm/page_alloc.c, Linux 6.1, and
//! Linux 6.12 where it differs).

use super::{Node, NodeZonelists, ZoneRef};
use crate::types::{Kernel, ZoneType, MAX_NUMNODES};

/// `LOCAL_DISTANCE` and `REMOTE_DISTANCE`.
pub const LOCAL_DISTANCE: u32 = 10;
pub const REMOTE_DISTANCE: u32 = 20;
/// `PENALTY_FOR_NODE_WITH_CPUS`.
const PENALTY_FOR_NODE_WITH_CPUS: u64 = 1;

/// The distances the kernel uses. A SLIT is used only if `slit_valid()` accepts it:
/// exactly 10 on the diagonal and more than 10 elsewhere (and, as ACPI stores them in
/// a byte, at most 255). Otherwise, or without a SLIT, every node is 10 from itself
/// and 20 from the others; an invalid table also gives the kernel's message as a
/// warning.
pub fn effective_distances(
    nodes: usize,
    slit: Option<&Vec<Vec<u32>>>,
) -> (Vec<Vec<u32>>, Option<String>) {
    let default = || {
        (0..nodes)
            .map(|from| {
                (0..nodes)
                    .map(|to| {
                        if from == to {
                            LOCAL_DISTANCE
                        } else {
                            REMOTE_DISTANCE
                        }
                    })
                    .collect()
            })
            .collect()
    };
    let Some(slit) = slit else {
        return (default(), None);
    };
    let valid = slit.iter().enumerate().all(|(from, row)| {
        row.iter().enumerate().all(|(to, &distance)| {
            if from == to {
                distance == LOCAL_DISTANCE
            } else {
                distance > LOCAL_DISTANCE && distance <= 255
            }
        })
    });
    if valid {
        (slit.clone(), None)
    } else {
        (
            default(),
            Some("ACPI: SLIT table looks invalid. Not used. (distances fall back to 10 local, 20 remote)".to_string()),
        )
    }
}

/// Which CPUs count when `find_next_best_node()` penalises nodes with CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuState {
    /// At boot: `build_all_zonelists()` runs before the node-to-CPU masks are
    /// filled in, so no node counts as having CPUs, not even the boot CPU's (real
    /// 6.1 boots show it: nodes at equal distance are ordered by the `(n < node)`
    /// penalty and node_load alone).
    Boot,
    /// After memory hotplug rebuilds the zonelists with every CPU online.
    AllOnline,
}

/// `__build_all_zonelists()`: `node_load[]` zeroed, then `build_zonelists()` for every
/// node in id order, the load carried from one node's build to the next.
///
/// `memory` is `node_states[N_MEMORY]`, the nodes `find_next_best_node()` may pick
/// after the local one (see [`n_memory`]).
pub fn build_all_zonelists(
    nodes: &[Node],
    distances: &[Vec<u32>],
    cpus: CpuState,
    memory: &[bool],
    kernel: Kernel,
) -> Vec<NodeZonelists> {
    let mut node_load = vec![0u64; nodes.len()];
    let rules = Rules {
        cpus,
        memory,
        kernel,
    };
    nodes
        .iter()
        .map(|node| build_zonelists(nodes, distances, &rules, node.id, &mut node_load))
        .collect()
}

/// `node_states[N_MEMORY]` when the zonelists are built. At boot `free_area_init()`
/// sets it for every node with present pages. Memory hotplug sets it
/// (`node_states_set_node()`) before `online_pages()` rebuilds the zonelists, but
/// clears it (`node_states_clear_node()`) only after `offline_pages()` has rebuilt
/// them: the rebuild that follows the offlining of a node's last memory still counts
/// that node as having memory (Linux 6.7 reversed the two; 6.1 has this order).
/// `leaving` is that node, during that rebuild.
pub fn n_memory(nodes: &[Node], leaving: Option<u32>) -> Vec<bool> {
    nodes
        .iter()
        .map(|node| node.present > 0 || leaving == Some(node.id))
        .collect()
}

fn distance(distances: &[Vec<u32>], from: u32, to: u32) -> u32 {
    distances
        .get(from as usize)
        .and_then(|row| row.get(to as usize))
        .copied()
        .unwrap_or(if from == to {
            LOCAL_DISTANCE
        } else {
            REMOTE_DISTANCE
        })
}

fn has_cpus(node: &Node, cpus: CpuState) -> bool {
    match cpus {
        CpuState::Boot => false,
        CpuState::AllOnline => !node.cpus.is_empty(),
    }
}

/// What `find_next_best_node()` reads besides the distances.
struct Rules<'a> {
    cpus: CpuState,
    /// `node_states[N_MEMORY]`.
    memory: &'a [bool],
    kernel: Kernel,
}

/// Whether the local node comes first in its own order. Linux 6.1 puts it first
/// whether or not it has memory; Linux 6.12's `find_next_best_node()` skips a
/// memoryless local node (it is not in N_MEMORY) and falls back to the others.
fn local_node_first(rules: &Rules<'_>, local: u32) -> bool {
    match rules.kernel {
        Kernel::V6_1 => true,
        Kernel::V6_12 => rules.memory.get(local as usize).copied().unwrap_or(false),
    }
}

/// `find_next_best_node()`: the local node first (on 6.12 only if it has memory);
/// then, among the nodes of `memory` (N_MEMORY) not yet used, the lowest of (distance, +1 if its id is below the local node, +1 if it
/// has CPUs) * MAX_NUMNODES + node_load; ties go to the lower id.
fn find_next_best_node(
    nodes: &[Node],
    distances: &[Vec<u32>],
    rules: &Rules<'_>,
    local: u32,
    used: &mut [bool],
    node_load: &[u64],
) -> Option<u32> {
    let (cpus, memory) = (rules.cpus, rules.memory);
    if let Some(flag) = used.get_mut(local as usize) {
        if !*flag && local_node_first(rules, local) {
            *flag = true;
            return Some(local);
        }
    }
    let mut best: Option<(u64, u32)> = None;
    for node in nodes
        .iter()
        .filter(|n| memory.get(n.id as usize).copied().unwrap_or(false))
    {
        if used.get(node.id as usize).copied().unwrap_or(true) {
            continue;
        }
        let mut value = u64::from(distance(distances, local, node.id));
        value += u64::from(node.id < local);
        if has_cpus(node, cpus) {
            value += PENALTY_FOR_NODE_WITH_CPUS;
        }
        value = value * MAX_NUMNODES + node_load.get(node.id as usize).copied().unwrap_or(0);
        if best.is_none_or(|(best_value, _)| value < best_value) {
            best = Some((value, node.id));
        }
    }
    let (_, id) = best?;
    if let Some(flag) = used.get_mut(id as usize) {
        *flag = true;
    }
    Some(id)
}

/// `build_zonelists()` for one node: the node order, the fallback zonelist (each
/// node's managed zones, highest type first, in node order) and the
/// `__GFP_THISNODE` list. The first node of each new distance group gets a
/// node_load penalty, so nodes at equal distance share the load round-robin.
fn build_zonelists(
    nodes: &[Node],
    distances: &[Vec<u32>],
    rules: &Rules<'_>,
    local: u32,
    node_load: &mut [u64],
) -> NodeZonelists {
    let mut used = vec![false; nodes.len()];
    let mut order = Vec::new();
    let mut previous = local;
    while let Some(next) = find_next_best_node(nodes, distances, rules, local, &mut used, node_load)
    {
        if distance(distances, local, next) != distance(distances, local, previous) {
            if let Some(load) = node_load.get_mut(next as usize) {
                *load += 1;
            }
        }
        order.push(next);
        previous = next;
    }
    let general = order.iter().flat_map(|&id| zonerefs(nodes, id)).collect();
    NodeZonelists {
        node: local,
        node_order: order,
        general,
        thisnode: zonerefs(nodes, local),
    }
}

/// `build_zonerefs_node()`: the node's managed zones, highest type first.
fn zonerefs(nodes: &[Node], id: u32) -> Vec<ZoneRef> {
    let Some(node) = nodes.get(id as usize) else {
        return Vec::new();
    };
    ZoneType::ALL
        .into_iter()
        .rev()
        .filter(|zone| node.zones.get(zone.index()).is_some_and(|z| z.is_managed()))
        .map(|zone| ZoneRef { node: id, zone })
        .collect()
}
