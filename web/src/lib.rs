//! # buddyscope-web
//!
//! The playground page. The engine holds all simulation state and builds every view
//! (`buddyscope_engine::view`); this crate keeps one engine session in a Yew reducer
//! ([`state::State`]) and draws the plain view data it hands out.
//!
//! - [`app`]: the root component: the reducer, the URL, keyboard shortcuts, play.
//! - [`state`]: `State` and `Action`: the only place the session and cursor change.
//! - [`link`]: reading and writing the URL (share fragment, `?embed=1`), pure strings.
//! - [`address_space`]: the physical address space canvas (zoom, pan, tooltip).
//! - [`controls`], [`step_panel`], [`zonelists`], [`gauges`], [`free_areas`],
//!   [`editor`], [`embed`], [`help`]: pure view components, one per file.
//! - [`paint`]: puts the engine's RGBA pixels on a canvas.
//! - [`panic`]: the panic hook: a readable notice instead of a dead page.

pub mod address_space;
pub mod app;
pub mod controls;
pub mod editor;
pub mod embed;
pub mod free_areas;
pub mod gauges;
pub mod help;
pub mod link;
pub mod paint;
pub mod panic;
pub mod state;
pub mod step_panel;
pub mod zonelists;

/// Mounts the playground on the document body.
pub fn start() {
    panic::install();
    yew::Renderer::<app::App>::new().render();
}
