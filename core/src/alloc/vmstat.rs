//! The event counters of `/proc/vmstat` the model keeps (`enum vm_event_item` of
//! include/linux/vm_event_item.h), counted where the kernel counts them.
//!
//! The kernel keeps these per CPU (`vm_event_states`) and sums them when
//! `/proc/vmstat` is read (`all_vm_events()`); the model keeps the sum. Each counter
//! starts at 0 when the model boots: the kernel's own count also holds what happened
//! before (the pages memblock releases to the buddy allocator at boot go through
//! `__free_pages_ok()` and count in `pgfree`). Which counters are exact and which
//! follow the reduced reclaim and compaction model is in docs/allocator.md.

use super::Allocator;
use crate::types::ZoneType;

/// One event counter of `/proc/vmstat` the model keeps, in `vmstat_text[]` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmEvent {
    /// `PGALLOC` of a zone (`__count_zid_vm_events(PGALLOC, zid, 1 << order)`).
    PgallocDma,
    PgallocDma32,
    PgallocNormal,
    PgallocMovable,
    /// `ALLOCSTALL` of `sc->reclaim_idx` (`do_try_to_free_pages()`).
    AllocstallDma,
    AllocstallDma32,
    AllocstallNormal,
    AllocstallMovable,
    Pgfree,
    PgstealKswapd,
    PgstealDirect,
    PgscanKswapd,
    PgscanDirect,
    PgscanAnon,
    PgscanFile,
    PgstealAnon,
    PgstealFile,
    KswapdLowWmarkHitQuickly,
    KswapdHighWmarkHitQuickly,
    Pageoutrun,
    DropPagecache,
    PgmigrateSuccess,
    PgmigrateFail,
    CompactMigrateScanned,
    CompactFreeScanned,
    CompactIsolated,
    CompactStall,
    CompactFail,
    CompactSuccess,
}

/// How many counters the model keeps.
pub const NR_VM_EVENTS: usize = 29;

/// Every kept counter with its `/proc/vmstat` name, in the kernel's order (the same
/// in 6.1 and 6.12 for these).
pub const VM_EVENTS: [(VmEvent, &str); NR_VM_EVENTS] = [
    (VmEvent::PgallocDma, "pgalloc_dma"),
    (VmEvent::PgallocDma32, "pgalloc_dma32"),
    (VmEvent::PgallocNormal, "pgalloc_normal"),
    (VmEvent::PgallocMovable, "pgalloc_movable"),
    (VmEvent::AllocstallDma, "allocstall_dma"),
    (VmEvent::AllocstallDma32, "allocstall_dma32"),
    (VmEvent::AllocstallNormal, "allocstall_normal"),
    (VmEvent::AllocstallMovable, "allocstall_movable"),
    (VmEvent::Pgfree, "pgfree"),
    (VmEvent::PgstealKswapd, "pgsteal_kswapd"),
    (VmEvent::PgstealDirect, "pgsteal_direct"),
    (VmEvent::PgscanKswapd, "pgscan_kswapd"),
    (VmEvent::PgscanDirect, "pgscan_direct"),
    (VmEvent::PgscanAnon, "pgscan_anon"),
    (VmEvent::PgscanFile, "pgscan_file"),
    (VmEvent::PgstealAnon, "pgsteal_anon"),
    (VmEvent::PgstealFile, "pgsteal_file"),
    (
        VmEvent::KswapdLowWmarkHitQuickly,
        "kswapd_low_wmark_hit_quickly",
    ),
    (
        VmEvent::KswapdHighWmarkHitQuickly,
        "kswapd_high_wmark_hit_quickly",
    ),
    (VmEvent::Pageoutrun, "pageoutrun"),
    (VmEvent::DropPagecache, "drop_pagecache"),
    (VmEvent::PgmigrateSuccess, "pgmigrate_success"),
    (VmEvent::PgmigrateFail, "pgmigrate_fail"),
    (VmEvent::CompactMigrateScanned, "compact_migrate_scanned"),
    (VmEvent::CompactFreeScanned, "compact_free_scanned"),
    (VmEvent::CompactIsolated, "compact_isolated"),
    (VmEvent::CompactStall, "compact_stall"),
    (VmEvent::CompactFail, "compact_fail"),
    (VmEvent::CompactSuccess, "compact_success"),
];

impl VmEvent {
    /// `PGALLOC` + the zone's index (`__count_zid_vm_events()`); `None` for
    /// ZONE_DEVICE, whose pages the buddy allocator never hands out.
    pub fn pgalloc(zone: ZoneType) -> Option<VmEvent> {
        match zone {
            ZoneType::Dma => Some(VmEvent::PgallocDma),
            ZoneType::Dma32 => Some(VmEvent::PgallocDma32),
            ZoneType::Normal => Some(VmEvent::PgallocNormal),
            ZoneType::Movable => Some(VmEvent::PgallocMovable),
            ZoneType::Device => None,
        }
    }

    /// `ALLOCSTALL` + the zone index of the reclaim (`sc->reclaim_idx`).
    pub fn allocstall(zone: ZoneType) -> Option<VmEvent> {
        match zone {
            ZoneType::Dma => Some(VmEvent::AllocstallDma),
            ZoneType::Dma32 => Some(VmEvent::AllocstallDma32),
            ZoneType::Normal => Some(VmEvent::AllocstallNormal),
            ZoneType::Movable => Some(VmEvent::AllocstallMovable),
            ZoneType::Device => None,
        }
    }

    /// The counter's `/proc/vmstat` name.
    pub fn name(self) -> &'static str {
        VM_EVENTS
            .iter()
            .find(|(event, _)| *event == self)
            .map_or("", |(_, name)| name)
    }
}

/// The summed per-cpu event counters (`all_vm_events()`), one per [`VmEvent`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmEvents([u64; NR_VM_EVENTS]);

impl VmEvents {
    /// A counter's value.
    pub fn get(&self, event: VmEvent) -> u64 {
        self.0.get(event as usize).copied().unwrap_or(0)
    }

    /// `count_vm_events()`'s change without the journal's note, for the callers
    /// that test the recorder themselves ([`Allocator::count_vm_events`] notes it).
    #[inline(always)]
    pub(crate) fn add(&mut self, event: VmEvent, delta: u64) {
        if let Some(counter) = self.0.get_mut(event as usize) {
            *counter = counter.wrapping_add(delta);
        }
    }
}

impl Allocator {
    /// The event counters of `/proc/vmstat` the model keeps.
    pub fn vm_events(&self) -> &VmEvents {
        &self.vm_events
    }

    /// `count_vm_events(item, delta)`: the counter grows and the journal notes it.
    #[inline]
    pub(crate) fn count_vm_events(&mut self, event: VmEvent, delta: u64) {
        if delta == 0 {
            return;
        }
        self.vm_events.add(event, delta);
        self.note_small();
    }

    /// `__count_zid_vm_events(PGALLOC, zid, pages)`.
    #[inline(always)]
    pub(crate) fn count_pgalloc(&mut self, z: usize, pages: u64) {
        let event = self
            .zones
            .get(z)
            .and_then(|zone| VmEvent::pgalloc(zone.zone));
        if let Some(event) = event {
            self.count_vm_events(event, pages);
        }
    }
}
