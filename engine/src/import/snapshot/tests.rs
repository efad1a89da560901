//! The snapshot reader's small helpers, checked on their own.

use super::cmdline::kernel_args;
use super::dmesg::dmesg_message;

#[test]
fn command_line_words() {
    assert_eq!(
        kernel_args(r#"a=1 "b c" d="e f" -- kernelcore=1G"#),
        vec!["a=1", "b c", "d=e f"]
    );
}

#[test]
fn dmesg_prefixes() {
    assert_eq!(
        dmesg_message("[    0.041105] Early memory node ranges"),
        " Early memory node ranges"
    );
    assert_eq!(dmesg_message("<6>[    0.041105]   node"), "   node");
    assert_eq!(
        dmesg_message("[mem 0x1-0x2] available"),
        "[mem 0x1-0x2] available"
    );
}

#[test]
fn dmesg_renderings() {
    let lines = [
        "[    0.041105] Early memory node ranges",
        "[Sun Dec  6 07:34:52 2026] Early memory node ranges",
        "[    0.041105 <    0.000010>] Early memory node ranges",
        "<6>[    0.041105] Early memory node ranges",
        "Early memory node ranges",
        "Dec 06 07:34:52 buildhost kernel: Early memory node ranges",
        "Dec  6 07:34:52 buildhost kernel: [    0.041105] Early memory node ranges",
        "2026-12-06T07:34:52.123456+00:00 buildhost kernel: Early memory node ranges",
        "[  +0.000001] Early memory node ranges",
        "[Dec 6 07:34] Early memory node ranges",
        "kern  :info  : [    0.041105] Early memory node ranges",
        "[    0.041105] buildhost kernel: Early memory node ranges",
    ];
    for line in lines {
        assert_eq!(
            dmesg_message(line).trim(),
            "Early memory node ranges",
            "{line}"
        );
    }
    // A kernel message's own brackets and words stay.
    assert_eq!(
        dmesg_message("[    0.0] Booting paravirtualized kernel on KVM").trim(),
        "Booting paravirtualized kernel on KVM"
    );
    assert_eq!(dmesg_message("[mem 0x1-0x2] x"), "[mem 0x1-0x2] x");
    assert_eq!(
        dmesg_message("Dec  6 07:34:52 host systemd[1]: Started x").trim(),
        "Dec  6 07:34:52 host systemd[1]: Started x"
    );
}
