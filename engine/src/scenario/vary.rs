//! One setting changed: the "B" of a side-by-side pair written as "A with `KEY=VALUE`"
//! (`buddyscope diff FILE --vary KEY=VALUE`, a share link's `vary=` key, the page's
//! "Compare with one change"). The keys are the scenario's own: the `vm.*` sysctls of
//! `[machine.sysctl]`, `thp`, `distances` and `kernel` of `[machine]`.
//!
//! Only the syntax is checked here (a known key, a value of the right shape); whether
//! the value is one the kernel takes (`watermark_scale_factor` in 1..3000, distances
//! as many rows as nodes) is checked when B's machine is built, as for any scenario.

use core::fmt;

use crate::machine::ThpMode;
use crate::types::{Kernel, MAX_NR_ZONES};

use super::Scenario;

/// The keys [`Vary::parse`] reads, in the order the page's picker lists them.
pub const VARY_KEYS: [&str; 9] = [
    "watermark_scale_factor",
    "min_free_kbytes",
    "watermark_boost_factor",
    "lowmem_reserve_ratio",
    "percpu_pagelist_high_fraction",
    "thp",
    "distances",
    "kernel",
    "mobility_grouping",
];

/// Longest `KEY=VALUE` text read (a 64-node distance table fits).
pub const VARY_TEXT_BYTES_MAX: usize = 64 * 1024;

/// One setting and the value B takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vary {
    MinFreeKbytes(u64),
    WatermarkScaleFactor(u32),
    WatermarkBoostFactor(u32),
    LowmemReserveRatio([u32; MAX_NR_ZONES]),
    PercpuPagelistHighFraction(u32),
    Thp(ThpMode),
    /// The SLIT, `distances[from][to]`.
    Distances(Vec<Vec<u32>>),
    Kernel(Kernel),
    /// The model's `mobility_grouping` switch (`false`: grouping off, as the kernel
    /// sets it on small machines; `true`: on, which a machine too small is refused).
    MobilityGrouping(bool),
}

impl Vary {
    /// Reads `KEY=VALUE`: `watermark_scale_factor=200`, `lowmem_reserve_ratio=256,256,32,0,0`,
    /// `thp=never`, `distances=10,20;20,10` (rows split by `;`), `kernel=6.12`.
    pub fn parse(text: &str) -> Result<Vary, String> {
        if text.len() > VARY_TEXT_BYTES_MAX {
            return Err(format!(
                "the change is {} bytes long; the longest read is {VARY_TEXT_BYTES_MAX}",
                text.len()
            ));
        }
        let (key, value) = text.trim().split_once('=').ok_or_else(|| {
            format!(
                "the change `{}` is not KEY=VALUE (for example watermark_scale_factor=200)",
                shown(text)
            )
        })?;
        let (key, value) = (key.trim(), value.trim());
        let number = |v: &str| -> Result<u64, String> {
            v.parse::<u64>()
                .map_err(|_| format!("{key} takes a whole number, not `{}`", shown(v)))
        };
        let small = |v: &str| -> Result<u32, String> {
            u32::try_from(number(v)?).map_err(|_| format!("{key} = {} is out of range", shown(v)))
        };
        let numbers = |v: &str| -> Result<Vec<u32>, String> {
            v.split([',', ' '])
                .filter(|p| !p.is_empty())
                .map(small)
                .collect()
        };
        Ok(match key {
            "min_free_kbytes" => Vary::MinFreeKbytes(number(value)?),
            "watermark_scale_factor" => Vary::WatermarkScaleFactor(small(value)?),
            "watermark_boost_factor" => Vary::WatermarkBoostFactor(small(value)?),
            "percpu_pagelist_high_fraction" => Vary::PercpuPagelistHighFraction(small(value)?),
            "lowmem_reserve_ratio" => {
                let values = numbers(value)?;
                let count = values.len();
                Vary::LowmemReserveRatio(values.try_into().map_err(|_| {
                    format!(
                        "lowmem_reserve_ratio takes {MAX_NR_ZONES} numbers, one per zone type (DMA, DMA32, Normal, Movable, Device), not {count}"
                    )
                })?)
            }
            "thp" => Vary::Thp(match value {
                "always" => ThpMode::Always,
                "madvise" => ThpMode::Madvise,
                "never" => ThpMode::Never,
                other => {
                    return Err(format!(
                        "thp is always, madvise or never, not `{}`",
                        shown(other)
                    ))
                }
            }),
            "distances" => {
                let rows: Vec<Vec<u32>> = value
                    .split(';')
                    .filter(|r| !r.trim().is_empty())
                    .map(numbers)
                    .collect::<Result<_, _>>()?;
                if rows.iter().any(Vec::is_empty) {
                    return Err(
                        "distances has a row with no numbers (rows split by `;`, numbers by `,`)"
                            .to_string(),
                    );
                }
                if rows.is_empty() {
                    return Err(
                        "distances needs at least one row (rows split by `;`, numbers by `,`)"
                            .to_string(),
                    );
                }
                Vary::Distances(rows)
            }
            "kernel" => Vary::Kernel(Kernel::parse(value)?),
            "mobility_grouping" => Vary::MobilityGrouping(match value {
                "true" => true,
                "false" => false,
                other => {
                    return Err(format!(
                        "mobility_grouping is `true` or `false`, not `{}`",
                        shown(other)
                    ))
                }
            }),
            other => {
                return Err(format!(
                    "`{}` is not a setting a pair can vary: use {}",
                    shown(other),
                    VARY_KEYS.join(", ")
                ))
            }
        })
    }

    /// The key, as [`Vary::parse`] reads it.
    pub fn key(&self) -> &'static str {
        match self {
            Vary::MinFreeKbytes(_) => "min_free_kbytes",
            Vary::WatermarkScaleFactor(_) => "watermark_scale_factor",
            Vary::WatermarkBoostFactor(_) => "watermark_boost_factor",
            Vary::LowmemReserveRatio(_) => "lowmem_reserve_ratio",
            Vary::PercpuPagelistHighFraction(_) => "percpu_pagelist_high_fraction",
            Vary::Thp(_) => "thp",
            Vary::Distances(_) => "distances",
            Vary::Kernel(_) => "kernel",
            Vary::MobilityGrouping(_) => "mobility_grouping",
        }
    }

    /// The value, as [`Vary::parse`] reads it.
    pub fn value(&self) -> String {
        let join =
            |v: &[u32]| -> String { v.iter().map(u32::to_string).collect::<Vec<_>>().join(",") };
        match self {
            Vary::MinFreeKbytes(v) => v.to_string(),
            Vary::WatermarkScaleFactor(v)
            | Vary::WatermarkBoostFactor(v)
            | Vary::PercpuPagelistHighFraction(v) => v.to_string(),
            Vary::LowmemReserveRatio(v) => join(v),
            Vary::Thp(mode) => mode.name().to_string(),
            Vary::Distances(rows) => rows.iter().map(|r| join(r)).collect::<Vec<_>>().join(";"),
            Vary::Kernel(k) => k.name().to_string(),
            Vary::MobilityGrouping(on) => on.to_string(),
        }
    }

    /// The scenario's current value of this setting, in [`Vary::value`]'s form.
    pub fn current(&self, scenario: &Scenario) -> String {
        current_of(self.key(), scenario).unwrap_or_default()
    }

    /// `scenario` with this setting changed (everything else, workload and seed
    /// included, kept).
    pub fn apply(&self, scenario: &Scenario) -> Scenario {
        let mut b = scenario.clone();
        let machine = &mut b.machine;
        match self {
            Vary::MinFreeKbytes(v) => machine.sysctls.min_free_kbytes = Some(*v),
            Vary::WatermarkScaleFactor(v) => machine.sysctls.watermark_scale_factor = *v,
            Vary::WatermarkBoostFactor(v) => machine.sysctls.watermark_boost_factor = *v,
            Vary::LowmemReserveRatio(v) => machine.sysctls.lowmem_reserve_ratio = *v,
            Vary::PercpuPagelistHighFraction(v) => {
                machine.sysctls.percpu_pagelist_high_fraction = *v
            }
            Vary::Thp(mode) => machine.thp = *mode,
            Vary::Distances(rows) => machine.distances = Some(rows.clone()),
            Vary::Kernel(k) => machine.kernel = *k,
            Vary::MobilityGrouping(on) => machine.mobility_grouping = Some(*on),
        }
        b
    }
}

impl fmt::Display for Vary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key(), self.value())
    }
}

/// The scenario's value of the setting `key` (one of [`VARY_KEYS`]), in
/// [`Vary::value`]'s form; `None` for another key.
pub fn current_of(key: &str, scenario: &Scenario) -> Option<String> {
    let machine = &scenario.machine;
    let sysctls = &machine.sysctls;
    let join = |v: &[u32]| -> String { v.iter().map(u32::to_string).collect::<Vec<_>>().join(",") };
    Some(match key {
        "min_free_kbytes" => sysctls
            .min_free_kbytes
            .map_or_else(|| "computed at boot".to_string(), |v| v.to_string()),
        "watermark_scale_factor" => sysctls.watermark_scale_factor.to_string(),
        "watermark_boost_factor" => sysctls.watermark_boost_factor.to_string(),
        "lowmem_reserve_ratio" => join(&sysctls.lowmem_reserve_ratio),
        "percpu_pagelist_high_fraction" => sysctls.percpu_pagelist_high_fraction.to_string(),
        "thp" => machine.thp.name().to_string(),
        "distances" => machine.distances.as_ref().map_or_else(
            || "the default (10 local, 20 remote)".to_string(),
            |rows| rows.iter().map(|r| join(r)).collect::<Vec<_>>().join(";"),
        ),
        "kernel" => machine.kernel.name().to_string(),
        "mobility_grouping" => machine
            .mobility_grouping
            .map_or_else(|| "as the kernel decides".to_string(), |on| on.to_string()),
        _ => return None,
    })
}

/// At most 40 characters of a value, for a message.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}
