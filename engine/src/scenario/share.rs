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
    let plain = format!("p1.{}", percent_encode(&link.scenario));
    let compressed = miniz_oxide::deflate::compress_to_vec(link.scenario.as_bytes(), 9);
    let packed = format!("z1.{}", base64url_encode(&compressed));
    let payload = if packed.len() < plain.len() {
        packed
    } else {
        plain
    };
    match link.step {
        Some(step) => format!("s={payload}&step={step}"),
        None => format!("s={payload}"),
    }
}

/// Reads a link: a whole URL, a fragment with or without `#`, or just the payload.
pub fn decode(input: &str) -> Result<ShareLink, ShareError> {
    let input = input.trim();
    if input.len() > LINK_FRAGMENT_BYTES_MAX {
        return Err(error(format!(
            "the link is {} bytes long; Buddyscope reads links up to {LINK_FRAGMENT_BYTES_MAX} bytes",
            input.len()
        )));
    }
    let fragment = input.rsplit_once('#').map_or(input, |(_, f)| f);
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
    let (format, body) = payload.split_once('.').ok_or_else(|| {
        error("the link's scenario has no format tag (expected `z1.` or `p1.` at its start)")
    })?;
    let bytes = match format {
        "z1" => {
            let compressed = base64url_decode(body)?;
            miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, LINK_SCENARIO_BYTES_MAX).map_err(|e| {
                if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
                    error("the link's scenario is larger than 1 MiB when decompressed")
                } else {
                    error("the link's scenario does not decompress: the link was cut short or changed")
                }
            })?
        }
        "p1" => percent_decode(body)?,
        other => {
            return Err(error(format!(
                "the link's format `{other}` is not one this Buddyscope knows (z1, p1): it may come from a newer version"
            )))
        }
    };
    if bytes.len() > LINK_SCENARIO_BYTES_MAX {
        return Err(error("the link's scenario is larger than 1 MiB"));
    }
    let scenario = String::from_utf8(bytes)
        .map_err(|_| error("the link's scenario is not valid UTF-8 text"))?;
    Ok(ShareLink { scenario, step })
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            // A six-bit value always indexes the 64-symbol alphabet.
            let symbol = ALPHABET.get(((n >> (18 - 6 * i)) & 63) as usize);
            out.extend(symbol.map(|&s| s as char));
        }
    }
    out
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
}
