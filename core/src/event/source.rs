//! The kernel source line behind each event and each traced function.
//!
//! The line numbers are in `source_lines.rs`, which `scripts/kernel-lines.py`
//! generates from Debian's kernel source (docs/source-lines.md). This file maps
//! an event to the decision it tells (`Event::decision`, one exhaustive match, so a
//! new event cannot go without one) and turns a table row into a `SourceLine`.

use super::source_lines::{self, Decision, DecisionRow, FunctionRow};
use super::{Event, Placement, StealKind};
use crate::types::Kernel;

/// A line of the kernel source: where a function starts, or where a decision is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// The kernel's own name of the function the line is in (`__alloc_pages_noprof`
    /// on 6.12 where the engine says `__alloc_pages`).
    pub function: &'static str,
    /// The file, relative to the kernel tree: `mm/page_alloc.c`.
    pub file: &'static str,
    /// The line number, from 1.
    pub line: u32,
}

impl SourceLine {
    /// `mm/page_alloc.c:2394`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// The line on Elixir, at the kernel's upstream tag:
    /// `https://elixir.bootlin.com/linux/v6.1.192/source/mm/page_alloc.c#L2394`.
    pub fn url(&self, kernel: Kernel) -> String {
        elixir_url(kernel.tag(), self.file, self.line)
    }
}

/// Elixir's address of `file`'s line `line` at the upstream tag `tag` (`v6.1.192`).
pub fn elixir_url(tag: &str, file: &str, line: u32) -> String {
    format!("https://elixir.bootlin.com/linux/{tag}/source/{file}#L{line}")
}

impl Event {
    /// The decision this event tells, whose line `source_line` gives.
    pub fn decision(&self) -> Decision {
        match self {
            Event::AreaEmpty { .. } => Decision::AreaEmpty,
            Event::TakeBlock { .. } => Decision::TakeBlock,
            Event::SplitHalf { .. } => Decision::SplitHalf,
            Event::Allocated { .. } => Decision::Allocated,
            Event::NoBlock { .. } => Decision::NoBlock,
            Event::NoFallback { .. } => Decision::NoFallback,
            Event::AllocFailed { .. } => Decision::AllocFailed,
            Event::Merge { .. } => Decision::Merge,
            Event::AddFree { placement, .. } => match placement {
                Placement::Head => Decision::AddFreeHead,
                Placement::TailRequested => Decision::AddFreeTailRequested,
                Placement::TailMergeLikely => Decision::AddFreeTailMergeLikely,
            },
            Event::AllocStart { .. } => Decision::AllocStart,
            Event::ZoneNotInNodemask { .. } => Decision::ZoneNotInNodemask,
            Event::WatermarkCheck { .. } => Decision::WatermarkCheck,
            Event::NoFragmentRetry => Decision::NoFragmentRetry,
            Event::PcpRefill { .. } => Decision::PcpRefill,
            Event::PcpTake { .. } => Decision::PcpTake,
            Event::PcpFree { .. } => Decision::PcpFree,
            Event::ZoneLocked { .. } => Decision::ZoneLocked,
            Event::PcpDrain { .. } => Decision::PcpDrain,
            Event::Steal { how, .. } => match how {
                StealKind::Highatomic => Decision::StealHighatomic,
                StealKind::WholeBlocks { .. } => Decision::StealWholeBlocks,
                StealKind::BlockOnly => Decision::StealBlockOnly,
                StealKind::Pageblock { .. } => Decision::StealPageblock,
                StealKind::ClaimWhole { .. } => Decision::ClaimWhole,
                StealKind::ClaimPageblock { .. } => Decision::ClaimPageblock,
                StealKind::StealBlock => Decision::StealBlock,
            },
            Event::ClaimRefused { .. } => Decision::ClaimRefused,
            Event::ClaimNone { .. } => Decision::ClaimNone,
            Event::BlockTaken { .. } => Decision::BlockTaken,
            Event::StealNone { .. } => Decision::StealNone,
            Event::PcpAllocSize(_) => Decision::PcpAllocSize,
            Event::PcpHigh(_) => Decision::PcpHigh,
            Event::BelowHighCheck { .. } => Decision::BelowHighCheck,
            Event::BelowHighCleared { .. } => Decision::BelowHighCleared,
            Event::HighatomicReserve { .. } => Decision::HighatomicReserve,
            Event::PageSplit { .. } => Decision::PageSplit,
            Event::AllocExact { .. } => Decision::AllocExact,
            Event::PageblockIsolated { .. } => Decision::PageblockIsolated,
            Event::IsolationRefused { .. } => Decision::IsolationRefused,
            Event::PageblockUnisolated { .. } => Decision::PageblockUnisolated,
            Event::FreePageSplit { .. } => Decision::FreePageSplit,
            Event::ContigMigrated { .. } => Decision::ContigMigrated,
            Event::ContigMigrateFailed { .. } => Decision::ContigMigrateFailed,
            Event::TestPagesIsolated { .. } => Decision::TestPagesIsolated,
            Event::FreePageTaken { .. } => Decision::FreePageTaken,
            Event::TakenOffBuddy { .. } => Decision::TakenOffBuddy,
            Event::SlowPath { .. } => Decision::SlowPath,
            Event::KswapdWake { .. } => Decision::KswapdWake,
            Event::PageAlloc { .. } => Decision::PageAlloc,
            Event::PageFree { .. } => Decision::PageFree,
            Event::NotModelled { .. } => Decision::NotModelled,
            Event::Reclaimed { .. } => Decision::Reclaimed,
            Event::DirectReclaim { .. } => Decision::DirectReclaim,
            Event::KswapdNotWoken { .. } => Decision::KswapdNotWoken,
            Event::KswapdRound { .. } => Decision::KswapdRound,
            Event::BoostCleared { .. } => Decision::BoostCleared,
            Event::KswapdRun { .. } => Decision::KswapdRun,
            Event::KswapdTrySleep { .. } => Decision::KswapdTrySleep,
            Event::Migrated { .. } => Decision::Migrated,
            Event::Compacted { .. } => Decision::Compacted,
            Event::OomDecision { .. } => Decision::OomDecision,
            Event::HighatomicUnreserve { .. } => Decision::HighatomicUnreserve,
            Event::OfflinePages { .. } => Decision::OfflinePages,
            Event::OnlinePages { .. } => Decision::OnlinePages,
            Event::HotplugFailed { .. } => Decision::HotplugFailed,
            Event::HotplugDone { online: false, .. } => Decision::OfflineDone,
            Event::HotplugDone { online: true, .. } => Decision::OnlineDone,
            Event::ZonelistsRebuilt => Decision::ZonelistsRebuilt,
            Event::WatermarksRecomputed { .. } => Decision::WatermarksRecomputed,
        }
    }

    /// The line of `kernel`'s source that takes this event's decision; `None` where
    /// that kernel has no such decision (6.12's claim and steal on 6.1, 6.1's
    /// `steal_suitable_fallback()` on 6.12).
    pub fn source_line(&self, kernel: Kernel) -> Option<SourceLine> {
        decision_source_line(kernel, self.decision())
    }
}

/// Where `kernel`'s source takes `decision`.
pub fn decision_source_line(kernel: Kernel, decision: Decision) -> Option<SourceLine> {
    decision_rows(kernel)
        .iter()
        .find(|row| row.0 == decision)
        .map(|&(_, function, file, line, _)| SourceLine {
            function,
            file,
            line,
        })
}

/// The line that starts the kernel function the engine traces as `name` (the model's
/// name: `__alloc_pages` is `__alloc_pages_noprof` on 6.12); `None` for a function
/// that kernel does not have.
pub fn function_source_line(kernel: Kernel, name: &str) -> Option<SourceLine> {
    function_rows(kernel)
        .iter()
        .find(|row| row.0 == name)
        .map(|&(_, function, file, line, _)| SourceLine {
            function,
            file,
            line,
        })
}

/// The table of `kernel`'s functions, as the script wrote it.
pub fn function_rows(kernel: Kernel) -> &'static [FunctionRow] {
    match kernel {
        Kernel::V6_1 => &source_lines::FUNCTIONS_V6_1,
        Kernel::V6_12 => &source_lines::FUNCTIONS_V6_12,
    }
}

/// The table of `kernel`'s decisions, as the script wrote it.
pub fn decision_rows(kernel: Kernel) -> &'static [DecisionRow] {
    match kernel {
        Kernel::V6_1 => &source_lines::DECISIONS_V6_1,
        Kernel::V6_12 => &source_lines::DECISIONS_V6_12,
    }
}

/// The modelled functions the script found no definition of in `kernel`.
pub fn missing_functions(kernel: Kernel) -> &'static [&'static str] {
    match kernel {
        Kernel::V6_1 => &source_lines::MISSING_FUNCTIONS_V6_1,
        Kernel::V6_12 => &source_lines::MISSING_FUNCTIONS_V6_12,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_as_file_and_number_and_links_to_elixir_at_the_tag() {
        let line = SourceLine {
            function: "expand",
            file: "mm/page_alloc.c",
            line: 12,
        };
        assert_eq!(line.location(), "mm/page_alloc.c:12");
        assert_eq!(
            line.url(Kernel::V6_12),
            "https://elixir.bootlin.com/linux/v6.12.95/source/mm/page_alloc.c#L12"
        );
    }
}
