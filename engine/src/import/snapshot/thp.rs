//! The transparent hugepage mode: the sysfs file, else what the kernel would have set
//! at boot.

use super::cmdline::CmdlineParams;
use super::sections::Sections;
use super::version::KernelVersion;
use super::{SnapshotError, THP_ENABLED};
use crate::machine::{ManagedCount, NodeConfig, ThpMode};
use crate::text::shorten;
use crate::types::PAGE_SIZE_BYTES;

/// The kernel turns transparent hugepages off at boot on machines with less than
/// this much RAM (`hugepage_init()`: `totalram_pages() < 512 << (20 - PAGE_SHIFT)`).
const THP_MIN_RAM_PAGES: u64 = (512 << 20) / PAGE_SIZE_BYTES;

pub(super) fn thp_mode(
    sections: &Sections<'_>,
    cmdline: &CmdlineParams,
    nodes: &[NodeConfig],
    managed: &[ManagedCount],
    kernel: Option<&KernelVersion>,
    notes: &mut Vec<String>,
) -> Result<ThpMode, SnapshotError> {
    if let Some(section) = sections.one(THP_ENABLED)? {
        let expected = "expected the three modes with the active one in brackets, like `[always] madvise never`";
        let Some((number, text)) = section.single_line()? else {
            return Err(SnapshotError::in_section(
                THP_ENABLED,
                section.header_line(),
                format!("the section is empty; {expected}"),
            ));
        };
        let word = text
            .split_once('[')
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(word, _)| word.trim());
        return match word {
            Some("always") => Ok(ThpMode::Always),
            Some("madvise") => Ok(ThpMode::Madvise),
            Some("never") => Ok(ThpMode::Never),
            _ => Err(SnapshotError::in_section(
                THP_ENABLED,
                Some(number),
                format!("{expected}; found `{}`", shorten(text)),
            )),
        };
    }
    // What the kernel would have set at boot: the command line, else the build-time
    // default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS or _MADVISE), then hugepage_init()
    // turns THP off on a machine with less than 512 MiB. Both build defaults enable
    // THP, which is all the model's setup reads (khugepaged's min_free_kbytes).
    let (mode, why) = match cmdline.thp {
        Some(mode) => (
            mode,
            format!(
                "`transparent_hugepage={}` in {}",
                mode.name(),
                cmdline.source
            ),
        ),
        None => (ThpMode::Always, build_default(kernel)),
    };
    let (pages, counted) = if managed.is_empty() {
        let present = nodes
            .iter()
            .flat_map(|node| node.memory.iter())
            .fold(0u64, |sum, range| sum.saturating_add(range.pages()));
        (
            present,
            "present pages (no zoneinfo, so managed pages are unknown)",
        )
    } else {
        (
            managed
                .iter()
                .fold(0u64, |sum, count| sum.saturating_add(count.managed)),
            "managed pages",
        )
    };
    if pages < THP_MIN_RAM_PAGES && mode != ThpMode::Never {
        notes.push(format!(
            "no `{THP_ENABLED}` section: THP taken as `never`: {why} would give `{}`, but the kernel turns THP off \
             at boot with less than 512 MiB of RAM (hugepage_init()), and this machine has {} MiB of {counted}",
            mode.name(),
            (pages * PAGE_SIZE_BYTES) >> 20
        ));
        return Ok(ThpMode::Never);
    }
    notes.push(format!(
        "no `{THP_ENABLED}` section: THP taken as `{}`, from {why}",
        mode.name()
    ));
    Ok(mode)
}

/// Where the THP mode comes from when nothing sets it: the kernel's build default,
/// named after the distribution only when the `Linux version` line names one.
/// Debian's kernels are built with CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS (the oracle
/// fixtures show `[always]`); other distributions' defaults are not known here.
fn build_default(kernel: Option<&KernelVersion>) -> String {
    match kernel.and_then(|kernel| kernel.distribution) {
        Some("Debian") => "Debian's build default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS)".to_string(),
        Some(name) => format!(
            "{name}'s kernel build default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS or _MADVISE), unknown here; \
             assumed `always` (either one enables THP, which is all the model's setup reads)"
        ),
        None => "the kernel's build default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS or _MADVISE), unknown here; \
                 assumed `always` (either one enables THP, which is all the model's setup reads)"
            .to_string(),
    }
}
