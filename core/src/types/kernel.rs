//! Which Linux release's rules a machine follows.

use core::fmt;

/// The kernel a machine runs: its boot-time setup and its allocation and free paths
/// follow that release. Where the two differ, the engine takes a named branch at the
/// point of difference (docs/allocator.md and docs/machine-model.md list them all).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Linux 6.1, the reference kernel (Debian 12's `6.1.0-*`).
    #[default]
    V6_1,
    /// Linux 6.12 (Debian's `6.12.95+deb12`, bookworm-backports).
    V6_12,
}

impl Kernel {
    /// Every kernel, oldest first.
    pub const ALL: [Kernel; 2] = [Kernel::V6_1, Kernel::V6_12];

    /// The version as a scenario and `--kernel` write it: `6.1`, `6.12`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::V6_1 => "6.1",
            Kernel::V6_12 => "6.12",
        }
    }

    /// The upstream tag of the release Debian's source package is (the fixtures'
    /// kernels: Debian 6.1.192 and 6.12.95), as Elixir names it: `v6.1.192`.
    pub fn tag(self) -> &'static str {
        match self {
            Kernel::V6_1 => "v6.1.192",
            Kernel::V6_12 => "v6.12.95",
        }
    }

    /// Reads `6.1` or `6.12`; anything else is refused with a message naming it.
    pub fn parse(text: &str) -> Result<Kernel, String> {
        let trimmed = text.trim();
        Kernel::ALL
            .into_iter()
            .find(|k| k.name() == trimmed)
            .ok_or_else(|| {
                let shown: String = trimmed.chars().take(40).collect();
                format!("unknown kernel version `{shown}`: the model knows 6.1 and 6.12")
            })
    }

    /// What the model does not do for this kernel, for a warning wherever a machine
    /// on it is run or shown; `None` for 6.1, which is modelled whole.
    pub fn partial_model_note(self) -> Option<&'static str> {
        match self {
            Kernel::V6_1 => None,
            Kernel::V6_12 => Some(
                "kernel 6.12: boot-time setup, allocation and free follow Linux 6.12; not yet 6.12's: \
                 decay_pcp_high() (the vmstat worker's once-a-second decay of per-cpu high: the model has \
                 no clock), and the reduced reclaim, compaction, OOM, contiguous-range and hotplug paths and \
                 the kmem trace replay's follow mode, which keep Linux 6.1's rules",
            ),
        }
    }

    /// The kernel whose rules apply to a release `major.minor`: 6.12 for 6.12, 6.1
    /// for everything else (the caller notes when that is not the machine's kernel).
    pub fn from_version(version: (u32, u32)) -> Kernel {
        if version == (6, 12) {
            Kernel::V6_12
        } else {
            Kernel::V6_1
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_refused() {
        assert_eq!(Kernel::parse("6.12"), Ok(Kernel::V6_12));
        assert_eq!(Kernel::parse(" 6.1 "), Ok(Kernel::V6_1));
        let err = Kernel::parse("6.6").unwrap_err();
        assert!(
            err.contains("`6.6`") && err.contains("6.1 and 6.12"),
            "{err}"
        );
        assert_eq!(Kernel::from_version((6, 12)), Kernel::V6_12);
        assert_eq!(Kernel::from_version((6, 1)), Kernel::V6_1);
        assert_eq!(Kernel::from_version((5, 15)), Kernel::V6_1);
    }
}
