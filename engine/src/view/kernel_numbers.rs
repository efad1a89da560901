//! "The kernel's numbers": the files a kernel prints about its allocator, for the
//! state the page shows at the cursor, as the CLI prints them after a run
//! (`/proc/buddyinfo`, `/proc/pagetypeinfo`, `/proc/zoneinfo`, `/proc/vmstat` and
//! debugfs `extfrag/unusable_index` and `extfrag/extfrag_index`). The page asks for
//! one file at a time, and only while its panel is open.

use crate::alloc::Allocator;
use crate::report::{extfrag, proc, vmstat};

/// One of the files the panel offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelFile {
    Buddyinfo,
    Pagetypeinfo,
    Zoneinfo,
    Vmstat,
    UnusableIndex,
    ExtfragIndex,
}

impl KernelFile {
    /// Every file, in the order the panel lists them.
    pub const ALL: [KernelFile; 6] = [
        KernelFile::Buddyinfo,
        KernelFile::Pagetypeinfo,
        KernelFile::Zoneinfo,
        KernelFile::Vmstat,
        KernelFile::UnusableIndex,
        KernelFile::ExtfragIndex,
    ];

    /// The file's path on a running kernel.
    pub fn path(self) -> &'static str {
        match self {
            KernelFile::Buddyinfo => "/proc/buddyinfo",
            KernelFile::Pagetypeinfo => "/proc/pagetypeinfo",
            KernelFile::Zoneinfo => "/proc/zoneinfo",
            KernelFile::Vmstat => "/proc/vmstat",
            KernelFile::UnusableIndex => "/sys/kernel/debug/extfrag/unusable_index",
            KernelFile::ExtfragIndex => "/sys/kernel/debug/extfrag/extfrag_index",
        }
    }

    /// The short name the panel's selector shows and a link or test can name.
    pub fn name(self) -> &'static str {
        match self {
            KernelFile::Buddyinfo => "buddyinfo",
            KernelFile::Pagetypeinfo => "pagetypeinfo",
            KernelFile::Zoneinfo => "zoneinfo",
            KernelFile::Vmstat => "vmstat",
            KernelFile::UnusableIndex => "extfrag/unusable_index",
            KernelFile::ExtfragIndex => "extfrag/extfrag_index",
        }
    }

    /// The file named `name` (see [`KernelFile::name`]).
    pub fn from_name(name: &str) -> Option<KernelFile> {
        KernelFile::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The text of `file` for `allocator` (the state at the cursor), or why there is
/// none: pagetypeinfo and zoneinfo print the booted machine's zones, which a state
/// loaded from a kernel's dump does not have.
pub fn kernel_file_text(allocator: &Allocator, file: KernelFile) -> Result<String, String> {
    let no_machine = || {
        format!(
            "{} needs the booted machine's zones, and this state was loaded from a kernel's dump, which has none.",
            file.path()
        )
    };
    match file {
        KernelFile::Buddyinfo => Ok(proc::buddyinfo_running(allocator)),
        KernelFile::Pagetypeinfo => proc::pagetypeinfo_running(allocator).ok_or_else(no_machine),
        KernelFile::Zoneinfo => proc::zoneinfo_running(allocator).ok_or_else(no_machine),
        KernelFile::Vmstat => Ok(vmstat::vmstat(allocator)),
        KernelFile::UnusableIndex => Ok(extfrag::unusable_index(allocator)),
        KernelFile::ExtfragIndex => Ok(extfrag::extfrag_index(allocator)),
    }
}
