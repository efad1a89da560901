//! Watermark gauges: each zone's free pages (`NR_FREE_PAGES`, what the checks read)
//! against its min, low and high watermarks, the boost, and the lowmem_reserve that
//! applies to the current request; kswapd's state per node.

use buddyscope_engine::view::GaugeView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct GaugesProps {
    pub gauges: Vec<GaugeView>,
}

/// The gauge's full scale: a few times the high watermark (plus boost and reserve),
/// so the marks stay readable; more free pages than that fill the bar.
fn scale(g: &GaugeView) -> u64 {
    (g.threshold(g.high) * 3).max(16)
}

fn pct(value: u64, scale: u64) -> f64 {
    (value as f64 / scale as f64 * 100.0).clamp(0.0, 100.0)
}

#[function_component(Gauges)]
pub fn gauges(props: &GaugesProps) -> Html {
    html! {
        <section class="gauges" id="gauges" aria-label="Watermark gauges">
            <h2>{ "Watermarks " }<span class="muted">{ "(__zone_watermark_ok: free pages, less (1<<order) − 1 and the reserves the request may not use, against min/low/high + boost + lowmem_reserve)" }</span></h2>
            { for props.gauges.iter().map(|g| {
                let full = scale(g);
                let free = g.free.max(0) as u64;
                let reserve = g.lowmem_reserve.unwrap_or(0);
                let check = match &g.last_check {
                    Some(c) if c.ok => format!("last check in this call: ok: {}", c.arithmetic),
                    Some(c) => format!("last check in this call: FAILED: {}", c.arithmetic),
                    None => String::new(),
                };
                let class = classes!("gauge", match &g.last_check { Some(c) if !c.ok => Some("failed"), Some(_) => Some("ok"), None => None });
                let label = format!("Node {} {} free pages", g.node, g.zone);
                html! {
                    <div class={class} data-zone={format!("{}:{}", g.node, g.zone)}>
                        <div class="gauge-head">
                            <strong>{ format!("node {} {}", g.node, g.zone) }</strong>
                            <span class="free">{ format!(" free {free}") }</span>
                            <span class="muted">{ format!(" of {} managed · min {} · low {} · high {} · boost {}", g.managed, g.min, g.low, g.high, g.boost) }</span>
                        </div>
                        <div class="bar" role="meter" aria-label={label} aria-valuemin="0" aria-valuemax={full.to_string()} aria-valuenow={free.min(full).to_string()}
                            aria-valuetext={format!("{free} free pages; min {}, low {}, high {}", g.min, g.low, g.high)}>
                            <div class="fill" style={format!("width:{}%", pct(free, full))}></div>
                            if reserve > 0 {
                                <div class="reserve" style={format!("left:0;width:{}%", pct(reserve, full))} title="lowmem_reserve held back from this request"></div>
                            }
                            { for [("min", g.min), ("low", g.low), ("high", g.high)].into_iter().map(|(name, mark)| html! {
                                <div class={classes!("mark", name)} style={format!("left:{}%", pct(g.threshold(mark), full))} title={format!("{name} {mark} + boost {} + lowmem_reserve {reserve}", g.boost)}>
                                    <span>{ name }</span>
                                </div>
                            }) }
                        </div>
                        <div class="gauge-foot muted">
                            { match g.lowmem_reserve {
                                Some(r) => format!("lowmem_reserve for this request: {r}. "),
                                None => format!("lowmem_reserve by requester: {}. ", g.lowmem_reserves.iter().map(|(z, r)| format!("{z} {r}")).collect::<Vec<_>>().join(", ")),
                            } }
                            { &g.kswapd }{ ". " }
                            <span class="check">{ check }</span>
                        </div>
                    </div>
                }
            }) }
        </section>
    }
}
