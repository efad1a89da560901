//! Importing a real machine in whatever form the user has it: pasted text, files
//! picked or dropped on the panel (read as bytes, so gzip works; several are read
//! together, as a sosreport's files), or a sosreport folder picked whole (only the
//! files Buddyscope reads are loaded). The capture commands are shown with Copy
//! buttons, and the last import's notes (what each file was used for, what was
//! assumed) under the button.
//!
//! A kmem trace among the inputs (the text of /sys/kernel/tracing/trace or `perf
//! script`, gzipped or not) is offered for replay instead, as `buddyscope
//! import-trace` does it: its requests, or followed (every block at its traced pfn),
//! on a machine sized for it, the current machine or one given with it. The
//! replay's summary (the agreement figure first) is shown under the button.

use std::rc::Rc;

use buddyscope_engine::import::kmemtrace::is_trace_text;
use buddyscope_engine::import::snapshot::{decode_trace_file, is_read_path, InputFile, PASTED};
use buddyscope_engine::limits::{SNAPSHOT_BYTES_MAX, TRACE_BYTES_MAX};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, FileList, HtmlInputElement};
use yew::prelude::*;

use crate::tags::{button, text, PLAIN};

use super::fields::{error_box, set_on_input, target_value};
use crate::state::{Action, TraceMachine};

/// The snapshot command of `engine/tests/data/oracle/README.md`.
const SNAPSHOT_COMMAND: &str =
    "{ echo '==> dmesg <=='; dmesg; tail -n +1 -v /proc/cmdline /proc/zoneinfo \\
  /proc/buddyinfo /proc/pagetypeinfo /proc/sys/vm/min_free_kbytes \\
  /proc/sys/vm/watermark_scale_factor /proc/sys/vm/watermark_boost_factor \\
  /proc/sys/vm/lowmem_reserve_ratio /proc/sys/vm/percpu_pagelist_high_fraction \\
  /sys/kernel/mm/transparent_hugepage/enabled /sys/devices/system/cpu/online \\
  /sys/devices/system/node/node*/distance /sys/devices/system/node/node*/cpulist; \\
} > machine.snapshot";
const SOS_COMMAND: &str = "sudo sos report --batch && sudo tar xf /var/tmp/sosreport-*.tar.xz && \
sudo chown -R \"$USER\" sosreport-*/   # then pick the folder";
const ZONEINFO_COMMAND: &str = "cat /proc/zoneinfo > zoneinfo.txt; numactl -H > numactl.txt";

/// The capture commands: (what it is, the command).
const COMMANDS: [(&str, &str); 3] = [
    ("A snapshot (everything the model reads):", SNAPSHOT_COMMAND),
    ("A sosreport:", SOS_COMMAND),
    (
        "Just the zones (the layout is then inferred; see the notes):",
        ZONEINFO_COMMAND,
    ),
];

#[derive(Properties, PartialEq)]
pub struct SnapshotImportProps {
    /// The last failed import, if any.
    pub load_error: Option<String>,
    /// What the last successful import said.
    pub notes: Rc<Vec<String>>,
    /// The last trace replay's summary, agreement figure first.
    pub trace_summary: Rc<Vec<String>>,
    pub on_action: Callback<Action>,
}

/// The files a FileList holds, as `File`s with the name to give each (a folder's
/// files by their path inside it, keeping only those Buddyscope reads).
fn listed_files(list: &FileList, folder: bool) -> Vec<(String, File)> {
    (0..list.length())
        .filter_map(|index| list.get(index))
        .filter_map(|file| {
            // `webkitRelativePath`: the path inside a picked folder, empty otherwise.
            let relative = js_sys::Reflect::get(&file, &"webkitRelativePath".into())
                .ok()
                .and_then(|value| value.as_string())
                .unwrap_or_default();
            let name = if relative.is_empty() {
                file.name()
            } else {
                relative
            };
            (!folder || is_read_path(&name)).then_some((name, file))
        })
        .collect()
}

/// Reads `files` as bytes and adds them to `chosen` (replacing a file of the same
/// name), or says why not in `upload_error`.
fn read_files(
    files: Vec<(String, File)>,
    chosen: UseStateHandle<Vec<InputFile>>,
    upload_error: UseStateSetter<Option<String>>,
) {
    if files.is_empty() {
        upload_error.set(Some(
            "No file Buddyscope reads was chosen (for a sosreport folder: proc/zoneinfo, sos_commands/kernel/dmesg, \
             sys/devices/system/node/...)."
                .to_string(),
        ));
        return;
    }
    // The engine's limits, checked before a file is read (a File's size is a double):
    // a kmem trace may be larger than a machine's file, which the engine checks
    // again as it decodes.
    if let Some((name, _)) = files
        .iter()
        .find(|(_, file)| file.size() > TRACE_BYTES_MAX as f64)
    {
        upload_error.set(Some(format!(
            "{name} is larger than {} MiB, the limit of a kmem trace ({} MiB for a machine's file).",
            TRACE_BYTES_MAX >> 20,
            SNAPSHOT_BYTES_MAX >> 20
        )));
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let mut read = (*chosen).clone();
        for (name, file) in files {
            let Ok(buffer) = JsFuture::from(file.array_buffer()).await else {
                upload_error.set(Some(format!("{name} could not be read.")));
                return;
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            read.retain(|other| other.name != name);
            read.push(InputFile::new(name, bytes));
        }
        upload_error.set(None);
        chosen.set(read);
    });
}

/// Copies `text` and says "Copied" (or why not) in `status`.
fn copy(text: &'static str, index: usize, status: UseStateSetter<Option<(usize, String)>>) {
    crate::clipboard::copy_and_say(
        text,
        "select the command and copy it by hand.",
        move |said| status.set(Some((index, said))),
    );
}

/// The name of the first input that is a kmem trace, if any.
fn trace_among(pasted: &str, chosen: &[InputFile]) -> Option<String> {
    if is_trace_text(pasted) {
        return Some(PASTED.to_string());
    }
    chosen
        .iter()
        .find(|file| decode_trace_file(file).is_ok_and(|text| is_trace_text(&text)))
        .map(|file| file.name.clone())
}

/// The inputs as files: the pasted text first, then the chosen files.
fn inputs(pasted: &str, chosen: &[InputFile]) -> Vec<InputFile> {
    let mut files = Vec::new();
    if !pasted.trim().is_empty() {
        files.push(InputFile::new(PASTED, pasted.as_bytes()));
    }
    files.extend(chosen.iter().cloned());
    files
}

/// The summary of the last trace replay: the agreement figure, then the rest.
fn trace_summary(summary: &[String]) -> Html {
    let Some((agreement, rest)) = summary.split_first() else {
        return html! {};
    };
    html! {
        <section class="trace-summary" id="trace-summary" aria-label="Trace replay summary">
            { text("h4", PLAIN, "Trace replay".into()) }
            <p id="trace-agreement">{ text("strong", PLAIN, agreement.to_string().into()) }</p>
            <details open=true>
                <summary>{ format!("Counts ({} lines)", rest.len()) }</summary>
                <ul>
                    { for rest.iter().map(|line| html! { { text("li", PLAIN, line.to_string().into()) } }) }
                </ul>
            </details>
        </section>
    }
}

#[function_component(SnapshotImport)]
pub fn snapshot_import(props: &SnapshotImportProps) -> Html {
    let snapshot = use_state(String::new);
    let chosen = use_state(Vec::<InputFile>::new);
    let upload_error = use_state(Option::<String>::default);
    let dragging = use_state(bool::default);
    let copied = use_state(|| None::<(usize, String)>);
    let follow = use_state(|| true);
    let trace_machine = use_state(|| TraceMachine::Sized);
    let trace = use_memo(
        ((*snapshot).clone(), (*chosen).clone()),
        |(pasted, chosen)| trace_among(pasted, chosen),
    );
    let on_snapshot = set_on_input(&snapshot);
    let on_pick = |folder: bool| {
        let (chosen, upload_error) = (chosen.clone(), upload_error.setter());
        Callback::from(move |event: Event| {
            let Some(input) = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(list) = input.files() {
                read_files(
                    listed_files(&list, folder),
                    chosen.clone(),
                    upload_error.clone(),
                );
            }
            // The same file picked again (after an edit) fires a change again.
            input.set_value("");
        })
    };
    let (on_files, on_folder) = (on_pick(false), on_pick(true));
    let on_dragover = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(true);
        })
    };
    let on_dragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_drop = {
        let (chosen, upload_error, dragging) =
            (chosen.clone(), upload_error.setter(), dragging.clone());
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
            let Some(list) = event.data_transfer().and_then(|data| data.files()) else {
                return;
            };
            read_files(
                listed_files(&list, false),
                chosen.clone(),
                upload_error.clone(),
            );
        })
    };
    let on_clear = {
        let (chosen, upload_error) = (chosen.clone(), upload_error.setter());
        Callback::from(move |_: MouseEvent| {
            chosen.set(Vec::new());
            upload_error.set(None);
        })
    };
    let on_import = {
        let (snapshot, chosen) = (snapshot.clone(), chosen.clone());
        let (on_action, upload_error) = (props.on_action.clone(), upload_error.setter());
        Callback::from(move |_: MouseEvent| {
            // A file may be read up to the trace limit; a machine's file stops at 16 MiB.
            if let Some(file) = chosen
                .iter()
                .find(|file| file.bytes.len() > SNAPSHOT_BYTES_MAX)
            {
                upload_error.set(Some(format!(
                    "{} is larger than {} MiB, the limit of a machine's file.",
                    file.name,
                    SNAPSHOT_BYTES_MAX >> 20
                )));
                return;
            }
            on_action.emit(Action::ImportFiles(inputs(&snapshot, &chosen)));
        })
    };
    let on_replay = {
        let (snapshot, chosen) = (snapshot.clone(), chosen.clone());
        let (follow, machine) = (follow.clone(), trace_machine.clone());
        props
            .on_action
            .reform(move |_: MouseEvent| Action::ImportTrace {
                files: inputs(&snapshot, &chosen),
                follow: *follow,
                machine: *machine,
            })
    };
    let on_mode = |value: bool| {
        let follow = follow.clone();
        Callback::from(move |_: Event| follow.set(value))
    };
    let on_machine = {
        let trace_machine = trace_machine.clone();
        Callback::from(move |event: Event| {
            trace_machine.set(match target_value(&event).as_str() {
                "current" => TraceMachine::Current,
                "given" => TraceMachine::Given,
                _ => TraceMachine::Sized,
            })
        })
    };
    // Other inputs than the trace: a machine to replay it on.
    let machine_given = trace.as_ref().as_ref().is_some_and(|name| {
        inputs(&snapshot, &chosen)
            .iter()
            .any(|file| &file.name != name)
    });
    let replay_panel = trace.as_ref().as_ref().map(|name| {
        let machine_value = match *trace_machine {
            TraceMachine::Sized => "sized",
            TraceMachine::Current => "current",
            TraceMachine::Given => "given",
        };
        html! {
            <fieldset class="trace-replay" id="trace-replay">
                <legend>{ format!("{name} is a kmem trace: replay it") }</legend>
                <label class="row">
                    <input type="radio" name="trace-mode" id="trace-follow" checked={*follow} onchange={on_mode(true)} />
                    { "Follow it: every block at the pfn the traced kernel returned, and per allocation whether the model would have picked the same block" }
                </label>
                <label class="row">
                    <input type="radio" name="trace-mode" id="trace-requests" checked={!*follow} onchange={on_mode(false)} />
                    { "Its requests: the model places every block itself" }
                </label>
                <label class="row">{ "On " }
                    <select id="trace-machine" aria-label="Machine to replay the trace on" onchange={on_machine}>
                        <option value="sized" selected={machine_value == "sized"}>{ "one node sized for the trace (as import-trace without --machine)" }</option>
                        <option value="current" selected={machine_value == "current"}>{ "the current machine" }</option>
                        <option value="given" selected={machine_value == "given"} disabled={!machine_given}>{ "the machine in the other files" }</option>
                    </select>
                </label>
                <div class="row">
                    { button(crate::attrs!("type" = "button", "id" = "trace-replay-button", "class" = "primary"), on_replay, "Replay trace".into()) }
                </div>
            </fieldset>
        }
    });
    let error = (*upload_error).clone().or_else(|| props.load_error.clone());
    let commands = COMMANDS.iter().enumerate().map(|(index, (what, command))| {
        let status = copied.setter();
        let command: &'static str = command;
        let onclick = Callback::from(move |_: MouseEvent| copy(command, index, status.clone()));
        let said = (*copied)
            .as_ref()
            .filter(|(at, _)| *at == index)
            .map(|(_, said)| said.clone());
        html! {
            <div class="capture">
                <div class="row">
                    { text("span", crate::attrs!("class" = "muted"), (*what).to_string().into()) }
                    <button type="button" class="copy" aria-label={format!("Copy: {what}")} {onclick}>{ "Copy" }</button>
                    if let Some(said) = said {
                        { text("span", crate::attrs!("role" = "status", "class" = "copied"), said.to_string().into()) }
                    }
                </div>
                { text("pre", crate::attrs!("class" = "command"), command.to_string().into()) }
            </div>
        }
    });
    let drop_class = classes!("dropzone", (*dragging).then_some("dragging"));
    html! {
        <div class="import" id="import" ondragover={on_dragover} ondragleave={on_dragleave} ondrop={on_drop}>
            { text("h3", PLAIN, "Import a real machine".into()) }
            { text("p", crate::attrs!("class" = "muted"), "Paste, pick or drop what you have: a snapshot, a dmesg (any rendering: -T, journalctl, syslog), a bare /proc/zoneinfo, numactl -H, /proc/buddyinfo, a sosreport's files or folder; gzipped or not. The current workload runs on the machine if it fits. A kmem trace (/sys/kernel/tracing/trace or perf script with the kmem:mm_page_* events) is replayed instead.".into()) }
            <details class="captures">
                { text("summary", PLAIN, "How to capture one".into()) }
                { for commands }
            </details>
            <textarea id="snapshot-text" aria-label="Machine snapshot or other text (dmesg, /proc/zoneinfo, numactl -H)" rows="4" spellcheck="false"
                placeholder="Paste a snapshot, a dmesg, /proc/zoneinfo or numactl -H here"
                value={(*snapshot).clone()} oninput={on_snapshot}></textarea>
            <div class={drop_class}>
                { text("span", PLAIN, "Drop files here, or ".into()) }
                <label class="picker">{ "choose files" }
                    <input type="file" id="import-files" multiple=true aria-label="Upload a snapshot file, or several of the machine's files" onchange={on_files} />
                </label>
                { text("span", PLAIN, " or ".into()) }
                <label class="picker">{ "a sosreport folder" }
                    <input type="file" id="import-folder" webkitdirectory=true aria-label="Choose a sosreport folder" onchange={on_folder} />
                </label>
            </div>
            if !chosen.is_empty() {
                <ul class="chosen" aria-label="Chosen files">
                    { for chosen.iter().map(|file| html! {
                        <li>{ format!("{} ({} bytes)", file.name, file.bytes.len()) }</li>
                    }) }
                </ul>
            }
            { for replay_panel }
            <div class="row">
                if trace.is_none() {
                    { button(crate::attrs!("type" = "button", "class" = "primary"), on_import, "Import machine".into()) }
                }
                if !chosen.is_empty() {
                    { button(crate::attrs!("type" = "button"), on_clear, "Clear files".into()) }
                }
            </div>
            { error_box("import-error", error) }
            { trace_summary(&props.trace_summary) }
            if !props.notes.is_empty() {
                <details class="import-notes" open=true>
                    <summary>{ format!("What the import read and assumed ({} notes)", props.notes.len()) }</summary>
                    <ul id="import-notes">
                        { for props.notes.iter().map(|note| html! { { text("li", PLAIN, note.to_string().into()) } }) }
                    </ul>
                </details>
            }
        </div>
    }
}
