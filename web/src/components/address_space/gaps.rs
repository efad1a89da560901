//! The labels of the collapsed gaps: over each gap's hatched band on the canvas, the
//! stretch of address space it stands for (`hole, pfn 0x0–0xfff (16 MiB)`), placed in
//! percent of the canvas so they follow its size. They let the pointer through to
//! the canvas.

use buddyscope_engine::view::{Viewport, GUTTER_PX, HEIGHT_PX};
use yew::prelude::*;

use crate::tags::{text, PLAIN};

#[derive(Properties, PartialEq)]
pub struct GapLabelsProps {
    pub viewport: Viewport,
}

/// A component, so it keeps one place among the canvas's siblings (see `tooltip`).
#[function_component(GapLabels)]
pub fn gap_labels(props: &GapLabelsProps) -> Html {
    let viewport = &props.viewport;
    let percent = |px: u32, of: u32| f64::from(px) * 100.0 / f64::from(of.max(1));
    let left = percent(GUTTER_PX, viewport.width_px());
    html! {
        <div class="gap-labels">
            { for viewport.gaps_on_screen().into_iter().map(|(y, height, gap)| {
                let style = format!(
                    "top:{:.3}%;height:{:.3}%;left:{left:.3}%",
                    percent(y, HEIGHT_PX),
                    percent(height, HEIGHT_PX)
                );
                html! { <div class="gap-label" {style}>{ text("span", PLAIN, (gap.label()).to_string().into()) }</div> }
            }) }
        </div>
    }
}

/// What the picture leaves out before its first row and after its last, in words
/// (empty when nothing is).
pub fn edge_text(viewport: &Viewport) -> String {
    let mut parts = Vec::new();
    if let Some(gap) = &viewport.before {
        parts.push(format!("before the first row, {}", gap.label()));
    }
    if let Some(gap) = &viewport.after {
        parts.push(format!("after the last row, {}", gap.label()));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("Not drawn: {}.", parts.join("; "))
    }
}
