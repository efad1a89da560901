//! The workload text, the generator picker that appends to it, and "Apply workload".
//! The text itself is the editor's state (the machine form applies it too).

use std::rc::Rc;

use buddyscope_engine::scenario::Scenario;
use yew::prelude::*;

use crate::tags::{button, text, PLAIN};

use super::fields::{error_box, target_value};
use super::generator::GeneratorPicker;
use crate::state::{Action, Source};

pub struct WorkloadEditorProps {
    pub scenario: Rc<Scenario>,
    pub workload: String,
    /// The last failed load's workload error, with the offending line.
    pub load_error: Option<String>,
    pub on_change: Callback<String>,
    pub on_action: Callback<Action>,
}

/// `text` with `line` added as its last line.
pub fn with_line(text: &str, line: &str) -> String {
    let mut next = text.to_string();
    if !next.is_empty() && !next.ends_with('\n') {
        next.push('\n');
    }
    next.push_str(line);
    next.push('\n');
    next
}

/// The workload's offending line with a caret under the column.
pub fn workload_excerpt(script: &str, line: usize, column: usize) -> String {
    let text = script.lines().nth(line.saturating_sub(1)).unwrap_or("");
    format!(
        "{line:>4} | {text}\n     | {}^",
        " ".repeat(column.saturating_sub(1))
    )
}

pub fn workload_editor(props: &WorkloadEditorProps) -> Html {
    let on_input = props
        .on_change
        .reform(|event: InputEvent| target_value(&event));
    let on_add = {
        let workload = props.workload.clone();
        props
            .on_change
            .reform(move |line: String| with_line(&workload, &line))
    };
    let on_apply = {
        let (scenario, workload) = (props.scenario.clone(), props.workload.clone());
        props.on_action.reform(move |_: MouseEvent| {
            let mut next = (*scenario).clone();
            next.workload = Some(workload.clone()).filter(|w| !w.trim().is_empty());
            next.open_at = None;
            Action::LoadScenario(Box::new(next), Source::Editor)
        })
    };
    html! {
        <div class="workload">
            { text("h3", PLAIN, "Workload".into()) }
            { text("label", crate::attrs!("for" = "workload-text", "class" = "muted"), "alloc / free / repeat / cpu / drain / kswapd / compact / drop_caches / sysctl / online / offline / generate; see docs/scenario.md".into()) }
            <textarea id="workload-text" aria-label="Workload" rows="8" spellcheck="false" value={props.workload.clone()} oninput={on_input}></textarea>
            <GeneratorPicker {on_add} />
            { button(crate::attrs!("type" = "button", "class" = "primary"), on_apply, "Apply workload".into()) }
            { error_box("workload-error", props.load_error.clone()) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_added_after_the_last_line() {
        assert_eq!(with_line("", "generate x"), "generate x\n");
        assert_eq!(with_line("a", "b"), "a\nb\n");
        assert_eq!(with_line("a\n", "b"), "a\nb\n");
    }

    #[test]
    fn the_excerpt_points_at_the_column() {
        assert_eq!(
            workload_excerpt("one\ntwo words\n", 2, 5),
            "   2 | two words\n     |     ^"
        );
    }
}
