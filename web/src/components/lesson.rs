//! Lesson mode's part of the page: the offer to start a lesson (a scenario with
//! `[[question]]`s), the learner's progress, and the question at the cursor: asked
//! with its choices or a number field, then revealed (right or not, the right answer,
//! the explanation) with a button to go on. The answer in progress (the choice
//! picked, the number typed) is transient component state; answers given are the
//! reducer's (`state::lesson`).

use std::rc::Rc;

use buddyscope_engine::scenario::{Answer, AnswerKey, Question, Scenario};
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::tags::{button, text, PLAIN};

use crate::components::editor::set_on_input;
use crate::state::{on_click, Action, Answers};

#[derive(Properties, PartialEq)]
pub struct LessonProps {
    pub scenario: Rc<Scenario>,
    /// The answers so far, in lesson mode.
    pub lesson: Option<Answers>,
    /// The question asked at the cursor.
    pub here: Option<usize>,
    pub on_action: Callback<Action>,
}

#[function_component(Lesson)]
pub fn lesson(props: &LessonProps) -> Html {
    let questions = &props.scenario.questions;
    if questions.is_empty() {
        return html! {};
    }
    let total = questions.len();
    let Some(answers) = &props.lesson else {
        let start = on_click(&props.on_action, Action::SetLesson(true));
        return html! {
            <section class="lesson-offer" aria-label="Lesson">
                <p>{ format!("This scenario asks {} as it runs. ", questions_text(total)) }
                    { button(crate::attrs!("id" = "lesson-start"), start, "Start the lesson".into()) }</p>
            </section>
        };
    };
    let answered = answers.iter().flatten().count();
    let right = questions
        .iter()
        .zip(answers.iter())
        .filter(|(q, a)| a.as_ref().is_some_and(|a| q.is_right(a)))
        .count();
    let leave = on_click(&props.on_action, Action::SetLesson(false));
    let card = props.here.and_then(|index| {
        let question = questions.get(index)?.clone();
        let answer = answers.get(index).cloned().flatten();
        Some(html! {
            <QuestionCard key={index} {index} {total} {question} {answer} on_action={props.on_action.clone()} />
        })
    });
    html! {
        <section class="lesson" aria-label="Lesson">
            <p class="lesson-progress" id="lesson-progress">
                { format!("Lesson: {answered} of {} answered, {right} right. ", questions_text(total)) }
                { button(crate::attrs!("id" = "lesson-leave"), leave, "Leave lesson mode".into()) }
            </p>
            { card.unwrap_or_default() }
        </section>
    }
}

/// "1 question", "2 questions".
fn questions_text(count: usize) -> String {
    match count {
        1 => "1 question".to_string(),
        n => format!("{n} questions"),
    }
}

#[derive(Properties, PartialEq)]
struct QuestionProps {
    index: usize,
    total: usize,
    question: Question,
    answer: Option<Answer>,
    on_action: Callback<Action>,
}

/// The letter of choice `i` (a, b, ...), as the URL writes it too.
fn letter(i: usize) -> char {
    u8::try_from(i)
        .ok()
        .filter(|i| *i < 26)
        .map_or('?', |i| char::from(b'a' + i))
}

#[function_component(QuestionCard)]
fn question_card(props: &QuestionProps) -> Html {
    let picked = use_state(Option::<usize>::default);
    let typed = use_state(String::new);
    let problem = use_state(Option::<String>::default);
    let focus = use_node_ref();
    {
        // The first field when asked, the button to go on once answered: the
        // keyboard is where the learner acts next.
        let focus = focus.clone();
        use_effect_with(props.answer.is_some(), move |_| {
            if let Some(element) = focus.cast::<HtmlElement>() {
                let _ = element.focus();
            }
        });
    }
    let q = &props.question;
    let heading = format!("Question {} of {}", props.index + 1, props.total);
    if let Some(answer) = &props.answer {
        let right = q.is_right(answer);
        let go_on = on_click(&props.on_action, Action::StepInto);
        let verdict = if right {
            format!("Right: {}.", q.answer_text(answer))
        } else {
            format!("Not this time: you answered {}.", q.answer_text(answer))
        };
        return html! {
            <section class={classes!("question", "answered", if right { "right" } else { "wrong" })}
                id="question" aria-labelledby="question-heading" aria-live="polite">
                { text("h2", crate::attrs!("id" = "question-heading"), heading.to_string().into()) }
                { text("p", crate::attrs!("id" = "question-ask", "class" = "question-ask"), q.ask.to_string().into()) }
                { text("p", crate::attrs!("id" = "question-verdict", "class" = "question-verdict"), verdict.to_string().into()) }
                <p id="question-right">{ format!("The answer: {}.", q.right_text()) }</p>
                { text("p", crate::attrs!("id" = "question-explain", "class" = "question-explain"), q.explain.to_string().into()) }
                <button id="question-go-on" ref={focus} onclick={go_on}>{ "Go on (next step)" }</button>
            </section>
        };
    }
    let on_submit = {
        let (picked, typed, problem) = (picked.clone(), typed.clone(), problem.clone());
        let (on_action, index, key) = (props.on_action.clone(), props.index, q.key.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let answer = match &key {
                AnswerKey::Choice { .. } => match *picked {
                    Some(i) => Answer::Choice(i),
                    None => return problem.set(Some("Pick one of the choices first.".to_string())),
                },
                AnswerKey::Number(_) => match typed.trim().parse::<i64>() {
                    Ok(n) => Answer::Number(n),
                    Err(_) => {
                        return problem.set(Some(format!(
                            "“{}” is not a whole number: type one, like 512.",
                            typed.trim()
                        )))
                    }
                },
            };
            problem.set(None);
            on_action.emit(Action::Answer {
                question: index,
                answer,
            });
        })
    };
    let field = match &q.key {
        AnswerKey::Choice { choices, .. } => {
            let items = choices.iter().enumerate().map(|(i, choice)| {
                let on_change = {
                    let picked = picked.clone();
                    Callback::from(move |_: Event| picked.set(Some(i)))
                };
                let id = format!("question-choice-{i}");
                html! {
                    <label class="question-choice" for={id.clone()}>
                        <input type="radio" name="question-choice" id={id} value={i.to_string()}
                            checked={*picked == Some(i)} onchange={on_change}
                            ref={if i == 0 { focus.clone() } else { NodeRef::default() }} />
                        { format!(" {}. {choice}", letter(i)) }
                    </label>
                }
            });
            html! {
                <fieldset class="question-choices">
                    { text("legend", PLAIN, "Your answer".into()) }
                    { for items }
                </fieldset>
            }
        }
        AnswerKey::Number(_) => {
            let on_input = set_on_input(&typed);
            html! {
                <p>{ text("label", crate::attrs!("for" = "question-number"), "Your answer (a whole number): ".into()) }
                    <input id="question-number" type="text" inputmode="numeric" size="10" autocomplete="off"
                        value={(*typed).clone()} oninput={on_input} ref={focus.clone()} /></p>
            }
        }
    };
    html! {
        <form class="question" id="question" aria-labelledby="question-heading" onsubmit={on_submit}>
            { text("h2", crate::attrs!("id" = "question-heading"), heading.to_string().into()) }
            { text("p", crate::attrs!("id" = "question-ask", "class" = "question-ask"), q.ask.to_string().into()) }
            { field }
            if let Some(problem) = &*problem {
                { text("p", crate::attrs!("role" = "alert", "class" = "field-error"), problem.to_string().into()) }
            }
            <button type="submit" id="question-submit">{ "Answer" }</button>
            { text("span", crate::attrs!("class" = "question-hint"), " The page waits here for your answer.".into()) }
        </form>
    }
}
