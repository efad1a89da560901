//! The wasm entry points the benchmark page calls (see scripts/bench.mjs): the
//! same workloads as the native harness, timed by the page around each call.

use wasm_bindgen::prelude::*;

use crate::{machine, run_booted, run_engine, sequence, Workload};
use buddyscope_engine::alloc::Allocator;
use buddyscope_engine::machine::Machine;

/// Builds the sequence and the machine once; `run` then times only the engine.
#[wasm_bindgen]
pub struct Bench {
    machine: Machine,
    ops: Vec<crate::Op>,
    booted: Option<Allocator>,
}

#[wasm_bindgen]
impl Bench {
    #[wasm_bindgen(constructor)]
    pub fn new(workload: u32, ops: u32, pages: u32) -> Result<Bench, JsError> {
        let config = machine(u64::from(pages));
        let machine = Machine::build(&config).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Bench {
            machine,
            ops: sequence(
                Workload::from_index(workload),
                ops as usize,
                u64::from(pages),
                1,
            ),
            booted: None,
        })
    }

    /// Boots the engine only (what `run` does before the sequence), so the page can
    /// subtract it as the native harness does.
    pub fn boot(&self) -> f64 {
        buddyscope_engine::alloc::Allocator::from_machine(&self.machine)
            .map_or(0.0, |a| a.zones().len() as f64)
    }

    /// Boots an engine for the next `run_booted` (untimed), as the native
    /// `buddyscope-bench sample` does before its timed run; returns false if the
    /// machine does not boot.
    pub fn prepare(&mut self) -> bool {
        self.booted = Allocator::from_machine(&self.machine).ok();
        self.booted.is_some()
    }

    /// Runs the sequence once on the engine `prepare` booted (so the page times the
    /// sequence alone, as `buddyscope-bench sample` does); returns the allocations
    /// that succeeded, or -1 if nothing was prepared.
    pub fn run_booted(&mut self, tracing: bool) -> f64 {
        match self.booted.take() {
            Some(allocator) => run_booted(allocator, &self.ops, tracing) as f64,
            None => -1.0,
        }
    }

    /// Runs the sequence once; returns the allocations that succeeded.
    pub fn run(&self, tracing: bool) -> f64 {
        run_engine(&self.machine, &self.ops, tracing) as f64
    }
}
