//! A scenario run the way the CLI and the page run it: the machine built, the session
//! in the scenario's kswapd mode, the workload run with the scenario's seed.

use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;
use buddyscope_engine::scenario::Scenario;
use buddyscope_engine::session::Session;
use buddyscope_engine::workload::{parse_workload, run_workload_seeded, RunSummary};

/// The session after the scenario's whole workload, with the run's summary.
pub fn run_scenario(scenario: &Scenario) -> (Session, RunSummary) {
    let machine = Machine::build(&scenario.machine).unwrap();
    let mut session = Session::with_kswapd(
        Allocator::from_machine(&machine).unwrap(),
        scenario.kswapd.unwrap_or_default(),
    );
    let statements = parse_workload(scenario.workload.as_deref().unwrap_or("")).unwrap();
    let summary =
        run_workload_seeded(&mut session, &statements, None, scenario.seed.unwrap_or(1)).unwrap();
    (session, summary)
}

/// A follow-mode trace replay (`place`/`hold`, `Operation::AllocAt`) on a small
/// machine, touching every path of `take_page_off_buddy()`: a pre-trace block split
/// out of a free block, a traced block taken whole, one split out, one taken off
/// another CPU's per-cpu list after its free put it there, one not free in the model,
/// a failed allocation, a per-cpu refill the trace recorded (three order-0 blocks
/// from 0x1500 to CPU 1's Unmovable list, the first then allocated), frees that
/// merge back, a traced drain of a per-cpu page (0x1000), and a second refill of
/// CPU 1's list, which says the two pages left there (0x1501, 0x1502) went to
/// allocations the trace does not show. For the journal and causal checks.
pub fn follow_replay_session() -> Session {
    let trace = "\
 sh-1 [000] .....  0.1: mm_page_alloc: page=00000000aaaaaaaa pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
 sh-1 [000] .....  0.2: mm_page_free: page=00000000aaaaaaaa pfn=0x1000 order=0
 sh-1 [001] .....  0.3: mm_page_alloc: page=00000000aaaaaaaa pfn=0x1000 order=0 migratetype=1 gfp_flags=GFP_KERNEL
 sh-1 [001] d..3.  0.31: mm_page_alloc_zone_locked: page=00000000ffffffff pfn=0x1500 order=0 migratetype=0 percpu_refill=1
 sh-1 [001] d..3.  0.31: mm_page_alloc_zone_locked: page=00000000ffffffff pfn=0x1501 order=0 migratetype=0 percpu_refill=1
 sh-1 [001] d..3.  0.31: mm_page_alloc_zone_locked: page=00000000ffffffff pfn=0x1502 order=0 migratetype=0 percpu_refill=1
 sh-1 [001] .....  0.32: mm_page_alloc: page=00000000ffffffff pfn=0x1500 order=0 migratetype=0 gfp_flags=GFP_KERNEL
 sh-1 [001] .....  0.4: mm_page_alloc: page=00000000bbbbbbbb pfn=0x1830 order=4 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
 sh-1 [001] .....  0.5: mm_page_alloc: page=00000000cccccccc pfn=0x1404 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE
 sh-1 [001] .....  0.6: mm_page_alloc: page=0000000000000000 pfn=0x0 order=10 migratetype=1 gfp_flags=GFP_TRANSHUGE_LIGHT
 sh-1 [001] .....  0.7: mm_page_free: page=00000000bbbbbbbb pfn=0x1830 order=4
 sh-1 [000] .....  0.8: mm_page_free: page=00000000dddddddd pfn=0x1c00 order=3
 sh-1 [000] .....  0.9: mm_page_alloc: page=00000000eeeeeeee pfn=0x1c00 order=0 migratetype=0 gfp_flags=GFP_KERNEL
 sh-1 [000] .....  1.0: mm_page_free: page=00000000cccccccc pfn=0x1404 order=2
 sh-1 [000] .....  1.1: mm_page_free: page=00000000aaaaaaaa pfn=0x1000 order=0
 sh-1 [000] d..3.  1.2: mm_page_pcpu_drain: page=00000000aaaaaaaa pfn=0x1000 order=0 migratetype=1
 sh-1 [001] d..3.  1.3: mm_page_alloc_zone_locked: page=00000000ffffffff pfn=0x1600 order=0 migratetype=0 percpu_refill=1
 sh-1 [001] .....  1.4: mm_page_alloc: page=00000000ffffffff pfn=0x1600 order=0 migratetype=0 gfp_flags=GFP_KERNEL
";
    use buddyscope_engine::import::kmemtrace::{import_trace, trace_replay, ReplayMode};
    let imported = import_trace(trace).unwrap();
    let replay = trace_replay(&imported, ReplayMode::Follow);
    let mut scenario = buddyscope_engine::scenario::parse_scenario(
        "version = 1\n[machine]\nthp = \"never\"\n[[machine.nodes]]\nmemory = [\"0x1000000-0x1ffffff\"]\ncpus = \"0-1\"\n",
    )
    .unwrap();
    scenario.workload = Some(buddyscope_engine::workload::format_statements(
        &replay.statements,
    ));
    run_scenario(&scenario).0
}
