//! Workload generators: seeded and deterministic, readable back as workload text,
//! and each one producing the behaviour it is named for.

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::parse_scenario;
use buddyscope_engine::session::{KswapdMode, Outcome, Session};
use buddyscope_engine::workload::generate::{expand, MachineFacts, GENERATORS};
use buddyscope_engine::workload::{format_statements, parse_workload, run_workload_seeded};
use buddyscope_engine::Event;

/// 64 MiB per node (sections of 16 MiB), one CPU each.
fn session(nodes: usize) -> Session {
    let mut text =
        String::from("version = 1\n[machine]\nthp = \"always\"\nsection_size_bits = 24\n");
    for node in 0..nodes {
        let start = 0x1000_0000u64 * (node as u64 + 1);
        text.push_str(&format!(
            "[[machine.nodes]]\nmemory = [\"{:#x}-{:#x}\"]\ncpus = \"{node}\"\n",
            start,
            start + (64 << 20) - 1
        ));
    }
    let scenario = parse_scenario(&text).unwrap();
    Session::new(Allocator::from_machine(&Machine::build(&scenario.machine).unwrap()).unwrap())
}

fn run(session: &mut Session, script: &str, seed: u64) {
    let statements = parse_workload(script).unwrap();
    run_workload_seeded(session, &statements, None, seed).unwrap();
    session.current().check_invariants().unwrap();
}

fn count(session: &Session, wanted: fn(&Event) -> bool) -> usize {
    session
        .calls_with_events()
        .map(|c| c.events.iter().filter(|e| wanted(e)).count())
        .sum()
}

#[test]
fn the_same_seed_gives_the_same_operations_and_text_reads_back() {
    let facts = MachineFacts::of(session(2).current());
    for generator in GENERATORS {
        let a = expand(generator.name, &[], &facts, 7, "g1");
        assert!(!a.is_empty(), "{}", generator.name);
        assert_eq!(a, expand(generator.name, &[], &facts, 7, "g1"));
        // Written as text, the expansion reads back to the same statements.
        let text = format_statements(&a);
        let back: Vec<_> = parse_workload(&text)
            .unwrap()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(back, a, "{}", generator.name);
        let b = expand(generator.name, &[], &facts, 8, "g1");
        assert_ne!(a, b, "{}: the seed must matter", generator.name);
    }
}

#[test]
fn fragmentation_stress_leaves_no_free_pageblock() {
    let mut session = session(1);
    run(
        &mut session,
        "generate fragment unmovable_every=16 probe=4\n",
        1,
    );
    let probes: Vec<Outcome> = session
        .calls()
        .iter()
        .rev()
        .take(4)
        .map(|c| c.outcome)
        .collect();
    let free: i64 = session
        .current()
        .zones()
        .iter()
        .map(|z| z.free_pages())
        .sum();
    assert!(free > 8 * 512, "plenty of free memory: {free} pages");
    let failed = probes
        .iter()
        .filter(|o| matches!(o, Outcome::Failed { .. }))
        .count();
    assert!(
        failed >= 3,
        "order-9 blocks should be gone although {free} pages are free: {probes:?}"
    );
    // The unmovable pages were scattered by stealing without claiming.
    assert!(
        count(&session, |e| matches!(
            e,
            Event::Steal { claimed: false, .. }
        )) > 10
    );
}

#[test]
fn thp_under_pressure_reclaims_and_compacts() {
    let mut session = session(1);
    run(&mut session, "generate thp fill=90 count=8\n", 3);
    let thp_ok = session
        .calls()
        .iter()
        .rev()
        .take(8)
        .filter(|c| matches!(c.outcome, Outcome::Allocated { .. }))
        .count();
    assert!(thp_ok > 0, "some order-9 allocations succeed");
    assert!(
        count(&session, |e| matches!(
            e,
            Event::Compacted { .. } | Event::DirectReclaim { .. }
        )) > 0
    );
}

#[test]
fn page_cache_growth_is_reclaimed() {
    let mut session = session(1);
    run(&mut session, "generate pagecache kswapd_every=2000\n", 1);
    assert!(count(&session, |e| matches!(e, Event::Reclaimed { .. })) > 1000);
    assert!(count(&session, |e| matches!(e, Event::KswapdRun { .. })) > 0);
}

#[test]
fn atomic_bursts_reserve_highatomic_pageblocks() {
    // kswapd frozen, as in the highatomic lesson: run to completion after every
    // wake-up, it would keep free memory above the low watermark between bursts.
    let mut session = Session::with_kswapd(session(1).current().clone(), KswapdMode::Manual);
    run(
        &mut session,
        "generate atomic bursts=6 size=64 order=3\n",
        1,
    );
    assert!(count(&session, |e| matches!(e, Event::HighatomicReserve { .. })) > 0);
}

#[test]
fn numa_remote_allocations_land_on_the_other_node() {
    let mut session = session(2);
    run(&mut session, "generate numa count=400 remote=50\n", 1);
    let (mut local, mut remote) = (0, 0);
    for call in session.calls() {
        if let (
            buddyscope_engine::session::Operation::Alloc { node, cpu, .. },
            Outcome::Allocated { allocation, .. },
        ) = (&call.operation, &call.outcome)
        {
            let own = cpu.unwrap();
            if *node < 0 {
                assert_eq!(allocation.node, own);
                local += 1;
            } else {
                assert_ne!(*node as u32, own);
                assert_eq!(allocation.node, *node as u32);
                remote += 1;
            }
        }
    }
    assert!(
        local > 100 && remote > 100,
        "{local} local, {remote} remote"
    );
}

#[test]
fn steady_load_holds_its_fill() {
    let mut session = session(1);
    run(
        &mut session,
        "generate steady ops=6000 max_order=3 fill=40\n",
        5,
    );
    let managed: u64 = session.current().zones().iter().map(|z| z.managed).sum();
    let free: i64 = session
        .current()
        .zones()
        .iter()
        .map(|z| z.free_pages())
        .sum();
    let used = managed as i64 - free;
    let target = managed as i64 * 40 / 100;
    assert!(
        (used - target).abs() < target / 4,
        "used {used}, target {target}"
    );
    // Later statements can free a generator's groups by name.
    run(&mut session, "generate steady ops=10\nfree g1_mixed\n", 5);
}

#[test]
fn bad_generate_statements_say_where() {
    for (text, column, message) in [
        ("generate\n", 1, "needs a generator"),
        ("generate nope\n", 10, "unknown generator"),
        ("generate steady size=3\n", 17, "has no `size=`"),
        ("generate steady fill=99\n", 22, "at most 95"),
        ("generate steady ops=x\n", 21, "whole number"),
    ] {
        let error = parse_workload(text).unwrap_err();
        assert_eq!(error.span.column, column, "{text}: {error}");
        assert!(error.message.contains(message), "{error}");
    }
}

/// The runner runs a `generate` statement from the builder's compact form, not from
/// the statements `expand` prints; both must do the same. Every generator, with the
/// workload's own statements using a generated group's name before and after (the
/// two share the group, as they did when the runner ran the printed statements).
#[test]
fn a_generate_statement_runs_as_its_printed_statements() {
    let small = [
        ("steady", "ops=3000 max_order=3 fill=60"),
        ("fragment", "pages=4000 probe=4"),
        ("thp", "fill=60 count=4"),
        ("pagecache", "pages=40000 kswapd_every=700"),
        ("atomic", "bursts=3 size=40 background=3000"),
        ("numa", "count=3000 remote=40"),
    ];
    for (name, params) in small {
        let generator = GENERATORS.iter().find(|g| g.name == name).unwrap();
        let kind = match name {
            "steady" => "mixed",
            "fragment" => "movable",
            "thp" | "pagecache" => "cache",
            "atomic" => "background",
            _ => "local",
        };
        let script = format!(
            "alloc g1_{kind} order=1 count=3\ngenerate {name} {params}\nfree g1_{kind}[1]\nfree all\n"
        );
        assert!(generator.params.iter().any(|p| params.contains(p.name)));
        let mut generated = session(2);
        let statements = parse_workload(&script).unwrap();
        let summary = run_workload_seeded(&mut generated, &statements, None, 5).unwrap();

        // The same run with the generate statement replaced by what it prints.
        let mut printed = session(2);
        let facts = MachineFacts::of(printed.current());
        let (before, after) = script
            .split_once(&format!("generate {name} {params}\n"))
            .unwrap();
        let parsed_params: Vec<(String, u64)> = params
            .split(' ')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect();
        let seed = buddyscope_engine::workload::generate::stream_seed(5, 1);
        let body = format_statements(&expand(name, &parsed_params, &facts, seed, "g1"));
        let whole = format!("{before}{body}\n{after}");
        let statements = parse_workload(&whole).unwrap();
        let expected = run_workload_seeded(&mut printed, &statements, None, 5).unwrap();
        assert_eq!(summary, expected, "{name}");
        assert!(summary.operations > 1000, "{name}: {summary:?}");
        assert!(generated == printed, "{name}: the sessions differ");
        assert!(
            generated.series() == printed.series(),
            "{name}: the series differ"
        );
    }
}
