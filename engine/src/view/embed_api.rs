//! The embed's `postMessage` API (docs/embedding.md, "Drive the embed from your
//! notes"): the messages a host page sends an embedded playground, and what the
//! playground posts back. Plain data on both sides, so the page converts a message
//! into a [`Value`] (by hand, as `serde-wasm-bindgen` did; a JSON reader's
//! `Deserialize` of it is what the tests and the fuzzer use), and everything that can be wrong with
//! it is found here, natively tested: [`parse_message`] turns a value into a
//! [`Message`] or a [`Refusal`] that names the problem, and the page acts only on a
//! `Message`.
//!
//! Every message both ways is one object carrying `"buddyscope": 1`
//! ([`EMBED_API_VERSION`]); a request names its `verb`, a reply its `reply`. A request
//! may carry an `id` (a short string or an integer), echoed in its ack or refusal.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::limits::{EMBED_MESSAGE_BYTES_MAX, EMBED_MESSAGE_DEPTH_MAX, EMBED_MESSAGE_VALUES_MAX};
use crate::machine::Machine;
use crate::scenario::library;
use crate::types::Kernel;
use crate::view::{KernelFile, StepView};

/// The version of the message format, in every message both ways.
pub const EMBED_API_VERSION: u32 = 1;

/// The verbs a host may send, in the order docs/embedding.md lists them.
pub const VERBS: [&str; 8] = [
    "load",
    "go-to",
    "step-forward",
    "step-back",
    "step-over",
    "play",
    "pause",
    "view",
];

/// The longest `id` string a request may carry, in bytes.
pub const ID_BYTES_MAX: usize = 64;

/// A message as the browser hands it over: JSON-like data (a JavaScript value the
/// structured clone kept: no functions, no classes).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// `null` or `undefined`.
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(ValueMap),
}

/// An object's fields, sorted by key: a `BTreeMap<String, Value>`'s order, lookups
/// and inserts (a key's last value wins) on a sorted `Vec` (the map compiled its own
/// code into the page, docs/performance.md, branch size23). Serialized as a map and
/// shown by `Debug` as one, in key order, like the `BTreeMap` it replaces.
#[derive(Clone, Default, PartialEq)]
pub struct ValueMap(Vec<(String, Value)>);

impl ValueMap {
    pub fn new() -> ValueMap {
        ValueMap(Vec::new())
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn at(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.at(key)
            .ok()
            .and_then(|at| self.0.get(at))
            .map(|(_, value)| value)
    }

    /// Sets `key`'s value, returning the one it replaces.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.at(&key) {
            Ok(at) => self
                .0
                .get_mut(at)
                .map(|(_, old)| std::mem::replace(old, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The fields in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl fmt::Debug for ValueMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for ValueMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl Value {
    /// The value's type in the words a refusal uses.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The UTF-8 bytes of every string in the value, keys included (what
    /// [`EMBED_MESSAGE_BYTES_MAX`] bounds), and how many values it holds.
    fn size(&self) -> (usize, usize) {
        match self {
            Value::String(s) => (s.len(), 1),
            Value::Array(items) => items.iter().fold((0, 1), |(b, n), v| {
                let (vb, vn) = v.size();
                (b.saturating_add(vb), n.saturating_add(vn))
            }),
            Value::Object(fields) => fields.iter().fold((0, 1), |(b, n), (k, v)| {
                let (vb, vn) = v.size();
                (
                    b.saturating_add(k.len()).saturating_add(vb),
                    n.saturating_add(vn),
                )
            }),
            _ => (0, 1),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    /// Reads any self-describing data, refusing nesting deeper than
    /// [`EMBED_MESSAGE_DEPTH_MAX`] as it goes, so a deep object cannot exhaust the
    /// stack.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        ValueSeed { depth: 0 }.deserialize(deserializer)
    }
}

/// A [`Value`] at nesting `depth`.
struct ValueSeed {
    depth: usize,
}

impl ValueSeed {
    /// The seed for a value inside this one; it refuses when it is used (so an empty
    /// array or object at the deepest level is still read).
    fn inner(&self) -> ValueSeed {
        ValueSeed {
            depth: self.depth + 1,
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.depth > EMBED_MESSAGE_DEPTH_MAX {
            return Err(de::Error::custom(format!(
                "the message nests objects or arrays more than {EMBED_MESSAGE_DEPTH_MAX} deep"
            )));
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("plain data (null, a boolean, a number, a string, an array or an object)")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.inner())? {
            if items.len() >= EMBED_MESSAGE_VALUES_MAX {
                return Err(de::Error::custom(too_many_values()));
            }
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = ValueMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if fields.len() >= EMBED_MESSAGE_VALUES_MAX {
                return Err(de::Error::custom(too_many_values()));
            }
            let value = map.next_value_seed(self.inner())?;
            fields.insert(key, value);
        }
        Ok(Value::Object(fields))
    }
}

fn too_many_values() -> String {
    format!("the message holds more than {EMBED_MESSAGE_VALUES_MAX} values")
}

/// An optional request id, echoed in the reply.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RequestId {
    Text(String),
    Number(u64),
}

/// What `load` opens.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadWhat {
    /// A scenario file's text (TOML).
    Scenario(String),
    /// A library lesson or scenario by name (`buddyscope library` lists them).
    Library(String),
}

/// What the `view` verb switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewName {
    /// The step panel lists only the call's events up to the cursor (the default).
    EventsSoFar,
    /// The step panel lists every event of the call ("Show the whole call").
    WholeCall,
    /// "The kernel's numbers" shows this file.
    KernelFile(KernelFile),
    /// "The kernel's numbers" is closed.
    NumbersHidden,
}

impl ViewName {
    /// Every view name a host may send, in the order the docs list them.
    pub fn names() -> Vec<&'static str> {
        let mut names = vec!["events-so-far", "whole-call", "numbers-hidden"];
        names.extend(KernelFile::ALL.iter().map(|f| f.name()));
        names
    }

    fn from_name(name: &str) -> Option<ViewName> {
        match name {
            "events-so-far" => Some(ViewName::EventsSoFar),
            "whole-call" => Some(ViewName::WholeCall),
            "numbers-hidden" => Some(ViewName::NumbersHidden),
            _ => KernelFile::from_name(name).map(ViewName::KernelFile),
        }
    }
}

/// What a host asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Open a scenario; `lesson`: in lesson mode.
    Load {
        what: LoadWhat,
        lesson: bool,
    },
    /// Put the cursor on step `n` (0 to the last step).
    GoToStep(u64),
    /// Put the cursor at the start of call `n` (1-based, as the step panel counts).
    GoToCall(u64),
    /// One event forward (the ▶| button), back, or over the rest of the call.
    StepForward,
    StepBack,
    StepOver,
    /// Play, one event a tick (`interval_ms` between ticks, when given).
    Play {
        interval_ms: Option<u32>,
    },
    Pause,
    View(ViewName),
}

impl Request {
    /// The verb that asks for this request.
    pub fn verb(&self) -> &'static str {
        match self {
            Request::Load { .. } => "load",
            Request::GoToStep(_) | Request::GoToCall(_) => "go-to",
            Request::StepForward => "step-forward",
            Request::StepBack => "step-back",
            Request::StepOver => "step-over",
            Request::Play { .. } => "play",
            Request::Pause => "pause",
            Request::View(_) => "view",
        }
    }
}

/// A valid request and its id.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: Option<RequestId>,
    pub request: Request,
}

/// The shortest and longest play interval the page keeps (`SetInterval` clamps to
/// the same).
pub const PLAY_INTERVAL_MS_MIN: u32 = 10;
pub const PLAY_INTERVAL_MS_MAX: u32 = 5000;

/// What was wrong with a request, as a code a host can switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    /// The data is not an object (a string, a number, an array, null).
    NotAnObject,
    /// Too many bytes, values or levels (the limits in docs/limits.md).
    TooLarge,
    /// `buddyscope` is missing or another version.
    Version,
    UnknownVerb,
    MissingField,
    UnknownField,
    WrongType,
    /// The right type, a value outside what the field takes.
    BadValue,
    /// Two fields that cannot both be given.
    Contradiction,
    UnknownLibrary,
    OutOfRange,
    /// The scenario did not load (its error says why).
    LoadFailed,
}

/// A refused request: the problem's code and a sentence naming it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Refusal {
    pub problem: Problem,
    pub message: String,
}

impl Refusal {
    pub fn new(problem: Problem, message: impl Into<String>) -> Refusal {
        Refusal {
            problem,
            message: message.into(),
        }
    }
}

/// A refusal with what the page could read of the request it answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub id: Option<RequestId>,
    pub verb: Option<String>,
    pub refusal: Refusal,
}

/// The refusal for a message the page could not turn into a [`Value`]
/// (too deep, too many values, not plain data); `why` is its error.
pub fn refuse_unreadable(why: &str) -> Refused {
    let problem = if why.contains("deep") || why.contains("values") {
        Problem::TooLarge
    } else {
        Problem::WrongType
    };
    Refused {
        id: None,
        verb: None,
        refusal: Refusal::new(problem, format!("The message could not be read: {why}.")),
    }
}

/// The refusal for a message whose strings hold more than
/// [`EMBED_MESSAGE_BYTES_MAX`] bytes (the page finds it before converting).
pub fn refuse_too_large(bytes_at_least: usize) -> Refused {
    Refused {
        id: None,
        verb: None,
        refusal: Refusal::new(
            Problem::TooLarge,
            format!(
                "The message holds at least {bytes_at_least} bytes of text; the limit is {EMBED_MESSAGE_BYTES_MAX} bytes (1 MiB + 4 KiB)."
            ),
        ),
    }
}

/// Reads a message: checks its size, version, verb and every field, and returns the
/// request, or the refusal naming the first problem found (with the request's `id`
/// and `verb` when those could be read).
pub fn parse_message(value: &Value) -> Result<Message, Refused> {
    let (bytes, values) = value.size();
    if bytes > EMBED_MESSAGE_BYTES_MAX {
        return Err(refuse_too_large(bytes));
    }
    let bare = |refusal| Refused {
        id: None,
        verb: None,
        refusal,
    };
    if values > EMBED_MESSAGE_VALUES_MAX {
        return Err(bare(Refusal::new(
            Problem::TooLarge,
            format!("The message holds {values} values; the limit is {EMBED_MESSAGE_VALUES_MAX}."),
        )));
    }
    let Value::Object(fields) = value else {
        return Err(bare(Refusal::new(
            Problem::NotAnObject,
            format!(
                "The message is {}; send an object such as {{\"buddyscope\": {EMBED_API_VERSION}, \"verb\": \"step-forward\"}}.",
                value.type_name()
            ),
        )));
    };
    let fields = Fields { fields };
    let id = fields.id().map_err(bare)?;
    let verb = match fields.get("verb") {
        Some(Value::String(verb)) => Some(verb.clone()),
        _ => None,
    };
    let with = |refusal| Refused {
        id: id.clone(),
        verb: verb.clone(),
        refusal,
    };
    fields.version().map_err(with)?;
    let request = fields.request().map_err(with)?;
    Ok(Message { id, request })
}

/// A request's fields, read one by one.
struct Fields<'a> {
    fields: &'a ValueMap,
}

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        match self.fields.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    fn id(&self) -> Result<Option<RequestId>, Refusal> {
        match self.get("id") {
            None => Ok(None),
            Some(Value::String(s)) if s.len() <= ID_BYTES_MAX => Ok(Some(RequestId::Text(s.clone()))),
            Some(Value::String(s)) => Err(Refusal::new(
                Problem::BadValue,
                format!("Field `id` is {} bytes long; at most {ID_BYTES_MAX}.", s.len()),
            )),
            Some(Value::Number(n)) => whole_number(*n).map(|n| Some(RequestId::Number(n))).ok_or_else(|| {
                Refusal::new(
                    Problem::BadValue,
                    format!("Field `id` is {n}; an id is a string or a whole number from 0 to 2^53."),
                )
            }),
            Some(other) => Err(wrong_type("id", "a string or a whole number", other)),
        }
    }

    fn version(&self) -> Result<(), Refusal> {
        match self.get("buddyscope") {
            None => Err(Refusal::new(
                Problem::Version,
                format!("The message has no field `buddyscope`: every message carries the API version, \"buddyscope\": {EMBED_API_VERSION}."),
            )),
            Some(Value::Number(n)) if *n == f64::from(EMBED_API_VERSION) => Ok(()),
            Some(Value::Number(n)) => Err(Refusal::new(
                Problem::Version,
                format!("Version {n} is not supported; this page speaks version {EMBED_API_VERSION}."),
            )),
            Some(other) => Err(wrong_type("buddyscope", "a number (the API version)", other)),
        }
    }

    fn request(&self) -> Result<Request, Refusal> {
        let verb = match self.get("verb") {
            None => {
                return Err(Refusal::new(
                    Problem::MissingField,
                    format!(
                        "The message has no field `verb`; the verbs are {}.",
                        VERBS.join(", ")
                    ),
                ))
            }
            Some(Value::String(verb)) => verb.as_str(),
            Some(other) => return Err(wrong_type("verb", "a string", other)),
        };
        let allowed: &[&str] = match verb {
            "load" => &["scenario", "library", "lesson"],
            "go-to" => &["step", "call"],
            "play" => &["interval_ms"],
            "view" => &["view"],
            "step-forward" | "step-back" | "step-over" | "pause" => &[],
            _ => {
                return Err(Refusal::new(
                    Problem::UnknownVerb,
                    format!(
                        "Unknown verb “{}”; the verbs are {}.",
                        clip(verb),
                        VERBS.join(", ")
                    ),
                ))
            }
        };
        self.only(verb, allowed)?;
        Ok(match verb {
            "load" => self.load()?,
            "go-to" => self.go_to()?,
            "play" => Request::Play {
                interval_ms: self.interval_ms()?,
            },
            "view" => self.view()?,
            "step-forward" => Request::StepForward,
            "step-back" => Request::StepBack,
            "step-over" => Request::StepOver,
            _ => Request::Pause,
        })
    }

    /// Refuses a field the verb does not take (a typo would otherwise be ignored).
    fn only(&self, verb: &str, allowed: &[&str]) -> Result<(), Refusal> {
        let common = ["buddyscope", "verb", "id"];
        match self
            .fields
            .keys()
            .find(|k| !common.contains(&k.as_str()) && !allowed.contains(&k.as_str()))
        {
            None => Ok(()),
            Some(field) => Err(Refusal::new(
                Problem::UnknownField,
                if allowed.is_empty() {
                    format!("`{verb}` takes no field `{}`; it takes none besides buddyscope, verb and id.", clip(field))
                } else {
                    format!(
                        "`{verb}` takes no field `{}`; its fields are {}.",
                        clip(field),
                        allowed.join(", ")
                    )
                },
            )),
        }
    }

    fn string(&self, name: &str) -> Result<Option<&str>, Refusal> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(name, "a string", other)),
        }
    }

    fn number(&self, name: &str) -> Result<Option<u64>, Refusal> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => whole_number(*n).map(Some).ok_or_else(|| {
                Refusal::new(
                    Problem::BadValue,
                    format!("Field `{name}` is {n}; it takes a whole number from 0 to 2^53."),
                )
            }),
            Some(other) => Err(wrong_type(name, "a number", other)),
        }
    }

    fn load(&self) -> Result<Request, Refusal> {
        let lesson = match self.get("lesson") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(wrong_type("lesson", "a boolean", other)),
        };
        let what = match (self.string("scenario")?, self.string("library")?) {
            (Some(_), Some(name)) => {
                return Err(Refusal::new(
                    Problem::Contradiction,
                    format!("`load` has both a `scenario` text and `library` “{}”; send one.", clip(name)),
                ))
            }
            (Some(text), None) => LoadWhat::Scenario(text.to_string()),
            (None, Some(name)) => match library::get(name) {
                Some(_) => LoadWhat::Library(name.to_string()),
                None => return Err(unknown_library(name)),
            },
            (None, None) => {
                return Err(Refusal::new(
                    Problem::MissingField,
                    "`load` needs a field `scenario` (a scenario file's TOML text) or `library` (a library name).",
                ))
            }
        };
        Ok(Request::Load { what, lesson })
    }

    fn go_to(&self) -> Result<Request, Refusal> {
        match (self.number("step")?, self.number("call")?) {
            (Some(step), Some(call)) => Err(Refusal::new(
                Problem::Contradiction,
                format!("`go-to` has both `step` {step} and `call` {call}; send one."),
            )),
            (Some(step), None) => Ok(Request::GoToStep(step)),
            (None, Some(call)) => Ok(Request::GoToCall(call)),
            (None, None) => Err(Refusal::new(
                Problem::MissingField,
                "`go-to` needs a field `step` (0 to the last step) or `call` (1 to the number of calls).",
            )),
        }
    }

    fn interval_ms(&self) -> Result<Option<u32>, Refusal> {
        let Some(ms) = self.number("interval_ms")? else {
            return Ok(None);
        };
        match u32::try_from(ms) {
            Ok(ms) if (PLAY_INTERVAL_MS_MIN..=PLAY_INTERVAL_MS_MAX).contains(&ms) => Ok(Some(ms)),
            _ => Err(Refusal::new(
                Problem::OutOfRange,
                format!("`interval_ms` is {ms}; it takes {PLAY_INTERVAL_MS_MIN} to {PLAY_INTERVAL_MS_MAX}."),
            )),
        }
    }

    fn view(&self) -> Result<Request, Refusal> {
        let Some(name) = self.string("view")? else {
            return Err(Refusal::new(
                Problem::MissingField,
                format!(
                    "`view` needs a field `view`, one of {}.",
                    ViewName::names().join(", ")
                ),
            ));
        };
        ViewName::from_name(name).map(Request::View).ok_or_else(|| {
            Refusal::new(
                Problem::BadValue,
                format!(
                    "There is no view “{}”; the views are {}.",
                    clip(name),
                    ViewName::names().join(", ")
                ),
            )
        })
    }
}

/// A whole number a JavaScript number holds exactly (0 to 2^53).
fn whole_number(n: f64) -> Option<u64> {
    const EXACT_MAX: f64 = 9_007_199_254_740_992.0;
    (n.fract() == 0.0 && (0.0..=EXACT_MAX).contains(&n)).then_some(n as u64)
}

fn wrong_type(field: &str, wanted: &str, found: &Value) -> Refusal {
    Refusal::new(
        Problem::WrongType,
        format!(
            "Field `{field}` is {}; it takes {wanted}.",
            found.type_name()
        ),
    )
}

/// A host's string quoted back in a refusal, cut to 64 characters.
fn clip(s: &str) -> String {
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(64).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

fn unknown_library(name: &str) -> Refusal {
    let close = close_library_names(name);
    let message = if close.is_empty() {
        let all: Vec<&str> = library::ENTRIES.iter().map(|e| e.name).collect();
        format!(
            "There is no library scenario “{}”; the library has: {}.",
            clip(name),
            all.join(", ")
        )
    } else {
        format!(
            "There is no library scenario “{}”; did you mean {}?",
            clip(name),
            close.join(" or ")
        )
    };
    Refusal::new(Problem::UnknownLibrary, message)
}

/// Library names within three edits of `name`, or containing it (or contained).
pub fn close_library_names(name: &str) -> Vec<&'static str> {
    let name = name.to_ascii_lowercase();
    library::ENTRIES
        .iter()
        .map(|e| e.name)
        .filter(|candidate| {
            (name.len() >= 4 && (candidate.contains(&name) || name.contains(candidate)))
                || edit_distance(&name, candidate) <= 3
        })
        .collect()
}

/// Levenshtein distance, bounded: strings longer than 64 characters are never close.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        let mut next = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = next.last().copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != cb);
            next.push(
                cost.min(above.saturating_add(1))
                    .min(left.saturating_add(1)),
            );
            diagonal = above;
        }
        row = next;
    }
    row.last().copied().unwrap_or(usize::MAX)
}

/// Checks a `go-to` against the run on the page: steps 0 to `last_step`, calls 1 to
/// `calls`.
pub fn check_go_to(request: &Request, last_step: u64, calls: usize) -> Result<(), Refusal> {
    match *request {
        Request::GoToStep(step) if step > last_step => Err(Refusal::new(
            Problem::OutOfRange,
            format!("There is no step {step}: steps are numbered 0 to {last_step}."),
        )),
        Request::GoToCall(call) if call == 0 || call > calls as u64 => Err(Refusal::new(
            Problem::OutOfRange,
            if calls == 0 {
                format!("There is no call {call}: this run has no calls.")
            } else {
                format!("There is no call {call}: calls are numbered 1 to {calls}.")
            },
        )),
        _ => Ok(()),
    }
}

/// The event the cursor has just passed, as plain data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CursorEvent {
    /// The engine's name for the event (`SplitHalf`, `TakeBlock`, `Merge`, ...).
    pub kind: String,
    /// The kernel function that took the decision (`expand`, ...).
    pub function: &'static str,
    /// The block the event touches, when it touches one.
    pub pfn: Option<u64>,
    pub order: Option<u8>,
    /// The node and zone of that block (or the ones the event names).
    pub node: Option<u32>,
    pub zone: Option<&'static str>,
    /// The free list's migratetype, for events about one.
    pub migratetype: Option<&'static str>,
    /// The sentence the step panel shows.
    pub sentence: String,
    /// The kernel source line of the decision, on the run's kernel
    /// (`Event::source_line`; docs/source-lines.md).
    pub source: Option<CursorSource>,
}

/// Where the kernel takes the decision an event tells: the line in Debian's source
/// of the run's kernel, and the same line on Elixir at its upstream tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CursorSource {
    /// The kernel's own name of the function (`__alloc_pages_noprof` on 6.12).
    pub function: &'static str,
    /// `mm/page_alloc.c`.
    pub file: &'static str,
    pub line: u32,
    /// `https://elixir.bootlin.com/linux/v6.1.192/source/mm/page_alloc.c#L2394`.
    pub url: String,
}

/// Where the cursor is, posted after every move.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CursorReply {
    pub step: u64,
    pub last_step: u64,
    /// The current call, 1-based as the step panel shows it (0 before the first).
    pub call: usize,
    pub calls: usize,
    /// "6.1" or "6.12".
    pub kernel: &'static str,
    /// The call's operation as the step panel names it.
    pub operation: String,
    /// `null` at the start of a call (no event passed yet).
    pub event: Option<CursorEvent>,
    /// The step panel's sentence (also at the start of a call).
    pub sentence: String,
    pub playing: bool,
}

/// The cursor as the page shows it: `step` is the step panel's view, `event` the
/// event just passed (`Session::event_at`), `machine` the booted machine (for the
/// block's node and zone).
pub fn cursor_reply(
    step: &StepView,
    event: Option<&Event>,
    machine: Option<&Machine>,
    kernel: Kernel,
    playing: bool,
) -> CursorReply {
    CursorReply {
        step: step.step,
        last_step: step.last_step,
        call: step.call_number,
        calls: step.calls,
        kernel: kernel.name(),
        operation: step.operation.clone(),
        event: event.map(|e| cursor_event(e, &step.sentence, machine, kernel)),
        sentence: step.sentence.clone(),
        playing,
    }
}

fn cursor_event(
    event: &Event,
    sentence: &str,
    machine: Option<&Machine>,
    kernel: Kernel,
) -> CursorEvent {
    let block = event.block();
    let zone = block.and_then(|(pfn, _)| machine.and_then(|m| m.zone_of(pfn.0)));
    let (node, zone_name) = match (zone, named_zone(event)) {
        (_, (Some(node), Some(zone))) => (Some(node), Some(zone)),
        (Some(z), _) => (Some(z.node), Some(z.zone_type.name())),
        (None, named) => named,
    };
    CursorEvent {
        kind: event.variant_name().to_string(),
        function: event.kernel_function(),
        pfn: block.map(|(pfn, _)| pfn.0),
        order: block
            .map(|(_, order)| order.get())
            .or_else(|| event_order(event)),
        node,
        zone: zone_name,
        migratetype: event_migratetype(event),
        sentence: sentence.to_string(),
        source: event.source_line(kernel).map(|line| CursorSource {
            function: line.function,
            file: line.file,
            line: line.line,
            url: line.url(kernel),
        }),
    }
}

/// The node and zone an event names itself (events about a zone, not a block; a
/// request's start names its preferred node only).
fn named_zone(event: &Event) -> (Option<u32>, Option<&'static str>) {
    match event {
        Event::WatermarkCheck { node, zone, .. }
        | Event::ZoneNotInNodemask { node, zone }
        | Event::PcpRefill { node, zone, .. } => (Some(*node), Some(zone.name())),
        Event::AllocStart { node, .. } => (Some(*node), None),
        _ => (None, None),
    }
}

/// The order of an event about a free area rather than a block.
fn event_order(event: &Event) -> Option<u8> {
    match event {
        Event::AreaEmpty { order, .. }
        | Event::NoBlock { order, .. }
        | Event::NoFallback { order, .. }
        | Event::AllocFailed { order }
        | Event::AllocStart { order, .. }
        | Event::WatermarkCheck { order, .. }
        | Event::PcpRefill { order, .. } => Some(order.get()),
        _ => None,
    }
}

/// The free list's migratetype, for the events about one list.
fn event_migratetype(event: &Event) -> Option<&'static str> {
    match event {
        Event::AreaEmpty { migratetype, .. }
        | Event::TakeBlock { migratetype, .. }
        | Event::SplitHalf { migratetype, .. }
        | Event::NoBlock { migratetype, .. }
        | Event::NoFallback { migratetype, .. }
        | Event::AddFree { migratetype, .. }
        | Event::AllocStart { migratetype, .. }
        | Event::ZoneLocked { migratetype, .. } => Some(migratetype.name()),
        _ => None,
    }
}

/// What the embed posts to its host.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum Reply {
    /// Once, when the page is ready for requests.
    Ready {
        verbs: Vec<&'static str>,
        views: Vec<&'static str>,
    },
    /// After every move of the cursor (a request's or the reader's).
    Cursor(Box<CursorReply>),
    /// A request was carried out.
    Ack {
        id: Option<RequestId>,
        verb: &'static str,
    },
    /// A request was refused; nothing was done.
    Refused {
        id: Option<RequestId>,
        verb: Option<String>,
        problem: Problem,
        message: String,
    },
}

impl Reply {
    pub fn ready() -> Reply {
        Reply::Ready {
            verbs: VERBS.to_vec(),
            views: ViewName::names(),
        }
    }

    pub fn refused(refused: Refused) -> Reply {
        Reply::Refused {
            id: refused.id,
            verb: refused.verb.map(|v| clip(&v)),
            problem: refused.refusal.problem,
            message: refused.refusal.message,
        }
    }
}

/// A reply as posted: the version, then the reply's fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outgoing {
    pub buddyscope: u32,
    #[serde(flatten)]
    pub reply: Reply,
}

impl From<Reply> for Outgoing {
    fn from(reply: Reply) -> Outgoing {
        Outgoing {
            buddyscope: EMBED_API_VERSION,
            reply,
        }
    }
}

/// The refusal for a message nested deeper than [`EMBED_MESSAGE_DEPTH_MAX`] (the page
/// finds it before converting).
pub fn refuse_too_deep() -> Refused {
    Refused {
        id: None,
        verb: None,
        refusal: Refusal::new(
            Problem::TooLarge,
            format!("The message could not be read: the message nests objects or arrays more than {EMBED_MESSAGE_DEPTH_MAX} deep."),
        ),
    }
}

/// The refusal for a message of more than [`EMBED_MESSAGE_VALUES_MAX`] values.
pub fn refuse_too_many_values() -> Refused {
    Refused {
        id: None,
        verb: None,
        refusal: Refusal::new(
            Problem::TooLarge,
            format!("The message could not be read: {}.", too_many_values()),
        ),
    }
}

/// The refusal for data that is not plain (a Map, a Date, binary data, a file).
pub fn refuse_not_plain(what: &str) -> Refused {
    Refused {
        id: None,
        verb: None,
        refusal: Refusal::new(
            Problem::WrongType,
            format!("The message holds {what}; send plain data (objects, arrays, strings, numbers, booleans, null)."),
        ),
    }
}

/// A reply as plain data in the order its fields are posted (what the derived
/// `Serialize` of [`Outgoing`] writes, field for field: the version, the reply's name,
/// then its fields), for the page to build the JavaScript object by hand rather
/// than through serde (docs/performance.md, branch size22). Its JSON is the
/// derived serializer's, byte for byte (`engine/tests/it/embed_api.rs`).
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    /// Every number a reply carries is a whole number 0 or more.
    Number(u64),
    Text(String),
    List(Vec<Data>),
    Object(Vec<(&'static str, Data)>),
}

impl Data {
    fn text(text: &str) -> Data {
        Data::Text(text.to_string())
    }

    fn or_null<T>(value: Option<T>, data: impl FnOnce(T) -> Data) -> Data {
        value.map_or(Data::Null, data)
    }
}

impl Problem {
    /// The code a host reads (`wrong-type`, ...), as serde names it.
    pub fn name(self) -> &'static str {
        match self {
            Problem::NotAnObject => "not-an-object",
            Problem::TooLarge => "too-large",
            Problem::Version => "version",
            Problem::UnknownVerb => "unknown-verb",
            Problem::MissingField => "missing-field",
            Problem::UnknownField => "unknown-field",
            Problem::WrongType => "wrong-type",
            Problem::BadValue => "bad-value",
            Problem::Contradiction => "contradiction",
            Problem::UnknownLibrary => "unknown-library",
            Problem::OutOfRange => "out-of-range",
            Problem::LoadFailed => "load-failed",
        }
    }
}

fn id_data(id: &Option<RequestId>) -> Data {
    Data::or_null(id.as_ref(), |id| match id {
        RequestId::Text(text) => Data::text(text),
        RequestId::Number(n) => Data::Number(*n),
    })
}

fn event_data(e: &CursorEvent) -> Data {
    Data::Object(vec![
        ("kind", Data::text(&e.kind)),
        ("function", Data::text(e.function)),
        ("pfn", Data::or_null(e.pfn, Data::Number)),
        ("order", Data::or_null(e.order, |o| Data::Number(o.into()))),
        ("node", Data::or_null(e.node, |n| Data::Number(n.into()))),
        ("zone", Data::or_null(e.zone, Data::text)),
        ("migratetype", Data::or_null(e.migratetype, Data::text)),
        ("sentence", Data::text(&e.sentence)),
        (
            "source",
            Data::or_null(e.source.as_ref(), |s| {
                Data::Object(vec![
                    ("function", Data::text(s.function)),
                    ("file", Data::text(s.file)),
                    ("line", Data::Number(s.line.into())),
                    ("url", Data::text(&s.url)),
                ])
            }),
        ),
    ])
}

impl Outgoing {
    /// The reply as it is posted: see [`Data`].
    pub fn data(&self) -> Data {
        let texts =
            |items: &[&'static str]| Data::List(items.iter().map(|s| Data::text(s)).collect());
        let mut fields = vec![("buddyscope", Data::Number(self.buddyscope.into()))];
        match &self.reply {
            Reply::Ready { verbs, views } => fields.extend([
                ("reply", Data::text("ready")),
                ("verbs", texts(verbs)),
                ("views", texts(views)),
            ]),
            Reply::Cursor(c) => fields.extend([
                ("reply", Data::text("cursor")),
                ("step", Data::Number(c.step)),
                ("last_step", Data::Number(c.last_step)),
                ("call", Data::Number(c.call as u64)),
                ("calls", Data::Number(c.calls as u64)),
                ("kernel", Data::text(c.kernel)),
                ("operation", Data::text(&c.operation)),
                ("event", Data::or_null(c.event.as_ref(), event_data)),
                ("sentence", Data::text(&c.sentence)),
                ("playing", Data::Bool(c.playing)),
            ]),
            Reply::Ack { id, verb } => fields.extend([
                ("reply", Data::text("ack")),
                ("id", id_data(id)),
                ("verb", Data::text(verb)),
            ]),
            Reply::Refused {
                id,
                verb,
                problem,
                message,
            } => fields.extend([
                ("reply", Data::text("refused")),
                ("id", id_data(id)),
                ("verb", Data::or_null(verb.as_deref(), Data::text)),
                ("problem", Data::text(problem.name())),
                ("message", Data::text(message)),
            ]),
        }
        Data::Object(fields)
    }
}
