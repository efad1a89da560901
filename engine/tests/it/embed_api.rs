//! The embed's postMessage API (`view::embed_api`): messages written as a host page
//! writes them (JSON), read into requests or refused with the problem named, and the
//! cursor the page posts back compared with the session it describes.

use buddyscope_engine::limits::{
    EMBED_MESSAGE_BYTES_MAX, EMBED_MESSAGE_DEPTH_MAX, EMBED_MESSAGE_VALUES_MAX,
};
use buddyscope_engine::scenario::library;
use buddyscope_engine::session::Cursor;
use buddyscope_engine::view::embed_api::{
    check_go_to, close_library_names, cursor_reply, parse_message, Data, LoadWhat, Message,
    Outgoing, Problem, Refused, Reply, Request, RequestId, Value, ViewName, VERBS,
};
use buddyscope_engine::view::{load_text, overview, KernelFile};
use buddyscope_engine::Event;

fn value(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn parse(json: &str) -> Result<Message, Refused> {
    parse_message(&value(json))
}

fn refused(json: &str) -> Refused {
    match parse(json) {
        Ok(message) => panic!("{json} was accepted as {message:?}"),
        Err(refused) => refused,
    }
}

#[test]
fn every_verb_is_read_with_its_fields() {
    let cases: &[(&str, Request)] = &[
        (
            r#"{"buddyscope":1,"verb":"load","library":"split-merge","lesson":true}"#,
            Request::Load {
                what: LoadWhat::Library("split-merge".into()),
                lesson: true,
            },
        ),
        (
            r#"{"buddyscope":1,"verb":"load","scenario":"[machine]\n"}"#,
            Request::Load {
                what: LoadWhat::Scenario("[machine]\n".into()),
                lesson: false,
            },
        ),
        (
            r#"{"buddyscope":1,"verb":"go-to","step":36}"#,
            Request::GoToStep(36),
        ),
        (
            r#"{"buddyscope":1,"verb":"go-to","call":7}"#,
            Request::GoToCall(7),
        ),
        (
            r#"{"buddyscope":1,"verb":"step-forward"}"#,
            Request::StepForward,
        ),
        (r#"{"buddyscope":1,"verb":"step-back"}"#, Request::StepBack),
        (r#"{"buddyscope":1,"verb":"step-over"}"#, Request::StepOver),
        (
            r#"{"buddyscope":1,"verb":"play"}"#,
            Request::Play { interval_ms: None },
        ),
        (
            r#"{"buddyscope":1,"verb":"play","interval_ms":200}"#,
            Request::Play {
                interval_ms: Some(200),
            },
        ),
        (r#"{"buddyscope":1,"verb":"pause"}"#, Request::Pause),
        (
            r#"{"buddyscope":1,"verb":"view","view":"whole-call"}"#,
            Request::View(ViewName::WholeCall),
        ),
        (
            r#"{"buddyscope":1,"verb":"view","view":"extfrag/unusable_index"}"#,
            Request::View(ViewName::KernelFile(KernelFile::UnusableIndex)),
        ),
    ];
    let mut verbs_seen = Vec::new();
    for (json, request) in cases {
        let message = parse(json).unwrap_or_else(|r| panic!("{json}: {r:?}"));
        assert_eq!(&message.request, request, "{json}");
        assert_eq!(message.id, None);
        verbs_seen.push(request.verb());
    }
    for verb in VERBS {
        assert!(verbs_seen.contains(&verb), "no case for {verb}");
    }
}

#[test]
fn an_id_is_echoed_and_null_fields_count_as_absent() {
    let message = parse(r#"{"buddyscope":1,"verb":"pause","id":"q3"}"#).unwrap();
    assert_eq!(message.id, Some(RequestId::Text("q3".into())));
    let message = parse(r#"{"buddyscope":1,"verb":"pause","id":12}"#).unwrap();
    assert_eq!(message.id, Some(RequestId::Number(12)));
    let message = parse(r#"{"buddyscope":1,"verb":"go-to","step":3,"call":null}"#).unwrap();
    assert_eq!(message.request, Request::GoToStep(3));
    // The id comes back in a refusal too, with the verb.
    let r = refused(r#"{"buddyscope":1,"verb":"go-to","id":"g","step":"3"}"#);
    assert_eq!(r.id, Some(RequestId::Text("g".into())));
    assert_eq!(r.verb.as_deref(), Some("go-to"));
}

/// Each kind of bad message, the problem's code and the words the refusal must hold.
#[test]
fn bad_messages_are_refused_naming_the_problem() {
    let long_id = "x".repeat(65);
    let long_id_json = format!(r#"{{"buddyscope":1,"verb":"pause","id":"{long_id}"}}"#);
    let cases: &[(&str, Problem, &[&str])] = &[
        (
            r#""step-forward""#,
            Problem::NotAnObject,
            &["a string", "send an object"],
        ),
        (r#"[1,2]"#, Problem::NotAnObject, &["an array"]),
        (r#"null"#, Problem::NotAnObject, &["null"]),
        (
            r#"{"verb":"pause"}"#,
            Problem::Version,
            &["no field `buddyscope`"],
        ),
        (
            r#"{"buddyscope":2,"verb":"pause"}"#,
            Problem::Version,
            &["Version 2 is not supported", "version 1"],
        ),
        (
            r#"{"buddyscope":"1","verb":"pause"}"#,
            Problem::WrongType,
            &["`buddyscope` is a string"],
        ),
        (
            r#"{"buddyscope":1}"#,
            Problem::MissingField,
            &["no field `verb`", "step-forward"],
        ),
        (
            r#"{"buddyscope":1,"verb":"rm -rf"}"#,
            Problem::UnknownVerb,
            &["Unknown verb “rm -rf”", "load, go-to"],
        ),
        (
            r#"{"buddyscope":1,"verb":3}"#,
            Problem::WrongType,
            &["`verb` is a number; it takes a string"],
        ),
        (
            r#"{"buddyscope":1,"verb":"go-to","step":"12"}"#,
            Problem::WrongType,
            &["`step` is a string; it takes a number"],
        ),
        (
            r#"{"buddyscope":1,"verb":"go-to","step":1.5}"#,
            Problem::BadValue,
            &["`step` is 1.5", "whole number"],
        ),
        (
            r#"{"buddyscope":1,"verb":"go-to","step":-1}"#,
            Problem::BadValue,
            &["`step` is -1"],
        ),
        (
            r#"{"buddyscope":1,"verb":"go-to"}"#,
            Problem::MissingField,
            &["`step`", "`call`"],
        ),
        (
            r#"{"buddyscope":1,"verb":"go-to","step":4,"call":2}"#,
            Problem::Contradiction,
            &["`step` 4", "`call` 2"],
        ),
        (
            r#"{"buddyscope":1,"verb":"go-to","steps":4}"#,
            Problem::UnknownField,
            &["no field `steps`", "step, call"],
        ),
        (
            r#"{"buddyscope":1,"verb":"pause","now":true}"#,
            Problem::UnknownField,
            &["`pause` takes no field `now`"],
        ),
        (
            r#"{"buddyscope":1,"verb":"load"}"#,
            Problem::MissingField,
            &["`scenario`", "`library`"],
        ),
        (
            r#"{"buddyscope":1,"verb":"load","library":"split-merge","scenario":"x"}"#,
            Problem::Contradiction,
            &["both", "split-merge"],
        ),
        (
            r#"{"buddyscope":1,"verb":"load","library":"split-merg"}"#,
            Problem::UnknownLibrary,
            &[
                "no library scenario “split-merg”",
                "did you mean split-merge",
            ],
        ),
        (
            r#"{"buddyscope":1,"verb":"load","library":"zzzzzzzzzzzzzz"}"#,
            Problem::UnknownLibrary,
            &["the library has:", "zone-fallback"],
        ),
        (
            r#"{"buddyscope":1,"verb":"load","library":["a"]}"#,
            Problem::WrongType,
            &["`library` is an array"],
        ),
        (
            r#"{"buddyscope":1,"verb":"load","library":"split-merge","lesson":"yes"}"#,
            Problem::WrongType,
            &["`lesson` is a string; it takes a boolean"],
        ),
        (
            r#"{"buddyscope":1,"verb":"play","interval_ms":1}"#,
            Problem::OutOfRange,
            &["`interval_ms` is 1", "10 to 5000"],
        ),
        (
            r#"{"buddyscope":1,"verb":"view","view":"graphs"}"#,
            Problem::BadValue,
            &["no view “graphs”", "whole-call", "buddyinfo"],
        ),
        (
            r#"{"buddyscope":1,"verb":"view"}"#,
            Problem::MissingField,
            &["needs a field `view`"],
        ),
        (
            r#"{"buddyscope":1,"verb":"pause","id":{"a":1}}"#,
            Problem::WrongType,
            &["`id` is an object"],
        ),
        (&long_id_json, Problem::BadValue, &["`id` is 65 bytes long"]),
    ];
    for (json, problem, words) in cases {
        let r = refused(json);
        assert_eq!(r.refusal.problem, *problem, "{json}: {}", r.refusal.message);
        for word in *words {
            assert!(
                r.refusal.message.contains(word),
                "{json}: {:?} lacks {word:?}",
                r.refusal.message
            );
        }
    }
}

#[test]
fn a_host_string_is_cut_in_the_refusal() {
    let verb = "v".repeat(10_000);
    let r = refused(&format!(r#"{{"buddyscope":1,"verb":"{verb}"}}"#));
    assert_eq!(r.refusal.problem, Problem::UnknownVerb);
    assert!(r.refusal.message.len() < 300, "{}", r.refusal.message.len());
    let Reply::Refused { verb, .. } = Reply::refused(r) else {
        panic!("not a refusal")
    };
    assert!(verb.unwrap().chars().count() <= 65);
}

#[test]
fn messages_over_the_limits_are_refused() {
    // Text: the limit in bytes, keys and values counted.
    let text = "a".repeat(EMBED_MESSAGE_BYTES_MAX);
    let r = refused(&format!(
        r#"{{"buddyscope":1,"verb":"load","scenario":"{text}"}}"#
    ));
    assert_eq!(r.refusal.problem, Problem::TooLarge);
    assert!(
        r.refusal
            .message
            .contains(&format!("the limit is {EMBED_MESSAGE_BYTES_MAX} bytes")),
        "{}",
        r.refusal.message
    );
    // Just under the limit is read (and the scenario text is then the loader's
    // business).
    let text = "a".repeat(EMBED_MESSAGE_BYTES_MAX - 100);
    assert!(parse(&format!(
        r#"{{"buddyscope":1,"verb":"load","scenario":"{text}"}}"#
    ))
    .is_ok());
    // Nesting stops while the value is read, before it is walked.
    let deep = format!(
        "{}1{}",
        "[".repeat(EMBED_MESSAGE_DEPTH_MAX + 1),
        "]".repeat(EMBED_MESSAGE_DEPTH_MAX + 1)
    );
    let err = serde_json::from_str::<Value>(&deep)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("more than {EMBED_MESSAGE_DEPTH_MAX} deep")),
        "{err}"
    );
    let shallow = format!(
        "{}1{}",
        "[".repeat(EMBED_MESSAGE_DEPTH_MAX),
        "]".repeat(EMBED_MESSAGE_DEPTH_MAX)
    );
    assert!(serde_json::from_str::<Value>(&shallow).is_ok());
    // Too many values.
    let many: Vec<String> = (0..=EMBED_MESSAGE_VALUES_MAX)
        .map(|i| format!(r#""f{i}":0"#))
        .collect();
    let err = serde_json::from_str::<Value>(&format!("{{{}}}", many.join(",")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("more than {EMBED_MESSAGE_VALUES_MAX} values")),
        "{err}"
    );
}

#[test]
fn go_to_is_checked_against_the_run() {
    assert!(check_go_to(&Request::GoToStep(40), 40, 3).is_ok());
    let r = check_go_to(&Request::GoToStep(41), 40, 3).unwrap_err();
    assert_eq!(r.problem, Problem::OutOfRange);
    assert_eq!(
        r.message,
        "There is no step 41: steps are numbered 0 to 40."
    );
    let r = check_go_to(&Request::GoToCall(0), 40, 3).unwrap_err();
    assert_eq!(r.message, "There is no call 0: calls are numbered 1 to 3.");
    assert!(check_go_to(&Request::GoToCall(3), 40, 3).is_ok());
    let r = check_go_to(&Request::GoToCall(1), 0, 0).unwrap_err();
    assert_eq!(r.message, "There is no call 1: this run has no calls.");
}

#[test]
fn close_library_names_are_offered() {
    assert_eq!(close_library_names("zone-fallbak"), ["zone-fallback"]);
    assert_eq!(close_library_names("pcp-batch"), ["pcp-batching"]);
    assert!(close_library_names("qqqqqqqqqqqq").is_empty());
    // Every real name is its own closest.
    for entry in library::ENTRIES {
        assert!(close_library_names(entry.name).contains(&entry.name));
    }
}

/// The cursor posted on a split is the split the session recorded, in the step
/// panel's words, with the block's zone from the machine.
#[test]
fn the_cursor_describes_the_event_just_passed() {
    let entry = library::get("split-merge").unwrap();
    let (_, loaded) = load_text(entry.text).unwrap();
    let session = &loaded.session;
    let cursor = (0..session.calls().len())
        .flat_map(|call| (1..=session.event_count(call)).map(move |event| Cursor { call, event }))
        .find(|&c| matches!(session.event_at(c), Some(Event::SplitHalf { .. })))
        .expect("split-merge splits a block");
    let Some(Event::SplitHalf {
        pfn,
        order,
        migratetype,
    }) = session.event_at(cursor)
    else {
        unreachable!()
    };
    let state = session.state_at(cursor);
    let step = overview(&state, session, cursor).step;
    let machine = state.machine();
    let event = session.event_at(cursor);
    let reply = cursor_reply(&step, event.as_ref(), machine, state.kernel(), false);
    assert_eq!(reply.step, session.step_of(cursor));
    assert_eq!(reply.last_step, session.last_step());
    assert_eq!(reply.call, cursor.call + 1);
    assert_eq!(reply.calls, session.calls().len());
    let e = reply.event.as_ref().expect("an event");
    assert_eq!(e.kind, "SplitHalf");
    assert_eq!(e.function, "expand");
    assert_eq!(e.pfn, Some(pfn.0));
    assert_eq!(e.order, Some(order.get()));
    assert_eq!(e.migratetype, Some(migratetype.name()));
    let zone = machine
        .and_then(|m| m.zone_of(pfn.0))
        .expect("the block's zone");
    assert_eq!(e.zone, Some(zone.zone_type.name()));
    assert_eq!(e.node, Some(zone.node));
    assert_eq!(e.sentence, step.sentence);
    // The split's line is the one the source-line table gives `expand`'s split.
    let line = session
        .event_at(cursor)
        .and_then(|event| event.source_line(state.kernel()))
        .expect("the split has a line");
    let source = e.source.as_ref().expect("a source line");
    assert_eq!((source.file, source.line), (line.file, line.line));
    assert_eq!(source.function, "expand");
    assert_eq!(
        source.url,
        format!(
            "https://elixir.bootlin.com/linux/v6.1.192/source/mm/page_alloc.c#L{}",
            line.line
        )
    );
    // As posted: the version first-class, the reply's name, the source line.
    let json = serde_json::to_value(Outgoing::from(Reply::Cursor(Box::new(reply)))).unwrap();
    assert_eq!(json["buddyscope"], 1);
    assert_eq!(json["reply"], "cursor");
    assert_eq!(json["event"]["source"]["line"], line.line);
    assert_eq!(json["event"]["source"]["file"], "mm/page_alloc.c");
    assert_eq!(json["event"]["pfn"], pfn.0);
    // A request's start names its node, not a zone (the zonelist walk picks one).
    let first = Cursor {
        call: cursor.call,
        event: 1,
    };
    if let Some(Event::AllocStart { node, .. }) = session.event_at(first) {
        let state = session.state_at(first);
        let step = overview(&state, session, first).step;
        let reply = cursor_reply(
            &step,
            session.event_at(first).as_ref(),
            state.machine(),
            state.kernel(),
            false,
        );
        let e = reply.event.unwrap();
        assert_eq!(
            (e.kind.as_str(), e.node, e.zone, e.pfn),
            ("AllocStart", Some(node), None, None)
        );
        assert!(e.order.is_some() && e.migratetype.is_some());
    } else {
        panic!("the call does not start with __alloc_pages()");
    }
    // At the start of a call no event has passed.
    let start = Cursor {
        call: cursor.call,
        event: 0,
    };
    let state = session.state_at(start);
    let step = overview(&state, session, start).step;
    let reply = cursor_reply(
        &step,
        session.event_at(start).as_ref(),
        state.machine(),
        state.kernel(),
        true,
    );
    assert_eq!(reply.event, None);
    assert!(reply.playing);
}

#[test]
fn ready_and_refusals_carry_the_version() {
    let json = serde_json::to_value(Outgoing::from(Reply::ready())).unwrap();
    assert_eq!(json["buddyscope"], 1);
    assert_eq!(json["reply"], "ready");
    assert_eq!(json["verbs"].as_array().unwrap().len(), VERBS.len());
    assert!(json["views"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "zoneinfo"));
    let r = refused(r#"{"buddyscope":1,"verb":"nope","id":5}"#);
    let json = serde_json::to_value(Outgoing::from(Reply::refused(r))).unwrap();
    assert_eq!(json["reply"], "refused");
    assert_eq!(json["problem"], "unknown-verb");
    assert_eq!(json["id"], 5);
    assert_eq!(json["verb"], "nope");
}

/// `Data` as JSON, strings escaped as serde_json escapes them.
fn data_json(data: &Data) -> String {
    match data {
        Data::Null => "null".to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Number(n) => n.to_string(),
        Data::Text(t) => serde_json::to_string(t).unwrap(),
        Data::List(items) => format!(
            "[{}]",
            items.iter().map(data_json).collect::<Vec<_>>().join(",")
        ),
        Data::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), data_json(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn same_as_serde(reply: Reply) {
    let outgoing = Outgoing::from(reply);
    assert_eq!(
        data_json(&outgoing.data()),
        serde_json::to_string(&outgoing).unwrap()
    );
}

/// The page posts `Outgoing::data()` (built into a JavaScript object by hand): the
/// same fields, values and order as the derived serializer writes, for every kind
/// of reply: ready, acks and refusals with each kind of id, and the cursor at every
/// event of a few library runs (with and without an event, a block, a source line).
#[test]
fn replies_as_data_are_what_serde_writes() {
    same_as_serde(Reply::ready());
    for id in [
        None,
        Some(RequestId::Text("a \"quoted\" id\n".into())),
        Some(RequestId::Number(7)),
    ] {
        same_as_serde(Reply::Ack {
            id: id.clone(),
            verb: "go-to",
        });
        for verb in [None, Some("nope".to_string())] {
            for problem in [
                Problem::NotAnObject,
                Problem::TooLarge,
                Problem::Version,
                Problem::UnknownVerb,
                Problem::MissingField,
                Problem::UnknownField,
                Problem::WrongType,
                Problem::BadValue,
                Problem::Contradiction,
                Problem::UnknownLibrary,
                Problem::OutOfRange,
                Problem::LoadFailed,
            ] {
                same_as_serde(Reply::Refused {
                    id: id.clone(),
                    verb: verb.clone(),
                    problem,
                    message: "Why, with “quotes” and \\ and \u{1}.".into(),
                });
            }
        }
    }
    for json in [
        r#"{"buddyscope":1,"verb":"nope","id":5}"#,
        r#"{"buddyscope":1,"verb":"go-to","step":"3","id":"w"}"#,
        r#"[1]"#,
    ] {
        same_as_serde(Reply::refused(refused(json)));
    }
    for name in ["split-merge", "zone-fallback"] {
        let entry = library::get(name).unwrap();
        let (_, loaded) = load_text(entry.text).unwrap();
        let session = &loaded.session;
        for call in (0..session.calls().len()).step_by(7) {
            for event in 0..=session.event_count(call) {
                let cursor = Cursor { call, event };
                let state = session.state_at(cursor);
                let step = overview(&state, session, cursor).step;
                let reply = cursor_reply(
                    &step,
                    session.event_at(cursor).as_ref(),
                    state.machine(),
                    state.kernel(),
                    event % 2 == 0,
                );
                same_as_serde(Reply::Cursor(Box::new(reply)));
            }
        }
    }
}
