//! What the timeline plots draw, recorded as a session runs: after every call, per
//! zone, the free pages as the watermark checks read them (`NR_FREE_PAGES`,
//! [`ZoneState::free_pages`]), the min, low and high watermarks (raw
//! `_watermark[]`, without the boost) and `watermark_boost`, and the two indexes of
//! mm/vmstat.c for every order, computed from the zone's `free_area[].nr_free`
//! (`BuddyZone::nr_free_counts`) with [`crate::buddy::frag`]; per call, which of the
//! [`Marker`] kinds happened.
//!
//! Memory is bounded whatever the run's length: values are kept in buckets of
//! consecutive calls, each holding the smallest and the largest value of every
//! quantity over its calls (never an average, so a one-call spike survives), and
//! the marker counts. A bucket is one call wide until [`SERIES_BYTES_BUDGET`] is
//! used; then neighbouring buckets merge in pairs and every bucket covers twice as
//! many calls. A run of any length costs at most the budget (about 4 MiB), and a run
//! short enough to fit keeps every call's exact values.
//!
//! Nothing here is part of the session's state: a session's equality and the run
//! digests of the report layer do not read it, and it can always be rebuilt from the records.

use crate::alloc::{Allocator, ZoneState};
#[cfg(doc)]
use crate::buddy::frag::{contig_page_info, fragmentation_index, unusable_free_index};
use crate::event::Event;
use crate::session::Outcome;
use crate::types::ZoneType;
use crate::types::{Order, NR_ORDERS};

/// The most the buckets of a session's series may take, in bytes.
pub const SERIES_BYTES_BUDGET: usize = 4 << 20;

/// The fewest buckets a series keeps, whatever its zones cost (a machine with many
/// zones gets coarser buckets sooner rather than none).
pub const SERIES_BUCKETS_MIN: usize = 256;

/// Something that happened in a call, drawn as a marker on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Marker {
    /// `steal_suitable_fallback()` took a block from another migratetype's list and
    /// left its pageblock's type alone (tracepoint mm_page_alloc_extfrag,
    /// change_ownership 0).
    Steal,
    /// The same, and the pageblock became the requester's type (change_ownership 1).
    Claim,
    /// `boost_watermark()` raised a zone's `watermark_boost` (and set
    /// ZONE_BOOSTED_WATERMARK).
    Boost,
    /// `wakeup_kswapd()` woke kswapd.
    KswapdWake,
    /// `balance_pgdat()` ran.
    KswapdRun,
    /// `compact_zone()` ran on a zone.
    Compaction,
    /// `__alloc_pages_direct_reclaim()` ran.
    DirectReclaim,
    /// `__alloc_pages_may_oom()` decided.
    Oom,
    /// The allocation returned NULL.
    AllocFailed,
}

/// Every marker kind, in the order the timeline draws their rows.
pub const MARKERS: [Marker; 9] = [
    Marker::Steal,
    Marker::Claim,
    Marker::Boost,
    Marker::KswapdWake,
    Marker::KswapdRun,
    Marker::Compaction,
    Marker::DirectReclaim,
    Marker::Oom,
    Marker::AllocFailed,
];

const NR_MARKERS: usize = MARKERS.len();

impl Marker {
    /// Its row's label.
    pub fn label(self) -> &'static str {
        match self {
            Marker::Steal => "steal (block taken)",
            Marker::Claim => "claim (pageblock taken)",
            Marker::Boost => "watermark boost",
            Marker::KswapdWake => "kswapd woken",
            Marker::KswapdRun => "kswapd ran",
            Marker::Compaction => "compaction",
            Marker::DirectReclaim => "direct reclaim",
            Marker::Oom => "OOM decision",
            Marker::AllocFailed => "allocation failed",
        }
    }

    /// The kernel function (or tracepoint) the marker stands for.
    pub fn kernel_function(self) -> &'static str {
        match self {
            Marker::Steal | Marker::Claim => "steal_suitable_fallback",
            Marker::Boost => "boost_watermark",
            Marker::KswapdWake => "wakeup_kswapd",
            Marker::KswapdRun => "balance_pgdat",
            Marker::Compaction => "compact_zone",
            Marker::DirectReclaim => "__alloc_pages_direct_reclaim",
            Marker::Oom => "__alloc_pages_may_oom",
            Marker::AllocFailed => "__alloc_pages",
        }
    }

    fn slot(self) -> usize {
        MARKERS.iter().position(|&m| m == self).unwrap_or(0)
    }
}

/// The markers of one call: its events and its outcome.
pub fn markers_of(events: &[Event], outcome: &Outcome) -> Vec<Marker> {
    let mut found = Vec::new();
    for event in events {
        match event {
            Event::Steal {
                claimed, boosted, ..
            } => {
                found.push(if *claimed {
                    Marker::Claim
                } else {
                    Marker::Steal
                });
                if *boosted {
                    found.push(Marker::Boost);
                }
            }
            Event::ClaimRefused { boosted: true, .. } => found.push(Marker::Boost),
            Event::KswapdWake { .. } => found.push(Marker::KswapdWake),
            Event::KswapdRun { .. } => found.push(Marker::KswapdRun),
            Event::Compacted { .. } => found.push(Marker::Compaction),
            Event::DirectReclaim { .. } => found.push(Marker::DirectReclaim),
            Event::OomDecision { .. } => found.push(Marker::Oom),
            _ => {}
        }
    }
    if matches!(outcome, Outcome::Failed { .. }) {
        found.push(Marker::AllocFailed);
    }
    found
}

/// A quantity of one zone the series keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// `NR_FREE_PAGES` as the watermark checks read it ([`ZoneState::free_pages`]).
    FreePages,
    /// `_watermark[WMARK_MIN]`.
    Min,
    /// `_watermark[WMARK_LOW]`.
    Low,
    /// `_watermark[WMARK_HIGH]`.
    High,
    /// `watermark_boost`.
    Boost,
    /// `unusable_free_index()` for the order, in thousandths.
    Unusable(Order),
    /// `__fragmentation_index()` for the order, in thousandths (-1000: a suitable
    /// block is free).
    Fragmentation(Order),
}

impl Quantity {
    /// Every quantity the series keeps, every order's indexes among them (the
    /// benchmark's and the tests' walks over a whole series).
    pub fn all() -> Vec<Quantity> {
        let mut all = vec![
            Quantity::FreePages,
            Quantity::Min,
            Quantity::Low,
            Quantity::High,
            Quantity::Boost,
        ];
        for order in Order::all() {
            all.push(Quantity::Unusable(order));
            all.push(Quantity::Fragmentation(order));
        }
        all
    }
}

/// The smallest and largest value of a quantity over some calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub min: i64,
    pub max: i64,
}

impl Span {
    fn widen(self, other: Span) -> Span {
        Span {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }
}

/// Which zone a series column is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneKey {
    pub nid: u32,
    pub zone: ZoneType,
}

const PAGE_VALUES: usize = 5;

/// A zone's free block counts per order and the indexes computed from them, and
/// the page values the series took from it at its last call.
#[derive(Clone, Copy, Debug)]
struct LastIndexes {
    counts: [u32; NR_ORDERS],
    index: [i16; 2 * NR_ORDERS],
    /// `None` until a call's values were taken (so a first call is never skipped).
    pages: Option<[u32; PAGE_VALUES]>,
}

impl Default for LastIndexes {
    /// Nothing free, and its indexes: a zone's first call compares its counts
    /// with these, as with any call before it.
    fn default() -> LastIndexes {
        let counts = [0; NR_ORDERS];
        LastIndexes {
            counts,
            index: indexes_of(&counts),
            pages: None,
        }
    }
}

/// Whether two zones' free block counts are the same: every order compared,
/// without a branch or a call per order (the series compares every zone's counts
/// after every call).
#[inline]
fn same_counts(a: &[u32; NR_ORDERS], b: &[u32; NR_ORDERS]) -> bool {
    a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The unusable index per order, then the fragmentation index per order, in
/// thousandths, of a zone whose `free_area[].nr_free` are `counts`.
///
/// `fill_contig_page_info()` for every order at once: the totals do not depend on
/// the order, and the suitable blocks of order o are those of order o + 1 twice
/// over plus order o's own. Each index is then [`unusable_free_index`]'s and
/// [`fragmentation_index`]'s arithmetic on those totals, written out here with the
/// cases that need no division first (a test checks every value against the two
/// functions on [`contig_page_info`], and another the series call by call).
fn indexes_of(counts: &[u32; NR_ORDERS]) -> [i16; 2 * NR_ORDERS] {
    let (mut blocks, mut free_pages) = (0u64, 0u64);
    for (o, &c) in counts.iter().enumerate() {
        blocks += u64::from(c);
        free_pages += u64::from(c) << o;
    }
    let thousandths = |v: i64| v.clamp(-1000, 1000) as i16;
    let mut index = [0i16; 2 * NR_ORDERS];
    let mut suitable = 0u64;
    for o in (0..NR_ORDERS).rev() {
        suitable = u64::from(counts[o]) + 2 * suitable;
        // `unusable_free_index()`: the free pages not in blocks of order o or larger.
        let in_suitable = suitable << o;
        index[o] = if free_pages == 0 || suitable == 0 {
            1000
        } else if in_suitable == free_pages {
            0
        } else {
            thousandths(((free_pages - in_suitable) * 1000 / free_pages) as i64)
        };
        // `__fragmentation_index()`.
        index[NR_ORDERS + o] = if blocks == 0 {
            0
        } else if suitable > 0 {
            -1000
        } else {
            thousandths(1000 - ((1000 + ((free_pages * 1000) >> o)) / blocks) as i64)
        };
    }
    index
}

/// One zone over one bucket's calls: the smallest and largest of each value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ZoneBucket {
    /// Free pages, min, low, high, boost (pages; a zone has at most `u32::MAX`).
    pages_lo: [u32; PAGE_VALUES],
    pages_hi: [u32; PAGE_VALUES],
    /// The unusable index per order, then the fragmentation index per order, in
    /// thousandths (-1000..=1000).
    index_lo: [i16; 2 * NR_ORDERS],
    index_hi: [i16; 2 * NR_ORDERS],
}

impl ZoneBucket {
    /// The zone's values now; `last` holds the indexes computed from the zone's
    /// free block counts last time, reused while the counts are the same (a call
    /// served from a per-cpu list leaves the buddy lists, and so every index, as
    /// they were).
    fn of(zone: &ZoneState, last: &mut LastIndexes) -> ZoneBucket {
        Self::from_values(Self::pages_of(zone), zone.buddy.nr_free_counts_u32(), last)
    }

    /// [`ZoneBucket::of`], or `None` when every value is the last call's. That call
    /// is in the same bucket (a call joins a bucket that exists only after an
    /// earlier call of it; halving keeps neighbouring calls together; truncation
    /// ends at a bucket's end), so merging would change nothing. A call changes
    /// one zone or two; the other zones are skipped here.
    fn of_if_changed(zone: &ZoneState, last: &mut LastIndexes) -> Option<ZoneBucket> {
        let pages = Self::pages_of(zone);
        let counts = zone.buddy.nr_free_counts_u32();
        if last.pages == Some(pages) && same_counts(&last.counts, counts) {
            return None;
        }
        Some(Self::from_values(pages, counts, last))
    }

    /// A bucket of one call from the zone's page values and free block counts;
    /// the indexes are computed again only when the counts differ from `last`'s.
    #[inline]
    fn from_values(
        pages: [u32; PAGE_VALUES],
        counts: &[u32; NR_ORDERS],
        last: &mut LastIndexes,
    ) -> ZoneBucket {
        if !same_counts(&last.counts, counts) {
            last.counts = *counts;
            last.index = indexes_of(counts);
        }
        last.pages = Some(pages);
        ZoneBucket {
            pages_lo: pages,
            pages_hi: pages,
            index_lo: last.index,
            index_hi: last.index,
        }
    }

    /// Free pages, min, low, high, boost.
    #[inline]
    fn pages_of(zone: &ZoneState) -> [u32; PAGE_VALUES] {
        let page = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        [
            page(zone.free_pages().max(0).unsigned_abs()),
            page(zone.watermark[0]),
            page(zone.watermark[1]),
            page(zone.watermark[2]),
            page(zone.watermark_boost),
        ]
    }

    fn merge(&mut self, other: &ZoneBucket) {
        for i in 0..PAGE_VALUES {
            self.pages_lo[i] = self.pages_lo[i].min(other.pages_lo[i]);
            self.pages_hi[i] = self.pages_hi[i].max(other.pages_hi[i]);
        }
        for i in 0..2 * NR_ORDERS {
            self.index_lo[i] = self.index_lo[i].min(other.index_lo[i]);
            self.index_hi[i] = self.index_hi[i].max(other.index_hi[i]);
        }
    }

    fn span(&self, quantity: Quantity) -> Span {
        let pages = |i: usize| Span {
            min: i64::from(self.pages_lo[i]),
            max: i64::from(self.pages_hi[i]),
        };
        let index = |i: usize| Span {
            min: i64::from(self.index_lo.get(i).copied().unwrap_or(0)),
            max: i64::from(self.index_hi.get(i).copied().unwrap_or(0)),
        };
        match quantity {
            Quantity::FreePages => pages(0),
            Quantity::Min => pages(1),
            Quantity::Low => pages(2),
            Quantity::High => pages(3),
            Quantity::Boost => pages(4),
            Quantity::Unusable(order) => index(usize::from(order.get())),
            Quantity::Fragmentation(order) => index(NR_ORDERS + usize::from(order.get())),
        }
    }
}

/// The series of a session (see the module's introduction).
#[derive(Clone, Debug, Default)]
pub struct Series {
    zones: Vec<ZoneKey>,
    /// Calls per bucket: 1, 2, 4, ...
    width: u64,
    /// Calls recorded.
    calls: u64,
    /// Buckets at most (even).
    cap: usize,
    /// `zones.len()` entries per bucket.
    values: Vec<ZoneBucket>,
    /// Per bucket, how many calls had each marker.
    markers: Vec<[u32; NR_MARKERS]>,
    /// Per zone, the indexes of the last call's free block counts: not part of
    /// the series (equality leaves it out), only what spares recomputing them.
    last: Vec<LastIndexes>,
}

impl PartialEq for Series {
    fn eq(&self, other: &Series) -> bool {
        self.zones == other.zones
            && self.width == other.width
            && self.calls == other.calls
            && self.cap == other.cap
            && self.values == other.values
            && self.markers == other.markers
    }
}

impl Eq for Series {}

impl Series {
    /// An empty series for `allocator`'s zones.
    pub fn new(allocator: &Allocator) -> Series {
        let zones: Vec<ZoneKey> = allocator
            .zones()
            .iter()
            .map(|z| ZoneKey {
                nid: z.nid,
                zone: z.zone,
            })
            .collect();
        let zones_len = zones.len();
        let bucket_bytes = Series::bucket_bytes_for(zones.len());
        let cap = (SERIES_BYTES_BUDGET / bucket_bytes).max(SERIES_BUCKETS_MIN) & !1;
        Series {
            zones,
            width: 1,
            calls: 0,
            cap,
            values: Vec::new(),
            markers: Vec::new(),
            last: vec![LastIndexes::default(); zones_len],
        }
    }

    fn bucket_bytes_for(zones: usize) -> usize {
        zones * std::mem::size_of::<ZoneBucket>() + std::mem::size_of::<[u32; NR_MARKERS]>()
    }

    /// Records the call just made: `allocator` is the state after it.
    pub fn push(&mut self, allocator: &Allocator, events: &[Event], outcome: &Outcome) {
        let bucket = usize::try_from(self.calls / self.width).unwrap_or(usize::MAX);
        let mut counts = [0u32; NR_MARKERS];
        // A marker counts once a call however often it was found: setting its slot
        // needs no sort (a sort here was the page's last instance of the standard
        // library's unstable sort: docs/performance.md, branch size21).
        for marker in markers_of(events, outcome) {
            counts[marker.slot()] = 1;
        }
        let zones = self.zones.len();
        if self.last.len() != zones {
            self.last.resize(zones, LastIndexes::default());
        }
        let zone_states = allocator.zones().iter().take(zones);
        if bucket < self.markers.len() {
            let start = bucket * zones;
            let slots = self.values.iter_mut().skip(start);
            for ((slot, zone), last) in slots.zip(zone_states).zip(self.last.iter_mut()) {
                if let Some(values) = ZoneBucket::of_if_changed(zone, last) {
                    slot.merge(&values);
                }
            }
            if let Some(slot) = self.markers.get_mut(bucket) {
                for (c, n) in slot.iter_mut().zip(counts) {
                    *c = c.saturating_add(n);
                }
            }
        } else {
            if self.markers.len() == self.markers.capacity() {
                // Grow by doubling, but never past the cap: the budget is a bound.
                let more = self
                    .markers
                    .len()
                    .clamp(64, self.cap)
                    .min(self.cap.saturating_sub(self.markers.len()));
                self.markers.reserve_exact(more);
                self.values.reserve_exact(more * zones);
            }
            // Each zone's values written in place (the capacity is there: reserved
            // above, `zones` a bucket).
            for (zone, last) in zone_states.zip(self.last.iter_mut()) {
                self.values.push(ZoneBucket::of(zone, last));
            }
            self.markers.push(counts);
        }
        self.calls += 1;
        if self.markers.len() >= self.cap {
            self.halve();
        }
    }

    /// Merges neighbouring buckets in pairs: each now covers twice the calls.
    fn halve(&mut self) {
        let zones = self.zones.len();
        let buckets = self.markers.len();
        for b in 0..buckets.div_ceil(2) {
            let (a, c) = (2 * b, 2 * b + 1);
            let mut merged = self.markers.get(a).copied().unwrap_or_default();
            if let Some(other) = self.markers.get(c) {
                for (m, o) in merged.iter_mut().zip(other) {
                    *m = m.saturating_add(*o);
                }
            }
            if let Some(slot) = self.markers.get_mut(b) {
                *slot = merged;
            }
            for z in 0..zones {
                let Some(mut value) = self.values.get(a * zones + z).copied() else {
                    continue;
                };
                if let Some(other) = self.values.get(c * zones + z) {
                    value.merge(other);
                }
                if let Some(slot) = self.values.get_mut(b * zones + z) {
                    *slot = value;
                }
            }
        }
        let kept = buckets.div_ceil(2);
        self.markers.truncate(kept);
        self.values.truncate(kept * zones);
        self.width *= 2;
    }

    /// Forgets every call after the first `calls` that a whole bucket holds; returns
    /// how many calls it kept (the caller records the rest again).
    pub fn truncate(&mut self, calls: u64) -> u64 {
        if calls >= self.calls {
            return self.calls;
        }
        let buckets = usize::try_from(calls / self.width).unwrap_or(usize::MAX);
        self.markers.truncate(buckets);
        self.values.truncate(buckets * self.zones.len());
        self.calls = buckets as u64 * self.width;
        self.calls
    }

    /// The zones, in the allocator's order.
    pub fn zones(&self) -> &[ZoneKey] {
        &self.zones
    }

    /// Calls recorded.
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// Calls per bucket now (1 while every call is kept exactly).
    pub fn bucket_width(&self) -> u64 {
        self.width
    }

    /// Bytes the buckets take (their capacity), the series' memory.
    pub fn heap_bytes(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<ZoneBucket>()
            + self.markers.capacity() * std::mem::size_of::<[u32; NR_MARKERS]>()
            + self.zones.capacity() * std::mem::size_of::<ZoneKey>()
    }

    /// `quantity` of zone `zone` over the calls in `[first, end)` (after each of
    /// them), or `None` when no recorded call is in the range. With buckets wider
    /// than one call, the range is widened to whole buckets.
    pub fn span(&self, zone: usize, quantity: Quantity, first: u64, end: u64) -> Option<Span> {
        let zones = self.zones.len();
        if zone >= zones {
            return None;
        }
        let end = end.min(self.calls);
        if first >= end {
            return None;
        }
        let (b0, b1) = (first / self.width, (end - 1) / self.width);
        let mut span: Option<Span> = None;
        for b in b0..=b1 {
            let b = usize::try_from(b).ok()?;
            let value = self.values.get(b * zones + zone)?.span(quantity);
            span = Some(span.map_or(value, |s| s.widen(value)));
        }
        span
    }

    /// How many calls in `[first, end)` had `marker` (whole buckets, as
    /// [`Series::span`]).
    pub fn marker_count(&self, marker: Marker, first: u64, end: u64) -> u64 {
        let end = end.min(self.calls);
        if first >= end {
            return 0;
        }
        let (b0, b1) = (first / self.width, (end - 1) / self.width);
        (b0..=b1)
            .filter_map(|b| usize::try_from(b).ok())
            .filter_map(|b| self.markers.get(b))
            .map(|m| u64::from(m[marker.slot()]))
            .sum()
    }

    /// Downsamples `quantity` of `zone` over calls `[first, end)` to `columns`
    /// columns: column `c` covers the calls from `first + c·n/columns` (n the calls
    /// shown) and holds their smallest and largest value, never an average, so a
    /// value that held for one call shows in its column. `None`: no call recorded
    /// there.
    pub fn columns(
        &self,
        zone: usize,
        quantity: Quantity,
        first: u64,
        end: u64,
        columns: usize,
    ) -> Vec<Option<Span>> {
        column_ranges(first, end, columns)
            .map(|(a, b)| self.span(zone, quantity, a, b))
            .collect()
    }

    /// The marker counts per column (as [`Series::columns`]).
    pub fn marker_columns(&self, marker: Marker, first: u64, end: u64, columns: usize) -> Vec<u64> {
        column_ranges(first, end, columns)
            .map(|(a, b)| self.marker_count(marker, a, b))
            .collect()
    }
}

/// The calls `[a, b)` of each of `columns` columns dividing `[first, end)`; when
/// there are fewer calls than columns, a call spans several columns.
pub fn column_ranges(first: u64, end: u64, columns: usize) -> impl Iterator<Item = (u64, u64)> {
    let n = u128::from(end.saturating_sub(first));
    let columns_wide = columns.max(1) as u128;
    (0..columns).map(move |c| {
        let c = c as u128;
        let a = first + (c * n / columns_wide) as u64;
        let b = first + ((c + 1) * n / columns_wide) as u64;
        // A column narrower than a call shows the call it falls in.
        (a, b.max(a + 1).min(end.max(a + 1)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buddy::frag::{
        contig_page_info, fragmentation_index, unusable_free_index, ContigPageInfo,
    };
    use crate::rng::Rng;

    /// The indexes as the two `mm/vmstat.c` functions give them, order by order.
    fn indexes_by_order(counts: &[u32; NR_ORDERS]) -> [i16; 2 * NR_ORDERS] {
        let counts = counts.map(u64::from);
        let mut index = [0i16; 2 * NR_ORDERS];
        for order in Order::all() {
            let o = usize::from(order.get());
            let info: ContigPageInfo = contig_page_info(&counts, order);
            let thousandths = |v: i64| i16::try_from(v.clamp(-1000, 1000)).unwrap();
            index[o] = thousandths(unusable_free_index(order, &info));
            index[NR_ORDERS + o] = thousandths(fragmentation_index(order, &info));
        }
        index
    }

    /// A zone whose only change is a value outside the buddy lists (the boost, as
    /// kswapd clears it) and calls that change nothing: once buckets hold many
    /// calls, each bucket's span is still the smallest and largest of its calls, and
    /// an untouched second zone's span is its one value.
    #[test]
    fn buckets_wider_than_a_call_keep_every_calls_values() {
        use crate::machine::{Machine, MachineConfig};
        // 512 MiB on one node: DMA and DMA32.
        let machine = Machine::build(&MachineConfig::default()).unwrap();
        let mut allocator = Allocator::from_machine(&machine).unwrap();
        assert_eq!(allocator.zones.len(), 2);
        let mut series = Series::new(&allocator);
        series.cap = 64;
        let mut rng = Rng::new(7);
        let mut boosts = Vec::new();
        for _ in 0..2_000 {
            // Runs of the same value, and changes that come back to an old one.
            let boost = if rng.below(3) == 0 {
                rng.below(4) * 100
            } else {
                boosts.last().copied().unwrap_or(0)
            };
            boosts.push(boost);
            allocator.zones[0].watermark_boost = boost;
            series.push(&allocator, &[], &Outcome::Drained);
        }
        assert!(series.bucket_width() > 8, "the buckets widened");
        let width = series.bucket_width();
        let other = allocator.zones[1].watermark_boost as i64;
        for (b, calls) in boosts.chunks(width as usize).enumerate() {
            let (first, end) = (b as u64 * width, b as u64 * width + calls.len() as u64);
            let min = *calls.iter().min().unwrap() as i64;
            let max = *calls.iter().max().unwrap() as i64;
            let span = series.span(0, Quantity::Boost, first, end).unwrap();
            assert_eq!(
                (span.min, span.max),
                (min, max),
                "zone 0, calls {first}..{end}"
            );
            let span = series.span(1, Quantity::Boost, first, end).unwrap();
            assert_eq!(
                (span.min, span.max),
                (other, other),
                "zone 1, calls {first}..{end}"
            );
        }
    }

    #[test]
    fn indexes_of_are_vmstats_for_every_order() {
        let mut rng = Rng::new(18);
        let mut cases: Vec<[u32; NR_ORDERS]> = vec![[0; NR_ORDERS], [u32::MAX; NR_ORDERS]];
        for o in 0..NR_ORDERS {
            let mut one = [0; NR_ORDERS];
            one[o] = 1;
            cases.push(one);
            one[o] = u32::MAX;
            cases.push(one);
        }
        for _ in 0..20_000 {
            let mut counts = [0u32; NR_ORDERS];
            // Mostly empty high orders (a fragmented zone), sometimes any count.
            let top = rng.below(NR_ORDERS as u64 + 1) as usize;
            for (o, c) in counts.iter_mut().enumerate().take(top) {
                *c = match rng.below(4) {
                    0 => 0,
                    1 => rng.below(4) as u32,
                    2 => rng.below(5000) as u32,
                    _ => rng.next_u64() as u32 >> (o as u32 * 2),
                };
            }
            cases.push(counts);
        }
        for counts in &cases {
            assert_eq!(indexes_of(counts), indexes_by_order(counts), "{counts:?}");
        }
    }

    #[test]
    fn same_counts_sees_every_order() {
        let a = [7u32; NR_ORDERS];
        assert!(same_counts(&a, &a));
        for o in 0..NR_ORDERS {
            let mut b = a;
            b[o] = 8;
            assert!(!same_counts(&a, &b));
        }
    }
}
