//! The page's one piece of simulation state and the actions that change it. The
//! engine value inside is the only simulation state the page has; components read
//! views of it and send actions.

use std::rc::Rc;

use buddyscope_engine::{BlockState, EngineError, Pfn, ZoneConfig, ZoneSim};
use yew::Reducible;

/// What happened on the last action, for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Info(String),
    Error(String),
}

/// The page state: the engine and what the user pointed at.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub config: ZoneConfig,
    pub sim: ZoneSim,
    /// A pfn the user clicked; "Free" frees its block when that block is allocated.
    pub selected: Option<Pfn>,
    pub notice: Option<Notice>,
}

/// Everything the user can do in this slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Allocate {
        order: u32,
    },
    /// Free the selected block if it is allocated, else the newest allocation.
    Free,
    Select(Pfn),
    /// Rebuild the zone from a new configuration; a bad one keeps the current zone.
    Rebuild(ZoneConfig),
}

impl State {
    /// The default scenario; if it ever failed to build, a fresh minimal zone with the
    /// reason on screen rather than a dead page.
    pub fn initial() -> State {
        let config = ZoneConfig::default_scenario();
        match ZoneSim::new(&config) {
            Ok(sim) => State {
                config,
                sim,
                selected: None,
                notice: None,
            },
            Err(error) => State::fallback(error),
        }
    }

    fn fallback(error: EngineError) -> State {
        let config = ZoneConfig {
            start_pfn: 0,
            pages: 1024,
            warmup_seed: None,
            warmup_allocs: 0,
        };
        let sim = ZoneSim::new(&config)
            .unwrap_or_else(|_| unreachable!("a 1024-page zone at pfn 0 is always valid"));
        State {
            config,
            sim,
            selected: None,
            notice: Some(Notice::Error(format!(
                "the default scenario failed to build: {error}"
            ))),
        }
    }

    fn selected_allocated(&self) -> Option<Pfn> {
        let block = self.sim.zone().block_containing(self.selected?)?;
        (block.state == BlockState::Allocated).then_some(block.pfn)
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.notice = Some(match action {
            Action::Allocate { order } => match next.sim.alloc(order) {
                Ok(Some(pfn)) => Notice::Info(format!("Allocated order {order} at pfn {pfn}.")),
                Ok(None) => Notice::Info(format!(
                    "Order {order} failed: no free block of order {order} or above."
                )),
                Err(error) => Notice::Error(error.to_string()),
            },
            Action::Free => {
                let result = match next.selected_allocated() {
                    Some(pfn) => next.sim.free(pfn).map(|order| (pfn, order)),
                    None => next.sim.free_newest(),
                };
                match result {
                    Ok((pfn, order)) => {
                        Notice::Info(format!("Freed the order-{order} block at pfn {pfn}."))
                    }
                    Err(error) => Notice::Error(error.to_string()),
                }
            }
            Action::Select(pfn) => {
                next.selected = Some(pfn);
                match next.sim.zone().block_containing(pfn) {
                    Some(block) => Notice::Info(format!(
                        "pfn {pfn} (physical {:#x}) is in the {} order-{} block at pfn {}.",
                        pfn.phys_addr(),
                        if block.state == BlockState::Free {
                            "free"
                        } else {
                            "allocated"
                        },
                        block.order,
                        block.pfn
                    )),
                    None => Notice::Info(format!("pfn {pfn} is outside the zone.")),
                }
            }
            Action::Rebuild(config) => match ZoneSim::new(&config) {
                Ok(sim) => {
                    next.sim = sim;
                    next.config = config;
                    next.selected = None;
                    Notice::Info("Rebuilt the zone.".to_string())
                }
                Err(error) => Notice::Error(format!("Kept the current zone: {error}")),
            },
        });
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(state: State, action: Action) -> State {
        (*Rc::new(state).reduce(action)).clone()
    }

    #[test]
    fn allocate_then_free_restores_free_pages() {
        let state = State::initial();
        let free_before = state.sim.zone().free_pages();
        let state = reduce(state, Action::Allocate { order: 3 });
        assert_eq!(state.sim.zone().free_pages(), free_before - 8);
        let state = reduce(state, Action::Free);
        assert_eq!(state.sim.zone().free_pages(), free_before);
    }

    #[test]
    fn a_bad_rebuild_keeps_the_zone_and_says_why() {
        let state = State::initial();
        let bad = ZoneConfig {
            pages: 0,
            ..state.config.clone()
        };
        let after = reduce(state.clone(), Action::Rebuild(bad));
        assert_eq!(after.sim, state.sim);
        assert!(
            matches!(after.notice, Some(Notice::Error(ref m)) if m.contains("at least one page"))
        );
    }

    #[test]
    fn free_prefers_the_selected_allocated_block() {
        let state = State::initial();
        let oldest = state.sim.live()[0];
        let state = reduce(state, Action::Select(Pfn(oldest.0)));
        let state = reduce(state, Action::Free);
        assert!(!state.sim.live().contains(&oldest));
    }
}
