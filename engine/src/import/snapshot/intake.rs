//! Intake of what people have: one entry point, [`read_machine`], for every form a
//! machine's description comes in: a snapshot, a bare dmesg (in any of its
//! renderings), a bare `/proc/zoneinfo`, `numactl -H` output, `/proc/buddyinfo` and
//! `/proc/pagetypeinfo`, a sosreport's files, each file plain or gzip-compressed.
//!
//! The files are decoded (`decode.rs`), each is given a role by its path
//! (`sosreport.rs`) or its content, and they are assembled into one snapshot text,
//! the sections `parse_snapshot` reads, which it then reads as it reads any snapshot.
//! `numactl -H` becomes the node cpulist and distance sections; a zoneinfo without a
//! dmesg's "Early memory node ranges" gives the memory ranges (`zoneinfo_layout.rs`).
//! Two files that say different things about the same fact are an error naming both.
//! Errors and notes that name a line of the assembled text are turned back into the
//! line of the user's file.

use super::decode::decode_text;
use super::dmesg::{dmesg_message, is_ranges_header, range_line};
use super::numactl::{is_numactl, parse_numactl, Numactl};
use super::sections::section_header;
use super::sosreport::{is_sysctl_all, path_role, PathRole, BUDDYINFO, PAGETYPEINFO, VM_SYSCTLS};
use super::zoneinfo_layout::{
    early_ranges_lines, is_zoneinfo, layout, zoneinfo_facts, ZoneinfoFacts,
};
use super::{
    parse_snapshot, Imported, SnapshotError, BUILT_FROM_ZONEINFO, CPU_ONLINE, DMESG, EARLY_RANGES,
    END_OF_BUILT, NODE_DIR, ZONEINFO,
};
use crate::text::{format_cpulist, parse_cpulist, parse_decimal, shorten};
use crate::types::{ZoneType, PAGE_SIZE_BYTES};

/// One file given to [`read_machine`]: its name (a path relative to a sosreport's
/// root, a file name, or "pasted text") and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl InputFile {
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> InputFile {
        InputFile {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

/// A machine read from the user's files, with what each file was used for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intake {
    pub imported: Imported,
    /// One entry per file, in the order given.
    pub files: Vec<FileUse>,
    /// The snapshot the files were assembled into (what `parse_snapshot` read).
    pub snapshot: String,
}

/// What one file was used for, or why it was not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileUse {
    pub name: String,
    pub used: bool,
    /// A short sentence: "read as /proc/zoneinfo", "ignored: ...".
    pub what: String,
}

/// Whether `text` is one of the machine forms [`read_machine`] reads by content
/// (a snapshot, a dmesg with "Early memory node ranges", a bare /proc/zoneinfo or
/// `numactl -H`), as opposed to a scenario file.
pub fn is_machine_text(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().any(|line| section_header(line).is_some())
        || has_early_ranges(text.lines())
        || is_zoneinfo(text)
        || is_numactl(text)
}

/// The text of a file as [`read_machine`] decodes it (gzip, UTF-8 byte-order mark,
/// carriage returns), or the sentence that says why it is not text; bounded by the
/// scenario file limit ([`crate::limits::SCENARIO_BYTES_MAX`]), since the file may be
/// a scenario: a machine's text is held to the snapshot limit when [`read_machine`]
/// reads it.
pub fn decode_file(file: &InputFile) -> Result<String, String> {
    super::decode::decode_text_within(
        &file.bytes,
        file.name == PASTED,
        super::decode::SCENARIO_BOUND,
    )
}

/// The text of a kmem trace file as [`decode_file`] decodes it, bounded by the
/// trace limit ([`crate::limits::TRACE_BYTES_MAX`]) instead of the snapshot one.
pub fn decode_trace_file(file: &InputFile) -> Result<String, String> {
    super::decode::decode_text_within(&file.bytes, file.name == PASTED, super::decode::TRACE_BOUND)
}

/// The name a single pasted text is given.
pub const PASTED: &str = "pasted text";

const NUMACTL_SECTIONS: [&str; 3] = ["numactl -H", "numactl --hardware", "numactl"];

/// Reads a machine from the user's files (see the module documentation).
pub fn read_machine(files: &[InputFile]) -> Result<Intake, SnapshotError> {
    if files.is_empty() {
        return Err(SnapshotError::new(
            "no files: give a snapshot, a dmesg, a /proc/zoneinfo or a sosreport's files",
        ));
    }
    let mut texts = Vec::new();
    let mut uses = Vec::new();
    for file in files {
        let role = path_role(&file.name);
        match decode_text(&file.bytes, file.name == PASTED) {
            Ok(text) => texts.push((file.name.as_str(), role, text)),
            Err(why) if role == PathRole::Unknown && files.len() > 1 => uses.push(FileUse {
                name: file.name.clone(),
                used: false,
                what: format!("ignored: {why}"),
            }),
            Err(why) => return Err(SnapshotError::new(format!("{}: {why}", file.name))),
        }
    }
    let mut assembly = Assembly::default();
    for (index, (name, role, text)) in texts.iter().enumerate() {
        let what = assembly.add(index, name, role, text)?;
        uses.push(FileUse {
            name: (*name).to_string(),
            used: what.0,
            what: what.1,
        });
    }
    let names: Vec<&str> = texts.iter().map(|(name, _, _)| *name).collect();
    let (text, map, passthrough) = assembly.finish(&names)?;
    let imported = parse_snapshot(&text).map_err(|error| {
        if passthrough {
            error
        } else {
            remap_error(error, &map, &names)
        }
    })?;
    let mut imported = imported;
    if !passthrough {
        for note in &mut imported.notes {
            *note = remap_note(note, &map, &names);
        }
    }
    let mut notes = std::mem::take(&mut assembly.notes);
    notes.append(&mut imported.notes);
    imported.notes = notes;
    // Keep the user's order of files.
    let order = |name: &str| files.iter().position(|file| file.name == name);
    crate::types::sort::sort_by_key(&mut uses, |entry| order(&entry.name));
    Ok(Intake {
        imported,
        files: uses,
        snapshot: text,
    })
}

/// Where a line of the assembled text came from: (file index, 1-based line of the
/// file), or `None` for a line the assembly wrote.
type LineMap = Vec<Option<(usize, usize)>>;

/// One section of the assembled snapshot.
struct Part<'a> {
    /// `None`: text before a snapshot's first header.
    source: Option<String>,
    file: usize,
    header_line: Option<usize>,
    lines: Vec<(Option<usize>, &'a str)>,
    /// Lines the assembly adds after the file's (the synthesised memory ranges).
    extra: Vec<String>,
}

#[derive(Default)]
struct Assembly<'a> {
    parts: Vec<Part<'a>>,
    /// dmesg candidates: (preference, part).
    dmesg: Vec<(u8, Part<'a>)>,
    numactl: Vec<(usize, Numactl)>,
    notes: Vec<String>,
    /// How many files were read as snapshots, and whether one was used as it is.
    snapshots: usize,
}

impl<'a> Assembly<'a> {
    /// Takes one decoded file; returns (used, what it was read as).
    fn add(
        &mut self,
        index: usize,
        name: &str,
        role: &PathRole,
        text: &'a str,
    ) -> Result<(bool, String), SnapshotError> {
        let whole = |source: &str| Part {
            source: Some(source.to_string()),
            file: index,
            header_line: None,
            lines: text
                .lines()
                .enumerate()
                .map(|(i, l)| (Some(i + 1), l))
                .collect(),
            extra: Vec::new(),
        };
        // A file holding `==> SOURCE <==` sections is a snapshot whatever its path
        // says (a snapshot saved as `dmesg`): its headers are read as headers, so the
        // sections are the same as when the assembled snapshot is read again.
        if text.lines().any(|line| section_header(line).is_some()) {
            self.snapshots += 1;
            self.add_snapshot(index, name, text)?;
            let what = if matches!(role, PathRole::Unknown) {
                "read as a snapshot".to_string()
            } else {
                "read as a snapshot (it holds `==> SOURCE <==` sections, whatever its path says)"
                    .to_string()
            };
            return Ok((true, what));
        }
        match role {
            PathRole::Section(source) => {
                self.parts.push(whole(source));
                return Ok((true, format!("read as {source}")));
            }
            PathRole::Dmesg(preference) => {
                self.dmesg.push((*preference, whole(DMESG)));
                return Ok((true, "read as dmesg".to_string()));
            }
            PathRole::Numactl => {
                self.add_numactl(index, name, text, 0)?;
                return Ok((true, "read as numactl -H".to_string()));
            }
            PathRole::SysctlAll => return Ok(self.add_sysctl_all(index, text)),
            PathRole::Unknown => {}
        }
        // dmesg's memory map decides first: a dmesg can hold lines that look like
        // other files (a `vm.x = y` line, a `Node 0, zone` line), but none of those
        // files holds "Early memory node ranges".
        if has_early_ranges(text.lines()) {
            self.dmesg.push((1, whole(DMESG)));
            return Ok((true, "read as dmesg".to_string()));
        }
        let source = if is_zoneinfo(text) {
            ZONEINFO
        } else if is_numactl(text) {
            self.add_numactl(index, name, text, 0)?;
            return Ok((true, "read as numactl -H".to_string()));
        } else if is_sysctl_all(text) {
            return Ok(self.add_sysctl_all(index, text));
        } else if text.trim_start().starts_with("Page block order:") {
            PAGETYPEINFO
        } else if is_buddyinfo(text) {
            BUDDYINFO
        } else if has_early_ranges(text.lines()) || name == PASTED || looks_like_dmesg(text) {
            self.dmesg.push((1, whole(DMESG)));
            return Ok((true, "read as dmesg".to_string()));
        } else {
            return Ok((
                false,
                "ignored: not a snapshot, dmesg, /proc/zoneinfo, /proc/buddyinfo, /proc/pagetypeinfo or numactl -H, \
                 and its path names no file Buddyscope reads"
                    .to_string(),
            ));
        };
        self.parts.push(whole(source));
        Ok((true, format!("read as {source}")))
    }

    /// `sysctl -a`: each `vm.*` sysctl the model reads becomes its /proc/sys/vm
    /// section (the value as the file holds it).
    fn add_sysctl_all(&mut self, index: usize, text: &'a str) -> (bool, String) {
        let mut found = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let Some((key, value)) = line.split_once(" = ") else {
                continue;
            };
            let Some((name, source)) = VM_SYSCTLS.iter().find(|(name, _)| *name == key.trim())
            else {
                continue;
            };
            self.parts.push(Part {
                source: Some((*source).to_string()),
                file: index,
                header_line: None,
                lines: vec![(Some(number + 1), value)],
                extra: Vec::new(),
            });
            found.push(*name);
        }
        if found.is_empty() {
            return (
                false,
                "ignored: sysctl -a output without the vm sysctls the model reads".to_string(),
            );
        }
        (true, format!("read as sysctl -a ({})", found.join(", ")))
    }

    fn add_snapshot(
        &mut self,
        index: usize,
        name: &str,
        text: &'a str,
    ) -> Result<(), SnapshotError> {
        let mut current = Part {
            source: None,
            file: index,
            header_line: None,
            lines: Vec::new(),
            extra: Vec::new(),
        };
        let mut parts = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if let Some(source) = section_header(line) {
                parts.push(core::mem::replace(
                    &mut current,
                    Part {
                        source: Some(source.trim().to_string()),
                        file: index,
                        header_line: Some(i + 1),
                        lines: Vec::new(),
                        extra: Vec::new(),
                    },
                ));
            } else {
                current.lines.push((Some(i + 1), line));
            }
        }
        parts.push(current);
        for part in parts {
            match part.source.as_deref() {
                Some(DMESG) => self.dmesg.push((0, part)),
                Some(source) if NUMACTL_SECTIONS.contains(&source) => {
                    let body: Vec<&str> = part.lines.iter().map(|(_, line)| *line).collect();
                    let offset = part.header_line.unwrap_or(0);
                    self.add_numactl(index, name, &body.join("\n"), offset)?;
                }
                None if part.lines.is_empty() => {}
                _ => self.parts.push(part),
            }
        }
        Ok(())
    }

    fn add_numactl(
        &mut self,
        index: usize,
        name: &str,
        text: &str,
        offset: usize,
    ) -> Result<(), SnapshotError> {
        let numactl = parse_numactl(text).map_err(|(line, message)| {
            SnapshotError::in_section(
                "numactl -H",
                Some(line + offset),
                format!("in `{name}`: {message}"),
            )
        })?;
        self.numactl.push((index, numactl));
        Ok(())
    }

    /// The assembled text, its line map, and whether it is one file's text as it was.
    fn finish(&mut self, names: &[&str]) -> Result<(String, LineMap, bool), SnapshotError> {
        let name = |index: usize| names.get(index).copied().unwrap_or("?");
        let had_numactl = !self.numactl.is_empty();
        let dmesg = self.choose_dmesg(names)?;
        // Each source once: two files that give it must agree.
        let mut sources: Vec<String> = self
            .parts
            .iter()
            .filter_map(|part| part.source.clone())
            .collect();
        crate::types::sort::sort(&mut sources);
        sources.dedup();
        for source in sources.iter().filter(|source| source.as_str() != ZONEINFO) {
            self.one_part(source, names)?;
        }
        let zoneinfo = self.one_part(ZONEINFO, names)?;
        let facts = match zoneinfo {
            Some(part) => {
                let body: Vec<&str> = part.lines.iter().map(|(_, line)| *line).collect();
                let offset = part.header_line.unwrap_or(0);
                let file = part.file;
                let mut facts = zoneinfo_facts(&body.join("\n")).map_err(|(line, message)| {
                    SnapshotError::in_section(
                        ZONEINFO,
                        Some(line + offset),
                        format!("in `{}`: {message}", name(file)),
                    )
                })?;
                // Lines of the user's file, for the layout's messages.
                for zone in &mut facts.zones {
                    zone.line += offset;
                }
                Some((facts, file))
            }
            None => None,
        };
        let mut dmesg = dmesg;
        if dmesg.is_none() && facts.is_none() {
            let given: Vec<String> = (0..names.len()).map(|i| format!("`{}`", name(i))).collect();
            return Err(SnapshotError::new(format!(
                "no memory layout: {} {} no dmesg and no /proc/zoneinfo{}. The machine is built from dmesg's \
                 \"{EARLY_RANGES}\" lines or from a /proc/zoneinfo (its zones' start_pfn, spanned and present); \
                 give one of them as well",
                given.join(", "),
                if given.len() == 1 { "holds" } else { "hold" },
                if had_numactl {
                    " (numactl -H gives only the CPUs, node sizes and distances)"
                } else {
                    ""
                }
            )));
        }
        let needs_layout = !dmesg
            .as_ref()
            .is_some_and(|part| has_early_ranges(part.lines.iter().map(|(_, line)| *line)));
        let mut layout_from_zoneinfo = false;
        let populated = facts
            .as_ref()
            .is_some_and(|(facts, _)| !facts.populated().is_empty());
        if needs_layout && !populated {
            if let (None, Some((_, file))) = (&dmesg, &facts) {
                return Err(SnapshotError::new(format!(
                    "no `dmesg` section, and the /proc/zoneinfo of `{}` has no zone with present pages to build \
                     the memory layout from; give dmesg's \"{EARLY_RANGES}\" lines or a whole /proc/zoneinfo",
                    name(*file)
                )));
            }
        }
        if needs_layout && populated {
            if let Some((facts, file)) = &facts {
                let ranges = layout(facts).map_err(|(line, message)| {
                    SnapshotError::in_section(
                        ZONEINFO,
                        Some(line),
                        format!("in `{}`: {message}", name(*file)),
                    )
                })?;
                let part = dmesg.get_or_insert_with(|| Part {
                    source: Some(DMESG.to_string()),
                    file: *file,
                    header_line: None,
                    lines: Vec::new(),
                    extra: Vec::new(),
                });
                part.extra.push(EARLY_RANGES.to_string());
                part.extra.extend(early_ranges_lines(&ranges));
                part.extra.push(BUILT_FROM_ZONEINFO.to_string());
                part.extra.push(END_OF_BUILT.to_string());
                layout_from_zoneinfo = true;
                self.notes.push(layout_note(facts));
                if facts
                    .zones
                    .iter()
                    .any(|zone| zone.zone == ZoneType::Movable && zone.present > 0)
                    && self.one_part(super::CMDLINE, names)?.is_none()
                {
                    self.notes.push(
                        "zoneinfo has a populated Movable zone, which kernelcore= or movablecore= made; without \
                         /proc/cmdline the model does not know which, so its pages are laid out as memory but \
                         ZONE_MOVABLE is not recreated: give /proc/cmdline too"
                            .to_string(),
                    );
                }
            }
        }
        self.numactl_sections(names, facts.as_ref().map(|(facts, _)| facts))?;
        if let Some((facts, file)) = &facts {
            self.check_free_lists(facts, name(*file), names)?;
            self.check_online_cpus(facts, name(*file), names)?;
            let has_cpus = self.parts.iter().any(|part| {
                part.source.as_deref().is_some_and(|source| {
                    source == CPU_ONLINE
                        || source.starts_with(NODE_DIR) && source.ends_with("/cpulist")
                })
            });
            if layout_from_zoneinfo && !has_cpus && !facts.cpus.is_empty() {
                let list = format_cpulist(&facts.cpus);
                self.notes.push(format!(
                    "the CPUs ({list}) come from /proc/zoneinfo's pagesets (its `cpu: N` lines list the online \
                     CPUs); zoneinfo does not say which node each CPU is on, so they are read as \
                     `{CPU_ONLINE}` would be"
                ));
                self.parts.push(Part {
                    source: Some(CPU_ONLINE.to_string()),
                    file: *file,
                    header_line: None,
                    lines: Vec::new(),
                    extra: vec![list],
                });
            }
        }
        let passthrough = self.snapshots <= 1
            && names.len() == 1
            && !had_numactl
            && !layout_from_zoneinfo
            && dmesg
                .as_ref()
                .is_none_or(|part| part.header_line.is_some() || self.parts.is_empty());
        let mut parts: Vec<Part<'a>> = core::mem::take(&mut self.parts);
        if let Some(dmesg) = dmesg {
            parts.push(dmesg);
        }
        // In the order of the files, and of the lines in them.
        crate::types::sort::sort_by_key(&mut parts, |part| {
            (
                part.file,
                part.header_line
                    .or_else(|| part.lines.first().and_then(|(line, _)| *line))
                    .unwrap_or(usize::MAX),
            )
        });
        let mut text = String::new();
        let mut map: LineMap = Vec::new();
        let only_file = names.len() == 1;
        for part in &parts {
            if let Some(source) = &part.source {
                text.push_str(&format!("==> {source} <==\n"));
                map.push(part.header_line.map(|line| (part.file, line)));
            }
            for (line, body) in &part.lines {
                text.push_str(body);
                text.push('\n');
                map.push(line.map(|line| (part.file, line)));
            }
            for line in &part.extra {
                text.push_str(line);
                text.push('\n');
                map.push(None);
            }
        }
        if passthrough
            && only_file
            && parts.len() == 1
            && parts.first().is_some_and(|part| part.header_line.is_none())
        {
            // A bare dmesg: read exactly as parse_snapshot reads it.
            let body = parts
                .first()
                .map(|part| {
                    part.lines
                        .iter()
                        .map(|(_, line)| *line)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            return Ok((body, Vec::new(), true));
        }
        Ok((text, map, passthrough))
    }

    /// The dmesg to use: the first (by preference) with "Early memory node ranges";
    /// two such that disagree are an error.
    fn choose_dmesg(&mut self, names: &[&str]) -> Result<Option<Part<'a>>, SnapshotError> {
        let name = |index: usize| names.get(index).copied().unwrap_or("?");
        let mut candidates = core::mem::take(&mut self.dmesg);
        crate::types::sort::sort_by_key(&mut candidates, |(preference, part)| {
            (*preference, part.file)
        });
        let ranges = |part: &Part<'_>| early_block(part.lines.iter().map(|(_, line)| *line));
        let Some(chosen) = candidates
            .iter()
            .position(|(_, part)| !ranges(part).is_empty())
        else {
            if candidates.len() > 1 {
                let list: Vec<&str> = candidates.iter().map(|(_, part)| name(part.file)).collect();
                self.notes.push(format!(
                    "none of the dmesg files ({}) has the \"{EARLY_RANGES}\" lines; `{}` was used",
                    list.join(", "),
                    list.first().copied().unwrap_or("?")
                ));
            }
            return Ok(candidates.into_iter().next().map(|(_, part)| part));
        };
        let chosen = candidates.remove(chosen).1;
        let chosen_ranges = ranges(&chosen);
        for (_, other) in &candidates {
            let other_ranges = ranges(other);
            if other_ranges.is_empty() {
                self.notes.push(format!(
                    "`{}` has no \"{EARLY_RANGES}\" lines (its ring buffer has wrapped?); the dmesg of `{}` was used",
                    name(other.file),
                    name(chosen.file)
                ));
            } else if other_ranges != chosen_ranges {
                return Err(SnapshotError::in_section(
                    DMESG,
                    None,
                    format!(
                        "`{}` and `{}` give different \"{EARLY_RANGES}\": `{}` against `{}`; are they from two \
                         different machines or boots?",
                        name(chosen.file),
                        name(other.file),
                        shorten(&chosen_ranges.join("; ")),
                        shorten(&other_ranges.join("; "))
                    ),
                ));
            } else {
                self.notes.push(format!(
                    "`{}` gives the same memory ranges as `{}`, which was used",
                    name(other.file),
                    name(chosen.file)
                ));
            }
        }
        Ok(Some(chosen))
    }

    /// The one part called `source`; two from different files must say the same
    /// (then the later is dropped), else the error names both.
    fn one_part(
        &mut self,
        source: &str,
        names: &[&str],
    ) -> Result<Option<&Part<'a>>, SnapshotError> {
        let name = |index: usize| names.get(index).copied().unwrap_or("?");
        let mut found: Option<usize> = None;
        let mut drop = Vec::new();
        for (index, part) in self.parts.iter().enumerate() {
            if part.source.as_deref() != Some(source) {
                continue;
            }
            let Some(first) = found else {
                found = Some(index);
                continue;
            };
            let Some(first) = self.parts.get(first) else {
                continue;
            };
            if first.file == part.file {
                // Twice in one snapshot: parse_snapshot says so with both lines.
                continue;
            }
            let body = |part: &Part<'_>| -> Vec<String> {
                part.lines
                    .iter()
                    .map(|(_, line)| line.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|line| !line.is_empty())
                    .collect()
            };
            let (a, b) = (body(first), body(part));
            if a != b {
                let differ = a
                    .iter()
                    .zip(&b)
                    .find(|(x, y)| x != y)
                    .map(|(x, y)| format!("`{}` against `{}`", shorten(x), shorten(y)))
                    .unwrap_or_else(|| format!("{} lines against {}", a.len(), b.len()));
                return Err(SnapshotError::in_section(
                    source,
                    None,
                    format!(
                        "`{}` and `{}` both give {source}, and they differ: {differ}; are they from two different \
                         machines?",
                        name(first.file),
                        name(part.file)
                    ),
                ));
            }
            self.notes.push(format!(
                "`{}` and `{}` both give {source}, the same; it was read once",
                name(first.file),
                name(part.file)
            ));
            drop.push(index);
        }
        for index in drop.into_iter().rev() {
            self.parts.remove(index);
        }
        let _ = found;
        Ok(self
            .parts
            .iter()
            .find(|part| part.source.as_deref() == Some(source)))
    }

    /// numactl's nodes as cpulist and distance sections, checked against the same
    /// sections from other files and against zoneinfo's nodes.
    fn numactl_sections(
        &mut self,
        names: &[&str],
        facts: Option<&ZoneinfoFacts>,
    ) -> Result<(), SnapshotError> {
        let name = |index: usize| names.get(index).copied().unwrap_or("?");
        let numactls = core::mem::take(&mut self.numactl);
        for (file, numactl) in &numactls {
            let numactl_name = name(*file);
            if let Some(facts) = facts {
                // numactl's `size` is the node's MemTotal, its managed pages, in whole
                // MiB: a node with at least 1 MiB managed has a size, a node without
                // present pages has none.
                let managed = facts.managed_per_node();
                let populated: Vec<u32> = facts.populated().iter().map(|(node, _)| *node).collect();
                for node in &numactl.nodes {
                    let Some(size) = node.size_mib else { continue };
                    let pages = managed
                        .iter()
                        .find(|(id, _)| *id == node.id)
                        .map_or(0, |(_, pages)| *pages);
                    let mib = pages.saturating_mul(PAGE_SIZE_BYTES) >> 20;
                    let contradicts =
                        (size == 0 && mib >= 1) || (size > 0 && !populated.contains(&node.id));
                    if contradicts {
                        return Err(SnapshotError::new(format!(
                            "/proc/zoneinfo gives node {} {mib} MiB of managed memory but `{numactl_name}` (numactl -H) \
                             says `node {} size: {size} MB`; are they from two different machines?",
                            node.id, node.id
                        )));
                    }
                }
                for (id, pages) in &managed {
                    let listed = numactl.nodes.iter().any(|node| node.id == *id);
                    let has_sizes = numactl.nodes.iter().any(|node| node.size_mib.is_some());
                    if *pages > 0 && has_sizes && !listed {
                        return Err(SnapshotError::new(format!(
                            "/proc/zoneinfo gives node {id} memory but `{numactl_name}` (numactl -H) does not list \
                             node {id}; are they from two different machines?"
                        )));
                    }
                }
            }
            let mut rows: Vec<(String, String)> = Vec::new();
            for node in &numactl.nodes {
                rows.push((
                    format!("{NODE_DIR}{}/cpulist", node.id),
                    format_cpulist(&node.cpus),
                ));
            }
            if !numactl.distances.is_empty() {
                if numactl
                    .distances
                    .iter()
                    .any(|(_, row)| row.len() != numactl.distance_ids.len())
                {
                    return Err(SnapshotError::in_section(
                        "numactl -H",
                        None,
                        format!(
                            "in `{numactl_name}`: the distance table's rows must have one distance per node of its \
                             header ({} nodes)",
                            numactl.distance_ids.len()
                        ),
                    ));
                }
                for (id, row) in &numactl.distances {
                    let row: Vec<String> = row.iter().map(u32::to_string).collect();
                    rows.push((format!("{NODE_DIR}{id}/distance"), row.join(" ")));
                }
            }
            for (source, value) in rows {
                let existing = self
                    .parts
                    .iter()
                    .find(|part| part.source.as_deref() == Some(source.as_str()));
                if let Some(part) = existing {
                    let theirs: Vec<&str> = part
                        .lines
                        .iter()
                        .map(|(_, line)| line.trim())
                        .filter(|line| !line.is_empty())
                        .collect();
                    let theirs = theirs.join(" ");
                    let same = if source.ends_with("/cpulist") {
                        parse_cpulist(&theirs).ok() == parse_cpulist(&value).ok()
                    } else {
                        theirs.split_whitespace().eq(value.split_whitespace())
                    };
                    if !same {
                        return Err(SnapshotError::in_section(
                            &source,
                            None,
                            format!(
                                "`{}` says `{}` but `{numactl_name}` (numactl -H) says `{value}`; are they from two \
                                 different machines?",
                                name(part.file),
                                shorten(&theirs)
                            ),
                        ));
                    }
                    continue;
                }
                self.parts.push(Part {
                    source: Some(source),
                    file: *file,
                    header_line: None,
                    lines: Vec::new(),
                    extra: vec![value],
                });
            }
            self.notes.push(format!(
                "`{numactl_name}` (numactl -H) gave the CPUs of nodes {}{}",
                list(&numactl.nodes.iter().map(|node| node.id).collect::<Vec<_>>()),
                if numactl.distances.is_empty() {
                    ""
                } else {
                    " and the distance table"
                }
            ));
        }
        Ok(())
    }

    /// /proc/buddyinfo and /proc/pagetypeinfo list the populated zones: the same set
    /// as zoneinfo's, or the files are from two machines. Their free counts are not
    /// copied.
    fn check_free_lists(
        &mut self,
        facts: &ZoneinfoFacts,
        zoneinfo: &str,
        names: &[&str],
    ) -> Result<(), SnapshotError> {
        let name = |index: usize| names.get(index).copied().unwrap_or("?");
        let populated = facts.populated();
        // Every part that gives the file is checked: a file can come twice (two
        // files, or a section repeated inside one), and each must fit zoneinfo.
        let parts: Vec<(&str, usize)> = [BUDDYINFO, PAGETYPEINFO]
            .into_iter()
            .flat_map(|source| {
                self.parts
                    .iter()
                    .enumerate()
                    .filter(move |(_, part)| part.source.as_deref() == Some(source))
                    .map(move |(index, _)| (source, index))
            })
            .collect();
        let mut read: Vec<&str> = Vec::new();
        for (source, index) in parts {
            let Some(part) = self.parts.get(index) else {
                continue;
            };
            let mut zones: Vec<(u32, ZoneType)> = Vec::new();
            for (_, line) in &part.lines {
                let Some(rest) = line.trim_start().strip_prefix("Node") else {
                    continue;
                };
                let mut fields = rest.split(',');
                let node = fields.next().and_then(|node| parse_decimal(node.trim()));
                let zone = fields
                    .next()
                    .and_then(|zone| zone.trim().strip_prefix("zone"))
                    .and_then(|zone| zone.split_whitespace().next())
                    .and_then(ZoneType::from_name);
                if let (Some(node), Some(zone)) = (node, zone) {
                    let entry = (node.min(u64::from(u32::MAX)) as u32, zone);
                    if !zones.contains(&entry) {
                        zones.push(entry);
                    }
                }
            }
            crate::types::sort::sort(&mut zones);
            let show = |zones: &[(u32, ZoneType)]| {
                zones
                    .iter()
                    .map(|(node, zone)| format!("{node}/{}", zone.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if zones != populated {
                return Err(SnapshotError::in_section(
                    source,
                    part.header_line,
                    format!(
                        "`{}` lists the zones {} but `{zoneinfo}` (/proc/zoneinfo) has present pages in {}; are they \
                         from two different machines?",
                        name(part.file),
                        show(&zones),
                        show(&populated)
                    ),
                ));
            }
            if !read.contains(&source) {
                read.push(source);
                self.notes.push(format!(
                    "{source} was read: its zones ({}) are the ones /proc/zoneinfo has; its free counts are not \
                     copied, because the model boots with all memory free",
                    show(&zones)
                ));
            }
        }
        Ok(())
    }

    /// zoneinfo lists every online CPU in each pageset; the online list and
    /// numactl's CPUs must be the same set.
    fn check_online_cpus(
        &self,
        facts: &ZoneinfoFacts,
        zoneinfo: &str,
        names: &[&str],
    ) -> Result<(), SnapshotError> {
        if facts.cpus.is_empty() {
            return Ok(());
        }
        let name = |index: usize| names.get(index).copied().unwrap_or("?");
        let mut sources: Vec<(String, Vec<u32>)> = Vec::new();
        if let Some(part) = self
            .parts
            .iter()
            .find(|part| part.source.as_deref() == Some(CPU_ONLINE))
        {
            let text: Vec<&str> = part
                .lines
                .iter()
                .map(|(_, line)| line.trim())
                .filter(|l| !l.is_empty())
                .collect();
            if let Ok(cpus) = parse_cpulist(&text.join("")) {
                sources.push((format!("`{}` ({CPU_ONLINE})", name(part.file)), cpus));
            }
        }
        let mut node_cpus: Vec<u32> = Vec::new();
        let mut from_nodes: Option<usize> = None;
        for part in &self.parts {
            let Some(source) = part.source.as_deref() else {
                continue;
            };
            if source.starts_with(NODE_DIR) && source.ends_with("/cpulist") {
                let text: Vec<&str> = part.lines.iter().map(|(_, line)| line.trim()).collect();
                let text = if part.extra.is_empty() {
                    text.join("")
                } else {
                    part.extra.join("")
                };
                if let Ok(cpus) = parse_cpulist(&text) {
                    node_cpus.extend(cpus);
                    from_nodes.get_or_insert(part.file);
                }
            }
        }
        if let Some(file) = from_nodes {
            crate::types::sort::sort(&mut node_cpus);
            node_cpus.dedup();
            sources.push((format!("`{}` (the nodes' cpulists)", name(file)), node_cpus));
        }
        for (what, cpus) in sources {
            if cpus != facts.cpus {
                return Err(SnapshotError::new(format!(
                    "`{zoneinfo}` (/proc/zoneinfo's pagesets) has CPUs {} but {what} has CPUs {}; are they from two \
                     different machines, or did CPUs go on- or offline between the captures?",
                    format_cpulist(&facts.cpus),
                    format_cpulist(&cpus)
                )));
            }
        }
        Ok(())
    }
}

/// The note that says how a layout was built from zoneinfo.
fn layout_note(facts: &ZoneinfoFacts) -> String {
    let holes: u64 = facts
        .zones
        .iter()
        .filter(|zone| zone.present > 0)
        .map(|zone| zone.spanned.saturating_sub(zone.present))
        .sum();
    format!(
        "no dmesg with \"{EARLY_RANGES}\": the memory ranges were built from /proc/zoneinfo (each populated zone's \
         start_pfn, spanned and present). Where the {holes} pages of holes (spanned - present) lie is not in \
         zoneinfo: DMA's hole is put below 1 MiB at pfns 0x9f-0xff as on x86 machines when it fits, every other \
         hole at the end of its zone; zone sizes, watermarks and per-cpu sizes do not depend on it, pfns inside a \
         zone may"
    )
}

fn list(ids: &[u32]) -> String {
    if ids.is_empty() {
        return "none".to_string();
    }
    ids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the lines hold dmesg's "Early memory node ranges" (or the header older
/// kernels print the same ranges under).
fn has_early_ranges<'b>(mut lines: impl Iterator<Item = &'b str>) -> bool {
    lines.any(|line| is_ranges_header(dmesg_message(line).trim()))
}

/// The messages of the "Early memory node ranges" block (the `node N: [mem ...]`
/// lines after it), empty when there is none.
fn early_block<'b>(lines: impl Iterator<Item = &'b str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in lines {
        let message = dmesg_message(line).trim();
        if is_ranges_header(message) {
            inside = true;
            out.clear();
            continue;
        }
        if inside {
            match range_line(message) {
                Some(Ok((node, range))) => out.push(format!(
                    "node {node}: [mem {:#x}-{:#x}]",
                    range.start.saturating_mul(PAGE_SIZE_BYTES),
                    range.end.saturating_mul(PAGE_SIZE_BYTES).saturating_sub(1)
                )),
                Some(Err(_)) => out.push(message.split_whitespace().collect::<Vec<_>>().join(" ")),
                None => inside = false,
            }
        }
    }
    out
}

/// Whether most of the first lines look like kernel log lines.
fn looks_like_dmesg(text: &str) -> bool {
    text.lines().take(50).any(|line| {
        dmesg_message(line)
            .trim_start()
            .starts_with("Linux version ")
    })
}

/// Whether every non-blank line is a `/proc/buddyinfo` line.
fn is_buddyinfo(text: &str) -> bool {
    let mut lines = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .peekable();
    lines.peek().is_some()
        && lines.all(|line| {
            line.starts_with("Node ")
                && line.split_once(", zone").is_some_and(|(_, rest)| {
                    rest.split_whitespace()
                        .skip(1)
                        .all(|w| parse_decimal(w).is_some())
                })
        })
}

/// An error whose line is a line of the assembled text, turned into the line of the
/// user's file (and the file named when there are several).
fn remap_error(mut error: SnapshotError, map: &LineMap, names: &[&str]) -> SnapshotError {
    let Some(line) = error.line else {
        return error;
    };
    match map.get(line.wrapping_sub(1)).copied().flatten() {
        Some((file, file_line)) => {
            error.line = Some(file_line);
            if names.len() > 1 || names.first().is_some_and(|name| *name != PASTED) {
                let file = names.get(file).copied().unwrap_or("?");
                error.section = Some(match error.section.take() {
                    Some(section) => format!("{section}` from `{file}"),
                    None => file.to_string(),
                });
            }
        }
        None => {
            error.line = None;
            error.message = format!(
                "{} (in a line Buddyscope wrote while assembling the files)",
                error.message
            );
        }
    }
    error
}

/// A note's "line N" turned into the line of the user's file.
fn remap_note(note: &str, map: &LineMap, names: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = note;
    while let Some(at) = rest.find("line ") {
        let (before, after) = rest.split_at(at + "line ".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let (number, tail) = after.split_at(digits);
        rest = tail;
        // "line" as a word ("deadline 3" is not a line number).
        let word = before
            .strip_suffix("line ")
            .and_then(|head| head.chars().last())
            .is_none_or(|c| !c.is_alphanumeric());
        if !word {
            out.push_str(number);
            continue;
        }
        let mapped = parse_decimal(number)
            .and_then(|n| map.get((n as usize).wrapping_sub(1)).copied().flatten());
        match mapped {
            Some((file, line)) if names.len() > 1 => {
                out.push_str(&format!(
                    "{line} of `{}`",
                    names.get(file).copied().unwrap_or("?")
                ));
            }
            Some((_, line)) => out.push_str(&line.to_string()),
            None => out.push_str(number),
        }
    }
    out.push_str(rest);
    out
}
