//! The step: the call stack of the current allocation or free (kernel functions
//! with their inputs), a sentence on what just happened, and the call's events.

use buddyscope_engine::view::StepView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StepPanelProps {
    pub step: StepView,
}

/// Events shown around the current one in a long call.
const EVENTS_AROUND: usize = 12;

#[function_component(StepPanel)]
pub fn step_panel(props: &StepPanelProps) -> Html {
    let step = &props.step;
    let current = step.current_event;
    let centre = current.unwrap_or(0);
    let first = centre.saturating_sub(EVENTS_AROUND);
    let last = (centre + EVENTS_AROUND + 1).min(step.events.len());
    html! {
        <section class="step" aria-label="The step">
            <h2>{ format!("Call {} of {}", step.call_number, step.calls) }</h2>
            <p class="operation"><code>{ &step.operation }</code></p>
            <p class="sentence" id="step-sentence" aria-live="polite">{ &step.sentence }</p>
            <h3>{ "Call stack" }</h3>
            <ol class="frames" id="call-stack">
                { for step.frames.iter().map(|f| html! {
                    <li><code class="fn">{ &f.function }</code>{ " " }<span class="inputs">{ &f.inputs }</span></li>
                }) }
            </ol>
            if !step.outcome.is_empty() {
                <p class="muted">{ format!("Returns: {}", step.outcome) }</p>
            }
            <h3>{ format!("Events of this call ({})", step.events.len()) }</h3>
            <ol class="events" start={(first + 1).to_string()}>
                { for step.events[first..last].iter().enumerate().map(|(i, e)| {
                    let index = first + i;
                    let is_current = Some(index) == current;
                    let class = classes!(
                        if is_current { Some("current") } else { None },
                        if e.passed { None } else { Some("ahead") },
                    );
                    html! {
                        <li class={class} aria-current={if is_current { Some("step") } else { None }}>
                            <code class="fn">{ &e.function }</code>{ " " }{ &e.text }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
