//! Checked expectations: a lesson's claims written as data in its scenario file, so a
//! test can run the lesson and say which claim no longer holds.
//!
//! ```toml
//! [[expect]]
//! claim = "boost_watermark raises the boost by one pageblock, 512 pages"
//! call = 17663                  # or step = N, or calls = [FIRST, LAST], or none: the whole run
//! event = "boost_watermark"     # the kernel function the event names
//! says = "watermark_boost 0 + 512"   # text in that event's sentence (or a list of texts)
//! outcome = "failed"            # optional: text in the call's outcome sentence
//! operation = "order 4"         # optional: text in the call's operation
//! count = 0                     # optional: exactly this many matches (default: at least one)
//!
//! [[expect]]
//! claim = "ZONE_MOVABLE gets all 262,144 pages of Normal"
//! proc = "zoneinfo"             # a kernel-format file of the state after `call` (or at the end)
//! says = ["zone  Movable", "present  262144"]   # runs of spaces count as one
//! ```
//!
//! Only the file format lives here; `view::check_expectations` runs the check, since
//! the outcome and operation sentences it reads are the page's.

#[cfg(test)]
use serde::Deserialize;

use crate::scenario::ScenarioError;

/// Where an expectation looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectAt {
    /// Every call of the run.
    Run,
    /// Call N (0-based, as `buddyscope run --trace` prints `# call N`; the page counts
    /// calls from 1).
    Call(u64),
    /// The event passed at global step N (the page's step number).
    Step(u64),
    /// Calls FIRST to LAST, both included.
    Calls { first: u64, last: u64 },
}

/// One checked claim of a lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The lesson's sentence it checks, short.
    pub claim: String,
    pub at: ExpectAt,
    /// The kernel function the matching event names ([`crate::event::Event::kernel_function`]).
    pub event: Option<String>,
    /// Texts that must all appear in the matching event's sentence.
    pub says: Vec<String>,
    /// Text that must appear in the call's outcome sentence.
    pub outcome: Option<String>,
    /// Text that must appear in the call's operation sentence.
    pub operation: Option<String>,
    /// Exactly this many matches; `None`: at least one.
    pub count: Option<u64>,
    /// Check `says` in this kernel-format file of the state after `at`'s call (or at
    /// the end of the run) instead of in events.
    pub proc: Option<ProcFile>,
}

/// A kernel-format file an expectation can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcFile {
    Zoneinfo,
    Buddyinfo,
    Pagetypeinfo,
}

impl ProcFile {
    /// The name after `/proc/`.
    pub fn name(self) -> &'static str {
        match self {
            ProcFile::Zoneinfo => "zoneinfo",
            ProcFile::Buddyinfo => "buddyinfo",
            ProcFile::Pagetypeinfo => "pagetypeinfo",
        }
    }
}

impl Expectation {
    /// Whether the expectation looks at events (else at calls).
    pub fn is_about_events(&self) -> bool {
        self.proc.is_none() && (self.event.is_some() || !self.says.is_empty())
    }
}

/// `[[expect]]` as serde sees it.
#[derive(Default)]
#[cfg_attr(test, derive(Deserialize), serde(deny_unknown_fields))]
pub(super) struct ExpectToml {
    pub(super) claim: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub(super) call: Option<i64>,
    #[cfg_attr(test, serde(default))]
    pub(super) step: Option<i64>,
    #[cfg_attr(test, serde(default))]
    pub(super) calls: Option<Vec<i64>>,
    #[cfg_attr(test, serde(default))]
    pub(super) event: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub(super) says: Option<Says>,
    #[cfg_attr(test, serde(default))]
    pub(super) outcome: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub(super) operation: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub(super) count: Option<i64>,
    #[cfg_attr(test, serde(default))]
    pub(super) proc: Option<String>,
}

#[cfg_attr(test, derive(Deserialize), serde(untagged))]
pub(super) enum Says {
    One(String),
    Many(Vec<String>),
}

fn invalid(number: usize, message: String) -> ScenarioError {
    ScenarioError::Invalid(format!("`expect` number {number}: {message}"))
}

fn whole(number: usize, key: &str, value: i64) -> Result<u64, ScenarioError> {
    u64::try_from(value).map_err(|_| {
        invalid(
            number,
            format!("`{key}` is {value}; a whole number 0 or more is needed"),
        )
    })
}

impl ExpectToml {
    /// The expectation, checked: `number` counts the `[[expect]]` tables from 1.
    pub(super) fn into_expectation(self, number: usize) -> Result<Expectation, ScenarioError> {
        let claim = self.claim.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
            invalid(
                number,
                "`claim` is missing: say which sentence of the lesson it checks".to_string(),
            )
        })?;
        let places = [
            self.call.is_some(),
            self.step.is_some(),
            self.calls.is_some(),
        ];
        if places.iter().filter(|&&p| p).count() > 1 {
            return Err(invalid(
                number,
                "give one of `call`, `step` and `calls`, not several".to_string(),
            ));
        }
        let at = if let Some(call) = self.call {
            ExpectAt::Call(whole(number, "call", call)?)
        } else if let Some(step) = self.step {
            ExpectAt::Step(whole(number, "step", step)?)
        } else if let Some(calls) = self.calls {
            match calls.as_slice() {
                &[first, last] => {
                    let first = whole(number, "calls", first)?;
                    let last = whole(number, "calls", last)?;
                    if first > last {
                        return Err(invalid(
                            number,
                            format!("`calls` = [{first}, {last}] ends before it starts"),
                        ));
                    }
                    ExpectAt::Calls { first, last }
                }
                _ => {
                    return Err(invalid(
                        number,
                        format!(
                            "`calls` needs two numbers, [FIRST, LAST]; found {}",
                            calls.len()
                        ),
                    ))
                }
            }
        } else {
            ExpectAt::Run
        };
        if let Some(event) = &self.event {
            if event.is_empty() || !event.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(invalid(
                    number,
                    format!("`event` = \"{event}\" is not a kernel function name"),
                ));
            }
        }
        let says = match self.says {
            None => Vec::new(),
            Some(Says::One(text)) => vec![text],
            Some(Says::Many(texts)) => texts,
        };
        if says.iter().any(String::is_empty) {
            return Err(invalid(number, "`says` holds an empty text".to_string()));
        }
        for (key, text) in [("outcome", &self.outcome), ("operation", &self.operation)] {
            if text.as_deref() == Some("") {
                return Err(invalid(number, format!("`{key}` is empty")));
            }
        }
        let count = self
            .count
            .map(|count| whole(number, "count", count))
            .transpose()?;
        let proc = match self.proc.as_deref() {
            None => None,
            Some("zoneinfo") => Some(ProcFile::Zoneinfo),
            Some("buddyinfo") => Some(ProcFile::Buddyinfo),
            Some("pagetypeinfo") => Some(ProcFile::Pagetypeinfo),
            Some(other) => {
                return Err(invalid(
                    number,
                    format!(
                        "`proc` = \"{other}\": use \"zoneinfo\", \"buddyinfo\" or \"pagetypeinfo\""
                    ),
                ))
            }
        };
        if proc.is_some() {
            if says.is_empty() {
                return Err(invalid(
                    number,
                    "`proc` needs `says`: the text the file must hold".to_string(),
                ));
            }
            if self.event.is_some()
                || self.outcome.is_some()
                || self.operation.is_some()
                || count.is_some()
            {
                return Err(invalid(
                    number,
                    "`proc` reads a file: `event`, `outcome`, `operation` and `count` do not go with it".to_string(),
                ));
            }
            if !matches!(at, ExpectAt::Run | ExpectAt::Call(_)) {
                return Err(invalid(
                    number,
                    "`proc` reads the state after one call: give `call` or no place (the end of the run)".to_string(),
                ));
            }
        }
        let expectation = Expectation {
            claim,
            at,
            event: self.event,
            says,
            outcome: self.outcome,
            operation: self.operation,
            count,
            proc,
        };
        if !expectation.is_about_events()
            && expectation.proc.is_none()
            && expectation.outcome.is_none()
            && expectation.operation.is_none()
        {
            return Err(invalid(
                number,
                "checks nothing: give `event`, `says`, `outcome` or `operation`".to_string(),
            ));
        }
        Ok(expectation)
    }
}

/// `key = value` and a newline (in pieces: a `format!` a line was most of the
/// claims' writing, which the page does at every load).
fn push_line(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    out.push_str(value);
    out.push('\n');
}

/// The `[[expect]]` tables for `expectations`, in the form [`super::parse_scenario`]
/// reads back.
pub fn expectations_to_toml(expectations: &[Expectation], quote: fn(&str) -> String) -> String {
    let mut out = String::new();
    for e in expectations {
        out.push_str("\n[[expect]]\n");
        push_line(&mut out, "claim", &quote(&e.claim));
        match e.at {
            ExpectAt::Run => {}
            ExpectAt::Call(call) => out.push_str(&format!("call = {call}\n")),
            ExpectAt::Step(step) => out.push_str(&format!("step = {step}\n")),
            ExpectAt::Calls { first, last } => {
                out.push_str(&format!("calls = [{first}, {last}]\n"))
            }
        }
        if let Some(event) = &e.event {
            push_line(&mut out, "event", &quote(event));
        }
        match e.says.as_slice() {
            [] => {}
            [one] => push_line(&mut out, "says", &quote(one)),
            many => {
                let quoted: Vec<String> = many.iter().map(|s| quote(s)).collect();
                out.push_str(&format!("says = [{}]\n", quoted.join(", ")));
            }
        }
        if let Some(outcome) = &e.outcome {
            push_line(&mut out, "outcome", &quote(outcome));
        }
        if let Some(operation) = &e.operation {
            push_line(&mut out, "operation", &quote(operation));
        }
        if let Some(count) = e.count {
            out.push_str(&format!("count = {count}\n"));
        }
        if let Some(proc) = e.proc {
            out.push_str(&format!("proc = \"{}\"\n", proc.name()));
        }
    }
    out
}
