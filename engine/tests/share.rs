//! Share links: round trips, links from released versions, and hostile input.

use buddyscope_engine::scenario::{parse_scenario, scenario_to_toml};
use buddyscope_engine::share::{decode, encode, ShareLink};
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
        let imported = buddyscope_engine::snapshot::parse_snapshot(&snapshot).unwrap();
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
