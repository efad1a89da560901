//! The machine and its boot-time setup, as Linux 6.1 does it on x86_64: zone ranges,
//! sparsemem sections, ZONE_MOVABLE placement, spanned/present/managed pages,
//! min_free_kbytes, watermarks, lowmem_reserve, per-cpu pageset sizes and zonelists.
//!
//! [`MachineConfig`] is what the user (or a snapshot) says; [`Machine::build`] runs
//! the kernel's setup on it and returns a [`Machine`], plain data the front ends
//! print and draw.

pub mod boot;
pub mod config;
pub mod mobility;
pub mod movable;
pub mod setup;
mod validate;
pub mod zonelist;

pub use config::{
    format_core_size, parse_core_size, CoreSize, MachineConfig, ManagedCount, NodeConfig, Sysctls,
    ThpMode,
};
pub use validate::MachineError;
pub use zonelist::CpuState;

use crate::types::{Kernel, PfnRange, ZoneType, MAX_NR_ZONES};
use setup::SpanInputs;

/// One zone after boot-time setup.
#[derive(Clone, PartialEq, Eq)]
pub struct Zone {
    pub node: u32,
    pub zone_type: ZoneType,
    /// `zone_start_pfn` (0 for an empty zone, as the kernel leaves it).
    pub start_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub managed: u64,
    /// `_watermark[WMARK_MIN]`, `[WMARK_LOW]`, `[WMARK_HIGH]`.
    pub watermark_min: u64,
    pub watermark_low: u64,
    pub watermark_high: u64,
    /// `watermark_boost` (0 after setup).
    pub watermark_boost: u64,
    /// `lowmem_reserve[]`: pages this zone keeps back from requests whose highest
    /// zone is the index (zoneinfo's `protection:`).
    pub lowmem_reserve: [u64; MAX_NR_ZONES],
    /// Per-cpu pageset `high` and `batch` (the same for every CPU).
    pub pcp_high: u64,
    pub pcp_batch: u64,
    /// `stat_threshold` from `calculate_normal_threshold()`.
    pub stat_threshold: u64,
    /// `cma_pages`: pages of the CMA area in this zone (a CONFIG_CMA kernel only).
    pub cma_pages: u64,
    /// Linux 6.12 only: `pageset_high_min` and `pageset_high_max`, the range each
    /// CPU's `high` is tuned within (`zone_set_pageset_high_and_batch()`). `None` on
    /// 6.1, which has one `high`. The allocation paths still use [`Zone::pcp_high`]
    /// (6.1's rule, equal to `high_min`).
    pub pcp_high_range: Option<(u64, u64)>,
}

/// Written by hand so that a 6.1 zone prints exactly as before `pcp_high_range`
/// existed: run digests hash this text.
impl core::fmt::Debug for Zone {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut out = f.debug_struct("Zone");
        out.field("node", &self.node)
            .field("zone_type", &self.zone_type)
            .field("start_pfn", &self.start_pfn)
            .field("spanned", &self.spanned)
            .field("present", &self.present)
            .field("managed", &self.managed)
            .field("watermark_min", &self.watermark_min)
            .field("watermark_low", &self.watermark_low)
            .field("watermark_high", &self.watermark_high)
            .field("watermark_boost", &self.watermark_boost)
            .field("lowmem_reserve", &self.lowmem_reserve)
            .field("pcp_high", &self.pcp_high)
            .field("pcp_batch", &self.pcp_batch)
            .field("stat_threshold", &self.stat_threshold)
            .field("cma_pages", &self.cma_pages);
        if let Some(range) = &self.pcp_high_range {
            out.field("pcp_high_range", range);
        }
        out.finish()
    }
}

impl Zone {
    /// `populated_zone()`: the zone has present pages.
    pub fn is_populated(&self) -> bool {
        self.present > 0
    }

    /// `managed_zone()`: the buddy allocator manages pages in it.
    pub fn is_managed(&self) -> bool {
        self.managed > 0
    }
}

/// One node after setup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub id: u32,
    pub start_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub cpus: Vec<u32>,
    /// Indexed by [`ZoneType::index`]; always `MAX_NR_ZONES` entries.
    pub zones: Vec<Zone>,
}

/// A zone named by node and type, as a zonelist holds it (`struct zoneref`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneRef {
    pub node: u32,
    pub zone: ZoneType,
}

/// A node's two zonelists (`node_zonelists[ZONELIST_FALLBACK]` and
/// `[ZONELIST_NOFALLBACK]`) and the node order the first was built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeZonelists {
    pub node: u32,
    /// The order `find_next_best_node()` chose ("Fallback order for Node N").
    pub node_order: Vec<u32>,
    /// Every managed zone of every node in `node_order`, highest zone type first
    /// within a node.
    pub general: Vec<ZoneRef>,
    /// This node's managed zones only (`__GFP_THISNODE`).
    pub thisnode: Vec<ZoneRef>,
}

/// A sparsemem section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// Section number: `pfn >> (SECTION_SIZE_BITS - PAGE_SHIFT)`.
    pub number: u64,
    pub node: u32,
    pub start_pfn: u64,
    pub end_pfn: u64,
    /// Pages of the section that are memory (the rest are holes).
    pub present_pages: u64,
}

/// A machine after the kernel's boot-time setup: plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    pub config: MachineConfig,
    /// `max_pfn`: one past the last page of memory.
    pub max_pfn: u64,
    /// `arch_zone_lowest_possible_pfn[]` / `arch_zone_highest_possible_pfn[]`.
    pub zone_lowest_pfn: [u64; MAX_NR_ZONES],
    pub zone_highest_pfn: [u64; MAX_NR_ZONES],
    /// `zone_movable_pfn[]` per node (0: no ZONE_MOVABLE there).
    pub zone_movable_pfn: Vec<u64>,
    pub movable_zone: ZoneType,
    pub nodes: Vec<Node>,
    /// Present sparsemem sections, ascending.
    pub sections: Vec<Section>,
    /// The distances in force (the SLIT, or 10/20 if there is none or it is invalid).
    pub distances: Vec<Vec<u32>>,
    /// Which CPUs were online when the zonelists were last built.
    pub zonelist_cpus: CpuState,
    pub zonelists: Vec<NodeZonelists>,
    /// `min_free_kbytes` in force.
    pub min_free_kbytes: u64,
    /// Transparent hugepages as in force after boot: the configured mode, except that
    /// `hugepage_init()` turns THP off on machines with less than 512 MiB of RAM.
    pub thp: ThpMode,
    /// CPUs online (every configured CPU, after boot).
    pub online_cpus: Vec<u32>,
    /// What the kernel would have warned about (an invalid SLIT, ...).
    pub warnings: Vec<String>,
    /// The CMA area of a CONFIG_CMA kernel (`cma=`), if it could be placed.
    pub cma: Option<PfnRange>,
}

impl Machine {
    /// Runs the boot-time setup of Linux 6.1 on `config`: `zone_sizes_init()`,
    /// `free_area_init()` with `find_zone_movable_pfns_for_nodes()`,
    /// `calculate_node_totalpages()`, `free_area_init_core()`, `build_all_zonelists()`
    /// (before any node's CPU mask is set), then `init_per_zone_wmark_min()` and khugepaged's
    /// `set_recommended_min_free_kbytes()`, unless the configuration fixes
    /// min_free_kbytes (as writing the sysctl does).
    pub fn build(config: &MachineConfig) -> Result<Machine, MachineError> {
        validate::validate(config)?;
        let mut config = config.clone();
        for node in &mut config.nodes {
            crate::types::sort::sort(&mut node.memory);
            crate::types::sort::sort(&mut node.cpus);
        }
        let mut warnings = Vec::new();
        let ranges: Vec<PfnRange> = config
            .nodes
            .iter()
            .flat_map(|n| n.memory.iter().copied())
            .collect();
        let first_pfn = ranges.iter().map(|r| r.start).min().unwrap_or(0);
        let max_pfn = ranges.iter().map(|r| r.end).max().unwrap_or(0);
        let (lowest, highest) = setup::arch_zone_ranges(first_pfn, max_pfn);
        let node_memory: Vec<Vec<PfnRange>> =
            config.nodes.iter().map(|n| n.memory.clone()).collect();
        let mut placement = movable::find_zone_movable_pfns_for_nodes(
            &node_memory,
            &lowest,
            &highest,
            config.kernelcore,
            config.movablecore,
        );
        if let Some(hotplug) = &config.movable_node {
            // movable_node wins over kernelcore=/movablecore=, which the kernel then
            // ignores without a word (find_zone_movable_pfns_for_nodes()).
            placement.zone_movable_pfn = movable::movable_node_pfns(&node_memory, hotplug);
            if config.kernelcore.is_some() || config.movablecore.is_some() {
                warnings.push(
                    "movable_node is set, so kernelcore= and movablecore= are ignored (find_zone_movable_pfns_for_nodes() \
                     places ZONE_MOVABLE at each node's hotpluggable memory instead)"
                        .to_string(),
                );
            }
        }
        warnings.extend(placement.warnings.iter().cloned());
        let (distances, slit_warning) =
            zonelist::effective_distances(config.nodes.len(), config.distances.as_ref());
        warnings.extend(slit_warning);
        let online_cpus: Vec<u32> = {
            let mut cpus: Vec<u32> = config
                .nodes
                .iter()
                .flat_map(|n| n.cpus.iter().copied())
                .collect();
            crate::types::sort::sort(&mut cpus);
            cpus
        };
        let nodes = config
            .nodes
            .iter()
            .enumerate()
            .map(|(id, node)| {
                let movable_pfn = placement.zone_movable_pfn.get(id).copied().unwrap_or(0);
                init_node(
                    id as u32,
                    node,
                    &config,
                    &lowest,
                    &highest,
                    movable_pfn,
                    placement.movable_zone,
                )
            })
            .collect();
        let sections = sections(&config);
        let mut machine = Machine {
            max_pfn,
            zone_lowest_pfn: lowest,
            zone_highest_pfn: highest,
            zone_movable_pfn: placement.zone_movable_pfn.clone(),
            movable_zone: placement.movable_zone,
            nodes,
            sections,
            distances,
            zonelist_cpus: CpuState::Boot,
            zonelists: Vec::new(),
            min_free_kbytes: 0,
            thp: config.thp,
            online_cpus,
            warnings,
            cma: None,
            config,
        };
        machine.place_cma()?;
        let memory = zonelist::n_memory(&machine.nodes, None);
        machine.zonelists = zonelist::build_all_zonelists(
            &machine.nodes,
            &machine.distances,
            CpuState::Boot,
            &memory,
            machine.config.kernel,
        );
        machine.check_mobility_switch()?;
        machine.apply_small_machine_thp_rule();
        machine.init_watermarks();
        Ok(machine)
    }

    /// Rebuilds the zonelists as memory hotplug does after boot, with every CPU online:
    /// now every node with CPUs gets the penalty in `find_next_best_node()`.
    pub fn rebuild_zonelists_all_cpus_online(&mut self) {
        self.rebuild_zonelists(None);
    }

    /// Memory hotplug's bookkeeping for `pages` pages of zone `zone_type` on `node`
    /// going offline (negative) or online: `adjust_present_page_count()` and
    /// `adjust_managed_page_count()`. Returns whether the zone went from populated to
    /// empty or back, which is when the kernel rebuilds every zonelist.
    pub(crate) fn adjust_hotplug_pages(
        &mut self,
        node: u32,
        zone_type: ZoneType,
        pages: i64,
    ) -> bool {
        let Some(n) = self.nodes.iter_mut().find(|n| n.id == node) else {
            return false;
        };
        n.present = n.present.saturating_add_signed(pages);
        let Some(zone) = n.zones.get_mut(zone_type.index()) else {
            return false;
        };
        let was_populated = zone.is_populated();
        zone.present = zone.present.saturating_add_signed(pages);
        zone.managed = zone.managed.saturating_add_signed(pages);
        was_populated != zone.is_populated()
    }

    /// `build_all_zonelists(NULL)` after boot (memory hotplug): every CPU is online
    /// by then, so nodes with CPUs pay `find_next_best_node()`'s penalty. `leaving` is
    /// a node whose last memory `offline_pages()` just took: it is still in N_MEMORY
    /// during this rebuild (see [`zonelist::n_memory`]).
    pub(crate) fn rebuild_zonelists(&mut self, leaving: Option<u32>) {
        self.zonelist_cpus = CpuState::AllOnline;
        let memory = zonelist::n_memory(&self.nodes, leaving);
        self.zonelists = zonelist::build_all_zonelists(
            &self.nodes,
            &self.distances,
            CpuState::AllOnline,
            &memory,
            self.config.kernel,
        );
    }

    /// `init_per_zone_wmark_min()` as memory hotplug calls it after boot:
    /// `calculate_min_free_kbytes()` from the managed pages above the high watermarks
    /// now, kept only if larger than a value the user wrote (else the kernel's
    /// warning, returned), then the watermarks, stat thresholds and lowmem_reserve,
    /// and khugepaged's `khugepaged_min_free_kbytes_update()` when THP is on.
    pub(crate) fn init_per_zone_wmark_min_after_boot(&mut self) -> Option<String> {
        let free_buffer_pages = self.nr_free_buffer_pages();
        let new_kbytes = setup::int_sqrt(free_buffer_pages.saturating_mul(4).saturating_mul(16));
        let mut warning = None;
        match self.config.sysctls.min_free_kbytes {
            Some(user) if new_kbytes <= user => {
                warning = Some(format!(
                    "min_free_kbytes is not updated to {new_kbytes} because user defined value {user} is preferred"
                ));
            }
            _ => self.min_free_kbytes = new_kbytes.clamp(128, 262_144),
        }
        self.setup_per_zone_wmarks();
        self.refresh_zone_stat_thresholds();
        self.setup_per_zone_lowmem_reserve();
        if self.thp.enabled() {
            self.raise_min_free_for_thp();
        }
        warning
    }

    /// `pfn_to_section_nr()`: the section number of `pfn`.
    pub fn section_number(&self, pfn: u64) -> u64 {
        pfn >> (u32::from(self.config.section_size_bits) - 12)
    }

    /// The present section holding `pfn` (and so its node), or `None` for a pfn in a
    /// section with no memory.
    pub fn section_of(&self, pfn: u64) -> Option<&Section> {
        let number = self.section_number(pfn);
        self.sections
            .binary_search_by_key(&number, |s| s.number)
            .ok()
            .and_then(|i| self.sections.get(i))
    }

    /// The zone whose span holds `pfn`, if any.
    pub fn zone_of(&self, pfn: u64) -> Option<&Zone> {
        self.zones()
            .find(|z| z.spanned > 0 && z.start_pfn <= pfn && pfn < z.start_pfn + z.spanned)
    }

    /// Every zone of every node.
    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.nodes.iter().flat_map(|node| node.zones.iter())
    }

    /// The zone `zone` of node `node`.
    pub fn zone(&self, node: u32, zone: ZoneType) -> Option<&Zone> {
        self.nodes.get(node as usize)?.zones.get(zone.index())
    }

    /// `init_per_zone_wmark_min()` and then, with THP on, khugepaged's
    /// `set_recommended_min_free_kbytes()`; a configured min_free_kbytes is taken as
    /// a value written to the sysctl after boot.
    fn init_watermarks(&mut self) {
        match self.config.sysctls.min_free_kbytes {
            Some(kbytes) => {
                self.min_free_kbytes = kbytes;
                self.setup_per_zone_wmarks();
            }
            None => {
                // At the postcore initcall the watermarks are still zero.
                self.min_free_kbytes =
                    setup::calculate_min_free_kbytes(self.nr_free_buffer_pages());
                self.setup_per_zone_wmarks();
                if self.thp.enabled() {
                    self.raise_min_free_for_thp();
                }
            }
        }
        self.setup_per_zone_lowmem_reserve();
        self.refresh_zone_stat_thresholds();
    }

    /// `cma_declare_contiguous_nid()` with no base and `cma_activate_area()`, for
    /// `cma=SIZE`: the size rounds up to 4 MiB (a MAX_ORDER block); with memory above
    /// 4 GiB the area is searched bottom-up from 4 GiB, else top-down from the end of
    /// memory, inside free memory (not the configured reserved ranges). An area that
    /// straddles two zones is not activated, with the kernel's warning.
    fn place_cma(&mut self) -> Result<(), MachineError> {
        let Some(bytes) = self.config.cma_bytes else {
            return Ok(());
        };
        const ALIGN: u64 = 1024;
        let pages = (bytes >> 12).div_ceil(ALIGN) * ALIGN;
        if pages == 0 {
            return Err(MachineError::new("cma= must be at least one page"));
        }
        let free: Vec<PfnRange> = self
            .config
            .nodes
            .iter()
            .flat_map(|n| n.memory.iter().copied())
            .flat_map(|m| subtract_all(m, &self.config.reserved))
            .collect();
        let fits = |start: u64| {
            free.iter()
                .any(|r| r.start <= start && start + pages <= r.end)
        };
        let four_gib = (4u64 << 30) >> 12;
        let mut base = None;
        if self.max_pfn >= four_gib + pages {
            let mut start = four_gib;
            while start + pages <= self.max_pfn {
                if fits(start) {
                    base = Some(start);
                    break;
                }
                start += ALIGN;
            }
        }
        if base.is_none() {
            let mut start = (self.max_pfn.saturating_sub(pages)) / ALIGN * ALIGN;
            loop {
                if fits(start) {
                    base = Some(start);
                    break;
                }
                if start < ALIGN {
                    break;
                }
                start -= ALIGN;
            }
        }
        let Some(base) = base else {
            return Err(MachineError::new(format!(
                "cma={} cannot be placed: no 4 MiB-aligned stretch of free memory that large",
                crate::text::format_size(bytes)
            )));
        };
        let area = PfnRange {
            start: base,
            end: base + pages,
        };
        let zone = self
            .zones()
            .find(|z| z.spanned > 0 && z.start_pfn <= base && base < z.start_pfn + z.spanned)
            .map(|z| (z.node, z.zone_type, z.start_pfn + z.spanned));
        match zone {
            Some((node, zone_type, end)) if area.end <= end => {
                if let Some(z) = self
                    .nodes
                    .get_mut(node as usize)
                    .and_then(|n| n.zones.get_mut(zone_type.index()))
                {
                    z.cma_pages = pages;
                }
                self.cma = Some(area);
            }
            _ => self.warnings.push(format!(
                "cma: CMA area at pfn {base:#x} could not be activated: it spans two zones"
            )),
        }
        Ok(())
    }

    /// `hugepage_init()`: below 512 MiB of RAM (`totalram_pages()`, the managed
    /// pages) THP is switched off at boot and khugepaged never starts. An imported
    /// machine's sysfs value already reflects this, and a user can switch THP on later
    /// with [`Machine::set_thp`].
    fn apply_small_machine_thp_rule(&mut self) {
        const THP_MIN_RAM_PAGES: u64 = (512 << 20) >> 12;
        let total: u64 = self.zones().map(|z| z.managed).sum();
        if self.thp.enabled() && total < THP_MIN_RAM_PAGES && self.config.managed.is_empty() {
            self.warnings.push(format!(
                "transparent hugepages are off: hugepage_init() disables them below 512 MiB of RAM ({} MiB managed); turn them on after boot to change that",
                total >> 8
            ));
            self.thp = ThpMode::Never;
        }
    }

    /// `set_recommended_min_free_kbytes()` with THP enabled.
    fn raise_min_free_for_thp(&mut self) {
        let lowmem_zones = self
            .zones()
            .filter(|z| z.is_populated() && z.zone_type <= ZoneType::Normal)
            .count() as u64;
        let recommended =
            setup::recommended_min_free_kbytes(lowmem_zones, self.nr_free_buffer_pages());
        if recommended > self.min_free_kbytes {
            self.min_free_kbytes = recommended;
        }
        self.setup_per_zone_wmarks();
    }

    /// `nr_free_buffer_pages()`: managed pages above the high watermark in the zones up
    /// to ZONE_NORMAL of the boot CPU's node's zonelist.
    pub fn nr_free_buffer_pages(&self) -> u64 {
        let boot_node = self
            .nodes
            .iter()
            .find(|n| n.cpus.contains(&0))
            .map_or(0, |n| n.id);
        let Some(list) = self.zonelists.iter().find(|l| l.node == boot_node) else {
            return 0;
        };
        list.general
            .iter()
            .filter(|r| r.zone <= ZoneType::Normal)
            .filter_map(|r| self.zone(r.node, r.zone))
            .map(|z| z.managed.saturating_sub(z.watermark_high))
            .sum()
    }

    /// `setup_per_zone_wmarks()`: watermarks of every zone, then `zone_pcp_update()`.
    fn setup_per_zone_wmarks(&mut self) {
        let kernel = self.config.kernel;
        // Linux 6.12's `__setup_per_zone_wmarks()` leaves ZONE_MOVABLE out of the
        // lowmem total and caps its min like highmem's; 6.1 counts every zone.
        let counts_in_lowmem = |zone: &Zone| match kernel {
            Kernel::V6_1 => true,
            Kernel::V6_12 => zone.zone_type != ZoneType::Movable,
        };
        let lowmem_pages: u64 = self
            .zones()
            .filter(|z| counts_in_lowmem(z))
            .map(|z| z.managed)
            .sum();
        let min_free_kbytes = self.min_free_kbytes;
        let scale = self.config.sysctls.watermark_scale_factor;
        for zone in self.nodes.iter_mut().flat_map(|n| n.zones.iter_mut()) {
            let marks = if counts_in_lowmem(zone) {
                setup::zone_watermarks(min_free_kbytes, zone.managed, lowmem_pages, scale)
            } else {
                setup::movable_zone_watermarks_6_12(
                    min_free_kbytes,
                    zone.managed,
                    lowmem_pages,
                    scale,
                )
            };
            zone.watermark_min = marks.min;
            zone.watermark_low = marks.low;
            zone.watermark_high = marks.high;
            zone.watermark_boost = 0;
        }
        self.zone_pcp_update();
    }

    /// `zone_pcp_update(zone, 0)` for every zone: pageset batch and high.
    fn zone_pcp_update(&mut self) {
        let kernel = self.config.kernel;
        let fraction = self.config.sysctls.percpu_pagelist_high_fraction;
        let online = self.online_cpus.len() as u64;
        for node in &mut self.nodes {
            let node_cpus = node.cpus.len() as u64;
            for zone in &mut node.zones {
                zone.pcp_batch = setup::zone_batchsize(zone.managed);
                zone.pcp_high = setup::zone_highsize(
                    zone.watermark_low,
                    zone.managed,
                    fraction,
                    zone.pcp_batch,
                    node_cpus,
                    online,
                );
                // Linux 6.12 keeps a range instead (`zone_set_pageset_high_and_batch()`);
                // its high_min is the 6.1 `high` above.
                zone.pcp_high_range = match kernel {
                    Kernel::V6_1 => None,
                    Kernel::V6_12 => Some(setup::pageset_high_range_6_12(
                        zone.watermark_low,
                        zone.managed,
                        fraction,
                        zone.pcp_batch,
                        node_cpus,
                        online,
                    )),
                };
            }
        }
    }

    /// `setup_per_zone_lowmem_reserve()`.
    fn setup_per_zone_lowmem_reserve(&mut self) {
        let ratio = self.config.sysctls.lowmem_reserve_ratio;
        for node in &mut self.nodes {
            let mut managed = [0u64; MAX_NR_ZONES];
            for zone in &node.zones {
                managed[zone.zone_type.index()] = zone.managed;
            }
            let reserve = setup::lowmem_reserve(&managed, &ratio);
            for zone in &mut node.zones {
                zone.lowmem_reserve = reserve[zone.zone_type.index()];
            }
        }
    }

    /// `refresh_zone_stat_thresholds()`.
    fn refresh_zone_stat_thresholds(&mut self) {
        let online = self.online_cpus.len() as u64;
        for zone in self.nodes.iter_mut().flat_map(|n| n.zones.iter_mut()) {
            zone.stat_threshold = if zone.is_populated() {
                setup::stat_threshold(zone.managed, online)
            } else {
                0
            };
        }
    }

    /// Writes a sysctl by its name under /proc/sys/vm (`min_free_kbytes`,
    /// `watermark_scale_factor`, `watermark_boost_factor`, `lowmem_reserve_ratio` as
    /// five numbers, `percpu_pagelist_high_fraction`), or `thp` (always, madvise,
    /// never), as the kernel's handler does.
    pub fn set_sysctl(&mut self, name: &str, value: &str) -> Result<(), MachineError> {
        let number = |v: &str| -> Result<u64, MachineError> {
            v.trim().parse().map_err(|_| {
                MachineError::new(format!("vm.{name} takes a whole number, not `{v}`"))
            })
        };
        let small = |v: &str| -> Result<u32, MachineError> {
            u32::try_from(number(v)?)
                .map_err(|_| MachineError::new(format!("vm.{name} = {v} is out of range")))
        };
        match name {
            "min_free_kbytes" => self.set_min_free_kbytes(number(value)?),
            "watermark_scale_factor" => self.set_watermark_scale_factor(small(value)?),
            "watermark_boost_factor" => self.set_watermark_boost_factor(small(value)?),
            "percpu_pagelist_high_fraction" => self.set_percpu_pagelist_high_fraction(small(value)?),
            "lowmem_reserve_ratio" => {
                let values: Vec<u32> = value.split([' ', ',']).filter(|v| !v.is_empty()).map(small).collect::<Result<_, _>>()?;
                let ratio: [u32; MAX_NR_ZONES] = values
                    .try_into()
                    .map_err(|_| MachineError::new("vm.lowmem_reserve_ratio takes 5 numbers, one per zone type"))?;
                self.set_lowmem_reserve_ratio(ratio)
            }
            "thp" => {
                let mode = match value.trim() {
                    "always" => ThpMode::Always,
                    "madvise" => ThpMode::Madvise,
                    "never" => ThpMode::Never,
                    other => return Err(MachineError::new(format!("thp is always, madvise or never, not `{other}`"))),
                };
                self.set_thp(mode);
                Ok(())
            }
            other => Err(MachineError::new(format!(
                "unknown sysctl `{other}`: use min_free_kbytes, watermark_scale_factor, watermark_boost_factor, lowmem_reserve_ratio, percpu_pagelist_high_fraction or thp"
            ))),
        }
    }

    /// Writes `vm.min_free_kbytes` (`min_free_kbytes_sysctl_handler()`): the value
    /// becomes the user's, watermarks and pcp sizes are recomputed.
    pub fn set_min_free_kbytes(&mut self, kbytes: u64) -> Result<(), MachineError> {
        let mut sysctls = self.config.sysctls.clone();
        sysctls.min_free_kbytes = Some(kbytes);
        self.check_sysctls(sysctls)?;
        self.min_free_kbytes = kbytes;
        self.setup_per_zone_wmarks();
        Ok(())
    }

    /// Writes `vm.watermark_scale_factor`: watermarks and pcp sizes are recomputed.
    pub fn set_watermark_scale_factor(&mut self, factor: u32) -> Result<(), MachineError> {
        let mut sysctls = self.config.sysctls.clone();
        sysctls.watermark_scale_factor = factor;
        self.check_sysctls(sysctls)?;
        self.setup_per_zone_wmarks();
        Ok(())
    }

    /// Writes `vm.watermark_boost_factor`: nothing is recomputed until a boost happens.
    pub fn set_watermark_boost_factor(&mut self, factor: u32) -> Result<(), MachineError> {
        let mut sysctls = self.config.sysctls.clone();
        sysctls.watermark_boost_factor = factor;
        self.check_sysctls(sysctls)
    }

    /// Writes `vm.lowmem_reserve_ratio`: `setup_per_zone_lowmem_reserve()`.
    pub fn set_lowmem_reserve_ratio(
        &mut self,
        ratio: [u32; MAX_NR_ZONES],
    ) -> Result<(), MachineError> {
        let mut sysctls = self.config.sysctls.clone();
        sysctls.lowmem_reserve_ratio = ratio;
        self.check_sysctls(sysctls)?;
        self.setup_per_zone_lowmem_reserve();
        Ok(())
    }

    /// Writes `vm.percpu_pagelist_high_fraction`: `zone_pcp_update()` on every zone.
    pub fn set_percpu_pagelist_high_fraction(&mut self, fraction: u32) -> Result<(), MachineError> {
        let mut sysctls = self.config.sysctls.clone();
        sysctls.percpu_pagelist_high_fraction = fraction;
        self.check_sysctls(sysctls)?;
        self.zone_pcp_update();
        Ok(())
    }

    /// Writes the THP `enabled` file (`start_stop_khugepaged()`): turning THP on
    /// raises min_free_kbytes to khugepaged's recommendation if that is larger;
    /// turning it off leaves min_free_kbytes as it is.
    pub fn set_thp(&mut self, mode: ThpMode) {
        self.config.thp = mode;
        self.thp = mode;
        if mode.enabled() {
            self.raise_min_free_for_thp();
        }
    }

    fn check_sysctls(&mut self, sysctls: Sysctls) -> Result<(), MachineError> {
        let mut config = self.config.clone();
        config.sysctls = sysctls;
        validate::validate(&config)?;
        self.config = config;
        Ok(())
    }
}

/// `calculate_node_totalpages()` and `free_area_init_core()` for one node.
fn init_node(
    id: u32,
    node: &NodeConfig,
    config: &MachineConfig,
    lowest: &[u64; MAX_NR_ZONES],
    highest: &[u64; MAX_NR_ZONES],
    zone_movable_pfn: u64,
    movable_zone: ZoneType,
) -> Node {
    let node_start_pfn = node.memory.iter().map(|r| r.start).min().unwrap_or(0);
    let node_end_pfn = node.memory.iter().map(|r| r.end).max().unwrap_or(0);
    let inputs = SpanInputs {
        lowest,
        highest,
        zone_movable_pfn,
        movable_zone,
        node_start_pfn,
        node_end_pfn,
    };
    let zones: Vec<Zone> = ZoneType::ALL
        .into_iter()
        .map(|zone_type| {
            let span = setup::zone_span_in_node(&inputs, zone_type);
            let absent = setup::zone_absent_in_node(&inputs, zone_type, &node.memory);
            let (start_pfn, spanned) =
                span.map_or((0, 0), |s| (s.start_pfn, s.end_pfn - s.start_pfn));
            let present = spanned.saturating_sub(absent);
            let managed = managed_pages(
                config,
                id,
                zone_type,
                start_pfn,
                spanned,
                present,
                &node.memory,
            );
            Zone {
                node: id,
                zone_type,
                start_pfn,
                spanned,
                present,
                managed,
                watermark_min: 0,
                watermark_low: 0,
                watermark_high: 0,
                watermark_boost: 0,
                lowmem_reserve: [0; MAX_NR_ZONES],
                pcp_high: 0,
                pcp_high_range: None,
                pcp_batch: 0,
                stat_threshold: 0,
                cma_pages: 0,
            }
        })
        .collect();
    Node {
        id,
        start_pfn: node_start_pfn,
        spanned: node_end_pfn - node_start_pfn,
        present: zones.iter().map(|z| z.present).sum(),
        cpus: node.cpus.clone(),
        zones,
    }
}

/// Managed pages: an imported machine's count where there is one; otherwise present
/// less the memmap (`free_area_init_core()`) less the configured reserved ranges.
fn managed_pages(
    config: &MachineConfig,
    node: u32,
    zone: ZoneType,
    start: u64,
    spanned: u64,
    present: u64,
    memory: &[PfnRange],
) -> u64 {
    if present == 0 {
        return 0;
    }
    if let Some(count) = config
        .managed
        .iter()
        .find(|m| m.node == node && m.zone == zone)
    {
        return count.managed.min(present);
    }
    let end = start + spanned;
    let reserved: u64 = config
        .reserved
        .iter()
        .flat_map(|r| memory.iter().map(move |m| (r, m)))
        .map(|(r, m)| {
            let lo = r.start.max(m.start).max(start);
            let hi = r.end.min(m.end).min(end);
            hi.saturating_sub(lo)
        })
        .sum();
    setup::managed_estimate(spanned, present).saturating_sub(reserved)
}

/// `dma_reserve` as `memblock_find_dma_reserve()` finds it: pages of memory below
/// 16 MiB that are reserved (here: the configured reserved ranges).
pub fn dma_reserve(config: &MachineConfig) -> u64 {
    let limit = setup::MAX_DMA_PFN;
    config
        .nodes
        .iter()
        .flat_map(|n| n.memory.iter())
        .flat_map(|m| config.reserved.iter().map(move |r| (m, r)))
        .map(|(m, r)| {
            let lo = m.start.max(r.start);
            let hi = m.end.min(r.end).min(limit);
            hi.saturating_sub(lo)
        })
        .sum()
}

/// `range` minus every range of `holes`.
pub(crate) fn subtract_all(range: PfnRange, holes: &[PfnRange]) -> Vec<PfnRange> {
    let mut pieces = vec![range];
    for hole in holes {
        pieces = pieces
            .into_iter()
            .flat_map(|r| {
                if hole.end <= r.start || hole.start >= r.end {
                    vec![r]
                } else {
                    [
                        PfnRange {
                            start: r.start,
                            end: hole.start,
                        },
                        PfnRange {
                            start: hole.end,
                            end: r.end,
                        },
                    ]
                    .into_iter()
                    .filter(|p| p.start < p.end)
                    .collect()
                }
            })
            .collect();
    }
    pieces
}

/// Present sparsemem sections: every section that a memory range touches, with its
/// node (the node of the first range in it, as `memory_present()` records it).
fn sections(config: &MachineConfig) -> Vec<Section> {
    let shift = u32::from(config.section_size_bits) - 12;
    let pages_per_section = 1u64 << shift;
    let mut sections: Vec<Section> = Vec::new();
    let mut ranges: Vec<(PfnRange, u32)> = config
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(id, n)| n.memory.iter().map(move |r| (*r, id as u32)))
        .collect();
    crate::types::sort::sort(&mut ranges);
    for (range, node) in ranges {
        let mut number = range.start >> shift;
        while number << shift < range.end {
            let start_pfn = number << shift;
            let end_pfn = start_pfn + pages_per_section;
            let overlap = range.end.min(end_pfn) - range.start.max(start_pfn);
            match sections.last_mut() {
                Some(last) if last.number == number => last.present_pages += overlap,
                _ => sections.push(Section {
                    number,
                    node,
                    start_pfn,
                    end_pfn,
                    present_pages: overlap,
                }),
            }
            number += 1;
        }
    }
    sections
}
