//! The status line under the controls: the last message (an error is an alert), or
//! how to get started.

use yew::prelude::*;

use crate::tags;

use crate::state::Notice;

pub struct NoticeLineProps {
    pub notice: Option<Notice>,
}

pub fn notice_line(props: &NoticeLineProps) -> Html {
    match &props.notice {
        Some(Notice::Info(text)) => {
            html! { { tags::text("p", crate::attrs!("id" = "notice", "role" = "status", "class" = "notice"), text.to_string().into()) } }
        }
        Some(Notice::Error(text)) => {
            html! { { tags::text("p", crate::attrs!("id" = "notice", "role" = "alert", "class" = "notice error"), text.to_string().into()) } }
        }
        None => {
            html! { { tags::text("p", crate::attrs!("id" = "notice", "role" = "status", "class" = "notice"), "→ steps forward, ← steps back; ? lists every shortcut.".into()) } }
        }
    }
}
