//! The `/proc/sys/vm` sysctls the allocator reads, each defaulting to the kernel's
//! value when its section is missing.

use super::sections::Sections;
use super::{SnapshotError, SYSCTL_LRR, SYSCTL_MIN_FREE, SYSCTL_PHF, SYSCTL_WBF, SYSCTL_WSF};
use crate::machine::Sysctls;
use crate::text::{parse_decimal, shorten};

pub(super) fn sysctls(
    sections: &Sections<'_>,
    notes: &mut Vec<String>,
) -> Result<Sysctls, SnapshotError> {
    let defaults = Sysctls::default();
    let mut sysctls = defaults.clone();
    match single_number(sections, SYSCTL_MIN_FREE, u64::from(u32::MAX))? {
        Some(value) => sysctls.min_free_kbytes = Some(value),
        None => notes.push(format!(
            "no `{SYSCTL_MIN_FREE}` section: min_free_kbytes will be computed by the kernel's rules"
        )),
    }
    let number =
        |source: &str, default: u32, notes: &mut Vec<String>| -> Result<u32, SnapshotError> {
            match single_number(sections, source, u64::from(u32::MAX))? {
                Some(value) => Ok(value as u32),
                None => {
                    notes.push(format!(
                        "no `{source}` section: using the kernel default {default}"
                    ));
                    Ok(default)
                }
            }
        };
    sysctls.watermark_scale_factor = number(SYSCTL_WSF, defaults.watermark_scale_factor, notes)?;
    sysctls.watermark_boost_factor = number(SYSCTL_WBF, defaults.watermark_boost_factor, notes)?;
    sysctls.percpu_pagelist_high_fraction =
        number(SYSCTL_PHF, defaults.percpu_pagelist_high_fraction, notes)?;
    match sections.one(SYSCTL_LRR)? {
        Some(section) => {
            let Some((number, text)) = section.single_line()? else {
                return Err(SnapshotError::in_section(
                    SYSCTL_LRR,
                    section.header_line(),
                    "the section is empty; expected 5 numbers, like `256 256 32 0 0`",
                ));
            };
            let words: Vec<&str> = text.split_whitespace().collect();
            let mut ratios = [0u32; 5];
            if words.len() != ratios.len() {
                return Err(SnapshotError::in_section(
                    SYSCTL_LRR,
                    Some(number),
                    format!(
                        "expected 5 numbers (one per zone: DMA, DMA32, Normal, Movable, Device), like `256 256 32 0 0`; \
                         found {}",
                        words.len()
                    ),
                ));
            }
            for (slot, word) in ratios.iter_mut().zip(words) {
                *slot = parse_decimal(word)
                    .filter(|&value| value <= u64::from(u32::MAX))
                    .ok_or_else(|| {
                        SnapshotError::in_section(
                            SYSCTL_LRR,
                            Some(number),
                            format!(
                                "expected whole numbers separated by spaces, found `{}`",
                                shorten(word)
                            ),
                        )
                    })? as u32;
            }
            sysctls.lowmem_reserve_ratio = ratios;
        }
        None => notes.push(format!(
            "no `{SYSCTL_LRR}` section: using the kernel default {:?}",
            defaults.lowmem_reserve_ratio
        )),
    }
    Ok(sysctls)
}

/// The one whole number in section `source`, at most `max`; `None` if the section is
/// missing.
fn single_number(
    sections: &Sections<'_>,
    source: &str,
    max: u64,
) -> Result<Option<u64>, SnapshotError> {
    let Some(section) = sections.one(source)? else {
        return Ok(None);
    };
    let Some((number, text)) = section.single_line()? else {
        return Err(SnapshotError::in_section(
            source,
            section.header_line(),
            "the section is empty; expected one whole number",
        ));
    };
    match parse_decimal(text) {
        Some(value) if value <= max => Ok(Some(value)),
        Some(_) => Err(SnapshotError::in_section(
            source,
            Some(number),
            format!("{text} is larger than {max}"),
        )),
        None => Err(SnapshotError::in_section(
            source,
            Some(number),
            format!("expected one whole number, found `{}`", shorten(text)),
        )),
    }
}
