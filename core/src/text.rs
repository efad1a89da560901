//! Text forms of the kernel's own quantities, shared by every reader and writer:
//! sizes as `memparse()` reads them, cpulists as sysfs prints them, physical ranges
//! as dmesg prints them. Pure functions of numbers; no model types but [`PfnRange`].

#![warn(clippy::indexing_slicing)]

use crate::limits::{CPUS_MAX, PHYS_READ_BYTES_MAX};
use crate::types::{PfnRange, PAGE_SIZE_BYTES};

/// A decimal whole number (ASCII digits only, no sign), `None` if malformed or above
/// `u64::MAX`.
pub fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A hexadecimal number with an optional `0x` prefix.
pub fn parse_hex(text: &str) -> Option<u64> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// The kernel's `simple_strtoull(s, &end, 0)`: a number in base 16 (`0x`), 8 (leading
/// `0`) or 10, and the rest of the text. `Err` on no digits or overflow.
pub fn strtoull(text: &str) -> Result<(u64, &str), String> {
    let (radix, digits) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_hexdigit()) => (16, rest),
        _ if text.starts_with('0') => (8, text),
        _ => (10, text),
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let (number, rest) = digits.split_at(end);
    if number.is_empty() {
        return Err("expected a number".to_string());
    }
    let value =
        u64::from_str_radix(number, radix).map_err(|_| "the number is too large".to_string())?;
    Ok((value, rest))
}

/// The kernel's `memparse()`: a number with an optional K, M, G, T, P or E suffix
/// (case-insensitive, powers of 1024), and the rest of the text.
pub fn memparse(text: &str) -> Result<(u64, &str), String> {
    let (value, rest) = strtoull(text)?;
    let shift = match rest.chars().next().map(|c| c.to_ascii_uppercase()) {
        Some('K') => 10,
        Some('M') => 20,
        Some('G') => 30,
        Some('T') => 40,
        Some('P') => 50,
        Some('E') => 60,
        _ => return Ok((value, rest)),
    };
    let scaled = value
        .checked_mul(1u64 << shift)
        .ok_or_else(|| "the size is too large".to_string())?;
    Ok((scaled, rest.get(1..).unwrap_or("")))
}

pub const SIZE_SYNTAX: &str =
    "expected a size in bytes with an optional K, M, G, T, P or E suffix (like `512M`, `4G` or `0x100000`)";

/// A size as the kernel's `memparse()` reads it (`512M`, `4g`, `0x100000`, `1048576`),
/// in bytes. The whole text must be the size. Like the kernel, a leading `0` means
/// octal.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    match memparse(text) {
        Ok((value, "")) => Ok(value),
        Ok((_, rest)) => Err(format!(
            "{SIZE_SYNTAX}; `{}` has `{}` after the size",
            shorten(text),
            shorten(rest)
        )),
        Err(why) => Err(format!("{SIZE_SYNTAX}; `{}`: {why}", shorten(text))),
    }
}

/// Formats a byte count the way [`parse_size`] reads it, with the largest suffix that
/// divides it exactly (`536870912` → `512M`).
pub fn format_size(bytes: u64) -> String {
    if bytes == 0 {
        return "0".to_string();
    }
    for (suffix, shift) in [
        ("E", 60),
        ("P", 50),
        ("T", 40),
        ("G", 30),
        ("M", 20),
        ("K", 10),
    ] {
        if bytes % (1u64 << shift) == 0 {
            return format!("{}{suffix}", bytes >> shift);
        }
    }
    bytes.to_string()
}

/// A cpulist as sysfs prints it (`0-3,8,10-11`; empty for no CPUs), in the order
/// written. CPU numbers must be below [`CPUS_MAX`], and a list holds at most
/// [`CPUS_MAX`] entries.
pub fn parse_cpulist(text: &str) -> Result<Vec<u32>, String> {
    let text = text.trim();
    let mut cpus: Vec<u32> = Vec::new();
    if text.is_empty() {
        return Ok(cpus);
    }
    let syntax = "expected CPU numbers and ranges separated by commas, like `0-3,8,10-11`";
    for item in text.split(',') {
        let item = item.trim();
        let (first, last) = match item.split_once('-') {
            Some((first, last)) => (parse_decimal(first.trim()), parse_decimal(last.trim())),
            None => (parse_decimal(item), parse_decimal(item)),
        };
        let (Some(first), Some(last)) = (first, last) else {
            return Err(format!(
                "{syntax}; found `{}` in `{}`",
                shorten(item),
                shorten(text)
            ));
        };
        if first > last {
            return Err(format!(
                "the range `{}` runs backwards; write the lower CPU first",
                shorten(item)
            ));
        }
        if last >= CPUS_MAX as u64 {
            return Err(format!(
                "CPU {last} is beyond the limit of {CPUS_MAX} CPUs (CPU numbers 0 to {})",
                CPUS_MAX - 1
            ));
        }
        if (cpus.len() as u64).saturating_add(last - first + 1) > CPUS_MAX as u64 {
            return Err(format!(
                "`{}` lists more than {CPUS_MAX} CPUs",
                shorten(text)
            ));
        }
        cpus.extend(first as u32..=last as u32);
    }
    Ok(cpus)
}

/// Formats CPU numbers as a cpulist, keeping their order: runs of consecutive
/// ascending numbers become ranges (`[0, 1, 2, 3, 8]` → `0-3,8`).
pub fn format_cpulist(cpus: &[u32]) -> String {
    let mut out = String::new();
    let mut index = 0;
    while let Some(&first) = cpus.get(index) {
        let mut last = first;
        let mut next = index + 1;
        while let Some(&cpu) = cpus.get(next) {
            if last.checked_add(1) != Some(cpu) {
                break;
            }
            last = cpu;
            next += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if last == first {
            out.push_str(&first.to_string());
        } else {
            out.push_str(&format!("{first}-{last}"));
        }
        index = next;
    }
    out
}

/// Converts a physical byte range with an inclusive end (as dmesg prints it) to pfns.
pub fn inclusive_to_pfns(start: u64, end: u64) -> Result<PfnRange, String> {
    if start > end {
        return Err(format!(
            "the range {start:#x}-{end:#x} ends before it starts"
        ));
    }
    if end >= PHYS_READ_BYTES_MAX {
        return Err(format!(
            "the range {start:#x}-{end:#x} reaches beyond {PHYS_READ_BYTES_MAX:#x} (4 PiB, x86_64's 52-bit physical \
             address limit)"
        ));
    }
    if start % PAGE_SIZE_BYTES != 0 {
        return Err(format!("the range {start:#x}-{end:#x} does not start on a page boundary (a multiple of 0x1000)"));
    }
    // end < 2^52, so end + 1 does not overflow.
    let after = end + 1;
    if after % PAGE_SIZE_BYTES != 0 {
        let suggestion = (after / PAGE_SIZE_BYTES * PAGE_SIZE_BYTES).checked_sub(1);
        let hint = match suggestion {
            Some(suggestion) if suggestion >= start => {
                format!("; did you mean {start:#x}-{suggestion:#x}?")
            }
            _ => String::new(),
        };
        return Err(format!(
            "the range {start:#x}-{end:#x} does not end on the last byte of a page (the end is inclusive, as dmesg \
             prints it, so it ends in 0xfff){hint}"
        ));
    }
    Ok(PfnRange {
        start: start / PAGE_SIZE_BYTES,
        end: after / PAGE_SIZE_BYTES,
    })
}

/// A physical memory range: `0x1000-0x9efff` (bytes, inclusive end, as dmesg prints
/// it; `[mem 0x1000-0x9efff]` is accepted too) or `SIZE@START` (`512M@0x100000000`,
/// both parts as [`parse_size`] reads them). Page aligned, below 2^52.
pub fn parse_phys_range(text: &str) -> Result<PfnRange, String> {
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix("[mem ")
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(trimmed)
        .trim();
    let syntax = "expected a byte range with an inclusive end like `0x100000-0x3fffffff`, or SIZE@START like \
                  `512M@0x100000000`";
    if let Some((size, start)) = inner.split_once('@') {
        let size = parse_size(size)
            .map_err(|why| format!("{syntax}; in `{}`, the size: {why}", shorten(trimmed)))?;
        let start = parse_size(start)
            .map_err(|why| format!("{syntax}; in `{}`, the start: {why}", shorten(trimmed)))?;
        let end = start.checked_add(size).filter(|&end| end <= PHYS_READ_BYTES_MAX).ok_or_else(|| {
            format!("`{}` reaches beyond {PHYS_READ_BYTES_MAX:#x} (x86_64's 52-bit physical address limit)", shorten(trimmed))
        })?;
        if start % PAGE_SIZE_BYTES != 0 || size % PAGE_SIZE_BYTES != 0 {
            return Err(format!(
                "`{}`: the start and the size must be multiples of the 4 KiB page size",
                shorten(trimmed)
            ));
        }
        return Ok(PfnRange {
            start: start / PAGE_SIZE_BYTES,
            end: end / PAGE_SIZE_BYTES,
        });
    }
    let Some((start, end)) = inner.split_once('-') else {
        return Err(format!("{syntax}; found `{}`", shorten(trimmed)));
    };
    let start = parse_size(start)
        .map_err(|why| format!("{syntax}; in `{}`, the start: {why}", shorten(trimmed)))?;
    let end = parse_size(end)
        .map_err(|why| format!("{syntax}; in `{}`, the end: {why}", shorten(trimmed)))?;
    inclusive_to_pfns(start, end).map_err(|why| format!("`{}`: {why}", shorten(trimmed)))
}

/// Formats a pfn range as [`parse_phys_range`] reads it: `0x1000-0x9efff`, or
/// `0@0x1000` for an empty range. A range that cannot be a physical range (it ends
/// before it starts, or beyond 2^64 bytes) is written as `pfn 0x...-0x...`, which the
/// parser rejects with a message showing it.
pub fn format_phys_range(range: PfnRange) -> String {
    let start = range.start.checked_mul(PAGE_SIZE_BYTES);
    let end = range.end.checked_mul(PAGE_SIZE_BYTES);
    match (start, end) {
        (Some(start), Some(_)) if range.start == range.end => format!("0@{start:#x}"),
        (Some(start), Some(end)) if range.start < range.end => format!("{start:#x}-{:#x}", end - 1),
        _ => format!("pfn {:#x}-{:#x}", range.start, range.end),
    }
}

/// At most 80 characters of `text`, for messages.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_memparse() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4g"), Ok(4 << 30));
        assert_eq!(parse_size("0x1000"), Ok(0x1000));
        assert_eq!(
            parse_size("010"),
            Ok(8),
            "a leading 0 is octal, as in the kernel"
        );
        assert_eq!(parse_size("1E"), Ok(1 << 60));
        assert!(parse_size("16E").is_err());
        assert!(parse_size("512MB").is_err());
        assert!(parse_size("").is_err());
        assert_eq!(format_size(512 << 20), "512M");
        assert_eq!(format_size(4097), "4097");
    }

    #[test]
    fn cpulists() {
        assert_eq!(
            parse_cpulist("0-3,8,10-11"),
            Ok(vec![0, 1, 2, 3, 8, 10, 11])
        );
        assert_eq!(parse_cpulist(""), Ok(vec![]));
        assert!(parse_cpulist("3-1").is_err());
        assert!(parse_cpulist("0-99999999").is_err());
        assert!(parse_cpulist("0-").is_err());
        assert_eq!(format_cpulist(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(format_cpulist(&[3, 2, 2]), "3,2,2");
        assert_eq!(format_cpulist(&[]), "");
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse_phys_range("0x1000-0x9efff"),
            Ok(PfnRange {
                start: 1,
                end: 0x9f
            })
        );
        assert_eq!(
            parse_phys_range("[mem 0x0000000000001000-0x000000000009efff]"),
            Ok(PfnRange {
                start: 1,
                end: 0x9f
            })
        );
        assert_eq!(
            parse_phys_range("512M@0x100000000"),
            Ok(PfnRange {
                start: 0x100000,
                end: 0x120000
            })
        );
        assert_eq!(
            parse_phys_range("0@0x1000"),
            Ok(PfnRange { start: 1, end: 1 })
        );
        assert!(parse_phys_range("0x1000-0x9f000")
            .unwrap_err()
            .contains("did you mean 0x1000-0x9efff"));
        assert!(parse_phys_range("0x1000").is_err());
        assert!(parse_phys_range("0-0xfffffffffffff").is_ok());
        assert!(parse_phys_range("0-0x1fffffffffffff").is_err());
        assert_eq!(
            format_phys_range(PfnRange {
                start: 1,
                end: 0x9f
            }),
            "0x1000-0x9efff"
        );
        assert_eq!(format_phys_range(PfnRange { start: 0, end: 0 }), "0@0x0");
        assert!(parse_phys_range(&format_phys_range(PfnRange { start: 5, end: 0 })).is_err());
        assert!(parse_phys_range(&format_phys_range(PfnRange {
            start: 0,
            end: u64::MAX
        }))
        .is_err());
    }
}
