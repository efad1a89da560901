//! Which snapshot section a file is, by its path: a sosreport (or a directory laid
//! out like one: `proc/zoneinfo`, `sys/devices/system/node/node0/distance`,
//! `sos_commands/kernel/dmesg`, ...), or a file named after the /proc or /sys file it
//! holds. Paths are relative, with `/` or `\` between folders; a leading folder (the
//! sosreport's own name) and a `.gz` ending are allowed.

use super::{
    CMDLINE, CPU_ONLINE, NODE_DIR, SYSCTL_LRR, SYSCTL_MIN_FREE, SYSCTL_PHF, SYSCTL_WBF, SYSCTL_WSF,
    THP_ENABLED, ZONEINFO,
};
use crate::text::parse_decimal;

pub(super) const BUDDYINFO: &str = "/proc/buddyinfo";
pub(super) const PAGETYPEINFO: &str = "/proc/pagetypeinfo";

/// What a path says a file is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PathRole {
    /// The section `/proc/...` or `/sys/...` of a snapshot.
    Section(String),
    /// A dmesg; the lower the number, the more it is preferred (the kernel's ring
    /// buffer as sos saved it, then the boot-time copy, then the journal).
    Dmesg(u8),
    /// `numactl -H` output.
    Numactl,
    /// `sysctl -a` output (sos saves it as `sos_commands/kernel/sysctl_-a`): the
    /// `vm.*` sysctls the model reads.
    SysctlAll,
    /// A path that says nothing Buddyscope reads.
    Unknown,
}

/// The files Buddyscope reads from a sosreport directory, relative to its root (the
/// node folders are found by listing `sys/devices/system/node`).
pub const SOSREPORT_FILES: &[&str] = &[
    "proc/zoneinfo",
    "proc/cmdline",
    "proc/buddyinfo",
    "proc/pagetypeinfo",
    "proc/sys/vm/min_free_kbytes",
    "proc/sys/vm/watermark_scale_factor",
    "proc/sys/vm/watermark_boost_factor",
    "proc/sys/vm/lowmem_reserve_ratio",
    "proc/sys/vm/percpu_pagelist_high_fraction",
    "sys/kernel/mm/transparent_hugepage/enabled",
    "sys/devices/system/cpu/online",
    "sos_commands/kernel/dmesg",
    "sos_commands/kernel/dmesg_-T",
    "sos_commands/kernel/sysctl_-a",
    "var/log/dmesg",
    "sos_commands/logs/journalctl_--no-pager_--boot",
    "sos_commands/numa/numactl_-H",
    "sos_commands/numa/numactl_--hardware",
];

/// Whether the path names a file Buddyscope reads (a /proc or /sys file of a
/// snapshot, a sosreport's dmesg or numactl output), so a folder picked whole needs
/// only these files loaded.
pub fn is_read_path(path: &str) -> bool {
    path_role(path) != PathRole::Unknown
}

/// The role of the file at `path`.
pub(super) fn path_role(path: &str) -> PathRole {
    let path = path.replace('\\', "/");
    let path = path.strip_suffix(".gz").unwrap_or(&path);
    let parts: Vec<&str> = path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    let tail = |from: usize| parts.get(from..).map(|rest| rest.join("/"));
    for (index, part) in parts.iter().enumerate() {
        match *part {
            "proc" | "sys" => {
                if let Some(source) = tail(index).map(|rest| format!("/{rest}")) {
                    if is_known_source(&source) {
                        return PathRole::Section(source);
                    }
                }
            }
            "sos_commands" => {
                let rest = tail(index + 1).unwrap_or_default();
                if let Some(name) = rest.strip_prefix("kernel/") {
                    if name.starts_with("dmesg") {
                        return PathRole::Dmesg(1);
                    }
                    if name == "sysctl_-a" {
                        return PathRole::SysctlAll;
                    }
                }
                if let Some(name) = rest.strip_prefix("logs/") {
                    if name.starts_with("journalctl_--no-pager_--boot")
                        || name.starts_with("journalctl_--no-pager_--catalog_--boot")
                    {
                        return PathRole::Dmesg(3);
                    }
                }
                if let Some(name) = rest.strip_prefix("numa/") {
                    if name == "numactl_-H" || name == "numactl_--hardware" {
                        return PathRole::Numactl;
                    }
                }
                return PathRole::Unknown;
            }
            "var" if tail(index).as_deref() == Some("var/log/dmesg") => return PathRole::Dmesg(2),
            _ => {}
        }
    }
    PathRole::Unknown
}

/// The `vm.*` sysctls the model reads, as `sysctl -a` names them, and their files.
pub(super) const VM_SYSCTLS: [(&str, &str); 5] = [
    ("vm.min_free_kbytes", SYSCTL_MIN_FREE),
    ("vm.watermark_scale_factor", SYSCTL_WSF),
    ("vm.watermark_boost_factor", SYSCTL_WBF),
    ("vm.lowmem_reserve_ratio", SYSCTL_LRR),
    ("vm.percpu_pagelist_high_fraction", SYSCTL_PHF),
];

/// Whether the text is `sysctl -a` output (it has `vm.NAME = VALUE` lines).
pub(super) fn is_sysctl_all(text: &str) -> bool {
    text.lines().any(|line| {
        line.split_once(" = ")
            .is_some_and(|(key, _)| VM_SYSCTLS.iter().any(|(name, _)| *name == key.trim()))
    })
}

/// Whether `source` is a section the snapshot reader uses (or checks).
fn is_known_source(source: &str) -> bool {
    const FIXED: &[&str] = &[
        CMDLINE,
        ZONEINFO,
        BUDDYINFO,
        PAGETYPEINFO,
        THP_ENABLED,
        CPU_ONLINE,
        SYSCTL_MIN_FREE,
        SYSCTL_WSF,
        SYSCTL_WBF,
        SYSCTL_LRR,
        SYSCTL_PHF,
    ];
    if FIXED.contains(&source) {
        return true;
    }
    source
        .strip_prefix(NODE_DIR)
        .and_then(|rest| {
            rest.strip_suffix("/distance")
                .or_else(|| rest.strip_suffix("/cpulist"))
        })
        .is_some_and(|number| parse_decimal(number).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sosreport_paths() {
        assert_eq!(
            path_role("sosreport-host-2026-12-06/proc/zoneinfo"),
            PathRole::Section("/proc/zoneinfo".into())
        );
        assert_eq!(
            path_role("sys\\devices\\system\\node\\node1\\distance"),
            PathRole::Section("/sys/devices/system/node/node1/distance".into())
        );
        assert_eq!(path_role("sos_commands/kernel/dmesg"), PathRole::Dmesg(1));
        assert_eq!(path_role("./var/log/dmesg.gz"), PathRole::Dmesg(2));
        assert_eq!(path_role("sos_commands/numa/numactl_-H"), PathRole::Numactl);
        assert_eq!(
            path_role("sos_commands/kernel/sysctl_-a"),
            PathRole::SysctlAll
        );
        assert_eq!(path_role("proc/meminfo"), PathRole::Unknown);
        assert_eq!(path_role("zoneinfo"), PathRole::Unknown);
    }
}
