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
