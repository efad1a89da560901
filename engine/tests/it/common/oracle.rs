//! The real 6.1 machines of `engine/tests/data/oracle/` (copies of
//! `../shared/oracle/`), their snapshots as text.

pub const A: &str = include_str!("../../data/oracle/a-1node-512M/machine.snapshot");
pub const B: &str = include_str!("../../data/oracle/b-1node-4G/machine.snapshot");
pub const C: &str = include_str!("../../data/oracle/c-2node-1G-1G/machine.snapshot");
pub const E: &str = include_str!("../../data/oracle/e-1node-2G-wmark-sysctl/machine.snapshot");
pub const N: &str = include_str!("../../data/oracle/n-3node-equal-distance/machine.snapshot");

/// Every machine, with its folder's name.
pub const ALL: [(&str, &str); 5] = [
    ("a-1node-512M", A),
    ("b-1node-4G", B),
    ("c-2node-1G-1G", C),
    ("e-1node-2G-wmark-sysctl", E),
    ("n-3node-equal-distance", N),
];
