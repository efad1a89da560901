//! The step: the call stack of the current allocation or free (kernel functions
//! with their inputs), a sentence on what just happened, and the call's events. By
//! default only what has happened is shown (the events up to the cursor, the return
//! value once the call returns); a switch shows the whole call. Each frame and each
//! event links to its line of the kernel source on Elixir (docs/source-lines.md).

use buddyscope_engine::view::{SourceLink, StepView};
use yew::prelude::*;
use yew::virtual_dom::VText;

use crate::tags::{el, text, PLAIN};

use crate::state::Action;

pub struct StepPanelProps {
    pub step: StepView,
    /// Show every event of the call and what it returns, ahead of the cursor too.
    pub whole_call: bool,
    pub on_action: Callback<Action>,
}

/// Events shown around the current one in a long call.
const EVENTS_AROUND: usize = 12;

/// The heading: which call, counted among all calls (operations of any kind), so it
/// is not read as the allocation index the outcome names.
fn call_heading(step: &StepView) -> String {
    if step.calls == 0 {
        return "No calls yet".to_string();
    }
    format!("Call {} of {}", step.call_number, step.calls)
}

/// A frame's or an event's kernel source line, opened on Elixir in a new tab.
fn source_link(link: &Option<SourceLink>) -> Html {
    match link {
        Some(link) => html! {
            <>{ " " }<a class="source-line" href={link.url()} title={link.title()}
                target="_blank" rel="noopener">{ link.label() }</a></>
        },
        None => html! {},
    }
}

pub fn step_panel(props: &StepPanelProps) -> Html {
    let step = &props.step;
    let whole = props.whole_call;
    let current = step.current_event;
    let passed = current.map_or(0, |c| c + 1);
    let shown = if whole { step.events.len() } else { passed };
    let hidden = step.events.len() - shown;
    let centre = current.unwrap_or(0);
    let first = centre.saturating_sub(EVENTS_AROUND).min(shown);
    let last = (centre + EVENTS_AROUND + 1).min(shown);
    let on_whole = {
        let whole = props.whole_call;
        props
            .on_action
            .reform(move |_: Event| Action::SetWholeCall(!whole))
    };
    let outcome = if step.outcome.is_empty() {
        html! {}
    } else if step.returned {
        html! { <p class="outcome" id="step-outcome">{ format!("Returned: {}", step.outcome) }</p> }
    } else if whole {
        html! { <p class="outcome muted" id="step-outcome">{ format!("Will return: {}", step.outcome) }</p> }
    } else {
        html! { { text("p", crate::attrs!("id" = "step-outcome", "class" = "outcome muted"), "Returns: not yet (step on to see)".into()) } }
    };
    html! {
        <section class="step" aria-label="The step">
            { el("h2", crate::attrs!("id" = "call-heading"), vec![Html::from(call_heading(step)), text("span", crate::attrs!("class" = "muted small"), " (calls count every operation: allocations, frees, drains…; allocations are numbered apart, from #0)".into())]) }
            <p class="operation">{ text("code", PLAIN, step.operation.to_string().into()) }</p>
            { text("p", crate::attrs!("id" = "step-sentence", "aria-live" = "polite", "class" = "sentence"), step.sentence.to_string().into()) }
            { text("h3", PLAIN, "Call stack".into()) }
            <ol class="frames" id="call-stack">
                { for step.frames.iter().map(|f| html! {
                    { el("li", PLAIN, vec![text("code", crate::attrs!("class" = "fn"), f.function.to_string().into()), source_link(&f.source), VText::new(" ").into(), text("span", crate::attrs!("class" = "inputs"), f.inputs.to_string().into())]) }
                }) }
            </ol>
            { outcome }
            <h3>{ if whole { format!("Events of this call ({})", step.events.len()) } else { format!("Events so far ({passed})") } }</h3>
            <label class="switch">
                <input type="checkbox" id="whole-call" checked={whole} onchange={on_whole} />
                { " Show the whole call (events ahead and the return value)" }
            </label>
            <ol class="events" id="call-events" start={(first + 1).to_string()}>
                { for step.events.get(first..last).unwrap_or_default().iter().enumerate().map(|(i, e)| {
                    let index = first + i;
                    let is_current = Some(index) == current;
                    let class = classes!(
                        if is_current { Some("current") } else { None },
                        if e.passed { None } else { Some("ahead") },
                    );
                    // Keyed by the event's place in the call: a step moves the window
                    // of events by one, and Yew then adds and drops one item instead of
                    // rewriting the text of every item.
                    html! {
                        <li key={index} class={class} aria-current={if is_current { Some("step") } else { None }}>
                            { text("code", crate::attrs!("class" = "fn"), e.function.to_string().into()) }{ " " }{ &e.text }{ source_link(&e.source) }
                        </li>
                    }
                }) }
            </ol>
            if hidden > 0 {
                <p class="muted" id="events-hidden">{ format!("{hidden} more event{} ahead, hidden: step on, or show the whole call.", if hidden == 1 { "" } else { "s" }) }</p>
            }
        </section>
    }
}
