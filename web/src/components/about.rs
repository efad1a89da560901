//! The scenario's own description (the lesson), when it has one: one click away at
//! the top of the page, folded so the controls, the picture and the step's sentence
//! stay above the fold.

use yew::prelude::*;

use crate::tags::{text, PLAIN};

pub struct AboutProps {
    /// The scenario's `[about]` text, if it has one.
    pub about: Option<String>,
}

pub fn about(props: &AboutProps) -> Html {
    match props.about.clone() {
        Some(about) => html! {
            <section class="about" aria-label="About this scenario">
                <details>
                    { text("summary", PLAIN, "About this scenario: the lesson".into()) }
                    { text("p", crate::attrs!("class" = "pre"), about.to_string().into()) }
                </details>
            </section>
        },
        None => html! {},
    }
}
