//! The line cursor and field reader the strict parsers share, and the kernel's number
//! forms they accept: what makes a line the module could not have printed an error
//! that names its line.

use super::{mt_from_letter, FormatError, ZoneDump};
use crate::types::{MigrateType, ZoneType};

/// Lines of a text, 1-based, split on `\n` only (a `\r` is part of the line, and an
/// error, in the strict formats). A final `\n` ends the last line rather than
/// starting an empty one.
pub(super) struct Cursor<'a> {
    lines: core::iter::Peekable<core::iter::Enumerate<core::str::Split<'a, char>>>,
    count: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Cursor<'a> {
        let body = text.strip_suffix('\n').unwrap_or(text);
        let count = if text.is_empty() {
            0
        } else {
            body.split('\n').count()
        };
        Cursor {
            lines: body.split('\n').enumerate().peekable(),
            count,
        }
    }

    pub(super) fn next(&mut self) -> Option<(usize, &'a str)> {
        let (index, line) = self.lines.next()?;
        if index >= self.count {
            return None;
        }
        Some((index + 1, line))
    }

    pub(super) fn peek(&mut self) -> Option<(usize, &'a str)> {
        let &(index, line) = self.lines.peek()?;
        if index >= self.count {
            return None;
        }
        Some((index + 1, line))
    }

    pub(super) fn end_error(&self, message: impl Into<String>) -> FormatError {
        FormatError {
            line: self.count + 1,
            message: message.into(),
        }
    }
}

/// The space-separated fields of one strict line; the first is the record type.
pub(super) struct Fields<'a> {
    pub(super) line: usize,
    pub(super) record: &'a str,
    pub(super) toks: core::str::Split<'a, char>,
}

impl<'a> Fields<'a> {
    pub(super) fn new(line: usize, text: &'a str) -> Fields<'a> {
        let mut toks = text.split(' ');
        let record = toks.next().unwrap_or("");
        Fields { line, record, toks }
    }

    pub(super) fn err(&self, message: impl Into<String>) -> FormatError {
        FormatError {
            line: self.line,
            message: message.into(),
        }
    }

    pub(super) fn expected(&self, what: &str, found: &str) -> FormatError {
        self.err(format!(
            "`{}`: expected {what}, found `{}`",
            shown(self.record),
            shown(found)
        ))
    }

    pub(super) fn token(&mut self, what: &str) -> Result<&'a str, FormatError> {
        match self.toks.next() {
            Some(tok) if !tok.is_empty() => Ok(tok),
            other => Err(self.missing(what, other)),
        }
    }

    /// The error for a field that is absent (`None`) or empty.
    pub(super) fn missing(&self, what: &str, tok: Option<&str>) -> FormatError {
        match tok {
            None => self.err(format!(
                "`{}`: expected {what}, found the end of the line",
                shown(self.record)
            )),
            Some("") => self.err(format!(
                "`{}`: expected {what}, found an empty field (fields are separated by \
                 single spaces)",
                shown(self.record)
            )),
            Some(tok) => self.expected(what, tok),
        }
    }

    pub(super) fn literal(&mut self, word: &str) -> Result<(), FormatError> {
        match self.toks.next() {
            Some(tok) if tok == word => Ok(()),
            other => Err(self.missing(&format!("`{word}`"), other)),
        }
    }

    pub(super) fn u64(&mut self, what: &str) -> Result<u64, FormatError> {
        let tok = self.token(what)?;
        dec_u64(tok).ok_or_else(|| self.expected(&format!("{what} (a decimal number)"), tok))
    }

    pub(super) fn u32(&mut self, what: &str) -> Result<u32, FormatError> {
        let tok = self.token(what)?;
        dec_u64(tok)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| self.expected(&format!("{what} (a 32-bit decimal number)"), tok))
    }

    pub(super) fn usize(&mut self, what: &str) -> Result<usize, FormatError> {
        let tok = self.token(what)?;
        dec_u64(tok)
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| self.expected(&format!("{what} (a decimal number)"), tok))
    }

    pub(super) fn i32(&mut self, what: &str) -> Result<i32, FormatError> {
        let tok = self.token(what)?;
        dec_i64(tok)
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| self.expected(&format!("{what} (a decimal number)"), tok))
    }

    pub(super) fn value(&mut self, key: &str) -> Result<&'a str, FormatError> {
        let tok = self.toks.next();
        match tok.and_then(|t| t.strip_prefix(key)?.strip_prefix('=')) {
            Some(value) => Ok(value),
            None => Err(self.missing(&format!("`{key}=`"), tok)),
        }
    }

    pub(super) fn key_u64(&mut self, key: &str) -> Result<u64, FormatError> {
        let v = self.value(key)?;
        dec_u64(v).ok_or_else(|| self.expected(&format!("`{key}=` a decimal number"), v))
    }

    pub(super) fn key_u32(&mut self, key: &str) -> Result<u32, FormatError> {
        let v = self.value(key)?;
        dec_u64(v)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.expected(&format!("`{key}=` a 32-bit decimal number"), v))
    }

    pub(super) fn key_i64(&mut self, key: &str) -> Result<i64, FormatError> {
        let v = self.value(key)?;
        dec_i64(v).ok_or_else(|| self.expected(&format!("`{key}=` a decimal number"), v))
    }

    pub(super) fn key_hex_u64(&mut self, key: &str) -> Result<u64, FormatError> {
        let v = self.value(key)?;
        hex_u64(v).ok_or_else(|| self.expected(&format!("`{key}=0x...` (lowercase hex)"), v))
    }

    pub(super) fn key_hex_u32(&mut self, key: &str) -> Result<u32, FormatError> {
        let v = self.value(key)?;
        hex_u64(v)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.expected(&format!("`{key}=0x...` (32-bit lowercase hex)"), v))
    }

    pub(super) fn zone_type(&mut self) -> Result<ZoneType, FormatError> {
        let tok = self.token("a zone name")?;
        ZoneType::from_name(tok)
            .ok_or_else(|| self.expected("a zone name (DMA, DMA32, Normal, Movable, Device)", tok))
    }

    /// `NID ZONE` of a zone block line, checked against the block's zone.
    pub(super) fn zone_id(&mut self, zone: &ZoneDump) -> Result<(), FormatError> {
        let nid = self.u32("the node id")?;
        let zt = self.zone_type()?;
        if nid != zone.nid || zt != zone.zone {
            return Err(self.err(format!(
                "`{}` line for zone {nid} {} inside the block of zone {} {}",
                shown(self.record),
                zt.name(),
                zone.nid,
                zone.zone.name()
            )));
        }
        Ok(())
    }

    /// The remaining fields, each non-empty.
    pub(super) fn items(&mut self, what: &str) -> Result<Vec<&'a str>, FormatError> {
        let mut out = Vec::new();
        while let Some(tok) = self.toks.next() {
            if tok.is_empty() {
                return Err(self.err(format!(
                    "`{}`: expected {what}, found an empty field (fields are separated by \
                     single spaces; an empty list ends in ` :`)",
                    shown(self.record)
                )));
            }
            out.push(tok);
        }
        Ok(out)
    }

    pub(super) fn end(&mut self) -> Result<(), FormatError> {
        match self.toks.next() {
            None => Ok(()),
            Some(tok) => Err(self.expected("the end of the line", tok)),
        }
    }
}

/// A token for an error message: at most 40 characters.
pub(super) fn shown(tok: &str) -> String {
    let mut out: String = tok.chars().take(40).collect();
    if tok.chars().nth(40).is_some() {
        out.push_str("...");
    }
    out
}

/// The line after its first `n` space-separated fields.
pub(super) fn rest_after_tokens(line: &str, n: usize) -> &str {
    let mut rest = line;
    for _ in 0..n {
        rest = rest.split_once(' ').map_or("", |(_, r)| r);
    }
    rest
}

/// A decimal number as the kernel prints it: digits only, no leading zero.
pub(super) fn dec_u64(s: &str) -> Option<u64> {
    let canonical = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s.len() == 1 || !s.starts_with('0'));
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

pub(super) fn dec_i64(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(digits) => {
            if digits == "0" || dec_u64(digits).is_none() {
                None
            } else {
                s.parse().ok()
            }
        }
        None => dec_u64(s).and_then(|v| i64::try_from(v).ok()),
    }
}

/// `0x` and lowercase hex digits, no leading zero (`%#x`).
pub(super) fn hex_u64(s: &str) -> Option<u64> {
    let digits = s.strip_prefix("0x")?;
    let canonical = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (digits.len() == 1 || !digits.starts_with('0'));
    if canonical {
        u64::from_str_radix(digits, 16).ok()
    } else {
        None
    }
}

/// A single-letter migratetype field (U M R H I).
pub(super) fn mt_token(tok: &str) -> Option<MigrateType> {
    let mut chars = tok.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => mt_from_letter(c),
        _ => None,
    }
}
