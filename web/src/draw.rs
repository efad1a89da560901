//! Painting the zone: plain functions of a 2D context and view data, no component
//! state, so the browser tests can draw and read pixels back.

use buddyscope_engine::{BlockState, Order, Pfn, ZoneView};
use web_sys::CanvasRenderingContext2d;

use crate::layout::Layout;

/// Canvas background: cells outside the zone.
pub const BACKGROUND: &str = "#f1efe9";
/// Fill of an allocated block.
pub const ALLOCATED: &str = "#e76f51";
/// Fill of a reserved page (a hole, or memory the kernel kept at boot).
pub const RESERVED: &str = "#9ca3af";
/// Outline of every block.
pub const OUTLINE: &str = "#264653";
/// Outline of the block the last step touched.
pub const HIGHLIGHT: &str = "#1d4ed8";
/// Outline of the block the user selected.
pub const SELECTED: &str = "#9b2c9b";

/// Fill of a free block of `order`: light green for order 0, darkening with order, so
/// the buddyinfo shape can be seen at a glance.
pub fn free_colour(order: Order) -> String {
    let t = f64::from(order.get()) / 10.0;
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(216.0, 45.0),
        mix(243.0, 106.0),
        mix(220.0, 79.0)
    )
}

/// Draws every block of `view`: fill by state and order, outline at block edges,
/// then the highlighted and selected blocks on top.
pub fn draw_zone(
    ctx: &CanvasRenderingContext2d,
    view: &ZoneView,
    layout: &Layout,
    selected: Option<Pfn>,
) {
    let width = f64::from(layout.width_px());
    let height = f64::from(layout.height_px());
    ctx.set_fill_style_str(BACKGROUND);
    ctx.fill_rect(0.0, 0.0, width, height);
    let outlines = layout.cell_px >= 4;
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str(OUTLINE);
    for block in &view.blocks {
        let rect = layout.block_rect(block.pfn, block.order);
        match block.state {
            BlockState::Free => ctx.set_fill_style_str(&free_colour(block.order)),
            BlockState::Allocated => ctx.set_fill_style_str(ALLOCATED),
            BlockState::Reserved => ctx.set_fill_style_str(RESERVED),
        }
        ctx.fill_rect(rect.x, rect.y, rect.width, rect.height);
        if outlines {
            ctx.stroke_rect(
                rect.x + 0.5,
                rect.y + 0.5,
                rect.width - 1.0,
                rect.height - 1.0,
            );
        }
    }
    if let Some((pfn, order)) = view.highlight {
        outline(ctx, layout, pfn, order, HIGHLIGHT);
    }
    let selected_block = selected.and_then(|pfn| {
        view.blocks
            .iter()
            .find(|b| b.pfn.0 <= pfn.0 && pfn.0 < b.pfn.0 + b.order.pages())
    });
    if let Some(block) = selected_block {
        outline(ctx, layout, block.pfn, block.order, SELECTED);
    }
}

fn outline(ctx: &CanvasRenderingContext2d, layout: &Layout, pfn: Pfn, order: Order, colour: &str) {
    let rect = layout.block_rect(pfn, order);
    ctx.set_line_width(3.0);
    ctx.set_stroke_style_str(colour);
    ctx.stroke_rect(
        rect.x + 1.5,
        rect.y + 1.5,
        (rect.width - 3.0).max(1.0),
        (rect.height - 3.0).max(1.0),
    );
    ctx.set_line_width(1.0);
}
