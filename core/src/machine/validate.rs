//! Checks a [`MachineConfig`] before the boot-time setup runs on it. Everything the
//! kernel would refuse, or that cannot describe a real machine, is an error naming the
//! field and the problem; the kernel's own fallbacks (an invalid SLIT) are warnings,
//! handled where the kernel handles them.

use crate::limits::{CPUS_MAX, NODES_MAX, PHYS_BOOT_PFNS_MAX, SECTIONS_MAX};
use core::fmt;

use super::config::MachineConfig;
use crate::types::MAX_ORDER;
use crate::types::{PfnRange, MAX_NR_ZONES};

/// Why a machine configuration cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineError {
    pub message: String,
}

impl MachineError {
    pub(crate) fn new(message: impl Into<String>) -> MachineError {
        MachineError {
            message: message.into(),
        }
    }
}

impl fmt::Display for MachineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MachineError {}

/// `MIN_PERCPU_PAGELIST_HIGH_FRACTION`.
pub const MIN_PCP_HIGH_FRACTION: u32 = 8;

/// Checks everything that must hold before the setup can run.
pub fn validate(config: &MachineConfig) -> Result<(), MachineError> {
    validate_nodes(config)?;
    validate_memory(config)?;
    validate_cpus(config)?;
    validate_distances(config)?;
    validate_section_size(config)?;
    validate_sysctls(config)
}

fn validate_nodes(config: &MachineConfig) -> Result<(), MachineError> {
    if config.nodes.is_empty() {
        return Err(MachineError::new(
            "the machine has no nodes: give node 0 some memory and CPU 0",
        ));
    }
    if config.nodes.len() > NODES_MAX {
        return Err(MachineError::new(format!(
            "the machine has {} nodes; Linux 6.1 as Debian builds it supports at most {NODES_MAX}",
            config.nodes.len()
        )));
    }
    for (id, node) in config.nodes.iter().enumerate() {
        if node.memory.is_empty() && node.cpus.is_empty() {
            return Err(MachineError::new(format!(
                "node {id} has no memory and no CPUs: a node needs at least one of them"
            )));
        }
    }
    Ok(())
}

fn validate_memory(config: &MachineConfig) -> Result<(), MachineError> {
    let mut all: Vec<(PfnRange, usize)> = Vec::new();
    for (id, node) in config.nodes.iter().enumerate() {
        for range in &node.memory {
            if range.start >= range.end {
                return Err(MachineError::new(format!(
                    "node {id}: memory range {} is empty or reversed",
                    describe(range)
                )));
            }
            if range.end > PHYS_BOOT_PFNS_MAX {
                return Err(MachineError::new(format!(
                    "node {id}: memory range {} ends beyond 64 TiB, the x86_64 limit with 4-level paging",
                    describe(range)
                )));
            }
            all.push((*range, id));
        }
    }
    if all.is_empty() {
        return Err(MachineError::new("the machine has no memory"));
    }
    crate::types::sort::sort(&mut all);
    for pair in all.windows(2) {
        let [(a, node_a), (b, node_b)] = pair else {
            continue;
        };
        if b.start < a.end {
            return Err(MachineError::new(format!(
                "memory ranges overlap: {} on node {node_a} and {} on node {node_b}",
                describe(a),
                describe(b)
            )));
        }
    }
    for range in &config.reserved {
        if range.start >= range.end {
            return Err(MachineError::new(format!(
                "reserved range {} is empty or reversed",
                describe(range)
            )));
        }
    }
    Ok(())
}

fn validate_cpus(config: &MachineConfig) -> Result<(), MachineError> {
    let mut seen: Vec<(u32, usize)> = Vec::new();
    for (id, node) in config.nodes.iter().enumerate() {
        for &cpu in &node.cpus {
            if cpu >= CPUS_MAX {
                return Err(MachineError::new(format!(
                    "node {id}: CPU {cpu} is beyond the {CPUS_MAX} CPUs the kernel supports"
                )));
            }
            if let Some((_, other)) = seen.iter().find(|(c, _)| *c == cpu) {
                return Err(MachineError::new(format!(
                    "CPU {cpu} is on both node {other} and node {id}"
                )));
            }
            seen.push((cpu, id));
        }
    }
    if !seen.iter().any(|(cpu, _)| *cpu == 0) {
        return Err(MachineError::new("no node has CPU 0, the boot CPU"));
    }
    Ok(())
}

fn validate_distances(config: &MachineConfig) -> Result<(), MachineError> {
    let Some(matrix) = &config.distances else {
        return Ok(());
    };
    let nodes = config.nodes.len();
    if matrix.len() != nodes || matrix.iter().any(|row| row.len() != nodes) {
        let shape: Vec<String> = matrix.iter().map(|row| row.len().to_string()).collect();
        return Err(MachineError::new(format!(
            "the distance matrix must be {nodes} x {nodes} (one row and column per node); it has {} rows of lengths [{}]",
            matrix.len(),
            shape.join(", ")
        )));
    }
    Ok(())
}

fn validate_section_size(config: &MachineConfig) -> Result<(), MachineError> {
    // A section must hold at least one MAX_ORDER block: PAGE_SHIFT + MAX_ORDER - 1.
    let min_bits = 12 + u32::from(MAX_ORDER) - 1;
    let bits = u32::from(config.section_size_bits);
    if bits < min_bits || bits > 46 {
        return Err(MachineError::new(format!(
            "section size 2^{bits} bytes is not allowed: a section must hold a MAX_ORDER block of 4 MiB (SECTION_SIZE_BITS >= {min_bits}) and fit in the 46-bit physical address space"
        )));
    }
    // Memory ranges were checked: non-empty, below 2^34 pfns, disjoint.
    let shift = bits - 12;
    let sections: u64 = config
        .nodes
        .iter()
        .flat_map(|n| n.memory.iter())
        .map(|r| ((r.end - 1) >> shift) - (r.start >> shift) + 1)
        .sum();
    if sections > SECTIONS_MAX {
        return Err(MachineError::new(format!(
            "the memory spreads over {sections} sections of 2^{bits} bytes; at most {SECTIONS_MAX} (64 TiB in 128 MiB sections): use a larger section_size_bits"
        )));
    }
    Ok(())
}

fn validate_sysctls(config: &MachineConfig) -> Result<(), MachineError> {
    let sysctls = &config.sysctls;
    if let Some(kbytes) = sysctls.min_free_kbytes {
        if kbytes > i32::MAX as u64 {
            return Err(MachineError::new(format!(
                "vm.min_free_kbytes = {kbytes} does not fit the kernel's int"
            )));
        }
    }
    if !(1..=3000).contains(&sysctls.watermark_scale_factor) {
        return Err(MachineError::new(format!(
            "vm.watermark_scale_factor = {} is outside 1..3000, which the kernel refuses",
            sysctls.watermark_scale_factor
        )));
    }
    if sysctls.watermark_boost_factor > i32::MAX as u32 {
        return Err(MachineError::new(
            "vm.watermark_boost_factor does not fit the kernel's int",
        ));
    }
    if sysctls.percpu_pagelist_high_fraction != 0
        && sysctls.percpu_pagelist_high_fraction < MIN_PCP_HIGH_FRACTION
    {
        return Err(MachineError::new(format!(
            "vm.percpu_pagelist_high_fraction = {} is refused by the kernel: use 0 or at least {MIN_PCP_HIGH_FRACTION}",
            sysctls.percpu_pagelist_high_fraction
        )));
    }
    if sysctls.lowmem_reserve_ratio.len() != MAX_NR_ZONES {
        return Err(MachineError::new("vm.lowmem_reserve_ratio needs 5 values"));
    }
    Ok(())
}

fn describe(range: &PfnRange) -> String {
    format!(
        "[mem {:#x}-{:#x}]",
        range.start.saturating_mul(4096),
        range.end.saturating_mul(4096).saturating_sub(1)
    )
}
