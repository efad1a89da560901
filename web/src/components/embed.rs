//! Embedding: the "Open in Buddyscope" link of the compact layout and the "Copy
//! embed code" button, which produces an iframe snippet with a `title`.

use yew::prelude::*;

use crate::tags::{button, text, PLAIN};

use crate::link::embed_snippet;

pub struct EmbedProps {
    /// The full page at this step (no embed switch).
    pub open_url: String,
    /// The compact page at this step.
    pub embed_url: String,
    pub title: String,
    pub embed: bool,
    /// Copies text to the clipboard and says so.
    pub on_copy: Callback<(String, &'static str)>,
    /// Why this scenario has no link (too large), in place of the snippet.
    pub share_refused: Option<std::rc::Rc<String>>,
}

pub fn embed(props: &EmbedProps) -> Html {
    let snippet = embed_snippet(&props.embed_url, &props.title);
    let on_copy = {
        let snippet = snippet.clone();
        props
            .on_copy
            .reform(move |_: MouseEvent| (snippet.clone(), "Embed code copied."))
    };
    if props.embed {
        html! {
            <footer class="embed-bar">
                <a href={props.open_url.clone()} target="_blank" rel="noopener">{ "Open in Buddyscope" }</a>
                { button(crate::attrs!("type" = "button"), on_copy, "Copy embed code".into()) }
                { text("span", crate::attrs!("class" = "muted"), "Read-only view; open it to edit the machine or the workload.".into()) }
            </footer>
        }
    } else if let Some(why) = &props.share_refused {
        html! {
            <section class="embed" aria-label="Embed">
                { text("h2", PLAIN, "Embed this step in course notes".into()) }
                { text("p", crate::attrs!("id" = "embed-refused", "class" = "muted"), why.to_string().into()) }
            </section>
        }
    } else {
        html! {
            <section class="embed" aria-label="Embed">
                { text("h2", PLAIN, "Embed this step in course notes".into()) }
                { text("p", crate::attrs!("class" = "muted"), "The snippet shows a compact, read-only view opened at exactly this step. See docs/embedding.md.".into()) }
                <textarea id="embed-code" aria-label="Embed code" readonly=true rows="3" value={snippet}></textarea>
                { button(crate::attrs!("type" = "button"), on_copy, "Copy embed code".into()) }
            </section>
        }
    }
}
