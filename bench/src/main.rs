//! `buddyscope-bench`: the native benchmarks, and the summary of a whole run.
//!
//! - `buddyscope-bench native [--quick]` times the engine workloads (tracing off and
//!   on) beside the peer, machine initialisation and memory for 1 GiB to 4 TiB, and
//!   how cost grows with workload length; writes target/bench/native.json.
//! - `buddyscope-bench scale` measures only the initialisation and memory rows;
//!   writes target/bench/scale.json.
//! - `buddyscope-bench series` measures the timeline's series (`session::series`):
//!   bytes per call at 10 k to 10 M calls, recording cost, view and SVG time.
//! - `buddyscope-bench sample pcp|mixed|fragmentation [--tracing]` times one run
//!   of a workload (after three warm-up runs, as the wasm side has; the boot
//!   untimed) and prints it as one line of JSON: scripts/bench.mjs interleaves these
//!   with wasm samples.
//! - `buddyscope-bench load FILE` loads a scenario file as the page does
//!   (`view::load_text`: boot, the workload run to the end, the cursor) and prints
//!   the time, then the time of the state and events at the cursor (what the page
//!   asks for next), the heap held after it and the heap's peak (what a wasm heap keeps):
//!   the native side of `workload_1m_ms` / `workload_10m_ms`, for perf and callgrind.
//! - `buddyscope-bench draw FILE [N]` draws the address-space picture of a scenario
//!   file's opening step as the page first draws it (`view::render_rgba` at the
//!   fitting zoom, 1048x512 pixels, the step's block framed) N times (default 1)
//!   after the load, and prints the pixels' checksum: the page's first draw, for
//!   callgrind (the load is the same in a run with N = 0, to subtract).
//! - `buddyscope-bench start FILE [--check]` runs the page's whole engine start path
//!   for a scenario file (the load, the scenario file's text and share link, the
//!   state at the opening cursor, its page map and spans, the overview), each piece a
//!   function of its own for callgrind; `--check` adds a digest of every output and
//!   of the session's series, to show a change leaves them the same.
//! - `buddyscope-bench probe [ROUNDS]` times four small loops (a dependent chain,
//!   six loosely dependent ones, an 8 KiB and a 16 MiB array) ROUNDS times and prints how
//!   each spreads: whether the machine's speed is steady right now (`probe`).
//! - `buddyscope-bench summary` reads native.json and browser.json (from
//!   scripts/bench.mjs), prints issue 18's budget table (each key's figure, min /
//!   median / max where it has samples, budget, holds or misses) and writes
//!   target/bench/summary.json.
//!
//! The harness for the tables: one warm-up run, then samples until both 5 samples
//! and 1 s are reached (at most 50); the figure is the fastest sample.
//! `engine_vs_peer_ratio` is instead the median of interleaved engine/peer pairs. Memory is measured by a counting
//! global allocator: the live heap bytes the engine holds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use buddyscope_bench::{machine, run_booted, run_engine, run_peer, sequence, server, Op, Workload};
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;

mod probe;
mod series;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE` has been (what a wasm heap, which never shrinks, would hold).
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The old block is held until the new one is filled.
        let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
        PEAK.fetch_max(live, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Milliseconds of `f`: the fastest sample after a warm-up run (the sample least
/// disturbed by other work on the machine; the wasm side reports the same).
fn time_ms(quick: bool, mut f: impl FnMut() -> u64) -> f64 {
    std::hint::black_box(f());
    let (min_samples, budget) = if quick { (3, 0.2) } else { (5, 1.0) };
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < min_samples
        || (start.elapsed().as_secs_f64() < budget && samples.len() < 50)
    {
        let t = Instant::now();
        std::hint::black_box(f());
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    samples.into_iter().fold(f64::INFINITY, f64::min)
}

const PAGES: u64 = 1 << 18; // 1 GiB
const OPS: usize = 1_000_000;

fn native(quick: bool) -> String {
    let mut json = String::from("{\n");
    let config = machine(PAGES);
    let Ok(booted) = Machine::build(&config) else {
        eprintln!("the benchmark machine does not build");
        std::process::exit(1);
    };
    println!("Engine workloads: {OPS} operations on a 1 GiB machine (fastest sample, ms)");
    println!(
        "{:<22} {:>12} {:>12} {:>10} {:>14}",
        "workload", "engine", "traced", "peer", "peer/engine"
    );
    let mut rows = Vec::new();
    for workload in Workload::ALL {
        let ops = sequence(workload, OPS, PAGES, 1);
        // The engine's boot (Allocator::from_machine) is timed apart and subtracted.
        let boot = time_ms(quick, || {
            Allocator::from_machine(&booted).map_or(0, |a| a.zones().len() as u64)
        });
        let engine = time_ms(quick, || run_engine(&booted, &ops, false)) - boot;
        let traced = time_ms(quick, || run_engine(&booted, &ops, true)) - boot;
        let peer = time_ms(quick, || run_peer(PAGES, &ops));
        println!(
            "{:<22} {:>12.1} {:>12.1} {:>10.1} {:>14.2}",
            workload.name(),
            engine,
            traced,
            peer,
            peer / engine
        );
        rows.push(format!(
            "    {{\"workload\": \"{}\", \"ops\": {OPS}, \"engine_ms\": {engine:.3}, \"traced_ms\": {traced:.3}, \"peer_ms\": {peer:.3}}}",
            workload.name()
        ));
        if workload == Workload::Pcp {
            let _ = writeln!(
                json,
                "  \"engine_vs_peer_fastest_ratio\": {:.3},",
                peer / engine
            );
            let _ = writeln!(
                json,
                "  \"pcp_engine_ns_per_op\": {:.1},",
                engine * 1e6 / OPS as f64
            );
        }
    }
    let _ = writeln!(json, "  \"workloads\": [\n{}\n  ],", rows.join(",\n"));
    engine_vs_peer(&booted, quick, &mut json);

    scale(&mut json);

    println!("\nGrowth with workload length (mixed orders, 1 GiB machine)");
    println!("{:>10} {:>12} {:>14}", "ops", "ms", "ns/op");
    let mut growth = Vec::new();
    for ops_count in [125_000usize, 250_000, 500_000, 1_000_000, 2_000_000] {
        let ops = sequence(Workload::Mixed, ops_count, PAGES, 1);
        let ms = time_ms(quick, || run_engine(&booted, &ops, false));
        println!(
            "{ops_count:>10} {ms:>12.1} {:>14.1}",
            ms * 1e6 / ops_count as f64
        );
        growth.push(format!("    {{\"ops\": {ops_count}, \"ms\": {ms:.3}}}"));
    }
    let _ = writeln!(json, "  \"growth\": [\n{}\n  ]", growth.join(",\n"));
    json.push_str("}\n");
    json
}

/// The median of `samples` (the mean of the middle two for an even count); NaN if
/// there are none.
fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted.get(n / 2).copied().unwrap_or(f64::NAN),
        _ => match (sorted.get(n / 2 - 1), sorted.get(n / 2)) {
            (Some(a), Some(b)) => (a + b) / 2.0,
            _ => f64::NAN,
        },
    }
}

/// Milliseconds of one run of `ops` on a freshly booted engine, the boot
/// (`Allocator::from_machine`) done before the clock starts; and the allocations
/// that succeeded.
fn engine_sample(booted: &Machine, ops: &[Op], tracing: bool) -> (f64, u64) {
    let Ok(allocator) = Allocator::from_machine(booted) else {
        return (f64::NAN, 0);
    };
    let t = Instant::now();
    let ok = std::hint::black_box(run_booted(allocator, ops, tracing));
    (t.elapsed().as_secs_f64() * 1e3, ok)
}

/// `engine_vs_peer_ratio` as issue 18 defines it: order-0 pairs, tracing off,
/// engine and peer run one after the other (engine, peer, engine, peer, ...), each
/// pair's peer time / engine time, the median of those ratios. Interleaving puts
/// both sides of a pair under the same load from the rest of the machine.
fn engine_vs_peer(booted: &Machine, quick: bool, json: &mut String) {
    let ops = sequence(Workload::Pcp, OPS, PAGES, 1);
    let pairs = if quick { 9 } else { 15 };
    // Warm-up: one run of each.
    std::hint::black_box(engine_sample(booted, &ops, false));
    std::hint::black_box(run_peer(PAGES, &ops));
    let mut rows = Vec::new();
    let mut ratios = Vec::new();
    let mut engine_ms = Vec::new();
    for _ in 0..pairs {
        let (engine, _) = engine_sample(booted, &ops, false);
        let t = Instant::now();
        std::hint::black_box(run_peer(PAGES, &ops));
        let peer = t.elapsed().as_secs_f64() * 1e3;
        let ratio = peer / engine;
        ratios.push(ratio);
        engine_ms.push(engine);
        rows.push(format!(
            "    {{\"engine_ms\": {engine:.3}, \"peer_ms\": {peer:.3}, \"ratio\": {ratio:.3}}}"
        ));
    }
    let ratio = median(&ratios);
    let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    println!(
        "\nEngine vs peer, order-0 pairs, tracing off, {pairs} interleaved pairs: peer/engine min {low:.2}, median {ratio:.2}, max {high:.2} (engine median {:.2} ms)",
        median(&engine_ms)
    );
    let _ = writeln!(json, "  \"engine_vs_peer_ratio\": {ratio:.3},");
    let _ = writeln!(
        json,
        "  \"engine_vs_peer_ratios\": [{}],",
        ratios
            .iter()
            .map(|r| format!("{r:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        json,
        "  \"engine_vs_peer_pairs\": [\n{}\n  ],",
        rows.join(",\n")
    );
}

/// Warm-up runs before a sample's timed run: as many as the wasm side runs before
/// its pairs (scripts/bench.mjs, `pairBench`). With one, the timed run's heap (the
/// sequence's table of 1 M blocks, the booted zones) was memory the process had not
/// touched yet: about 2,900 page faults inside the clock, 5 ms of a 22 ms sample on
/// an idle machine and up to 20 ms under load, work the wasm side (whose memory the
/// warm-up runs have already grown) never does. From the second run on the process
/// reuses its heap and the timed run takes no faults (docs/performance.md).
const SAMPLE_WARM_UPS: usize = 3;

/// `buddyscope-bench sample WORKLOAD [--tracing]`: one timed run of the workload
/// the wasm benchmark runs (1 M operations, the 1 GiB machine), after
/// [`SAMPLE_WARM_UPS`] warm-up runs, the boot untimed; prints it as one line of JSON
/// with the page faults the timed run (boot included) took, where the system says
/// (`null` elsewhere). scripts/bench.mjs calls it between wasm samples so native and
/// wasm samples interleave in one run.
fn sample(args: &[String]) -> Result<String, String> {
    let mut workload = None;
    let mut tracing = false;
    for arg in args {
        match arg.as_str() {
            "--tracing" => tracing = true,
            "pcp" => workload = Some(Workload::Pcp),
            "mixed" => workload = Some(Workload::Mixed),
            "fragmentation" => workload = Some(Workload::Fragmentation),
            other => {
                return Err(format!(
                    "sample: unknown argument `{other}` (a workload: pcp, mixed or fragmentation; or --tracing)"
                ))
            }
        }
    }
    let workload = workload.ok_or("sample: name a workload: pcp, mixed or fragmentation")?;
    let booted = Machine::build(&machine(PAGES))
        .map_err(|e| format!("the benchmark machine does not build: {e}"))?;
    let ops = sequence(workload, OPS, PAGES, 1);
    for _ in 0..SAMPLE_WARM_UPS {
        std::hint::black_box(engine_sample(&booted, &ops, tracing));
    }
    let faults_before = minor_faults();
    let (ms, ok) = engine_sample(&booted, &ops, tracing);
    let faults = match (faults_before, minor_faults()) {
        (Some(before), Some(after)) => after.saturating_sub(before).to_string(),
        _ => "null".to_string(),
    };
    Ok(format!(
        "{{\"workload\": \"{}\", \"ops\": {OPS}, \"pages\": {PAGES}, \"tracing\": {tracing}, \"allocations\": {ok}, \"ms\": {ms:.3}, \"faults\": {faults}}}",
        workload.name()
    ))
}

/// The page faults this process has taken that needed no I/O (`minflt`, the tenth
/// field of /proc/self/stat after the command name); `None` where there is no such
/// file or it does not parse.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name, in parentheses, may hold spaces: count from its end.
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.split_whitespace().nth(7)?.parse().ok()
}

/// Machine build and boot, and the engine's heap right after boot, for 1 GiB to
/// 4 TiB: one node up to 16 GiB, eight nodes from 256 GiB on. Writes
/// `bytes_per_page` (the largest) and `init_4t_ms` to `json`.
fn scale(json: &mut String) {
    println!("\nScale: machine build + boot free lists, engine heap");
    println!(
        "{:>8} {:>6} {:>12} {:>12} {:>14} {:>14}",
        "GiB", "nodes", "pages", "init ms", "heap MiB", "bytes/page"
    );
    let mut scale = Vec::new();
    let mut bytes_per_page_max = 0.0f64;
    for (gib, nodes) in [
        (1u64, 1u64),
        (16, 1),
        (64, 1),
        (256, 8),
        (2048, 8),
        (4096, 8),
    ] {
        let pages = gib << 18;
        let config = if nodes == 1 {
            machine(pages)
        } else {
            server(pages, nodes)
        };
        let before = LIVE.load(Ordering::Relaxed);
        let t = Instant::now();
        let built = Machine::build(&config)
            .map_err(|e| e.to_string())
            .and_then(|m| Allocator::from_machine(&m).map_err(|e| e.to_string()));
        let init_ms = t.elapsed().as_secs_f64() * 1e3;
        let allocator = match built {
            Ok(allocator) => allocator,
            Err(e) => {
                eprintln!("{gib} GiB machine does not build: {e}");
                std::process::exit(1);
            }
        };
        let heap = LIVE.load(Ordering::Relaxed) - before;
        let per_page = heap as f64 / pages as f64;
        bytes_per_page_max = bytes_per_page_max.max(per_page);
        println!(
            "{gib:>8} {nodes:>6} {pages:>12} {init_ms:>12.1} {:>14.1} {per_page:>14.3}",
            heap as f64 / (1 << 20) as f64
        );
        match gib {
            64 => {
                let _ = writeln!(json, "  \"init_64g_ms\": {init_ms:.3},");
            }
            2048 => {
                let _ = writeln!(json, "  \"init_2t_ms\": {init_ms:.3},");
            }
            4096 => {
                let _ = writeln!(json, "  \"init_4t_ms\": {init_ms:.3},");
            }
            _ => {}
        }
        scale.push(format!(
            "    {{\"gib\": {gib}, \"nodes\": {nodes}, \"pages\": {pages}, \"init_ms\": {init_ms:.3}, \"heap_bytes\": {heap}}}"
        ));
        drop(allocator);
    }
    let _ = writeln!(json, "  \"bytes_per_page\": {bytes_per_page_max:.3},");
    let _ = writeln!(json, "  \"scale\": [\n{}\n  ],", scale.join(",\n"));
    page_16t(json);
}

/// What the page holds for a 16 TiB machine (8 nodes of 2 TiB from 4 GiB up to the
/// page's limit): the loaded session and the state and page map it draws, in heap
/// bytes of this 64-bit build (wasm32's pointers are half as wide, so its heap is
/// smaller).
fn page_16t(json: &mut String) {
    let node_pages = (16u64 << 40 >> 12) / 8 - (1 << 17);
    let mut text = String::from("version = 1\n[machine]\nthp = \"never\"\n");
    for n in 0..8u64 {
        let start = ((1u64 << 20) + n * node_pages) << 12;
        let _ = write!(
            text,
            "[[machine.nodes]]\nmemory = [\"{:#x}-{:#x}\"]\ncpus = \"{n}\"\n",
            start,
            start + (node_pages << 12) - 1
        );
    }
    let before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let loaded = match buddyscope_engine::view::load_text(&text) {
        Ok((_, loaded)) => loaded,
        Err(e) => {
            eprintln!("the 16 TiB machine does not load in the page: {e}");
            std::process::exit(1);
        }
    };
    let state = loaded.session.state_at(loaded.cursor);
    let map = buddyscope_engine::view::page_map(&state);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let heap = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "\nThe page, 16 TiB on 8 nodes ({} pages mapped): load + page map {ms:.1} ms, heap {:.1} MiB",
        map.pages(),
        heap as f64 / (1 << 20) as f64
    );
    let _ = writeln!(json, "  \"page_16t_ms\": {ms:.3},");
    let _ = writeln!(json, "  \"page_16t_heap_bytes\": {heap},");
}

/// `load FILE`: the scenario loaded as the page loads it, timed, with the heap it
/// holds after and at its peak.
fn load(path: Option<&str>) -> Result<String, String> {
    let path = path.ok_or("usage: buddyscope-bench load FILE (a scenario file)")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let t = Instant::now();
    let (_, loaded) =
        buddyscope_engine::view::load_text(&text).map_err(|e| format!("{path}: {e}"))?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    // What the page asks for next: the state and the events at the cursor.
    let t = Instant::now();
    let state = loaded.session.state_at(loaded.cursor);
    let events = loaded.session.events(loaded.cursor.call).len();
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    drop(state);
    let mib = |bytes: usize| bytes.saturating_sub(before) as f64 / (1 << 20) as f64;
    Ok(format!(
        "{{\"operations\": {}, \"calls\": {}, \"ms\": {ms:.1}, \"open_ms\": {open_ms:.1}, \"open_events\": {events}, \"heap_mib\": {:.1}, \"heap_peak_mib\": {:.1}}}",
        loaded.operations,
        loaded.session.calls().len(),
        mib(LIVE.load(Ordering::Relaxed)),
        mib(PEAK.load(Ordering::Relaxed))
    ))
}

/// `draw FILE [N]`: the opening step's picture of a scenario file drawn N times.
fn draw(args: &[String]) -> Result<String, String> {
    use buddyscope_engine::view::{self, Layout, Viewport};
    let path = args
        .first()
        .ok_or("usage: buddyscope-bench draw FILE [N] (a scenario file)")?;
    let times: u32 = match args.get(1) {
        Some(n) => n.parse().map_err(|e| format!("{n}: {e}"))?,
        None => 1,
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let (_, loaded) = view::load_text(&text).map_err(|e| format!("{path}: {e}"))?;
    let state = loaded.session.state_at(loaded.cursor);
    let map = view::page_map(&state);
    let spans = view::spans(&state);
    let layout = Layout::new(&state, &map, false);
    let viewport = Viewport::new(Viewport::fit_zoom(&layout), 0, &layout);
    let highlight = view::overview(&state, &loaded.session, loaded.cursor)
        .step
        .highlight;
    let t = Instant::now();
    let mut last = Vec::new();
    for _ in 0..times {
        last = std::hint::black_box(view::render_rgba(&map, &spans, &viewport, highlight));
    }
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let sum = last
        .iter()
        .fold(0u64, |s, &b| s.wrapping_mul(31).wrapping_add(u64::from(b)));
    Ok(format!(
        "{{\"zoom\": {}, \"cell_px\": {}, \"draws\": {times}, \"ms\": {ms:.2}, \"checksum\": \"{sum:016x}\"}}",
        viewport.zoom, viewport.cell_px
    ))
}

/// `start FILE`: the engine's whole start path of the page for a scenario file, in
/// the page's order (web/src/state.rs, `State::initial` and `State::loaded`, then
/// App's `view::overview`): the load, the scenario file's text and its share link,
/// the state at the opening cursor with its page map and spans, and the overview.
/// Each piece is a function of its own so that a profiler (callgrind) splits them.
fn start(path: Option<&str>, check: bool) -> Result<String, String> {
    use buddyscope_engine::limits::{LINK_FRAGMENT_BYTES_MAX, LINK_SCENARIO_BYTES_MAX};
    use buddyscope_engine::scenario::scenario_to_toml;
    use buddyscope_engine::scenario::share::{self, ShareLink};
    use buddyscope_engine::session::{Cursor, Session};
    use buddyscope_engine::view;
    let path = path.ok_or("usage: buddyscope-bench start FILE (a scenario file)")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    #[inline(never)]
    fn start_load(
        text: &str,
    ) -> Result<(buddyscope_engine::scenario::Scenario, view::Loaded), view::LoadError> {
        view::load_text(text)
    }
    #[inline(never)]
    fn start_text(scenario: &buddyscope_engine::scenario::Scenario) -> String {
        scenario_to_toml(scenario)
    }
    #[inline(never)]
    fn start_link(text: &str) -> Option<String> {
        (text.len() <= LINK_SCENARIO_BYTES_MAX)
            .then(|| {
                share::encode(&ShareLink {
                    scenario: text.to_string(),
                    step: None,
                })
            })
            .filter(|base| base.len() < LINK_FRAGMENT_BYTES_MAX - 32)
    }
    #[inline(never)]
    fn start_state_at(session: &Session, cursor: Cursor) -> std::rc::Rc<Allocator> {
        session.state_at(cursor)
    }
    #[inline(never)]
    fn start_page_map(allocator: &Allocator) -> view::PageMap {
        view::page_map(allocator)
    }
    #[inline(never)]
    fn start_spans(allocator: &Allocator) -> view::Spans {
        view::spans(allocator)
    }
    #[inline(never)]
    fn start_overview(allocator: &Allocator, session: &Session, cursor: Cursor) -> view::Overview {
        view::overview(allocator, session, cursor)
    }
    let t = Instant::now();
    let (scenario, loaded) = start_load(&text).map_err(|e| format!("{path}: {e}"))?;
    let scenario_text = start_text(&scenario);
    let link = start_link(&scenario_text);
    let allocator = start_state_at(&loaded.session, loaded.cursor);
    let map = start_page_map(&allocator);
    let spans = start_spans(&allocator);
    let calls_done = loaded.session.calls_done_at(loaded.cursor);
    let overview = start_overview(&allocator, &loaded.session, loaded.cursor);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    // `--check`: a digest of every output (their `Debug` text, FNV-1a), to show a
    // change to the start path leaves them byte for byte the same.
    let check = if check {
        let all = format!(
            "{scenario_text}\n{link:?}\n{:?}\n{allocator:?}\n{map:?}\n{spans:?}\n{calls_done}\n{overview:?}\n{}",
            loaded.cursor,
            series_text(loaded.session.series())
        );
        let fnv = all.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!(
            ", \"check\": \"{fnv:016x}\", \"check_bytes\": {}",
            all.len()
        )
    } else {
        String::new()
    };
    Ok(format!(
        "{{\"calls\": {}, \"ms\": {ms:.1}{check}, \"text_bytes\": {}, \"link_bytes\": {}, \"cursor\": [{}, {}], \"calls_done\": {calls_done}, \"map_pages\": {}, \"spans\": {}, \"overview_events\": {}}}",
        loaded.session.calls().len(),
        scenario_text.len(),
        link.map_or(0, |l| l.len()),
        loaded.cursor.call,
        loaded.cursor.event,
        map.pages(),
        format!("{spans:?}").len(),
        overview.step.events.len(),
    ))
}

/// Every value a series holds, call by call (or bucket by bucket), as text: its
/// zones, then each zone's quantities and each marker's counts.
fn series_text(series: &buddyscope_engine::session::series::Series) -> String {
    use buddyscope_engine::session::series::{Quantity, MARKERS};
    let calls = series.calls();
    let width = series.bucket_width();
    let columns = usize::try_from(calls.div_ceil(width.max(1))).unwrap_or(0);
    let quantities = Quantity::all();
    let mut out = format!("{:?} {calls} {width}\n", series.zones());
    for zone in 0..series.zones().len() {
        for &quantity in &quantities {
            let _ = writeln!(
                out,
                "{:?}",
                series.columns(zone, quantity, 0, calls, columns)
            );
        }
    }
    for marker in MARKERS {
        let _ = writeln!(
            out,
            "{:?}",
            series.marker_columns(marker, 0, calls, columns)
        );
    }
    out
}

/// The number after `"key":` in a flat JSON text, if any.
fn number(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = json[at..].split_once(':')?.1.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == '+'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The numbers of the array after `"key":` in a flat JSON text, if any.
fn numbers(json: &str, key: &str) -> Option<Vec<f64>> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = json[at..].split_once(':')?.1.trim_start();
    let inner = rest.strip_prefix('[')?;
    let inner = &inner[..inner.find(']')?];
    inner
        .split(',')
        .map(|x| x.trim().parse().ok())
        .collect::<Option<Vec<f64>>>()
}

/// The string after `"key":` in a flat JSON text, if any (escapes kept as written,
/// but for `\"`).
fn string(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = json[at..].split_once(':')?.1.trim_start();
    let body = rest.strip_prefix('"')?;
    let mut out = String::new();
    let mut escaped = false;
    for c in body.chars() {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, '"') => return Some(out),
            (_, c) => {
                escaped = false;
                out.push(c);
            }
        }
    }
    None
}

/// Byte counts as whole numbers, everything else to three decimals.
fn fmt_value(key: &str, value: f64) -> String {
    if key.ends_with("_bytes") {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

/// A key's budget (issue 18's table).
#[derive(Clone, Copy)]
enum Budget {
    AtLeast(f64),
    AtMost(f64),
    None,
}

impl Budget {
    fn shown(self) -> String {
        match self {
            Budget::AtLeast(b) => format!(">= {b}"),
            Budget::AtMost(b) => format!("<= {b}"),
            Budget::None => "-".to_string(),
        }
    }
    /// Whether `value` holds the budget; `None` when there is no value or no budget.
    fn holds(self, value: Option<f64>) -> Option<bool> {
        let v = value?;
        match self {
            Budget::AtLeast(b) => Some(v >= b),
            Budget::AtMost(b) => Some(v <= b),
            Budget::None => None,
        }
    }
}

/// One row of the summary.
struct Row {
    key: &'static str,
    value: Option<f64>,
    /// min, median, max of the samples, where the figure has several.
    range: Option<Vec<f64>>,
    budget: Budget,
    /// Which figure of the samples the value is, and what it measures.
    what: &'static str,
    /// Why there is no value, when there is none.
    refused: Option<String>,
}

fn json_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn summary() -> Result<(), String> {
    let dir = std::path::Path::new("target/bench");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("target/bench/{name}: {e} (run scripts/bench.sh)"))
    };
    let native = read("native.json")?;
    let browser = read("browser.json")?;
    let peer_ratios = numbers(&native, "engine_vs_peer_ratios");
    let spread = |xs: Vec<f64>| {
        let low = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let high = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        vec![low, median(&xs), high]
    };
    let page = |key: &'static str, budget: Budget, what: &'static str| Row {
        key,
        value: number(&browser, key),
        range: numbers(&browser, &format!("{key}_range")),
        budget,
        what,
        refused: string(&browser, &format!("{key}_refused")),
    };
    let plain = |key: &'static str, json: &str, budget: Budget, what: &'static str| Row {
        key,
        value: number(json, key),
        range: None,
        budget,
        what,
        refused: None,
    };
    let rows = [
        Row {
            key: "engine_vs_peer_ratio",
            value: number(&native, "engine_vs_peer_ratio"),
            range: peer_ratios.map(spread),
            budget: Budget::AtLeast(10.0),
            what: "peer time / engine time, 1 M order-0 alloc+free ops, tracing off; median of the interleaved pairs' ratios",
            refused: None,
        },
        page(
            "wasm_vs_native_ratio",
            Budget::AtMost(1.3),
            "order-0 pairs, wasm in Chromium / native, samples interleaved in one run; median of the pair ratios",
        ),
        plain(
            "bytes_per_page",
            &native,
            Budget::AtMost(1.0),
            "engine heap per page right after boot, largest of 1 GiB-4 TiB (one measurement each)",
        ),
        plain(
            "init_4t_ms",
            &native,
            Budget::AtMost(1000.0),
            "machine build + boot free lists, 4 TiB on 8 nodes, native (one measurement)",
        ),
        page(
            "redraw_4mi_ms",
            Budget::AtMost(8.0),
            "address-space redraw, 16 GiB machine, whole machine in view; median",
        ),
        page(
            "step_latency_ms",
            Budget::AtMost(16.0),
            "worst of the step forward / over / back medians, click to painted frame, 16 GiB",
        ),
        page(
            "workload_10m_ms",
            Budget::AtMost(5000.0),
            "10 M-operation workload run to the end in the page (load minus default load); median",
        ),
        page(
            "workload_1m_ms",
            Budget::None,
            "1 M-operation workload run to the end in the page (load minus default load); median",
        ),
        page(
            "tti_ms",
            Budget::AtMost(150.0),
            "time to interactive, default scenario; median",
        ),
        page(
            "wasm_gz_bytes",
            Budget::AtMost(600_000.0),
            "the page's wasm, gzipped (one measurement)",
        ),
    ];
    println!(
        "\n{:<28} {:>12} {:>26} {:>10} {:>7}  what",
        "summary (issue 18)", "measured", "min / median / max", "budget", "holds"
    );
    let mut json = String::from("{\n");
    let mut lines = Vec::new();
    let mut verdicts = Vec::new();
    let (mut held, mut missed, mut unmeasured) = (0, 0, 0);
    for row in &rows {
        let shown = row
            .value
            .map_or_else(|| "n/a".to_string(), |v| fmt_value(row.key, v));
        let range = row.range.as_ref().map_or_else(
            || "-".to_string(),
            |r| {
                r.iter()
                    .map(|v| format!("{v:.2}"))
                    .collect::<Vec<_>>()
                    .join(" / ")
            },
        );
        let holds = row.budget.holds(row.value);
        let verdict = match (holds, &row.budget) {
            (Some(true), _) => {
                held += 1;
                "holds"
            }
            (Some(false), _) => {
                missed += 1;
                "MISSES"
            }
            (None, Budget::None) => "-",
            (None, _) => {
                unmeasured += 1;
                "n/a"
            }
        };
        println!(
            "{:<28} {shown:>12} {range:>26} {:>10} {verdict:>7}  {}",
            row.key,
            row.budget.shown(),
            row.what
        );
        if let Some(why) = &row.refused {
            println!("{:<28} refused: {why}", "");
        }
        lines.push(format!(
            "  \"{}\": {}",
            row.key,
            row.value
                .map_or_else(|| "null".to_string(), |v| fmt_value(row.key, v))
        ));
        let mut verdict_json = format!(
            "    \"{}\": {{\"budget\": {}, \"holds\": {}",
            row.key,
            json_str(&row.budget.shown()),
            holds.map_or_else(|| "null".to_string(), |h| h.to_string())
        );
        if let Some(r) = &row.range {
            let _ = write!(
                verdict_json,
                ", \"min_median_max\": [{}]",
                r.iter()
                    .map(|v| fmt_value(row.key, *v))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if let Some(why) = &row.refused {
            let _ = write!(verdict_json, ", \"refused\": {}", json_str(why));
        }
        let _ = write!(verdict_json, ", \"what\": {}}}", json_str(row.what));
        verdicts.push(verdict_json);
    }
    // Figures measured beside the budgets: the browser's keys, then the native ones.
    for extra in [
        "workload_10m_heap_bytes",
        "workload_1m_heap_bytes",
        "redraw_64mi_ms",
        "step_back_1m_ms",
        "wasm_fastest_ratio",
        "engine_vs_peer_fastest_ratio",
        "init_64g_ms",
    ] {
        let from = if browser.contains(&format!("\"{extra}\"")) {
            &browser
        } else {
            &native
        };
        if let Some(v) = number(from, extra) {
            println!(
                "{extra:<28} {:>12} {:>26} {:>10} {:>7}  (also measured)",
                fmt_value(extra, v),
                "-",
                "-",
                "-"
            );
            lines.push(format!("  \"{extra}\": {}", fmt_value(extra, v)));
        }
    }
    println!(
        "\n{held} budgets hold, {missed} miss, {unmeasured} not measured (of {})",
        held + missed + unmeasured
    );
    lines.push(format!("  \"budgets\": {{\n{}\n  }}", verdicts.join(",\n")));
    json.push_str(&lines.join(",\n"));
    json.push_str("\n}\n");
    std::fs::write(dir.join("summary.json"), json).map_err(|e| e.to_string())?;
    println!("wrote target/bench/summary.json");
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    match args.first().map(String::as_str) {
        Some("native") => {
            let json = native(quick);
            let dir = std::path::Path::new("target/bench");
            if let Err(e) = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join("native.json"), json))
            {
                eprintln!("target/bench/native.json: {e}");
                std::process::exit(1);
            }
        }
        Some("scale") => {
            // The scale rows alone (what `native` also measures), for a quick look.
            let mut json = String::from("{\n");
            scale(&mut json);
            json.push_str("  \"only\": \"scale\"\n}\n");
            let dir = std::path::Path::new("target/bench");
            if let Err(e) = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join("scale.json"), json))
            {
                eprintln!("target/bench/scale.json: {e}");
                std::process::exit(1);
            }
        }
        Some("summary") => {
            if let Err(e) = summary() {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        Some("pairs") => {
            // `engine_vs_peer_ratio` alone (what `native` also measures), for a quick
            // look while changing the engine's hot paths; writes nothing.
            let Ok(booted) = Machine::build(&machine(PAGES)) else {
                std::process::exit(1);
            };
            engine_vs_peer(&booted, quick, &mut String::new());
        }
        Some("series") => series::run(),
        Some("probe") => match probe::run(args.get(1..).unwrap_or(&[])) {
            Ok(text) => print!("{text}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
        Some("load") => match load(args.get(1).map(String::as_str)) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
        Some("draw") => match draw(args.get(1..).unwrap_or(&[])) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
        Some("start") => match start(
            args.get(1).map(String::as_str),
            args.iter().any(|a| a == "--check"),
        ) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
        Some("sample") => match sample(args.get(1..).unwrap_or(&[])) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
        Some("profile") => {
            // For perf and callgrind: one workload, tracing off, ten runs.
            let workload = match args.get(1).map(String::as_str) {
                Some("mixed") => Workload::Mixed,
                Some("fragmentation") => Workload::Fragmentation,
                _ => Workload::Pcp,
            };
            let ops = sequence(workload, OPS, PAGES, 1);
            let Ok(booted) = Machine::build(&machine(PAGES)) else {
                std::process::exit(1);
            };
            let ok: u64 = (0..10).map(|_| run_engine(&booted, &ops, false)).sum();
            println!("{ok} allocations");
        }
        _ => {
            eprintln!("usage: buddyscope-bench native [--quick] | scale | pairs [--quick] | summary | series | load FILE | draw FILE [N] | start FILE [--check] | sample pcp|mixed|fragmentation [--tracing] | profile [pcp|mixed|fragmentation] | probe [ROUNDS]");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROWSER: &str = r#"{
  "tti_ms": 247.8,
  "tti_ms_range": [
    191.9,
    247.8,
    283.8
  ],
  "workload_10m_ms": null,
  "workload_10m_ms_refused": "the page ran 1000000 of the workload's 10000000 operations (notice: \"Opened the shared link\")",
  "wasm_gz_bytes": 834919
}"#;

    #[test]
    fn the_summary_reads_numbers_ranges_and_refusals() {
        assert_eq!(number(BROWSER, "tti_ms"), Some(247.8));
        assert_eq!(number(BROWSER, "workload_10m_ms"), None);
        assert_eq!(number(BROWSER, "wasm_gz_bytes"), Some(834919.0));
        assert_eq!(
            numbers(BROWSER, "tti_ms_range"),
            Some(vec![191.9, 247.8, 283.8])
        );
        assert_eq!(numbers(BROWSER, "tti_ms"), None);
        assert_eq!(
            string(BROWSER, "workload_10m_ms_refused").as_deref(),
            Some("the page ran 1000000 of the workload's 10000000 operations (notice: \"Opened the shared link\")")
        );
        assert_eq!(string(BROWSER, "tti_ms"), None);
    }

    #[test]
    fn budgets_hold_at_their_bound_and_miss_past_it() {
        assert_eq!(Budget::AtLeast(10.0).holds(Some(10.0)), Some(true));
        assert_eq!(Budget::AtLeast(10.0).holds(Some(7.7)), Some(false));
        assert_eq!(Budget::AtMost(16.0).holds(Some(16.0)), Some(true));
        assert_eq!(Budget::AtMost(16.0).holds(Some(17.1)), Some(false));
        assert_eq!(Budget::AtMost(5000.0).holds(None), None);
        assert_eq!(Budget::None.holds(Some(1.0)), None);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn a_json_string_escapes_quotes_backslashes_and_controls() {
        assert_eq!(json_str("a \"b\" \\ c\n"), r#""a \"b\" \\ c\n""#);
    }

    #[test]
    fn sample_names_a_wrong_argument() {
        let err = sample(&["pcpp".to_string()]).unwrap_err();
        assert!(err.contains("`pcpp`"), "{err}");
        let err = sample(&[]).unwrap_err();
        assert!(err.contains("name a workload"), "{err}");
    }

    /// The sample's fault count reads the right field: touching 16 MiB the process
    /// never had takes a fault a page (4,096), give or take the allocator's own (with
    /// 4 KiB pages).
    #[cfg(target_os = "linux")]
    #[test]
    fn minor_faults_count_first_touches() {
        let before = minor_faults().expect("/proc/self/stat has minflt");
        let mut fresh = vec![0u8; 16 << 20];
        for page in fresh.chunks_mut(4096) {
            page[0] = 1;
        }
        std::hint::black_box(&fresh);
        let after = minor_faults().expect("/proc/self/stat has minflt");
        let taken = after - before;
        // With transparent huge pages always on, the kernel may map 2 MiB at a fault.
        let thp_always = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|s| s.contains("[always]"));
        let least = if thp_always { 8 } else { 3_500 };
        assert!((least..20_000).contains(&taken), "{taken} faults");
    }
}
