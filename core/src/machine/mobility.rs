//! Grouping pages by mobility on or off: `page_group_by_mobility_disabled` as
//! `build_all_zonelists()` sets it (mm/page_alloc.c in Linux 6.1 and 6.12). The
//! kernel turns grouping off when `vm_total_pages`, the pages above the high
//! watermark in the boot CPU's zonelist, is below `pageblock_nr_pages *
//! MIGRATE_TYPES`: with fewer pageblocks than migratetypes there is nothing to group.
//! Both kernels decide the same way; the allocator's paths read the result (see
//! `alloc::Allocator::gfp_migratetype` and `buddy::BuddyZone::set_pageblock_type`),
//! and memory hotplug's rebuilds decide again (`alloc/hotplug.rs`).
//!
//! The scenario switch `mobility_grouping = false` is the model's own: no real kernel
//! has a knob for it. It gives a large machine what a small one gets, so a lesson can
//! run one workload both ways.

use super::{Machine, MachineConfig, MachineError};
use crate::types::{ZoneType, MAX_NR_ZONES, MIGRATE_TYPES, PAGEBLOCK_PAGES};

/// `pageblock_nr_pages * MIGRATE_TYPES`, the kernel's threshold. `MIGRATE_TYPES`
/// counts MIGRATE_CMA only on a kernel built with CONFIG_CMA (the reference kernels
/// have no CMA; a scenario with `cma =` models one that does): 2560 pages without
/// CMA, 3072 with it.
pub fn mobility_threshold_pages(config: &MachineConfig) -> u64 {
    let cma = u64::from(config.cma_bytes.is_some());
    PAGEBLOCK_PAGES * (MIGRATE_TYPES as u64 + cma)
}

impl Machine {
    /// `vm_total_pages` as `build_all_zonelists()` computes it at boot with
    /// `nr_free_zone_pages()`: before `memblock_free_all()`, so each zone's managed
    /// count is still the estimate of `free_area_init_core()` (present less memmap,
    /// and for ZONE_DMA less `dma_reserve`), and every high watermark is still 0. The
    /// boot CPU's zonelist holds every populated zone of every node with memory. For
    /// an imported machine the early reservations are unknown: `None`.
    pub fn boot_vm_total_pages(&self) -> Option<u64> {
        if !self.config.managed.is_empty() {
            return None;
        }
        let dma_reserve = super::dma_reserve(&self.config);
        let total = self
            .zones()
            .filter(|z| {
                z.present > 0
                    && z.zone_type.index() < MAX_NR_ZONES
                    && z.zone_type != ZoneType::Device
            })
            .map(|z| {
                let estimate = super::setup::managed_estimate(z.spanned, z.present);
                if z.zone_type == ZoneType::Dma && estimate > dma_reserve {
                    estimate - dma_reserve
                } else {
                    estimate
                }
            })
            .sum();
        Some(total)
    }

    /// What `build_all_zonelists()` decides at boot: grouping off below the threshold.
    /// A machine with managed counts given (imported, or set by hand) has no known
    /// boot estimate; its zones' managed pages are at most that estimate, so at or
    /// above the threshold they prove grouping was on, and below it the model takes
    /// them as the estimate.
    pub fn kernel_disables_mobility_grouping(&self) -> bool {
        self.decided_vm_total_pages() < mobility_threshold_pages(&self.config)
    }

    /// The page count the boot decision compares: [`Machine::boot_vm_total_pages`],
    /// or the zones' managed pages when that is unknown.
    fn decided_vm_total_pages(&self) -> u64 {
        self.boot_vm_total_pages().unwrap_or_else(|| {
            self.zones()
                .filter(|z| z.zone_type <= ZoneType::Movable)
                .map(|z| z.managed)
                .sum()
        })
    }

    /// `page_group_by_mobility_disabled` after boot: the kernel's decision, or off
    /// where the scenario switches grouping off.
    pub fn page_group_by_mobility_disabled(&self) -> bool {
        self.config.mobility_grouping == Some(false) || self.kernel_disables_mobility_grouping()
    }

    /// `mobility_grouping = true` on a machine the kernel runs with grouping off
    /// contradicts the kernel's own decision: refused with both numbers.
    pub(super) fn check_mobility_switch(&self) -> Result<(), MachineError> {
        if self.config.mobility_grouping == Some(true) && self.kernel_disables_mobility_grouping() {
            let total = self.decided_vm_total_pages();
            return Err(MachineError::new(format!(
                "`machine.mobility_grouping = true`, but build_all_zonelists() turns grouping off on this machine: \
                 vm_total_pages {total} < pageblock_nr_pages * MIGRATE_TYPES = {}; leave the key out to let the kernel decide",
                mobility_threshold_pages(&self.config)
            )));
        }
        Ok(())
    }
}
