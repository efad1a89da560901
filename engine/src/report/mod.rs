//! Kernel-format text (`/proc/zoneinfo`, buddyinfo, pagetypeinfo, vmstat, debugfs
//! extfrag, the boot log's zonelists), digests of a run, and one scenario's runs on
//! both kernels compared (`kernel_diff`).

pub mod digest;
pub mod extfrag;
pub mod kernel_diff;
pub mod pair;
pub mod proc;
pub mod vmstat;
