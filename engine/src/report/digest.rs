//! Digests of a run, to show that every target computes the same thing.
//!
//! A digest is FNV-1a (64 bit) over the `Debug` text of every call of a session
//! (operation, outcome, events, in order) followed by the final allocator state as
//! the model means it (every zone's counters, free lists in list order, blocks,
//! pageblock types and per-cpu lists, the LRU oldest first, the machine), not as it
//! happens to be stored.
//! `Debug` text is produced by `core::fmt` identically on every target (integers are
//! printed the same whether `usize` is 32 or 64 bits wide), and the engine keeps no
//! hash maps whose order could differ, so two targets agree on a digest exactly when
//! they agree on every event and on the final state. engine/tests/it/digest.rs pins the
//! digests of the library scenarios natively; web/tests/browser.rs computes them in
//! wasm in headless Chromium and compares them with the same file.

use core::fmt::{self, Write};

use crate::session::{Cursor, Session};

/// FNV-1a, 64-bit: small, no dependencies, and the same on every target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    /// Adds bytes to the digest.
    pub fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The digest so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}

impl Write for Fnv64 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.update(s.as_bytes());
        Ok(())
    }
}

/// What a run produced, digested: the number of calls and events, a digest of the
/// calls and one of the final state, and the step a viewer opens at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunDigest {
    pub calls: usize,
    pub events: usize,
    pub calls_fnv: u64,
    pub state_fnv: u64,
    pub open_step: u64,
}

impl fmt::Display for RunDigest {
    /// One line: `calls=N events=N calls_fnv=HEX state_fnv=HEX open_step=N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "calls={} events={} calls_fnv={:016x} state_fnv={:016x} open_step={}",
            self.calls, self.events, self.calls_fnv, self.state_fnv, self.open_step
        )
    }
}

/// Digests a session and the cursor a viewer opens at.
pub fn run_digest(session: &Session, open_at: Cursor) -> RunDigest {
    let mut calls = Fnv64::default();
    let mut events = 0;
    for call in session.calls_with_events() {
        // Writing into an Fnv64 cannot fail.
        let _ = writeln!(calls, "{call:?}");
        events += call.events.len();
    }
    let mut state = Fnv64::default();
    write_state(&mut state, session.current());
    RunDigest {
        calls: session.calls().len(),
        events,
        calls_fnv: calls.value(),
        state_fnv: state.value(),
        open_step: session.step_of(open_at),
    }
}

/// The allocator's state as text for the digest: what the model means, not how it
/// stores it (the LRU's holes and the zonelists indexed for speed are left out;
/// derived values are recomputed from what is written).
fn write_state(h: &mut Fnv64, allocator: &crate::alloc::Allocator) {
    use crate::types::{MigrateType, Order};
    let _ = writeln!(
        h,
        "cpu={} online={:?} boost_factor={} swap={} cma={} offline={:?}",
        allocator.cpu(),
        allocator.online_cpus(),
        allocator.watermark_boost_factor(),
        allocator.swap(),
        allocator.cma(),
        allocator.offline_sections()
    );
    // Written only when grouping is off, so every state that has it on (every
    // scenario before the switch existed) hashes as it did.
    if allocator.page_group_by_mobility_disabled() {
        let _ = writeln!(h, "page_group_by_mobility_disabled=1");
    }
    for node in allocator.nodes() {
        let _ = writeln!(h, "{node:?}");
    }
    for zone in allocator.zones() {
        let _ = writeln!(
            h,
            "zone {}:{} spanned={} present={} managed={} wmark={:?} boost={} highatomic={} flags={} isolate={} drift={} high={} batch={} reserve={:?} free={} stats={:?} pcps={:?}",
            zone.nid,
            zone.zone.name(),
            zone.spanned,
            zone.present,
            zone.managed,
            zone.watermark,
            zone.watermark_boost,
            zone.nr_reserved_highatomic,
            zone.flags,
            zone.nr_isolate_pageblock,
            zone.percpu_drift_mark,
            zone.pageset_high,
            zone.pageset_batch,
            zone.lowmem_reserve,
            zone.free_pages_global,
            zone.cpu_stats,
            zone.pcps
        );
        let buddy = &zone.buddy;
        for order in Order::all() {
            for &mt in &MigrateType::STORED {
                let _ = writeln!(
                    h,
                    "free_list[{order}][{mt:?}] = {:?}",
                    buddy.free_list(order, mt)
                );
            }
        }
        for block in buddy.blocks() {
            let _ = writeln!(h, "{block:?} movable={}", buddy.is_page_movable(block.pfn));
        }
        for index in 0..buddy.pageblock_count() {
            let _ = write!(h, "{:?},", buddy.pageblock_raw(index));
        }
        let _ = writeln!(h);
    }
    for page in allocator.lru().iter() {
        let _ = writeln!(h, "{page:?}");
    }
    let _ = writeln!(h, "{:?}", allocator.machine());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        let digest = |text: &str| {
            let mut h = Fnv64::default();
            h.update(text.as_bytes());
            h.value()
        };
        assert_eq!(digest(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(digest("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(digest("foobar"), 0x8594_4171_f739_67e8);
    }
}
