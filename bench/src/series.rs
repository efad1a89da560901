//! `buddyscope-bench series`: what the timeline's series (`session::series`) costs.
//! A session runs the mixed workload on the 1 GiB machine, recording its series as
//! the page does; printed: the series' bytes at 10 k, 100 k and 1 M calls (and per
//! call), the time a call's recording takes, and the time to build the timeline's
//! view (1,200 columns) and its SVG at 1 M calls. Then 10 M calls recorded from two
//! alternating states show the bound holds there too.

use std::time::Instant;

use buddyscope_bench::{machine, sequence, Op, Workload};
use buddyscope_engine::alloc::reclaim::PageUse;
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;
use buddyscope_engine::session::series::Series;
use buddyscope_engine::session::{Operation, Outcome, Session};
use buddyscope_engine::types::gfp::Gfp;
use buddyscope_engine::view::{timeline_of, timeline_svg, TimelineChoice, TimelineRun};

const PAGES: u64 = 1 << 18;

fn operation(op: Op) -> Operation {
    match op {
        Op::Alloc { order, movable } => Operation::Alloc {
            nodemask: None,
            order: u32::from(order),
            gfp: if movable { Gfp(0x100cca) } else { Gfp(0xcc0) },
            node: -1,
            cpu: None,
            use_: if movable {
                PageUse::PageCache
            } else {
                PageUse::Kernel
            },
        },
        Op::Free { index } => Operation::Free {
            index: index as usize,
            cpu: None,
        },
    }
}

fn draw(series: &Series) {
    let choice = TimelineChoice {
        zone: usize::MAX,
        order: 9,
        columns: 1200,
        watermark_scale: false,
    };
    let runs = [TimelineRun { label: "", series }];
    let t = Instant::now();
    let view = timeline_of(&runs, Some(series.calls() / 2), choice);
    let view_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let svg = timeline_svg(&view);
    let svg_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "  timeline view at {} calls, 1200 columns: {view_ms:.2} ms; SVG {svg_ms:.2} ms ({} KiB)",
        series.calls(),
        svg.len() / 1024
    );
}

pub fn run() {
    let Ok(booted) = Machine::build(&machine(PAGES)) else {
        eprintln!("the benchmark machine does not build");
        std::process::exit(1);
    };
    let Ok(allocator) = Allocator::from_machine(&booted) else {
        std::process::exit(1);
    };
    println!(
        "Timeline series: mixed workload on 1 GiB ({} zones), series budget {} MiB",
        allocator.zones().len(),
        buddyscope_engine::session::series::SERIES_BYTES_BUDGET >> 20
    );
    let ops = sequence(Workload::Mixed, 1_000_000, PAGES, 1);
    let mut session = Session::new(allocator.clone());
    let t = Instant::now();
    for (i, op) in ops.iter().enumerate() {
        let _ = session.apply(operation(*op));
        let n = i + 1;
        if [10_000, 100_000, 1_000_000].contains(&n) {
            let bytes = session.series().heap_bytes();
            println!(
                "  {:>9} calls: series {:>9} bytes, {:>7.2} bytes/call, buckets of {} calls",
                session.calls().len(),
                bytes,
                bytes as f64 / session.calls().len() as f64,
                session.series().bucket_width()
            );
        }
    }
    let session_ms = t.elapsed().as_secs_f64() * 1e3;
    draw(session.series());

    // The cost of recording one call: pushing the end state again, a million times.
    let state = session.current().clone();
    let mut series = Series::new(&state);
    let t = Instant::now();
    for _ in 0..1_000_000 {
        series.push(&state, &[], &Outcome::Drained);
    }
    let push_ns = t.elapsed().as_secs_f64() * 1e9 / 1e6;
    println!(
        "  session of 1 M calls: {session_ms:.0} ms ({:.0} ns/call); recording a call's series: {push_ns:.0} ns",
        session_ms * 1e6 / 1e6
    );

    let mut series = Series::new(&allocator);
    for call in 0..10_000_000u64 {
        let s = if call % 2 == 0 { &allocator } else { &state };
        series.push(s, &[], &Outcome::Drained);
    }
    println!(
        "  10 M calls: series {} bytes ({:.3} bytes/call), buckets of {} calls",
        series.heap_bytes(),
        series.heap_bytes() as f64 / 1e7,
        series.bucket_width()
    );
    draw(&series);
}
