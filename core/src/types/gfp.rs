//! GFP masks as Linux 6.1 defines them (include/linux/gfp_types.h, x86_64 without
//! KASAN hardware tags or lockdep), and what the allocator derives from them:
//! `gfp_zone()`, `gfp_migratetype()`, `gfp_to_alloc_flags()` and the fast path's
//! `alloc_flags_nofragment()`.

use core::fmt;

use crate::types::MigrateType;
use crate::types::ZoneType;

/// A gfp mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Gfp(pub u32);

pub const GFP_DMA: u32 = 0x01;
pub const GFP_HIGHMEM: u32 = 0x02;
pub const GFP_DMA32: u32 = 0x04;
pub const GFP_MOVABLE: u32 = 0x08;
pub const GFP_RECLAIMABLE: u32 = 0x10;
pub const GFP_HIGH: u32 = 0x20;
pub const GFP_IO: u32 = 0x40;
pub const GFP_FS: u32 = 0x80;
pub const GFP_ZERO: u32 = 0x100;
pub const GFP_ATOMIC_BIT: u32 = 0x200;
pub const GFP_DIRECT_RECLAIM: u32 = 0x400;
pub const GFP_KSWAPD_RECLAIM: u32 = 0x800;
pub const GFP_WRITE: u32 = 0x1000;
pub const GFP_NOWARN: u32 = 0x2000;
pub const GFP_RETRY_MAYFAIL: u32 = 0x4000;
pub const GFP_NOFAIL: u32 = 0x8000;
pub const GFP_NORETRY: u32 = 0x10000;
pub const GFP_MEMALLOC: u32 = 0x20000;
pub const GFP_COMP: u32 = 0x40000;
pub const GFP_NOMEMALLOC: u32 = 0x80000;
pub const GFP_HARDWALL: u32 = 0x100000;
pub const GFP_THISNODE: u32 = 0x200000;
pub const GFP_ACCOUNT: u32 = 0x400000;
pub const GFP_ZEROTAGS: u32 = 0x800000;
/// `__GFP_BITS_MASK` for this configuration.
pub const GFP_BITS_MASK: u32 = (1 << 25) - 1;

const RECLAIM: u32 = GFP_DIRECT_RECLAIM | GFP_KSWAPD_RECLAIM;

/// Every name the parser knows, with its value, in the order [`Gfp::describe`] tries
/// them: the composite `GFP_*` masks first, those of more bits before those of fewer,
/// then the single `__GFP_*` names, `__GFP_RECLAIM` (two bits) first.
pub const GFP_NAMES: &[(&str, u32)] = &[
    (
        "GFP_TRANSHUGE",
        (GFP_IO
            | GFP_FS
            | GFP_HARDWALL
            | GFP_HIGHMEM
            | GFP_MOVABLE
            | GFP_COMP
            | GFP_NOMEMALLOC
            | GFP_NOWARN)
            | GFP_DIRECT_RECLAIM,
    ),
    (
        "GFP_TRANSHUGE_LIGHT",
        (GFP_IO
            | GFP_FS
            | GFP_HARDWALL
            | GFP_HIGHMEM
            | GFP_MOVABLE
            | GFP_COMP
            | GFP_NOMEMALLOC
            | GFP_NOWARN),
    ),
    (
        "GFP_HIGHUSER_MOVABLE",
        RECLAIM | GFP_IO | GFP_FS | GFP_HARDWALL | GFP_HIGHMEM | GFP_MOVABLE,
    ),
    (
        "GFP_HIGHUSER",
        RECLAIM | GFP_IO | GFP_FS | GFP_HARDWALL | GFP_HIGHMEM,
    ),
    (
        "GFP_KERNEL_ACCOUNT",
        RECLAIM | GFP_IO | GFP_FS | GFP_ACCOUNT,
    ),
    ("GFP_USER", RECLAIM | GFP_IO | GFP_FS | GFP_HARDWALL),
    ("GFP_KERNEL", Gfp::KERNEL.0),
    ("GFP_ATOMIC", GFP_HIGH | GFP_ATOMIC_BIT | GFP_KSWAPD_RECLAIM),
    ("GFP_NOFS", RECLAIM | GFP_IO),
    ("GFP_NOIO", RECLAIM),
    ("GFP_NOWAIT", GFP_KSWAPD_RECLAIM),
    ("GFP_DMA", GFP_DMA),
    ("GFP_DMA32", GFP_DMA32),
    ("__GFP_RECLAIM", RECLAIM),
    ("__GFP_DMA", GFP_DMA),
    ("__GFP_HIGHMEM", GFP_HIGHMEM),
    ("__GFP_DMA32", GFP_DMA32),
    ("__GFP_MOVABLE", GFP_MOVABLE),
    ("__GFP_RECLAIMABLE", GFP_RECLAIMABLE),
    ("__GFP_HIGH", GFP_HIGH),
    ("__GFP_IO", GFP_IO),
    ("__GFP_FS", GFP_FS),
    ("__GFP_ZERO", GFP_ZERO),
    ("__GFP_ATOMIC", GFP_ATOMIC_BIT),
    ("__GFP_DIRECT_RECLAIM", GFP_DIRECT_RECLAIM),
    ("__GFP_KSWAPD_RECLAIM", GFP_KSWAPD_RECLAIM),
    ("__GFP_WRITE", GFP_WRITE),
    ("__GFP_NOWARN", GFP_NOWARN),
    ("__GFP_RETRY_MAYFAIL", GFP_RETRY_MAYFAIL),
    ("__GFP_NOFAIL", GFP_NOFAIL),
    ("__GFP_NORETRY", GFP_NORETRY),
    ("__GFP_MEMALLOC", GFP_MEMALLOC),
    ("__GFP_COMP", GFP_COMP),
    ("__GFP_NOMEMALLOC", GFP_NOMEMALLOC),
    ("__GFP_HARDWALL", GFP_HARDWALL),
    ("__GFP_THISNODE", GFP_THISNODE),
    ("__GFP_ACCOUNT", GFP_ACCOUNT),
    ("__GFP_ZEROTAGS", GFP_ZEROTAGS),
];

/// `ALLOC_*` flags (mm/internal.h of this kernel, which has the reserve-access
/// rework: ALLOC_NON_BLOCK, ALLOC_MIN_RESERVE).
pub mod alloc_flags {
    pub const WMARK_MIN: u32 = 0;
    pub const WMARK_LOW: u32 = 1;
    pub const WMARK_HIGH: u32 = 2;
    pub const NO_WATERMARKS: u32 = 0x04;
    pub const WMARK_MASK: u32 = NO_WATERMARKS - 1;
    pub const OOM: u32 = 0x08;
    pub const NON_BLOCK: u32 = 0x10;
    pub const MIN_RESERVE: u32 = 0x20;
    pub const CPUSET: u32 = 0x40;
    pub const CMA: u32 = 0x80;
    pub const NOFRAGMENT: u32 = 0x100;
    pub const HIGHATOMIC: u32 = 0x200;
    pub const KSWAPD: u32 = 0x800;
    pub const RESERVES: u32 = NON_BLOCK | MIN_RESERVE | HIGHATOMIC | OOM;

    /// The bits with names, in the order mm/internal.h defines them.
    const NAMED: [(u32, &str); 9] = [
        (NO_WATERMARKS, "ALLOC_NO_WATERMARKS"),
        (OOM, "ALLOC_OOM"),
        (NON_BLOCK, "ALLOC_NON_BLOCK"),
        (MIN_RESERVE, "ALLOC_MIN_RESERVE"),
        (CPUSET, "ALLOC_CPUSET"),
        (CMA, "ALLOC_CMA"),
        (NOFRAGMENT, "ALLOC_NOFRAGMENT"),
        (HIGHATOMIC, "ALLOC_HIGHATOMIC"),
        (KSWAPD, "ALLOC_KSWAPD"),
    ];

    /// The watermark a set of flags selects, by its kernel name (`min`, `low`,
    /// `high`), from the `ALLOC_WMARK_*` index in the low bits.
    pub fn mark_name(flags: u32) -> &'static str {
        match flags & WMARK_MASK {
            WMARK_MIN => "min",
            WMARK_LOW => "low",
            _ => "high",
        }
    }

    /// The flags by name, joined with `|` (`ALLOC_WMARK_LOW|ALLOC_KSWAPD`), the
    /// watermark index first; a bit without a name is written in hex.
    pub fn names(flags: u32) -> String {
        let mark = match flags & WMARK_MASK {
            WMARK_MIN => "ALLOC_WMARK_MIN",
            WMARK_LOW => "ALLOC_WMARK_LOW",
            _ => "ALLOC_WMARK_HIGH",
        };
        let mut parts = vec![mark.to_string()];
        let mut rest = flags & !WMARK_MASK;
        for (bit, name) in NAMED {
            if rest & bit != 0 {
                parts.push(name.to_string());
                rest &= !bit;
            }
        }
        if rest != 0 {
            parts.push(format!("{rest:#x}"));
        }
        parts.join("|")
    }
}

/// A gfp mask the kernel would refuse, or a name it does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GfpError {
    pub message: String,
}

impl fmt::Display for GfpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Gfp {
    /// `GFP_KERNEL` (`__GFP_RECLAIM | __GFP_IO | __GFP_FS`, 0xcc0), for requests built
    /// in code rather than parsed from a workload.
    pub const KERNEL: Gfp = Gfp(RECLAIM | GFP_IO | GFP_FS);

    /// Parses kernel names joined with `|` (`GFP_KERNEL|__GFP_ZERO`), or a hex
    /// value (`0x2800`). Unknown names are an error that names them.
    pub fn parse(text: &str) -> Result<Gfp, GfpError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(GfpError {
                message: "an empty gfp mask: use kernel names such as GFP_KERNEL".into(),
            });
        }
        if text == "0" {
            // No flags at all, as the kernel's tracepoints print it.
            return Ok(Gfp(0));
        }
        if let Some(hex) = text.strip_prefix("0x") {
            let value = u32::from_str_radix(hex, 16).map_err(|_| GfpError {
                message: format!("`{text}` is not a hex gfp mask"),
            })?;
            return Gfp::checked(value, text);
        }
        let mut value = 0u32;
        for part in text.split('|').map(str::trim) {
            // A hex remainder after names (`GFP_KERNEL|0x1000000`), as `describe` and
            // the kernel's show_gfp_flags() write bits that have no name.
            if let Some(hex) = part.strip_prefix("0x") {
                value |= u32::from_str_radix(hex, 16).map_err(|_| GfpError {
                    message: format!("`{part}` in `{text}` is not a hex gfp mask"),
                })?;
                continue;
            }
            let Some((_, bits)) = GFP_NAMES.iter().find(|(name, _)| *name == part) else {
                return Err(GfpError {
                    message: format!(
                        "unknown gfp flag `{part}`: use GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_NOIO, GFP_NOFS, GFP_USER, GFP_DMA, GFP_DMA32, GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE, GFP_TRANSHUGE, GFP_TRANSHUGE_LIGHT or __GFP_* bits"
                    ),
                });
            };
            value |= bits;
        }
        Gfp::checked(value, text)
    }

    /// Whether `value` is a mask this kernel accepts: only defined bits, and zone
    /// modifiers `gfp_zone()` does not reject (GFP_ZONE_BAD).
    pub fn is_valid(value: u32) -> bool {
        value & !GFP_BITS_MASK == 0 && !bad_zone_bits(value)
    }

    fn checked(value: u32, text: &str) -> Result<Gfp, GfpError> {
        if value & !GFP_BITS_MASK != 0 {
            return Err(GfpError {
                message: format!("gfp mask `{text}` has bits this kernel does not define"),
            });
        }
        if bad_zone_bits(value) {
            return Err(GfpError {
                message: format!(
                    "gfp mask `{text}` combines zone modifiers the kernel rejects (GFP_ZONE_BAD)"
                ),
            });
        }
        Ok(Gfp(value))
    }

    pub fn has(self, bits: u32) -> bool {
        self.0 & bits != 0
    }

    /// `gfp_zone()`: the highest zone the request may use.
    pub fn zone(self) -> ZoneType {
        let bits = self.0 & (GFP_DMA | GFP_HIGHMEM | GFP_DMA32 | GFP_MOVABLE);
        if bits & GFP_DMA != 0 {
            ZoneType::Dma
        } else if bits & GFP_DMA32 != 0 {
            ZoneType::Dma32
        } else if bits == GFP_MOVABLE | GFP_HIGHMEM {
            ZoneType::Movable
        } else {
            ZoneType::Normal
        }
    }

    /// `gfp_migratetype()`: the movable/reclaimable bits as a migratetype.
    pub fn migratetype(self) -> MigrateType {
        let bits = (self.0 & (GFP_MOVABLE | GFP_RECLAIMABLE)) >> 3;
        MigrateType::from_index(bits as usize).unwrap_or(MigrateType::Unmovable)
    }

    /// The kernel's trace name for this mask (`show_gfp_flags()` style), composite
    /// names first.
    pub fn describe(self) -> String {
        let mut rest = self.0;
        let mut parts: Vec<String> = Vec::new();
        // The composite names covering the most bits first, as the kernel's
        // __def_gfpflag_names table lists its largest masks first: GFP_NAMES is
        // kept in that order (a test checks it), so no sort at each call.
        for (name, bits) in GFP_NAMES {
            if *bits != 0 && rest & bits == *bits && (name.starts_with("GFP_") || rest & bits != 0)
            {
                parts.push(name.to_string());
                rest &= !bits;
            }
        }
        // Bits without a name here (the KASAN ones) as a hex remainder, as
        // show_gfp_flags() prints them; `parse` reads it back.
        if rest != 0 {
            parts.push(format!("{rest:#x}"));
        }
        if parts.is_empty() {
            "0".to_string()
        } else {
            parts.join("|")
        }
    }
}

fn bad_zone_bits(value: u32) -> bool {
    let bits = value & (GFP_DMA | GFP_HIGHMEM | GFP_DMA32 | GFP_MOVABLE);
    let low = bits & (GFP_DMA | GFP_HIGHMEM | GFP_DMA32);
    low.count_ones() > 1
}

/// `gfp_to_alloc_flags()` of this kernel (slow path): min watermark, cpuset,
/// __GFP_HIGH as ALLOC_MIN_RESERVE, __GFP_KSWAPD_RECLAIM as ALLOC_KSWAPD; callers that
/// cannot reclaim directly get ALLOC_NON_BLOCK (and ALLOC_HIGHATOMIC for high-order
/// __GFP_HIGH), unless __GFP_NOMEMALLOC. Real-time tasks are not modelled.
pub fn gfp_to_alloc_flags(gfp: Gfp, order: u8) -> u32 {
    use alloc_flags::*;
    let mut flags = WMARK_MIN | CPUSET;
    if gfp.has(GFP_HIGH) {
        flags |= MIN_RESERVE;
    }
    if gfp.has(GFP_KSWAPD_RECLAIM) {
        flags |= KSWAPD;
    }
    if !gfp.has(GFP_DIRECT_RECLAIM) {
        if !gfp.has(GFP_NOMEMALLOC) {
            flags |= NON_BLOCK;
            if order > 0 && flags & MIN_RESERVE != 0 {
                flags |= HIGHATOMIC;
            }
        }
        if flags & MIN_RESERVE != 0 {
            flags &= !CPUSET;
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_listed_in_the_order_describe_tries_them() {
        let key = |(name, bits): &(&str, u32)| {
            (
                !name.starts_with("GFP_"),
                core::cmp::Reverse(bits.count_ones()),
            )
        };
        for pair in GFP_NAMES.windows(2) {
            assert!(
                key(&pair[0]) <= key(&pair[1]),
                "{} before {}",
                pair[0].0,
                pair[1].0
            );
        }
        // The largest composite a mask holds, then its other bits (the oracle
        // runs' header: 0x2a20 is GFP_ATOMIC|__GFP_NOWARN); a composite alone is
        // its own name.
        assert_eq!(Gfp(0x2a20).describe(), "GFP_ATOMIC|__GFP_NOWARN");
        for (name, bits) in GFP_NAMES.iter().filter(|(n, _)| n.starts_with("GFP_")) {
            assert_eq!(Gfp(*bits).describe(), *name);
        }
    }

    #[test]
    fn masks_of_the_oracle_runs() {
        // header.txt: U=0x2800 M=0x280a R=0x2810 H=0x2a20.
        assert_eq!(Gfp::parse("GFP_NOWAIT|__GFP_NOWARN").unwrap(), Gfp(0x2800));
        assert_eq!(
            Gfp::parse("GFP_NOWAIT|__GFP_MOVABLE|__GFP_HIGHMEM|__GFP_NOWARN").unwrap(),
            Gfp(0x280a)
        );
        assert_eq!(
            Gfp::parse("GFP_NOWAIT|__GFP_RECLAIMABLE|__GFP_NOWARN").unwrap(),
            Gfp(0x2810)
        );
        assert_eq!(Gfp::parse("GFP_ATOMIC|__GFP_NOWARN").unwrap(), Gfp(0x2a20));
    }

    #[test]
    fn zones_and_migratetypes() {
        assert_eq!(Gfp(0x280a).zone(), ZoneType::Movable);
        assert_eq!(Gfp(0x280a).migratetype(), MigrateType::Movable);
        assert_eq!(Gfp::parse("GFP_KERNEL").unwrap().zone(), ZoneType::Normal);
        assert_eq!(
            Gfp::parse("GFP_DMA32|__GFP_MOVABLE").unwrap().zone(),
            ZoneType::Dma32
        );
        assert_eq!(
            Gfp::parse("GFP_KERNEL|__GFP_DMA").unwrap().zone(),
            ZoneType::Dma
        );
        assert_eq!(Gfp(0x2810).migratetype(), MigrateType::Reclaimable);
        assert_eq!(Gfp::parse("GFP_HIGHUSER").unwrap().zone(), ZoneType::Normal);
    }

    #[test]
    fn alloc_flags_of_nowait_and_atomic() {
        use alloc_flags::*;
        // GFP_NOWAIT: min watermark, cpuset, kswapd, non-block.
        assert_eq!(
            gfp_to_alloc_flags(Gfp(0x2800), 0),
            WMARK_MIN | CPUSET | KSWAPD | NON_BLOCK
        );
        // GFP_ATOMIC order 2: min reserve and highatomic, no cpuset.
        assert_eq!(
            gfp_to_alloc_flags(Gfp(0x2a20), 2),
            WMARK_MIN | KSWAPD | NON_BLOCK | MIN_RESERVE | HIGHATOMIC
        );
        // GFP_KERNEL can reclaim: no reserves.
        assert_eq!(
            gfp_to_alloc_flags(Gfp::parse("GFP_KERNEL").unwrap(), 0),
            WMARK_MIN | CPUSET | KSWAPD
        );
    }

    #[test]
    fn alloc_flags_by_name() {
        use alloc_flags::*;
        assert_eq!(names(0x840), "ALLOC_WMARK_MIN|ALLOC_CPUSET|ALLOC_KSWAPD");
        assert_eq!(
            names(WMARK_LOW | NOFRAGMENT | 0x1000),
            "ALLOC_WMARK_LOW|ALLOC_NOFRAGMENT|0x1000"
        );
        assert_eq!(mark_name(WMARK_HIGH | OOM), "high");
    }

    #[test]
    fn bad_masks_are_errors() {
        assert!(Gfp::parse("GFP_KERNAL")
            .unwrap_err()
            .message
            .contains("unknown gfp flag `GFP_KERNAL`"));
        assert!(Gfp::parse("__GFP_DMA|__GFP_DMA32")
            .unwrap_err()
            .message
            .contains("GFP_ZONE_BAD"));
        assert!(Gfp::parse("").is_err());
        assert!(Gfp::parse("0xffffffff").is_err());
    }
}
