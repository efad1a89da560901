//! A zone plus the allocations a user has made in it: what the page and the CLI drive.
//! All simulation state lives here, so the front end only holds an `ZoneSim` value and
//! draws its [`ZoneView`].

use crate::buddy::{Block, BuddyZone};
use crate::error::EngineError;
use crate::event::Event;
use crate::rng::Rng;
use crate::types::{Order, Pfn};

/// What to build: a zone and an optional seeded warm-up workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneConfig {
    pub start_pfn: u64,
    pub pages: u64,
    /// Seed of the warm-up workload; `None` starts from a freshly booted zone.
    pub warmup_seed: Option<u64>,
    /// Allocations the warm-up makes (orders 0 to 4); it then frees every third.
    pub warmup_allocs: u32,
}

impl ZoneConfig {
    /// The default scenario: 4000 pages (about 15.6 MiB, deliberately not a power of
    /// two so the zone ends in smaller blocks) at pfn 0x1000 (16 MiB, where ZONE_DMA32
    /// starts on x86_64), warmed up with 40 seeded allocations of orders 0-4 and every
    /// third one freed, so split and merged blocks are on screen from the start.
    pub fn default_scenario() -> ZoneConfig {
        ZoneConfig {
            start_pfn: 0x1000,
            pages: 4000,
            warmup_seed: Some(1),
            warmup_allocs: 40,
        }
    }
}

/// A plain-data picture of the zone for drawing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneView {
    pub start_pfn: Pfn,
    pub pages: u64,
    pub blocks: Vec<Block>,
    /// `nr_free` per order, as `/proc/buddyinfo` prints it.
    pub nr_free: Vec<u32>,
    pub free_pages: u64,
    pub allocations: usize,
    /// The block the last operation ended on.
    pub highlight: Option<(Pfn, Order)>,
}

/// The zone and its live allocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSim {
    zone: BuddyZone,
    /// Live allocations, oldest first: "Free" with no block chosen frees the newest.
    live: Vec<Pfn>,
    last_events: Vec<Event>,
}

impl ZoneSim {
    /// Builds the zone and runs the warm-up.
    pub fn new(config: &ZoneConfig) -> Result<ZoneSim, EngineError> {
        let mut sim = ZoneSim {
            zone: BuddyZone::new(config.start_pfn, config.pages)?,
            live: Vec::new(),
            last_events: Vec::new(),
        };
        if let Some(seed) = config.warmup_seed {
            sim.warm_up(seed, config.warmup_allocs);
        }
        sim.last_events.clear();
        Ok(sim)
    }

    fn warm_up(&mut self, seed: u64, allocs: u32) {
        let mut rng = Rng::new(seed);
        for _ in 0..allocs {
            let order = Order::new(rng.below(5) as u32).unwrap_or(Order::ZERO);
            if let Some(pfn) = self.zone.alloc(order, &mut ()) {
                self.live.push(pfn);
            }
        }
        let mut position = 0usize;
        self.live.retain(|pfn| {
            position += 1;
            if position % 3 == 0 {
                // Every live pfn is allocated, so this free cannot fail.
                self.zone.free(*pfn, &mut ()).is_err()
            } else {
                true
            }
        });
    }

    /// Allocates a block of `order`; `Ok(None)` when the zone has no block that large.
    pub fn alloc(&mut self, order: u32) -> Result<Option<Pfn>, EngineError> {
        let order = Order::new(order).ok_or(EngineError::OrderTooLarge { order })?;
        self.last_events.clear();
        let pfn = self.zone.alloc(order, &mut self.last_events);
        if let Some(pfn) = pfn {
            self.live.push(pfn);
        }
        Ok(pfn)
    }

    /// Frees the allocated block starting at `pfn`.
    pub fn free(&mut self, pfn: Pfn) -> Result<Order, EngineError> {
        let mut events = Vec::new();
        let order = self.zone.free(pfn, &mut events)?;
        self.live.retain(|live| *live != pfn);
        self.last_events = events;
        Ok(order)
    }

    /// Frees the newest live allocation.
    pub fn free_newest(&mut self) -> Result<(Pfn, Order), EngineError> {
        let pfn = *self.live.last().ok_or(EngineError::NothingAllocated)?;
        self.free(pfn).map(|order| (pfn, order))
    }

    /// The zone.
    pub fn zone(&self) -> &BuddyZone {
        &self.zone
    }

    /// Events of the last operation, in the order they happened.
    pub fn last_events(&self) -> &[Event] {
        &self.last_events
    }

    /// The first page of each live allocation, oldest first.
    pub fn live(&self) -> &[Pfn] {
        &self.live
    }

    /// A picture of the zone for drawing.
    pub fn view(&self) -> ZoneView {
        ZoneView {
            start_pfn: self.zone.start_pfn(),
            pages: self.zone.nr_pages(),
            blocks: self.zone.blocks().collect(),
            nr_free: Order::all().map(|order| self.zone.nr_free(order)).collect(),
            free_pages: self.zone.free_pages(),
            allocations: self.live.len(),
            highlight: self.last_events.iter().rev().find_map(Event::block),
        }
    }
}
