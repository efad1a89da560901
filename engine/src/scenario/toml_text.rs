//! A `toml::Value` and a `toml::Table` as text, byte for byte as toml 0.9's
//! `Display` writes them (its serde serializer, the crate's feature "display"), with
//! toml_writer's own keys and scalars: a message that shows a value, and the machine
//! form's document, which the scenario reader then reads (its errors quote the
//! document's lines, so the text must be the same).
//!
//! Why by hand: the serializer is serde's whole `Serializer` machinery for two
//! callers, about 12 KB of the page's wasm (docs/performance.md, branch size22). The
//! engine's tests compare both functions with toml's `Display` (toml, with the
//! feature, is a dev-dependency): `engine/tests/it/toml_text.rs`.
//!
//! The rules followed (toml 0.9.12's `ser::value` and `ser::document`):
//! - a value in a line: a string, integer, float (a NaN without its sign), boolean
//!   as toml_writer writes it, a datetime by its `Display`, an array `[a, b]`, a
//!   table inline `{ k = v, l = w }` (`{}` when empty);
//! - a document: a table's entries in its order; an entry whose value is a table
//!   opens a table `[path]`, an array of one or more values all tables an array of
//!   tables (`[[path]]` per element), anything else is a line `key = value` in the
//!   current table's body; the tables in the order they were opened, a table shown
//!   when it has a line, is an array's element, or has no child tables (the root
//!   only when it has a line), separated by a blank line.

use std::fmt::{self, Write as _};

use toml::Value;
use toml_writer::TomlWrite as _;

/// Shows `value` as toml's `Display` does (`format!("{}", ValueText(&value))`).
pub struct ValueText<'a>(pub &'a Value);

impl fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = write_value(&mut out, self.0);
        f.write_str(&out)
    }
}

/// `value` in a line: toml's `Value` `Display`.
pub fn value_text(value: &Value) -> String {
    let mut out = String::new();
    let _ = write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) -> fmt::Result {
    match value {
        Value::String(s) => out.value(s.as_str()),
        Value::Integer(n) => out.value(*n),
        Value::Float(x) => {
            let x = if x.is_nan() { x.copysign(1.0) } else { *x };
            out.value(x)
        }
        Value::Boolean(b) => out.value(*b),
        Value::Datetime(d) => write!(out, "{d}"),
        Value::Array(items) => {
            out.open_array()?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.val_sep()?;
                    out.space()?;
                }
                write_value(out, item)?;
            }
            out.close_array()
        }
        Value::Table(table) => {
            out.open_inline_table()?;
            for (i, (key, item)) in table.iter().enumerate() {
                if i > 0 {
                    out.val_sep()?;
                }
                out.space()?;
                out.key(key.as_str())?;
                out.space()?;
                out.keyval_sep()?;
                out.space()?;
                write_value(out, item)?;
            }
            if !table.is_empty() {
                out.space()?;
            }
            out.close_inline_table()
        }
    }
}

/// `table` as a document: toml's `Table` `Display`.
pub fn table_text(table: &toml::Table) -> String {
    let mut tables = Vec::new();
    let root = Part {
        path: None,
        body: String::new(),
        has_children: false,
        array: false,
    };
    tables.push(None);
    write_table(&mut tables, 0, root, table);
    let mut out = String::new();
    let mut first = true;
    for part in tables.iter().flatten() {
        let shown = match part.path {
            None => !part.body.is_empty(),
            Some(_) => part.array || !part.body.is_empty() || !part.has_children,
        };
        if !shown {
            continue;
        }
        if !first {
            let _ = out.newline();
        }
        first = false;
        if let Some(path) = &part.path {
            let _ = if part.array {
                out.open_array_of_tables_header()
            } else {
                out.open_table_header()
            };
            for (i, key) in path.iter().enumerate() {
                if i > 0 {
                    let _ = out.key_sep();
                }
                out.push_str(key);
            }
            let _ = if part.array {
                out.close_array_of_tables_header()
            } else {
                out.close_table_header()
            };
            let _ = out.newline();
        }
        out.push_str(&part.body);
    }
    out
}

/// One table of the document: its path of written keys, its lines, whether a
/// table was opened inside it, whether it is an element of an array of tables.
#[derive(Clone)]
struct Part {
    path: Option<Vec<String>>,
    body: String,
    has_children: bool,
    array: bool,
}

/// How a document writes a value: a line, a table, or an array of tables.
enum Strategy {
    Line,
    Table,
    ArrayOfTables,
}

fn strategy(value: &Value) -> Strategy {
    match value {
        Value::Table(_) => Strategy::Table,
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|v| matches!(v, Value::Table(_))) =>
        {
            Strategy::ArrayOfTables
        }
        _ => Strategy::Line,
    }
}

/// Opens a table under `parent`: its slot is taken now, so the tables come out in
/// the order they were opened.
fn open(tables: &mut Vec<Option<Part>>, parent: &mut Part) -> usize {
    parent.has_children = true;
    tables.push(None);
    tables.len() - 1
}

fn write_table(tables: &mut Vec<Option<Part>>, slot: usize, mut part: Part, table: &toml::Table) {
    for (key, value) in table {
        let mut encoded = String::new();
        let _ = encoded.key(key.as_str());
        match strategy(value) {
            Strategy::Line => {
                let body = &mut part.body;
                body.push_str(&encoded);
                let _ = body.space();
                let _ = body.keyval_sep();
                let _ = body.space();
                let _ = write_value(body, value);
                let _ = body.newline();
            }
            Strategy::Table => {
                let Value::Table(child_table) = value else {
                    unreachable!()
                };
                let child = child_part(&part, encoded, false);
                let child_slot = open(tables, &mut part);
                write_table(tables, child_slot, child, child_table);
            }
            Strategy::ArrayOfTables => {
                part.has_children = true;
                let Value::Array(items) = value else {
                    unreachable!()
                };
                // toml writes the elements under a copy of the table as it is now.
                let mut parent = part.clone();
                for item in items {
                    let Value::Table(child_table) = item else {
                        unreachable!()
                    };
                    let child = child_part(&parent, encoded.clone(), true);
                    let child_slot = open(tables, &mut parent);
                    write_table(tables, child_slot, child, child_table);
                }
            }
        }
    }
    if let Some(place) = tables.get_mut(slot) {
        *place = Some(part);
    }
}

fn child_part(parent: &Part, key: String, array: bool) -> Part {
    let mut path = parent.path.clone().unwrap_or_default();
    path.push(key);
    Part {
        path: Some(path),
        body: String::new(),
        has_children: false,
        array,
    }
}
