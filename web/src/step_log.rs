//! What the last operation did, event by event, with the kernel function of each.

use buddyscope_engine::Event;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StepLogProps {
    pub events: Vec<Event>,
}

#[function_component(StepLog)]
pub fn step_log(props: &StepLogProps) -> Html {
    html! {
        <section class="step-log">
            <h2>{ "What just happened" }</h2>
            if props.events.is_empty() {
                <p class="muted">{ "Nothing yet: allocate or free a block." }</p>
            } else {
                <ol>{ for props.events.iter().map(|e| html! { <li><code>{ e.kernel_function() }</code>{ " " }{ e.describe() }</li> }) }</ol>
            }
        </section>
    }
}
