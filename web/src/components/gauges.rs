//! Watermark gauges: each zone's free pages (`NR_FREE_PAGES`, what the checks read)
//! against its min, low and high watermarks, the boost, and the lowmem_reserve that
//! applies to the current request; kswapd's state per node. The scale, the axis
//! ticks and the rows of the mark labels are the engine's (`GaugeView::scale_pages`,
//! `axis_ticks`, `mark_labels`): the scale always reaches the free pages and every
//! mark, and labels of close marks are staggered, not overlapped.

use buddyscope_engine::view::GaugeView;
use yew::prelude::*;
use yew::virtual_dom::VText;

use crate::tags::{el, heading, text};

#[derive(Properties, PartialEq)]
pub struct GaugesProps {
    pub gauges: Vec<GaugeView>,
    /// The section's id (the side-by-side page draws two, `gauges-A` and `gauges-B`).
    #[prop_or(AttrValue::Static("gauges"))]
    pub id: AttrValue,
}

/// Height of one row of mark labels above the bar, in rem.
const LABEL_ROW_REM: f64 = 0.8;

fn pct(value: u64, scale: u64) -> f64 {
    (value as f64 / scale.max(1) as f64 * 100.0).clamp(0.0, 100.0)
}

/// A page count with thousands separators, as the axis prints it.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The axis under the bar: a tick and a number at each interval, and what it counts.
fn axis(g: &GaugeView) -> Html {
    let full = g.scale_pages();
    let ticks = g.axis_ticks();
    let last = ticks.len().saturating_sub(1);
    html! {
        <div class="axis" aria-hidden="true">
            { for ticks.iter().enumerate().map(|(i, t)| {
                // The end labels stay inside the bar's width.
                let align = if i == 0 { "start" } else if i == last { "end" } else { "middle" };
                html! {
                    <span class={classes!("tick", align)} style={format!("left:{}%", pct(*t, full))}>{ thousands(*t) }</span>
                }
            }) }
        </div>
    }
}

fn gauge(g: &GaugeView) -> Html {
    let full = g.scale_pages();
    let free = g.free.max(0) as u64;
    let reserve = g.lowmem_reserve.unwrap_or(0);
    let check = match &g.last_check {
        Some(c) if c.ok => format!("last check in this call: ok: {}", c.arithmetic),
        Some(c) => format!("last check in this call: FAILED: {}", c.arithmetic),
        None => String::new(),
    };
    let class = classes!(
        "gauge",
        match &g.last_check {
            Some(c) if !c.ok => Some("failed"),
            Some(_) => Some("ok"),
            None => None,
        }
    );
    let label = format!("Node {} {} free pages", g.node, g.zone);
    let marks = g.mark_labels();
    let rows = marks.iter().map(|m| m.row).max().unwrap_or(0) + 1;
    html! {
        <div {class} data-zone={format!("{}:{}", g.node, g.zone)}>
            <div class="gauge-head">
                <strong>{ format!("node {} {}", g.node, g.zone) }</strong>
                <span class="free">{ format!(" free {free}") }</span>
                <span class="muted">{ format!(" of {} managed · min {} · low {} · high {} · boost {}", g.managed, g.min, g.low, g.high, g.boost) }</span>
            </div>
            <div class="bar" role="meter" aria-label={label} aria-valuemin="0" aria-valuemax={full.to_string()} aria-valuenow={free.to_string()}
                aria-valuetext={format!("{free} free pages of a scale to {full}; min {}, low {}, high {}", g.min, g.low, g.high)}
                style={format!("margin-top:{}rem", 0.3 + LABEL_ROW_REM * rows as f64)}>
                <div class="fill" style={format!("width:{}%", pct(free, full))}></div>
                if reserve > 0 {
                    <div class="reserve" style={format!("left:0;width:{}%", pct(reserve, full))} title="lowmem_reserve held back from this request"></div>
                }
                { for marks.iter().map(|m| html! {
                    <div class={classes!("mark", m.name)} style={format!("left:{}%", m.percent.clamp(0.0, 100.0))}
                        title={format!("{} {} + boost {} + reserve {reserve} = {} pages", m.name, m.mark, g.boost, m.pages)}>
                        <span style={format!("top:{}rem", -0.95 - LABEL_ROW_REM * m.row as f64)}>{ m.name }</span>
                    </div>
                }) }
            </div>
            { axis(g) }
            { el("div", crate::attrs!("class" = "gauge-foot muted"), vec![Html::from(match g.lowmem_reserve {
                    Some(r) => format!("lowmem_reserve for this request: {r}. "),
                    None => format!("lowmem_reserve by requester: {}. ", g.lowmem_reserves.iter().map(|(z, r)| format!("{z} {r}")).collect::<Vec<_>>().join(", ")),
                }), Html::from(&g.kswapd), VText::new(". ").into(), text("span", crate::attrs!("class" = "check"), check.to_string().into())]) }
        </div>
    }
}

#[function_component(Gauges)]
pub fn gauges(props: &GaugesProps) -> Html {
    html! {
        <section class="gauges" id={props.id.clone()} aria-label="Watermark gauges">
            { heading("h2", "Watermarks ", "(__zone_watermark_ok: free pages, less (1<<order) − 1 and the reserves the request may not use, against min/low/high + boost + lowmem_reserve)") }
            { text("p", crate::attrs!("class" = "muted axis-caption"), "Each bar: free pages (NR_FREE_PAGES) on an axis from 0 to the scale printed under it; a mark's label sits above its line.".into()) }
            { for props.gauges.iter().map(gauge) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(64512), "64,512");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
