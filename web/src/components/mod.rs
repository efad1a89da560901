//! The view components, one per file (a folder where a component has parts). Each is
//! a function of plain view data from the engine and callbacks; none holds simulation
//! state, only transient input (form fields, zoom and scroll).

pub mod about;
pub mod address_space;
pub mod controls;
pub mod editor;
pub mod embed;
pub mod free_areas;
pub mod gauges;
pub mod go_to;
pub mod help;
pub mod kernel;
pub mod kernel_diff;
pub mod kernel_numbers;
pub mod lesson;
pub mod limits;
pub mod next_event;
pub mod notice;
pub mod side_by_side;
pub mod step_panel;
pub mod timeline;
pub mod zonelists;
