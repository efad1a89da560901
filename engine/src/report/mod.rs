//! Kernel-format text (`/proc/zoneinfo`, buddyinfo, pagetypeinfo, the boot log's
//! zonelists) and digests of a run.

pub mod digest;
pub mod proc;
