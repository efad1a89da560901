//! Importing a real machine in whatever form the user has it: pasted text, files
//! picked or dropped on the panel (read as bytes, so gzip works; several are read
//! together, as a sosreport's files), or a sosreport folder picked whole (only the
//! files Buddyscope reads are loaded). The capture commands are shown with Copy
//! buttons, and the last import's notes (what each file was used for, what was
//! assumed) under the button.

use std::rc::Rc;

use buddyscope_engine::import::snapshot::{is_read_path, InputFile, PASTED};
use buddyscope_engine::limits::SNAPSHOT_BYTES_MAX;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, FileList, HtmlInputElement};
use yew::prelude::*;

use super::fields::{error_box, target_value};
use crate::state::Action;

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
    // The engine's limit, checked before a file is read (a File's size is a double).
    if let Some((name, _)) = files
        .iter()
        .find(|(_, file)| file.size() > SNAPSHOT_BYTES_MAX as f64)
    {
        upload_error.set(Some(format!(
            "{name} is larger than {} MiB, the limit of a machine's file.",
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
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        let said = match JsFuture::from(promise).await {
            Ok(_) => "Copied.".to_string(),
            Err(error) => format!(
                "Copy failed ({}); select the command and copy it by hand.",
                error
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
                    .unwrap_or_else(|| "the browser refused".to_string())
            ),
        };
        status.set(Some((index, said)));
    });
}

#[function_component(SnapshotImport)]
pub fn snapshot_import(props: &SnapshotImportProps) -> Html {
    let snapshot = use_state(String::new);
    let chosen = use_state(Vec::<InputFile>::new);
    let upload_error = use_state(|| None::<String>);
    let dragging = use_state(|| false);
    let copied = use_state(|| None::<(usize, String)>);
    let on_snapshot = {
        let snapshot = snapshot.clone();
        Callback::from(move |event: InputEvent| snapshot.set(target_value(&event)))
    };
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
        let chosen = chosen.clone();
        Callback::from(move |_: MouseEvent| chosen.set(Vec::new()))
    };
    let on_import = {
        let (snapshot, chosen) = (snapshot.clone(), chosen.clone());
        props.on_action.reform(move |_: MouseEvent| {
            let mut files = Vec::new();
            if !snapshot.trim().is_empty() {
                files.push(InputFile::new(PASTED, snapshot.as_bytes()));
            }
            files.extend(chosen.iter().cloned());
            Action::ImportFiles(files)
        })
    };
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
                    <span class="muted">{ *what }</span>
                    <button type="button" class="copy" aria-label={format!("Copy: {what}")} {onclick}>{ "Copy" }</button>
                    if let Some(said) = said {
                        <span class="copied" role="status">{ said }</span>
                    }
                </div>
                <pre class="command">{ command }</pre>
            </div>
        }
    });
    let drop_class = classes!("dropzone", (*dragging).then_some("dragging"));
    html! {
        <div class="import" id="import" ondragover={on_dragover} ondragleave={on_dragleave} ondrop={on_drop}>
            <h3>{ "Import a real machine" }</h3>
            <p class="muted">{ "Paste, pick or drop what you have: a snapshot, a dmesg (any rendering: -T, journalctl, syslog), a bare /proc/zoneinfo, numactl -H, /proc/buddyinfo, a sosreport's files or folder; gzipped or not. The current workload runs on the machine if it fits." }</p>
            <details class="captures">
                <summary>{ "How to capture one" }</summary>
                { for commands }
            </details>
            <textarea id="snapshot-text" aria-label="Machine snapshot or other text (dmesg, /proc/zoneinfo, numactl -H)" rows="4" spellcheck="false"
                placeholder="Paste a snapshot, a dmesg, /proc/zoneinfo or numactl -H here"
                value={(*snapshot).clone()} oninput={on_snapshot}></textarea>
            <div class={drop_class}>
                <span>{ "Drop files here, or " }</span>
                <label class="picker">{ "choose files" }
                    <input type="file" id="import-files" multiple=true aria-label="Upload a snapshot file, or several of the machine's files" onchange={on_files} />
                </label>
                <span>{ " or " }</span>
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
            <div class="row">
                <button type="button" class="primary" onclick={on_import}>{ "Import machine" }</button>
                if !chosen.is_empty() {
                    <button type="button" onclick={on_clear}>{ "Clear files" }</button>
                }
            </div>
            { error_box("import-error", error) }
            if !props.notes.is_empty() {
                <details class="import-notes" open=true>
                    <summary>{ format!("What the import read and assumed ({} notes)", props.notes.len()) }</summary>
                    <ul id="import-notes">
                        { for props.notes.iter().map(|note| html! { <li>{ note.clone() }</li> }) }
                    </ul>
                </details>
            }
        </div>
    }
}
