//! The transparent hugepage mode: the sysfs file, else what the kernel would have set
//! at boot.

use super::cmdline::CmdlineParams;
use super::sections::Sections;
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
    // default (Debian: CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS), then hugepage_init()
    // turns THP off on a machine with less than 512 MiB.
    let (mode, why) = match cmdline.thp {
        Some(mode) => (
            mode,
            format!(
                "`transparent_hugepage={}` in {}",
                mode.name(),
                cmdline.source
            ),
        ),
        None => (
            ThpMode::Always,
            "Debian's build default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS)".to_string(),
        ),
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
