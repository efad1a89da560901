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
        self.scenario()
            .title
            .unwrap_or_else(|| self.name.to_string())
    }
}

macro_rules! entry {
    ($name:literal) => {
        Entry {
            name: $name,
            text: include_str!(concat!("../../library/", $name, ".toml")),
        }
    };
}

/// Every built-in scenario, in teaching order.
pub const ENTRIES: &[Entry] = &[
    entry!("zone-fallback"),
    entry!("lowmem-reserve"),
    entry!("numa-order"),
    entry!("pcp-batching"),
    entry!("pcp-high-tuning"),
    entry!("split-merge"),
    entry!("steal-claim"),
    entry!("mobility-on"),
    entry!("mobility-off"),
    entry!("watermark-boost"),
    entry!("highatomic"),
    entry!("compaction"),
    entry!("oom"),
    entry!("zone-movable"),
    entry!("memory-hotplug"),
];

/// The entry called `name`.
pub fn get(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|entry| entry.name == name)
}
