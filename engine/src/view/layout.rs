//! Which pfns the address-space picture lays out. By default only memory: the pfn
//! ranges the firmware reports as memory (memblock.memory, the present pages) outside
//! offline sections. The holes and offline sections between them are collapsed by
//! [`Viewport`](super::Viewport) into a thin hatched band labelled with the
//! [`Gap`] it stands for, so a learner's picture is pages, not empty address space.
//! [`Layout::true_scale`] lays out every pfn of the map instead, holes at their size.
//!
//! Collapsing never moves a page within its row: the picture is the true-scale picture
//! with whole rows of no memory taken out, so every pixel still averages the same pfns
//! and blocks stay aligned.

use serde::Serialize;

use super::page_map::{code, PageMap};
use crate::alloc::Allocator;
use crate::types::{PfnRange, PAGE_SIZE_BYTES};

/// The pfns the picture lays out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The map's first pfn and one past its last: what true scale shows.
    pub start_pfn: u64,
    pub end_pfn: u64,
    /// The ranges drawn, sorted, disjoint and not touching; `None` for true scale.
    pub memory: Option<Vec<PfnRange>>,
    /// Offline sections: number and pfn range, to name them in a gap's label.
    pub offline: Vec<(u64, PfnRange)>,
}

/// A stretch of the address space the picture leaves out: no memory, or sections
/// offlined by memory hotplug, or both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub start_pfn: u64,
    /// One past the last pfn left out.
    pub end_pfn: u64,
    /// The offline sections in the gap.
    pub offline_sections: Vec<u64>,
    /// How many of its pages are in offline sections (the rest have no memory).
    pub offline_pages: u64,
}

impl Layout {
    /// Every pfn from `start_pfn` to `end_pfn`, holes at their size.
    pub fn true_scale(start_pfn: u64, end_pfn: u64) -> Layout {
        Layout {
            start_pfn,
            end_pfn: end_pfn.max(start_pfn),
            memory: None,
            offline: Vec::new(),
        }
    }

    /// The layout of `map` drawn from `allocator`: true scale, or only memory.
    pub fn new(allocator: &Allocator, map: &PageMap, true_scale: bool) -> Layout {
        if true_scale {
            Layout::true_scale(map.start_pfn, map.end_pfn())
        } else {
            Layout::memory_only(allocator, map)
        }
    }

    /// Only memory in online sections. Without a machine (a state loaded from a kernel
    /// dump), the pages the map does not mark as holes.
    pub fn memory_only(allocator: &Allocator, map: &PageMap) -> Layout {
        let (start, end) = (map.start_pfn, map.end_pfn());
        let Some(machine) = allocator.machine() else {
            return Layout {
                memory: Some(runs_in_map(map)),
                ..Layout::true_scale(start, end)
            };
        };
        let offline: Vec<(u64, PfnRange)> = machine
            .sections
            .iter()
            .filter(|s| {
                allocator
                    .offline_sections()
                    .binary_search(&s.number)
                    .is_ok()
            })
            .map(|s| {
                let range = PfnRange {
                    start: s.start_pfn,
                    end: s.end_pfn,
                };
                (s.number, range)
            })
            .collect();
        let mut ranges: Vec<PfnRange> = machine
            .config
            .nodes
            .iter()
            .flat_map(|n| n.memory.iter().copied())
            .collect();
        crate::types::sort::sort_by_key(&mut ranges, |r| r.start);
        let mut memory: Vec<PfnRange> = Vec::new();
        for range in ranges {
            let mut pieces = vec![PfnRange {
                start: range.start.max(start),
                end: range.end.min(end),
            }];
            for (_, gone) in &offline {
                pieces = pieces.into_iter().flat_map(|p| minus(p, *gone)).collect();
            }
            for piece in pieces.into_iter().filter(|p| p.start < p.end) {
                match memory.last_mut() {
                    Some(last) if piece.start <= last.end => last.end = last.end.max(piece.end),
                    _ => memory.push(piece),
                }
            }
        }
        Layout {
            start_pfn: start,
            end_pfn: end.max(start),
            memory: Some(memory),
            offline,
        }
    }

    /// Whether holes are drawn at their size.
    pub fn is_true_scale(&self) -> bool {
        self.memory.is_none()
    }

    /// The ranges the picture draws: the memory, or the whole map at true scale (and
    /// when there is no memory at all, so an empty machine still draws its map).
    pub fn drawn(&self) -> Vec<PfnRange> {
        match &self.memory {
            Some(memory) if !memory.is_empty() => memory.clone(),
            _ => vec![PfnRange {
                start: self.start_pfn,
                end: self.end_pfn,
            }],
        }
    }

    /// What is left out between `start_pfn` and `end_pfn`.
    pub fn gap(&self, start_pfn: u64, end_pfn: u64) -> Gap {
        let mut offline_sections = Vec::new();
        let mut offline_pages = 0;
        for (number, range) in &self.offline {
            let overlap = range
                .end
                .min(end_pfn)
                .saturating_sub(range.start.max(start_pfn));
            if overlap > 0 {
                offline_sections.push(*number);
                offline_pages += overlap;
            }
        }
        Gap {
            start_pfn,
            end_pfn,
            offline_sections,
            offline_pages,
        }
    }
}

impl Gap {
    /// Pages left out.
    pub fn pages(&self) -> u64 {
        self.end_pfn.saturating_sub(self.start_pfn)
    }

    /// What the band says: what is left out, its pfns (inclusive) and its size, as
    /// `hole, pfn 0x0–0xfff (16 MiB)` or `offline section 3, pfn 0x18000–0x1ffff (128 MiB)`.
    pub fn label(&self) -> String {
        let what = match (self.offline_pages, self.offline_sections.as_slice()) {
            (0, _) | (_, []) => "hole".to_string(),
            (pages, [one]) if pages == self.pages() => format!("offline section {one}"),
            (pages, many) if pages == self.pages() => {
                format!("offline sections {}", section_list(many))
            }
            (_, [one]) => format!("hole and offline section {one}"),
            (_, many) => format!("hole and offline sections {}", section_list(many)),
        };
        format!(
            "{what}, pfn {:#x}–{:#x} ({})",
            self.start_pfn,
            self.end_pfn.saturating_sub(1),
            size_text(self.pages().saturating_mul(PAGE_SIZE_BYTES))
        )
    }
}

/// A byte count in binary units with at most one decimal: `16 MiB`, `1.5 GiB`.
pub fn size_text(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut unit = 0;
    while unit + 1 < units.len() && bytes >> (10 * (unit + 1)) > 0 {
        unit += 1;
    }
    let whole = bytes >> (10 * unit);
    let rest = bytes - (whole << (10 * unit));
    let name = units.get(unit).copied().unwrap_or("bytes");
    if unit == 0 || rest == 0 {
        return format!("{whole} {name}");
    }
    // Tenths, rounded to nearest; 9.96 GiB is "10 GiB", not "9.10 GiB".
    let tenths = (u128::from(rest) * 10 + (1u128 << (10 * unit - 1))) >> (10 * unit);
    match tenths {
        0 => format!("{whole} {name}"),
        10.. => format!("{} {name}", whole + 1),
        t => format!("{whole}.{t} {name}"),
    }
}

/// Section numbers as runs: `3`, `3, 5`, `3–5`.
fn section_list(numbers: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &n in numbers {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == n => *last = n,
            _ => runs.push((n, n)),
        }
    }
    runs.iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `range` without `gone`: none, one or two pieces.
fn minus(range: PfnRange, gone: PfnRange) -> Vec<PfnRange> {
    if gone.end <= range.start || range.end <= gone.start {
        return vec![range];
    }
    [
        PfnRange {
            start: range.start,
            end: gone.start,
        },
        PfnRange {
            start: gone.end,
            end: range.end,
        },
    ]
    .into_iter()
    .filter(|p| p.start < p.end)
    .collect()
}

/// The runs of pages the map does not mark as holes (a max-order block at a time
/// where the map stores it as one code).
fn runs_in_map(map: &PageMap) -> Vec<PfnRange> {
    let mut runs: Vec<PfnRange> = Vec::new();
    let mut pfn = map.start_pfn;
    map.runs(map.start_pfn, map.pages(), |c, pages| {
        let end = pfn + pages;
        if c & code::STATE_MASK != code::HOLE {
            match runs.last_mut() {
                Some(last) if last.end == pfn => last.end = end,
                _ => runs.push(PfnRange { start: pfn, end }),
            }
        }
        pfn = end;
    });
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_a_person_says_them() {
        assert_eq!(size_text(0), "0 bytes");
        assert_eq!(size_text(4096), "4 KiB");
        assert_eq!(size_text(16 << 20), "16 MiB");
        assert_eq!(size_text(3 << 29), "1.5 GiB");
        assert_eq!(size_text(0x61000), "388 KiB");
        assert_eq!(size_text((10 << 30) - 4096), "10 GiB");
    }

    #[test]
    fn a_gap_says_what_it_leaves_out() {
        let mut layout = Layout::true_scale(0, 0x40000);
        layout.offline = vec![
            (
                3,
                PfnRange {
                    start: 0x18000,
                    end: 0x20000,
                },
            ),
            (
                4,
                PfnRange {
                    start: 0x20000,
                    end: 0x28000,
                },
            ),
        ];
        assert_eq!(
            layout.gap(0, 0x1000).label(),
            "hole, pfn 0x0–0xfff (16 MiB)"
        );
        assert_eq!(
            layout.gap(0x18000, 0x20000).label(),
            "offline section 3, pfn 0x18000–0x1ffff (128 MiB)"
        );
        assert_eq!(
            layout.gap(0x18000, 0x28000).label(),
            "offline sections 3–4, pfn 0x18000–0x27fff (256 MiB)"
        );
        assert_eq!(
            layout.gap(0x10000, 0x20000).label(),
            "hole and offline section 3, pfn 0x10000–0x1ffff (256 MiB)"
        );
    }

    #[test]
    fn a_range_minus_another() {
        let r = |start, end| PfnRange { start, end };
        assert_eq!(minus(r(0, 10), r(20, 30)), vec![r(0, 10)]);
        assert_eq!(minus(r(0, 10), r(3, 5)), vec![r(0, 3), r(5, 10)]);
        assert_eq!(minus(r(0, 10), r(0, 10)), vec![]);
        assert_eq!(minus(r(0, 10), r(5, 30)), vec![r(0, 5)]);
    }
}
