//! The workload language: parsing with line and column errors, and running it.

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::{Machine, MachineConfig, NodeConfig};
use buddyscope_engine::scenario::{parse_scenario, scenario_to_toml, Scenario};
use buddyscope_engine::session::Session;
use buddyscope_engine::types::PfnRange;
use buddyscope_engine::workload::{parse_workload, run_workload};

fn session() -> Session {
    let config = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![PfnRange {
                start: 0x1000,
                end: 0x3000,
            }],
            cpus: vec![0, 1],
        }],
        ..MachineConfig::default()
    };
    Session::new(Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap())
}

fn run(script: &str) -> (Session, buddyscope_engine::workload::RunSummary) {
    let mut session = session();
    let statements = parse_workload(script).unwrap();
    let summary = run_workload(&mut session, &statements, None).unwrap();
    session.current().check_invariants().unwrap();
    (session, summary)
}

#[test]
fn names_ranges_every_and_repeat() {
    let (session, summary) = run("
        alloc a order=0 gfp=GFP_KERNEL count=10   # indexes 0-9
        alloc b order=2 gfp=GFP_NOWAIT count=4 cpu=1
        free a[2..5]        # 2, 3, 4
        free a every=3      # 0, 3 (skipped: freed), 6, 9
        free b[1]
        repeat 3 {
          alloc t order=1 gfp=GFP_ATOMIC
          free t
        }
    ");
    assert_eq!(summary.allocated, 17);
    assert_eq!(summary.freed, 3 + 3 + 1 + 3);
    assert_eq!(
        summary.skipped,
        1 + 3,
        "a[3] once, then t's earlier ones in passes 2 and 3"
    );
    for index in [0, 2, 3, 4, 6, 9, 11] {
        assert!(!session.is_live(index), "{index} should be free");
    }
    for index in [1, 5, 7, 8, 10, 12, 13] {
        assert!(session.is_live(index), "{index} should be live");
    }
    // b's allocations ran on CPU 1.
    assert!(session
        .events(10)
        .iter()
        .any(|e| matches!(e, buddyscope_engine::Event::AllocStart { cpu: 1, .. })));
}

#[test]
fn free_all_drains_everything_back() {
    let (session, summary) = run("
        alloc order=3 gfp=GFP_KERNEL count=20
        alloc c order=0 gfp=GFP_HIGHUSER_MOVABLE count=50 use=pagecache
        free all
        drain
    ");
    assert_eq!(summary.freed, 70);
    let zones = &session.current().zones();
    assert!(zones.iter().all(|z| z.buddy.free_pages() == z.managed));
}

#[test]
fn errors_point_at_line_and_column() {
    let cases = [
        ("alloc x order=11", 1, 15, "order 11 is too large"),
        (
            "\n  alloc x gfp=GFP_KERNAL",
            2,
            15,
            "unknown gfp flag `GFP_KERNAL`",
        ),
        ("alloc x size=3", 1, 9, "`alloc` has no `size=`"),
        ("free", 1, 1, "`free` needs a name"),
        ("free x[3", 1, 6, "a `[` without its `]`"),
        ("free x[5..2]", 1, 8, "runs backwards"),
        ("repeat 3 {\nalloc x", 2, 1, "not closed"),
        ("}", 1, 1, "without a `repeat"),
        ("bogus 1", 1, 1, "unknown statement `bogus`"),
        ("offline section=three", 1, 17, "expected a section number"),
        ("online 3", 1, 8, "takes `section=N`"),
        ("sysctl min_free_kbytes", 1, 8, "expected NAME=VALUE"),
        ("cpu one", 1, 5, "expected a CPU number"),
        ("place t order=0 at=0x1000", 1, 1, "needs `gfp=`"),
        (
            "place t order=0 gfp=GFP_KERNEL",
            1,
            1,
            "needs `order=` and `at=`",
        ),
        ("hold p order=0 at=zz", 1, 19, "expected a pfn"),
        ("hold p order=0 at=null", 1, 19, "expected a pfn"),
        (
            "hold p order=0 gfp=GFP_KERNEL at=0x10",
            1,
            16,
            "`hold` has no `gfp=`",
        ),
        ("place order=0", 1, 7, "is not a name"),
        ("drained", 1, 1, "`drained` takes `at=PFN,PFN,...`"),
        ("drained at=0x10,zz", 1, 12, "expected a pfn"),
    ];
    for (script, line, column, message) in cases {
        let error = parse_workload(script).unwrap_err();
        assert_eq!(
            (error.span.line, error.span.column),
            (line, column),
            "{script:?}: {error}"
        );
        assert!(error.message.contains(message), "{script:?}: {error}");
    }
    // Run-time errors name the line too.
    let mut session = session();
    let statements = parse_workload("alloc a\nfree b\n").unwrap();
    let error = run_workload(&mut session, &statements, None).unwrap_err();
    assert_eq!(error.span.line, 2);
    assert!(error.message.contains("nothing has been allocated as `b`"));
    let statements = parse_workload("cpu 7\n").unwrap();
    assert!(run_workload(&mut session, &statements, None)
        .unwrap_err()
        .message
        .contains("CPU 7 is not online"));
}

#[test]
fn a_cpu_or_kswapd_node_the_machine_lacks_is_refused_before_anything_runs() {
    // The machine has CPUs 0 and 1 on node 0. Each workload names another CPU or node
    // after work that would take a while: the refusal comes first, with the
    // statement's line and column, and no call was made.
    let cases = [
        (
            "repeat 100000 {\n alloc x order=0 gfp=GFP_KERNEL\n free x\n}\ncpu 7\n",
            5,
            1,
            "CPU 7 is not online on this machine",
        ),
        (
            "alloc a order=0 gfp=GFP_KERNEL count=50000\nrepeat 2 {\n  drain cpu=3\n}\n",
            3,
            3,
            "CPU 3 is not online on this machine",
        ),
        (
            "alloc a order=0 gfp=GFP_KERNEL cpu=4\n",
            1,
            1,
            "CPU 4 is not online on this machine",
        ),
        (
            "alloc a order=0 gfp=GFP_KERNEL\nhold b order=0 at=0x1300 cpu=2\n",
            2,
            1,
            "CPU 2 is not online on this machine",
        ),
        (
            "alloc a order=0 gfp=GFP_KERNEL count=50000\nkswapd node=1\n",
            2,
            1,
            "node 1 does not exist on this machine",
        ),
    ];
    for (script, line, column, message) in cases {
        let mut session = session();
        let statements = parse_workload(script).unwrap();
        let error = run_workload(&mut session, &statements, None).unwrap_err();
        assert_eq!(
            (error.span.line, error.span.column, error.message.as_str()),
            (line, column, message),
            "{script:?}"
        );
        assert_eq!(
            session.calls().len(),
            0,
            "{script:?}: calls ran before the refusal"
        );
    }
    // The CPUs and the node it has pass.
    let (session, summary) =
        run("cpu 1\nalloc a order=0 gfp=GFP_KERNEL cpu=0\ndrain cpu=0\nkswapd node=0\n");
    assert_eq!(summary.operations, 3);
    assert!(session.calls().len() >= 3);
}

#[test]
fn the_step_limit_stops_a_run_and_empty_loops_are_bounded() {
    let mut session = session();
    let statements = parse_workload("repeat 1000 {\n alloc x order=0 gfp=GFP_KERNEL\n}\n").unwrap();
    let summary = run_workload(&mut session, &statements, Some(10)).unwrap();
    assert_eq!(summary.operations, 10);
    let statements = parse_workload("repeat 10000000 {\n repeat 10000000 {\n }\n}\n").unwrap();
    assert!(run_workload(&mut session, &statements, None)
        .unwrap_err()
        .message
        .contains("more than"));
}

#[test]
fn a_scenario_keeps_its_workload_through_a_round_trip() {
    let text = "version = 1\n[workload]\nseed = 7\nscript = '''\nalloc a order=2 gfp=GFP_KERNEL count=3\nfree a[0]\n'''\n";
    let scenario = parse_scenario(text).unwrap();
    assert_eq!(scenario.seed, Some(7));
    assert_eq!(
        scenario.workload.as_deref(),
        Some("alloc a order=2 gfp=GFP_KERNEL count=3\nfree a[0]\n")
    );
    assert_eq!(
        parse_scenario(&scenario_to_toml(&scenario)).unwrap(),
        scenario
    );
    // A script that needs escapes round-trips too.
    let odd = Scenario {
        workload: Some("alloc a  # it's '''odd'''\n".to_string()),
        ..Scenario::default()
    };
    assert_eq!(parse_scenario(&scenario_to_toml(&odd)).unwrap(), odd);
    // A bad script is refused when the scenario is read, with its line.
    let error = parse_scenario("[workload]\nscript = '''\nalloc a order=99\n'''\n").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`workload.script`, line 1, column 15"),
        "{error}"
    );
}

#[test]
fn sysctl_writes_recompute_watermarks_and_pagesets() {
    let (session, _) = run("
        sysctl watermark_scale_factor=100
        sysctl percpu_pagelist_high_fraction=8 lowmem_reserve_ratio=128,128,32,0,0
    ");
    let zone = &session.current().zones()[0];
    let machine = session.current().machine().unwrap();
    let source = machine.zone(zone.nid, zone.zone).unwrap();
    // The allocator took over what the machine model recomputed.
    assert_eq!(
        zone.watermark,
        [
            source.watermark_min,
            source.watermark_low,
            source.watermark_high
        ]
    );
    assert_eq!(machine.config.sysctls.watermark_scale_factor, 100);
    assert_eq!(zone.pcps[0].high, source.pcp_high);
    assert_eq!(
        zone.pcps[0].high,
        zone.managed / 8 / 2,
        "managed / fraction split over two CPUs"
    );
    assert_eq!(zone.lowmem_reserve, source.lowmem_reserve);
    // A write the kernel refuses is an error on its line, and changes nothing.
    let mut session = session;
    let before = session.clone();
    let statements = parse_workload("\nsysctl watermark_scale_factor=0\n").unwrap();
    let error = run_workload(&mut session, &statements, None).unwrap_err();
    assert_eq!(error.span.line, 2);
    assert!(error.message.contains("watermark_scale_factor"), "{error}");
    assert!(session == before);
}

fn two_nodes() -> Session {
    let config = MachineConfig {
        nodes: vec![
            NodeConfig {
                memory: vec![PfnRange {
                    start: 0x1000,
                    end: 0x3000,
                }],
                cpus: vec![0],
            },
            NodeConfig {
                memory: vec![PfnRange {
                    start: 0x3000,
                    end: 0x5000,
                }],
                cpus: vec![1],
            },
        ],
        ..MachineConfig::default()
    };
    Session::new(Allocator::from_machine(&Machine::build(&config).unwrap()).unwrap())
}

#[test]
fn a_nodemask_passes_over_other_nodes_zones() {
    use buddyscope_engine::session::Outcome;
    use buddyscope_engine::Event;
    let mut session = two_nodes();
    let statements =
        parse_workload("alloc a order=0 cpu=0\nalloc b order=0 cpu=0 nodemask=1\n").unwrap();
    run_workload(&mut session, &statements, None).unwrap();
    let node_of = |call: usize| match &session.calls().get(call).unwrap().outcome {
        Outcome::Allocated { allocation, .. } => allocation.node,
        other => panic!("call {call}: {other:?}"),
    };
    // CPU 0's own node without a mask, node 1 with `nodemask=1`, although the
    // preferred node is still CPU 0's.
    assert_eq!(node_of(0), 0);
    assert_eq!(node_of(1), 1);
    let skipped: Vec<u32> = session
        .events(1)
        .iter()
        .filter_map(|e| match e {
            Event::ZoneNotInNodemask { node, .. } => Some(*node),
            _ => None,
        })
        .collect();
    assert!(!skipped.is_empty() && skipped.iter().all(|&n| n == 0));
    assert!(!session
        .events(0)
        .iter()
        .any(|e| matches!(e, Event::ZoneNotInNodemask { .. })));
    // Bad masks are refused with where they are.
    let error = parse_workload("alloc order=0 nodemask=1-0\n").unwrap_err();
    assert_eq!((error.span.line, error.span.column), (1, 24), "{error}");
    assert!(parse_workload("alloc nodemask=\n").is_err());
    let statements = parse_workload("alloc nodemask=7\n").unwrap();
    let error = run_workload(&mut session, &statements, None).unwrap_err();
    assert!(error.message.contains('7'), "{error}");
}

/// `hold` and `place` (the trace replay's follow mode): blocks taken at their own
/// pfns, written back as read; a page inside a held block is not free, so not
/// placed; `at=null` places nothing.
#[test]
fn hold_and_place_take_blocks_at_their_pfns() {
    let script = "hold pre order=1 at=0x2002\nplace t order=3 gfp=GFP_KERNEL at=0x1008\nplace t order=9 gfp=GFP_KERNEL at=null\nplace t order=0 gfp=GFP_KERNEL at=0x2003\nfree t[0]\nfree pre\ndrained at=0x2002,0x1008\n";
    let statements = parse_workload(script).unwrap();
    let written = buddyscope_engine::workload::format_statements(
        &statements
            .iter()
            .map(|(s, _)| s.clone())
            .collect::<Vec<_>>(),
    );
    assert_eq!(written, script);
    let (session, summary) = run(script);
    // hold and the first place are placed; the failed one and the page inside the
    // held block are not (2 failed); frees: t[0] and pre[0] (t[1], t[2] were never
    // placed and are not named).
    assert_eq!(
        (summary.allocated, summary.failed, summary.freed),
        (2, 2, 2)
    );
    use buddyscope_engine::session::Outcome;
    let outcomes: Vec<Outcome> = session.calls().iter().map(|c| c.outcome).collect();
    assert!(matches!(
        outcomes[1],
        Outcome::Placed { allocation, .. } if allocation.pfn.0 == 0x1008 && allocation.order.get() == 3
    ));
    assert!(matches!(outcomes[3], Outcome::NotPlaced { pfn: Some(p), .. } if p.0 == 0x2003));
}
