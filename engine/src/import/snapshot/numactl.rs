//! `numactl -H` (`numactl --hardware`): the nodes, their CPUs and sizes, and the
//! distance table, as numactl prints them from sysfs. Read for CPUs per node and the
//! SLIT distances, which it shows for every node at once.
//!
//! ```text
//! available: 2 nodes (0-1)
//! node 0 cpus: 0 1
//! node 0 size: 1007 MB
//! node 0 free: 912 MB
//! node 1 cpus: 2 3
//! node 1 size: 1007 MB
//! node 1 free: 950 MB
//! node distances:
//! node   0   1
//!   0:  10  20
//!   1:  20  10
//! ```

use crate::limits::{CPUS_MAX, NODES_MAX};
use crate::text::{parse_decimal, shorten};

/// What `numactl -H` says, by node id (sorted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Numactl {
    pub(super) nodes: Vec<NumactlNode>,
    /// The columns of the distance table (node ids), and each row's distances.
    pub(super) distance_ids: Vec<u32>,
    pub(super) distances: Vec<(u32, Vec<u32>)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct NumactlNode {
    pub(super) id: u32,
    pub(super) cpus: Vec<u32>,
    /// `node N size: M MB`, in MiB.
    pub(super) size_mib: Option<u64>,
}

/// Whether the text is `numactl -H` output.
pub(super) fn is_numactl(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        line.starts_with("available: ") && line.contains(" node")
    }) && text
        .lines()
        .any(|line| line.trim_start().starts_with("node "))
}

/// Reads `numactl -H` output; errors name the 1-based line of `text`.
pub(super) fn parse_numactl(text: &str) -> Result<Numactl, (usize, String)> {
    let mut out = Numactl::default();
    let mut in_table = false;
    let mut cpu_count = 0usize;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        let bad = |what: &str| {
            (
                number,
                format!("cannot read `{}`: expected {what}", shorten(line)),
            )
        };
        if line.is_empty() || line.starts_with("available:") || line == "node distances:" {
            in_table |= line == "node distances:";
            continue;
        }
        if line.starts_with("No NUMA available") {
            return Err((
                number,
                "numactl says \"No NUMA available on this system\": it gives no nodes or distances; \
                 leave it out (the machine is one node)"
                    .to_string(),
            ));
        }
        if in_table {
            if let Some(header) = line.strip_prefix("node ") {
                out.distance_ids = numbers(header, NODES_MAX)
                    .ok_or_else(|| bad("the table's header, like `node   0   1`"))?;
                continue;
            }
            let (id, row) = line
                .split_once(':')
                .ok_or_else(|| bad("a table row, like `  0:  10  20`"))?;
            let id = node_id(id).ok_or_else(|| bad("a node number before `:`"))?;
            let row = numbers(row, NODES_MAX).ok_or_else(|| bad("distances, like `10  20`"))?;
            out.distances.push((id, row));
            continue;
        }
        let Some(rest) = line.strip_prefix("node ") else {
            return Err(bad(
                "a line like `node 0 cpus: 0 1` or `node 0 size: 1007 MB`",
            ));
        };
        let (id, rest) = rest
            .trim_start()
            .split_once(' ')
            .ok_or_else(|| bad("a node number after `node`"))?;
        let id = node_id(id).ok_or_else(|| bad("a node number below 1024 after `node`"))?;
        let entry = match out.nodes.iter().position(|node| node.id == id) {
            Some(position) => position,
            None => {
                out.nodes.push(NumactlNode {
                    id,
                    ..NumactlNode::default()
                });
                out.nodes.len() - 1
            }
        };
        let Some(node) = out.nodes.get_mut(entry) else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(cpus) = rest.strip_prefix("cpus:") {
            node.cpus = numbers(cpus, CPUS_MAX as usize)
                .filter(|cpus| cpus.iter().all(|&cpu| cpu < CPUS_MAX))
                .ok_or_else(|| bad("CPU numbers below 8192 separated by spaces"))?;
            cpu_count = cpu_count.saturating_add(node.cpus.len());
            if cpu_count > CPUS_MAX as usize {
                return Err((
                    number,
                    format!("more than {CPUS_MAX} CPUs; the limit is {CPUS_MAX} (NR_CPUS)"),
                ));
            }
        } else if let Some(size) = rest.strip_prefix("size:") {
            let mib = size
                .trim()
                .strip_suffix("MB")
                .and_then(|value| parse_decimal(value.trim()))
                .ok_or_else(|| bad("a size like `1007 MB`"))?;
            node.size_mib = Some(mib);
        } else if rest.starts_with("free:") {
            // Free memory now: the model boots with all memory free.
        } else {
            return Err(bad("`cpus:`, `size:` or `free:` after the node number"));
        }
    }
    crate::types::sort::sort_by_key(&mut out.nodes, |node| node.id);
    Ok(out)
}

fn node_id(text: &str) -> Option<u32> {
    parse_decimal(text.trim())
        .filter(|&id| id < NODES_MAX as u64)
        .map(|id| id as u32)
}

/// Whole numbers below 2^32 separated by spaces, at most `max` of them.
fn numbers(text: &str, max: usize) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        if out.len() >= max {
            return None;
        }
        out.push(
            parse_decimal(word)
                .filter(|&value| value <= u64::from(u32::MAX))
                .map(|value| value as u32)?,
        );
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn reads_two_nodes() {
        let text = "available: 2 nodes (0-1)\nnode 0 cpus: 0 1\nnode 0 size: 1007 MB\nnode 0 free: 900 MB\n\
                    node 1 cpus: 2 3\nnode 1 size: 0 MB\nnode 1 free: 0 MB\nnode distances:\nnode   0   1 \n  0:  10  20 \n  1:  20  10 \n";
        assert!(is_numactl(text));
        let numactl = parse_numactl(text).unwrap();
        assert_eq!(numactl.nodes.len(), 2);
        assert_eq!(numactl.nodes[1].cpus, vec![2, 3]);
        assert_eq!(numactl.nodes[1].size_mib, Some(0));
        assert_eq!(numactl.distance_ids, vec![0, 1]);
        assert_eq!(numactl.distances[1], (1, vec![20, 10]));
    }
}
