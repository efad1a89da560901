//! The SLIT distances: one sysfs row per online node, made into a matrix over every
//! node id.

use super::sections::Sections;
use super::{node_entry, SnapshotError, NODE_DIR};
use crate::limits::NODES_MAX;
use crate::machine::NodeConfig;
use crate::text::{parse_decimal, shorten};

/// One `/sys/devices/system/node/nodeN/distance` section, read.
pub(super) struct DistanceRow<'a> {
    id: u32,
    source: &'a str,
    header_line: Option<usize>,
    distances: Vec<u32>,
}

/// The distance sections, sorted by node id.
pub(super) fn distance_rows<'a>(
    sections: &Sections<'a>,
) -> Result<Vec<DistanceRow<'a>>, SnapshotError> {
    let mut rows = Vec::new();
    for (id, section) in sections.numbered(NODE_DIR, "/distance")? {
        let distances = match section.single_line()? {
            Some((number, text)) => parse_distance_row(text).map_err(|message| {
                SnapshotError::in_section(section.source, Some(number), message)
            })?,
            None => {
                return Err(SnapshotError::in_section(
                    section.source,
                    section.header_line(),
                    "the section is empty; expected one line of distances, like `10 20`",
                ))
            }
        };
        rows.push(DistanceRow {
            id,
            source: section.source,
            header_line: section.header_line(),
            distances,
        });
    }
    Ok(rows)
}

fn parse_distance_row(text: &str) -> Result<Vec<u32>, String> {
    let mut row = Vec::new();
    for word in text.split_whitespace() {
        let value = parse_decimal(word)
            .filter(|&value| value <= u64::from(u32::MAX))
            .ok_or_else(|| {
                format!(
                    "expected whole numbers separated by spaces, found `{}`",
                    shorten(word)
                )
            })?;
        if row.len() >= NODES_MAX {
            return Err(format!(
                "more than {NODES_MAX} distances in one row; the limit is {NODES_MAX} nodes"
            ));
        }
        row.push(value as u32);
    }
    Ok(row)
}

/// Builds `distances[from][to]` for every node id. The sysfs rows list one distance
/// per *online* node, in node order; nodes missing from the rows are filled in with
/// the kernel's defaults (10 local, 20 remote) when they have neither memory nor CPUs.
pub(super) fn distance_matrix(
    rows: Vec<DistanceRow<'_>>,
    nodes: &mut Vec<NodeConfig>,
    notes: &mut Vec<String>,
) -> Result<Option<Vec<Vec<u32>>>, SnapshotError> {
    if rows.is_empty() {
        if nodes.len() > 1 {
            notes.push(format!(
                "no `{NODE_DIR}N/distance` sections: no distance matrix, so every remote distance is 20"
            ));
        }
        return Ok(None);
    }
    let ids: Vec<u32> = rows.iter().map(|row| row.id).collect();
    let id_list = ids
        .iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    for row in &rows {
        if row.distances.len() != ids.len() {
            return Err(SnapshotError::in_section(
                row.source,
                row.header_line,
                format!(
                    "has {} distances, but there are {} distance rows (nodes {id_list}): the matrix must be square, \
                     one distance per node in each row",
                    row.distances.len(),
                    ids.len()
                ),
            ));
        }
    }
    for (id, node) in nodes.iter().enumerate() {
        if (!node.memory.is_empty() || !node.cpus.is_empty()) && !ids.contains(&(id as u32)) {
            return Err(SnapshotError::in_section(
                &format!("{NODE_DIR}{id}/distance"),
                None,
                format!(
                    "missing: node {id} has {} but no distance row, so the {}x{} distance matrix (nodes {id_list}) \
                     does not match the nodes; add the section or remove all distance sections",
                    if node.memory.is_empty() { "CPUs" } else { "memory" },
                    ids.len(),
                    ids.len()
                ),
            ));
        }
    }
    if let Some(&last) = ids.last() {
        node_entry(nodes, last);
    }
    let dense = ids
        .iter()
        .enumerate()
        .all(|(index, &id)| index as u32 == id)
        && ids.len() == nodes.len();
    if dense {
        return Ok(Some(rows.into_iter().map(|row| row.distances).collect()));
    }
    notes.push(format!(
        "distance rows exist for nodes {id_list} only; distances to the other nodes (which have no memory and no \
         CPUs) are set to 10 for a node to itself and 20 otherwise"
    ));
    let position = |id: usize| ids.iter().position(|&other| other as usize == id);
    let matrix = (0..nodes.len())
        .map(|from| {
            (0..nodes.len())
                .map(|to| match (position(from), position(to)) {
                    (Some(row), Some(column)) => rows
                        .get(row)
                        .and_then(|row| row.distances.get(column))
                        .copied()
                        .unwrap_or(20),
                    _ if from == to => 10,
                    _ => 20,
                })
                .collect()
        })
        .collect();
    Ok(Some(matrix))
}
