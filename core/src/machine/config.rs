//! What a user (or a snapshot) says about a machine, before the kernel's boot-time
//! setup runs on it. Plain data; [`super::Machine::build`] turns it into zones,
//! watermarks and zonelists.

use crate::text::{format_size, memparse, shorten, strtoull};
use crate::types::{Kernel, PfnRange, ZoneType, MAX_NR_ZONES};

/// `kernelcore=` or `movablecore=`: an amount of memory or a percentage of it
/// (`cmdline_parse_core()`). `kernelcore=mirror` is not modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreSize {
    /// A size in bytes (`kernelcore=512M`).
    Bytes(u64),
    /// A percentage of total memory, 0-100 (`movablecore=25%`).
    Percent(u8),
}

/// `/sys/kernel/mm/transparent_hugepage/enabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThpMode {
    Always,
    Madvise,
    Never,
}

impl ThpMode {
    /// `hugepage_flags_enabled()`: khugepaged runs, and raises min_free_kbytes, unless
    /// THP is `never`.
    pub fn enabled(self) -> bool {
        self != ThpMode::Never
    }

    /// The word the sysfs file shows in brackets.
    pub fn name(self) -> &'static str {
        match self {
            ThpMode::Always => "always",
            ThpMode::Madvise => "madvise",
            ThpMode::Never => "never",
        }
    }
}

/// The `vm.*` sysctls that shape zones. Defaults are the kernel's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sysctls {
    /// `vm.min_free_kbytes`; `None` lets the kernel compute it
    /// (`calculate_min_free_kbytes()`, then khugepaged's recommended minimum).
    pub min_free_kbytes: Option<u64>,
    /// `vm.watermark_scale_factor`, in 1/10000 of managed pages (default 10).
    pub watermark_scale_factor: u32,
    /// `vm.watermark_boost_factor` (default 15000).
    pub watermark_boost_factor: u32,
    /// `vm.lowmem_reserve_ratio` per zone type (default 256 256 32 0 0).
    pub lowmem_reserve_ratio: [u32; MAX_NR_ZONES],
    /// `vm.percpu_pagelist_high_fraction` (default 0: derive pcp high from the low
    /// watermark).
    pub percpu_pagelist_high_fraction: u32,
}

impl Default for Sysctls {
    fn default() -> Sysctls {
        Sysctls {
            min_free_kbytes: None,
            watermark_scale_factor: 10,
            watermark_boost_factor: 15000,
            lowmem_reserve_ratio: [256, 256, 32, 0, 0],
            percpu_pagelist_high_fraction: 0,
        }
    }
}

/// One NUMA node as configured: its memory (holes between ranges allowed) and CPUs.
/// A node may have memory and no CPUs, or CPUs and no memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeConfig {
    /// Usable memory, as the firmware map reports it (memblock.memory), sorted,
    /// not overlapping.
    pub memory: Vec<PfnRange>,
    /// CPU numbers on this node. CPU 0 is the boot CPU.
    pub cpus: Vec<u32>,
}

/// Managed pages of one zone, taken from a real machine's /proc/zoneinfo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManagedCount {
    pub node: u32,
    pub zone: ZoneType,
    pub managed: u64,
}

/// A whole machine as configured.
#[derive(Clone, PartialEq, Eq)]
pub struct MachineConfig {
    /// Nodes by id: `nodes[0]` is node 0.
    pub nodes: Vec<NodeConfig>,
    /// The SLIT distance matrix, `distances[from][to]`; `None` when the machine has
    /// no SLIT (every remote distance is then 20).
    pub distances: Option<Vec<Vec<u32>>>,
    /// `SECTION_SIZE_BITS` (27 on x86_64: 128 MiB sections).
    pub section_size_bits: u8,
    pub kernelcore: Option<CoreSize>,
    pub movablecore: Option<CoreSize>,
    pub thp: ThpMode,
    pub sysctls: Sysctls,
    /// Memory the firmware reports but the kernel keeps for itself in this model
    /// (memblock reservations); not managed by the buddy allocator.
    pub reserved: Vec<PfnRange>,
    /// Managed counts of an imported machine; when present they replace the
    /// present-minus-memmap-minus-reserved estimate for those zones.
    pub managed: Vec<ManagedCount>,
    /// `cma=SIZE` on a kernel built with CONFIG_CMA, in bytes. The reference kernel
    /// has no CMA; a scenario that sets this models a kernel that does.
    pub cma_bytes: Option<u64>,
    /// `movable_node` on the command line, with the memory the firmware (ACPI SRAT)
    /// marks hotpluggable: `Some(ranges)` makes ZONE_MOVABLE start on each node at
    /// its lowest hotpluggable memory (the `movable_node_is_enabled()` branch of
    /// `find_zone_movable_pfns_for_nodes()`), and kernelcore=/movablecore= are
    /// ignored. `None` (the default): no `movable_node`.
    pub movable_node: Option<Vec<PfnRange>>,
    /// The kernel whose rules apply, at boot and at run time (default 6.1).
    pub kernel: Kernel,
    /// The model's switch for grouping pages by mobility (`page_group_by_mobility_disabled`):
    /// `None` (the default) lets `build_all_zonelists()` decide from the machine's size
    /// as the kernel does; `Some(false)` turns grouping off on a machine where the
    /// kernel would keep it on. Real kernels have no such knob. `Some(true)` only
    /// restates the kernel's decision and is refused on a machine too small for it.
    pub mobility_grouping: Option<bool>,
}

/// Written by hand so that a machine without `movable_node`, on 6.1, prints exactly as it did
/// before the field existed: run digests hash this text.
impl core::fmt::Debug for MachineConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut out = f.debug_struct("MachineConfig");
        out.field("nodes", &self.nodes)
            .field("distances", &self.distances)
            .field("section_size_bits", &self.section_size_bits)
            .field("kernelcore", &self.kernelcore)
            .field("movablecore", &self.movablecore)
            .field("thp", &self.thp)
            .field("sysctls", &self.sysctls)
            .field("reserved", &self.reserved)
            .field("managed", &self.managed)
            .field("cma_bytes", &self.cma_bytes);
        if let Some(ranges) = &self.movable_node {
            out.field("movable_node", ranges);
        }
        // Like movable_node: a 6.1 machine prints as it did before the field existed.
        if self.kernel != Kernel::V6_1 {
            out.field("kernel", &self.kernel);
        }
        // Like movable_node: a machine that leaves the decision to the kernel prints
        // as it did before the switch existed.
        if let Some(grouping) = self.mobility_grouping {
            out.field("mobility_grouping", &grouping);
        }
        out.finish()
    }
}

impl Default for MachineConfig {
    /// One node with 512 MiB at pfn 0x1000-ish like a small QEMU guest, two CPUs.
    fn default() -> MachineConfig {
        MachineConfig {
            nodes: vec![NodeConfig {
                memory: vec![
                    PfnRange {
                        start: 0x1,
                        end: 0x9f,
                    },
                    PfnRange {
                        start: 0x100,
                        end: 0x1ffe0,
                    },
                ],
                cpus: vec![0, 1],
            }],
            distances: None,
            section_size_bits: 27,
            kernelcore: None,
            movablecore: None,
            thp: ThpMode::Always,
            sysctls: Sysctls::default(),
            reserved: Vec::new(),
            managed: Vec::new(),
            cma_bytes: None,
            movable_node: None,
            kernel: Kernel::V6_1,
            mobility_grouping: None,
        }
    }
}

/// `cmdline_parse_core()`: a percentage (`25%`) or a `memparse()` size, and the rest
/// of the text (which the kernel ignores).
pub fn parse_core_size_lenient(text: &str) -> Result<(CoreSize, &str), String> {
    let (number, rest) = strtoull(text).map_err(|why| {
        format!("{why}; expected a size like `512M` or a percentage of memory like `25%`")
    })?;
    if let Some(rest) = rest.strip_prefix('%') {
        let percent = u8::try_from(number)
            .ok()
            .filter(|&percent| percent <= 100)
            .ok_or_else(|| format!("{number}% is more than 100%"))?;
        return Ok((CoreSize::Percent(percent), rest));
    }
    let (bytes, rest) =
        memparse(text).map_err(|why| format!("{why}; expected a size like `512M`"))?;
    Ok((CoreSize::Bytes(bytes), rest))
}

/// `kernelcore=`/`movablecore=` values: a percentage of memory (`25%`, 0 to 100) or a
/// size (`512M`). The whole text must be the value.
pub fn parse_core_size(text: &str) -> Result<CoreSize, String> {
    let text = text.trim();
    match parse_core_size_lenient(text) {
        Ok((size, "")) => Ok(size),
        Ok((_, rest)) => Err(format!(
            "expected a size like `512M` or a percentage like `25%`; `{}` has `{}` after it",
            shorten(text),
            shorten(rest)
        )),
        Err(why) => Err(format!("`{}`: {why}", shorten(text))),
    }
}

/// Formats a [`CoreSize`] the way [`parse_core_size`] reads it.
pub fn format_core_size(size: CoreSize) -> String {
    match size {
        CoreSize::Bytes(bytes) => format_size(bytes),
        CoreSize::Percent(percent) => format!("{percent}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_sizes() {
        assert_eq!(parse_core_size("25%"), Ok(CoreSize::Percent(25)));
        assert_eq!(parse_core_size("1G"), Ok(CoreSize::Bytes(1 << 30)));
        assert!(parse_core_size("101%").is_err());
        assert!(parse_core_size("mirror").is_err());
    }
}
