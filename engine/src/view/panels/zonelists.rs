//! The zonelists panel: each node's zonelist with `node_distance()`, and during an
//! allocation what `get_page_from_freelist()` did with each zone and why, read from the
//! current call's events up to the cursor.

use serde::Serialize;

use super::Request;
use crate::alloc::Allocator;
use crate::event::Event;
use crate::types::gfp::{Gfp, GFP_THISNODE};
use crate::types::ZoneType;

/// A node's zonelist during the current request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZonelistView {
    pub nid: u32,
    /// Whether this node's list is the one the current request walks.
    pub in_use: bool,
    pub entries: Vec<ZonelistEntry>,
    /// A note on the walk (ALLOC_NOFRAGMENT retries, __GFP_THISNODE).
    pub note: Option<String>,
}

/// One zone in a zonelist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZonelistEntry {
    pub node: u32,
    pub zone: String,
    /// `node_distance(list's node, zone's node)`.
    pub distance: u32,
    pub status: ZoneStatus,
    /// Why, in words, when the zone was passed over or chosen.
    pub reason: String,
}

/// What the current request did with a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ZoneStatus {
    /// No request in progress, or the walk has not reached it.
    Idle,
    /// The zone the walk is at now.
    Trying,
    /// The allocation came from it.
    Chosen,
    /// Passed over; `reason` says why.
    PassedOver,
    /// Not eligible for this request at all (above its highest zone, nodemask).
    Skipped,
}

fn distance(allocator: &Allocator, from: u32, to: u32) -> u32 {
    allocator
        .machine()
        .and_then(|m| m.distances.get(from as usize)?.get(to as usize).copied())
        .unwrap_or(if from == to { 10 } else { 20 })
}

pub(super) fn zonelists(
    allocator: &Allocator,
    seen: &[Event],
    request: Option<Request>,
) -> Vec<ZonelistView> {
    let checks: Vec<Check> = seen
        .iter()
        .filter_map(|e| match e {
            Event::WatermarkCheck {
                node,
                zone,
                order,
                terms,
                ok,
            } => Some(Check {
                node: *node,
                zone: *zone,
                ok: *ok,
                arithmetic: terms.describe(*order, *ok),
            }),
            _ => None,
        })
        .collect();
    let allocated_in = seen.iter().rev().find_map(|e| match *e {
        Event::PageAlloc { pfn, .. } => allocator
            .zone_of_pfn(pfn)
            .and_then(|z| allocator.zones().get(z))
            .map(|z| (z.nid, z.zone)),
        _ => None,
    });
    let retried = seen.iter().any(|e| matches!(e, Event::NoFragmentRetry));
    allocator
        .nodes()
        .iter()
        .map(|node| {
            let in_use = request.is_some_and(|r| r.node == node.nid);
            let thisnode = request.is_some_and(|r| Gfp(r.gfp).has(GFP_THISNODE));
            let list = if in_use && thisnode {
                &node.nofallback
            } else {
                &node.fallback
            };
            let entries = list
                .iter()
                .map(|&(nid, zone)| {
                    let outside_mask = seen.iter().any(|e| {
                        matches!(e, Event::ZoneNotInNodemask { node, zone: z } if *node == nid && *z == zone)
                    });
                    let (status, reason) = if in_use && outside_mask {
                        (
                            ZoneStatus::Skipped,
                            format!("nodemask: node {nid} is not in the request's nodemask (for_next_zone_zonelist_nodemask)"),
                        )
                    } else if in_use {
                        zone_status(nid, zone, request, &checks, allocated_in)
                    } else {
                        (ZoneStatus::Idle, String::new())
                    };
                    ZonelistEntry {
                        node: nid,
                        zone: zone.name().to_string(),
                        distance: distance(allocator, node.nid, nid),
                        status,
                        reason,
                    }
                })
                .collect();
            let mut notes = Vec::new();
            if in_use && thisnode {
                notes.push("__GFP_THISNODE: only this node's zones (ZONELIST_NOFALLBACK); other nodes are outside the nodemask".to_string());
            }
            if in_use && retried {
                notes.push("The first walk had ALLOC_NOFRAGMENT and stopped at the first remote node; get_page_from_freelist() walked again without it".to_string());
            }
            ZonelistView {
                nid: node.nid,
                in_use,
                entries,
                note: (!notes.is_empty()).then(|| notes.join(". ")),
            }
        })
        .collect()
}

/// A watermark check of the current call: which zone, its verdict, and its
/// arithmetic as the event's sentence gives it.
struct Check {
    node: u32,
    zone: ZoneType,
    ok: bool,
    arithmetic: String,
}

fn zone_status(
    nid: u32,
    zone: ZoneType,
    request: Option<Request>,
    checks: &[Check],
    allocated_in: Option<(u32, ZoneType)>,
) -> (ZoneStatus, String) {
    let Some(request) = request else {
        return (ZoneStatus::Idle, String::new());
    };
    if zone > request.highest {
        return (
            ZoneStatus::Skipped,
            format!(
                "above the request's highest zone ({}): the gfp mask does not allow it",
                request.highest.name()
            ),
        );
    }
    if allocated_in == Some((nid, zone)) {
        return (
            ZoneStatus::Chosen,
            "the page came from here (rmqueue)".to_string(),
        );
    }
    let last_index = checks.len().checked_sub(1);
    let found = checks
        .iter()
        .enumerate()
        .rev()
        .find(|(_, c)| c.node == nid && c.zone == zone);
    match found {
        None => (ZoneStatus::Idle, "not reached".to_string()),
        Some((_, check)) if !check.ok => (
            ZoneStatus::PassedOver,
            format!("watermark: {} (zone_watermark_fast)", check.arithmetic),
        ),
        Some((index, check)) => {
            if Some(index) == last_index && allocated_in.is_none() {
                (
                    ZoneStatus::Trying,
                    format!("watermark: {}; taking a block (rmqueue)", check.arithmetic),
                )
            } else {
                (
                    ZoneStatus::PassedOver,
                    "watermark ok, but rmqueue found no free block of the order".to_string(),
                )
            }
        }
    }
}
