//! dmesg: the firmware memory map as the kernel printed it under "Early memory node
//! ranges" (the kernel version is read in `version.rs`).

use super::sections::Section;
use super::{SnapshotError, DMESG, EARLY_RANGES, RANGE_EXAMPLE};
use crate::limits::NODES_MAX;
use crate::text::{inclusive_to_pfns, parse_decimal, parse_hex, shorten};
use crate::types::PfnRange;

/// The message of a dmesg line: without a `<N>` log-level prefix and a leading
/// `[timestamp]`.
pub(super) fn dmesg_message(line: &str) -> &str {
    let mut message = line;
    if let Some(rest) = message.strip_prefix('<') {
        if let Some((level, after)) = rest.split_once('>') {
            if !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()) {
                message = after;
            }
        }
    }
    if let Some(rest) = message.strip_prefix('[') {
        if let Some((stamp, after)) = rest.split_once(']') {
            let stamp = stamp.trim();
            if !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                message = after;
            }
        }
    }
    message
}

/// The (node, range) pairs under "Early memory node ranges", in printed order.
pub(super) fn memory_ranges(
    dmesg: &Section<'_>,
    notes: &mut Vec<String>,
) -> Result<Vec<(u32, PfnRange)>, SnapshotError> {
    let mut blocks = dmesg
        .lines
        .iter()
        .enumerate()
        .filter(|(_, (_, line))| dmesg_message(line).trim() == EARLY_RANGES)
        .map(|(index, &(number, _))| (index, number));
    let Some((start, header_number)) = blocks.next() else {
        return Err(SnapshotError::in_section(
            DMESG,
            None,
            format!(
                "no \"{EARLY_RANGES}\" lines; expected lines like {RANGE_EXAMPLE} under \"{EARLY_RANGES}\". \
                 The kernel prints them at boot; if dmesg has wrapped, capture it earlier or from the boot log"
            ),
        ));
    };
    if let Some((_, second)) = blocks.next() {
        return Err(SnapshotError::in_section(
            DMESG,
            Some(second),
            format!(
                "\"{EARLY_RANGES}\" appears twice (first at line {header_number}): dmesg holds more than one boot; \
                 keep only the last one"
            ),
        ));
    }
    let mut ranges = Vec::new();
    // Index in `dmesg.lines` of the first line after the block.
    let mut after = dmesg.lines.len();
    for (index, &(number, line)) in dmesg.lines.iter().enumerate().skip(start + 1) {
        let message = dmesg_message(line).trim();
        after = index;
        let Some(rest) = message.strip_prefix("node") else {
            break;
        };
        if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
            break;
        }
        let Some(parsed) = parse_range_line(rest) else {
            return Err(SnapshotError::in_section(
                DMESG,
                Some(number),
                format!(
                    "cannot read the memory range line `{}`; expected a line like {RANGE_EXAMPLE} \
                     (byte ranges with an inclusive end, page aligned)",
                    shorten(message)
                ),
            ));
        };
        let (node, range) =
            parsed.map_err(|message| SnapshotError::in_section(DMESG, Some(number), message))?;
        ranges.push((node, range));
        after = index + 1;
    }
    if ranges.is_empty() {
        return Err(SnapshotError::in_section(
            DMESG,
            Some(header_number),
            format!(
                "\"{EARLY_RANGES}\" is followed by no lines like {RANGE_EXAMPLE}; is the snapshot truncated?"
            ),
        ));
    }
    if dmesg.lines.len().saturating_sub(after) <= 1 {
        notes.push(format!(
            "dmesg ends right after the \"{EARLY_RANGES}\" lines; if the snapshot was cut short, memory ranges may \
             be missing"
        ));
    }
    Ok(ranges)
}

/// `   0: [mem 0x...-0x...]` (after "node"). `None` if the shape is wrong,
/// `Some(Err)` if the numbers are out of range.
fn parse_range_line(rest: &str) -> Option<Result<(u32, PfnRange), String>> {
    let (id, range) = rest.split_once(':')?;
    let id = parse_decimal(id.trim())?;
    let inner = range.trim().strip_prefix("[mem ")?.strip_suffix(']')?;
    let (start, end) = inner.split_once('-')?;
    let start = parse_hex(start.trim())?;
    let end = parse_hex(end.trim())?;
    if id >= NODES_MAX as u64 {
        return Some(Err(format!(
            "node {id} is beyond the limit of {NODES_MAX} nodes (node ids 0 to {})",
            NODES_MAX - 1
        )));
    }
    Some(inclusive_to_pfns(start, end).map(|range| (id as u32, range)))
}
