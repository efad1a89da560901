//! The embed's postMessage API (`view::embed_api`): bytes read as JSON into the
//! engine's `Value` (its `Deserialize`; the page makes the same `Value` from a host's
//! message by hand, web/src/host_message.rs), then `parse_message`. Nothing panics;
//! an accepted request's verb is a documented verb; every refusal has a message of
//! bounded length (a host's strings are cut), and every answer converts to the data
//! the page posts.
#![no_main]
use buddyscope_engine::view::embed_api::{parse_message, Outgoing, Reply, Value, VERBS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let reply = match parse_message(&value) {
        Ok(message) => {
            let verb = message.request.verb();
            assert!(VERBS.contains(&verb), "{verb}");
            Reply::Ack {
                id: message.id,
                verb,
            }
        }
        Err(refused) => {
            let message = &refused.refusal.message;
            assert!(!message.is_empty());
            assert!(message.len() < 4096, "{} bytes: {message:.200}", message.len());
            Reply::refused(refused)
        }
    };
    serde_json::to_string(&Outgoing::from(reply)).unwrap_or_else(|e| panic!("{e}"));
});
