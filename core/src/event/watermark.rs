//! What a watermark check compared, term by term, and the sentence that shows the
//! whole arithmetic. `zone_watermark_fast()` (alloc/watermark.rs) fills a
//! [`WatermarkTerms`] as it decides; [`Event::WatermarkCheck`](super::Event) carries it.
//!
//! The sentence shows each step that ran, in the kernel's order: the order-0 shortcut
//! of `zone_watermark_fast()`, the ALLOC_* cuts to the mark, the free-pages test of
//! `__zone_watermark_ok()`, the free-area scan of a high-order request and, for
//! GFP_ATOMIC at the min mark, the second test without the boost. A reader can redo
//! every subtraction from the numbers in it.

use crate::types::gfp::alloc_flags as af;
use crate::types::ZoneType;
use crate::types::{MigrateType, Order};

/// The inputs of one `zone_watermark_fast()` call and what each of its steps found.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WatermarkTerms {
    /// The `ALLOC_*` flags of the check; the low bits select the mark.
    pub alloc_flags: u32,
    /// `ac->highest_zoneidx`: the request's highest zone, which picks the
    /// lowmem_reserve entry.
    pub highest_zone: ZoneType,
    /// `_watermark[min, low or high]`, without the boost.
    pub mark_base: u64,
    /// `watermark_boost`; the mark passed in is `wmark_pages()` = base + boost.
    pub boost: u64,
    /// `NR_FREE_PAGES` as the check read it.
    pub free_pages: i64,
    /// `nr_reserved_highatomic`, subtracted when the request may not use the
    /// reserves (no ALLOC_RESERVES flag); `None` when it may.
    pub highatomic_unusable: Option<u64>,
    /// `NR_FREE_CMA_PAGES`, subtracted on a CMA kernel when the request lacks
    /// ALLOC_CMA; `None` when not subtracted.
    pub cma_unusable: Option<i64>,
    /// `lowmem_reserve[highest_zoneidx]`.
    pub lowmem_reserve: u64,
    /// Order 0 only: whether the shortcut (free less the reserved pages, above mark
    /// plus lowmem_reserve) passed. `None` for higher orders.
    pub shortcut: Option<bool>,
    /// `__zone_watermark_ok()` with the mark passed in, when the shortcut did not
    /// decide.
    pub full: Option<FullCheck>,
    /// `__zone_watermark_ok()` again with the raw min mark (the boost ignored) for a
    /// GFP_ATOMIC order-0 request at ALLOC_WMARK_MIN, when the first failed.
    pub unboosted: Option<FullCheck>,
    /// Linux 6.12: the highatomic term is `nr_free_highatomic` (free pages on the
    /// highatomic lists) instead of 6.1's `nr_reserved_highatomic`, and the check
    /// without the boost is for ALLOC_MIN_RESERVE callers instead of __GFP_ATOMIC.
    pub v6_12: bool,
    /// The mark's index when the caller passed another mark than its flags select
    /// (6.12's ZONE_BELOW_HIGH test passes the high mark); `None` otherwise.
    pub mark_index: Option<u8>,
}

/// Written by hand so that a 6.1 check prints exactly as it did before the 6.12
/// fields existed (the run digests hash this text).
impl core::fmt::Debug for WatermarkTerms {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut out = f.debug_struct("WatermarkTerms");
        out.field("alloc_flags", &self.alloc_flags)
            .field("highest_zone", &self.highest_zone)
            .field("mark_base", &self.mark_base)
            .field("boost", &self.boost)
            .field("free_pages", &self.free_pages)
            .field("highatomic_unusable", &self.highatomic_unusable)
            .field("cma_unusable", &self.cma_unusable)
            .field("lowmem_reserve", &self.lowmem_reserve)
            .field("shortcut", &self.shortcut)
            .field("full", &self.full)
            .field("unboosted", &self.unboosted);
        if self.v6_12 {
            out.field("v6_12", &self.v6_12);
        }
        if let Some(index) = self.mark_index {
            out.field("mark_index", &index);
        }
        out.finish()
    }
}

/// One `__zone_watermark_ok()` call: the mark after the ALLOC_* cuts, the
/// free-pages test and, for order > 0 when that passed, the free-area scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FullCheck {
    /// The mark the check started from.
    pub mark: u64,
    /// The mark after ALLOC_MIN_RESERVE, ALLOC_NON_BLOCK and ALLOC_OOM took their
    /// share (`min` in the kernel).
    pub min: i64,
    /// `free_pages` less `__zone_watermark_unusable_free()`.
    pub usable: i64,
    /// Whether `usable` was above `min + lowmem_reserve`.
    pub free_ok: bool,
    /// The free-area scan of a high-order request (run when `free_ok`).
    pub scan: Option<FreeAreaScan>,
}

/// What `__zone_watermark_ok()` found looking for a free block of the order or
/// above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeAreaScan {
    /// `free_area[order]` had a block on this list.
    Found {
        order: Order,
        migratetype: MigrateType,
    },
    /// No list it may use had a block; whether the CMA and HighAtomic lists were
    /// among those it looked at.
    NotFound { cma: bool, highatomic: bool },
}

impl WatermarkTerms {
    /// `wmark_pages()`: the mark passed to the check.
    pub fn mark(&self) -> u64 {
        self.mark_base + self.boost
    }

    /// The check's verdict, from the steps that ran.
    pub fn ok(&self) -> bool {
        self.shortcut == Some(true)
            || self.full.is_some_and(|c| c.passed())
            || self.unboosted.is_some_and(|c| c.passed())
    }
}

impl FullCheck {
    /// Whether this `__zone_watermark_ok()` returned true.
    pub fn passed(&self) -> bool {
        self.free_ok && !matches!(self.scan, Some(FreeAreaScan::NotFound { .. }))
    }
}

impl WatermarkTerms {
    /// The check's whole arithmetic for a request of `order`, its flags first and its
    /// verdict last (the event's sentence after "zone N:Zone order O, ").
    pub fn describe(&self, order: Order, ok: bool) -> String {
        sentence(order, self, ok)
    }

    /// The steps of the check alone, without the flags and the verdict.
    pub fn describe_steps(&self, order: Order) -> String {
        steps(order, self).join("; ")
    }
}

fn sentence(order: Order, terms: &WatermarkTerms, ok: bool) -> String {
    let flags = terms.alloc_flags;
    let steps = steps(order, terms);
    let verdict = if ok {
        "ok, try this zone".to_string()
    } else if flags & af::NO_WATERMARKS != 0 {
        "fails, but ALLOC_NO_WATERMARKS tries the zone anyway".to_string()
    } else {
        "too low, next zone".to_string()
    };
    format!("{}: {}: {verdict}", af::names(flags), steps.join("; "))
}

fn steps(order: Order, terms: &WatermarkTerms) -> Vec<String> {
    let flags = terms.alloc_flags;
    let mut steps = Vec::new();
    let mark_name = match terms.mark_index {
        Some(index) => af::mark_name(u32::from(index)),
        None => af::mark_name(flags),
    };
    let mark_text = if terms.boost > 0 {
        format!("{mark_name} {} + boost {}", terms.mark_base, terms.boost)
    } else {
        format!("{mark_name} {}", terms.mark_base)
    };
    let reserve = format!(
        "lowmem_reserve for {} requests {}",
        terms.highest_zone.name(),
        terms.lowmem_reserve
    );
    if let Some(passed) = terms.shortcut {
        let usable = (terms.free_pages - unusable_reserves(terms)).max(0);
        let threshold = terms.mark() as i64 + terms.lowmem_reserve as i64;
        steps.push(format!(
            "order-0 shortcut: {} {} {mark_text} + {reserve} = {threshold}",
            free_text(terms.free_pages, &reserve_terms(terms), usable),
            if passed { ">" } else { "is not above" },
        ));
    }
    if let Some(full) = &terms.full {
        steps.push(full_check_text(order, terms, full, &mark_text, &reserve));
    }
    if let Some(unboosted) = &terms.unboosted {
        let raw = format!("min {}", terms.mark_base);
        let who = if terms.v6_12 {
            "ALLOC_MIN_RESERVE"
        } else {
            "GFP_ATOMIC"
        };
        steps.push(format!(
            "{who} at the min mark tries again without the boost: {}",
            full_check_text(order, terms, unboosted, &raw, &reserve)
        ));
    }
    steps
}

/// The highatomic and CMA terms, as " − highatomic reserve N − free CMA N".
fn reserve_terms(terms: &WatermarkTerms) -> String {
    let mut text = String::new();
    if let Some(highatomic) = terms.highatomic_unusable {
        if terms.v6_12 {
            text.push_str(&format!(" − free highatomic {highatomic}"));
        } else {
            text.push_str(&format!(" − highatomic reserve {highatomic}"));
        }
    }
    if let Some(cma) = terms.cma_unusable {
        text.push_str(&format!(" − free CMA {cma} (no ALLOC_CMA)"));
    }
    text
}

/// "free N − terms = M", or "free N" when nothing is subtracted.
fn free_text(free_pages: i64, subtracted: &str, usable: i64) -> String {
    if subtracted.is_empty() {
        format!("free {free_pages}")
    } else {
        format!("free {free_pages}{subtracted} = {usable}")
    }
}

fn unusable_reserves(terms: &WatermarkTerms) -> i64 {
    terms.highatomic_unusable.unwrap_or(0) as i64 + terms.cma_unusable.unwrap_or(0)
}

/// One `__zone_watermark_ok()`: the cuts to the mark, the free-pages test, the scan.
pub(super) fn full_check_text(
    order: Order,
    terms: &WatermarkTerms,
    check: &FullCheck,
    mark_text: &str,
    reserve: &str,
) -> String {
    let flags = terms.alloc_flags;
    let cuts = min_cuts(check.mark, flags);
    let mark_text = match (cuts.is_empty(), mark_text.contains(" + ")) {
        (true, _) => mark_text.to_string(),
        (false, true) => format!("({mark_text} = {}{cuts} = {})", check.mark, check.min),
        (false, false) => format!("({mark_text}{cuts} = {})", check.min),
    };
    let threshold = check.min + terms.lowmem_reserve as i64;
    // (1<<order) − 1 is 0 at order 0: the term is shown where it subtracts something.
    let order_term = if order.get() > 0 {
        format!(" − ((1<<{order}) − 1 = {})", order.pages() - 1)
    } else {
        String::new()
    };
    let subtracted = format!("{order_term}{}", reserve_terms(terms));
    let mut text = format!(
        "__zone_watermark_ok: {} {} {mark_text} + {reserve} = {threshold}",
        free_text(terms.free_pages, &subtracted, check.usable),
        if check.free_ok { ">" } else { "is not above" },
    );
    match check.scan {
        Some(FreeAreaScan::Found {
            order: at,
            migratetype,
        }) => text.push_str(&format!(
            ", and free_area[{at}] has a block on free_list[{}]",
            migratetype.name()
        )),
        Some(FreeAreaScan::NotFound { cma, highatomic }) => {
            let mut lists = vec!["Unmovable", "Movable", "Reclaimable"];
            if cma {
                lists.push("CMA");
            }
            if highatomic {
                lists.push("HighAtomic");
            }
            let left_out = if highatomic {
                ""
            } else {
                "; HighAtomic not looked at: neither ALLOC_HIGHATOMIC nor ALLOC_OOM"
            };
            let last = crate::types::MAX_ORDER - 1;
            let areas = if order.get() >= last {
                format!("free_area[{order}]")
            } else {
                format!("free_area[{order}] to free_area[{last}]")
            };
            text.push_str(&format!(
                ", but no list it may use in {areas} has a block (free_list[{}]{left_out})",
                lists.join("], [")
            ));
        }
        None => {}
    }
    text
}

/// The ALLOC_* cuts `__zone_watermark_ok()` makes to `mark`, as " − M/2
/// (ALLOC_MIN_RESERVE) − N/4 (ALLOC_NON_BLOCK)"; empty when none applies.
fn min_cuts(mark: u64, flags: u32) -> String {
    let mut min = mark as i64;
    let mut text = String::new();
    if flags & af::RESERVES == 0 {
        return text;
    }
    if flags & af::MIN_RESERVE != 0 {
        text.push_str(&format!(" − {min}/2 (ALLOC_MIN_RESERVE)"));
        min -= min / 2;
        if flags & af::NON_BLOCK != 0 {
            text.push_str(&format!(" − {min}/4 (ALLOC_NON_BLOCK)"));
            min -= min / 4;
        }
    }
    if flags & af::OOM != 0 {
        text.push_str(&format!(" − {min}/2 (ALLOC_OOM)"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gfp_atomic_at_min_tries_again_without_the_boost() {
        let free_pages = 150;
        let terms = WatermarkTerms {
            v6_12: false,
            mark_index: None,
            alloc_flags: af::WMARK_MIN | af::NON_BLOCK | af::MIN_RESERVE | af::KSWAPD,
            highest_zone: ZoneType::Normal,
            mark_base: 26,
            boost: 512,
            free_pages,
            highatomic_unusable: None,
            cma_unusable: None,
            lowmem_reserve: 0,
            shortcut: Some(false),
            full: Some(FullCheck {
                mark: 538,
                min: 202,
                usable: free_pages,
                free_ok: false,
                scan: None,
            }),
            unboosted: Some(FullCheck {
                mark: 26,
                min: 10,
                usable: free_pages,
                free_ok: true,
                scan: None,
            }),
        };
        assert!(terms.ok());
        assert_eq!(
            terms.describe(Order::ZERO, true),
            "ALLOC_WMARK_MIN|ALLOC_NON_BLOCK|ALLOC_MIN_RESERVE|ALLOC_KSWAPD: \
             order-0 shortcut: free 150 is not above min 26 + boost 512 + lowmem_reserve for Normal requests 0 = 538; \
             __zone_watermark_ok: free 150 is not above \
             (min 26 + boost 512 = 538 − 538/2 (ALLOC_MIN_RESERVE) − 269/4 (ALLOC_NON_BLOCK) = 202) \
             + lowmem_reserve for Normal requests 0 = 202; \
             GFP_ATOMIC at the min mark tries again without the boost: __zone_watermark_ok: free 150 > \
             (min 26 − 26/2 (ALLOC_MIN_RESERVE) − 13/4 (ALLOC_NON_BLOCK) = 10) \
             + lowmem_reserve for Normal requests 0 = 10: ok, try this zone"
        );
    }

    #[test]
    fn cma_pages_and_the_oom_cut_are_named() {
        let order = Order::new(1).expect("order 1");
        let terms = WatermarkTerms {
            v6_12: false,
            mark_index: None,
            alloc_flags: af::WMARK_MIN | af::OOM,
            highest_zone: ZoneType::Dma32,
            mark_base: 100,
            boost: 0,
            free_pages: 400,
            highatomic_unusable: None,
            cma_unusable: Some(300),
            lowmem_reserve: 0,
            shortcut: None,
            full: Some(FullCheck {
                mark: 100,
                min: 50,
                usable: 99,
                free_ok: true,
                scan: Some(FreeAreaScan::NotFound {
                    cma: false,
                    highatomic: true,
                }),
            }),
            unboosted: None,
        };
        assert!(!terms.ok());
        assert_eq!(
            terms.describe(order, false),
            "ALLOC_WMARK_MIN|ALLOC_OOM: __zone_watermark_ok: \
             free 400 − ((1<<1) − 1 = 1) − free CMA 300 (no ALLOC_CMA) = 99 > \
             (min 100 − 100/2 (ALLOC_OOM) = 50) + lowmem_reserve for DMA32 requests 0 = 50, \
             but no list it may use in free_area[1] to free_area[10] has a block \
             (free_list[Unmovable], [Movable], [Reclaimable], [HighAtomic]): too low, next zone"
        );
    }
}
