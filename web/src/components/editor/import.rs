//! Importing a real machine: a snapshot pasted or uploaded (read in the browser, up
//! to the engine's size limit), then "Import machine".

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::fields::{error_box, target_value};
use crate::state::Action;
use buddyscope_engine::limits::SNAPSHOT_BYTES_MAX;

#[derive(Properties, PartialEq)]
pub struct SnapshotImportProps {
    /// The last failed import, if any.
    pub load_error: Option<String>,
    pub on_action: Callback<Action>,
}

/// Reads the file an `<input type=file>` event picked into `snapshot`, or says why
/// not in `upload_error`.
fn read_upload(
    event: &Event,
    snapshot: UseStateSetter<String>,
    upload_error: UseStateSetter<Option<String>>,
) {
    let Some(input) = event
        .target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    // The engine's limit, checked before the file is read (a File's size is a double).
    if file.size() > SNAPSHOT_BYTES_MAX as f64 {
        upload_error.set(Some(format!(
            "{} is larger than {} MiB, the snapshot limit.",
            file.name(),
            SNAPSHOT_BYTES_MAX >> 20
        )));
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        match JsFuture::from(file.text())
            .await
            .ok()
            .and_then(|v| v.as_string())
        {
            Some(text) => {
                upload_error.set(None);
                snapshot.set(text);
            }
            None => upload_error.set(Some("The file could not be read as text.".to_string())),
        }
    });
}

#[function_component(SnapshotImport)]
pub fn snapshot_import(props: &SnapshotImportProps) -> Html {
    let snapshot = use_state(String::new);
    let upload_error = use_state(|| None::<String>);
    let on_snapshot = {
        let snapshot = snapshot.clone();
        Callback::from(move |event: InputEvent| snapshot.set(target_value(&event)))
    };
    let on_upload = {
        let (snapshot, upload_error) = (snapshot.setter(), upload_error.setter());
        Callback::from(move |event: Event| {
            read_upload(&event, snapshot.clone(), upload_error.clone())
        })
    };
    let on_import = {
        let snapshot = snapshot.clone();
        props
            .on_action
            .reform(move |_: MouseEvent| Action::Import((*snapshot).clone()))
    };
    let error = (*upload_error).clone().or_else(|| props.load_error.clone());
    html! {
        <div class="import">
            <h3>{ "Import a real machine" }</h3>
            <p class="muted">{ "Paste or upload a machine snapshot (dmesg and /proc, /sys files; see engine/tests/data/oracle/README.md for how to capture one). The current workload runs on it if it fits." }</p>
            <textarea id="snapshot-text" aria-label="Machine snapshot" rows="4" spellcheck="false" value={(*snapshot).clone()} oninput={on_snapshot}></textarea>
            <div class="row">
                <input type="file" aria-label="Upload a snapshot file" onchange={on_upload} />
                <button type="button" class="primary" onclick={on_import}>{ "Import machine" }</button>
            </div>
            { error_box("import-error", error) }
        </div>
    }
}
