//! `scenario::toml_text` against its oracle, toml's own `Display` (the dev-dependency
//! builds toml with its feature "display"; the engine itself does not): the same
//! text, byte for byte, for the library's files, the default scenario, the machine
//! form's documents and thousands of seeded random tables.

use buddyscope_engine::scenario::library::ENTRIES;
use buddyscope_engine::scenario::toml_text::{table_text, value_text, ValueText};
use buddyscope_engine::scenario::{scenario_to_toml, Scenario};
use buddyscope_engine::Rng;
use toml::{Table, Value};

fn check_table(table: &Table, what: &str) {
    assert_eq!(table_text(table), table.to_string(), "{what}: the document");
    for (key, value) in table {
        check_value(value, &format!("{what}: `{key}`"));
    }
}

fn check_value(value: &Value, what: &str) {
    assert_eq!(value_text(value), value.to_string(), "{what}");
    assert_eq!(format!("{}", ValueText(value)), value.to_string(), "{what}");
    match value {
        Value::Array(items) => {
            for item in items {
                check_value(item, what);
            }
        }
        Value::Table(table) => check_table(table, what),
        _ => {}
    }
}

#[test]
fn the_library_files_are_written_as_toml_writes_them() {
    for entry in ENTRIES {
        let table: Table = entry.text.parse().expect(entry.name);
        check_table(&table, entry.name);
        let written: Table = scenario_to_toml(&entry.scenario()).parse().unwrap();
        check_table(&written, entry.name);
    }
    let default: Table = scenario_to_toml(&Scenario::default()).parse().unwrap();
    check_table(&default, "the default scenario");
}

/// The documents the machine form writes: the scenario's file with its `[machine]`
/// table rebuilt from the form's fields (view::machine_form's `apply`).
#[test]
fn machine_form_documents_are_written_as_toml_writes_them() {
    for entry in ENTRIES {
        let mut doc: Table = scenario_to_toml(&entry.scenario()).parse().unwrap();
        let mut machine = Table::new();
        machine.insert("section_size_bits".into(), Value::Integer(27));
        machine.insert("thp".into(), Value::String("never".into()));
        machine.insert(
            "distances".into(),
            Value::Array(vec![
                Value::Array(vec![Value::Integer(10), Value::Integer(20)]),
                Value::Array(vec![Value::Integer(20), Value::Integer(10)]),
            ]),
        );
        let mut node = Table::new();
        node.insert(
            "memory".into(),
            Value::Array(vec![Value::String("0x1000-0x9fffffff".into())]),
        );
        node.insert("cpus".into(), Value::String("0-3".into()));
        machine.insert(
            "nodes".into(),
            Value::Array(vec![Value::Table(node.clone()), Value::Table(node)]),
        );
        let mut sysctl = Table::new();
        sysctl.insert("min_free_kbytes".into(), Value::Integer(1024));
        sysctl.insert(
            "lowmem_reserve_ratio".into(),
            Value::Array(vec![Value::Integer(256), Value::Integer(32)]),
        );
        machine.insert("sysctl".into(), Value::Table(sysctl));
        if let Some(Value::Table(old)) = doc.get("machine") {
            for key in ["reserved", "managed", "cma"] {
                if let Some(value) = old.get(key) {
                    machine.insert(key.into(), value.clone());
                }
            }
        }
        doc.insert("machine".into(), Value::Table(machine));
        check_table(&doc, entry.name);
    }
}

const TEXT: [&str; 24] = [
    "",
    "a",
    "plain words",
    "quote \" inside",
    "apostrophe ' inside",
    "both ' and \"",
    "back\\slash",
    "two\nlines",
    "ends with newline\n",
    "\nstarts with newline",
    "tab\there",
    "carriage\r\nreturn",
    "bell \u{7} and del \u{7f}",
    "nul \u{0}",
    "three ''' apostrophes",
    "three \"\"\" quotes",
    "é ü ß 😀",
    "dotted.key",
    "with space",
    "-_09AZaz",
    "=",
    "#comment",
    "[brackets]",
    "1979-05-27",
];

const FLOATS: [f64; 18] = [
    0.0,
    -0.0,
    1.0,
    -1.5,
    0.1,
    100.0,
    1e15,
    1e16,
    1e17,
    1.5e300,
    2.5e-300,
    f64::MAX,
    f64::MIN_POSITIVE,
    f64::EPSILON,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
];

const DATETIMES: [&str; 6] = [
    "1979-05-27T07:32:00Z",
    "1979-05-27T00:32:00.999999-07:00",
    "1979-05-27T07:32:00",
    "1979-05-27",
    "07:32:00",
    "00:32:00.5",
];

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.below(items.len() as u64) as usize]
}

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    let kinds = if depth >= 3 { 5 } else { 9 };
    match rng.below(kinds) {
        0 => Value::String(pick(rng, &TEXT).to_string()),
        1 => Value::Integer(match rng.below(4) {
            0 => i64::MIN,
            1 => i64::MAX,
            2 => rng.below(100) as i64 - 50,
            _ => rng.next_u64() as i64,
        }),
        2 => Value::Float(if rng.below(3) == 0 {
            f64::from_bits(rng.next_u64())
        } else {
            pick(rng, &FLOATS)
        }),
        3 => Value::Boolean(rng.below(2) == 0),
        4 => Value::Datetime(pick(rng, &DATETIMES).parse().unwrap()),
        5 | 6 => {
            // Arrays: empty, mixed, all tables (an array of tables in a document).
            let n = rng.below(4);
            let tables = rng.below(2) == 0;
            Value::Array(
                (0..n)
                    .map(|_| {
                        if tables {
                            Value::Table(random_table(rng, depth + 1))
                        } else {
                            random_value(rng, depth + 1)
                        }
                    })
                    .collect(),
            )
        }
        _ => Value::Table(random_table(rng, depth + 1)),
    }
}

fn random_table(rng: &mut Rng, depth: u32) -> Table {
    let mut table = Table::new();
    for _ in 0..rng.below(5) {
        table.insert(pick(rng, &TEXT).to_string(), random_value(rng, depth));
    }
    table
}

#[test]
fn random_tables_are_written_as_toml_writes_them() {
    let mut rng = Rng::new(22);
    for round in 0..5000 {
        let table = random_table(&mut rng, 0);
        check_table(&table, &format!("round {round}"));
        check_value(&Value::Table(table), &format!("round {round}, inline"));
    }
}
