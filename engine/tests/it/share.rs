//! Share links: round trips, links from released versions, and hostile input.

use buddyscope_engine::scenario::share::{decode, encode, ShareLink};
use buddyscope_engine::scenario::{
    parse_scenario, scenario_to_toml, AnswerKey, AskAt, ExpectAt, Expectation, ProcFile, Question,
};
use buddyscope_engine::session::KswapdMode;
use buddyscope_engine::Rng;

fn link(scenario: &str, step: Option<u64>) -> ShareLink {
    ShareLink {
        scenario: scenario.to_string(),
        step,
    }
}

fn oracle_scenarios() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut texts = Vec::new();
    for name in [
        "a-1node-512M",
        "b-1node-4G",
        "c-2node-1G-1G",
        "e-1node-2G-wmark-sysctl",
    ] {
        let snapshot =
            std::fs::read_to_string(root.join("oracle").join(name).join("machine.snapshot"))
                .unwrap();
        let imported = buddyscope_engine::import::snapshot::parse_snapshot(&snapshot).unwrap();
        texts.push(scenario_to_toml(&buddyscope_engine::scenario::Scenario {
            machine: imported.config,
            ..Default::default()
        }));
    }
    for case in ["steal-and-claim", "two-nodes", "atomic-reserve"] {
        texts.push(
            std::fs::read_to_string(root.join("cases").join(case).join("scenario.toml")).unwrap(),
        );
    }
    texts
}

#[test]
fn file_to_link_to_file_is_identical() {
    for text in oracle_scenarios() {
        for step in [None, Some(0), Some(12345)] {
            let fragment = encode(&link(&text, step));
            // Compression pays off for anything but tiny files.
            assert!(
                text.len() < 500 || fragment.len() < text.len(),
                "a {}-byte scenario made a {}-byte link",
                text.len(),
                fragment.len()
            );
            let back = decode(&format!(
                "https://example.org/course/buddyscope/#{fragment}"
            ))
            .unwrap();
            assert_eq!(back, link(&text, step));
            assert_eq!(
                parse_scenario(&back.scenario).unwrap(),
                parse_scenario(&text).unwrap()
            );
        }
    }
}

#[test]
fn random_scenarios_round_trip() {
    let mut rng = Rng::new(99);
    for _ in 0..300 {
        let nodes = 1 + rng.below(3);
        let mut text = String::from("version = 1\n[machine]\n");
        if rng.below(2) == 0 {
            text.push_str(&format!("cma = \"{}M\"\n", 4 * (1 + rng.below(4))));
        }
        for n in 0..nodes {
            let start = (n + 1) << 30;
            text.push_str(&format!(
                "[[machine.nodes]]\nmemory = [\"{:#x}-{:#x}\"]\ncpus = \"{n}\"\n",
                start,
                start + (256 << 20) - 1
            ));
        }
        // Short texts stay readable (p1), long ones compress (z1); both round-trip.
        let fragment = encode(&link(&text, Some(rng.below(1000))));
        assert_eq!(decode(&fragment).unwrap().scenario, text);
    }
}

#[test]
fn short_scenarios_stay_readable_in_the_link() {
    let fragment = encode(&link("version = 1\n", None));
    assert_eq!(fragment, "s=p1.version+%3D+1%0A");
}

#[test]
fn links_of_released_versions_keep_opening() {
    // Made with version 1 of the encoder and pinned: they must decode forever.
    assert_eq!(
        decode("#s=p1.version+%3D+1%0A&step=3").unwrap(),
        link("version = 1\n", Some(3))
    );
    let pinned = "s=z1.NYwxDoAgEAT7e4W5XgP2voRcYfAMFBwElODvRRKn3J1M5Vx8lGmbNJiwW-eFCS6X-oLClTOC-Y9F4sGFCAKHmJ-uGFRNq8Gs2noOkMCmu3wFhfAC&step=5";
    let opened = decode(pinned).unwrap();
    let expected = "version = 1\n[machine]\nthp = \"never\"\n[[machine.nodes]]\nmemory = [\"0x1000000-0x2ffffff\"]\ncpus = \"0\"\n";
    assert_eq!(opened, link(expected, Some(5)));
    parse_scenario(&opened.scenario).unwrap();
}

#[test]
fn tampered_truncated_and_unknown_links_are_clear_errors() {
    let text = &oracle_scenarios()[2];
    let fragment = encode(&link(text, Some(7)));
    // Truncation at every point: an error or a shorter valid text, never a panic.
    for cut in (0..fragment.len()).step_by(3) {
        let _ = decode(&fragment[..cut]);
    }
    // Each character changed in turn.
    let bytes = fragment.as_bytes();
    for i in (0..bytes.len()).step_by(5) {
        let mut tampered = bytes.to_vec();
        tampered[i] = if tampered[i] == b'A' { b'%' } else { b'A' };
        let _ = decode(&String::from_utf8_lossy(&tampered));
    }
    assert!(decode("#s=z9.AAAA")
        .unwrap_err()
        .message
        .contains("`z9` is not one this Buddyscope knows"));
    assert!(decode("#s=z1.!!!")
        .unwrap_err()
        .message
        .contains("character that cannot be in it"));
    assert!(decode("#s=z1.AAAA")
        .unwrap_err()
        .message
        .contains("does not decompress"));
    assert!(decode("#s=p1.%G1")
        .unwrap_err()
        .message
        .contains("broken %-escape"));
    assert!(decode("#step=4")
        .unwrap_err()
        .message
        .contains("holds no scenario"));
    assert!(decode("#s=p1.x&step=four")
        .unwrap_err()
        .message
        .contains("not a whole number"));
    assert!(decode(&"A".repeat(70_000))
        .unwrap_err()
        .message
        .contains("up to"));
}

#[test]
fn library_scenarios_round_trip_through_links() {
    for entry in buddyscope_engine::scenario::library::ENTRIES {
        let step = parse_scenario(entry.text).unwrap().open_at;
        let fragment = encode(&link(entry.text, step));
        assert!(fragment.len() < entry.text.len(), "{}", entry.name);
        let back = decode(&fragment).unwrap();
        assert_eq!(back, link(entry.text, step), "{}", entry.name);
    }
}

/// Random scenario values: machines, sysctls, titles with quotes and non-ASCII,
/// workloads written by the formatter (including generators and hotplug). Each is
/// written as a file, sent through a link and read back to the same value, and the
/// file is the same text after a second trip.
#[test]
fn random_scenario_values_round_trip_through_file_and_link() {
    use buddyscope_engine::machine::{MachineConfig, NodeConfig, ThpMode};
    use buddyscope_engine::scenario::Scenario;
    use buddyscope_engine::types::PfnRange;
    use buddyscope_engine::workload::{format_statements, parse_workload};
    let mut rng = Rng::new(2026);
    let words = [
        "alloc a order=2 gfp=GFP_KERNEL|__GFP_ZERO count=3 cpu=0",
        "alloc b order=0 gfp=GFP_HIGHUSER_MOVABLE use=pagecache nodemask=0",
        "free a[1..3]",
        "free b every=2",
        "generate steady ops=50 fill=30",
        "generate numa count=20 remote=40",
        "offline section=3",
        "online section=3",
        "sysctl min_free_kbytes=4096 lowmem_reserve_ratio=256,256,32,0,0",
        "drain cpu=0",
        "compact",
        "kswapd node=0",
    ];
    for round in 0..200 {
        let nodes = 1 + rng.below(3);
        let mut machine = MachineConfig {
            nodes: (0..nodes)
                .map(|n| NodeConfig {
                    memory: vec![PfnRange {
                        start: (n + 1) << 18,
                        end: ((n + 1) << 18) + (1 << (14 + rng.below(4))),
                    }],
                    cpus: vec![n as u32],
                })
                .collect(),
            section_size_bits: 24 + rng.below(4) as u8,
            thp: [ThpMode::Always, ThpMode::Madvise, ThpMode::Never][rng.below(3) as usize],
            ..MachineConfig::default()
        };
        machine.sysctls.watermark_scale_factor = 1 + rng.below(999) as u32;
        if rng.below(2) == 0 {
            machine.sysctls.min_free_kbytes = Some(128 + rng.below(10_000));
        }
        let mut script = String::new();
        for _ in 0..rng.below(6) {
            script.push_str(words[rng.below(words.len() as u64) as usize]);
            script.push('\n');
        }
        let statements: Vec<_> = parse_workload(&script)
            .unwrap()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let scenario = Scenario {
            machine,
            workload: (!script.is_empty()).then(|| format_statements(&statements)),
            seed: (rng.below(2) == 0).then(|| rng.next_u64()),
            open_at: (rng.below(2) == 0).then(|| rng.below(1 << 40)),
            // The kswapd mode rides in the scenario text, so a link carries it.
            kswapd: [None, Some(KswapdMode::Auto), Some(KswapdMode::Manual)][rng.below(3) as usize],
            title: (rng.below(2) == 0)
                .then(|| format!("Round {round}: \"quotes\", 'apostrophes' and ünïcödé")),
            about: (rng.below(2) == 0).then(|| {
                format!("Line one of {round}.\nLine two with '''triple''' quotes \\ and a tab\t.\n")
            }),
            // Expectations travel with the file: every place and every optional key.
            expectations: (0..rng.below(4))
                .map(|i| random_expectation(&mut rng, i))
                .collect(),
            // Questions too: both answer forms, both places, checks with and
            // without a place of their own.
            questions: (0..rng.below(3))
                .map(|i| random_question(&mut rng, i))
                .collect(),
        };
        let file = scenario_to_toml(&scenario);
        let back = decode(&encode(&link(&file, scenario.open_at))).unwrap();
        assert_eq!(back.scenario, file);
        let parsed = parse_scenario(&back.scenario).unwrap_or_else(|e| panic!("{e}\n{file}"));
        assert_eq!(parsed, scenario, "\n{file}");
        assert_eq!(scenario_to_toml(&parsed), file);
    }
}

/// A question with a random place, answer form and check (one that uses `{answer}`).
fn random_question(rng: &mut Rng, i: u64) -> Question {
    let mut check = random_expectation(rng, i);
    check.claim = format!("Which one? 'q' \"{i}\"\nSecond line.");
    check.says.push("from {answer} ≤".to_string());
    if check.proc.is_some() && matches!(check.at, ExpectAt::Step(_) | ExpectAt::Calls { .. }) {
        check.at = ExpectAt::Run;
    }
    let key = if rng.below(2) == 0 {
        AnswerKey::Number(rng.below(1 << 20) as i64 - 1000)
    } else {
        AnswerKey::Choice {
            choices: vec![
                "DMA".to_string(),
                "DMA32 \"x\"".to_string(),
                "Normal".to_string(),
            ],
            right: rng.below(3) as usize,
        }
    };
    Question {
        at: if rng.below(2) == 0 {
            AskAt::Step(rng.below(1 << 40))
        } else {
            AskAt::Call(rng.below(1 << 20))
        },
        ask: check.claim.clone(),
        key,
        explain: format!("Because {i}: 'it' \"is\".\nTwo lines."),
        check,
    }
}

/// An expectation with a random place and a random choice of the optional keys.
fn random_expectation(rng: &mut Rng, i: u64) -> Expectation {
    let at = match rng.below(4) {
        0 => ExpectAt::Run,
        1 => ExpectAt::Call(rng.below(1 << 20)),
        2 => ExpectAt::Step(rng.below(1 << 40)),
        _ => {
            let first = rng.below(1000);
            ExpectAt::Calls {
                first,
                last: first + rng.below(1000),
            }
        }
    };
    let says: Vec<String> = (0..rng.below(3))
        .map(|j| format!("free {j} \"quoted\" \\ ≤ {i}"))
        .collect();
    if rng.below(4) == 0 {
        // A file check: text of /proc/zoneinfo after a call or at the end.
        return Expectation {
            claim: format!("file claim {i}"),
            at: if rng.below(2) == 0 {
                ExpectAt::Run
            } else {
                ExpectAt::Call(rng.below(100))
            },
            event: None,
            says: vec!["present  262144".to_string()],
            outcome: None,
            operation: None,
            count: None,
            proc: Some(ProcFile::Zoneinfo),
        };
    }
    Expectation {
        claim: format!("claim {i}: 'a' \"b\""),
        at,
        event: (says.is_empty() || rng.below(2) == 0).then(|| "boost_watermark".to_string()),
        says,
        outcome: (rng.below(2) == 0).then(|| "failed: NULL".to_string()),
        operation: (rng.below(2) == 0).then(|| "order 4".to_string()),
        count: (rng.below(2) == 0).then(|| rng.below(5)),
        proc: None,
    }
}
