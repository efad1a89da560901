//! The embed's `postMessage` API in the browser: a host's message read into the
//! engine's plain data (`view::embed_api`), after a cheap check of its size, and the
//! replies posted back. What the messages mean, and every refusal's words, are the
//! engine's; the app (`app::host`) wires this to the reducer.

use buddyscope_engine::limits::{
    EMBED_MESSAGE_BYTES_MAX, EMBED_MESSAGE_DEPTH_MAX, EMBED_MESSAGE_VALUES_MAX,
};
use buddyscope_engine::view::embed_api::{
    parse_message, refuse_not_plain, refuse_too_deep, refuse_too_large, refuse_too_many_values,
    refuse_unreadable, Message, Outgoing, Refused, Reply, Value,
};
use js_sys::{Array, ArrayBuffer, JsString, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

/// Reads a host's message: refused before conversion when its strings are longer
/// than the limit (counted in UTF-16 units, never more than their UTF-8 bytes, so a
/// 50 MB string costs one length read) or it nests or holds too much; then converted
/// with `serde-wasm-bindgen` and checked by the engine.
pub fn read_message(data: &JsValue) -> Result<Message, Refused> {
    let mut budget = Budget::default();
    precheck(data, 0, &mut budget)?;
    let value: Value = serde_wasm_bindgen::from_value(data.clone())
        .map_err(|e| refuse_unreadable(&e.to_string()))?;
    parse_message(&value)
}

#[derive(Default)]
struct Budget {
    units: usize,
    values: usize,
}

impl Budget {
    fn text(&mut self, units: u32) -> Result<(), Refused> {
        self.units = self.units.saturating_add(units as usize);
        if self.units > EMBED_MESSAGE_BYTES_MAX {
            return Err(refuse_too_large(self.units));
        }
        Ok(())
    }
}

/// Walks plain data only (strings, numbers, booleans, null, arrays and objects whose
/// prototype is `Object.prototype` or none), stopping at the first limit passed.
fn precheck(value: &JsValue, depth: usize, budget: &mut Budget) -> Result<(), Refused> {
    budget.values += 1;
    if budget.values > EMBED_MESSAGE_VALUES_MAX {
        return Err(refuse_too_many_values());
    }
    if let Some(text) = value.dyn_ref::<JsString>() {
        return budget.text(text.length());
    }
    if !value.is_object() {
        // Numbers, booleans, null, undefined (symbols and functions cannot be posted).
        return Ok(());
    }
    if value.is_instance_of::<ArrayBuffer>() || ArrayBuffer::is_view(value) {
        return Err(refuse_not_plain("binary data"));
    }
    let child_depth = depth + 1;
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        if array.length() as usize > EMBED_MESSAGE_VALUES_MAX {
            return Err(refuse_too_many_values());
        }
        if child_depth > EMBED_MESSAGE_DEPTH_MAX && array.length() > 0 {
            return Err(refuse_too_deep());
        }
        for item in array.iter() {
            precheck(&item, child_depth, budget)?;
        }
        return Ok(());
    }
    let object: &Object = value.unchecked_ref();
    let prototype = Object::get_prototype_of(value);
    let plain = prototype.is_null() || Object::get_prototype_of(&prototype).is_null();
    if !plain {
        return Err(refuse_not_plain(
            "an object that is not plain data (a Map, a Set, a Date, a file, ...)",
        ));
    }
    let keys = Object::keys(object);
    if keys.length() as usize > EMBED_MESSAGE_VALUES_MAX {
        return Err(refuse_too_many_values());
    }
    if child_depth > EMBED_MESSAGE_DEPTH_MAX && keys.length() > 0 {
        return Err(refuse_too_deep());
    }
    for key in keys.iter() {
        if let Some(key) = key.dyn_ref::<JsString>() {
            budget.text(key.length())?;
        }
        let item = Reflect::get(value, &key).unwrap_or(JsValue::UNDEFINED);
        precheck(&item, child_depth, budget)?;
    }
    Ok(())
}

/// Posts `reply` to the embedding page (`window.parent`) for `origin`; nothing when
/// the page is not framed. A reply that cannot be converted is logged, never a panic.
pub fn post(reply: Reply, origin: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    if Object::is(&parent, &window) {
        return;
    }
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    match Outgoing::from(reply).serialize(&serializer) {
        Ok(data) => {
            if let Err(e) = parent.post_message(&data, origin) {
                web_sys::console::warn_2(&"Buddyscope: a reply could not be posted:".into(), &e);
            }
        }
        Err(e) => web_sys::console::warn_1(
            &format!("Buddyscope: a reply could not be converted: {e}").into(),
        ),
    }
}

/// Whether `source` (a message event's) is the embedding page.
pub fn from_parent(source: Option<&Object>) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match (source, window.parent()) {
        (Some(source), Ok(Some(parent))) => {
            !Object::is(&parent, &window) && Object::is(source, &parent)
        }
        _ => false,
    }
}
