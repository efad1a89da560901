//! The watermark gauges: each zone's free pages against its min, low and high marks,
//! boost and lowmem_reserve, with the last watermark check of the current call.

use serde::Serialize;

use super::{kswapd_text, Request};
use crate::alloc::Allocator;
use crate::event::Event;
use crate::types::ZoneType;

/// A zone's watermark gauge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GaugeView {
    pub node: u32,
    pub zone: String,
    pub managed: u64,
    /// `NR_FREE_PAGES` as the watermark checks read it.
    pub free: i64,
    pub min: u64,
    pub low: u64,
    pub high: u64,
    pub boost: u64,
    /// The lowmem_reserve held back from the current request (its highest zone), if
    /// a request is in progress.
    pub lowmem_reserve: Option<u64>,
    /// Every lowmem_reserve of the zone, by the requester's highest zone.
    pub lowmem_reserves: Vec<(String, u64)>,
    /// The last watermark check of this zone in the current call.
    pub last_check: Option<LastCheck>,
    pub kswapd: String,
}

/// A zone's last watermark check in the current call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastCheck {
    /// What `zone_watermark_fast()` returned.
    pub ok: bool,
    /// The check's arithmetic, every term named (the event's sentence without
    /// the zone).
    pub arithmetic: String,
}

impl GaugeView {
    /// The free pages a check against `mark` (min, low or high) must exceed:
    /// `wmark_pages()` (the mark plus the boost) plus the lowmem_reserve held back
    /// from the current request, as `__zone_watermark_ok()` compares them.
    pub fn threshold(&self, mark: u64) -> u64 {
        mark + self.boost + self.lowmem_reserve.unwrap_or(0)
    }
}

pub(super) fn gauges(
    allocator: &Allocator,
    seen: &[Event],
    request: Option<Request>,
) -> Vec<GaugeView> {
    allocator
        .zones
        .iter()
        .map(|z| {
            let last_check = seen.iter().rev().find_map(|e| match e {
                Event::WatermarkCheck {
                    node,
                    zone,
                    order,
                    terms,
                    ok,
                } if *node == z.nid && *zone == z.zone => Some(LastCheck {
                    ok: *ok,
                    arithmetic: terms.describe(*order, *ok),
                }),
                _ => None,
            });
            GaugeView {
                node: z.nid,
                zone: z.zone.name().to_string(),
                managed: z.managed,
                free: z.free_pages(),
                min: z.watermark[0],
                low: z.watermark[1],
                high: z.watermark[2],
                boost: z.watermark_boost,
                lowmem_reserve: request
                    .and_then(|r| z.lowmem_reserve.get(r.highest.index()).copied()),
                lowmem_reserves: ZoneType::ALL
                    .iter()
                    .zip(z.lowmem_reserve.iter())
                    .map(|(t, r)| (t.name().to_string(), *r))
                    .collect(),
                last_check,
                kswapd: kswapd_text(allocator, z.nid).0,
            }
        })
        .collect()
}
