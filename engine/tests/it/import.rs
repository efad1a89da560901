//! Importing real machines (the oracle snapshots in `tests/data/oracle/`) and the
//! scenario file format: expected values are literals read off the snapshot text by
//! eye, never computed by the code under test.

use buddyscope_engine::import::snapshot::{parse_snapshot, KernelVersion, SnapshotError};
use buddyscope_engine::limits::SCENARIO_BYTES_MAX;
use buddyscope_engine::limits::SNAPSHOT_BYTES_MAX;
use buddyscope_engine::machine::{
    CoreSize, MachineConfig, ManagedCount, NodeConfig, Sysctls, ThpMode,
};
use buddyscope_engine::scenario::{
    detect_kind, load_machine, parse_scenario, scenario_to_toml, InputKind, Scenario, ScenarioError,
};
use buddyscope_engine::types::{PfnRange, ZoneType};

use crate::common::oracle::{A, ALL, B, C, E, N};

fn r(start: u64, end: u64) -> PfnRange {
    PfnRange { start, end }
}

fn managed(node: u32, zone: ZoneType, pages: u64) -> ManagedCount {
    ManagedCount {
        node,
        zone,
        managed: pages,
    }
}

fn sysctls(min_free_kbytes: u64, watermark_scale_factor: u32) -> Sysctls {
    Sysctls {
        min_free_kbytes: Some(min_free_kbytes),
        watermark_scale_factor,
        watermark_boost_factor: 15000,
        lowmem_reserve_ratio: [256, 256, 32, 0, 0],
        percpu_pagelist_high_fraction: 0,
    }
}

fn import(text: &str) -> (MachineConfig, Vec<String>) {
    match parse_snapshot(text) {
        Ok(imported) => (imported.config, imported.notes),
        Err(error) => panic!("snapshot did not import: {error}"),
    }
}

fn snapshot_error(text: &str) -> SnapshotError {
    match parse_snapshot(text) {
        Ok(imported) => panic!("expected an error, got {:?}", imported.config),
        Err(error) => error,
    }
}

fn scenario_error(text: &str) -> String {
    match parse_scenario(text) {
        Ok(scenario) => panic!("expected an error, got {scenario:?}"),
        Err(error) => error.to_string(),
    }
}

/// `text` with one section (header and body) removed.
fn without_section(text: &str, source: &str) -> String {
    let header = format!("==> {source} <==");
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("==> ") && line.ends_with(" <==") {
            skipping = line == header;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_ne!(
        out.len(),
        text.len(),
        "the snapshot has no `{source}` section"
    );
    out
}

/// `text` with the body of section `source` replaced by `body`.
fn with_section_body(text: &str, source: &str, body: &str) -> String {
    let header = format!("==> {source} <==");
    let mut out = String::new();
    let mut skipping = false;
    let mut found = false;
    for line in text.lines() {
        if line.starts_with("==> ") && line.ends_with(" <==") {
            skipping = false;
            if line == header {
                out.push_str(line);
                out.push('\n');
                out.push_str(body);
                out.push('\n');
                skipping = true;
                found = true;
                continue;
            }
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(found, "the snapshot has no `{source}` section");
    out
}

/// A complete real snapshot gets no note about anything missing or odd: only the
/// note of what the `Memory:` line checked (and it matched zoneinfo exactly) and the
/// note of what was copied and what recomputed.
fn assert_only_summary_notes(notes: &[String]) {
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert!(
        notes[0].starts_with("dmesg's `Memory:` line")
            && notes[0].ends_with("exactly zoneinfo's managed total"),
        "{notes:#?}"
    );
    assert!(
        notes[1].starts_with("copied from the snapshot:"),
        "{notes:#?}"
    );
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` should occur exactly once"
    );
    text.replacen(from, to, 1)
}

// ---------------------------------------------------------------------------------
// The four real machines.

#[test]
fn a_1node_512m() {
    let (config, notes) = import(A);
    let expected = MachineConfig {
        // node 0: [mem 0x0000000000001000-0x000000000009efff]
        // node 0: [mem 0x0000000000100000-0x000000001ffdffff]
        nodes: vec![NodeConfig {
            memory: vec![r(0x1, 0x9f), r(0x100, 0x1ffe0)],
            cpus: vec![0, 1],
        }],
        distances: Some(vec![vec![10]]),
        section_size_bits: 27,
        kernelcore: None,
        movablecore: None,
        // "always madvise [never]": the kernel turns THP off below 512 MiB.
        thp: ThpMode::Never,
        sysctls: sysctls(2710, 10),
        reserved: vec![],
        managed: vec![
            managed(0, ZoneType::Dma, 3840),
            managed(0, ZoneType::Dma32, 113202),
        ],
        cma_bytes: None,
        movable_node: None,
        kernel: buddyscope_engine::types::Kernel::V6_1,
        mobility_grouping: None,
    };
    assert_eq!(config, expected);
    assert_only_summary_notes(&notes);
}

#[test]
fn b_1node_4g() {
    let (config, notes) = import(B);
    let expected = MachineConfig {
        // 0x1000-0x9efff, 0x100000-0xbffdffff, 0x100000000-0x13fffffff
        nodes: vec![NodeConfig {
            memory: vec![r(0x1, 0x9f), r(0x100, 0xbffe0), r(0x100000, 0x140000)],
            cpus: vec![0, 1],
        }],
        distances: Some(vec![vec![10]]),
        section_size_bits: 27,
        kernelcore: None,
        movablecore: None,
        thp: ThpMode::Always,
        sysctls: sysctls(67584, 10),
        reserved: vec![],
        managed: vec![
            managed(0, ZoneType::Dma, 3840),
            managed(0, ZoneType::Dma32, 754602),
            managed(0, ZoneType::Normal, 243845),
        ],
        cma_bytes: None,
        movable_node: None,
        kernel: buddyscope_engine::types::Kernel::V6_1,
        mobility_grouping: None,
    };
    assert_eq!(config, expected);
    assert_only_summary_notes(&notes);
}

#[test]
fn c_2node_1g_1g() {
    let (config, notes) = import(C);
    let expected = MachineConfig {
        // node 0: 0x1000-0x9efff, 0x100000-0x3fffffff; node 1: 0x40000000-0x7ffdffff
        nodes: vec![
            NodeConfig {
                memory: vec![r(0x1, 0x9f), r(0x100, 0x40000)],
                cpus: vec![0],
            },
            NodeConfig {
                memory: vec![r(0x40000, 0x7ffe0)],
                cpus: vec![1],
            },
        ],
        distances: Some(vec![vec![10, 20], vec![20, 10]]),
        section_size_bits: 27,
        kernelcore: None,
        movablecore: None,
        thp: ThpMode::Always,
        sysctls: sysctls(67584, 10),
        reserved: vec![],
        managed: vec![
            managed(0, ZoneType::Dma, 3840),
            managed(0, ZoneType::Dma32, 242525),
            managed(1, ZoneType::Dma32, 257897),
        ],
        cma_bytes: None,
        movable_node: None,
        kernel: buddyscope_engine::types::Kernel::V6_1,
        mobility_grouping: None,
    };
    assert_eq!(config, expected);
    assert_only_summary_notes(&notes);
}

#[test]
fn n_3node_equal_distance() {
    let (config, notes) = import(N);
    let expected = MachineConfig {
        // node 0: 0x1000-0x9efff, 0x100000-0x1fffffff; node 1: 0x20000000-0x3fffffff;
        // node 2: 0x40000000-0x5ffdffff (its cpulist is empty).
        nodes: vec![
            NodeConfig {
                memory: vec![r(0x1, 0x9f), r(0x100, 0x20000)],
                cpus: vec![0],
            },
            NodeConfig {
                memory: vec![r(0x20000, 0x40000)],
                cpus: vec![1],
            },
            NodeConfig {
                memory: vec![r(0x40000, 0x5ffe0)],
                cpus: vec![],
            },
        ],
        distances: Some(vec![vec![10, 20, 20], vec![20, 10, 20], vec![20, 20, 10]]),
        section_size_bits: 27,
        kernelcore: None,
        movablecore: None,
        movable_node: None,
        kernel: buddyscope_engine::types::Kernel::V6_1,
        mobility_grouping: None,
        // transparent_hugepage=never on the command line.
        thp: ThpMode::Never,
        sysctls: sysctls(4872, 10),
        reserved: vec![],
        managed: vec![
            managed(0, ZoneType::Dma, 3840),
            managed(0, ZoneType::Dma32, 113501),
            managed(1, ZoneType::Dma32, 128918),
            managed(2, ZoneType::Dma32, 128935),
        ],
        cma_bytes: None,
    };
    assert_eq!(config, expected);
    assert_only_summary_notes(&notes);
}

#[test]
fn e_1node_2g_wmark_sysctl() {
    let (config, notes) = import(E);
    let expected = MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![r(0x1, 0x9f), r(0x100, 0x7ffe0)],
            cpus: vec![0, 1],
        }],
        distances: Some(vec![vec![10]]),
        section_size_bits: 27,
        kernelcore: None,
        movablecore: None,
        thp: ThpMode::Always,
        // vm.min_free_kbytes=8192 and vm.watermark_scale_factor=100 written after boot.
        sysctls: sysctls(8192, 100),
        reserved: vec![],
        managed: vec![
            managed(0, ZoneType::Dma, 3840),
            managed(0, ZoneType::Dma32, 499698),
        ],
        cma_bytes: None,
        movable_node: None,
        kernel: buddyscope_engine::types::Kernel::V6_1,
        mobility_grouping: None,
    };
    assert_eq!(config, expected);
    assert_only_summary_notes(&notes);
}

#[test]
fn the_kernels_result_lines_are_not_needed() {
    // "Zone ranges", "Movable zone start" and the lines under them are results the
    // engine computes; removing them changes nothing.
    let trimmed: String = C
        .lines()
        .filter(|line| {
            !line.starts_with('[')
                || !(line.contains("Zone ranges")
                    || line.contains("Movable zone start")
                    || line.contains("  DMA  ")
                    || line.contains("  DMA32  ")
                    || line.contains("Normal   empty")
                    || line.contains("Device   empty")
                    || line.contains("Fallback order")
                    || line.contains("zonelist"))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(trimmed.len() < C.len());
    assert_eq!(import(&trimmed).0, import(C).0);
}

// ---------------------------------------------------------------------------------
// Round trips through the scenario format.

#[test]
fn imported_machines_round_trip_through_the_scenario_format() {
    for (name, text) in ALL {
        let (machine, _) = import(text);
        let scenario = Scenario {
            machine: machine.clone(),
            ..Scenario::default()
        };
        let toml = scenario_to_toml(&scenario);
        assert_eq!(parse_scenario(&toml), Ok(scenario), "{name}:\n{toml}");
        // load_machine reads both kinds to the same machine.
        assert_eq!(
            load_machine(text).map(|(machine, _)| machine),
            Ok(machine.clone()),
            "{name}"
        );
        assert_eq!(
            load_machine(&toml).map(|(machine, _)| machine),
            Ok(machine),
            "{name}"
        );
        assert_eq!(detect_kind(text), InputKind::Snapshot);
        assert_eq!(detect_kind(&toml), InputKind::Scenario);
    }
}

#[test]
fn the_printed_scenario_reads_like_the_documented_format() {
    let (machine, _) = import(C);
    let toml = scenario_to_toml(&Scenario {
        machine,
        ..Scenario::default()
    });
    for line in [
        "version = 1",
        "[machine]",
        "section_size_bits = 27",
        "thp = \"always\"",
        "  [10, 20],",
        "  [20, 10],",
        "[[machine.nodes]]",
        "memory = [\"0x1000-0x9efff\", \"0x100000-0x3fffffff\"]",
        "cpus = \"0\"",
        "memory = [\"0x40000000-0x7ffdffff\"]",
        "cpus = \"1\"",
        "[machine.sysctl]",
        "min_free_kbytes = 67584",
        "watermark_scale_factor = 10",
        "watermark_boost_factor = 15000",
        "lowmem_reserve_ratio = [256, 256, 32, 0, 0]",
        "percpu_pagelist_high_fraction = 0",
        "\"0:DMA\" = 3840",
        "\"0:DMA32\" = 242525",
        "\"1:DMA32\" = 257897",
    ] {
        assert!(
            toml.lines().any(|printed| printed.starts_with(line)),
            "no line `{line}` in:\n{toml}"
        );
    }
}

fn hand_built() -> Vec<MachineConfig> {
    let mut configs = vec![MachineConfig::default()];
    // Three nodes: memory and CPUs, CPUs only, memory only; everything set.
    configs.push(MachineConfig {
        nodes: vec![
            NodeConfig {
                memory: vec![r(0x1, 0x9f), r(0x100, 0x40000)],
                cpus: vec![0, 2, 4, 5, 6],
            },
            NodeConfig {
                memory: vec![],
                cpus: vec![1, 3],
            },
            NodeConfig {
                memory: vec![r(0x100000, 0x180000)],
                cpus: vec![],
            },
        ],
        distances: Some(vec![vec![10, 21, 31], vec![21, 10, 17], vec![30, 17, 10]]),
        section_size_bits: 27,
        kernelcore: Some(CoreSize::Bytes(512 << 20)),
        movablecore: Some(CoreSize::Percent(25)),
        thp: ThpMode::Madvise,
        sysctls: Sysctls {
            min_free_kbytes: None,
            watermark_scale_factor: 200,
            watermark_boost_factor: 0,
            lowmem_reserve_ratio: [1, 2, 3, 4, 5],
            percpu_pagelist_high_fraction: 8,
        },
        reserved: vec![r(0x1000, 0x1200), r(0x2000, 0x2001)],
        managed: vec![
            managed(0, ZoneType::Dma, 3000),
            managed(0, ZoneType::Dma32, 250000),
            managed(2, ZoneType::Movable, 5),
        ],
        cma_bytes: None,
        movable_node: None,
        kernel: buddyscope_engine::types::Kernel::V6_1,
        mobility_grouping: None,
    });
    // Odd but representable values: empty ranges, sizes without a suffix, 0%,
    // unordered CPUs, many ranges, an empty distance matrix.
    configs.push(MachineConfig {
        nodes: vec![NodeConfig {
            memory: vec![
                r(0x10, 0x10),
                r(0x20, 0x30),
                r(0x40, 0x50),
                r(0x60, 0x70),
                r(0xfffffffff, 0x10000000000),
            ],
            cpus: vec![3, 1, 2, 2, 8191],
        }],
        distances: Some(vec![]),
        section_size_bits: 30,
        kernelcore: Some(CoreSize::Bytes(12345)),
        movablecore: Some(CoreSize::Percent(0)),
        thp: ThpMode::Never,
        sysctls: Sysctls {
            min_free_kbytes: Some(0),
            ..Sysctls::default()
        },
        reserved: vec![],
        managed: vec![],
        cma_bytes: None,
        movable_node: None,
        kernel: buddyscope_engine::types::Kernel::V6_1,
        mobility_grouping: None,
    });
    // No nodes at all, 100%, a zero size.
    configs.push(MachineConfig {
        nodes: vec![],
        kernelcore: Some(CoreSize::Bytes(0)),
        movablecore: Some(CoreSize::Percent(100)),
        ..MachineConfig::default()
    });
    configs
}

#[test]
fn hand_built_machines_round_trip() {
    for machine in hand_built() {
        let scenario = Scenario {
            machine,
            ..Scenario::default()
        };
        let toml = scenario_to_toml(&scenario);
        assert_eq!(parse_scenario(&toml), Ok(scenario.clone()), "\n{toml}");
        assert_eq!(scenario_to_toml(&parse_scenario(&toml).unwrap()), toml);
    }
}

#[test]
fn managed_counts_are_written_sorted() {
    let machine = MachineConfig {
        managed: vec![
            managed(1, ZoneType::Normal, 7),
            managed(0, ZoneType::Movable, 5),
            managed(0, ZoneType::Normal, 6),
        ],
        ..MachineConfig::default()
    };
    let parsed = parse_scenario(&scenario_to_toml(&Scenario {
        machine,
        ..Scenario::default()
    }))
    .unwrap();
    assert_eq!(
        parsed.machine.managed,
        vec![
            managed(0, ZoneType::Normal, 6),
            managed(0, ZoneType::Movable, 5),
            managed(1, ZoneType::Normal, 7)
        ]
    );
}

// ---------------------------------------------------------------------------------
// Scenario defaults and the accepted syntax.

#[test]
fn a_scenario_can_be_three_lines() {
    assert_eq!(parse_scenario(""), Ok(Scenario::default()));
    assert_eq!(parse_scenario("version = 1\n"), Ok(Scenario::default()));
    let scenario = parse_scenario("version = 1\n[machine]\nthp = \"never\"\n").unwrap();
    assert_eq!(
        scenario.machine,
        MachineConfig {
            thp: ThpMode::Never,
            ..MachineConfig::default()
        }
    );
}

#[test]
fn a_lone_node_without_cpus_gets_the_default_cpus() {
    // The README's three-line scenario: 2 GiB less the first MiB, CPUs 0-1.
    let short = "version = 1\n[[machine.nodes]]\nmemory = [\"0x100000-0x7fffffff\"]\n";
    let (config, notes) = load_machine(short).unwrap();
    assert_eq!(
        config.nodes,
        vec![NodeConfig {
            memory: vec![r(0x100, 0x80000)],
            cpus: vec![0, 1]
        }]
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("node 0 has no `cpus` key") && n.contains("0-1")),
        "{notes:?}"
    );
    assert!(buddyscope_engine::machine::Machine::build(&config).is_ok());
    // `cpus = ""` says no CPUs: still refused, as before.
    let empty = format!("{short}cpus = \"\"\n");
    let (config, _) = load_machine(&empty).unwrap();
    assert_eq!(config.nodes[0].cpus, Vec::<u32>::new());
    let error = buddyscope_engine::machine::Machine::build(&config).unwrap_err();
    assert!(
        error.message.contains("CPU 0, the boot CPU"),
        "{}",
        error.message
    );
    // Two nodes without `cpus` keys get no default: which node holds the boot CPU is
    // the user's to say.
    let two = format!("{short}[[machine.nodes]]\nmemory = [\"0x80000000-0xbfffffff\"]\n");
    let (config, _) = load_machine(&two).unwrap();
    assert!(config.nodes.iter().all(|n| n.cpus.is_empty()));
    // The default machine, which the note of a missing [machine] describes.
    let (config, notes) = load_machine("version = 1\n").unwrap();
    assert_eq!(config, MachineConfig::default());
    assert_eq!(
        config.nodes[0].memory,
        vec![r(0x1, 0x9f), r(0x100, 0x1ffe0)]
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("512 MiB") && n.contains("CPUs 0-1")),
        "{notes:?}"
    );
}

#[test]
fn scenario_values_use_kernel_syntax() {
    let text = r#"
version = 1
[machine]
kernelcore = "1G"
movablecore = "0x19%"
reserved = ["[mem 0x01000000-0x01ffffff]"]

[[machine.nodes]]
memory = ["0x1000-0x9efff", "1G@0x100000"]
cpus = "0-3,8"

[[machine.nodes]]
memory = ["512m@4G"]

[machine.sysctl]
watermark_scale_factor = 100
"#;
    let machine = parse_scenario(text).unwrap().machine;
    assert_eq!(machine.kernelcore, Some(CoreSize::Bytes(0x4000_0000)));
    assert_eq!(machine.movablecore, Some(CoreSize::Percent(25)));
    assert_eq!(machine.reserved, vec![r(0x1000, 0x2000)]);
    assert_eq!(
        machine.nodes,
        vec![
            NodeConfig {
                memory: vec![r(0x1, 0x9f), r(0x100, 0x40100)],
                cpus: vec![0, 1, 2, 3, 8]
            },
            NodeConfig {
                memory: vec![r(0x100000, 0x120000)],
                cpus: vec![]
            },
        ]
    );
    assert_eq!(
        machine.sysctls,
        Sysctls {
            watermark_scale_factor: 100,
            ..Sysctls::default()
        }
    );
    assert_eq!(machine.thp, ThpMode::Always);
    assert_eq!(machine.distances, None);
}

// ---------------------------------------------------------------------------------
// Snapshot sections that are missing or different.

#[test]
fn kernelcore_and_movablecore_from_the_command_line() {
    let text = with_section_body(
        B,
        "/proc/cmdline",
        "console=ttyS0 kernelcore=512M movablecore=25% nokaslr",
    );
    let (config, _) = import(&text);
    assert_eq!(config.kernelcore, Some(CoreSize::Bytes(512 << 20)));
    assert_eq!(config.movablecore, Some(CoreSize::Percent(25)));

    let text = with_section_body(B, "/proc/cmdline", "kernelcore=0x40000000 movablecore=2g");
    let (config, _) = import(&text);
    assert_eq!(config.kernelcore, Some(CoreSize::Bytes(1 << 30)));
    assert_eq!(config.movablecore, Some(CoreSize::Bytes(2 << 30)));

    // Everything after `--` belongs to init.
    let text = with_section_body(B, "/proc/cmdline", "console=ttyS0 -- kernelcore=1G");
    assert_eq!(import(&text).0.kernelcore, None);
}

#[test]
fn the_command_line_falls_back_to_dmesg() {
    let text = without_section(B, "/proc/cmdline");
    let text = text.replace(
        "Kernel command line: console=ttyS0",
        "Kernel command line: movablecore=1G console=ttyS0",
    );
    let (config, notes) = import(&text);
    assert_eq!(config.movablecore, Some(CoreSize::Bytes(1 << 30)));
    assert!(
        notes
            .iter()
            .any(|note| note.contains("/proc/cmdline") && note.contains("dmesg")),
        "{notes:?}"
    );
}

#[test]
fn dmesg_alone_is_enough() {
    // Only the dmesg section of b (4 GiB): every other value is a default, and each
    // default is named in a note.
    let dmesg_only: String = B.split("==> /proc/cmdline <==").next().unwrap().to_string();
    let (config, notes) = import(&dmesg_only);
    assert_eq!(
        config.nodes,
        vec![NodeConfig {
            memory: vec![r(0x1, 0x9f), r(0x100, 0xbffe0), r(0x100000, 0x140000)],
            // "smp: Brought up 1 node, 2 CPUs"
            cpus: vec![0, 1],
        }]
    );
    assert_eq!(config.distances, None);
    assert_eq!(config.sysctls, Sysctls::default());
    assert_eq!(config.thp, ThpMode::Always);
    assert_eq!(config.managed, vec![]);
    for missing in [
        "/proc/cmdline",
        "/proc/zoneinfo",
        "/proc/sys/vm/min_free_kbytes",
        "/proc/sys/vm/watermark_scale_factor",
        "/proc/sys/vm/watermark_boost_factor",
        "/proc/sys/vm/lowmem_reserve_ratio",
        "/proc/sys/vm/percpu_pagelist_high_fraction",
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "cpulist",
    ] {
        assert!(
            notes.iter().any(|note| note.contains(missing)),
            "no note on `{missing}`: {notes:#?}"
        );
    }

    // Without headers at all, the text is dmesg.
    let bare = dmesg_only.replacen("==> dmesg <==\n", "", 1);
    let (machine, notes) = load_machine(&bare).unwrap();
    assert_eq!(machine.nodes, config.nodes);
    assert!(
        notes.iter().any(|note| note.contains("read as `dmesg`")),
        "{notes:?}"
    );
}

#[test]
fn thp_defaults_follow_the_kernels_boot_rules() {
    // a has 512 MiB of which ~457 MiB are managed: without the sysfs file the kernel's
    // rule (THP off below 512 MiB of RAM) gives never.
    let (config, notes) = import(&without_section(
        A,
        "/sys/kernel/mm/transparent_hugepage/enabled",
    ));
    assert_eq!(config.thp, ThpMode::Never);
    assert!(
        notes.iter().any(|note| note.contains("512 MiB")),
        "{notes:?}"
    );
    // b has 4 GiB: Debian's default, always.
    let (config, _) = import(&without_section(
        B,
        "/sys/kernel/mm/transparent_hugepage/enabled",
    ));
    assert_eq!(config.thp, ThpMode::Always);
    // The command line's transparent_hugepage= counts when the file is missing.
    let text = with_section_body(B, "/proc/cmdline", "transparent_hugepage=madvise");
    let (config, _) = import(&without_section(
        &text,
        "/sys/kernel/mm/transparent_hugepage/enabled",
    ));
    assert_eq!(config.thp, ThpMode::Madvise);
    // The file wins over everything.
    let text = with_section_body(
        B,
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "always [madvise] never",
    );
    assert_eq!(import(&text).0.thp, ThpMode::Madvise);
}

#[test]
fn cpus_fall_back_to_the_online_list() {
    // Without zoneinfo, whose pagesets would list CPUs 0-1 against the edited 0-3,6
    // (an error: see cpu_sources_that_disagree).
    let text = without_section(B, "/proc/zoneinfo");
    let text = without_section(&text, "/sys/devices/system/node/node0/cpulist");
    let text = with_section_body(&text, "/sys/devices/system/cpu/online", "0-3,6");
    let (config, notes) = import(&text);
    assert_eq!(config.nodes[0].cpus, vec![0, 1, 2, 3, 6]);
    assert!(
        notes
            .iter()
            .any(|note| note.contains("/sys/devices/system/cpu/online")),
        "{notes:?}"
    );
}

const SPARSE: &str = "\
==> dmesg <==
[    0.000000] Linux version 6.1.0-56-amd64
[    0.000000] Early memory node ranges
[    0.000000]   node   0: [mem 0x0000000000001000-0x000000000009efff]
[    0.000000]   node   0: [mem 0x0000000000100000-0x000000003fffffff]
[    0.000000]   node   2: [mem 0x0000000040000000-0x000000007fffffff]
[    0.000000] Initmem setup node 0 [mem 0x0000000000001000-0x000000003fffffff]
[    0.000000] Initmem setup node 2 [mem 0x0000000040000000-0x000000007fffffff]

==> /sys/devices/system/node/node0/cpulist <==
0-1

==> /sys/devices/system/node/node2/cpulist <==


==> /sys/devices/system/node/node3/cpulist <==
2-3

==> /sys/devices/system/node/node0/distance <==
10 20 30

==> /sys/devices/system/node/node2/distance <==
20 10 25

==> /sys/devices/system/node/node3/distance <==
30 25 10
";

#[test]
fn cpu_only_memory_only_and_missing_nodes() {
    let (config, notes) = import(SPARSE);
    assert_eq!(
        config.nodes,
        vec![
            NodeConfig {
                memory: vec![r(0x1, 0x9f), r(0x100, 0x40000)],
                cpus: vec![0, 1]
            },
            NodeConfig {
                memory: vec![],
                cpus: vec![]
            },
            NodeConfig {
                memory: vec![r(0x40000, 0x80000)],
                cpus: vec![]
            },
            NodeConfig {
                memory: vec![],
                cpus: vec![2, 3]
            },
        ]
    );
    // sysfs rows have one entry per online node (0, 2, 3); node 1 gets 10/20.
    assert_eq!(
        config.distances,
        Some(vec![
            vec![10, 20, 20, 30],
            vec![20, 10, 20, 20],
            vec![20, 20, 10, 25],
            vec![30, 20, 25, 10]
        ])
    );
    assert!(
        notes.iter().any(|note| note.contains("node 1")),
        "{notes:?}"
    );
}

/// A machine whose firmware numbers its proximity domains unlike the node ids: the
/// first CPU's PXM (1) becomes node 0, the second CPU's (3) node 1, and PXM 0, met
/// only among the memory entries, node 2 (`acpi_map_pxm_to_node()` hands out ids in
/// the order `acpi_numa_init()` meets the PXMs: CPU entries, then memory). Every
/// later line, sysfs included, speaks of node ids.
const RENUMBERED: &str = "\
==> dmesg <==
[    0.000000] Linux version 6.1.0-56-amd64
[    0.010000] ACPI: SRAT 0x000000007FFE1AF1 000150 (v01 BOCHS  BXPC     00000001 BXPC 00000001)
[    0.010000] ACPI: SLIT 0x000000007FFE1C41 00003C (v01 BOCHS  BXPC     00000001 BXPC 00000001)
[    0.020000] SRAT: PXM 1 -> APIC 0x00 -> Node 0
[    0.020000] SRAT: PXM 3 -> APIC 0x01 -> Node 1
[    0.020000] ACPI: SRAT: Node 0 PXM 1 [mem 0x00000000-0x0009ffff]
[    0.020000] ACPI: SRAT: Node 0 PXM 1 [mem 0x00100000-0x3fffffff]
[    0.020000] ACPI: SRAT: Node 1 PXM 3 [mem 0x40000000-0x7fffffff]
[    0.020000] ACPI: SRAT: Node 2 PXM 0 [mem 0x80000000-0xbfffffff]
[    0.020000] NUMA: Initialized distance table, cnt=3
[    0.030000] Early memory node ranges
[    0.030000]   node   0: [mem 0x0000000000001000-0x000000000009efff]
[    0.030000]   node   0: [mem 0x0000000000100000-0x000000003fffffff]
[    0.030000]   node   1: [mem 0x0000000040000000-0x000000007fffffff]
[    0.030000]   node   2: [mem 0x0000000080000000-0x00000000bfffffff]

==> /sys/devices/system/node/node0/cpulist <==
0

==> /sys/devices/system/node/node0/distance <==
10 17 28

==> /sys/devices/system/node/node1/cpulist <==
1

==> /sys/devices/system/node/node1/distance <==
17 10 21

==> /sys/devices/system/node/node2/cpulist <==


==> /sys/devices/system/node/node2/distance <==
28 23 10
";

#[test]
fn node_ids_and_distances_are_the_kernels_not_the_firmwares_pxms() {
    let (config, _) = import(RENUMBERED);
    assert_eq!(
        config.nodes,
        vec![
            NodeConfig {
                memory: vec![r(0x1, 0x9f), r(0x100, 0x40000)],
                cpus: vec![0]
            },
            NodeConfig {
                memory: vec![r(0x40000, 0x80000)],
                cpus: vec![1]
            },
            NodeConfig {
                memory: vec![r(0x80000, 0xc0000)],
                cpus: vec![]
            },
        ]
    );
    // The rows as sysfs printed them, by node id (asymmetric: 1 -> 2 is 21, 2 -> 1 23).
    assert_eq!(
        config.distances,
        Some(vec![vec![10, 17, 28], vec![17, 10, 21], vec![28, 23, 10]])
    );
    // Boot zonelists by hand (no CPU penalty at boot; M = 1024):
    //   0: 1 17M (load[1]=1), then 2 28M (new distance: load[2]=1).
    //   1: 0 18M, 2 21M+1 -> 0 (load[0]=1), then 2 (load[2]=2).
    //   2: 0 29M+1, 1 24M+1 -> 1 (load[1]=2), then 0.
    let machine = buddyscope_engine::machine::Machine::build(&config).unwrap();
    let log = buddyscope_engine::report::proc::zonelists_boot_log(&machine);
    for line in [
        "Fallback order for Node 0: 0 1 2\n",
        "Fallback order for Node 1: 1 0 2\n",
        "Fallback order for Node 2: 2 1 0\n",
    ] {
        assert!(log.contains(line), "{line:?} in\n{log}");
    }
}

// ---------------------------------------------------------------------------------
// Bad snapshots: each error names the section and what was expected.

#[test]
fn missing_early_memory_node_ranges() {
    let text = replace_once(B, "Early memory node ranges", "Early memory node rangez");
    let error = snapshot_error(&text);
    assert_eq!(error.section.as_deref(), Some("dmesg"));
    let message = error.to_string();
    assert!(message.starts_with("section `dmesg`"), "{message}");
    assert!(
        message.contains("no \"Early memory node ranges\" lines"),
        "{message}"
    );
    assert!(message.contains("node   0: [mem 0x"), "{message}");

    let error = snapshot_error(&without_section(B, "dmesg"));
    assert!(error.to_string().contains("no `dmesg` section"), "{error}");
}

#[test]
fn garbled_range_line() {
    let text = replace_once(
        B,
        "node   0: [mem 0x0000000000100000-0x00000000bffdffff]",
        "node   0: [mem 0x0000000000100000-0x00000000bffdfzzz]",
    );
    let error = snapshot_error(&text);
    let message = error.to_string();
    assert!(
        message.starts_with("section `dmesg` (line 52)"),
        "{message}"
    );
    assert!(message.contains("0x00000000bffdfzzz"), "{message}");
    assert!(message.contains("expected a line like"), "{message}");

    // Numbers that parse but are not a page-aligned range.
    let text = replace_once(
        B,
        "node   0: [mem 0x0000000000100000-0x00000000bffdffff]",
        "node   0: [mem 0x0000000000100000-0x00000000bffdf000]",
    );
    let message = snapshot_error(&text).to_string();
    assert!(
        message.starts_with("section `dmesg` (line 52)") && message.contains("last byte of a page"),
        "{message}"
    );

    // Beyond 2^52 bytes.
    let text = replace_once(
        B,
        "node   0: [mem 0x0000000100000000-0x000000013fffffff]",
        "node   0: [mem 0x0000000100000000-0x0010000000000fff]",
    );
    let message = snapshot_error(&text).to_string();
    assert!(message.contains("52-bit"), "{message}");

    // A node id beyond the limit.
    let text = replace_once(
        B,
        "node   0: [mem 0x0000000100000000",
        "node 1024: [mem 0x0000000100000000",
    );
    let message = snapshot_error(&text).to_string();
    assert!(message.contains("1024 nodes"), "{message}");
}

#[test]
fn truncated_snapshots() {
    // Cut inside the second range line.
    let cut = B
        .find("node   0: [mem 0x0000000000100000-0x00000000bffd")
        .unwrap()
        + 30;
    let message = snapshot_error(&B[..cut]).to_string();
    assert!(
        message.starts_with("section `dmesg` (line 52)"),
        "{message}"
    );
    assert!(
        message.contains("cannot read the memory range line"),
        "{message}"
    );

    // Cut right after the header line.
    let cut = B.find("Early memory node ranges").unwrap() + "Early memory node ranges\n".len();
    let message = snapshot_error(&B[..cut]).to_string();
    assert!(
        message.starts_with("section `dmesg` (line 50)"),
        "{message}"
    );
    assert!(message.contains("truncated"), "{message}");

    // Cut right after the last range line: it imports, with a warning.
    let line = "node   0: [mem 0x0000000100000000-0x000000013fffffff]\n";
    let cut = B.find(line).unwrap() + line.len();
    let (config, notes) = import(&B[..cut]);
    assert_eq!(config.nodes[0].memory.len(), 3);
    assert!(
        notes.iter().any(|note| note.contains("cut short")),
        "{notes:?}"
    );

    // Cut inside zoneinfo, between a zone's `present` and `managed` lines.
    let cut = B.find("        managed  754602").unwrap();
    let message = snapshot_error(&B[..cut]).to_string();
    assert!(message.starts_with("section `/proc/zoneinfo`"), "{message}");
    assert!(message.contains("no `managed` line"), "{message}");
}

#[test]
fn kernelcore_mirror_is_not_modelled() {
    let text = with_section_body(B, "/proc/cmdline", "console=ttyS0 kernelcore=mirror");
    let error = snapshot_error(&text);
    assert_eq!(error.section.as_deref(), Some("/proc/cmdline"));
    let message = error.to_string();
    assert!(
        message.contains("kernelcore=mirror") && message.contains("not modelled"),
        "{message}"
    );

    let message = scenario_error("[machine]\nkernelcore = \"mirror\"\n");
    assert!(
        message.contains("machine.kernelcore") && message.contains("not modelled"),
        "{message}"
    );
}

#[test]
fn bad_kernelcore_values() {
    let text = with_section_body(B, "/proc/cmdline", "movablecore=150%");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("/proc/cmdline") && message.contains("movablecore=150%"),
        "{message}"
    );
    let text = with_section_body(B, "/proc/cmdline", "kernelcore=lots");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("/proc/cmdline") && message.contains("kernelcore=lots"),
        "{message}"
    );
}

#[test]
fn garbled_distance_row() {
    let text = with_section_body(C, "/sys/devices/system/node/node1/distance", "1x 10");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.starts_with("section `/sys/devices/system/node/node1/distance`"),
        "{message}"
    );
    assert!(
        message.contains("expected whole numbers separated by spaces, found `1x`"),
        "{message}"
    );
}

#[test]
fn non_square_distance_matrix() {
    let text = with_section_body(C, "/sys/devices/system/node/node1/distance", "20 10 30");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.starts_with("section `/sys/devices/system/node/node1/distance`"),
        "{message}"
    );
    assert!(message.contains("square"), "{message}");

    // A node with memory but no row.
    let text = without_section(C, "/sys/devices/system/node/node1/distance");
    let text = with_section_body(&text, "/sys/devices/system/node/node0/distance", "10");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("node1/distance") && message.contains("node 1 has memory"),
        "{message}"
    );
}

#[test]
fn other_bad_sections() {
    let text = with_section_body(B, "/proc/sys/vm/watermark_scale_factor", "ten");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.starts_with("section `/proc/sys/vm/watermark_scale_factor`")
            && message.contains("`ten`"),
        "{message}"
    );

    let text = with_section_body(B, "/proc/sys/vm/lowmem_reserve_ratio", "256 256 32");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("lowmem_reserve_ratio") && message.contains("5 numbers"),
        "{message}"
    );

    let text = with_section_body(
        B,
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "always madvise never",
    );
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("transparent_hugepage/enabled") && message.contains("brackets"),
        "{message}"
    );

    let text = with_section_body(B, "/sys/devices/system/node/node0/cpulist", "0-x");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("node0/cpulist") && message.contains("0-x"),
        "{message}"
    );

    let text = with_section_body(B, "/sys/devices/system/node/node0/cpulist", "0-9000");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("node0/cpulist") && message.contains("8192"),
        "{message}"
    );

    let text = replace_once(B, "Node 0, zone   Normal\n", "Node 0, zone  HighMem\n");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("/proc/zoneinfo") && message.contains("HighMem"),
        "{message}"
    );

    let text = format!("{B}\n==> /proc/sys/vm/min_free_kbytes <==\n1024\n");
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("min_free_kbytes") && message.contains("twice"),
        "{message}"
    );

    // Managed pages on a node dmesg shows no memory for.
    let text = replace_once(
        C,
        "  node   1: [mem 0x0000000040000000-0x000000007ffdffff]",
        "  node   0: [mem 0x0000000040000000-0x000000007ffdffff]",
    );
    let message = snapshot_error(&text).to_string();
    assert!(
        message.contains("/proc/zoneinfo") && message.contains("node 1"),
        "{message}"
    );
}

#[test]
fn oversize_inputs_are_refused() {
    let big = format!("{B}{}", " ".repeat(SNAPSHOT_BYTES_MAX));
    let message = snapshot_error(&big).to_string();
    assert!(message.contains("16 MiB"), "{message}");
    let message = load_machine(&big).unwrap_err();
    assert!(message.contains("16 MiB"), "{message}");

    let big = format!("version = 1\n#{}\n", "x".repeat(SCENARIO_BYTES_MAX));
    assert_eq!(
        parse_scenario(&big),
        Err(ScenarioError::TooLarge { bytes: big.len() })
    );
    let message = load_machine(&big).unwrap_err();
    assert!(
        message.contains("for a scenario") && message.contains("65 MiB"),
        "{message}"
    );
    // A scenario between the two limits is read as a scenario, not refused as a
    // snapshot would be.
    let between = format!(
        "version = 1\n#{}\n[[machine.nodes]]\nmemory = [\"0x0-0x1fffffff\"]\ncpus = \"0\"\n",
        "x".repeat(SNAPSHOT_BYTES_MAX)
    );
    let (machine, _) = load_machine(&between).unwrap();
    assert_eq!(machine.nodes.len(), 1);
}

// ---------------------------------------------------------------------------------
// Bad scenarios.

#[test]
fn scenario_unknown_keys_are_named() {
    let message = scenario_error("version = 1\n[machine]\nthp = \"never\"\nbogus = 3\n");
    assert!(
        message.contains("line 4") && message.contains("bogus"),
        "{message}"
    );
    let message = scenario_error("[[machine.nodes]]\nmemory = []\ncpu = \"0\"\n");
    assert!(
        message.contains("line 3") && message.contains("`cpu`"),
        "{message}"
    );
    let message = scenario_error("[machine.sysctl]\nswappiness = 60\n");
    assert!(message.contains("swappiness"), "{message}");
    let message = scenario_error("workload = 1\n");
    assert!(message.contains("workload"), "{message}");
}

#[test]
fn scenario_versions() {
    assert_eq!(
        scenario_error("version = 2\n[machine]\nnew_thing = true\n"),
        "scenario version 2 is newer than this Buddyscope understands (1)"
    );
    let message = scenario_error("version = 0\n");
    assert!(message.contains("`version` must be 1"), "{message}");
    let message = scenario_error("version = \"1\"\n");
    assert!(message.contains("`version` must be 1"), "{message}");
}

#[test]
fn scenario_malformed_values_name_the_field() {
    for (text, field, bad) in [
        (
            "[[machine.nodes]]\nmemory = [\"0x1000-\"]\n",
            "machine.nodes.memory",
            "0x1000-",
        ),
        (
            "[[machine.nodes]]\nmemory = [\"0x1000-0x9f000\"]\n",
            "machine.nodes.memory",
            "0x1000-0x9f000",
        ),
        (
            "[[machine.nodes]]\nmemory = [\"12Z@0\"]\n",
            "machine.nodes.memory",
            "12Z@0",
        ),
        (
            "[[machine.nodes]]\ncpus = \"0-a\"\n",
            "machine.nodes.cpus",
            "0-a",
        ),
        (
            "[[machine.nodes]]\ncpus = \"3-1\"\n",
            "machine.nodes.cpus",
            "3-1",
        ),
        (
            "[machine]\nreserved = [\"0x2000-0x1fff\"]\n",
            "machine.reserved",
            "0x2000-0x1fff",
        ),
        (
            "[machine]\nkernelcore = \"512MB\"\n",
            "machine.kernelcore",
            "512MB",
        ),
        (
            "[machine]\nmovablecore = \"101%\"\n",
            "machine.movablecore",
            "101%",
        ),
        (
            "[machine]\nthp = \"sometimes\"\n",
            "machine.thp",
            "sometimes",
        ),
        (
            "[machine.managed]\n\"0:HighMem\" = 1\n",
            "machine.managed",
            "0:HighMem",
        ),
        (
            "[machine.sysctl]\nlowmem_reserve_ratio = [256, 32]\n",
            "machine.sysctl.lowmem_reserve_ratio",
            "found 2",
        ),
    ] {
        let message = scenario_error(text);
        assert!(
            message.contains(field) && message.contains(bad),
            "{text}: {message}"
        );
        assert!(message.contains("line "), "{text}: {message}");
    }
    // Wrong types and broken TOML keep toml's position.
    let message = scenario_error("[machine]\nsection_size_bits = \"27\"\n");
    assert!(message.contains("line 2"), "{message}");
    let message = scenario_error("[machine\n");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn load_machine_says_what_it_read() {
    let message = load_machine("[machine]\nbogus = 1\n").unwrap_err();
    assert!(message.starts_with("reading a scenario file"), "{message}");
    let message = load_machine("==> dmesg <==\nnothing here\n").unwrap_err();
    assert!(
        message.starts_with("reading a machine snapshot"),
        "{message}"
    );
    // `==>` inside a line is not a header.
    assert_eq!(detect_kind("x = \"a ==> b <==\"\n"), InputKind::Scenario);
    assert_eq!(detect_kind(" ==> dmesg <==\n"), InputKind::Scenario);
}

// ---------------------------------------------------------------------------------
// Never panic.

fn feed(text: &str) {
    let _ = parse_snapshot(text);
    let _ = parse_scenario(text);
    let _ = load_machine(text);
}

fn prefixes(text: &str) -> impl Iterator<Item = &str> {
    (0..text.len())
        .step_by(997)
        .filter(|&end| text.is_char_boundary(end))
        .map(move |end| &text[..end])
}

fn mutations(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut all = bytes.to_vec();
    for (count, index) in (0..bytes.len()).step_by(101).enumerate() {
        let mut one = bytes.to_vec();
        one[index] = match count % 6 {
            0 => bytes[index] ^ (1 << (index % 8)),
            1 => b'\n',
            2 => b'-',
            3 => b'[',
            4 => b'9',
            _ => 0xff,
        };
        all[index] ^= 0x20;
        out.push(String::from_utf8_lossy(&one).into_owned());
    }
    out.push(String::from_utf8_lossy(&all).into_owned());
    out
}

#[test]
fn parsers_never_panic_on_prefixes_and_mutations() {
    for snapshot in ALL.iter().map(|(_, text)| *text).chain([MOVABLE_NODE]) {
        for prefix in prefixes(snapshot) {
            feed(prefix);
        }
        for mutated in mutations(snapshot) {
            feed(&mutated);
        }
    }
    for machine in hand_built() {
        let toml = scenario_to_toml(&Scenario {
            machine,
            ..Scenario::default()
        });
        for prefix in (0..toml.len())
            .filter(|&end| toml.is_char_boundary(end))
            .map(|end| &toml[..end])
        {
            feed(prefix);
        }
        for mutated in mutations(&toml) {
            feed(&mutated);
        }
    }
    for odd in [
        "",
        "\n",
        "==>  <==",
        "==> dmesg <==",
        "==> dmesg <==\n[",
        "\u{feff}version = 1",
        "[[machine.nodes]]\ncpus = \"0-4294967295\"\n",
    ] {
        feed(odd);
    }
}

/// The full example in the `scenario` module's documentation.
const DOC_EXAMPLE: &str = r#"version = 1

[machine]
section_size_bits = 27
thp = "always"              # always | madvise | never
kernelcore = "512M"          # optional: bytes (K, M, G, T suffixes) or "25%"
movablecore = "25%"          # optional
distances = [                # optional: the SLIT, distances[from][to]
  [10, 20],
  [20, 10],
]
reserved = []                # physical byte ranges kept by the kernel

# node 0
[[machine.nodes]]
memory = ["0x1000-0x9efff", "0x100000-0x3fffffff"]
cpus = "0"

# node 1
[[machine.nodes]]
memory = ["1G@0x40000000"]   # SIZE@START works too
cpus = "1"

[machine.sysctl]
min_free_kbytes = 67584      # optional: absent = computed by the kernel's rules
watermark_scale_factor = 10
watermark_boost_factor = 15000
lowmem_reserve_ratio = [256, 256, 32, 0, 0]
percpu_pagelist_high_fraction = 0

[machine.managed]            # optional: managed pages copied from a real machine
"0:DMA" = 3840
"0:DMA32" = 242525
"#;

#[test]
fn the_documented_example_parses() {
    let source = include_str!("../../src/scenario/mod.rs");
    let documented: String = source
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .skip_while(|line| !line.starts_with("A full example"))
        .skip_while(|line| *line != "```toml")
        .skip(1)
        .take_while(|line| *line != "```")
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(
        documented, DOC_EXAMPLE,
        "keep DOC_EXAMPLE in step with the module documentation"
    );
    let machine = parse_scenario(DOC_EXAMPLE).unwrap().machine;
    assert_eq!(
        machine,
        MachineConfig {
            nodes: vec![
                NodeConfig {
                    memory: vec![r(0x1, 0x9f), r(0x100, 0x40000)],
                    cpus: vec![0]
                },
                NodeConfig {
                    memory: vec![r(0x40000, 0x80000)],
                    cpus: vec![1]
                },
            ],
            distances: Some(vec![vec![10, 20], vec![20, 10]]),
            section_size_bits: 27,
            kernelcore: Some(CoreSize::Bytes(512 << 20)),
            movablecore: Some(CoreSize::Percent(25)),
            thp: ThpMode::Always,
            sysctls: sysctls(67584, 10),
            reserved: vec![],
            managed: vec![
                managed(0, ZoneType::Dma, 3840),
                managed(0, ZoneType::Dma32, 242525)
            ],
            cma_bytes: None,
            movable_node: None,
            kernel: buddyscope_engine::types::Kernel::V6_1,
            mobility_grouping: None,
        }
    );
}

#[test]
fn a_byte_order_mark_is_ignored() {
    assert_eq!(import(&format!("\u{feff}{C}")).0, import(C).0);
    assert_eq!(
        parse_scenario("\u{feff}version = 1\n"),
        Ok(Scenario::default())
    );
    assert_eq!(detect_kind(&format!("\u{feff}{C}")), InputKind::Snapshot);
}

// ---------------------------------------------------------------------------------
// Nothing silent: the kernel version, sources that disagree, the accounting lines,
// movable_node, and what was copied or recomputed. Each case is a real snapshot
// edited by hand; the expected numbers are read off the files.

const MOVABLE_NODE: &str = include_str!("../data/import/movable-node-8x64G.snapshot");

const C_VERSION: &str = "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian \
                         12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC \
                         Debian 6.1.192-2 (2026-11-16)";

const THP_FILE: &str = "/sys/kernel/mm/transparent_hugepage/enabled";

/// The one note holding every one of `words`; fails listing the notes if none does.
fn note_with<'a>(notes: &'a [String], words: &[&str]) -> &'a str {
    match notes
        .iter()
        .find(|note| words.iter().all(|word| note.contains(word)))
    {
        Some(note) => note,
        None => panic!("no note says all of {words:?}; the notes are {notes:#?}"),
    }
}

/// The body of section `source` (the lines after its header, up to the next).
fn section_body(text: &str, source: &str) -> String {
    let header = format!("==> {source} <==");
    let mut lines = text.lines().skip_while(|line| *line != header).skip(1);
    let mut body = Vec::new();
    for line in lines.by_ref() {
        if line.starts_with("==> ") && line.ends_with(" <==") {
            break;
        }
        body.push(line);
    }
    assert!(!body.is_empty(), "no `{source}` section");
    body.join("\n")
}

fn with_version(text: &str, version_line: &str) -> String {
    replace_once(text, C_VERSION, version_line)
}

#[test]
fn the_kernel_version_is_read_and_a_6_1_kernel_gets_no_version_note() {
    let imported = parse_snapshot(C).expect("c imports");
    assert_eq!(
        imported.kernel,
        Some(KernelVersion {
            release: "6.1.0-56-amd64".to_string(),
            major_minor: Some((6, 1)),
            distribution: Some("Debian"),
        })
    );
    assert!(
        !imported
            .notes
            .iter()
            .any(|note| note.contains("Buddyscope models Linux 6.1")),
        "{:#?}",
        imported.notes
    );
}

#[test]
fn a_newer_kernel_is_told_which_rules_differ() {
    let text = with_version(
        C,
        "Linux version 6.12.95+deb12-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-12 (Debian \
         12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian \
         6.12.95-1~bpo12+1 (2026-10-02)",
    );
    // 6.12: the machine gets 6.12's rules; the note names what is still 6.1's.
    let (config, notes) = import(&text);
    assert_eq!(config.kernel, buddyscope_engine::types::Kernel::V6_12);
    let note = note_with(
        &notes,
        &[
            "Linux 6.12.95+deb12-amd64 (6.12)",
            "follows Linux 6.12's rules at boot",
            "and in allocation and free",
        ],
    );
    assert!(note.contains("free_high"), "{note}");
    for modelled in [
        "ZONE_MOVABLE gets much smaller watermarks",
        "left out of its own fallback order",
    ] {
        assert!(!note.contains(modelled), "{modelled}: {note}");
    }
    // 6.13: not modelled; set up by 6.1's rules, every 6.12 row listed.
    let text = with_version(
        C,
        "Linux version 6.13.2 (me@build) (gcc (GCC) 14.2.1) #1 SMP PREEMPT_DYNAMIC",
    );
    let (config, notes) = import(&text);
    assert_eq!(config.kernel, buddyscope_engine::types::Kernel::V6_1);
    let note = note_with(
        &notes,
        &["Linux 6.13.2 (6.13)", "Buddyscope models Linux 6.1"],
    );
    for rule in [
        "between a high_min and a high_max",
        "ZONE_MOVABLE gets much smaller watermarks",
        "left out of its own fallback order",
        "free_high",
    ] {
        assert!(note.contains(rule), "{rule}: {note}");
    }
    assert!(!note.contains("percpu_pagelist_high_fraction"), "{note}");
    // 6.6: between 6.1 and 6.12, so the 6.12 rules "may" hold.
    let text = with_version(
        C,
        "Linux version 6.6.13 (me@build) (gcc (GCC) 13.2.1) #1 SMP PREEMPT_DYNAMIC",
    );
    let (_, notes) = import(&text);
    note_with(
        &notes,
        &["Linux 6.6.13 (6.6)", "may have some of them", "high_min"],
    );
}

#[test]
fn an_older_kernel_is_told_what_it_lacks() {
    let text = with_version(
        C,
        "Linux version 4.18.0-513.5.1.el8_9.x86_64 (mockbuild@x86-vm-07.build.eng.bos.redhat.com) (gcc version \
         8.5.0 20210514 (Red Hat 8.5.0-20) (GCC)) #1 SMP Fri Sep 29 05:21:10 EDT 2023",
    );
    let imported = parse_snapshot(&without_section(&text, THP_FILE)).expect("imports");
    let kernel = imported.kernel.expect("a kernel version");
    assert_eq!(kernel.major_minor, Some((4, 18)));
    assert_eq!(
        kernel.distribution,
        Some("Red Hat Enterprise Linux (or a rebuild of it)")
    );
    let note = note_with(
        &imported.notes,
        &["Linux 4.18.0-513.5.1.el8_9.x86_64 (4.18)"],
    );
    for rule in [
        "no vm.percpu_pagelist_high_fraction",
        "5.14",
        "no watermark boosting",
        "MAX_ORDER 11",
    ] {
        assert!(note.contains(rule), "{rule}: {note}");
    }
    assert!(!note.contains("high_min"), "{note}");
    // THP: the distribution is named, but its build default is not claimed.
    note_with(
        &imported.notes,
        &[
            "Red Hat Enterprise Linux (or a rebuild of it)'s kernel build default",
            "unknown here; assumed `always`",
        ],
    );
}

#[test]
fn a_missing_version_line_is_mentioned_and_thp_wording_names_no_distribution() {
    let text = replace_once(C, C_VERSION, "Command line: rebooted");
    let imported = parse_snapshot(&without_section(&text, THP_FILE)).expect("imports");
    assert_eq!(imported.kernel, None);
    note_with(
        &imported.notes,
        &["no `Linux version` line", "Linux 6.1's rules"],
    );
    note_with(
        &imported.notes,
        &["the kernel's build default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS or _MADVISE), unknown here; assumed `always`"],
    );
    // A version line that names no distribution: no "Debian" in the THP note.
    let text = with_version(
        C,
        "Linux version 6.1.55 (builder@host) (gcc (GCC) 13.2.1, GNU ld 2.41) #1 SMP",
    );
    let imported = parse_snapshot(&without_section(&text, THP_FILE)).expect("imports");
    assert_eq!(imported.kernel.and_then(|kernel| kernel.distribution), None);
    let thp = note_with(&imported.notes, &["THP taken as `always`"]);
    assert!(!thp.contains("Debian"), "{thp}");
    assert!(thp.contains("unknown here"), "{thp}");
    // A kernel built by hand with Debian's compiler is not Debian's kernel.
    let text = with_version(
        C,
        "Linux version 6.1.55 (me@box) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) \
         #1 SMP PREEMPT_DYNAMIC Tue Oct  3 10:12:44 UTC 2023",
    );
    let imported = parse_snapshot(&text).expect("imports");
    assert_eq!(imported.kernel.and_then(|kernel| kernel.distribution), None);
    // Debian's line keeps Debian's default.
    let (_, notes) = import(&without_section(C, THP_FILE));
    note_with(
        &notes,
        &["Debian's build default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS)"],
    );
}

#[test]
fn one_machines_dmesg_with_anothers_zoneinfo_is_refused_naming_both_values() {
    // c's dmesg (2 nodes of 1 GiB) with b's zoneinfo (1 node of 4 GiB).
    let text = with_section_body(C, "/proc/zoneinfo", &section_body(B, "/proc/zoneinfo"));
    let error = snapshot_error(&text).to_string();
    assert!(
        error.contains(
            "node 0 zone DMA32 start_pfn 4096, spanned 258048, present 258048; /proc/zoneinfo says start_pfn \
             4096, spanned 1044480, present 782304"
        ),
        "{error}"
    );
    assert!(error.contains("cannot be one machine"), "{error}");
    // The other way round: b's one node against c's node 1.
    let text = with_section_body(B, "/proc/zoneinfo", &section_body(C, "/proc/zoneinfo"));
    let error = snapshot_error(&text).to_string();
    assert!(error.contains("shows no memory on node 1"), "{error}");
}

const B_NORMAL: &str = "        spanned  262144\n        present  262144\n        managed  243845";

#[test]
fn memory_hot_added_or_offlined_after_boot_is_a_note_and_the_boot_layout_is_used() {
    // 32768 more pages in Normal: hot-added; the copied managed count is now above
    // the present pages dmesg's ranges give the zone.
    let text = replace_once(
        B,
        B_NORMAL,
        "        spanned  294912\n        present  294912\n        managed  275000",
    );
    let (config, notes) = import(&text);
    note_with(
        &notes,
        &[
            "node 0 zone Normal start_pfn 1048576, spanned 262144, present 262144; /proc/zoneinfo says start_pfn \
             1048576, spanned 294912, present 294912",
            "hot-added",
            "boot-time layout from dmesg is used",
        ],
    );
    note_with(
        &notes,
        &[
            "node 0 zone Normal manages 275000 pages, more than the 262144 present pages",
            "262144 is used",
        ],
    );
    let machine = buddyscope_engine::machine::Machine::build(&config).expect("boots");
    let normal = machine.zone(0, ZoneType::Normal).expect("a Normal zone");
    assert_eq!((normal.present, normal.managed), (262144, 262144));
    // 32768 fewer: taken offline.
    let text = replace_once(
        B,
        B_NORMAL,
        "        spanned  262144\n        present  229376\n        managed  211077",
    );
    let (_, notes) = import(&text);
    note_with(&notes, &["spanned 262144, present 229376", "taken offline"]);
}

#[test]
fn managed_above_present_inside_zoneinfo_is_refused() {
    let text = replace_once(
        B,
        "        present  3998\n        managed  3840",
        "        present  3998\n        managed  4000",
    );
    let error = snapshot_error(&text).to_string();
    assert!(
        error.contains("node 0 zone DMA has `managed 4000` above `present 3998`"),
        "{error}"
    );
}

#[test]
fn cpu_sources_that_disagree() {
    // zoneinfo's pagesets (CPUs 0-1) and the online list are read at the same time.
    let text = with_section_body(C, "/sys/devices/system/cpu/online", "0");
    let error = snapshot_error(&text).to_string();
    assert!(
        error.contains("pagesets list CPUs 0-1 but `/sys/devices/system/cpu/online` says 0"),
        "{error}"
    );
    // dmesg's count at boot may differ: CPUs come and go after boot.
    let text = replace_once(
        C,
        "smp: Brought up 2 nodes, 2 CPUs",
        "smp: Brought up 2 nodes, 4 CPUs",
    );
    let (_, notes) = import(&text);
    note_with(
        &notes,
        &["dmesg says 4 CPUs were brought up at boot, but 2 are online"],
    );
    // A node cpulist that misses an online CPU.
    let text = with_section_body(C, "/sys/devices/system/node/node1/cpulist", "");
    let (_, notes) = import(&text);
    note_with(
        &notes,
        &[
            "the node cpulists hold CPUs 0 but `/sys/devices/system/cpu/online` says 0-1",
            "node cpulists are used",
        ],
    );
}

#[test]
fn node_counts_that_disagree() {
    let text = replace_once(
        C,
        "smp: Brought up 2 nodes, 2 CPUs",
        "smp: Brought up 3 nodes, 2 CPUs",
    );
    let (_, notes) = import(&text);
    note_with(
        &notes,
        &["dmesg says 3 nodes were online", "the snapshot has 2 nodes"],
    );
    let text = without_section(C, "/sys/devices/system/node/node1/cpulist");
    let (_, notes) = import(&text);
    note_with(
        &notes,
        &["`/proc/zoneinfo` lists nodes 0-1 but the `/sys/devices/system/node/nodeN/cpulist` sections list nodes 0"],
    );
}

#[test]
fn the_memory_line_checks_present_and_managed_pages() {
    // Memory: 338620K/2096632K available (... 88640K reserved, 0K cma-reserved):
    // 2096632K = 524158 pages, the sum of the three early ranges (158 + 261888 +
    // 262112); 524158 - 88640K/4 = 501998 managed at mem_init(); the later Freeing
    // lines add 36+1012+2036+2824+2040+1108 = 9056K = 2264 pages: 504262, zoneinfo's
    // managed total (3840 + 254342 + 246080).
    let (_, notes) = import(C);
    note_with(
        &notes,
        &[
            "its 524158 pages of memory match",
            "the 501998 pages",
            "the 2264 of the later",
            "make 504262, exactly",
        ],
    );
    let text = replace_once(C, "338620K/2096632K", "338620K/2097656K");
    let error = snapshot_error(&text).to_string();
    assert!(
        error.contains("counts 2097656K (524414 pages)")
            && error.contains("add up to 524158 pages"),
        "{error}"
    );
    // Without zoneinfo, the model's estimate is compared with it.
    let (_, notes) = import(&without_section(C, "/proc/zoneinfo"));
    note_with(
        &notes,
        &[
            "make 504262",
            "the model's managed estimate",
            "the estimate is used",
        ],
    );
}

#[test]
fn the_dma_reserve_line_is_compared() {
    let text = replace_once(
        C,
        "[    0.000000] Initmem setup node 0 [mem 0x0000000000001000-0x000000003fffffff]\n",
        "[    0.000000] Initmem setup node 0 [mem 0x0000000000001000-0x000000003fffffff]\n\
         [    0.000000]   DMA zone: 158 pages reserved\n",
    );
    let (_, notes) = import(&text);
    // zoneinfo's DMA zone: present 3998, managed 3840.
    note_with(
        &notes,
        &[
            "`DMA zone: 158 pages reserved`",
            "check only",
            "DMA zone has 158 present pages that are not managed",
        ],
    );
}

#[test]
fn what_is_copied_and_what_recomputed_is_said_once() {
    let (_, notes) = import(C);
    let said: Vec<&String> = notes
        .iter()
        .filter(|note| note.starts_with("copied from the snapshot"))
        .collect();
    assert_eq!(said.len(), 1, "{notes:#?}");
    for part in [
        "the managed counts (zoneinfo)",
        "the sysctls",
        "the SLIT distances",
        "Recomputed",
        "watermarks",
        "lowmem_reserve",
        "per-cpu high/batch",
        "zonelists",
        "computed before the last pages",
    ] {
        assert!(said[0].contains(part), "{part}: {}", said[0]);
    }
}

#[test]
fn movable_node_makes_the_hotpluggable_nodes_movable() {
    let (config, notes) = import(MOVABLE_NODE);
    let hotplug = config.movable_node.clone().expect("movable_node is on");
    assert_eq!(hotplug.len(), 7);
    // ACPI: SRAT: Node 1 PXM 1 [mem 0x1040000000-0x203fffffff] hotplug
    assert_eq!(hotplug[0], r(0x1040000, 0x2040000));
    let machine = buddyscope_engine::machine::Machine::build(&config).expect("boots");
    for node in 1..8 {
        let movable = machine
            .zone(node, ZoneType::Movable)
            .expect("a Movable zone");
        let normal = machine.zone(node, ZoneType::Normal).expect("a Normal zone");
        // 64 GiB = 16777216 pages, all of it Movable.
        assert_eq!(
            (movable.present, normal.present),
            (16777216, 0),
            "node {node}"
        );
    }
    // Node 0 is not hotpluggable: Normal from 4 GiB to 0x1040000000.
    let normal = machine.zone(0, ZoneType::Normal).expect("a Normal zone");
    assert_eq!(normal.present, 0x1040000 - 0x100000);
    assert_eq!(
        machine.zone(0, ZoneType::Movable).map(|zone| zone.present),
        Some(0)
    );
    note_with(
        &notes,
        &["`movable_node` is on the command line", "7 ranges"],
    );
    note_with(
        &notes,
        &["match the model's ZONE_MOVABLE starts on all 7 nodes"],
    );
    // The scenario file keeps it.
    let scenario = Scenario {
        machine: config.clone(),
        ..Scenario::default()
    };
    let text = scenario_to_toml(&scenario);
    assert!(text.contains("movable_node = ["), "{text}");
    let back = parse_scenario(&text).expect("the printed scenario reads back");
    assert_eq!(back.machine, config);
}

#[test]
fn printed_movable_zone_starts_are_compared_with_the_model() {
    let text = replace_once(
        MOVABLE_NODE,
        "  Node 3: 0x0000003040000000",
        "  Node 3: 0x0000003080000000",
    );
    let (_, notes) = import(&text);
    note_with(
        &notes,
        &["node 3: dmesg (line 74) says 0x3080000000 (pfn 0x3080000), the model computes 0x3040000000 (pfn 0x3040000)"],
    );
    // Without movable_node the hotplug flags do nothing, and the printed starts
    // (from a boot with it) differ from the model's.
    let text = with_section_body(
        MOVABLE_NODE,
        "/proc/cmdline",
        "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=3f1c2d4e-8a9b-4c5d-9e0f-1a2b3c4d5e6f ro quiet",
    );
    let (config, notes) = import(&text);
    assert_eq!(config.movable_node, None);
    note_with(&notes, &["the SRAT marks 7 memory ranges hotpluggable, but `movable_node` is not on the command line"]);
    note_with(
        &notes,
        &["node 1: dmesg (line 72) says 0x1040000000 (pfn 0x1040000), the model computes none"],
    );
    let machine = buddyscope_engine::machine::Machine::build(&config).expect("boots");
    assert_eq!(
        machine.zone(1, ZoneType::Normal).map(|zone| zone.present),
        Some(16777216)
    );
}

#[test]
fn a_garbled_srat_hotplug_line_is_named() {
    let text = replace_once(
        MOVABLE_NODE,
        "ACPI: SRAT: Node 2 PXM 2 [mem 0x2040000000-0x303fffffff] hotplug",
        "ACPI: SRAT: Node 2 PXM 2 [mem 0x2040000000-0x303ffffffe] hotplug",
    );
    let error = snapshot_error(&text);
    assert_eq!(error.section.as_deref(), Some("dmesg"));
    assert!(
        error.message.contains("cannot read the SRAT line"),
        "{error}"
    );
}

#[test]
fn a_bare_movable_zone_start_header_proves_nothing_but_is_named() {
    // c's dmesg has the header with no node lines (the oracle fixtures cut them).
    // With movablecore=25% on the command line and no zoneinfo, the model places
    // ZONE_MOVABLE, and the note says the bare header cannot tell.
    let text = without_section(C, "/proc/zoneinfo");
    let text = with_section_body(&text, "/proc/cmdline", "console=ttyS0 movablecore=25%");
    let (_, notes) = import(&text);
    note_with(
        &notes,
        &[
            "is followed by no `Node N:` lines",
            "the model computes ZONE_MOVABLE on node 0 at",
            "node 1 at",
        ],
    );
    // The same command line against c's own zoneinfo (no Movable zone, DMA32 of
    // 258048 pages on node 0) cannot be one machine.
    let text = with_section_body(C, "/proc/cmdline", "console=ttyS0 movablecore=25%");
    let error = snapshot_error(&text).to_string();
    assert!(error.contains("node 0 zone DMA32"), "{error}");
}

#[test]
fn a_bad_movable_node_range_names_the_key() {
    let text = "version = 1\n[machine]\nmovable_node = [\"0x40000000-0x3fffffff\"]\n";
    let error = scenario_error(text);
    assert!(error.contains("machine.movable_node"), "{error}");
}

#[test]
fn every_pairing_of_one_machines_dmesg_with_anothers_zoneinfo_is_refused() {
    for (dmesg_name, dmesg) in ALL {
        for (zoneinfo_name, other) in ALL {
            if dmesg_name == zoneinfo_name {
                continue;
            }
            let text = with_section_body(
                dmesg,
                "/proc/zoneinfo",
                &section_body(other, "/proc/zoneinfo"),
            );
            let error = snapshot_error(&text);
            assert_eq!(
                error.section.as_deref(),
                Some("/proc/zoneinfo"),
                "{dmesg_name} with {zoneinfo_name}'s zoneinfo: {error}"
            );
        }
    }
}

#[test]
fn the_memmap_lines_are_compared_with_calc_memmap_size() {
    // c: node 0 DMA spans 4095 pages (64-byte struct pages: 262080 bytes, 64 pages),
    // DMA32 258048 (4032 pages); node 1 DMA32 262112 (4095.5, rounded up: 4096).
    let text = replace_once(
        C,
        "[    0.000000] Initmem setup node 0 [mem 0x0000000000001000-0x000000003fffffff]\n",
        "[    0.000000] Initmem setup node 0 [mem 0x0000000000001000-0x000000003fffffff]\n\
         [    0.000000]   DMA zone: 64 pages used for memmap\n\
         [    0.000000]   DMA zone: 158 pages reserved\n\
         [    0.000000]   DMA32 zone: 4032 pages used for memmap\n",
    );
    let text = replace_once(
        &text,
        "[    0.000000] Initmem setup node 1 [mem 0x0000000040000000-0x000000007ffdffff]\n",
        "[    0.000000] Initmem setup node 1 [mem 0x0000000040000000-0x000000007ffdffff]\n\
         [    0.000000]   DMA32 zone: 4096 pages used for memmap\n",
    );
    let (_, notes) = import(&text);
    note_with(
        &notes,
        &["dmesg's 3 `pages used for memmap` lines match the model's calc_memmap_size()"],
    );
    let wrong = replace_once(
        &text,
        "  DMA32 zone: 4096 pages used for memmap",
        "  DMA32 zone: 4095 pages used for memmap",
    );
    let (_, notes) = import(&wrong);
    note_with(
        &notes,
        &["node 1 zone DMA32: dmesg (line 73) says 4095 pages, the model's calc_memmap_size() gives 4096"],
    );
}
