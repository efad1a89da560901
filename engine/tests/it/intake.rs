//! Intake of what people have (`read_machine`): the real fixtures' snapshots re-cut
//! into the forms people capture (dmesg in every rendering, gzip, a bare
//! /proc/zoneinfo, a sosreport's files, numactl -H) must give the same machine as
//! the snapshot itself, and inputs that contradict each other are named with both
//! values. Every input here is made from the fixtures by plain text surgery in this
//! file; the expected machine is the original snapshot's, read by `parse_snapshot`.

use buddyscope_engine::import::snapshot::{
    parse_snapshot, read_machine, InputFile, Intake, PASTED,
};
use buddyscope_engine::machine::{boot, Machine, MachineConfig};
use buddyscope_engine::report::proc;
use buddyscope_engine::scenario::load_machine_files;

const A_ZONEINFO: &str = include_str!("../data/oracle/a-1node-512M/expected/zoneinfo");
const B_ZONEINFO: &str = include_str!("../data/oracle/b-1node-4G/expected/zoneinfo");

use crate::common::oracle::{A, ALL, B, C};

fn original(snapshot: &str) -> MachineConfig {
    match parse_snapshot(snapshot) {
        Ok(imported) => imported.config,
        Err(error) => panic!("the fixture does not import: {error}"),
    }
}

fn read(files: Vec<InputFile>) -> Intake {
    match read_machine(&files) {
        Ok(intake) => intake,
        Err(error) => panic!("did not import: {error}"),
    }
}

fn error(files: Vec<InputFile>) -> String {
    match read_machine(&files) {
        Ok(intake) => panic!("expected an error, got {:?}", intake.imported.config),
        Err(error) => error.to_string(),
    }
}

fn pasted(text: &str) -> InputFile {
    InputFile::new(PASTED, text.as_bytes())
}

/// The snapshot's sections, (source, body), in order.
fn sections(snapshot: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in snapshot.lines() {
        if let Some(source) = line
            .strip_prefix("==> ")
            .and_then(|l| l.strip_suffix(" <=="))
        {
            out.push((source.to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

fn section(snapshot: &str, source: &str) -> String {
    sections(snapshot)
        .into_iter()
        .find(|(s, _)| s == source)
        .map(|(_, body)| body)
        .unwrap_or_else(|| panic!("no section {source}"))
}

/// The snapshot with its dmesg section's lines rewritten by `render`.
fn with_dmesg(snapshot: &str, render: impl Fn(usize, &str) -> String) -> String {
    let mut out = String::new();
    for (source, body) in sections(snapshot) {
        out.push_str(&format!("==> {source} <==\n"));
        if source == "dmesg" {
            for (index, line) in body.lines().enumerate() {
                out.push_str(&render(index, line));
                out.push('\n');
            }
        } else {
            out.push_str(&body);
        }
    }
    out
}

/// `[    1.234567] message` as (seconds, message with its own leading spaces).
fn stamp(line: &str) -> Option<(f64, &str)> {
    let rest = line.strip_prefix('[')?;
    let (seconds, message) = rest.split_once(']')?;
    let seconds: f64 = seconds.trim().parse().ok()?;
    Some((seconds, message.strip_prefix(' ').unwrap_or(message)))
}

fn clock(seconds: f64) -> String {
    let whole = seconds as u64 + 52;
    format!("07:{:02}:{:02}", 34 + whole / 60, whole % 60)
}

/// Each rendering of a dmesg line that people paste, by name.
/// A rendering: a dmesg line (and its index) as the tool prints it.
type Render = fn(usize, &str) -> String;

fn renderings() -> Vec<(&'static str, Render)> {
    vec![
        ("dmesg -T", |_, line| match stamp(line) {
            Some((s, m)) => format!("[Sun Dec  6 {} 2026] {m}", clock(s)),
            None => line.to_string(),
        }),
        ("dmesg -d", |_, line| match stamp(line) {
            Some((s, m)) => format!("[{s:12.6} <    0.000010>] {m}"),
            None => line.to_string(),
        }),
        ("dmesg -r", |_, line| format!("<6>{line}")),
        ("dmesg -t", |_, line| match stamp(line) {
            Some((_, m)) => m.to_string(),
            None => line.to_string(),
        }),
        ("dmesg -x", |_, line| format!("kern  :info  : {line}")),
        ("dmesg -H", |index, line| match stamp(line) {
            Some((_, m)) if index == 0 => format!("[Dec 6 07:34] {m}"),
            Some((_, m)) => format!("[  +0.000001] {m}"),
            None => line.to_string(),
        }),
        ("journalctl -k", |_, line| match stamp(line) {
            Some((s, m)) => format!("Dec 06 {} buildhost kernel: {m}", clock(s)),
            None => line.to_string(),
        }),
        ("syslog", |_, line| {
            let s = stamp(line).map_or(0.0, |(s, _)| s);
            format!("Dec  6 {} buildhost kernel: {line}", clock(s))
        }),
        ("rfc 5424", |_, line| match stamp(line) {
            Some((s, m)) => format!("2026-12-06T{}.123456+00:00 buildhost kernel: {m}", clock(s)),
            None => line.to_string(),
        }),
    ]
}

#[test]
fn every_dmesg_rendering_gives_the_same_machine() {
    for (name, snapshot) in ALL {
        let expected = original(snapshot);
        for (rendering, render) in renderings() {
            let text = with_dmesg(snapshot, render);
            let intake = read_machine(&[pasted(&text)])
                .unwrap_or_else(|e| panic!("{name} as {rendering}: {e}"));
            assert_eq!(intake.imported.config, expected, "{name} as {rendering}");
        }
    }
}

#[test]
fn a_bare_dmesg_in_every_rendering_gives_the_same_machine() {
    let dmesg = section(B, "dmesg");
    let expected = original(&dmesg);
    for (rendering, render) in renderings() {
        let text: String = dmesg
            .lines()
            .enumerate()
            .map(|(i, line)| render(i, line) + "\n")
            .collect();
        let intake = read_machine(&[pasted(&text)]).unwrap_or_else(|e| panic!("{rendering}: {e}"));
        assert_eq!(intake.imported.config, expected, "{rendering}");
        // The scenario loader takes it as a machine too.
        let (config, _) =
            load_machine_files(&[pasted(&text)]).unwrap_or_else(|e| panic!("{rendering}: {e}"));
        assert_eq!(config, expected, "{rendering}");
    }
}

#[test]
fn crlf_and_a_byte_order_mark_change_nothing() {
    for (name, snapshot) in ALL {
        let text = format!("\u{feff}{}", snapshot.replace('\n', "\r\n"));
        assert_eq!(
            read(vec![pasted(&text)]).imported.config,
            original(snapshot),
            "{name}"
        );
    }
}

#[test]
fn a_single_snapshot_reads_exactly_as_parse_snapshot_reads_it() {
    for (name, snapshot) in ALL {
        let intake = read(vec![InputFile::new(
            "machine.snapshot",
            snapshot.as_bytes(),
        )]);
        let imported = parse_snapshot(snapshot).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(intake.imported.config, imported.config, "{name}");
        // Its notes, after the intake's own (buddyinfo and pagetypeinfo were read).
        assert!(intake.imported.notes.ends_with(&imported.notes), "{name}");
        assert_eq!(
            intake.imported.notes.len(),
            imported.notes.len() + 2,
            "{name}"
        );
        assert_eq!(intake.snapshot, snapshot, "{name}");
    }
}

// ---------------------------------------------------------------------------------
// gzip.

/// CRC-32 as gzip's trailer holds it, written here from the polynomial.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xedb8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A gzip file as `gzip -n` writes it (with a file name field, as `gzip` keeps).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3];
    out.extend_from_slice(b"machine.snapshot\0");
    out.extend(miniz_oxide::deflate::compress_to_vec(bytes, 6));
    out.extend(crc32(bytes).to_le_bytes());
    out.extend((bytes.len() as u32).to_le_bytes());
    out
}

#[test]
fn a_gzipped_snapshot_or_dmesg_gives_the_same_machine() {
    for (name, snapshot) in ALL {
        let intake = read(vec![InputFile::new(
            "machine.snapshot.gz",
            gzip(snapshot.as_bytes()),
        )]);
        assert_eq!(intake.imported.config, original(snapshot), "{name}");
    }
    let dmesg = section(C, "dmesg");
    let intake = read(vec![InputFile::new("dmesg.gz", gzip(dmesg.as_bytes()))]);
    assert_eq!(intake.imported.config, original(&dmesg));
}

#[test]
fn a_gzip_bomb_and_a_broken_gzip_are_refused_with_a_sentence() {
    let bomb = gzip(&vec![b'\n'; (16 << 20) + 1]);
    assert!(bomb.len() < 100_000, "the bomb is small: {}", bomb.len());
    let message = error(vec![InputFile::new("bomb.gz", bomb)]);
    assert!(
        message.contains("decompresses to more than 16777216 bytes"),
        "{message}"
    );

    let whole = gzip(C.as_bytes());
    let cut = whole.get(..whole.len() / 2).unwrap().to_vec();
    let message = error(vec![InputFile::new("cut.gz", cut)]);
    assert!(
        message.starts_with("cut.gz: this gzip file is damaged or cut short"),
        "{message}"
    );

    let mut flipped = whole.clone();
    let last = flipped.len() - 5;
    flipped[last] ^= 1;
    let message = error(vec![InputFile::new("flipped.gz", flipped)]);
    assert!(message.contains("checksum does not match"), "{message}");
}

#[test]
fn utf16_and_binary_files_get_one_sentence() {
    let le: Vec<u8> = C.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let message = error(vec![InputFile::new("snapshot.txt", le.clone())]);
    assert!(
        message.starts_with("snapshot.txt: this file is UTF-16 (little-endian, without a byte-order mark); save it as UTF-8"),
        "{message}"
    );
    let mut bom = vec![0xff, 0xfe];
    bom.extend(&le);
    let message = error(vec![InputFile::new("snapshot.txt", bom)]);
    assert!(
        message.contains("UTF-16 (little-endian, with a byte-order mark)"),
        "{message}"
    );
    let be: Vec<u8> = C.encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert!(error(vec![InputFile::new("s", be)]).contains("UTF-16 (big-endian"));

    let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
    elf.extend([0u8; 64]);
    let message = error(vec![InputFile::new("vmlinux", elf)]);
    assert_eq!(
        message,
        "vmlinux: this looks like a binary file (an ELF program), not text"
    );
    let message = error(vec![InputFile::new(
        "data.bin",
        vec![0x00, 0x13, 0x37, 0xff, 0x00, 0x42],
    )]);
    assert!(
        message.contains("this looks like a binary file (2 NUL bytes), not text"),
        "{message}"
    );
    let message = error(vec![InputFile::new(
        "latin1.txt",
        b"caf\xe9 Early memory node ranges".to_vec(),
    )]);
    assert!(
        message.contains("binary file (byte 3 is not UTF-8 text)"),
        "{message}"
    );
    let xz = vec![0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4];
    assert!(error(vec![InputFile::new("sosreport.tar.xz", xz)]).contains("xz-compressed"));
}

// ---------------------------------------------------------------------------------
// A bare /proc/zoneinfo.

/// Every zone's compared fields of a zoneinfo, as `Node N, zone Z: field value` lines.
fn zoneinfo_fields(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut zone = String::new();
    let mut cpu = String::new();
    for line in text.lines() {
        if line.starts_with("Node ") {
            zone = line.split_whitespace().collect::<Vec<_>>().join(" ");
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["cpu:", n] => cpu = (*n).to_string(),
            ["start_pfn:", v] => out.push(format!("{zone}: start_pfn {v}")),
            ["pages", "free", _] => {}
            [key @ ("spanned" | "present" | "managed" | "min" | "low" | "boost"), v] => {
                out.push(format!("{zone}: {key} {v}"))
            }
            ["high", v] => out.push(format!("{zone}: high {v}")),
            ["high:", v] => out.push(format!("{zone}: cpu {cpu} pcp high {v}")),
            ["batch:", v] => out.push(format!("{zone}: cpu {cpu} pcp batch {v}")),
            ["protection:", ..] => out.push(format!("{zone}: {}", words.join(" "))),
            _ => {}
        }
    }
    out
}

fn booted_zoneinfo(config: &MachineConfig) -> String {
    let machine = Machine::build(config).unwrap_or_else(|e| panic!("does not build: {e}"));
    proc::zoneinfo(&machine, &boot::boot_free_pages(&machine))
}

#[test]
fn a_bare_zoneinfo_gives_the_snapshots_memory_and_managed_counts() {
    for (name, snapshot) in ALL {
        let zoneinfo = section(snapshot, "/proc/zoneinfo");
        let intake = read(vec![InputFile::new("zoneinfo", zoneinfo.as_bytes())]);
        let config = intake.imported.config;
        let expected = original(snapshot);
        // On these QEMU machines the holes are where the layout puts them: DMA's below
        // 1 MiB, DMA32's at its end (the PCI hole below 4 GiB).
        let memory =
            |c: &MachineConfig| c.nodes.iter().map(|n| n.memory.clone()).collect::<Vec<_>>();
        let with_memory: Vec<_> = memory(&expected)
            .into_iter()
            .filter(|m| !m.is_empty())
            .collect();
        assert_eq!(memory(&config), with_memory, "{name}");
        assert_eq!(config.managed, expected.managed, "{name}");
        // Every CPU, all on node 0: zoneinfo does not say which node a CPU is on.
        let mut all: Vec<u32> = expected.nodes.iter().flat_map(|n| n.cpus.clone()).collect();
        all.sort_unstable();
        assert_eq!(
            config.nodes.first().map(|n| n.cpus.clone()),
            Some(all),
            "{name}"
        );
        let notes = intake.imported.notes.join("\n");
        assert!(
            notes.contains("the memory ranges were built from /proc/zoneinfo"),
            "{name}: {notes}"
        );
        assert!(
            notes.contains("zoneinfo does not say which node each CPU is on"),
            "{name}: {notes}"
        );
    }
}

#[test]
fn a_bare_zoneinfo_boots_to_the_real_kernels_zoneinfo_on_one_node_machines() {
    // Machines a and b: one node, the kernel's own sysctls. With zoneinfo and the
    // min_free_kbytes file every compared field matches the real kernel's, per-cpu
    // ones too (all CPUs are on the one node). With zoneinfo alone only the
    // watermarks (and pcp high, a quarter of low per CPU) differ: the model computes
    // min_free_kbytes from the final managed counts, while the kernel computed it at
    // boot, before the init memory reached the buddy allocator, from fewer pages.
    // On b (4 GiB, THP on) khugepaged's recommended minimum is larger than either and
    // decides, so nothing differs there.
    for (name, snapshot, expected, differs) in
        [("a", A, A_ZONEINFO, true), ("b", B, B_ZONEINFO, false)]
    {
        let zoneinfo = section(snapshot, "/proc/zoneinfo");
        let min_free = section(snapshot, "/proc/sys/vm/min_free_kbytes");
        let theirs = zoneinfo_fields(expected);
        assert!(theirs.len() > 20, "{name}: {theirs:?}");

        let config = read(vec![
            InputFile::new("proc/zoneinfo", zoneinfo.as_bytes()),
            InputFile::new("proc/sys/vm/min_free_kbytes", min_free.as_bytes()),
        ])
        .imported
        .config;
        assert_eq!(
            zoneinfo_fields(&booted_zoneinfo(&config)),
            theirs,
            "{name} with min_free_kbytes"
        );

        let config = read(vec![InputFile::new("proc/zoneinfo", zoneinfo.as_bytes())])
            .imported
            .config;
        let ours = zoneinfo_fields(&booted_zoneinfo(&config));
        assert_eq!(ours.len(), theirs.len(), "{name}");
        let mut differ = 0;
        for (ours, theirs) in ours.iter().zip(&theirs) {
            let field = theirs.split(": ").nth(1).unwrap_or("");
            let derived = ["min ", "low ", "high "]
                .iter()
                .any(|f| field.starts_with(f))
                || field.contains("pcp high");
            if ours != theirs {
                assert!(derived, "{name}: {ours} / {theirs}");
                differ += 1;
            }
        }
        assert_eq!(differ > 0, differs, "{name}: {differ} fields differ");
    }
}

#[test]
fn a_bare_zoneinfo_on_two_nodes_differs_only_in_per_cpu_high() {
    // Machine c has CPU 0 on node 0 and CPU 1 on node 1; from zoneinfo alone both are
    // on node 0, so node 0's pcp high is its low watermark over two CPUs instead of
    // one. Node 1, without CPUs, divides by all online CPUs (two), as the real node 1
    // with one CPU does not. Everything else matches the snapshot's own machine.
    let zoneinfo = section(C, "/proc/zoneinfo");
    let config = read(vec![InputFile::new("zoneinfo", zoneinfo.as_bytes())])
        .imported
        .config;
    let ours = zoneinfo_fields(&booted_zoneinfo(&config));
    let theirs = zoneinfo_fields(&booted_zoneinfo(&original(C)));
    assert_eq!(ours.len(), theirs.len());
    let differ: Vec<(&String, &String)> =
        ours.iter().zip(&theirs).filter(|(a, b)| a != b).collect();
    assert!(!differ.is_empty());
    for (ours, theirs) in differ {
        assert!(
            ours.contains("pcp high") && theirs.contains("pcp high"),
            "{ours} / {theirs}"
        );
    }
}

#[test]
fn a_wrapped_dmesg_with_a_zoneinfo_takes_the_layout_from_zoneinfo() {
    // The ring buffer has lost the boot: the first 70 lines of dmesg are gone.
    let mut text = String::new();
    for (source, body) in sections(B) {
        text.push_str(&format!("==> {source} <==\n"));
        if source == "dmesg" {
            for line in body.lines().skip(70) {
                text.push_str(line);
                text.push('\n');
            }
        } else {
            text.push_str(&body);
        }
    }
    let intake = read(vec![pasted(&text)]);
    assert_eq!(intake.imported.config, original(B));
    assert!(intake
        .imported
        .notes
        .iter()
        .any(|n| n.contains("built from /proc/zoneinfo")));
}

// ---------------------------------------------------------------------------------
// A sosreport.

/// The fixture laid out as a sosreport's files (relative paths), with the dmesg at
/// `dmesg_path`.
fn sosreport(snapshot: &str, dmesg_path: &str) -> Vec<InputFile> {
    let mut files = Vec::new();
    for (source, body) in sections(snapshot) {
        let path = if source == "dmesg" {
            dmesg_path.to_string()
        } else {
            format!("sosreport-buildhost-2026-12-06-abcdef{source}")
        };
        files.push(InputFile::new(path, body.into_bytes()));
    }
    files
}

#[test]
fn a_sosreports_files_give_the_same_machine() {
    for (name, snapshot) in ALL {
        let files = sosreport(
            snapshot,
            "sosreport-buildhost-2026-12-06-abcdef/sos_commands/kernel/dmesg",
        );
        let intake = read(files);
        assert_eq!(intake.imported.config, original(snapshot), "{name}");
        let unused: Vec<_> = intake.files.iter().filter(|f| !f.used).collect();
        // numa_zonelist_order, node/online, has_cpu: read by nobody.
        for file in &unused {
            assert!(file.what.starts_with("ignored"), "{name}: {file:?}");
        }
        let zoneinfo = intake
            .files
            .iter()
            .find(|f| f.name.ends_with("proc/zoneinfo"))
            .unwrap();
        assert_eq!(zoneinfo.what, "read as /proc/zoneinfo");
        let notes = intake.imported.notes.join("\n");
        assert!(
            notes.contains("/proc/buddyinfo was read: its zones ("),
            "{name}: {notes}"
        );
        assert!(
            notes.contains("its free counts are not copied"),
            "{name}: {notes}"
        );
    }
}

#[test]
fn a_sosreport_with_a_wrapped_ring_buffer_uses_the_boot_log() {
    let mut files = sosreport(C, "var/log/dmesg");
    let wrapped: String = section(C, "dmesg")
        .lines()
        .skip(200)
        .map(|l| format!("{l}\n"))
        .collect();
    files.push(InputFile::new(
        "sos_commands/kernel/dmesg",
        wrapped.into_bytes(),
    ));
    let journal: String = section(C, "dmesg")
        .lines()
        .filter_map(stamp)
        .map(|(s, m)| format!("Dec 06 {} buildhost kernel: {m}\n", clock(s)))
        .collect();
    files.push(InputFile::new(
        "sos_commands/logs/journalctl_--no-pager_--boot.gz",
        gzip(journal.as_bytes()),
    ));
    let intake = read(files);
    assert_eq!(intake.imported.config, original(C));
    let notes = intake.imported.notes.join("\n");
    assert!(
        notes.contains("`sos_commands/kernel/dmesg` has no \"Early memory node ranges\" lines (its ring buffer has wrapped?); the dmesg of `var/log/dmesg` was used"),
        "{notes}"
    );
    assert!(
        notes.contains("gives the same memory ranges as `var/log/dmesg`"),
        "{notes}"
    );
}

const NUMACTL_C: &str = "available: 2 nodes (0-1)
node 0 cpus: 0
node 0 size: 1007 MB
node 0 free: 912 MB
node 1 cpus: 1
node 1 size: 1007 MB
node 1 free: 950 MB
node distances:
node   0   1 
  0:  10  20 
  1:  20  10 
";

fn without_node_files(files: Vec<InputFile>) -> Vec<InputFile> {
    files
        .into_iter()
        .filter(|f| !(f.name.contains("/node/node") || f.name.ends_with("cpu/online")))
        .collect()
}

#[test]
fn numactl_gives_the_cpus_and_distances() {
    let mut files = without_node_files(sosreport(C, "sos_commands/kernel/dmesg"));
    files.push(InputFile::new(
        "sos_commands/numa/numactl_-H",
        NUMACTL_C.as_bytes(),
    ));
    assert_eq!(read(files).imported.config, original(C));

    // Beside the sysfs files it agrees with, it changes nothing.
    let mut files = sosreport(C, "sos_commands/kernel/dmesg");
    files.push(InputFile::new("numactl.txt", NUMACTL_C.as_bytes()));
    assert_eq!(read(files).imported.config, original(C));

    // As a section of a snapshot.
    let mut text = String::new();
    for (source, body) in sections(C) {
        if source.starts_with("/sys/devices/system/node/node") {
            continue;
        }
        text.push_str(&format!("==> {source} <==\n{body}"));
    }
    text.push_str(&format!("==> numactl -H <==\n{NUMACTL_C}"));
    assert_eq!(read(vec![pasted(&text)]).imported.config, original(C));
}

#[test]
fn contradicting_files_are_named_with_both_values() {
    // numactl says CPU 1 is on node 0; sysfs says node 1.
    let mut files = sosreport(C, "sos_commands/kernel/dmesg");
    files.push(InputFile::new(
        "numactl.txt",
        NUMACTL_C
            .replace("node 0 cpus: 0", "node 0 cpus: 0 1")
            .replace("node 1 cpus: 1", "node 1 cpus:"),
    ));
    let message = error(files);
    assert!(
        message.contains("/sys/devices/system/node/node0/cpulist")
            && message.contains("says `0` but `numactl.txt` (numactl -H) says `0-1`"),
        "{message}"
    );

    // numactl from a one-node machine beside machine c's zoneinfo.
    let mut files = without_node_files(sosreport(C, "sos_commands/kernel/dmesg"));
    files.push(InputFile::new(
        "numactl_-H",
        "available: 1 nodes (0)\nnode 0 cpus: 0 1\nnode 0 size: 2014 MB\nnode 0 free: 1900 MB\nnode distances:\nnode   0 \n  0:  10 \n",
    ));
    let message = error(files);
    assert!(
        message.contains(
            "/proc/zoneinfo gives node 1 memory but `numactl_-H` (numactl -H) does not list node 1"
        ),
        "{message}"
    );

    // numactl says node 1 has no memory.
    let mut files = without_node_files(sosreport(C, "sos_commands/kernel/dmesg"));
    files.push(InputFile::new(
        "numactl.txt",
        NUMACTL_C.replace("node 1 size: 1007 MB", "node 1 size: 0 MB"),
    ));
    let message = error(files);
    assert!(
        message.contains("/proc/zoneinfo gives node 1 1007 MiB of managed memory but `numactl.txt` (numactl -H) says `node 1 size: 0 MB`"),
        "{message}"
    );

    // Machine a's buddyinfo beside machine c's zoneinfo.
    let mut files = sosreport(C, "sos_commands/kernel/dmesg");
    files.retain(|f| !f.name.ends_with("buddyinfo"));
    files.push(InputFile::new(
        "proc/buddyinfo",
        section(A, "/proc/buddyinfo").into_bytes(),
    ));
    let message = error(files);
    assert!(
        message.contains("lists the zones 0/DMA, 0/DMA32 but")
            && message.contains("has present pages in 0/DMA, 0/DMA32, 1/DMA32"),
        "{message}"
    );

    // Two zoneinfo files that differ.
    let files = vec![
        InputFile::new("dmesg", section(C, "dmesg").into_bytes()),
        InputFile::new("zoneinfo-1", section(C, "/proc/zoneinfo").into_bytes()),
        InputFile::new("proc/zoneinfo", section(A, "/proc/zoneinfo").into_bytes()),
    ];
    let message = error(files);
    assert!(
        message
            .contains("`zoneinfo-1` and `proc/zoneinfo` both give /proc/zoneinfo, and they differ"),
        "{message}"
    );

    // zoneinfo's CPUs against the online list.
    let files = vec![
        InputFile::new("zoneinfo", section(C, "/proc/zoneinfo").into_bytes()),
        InputFile::new("sys/devices/system/cpu/online", "0-3\n"),
    ];
    let message = error(files);
    assert!(
        message.contains("has CPUs 0-1 but `sys/devices/system/cpu/online`"),
        "{message}"
    );
    assert!(message.contains("has CPUs 0-3"), "{message}");
}

#[test]
fn errors_name_the_users_file_and_line() {
    let mut files = sosreport(B, "sos_commands/kernel/dmesg");
    for file in &mut files {
        if file.name.ends_with("/proc/cmdline") {
            file.bytes = b"BOOT_IMAGE=/vmlinuz kernelcore=mirror\n".to_vec();
        }
    }
    let message = error(files);
    assert!(
        message.starts_with("section `/proc/cmdline` from `sosreport-buildhost-2026-12-06-abcdef/proc/cmdline` (line 1)"),
        "{message}"
    );
}

#[test]
fn files_that_say_nothing_are_listed_as_ignored() {
    let mut files = sosreport(A, "sos_commands/kernel/dmesg");
    files.push(InputFile::new("proc/meminfo", b"MemTotal: 1 kB\n".to_vec()));
    files.push(InputFile::new("sos_logs/sos.log", vec![0u8, 1, 2]));
    let intake = read(files);
    let meminfo = intake
        .files
        .iter()
        .find(|f| f.name == "proc/meminfo")
        .unwrap();
    assert!(
        !meminfo.used && meminfo.what.starts_with("ignored: not a snapshot"),
        "{meminfo:?}"
    );
    let log = intake
        .files
        .iter()
        .find(|f| f.name == "sos_logs/sos.log")
        .unwrap();
    assert!(!log.used && log.what.contains("binary file"), "{log:?}");
}

/// The fuzz target's split of an input into files (`fuzz/fuzz_targets/intake.rs`):
/// `==== NAME` lines start files; without one, the input is one pasted file.
fn fuzz_files(data: &[u8]) -> Vec<InputFile> {
    const MARK: &[u8] = b"==== ";
    if !data.starts_with(MARK) {
        return vec![InputFile::new(PASTED, data)];
    }
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(after) = rest.strip_prefix(MARK) {
        let name_end = after
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(after.len());
        let name = String::from_utf8_lossy(&after[..name_end]).into_owned();
        let body = after.get(name_end + 1..).unwrap_or(&[]);
        let next = body
            .windows(MARK.len() + 1)
            .position(|w| w[0] == b'\n' && &w[1..] == MARK)
            .map_or(body.len(), |at| at + 1);
        out.push(InputFile::new(name, &body[..next]));
        rest = &body[next..];
    }
    out
}

#[test]
fn the_fuzz_seeds_are_machines_that_read_back_the_same() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/intake");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        seen += 1;
        let result = read_machine(&fuzz_files(&data));
        if name == "utf16" {
            assert!(result.unwrap_err().to_string().contains("UTF-16"), "{name}");
            continue;
        }
        let intake = result.unwrap_or_else(|e| panic!("seed {name}: {e}"));
        let again = read(vec![pasted(&intake.snapshot)]);
        assert_eq!(again.imported.config, intake.imported.config, "seed {name}");
    }
    assert!(seen >= 10, "{seen} seeds");
}

#[test]
fn a_section_given_twice_must_agree() {
    // The snapshot's command line and a file of its own that says otherwise.
    let files = vec![
        InputFile::new("machine.snapshot", C.as_bytes()),
        InputFile::new(
            "proc/cmdline",
            b"BOOT_IMAGE=/vmlinuz movablecore=25%\n".to_vec(),
        ),
    ];
    let message = error(files);
    assert!(
        message.contains(
            "`machine.snapshot` and `proc/cmdline` both give /proc/cmdline, and they differ"
        ),
        "{message}"
    );
    // The same text twice is read once, and said so.
    let files = vec![
        InputFile::new("machine.snapshot", C.as_bytes()),
        InputFile::new("proc/sys/vm/min_free_kbytes", b"67584\n".to_vec()),
    ];
    let intake = read(files);
    assert_eq!(intake.imported.config, original(C));
    assert!(intake
        .imported
        .notes
        .iter()
        .any(|n| n.contains("both give /proc/sys/vm/min_free_kbytes, the same")));
}

#[test]
fn pasted_text_with_control_characters_is_text_not_a_binary_file() {
    // What the page's hostile-input test pastes: the parsers name what is missing.
    let text = "==> /proc/zoneinfo <==\n<script>window.__pwned=1</script>\u{0}\u{7}\n";
    let message = error(vec![pasted(text)]);
    assert!(message.starts_with("no `dmesg` section, and the /proc/zoneinfo of `pasted text` has no zone with present pages"), "{message}");
    // The same bytes as a file are a binary file.
    let message = error(vec![InputFile::new("zoneinfo", text.as_bytes())]);
    assert!(
        message.contains("this looks like a binary file (1 NUL byte)"),
        "{message}"
    );
    let headers =
        "==> dmesg <==\n==> /proc/zoneinfo <==\n==> /proc/buddyinfo <==\n==> /proc/cmdline <==\n";
    let message = error(vec![pasted(headers)]);
    assert!(
        message.contains("no \"Early memory node ranges\" lines"),
        "{message}"
    );
}

#[test]
fn notes_name_the_line_of_the_users_file() {
    // Without /proc/cmdline the command line comes from dmesg; the note names the
    // line of the dmesg file, not of the assembled snapshot.
    let mut files = sosreport(B, "sos_commands/kernel/dmesg");
    files.retain(|f| !f.name.ends_with("/proc/cmdline"));
    let dmesg = section(B, "dmesg");
    let line = dmesg
        .lines()
        .position(|l| l.contains("Kernel command line:"))
        .map(|index| index + 1)
        .unwrap();
    let notes = read(files).imported.notes.join("\n");
    let expected = format!("taken from dmesg (line {line} of `sos_commands/kernel/dmesg`)");
    assert!(notes.contains(&expected), "{expected}\n{notes}");
}

/// The fixture's vm sysctls as `sysctl -a` prints them, among others it also prints.
fn sysctl_all(snapshot: &str) -> String {
    let mut out = String::from("kernel.pid_max = 4194304\nvm.admin_reserve_kbytes = 8192\n");
    for name in [
        "lowmem_reserve_ratio",
        "min_free_kbytes",
        "percpu_pagelist_high_fraction",
        "watermark_boost_factor",
        "watermark_scale_factor",
    ] {
        let value = section(snapshot, &format!("/proc/sys/vm/{name}"));
        out.push_str(&format!("vm.{name} = {}\n", value.trim()));
    }
    out.push_str("vm.swappiness = 60\n");
    out
}

#[test]
fn a_sosreports_sysctl_a_gives_the_vm_sysctls() {
    // sos keeps the sysctls as `sysctl -a` output, not as /proc/sys/vm files.
    for (name, snapshot) in ALL {
        let mut files = sosreport(snapshot, "sos_commands/kernel/dmesg");
        files.retain(|f| !f.name.contains("/proc/sys/vm/"));
        files.push(InputFile::new(
            "sos_commands/kernel/sysctl_-a",
            sysctl_all(snapshot).into_bytes(),
        ));
        let intake = read(files);
        assert_eq!(intake.imported.config, original(snapshot), "{name}");
        let sysctl = intake
            .files
            .iter()
            .find(|f| f.name.ends_with("sysctl_-a"))
            .unwrap();
        assert!(
            sysctl
                .what
                .starts_with("read as sysctl -a (vm.lowmem_reserve_ratio, vm.min_free_kbytes"),
            "{sysctl:?}"
        );
    }
    // Beside the files, it must agree with them.
    let mut files = sosreport(C, "sos_commands/kernel/dmesg");
    files.push(InputFile::new(
        "sysctl.txt",
        sysctl_all(C)
            .replace("vm.min_free_kbytes = 67584", "vm.min_free_kbytes = 90112")
            .into_bytes(),
    ));
    let message = error(files);
    assert!(
        message.contains("/proc/sys/vm/min_free_kbytes` and `sysctl.txt` both give /proc/sys/vm/min_free_kbytes, and they differ: `67584` against `90112`"),
        "{message}"
    );
}

#[test]
fn a_zoneinfo_whose_nodes_interleave_is_refused_with_the_reason() {
    // Node 0's Normal spans 4-12 GiB with 6 GiB present (node 1's memory lies in its
    // holes); node 1's Normal spans 8-16 GiB with 6 GiB present. With the holes at
    // the end, node 0 would end at 10 GiB, inside node 1's 8-14 GiB.
    let zone = |node: u32, start: u64, spanned: u64, present: u64| {
        format!(
            "Node {node}, zone   Normal\n  pages free     0\n        min      0\n        spanned  {spanned}\n        present  {present}\n        managed  {present}\n  pagesets\n    cpu: {node}\n              count: 0\n  start_pfn:           {start}\n"
        )
    };
    let text = zone(0, 0x100000, 0x200000, 0x180000) + &zone(1, 0x200000, 0x200000, 0x180000);
    let message = error(vec![pasted(&text)]);
    assert!(
        message.contains(
            "node 0's memory (pfns 0x100000-0x280000) and node 1's (0x200000-0x380000) overlap"
        ),
        "{message}"
    );
}

/// The firmware map as kernels before 3.5 print it: `early_node_map[N] active PFN
/// ranges` (2.6.19 to 3.2) or "Early memory PFN ranges" (3.3, 3.4), then `  NODE:
/// START -> END` in pfns with the end exclusive, hex from 2.6.27 and decimal before.
/// Machine c's three ranges written by hand in each form: [0x1, 0x9f), [0x100,
/// 0x40000) on node 0 and [0x40000, 0x7ffe0) on node 1.
#[test]
fn the_memory_map_of_kernels_before_3_5_is_read() {
    let forms = [
        (
            "early_node_map[3] active PFN ranges",
            [
                "    0: 0x00000001 -> 0x0000009f",
                "    0: 0x00000100 -> 0x00040000",
                "    1: 0x00040000 -> 0x0007ffe0",
            ],
        ),
        (
            "early_node_map[3] active PFN ranges",
            [
                "    0:        1 ->      159",
                "    0:      256 ->   262144",
                "    1:   262144 ->   524256",
            ],
        ),
        (
            "Early memory PFN ranges",
            [
                "    0: 0x00000001 -> 0x0000009f",
                "    0: 0x00000100 -> 0x00040000",
                "    1: 0x00040000 -> 0x0007ffe0",
            ],
        ),
    ];
    let expected = original(C);
    for (header, lines) in forms {
        let mut text = String::new();
        let mut skip = 0;
        for line in C.lines() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if line.ends_with("Early memory node ranges") {
                text.push_str(&format!("[    0.000000] {header}\n"));
                for range in lines {
                    text.push_str(&format!("[    0.000000] {range}\n"));
                }
                skip = 3;
                continue;
            }
            text.push_str(line);
            text.push('\n');
        }
        let intake = read(vec![InputFile::new("machine.snapshot", text.into_bytes())]);
        assert_eq!(intake.imported.config, expected, "{header}: {lines:?}");
        assert!(
            intake
                .imported
                .notes
                .iter()
                .any(|note| note.contains(header) && note.contains("exclusive")),
            "{:?}",
            intake.imported.notes
        );
    }
}

/// Files that hold no memory layout (numactl -H, buddyinfo, pagetypeinfo) alone are
/// refused with what is missing, not with a complaint about a snapshot's dmesg.
#[test]
fn files_without_a_memory_layout_say_what_to_add() {
    let numactl =
        "available: 2 nodes (0-1)\nnode 0 cpus: 0 1\nnode 0 size: 1007 MB\nnode 0 free: 811 MB\n\
                   node 1 cpus: 2 3\nnode 1 size: 1007 MB\nnode 1 free: 902 MB\nnode distances:\n\
                   node   0   1 \n  0:  10  20 \n  1:  20  10 \n";
    let buddyinfo = "Node 0, zone      DMA      0      0      0      0      0      0      1      1      0      1      3 \n";
    for (files, numactl_named) in [
        (vec![InputFile::new("numactl-H", numactl.as_bytes())], true),
        (
            vec![InputFile::new("buddyinfo", buddyinfo.as_bytes())],
            false,
        ),
    ] {
        let message = error(files);
        assert!(message.contains("no memory layout"), "{message}");
        assert!(message.contains("/proc/zoneinfo"), "{message}");
        assert!(message.contains("Early memory node ranges"), "{message}");
        assert_eq!(
            message.contains("numactl -H gives only"),
            numactl_named,
            "{message}"
        );
        assert!(!message.contains("==> dmesg <=="), "{message}");
    }
}

/// A bare /proc/zoneinfo: the notes say there was no dmesg (not that one wrapped) and
/// that the ranges were built from zoneinfo (not copied from dmesg's lines).
#[test]
fn a_bare_zoneinfo_is_not_described_as_a_dmesg() {
    let intake = read(vec![InputFile::new(
        "zoneinfo",
        section(C, "/proc/zoneinfo").into_bytes(),
    )]);
    let notes = intake.imported.notes.join("\n");
    assert!(notes.contains("no dmesg was given"), "{notes}");
    assert!(!notes.contains("may have wrapped"), "{notes}");
    let copied = intake
        .imported
        .notes
        .iter()
        .find(|note| note.starts_with("copied from the snapshot"))
        .expect("the copied/recomputed note");
    assert!(copied.contains("built from /proc/zoneinfo"), "{copied}");
    assert!(!copied.contains("dmesg's"), "{copied}");
    // With a real dmesg the note names dmesg's lines.
    let intake = read(vec![InputFile::new("machine.snapshot", C.as_bytes())]);
    let copied = intake
        .imported
        .notes
        .iter()
        .find(|note| note.starts_with("copied from the snapshot"))
        .expect("the copied/recomputed note");
    assert!(
        copied.contains("dmesg's \"Early memory node ranges\""),
        "{copied}"
    );
}
