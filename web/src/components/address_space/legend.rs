//! The legend under the canvas: the colours of pageblock types (free and allocated),
//! per-cpu, reserved, hole, a collapsed gap and the step's block; the gutter's node and zone bars;
//! and how long the last draw took.

use buddyscope_engine::types::ZoneType;
use buddyscope_engine::view::{
    self, free_migratetype_rgb, migratetype_rgb, node_rgb, zone_rgb, Rgb, GAP_STRIPE_RGB,
    HIGHLIGHT_RGB, HOLE_RGB, PCP_RGB, RESERVED_RGB,
};
use buddyscope_engine::MigrateType;
use yew::prelude::*;
use yew::virtual_dom::{ApplyAttributeAs, VText};

use crate::state::{AtCursor, Shared};
use crate::tags::{el, el_with, text, Attrs};

#[derive(Properties, PartialEq)]
pub struct LegendProps {
    pub at: Shared<AtCursor>,
    /// How long the last draw took, in milliseconds.
    pub draw_ms: f64,
}

fn css(rgb: Rgb) -> String {
    format!("rgb({},{},{})", rgb[0], rgb[1], rgb[2])
}

/// The zone types present, each once, lowest first.
fn zone_types(spans: &view::Spans) -> Vec<usize> {
    let mut types: Vec<usize> = spans.zones.iter().map(|(z, _, _)| *z).collect();
    buddyscope_engine::types::sort::sort(&mut types);
    types.dedup();
    types
}

/// A coloured square and its meaning.
/// A key: its swatches' styles, then its words.
fn key_of(styles: &[String], text: String) -> Html {
    let mut children: Vec<Html> = styles
        .iter()
        .map(|style| {
            el_with(
                "span",
                &["style", "class"],
                vec![Some(style.clone().into()), Some("swatch".into())],
                Vec::new(),
            )
        })
        .collect();
    children.push(VText::new(text).into());
    el("span", KEY, children)
}

const KEY: Attrs = &[("class", "key", ApplyAttributeAs::Attribute)];

fn key(rgb: Rgb, text: String) -> Html {
    key_of(&[format!("background:{}", css(rgb))], text)
}

/// Each migratetype's free tint and allocated colour.
fn migratetype_keys() -> Html {
    let kinds = MigrateType::ALL.iter().chain([MigrateType::Cma].iter());
    kinds
        .map(|m| {
            key_of(
                &[
                    format!("background:{}", css(free_migratetype_rgb(*m as u8))),
                    format!("background:{}", css(migratetype_rgb(*m as u8))),
                ],
                m.name().to_string(),
            )
        })
        .collect()
}

#[function_component(Legend)]
pub fn legend(props: &LegendProps) -> Html {
    let spans = &props.at.spans;
    let zone_name = |z: usize| ZoneType::ALL.get(z).map_or("?", |t| t.name()).to_string();
    html! {
        <div class="legend" aria-label="Legend">
            { text("span", crate::attrs!("class" = "muted"), "Pageblock type (free tint, allocated full): ".into()) }
            { migratetype_keys() }
            { key(PCP_RGB, "on a per-cpu list".into()) }
            { key(RESERVED_RGB, "reserved".into()) }
            { key(HOLE_RGB, "hole".into()) }
            { key_of(&[format!("background:repeating-linear-gradient(135deg,{} 0 2px,{} 2px 6px)", css(GAP_STRIPE_RGB), css(HOLE_RGB))], "hole or offline sections, collapsed (true scale: at their size)".into()) }
            <span class="key"><span class="swatch outline" style={format!("border-color:{}", css(HIGHLIGHT_RGB))}></span>{ "the step's block" }</span>
            <br />
            { text("span", crate::attrs!("class" = "muted"), "Gutter bars: node ".into()) }
            { for spans.nodes.iter().map(|(nid, _, _)| key(node_rgb(*nid), format!("{nid}"))) }
            { text("span", crate::attrs!("class" = "muted"), " · zone ".into()) }
            { for zone_types(spans).into_iter().map(|z| key(zone_rgb(z), zone_name(z))) }
            { text("span", crate::attrs!("class" = "muted"), " · sections alternate grey (none: not present). Draw: ".into()) }
            <span id="draw-ms">{ format!("{:.1} ms", props.draw_ms) }</span>
        </div>
    }
}
