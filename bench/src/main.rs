//! `buddyscope-bench`: the native benchmarks, and the summary of a whole run.
//!
//! - `buddyscope-bench native [--quick]` times the engine workloads (tracing off and
//!   on) beside the peer, machine initialisation and memory for 1 GiB to 4 TiB, and
//!   how cost grows with workload length; writes target/bench/native.json.
//! - `buddyscope-bench scale` measures only the initialisation and memory rows;
//!   writes target/bench/scale.json.
//! - `buddyscope-bench series` measures the timeline's series (`session::series`):
//!   bytes per call at 10 k to 10 M calls, recording cost, view and SVG time.
//! - `buddyscope-bench summary` reads native.json and browser.json (from
//!   scripts/bench.mjs), prints one table and writes target/bench/summary.json.
//!
//! The harness: one warm-up run, then samples until both 5 samples and 1 s are
//! reached (at most 50); the figure is the fastest sample. Memory is measured by a counting
//! global allocator: the live heap bytes the engine holds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use buddyscope_bench::{machine, run_engine, run_peer, sequence, server, Workload};
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;

mod series;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
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
            let _ = writeln!(json, "  \"engine_vs_peer_ratio\": {:.3},", peer / engine);
            let _ = writeln!(
                json,
                "  \"pcp_engine_ns_per_op\": {:.1},",
                engine * 1e6 / OPS as f64
            );
        }
    }
    let _ = writeln!(json, "  \"workloads\": [\n{}\n  ],", rows.join(",\n"));

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

/// The number after `"key":` in a flat JSON text, if any.
fn number(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = json[at..].split_once(':')?.1.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == '+'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Byte counts as whole numbers, everything else to three decimals.
fn fmt_value(key: &str, value: f64) -> String {
    if key.ends_with("_bytes") {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

fn summary() -> Result<(), String> {
    let dir = std::path::Path::new("target/bench");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("target/bench/{name}: {e} (run scripts/bench.sh)"))
    };
    let native = read("native.json")?;
    let browser = read("browser.json")?;
    let pcp_ns = number(&native, "pcp_engine_ns_per_op");
    let wasm_ns = number(&browser, "wasm_pcp_ns_per_op");
    let ratio = match (wasm_ns, pcp_ns) {
        (Some(w), Some(n)) if n > 0.0 => Some(w / n),
        _ => None,
    };
    let rows: [(&str, Option<f64>, &str, &str); 9] = [
        (
            "engine_vs_peer_ratio",
            number(&native, "engine_vs_peer_ratio"),
            ">= 2",
            "peer time / engine time, order-0 pairs, tracing off",
        ),
        (
            "wasm_vs_native_ratio",
            ratio,
            "<= 1.5",
            "order-0 pairs, wasm in Chromium / native",
        ),
        (
            "bytes_per_page",
            number(&native, "bytes_per_page"),
            "<= 1",
            "engine heap per page right after boot (largest of 1 GiB-4 TiB)",
        ),
        (
            "init_64g_ms",
            number(&native, "init_64g_ms"),
            "-",
            "machine build + boot free lists, 64 GiB",
        ),
        (
            "init_4t_ms",
            number(&native, "init_4t_ms"),
            "<= 1000",
            "machine build + boot free lists, 4 TiB on 8 nodes",
        ),
        (
            "redraw_4mi_ms",
            number(&browser, "redraw_4mi_ms"),
            "<= 16",
            "address-space redraw, 16 GiB machine (4 Mi pages)",
        ),
        (
            "step_latency_ms",
            number(&browser, "step_latency_ms"),
            "<= 50",
            "worst of the step forward, over and back medians, 16 GiB machine",
        ),
        (
            "workload_1m_ms",
            number(&browser, "workload_1m_ms"),
            "<= 2000",
            "1 M-operation workload run to the end in the page",
        ),
        (
            "wasm_gz_bytes",
            number(&browser, "wasm_gz_bytes"),
            "<= 600000",
            "the page's wasm, gzipped",
        ),
    ];
    println!(
        "\n{:<22} {:>14} {:>10}  what",
        "summary", "measured", "target"
    );
    let mut json = String::from("{\n");
    let mut lines = Vec::new();
    for (key, value, target, what) in rows {
        let shown = value.map_or_else(|| "n/a".to_string(), |v| fmt_value(key, v));
        println!("{key:<22} {shown:>14} {target:>10}  {what}");
        lines.push(format!(
            "  \"{key}\": {}",
            value.map_or_else(|| "null".to_string(), |v| fmt_value(key, v))
        ));
    }
    for extra in ["tti_ms", "redraw_64mi_ms", "step_back_1m_ms"] {
        if let Some(v) = number(&browser, extra) {
            println!("{extra:<22} {v:>14.3} {:>10}  (also measured)", "-");
            lines.push(format!("  \"{extra}\": {v:.3}"));
        }
    }
    json.push_str(&lines.join(",\n"));
    json.push_str("\n}\n");
    std::fs::write(dir.join("summary.json"), json).map_err(|e| e.to_string())?;
    println!("\nwrote target/bench/summary.json");
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
        Some("series") => series::run(),
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
            eprintln!("usage: buddyscope-bench native [--quick] | scale | summary | series | profile [pcp|mixed|fragmentation]");
            std::process::exit(2);
        }
    }
}
