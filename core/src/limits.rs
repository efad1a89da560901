//! Every limit on what Buddyscope reads or builds, in one place: each row of
//! `docs/limits.md` is a constant here. A limit is checked before the work or the
//! memory it would cost, and refused with a message that names it. Names end in the
//! quantity's unit and `_MAX`.
//!
//! Two limits on physical addresses are deliberately different: files are read up to
//! x86_64's 52-bit architectural limit, so a snapshot of any real machine can be read
//! and written back as a scenario, while booting the model stops at 46 bits (4-level
//! paging), as Debian's kernel does.

use crate::types::{MAX_NUMNODES, PAGE_SIZE_BYTES};

// ---------------------------------------------------------------------------------
// Files and links.

/// The largest scenario file, in bytes (65 MiB): the trace limit
/// ([`TRACE_BYTES_MAX`]) plus 1 MiB for the report and the machine, so it holds the
/// replay `import-trace` writes of the largest trace the importer takes. A statement
/// is written from a trace line longer than itself (the hashed `page=` pointer, the
/// task, CPU, flags and time columns are not kept): the real boot trace's followed
/// replay is 22% of its size. `import-trace` says so if a crafted trace's replay ever
/// came out larger; the page replays a trace without this limit.
pub const SCENARIO_BYTES_MAX: usize = TRACE_BYTES_MAX + (1 << 20);
/// The largest machine snapshot, in bytes (16 MiB).
pub const SNAPSHOT_BYTES_MAX: usize = 16 << 20;
/// The largest file the command line reads, in bytes: a scenario at its limit
/// (65 MiB; a machine's files are then held to [`SNAPSHOT_BYTES_MAX`] as they are
/// decoded).
pub const CLI_FILE_BYTES_MAX: u64 = SCENARIO_BYTES_MAX as u64;
/// The largest kmem trace, in bytes (64 MiB).
pub const TRACE_BYTES_MAX: usize = 64 << 20;
/// The most lines of a kmem trace.
pub const TRACE_LINES_MAX: usize = 4_000_000;
/// The longest share-link fragment (browsers and chat tools cut longer URLs).
pub const LINK_FRAGMENT_BYTES_MAX: usize = 64 << 10;
/// The largest scenario a share link may expand to (a deflate bomb stops here).
pub const LINK_SCENARIO_BYTES_MAX: usize = 1 << 20;
/// The most pageblocks one module-trace `pageblocks` line may announce (8 TiB of
/// pfns): a bound on what a garbled `nr=` can make the parser allocate.
pub const MODTRACE_PAGEBLOCKS_MAX: u64 = 1 << 24;
/// The most CPUs a module-trace dump may name.
pub const MODTRACE_CPUS_MAX: u32 = 1 << 16;
/// The most allocation indexes one module-trace `F` op may free: a bound on memory,
/// far above any run the module's 32 MiB output buffer can record.
pub const MODTRACE_FREE_INDEXES_MAX: usize = 1 << 24;

// ---------------------------------------------------------------------------------
// Machines.

/// The most nodes (`MAX_NUMNODES` with Debian's NODES_SHIFT of 10).
pub const NODES_MAX: usize = MAX_NUMNODES as usize;
/// The most CPUs, numbered below this (Debian's NR_CPUS is 8192).
pub const CPUS_MAX: u32 = 8192;
/// Physical addresses a file may name end below 2^52 bytes (x86_64's architectural
/// limit, 4 PiB).
pub const PHYS_READ_BYTES_MAX: u64 = 1 << 52;
/// Physical memory a machine boots with ends below 2^46 bytes (`MAX_PHYSMEM_BITS`
/// with 4-level paging, 64 TiB), in pfns.
pub const PHYS_BOOT_PFNS_MAX: u64 = (1 << 46) / PAGE_SIZE_BYTES;
/// The most memory sections: 64 TiB in the default 128 MiB sections. Finer sections
/// over a huge machine would make the section table alone take gigabytes.
pub const SECTIONS_MAX: u64 = 1 << 19;
/// The most per-cpu pagesets (online CPUs × populated zones), each kept in every copy
/// of the state: 65,536 is 256 CPUs on 64 nodes with four zones each.
pub const PCP_SETS_MAX: u64 = 1 << 16;
/// The most pages one zone may span in the per-page model (just under 16 TiB): the
/// model numbers a zone's pages in 32 bits, with one value kept for "no page".
/// Boot-time numbers (zoneinfo, zonelists, watermarks) do not need the per-page
/// model and have no such limit.
pub const ZONE_PAGES_MAX: u64 = u32::MAX as u64;

// ---------------------------------------------------------------------------------
// The page.

/// The most operations a workload may run in the page: ten million, as many as the
/// CLI runs (a few seconds of work, and sixteen bytes of history for a plain
/// allocation or free: `session::Records`), so a mistyped `count=` cannot hang the
/// tab for long.
pub const PAGE_OPERATIONS_MAX: u64 = 10_000_000;
/// The largest address space the page draws, in pages (16 TiB). The page map and
/// the engine's per-page state are stored by max-order block, so a block of memory
/// the workload has not split costs tens of bytes and a hole costs a few bytes a
/// 4 MiB block (docs/performance.md).
pub const PAGE_MAP_PAGES_MAX: u64 = 1 << 32;

// ---------------------------------------------------------------------------------
// Workloads and sessions.

/// The most operations one workload may expand to.
pub const OPERATIONS_MAX: u64 = 10_000_000;
/// The deepest `repeat` nesting.
pub const REPEAT_NESTING_MAX: usize = 16;
/// The most statements one run may execute (repeats count every pass), so an empty
/// `repeat` cannot loop for hours.
pub const STATEMENTS_MAX: u64 = 50_000_000;
/// The most `generate` statements one run may execute (each expands anew).
pub const GENERATE_STATEMENTS_MAX: u64 = 10_000;
/// The most operations one `generate` statement may expand into.
pub const GENERATED_OPS_MAX: u64 = 1_000_000;
/// The most statements one `generate` may expand into: above what any generator's
/// parameters within their maximums give (fragment at its largest gives about three
/// million), so it only guards memory; `expand_at_most` cuts lower when the run's
/// operation budget will stop it sooner.
pub const GENERATED_STATEMENTS_MAX: usize = 4_000_000;
/// The most checkpoints a session keeps.
pub const CHECKPOINTS_MAX: usize = 32;
/// The most bytes of checkpoints a session keeps (at least two are always kept).
pub const CHECKPOINT_BYTES_MAX: usize = 256 << 20;

// ---------------------------------------------------------------------------------
// The embed's postMessage API (`view::embed_api`, docs/embedding.md).

/// The most bytes of text one message from a host page may carry (its strings'
/// UTF-8 bytes, keys included): a scenario at the share link's decompressed limit
/// ([`LINK_SCENARIO_BYTES_MAX`], 1 MiB) plus 4 KiB for the other fields. The page
/// checks the string lengths before it converts the message.
pub const EMBED_MESSAGE_BYTES_MAX: usize = LINK_SCENARIO_BYTES_MAX + (4 << 10);
/// How many levels below the message itself a value may sit (a request is one flat
/// object, its fields one level down, so 4 leaves room and stops a deep object
/// before it is walked).
pub const EMBED_MESSAGE_DEPTH_MAX: usize = 4;
/// The most values (fields, array items, the object itself) in one message.
pub const EMBED_MESSAGE_VALUES_MAX: usize = 64;
