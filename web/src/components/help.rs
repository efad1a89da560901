//! The keyboard shortcuts panel.

use yew::prelude::*;

use crate::tags::{button, el, text, PLAIN, ROW};

/// `(keys, what they do)`; `app::keys` and the canvas handle exactly these.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("→ or j", "Step forward: the next decision (event)"),
    ("← or k", "Step back: exactly the previous state"),
    ("Shift+→ or n", "Step over: to the end of the current call"),
    ("w", "To the next watermark check (get_page_from_freelist)"),
    ("Home / End", "Back to the start / run to the end"),
    ("Space or p", "Play or pause"),
    ("s", "Share: copy a link to this step"),
    ("?", "Show or hide this panel"),
    (
        "On the canvas: + / −",
        "Zoom in / out (also the mouse wheel)",
    ),
    ("On the canvas: 0", "Fit the whole machine"),
    ("On the canvas: ↑ ↓ Page Up/Down", "Scroll (also drag)"),
];

pub struct HelpProps {
    pub on_close: Callback<()>,
}

pub fn help(props: &HelpProps) -> Html {
    let close = crate::state::on_click_unit(&props.on_close);
    html! {
        <section class="help" role="dialog" aria-label="Keyboard shortcuts">
            { text("h2", PLAIN, "Keyboard shortcuts".into()) }
            <table>
                <tbody>
                    { for SHORTCUTS.iter().map(|(keys, what)| el("tr", PLAIN, vec![
                        el("th", ROW, vec![text("kbd", PLAIN, (*keys).into())]),
                        text("td", PLAIN, (*what).into()),
                    ])) }
                </tbody>
            </table>
            { text("p", crate::attrs!("class" = "muted"), "Shortcuts do not fire while you type in a field. Every control is also reachable with Tab.".into()) }
            { button(crate::attrs!("type" = "button", "aria-label" = "Close shortcuts"), close, "Close".into()) }
        </section>
    }
}
