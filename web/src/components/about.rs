//! The scenario's own description, when it has one.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AboutProps {
    /// The scenario's `[about]` text, if it has one.
    pub about: Option<String>,
}

#[function_component(About)]
pub fn about(props: &AboutProps) -> Html {
    match props.about.clone() {
        Some(about) => html! {
            <section class="about" aria-label="About this scenario"><h2>{ "About this scenario" }</h2><p class="pre">{ about }</p></section>
        },
        None => html! {},
    }
}
