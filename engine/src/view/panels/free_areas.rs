//! The free areas panel: each zone's `/proc/buddyinfo` and `/proc/pagetypeinfo` rows,
//! its pageblocks by type, and every CPU's per-cpu lists.

use serde::Serialize;

use crate::alloc::{pindex_to_order, Allocator};
use crate::types::NR_PCP_LISTS;
use crate::types::{MigrateType, Order};

/// A zone's free lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FreeAreaView {
    pub node: u32,
    pub zone: String,
    /// `/proc/buddyinfo`: free blocks per order.
    pub nr_free: Vec<u64>,
    /// `/proc/pagetypeinfo`: free blocks per migratetype and order.
    pub by_type: Vec<(String, Vec<u64>)>,
    /// Pageblocks of each type.
    pub pageblocks: Vec<(String, u64)>,
    pub pcps: Vec<PcpView>,
}

impl FreeAreaView {
    /// Pages on the zone's buddy lists: each order's free blocks times their size.
    pub fn free_pages(&self) -> u64 {
        self.nr_free
            .iter()
            .zip(Order::all())
            .map(|(blocks, order)| blocks * order.pages())
            .sum()
    }
}

/// One CPU's per-cpu lists in a zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PcpView {
    pub cpu: u32,
    pub count: u64,
    pub high: u64,
    pub batch: u64,
    /// `(list label, pages)` for every non-empty list.
    pub lists: Vec<(String, u64)>,
}

/// The label of per-cpu list `pindex` (see [`crate::types::pcp_list_name`]).
pub use crate::types::pcp_list_name as pcp_list_label;

pub(super) fn free_areas(allocator: &Allocator) -> Vec<FreeAreaView> {
    let kinds: &[MigrateType] = if allocator.cma() {
        &MigrateType::ALL_WITH_CMA
    } else {
        &MigrateType::ALL
    };
    allocator
        .zones()
        .iter()
        .map(|z| {
            let buddy = &z.buddy;
            let nr_free = Order::all().map(|o| u64::from(buddy.nr_free(o))).collect();
            let by_type = kinds
                .iter()
                .map(|&m| {
                    let counts = Order::all()
                        .map(|o| u64::from(buddy.nr_free_of_type(o, m)))
                        .collect();
                    (m.name().to_string(), counts)
                })
                .collect();
            // Counted by raw value, then named: a 16 GiB zone has 8192 pageblocks,
            // and this runs at every step.
            let mut by_raw = [0u64; 256];
            for index in 0..buddy.pageblock_count() {
                let raw = buddy.pageblock_raw(index).unwrap_or(0);
                if let Some(n) = by_raw.get_mut(usize::from(raw)) {
                    *n += 1;
                }
            }
            let pageblocks: Vec<(String, u64)> = kinds
                .iter()
                .map(|m| {
                    let count = by_raw
                        .iter()
                        .enumerate()
                        .filter(|(raw, _)| MigrateType::from_index(*raw) == Some(*m))
                        .map(|(_, n)| n)
                        .sum();
                    (m.name().to_string(), count)
                })
                .collect();
            let pcps = z
                .pcps
                .iter()
                .map(|p| PcpView {
                    cpu: p.cpu,
                    count: p.count,
                    high: p.high,
                    batch: p.batch,
                    lists: p
                        .lists
                        .iter()
                        .enumerate()
                        .take(NR_PCP_LISTS)
                        .filter(|(_, l)| !l.is_empty())
                        .map(|(i, l)| {
                            (
                                pcp_list_label(i),
                                l.len() as u64 * pindex_to_order(i).pages(),
                            )
                        })
                        .collect(),
                })
                .collect();
            FreeAreaView {
                node: z.nid,
                zone: z.zone.name().to_string(),
                nr_free,
                by_type,
                pageblocks,
                pcps,
            }
        })
        .collect()
}
