//! The sections of a snapshot: the text split at its `==> SOURCE <==` headers, as
//! `tail -v` prints them, with the line numbers of the whole text kept for messages.

use super::{SnapshotError, DMESG};
use crate::limits::NODES_MAX;
use crate::text::parse_decimal;

pub(super) struct Section<'a> {
    pub(super) source: &'a str,
    /// 1-based line number of the header in the whole text (0: no header, the text
    /// was read as plain dmesg).
    pub(super) header_line: usize,
    /// (1-based line number, text) of each line of the body.
    pub(super) lines: Vec<(usize, &'a str)>,
}

impl Section<'_> {
    /// The body's non-blank lines.
    pub(super) fn content_lines(&self) -> impl Iterator<Item = &(usize, &str)> {
        self.lines
            .iter()
            .filter(|(_, text)| !text.trim().is_empty())
    }

    /// The body of a file that holds one line (a sysctl, a cpulist): that line, or
    /// `None` when the body is blank.
    pub(super) fn single_line(&self) -> Result<Option<(usize, &str)>, SnapshotError> {
        let mut lines = self.content_lines();
        let first = lines.next().map(|&(n, text)| (n, text.trim()));
        if let Some(&(n, _)) = lines.next() {
            return Err(SnapshotError::in_section(
                self.source,
                Some(n),
                "expected one line (this file holds one value), found more; is a section header missing?",
            ));
        }
        Ok(first)
    }

    pub(super) fn header_line(&self) -> Option<usize> {
        (self.header_line > 0).then_some(self.header_line)
    }
}

pub(super) struct Sections<'a> {
    list: Vec<Section<'a>>,
}

impl<'a> Sections<'a> {
    /// The section called `source`; an error if there are two.
    pub(super) fn one(&self, source: &str) -> Result<Option<&Section<'a>>, SnapshotError> {
        let mut found = self.list.iter().filter(|section| section.source == source);
        let first = found.next();
        if let Some(second) = found.next() {
            return Err(SnapshotError::in_section(
                source,
                second.header_line(),
                format!(
                    "the section appears twice (first at line {}); keep one",
                    first.map_or(0, |section| section.header_line)
                ),
            ));
        }
        Ok(first)
    }

    /// Sections whose source is `{prefix}N{suffix}`, with N, sorted by N. Errors on
    /// a malformed or too-large N and on duplicates.
    pub(super) fn numbered(
        &self,
        prefix: &str,
        suffix: &str,
    ) -> Result<Vec<(u32, &Section<'a>)>, SnapshotError> {
        let mut out: Vec<(u32, &Section<'a>)> = Vec::new();
        for section in &self.list {
            let Some(number) = section
                .source
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(suffix))
            else {
                continue;
            };
            let id = match parse_decimal(number) {
                Some(id) if id < NODES_MAX as u64 => id as u32,
                Some(_) => {
                    return Err(SnapshotError::in_section(
                        section.source,
                        section.header_line(),
                        format!(
                        "node {number} is beyond the limit of {NODES_MAX} nodes (node ids 0 to {})",
                        NODES_MAX - 1
                    ),
                    ))
                }
                None => {
                    return Err(SnapshotError::in_section(
                        section.source,
                        section.header_line(),
                        format!("expected a node number in the path, like `{prefix}0{suffix}`"),
                    ))
                }
            };
            if let Some((_, earlier)) = out.iter().find(|(other, _)| *other == id) {
                return Err(SnapshotError::in_section(
                    section.source,
                    section.header_line(),
                    format!(
                        "the section appears twice (first at line {}); keep one",
                        earlier.header_line
                    ),
                ));
            }
            out.push((id, section));
        }
        crate::types::sort::sort_by_key(&mut out, |(id, _)| *id);
        Ok(out)
    }
}

/// `Some(SOURCE)` when `line` is exactly `==> SOURCE <==`.
pub(super) fn section_header(line: &str) -> Option<&str> {
    line.strip_prefix("==> ")?.strip_suffix(" <==")
}

pub(super) fn split_sections<'a>(text: &'a str, notes: &mut Vec<String>) -> Sections<'a> {
    let mut list: Vec<Section<'a>> = Vec::new();
    let mut preamble: Vec<(usize, &'a str)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(source) = section_header(line) {
            list.push(Section {
                source: source.trim(),
                header_line: number,
                lines: Vec::new(),
            });
        } else if let Some(section) = list.last_mut() {
            section.lines.push((number, line));
        } else {
            preamble.push((number, line));
        }
    }
    let preamble_has_text = preamble.iter().any(|(_, line)| !line.trim().is_empty());
    if list.is_empty() {
        if preamble_has_text {
            notes.push(
                "the text has no `==> SOURCE <==` section headers; all of it was read as `dmesg`"
                    .to_string(),
            );
        }
        list.push(Section {
            source: DMESG,
            header_line: 0,
            lines: preamble,
        });
    } else if let Some((number, _)) = preamble.iter().find(|(_, line)| !line.trim().is_empty()) {
        notes.push(format!(
            "text before the first section header (from line {number}) belongs to no section and was ignored"
        ));
    }
    Sections { list }
}
