//! A learner's progress through a lesson's questions as text for the page's URL
//! (`lesson=` in the fragment, see docs/page.md): one item a question, in order,
//! separated by `,`: `-` not answered yet, a letter (`a` for the first choice) for a
//! choice, a whole number for a number question. Items past the last answered one are
//! left out, so `lesson=-` is a lesson with nothing answered yet.

use crate::scenario::question::{Answer, AnswerKey, Question};

/// The progress as the `lesson=` value.
pub fn progress_to_text(answers: &[Option<Answer>]) -> String {
    let last = answers.iter().rposition(Option::is_some);
    let items: Vec<String> = match last {
        None => vec!["-".to_string()],
        Some(last) => answers
            .iter()
            .take(last + 1)
            .map(|answer| match answer {
                None => "-".to_string(),
                Some(Answer::Choice(i)) => u8::try_from(*i)
                    .ok()
                    .filter(|i| *i < 26)
                    .map_or_else(|| "-".to_string(), |i| char::from(b'a' + i).to_string()),
                Some(Answer::Number(n)) => n.to_string(),
            })
            .collect(),
    };
    items.join(",")
}

/// Reads a `lesson=` value for `questions`: one answer (or none) per question. An
/// item that does not fit its question (a letter past its choices, a number for a
/// choice, more items than questions) is an error naming it.
pub fn progress_from_text(
    text: &str,
    questions: &[Question],
) -> Result<Vec<Option<Answer>>, String> {
    let mut answers = vec![None; questions.len()];
    if text.is_empty() {
        return Ok(answers);
    }
    for (i, item) in text.split(',').enumerate() {
        let Some(question) = questions.get(i) else {
            return Err(format!(
                "the lesson progress has {} items; the lesson has {} questions",
                text.split(',').count(),
                questions.len()
            ));
        };
        let slot = answers.get_mut(i);
        let answer = match (item, &question.key) {
            ("-" | "", _) => None,
            (letter, AnswerKey::Choice { choices, .. }) => {
                let index = match letter.as_bytes() {
                    [c @ b'a'..=b'z'] => usize::from(c - b'a'),
                    _ => {
                        return Err(format!(
                            "answer {} (`{letter}`) is not a choice letter",
                            i + 1
                        ))
                    }
                };
                if index >= choices.len() {
                    return Err(format!(
                        "answer {} is choice `{letter}`; question {} has {} choices",
                        i + 1,
                        i + 1,
                        choices.len()
                    ));
                }
                Some(Answer::Choice(index))
            }
            (number, AnswerKey::Number(_)) => {
                Some(Answer::Number(number.parse::<i64>().map_err(|_| {
                    format!("answer {} (`{number}`) is not a whole number", i + 1)
                })?))
            }
        };
        if let Some(slot) = slot {
            *slot = answer;
        }
    }
    Ok(answers)
}
