//! The status line under the controls: the last message (an error is an alert), or
//! how to get started.

use yew::prelude::*;

use crate::state::Notice;

pub struct NoticeLineProps {
    pub notice: Option<Notice>,
}

pub fn notice_line(props: &NoticeLineProps) -> Html {
    match &props.notice {
        Some(Notice::Info(text)) => {
            html! { <p class="notice" id="notice" role="status">{ text }</p> }
        }
        Some(Notice::Error(text)) => {
            html! { <p class="notice error" id="notice" role="alert">{ text }</p> }
        }
        None => {
            html! { <p class="notice" id="notice" role="status">{ "→ steps forward, ← steps back; ? lists every shortcut." }</p> }
        }
    }
}
