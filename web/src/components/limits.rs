//! What the model leaves out, for the reader to know what not to conclude.

use buddyscope_engine::alloc::NOT_MODELLED;
use buddyscope_engine::LIMITATIONS;
use yew::prelude::*;

/// What the model deliberately leaves out (`engine::LIMITATIONS` and
/// `alloc::NOT_MODELLED`).
#[function_component(Limitations)]
pub fn limitations() -> Html {
    html! {
        <section class="limits" aria-label="What this model leaves out">
            <h2>{ "What this model leaves out" }</h2>
            <ul>
                { for LIMITATIONS.iter().chain(NOT_MODELLED.iter()).map(|l| html! { <li>{ *l }</li> }) }
            </ul>
        </section>
    }
}
