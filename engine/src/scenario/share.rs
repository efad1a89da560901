//! Share links: a scenario file (and the step to open at) in a URL fragment, with no
//! server. The fragment is `s=<payload>` with an optional `&step=<n>`. The payload
//! names its own format and version:
//!
//! - `z1.` + base64url (no padding) of the scenario text compressed with raw DEFLATE;
//! - `p1.` + the scenario text percent-encoded, when compression does not make it
//!   shorter (short scenarios stay readable in the address bar).
//!
//! Decoding never trusts the input: sizes are limited before and after
//! decompression, and every failure is an error that says what is wrong. Transient
//! view state (hover, panel sizes) never goes into a link.

use crate::limits::{LINK_FRAGMENT_BYTES_MAX, LINK_SCENARIO_BYTES_MAX};
use core::fmt;

use super::vary::Vary;

/// What a share link holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareLink {
    /// The scenario file, exactly as it was shared.
    pub scenario: String,
    /// The step to open at, if the link names one.
    pub step: Option<u64>,
}

/// Why a link could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareError {
    pub message: String,
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ShareError {}

fn error(message: impl Into<String>) -> ShareError {
    ShareError {
        message: message.into(),
    }
}

/// The fragment (without `#`) for a scenario and an optional step.
pub fn encode(link: &ShareLink) -> String {
    let payload = payload_of(&link.scenario);
    match link.step {
        Some(step) => format!("s={payload}&step={step}"),
        None => format!("s={payload}"),
    }
}

/// A scenario's payload: `z1.` or `p1.`, whichever is shorter.
fn payload_of(scenario: &str) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec(scenario.as_bytes(), 9);
    let packed = format!("z1.{}", base64url_encode(&compressed));
    // The percent-encoded text is at least as long as the text: a packed payload
    // shorter than the text wins without it (the page makes a link at every load,
    // and a scenario of some length compresses).
    if packed.len() < scenario.len() + 3 {
        return packed;
    }
    let plain = format!("p1.{}", percent_encode(scenario));
    if packed.len() < plain.len() {
        packed
    } else {
        plain
    }
}

/// The fragment of a link (a whole URL, a fragment with or without `#`, or just the
/// payload), refused when longer than Buddyscope reads.
fn fragment_of(input: &str) -> Result<&str, ShareError> {
    let input = input.trim();
    if input.len() > LINK_FRAGMENT_BYTES_MAX {
        return Err(error(format!(
            "the link is {} bytes long; Buddyscope reads links up to {LINK_FRAGMENT_BYTES_MAX} bytes",
            input.len()
        )));
    }
    Ok(input.rsplit_once('#').map_or(input, |(_, f)| f))
}

/// Reads a link: a whole URL, a fragment with or without `#`, or just the payload.
pub fn decode(input: &str) -> Result<ShareLink, ShareError> {
    let fragment = fragment_of(input)?;
    let mut payload = None;
    let mut step = None;
    for part in fragment.split('&').filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("s", value)) => payload = Some(value),
            Some(("step", value)) => {
                step = Some(value.parse::<u64>().map_err(|_| {
                    error(format!("the link's step `{value}` is not a whole number"))
                })?)
            }
            // An unknown parameter from a newer version is ignored, not fatal.
            Some(_) => {}
            None if payload.is_none() => payload = Some(part),
            None => {}
        }
    }
    let payload = payload.ok_or_else(|| error("the link holds no scenario (expected `#s=...`)"))?;
    let scenario = scenario_of(payload, "the link's scenario")?;
    Ok(ShareLink { scenario, step })
}

/// The scenario text a payload holds; `what` names it in messages ("the link's
/// scenario", "the link's scenario B").
fn scenario_of(payload: &str, what: &str) -> Result<String, ShareError> {
    let (format, body) = payload.split_once('.').ok_or_else(|| {
        error(format!(
            "{what} has no format tag (expected `z1.` or `p1.` at its start)"
        ))
    })?;
    let bytes = match format {
        "z1" => {
            let compressed = base64url_decode(body)?;
            miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, LINK_SCENARIO_BYTES_MAX).map_err(|e| {
                if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
                    error(format!("{what} is larger than 1 MiB when decompressed"))
                } else {
                    error(format!("{what} does not decompress: the link was cut short or changed"))
                }
            })?
        }
        "p1" => percent_decode(body)?,
        other => {
            return Err(error(format!(
                "{what}'s format `{other}` is not one this Buddyscope knows (z1, p1): it may come from a newer version"
            )))
        }
    };
    if bytes.len() > LINK_SCENARIO_BYTES_MAX {
        return Err(error(format!("{what} is larger than 1 MiB")));
    }
    String::from_utf8(bytes).map_err(|_| error(format!("{what} is not valid UTF-8 text")))
}

/// The second run of a pair link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PairB {
    /// Another scenario file (`&b=` + a payload, in the same formats as `s=`).
    Scenario(String),
    /// A with one setting changed (`&vary=v1.` + `KEY=VALUE` percent-encoded).
    Vary(Vary),
}

/// What a side-by-side link holds: scenario A, how B is made, the call to open at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairLink {
    pub a: String,
    pub b: PairB,
    /// The call both sides open at (the page's "call N" is `step`, as in `&step=`).
    pub step: Option<u64>,
}

/// The fragment (without `#`) of a pair: `s=A&b=B` or `s=A&vary=v1.KEY%3DVALUE`,
/// then `&step=N`. A Buddyscope that knows no pairs opens A alone (it ignores keys it
/// does not know).
pub fn encode_pair(link: &PairLink) -> String {
    let b = match &link.b {
        PairB::Scenario(text) => format!("b={}", payload_of(text)),
        PairB::Vary(vary) => format!("vary=v1.{}", percent_encode(&vary.to_string())),
    };
    let a = payload_of(&link.a);
    match link.step {
        Some(step) => format!("s={a}&{b}&step={step}"),
        None => format!("s={a}&{b}"),
    }
}

/// Whether a link is a pair's (holds `b=` or `vary=`), without decoding it.
pub fn is_pair(input: &str) -> bool {
    let fragment = input.rsplit_once('#').map_or(input, |(_, f)| f);
    fragment
        .split('&')
        .any(|p| p.starts_with("b=") || p.starts_with("vary="))
}

/// Reads a pair link. Every key at most once; `b=` and `vary=` not both.
pub fn decode_pair(input: &str) -> Result<PairLink, ShareError> {
    let fragment = fragment_of(input)?;
    let (mut a, mut b, mut vary, mut step) = (None, None, None, None);
    for part in fragment.split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let slot = match key {
            "s" => &mut a,
            "b" => &mut b,
            "vary" => &mut vary,
            "step" => &mut step,
            // An unknown parameter from a newer version is ignored, not fatal.
            _ => continue,
        };
        if slot.is_some() {
            return Err(error(format!("the link has `{key}=` twice")));
        }
        *slot = Some(value);
    }
    let a = a.ok_or_else(|| error("the link holds no scenario A (expected `#s=...`)"))?;
    let b = match (b, vary) {
        (Some(_), Some(_)) => {
            return Err(error(
                "the link has both `b=` (a second scenario) and `vary=` (A with one change): a pair is one or the other",
            ))
        }
        (None, None) => {
            return Err(error(
                "the link holds one scenario, not a pair (expected `&b=...` or `&vary=...`)",
            ))
        }
        (Some(b), None) => PairB::Scenario(scenario_of(b, "the link's scenario B")?),
        (None, Some(v)) => {
            let (version, body) = v.split_once('.').ok_or_else(|| {
                error("the link's `vary=` has no version tag (expected `v1.` at its start)")
            })?;
            if version != "v1" {
                return Err(error(format!(
                    "the link's `vary=` version `{}` is not one this Buddyscope knows (v1): it may come from a newer version",
                    version.chars().take(16).collect::<String>()
                )));
            }
            let text = String::from_utf8(percent_decode(body)?)
                .map_err(|_| error("the link's `vary=` is not valid UTF-8 text"))?;
            PairB::Vary(
                Vary::parse(&text).map_err(|e| error(format!("the link's `vary=`: {e}")))?,
            )
        }
    };
    let step = step
        .map(|value| {
            value.parse::<u64>().map_err(|_| {
                error(format!(
                    "the link's step `{}` is not a whole number",
                    value.chars().take(40).collect::<String>()
                ))
            })
        })
        .transpose()?;
    Ok(PairLink {
        a: scenario_of(a, "the link's scenario A")?,
        b,
        step,
    })
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_encode(bytes: &[u8]) -> String {
    // Bytes, four symbols at a time (a `char` at a time was most of the link's
    // cost after the deflate).
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        // A six-bit value always indexes the 64-symbol alphabet.
        let symbols = [18, 12, 6, 0].map(|shift| {
            ALPHABET
                .get(((n >> shift) & 63) as usize)
                .copied()
                .unwrap_or(0)
        });
        out.extend_from_slice(symbols.get(..chunk.len() + 1).unwrap_or_default());
    }
    // Every symbol is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

fn base64url_decode(text: &str) -> Result<Vec<u8>, ShareError> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for (i, c) in text.bytes().enumerate() {
        let value = ALPHABET.iter().position(|&a| a == c).ok_or_else(|| {
            error(format!(
                "the link has a character that cannot be in it (`{}` at {i})",
                c as char
            ))
        })?;
        acc = (acc << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return Err(error("the link was cut short in the middle of a character"));
    }
    Ok(out)
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            // Unreserved characters, and `,` and `:`, are safe in a fragment.
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b',' | b':' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn percent_decode(text: &str) -> Result<Vec<u8>, ShareError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| core::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| error(format!("the link has a broken %-escape at {i}")))?;
                out.push(hex);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base64url_decode(&base64url_encode(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn known_base64url() {
        // RFC 4648 test vectors, URL-safe alphabet, no padding.
        assert_eq!(base64url_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url_encode(b"fo"), "Zm8");
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn payload_is_the_shorter_of_the_two() {
        let long = include_str!("../../../web/scenarios/default.toml");
        for text in [
            "",
            "a",
            "a b",
            "version = 1\n",
            "zone — “DMA32” é\n",
            long,
            &long[..200],
        ] {
            let plain = format!("p1.{}", percent_encode(text));
            let compressed = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
            let packed = format!("z1.{}", base64url_encode(&compressed));
            assert!(plain.len() >= text.len() + 3);
            let shorter = if packed.len() < plain.len() {
                packed
            } else {
                plain
            };
            assert_eq!(payload_of(text), shorter, "{text:?}");
        }
    }
}
