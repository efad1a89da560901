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

    /// The gauge's full scale in pages: four equal, round intervals (1, 2 or 5 times
    /// a power of ten each) reaching at least the free pages and every threshold, so
    /// nothing drawn on the bar is ever clipped.
    pub fn scale_pages(&self) -> u64 {
        let largest = [
            u64::try_from(self.free).unwrap_or(0),
            self.threshold(self.min),
            self.threshold(self.low),
            self.threshold(self.high),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        axis_step(largest) * AXIS_INTERVALS
    }

    /// The axis ticks, in pages: 0 and the end of each interval.
    pub fn axis_ticks(&self) -> Vec<u64> {
        let step = self.scale_pages() / AXIS_INTERVALS;
        (0..=AXIS_INTERVALS).map(|i| i * step).collect()
    }

    /// The min, low and high marks placed on the bar (as a percentage of the scale),
    /// each label on the lowest row where it keeps [`MARK_LABEL_GAP_PERCENT`] from the
    /// label before it on that row: close marks (low and high are often a few pages
    /// apart) get staggered rows instead of overlapping labels.
    pub fn mark_labels(&self) -> Vec<MarkLabel> {
        let scale = self.scale_pages().max(1) as f64;
        let mut marks: Vec<MarkLabel> = [("min", self.min), ("low", self.low), ("high", self.high)]
            .into_iter()
            .map(|(name, mark)| {
                let pages = self.threshold(mark);
                MarkLabel {
                    name,
                    mark,
                    pages,
                    percent: pages as f64 / scale * 100.0,
                    row: 0,
                }
            })
            .collect();
        crate::types::sort::sort_by(&mut marks, |a, b| a.percent.total_cmp(&b.percent));
        // The rightmost label of each row so far.
        let mut row_ends: Vec<f64> = Vec::new();
        for m in &mut marks {
            let row = row_ends
                .iter()
                .position(|end| m.percent - end >= MARK_LABEL_GAP_PERCENT)
                .unwrap_or(row_ends.len());
            match row_ends.get_mut(row) {
                Some(end) => *end = m.percent,
                None => row_ends.push(m.percent),
            }
            m.row = row;
        }
        marks
    }
}

/// The axis has this many equal intervals.
pub const AXIS_INTERVALS: u64 = 4;

/// Two mark labels closer than this (percent of the bar) go on different rows: a
/// label is about 4 characters, under 6% of the narrowest bar the page lays out.
pub const MARK_LABEL_GAP_PERCENT: f64 = 7.0;

/// One watermark on a gauge: where it sits and which row its label takes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarkLabel {
    /// "min", "low" or "high".
    pub name: &'static str,
    /// The watermark itself.
    pub mark: u64,
    /// What the check compares against: mark + boost + lowmem_reserve.
    pub pages: u64,
    /// `pages` as a percentage of [`GaugeView::scale_pages`].
    pub percent: f64,
    /// 0 for the row nearest the bar.
    pub row: usize,
}

/// The smallest round interval (1, 2 or 5 times a power of ten, at least 4 pages)
/// such that [`AXIS_INTERVALS`] of them reach `largest`.
fn axis_step(largest: u64) -> u64 {
    let needed = largest.div_ceil(AXIS_INTERVALS).max(4);
    let mut power = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = power.saturating_mul(factor);
            if step >= needed {
                return step;
            }
        }
        if power > u64::MAX / 10 {
            return needed;
        }
        power *= 10;
    }
}

pub(super) fn gauges(
    allocator: &Allocator,
    seen: &[Event],
    request: Option<Request>,
) -> Vec<GaugeView> {
    allocator
        .zones()
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
