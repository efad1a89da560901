//! The teaching library: built-in scenarios, each a complete scenario file with an
//! `[about]` title and text (what to watch and why the kernel does it) and the step
//! worth opening at (`[workload] open_at`), and the text's claims as `[[expect]]`
//! tables (see [`crate::scenario::expect`]; engine/tests/it/lessons.rs checks them all).
//! The files live in `engine/library/` and are compiled in, so the page and the CLI
//! offer the same ones.

use crate::scenario::{parse_scenario, Scenario};

/// One built-in scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The short name used on the command line and in links (`library=NAME`).
    pub name: &'static str,
    /// The file's `[about] title`, written out so that listing the library (the
    /// page's picker renders it at start-up) parses no file; a test checks each one
    /// against its file.
    pub title: &'static str,
    /// The scenario file.
    pub text: &'static str,
}

impl Entry {
    /// The scenario. Every entry is a valid file; the tests load each one.
    pub fn scenario(&self) -> Scenario {
        parse_scenario(self.text).unwrap_or_default()
    }

    /// The `[about] title`.
    pub fn title(&self) -> String {
        self.title.to_string()
    }
}

macro_rules! entry {
    ($name:literal, $title:literal) => {
        Entry {
            name: $name,
            title: $title,
            text: include_str!(concat!("../../library/", $name, ".toml")),
        }
    };
}

/// Every built-in scenario, in teaching order.
pub const ENTRIES: &[Entry] = &[
    entry!(
        "zone-fallback",
        "Zone fallback on a small DMA32-only machine"
    ),
    entry!("lowmem-reserve", "lowmem_reserve protecting ZONE_DMA"),
    entry!(
        "numa-order",
        "NUMA zonelist order with asymmetric distances"
    ),
    entry!("pcp-batching", "Per-cpu lists: batching and draining"),
    entry!(
        "pcp-high-tuning",
        "Linux 6.12: per-cpu high tuned at run time"
    ),
    entry!("split-merge", "Splitting and merging buddies"),
    entry!("steal-claim", "Migratetype fallback: steal versus claim"),
    entry!("mobility-on", "Grouping pages by mobility: on"),
    entry!("mobility-off", "Grouping pages by mobility: off"),
    entry!("watermark-boost", "Watermark boost waking kswapd"),
    entry!("highatomic", "The highatomic reserve"),
    entry!("compaction", "Compaction rescuing an order-9 allocation"),
    entry!("oom", "OOM when nothing is reclaimable"),
    entry!("zone-movable", "movablecore and ZONE_MOVABLE"),
    entry!("memory-hotplug", "Memory hotplug rebuilding the zonelists"),
];

/// The entry called `name`.
pub fn get(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|entry| entry.name == name)
}
