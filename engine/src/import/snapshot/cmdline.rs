//! The command line (`/proc/cmdline`, else dmesg's): kernelcore=, movablecore=,
//! transparent_hugepage= and movable_node, read as the kernel reads them.

use super::dmesg::dmesg_message;
use super::sections::{Section, Sections};
use super::{SnapshotError, CMDLINE, DMESG};
use crate::machine::config::parse_core_size_lenient;
use crate::machine::{CoreSize, ThpMode};
use crate::text::shorten;

#[derive(Default)]
pub(super) struct CmdlineParams {
    pub(super) kernelcore: Option<CoreSize>,
    pub(super) movablecore: Option<CoreSize>,
    pub(super) thp: Option<ThpMode>,
    /// `movable_node` (early_param: any value, or none, turns it on).
    pub(super) movable_node: bool,
    /// Where the command line came from, for messages.
    pub(super) source: String,
}

pub(super) fn command_line(
    sections: &Sections<'_>,
    dmesg: &Section<'_>,
    notes: &mut Vec<String>,
) -> Result<CmdlineParams, SnapshotError> {
    let (source, line, text) = if let Some(section) = sections.one(CMDLINE)? {
        match section.single_line()? {
            Some((number, text)) => (CMDLINE, Some(number), text),
            None => (CMDLINE, None, ""),
        }
    } else {
        // "Kernel command line:" is /proc/cmdline's text; "Command line:" (printed
        // earlier by setup_arch()) is the boot loader's.
        let find = |prefix: &str| {
            dmesg.lines.iter().find_map(|&(number, line)| {
                dmesg_message(line)
                    .trim()
                    .strip_prefix(prefix)
                    .map(|rest| (number, rest))
            })
        };
        match find("Kernel command line:").or_else(|| find("Command line:")) {
            Some((number, text)) => {
                notes.push(format!(
                    "no `{CMDLINE}` section: the command line was taken from dmesg (line {number})"
                ));
                (DMESG, Some(number), text)
            }
            None => {
                notes.push(format!(
                    "no `{CMDLINE}` section and no \"Command line:\" in dmesg: no kernelcore=, movablecore= or \
                     transparent_hugepage= assumed"
                ));
                return Ok(CmdlineParams::default());
            }
        }
    };

    let mut params = CmdlineParams {
        source: source.to_string(),
        ..CmdlineParams::default()
    };
    // cmdline_parse_core() keeps a byte count and a percentage apart; a later
    // percentage does not clear an earlier size, but a later size clears the
    // percentage; find_zone_movable_pfns_for_nodes() prefers the percentage.
    let mut kernelcore = CoreState::default();
    let mut movablecore = CoreState::default();
    for arg in kernel_args(text) {
        let (name, value) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (arg.as_str(), None),
        };
        let name = name.replace('-', "_");
        let error = |message: String| SnapshotError::in_section(source, line, message);
        match name.as_str() {
            "kernelcore" | "movablecore" => {
                let Some(value) = value else {
                    notes.push(format!("`{name}` without a value on the command line is ignored, as the kernel does"));
                    continue;
                };
                if name == "kernelcore" && value == "mirror" {
                    return Err(error(
                        "`kernelcore=mirror` (ZONE_MOVABLE from mirrored memory) is not modelled by Buddyscope; \
                         remove it, or use a size (`kernelcore=512M`) or a percentage (`kernelcore=25%`)"
                            .to_string(),
                    ));
                }
                let state = if name == "kernelcore" { &mut kernelcore } else { &mut movablecore };
                let (size, rest) = parse_core_size_lenient(value).map_err(|why| error(format!("`{name}={value}`: {why}")))?;
                if !rest.is_empty() {
                    notes.push(format!(
                        "`{name}={value}`: the kernel ignores the trailing `{}`, and so does Buddyscope",
                        shorten(rest)
                    ));
                }
                match size {
                    CoreSize::Percent(percent) => state.percent = Some(percent),
                    CoreSize::Bytes(bytes) => {
                        state.bytes = Some(bytes);
                        state.percent = None;
                    }
                }
            }
            "transparent_hugepage" => match value {
                Some("always") => params.thp = Some(ThpMode::Always),
                Some("madvise") => params.thp = Some(ThpMode::Madvise),
                Some("never") => params.thp = Some(ThpMode::Never),
                _ => notes.push(format!(
                    "`{}` on the command line is not one the kernel accepts (always, madvise, never); it is ignored",
                    shorten(&arg)
                )),
            },
            "movable_node" => params.movable_node = true,
            _ => {}
        }
    }
    params.kernelcore = kernelcore.finish();
    params.movablecore = movablecore.finish();
    Ok(params)
}

#[derive(Default)]
struct CoreState {
    bytes: Option<u64>,
    percent: Option<u8>,
}

impl CoreState {
    fn finish(&self) -> Option<CoreSize> {
        match (self.percent, self.bytes) {
            (Some(percent), _) if percent > 0 => Some(CoreSize::Percent(percent)),
            (_, Some(bytes)) => Some(CoreSize::Bytes(bytes)),
            (Some(percent), None) => Some(CoreSize::Percent(percent)),
            (None, None) => None,
        }
    }
}

/// Splits a command line as the kernel's `next_arg()` does: on spaces outside double
/// quotes, with the quotes removed; stops at `--` (what follows is init's).
pub(super) fn kernel_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut started = false;
    for c in text.chars() {
        if c == '"' {
            in_quotes = !in_quotes;
            started = true;
        } else if c.is_whitespace() && !in_quotes {
            if started {
                if current == "--" {
                    return args;
                }
                args.push(core::mem::take(&mut current));
                started = false;
            }
        } else {
            current.push(c);
            started = true;
        }
    }
    if started && current != "--" {
        args.push(current);
    }
    args
}
