//! dmesg: the firmware memory map as the kernel printed it under "Early memory node
//! ranges" (the kernel version is read in `version.rs`).

use super::sections::Section;
use super::{SnapshotError, DMESG, EARLY_RANGES, RANGE_EXAMPLE};
use crate::limits::{NODES_MAX, PHYS_READ_BYTES_MAX};
use crate::text::{inclusive_to_pfns, parse_decimal, parse_hex, shorten};
use crate::types::{PfnRange, PAGE_SIZE_BYTES};

/// The message of a dmesg line, in any of the renderings people capture: without a
/// syslog or journal prefix (`Dec  6 07:34:52 host kernel: `, an RFC 5424 / ISO
/// timestamp, `journalctl -k`), a `dmesg -x` facility and level (`kern  :info  : `),
/// a `<N>` log-level prefix (`dmesg -r`) and a leading `[stamp]`: seconds since boot,
/// with `dmesg -d`'s `<delta>`, `dmesg -T`'s date, or a relative `[  +0.000001]`
/// (`dmesg -H`, `--reltime`). A line without any (`dmesg -t`) is its own message.
pub(super) fn dmesg_message(line: &str) -> &str {
    let mut message = line.trim_start_matches('\u{feff}');
    message = strip_syslog_prefix(message);
    message = strip_facility_level(message);
    if let Some(rest) = message.strip_prefix('<') {
        if let Some((level, after)) = rest.split_once('>') {
            if !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()) {
                message = after;
            }
        }
    }
    if let Some(rest) = message.strip_prefix('[') {
        if let Some((stamp, after)) = rest.split_once(']') {
            if is_dmesg_stamp(stamp.trim()) {
                message = after;
                // journalctl -o short-monotonic: `[    0.000000] host kernel: ...`.
                message = strip_host_kernel(message.trim_start()).unwrap_or(message);
            }
        }
    }
    message
}

/// The month names syslog and `dmesg -T` print.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// The day names `dmesg -T` prints.
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// What a `[...]` at the start of a dmesg line holds when it is a timestamp: seconds
/// (`0.000000`), seconds and a delta (`0.000000 <    0.000000>`), a relative time
/// (`+0.000001`), or a date (`Sun Dec  6 07:34:52 2026`, `Dec 6 07:34`). A kernel
/// message's own brackets (`[mem 0x...]`) are none of these.
fn is_dmesg_stamp(stamp: &str) -> bool {
    if stamp.is_empty() {
        return false;
    }
    if stamp
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b' ' | b'<' | b'>' | b'+' | b','))
    {
        return stamp.bytes().any(|b| b.is_ascii_digit());
    }
    let first = stamp.split_whitespace().next().unwrap_or("");
    (DAYS.contains(&first) || MONTHS.contains(&first)) && stamp.split_whitespace().any(is_clock)
}

/// `07:34:52` or `07:34` (digits and colons, at least one colon).
fn is_clock(word: &str) -> bool {
    word.contains(':')
        && word
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.' || b == b',')
}

/// `Dec  6 07:34:52 host kernel: ` (syslog, `journalctl -k`) or
/// `2026-12-06T07:34:52.123456+00:00 host kernel: ` (RFC 5424, `journalctl -o
/// short-iso`): the line after it, or the line itself.
fn strip_syslog_prefix(line: &str) -> &str {
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or("");
    let after_stamp = if MONTHS.contains(&first) {
        // `Dec  6 07:34:52`: the month, the day, the clock.
        let day = words.next().unwrap_or("");
        let clock = words.next().unwrap_or("");
        if !day.bytes().all(|b| b.is_ascii_digit()) || day.is_empty() || !is_clock(clock) {
            return line;
        }
        after_words(line, 3)
    } else if first.len() >= 10
        && first.as_bytes().get(4) == Some(&b'-')
        && first.as_bytes().get(7) == Some(&b'-')
        && first.bytes().take(4).all(|b| b.is_ascii_digit())
    {
        after_words(line, 1)
    } else {
        return line;
    };
    match after_stamp.and_then(strip_host_kernel) {
        Some(message) => message,
        None => line,
    }
}

/// `host kernel: message` (the message keeps its own leading spaces): the message.
fn strip_host_kernel(text: &str) -> Option<&str> {
    let text = text.trim_start();
    let (host, rest) = text.split_once(' ')?;
    if host.is_empty() || host.contains(':') {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("kernel:")?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// The text after the first `count` whitespace-separated words, or `None` when the
/// line has fewer.
fn after_words(line: &str, count: usize) -> Option<&str> {
    let mut rest = line;
    for _ in 0..count {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace)?;
        rest = rest.get(end..)?;
    }
    Some(rest)
}

/// `kern  :info  : ` (`dmesg -x`): the line after it, or the line itself.
fn strip_facility_level(line: &str) -> &str {
    const FACILITIES: [&str; 12] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp",
    ];
    const LEVELS: [&str; 8] = [
        "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
    ];
    let parse = || {
        let (facility, rest) = line.split_once(':')?;
        let (level, rest) = rest.split_once(':')?;
        (FACILITIES.contains(&facility.trim()) && LEVELS.contains(&level.trim()))
            .then_some(rest.trim_start())
    };
    parse().unwrap_or(line)
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
        .filter(|(_, (_, line))| is_ranges_header(dmesg_message(line).trim()))
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
        let Some(parsed) = range_line(message) else {
            if message.starts_with("node") && message.contains("[mem") {
                return Err(SnapshotError::in_section(
                    DMESG,
                    Some(number),
                    format!(
                        "cannot read the memory range line `{}`; expected a line like {RANGE_EXAMPLE} \
                         (byte ranges with an inclusive end, page aligned)",
                        shorten(message)
                    ),
                ));
            }
            break;
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
    let header = dmesg
        .lines
        .get(start)
        .map(|(_, line)| dmesg_message(line).trim())
        .unwrap_or(EARLY_RANGES);
    if header != EARLY_RANGES {
        notes.push(format!(
            "dmesg prints its memory ranges as kernels before 3.5 did (`{}`: pfns, the end exclusive); they were read \
             as the \"{EARLY_RANGES}\" that later kernels print",
            shorten(header)
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

/// Whether a dmesg message heads the firmware memory map by node: "Early memory node
/// ranges" (Linux 3.5 and later), "Early memory PFN ranges" (3.3 and 3.4) or
/// `early_node_map[N] active PFN ranges` (2.6.19 to 3.2).
pub(super) fn is_ranges_header(message: &str) -> bool {
    message == EARLY_RANGES
        || message == "Early memory PFN ranges"
        || message
            .strip_prefix("early_node_map[")
            .and_then(|rest| rest.strip_suffix("] active PFN ranges"))
            .is_some_and(|count| parse_decimal(count).is_some())
}

/// One line of the block under [`is_ranges_header`]: `node   0: [mem 0x...-0x...]`
/// (bytes, the end inclusive), or before 3.5 `  0: 0x00000010 -> 0x0000009f` (pfns,
/// the end exclusive; hex from 2.6.27, decimal before). `None` if the shape is
/// neither, `Some(Err)` if the numbers are out of range.
pub(super) fn range_line(message: &str) -> Option<Result<(u32, PfnRange), String>> {
    match message.strip_prefix("node") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_whitespace()) => parse_range_line(rest),
        _ => parse_pfn_range_line(message),
    }
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
    if let Some(error) = node_beyond_limit(id) {
        return Some(Err(error));
    }
    Some(inclusive_to_pfns(start, end).map(|range| (id as u32, range)))
}

/// `0: 0x00000010 -> 0x0000009f` or `0:       16 ->      159`: node, first pfn and
/// the pfn after the last, as kernels before 3.5 print them.
fn parse_pfn_range_line(message: &str) -> Option<Result<(u32, PfnRange), String>> {
    let (id, range) = message.split_once(':')?;
    let id = parse_decimal(id.trim())?;
    let (start, end) = range.split_once("->")?;
    let pfn = |text: &str| {
        let text = text.trim();
        if text.starts_with("0x") {
            parse_hex(text)
        } else {
            parse_decimal(text)
        }
    };
    let (start, end) = (pfn(start)?, pfn(end)?);
    if let Some(error) = node_beyond_limit(id) {
        return Some(Err(error));
    }
    if end <= start || end > PHYS_READ_BYTES_MAX / PAGE_SIZE_BYTES {
        return Some(Err(format!(
            "the pfn range {start:#x} -> {end:#x} is empty or beyond the physical address space"
        )));
    }
    Some(Ok((id as u32, PfnRange { start, end })))
}

fn node_beyond_limit(id: u64) -> Option<String> {
    (id >= NODES_MAX as u64).then(|| {
        format!(
            "node {id} is beyond the limit of {NODES_MAX} nodes (node ids 0 to {})",
            NODES_MAX - 1
        )
    })
}
