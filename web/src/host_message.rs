//! The embed's `postMessage` API in the browser: a host's message read into the
//! engine's plain data (`view::embed_api`), after a cheap check of its size, and the
//! replies posted back. What the messages mean, and every refusal's words, are the
//! engine's; the app (`app::host`) wires this to the reducer.

use buddyscope_engine::limits::{
    EMBED_MESSAGE_BYTES_MAX, EMBED_MESSAGE_DEPTH_MAX, EMBED_MESSAGE_VALUES_MAX,
};

use buddyscope_engine::view::embed_api::{
    parse_message, refuse_not_plain, refuse_too_deep, refuse_too_large, refuse_too_many_values,
    refuse_unreadable, Data, Message, Outgoing, Refused, Reply, Value, ValueMap,
};
use js_sys::{Array, ArrayBuffer, JsString, Number, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// Reads a host's message: refused before conversion when its strings are longer
/// than the limit (counted in UTF-16 units, never more than their UTF-8 bytes, so a
/// 50 MB string costs one length read) or it nests or holds too much; then converted
/// (`to_value`) and checked by the engine.
pub fn read_message(data: &JsValue) -> Result<Message, Refused> {
    let mut budget = Budget::default();
    precheck(data, 0, &mut budget)?;
    // A conversion error reads as a JavaScript `Error` made into a string, as
    // serde-wasm-bindgen's did.
    let value = to_value(data, 0).map_err(|e| refuse_unreadable(&format!("Error: {e}")))?;
    parse_message(&value)
}

/// `data` as the engine's [`Value`], as serde-wasm-bindgen's `from_value` read it
/// into `Value`'s `Deserialize` (its `deserialize_any`, in its order of tests): null
/// and undefined, booleans, BigInts (in i64 or u64), numbers (a safe integer through
/// i64, so -0 reads as 0), strings, arrays, objects (their own enumerable entries).
/// Written by hand to keep serde's machinery out of the page (docs/performance.md,
/// branch size22). `precheck` has refused everything else, and every limit.
fn to_value(data: &JsValue, depth: usize) -> Result<Value, String> {
    if depth > EMBED_MESSAGE_DEPTH_MAX {
        return Err(format!(
            "the message nests objects or arrays more than {EMBED_MESSAGE_DEPTH_MAX} deep"
        ));
    }
    let too_many = || format!("the message holds more than {EMBED_MESSAGE_VALUES_MAX} values");
    if data.loose_eq(&JsValue::NULL) {
        return Ok(Value::Null);
    }
    if let Some(b) = data.as_bool() {
        return Ok(Value::Bool(b));
    }
    if data.is_bigint() {
        return match i64::try_from(data.clone()) {
            Ok(n) => Ok(Value::Number(n as f64)),
            Err(data) => match u64::try_from(data) {
                Ok(n) => Ok(Value::Number(n as f64)),
                Err(_) => Err(
                    "Couldn't deserialize i64 or u64 from a BigInt outside i64::MIN..u64::MAX bounds"
                        .to_string(),
                ),
            },
        };
    }
    if let Some(n) = data.as_f64() {
        if Number::is_safe_integer(data) {
            return Ok(Value::Number(n as i64 as f64));
        }
        return Ok(Value::Number(n));
    }
    if let Some(text) = data.as_string() {
        return Ok(Value::String(text));
    }
    if Array::is_array(data) {
        let array: &Array = data.unchecked_ref();
        let mut items = Vec::new();
        for item in array.iter() {
            if items.len() >= EMBED_MESSAGE_VALUES_MAX {
                return Err(too_many());
            }
            items.push(to_value(&item, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    let mut fields = ValueMap::new();
    for entry in Object::entries(data.unchecked_ref()).iter() {
        let entry: Array = entry.unchecked_into();
        if fields.len() >= EMBED_MESSAGE_VALUES_MAX {
            return Err(too_many());
        }
        let key = entry.get(0).as_string().unwrap_or_default();
        fields.insert(key, to_value(&entry.get(1), depth + 1)?);
    }
    Ok(Value::Object(fields))
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
    match to_js(&Outgoing::from(reply).data()) {
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

/// A reply's data as a JavaScript value, as serde-wasm-bindgen's JSON-compatible
/// serializer made it: plain objects with their fields in order, arrays, strings,
/// booleans, `null`, and numbers, refusing one beyond 2^53 - 1 in its words.
fn to_js(data: &Data) -> Result<JsValue, String> {
    Ok(match data {
        Data::Null => JsValue::NULL,
        Data::Bool(b) => JsValue::from_bool(*b),
        Data::Number(n) => {
            if *n > Number::MAX_SAFE_INTEGER as u64 {
                return Err(format!(
                    "Error: {n} can't be represented as a JavaScript number"
                ));
            }
            JsValue::from_f64(*n as f64)
        }
        Data::Text(text) => JsValue::from_str(text),
        Data::List(items) => {
            let array = Array::new();
            for item in items {
                array.push(&to_js(item)?);
            }
            array.into()
        }
        Data::Object(fields) => {
            let object = Object::new();
            for (key, value) in fields {
                let _ = Reflect::set(&object, &JsValue::from_str(key), &to_js(value)?);
            }
            object.into()
        }
    })
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
