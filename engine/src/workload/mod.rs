//! The workload language: what a teacher writes to drive the allocator. One
//! statement a line, `#` starts a comment:
//!
//! ```text
//! cpu 1                                   # later statements run on CPU 1
//! alloc cache order=0 gfp=GFP_HIGHUSER_MOVABLE count=500 use=pagecache
//! alloc buf order=3 gfp=GFP_KERNEL node=0 cpu=0
//! free cache[0..100]                      # a range of cache's allocations (end excluded)
//! free cache every=2                      # every second one
//! free buf[0]
//! free buf                                # every live allocation named buf
//! repeat 10 {
//!   alloc tmp order=0 gfp=GFP_ATOMIC
//!   free tmp
//! }
//! drain                                   # every CPU; `drain cpu=1` for one
//! kswapd node=0
//! compact
//! drop_caches
//! sysctl min_free_kbytes=8192 watermark_scale_factor=100
//! sysctl lowmem_reserve_ratio=256,256,32,0,0
//! free all
//! ```
//!
//! `alloc` takes `order` (0-10, default 0), `gfp` (kernel names joined with `|`,
//! default GFP_KERNEL), `count` (default 1), `node` (default -1: the CPU's node),
//! `cpu` and `use` (`kernel`, `pagecache` or `anon`; default kernel). A name is
//! optional; every allocation also has an index, in order. Freeing something that is
//! no longer live (returned NULL, reclaimed, freed) is skipped, not an error.
//! Errors name the line and column.
//!
//! The folder, one concept a file, lowest first: `ast` (the statements and the
//! error), `generate` (seeded generators that expand into statements), `parse`
//! (text to statements; it asks `generate` which generators exist), `format`
//! (statements back to text) and `run` (statements applied to a session; it expands
//! `generate` statements). A file uses only the ones before it.

#![warn(clippy::indexing_slicing)]

mod ast;
mod format;
pub mod generate;
mod parse;
mod run;

pub use ast::{FreeTarget, Span, Statement, WorkloadError};
pub use format::{format_statement, format_statements};
pub use parse::parse_workload;
pub use run::{run_workload, run_workload_seeded, RunSummary};

#[cfg(test)]
mod tests {
    /// The folder's files, lowest first, with their text.
    const FILES: &[(&str, &str)] = &[
        ("ast", include_str!("ast.rs")),
        ("generate", include_str!("generate.rs")),
        ("parse", include_str!("parse.rs")),
        ("format", include_str!("format.rs")),
        ("run", include_str!("run.rs")),
    ];

    /// Inside the folder, as between the crate's layers: a file uses only the files
    /// before it (so `generate` never reaches `parse` or `run`), and never the
    /// folder's re-exports, which would hide where an item lives.
    #[test]
    fn a_file_uses_only_the_files_before_it() {
        let mut edges = Vec::new();
        for (at, (file, text)) in FILES.iter().enumerate() {
            let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
            for (number, line) in code.enumerate() {
                for (after, _) in line.match_indices("crate::workload::") {
                    let rest = &line[after + "crate::workload::".len()..];
                    let used: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let place = FILES.iter().position(|(name, _)| *name == used);
                    edges.push((*file, used.clone()));
                    assert!(
                        place.is_some_and(|place| place < at),
                        "{file}.rs, code line {}: uses `{used}`, which is not a file before it",
                        number + 1
                    );
                }
                assert!(
                    !line.contains("super::"),
                    "{file}.rs: name the file, not `super`"
                );
            }
        }
    }
}
