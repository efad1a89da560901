//! "Compare kernels": the scenario run on Linux 6.1 and on 6.12 (the engine's
//! `report::kernel_diff`, as `buddyscope diff-kernels` prints it): the boot-time
//! values that differ, zone by zone, and the first call whose events differ, both
//! sides' events side by side with the first differing one marked, and a button that
//! puts the cursor there. Computed only when asked: it runs the scenario twice.

use std::rc::Rc;

use buddyscope_engine::scenario::Scenario;
use buddyscope_engine::view::{KernelDiffView, RowView, SideView};
use yew::prelude::*;
use yew::virtual_dom::ApplyAttributeAs;

use crate::components::side_by_side::{kernels_pair_fragment, open_pair};
use crate::state::{on_click, Action};
use crate::tags::{button, el, head_row, heading, items, text, NUM, PLAIN, ROW};

#[derive(Properties, PartialEq)]
pub struct KernelDiffProps {
    pub diff: Option<Result<Rc<KernelDiffView>, String>>,
    /// The kernel of the run on the page, whose cursor the buttons move.
    pub kernel: String,
    pub on_action: Callback<Action>,
    /// The scenario on the page, whose pair link on 6.1 and 6.12 "Open side by side"
    /// opens (made on the click: the button shows only after a comparison).
    pub scenario: Rc<Scenario>,
}

fn boot_table(view: &KernelDiffView) -> Html {
    let [old, new] = &view.kernels;
    let zone_rows = view.zones.iter().flat_map(|zone| {
        zone.rows.iter().enumerate().map(move |(i, row)| {
            let name = if i == 0 {
                zone.zone.clone()
            } else {
                String::new()
            };
            (name, row)
        })
    });
    let list_rows = view.zonelists.iter().enumerate().map(|(i, row)| {
        (
            if i == 0 {
                "Zonelists".to_string()
            } else {
                String::new()
            },
            row,
        )
    });
    html! {
        <table class="kernel-boot" id="kernel-boot">
            <thead>{ boot_head(old, new) }</thead>
            <tbody>
                { for zone_rows.chain(list_rows).map(|(name, row)| {
                    let cont = name.is_empty();
                    boot_row(cont, name, row)
                }) }
            </tbody>
        </table>
    }
}

/// The comparison's notes, a paragraph each (here and side by side).
pub fn notes(notes: &[String]) -> Html {
    notes
        .iter()
        .map(|n| {
            text(
                "p",
                &[("class", "kernel-note", ApplyAttributeAs::Attribute)],
                n.clone().into(),
            )
        })
        .collect()
}

/// The boot table's head: zone, value and each run's column (here and side by side).
pub fn boot_head(a: &str, b: &str) -> Html {
    head_row(
        &[
            "zone".into(),
            "value".into(),
            a.to_string().into(),
            b.to_string().into(),
        ],
        2,
    )
}

/// A row of the boot table: its zone (`class="cont"` when it continues the zone
/// above), what differs and both runs' values.
pub fn boot_row(cont: bool, zone: String, row: &RowView) -> Html {
    let cells = vec![
        text("th", ROW, zone.into()),
        text("td", PLAIN, row.what.clone().into()),
        text("td", NUM, row.values[0].clone().into()),
        text("td", NUM, row.values[1].clone().into()),
    ];
    if cont {
        el(
            "tr",
            &[("class", "cont", ApplyAttributeAs::Attribute)],
            cells,
        )
    } else {
        el("tr", PLAIN, cells)
    }
}

fn side(side: &SideView) -> Html {
    html! {
        <div class="kernel-side" data-kernel={side.kernel.clone()}>
            { text("h4", PLAIN, side.kernel.to_string().into()) }
            <p class="operation">{ text("code", PLAIN, side.operation.to_string().into()) }</p>
            if !side.outcome.is_empty() {
                <p class="outcome">{ format!("Returned: {}", side.outcome) }</p>
            }
            <ol class="events">
                { for side.events.iter().map(|e| {
                    let class = classes!(
                        e.first_difference.then_some("differs"),
                        e.after.then_some("after"),
                    );
                    html! {
                        <li class={class}>{ text("code", crate::attrs!("class" = "fn"), e.function.to_string().into()) }{ " " }{ &e.text }</li>
                    }
                }) }
            </ol>
            if side.more_events > 0 {
                <p class="muted">{ format!("… and {} more events", side.more_events) }</p>
            }
        </div>
    }
}

/// Moves the cursor, then brings the step panel into view (it is at the top of the
/// page, the comparison far below).
fn go_to(on_action: &Callback<Action>, call: usize, event: usize) -> Callback<MouseEvent> {
    on_action.reform(move |_: MouseEvent| {
        if let Some(heading) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("call-heading"))
        {
            heading.scroll_into_view();
        }
        Action::ShowCall { call, event }
    })
}

fn result(view: &KernelDiffView, kernel: &str, on_action: &Callback<Action>) -> Html {
    let first = match &view.first {
        None => {
            html! { { text("p", crate::attrs!("id" = "kernel-first", "class" = "kernel-same"), "The runs never differ: every call has the same events on both kernels.".into()) } }
        }
        Some(first) => {
            let (call, event) = (first.call, first.event);
            let go = go_to(on_action, call, event);
            html! {
                <div id="kernel-first">
                    <h3>{ format!("First difference: {}", first.title) }
                        <span class="muted">{ format!(" — event {} differs (marked)", first.first_event + 1) }</span></h3>
                    <button type="button" id="kernel-go-first" onclick={go}>
                        { format!("Go to call {} on {kernel}", call + 1) }
                    </button>
                    <div class="kernel-sides">
                        { for first.sides.iter().map(side) }
                    </div>
                </div>
            }
        }
    };
    let outcome = view
        .first_outcome
        .filter(|o| Some(*o) != view.first.as_ref().map(|f| f.call))
        .map(|call| {
            let go = go_to(on_action, call, 0);
            html! {
                <div class="kernel-outcome" id="kernel-outcome">
                    <button type="button" id="kernel-go-outcome" onclick={go}>
                        { format!("Go to call {}, where the outcomes first differ", call + 1) }
                    </button>
                    { el("ul", PLAIN, items(&mut view.first_outcome_returns.iter().filter(|r| !r.is_empty()).map(|r| r.clone().into()))) }
                </div>
            }
        });
    html! {
        <>
            { text("p", crate::attrs!("id" = "kernel-boot-summary"), view.boot_summary.to_string().into()) }
            if !view.zones.is_empty() || !view.zonelists.is_empty() {
                { boot_table(view) }
            }
            { first }
            { text("p", crate::attrs!("id" = "kernel-summary", "class" = "kernel-summary"), view.summary.to_string().into()) }
            { for outcome }
            { notes(&view.notes) }
        </>
    }
}

#[function_component(KernelDiff)]
pub fn kernel_diff(props: &KernelDiffProps) -> Html {
    let on_compare = on_click(&props.on_action, Action::CompareKernels);
    let on_pair = {
        let scenario = props.scenario.clone();
        Callback::from(move |_: MouseEvent| open_pair(&kernels_pair_fragment(&scenario)))
    };
    let body = match &props.diff {
        None => html! {},
        Some(Err(why)) => {
            html! { { text("p", crate::attrs!("role" = "alert", "class" = "field-error"), why.to_string().into()) } }
        }
        Some(Ok(view)) => result(view, &props.kernel, &props.on_action),
    };
    html! {
        <section class="kernel-diff" id="kernel-diff" aria-label="Compare kernels">
            { heading("h2", "Compare kernels ", "(this scenario, same seed and workload, on Linux 6.1 and 6.12)") }
            <button type="button" id="kernel-compare" onclick={on_compare}>
                { if props.diff.is_some() { "Compare again" } else { "Compare Linux 6.1 and 6.12" } }
            </button>
            if matches!(props.diff, Some(Ok(_))) {
                { button(crate::attrs!("type" = "button", "id" = "kernel-open-pair"), on_pair, "Open side by side".into()) }
            }
            { body }
        </section>
    }
}
