//! The scenario editor: pick from the teaching library, edit the machine (nodes,
//! memory ranges and holes, CPUs, section size, distances, kernelcore/movablecore,
//! THP, sysctls), edit the workload, edit the whole scenario file, or import a real
//! machine's snapshot. Fields are transient component state; nothing reaches the
//! model until an Apply button sends an action, and a scenario that does not load
//! leaves the last good one running with the error shown beside the field.
//!
//! Each part is a component in its own file; this one holds the workload text (the
//! workload part edits it and the machine part applies it) and sends each part the
//! error that belongs to it.

mod distances;
mod fields;
mod generator;
mod import;
mod library;
mod machine;
mod node;
mod scenario_file;
mod workload;

use std::rc::Rc;

use buddyscope_engine::scenario::Scenario;
use buddyscope_engine::view::{LoadError, LoadErrorPlace};
use yew::prelude::*;

use crate::tags::{text, PLAIN};

use crate::state::{Action, Source};
use fields::use_reset_on_load;
/// Reading a field's value, which other components' inputs need too.
pub use fields::{set_on_input, target_value};
use import::SnapshotImport;
use library::LibraryPicker;
use machine::MachineEditor;
use scenario_file::ScenarioFile;
use workload::{workload_editor, workload_excerpt, WorkloadEditorProps};

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub scenario: Rc<Scenario>,
    pub generation: u64,
    pub load_error: Option<(Source, LoadError)>,
    pub warnings: Rc<Vec<String>>,
    pub on_action: Callback<Action>,
    /// The library entry last opened, for the picker.
    pub library: Rc<String>,
    /// What the last import read and assumed.
    pub import_notes: Rc<Vec<String>>,
    /// The last trace replay's summary.
    pub trace_summary: Rc<Vec<String>>,
}

/// Which part of the editor shows each failed load.
#[derive(Default)]
struct PartErrors {
    machine: Option<String>,
    workload: Option<String>,
    file: Option<String>,
    import: Option<String>,
}

impl PartErrors {
    /// Places `load_error`: the editor's machine or scenario errors by the machine, its
    /// workload errors by the workload (with the line of `workload` quoted), a
    /// scenario file's by the file, a snapshot's by the import.
    fn of(load_error: Option<&(Source, LoadError)>, workload: &str) -> PartErrors {
        let Some((source, error)) = load_error else {
            return PartErrors::default();
        };
        let mut errors = PartErrors::default();
        match (source, &error.place) {
            (Source::Editor, LoadErrorPlace::Workload { line, column }) => {
                errors.workload = Some(format!(
                    "{error}\n{}",
                    workload_excerpt(workload, *line, *column)
                ));
            }
            (Source::Editor, LoadErrorPlace::Machine | LoadErrorPlace::Scenario) => {
                errors.machine = Some(error.to_string());
            }
            (Source::Link | Source::ScenarioFile, _) => errors.file = Some(error.to_string()),
            (Source::Import, _) => errors.import = Some(error.to_string()),
            // The kernel switch changes the machine: its refusal belongs there.
            (Source::Kernel, _) => errors.machine = Some(error.to_string()),
            _ => {}
        }
        errors
    }
}

/// The workload text of a scenario, empty for none.
fn workload_of(scenario: &Scenario) -> String {
    scenario.workload.clone().unwrap_or_default()
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let workload = use_state(|| workload_of(&props.scenario));
    // A newly loaded scenario resets the workload text (each part resets its own).
    {
        let (workload, scenario) = (workload.clone(), props.scenario.clone());
        use_reset_on_load(
            props.generation,
            Box::new(move || workload.set(workload_of(&scenario))),
        );
    }
    let on_workload = {
        let workload = workload.clone();
        Callback::from(move |text: String| workload.set(text))
    };
    let errors = PartErrors::of(props.load_error.as_ref(), &workload);
    let (scenario, on_action) = (props.scenario.clone(), props.on_action.clone());
    html! {
        <section class="editor" id="editor" aria-label="Scenario editor">
            { text("h2", PLAIN, "Scenario".into()) }
            <LibraryPicker current={props.library.clone()} on_action={on_action.clone()} />
            <MachineEditor scenario={scenario.clone()} generation={props.generation}
                workload={(*workload).clone()} warnings={props.warnings.clone()}
                load_error={errors.machine} on_action={on_action.clone()} />
            { workload_editor(&WorkloadEditorProps { scenario: scenario.clone(), workload: (*workload).clone(),
                load_error: errors.workload, on_change: on_workload, on_action: on_action.clone() }) }
            <ScenarioFile {scenario} generation={props.generation} load_error={errors.file}
                on_action={on_action.clone()} />
            <SnapshotImport load_error={errors.import} notes={props.import_notes.clone()}
                trace_summary={props.trace_summary.clone()} {on_action} />
        </section>
    }
}
