//! The workloads the benchmarks time, shared by the native harness (`main.rs`) and
//! the wasm build run in Chromium (`wasm.rs`), so both time the same code on the
//! same operation sequence.
//!
//! An operation sequence is a list of page-number requests (allocate 2^order pages,
//! free the k-th allocation) drawn from a seed. The engine runs it through
//! `__alloc_pages()` and `__free_pages()` on a booted machine (zonelists,
//! watermarks, per-cpu lists and all); the peer, `buddy_system_allocator`'s
//! `FrameAllocator`, runs the same sequence on the same number of frames.

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::types::PfnRange;
use buddyscope_engine::{Event, Rng, TraceSink};

#[cfg(target_arch = "wasm32")]
mod wasm;

/// One request of a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Allocate 2^order pages, movable (page cache and user memory) or not.
    Alloc { order: u8, movable: bool },
    /// Free the allocation made by the `index`-th `Alloc` (if it succeeded and is live).
    Free { index: u32 },
}

/// The workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Order-0 allocate/free pairs: the per-cpu fast path.
    Pcp,
    /// Orders 0-3 (lower more often), a live set of about a quarter of memory, random
    /// frees.
    Mixed,
    /// Movable and unmovable pages interleaved, then the movable ones freed: fallback
    /// and merging.
    Fragmentation,
}

impl Workload {
    pub const ALL: [Workload; 3] = [Workload::Pcp, Workload::Mixed, Workload::Fragmentation];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Pcp => "order-0 pairs (pcp)",
            Workload::Mixed => "mixed orders 0-3",
            Workload::Fragmentation => "fragmentation",
        }
    }

    pub fn from_index(index: u32) -> Workload {
        Workload::ALL[index as usize % 3]
    }
}

/// The machine the engine workloads run on: one node of `pages` pages (4 KiB) from
/// 16 MiB, two CPUs, THP off so min_free_kbytes is the kernel's plain rule.
pub fn machine(pages: u64) -> MachineConfig {
    MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x1000,
                end: 0x1000 + pages,
            }],
            cpus: vec![0, 1],
        }],
        thp: buddyscope_engine::machine::ThpMode::Never,
        ..MachineConfig::default()
    }
}

/// A server of `pages` pages (4 KiB) on `nodes` nodes of equal size, one after the
/// other from 4 GiB (so every zone is Normal), two CPUs a node, THP off: the machines
/// the scale benchmark boots, up to 4 TiB.
pub fn server(pages: u64, nodes: u64) -> MachineConfig {
    let each = pages / nodes.max(1);
    let base = (4u64 << 30) >> 12;
    MachineConfig {
        nodes: (0..nodes.max(1))
            .map(|n| NodeConfig {
                memory: vec![PfnRange {
                    start: base + n * each,
                    end: base + (n + 1) * each,
                }],
                cpus: vec![2 * n as u32, 2 * n as u32 + 1],
            })
            .collect(),
        thp: buddyscope_engine::machine::ThpMode::Never,
        ..MachineConfig::default()
    }
}

/// The operation sequence of `workload`, `ops` long, for a machine of `pages` pages.
pub fn sequence(workload: Workload, ops: usize, pages: u64, seed: u64) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(ops);
    match workload {
        Workload::Pcp => {
            let mut made = 0u32;
            while out.len() + 2 <= ops {
                out.push(Op::Alloc {
                    order: 0,
                    movable: false,
                });
                out.push(Op::Free { index: made });
                made += 1;
            }
        }
        Workload::Mixed => {
            let mut live: Vec<(u32, u64)> = Vec::new();
            let mut live_pages = 0u64;
            let mut made = 0u32;
            while out.len() < ops {
                if live.is_empty() || (live_pages < pages / 4 && rng.below(2) == 0) {
                    let order = [0u8, 0, 0, 0, 1, 1, 2, 3][rng.below(8) as usize];
                    out.push(Op::Alloc {
                        order,
                        movable: rng.below(2) == 0,
                    });
                    live.push((made, 1 << order));
                    live_pages += 1 << order;
                    made += 1;
                } else {
                    let at = rng.below(live.len() as u64) as usize;
                    let (index, size) = live.swap_remove(at);
                    live_pages -= size;
                    out.push(Op::Free { index });
                }
            }
        }
        Workload::Fragmentation => {
            // Rounds: fill half of memory interleaving movable and unmovable pages,
            // free the movable ones, then the unmovable ones.
            let mut made = 0u32;
            'rounds: loop {
                let round = (pages / 2) as u32;
                let first = made;
                for i in 0..round {
                    if out.len() >= ops {
                        break 'rounds;
                    }
                    out.push(Op::Alloc {
                        order: 0,
                        movable: i % 8 != 0 || rng.below(4) == 0,
                    });
                    made += 1;
                }
                for pass in [true, false] {
                    for i in 0..round {
                        if out.len() >= ops {
                            break 'rounds;
                        }
                        let movable = i % 8 != 0;
                        if movable == pass {
                            out.push(Op::Free { index: first + i });
                        }
                    }
                }
            }
        }
    }
    out
}

/// A trace sink that keeps the last call's events, as the page's session does, so
/// "tracing on" pays for building every event.
#[derive(Default)]
pub struct Recorder {
    pub events: Vec<Event>,
    pub total: u64,
}

impl TraceSink for Recorder {
    fn emit(&mut self, event: Event) {
        self.total += 1;
        self.events.push(event);
    }
}

/// Runs a sequence on a freshly booted engine; returns how many allocations
/// succeeded (so the work cannot be optimised away).
pub fn run_engine(machine: &Machine, ops: &[Op], tracing: bool) -> u64 {
    let Ok(allocator) = Allocator::from_machine(machine) else {
        return 0;
    };
    run_booted(allocator, ops, tracing)
}

/// Runs a sequence on an engine already booted (`Allocator::from_machine`), so a
/// sample can time the sequence alone; returns how many allocations succeeded.
///
/// In wasm the choice of sink is made once, not per operation: `run_loop` is
/// inlined twice with `tracing` a constant, so the untraced loop is a loop of its
/// own without the traced path's code and values (binaryen inlines the whole
/// allocation path into it, and V8 would otherwise keep the loop's values in stack
/// slots around the traced code; docs/performance.md, branches ratio21 and ratio22).
/// Natively LLVM already compiles the one loop well and the split measured slower by
/// the wall clock (code placement), so the native code stays the one loop.
pub fn run_booted(allocator: Allocator, ops: &[Op], tracing: bool) -> u64 {
    if cfg!(target_arch = "wasm32") {
        if tracing {
            run_loop(allocator, ops, true)
        } else {
            run_loop(allocator, ops, false)
        }
    } else {
        run_loop(allocator, ops, tracing)
    }
}

/// `run_booted`'s loop: tracing on hands every call a [`Recorder`] (cleared before
/// each call, as the page's session does), off the `()` sink.
#[cfg_attr(target_arch = "wasm32", inline(always))]
fn run_loop(mut allocator: Allocator, ops: &[Op], tracing: bool) -> u64 {
    let kernel = Gfp(0xcc0);
    let movable = Gfp(0x100cca);
    let mut blocks: Vec<Option<(u64, u32)>> = Vec::with_capacity(ops.len());
    let mut recorder = Recorder::default();
    let mut ok = 0;
    for op in ops {
        match *op {
            Op::Alloc { order, movable: m } => {
                let gfp = if m { movable } else { kernel };
                let result = if tracing {
                    recorder.events.clear();
                    allocator.alloc_pages_node(-1, gfp, u32::from(order), &mut recorder)
                } else {
                    allocator.alloc_pages_node(-1, gfp, u32::from(order), &mut ())
                };
                let block = result.ok().flatten().map(|a| (a.pfn.0, u32::from(order)));
                ok += u64::from(block.is_some());
                blocks.push(block);
            }
            Op::Free { index } => {
                if let Some((pfn, order)) = blocks.get_mut(index as usize).and_then(Option::take) {
                    let pfn = buddyscope_engine::Pfn(pfn);
                    let _ = if tracing {
                        recorder.events.clear();
                        allocator.free_pages(pfn, order, &mut recorder)
                    } else {
                        allocator.free_pages(pfn, order, &mut ())
                    };
                }
            }
        }
    }
    ok
}

/// Runs a sequence on `buddy_system_allocator`'s `FrameAllocator` holding the same
/// number of frames.
pub fn run_peer(pages: u64, ops: &[Op]) -> u64 {
    let mut frames = buddy_system_allocator::FrameAllocator::<11>::new();
    frames.add_frame(0x1000, 0x1000 + pages as usize);
    let mut blocks: Vec<Option<(usize, usize)>> = Vec::with_capacity(ops.len());
    let mut ok = 0;
    for op in ops {
        match *op {
            Op::Alloc { order, .. } => {
                let count = 1usize << order;
                let block = frames.alloc(count).map(|start| (start, count));
                ok += u64::from(block.is_some());
                blocks.push(block);
            }
            Op::Free { index } => {
                if let Some((start, count)) = blocks.get_mut(index as usize).and_then(Option::take)
                {
                    frames.dealloc(start, count);
                }
            }
        }
    }
    ok
}
