//! # buddyscope-web
//!
//! The playground page. The engine holds all simulation state; this crate keeps one
//! engine value in a Yew reducer ([`state::State`]) and draws plain view data from it.
//!
//! - [`app`]: the root component and the reducer wiring.
//! - [`state`]: `State` and `Action`: the only place the engine is mutated.
//! - [`controls`], [`zone_canvas`], [`free_areas`], [`step_log`]: pure view components.
//! - [`layout`]: where each page sits on the canvas (pure arithmetic, tested natively).
//! - [`draw`]: plain functions painting a canvas from a `ZoneView`.

pub mod app;
pub mod controls;
pub mod draw;
pub mod free_areas;
pub mod layout;
pub mod state;
pub mod step_log;
pub mod zone_canvas;

/// Mounts the playground on the document body.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
