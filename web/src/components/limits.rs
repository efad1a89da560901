//! What the model leaves out, for the reader to know what not to conclude.

use buddyscope_engine::alloc::NOT_MODELLED;
use buddyscope_engine::LIMITATIONS;
use yew::prelude::*;

use crate::tags::{text, PLAIN};

/// What the model deliberately leaves out (`engine::LIMITATIONS` and
/// `alloc::NOT_MODELLED`).
#[function_component(Limitations)]
pub fn limitations() -> Html {
    html! {
        <section class="limits" aria-label="What this model leaves out">
            { text("h2", PLAIN, "What this model leaves out".into()) }
            <ul>
                { for LIMITATIONS.iter().chain(NOT_MODELLED.iter()).map(|l| html! { { text("li", PLAIN, (*l).to_string().into()) } }) }
            </ul>
        </section>
    }
}
