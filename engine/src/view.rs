//! Plain-data views of a running session for the page: what each panel draws, built
//! from an [`Allocator`], its [`Session`] and a [`Cursor`], never from browser state.
//!
//! - [`load`]: a scenario into a booted machine, a session with the workload run, and
//!   the cursor to open at; errors say where (the machine, or the workload's line).
//! - [`PageMap`]: one byte a page for the whole physical address space (state,
//!   pageblock type, block head), cheap to build and to redraw from.
//! - [`Viewport`] and [`render_rgba`]: the address-space picture at a zoom level, as
//!   RGBA pixels, aggregating many pages into a pixel or drawing one page as a cell.
//! - [`page_info`]: what the tooltip says about one pfn.
//! - [`overview`]: zonelists (with why each zone was passed over), watermark gauges,
//!   free areas and per-cpu lists, and the step (frames and a sentence).
//! - [`MachineForm`]: the page's machine editor as strings, applied to a scenario
//!   through the scenario parser so every check and message is the engine's.
//!
//! Everything here is derived; nothing changes the allocator.

use serde::Serialize;

use crate::alloc::gfp::{Gfp, GFP_THISNODE};
use crate::alloc::{pindex_to_order, Allocator, KSWAPD_IDLE_ZONEIDX, NR_PCP_LISTS};
use crate::machine::{Machine, ZoneType};
use crate::scenario::{parse_scenario, scenario_to_toml, Scenario};
use crate::session::{Call, Cursor, Operation, Outcome, Session};
use crate::snapshot::{format_core_size, format_cpulist, format_phys_range};
use crate::trace::Event;
use crate::types::{MigrateType, Order, Pfn, MAX_ORDER, PAGEBLOCK_ORDER, PAGE_SIZE_BYTES};
use crate::workload::{parse_workload, run_workload_seeded};
use crate::zone::BlockState;

/// The most operations a workload may run in the page: a million (about a second of
/// work and a hundred bytes of history each), so a mistyped `count=` cannot hang the
/// tab.
pub const PAGE_OPERATIONS_LIMIT: u64 = 1_000_000;

/// The largest address space the page draws, in pages (256 GiB; holes cost a byte a
/// page in the page map, nothing in the engine).
pub const PAGE_MAP_PAGES_LIMIT: u64 = 1 << 26;

/// The most pages the zones of a machine in the page may span together (64 GiB):
/// the engine keeps ten bytes a spanned page, and the session a copy at boot.
pub const PAGE_SPANNED_PAGES_LIMIT: u64 = 1 << 24;

// ---------------------------------------------------------------------------------
// Loading a scenario
// ---------------------------------------------------------------------------------

/// A scenario booted and run.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub session: Session,
    /// Where the viewer opens: the scenario's `open_at` step, or the end.
    pub cursor: Cursor,
    /// The machine builder's warnings (a bad distance table, defaults taken).
    pub warnings: Vec<String>,
    /// Operations the workload ran.
    pub operations: u64,
}

/// Where a scenario went wrong, so the page can show the message by the right field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum LoadErrorPlace {
    /// The scenario text itself (TOML, an unknown key, a bad value).
    Scenario,
    /// The machine could not be built.
    Machine,
    /// The workload, at a line and column (1-based).
    Workload { line: usize, column: usize },
}

/// Why a scenario could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoadError {
    pub place: LoadErrorPlace,
    pub message: String,
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.place {
            LoadErrorPlace::Scenario => write!(f, "scenario: {}", self.message),
            LoadErrorPlace::Machine => write!(f, "machine: {}", self.message),
            LoadErrorPlace::Workload { line, column } => {
                write!(f, "workload line {line}, column {column}: {}", self.message)
            }
        }
    }
}

/// Reads a scenario file and [`load`]s it.
pub fn load_text(text: &str) -> Result<(Scenario, Loaded), LoadError> {
    let scenario = parse_scenario(text).map_err(|e| LoadError {
        place: LoadErrorPlace::Scenario,
        message: e.to_string(),
    })?;
    let loaded = load(&scenario)?;
    Ok((scenario, loaded))
}

/// Boots the scenario's machine, runs its workload (at most
/// [`PAGE_OPERATIONS_LIMIT`] operations) and finds the step to open at.
pub fn load(scenario: &Scenario) -> Result<Loaded, LoadError> {
    let machine_error = |message: String| LoadError {
        place: LoadErrorPlace::Machine,
        message,
    };
    let machine = Machine::build(&scenario.machine).map_err(|e| machine_error(e.to_string()))?;
    let pages: u64 = machine.nodes.iter().map(|n| n.spanned).sum();
    if machine.max_pfn > PAGE_MAP_PAGES_LIMIT {
        return Err(machine_error(format!(
            "the page draws machines up to {} GiB of address space; this one reaches {} MiB ({pages} pages spanned)",
            (PAGE_MAP_PAGES_LIMIT * PAGE_SIZE_BYTES) >> 30,
            (machine.max_pfn * PAGE_SIZE_BYTES) >> 20
        )));
    }
    let spanned: u64 = machine
        .nodes
        .iter()
        .flat_map(|n| n.zones.iter())
        .map(|z| z.spanned)
        .sum();
    if spanned > PAGE_SPANNED_PAGES_LIMIT {
        return Err(machine_error(format!(
            "the page simulates machines whose zones span up to {} GiB together; this one spans {} MiB",
            (PAGE_SPANNED_PAGES_LIMIT * PAGE_SIZE_BYTES) >> 30,
            (spanned * PAGE_SIZE_BYTES) >> 20
        )));
    }
    let warnings = machine.warnings.clone();
    let allocator = Allocator::from_machine(&machine).map_err(|e| machine_error(e.to_string()))?;
    let mut session = Session::new(allocator);
    let mut operations = 0;
    if let Some(script) = scenario.workload.as_deref() {
        let workload_error = |e: crate::workload::WorkloadError| LoadError {
            place: LoadErrorPlace::Workload {
                line: e.span.line,
                column: e.span.column,
            },
            message: e.message,
        };
        let statements = parse_workload(script).map_err(workload_error)?;
        let summary = run_workload_seeded(
            &mut session,
            &statements,
            Some(PAGE_OPERATIONS_LIMIT),
            scenario.seed.unwrap_or(1),
        )
        .map_err(workload_error)?;
        operations = summary.operations;
    }
    let cursor = match scenario.open_at {
        Some(step) => session.cursor_at_step(step),
        None => session.end(),
    };
    Ok(Loaded {
        session,
        cursor,
        warnings,
        operations,
    })
}

// ---------------------------------------------------------------------------------
// The address space, one byte a page
// ---------------------------------------------------------------------------------

/// Page state codes (bits 0-2 of a [`PageMap`] byte).
pub mod code {
    /// No memory here (a hole, or outside every zone).
    pub const HOLE: u8 = 0;
    /// In a zone but never given to the buddy allocator (memmap, reservations).
    pub const RESERVED: u8 = 1;
    /// On a buddy free list.
    pub const FREE: u8 = 2;
    /// Allocated.
    pub const ALLOCATED: u8 = 3;
    /// On a per-cpu list (allocated as far as the buddy lists know).
    pub const PCP: u8 = 4;
    /// Bits 0-2: the state.
    pub const STATE_MASK: u8 = 0x07;
    /// Bits 3-5: the pageblock's migratetype index; [`NO_PAGEBLOCK`] for none.
    pub const TYPE_SHIFT: u8 = 3;
    pub const TYPE_MASK: u8 = 0x38;
    pub const NO_PAGEBLOCK: u8 = 7;
    /// Bit 6: the first page of a buddy block (or of a per-cpu block).
    pub const HEAD: u8 = 0x40;
}

/// One byte a page from pfn `start_pfn`: see [`code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageMap {
    pub start_pfn: u64,
    pub codes: Vec<u8>,
}

impl PageMap {
    /// One past the last pfn.
    pub fn end_pfn(&self) -> u64 {
        self.start_pfn + self.codes.len() as u64
    }

    /// The code of `pfn` ([`code::HOLE`] outside the map).
    pub fn code(&self, pfn: u64) -> u8 {
        pfn.checked_sub(self.start_pfn)
            .and_then(|i| self.codes.get(i as usize).copied())
            .unwrap_or(code::HOLE | code::NO_PAGEBLOCK << code::TYPE_SHIFT)
    }

    /// The first pfn of the block holding `pfn`: the nearest head at or below it,
    /// looking back at most a largest block.
    pub fn block_head(&self, pfn: u64) -> Option<u64> {
        let lowest = pfn
            .saturating_sub(Order::MAX.pages() - 1)
            .max(self.start_pfn);
        (lowest..=pfn)
            .rev()
            .find(|&p| self.code(p) & code::HEAD != 0)
    }

    /// Pages in each state, indexed by state code.
    pub fn state_counts(&self) -> [u64; 5] {
        let mut counts = [0u64; 5];
        for &c in &self.codes {
            if let Some(n) = counts.get_mut(usize::from(c & code::STATE_MASK)) {
                *n += 1;
            }
        }
        counts
    }
}

/// The address space from pfn 0 to the end of the last zone: each zone's blocks from
/// its buddy state, per-cpu pages over them, and every pageblock's type.
pub fn page_map(allocator: &Allocator) -> PageMap {
    let end = allocator
        .zones
        .iter()
        .map(|z| z.buddy.end_pfn().0)
        .chain(allocator.nodes.iter().map(|n| n.start_pfn + n.spanned))
        .max()
        .unwrap_or(0)
        .min(PAGE_MAP_PAGES_LIMIT);
    let hole = code::HOLE | code::NO_PAGEBLOCK << code::TYPE_SHIFT;
    let mut codes = vec![hole; end as usize];
    for zone in &allocator.zones {
        let buddy = &zone.buddy;
        for block in buddy.blocks() {
            let state = match block.state {
                BlockState::Free => code::FREE,
                BlockState::Allocated => code::ALLOCATED,
                BlockState::Reserved => code::RESERVED,
            };
            fill(&mut codes, block.pfn.0, block.order.pages(), state, true);
        }
        // Pageblock types over the pages of the zone.
        let first = buddy.first_pageblock_pfn().0;
        for index in 0..buddy.pageblock_count() {
            let raw = buddy.pageblock_raw(index).unwrap_or(0);
            let kind = if usize::from(raw) < MigrateType::STORED.len() {
                raw
            } else {
                code::NO_PAGEBLOCK
            };
            let start = (first + ((index as u64) << PAGEBLOCK_ORDER)).max(buddy.start_pfn().0);
            let stop = (first + ((index as u64 + 1) << PAGEBLOCK_ORDER)).min(buddy.end_pfn().0);
            if let Some(slice) = codes.get_mut(start as usize..(stop as usize).min(end as usize)) {
                for c in slice {
                    *c = (*c & !code::TYPE_MASK) | kind << code::TYPE_SHIFT;
                }
            }
        }
        for pcp in &zone.pcps {
            for (pindex, list) in pcp.lists.iter().enumerate() {
                let pages = pindex_to_order(pindex).pages();
                for page in list {
                    fill_state(&mut codes, page.pfn, pages, code::PCP);
                }
            }
        }
    }
    PageMap {
        start_pfn: 0,
        codes,
    }
}

fn fill(codes: &mut [u8], pfn: u64, pages: u64, state: u8, head: bool) {
    let start = pfn as usize;
    let stop = (pfn.saturating_add(pages) as usize).min(codes.len());
    if let Some(slice) = codes.get_mut(start..stop) {
        slice.fill(state);
        if head {
            if let Some(first) = slice.first_mut() {
                *first |= code::HEAD;
            }
        }
    }
}

fn fill_state(codes: &mut [u8], pfn: u64, pages: u64, state: u8) {
    let start = pfn as usize;
    let stop = (pfn.saturating_add(pages) as usize).min(codes.len());
    if let Some(slice) = codes.get_mut(start..stop) {
        for c in slice {
            *c = (*c & !code::STATE_MASK) | state;
        }
    }
}

// ---------------------------------------------------------------------------------
// Viewport and pixels
// ---------------------------------------------------------------------------------

/// Canvas width given to pages, in pixels (a power of two, so rows hold whole
/// aligned blocks).
pub const PAGES_WIDTH_PX: u32 = 1024;
/// Canvas height, in pixels.
pub const HEIGHT_PX: u32 = 512;
/// Left gutter: node, zone and section bars, in pixels.
pub const GUTTER_PX: u32 = 24;
/// The finest zoom: a page is 32x32 pixels.
pub const ZOOM_MIN: i32 = -5;

/// Which pages the canvas shows and how big. Pages are laid out in rows of
/// `columns` cells from `origin_pfn`; each cell is `pages_per_cell` pages drawn as a
/// `cell_px` square. `zoom` is log2 of pages per pixel column: 0 is a page a pixel,
/// -5 a page per 32x32 pixels, 3 eight pages a pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Viewport {
    pub zoom: i32,
    pub origin_pfn: u64,
    /// The first row shown.
    pub scroll_row: u64,
    pub rows_total: u64,
    pub columns: u64,
    pub pages_per_cell: u64,
    pub cell_px: u32,
}

impl Viewport {
    /// The zoom at which the whole map fits the canvas.
    pub fn fit_zoom(map_pages: u64) -> i32 {
        let mut zoom = ZOOM_MIN;
        while zoom < 30
            && Viewport::at(zoom, 0, 0, map_pages).rows_total > Viewport::rows_visible_at(zoom)
        {
            zoom += 1;
        }
        zoom
    }

    fn rows_visible_at(zoom: i32) -> u64 {
        let cell_px = if zoom < 0 { 1u64 << -zoom } else { 1 };
        u64::from(HEIGHT_PX) / cell_px
    }

    /// The viewport at `zoom` (clamped to [`ZOOM_MIN`]..=30) scrolled to
    /// `scroll_row` (clamped so the last row stays on screen where possible).
    pub fn at(zoom: i32, scroll_row: u64, start_pfn: u64, map_pages: u64) -> Viewport {
        let zoom = zoom.clamp(ZOOM_MIN, 30);
        let (pages_per_cell, cell_px) = if zoom < 0 {
            (1u64, 1u32 << -zoom)
        } else {
            (1u64 << zoom, 1u32)
        };
        let columns = u64::from(PAGES_WIDTH_PX / cell_px);
        let pages_per_row = columns * pages_per_cell;
        let origin_pfn = start_pfn - start_pfn % pages_per_row;
        let end = start_pfn + map_pages;
        let rows_total = (end - origin_pfn).div_ceil(pages_per_row).max(1);
        let visible = u64::from(HEIGHT_PX / cell_px);
        let scroll_row = scroll_row.min(rows_total.saturating_sub(visible));
        Viewport {
            zoom,
            origin_pfn,
            scroll_row,
            rows_total,
            columns,
            pages_per_cell,
            cell_px,
        }
    }

    /// Pages in one row.
    pub fn pages_per_row(&self) -> u64 {
        self.columns * self.pages_per_cell
    }

    /// Rows on screen.
    pub fn rows_visible(&self) -> u64 {
        (u64::from(HEIGHT_PX / self.cell_px))
            .min(self.rows_total - self.scroll_row.min(self.rows_total))
    }

    /// The first pfn on screen.
    pub fn first_pfn(&self) -> u64 {
        self.origin_pfn + self.scroll_row * self.pages_per_row()
    }

    /// One past the last pfn on screen.
    pub fn end_pfn(&self) -> u64 {
        self.first_pfn() + self.rows_visible() * self.pages_per_row()
    }

    /// Image width in pixels (gutter included).
    pub fn width_px(&self) -> u32 {
        GUTTER_PX + PAGES_WIDTH_PX
    }

    /// The pfn under image pixel `(x, y)` (the first of its cell), if it is a page cell.
    pub fn pfn_at(&self, x: f64, y: f64) -> Option<u64> {
        let x = x - f64::from(GUTTER_PX);
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let column = (x / f64::from(self.cell_px)) as u64;
        let row = (y / f64::from(self.cell_px)) as u64;
        (column < self.columns && row < self.rows_visible())
            .then(|| self.first_pfn() + row * self.pages_per_row() + column * self.pages_per_cell)
    }

    /// The row (from the origin) holding `pfn`.
    pub fn row_of(&self, pfn: u64) -> u64 {
        pfn.saturating_sub(self.origin_pfn) / self.pages_per_row()
    }

    /// The viewport at another zoom, keeping `pfn` at screen row `screen_row`.
    pub fn zoomed(
        &self,
        zoom: i32,
        pfn: u64,
        screen_y_px: f64,
        start_pfn: u64,
        map_pages: u64,
    ) -> Viewport {
        let probe = Viewport::at(zoom, 0, start_pfn, map_pages);
        let row = probe.row_of(pfn);
        let screen_row = (screen_y_px.max(0.0) / f64::from(probe.cell_px)) as u64;
        Viewport::at(zoom, row.saturating_sub(screen_row), start_pfn, map_pages)
    }
}

/// An RGB colour.
pub type Rgb = [u8; 3];

/// The background of cells with no memory.
pub const HOLE_RGB: Rgb = [0xe4, 0xe1, 0xda];
/// Pages the buddy allocator never got.
pub const RESERVED_RGB: Rgb = [0x7a, 0x7a, 0x7a];
/// Pages on a per-cpu list.
pub const PCP_RGB: Rgb = [0xf2, 0xc9, 0x1d];
/// The outline of the block the current step touches.
pub const HIGHLIGHT_RGB: Rgb = [0xff, 0x00, 0xc8];
/// Block outlines when zoomed in.
pub const OUTLINE_RGB: Rgb = [0x26, 0x32, 0x38];

/// A migratetype's colour: allocated pages in it are drawn in it, free pages in a
/// light tint of it.
pub fn migratetype_rgb(kind: u8) -> Rgb {
    match kind {
        0 => [0xc0, 0x39, 0x2b], // Unmovable: red
        1 => [0x1f, 0x6f, 0xb4], // Movable: blue
        2 => [0x2e, 0x8b, 0x57], // Reclaimable: green
        3 => [0xe6, 0x7e, 0x22], // HighAtomic: orange
        4 => [0x4a, 0x23, 0x5a], // Isolate: aubergine
        5 => [0x16, 0xa0, 0xa0], // CMA: teal
        _ => [0x55, 0x55, 0x55],
    }
}

/// `rgb` mixed with white: `white` of 256 parts white.
pub fn tint(rgb: Rgb, white: u32) -> Rgb {
    rgb.map(|c| ((u32::from(c) * (256 - white) + 255 * white) / 256) as u8)
}

/// The colour of a free page in a pageblock of migratetype `kind`: a light tint of
/// [`migratetype_rgb`].
pub fn free_migratetype_rgb(kind: u8) -> Rgb {
    tint(migratetype_rgb(kind), 180)
}

/// The colour of one page code.
pub fn code_rgb(c: u8) -> Rgb {
    let kind = (c & code::TYPE_MASK) >> code::TYPE_SHIFT;
    match c & code::STATE_MASK {
        code::HOLE => HOLE_RGB,
        code::RESERVED => RESERVED_RGB,
        code::FREE => free_migratetype_rgb(kind),
        code::ALLOCATED => migratetype_rgb(kind),
        _ => PCP_RGB,
    }
}

/// The 256-entry palette of [`code_rgb`] (head bit included), for a fast lookup.
pub fn palette() -> [Rgb; 256] {
    let mut table = [[0u8; 3]; 256];
    for (c, slot) in table.iter_mut().enumerate() {
        *slot = code_rgb(c as u8);
    }
    table
}

/// What the gutter shows for the machine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Spans {
    /// `(node, start, end)` of each node's span.
    pub nodes: Vec<(u32, u64, u64)>,
    /// `(zone index, start, end)` of each populated zone's span.
    pub zones: Vec<(usize, u64, u64)>,
    /// `(section number, start, end)` of each present section.
    pub sections: Vec<(u64, u64, u64)>,
}

/// The spans of the allocator's machine.
pub fn spans(allocator: &Allocator) -> Spans {
    let nodes = allocator
        .nodes
        .iter()
        .filter(|n| n.spanned > 0)
        .map(|n| (n.nid, n.start_pfn, n.start_pfn + n.spanned))
        .collect();
    let zones = allocator
        .zones
        .iter()
        .map(|z| (z.zone.index(), z.buddy.start_pfn().0, z.buddy.end_pfn().0))
        .collect();
    let sections = allocator
        .machine
        .as_ref()
        .map(|m| {
            m.sections
                .iter()
                .map(|s| (s.number, s.start_pfn, s.end_pfn))
                .collect()
        })
        .unwrap_or_default();
    Spans {
        nodes,
        zones,
        sections,
    }
}

const NODE_RGB: [Rgb; 4] = [
    [0x34, 0x49, 0x5e],
    [0x8e, 0x44, 0xad],
    [0x27, 0xae, 0x60],
    [0xd3, 0x54, 0x00],
];
const ZONE_RGB: [Rgb; 5] = [
    [0xf3, 0x9c, 0x12],
    [0x16, 0xa0, 0x85],
    [0x29, 0x80, 0xb9],
    [0x8e, 0x44, 0xad],
    [0x7f, 0x8c, 0x8d],
];

/// The colour of node `nid` in the gutter.
pub fn node_rgb(nid: u32) -> Rgb {
    NODE_RGB[nid as usize % NODE_RGB.len()]
}

/// The colour of zone type `index` in the gutter.
pub fn zone_rgb(index: usize) -> Rgb {
    ZONE_RGB[index % ZONE_RGB.len()]
}

/// Paints the visible part of `map` into RGBA pixels (`width_px()` by
/// [`HEIGHT_PX`]): a gutter of node, zone and section bars, then one cell per
/// `pages_per_cell` pages coloured by the mean colour of its pages; from 4-pixel
/// cells up, block edges are outlined. The `highlight` block gets a frame.
pub fn render_rgba(
    map: &PageMap,
    spans: &Spans,
    viewport: &Viewport,
    highlight: Option<(u64, u8)>,
) -> Vec<u8> {
    let width = viewport.width_px() as usize;
    let height = HEIGHT_PX as usize;
    let mut rgba = vec![0u8; width * height * 4];
    // Background.
    for px in rgba.chunks_exact_mut(4) {
        px.copy_from_slice(&[0xf7, 0xf5, 0xf0, 0xff]);
    }
    let palette = palette();
    let cell = viewport.cell_px as usize;
    let per_cell = viewport.pages_per_cell;
    let rows = viewport.rows_visible();
    // One pixel line of a row, built once and copied `cell` times.
    let mut line = vec![0u8; width * 4];
    for row in 0..rows {
        let row_pfn = viewport.first_pfn() + row * viewport.pages_per_row();
        line.copy_from_slice(&rgba[..width * 4]);
        gutter_line(&mut line, spans, row_pfn, viewport.pages_per_row());
        let cells = line[GUTTER_PX as usize * 4..].chunks_exact_mut(4 * cell);
        for (column, out) in cells.enumerate() {
            let first = row_pfn + column as u64 * per_cell;
            let rgb = mean_rgb(map, &palette, first, per_cell);
            for px in out.chunks_exact_mut(4) {
                px[..3].copy_from_slice(&rgb);
            }
        }
        let y0 = row as usize * cell;
        for dy in 0..cell {
            let at = (y0 + dy) * width * 4;
            if let Some(target) = rgba.get_mut(at..at + width * 4) {
                target.copy_from_slice(&line);
            }
        }
    }
    if cell >= 4 {
        outline_blocks(&mut rgba, width, map, viewport);
    }
    if let Some((pfn, order)) = highlight {
        frame_block(
            &mut rgba,
            width,
            viewport,
            pfn,
            1u64 << order.min(MAX_ORDER - 1),
        );
    }
    rgba
}

fn put(rgba: &mut [u8], index: usize, rgb: Rgb) {
    if let Some(px) = rgba.get_mut(index * 4..index * 4 + 3) {
        px.copy_from_slice(&rgb);
    }
}

fn mean_rgb(map: &PageMap, palette: &[Rgb; 256], first: u64, pages: u64) -> Rgb {
    let start = first.saturating_sub(map.start_pfn) as usize;
    let stop = (first + pages).saturating_sub(map.start_pfn) as usize;
    let Some(codes) = map
        .codes
        .get(start.min(map.codes.len())..stop.min(map.codes.len()))
    else {
        return HOLE_RGB;
    };
    if codes.is_empty() {
        return HOLE_RGB;
    }
    if codes.len() == 1
        || codes
            .iter()
            .all(|&c| c & !code::HEAD == codes[0] & !code::HEAD)
    {
        return palette[usize::from(codes[0])];
    }
    // In u64: a cell may average 2^30 pages (the widest zoom), and 2^30 x 255
    // overflows u32.
    let mut sum = [0u64; 3];
    for &c in codes {
        let rgb = palette[usize::from(c)];
        sum[0] += u64::from(rgb[0]);
        sum[1] += u64::from(rgb[1]);
        sum[2] += u64::from(rgb[2]);
    }
    // Pages of the cell outside the map count as holes (`codes` is within the cell).
    let missing = pages - codes.len() as u64;
    [0, 1, 2].map(|i| ((sum[i] + missing * u64::from(HOLE_RGB[i])) / pages) as u8)
}

fn gutter_line(line: &mut [u8], spans: &Spans, row_pfn: u64, row_pages: u64) {
    let row_end = row_pfn + row_pages;
    let overlaps = |start: u64, end: u64| start < row_end && row_pfn < end;
    let node = spans.nodes.iter().find(|(_, s, e)| overlaps(*s, *e));
    let zone = spans.zones.iter().find(|(_, s, e)| overlaps(*s, *e));
    let section = spans.sections.iter().find(|(_, s, e)| overlaps(*s, *e));
    for x in 0..GUTTER_PX as usize - 2 {
        let rgb = match x / 7 {
            0 => node.map(|n| node_rgb(n.0)),
            1 => zone.map(|z| zone_rgb(z.0)),
            _ => section.map(|s| {
                if s.0 % 2 == 0 {
                    [0x55, 0x55, 0x55]
                } else {
                    [0xaa, 0xaa, 0xaa]
                }
            }),
        };
        if let Some(rgb) = rgb {
            put(line, x, rgb);
        }
    }
}

fn outline_blocks(rgba: &mut [u8], width: usize, map: &PageMap, viewport: &Viewport) {
    let cell = viewport.cell_px as usize;
    let columns = viewport.columns;
    let first = viewport.first_pfn();
    let mut head = map.block_head(first).unwrap_or(first);
    for index in 0..viewport.rows_visible() * columns {
        let pfn = first + index;
        let c = map.code(pfn);
        if c & code::HEAD != 0 {
            head = pfn;
        }
        if c & code::STATE_MASK == code::HOLE {
            continue;
        }
        let (row, column) = ((index / columns) as usize, (index % columns) as usize);
        let x0 = GUTTER_PX as usize + column * cell;
        let y0 = row * cell;
        let left = c & code::HEAD != 0 || column == 0;
        let top = head + columns > pfn || row == 0;
        if left {
            for dy in 0..cell {
                put(rgba, (y0 + dy) * width + x0, OUTLINE_RGB);
            }
        }
        if top {
            for dx in 0..cell {
                put(rgba, y0 * width + x0 + dx, OUTLINE_RGB);
            }
        }
    }
}

fn frame_block(rgba: &mut [u8], width: usize, viewport: &Viewport, pfn: u64, pages: u64) {
    let per_row = viewport.pages_per_row();
    let first = viewport.first_pfn();
    if pfn + pages <= first || pfn >= viewport.end_pfn() {
        return;
    }
    let cell = viewport.cell_px as i64;
    let start = pfn.max(first) - first;
    let end = (pfn + pages).min(viewport.end_pfn()) - first;
    let (row0, row1) = (start / per_row, (end - 1) / per_row);
    let (x0, x1) = if row0 == row1 {
        let c0 = (start % per_row) / viewport.pages_per_cell;
        let c1 = ((end - 1) % per_row) / viewport.pages_per_cell;
        (c0 as i64 * cell, (c1 as i64 + 1) * cell)
    } else {
        (0, viewport.columns as i64 * cell)
    };
    let (y0, y1) = (row0 as i64 * cell, (row1 as i64 + 1) * cell);
    // A frame 2 pixels wide, 2 pixels outside the block so even one page at the
    // coarsest zoom is visible.
    let height = i64::from(HEIGHT_PX);
    let gx = i64::from(GUTTER_PX);
    let mut dot = |x: i64, y: i64| {
        if x >= gx && x < width as i64 && y >= 0 && y < height {
            put(rgba, (y as usize) * width + x as usize, HIGHLIGHT_RGB);
        }
    };
    for t in 0..2 {
        for x in (x0 - 3)..(x1 + 3) {
            dot(gx + x, y0 - 3 + t);
            dot(gx + x, y1 + 1 + t);
        }
        for y in (y0 - 3)..(y1 + 3) {
            dot(gx + x0 - 3 + t, y);
            dot(gx + x1 + 1 + t, y);
        }
    }
}

// ---------------------------------------------------------------------------------
// One page, for the tooltip
// ---------------------------------------------------------------------------------

/// Everything the tooltip says about a pfn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageInfo {
    pub pfn: u64,
    pub phys_addr: u64,
    pub node: Option<u32>,
    pub zone: Option<String>,
    pub section: u64,
    pub section_present: bool,
    pub pageblock: Option<String>,
    /// "free", "allocated", "on a per-cpu list", "reserved" or "hole".
    pub state: String,
    /// The buddy block holding the page: first pfn and order.
    pub block: Option<(u64, u8)>,
}

/// What is known about `pfn` in `allocator`.
pub fn page_info(allocator: &Allocator, map: &PageMap, pfn: u64) -> PageInfo {
    let machine = allocator.machine.as_ref();
    let section_bits = machine.map_or(27, |m| m.config.section_size_bits);
    let zone = allocator
        .zone_of_pfn(Pfn(pfn))
        .and_then(|z| allocator.zones.get(z));
    let node = zone.map(|z| z.nid).or_else(|| {
        allocator
            .nodes
            .iter()
            .find(|n| n.start_pfn <= pfn && pfn < n.start_pfn + n.spanned)
            .map(|n| n.nid)
    });
    let c = map.code(pfn);
    let state = match c & code::STATE_MASK {
        code::HOLE => "hole (no memory)",
        code::RESERVED => "reserved (never given to the buddy allocator)",
        code::FREE => "free (on a buddy free list)",
        code::ALLOCATED => "allocated",
        _ => "on a per-cpu list (pcp)",
    };
    let kind = (c & code::TYPE_MASK) >> code::TYPE_SHIFT;
    let block = zone
        .and_then(|z| z.buddy.block_containing(Pfn(pfn)))
        .map(|b| (b.pfn.0, b.order.get()));
    PageInfo {
        pfn,
        phys_addr: pfn.saturating_mul(PAGE_SIZE_BYTES),
        node,
        zone: zone.map(|z| z.zone.name().to_string()),
        section: pfn >> (u32::from(section_bits).saturating_sub(12)),
        section_present: machine.is_some_and(|m| m.section_of(pfn).is_some()),
        pageblock: MigrateType::from_index(usize::from(kind)).map(|m| m.name().to_string()),
        state: state.to_string(),
        block,
    }
}

// ---------------------------------------------------------------------------------
// The panels
// ---------------------------------------------------------------------------------

/// Everything the side panels draw at one cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overview {
    pub step: StepView,
    pub zonelists: Vec<ZonelistView>,
    pub gauges: Vec<GaugeView>,
    pub free_areas: Vec<FreeAreaView>,
    pub nodes: Vec<NodeView>,
}

/// A node as the header shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    pub nid: u32,
    pub start_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub cpus: String,
    /// `kswapd` asleep, or woken for an order and zone.
    pub kswapd: String,
    pub kswapd_awake: bool,
}

/// The step: the current call, its frames and what just happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepView {
    pub step: u64,
    pub last_step: u64,
    /// Calls so far and the current one (1-based; 0 when there are none).
    pub call_number: usize,
    pub calls: usize,
    pub operation: String,
    pub outcome: String,
    /// Outermost first.
    pub frames: Vec<Frame>,
    pub sentence: String,
    /// The kernel function of the event just passed.
    pub function: Option<String>,
    /// The block it touches: first pfn and order.
    pub highlight: Option<(u64, u8)>,
    /// Every event of the current call, with whether it has been passed.
    pub events: Vec<EventLine>,
    /// Index in `events` of the event just passed.
    pub current_event: Option<usize>,
}

/// One kernel function on the call stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub function: String,
    pub inputs: String,
}

/// One event in the call's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventLine {
    pub function: String,
    pub text: String,
    pub passed: bool,
}

/// A node's zonelist during the current request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZonelistView {
    pub nid: u32,
    /// Whether this node's list is the one the current request walks.
    pub in_use: bool,
    pub entries: Vec<ZonelistEntry>,
    /// A note on the walk (ALLOC_NOFRAGMENT retries, __GFP_THISNODE).
    pub note: Option<String>,
}

/// One zone in a zonelist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZonelistEntry {
    pub node: u32,
    pub zone: String,
    /// `node_distance(list's node, zone's node)`.
    pub distance: u32,
    pub status: ZoneStatus,
    /// Why, in words, when the zone was passed over or chosen.
    pub reason: String,
}

/// What the current request did with a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ZoneStatus {
    /// No request in progress, or the walk has not reached it.
    Idle,
    /// The zone the walk is at now.
    Trying,
    /// The allocation came from it.
    Chosen,
    /// Passed over; `reason` says why.
    PassedOver,
    /// Not eligible for this request at all (above its highest zone, nodemask).
    Skipped,
}

/// A zone's watermark gauge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GaugeView {
    pub node: u32,
    pub zone: String,
    pub managed: u64,
    /// `NR_FREE_PAGES` as the watermark checks read it.
    pub free: i64,
    pub min: u64,
    pub low: u64,
    pub high: u64,
    pub boost: u64,
    /// The lowmem_reserve held back from the current request (its highest zone), if
    /// a request is in progress.
    pub lowmem_reserve: Option<u64>,
    /// Every lowmem_reserve of the zone, by the requester's highest zone.
    pub lowmem_reserves: Vec<(String, u64)>,
    /// The last watermark check of this zone in the current call: mark, ok.
    pub last_check: Option<(u64, bool)>,
    pub kswapd: String,
}

impl GaugeView {
    /// The free pages a check against `mark` (min, low or high) must exceed:
    /// `wmark_pages()` (the mark plus the boost) plus the lowmem_reserve held back
    /// from the current request, as `__zone_watermark_ok()` compares them.
    pub fn threshold(&self, mark: u64) -> u64 {
        mark + self.boost + self.lowmem_reserve.unwrap_or(0)
    }
}

/// A zone's free lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FreeAreaView {
    pub node: u32,
    pub zone: String,
    /// `/proc/buddyinfo`: free blocks per order.
    pub nr_free: Vec<u64>,
    /// `/proc/pagetypeinfo`: free blocks per migratetype and order.
    pub by_type: Vec<(String, Vec<u64>)>,
    /// Pageblocks of each type.
    pub pageblocks: Vec<(String, u64)>,
    pub pcps: Vec<PcpView>,
}

impl FreeAreaView {
    /// Pages on the zone's buddy lists: each order's free blocks times their size.
    pub fn free_pages(&self) -> u64 {
        self.nr_free
            .iter()
            .zip(Order::all())
            .map(|(blocks, order)| blocks * order.pages())
            .sum()
    }
}

/// One CPU's per-cpu lists in a zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PcpView {
    pub cpu: u32,
    pub count: u64,
    pub high: u64,
    pub batch: u64,
    /// `(list label, pages)` for every non-empty list.
    pub lists: Vec<(String, u64)>,
}

/// The request the current call makes, read from its `AllocStart` event.
#[derive(Clone, Copy, Debug)]
struct Request {
    node: u32,
    highest: ZoneType,
    gfp: u32,
}

/// All panels at `cursor`; `allocator` is `session.state_at(cursor)`.
pub fn overview(allocator: &Allocator, session: &Session, cursor: Cursor) -> Overview {
    let events = session.events(cursor.call);
    let seen: &[Event] = &events[..cursor.event.min(events.len())];
    let request = seen.iter().find_map(|e| match *e {
        Event::AllocStart {
            node,
            highest_zone,
            gfp,
            ..
        } => Some(Request {
            node,
            highest: highest_zone,
            gfp,
        }),
        _ => None,
    });
    Overview {
        step: step_view(session, cursor),
        zonelists: zonelists(allocator, seen, request),
        gauges: gauges(allocator, seen, request),
        free_areas: free_areas(allocator),
        nodes: nodes(allocator),
    }
}

fn kswapd_text(allocator: &Allocator, nid: u32) -> (String, bool) {
    match allocator.nodes.iter().find(|n| n.nid == nid) {
        Some(n) if n.kswapd_highest_zoneidx != KSWAPD_IDLE_ZONEIDX => {
            let zone = ZoneType::ALL
                .get(n.kswapd_highest_zoneidx as usize)
                .map_or("?", |z| z.name());
            (
                format!(
                    "kswapd{nid} woken (wakeup_kswapd): order {}, up to {zone}",
                    n.kswapd_order
                ),
                true,
            )
        }
        Some(n) if n.kswapd_failures > 0 => (
            format!("kswapd{nid} asleep ({} failed runs)", n.kswapd_failures),
            false,
        ),
        _ => (format!("kswapd{nid} asleep"), false),
    }
}

fn nodes(allocator: &Allocator) -> Vec<NodeView> {
    allocator
        .nodes
        .iter()
        .map(|n| {
            let (kswapd, kswapd_awake) = kswapd_text(allocator, n.nid);
            NodeView {
                nid: n.nid,
                start_pfn: n.start_pfn,
                spanned: n.spanned,
                present: n.present,
                cpus: format_cpulist(&n.cpus),
                kswapd,
                kswapd_awake,
            }
        })
        .collect()
}

fn distance(allocator: &Allocator, from: u32, to: u32) -> u32 {
    allocator
        .machine
        .as_ref()
        .and_then(|m| m.distances.get(from as usize)?.get(to as usize).copied())
        .unwrap_or(if from == to { 10 } else { 20 })
}

fn zonelists(allocator: &Allocator, seen: &[Event], request: Option<Request>) -> Vec<ZonelistView> {
    let checks: Vec<(u32, ZoneType, u64, i64, u64, bool)> = seen
        .iter()
        .filter_map(|e| match *e {
            Event::WatermarkCheck {
                node,
                zone,
                mark,
                free_pages,
                lowmem_reserve,
                ok,
                ..
            } => Some((node, zone, mark, free_pages, lowmem_reserve, ok)),
            _ => None,
        })
        .collect();
    let allocated_in = seen.iter().rev().find_map(|e| match *e {
        Event::PageAlloc { pfn, .. } => allocator
            .zone_of_pfn(pfn)
            .and_then(|z| allocator.zones.get(z))
            .map(|z| (z.nid, z.zone)),
        _ => None,
    });
    let retried = seen.iter().any(|e| matches!(e, Event::NoFragmentRetry));
    allocator
        .nodes
        .iter()
        .map(|node| {
            let in_use = request.is_some_and(|r| r.node == node.nid);
            let thisnode = request.is_some_and(|r| Gfp(r.gfp).has(GFP_THISNODE));
            let list = if in_use && thisnode {
                &node.nofallback
            } else {
                &node.fallback
            };
            let entries = list
                .iter()
                .map(|&(nid, zone)| {
                    let outside_mask = seen.iter().any(|e| {
                        matches!(e, Event::ZoneNotInNodemask { node, zone: z } if *node == nid && *z == zone)
                    });
                    let (status, reason) = if in_use && outside_mask {
                        (
                            ZoneStatus::Skipped,
                            format!("nodemask: node {nid} is not in the request's nodemask (for_next_zone_zonelist_nodemask)"),
                        )
                    } else if in_use {
                        zone_status(nid, zone, request, &checks, allocated_in)
                    } else {
                        (ZoneStatus::Idle, String::new())
                    };
                    ZonelistEntry {
                        node: nid,
                        zone: zone.name().to_string(),
                        distance: distance(allocator, node.nid, nid),
                        status,
                        reason,
                    }
                })
                .collect();
            let mut notes = Vec::new();
            if in_use && thisnode {
                notes.push("__GFP_THISNODE: only this node's zones (ZONELIST_NOFALLBACK); other nodes are outside the nodemask".to_string());
            }
            if in_use && retried {
                notes.push("The first walk had ALLOC_NOFRAGMENT and stopped at the first remote node; get_page_from_freelist() walked again without it".to_string());
            }
            ZonelistView {
                nid: node.nid,
                in_use,
                entries,
                note: (!notes.is_empty()).then(|| notes.join(". ")),
            }
        })
        .collect()
}

fn zone_status(
    nid: u32,
    zone: ZoneType,
    request: Option<Request>,
    checks: &[(u32, ZoneType, u64, i64, u64, bool)],
    allocated_in: Option<(u32, ZoneType)>,
) -> (ZoneStatus, String) {
    let Some(request) = request else {
        return (ZoneStatus::Idle, String::new());
    };
    if zone > request.highest {
        return (
            ZoneStatus::Skipped,
            format!(
                "above the request's highest zone ({}): the gfp mask does not allow it",
                request.highest.name()
            ),
        );
    }
    if allocated_in == Some((nid, zone)) {
        return (
            ZoneStatus::Chosen,
            "the page came from here (rmqueue)".to_string(),
        );
    }
    let last_index = checks.len().checked_sub(1);
    let found = checks
        .iter()
        .enumerate()
        .rev()
        .find(|(_, c)| c.0 == nid && c.1 == zone);
    match found {
        None => (ZoneStatus::Idle, "not reached".to_string()),
        Some((_, &(_, _, mark, free, reserve, false))) => (
            ZoneStatus::PassedOver,
            format!(
                "watermark: {free} free pages are not above mark {mark} + lowmem_reserve {reserve} (zone_watermark_fast)"
            ),
        ),
        Some((index, &(_, _, mark, free, reserve, true))) => {
            if Some(index) == last_index && allocated_in.is_none() {
                (
                    ZoneStatus::Trying,
                    format!("watermark ok: {free} free > mark {mark} + lowmem_reserve {reserve}; taking a block (rmqueue)"),
                )
            } else {
                (
                    ZoneStatus::PassedOver,
                    "watermark ok, but rmqueue found no free block of the order".to_string(),
                )
            }
        }
    }
}

fn gauges(allocator: &Allocator, seen: &[Event], request: Option<Request>) -> Vec<GaugeView> {
    allocator
        .zones
        .iter()
        .map(|z| {
            let last_check = seen.iter().rev().find_map(|e| match *e {
                Event::WatermarkCheck {
                    node,
                    zone,
                    mark,
                    ok,
                    ..
                } if node == z.nid && zone == z.zone => Some((mark, ok)),
                _ => None,
            });
            GaugeView {
                node: z.nid,
                zone: z.zone.name().to_string(),
                managed: z.managed,
                free: z.free_pages(),
                min: z.watermark[0],
                low: z.watermark[1],
                high: z.watermark[2],
                boost: z.watermark_boost,
                lowmem_reserve: request
                    .and_then(|r| z.lowmem_reserve.get(r.highest.index()).copied()),
                lowmem_reserves: ZoneType::ALL
                    .iter()
                    .zip(z.lowmem_reserve.iter())
                    .map(|(t, r)| (t.name().to_string(), *r))
                    .collect(),
                last_check,
                kswapd: kswapd_text(allocator, z.nid).0,
            }
        })
        .collect()
}

/// The label of per-cpu list `pindex`: `order N migratetype` as `order_to_pindex()`
/// lays them out.
pub fn pcp_list_label(pindex: usize) -> String {
    if pindex >= 12 {
        let kind = if pindex == 13 {
            "Movable"
        } else {
            "Unmovable+Reclaimable"
        };
        format!("order {PAGEBLOCK_ORDER} (THP) {kind}")
    } else {
        let kind = MigrateType::from_index(pindex % 3).map_or("?", |m| m.name());
        format!("order {} {kind}", pindex / 3)
    }
}

fn free_areas(allocator: &Allocator) -> Vec<FreeAreaView> {
    let kinds: &[MigrateType] = if allocator.cma {
        &MigrateType::ALL_WITH_CMA
    } else {
        &MigrateType::ALL
    };
    allocator
        .zones
        .iter()
        .map(|z| {
            let buddy = &z.buddy;
            let nr_free = Order::all().map(|o| u64::from(buddy.nr_free(o))).collect();
            let by_type = kinds
                .iter()
                .map(|&m| {
                    let counts = Order::all()
                        .map(|o| u64::from(buddy.nr_free_of_type(o, m)))
                        .collect();
                    (m.name().to_string(), counts)
                })
                .collect();
            let mut pageblocks: Vec<(String, u64)> =
                kinds.iter().map(|m| (m.name().to_string(), 0)).collect();
            for index in 0..buddy.pageblock_count() {
                let raw = buddy.pageblock_raw(index).unwrap_or(0);
                if let Some(m) = MigrateType::from_index(usize::from(raw)) {
                    if let Some(slot) = pageblocks.iter_mut().find(|(n, _)| n == m.name()) {
                        slot.1 += 1;
                    }
                }
            }
            let pcps = z
                .pcps
                .iter()
                .map(|p| PcpView {
                    cpu: p.cpu,
                    count: p.count,
                    high: p.high,
                    batch: p.batch,
                    lists: p
                        .lists
                        .iter()
                        .enumerate()
                        .take(NR_PCP_LISTS)
                        .filter(|(_, l)| !l.is_empty())
                        .map(|(i, l)| {
                            (
                                pcp_list_label(i),
                                l.len() as u64 * pindex_to_order(i).pages(),
                            )
                        })
                        .collect(),
                })
                .collect();
            FreeAreaView {
                node: z.nid,
                zone: z.zone.name().to_string(),
                nr_free,
                by_type,
                pageblocks,
                pcps,
            }
        })
        .collect()
}

/// What an operation asks for, in the words of the kernel call it stands for.
pub fn describe_operation(operation: &Operation) -> String {
    match operation {
        Operation::Alloc {
            order,
            gfp,
            node,
            nodemask,
            cpu,
            use_,
        } => {
            let cpu = cpu.map_or(String::new(), |c| format!(" on CPU {c}"));
            match nodemask {
                Some(mask) => format!(
                    "__alloc_pages({}, {order}, {node}, nodemask {}){cpu} for {use_:?}",
                    gfp.describe(),
                    crate::snapshot::format_cpulist(mask)
                ),
                None => format!(
                    "alloc_pages_node({node}, {}, {order}){cpu} for {use_:?}",
                    gfp.describe()
                ),
            }
        }
        Operation::Free { index, cpu } => {
            let cpu = cpu.map_or(String::new(), |c| format!(" on CPU {c}"));
            format!("__free_pages(allocation #{index}){cpu}")
        }
        Operation::DrainLocal { cpu } => format!("drain_local_pages() on CPU {cpu}"),
        Operation::DrainAll => "drain_all_pages()".to_string(),
        Operation::RunKswapd { node } => format!("kswapd{node}: balance_pgdat()"),
        Operation::CompactMemory => "echo 1 > /proc/sys/vm/compact_memory".to_string(),
        Operation::DropCaches => "echo 3 > /proc/sys/vm/drop_caches".to_string(),
        Operation::Sysctl { name, value } => format!("sysctl vm.{name} = {value}"),
        Operation::OfflineSection { section } => {
            format!("echo offline > /sys/devices/system/memory/memory{section}/state")
        }
        Operation::OnlineSection { section } => {
            format!("echo online > /sys/devices/system/memory/memory{section}/state")
        }
    }
}

/// What an outcome was, in words.
pub fn describe_outcome(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Allocated { index, allocation } => format!(
            "allocation #{index}: the order-{} block at pfn {} in node {} {}",
            allocation.order,
            allocation.pfn,
            allocation.node,
            allocation.zone.name()
        ),
        Outcome::Failed { index } => format!("allocation #{index} failed: NULL"),
        Outcome::Freed { index, pfn, order } => {
            format!("freed allocation #{index}, the order-{order} block at pfn {pfn}")
        }
        Outcome::Drained => "per-cpu lists drained".to_string(),
        Outcome::Reclaimed { pages } => format!("{pages} pages reclaimed"),
        Outcome::Compacted => "compaction ran".to_string(),
        Outcome::SysctlWritten => "sysctl written; watermarks and reserves recomputed".to_string(),
        Outcome::Hotplugged { online: true } => "the section is online".to_string(),
        Outcome::Hotplugged { online: false } => "the section is offline".to_string(),
        Outcome::HotplugRefused { reason } => format!("the kernel refused: {reason}"),
    }
}

/// The kernel call chain an event is taken in, outermost first, below the
/// operation's own entry point. `pcp` says whether the current allocation or free is
/// going through the per-cpu lists.
fn call_chain(event: &Event, pcp: bool) -> &'static [&'static str] {
    match event {
        Event::AllocStart { .. } | Event::PageAlloc { .. } => &[],
        Event::WatermarkCheck { .. } => &["get_page_from_freelist", "zone_watermark_fast"],
        Event::NoFragmentRetry => &["get_page_from_freelist"],
        Event::PcpTake { .. } => &[
            "get_page_from_freelist",
            "rmqueue",
            "rmqueue_pcplist",
            "__rmqueue_pcplist",
        ],
        Event::PcpRefill { .. } => &[
            "get_page_from_freelist",
            "rmqueue",
            "rmqueue_pcplist",
            "__rmqueue_pcplist",
            "rmqueue_bulk",
        ],
        Event::ZoneLocked { .. } | Event::AreaEmpty { .. } | Event::TakeBlock { .. } if pcp => &[
            "get_page_from_freelist",
            "rmqueue",
            "rmqueue_pcplist",
            "rmqueue_bulk",
            "__rmqueue",
            "__rmqueue_smallest",
        ],
        Event::ZoneLocked { .. } | Event::AreaEmpty { .. } | Event::TakeBlock { .. } => &[
            "get_page_from_freelist",
            "rmqueue",
            "rmqueue_buddy",
            "__rmqueue",
            "__rmqueue_smallest",
        ],
        Event::SplitHalf { .. } => &[
            "get_page_from_freelist",
            "rmqueue",
            "__rmqueue",
            "__rmqueue_smallest",
            "expand",
        ],
        Event::Steal { .. } => &[
            "get_page_from_freelist",
            "rmqueue",
            "__rmqueue",
            "__rmqueue_fallback",
        ],
        Event::Allocated { .. } | Event::AllocFailed { .. } => {
            &["get_page_from_freelist", "rmqueue"]
        }
        Event::HighatomicReserve { .. } => {
            &["get_page_from_freelist", "reserve_highatomic_pageblock"]
        }
        Event::SlowPath { .. } | Event::NotModelled { .. } => &["__alloc_pages_slowpath"],
        Event::KswapdWake { .. } => &[
            "__alloc_pages_slowpath",
            "wake_all_kswapds",
            "wakeup_kswapd",
        ],
        Event::DirectReclaim { .. } | Event::Reclaimed { .. } => {
            &["__alloc_pages_slowpath", "__alloc_pages_direct_reclaim"]
        }
        Event::Compacted { .. } | Event::Migrated { .. } => &[
            "__alloc_pages_slowpath",
            "__alloc_pages_direct_compact",
            "compact_zone",
        ],
        Event::OomDecision { .. } => &["__alloc_pages_slowpath", "__alloc_pages_may_oom"],
        Event::HighatomicUnreserve { .. } => {
            &["__alloc_pages_slowpath", "unreserve_highatomic_pageblock"]
        }
        Event::PageFree { .. } => &[],
        Event::PcpFree { .. } => &["free_unref_page", "free_unref_page_commit"],
        Event::PcpDrain { .. } => &[
            "free_unref_page",
            "free_unref_page_commit",
            "free_pcppages_bulk",
        ],
        Event::Merge { .. } | Event::AddFree { .. } if pcp => &[
            "free_unref_page",
            "free_unref_page_commit",
            "free_pcppages_bulk",
            "__free_one_page",
        ],
        Event::Merge { .. } | Event::AddFree { .. } => &["__free_pages_ok", "__free_one_page"],
        Event::ZoneNotInNodemask { .. } => &["get_page_from_freelist"],
        Event::OfflinePages { .. } => &["offline_pages"],
        Event::OnlinePages { .. } => &["online_pages"],
        Event::ZonelistsRebuilt => &["build_all_zonelists"],
        Event::WatermarksRecomputed { .. } => &["init_per_zone_wmark_min"],
        _ => &[],
    }
}

fn entry_point(operation: &Operation) -> &'static str {
    match operation {
        Operation::Alloc { .. } => "__alloc_pages",
        Operation::Free { .. } => "__free_pages",
        Operation::DrainLocal { .. } => "drain_local_pages",
        Operation::DrainAll => "drain_all_pages",
        Operation::RunKswapd { .. } => "balance_pgdat",
        Operation::CompactMemory => "compact_nodes",
        Operation::DropCaches => "drop_slab/drop_pagecache",
        Operation::Sysctl { .. } => "sysctl handler",
        Operation::OfflineSection { .. } | Operation::OnlineSection { .. } => "memory_block_action",
    }
}

fn frames(call: &Call, upto: usize) -> Vec<Frame> {
    let mut frames = vec![Frame {
        function: entry_point(&call.operation).to_string(),
        inputs: describe_operation(&call.operation),
    }];
    let Some(last) = upto.checked_sub(1).and_then(|i| call.events.get(i)) else {
        return frames;
    };
    let pcp = call.events[..upto].iter().any(|e| {
        matches!(
            e,
            Event::PcpRefill { .. }
                | Event::PcpTake { .. }
                | Event::PcpFree { .. }
                | Event::PcpDrain { .. }
        )
    }) && !call.events[..upto]
        .iter()
        .rev()
        .take(1)
        .any(|e| matches!(e, Event::PageAlloc { .. }));
    let chain = call_chain(last, pcp);
    // Each frame's inputs: the latest event taken in that function, so the zone a
    // frame works on shows on the frame.
    for (depth, function) in chain.iter().enumerate() {
        let inputs = if depth + 1 == chain.len() {
            last.describe()
        } else {
            call.events[..upto]
                .iter()
                .rev()
                .find(|e| e.kernel_function() == *function)
                .map(context_inputs)
                .unwrap_or_default()
        };
        frames.push(Frame {
            function: function.to_string(),
            inputs,
        });
    }
    if chain.is_empty() {
        if let Some(top) = frames.last_mut() {
            top.inputs = format!("{} — {}", top.inputs, last.describe());
        }
    }
    frames
}

fn context_inputs(event: &Event) -> String {
    match *event {
        Event::WatermarkCheck {
            node, zone, order, ..
        } => {
            format!("zone {} of node {node}, order {order}", zone.name())
        }
        _ => event.describe(),
    }
}

fn step_view(session: &Session, cursor: Cursor) -> StepView {
    let calls = session.calls();
    let step = session.step_of(cursor);
    let last_step = session.last_step();
    let Some(call) = session.call(cursor.call) else {
        return StepView {
            step,
            last_step,
            call_number: 0,
            calls: 0,
            operation: "nothing yet".to_string(),
            outcome: String::new(),
            frames: Vec::new(),
            sentence: "The machine has just booted: every zone's free lists hold the boot-time blocks (memblock_free_all). Add a workload to step through allocations.".to_string(),
            function: None,
            highlight: None,
            events: Vec::new(),
            current_event: None,
        };
    };
    let upto = cursor.event.min(call.events.len());
    let event = upto.checked_sub(1).and_then(|i| call.events.get(i));
    let operation = describe_operation(&call.operation);
    let outcome = describe_outcome(&call.outcome);
    let sentence = match event {
        None => format!("About to call {operation}. Step forward to see its first decision."),
        Some(e) if upto == call.events.len() => format!(
            "{}: {}. The call has returned: {outcome}.",
            e.kernel_function(),
            e.describe()
        ),
        Some(e) => format!("{}: {}.", e.kernel_function(), e.describe()),
    };
    // Once the call has returned, an event without a block of its own (the final
    // watermark or statistics events) highlights what the call did.
    let highlight = event.and_then(Event::block).or({
        if upto < call.events.len() {
            None
        } else {
            match call.outcome {
                Outcome::Allocated { allocation, .. } => Some((allocation.pfn, allocation.order)),
                Outcome::Freed { pfn, order, .. } => Some((pfn, order)),
                _ => None,
            }
        }
    });
    StepView {
        step,
        last_step,
        call_number: cursor.call + 1,
        calls: calls.len(),
        operation,
        outcome,
        frames: frames(&call, upto),
        sentence,
        function: event.map(|e| e.kernel_function().to_string()),
        highlight: highlight.map(|(p, o)| (p.0, o.get())),
        events: call
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| EventLine {
                function: e.kernel_function().to_string(),
                text: e.describe(),
                passed: i < upto,
            })
            .collect(),
        current_event: upto.checked_sub(1),
    }
}

/// The first step after `from` at which an event matching `wanted` has just been
/// passed, if any (how the page's "next watermark check" button finds it).
pub fn next_step_where(
    session: &Session,
    from: u64,
    wanted: impl Fn(&Event) -> bool,
) -> Option<u64> {
    let first = session.cursor_at_step(from).call;
    for index in first..session.calls().len() {
        // The position before the call's first event, then one after each event.
        let mut step = session.step_of(Cursor {
            call: index,
            event: 0,
        });
        for event in session.events(index).iter() {
            step += 1;
            if step > from && wanted(event) {
                return Some(step);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------
// The machine editor
// ---------------------------------------------------------------------------------

/// The machine editor's fields, as the user typed them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MachineForm {
    /// Per node: memory ranges (comma or newline separated, scenario syntax) and cpus.
    pub nodes: Vec<(String, String)>,
    pub section_size_bits: String,
    /// The SLIT as text cells; empty means no SLIT.
    pub distances: Vec<Vec<String>>,
    pub kernelcore: String,
    pub movablecore: String,
    pub thp: String,
    pub min_free_kbytes: String,
    pub watermark_scale_factor: String,
    pub watermark_boost_factor: String,
    pub lowmem_reserve_ratio: String,
    pub percpu_pagelist_high_fraction: String,
}

impl MachineForm {
    /// The fields of a scenario's machine.
    pub fn from_scenario(scenario: &Scenario) -> MachineForm {
        let m = &scenario.machine;
        MachineForm {
            nodes: m
                .nodes
                .iter()
                .map(|n| {
                    let memory: Vec<String> =
                        n.memory.iter().map(|r| format_phys_range(*r)).collect();
                    (memory.join(", "), format_cpulist(&n.cpus))
                })
                .collect(),
            section_size_bits: m.section_size_bits.to_string(),
            distances: m
                .distances
                .as_ref()
                .map(|d| {
                    d.iter()
                        .map(|row| row.iter().map(u32::to_string).collect())
                        .collect()
                })
                .unwrap_or_default(),
            kernelcore: m.kernelcore.map(format_core_size).unwrap_or_default(),
            movablecore: m.movablecore.map(format_core_size).unwrap_or_default(),
            thp: m.thp.name().to_string(),
            min_free_kbytes: m
                .sysctls
                .min_free_kbytes
                .map(|k| k.to_string())
                .unwrap_or_default(),
            watermark_scale_factor: m.sysctls.watermark_scale_factor.to_string(),
            watermark_boost_factor: m.sysctls.watermark_boost_factor.to_string(),
            lowmem_reserve_ratio: m
                .sysctls
                .lowmem_reserve_ratio
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            percpu_pagelist_high_fraction: m.sysctls.percpu_pagelist_high_fraction.to_string(),
        }
    }

    /// A distance table for `nodes` nodes: this form's cells where present, else
    /// 10 on the diagonal and 20 elsewhere.
    pub fn resized_distances(&self, nodes: usize) -> Vec<Vec<String>> {
        (0..nodes)
            .map(|i| {
                (0..nodes)
                    .map(|j| {
                        self.distances
                            .get(i)
                            .and_then(|row| row.get(j))
                            .cloned()
                            .unwrap_or_else(|| if i == j { "10" } else { "20" }.to_string())
                    })
                    .collect()
            })
            .collect()
    }

    /// Adds an empty node; a distance table grows to match (10 local, 20 remote).
    pub fn add_node(&mut self) {
        self.nodes.push((String::new(), String::new()));
        if !self.distances.is_empty() {
            self.distances = self.resized_distances(self.nodes.len());
        }
    }

    /// Removes node `index` and its row and column of the distance table; the last
    /// node stays.
    pub fn remove_node(&mut self, index: usize) {
        if self.nodes.len() <= 1 || index >= self.nodes.len() {
            return;
        }
        self.nodes.remove(index);
        if index < self.distances.len() {
            self.distances.remove(index);
        }
        for row in &mut self.distances {
            if index < row.len() {
                row.remove(index);
            }
        }
    }

    /// Gives the machine a distance table (a SLIT), 10 local and 20 remote where
    /// no cell was typed.
    pub fn add_distance_table(&mut self) {
        self.distances = self.resized_distances(self.nodes.len());
    }

    /// Drops the distance table: the machine has no SLIT.
    pub fn remove_distance_table(&mut self) {
        self.distances.clear();
    }

    /// Sets the distance from node `from` to node `to`, giving the machine a table
    /// sized to its nodes first.
    pub fn set_distance(&mut self, from: usize, to: usize, value: String) {
        self.add_distance_table();
        if let Some(cell) = self.distances.get_mut(from).and_then(|r| r.get_mut(to)) {
            *cell = value;
        }
    }

    /// `base` with this machine, checked by the scenario parser: an error names the
    /// field as the scenario file would.
    pub fn apply(&self, base: &Scenario) -> Result<Scenario, String> {
        let text = scenario_to_toml(base);
        let mut doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        let mut machine = toml::Table::new();
        let number = |field: &str, text: &str| -> Result<toml::Value, String> {
            text.trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| format!("{field}: `{}` is not a whole number", text.trim()))
        };
        machine.insert(
            "section_size_bits".into(),
            number("section size bits", &self.section_size_bits)?,
        );
        machine.insert(
            "thp".into(),
            toml::Value::String(self.thp.trim().to_string()),
        );
        for (key, value) in [
            ("kernelcore", &self.kernelcore),
            ("movablecore", &self.movablecore),
        ] {
            if !value.trim().is_empty() {
                machine.insert(key.into(), toml::Value::String(value.trim().to_string()));
            }
        }
        if !self.distances.is_empty() {
            let mut rows = Vec::new();
            for (i, row) in self.distances.iter().enumerate() {
                let mut cells = Vec::new();
                for (j, cell) in row.iter().enumerate() {
                    cells.push(number(
                        &format!("distance from node {i} to node {j}"),
                        cell,
                    )?);
                }
                rows.push(toml::Value::Array(cells));
            }
            machine.insert("distances".into(), toml::Value::Array(rows));
        }
        let mut nodes = Vec::new();
        for (memory, cpus) in &self.nodes {
            let mut node = toml::Table::new();
            let ranges = memory
                .split([',', '\n'])
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| toml::Value::String(r.to_string()))
                .collect();
            node.insert("memory".into(), toml::Value::Array(ranges));
            node.insert("cpus".into(), toml::Value::String(cpus.trim().to_string()));
            nodes.push(toml::Value::Table(node));
        }
        machine.insert("nodes".into(), toml::Value::Array(nodes));
        let mut sysctl = toml::Table::new();
        if !self.min_free_kbytes.trim().is_empty() {
            sysctl.insert(
                "min_free_kbytes".into(),
                number("min_free_kbytes", &self.min_free_kbytes)?,
            );
        }
        sysctl.insert(
            "watermark_scale_factor".into(),
            number("watermark_scale_factor", &self.watermark_scale_factor)?,
        );
        sysctl.insert(
            "watermark_boost_factor".into(),
            number("watermark_boost_factor", &self.watermark_boost_factor)?,
        );
        sysctl.insert(
            "percpu_pagelist_high_fraction".into(),
            number(
                "percpu_pagelist_high_fraction",
                &self.percpu_pagelist_high_fraction,
            )?,
        );
        let ratios = self
            .lowmem_reserve_ratio
            .split([',', ' '])
            .filter(|s| !s.trim().is_empty())
            .map(|s| number("lowmem_reserve_ratio", s))
            .collect::<Result<Vec<_>, _>>()?;
        sysctl.insert("lowmem_reserve_ratio".into(), toml::Value::Array(ratios));
        machine.insert("sysctl".into(), toml::Value::Table(sysctl));
        // Keep what the form does not edit (reserved ranges, imported managed counts, CMA).
        if let Some(toml::Value::Table(old)) = doc.get("machine") {
            for key in ["reserved", "managed", "cma"] {
                if let Some(value) = old.get(key) {
                    machine.insert(key.into(), value.clone());
                }
            }
        }
        doc.insert("machine".into(), toml::Value::Table(machine));
        parse_scenario(&doc.to_string()).map_err(|e| e.to_string())
    }
}
