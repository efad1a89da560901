//! The side panels at one cursor: the nodes' header, zonelists, watermark gauges, free
//! areas and per-cpu lists, and the step. Each panel has its file; this one gathers
//! them into an [`Overview`] and holds what several of them read (the request in
//! progress, kswapd's state).

mod free_areas;
mod gauges;
mod step;
mod zonelists;

pub use free_areas::{pcp_list_label, FreeAreaView, PcpView};
pub use gauges::{GaugeView, LastCheck, MarkLabel};
pub use step::{
    describe_operation, describe_outcome, go_to_step, next_step_where, ordinal, EventKind,
    EventLine, Frame, SourceLink, StepView,
};
pub use zonelists::{ZoneStatus, ZonelistEntry, ZonelistView};

use serde::Serialize;

use free_areas::free_areas;
use gauges::gauges;
use step::step_view;
use zonelists::zonelists;

use crate::alloc::{Allocator, KSWAPD_IDLE_ZONEIDX};
use crate::event::Event;
use crate::session::{Cursor, Session};
use crate::text::format_cpulist;
use crate::types::ZoneType;

/// Everything the side panels draw at one cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overview {
    pub step: StepView,
    pub zonelists: Vec<ZonelistView>,
    pub gauges: Vec<GaugeView>,
    pub free_areas: Vec<FreeAreaView>,
    pub nodes: Vec<NodeView>,
}

/// A node as the header shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    pub nid: u32,
    pub start_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub cpus: String,
    /// `kswapd` asleep, or woken for an order and zone.
    pub kswapd: String,
    pub kswapd_awake: bool,
}

/// All panels at `cursor`; `allocator` is `session.state_at(cursor)`.
pub fn overview(allocator: &Allocator, session: &Session, cursor: Cursor) -> Overview {
    let events = session.events(cursor.call);
    let seen: &[Event] = events.get(..cursor.event).unwrap_or(&events);
    let request = seen.iter().find_map(|e| match *e {
        Event::AllocStart {
            node,
            highest_zone,
            gfp,
            ..
        } => Some(Request {
            node,
            highest: highest_zone,
            gfp,
        }),
        _ => None,
    });
    Overview {
        step: step_view(session, cursor),
        zonelists: zonelists(allocator, seen, request),
        gauges: gauges(allocator, seen, request),
        free_areas: free_areas(allocator),
        nodes: nodes(allocator),
    }
}

/// The request the current call makes, read from its `AllocStart` event.
#[derive(Clone, Copy, Debug)]
struct Request {
    node: u32,
    highest: ZoneType,
    gfp: u32,
}

fn kswapd_text(allocator: &Allocator, nid: u32) -> (String, bool) {
    let Some(n) = allocator.nodes().iter().find(|n| n.nid == nid) else {
        return (format!("kswapd{nid} asleep"), false);
    };
    let zone = ZoneType::ALL
        .get(n.kswapd_highest_zoneidx as usize)
        .map_or("?", |z| z.name());
    let failed = if n.kswapd_failures > 0 {
        format!(", {} failed runs", n.kswapd_failures)
    } else {
        String::new()
    };
    if n.kswapd_woken {
        (
            format!(
                "kswapd{nid} woken (wakeup_kswapd): order {}, up to {zone}{failed}",
                n.kswapd_order
            ),
            true,
        )
    } else if n.kswapd_highest_zoneidx != KSWAPD_IDLE_ZONEIDX {
        (
            format!(
                "kswapd{nid} asleep (order {}, up to {zone} recorded for its next run{failed})",
                n.kswapd_order
            ),
            false,
        )
    } else if n.kswapd_failures > 0 {
        (
            format!("kswapd{nid} asleep ({} failed runs)", n.kswapd_failures),
            false,
        )
    } else {
        (format!("kswapd{nid} asleep"), false)
    }
}

fn nodes(allocator: &Allocator) -> Vec<NodeView> {
    allocator
        .nodes()
        .iter()
        .map(|n| {
            let (kswapd, kswapd_awake) = kswapd_text(allocator, n.nid);
            NodeView {
                nid: n.nid,
                start_pfn: n.start_pfn,
                spanned: n.spanned,
                present: n.present,
                cpus: format_cpulist(&n.cpus),
                kswapd,
                kswapd_awake,
            }
        })
        .collect()
}
