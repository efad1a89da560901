//! # buddyscope-web
//!
//! The playground page. The engine holds all simulation state and builds every view
//! (`buddyscope_engine::view`); this crate keeps one engine session in a Yew reducer
//! ([`state::State`]) and draws the plain view data it hands out.
//!
//! Layers, each using only those below it:
//!
//! - [`app`]: the root component: the reducer, the URL, keyboard shortcuts
//!   ([`app::keys`]), play.
//! - [`components`]: the view components, one per file; the address space canvas
//!   and the scenario editor are folders of parts.
//! - [`state`]: `State` and `Action`: the only place the session and cursor change.
//! - [`host_message`]: the embed's `postMessage` API in the browser: a host's
//!   message checked for size and read into the engine's data, replies posted.
//! - [`link`]: reading and writing the URL (share fragment, `?embed=1`), pure strings.
//! - [`paint`]: puts the engine's RGBA pixels on a canvas.
//! - [`clipboard`]: copy buttons that say "Copied." or why not.
//! - [`panic`]: the panic hook: a readable notice instead of a dead page.
//! - [`tags`]: out-of-line builders for the repeated markup (cells, rows, items).

// A panic kills the page: the compiler holds this crate to returning and showing
// errors. Unit tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod browser;
pub mod clipboard;
pub mod components;
pub mod host_message;
pub mod link;
pub mod paint;
pub mod panic;
pub mod state;
pub mod tags;

/// Mounts the playground on the document body.
pub fn start() {
    panic::install();
    yew::Renderer::<app::Root>::new().render();
}
