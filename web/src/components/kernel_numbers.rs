//! "The kernel's numbers": the kernel's own files about the allocator (the proc
//! files, /proc/vmstat and debugfs extfrag) for the state the page shows at the
//! cursor, one at a time, in a monospace block with a Copy button. The engine
//! writes the text (`view::kernel_file_text`); it is computed only while the panel
//! is open, so stepping with the panel closed costs nothing.

use buddyscope_engine::view::{kernel_file_text, KernelFile};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::tags::{button, heading};

use crate::tags;

use crate::state::{AtCursor, Shared};

#[derive(Properties, PartialEq)]
pub struct KernelNumbersProps {
    /// The state at the cursor, the one the page draws.
    pub at: Shared<AtCursor>,
    /// The embedding page's last request for this panel (`view` with a file name or
    /// `numbers-hidden`, docs/embedding.md): its number and the file, or `None` to
    /// close the panel.
    #[prop_or_default]
    pub host_request: Option<(u64, Option<KernelFile>)>,
}

#[function_component(KernelNumbers)]
pub fn kernel_numbers(props: &KernelNumbersProps) -> Html {
    let open = use_state(bool::default);
    let file = use_state(|| KernelFile::Buddyinfo);
    let status = use_state(Option::<String>::default);
    {
        let (open, file) = (open.clone(), file.clone());
        use_effect_with(props.host_request, move |request| {
            if let Some((_, asked)) = request {
                match asked {
                    Some(asked) => {
                        file.set(*asked);
                        open.set(true);
                    }
                    None => open.set(false),
                }
            }
        });
    }
    // Recomputed when the cursor, the file or the panel's state changes, and only
    // while the panel is open.
    let text = use_memo((props.at.clone(), *file, *open), |(at, file, open)| {
        open.then(|| kernel_file_text(&at.allocator, *file))
    });
    {
        // A "Copied." from an earlier step or file no longer describes what is shown.
        // Cleared only when there is one: setting it again renders the panel again,
        // at every step.
        let status = status.clone();
        use_effect_with((props.at.clone(), *file), move |_| {
            if status.is_some() {
                status.set(None);
            }
        });
    }
    let on_toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let on_file = {
        let file = file.clone();
        Callback::from(move |e: Event| {
            let chosen = e
                .target_dyn_into::<HtmlSelectElement>()
                .and_then(|select| KernelFile::from_name(&select.value()));
            if let Some(chosen) = chosen {
                file.set(chosen);
            }
        })
    };
    let body = match &*text {
        None => html! {},
        Some(Err(why)) => {
            html! { { tags::text("p", crate::attrs!("role" = "alert", "id" = "kernel-numbers-error", "class" = "field-error"), why.to_string().into()) } }
        }
        Some(Ok(text)) => {
            let on_copy = {
                let (text, status) = (text.clone(), status.clone());
                Callback::from(move |_: MouseEvent| {
                    let status = status.clone();
                    crate::clipboard::copy_and_say(
                        &text,
                        "select the text and copy it by hand.",
                        move |said| status.set(Some(said)),
                    );
                })
            };
            html! {
                <>
                    <div class="kernel-numbers-bar">
                        { button(crate::attrs!("type" = "button", "id" = "kernel-numbers-copy"), on_copy, "Copy".into()) }
                        <span class="copy-status" id="kernel-numbers-status" role="status">
                            { status.as_deref().unwrap_or_default() }
                        </span>
                    </div>
                    <pre class="kernel-numbers-text" id="kernel-numbers-text"
                        aria-label={file.path()}>{ text }</pre>
                </>
            }
        }
    };
    html! {
        <section class="kernel-numbers" id="kernel-numbers" aria-label="The kernel's numbers">
            { heading("h2", "The kernel's numbers ", "(its own files, at this step)") }
            <button type="button" id="kernel-numbers-toggle" aria-expanded={open.to_string()}
                onclick={on_toggle}>
                { if *open { "Hide" } else { "Show" } }
            </button>
            if *open {
                <label class="kernel-numbers-file">{ "File " }
                    <select id="kernel-numbers-file" onchange={on_file}>
                        { for KernelFile::ALL.iter().map(|f| html! {
                            <option value={f.name()} selected={*f == *file}>{ f.path() }</option>
                        }) }
                    </select>
                </label>
                { body }
            }
        </section>
    }
}
