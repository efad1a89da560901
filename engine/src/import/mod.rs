//! Real kernels' files, read into the model: machine snapshots (dmesg and /proc),
//! kmem tracepoint text, and the module-trace format of real allocator runs.

#![warn(clippy::indexing_slicing)]

pub mod kmemtrace;
pub mod modtrace;
pub mod snapshot;
