//! The kernel a snapshot came from: dmesg's `Linux version X ...` line, the
//! distribution its build string names (if any), and which of the modelled 6.1 rules
//! another version would compute differently.

use super::dmesg::dmesg_message;
use super::sections::Section;
use crate::text::{parse_decimal, shorten};
use crate::types::Kernel;

/// The kernel release of a snapshot, as its `Linux version` line says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelVersion {
    /// The release string, `6.1.0-56-amd64`.
    pub release: String,
    /// Major and minor version read from the release (`(6, 1)`), when it starts with
    /// two numbers.
    pub major_minor: Option<(u32, u32)>,
    /// The distribution the build string names (`Debian`, `Ubuntu`, ...), when it
    /// names one; `None` when the line says nothing of it.
    pub distribution: Option<&'static str>,
}

impl KernelVersion {
    /// Whether this is the modelled Linux 6.1.
    pub fn is_modelled(&self) -> bool {
        self.major_minor == Some(MODELLED)
    }

    /// The kernel whose boot-time rules the machine gets: 6.12 for a 6.12.x release,
    /// 6.1 for anything else (the notes say what then differs).
    pub fn kernel(&self) -> Kernel {
        self.major_minor.map_or(Kernel::V6_1, Kernel::from_version)
    }

    /// `6.1.0-56-amd64 (Debian)`: the release and the distribution, if known.
    pub fn describe(&self) -> String {
        match self.distribution {
            Some(name) => format!("{} ({name})", self.release),
            None => self.release.clone(),
        }
    }
}

/// The kernel the engine models.
const MODELLED: (u32, u32) = (6, 1);

/// Markers of a distribution in the release (`6.12.95+deb12-amd64`, `.el8`, `.fc39`)
/// or the build string after ` #` (`#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2`,
/// `#31-Ubuntu SMP`), checked in this order. The compiler's own string (`gcc-12
/// (Debian 12.2.0-14)`) is not read: a kernel built by hand on Debian is not
/// Debian's kernel.
const DISTRIBUTIONS: [(&str, &str); 6] = [
    ("Debian", "Debian"),
    ("+deb", "Debian"),
    ("Ubuntu", "Ubuntu"),
    (".el", "Red Hat Enterprise Linux (or a rebuild of it)"),
    (".fc", "Fedora"),
    ("SUSE", "SUSE"),
];

/// The `Linux version` line of dmesg, read.
pub(super) fn kernel_version(dmesg: &Section<'_>) -> Option<KernelVersion> {
    dmesg.lines.iter().find_map(|(_, line)| {
        let rest = dmesg_message(line).trim().strip_prefix("Linux version ")?;
        let release = rest.split_whitespace().next().unwrap_or("");
        Some(KernelVersion {
            release: shorten(release),
            major_minor: major_minor(release),
            distribution: distribution(release).or_else(|| {
                rest.find(" #")
                    .and_then(|at| rest.get(at..))
                    .and_then(distribution)
            }),
        })
    })
}

fn major_minor(release: &str) -> Option<(u32, u32)> {
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(parse_decimal);
    let major = numbers.next()??;
    let minor = numbers.next()??;
    Some((u32::try_from(major).ok()?, u32::try_from(minor).ok()?))
}

/// The distribution a release or build string names, by the markers above. `.el` and
/// `.fc` count only when followed by a digit (`.el8`, `.fc39`), `+deb` likewise.
fn distribution(line: &str) -> Option<&'static str> {
    DISTRIBUTIONS.iter().find_map(|&(marker, name)| {
        let found = line.match_indices(marker).any(|(at, _)| {
            let needs_digit = marker.starts_with('.') || marker.starts_with('+');
            !needs_digit
                || line
                    .get(at + marker.len()..)
                    .and_then(|after| after.chars().next())
                    .is_some_and(|c| c.is_ascii_digit())
        });
        found.then_some(name)
    })
}

/// One rule of the model that another kernel version computes differently.
struct Difference {
    /// The difference holds for versions in `[from, to)`.
    from: (u32, u32),
    to: (u32, u32),
    /// What differs, and how it was established.
    rule: &'static str,
}

/// What is known to differ from 6.1. The newer rows were seen on Debian's 6.12.95
/// (the oracle-6.12 and modtrace-6.12 fixtures); the first version that has each is
/// not established here, so they are listed for 6.12 and later, and a kernel between
/// 6.2 and 6.11 gets them as "may have". The older rows are sysctls and rules the
/// older kernels do not have at all.
const DIFFERENCES: [Difference; 7] = [
    Difference {
        from: (6, 12),
        to: (u32::MAX, 0),
        rule: "per-cpu `high` is tuned at run time for each CPU between a high_min and a high_max (zoneinfo \
               shows the current one, different per CPU and per boot); the model's single per-zone `high` from \
               the low watermark does not hold (`batch` is unchanged)",
    },
    Difference {
        from: (6, 12),
        to: (u32::MAX, 0),
        rule: "__setup_per_zone_wmarks() counts ZONE_MOVABLE's pages differently: ZONE_MOVABLE gets much \
               smaller watermarks and the lower zones larger ones than the model computes",
    },
    Difference {
        from: (6, 12),
        to: (u32::MAX, 0),
        rule: "a node without memory is left out of its own fallback order (the model's zonelists keep it)",
    },
    Difference {
        from: (6, 12),
        to: (u32::MAX, 0),
        rule: "the per-cpu lists drain on free in bursts of up to 480 pages (free_high) and refills scale with \
               alloc_factor, and every migratetype fallback claims the block; the boot leaves a different pcp \
               state, so the first allocations return other pfns",
    },
    Difference {
        from: (0, 0),
        to: (5, 14),
        rule: "there is no vm.percpu_pagelist_high_fraction and per-cpu `high` is not derived from the low \
               watermark (that rule came with 5.14); the model's pcp high/batch will differ",
    },
    Difference {
        from: (0, 0),
        to: (5, 0),
        rule: "there is no watermark boosting (vm.watermark_boost_factor came with 5.0): the model still \
               boosts after a fallback, with 6.1's default factor 15000 unless the snapshot sets 0, and that \
               kernel would not",
    },
    Difference {
        from: (0, 0),
        to: (6, 1),
        rule: "buddy orders are the same (MAX_ORDER 11 on x86_64, orders 0-10), but other rules of \
               mm/page_alloc.c changed between this kernel and 6.1 and are not listed here",
    },
];

/// The notes on the kernel version: nothing for 6.1, a note naming what differs for
/// another version, a note when dmesg has no `Linux version` line.
pub(super) fn kernel_version_notes(kernel: Option<&KernelVersion>, notes: &mut Vec<String>) {
    let Some(kernel) = kernel else {
        notes.push(
            "dmesg has no `Linux version` line (it may have wrapped): the kernel is unknown, and the machine is \
             set up by Linux 6.1's rules"
                .to_string(),
        );
        return;
    };
    if kernel.is_modelled() {
        return;
    }
    let Some(version) = kernel.major_minor else {
        notes.push(format!(
            "dmesg says this is Linux {}, a release that does not start with a version number; Buddyscope \
             models Linux 6.1 and cannot tell which of its rules differ there",
            kernel.release
        ));
        return;
    };
    if Kernel::from_version(version) == Kernel::V6_12 {
        // Every row of DIFFERENCES holds for 6.12, and each is modelled for it.
        notes.push(format!(
            "dmesg says this is Linux {} (6.12): the machine follows Linux 6.12's rules at boot (watermarks, \
             pageset high_min/high_max, zonelists) and in allocation and free (per-cpu high tuning, \
             alloc_factor refills, free_high drains, the claim/steal fallback); what it does not model of \
             6.12 is listed where a 6.12 machine is run. Managed counts are copied from the snapshot, so \
             they are this kernel's",
            kernel.release,
        ));
        return;
    }
    let newer = version > MODELLED;
    let rows: Vec<&str> = DIFFERENCES
        .iter()
        .filter(|row| {
            if newer && version < (6, 12) {
                // Between 6.2 and 6.11: the 6.12 rows may or may not hold.
                row.from == (6, 12)
            } else {
                row.from <= version && version < row.to
            }
        })
        .map(|row| row.rule)
        .collect();
    let (major, minor) = version;
    let head = format!(
        "dmesg says this is Linux {} ({major}.{minor}); Buddyscope models Linux 6.1",
        kernel.release
    );
    let list = rows
        .iter()
        .enumerate()
        .map(|(index, rule)| format!("({}) {rule}", index + 1))
        .collect::<Vec<_>>()
        .join("; ");
    let note = if newer && version < (6, 12) {
        format!(
            "{head}. Linux 6.12 differs from 6.1 in these rules, and {major}.{minor} may have some of them (the \
             version that brought each is not checked here): {list}. Managed counts are copied from the snapshot, \
             so they are this kernel's"
        )
    } else if newer {
        format!(
            "{head}. These rules differ (seen on 6.12; later changes are not checked here): {list}. Managed counts \
             are copied from the snapshot, so they are this kernel's"
        )
    } else {
        format!(
            "{head}. These rules differ on upstream {major}.{minor}: {list}. A distribution kernel may carry later \
             changes backported (its /proc/sys/vm files show which sysctls it has)"
        )
    };
    notes.push(note);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_only_when_named() {
        assert_eq!(distribution("6.1.0-56-amd64"), None);
        assert_eq!(
            distribution(" #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)"),
            Some("Debian")
        );
        assert_eq!(distribution("6.12.95+deb12-amd64 (x)"), Some("Debian"));
        assert_eq!(
            distribution("4.18.0-513.5.1.el8_9.x86_64 (mockbuild@x)"),
            Some("Red Hat Enterprise Linux (or a rebuild of it)")
        );
        assert_eq!(distribution("6.5.6-300.fc39.x86_64"), Some("Fedora"));
        assert_eq!(
            distribution(" #31-Ubuntu SMP PREEMPT_DYNAMIC"),
            Some("Ubuntu")
        );
        assert_eq!(
            distribution("6.6.1 (me@host) (gcc 13.1, the.elf linker)"),
            None
        );
        assert_eq!(major_minor("6.12.95+deb12-amd64"), Some((6, 12)));
        assert_eq!(major_minor("4.18.0-513.el8"), Some((4, 18)));
        assert_eq!(major_minor("mainline"), None);
    }
}
