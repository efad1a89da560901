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
