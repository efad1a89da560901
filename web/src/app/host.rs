//! The embed's `postMessage` API wired to the page (docs/embedding.md, "Drive the
//! embed from your notes"). Only in the embedded layout (`?embed=1`): the page
//! listens to `message` on its window, answers only its embedding page
//! (`window.parent`) and, with `host=ORIGIN` in the query string, only that origin.
//! A valid request goes to the reducer (`Action::Host`); its ack or refusal, and the
//! cursor after every move (the host's or the reader's), are posted back.

use std::cell::RefCell;
use std::rc::Rc;

use buddyscope_engine::view::embed_api::{cursor_reply, Reply};
use buddyscope_engine::view::StepView;
use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;
use yew::prelude::*;

use crate::host_message::{from_parent, post, read_message};
use crate::link::host_origin;
use crate::state::{Action, State};

/// Where replies go: the `host=` origin, or else the origin of the last message the
/// embedding page sent (`None` before its first: only `ready` is posted then, to any
/// origin, as it says nothing about the page's state).
type ReplyTo = Rc<RefCell<Option<String>>>;

/// `targetOrigin` for a message event's origin: a page from a file or a sandboxed
/// frame has the opaque origin "null", which `postMessage` cannot name.
fn target_origin(origin: &str) -> String {
    if origin == "null" {
        "*".to_string()
    } else {
        origin.to_string()
    }
}

#[hook]
pub fn use_host_api(embed: bool, search: &str, state: &UseReducerHandle<State>, step: &StepView) {
    let allowed = use_memo(search.to_string(), |search| host_origin(search));
    let reply_to: ReplyTo = {
        let allowed = allowed.clone();
        use_memo((), move |_| {
            let origin = match &*allowed {
                Ok(Some(origin)) => Some(origin.clone()),
                _ => None,
            };
            Rc::new(RefCell::new(origin))
        })
        .as_ref()
        .clone()
    };
    {
        let (state, reply_to, allowed) = (state.clone(), reply_to.clone(), allowed.clone());
        use_effect_with((), move |_| {
            let listener = embed.then(|| listen(state, reply_to, &allowed));
            move || drop(listener)
        });
    }
    {
        let (reply, reply_to) = (state.host.reply.clone(), reply_to.clone());
        use_effect_with(state.host.requests, move |_| {
            if let (Some(reply), Some(origin)) = (reply, reply_to.borrow().as_deref()) {
                post((*reply).clone(), &target_origin(origin));
            }
        });
    }
    {
        // Only an embed posts the cursor: outside one it is not made at all.
        let reply = embed.then(|| {
            let event = state.session.event_at(state.cursor);
            cursor_reply(
                step,
                event.as_ref(),
                state.at.allocator.machine(),
                state.scenario.machine.kernel,
                state.playing,
            )
        });
        let key = (state.cursor, state.playing, state.generation);
        use_effect_with(key, move |_| {
            if let (Some(origin), Some(reply)) = (reply_to.borrow().as_deref(), reply) {
                post(Reply::Cursor(Box::new(reply)), &target_origin(origin));
            }
        });
    }
}

/// Listens to the embedding page and says `ready`; `None` when `host=` is not an
/// origin (the page then answers nobody, and says why in the console).
fn listen(
    state: UseReducerHandle<State>,
    reply_to: ReplyTo,
    allowed: &Result<Option<String>, String>,
) -> Option<EventListener> {
    let window = web_sys::window()?;
    let allowed = match allowed {
        Ok(allowed) => allowed.clone(),
        Err(why) => {
            web_sys::console::warn_1(&format!("Buddyscope: {why}.").into());
            return None;
        }
    };
    let ready_to = allowed
        .as_deref()
        .map_or_else(|| "*".to_string(), target_origin);
    let listener = EventListener::new(&window, "message", move |event| {
        let Some(event) = event.dyn_ref::<MessageEvent>() else {
            return;
        };
        let origin = event.origin();
        // Another origin than the one allowed, or another window than the
        // embedding page: ignored, unanswered.
        if allowed.as_ref().is_some_and(|host| *host != origin) {
            return;
        }
        if !from_parent(event.source().as_ref()) {
            return;
        }
        if allowed.is_none() {
            *reply_to.borrow_mut() = Some(origin.clone());
        }
        match read_message(&event.data()) {
            Ok(message) => state.dispatch(Action::Host(message)),
            Err(refused) => post(Reply::refused(refused), &target_origin(&origin)),
        }
    });
    post(Reply::ready(), &ready_to);
    Some(listener)
}
