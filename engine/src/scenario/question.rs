//! Questions: a lesson that asks before it shows. A `[[question]]` table stops the
//! page at a step, asks, takes an answer (one of `choices`, or a whole number), then
//! reveals whether it was right, the right answer and `explain`. Its `check` proves
//! the answer against the run with the machinery of `[[expect]]`
//! ([`crate::scenario::expect`]): `{answer}` in the check's texts stands for the
//! answer, so a wrong answer key makes the check fail like a wrong claim.
//!
//! ```toml
//! [[question]]
//! step = 12                           # where the page stops and asks (or call = N: its start)
//! ask = "Which zone serves this order-0 request?"
//! choices = ["Normal", "DMA32", "DMA"]
//! answer = "DMA32"                    # one of `choices`; or a whole number without `choices`
//! explain = "Normal is too low for its low mark, so get_page_from_freelist() tries DMA32 next."
//! [question.check]                    # the keys of [[expect]] but `claim`; its place defaults to the question's
//! step = 14
//! event = "__rmqueue_smallest"
//! says = "from {answer}"
//! ```
//!
//! Semantic errors name the question, the key and the line and column of its table.

#[cfg(test)]
use serde::Deserialize;

use crate::scenario::expect::{ExpectAt, ExpectToml, Expectation};
use crate::scenario::ScenarioError;

/// Where a question stops the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AskAt {
    /// At global step N (the page's step number).
    Step(u64),
    /// At the start of call N (0-based), before its first event.
    Call(u64),
}

/// What answers a question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerKey {
    /// One of `choices`, the right one by index.
    Choice { choices: Vec<String>, right: usize },
    /// A whole number.
    Number(i64),
}

/// A learner's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The index of the choice picked.
    Choice(usize),
    Number(i64),
}

/// One question of a lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub at: AskAt,
    /// The question, as the page asks it.
    pub ask: String,
    pub key: AnswerKey,
    /// Shown after answering: why the answer is what it is, in the kernel's terms.
    pub explain: String,
    /// The claim that proves the answer, with `{answer}` in its texts.
    pub check: Expectation,
}

/// The placeholder for the answer in a check's texts.
pub const ANSWER_PLACEHOLDER: &str = "{answer}";

impl Question {
    /// The right answer as text (the choice, or the number).
    pub fn right_text(&self) -> String {
        match &self.key {
            AnswerKey::Choice { choices, right } => {
                choices.get(*right).cloned().unwrap_or_default()
            }
            AnswerKey::Number(n) => n.to_string(),
        }
    }

    /// An answer as text.
    pub fn answer_text(&self, answer: &Answer) -> String {
        match (answer, &self.key) {
            (Answer::Choice(i), AnswerKey::Choice { choices, .. }) => {
                choices.get(*i).cloned().unwrap_or_default()
            }
            (Answer::Number(n), _) => n.to_string(),
            (Answer::Choice(i), AnswerKey::Number(_)) => format!("choice {i}"),
        }
    }

    /// Whether `answer` is the right one.
    pub fn is_right(&self, answer: &Answer) -> bool {
        match (answer, &self.key) {
            (Answer::Choice(i), AnswerKey::Choice { right, .. }) => i == right,
            (Answer::Number(n), AnswerKey::Number(right)) => n == right,
            _ => false,
        }
    }

    /// The check with `{answer}` replaced by `answer`'s text (the right answer's for
    /// [`Question::proof`]); its claim is the question.
    pub fn check_with(&self, answer: &str) -> Expectation {
        let fill = |text: &String| text.replace(ANSWER_PLACEHOLDER, answer);
        Expectation {
            claim: format!("{} Answer: {answer}", self.ask),
            says: self.check.says.iter().map(fill).collect(),
            outcome: self.check.outcome.as_ref().map(fill),
            operation: self.check.operation.as_ref().map(fill),
            ..self.check.clone()
        }
    }

    /// The check that proves the right answer.
    pub fn proof(&self) -> Expectation {
        self.check_with(&self.right_text())
    }

    /// Every wrong answer a learner can pick as text: the other choices, or the
    /// numbers one either side of the right one.
    pub fn wrong_texts(&self) -> Vec<String> {
        match &self.key {
            AnswerKey::Choice { choices, right } => choices
                .iter()
                .enumerate()
                .filter(|(i, _)| i != right)
                .map(|(_, c)| c.clone())
                .collect(),
            AnswerKey::Number(n) => [n.checked_sub(1), n.checked_add(1)]
                .into_iter()
                .flatten()
                .map(|n| n.to_string())
                .collect(),
        }
    }
}

/// `[[question]]` as serde sees it.
#[derive(Default)]
#[cfg_attr(test, derive(Deserialize), serde(deny_unknown_fields))]
pub(super) struct QuestionToml {
    #[cfg_attr(test, serde(default))]
    pub(super) step: Option<i64>,
    #[cfg_attr(test, serde(default))]
    pub(super) call: Option<i64>,
    #[cfg_attr(test, serde(default))]
    pub(super) ask: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub(super) choices: Option<Vec<String>>,
    #[cfg_attr(test, serde(default))]
    pub(super) answer: Option<AnswerToml>,
    #[cfg_attr(test, serde(default))]
    pub(super) explain: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub(super) check: Option<toml::Table>,
}

#[cfg_attr(test, derive(Deserialize), serde(untagged))]
pub(super) enum AnswerToml {
    Number(i64),
    Text(String),
}

/// Line and column (from 1) of byte `offset` in `text`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn whole(value: i64, key: &str) -> Result<u64, String> {
    u64::try_from(value)
        .map_err(|_| format!("`{key}` is {value}; a whole number 0 or more is needed"))
}

fn one_line_text(value: Option<String>, key: &str, why: &str) -> Result<String, String> {
    let text = value
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| format!("`{key}` is missing: {why}"))?;
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!("`{key}` holds a control character"));
    }
    Ok(text)
}

impl QuestionToml {
    /// The question, checked: `number` counts the `[[question]]` tables from 1, and
    /// `(line, column)` is where its table starts, for the message.
    pub(super) fn into_question(
        self,
        number: usize,
        (line, column): (usize, usize),
    ) -> Result<Question, ScenarioError> {
        self.checked().map_err(|message| {
            ScenarioError::Invalid(format!(
                "`question` number {number} (line {line}, column {column}): {message}"
            ))
        })
    }

    fn checked(self) -> Result<Question, String> {
        let at = match (self.step, self.call) {
            (Some(_), Some(_)) => return Err("give one of `step` and `call`, not both".to_string()),
            (Some(step), None) => AskAt::Step(whole(step, "step")?),
            (None, Some(call)) => AskAt::Call(whole(call, "call")?),
            (None, None) => {
                return Err(
                    "`step` or `call` is missing: say where the page stops to ask".to_string(),
                )
            }
        };
        let ask = one_line_text(self.ask, "ask", "the question the page asks")?;
        let explain = one_line_text(
            self.explain,
            "explain",
            "what the page shows after the answer",
        )?;
        let key = match (self.choices, self.answer) {
            (_, None) => return Err("`answer` is missing: name the right choice, or give a number".to_string()),
            (Some(choices), Some(AnswerToml::Text(answer))) => {
                if choices.len() < 2 {
                    return Err(format!("`choices` holds {} choice(s); a question needs at least 2", choices.len()));
                }
                if choices.len() > 26 {
                    return Err(format!("`choices` holds {} choices; at most 26 (a to z)", choices.len()));
                }
                if let Some(empty) = choices.iter().position(|c| c.trim().is_empty()) {
                    return Err(format!("`choices` item {} is empty", empty + 1));
                }
                for (i, c) in choices.iter().enumerate() {
                    if choices.iter().skip(i + 1).any(|d| d == c) {
                        return Err(format!("`choices` holds \"{c}\" twice"));
                    }
                }
                let right = choices.iter().position(|c| *c == answer).ok_or_else(|| {
                    format!("`answer` = \"{answer}\" is not one of `choices` ({})", choices.join(", "))
                })?;
                AnswerKey::Choice { choices, right }
            }
            (Some(_), Some(AnswerToml::Number(n))) => {
                return Err(format!("`answer` = {n} is a number but the question has `choices`: name the right choice as text"))
            }
            (None, Some(AnswerToml::Number(n))) => AnswerKey::Number(n),
            (None, Some(AnswerToml::Text(answer))) => {
                return Err(format!("`answer` = \"{answer}\" is text but the question has no `choices`: give `choices`, or a number"))
            }
        };
        let table = self.check.ok_or_else(|| {
            "`check` is missing: the claim that proves the answer against the run".to_string()
        })?;
        // The table without `run`, built by insertion: a `remove` compiled the
        // map's removal and rebalancing code into the page (docs/performance.md, size24).
        let mut check_table = toml::Table::new();
        for (key, value) in &table {
            if key != "run" {
                check_table.insert(key.clone(), value.clone());
            }
        }
        // `run = true`: the check looks at the whole run, not at the question's place.
        let whole_run = match table.get("run") {
            None => false,
            Some(toml::Value::Boolean(run)) => *run,
            Some(other) => {
                return Err(format!(
                    "`check.run` must be true or false, found `{}`",
                    super::toml_text::ValueText(other)
                ))
            }
        };
        if check_table.contains_key("claim") {
            return Err("`check.claim` is not needed: the question is the claim".to_string());
        }
        check_table.insert("claim".to_string(), toml::Value::String(ask.clone()));
        let check_value = toml::Value::Table(check_table);
        #[cfg(test)]
        let check_toml = if crate::scenario::oracle::SERDE.with(|serde| serde.get()) {
            crate::scenario::oracle::check_expect(check_value)
        } else {
            crate::scenario::read::check_expect(&check_value)
        };
        #[cfg(not(test))]
        let check_toml = crate::scenario::read::check_expect(&check_value);
        let check_toml: ExpectToml = check_toml.map_err(|message| format!("`check`: {message}"))?;
        let mut check = check_toml.into_expectation(1).map_err(|e| {
            format!(
                "`check`: {}",
                e.to_string()
                    .split_once(": ")
                    .map_or(e.to_string(), |(_, m)| m.to_string())
            )
        })?;
        let has_place = ["step", "call", "calls"]
            .iter()
            .any(|k| table.contains_key(*k));
        if whole_run && has_place {
            return Err("`check.run = true` and a `check` place do not go together".to_string());
        }
        if !has_place && !whole_run {
            check.at = match at {
                AskAt::Step(step) => ExpectAt::Step(step),
                AskAt::Call(call) => ExpectAt::Call(call),
            };
            if check.proc.is_some() && matches!(check.at, ExpectAt::Step(_)) {
                return Err(
                    "`check.proc` reads the state after one call: give `check.call`".to_string(),
                );
            }
        }
        let uses_answer = check
            .says
            .iter()
            .chain(&check.outcome)
            .chain(&check.operation)
            .any(|t| t.contains(ANSWER_PLACEHOLDER));
        if !uses_answer {
            return Err(format!(
                "`check` never uses {ANSWER_PLACEHOLDER} in `says`, `outcome` or `operation`, so it cannot prove the answer"
            ));
        }
        Ok(Question {
            at,
            ask,
            key,
            explain,
            check,
        })
    }
}

/// The `[[question]]` tables for `questions`, in the form [`super::parse_scenario`]
/// reads back.
pub fn questions_to_toml(questions: &[Question], quote: fn(&str) -> String) -> String {
    let mut out = String::new();
    for q in questions {
        out.push_str("\n[[question]]\n");
        match q.at {
            AskAt::Step(step) => out.push_str(&format!("step = {step}\n")),
            AskAt::Call(call) => out.push_str(&format!("call = {call}\n")),
        }
        out.push_str(&format!("ask = {}\n", quote(&q.ask)));
        match &q.key {
            AnswerKey::Choice { choices, .. } => {
                let quoted: Vec<String> = choices.iter().map(|c| quote(c)).collect();
                out.push_str(&format!("choices = [{}]\n", quoted.join(", ")));
                out.push_str(&format!("answer = {}\n", quote(&q.right_text())));
            }
            AnswerKey::Number(n) => out.push_str(&format!("answer = {n}\n")),
        }
        out.push_str(&format!("explain = {}\n", quote(&q.explain)));
        out.push_str("[question.check]\n");
        let check = Expectation {
            claim: "-".to_string(),
            ..q.check.clone()
        };
        let written =
            crate::scenario::expect::expectations_to_toml(std::slice::from_ref(&check), quote);
        // The check's own table, without the `[[expect]]` header and the claim (the
        // question); its place is always written, so it reads back the same.
        for line in written
            .lines()
            .filter(|l| !l.is_empty() && *l != "[[expect]]" && !l.starts_with("claim = "))
        {
            out.push_str(line);
            out.push('\n');
        }
        if !written.lines().any(|l| {
            l.starts_with("step = ") || l.starts_with("call = ") || l.starts_with("calls = ")
        }) {
            // A check over the whole run: say so, or the question's place would be
            // taken on reading.
            out.push_str("run = true\n");
        }
    }
    out
}
