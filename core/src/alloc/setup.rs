//! Building the run-time allocator from a booted machine, and what changes its
//! settings afterwards: sysctl writes (recomputing what the kernel's handlers
//! recompute) and the current CPU.

use std::collections::VecDeque;
use std::rc::Rc;

use super::*;
use crate::error::EngineError;
use crate::types::ZoneType;

impl Allocator {
    /// The allocator right after boot on `machine`: the boot free lists, empty
    /// per-cpu lists with the machine's batch and high, the free-page counters folded,
    /// kswapd asleep. Operations run on the boot CPU.
    pub fn from_machine(machine: &crate::machine::Machine) -> Result<Allocator, EngineError> {
        // Every copy of the state carries every pageset: checked before any is made.
        let populated = machine.zones().filter(|z| z.present > 0).count() as u64;
        let cpus = machine.online_cpus.len() as u64;
        if populated.saturating_mul(cpus) > crate::limits::PCP_SETS_MAX {
            return Err(EngineError::TooManyPagesets {
                cpus,
                zones: populated,
                limit: crate::limits::PCP_SETS_MAX,
            });
        }
        let memory = crate::machine::boot::boot_free_lists(machine)?;
        let mut zones = Vec::new();
        for zone_memory in memory {
            let Some(zone) = machine.zone(zone_memory.node, zone_memory.zone) else {
                continue;
            };
            let free = zone_memory.buddy.free_pages() as i64;
            // 6.12 starts each CPU's `high` at 0 (the boot pageset's value) and tunes
            // it between high_min and high_max from the first allocation on.
            let (high, high_max, tuning) = match zone.pcp_high_range {
                Some((high_min, high_max)) => (
                    0,
                    high_max,
                    Some(PcpTuning {
                        high_min,
                        high_max,
                        ..PcpTuning::default()
                    }),
                ),
                None => (zone.pcp_high, zone.pcp_high, None),
            };
            let mut buddy = zone_memory.buddy;
            buddy.set_kernel(machine.config.kernel);
            // build_all_zonelists() runs after memmap_init() made the pageblocks
            // Movable and before memblock_free_all(): the free pages already sit on
            // Movable lists when the flag is set.
            buddy.set_mobility_disabled(machine.page_group_by_mobility_disabled());
            zones.push(ZoneState {
                recorder: Default::default(),
                nid: zone.node,
                zone: zone.zone_type,
                buddy,
                spanned: zone.spanned,
                present: zone.present,
                managed: zone.managed,
                watermark: [zone.watermark_min, zone.watermark_low, zone.watermark_high],
                watermark_boost: 0,
                nr_reserved_highatomic: 0,
                flags: 0,
                nr_isolate_pageblock: 0,
                percpu_drift_mark: 0,
                pageset_high: zone.pcp_high,
                pageset_high_max: high_max,
                pageset_batch: zone.pcp_batch,
                nr_free_highatomic: 0,
                lowmem_reserve: zone.lowmem_reserve,
                free_pages_global: free,
                cpu_stats: machine
                    .online_cpus
                    .iter()
                    .map(|&cpu| CpuStat {
                        cpu,
                        diff: 0,
                        threshold: zone.stat_threshold as i64,
                    })
                    .collect(),
                pcps: machine
                    .online_cpus
                    .iter()
                    .map(|&cpu| Pcp {
                        cpu,
                        count: 0,
                        high,
                        batch: zone.pcp_batch,
                        free_factor: 0,
                        expire: 0,
                        lists: vec![VecDeque::new(); NR_PCP_LISTS],
                        tuning,
                    })
                    .collect(),
            });
        }
        let nodes = machine
            .nodes
            .iter()
            .map(|node| {
                let lists = machine.zonelists.iter().find(|l| l.node == node.id);
                let refs =
                    |pick: fn(&crate::machine::NodeZonelists) -> &Vec<crate::machine::ZoneRef>| {
                        lists
                            .map(|l| pick(l).iter().map(|r| (r.node, r.zone)).collect())
                            .unwrap_or_default()
                    };
                NodeState {
                    nid: node.id,
                    start_pfn: node.start_pfn,
                    spanned: node.spanned,
                    present: node.present,
                    kswapd_order: 0,
                    kswapd_highest_zoneidx: KSWAPD_IDLE_ZONEIDX,
                    kswapd_failures: 0,
                    kswapd_woken: false,
                    cpus: node.cpus.clone(),
                    fallback: refs(|l| &l.general),
                    nofallback: refs(|l| &l.thisnode),
                }
            })
            .collect();
        Ok(Allocator {
            kernel: machine.config.kernel,
            nodes,
            zones,
            cpu: 0,
            online_cpus: machine.online_cpus.clone(),
            watermark_boost_factor: machine.config.sysctls.watermark_boost_factor,
            lru: reclaim::Lru::default(),
            swap: false,
            cma: machine.cma.is_some(),
            mobility_disabled: machine.page_group_by_mobility_disabled(),
            machine: Some(std::rc::Rc::new(machine.clone())),
            offline_sections: Vec::new(),
            zonelist_indexes: Vec::new(),
            vm_events: super::vmstat::VmEvents::default(),
            recorder: crate::buddy::journal::Recorder::default(),
        }
        .with_zonelist_indexes())
    }

    /// Builds [`Allocator::zonelist_indexes`] from the nodes' zonelists; call after
    /// they change.
    pub fn index_zonelists(&mut self) {
        let index = |list: &[(u32, ZoneType)]| -> Rc<[usize]> {
            list.iter()
                .filter_map(|&(nid, zone)| self.zone_index(nid, zone))
                .collect()
        };
        self.zonelist_indexes = self
            .nodes
            .iter()
            .map(|n| (index(&n.fallback), index(&n.nofallback)))
            .collect();
    }

    pub(crate) fn with_zonelist_indexes(mut self) -> Allocator {
        self.index_zonelists();
        self
    }

    /// Bytes of heap the allocator holds, measured from its zones' allocations (the
    /// per-page state dominates).
    pub fn heap_bytes(&self) -> usize {
        self.zones
            .iter()
            .map(|z| z.buddy.heap_bytes())
            .sum::<usize>()
            + self.lru.heap_bytes()
    }

    /// Writes a sysctl (see [`crate::machine::Machine::set_sysctl`]) and takes over
    /// what the kernel recomputes: watermarks (the boost back to 0), lowmem_reserve,
    /// every CPU's pageset high and batch, and watermark_boost_factor.
    pub fn set_sysctl(&mut self, name: &str, value: &str) -> Result<(), EngineError> {
        let Some(machine) = self.machine.as_mut().map(std::rc::Rc::make_mut) else {
            return Err(EngineError::NoMachine);
        };
        machine
            .set_sysctl(name, value)
            .map_err(|e| EngineError::Sysctl { message: e.message })?;
        // setup_per_zone_wmarks() runs for these writes, and zeroes every boost.
        let rewatermarks = matches!(name, "min_free_kbytes" | "watermark_scale_factor")
            || (name == "thp" && value.trim() != "never");
        self.take_zone_settings(rewatermarks);
        Ok(())
    }

    /// Takes over the machine's watermarks (zeroing every boost if `rewatermarks`),
    /// lowmem_reserve, pageset high and batch, stat thresholds and
    /// watermark_boost_factor after the machine recomputed them.
    pub(super) fn take_zone_settings(&mut self, rewatermarks: bool) {
        let Some(machine) = self.machine.as_ref() else {
            return;
        };
        self.watermark_boost_factor = machine.config.sysctls.watermark_boost_factor;
        for zone in &mut self.zones {
            let Some(source) = machine.zone(zone.nid, zone.zone) else {
                continue;
            };
            zone.watermark = [
                source.watermark_min,
                source.watermark_low,
                source.watermark_high,
            ];
            if rewatermarks {
                zone.watermark_boost = 0;
            }
            zone.lowmem_reserve = source.lowmem_reserve;
            zone.pageset_high = source.pcp_high;
            zone.pageset_batch = source.pcp_batch;
            match source.pcp_high_range {
                // 6.12's sysctl handlers set each CPU's high_min, high_max and batch
                // (`pageset_update()`); `high` itself is clamped into the new range at
                // the next use.
                Some((high_min, high_max)) => {
                    zone.pageset_high_max = high_max;
                    for pcp in &mut zone.pcps {
                        pcp.batch = source.pcp_batch;
                        if let Some(t) = pcp.tuning.as_mut() {
                            t.high_min = high_min;
                            t.high_max = high_max;
                        }
                    }
                }
                None => {
                    zone.pageset_high_max = source.pcp_high;
                    for pcp in &mut zone.pcps {
                        pcp.high = source.pcp_high;
                        pcp.batch = source.pcp_batch;
                    }
                }
            }
            for stat in &mut zone.cpu_stats {
                stat.threshold = source.stat_threshold as i64;
            }
        }
    }

    /// Runs the next operations on `cpu`.
    pub fn set_cpu(&mut self, cpu: u32) -> Result<(), EngineError> {
        if !self.online_cpus.contains(&cpu) {
            return Err(EngineError::NoSuchCpu { cpu });
        }
        self.cpu = cpu;
        Ok(())
    }
}
