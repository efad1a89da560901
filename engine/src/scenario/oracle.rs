//! The scenario file as serde read it before `read.rs` (tests only): the oracle the
//! hand reader is compared with, on the library, the page's default scenario and
//! thousands of mutated files (same scenario and notes, or the same message).

use std::cell::Cell;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::*;
use crate::machine::parse_core_size;
use crate::text::{parse_cpulist, parse_phys_range};

thread_local! {
    /// Whether this thread's `read_file` (and a question's `check`) go through serde.
    pub(super) static SERDE: Cell<bool> = const { Cell::new(false) };
}

/// A question's `check` table read into an [`expect::ExpectToml`] by serde.
pub(super) fn check_expect(check: toml::Value) -> Result<expect::ExpectToml, String> {
    check
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_string())
}

/// The file as serde reads it, the TOML parsed once (the page reads its default
/// scenario at start-up). The version is checked first, so that a newer file gets the
/// version message rather than complaints about keys this build does not know.
pub(super) fn read_file(text: &str) -> Result<FileToml, ScenarioError> {
    let root = toml::de::DeTable::parse(text).map_err(|error| toml_error(&error))?;
    // An integer beyond i64 fails the version check's whole-file read (a
    // `toml::Table`) with that read's message: such a file takes the two-pass path,
    // so its message stays what it was.
    if !integers_fit_i64(root.get_ref()) {
        return read_file_twice(text);
    }
    let version = root
        .get_ref()
        .iter()
        .find(|(key, _)| key.get_ref().as_ref() == "version")
        .map(|(_, value)| {
            toml::Value::deserialize(toml::de::ValueDeserializer::from(value.clone()))
        })
        .transpose()
        .map_err(|mut error| {
            error.set_input(Some(text));
            toml_error(&error)
        })?;
    check_version(version.as_ref())?;
    FileToml::deserialize(toml::de::Deserializer::from(root)).map_err(|mut error| {
        error.set_input(Some(text));
        toml_error(&error)
    })
}

/// [`read_file`] as it was first written: the text read as a `toml::Table` for the
/// version, then again for the file.
fn read_file_twice(text: &str) -> Result<FileToml, ScenarioError> {
    let table: toml::Table = text
        .parse()
        .map_err(|error: toml::de::Error| toml_error(&error))?;
    check_version(table.get("version"))?;
    toml::from_str(text).map_err(|error| toml_error(&error))
}

/// Whether every integer in `table` (nested tables and arrays included) is an i64.
fn integers_fit_i64(table: &toml::de::DeTable<'_>) -> bool {
    fn fits(value: &toml::Spanned<toml::de::DeValue<'_>>) -> bool {
        match value.get_ref() {
            toml::de::DeValue::Integer(_) => {
                i64::deserialize(toml::de::ValueDeserializer::from(value.clone())).is_ok()
            }
            toml::de::DeValue::Array(items) => items.iter().all(fits),
            toml::de::DeValue::Table(table) => integers_fit_i64(table),
            _ => true,
        }
    }
    table.iter().all(|(_, value)| fits(value))
}

fn toml_error(error: &toml::de::Error) -> ScenarioError {
    ScenarioError::Toml(error.to_string().trim_end().to_string())
}

/// A whole number of 64 bits: TOML integers stop at 2^63 - 1, so larger values are
/// written as a string of digits.
pub(super) fn de_big<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Big {
        Number(i64),
        Text(String),
        Other(toml::Value),
    }
    match Big::deserialize(deserializer)? {
        Big::Number(n) => u64::try_from(n).map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "{n} is negative; a whole number 0 or more is needed"
            ))
        }),
        Big::Text(t) => t.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("\"{t}\" is not a whole number from 0 to 2^64 - 1"))
        }),
        Big::Other(v) => Err(serde::de::Error::custom(format!(
            "expected a whole number, found `{v}`"
        ))),
    }
}

pub(super) fn de_kernel<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Kernel>, D::Error> {
    let text = String::deserialize(deserializer)?;
    Kernel::parse(&text)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("`machine.kernel`: {e}")))
}

pub(super) fn de_cma<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let text = String::deserialize(deserializer)?;
    crate::text::parse_size(&text).map(Some).map_err(|e| {
        serde::de::Error::custom(format!("`machine.cma`: {e} (a size such as \"64M\")"))
    })
}

pub(super) fn de_thp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ThpMode>, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.as_str() {
        "always" => Ok(Some(ThpMode::Always)),
        "madvise" => Ok(Some(ThpMode::Madvise)),
        "never" => Ok(Some(ThpMode::Never)),
        _ => Err(serde::de::Error::custom(format!(
            "`machine.thp` must be \"always\", \"madvise\" or \"never\", found \"{text}\""
        ))),
    }
}

pub(super) fn de_core_size<'de, D: Deserializer<'de>>(
    deserializer: D,
    field: &str,
) -> Result<Option<CoreSize>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim() == "mirror" && field == "kernelcore" {
        return Err(serde::de::Error::custom(
            "`machine.kernelcore`: \"mirror\" (ZONE_MOVABLE from mirrored memory) is not modelled by Buddyscope; \
             use a size like \"512M\" or a percentage like \"25%\"",
        ));
    }
    parse_core_size(&text)
        .map(Some)
        .map_err(|why| serde::de::Error::custom(format!("`machine.{field}`: {why}")))
}

pub(super) fn de_kernelcore<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<CoreSize>, D::Error> {
    de_core_size(deserializer, "kernelcore")
}

pub(super) fn de_movablecore<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<CoreSize>, D::Error> {
    de_core_size(deserializer, "movablecore")
}

pub(super) fn de_ranges<'de, D: Deserializer<'de>>(
    deserializer: D,
    field: &str,
) -> Result<Vec<PfnRange>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| {
            parse_phys_range(text)
                .map_err(|why| serde::de::Error::custom(format!("`{field}`: {why}")))
        })
        .collect()
}

pub(super) fn de_memory<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<PfnRange>, D::Error> {
    de_ranges(deserializer, "machine.nodes.memory")
}

pub(super) fn de_reserved<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<PfnRange>>, D::Error> {
    de_ranges(deserializer, "machine.reserved").map(Some)
}

pub(super) fn de_movable_node<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<PfnRange>>, D::Error> {
    de_ranges(deserializer, "machine.movable_node").map(Some)
}

pub(super) fn de_node_cpus<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<u32>>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_cpulist(&text)
        .map(Some)
        .map_err(|why| serde::de::Error::custom(format!("`machine.nodes.cpus`: {why}")))
}

pub(super) fn de_lowmem_reserve_ratio<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<[u32; 5]>, D::Error> {
    let values = Vec::<u32>::deserialize(deserializer)?;
    <[u32; 5]>::try_from(values.as_slice()).map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "`machine.sysctl.lowmem_reserve_ratio` needs 5 numbers, one per zone (DMA, DMA32, Normal, Movable, \
             Device), like [256, 256, 32, 0, 0]; found {}",
            values.len()
        ))
    })
}

pub(super) fn de_managed<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<ManagedCount>>, D::Error> {
    let table = BTreeMap::<String, u64>::deserialize(deserializer)?;
    let counts =
        read::managed_counts(table.into_iter().collect()).map_err(serde::de::Error::custom)?;
    Ok(Some(counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass read gives what the two-pass read gave: the same messages for
    /// broken files, and for good ones the same scenario.
    #[test]
    fn reading_once_reads_as_reading_twice() {
        let machine =
            "[machine]\n[[machine.nodes]]\nmemory = [\"0x100000-0x3fffffff\"]\ncpus = \"0-1\"\n";
        let texts = [
            format!("version = 1\n{machine}"),
            format!("version = 1\n{machine}[workload]\nseed = 7\nscript = \"alloc order=2\"\n"),
            "version = 2\n[machine]\nunknown = 1\n".to_string(),
            "version = \"1\"\n".to_string(),
            "version = 1.5\n".to_string(),
            "version = [1, 99999999999999999999]\n".to_string(),
            format!("version = 1\n{machine}[workload]\nseed = 99999999999999999999\n"),
            format!("version = 1\n{machine}[workload]\nseed = -1\n"),
            "version = 1\n[machine\n".to_string(),
            "version = 1\nversion = 1\n".to_string(),
            "version = 1\n[about]\ntitle = 3\n".to_string(),
            "[question]\nask = 1\n".to_string(),
            String::new(),
        ];
        for text in &texts {
            let once = super::super::read_file(text)
                .map(|_| ())
                .map_err(|e| e.to_string());
            let twice = read_file_twice(text).map(|_| ()).map_err(|e| e.to_string());
            assert_eq!(once, twice, "{text}");
        }
        // The good files read into the same scenario either way.
        for text in &texts[..2] {
            let twice = toml::from_str::<FileToml>(text).map(|file| file.workload.map(|w| w.seed));
            let once = super::super::read_file(text).map(|file| file.workload.map(|w| w.seed));
            assert_eq!(once.ok(), twice.ok(), "{text}");
        }
        assert!(super::super::read_file(&texts[1]).is_ok());
    }
}

/// The hand reader against serde's, on good and broken files.
#[cfg(test)]
mod differential {
    use super::*;

    /// `parse_with_notes` through serde (`serde = true`) or by hand.
    fn parse(text: &str, serde: bool) -> Result<(Scenario, Vec<String>), ScenarioError> {
        SERDE.with(|on| on.set(serde));
        let result = parse_with_notes(text);
        SERDE.with(|on| on.set(false));
        result
    }

    fn same(text: &str) -> bool {
        let hand = parse(text, false);
        let serde = parse(text, true);
        assert_eq!(hand, serde, "the readers differ on:\n{text}");
        // The machine form's whole-file read too (as text: NaN is not NaN).
        let table = text
            .parse::<toml::Table>()
            .map_err(|e: toml::de::Error| e.to_string());
        assert_eq!(
            format!("{:?}", read::parse_table(text)),
            format!("{table:?}"),
            "the table reads differ on:\n{text}"
        );
        hand.is_ok()
    }

    const MACHINE: &str = r#"version = 1
[machine]
kernel = "6.1"
section_size_bits = 27
thp = "always"
kernelcore = "512M"
movablecore = "25%"
cma = "64M"
movable_node = ["0x40000000-0x7fffffff"]
mobility_grouping = true
distances = [[10, 20], [20, 10]]
reserved = ["0x0-0xfff"]
[[machine.nodes]]
memory = ["0x1000-0x9efff", "0x100000-0x3fffffff"]
cpus = "0"
[[machine.nodes]]
memory = ["1G@0x40000000"]
cpus = "1"
[machine.sysctl]
min_free_kbytes = 67584
watermark_scale_factor = 10
watermark_boost_factor = 15000
lowmem_reserve_ratio = [256, 256, 32, 0, 0]
percpu_pagelist_high_fraction = 0
[machine.managed]
"0:DMA" = 3840
"0:DMA32" = 242525
"#;

    const LESSON: &str = r#"version = 1
[workload]
seed = 7
open_at = "18446744073709551615"
script = "alloc order=2"
kswapd = "auto"
[about]
title = "t"
text = "x"
[[expect]]
claim = "c"
call = 1
event = "rmqueue"
says = ["a", "b"]
count = 1
[[expect]]
claim = "p"
proc = "zoneinfo"
says = "zone"
[[expect]]
claim = "q"
calls = [1, 2]
outcome = "failed"
operation = "order 4"
[[question]]
step = 3
ask = "Which?"
choices = ["A", "B"]
answer = "A"
explain = "because"
[question.check]
event = "rmqueue"
says = "{answer}"
count = 1
[[question]]
call = 2
ask = "How many?"
answer = 4
explain = "e"
check = { says = ["n {answer}"], run = true, outcome = "x" }
"#;

    const VALUES: &[&str] = &[
        "1",
        "0",
        "-1",
        "300",
        "70000",
        "5000000000",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999",
        "18446744073709551615",
        "-99999999999999999999",
        "200000000000000000000000000000000000000",
        "340282366920938463463374607431768211456",
        "1.5",
        "1e999",
        "-0.0",
        "inf",
        "nan",
        "1e10",
        "true",
        "false",
        "\"x\"",
        "\"\"",
        "\"always\"",
        "\"mirror\"",
        "\"512M\"",
        "\"25%\"",
        "\"0-1\"",
        "\"0x1000-0x9efff\"",
        "[\"0x1000-0x9efff\"]",
        "[\"x\"]",
        "[]",
        "[1, 2]",
        "[[1, 2], [3]]",
        "[256, 256, 32, 0, 0]",
        "[1, \"a\"]",
        "{a = 1}",
        "{}",
        "{ \"0:DMA\" = 5 }",
        "{ \"9:Nope\" = 5 }",
        "1979-05-27",
        "1979-05-27T07:32:00Z",
        "07:32:00",
        "[1979-05-27]",
        "[\"a\", 1979-05-27]",
        "\"18446744073709551615\"",
        "\"-1\"",
        "\" 12 \"",
        "[1e999]",
        "{a = 1e999}",
        "\"{answer}\"",
        "\"from {answer}\"",
        "\"a\\u0001b\"",
        "\"a\\nb\"",
        "0x10",
        "0o17",
        "0b101",
        "+5",
        "1_000",
        "[{}]",
        "[{claim = \"c\"}]",
        "[{step = 1}]",
        "[[]]",
        "[\"6.1\"]",
        "\"6.1\"",
        "\"zoneinfo\"",
        "\"rmqueue\"",
        "[true, 1]",
        "{ says = \"{answer}\" }",
        "{ run = 1 }",
        "\"manual\"",
        "[27, \"never\"]",
        "[1, \"bad\"]",
        "[\"x\", 1e999]",
        "[[\"0x1000-0x9efff\"]]",
    ];

    const KEYS: &[&str] = &[
        "version",
        "machine",
        "workload",
        "about",
        "expect",
        "question",
        "title",
        "text",
        "seed",
        "script",
        "open_at",
        "kswapd",
        "section_size_bits",
        "thp",
        "kernelcore",
        "movablecore",
        "cma",
        "movable_node",
        "kernel",
        "mobility_grouping",
        "distances",
        "reserved",
        "nodes",
        "sysctl",
        "managed",
        "memory",
        "cpus",
        "min_free_kbytes",
        "watermark_scale_factor",
        "watermark_boost_factor",
        "lowmem_reserve_ratio",
        "percpu_pagelist_high_fraction",
        "step",
        "call",
        "ask",
        "choices",
        "answer",
        "explain",
        "check",
        "claim",
        "calls",
        "event",
        "says",
        "outcome",
        "operation",
        "count",
        "proc",
        "run",
        "bogus",
        "\"0:DMA\"",
        "machine.thp",
        "check.run",
    ];

    const HEADERS: &[&str] = &[
        "[machine]",
        "[[machine]]",
        "[machine.sysctl]",
        "[[machine.sysctl]]",
        "[sysctl]",
        "[machine.nodes]",
        "[[machine.nodes]]",
        "[machine.managed]",
        "[workload]",
        "[[workload]]",
        "[about]",
        "[[about]]",
        "[about.title]",
        "[[expect]]",
        "[expect]",
        "[[question]]",
        "[question]",
        "[question.check]",
        "[[question.check]]",
        "[machine.bogus]",
        "[bogus]",
        "[machine.kernel]",
        "[[machine.nodes.memory]]",
    ];

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items.get(self.below(items.len())).copied().unwrap_or("")
        }
    }

    fn set(lines: &mut [String], at: usize, text: String) {
        if let Some(line) = lines.get_mut(at) {
            *line = text;
        }
    }

    fn mutate(text: &str, rng: &mut Rng) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(lines.len());
            let line = lines.get(at).cloned().unwrap_or_default();
            match rng.below(10) {
                0 => {
                    if at < lines.len() {
                        lines.remove(at);
                    }
                }
                1 => lines.insert(at, line),
                2 | 3 => {
                    if let Some((key, _)) = line.split_once(" = ") {
                        set(&mut lines, at, format!("{key} = {}", rng.pick(VALUES)));
                    } else {
                        lines.insert(at, format!("{} = {}", rng.pick(KEYS), rng.pick(VALUES)));
                    }
                }
                4 => {
                    if let Some((key, value)) = line.split_once(" = ") {
                        let key = if rng.below(2) == 0 {
                            format!("{key}x")
                        } else {
                            rng.pick(KEYS).to_string()
                        };
                        set(&mut lines, at, format!("{key} = {value}"));
                    }
                }
                5 => lines.insert(at, format!("{} = {}", rng.pick(KEYS), rng.pick(VALUES))),
                6 => {
                    if line.starts_with("[[") {
                        set(&mut lines, at, line.replace("[[", "[").replace("]]", "]"));
                    } else if line.starts_with('[') {
                        set(&mut lines, at, format!("[{line}]"));
                    } else {
                        lines.insert(at, rng.pick(HEADERS).to_string());
                    }
                }
                7 => {
                    let header = rng.pick(HEADERS).to_string();
                    if line.starts_with('[') {
                        set(&mut lines, at, header);
                    } else {
                        lines.insert(at, header);
                    }
                }
                8 => {
                    let other = rng.below(lines.len());
                    if at < lines.len() {
                        lines.swap(at, other);
                    }
                }
                _ => lines.truncate(at),
            }
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }

    fn bases() -> Vec<String> {
        let mut texts: Vec<String> = library::ENTRIES
            .iter()
            .map(|e| e.text.to_string())
            .collect();
        texts.push(include_str!("../../../web/scenarios/default.toml").to_string());
        texts.push(MACHINE.to_string());
        texts.push(LESSON.to_string());
        texts.push(format!(
            "{MACHINE}{}",
            LESSON.trim_start_matches("version = 1\n")
        ));
        texts
    }

    #[test]
    fn the_library_and_the_default_scenario_read_the_same() {
        for text in bases() {
            assert!(same(&text), "{text}");
            // Written back, they read the same too.
            let scenario = parse_scenario(&text).expect("a good file");
            assert!(same(&scenario_to_toml(&scenario)));
        }
    }

    #[test]
    fn mutated_files_read_the_same() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let bases = bases();
        let (mut good, mut bad) = (0, 0);
        for round in 0..5000 {
            let base = bases.get(round % bases.len()).map_or("", String::as_str);
            let text = mutate(base, &mut rng);
            if same(&text) {
                good += 1;
            } else {
                bad += 1;
            }
        }
        // Both kinds are well covered.
        assert!(good > 300 && bad > 2000, "{good} good, {bad} bad");
    }

    /// Values that read as a table field by field (an array), or not at all (a
    /// datetime), with a bad item in each position.
    const SHAPES: &[&str] = &[
        "[]",
        "[1]",
        "[1, \"bad\"]",
        "[27, \"always\", \"bad\"]",
        "[27, \"always\", \"1G\", \"mirror\"]",
        "[27, \"never\", \"1G\", \"2G\", \"x\"]",
        "[27, \"never\", \"1G\", \"2G\", \"64M\", [\"x\"]]",
        "[27, \"never\", \"1G\", \"2G\", \"64M\", [], \"9.9\"]",
        "[[\"bad\"]]",
        "[[[], \"x\"]]",
        "[[[\"0x1000-0x1fff\"], \"0\"]]",
        "[{memory = [\"x\"]}]",
        "[1, 2, [1, 2, 3]]",
        "[1, 2, 3, [1]]",
        "[\"x\", \"y\"]",
        "[-1]",
        "[\"-5\", \"x\"]",
        "[1.5]",
        "[1e999]",
        "1979-05-27",
        "{}",
        "{ x = 1 }",
        "[\"c\", -1]",
        "[\"c\", 1, 2, [3]]",
        "[\"c\", 1, 2, [3, 2]]",
        "[\"c\", 1, 2, [1, 2], \"x y\"]",
        "[1, 2, \"a\", [\"a\", \"b\"], 1.5]",
        "[1, 2, \"a\", [\"a\", \"b\"], \"a\", \"e\", 1979-05-27]",
        "[[1, 2, \"a\", [\"a\", \"b\"], \"a\", \"e\", {}]]",
        "[[\"c\"]]",
        "[[]]",
        "[1979-05-27]",
        "[\"t\", 5]",
        "[5, \"s\", -2]",
        "[\"99999999999999999999x\"]",
        "{ \"0:DMA\" = 1979-05-27 }",
    ];

    #[test]
    fn every_shape_in_every_table_reads_the_same() {
        let keys = [
            "machine",
            "workload",
            "about",
            "sysctl",
            "nodes",
            "expect",
            "question",
            "check",
            "managed",
            "seed",
            "says",
            "answer",
            "memory",
            "distances",
            "lowmem_reserve_ratio",
        ];
        for base in [MACHINE, LESSON] {
            let lines: Vec<&str> = base.lines().collect();
            for (at, line) in lines.iter().enumerate() {
                if at != 0 && !line.starts_with('[') {
                    continue;
                }
                for key in keys {
                    for value in SHAPES {
                        let mut changed: Vec<String> =
                            lines.iter().map(|l| l.to_string()).collect();
                        changed.insert(at + 1, format!("{key} = {value}"));
                        same(&(changed.join("\n") + "\n"));
                    }
                }
            }
        }
    }

    #[test]
    fn every_value_in_every_key_reads_the_same() {
        for base in [MACHINE, LESSON] {
            let lines: Vec<&str> = base.lines().collect();
            for (at, line) in lines.iter().enumerate() {
                let Some((key, _)) = line.split_once(" = ") else {
                    continue;
                };
                for value in VALUES {
                    let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                    set(&mut changed, at, format!("{key} = {value}"));
                    same(&(changed.join("\n") + "\n"));
                }
            }
        }
    }
}

/// The reading time of the library and the default scenario, serde against the hand
/// reader, interleaved (`cargo test --release -p buddyscope-engine --lib
/// reading_time -- --ignored --nocapture`).
#[cfg(test)]
mod timing {
    use super::*;
    use std::time::Instant;

    fn all(texts: &[&str], serde: bool, whole: bool) -> std::time::Duration {
        SERDE.with(|on| on.set(serde));
        let start = Instant::now();
        for text in texts {
            if whole {
                assert!(parse_scenario(text).is_ok());
            } else {
                assert!(read_file(text).is_ok());
            }
        }
        let took = start.elapsed();
        SERDE.with(|on| on.set(false));
        took
    }

    #[test]
    #[ignore]
    fn reading_time() {
        let mut texts: Vec<&str> = library::ENTRIES.iter().map(|e| e.text).collect();
        texts.push(include_str!("../../../web/scenarios/default.toml"));
        for whole in [false, true] {
            let (mut serde, mut hand) = (Vec::new(), Vec::new());
            for _ in 0..200 {
                serde.push(all(&texts, true, whole));
                hand.push(all(&texts, false, whole));
            }
            serde.sort();
            hand.sort();
            let what = if whole { "parse_scenario" } else { "read_file" };
            println!(
                "{what} of {} files: serde median {:?} (min {:?}), by hand median {:?} (min {:?})",
                texts.len(),
                serde.get(100).copied().unwrap_or_default(),
                serde.first().copied().unwrap_or_default(),
                hand.get(100).copied().unwrap_or_default(),
                hand.first().copied().unwrap_or_default(),
            );
        }
    }
}
