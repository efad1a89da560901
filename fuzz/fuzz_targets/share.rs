//! Share links: `decode` takes any text without panicking, and a link it accepts
//! encodes and decodes to the same link.
#![no_main]
use buddyscope_engine::scenario::share::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(link) = decode(text) {
        let encoded = encode(&link);
        let again = decode(&encoded)
            .unwrap_or_else(|e| panic!("an encoded link is refused: {e}\n{encoded}"));
        assert_eq!(again, link);
    }
});
