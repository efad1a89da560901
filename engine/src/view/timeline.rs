//! The timeline: the session's series ([`crate::session::series`]) as plots over the
//! run, downsampled to the pixel columns the page has (smallest and largest value per
//! column, never an average), with the cursor's call marked. Three plots, stacked on
//! one call axis: a zone's free pages against its min, low and high watermarks and
//! its boost; the zone's unusable and fragmentation indexes for an order; and one
//! row per marker kind. The page draws [`TimelineView`] on a canvas and saves it as
//! PNG; [`timeline_svg`] draws the same data, with the same geometry, as SVG.
//!
//! Every line and marker row carries the run it belongs to (`run`), and the axis is
//! the longest run's calls: two runs (a side-by-side comparison) are two sets of
//! lines on one axis.

use serde::Serialize;

use crate::session::series::{Marker, Quantity, Series, Span, MARKERS};
use crate::session::{Cursor, Session};
use crate::types::Order;

/// Pixels left of the plots (axis labels, marker rows' names).
pub const TIMELINE_LEFT_PX: u32 = 170;
/// Pixels right of the plots.
pub const TIMELINE_RIGHT_PX: u32 = 30;
/// Height of a value plot's drawing area.
pub const TIMELINE_PLOT_PX: u32 = 150;
/// Height of one marker row.
pub const TIMELINE_ROW_PX: u32 = 16;
/// Space above each plot (its title and legend).
pub const TIMELINE_TITLE_PX: u32 = 40;
/// Space below the last plot (the call axis).
pub const TIMELINE_AXIS_PX: u32 = 26;
/// Fewest and most pixel columns a timeline is drawn with.
pub const TIMELINE_COLUMNS_MIN: u32 = 100;
pub const TIMELINE_COLUMNS_MAX: u32 = 4000;

/// The Okabe–Ito palette (safe for the common colour-vision deficiencies), with
/// black and one more distinct dark colour for the ninth marker.
const BLACK: &str = "#000000";
const ORANGE: &str = "#E69F00";
const SKY_BLUE: &str = "#56B4E9";
const GREEN: &str = "#009E73";
const BLUE: &str = "#0072B2";
const VERMILLION: &str = "#D55E00";
const PURPLE: &str = "#CC79A7";
const GREY: &str = "#7F7F7F";
const WINE: &str = "#882255";

/// One run's series and its name (a side-by-side view has two).
#[derive(Clone, Copy, Debug)]
pub struct TimelineRun<'a> {
    pub label: &'a str,
    pub series: &'a Series,
}

/// What the user chose: the zone (its index among the series' zones; one that is not
/// there picks the zone with the most free pages), the order of the indexes, how
/// many pixel columns the plots have, and whether the free-pages plot's scale fits
/// the watermarks rather than the whole run (free pages above it are drawn at its
/// top edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimelineChoice {
    pub zone: usize,
    pub order: u8,
    pub columns: u32,
    pub watermark_scale: bool,
}

/// One line of a value plot: per column, the smallest and largest value over the
/// column's calls (`None`: no call there).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineLine {
    pub label: String,
    pub colour: &'static str,
    pub run: usize,
    pub columns: Vec<Option<(i64, i64)>>,
}

impl TimelineLine {
    /// What to draw in each column: the column's range widened to reach the previous
    /// column's, so the trace is continuous where the value jumped between columns.
    pub fn bars(&self) -> Vec<Option<(i64, i64)>> {
        let mut previous: Option<(i64, i64)> = None;
        self.columns
            .iter()
            .map(|column| {
                let bar = column.map(|(lo, hi)| match previous {
                    Some((plo, phi)) => (lo.min(phi), hi.max(plo)),
                    None => (lo, hi),
                });
                previous = *column;
                bar
            })
            .collect()
    }
}

/// A plot of values over the calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelinePlot {
    pub title: String,
    /// The values at the bottom and top of the plot.
    pub y_min: i64,
    pub y_max: i64,
    /// Labelled values on the y axis.
    pub ticks: Vec<(i64, String)>,
    pub lines: Vec<TimelineLine>,
}

impl TimelinePlot {
    /// The pixel row of `value` inside a plot whose area starts at `top`.
    pub fn y_px(&self, value: i64, top: f64) -> f64 {
        let span = (self.y_max - self.y_min).max(1) as f64;
        let height = f64::from(TIMELINE_PLOT_PX);
        top + height - (value - self.y_min) as f64 * height / span
    }
}

/// One marker kind's row: per column, how many calls had it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineMarkerRow {
    pub label: &'static str,
    pub kernel_function: &'static str,
    pub colour: &'static str,
    pub run: usize,
    /// Calls with the marker in the whole run.
    pub total: u64,
    pub columns: Vec<u64>,
}

/// The timeline panel's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineView {
    /// Every zone's name, for the selector ("Node 0 DMA32").
    pub zones: Vec<String>,
    pub zone: usize,
    pub order: u8,
    /// The axis: calls `0..calls` (the longest run's).
    pub calls: u64,
    pub columns: u32,
    /// Calls per stored bucket (1: every call exact), the coarsest of the runs.
    pub bucket_width: u64,
    /// The call the cursor's state is after (`None` before the first call).
    pub cursor_call: Option<u64>,
    pub free: TimelinePlot,
    pub indexes: TimelinePlot,
    pub markers: Vec<TimelineMarkerRow>,
}

/// The marker kinds' colours, by [`MARKERS`] order.
fn marker_colour(marker: Marker) -> &'static str {
    match marker {
        Marker::Steal => ORANGE,
        Marker::Claim => VERMILLION,
        Marker::Boost => PURPLE,
        Marker::KswapdWake => SKY_BLUE,
        Marker::KswapdRun => BLUE,
        Marker::Compaction => GREEN,
        Marker::DirectReclaim => GREY,
        Marker::Oom => WINE,
        Marker::AllocFailed => BLACK,
    }
}

fn pairs(spans: Vec<Option<Span>>) -> Vec<Option<(i64, i64)>> {
    spans
        .into_iter()
        .map(|s| s.map(|s| (s.min, s.max)))
        .collect()
}

/// The timeline of one session at a cursor.
pub fn timeline(session: &Session, cursor: Cursor, choice: TimelineChoice) -> TimelineView {
    let done = session.calls_done_at(cursor) as u64;
    let run = TimelineRun {
        label: "",
        series: session.series(),
    };
    timeline_of(&[run], done.checked_sub(1), choice)
}

/// The timeline of a pair (the side-by-side mode): both runs on one call axis, each
/// line and marker row named by its run's label, `call` (0-based) the call both
/// sides show, `None` before the first.
pub fn pair_timeline(
    diff: &crate::report::kernel_diff::KernelDiff,
    call: Option<u64>,
    choice: TimelineChoice,
) -> TimelineView {
    let runs = crate::report::pair::pair_sessions(diff).map(|(label, session)| TimelineRun {
        label,
        series: session.series(),
    });
    timeline_of(&runs, call, choice)
}

/// The timeline of one or more runs on one axis; `cursor_call` is the call whose
/// state the page shows.
pub fn timeline_of(
    runs: &[TimelineRun<'_>],
    cursor_call: Option<u64>,
    choice: TimelineChoice,
) -> TimelineView {
    let columns = choice
        .columns
        .clamp(TIMELINE_COLUMNS_MIN, TIMELINE_COLUMNS_MAX);
    let calls = runs.iter().map(|r| r.series.calls()).max().unwrap_or(0);
    let order = Order::new(u32::from(choice.order)).unwrap_or(Order::MAX);
    let zones: Vec<String> = runs
        .first()
        .map(|r| {
            r.series
                .zones()
                .iter()
                .map(|z| format!("Node {} {}", z.nid, z.zone.name()))
                .collect()
        })
        .unwrap_or_default();
    // No zone chosen (or one that is not there): the zone with the most free pages
    // at some point of the run, the one a lesson is usually about.
    let zone = if choice.zone < zones.len() {
        choice.zone
    } else {
        runs.first().map_or(0, |r| {
            (0..zones.len())
                .max_by_key(|&z| {
                    r.series
                        .span(z, Quantity::FreePages, 0, calls)
                        .map_or(0, |s| s.max)
                })
                .unwrap_or(0)
        })
    };
    let width = columns as usize;
    let named = |run: &TimelineRun<'_>, label: &str| {
        if runs.len() > 1 {
            format!("{label} ({})", run.label)
        } else {
            label.to_string()
        }
    };
    let mut free_lines = Vec::new();
    let mut index_lines = Vec::new();
    let mut markers = Vec::new();
    for (r, run) in runs.iter().enumerate() {
        let s = run.series;
        let line = |label: &str, colour, quantity| TimelineLine {
            label: named(run, label),
            colour,
            run: r,
            columns: pairs(s.columns(zone, quantity, 0, calls, width)),
        };
        free_lines.push(line(
            "free pages (NR_FREE_PAGES)",
            BLACK,
            Quantity::FreePages,
        ));
        free_lines.push(line("min", VERMILLION, Quantity::Min));
        free_lines.push(line("low", ORANGE, Quantity::Low));
        free_lines.push(line("high", GREEN, Quantity::High));
        free_lines.push(line("boost", PURPLE, Quantity::Boost));
        index_lines.push(line("unusable index", BLUE, Quantity::Unusable(order)));
        index_lines.push(line(
            "fragmentation index",
            VERMILLION,
            Quantity::Fragmentation(order),
        ));
        for marker in MARKERS {
            markers.push(TimelineMarkerRow {
                label: marker.label(),
                kernel_function: marker.kernel_function(),
                colour: marker_colour(marker),
                run: r,
                total: s.marker_count(marker, 0, calls),
                columns: s.marker_columns(marker, 0, calls, width),
            });
        }
    }
    let highest = |lines: &[TimelineLine]| {
        lines
            .iter()
            .flat_map(|l| l.columns.iter().flatten().map(|&(_, hi)| hi))
            .max()
            .unwrap_or(0)
            .max(1)
    };
    let top = if choice.watermark_scale {
        // Twice the highest watermark plus boost: the marks fill the plot.
        let marks: Vec<TimelineLine> = free_lines
            .iter()
            .filter(|l| !l.label.starts_with("free pages"))
            .cloned()
            .collect();
        let high = free_lines
            .iter()
            .filter(|l| l.label.starts_with("high") || l.label.starts_with("boost"))
            .map(|l| highest(std::slice::from_ref(l)))
            .sum::<i64>();
        (2 * high).max(highest(&marks))
    } else {
        highest(&free_lines)
    };
    let y_max = nice_ceiling(top + top / 20);
    for line in &mut free_lines {
        for (lo, hi) in line.columns.iter_mut().flatten() {
            *lo = (*lo).min(y_max);
            *hi = (*hi).min(y_max);
        }
    }
    let zone_name = zones.get(zone).cloned().unwrap_or_default();
    TimelineView {
        free: TimelinePlot {
            title: if choice.watermark_scale {
                format!("{zone_name}: free pages against the watermarks (pages; scaled to the marks, more at the top edge)")
            } else {
                format!("{zone_name}: free pages against the watermarks (pages)")
            },
            y_min: 0,
            y_max,
            ticks: [0, y_max / 2, y_max]
                .into_iter()
                .map(|v| (v, v.to_string()))
                .collect(),
            lines: free_lines,
        },
        indexes: TimelinePlot {
            title: format!(
                "{zone_name}: extfrag indexes for order {} (-1.000: a block of the order is free)",
                order.get()
            ),
            y_min: -1000,
            y_max: 1000,
            ticks: [-1000, 0, 500, 1000]
                .into_iter()
                .map(|v| (v, crate::buddy::frag::index_text(v, false)))
                .collect(),
            lines: index_lines,
        },
        markers,
        zones,
        zone,
        order: order.get(),
        calls,
        columns,
        bucket_width: runs
            .iter()
            .map(|r| r.series.bucket_width())
            .max()
            .unwrap_or(1),
        cursor_call: cursor_call.filter(|_| calls > 0).map(|c| c.min(calls - 1)),
    }
}

/// The smallest 1, 2 or 5 times a power of ten at or above `value`.
fn nice_ceiling(value: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= value {
                return step.saturating_mul(m);
            }
        }
        if step > i64::MAX / 10 {
            return value;
        }
        step *= 10;
    }
}

/// Where the parts of a drawn timeline are, in pixels (the canvas and the SVG share
/// it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelineGeometry {
    pub width: u32,
    pub height: u32,
    /// Top of the free-pages plot area, the index plot area and the first marker row.
    pub free_top: f64,
    pub indexes_top: f64,
    pub markers_top: f64,
}

impl TimelineView {
    /// The figure's layout.
    pub fn geometry(&self) -> TimelineGeometry {
        let title = f64::from(TIMELINE_TITLE_PX);
        let plot = f64::from(TIMELINE_PLOT_PX);
        let free_top = title;
        let indexes_top = free_top + plot + title;
        let markers_top = indexes_top + plot + title;
        let rows = self.markers.len() as u32;
        let height = markers_top as u32 + rows * TIMELINE_ROW_PX + TIMELINE_AXIS_PX;
        TimelineGeometry {
            width: TIMELINE_LEFT_PX + self.columns + TIMELINE_RIGHT_PX,
            height,
            free_top,
            indexes_top,
            markers_top,
        }
    }

    /// The first call of pixel column `column`.
    pub fn call_of_column(&self, column: u32) -> u64 {
        let column = u64::from(column.min(self.columns.saturating_sub(1)));
        (u128::from(column) * u128::from(self.calls) / u128::from(self.columns.max(1))) as u64
    }

    /// The call under x pixel `x` of the figure, if x is over the plots.
    pub fn call_at_x(&self, x: f64) -> Option<u64> {
        let column = x - f64::from(TIMELINE_LEFT_PX);
        if self.calls == 0 || column < 0.0 || column >= f64::from(self.columns) {
            return None;
        }
        Some(self.call_of_column(column as u32).min(self.calls - 1))
    }

    /// The pixel column a call is drawn in.
    pub fn column_of_call(&self, call: u64) -> u32 {
        if self.calls == 0 {
            return 0;
        }
        let column = u128::from(call) * u128::from(self.columns) / u128::from(self.calls);
        u32::try_from(column)
            .unwrap_or(u32::MAX)
            .min(self.columns.saturating_sub(1))
    }

    /// The x pixel (centre) of the cursor's line.
    pub fn cursor_x(&self) -> Option<f64> {
        self.cursor_call
            .map(|c| f64::from(TIMELINE_LEFT_PX + self.column_of_call(c)) + 0.5)
    }

    /// Where the cursor's line is drawn: from top to bottom of each plot area and of
    /// the marker rows (the titles between them stay readable).
    pub fn cursor_segments(&self) -> Vec<(f64, f64)> {
        let g = self.geometry();
        let plot = f64::from(TIMELINE_PLOT_PX);
        let rows = self.markers.len() as f64 * f64::from(TIMELINE_ROW_PX);
        vec![
            (g.free_top, g.free_top + plot),
            (g.indexes_top, g.indexes_top + plot),
            (g.markers_top, g.markers_top + rows),
        ]
    }

    /// Labelled calls on the x axis: the start, quarters and the last call.
    pub fn call_ticks(&self) -> Vec<(f64, String)> {
        if self.calls == 0 {
            return Vec::new();
        }
        (0..=4u64)
            .map(|q| {
                let call = (q * (self.calls - 1)) / 4;
                let x = f64::from(TIMELINE_LEFT_PX + self.column_of_call(call)) + 0.5;
                (x, call.to_string())
            })
            .collect()
    }

    /// What the axis says about resolution.
    pub fn axis_label(&self) -> String {
        let per_column = self.calls.div_ceil(u64::from(self.columns.max(1)));
        format!(
            "call (0 to {}; {} per pixel column, each drawn as its smallest and largest value)",
            self.calls.saturating_sub(1),
            per_column.max(1)
        )
    }
}

/// Escapes text for SVG.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn svg_plot(out: &mut String, view: &TimelineView, plot: &TimelinePlot, top: f64) {
    use std::fmt::Write;
    let left = f64::from(TIMELINE_LEFT_PX);
    let right = left + f64::from(view.columns);
    let bottom = top + f64::from(TIMELINE_PLOT_PX);
    let _ = writeln!(
        out,
        r##"<text x="{left}" y="{}" font-size="13" font-weight="bold">{}</text>"##,
        top - 20.0,
        xml_text(&plot.title)
    );
    let mut x = left;
    for line in &plot.lines {
        let _ = writeln!(
            out,
            r##"<rect x="{x}" y="{}" width="12" height="4" fill="{}"/><text x="{}" y="{}" font-size="11">{}</text>"##,
            top - 10.0,
            line.colour,
            x + 15.0,
            top - 5.0,
            xml_text(&line.label)
        );
        x += 24.0 + 6.5 * line.label.len() as f64;
    }
    let _ = writeln!(
        out,
        r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="#FFFFFF" stroke="#BBBBBB"/>"##,
        view.columns, TIMELINE_PLOT_PX
    );
    for (value, label) in &plot.ticks {
        let y = plot.y_px(*value, top);
        let _ = writeln!(
            out,
            r##"<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="#E5E5E5"/><text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>"##,
            left - 6.0,
            y + 4.0,
            xml_text(label)
        );
    }
    for line in &plot.lines {
        let mut d = String::new();
        for (c, bar) in line.bars().iter().enumerate() {
            if let Some((lo, hi)) = bar {
                let (y_hi, y_lo) = (plot.y_px(*hi, top), plot.y_px(*lo, top));
                let height = (y_lo - y_hi).max(1.5);
                let _ = write!(
                    d,
                    "M{} {:.1}h1v{:.1}h-1z",
                    left + c as f64,
                    y_hi.min(bottom - 1.5),
                    height
                );
            }
        }
        let _ = writeln!(
            out,
            r##"<path class="line" data-label="{}" fill="{}" d="{d}"/>"##,
            xml_text(&line.label),
            line.colour
        );
    }
}

/// The timeline as an SVG document, drawn from the same data and geometry as the
/// page's canvas.
pub fn timeline_svg(view: &TimelineView) -> String {
    use std::fmt::Write;
    let g = view.geometry();
    let left = f64::from(TIMELINE_LEFT_PX);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" font-family="sans-serif">"##,
        g.width, g.height, g.width, g.height
    );
    let _ = writeln!(
        out,
        r##"<rect width="{}" height="{}" fill="#FFFFFF"/>"##,
        g.width, g.height
    );
    svg_plot(&mut out, view, &view.free, g.free_top);
    svg_plot(&mut out, view, &view.indexes, g.indexes_top);
    let _ = writeln!(
        out,
        r##"<text x="{left}" y="{}" font-size="13" font-weight="bold">Events (calls that had each)</text>"##,
        g.markers_top - 20.0
    );
    let row = f64::from(TIMELINE_ROW_PX);
    for (i, marker) in view.markers.iter().enumerate() {
        let y = g.markers_top + i as f64 * row;
        let _ = writeln!(
            out,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="end">{} ({})</text><rect x="{left}" y="{y}" width="{}" height="{row}" fill="{}" stroke="#EEEEEE"/>"##,
            left - 6.0,
            y + row - 4.0,
            xml_text(marker.label),
            marker.total,
            view.columns,
            if i % 2 == 0 { "#FAFAFA" } else { "#FFFFFF" }
        );
        let mut d = String::new();
        for (c, &n) in marker.columns.iter().enumerate() {
            if n > 0 {
                let _ = write!(d, "M{} {}h2v{}h-2z", left + c as f64, y + 2.0, row - 4.0);
            }
        }
        let _ = writeln!(
            out,
            r##"<path class="marker" data-label="{}" fill="{}" d="{d}"/>"##,
            xml_text(marker.label),
            marker.colour
        );
    }
    let axis_y = g.markers_top + view.markers.len() as f64 * row;
    for (x, label) in view.call_ticks() {
        let _ = writeln!(
            out,
            r##"<line x1="{x}" y1="{axis_y}" x2="{x}" y2="{}" stroke="#000000"/><text x="{x}" y="{}" font-size="11" text-anchor="middle">{}</text>"##,
            axis_y + 4.0,
            axis_y + 15.0,
            xml_text(&label)
        );
    }
    let _ = writeln!(
        out,
        r##"<text x="{}" y="{}" font-size="10" fill="#444444">{}</text>"##,
        left,
        f64::from(g.height) - 1.0,
        xml_text(&view.axis_label())
    );
    if let Some(x) = view.cursor_x() {
        let d: String = view
            .cursor_segments()
            .iter()
            .map(|(top, bottom)| format!("M{x} {top}V{bottom}"))
            .collect();
        let _ = writeln!(
            out,
            r##"<path class="cursor" d="{d}" stroke="#333333" stroke-width="2" stroke-dasharray="4 2" fill="none"/>"##
        );
    }
    out.push_str("</svg>\n");
    out
}
