//! Real kernels' files, read into the model: machine snapshots (dmesg and /proc),
//! kmem tracepoint text, and the module-trace format of real allocator runs.

pub mod kmemtrace;
pub mod modtrace;
pub mod snapshot;
