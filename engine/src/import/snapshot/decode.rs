//! Bytes to text: what a user's file is before it is read as a snapshot, a dmesg or
//! a /proc file. A gzip file is decompressed (bounded by the snapshot limit, so a
//! gzip bomb stops there); UTF-8 loses its byte-order mark and its carriage returns;
//! UTF-16, other compressors, archives and binary files are refused with one sentence
//! each that says what the file is and what to do with it.

use crate::limits::{SCENARIO_BYTES_MAX, SNAPSHOT_BYTES_MAX, TRACE_BYTES_MAX};

/// How large a decoded file may be, and the words that say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bound {
    pub bytes: usize,
    /// "16 MiB".
    pub size: &'static str,
    /// What the limit is of, and what the user needs of it.
    pub hint: &'static str,
}

/// A machine's file: [`SNAPSHOT_BYTES_MAX`].
pub(crate) const SNAPSHOT_BOUND: Bound = Bound {
    bytes: SNAPSHOT_BYTES_MAX,
    size: "16 MiB",
    hint: "the snapshot limit; a snapshot needs only dmesg and a few small /proc and /sys files",
};

/// A file that may be a scenario or a machine's file: [`SCENARIO_BYTES_MAX`] (a
/// machine's text is then held to [`SNAPSHOT_BOUND`] as `read_machine` decodes it).
pub(crate) const SCENARIO_BOUND: Bound = Bound {
    bytes: SCENARIO_BYTES_MAX,
    size: "65 MiB",
    hint: "the scenario file limit",
};

/// A kmem trace: [`TRACE_BYTES_MAX`].
pub(crate) const TRACE_BOUND: Bound = Bound {
    bytes: TRACE_BYTES_MAX,
    size: "64 MiB",
    hint: "the kmem trace limit; import a shorter part of the trace",
};

/// The text of a file, or the one sentence that says why it is not text Buddyscope
/// can read. `pasted`: the bytes are text the user pasted or typed (already text, so
/// a stray control character is the parsers' to name, not a sign of a binary file).
pub(super) fn decode_text(bytes: &[u8], pasted: bool) -> Result<String, String> {
    decode_text_within(bytes, pasted, SNAPSHOT_BOUND)
}

/// [`decode_text`] with another size bound.
pub(crate) fn decode_text_within(
    bytes: &[u8],
    pasted: bool,
    bound: Bound,
) -> Result<String, String> {
    let mut bytes = std::borrow::Cow::Borrowed(bytes);
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let inflated = gunzip(&bytes, bound)?;
        if inflated.starts_with(&[0x1f, 0x8b]) {
            return Err(
                "this file is gzip inside gzip; decompress it once (`gunzip`) and import the result"
                    .to_string(),
            );
        }
        bytes = std::borrow::Cow::Owned(inflated);
    }
    if bytes.len() > bound.bytes {
        return Err(format!(
            "this file is {} bytes; the limit is {} bytes ({})",
            bytes.len(),
            bound.bytes,
            bound.size
        ));
    }
    if pasted {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            return Ok(plain_lines(text));
        }
    }
    if let Some(what) = foreign_format(&bytes) {
        return Err(what);
    }
    if let Some(order) = utf16_order(&bytes) {
        return Err(format!(
            "this file is UTF-16 ({order}); save it as UTF-8 (`iconv -f UTF-16 -t UTF-8 FILE > FILE.txt`, or \
             \"Save as UTF-8\" in the editor) and import that"
        ));
    }
    let nul = bytes.iter().filter(|&&b| b == 0).count();
    if nul > 0 {
        return Err(format!(
            "this looks like a binary file ({nul} NUL byte{}), not text; Buddyscope reads the text of dmesg, \
             /proc and /sys files",
            if nul == 1 { "" } else { "s" }
        ));
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(error) => {
            let at = error.valid_up_to();
            return Err(format!(
                "this looks like a binary file (byte {at} is not UTF-8 text), not text; Buddyscope reads the text \
                 of dmesg, /proc and /sys files"
            ));
        }
    };
    Ok(plain_lines(text))
}

/// The text without a UTF-8 byte-order mark, with CRLF (a file saved on Windows) and
/// lone CR line ends made LF.
fn plain_lines(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        return text.replace("\r\n", "\n").replace('\r', "\n");
    }
    text.to_string()
}

/// The bytes of a gzip file (RFC 1952), at most `bound.bytes` of them.
fn gunzip(bytes: &[u8], bound: Bound) -> Result<Vec<u8>, String> {
    let broken = |why: &str| format!("this gzip file is damaged or cut short ({why})");
    let header = bytes.get(..10).ok_or_else(|| broken("no header"))?;
    let (method, flags) = match header {
        [_, _, method, flags, ..] => (*method, *flags),
        _ => return Err(broken("no header")),
    };
    if method != 8 {
        return Err(broken("its compression method is not deflate"));
    }
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    let mut at = 10usize;
    if flags & FEXTRA != 0 {
        let length = match bytes.get(at..at + 2) {
            Some(&[low, high]) => usize::from(u16::from_le_bytes([low, high])),
            _ => return Err(broken("its extra field is cut short")),
        };
        at = at.saturating_add(2).saturating_add(length);
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = bytes
                .get(at..)
                .ok_or_else(|| broken("its header is cut short"))?;
            let end = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or_else(|| broken("its file name or comment never ends"))?;
            at = at.saturating_add(end + 1);
        }
    }
    if flags & FHCRC != 0 {
        at = at.saturating_add(2);
    }
    let data = bytes
        .get(at..)
        .ok_or_else(|| broken("no compressed data"))?;
    let (inflated, used) = inflate(data, bound)?;
    // The trailer: CRC-32 and length (mod 2^32) of the decompressed bytes.
    let trailer = data
        .get(used..used.saturating_add(8))
        .ok_or_else(|| broken("its trailer is missing"))?;
    let word = |from: usize| {
        trailer
            .get(from..from + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
    };
    if word(0) != Some(crc32(&inflated)) || word(4) != Some(inflated.len() as u32) {
        return Err(broken("its checksum does not match the data"));
    }
    Ok(inflated)
}

/// The deflate stream at the start of `data`, decompressed (at most `bound.bytes`
/// bytes), and how many bytes of `data` it took.
fn inflate(data: &[u8], bound: Bound) -> Result<(Vec<u8>, usize), String> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    let mut decompressor = DecompressorOxide::new();
    let mut out = vec![0u8; 64 << 10];
    let (mut read, mut written) = (0usize, 0usize);
    loop {
        let input = data.get(read..).unwrap_or(&[]);
        let (status, consumed, produced) = decompress(
            &mut decompressor,
            input,
            &mut out,
            written,
            inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
        );
        read += consumed;
        written += produced;
        match status {
            TINFLStatus::Done => {
                out.truncate(written);
                return Ok((out, read));
            }
            TINFLStatus::HasMoreOutput => {
                if out.len() >= bound.bytes {
                    return Err(format!(
                        "this gzip file decompresses to more than {} bytes ({}), {}",
                        bound.bytes, bound.size, bound.hint
                    ));
                }
                let grown = out.len().saturating_mul(2).min(bound.bytes);
                out.resize(grown, 0);
            }
            _ => return Err(
                "this gzip file is damaged or cut short (the compressed data does not decompress)"
                    .to_string(),
            ),
        }
    }
}

/// CRC-32 (IEEE 802.3, as gzip uses it).
fn crc32(bytes: &[u8]) -> u32 {
    // A const block indexes its own 256-entry table with n < 256: it cannot panic
    // on input, and a const fn cannot use `get_mut`.
    #[allow(clippy::indexing_slicing)]
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &byte in bytes {
        let index = usize::from((crc as u8) ^ byte);
        crc = TABLE.get(index).copied().unwrap_or(0) ^ (crc >> 8);
    }
    !crc
}

/// A sentence for compressed files and archives Buddyscope does not open, and for a
/// few binary formats people pick by mistake.
fn foreign_format(bytes: &[u8]) -> Option<String> {
    let what = if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        "this file is xz-compressed (a sosreport is usually a .tar.xz); unpack it (`tar xf FILE`) and import the \
         directory, or decompress it (`xz -d`)"
    } else if bytes.starts_with(b"BZh") && bytes.get(3).is_some_and(u8::is_ascii_digit) {
        "this file is bzip2-compressed; decompress it (`bunzip2`, or `tar xf` for a .tar.bz2) and import the result"
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "this file is zstd-compressed; decompress it (`zstd -d`, or `tar xf` for a .tar.zst) and import the result"
    } else if bytes.get(257..262) == Some(b"ustar") {
        "this file is a tar archive; unpack it (`tar xf FILE`) and import the directory (or its files)"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "this file is a zip archive; unpack it and import the files inside"
    } else if bytes.starts_with(b"\x7fELF") {
        "this looks like a binary file (an ELF program), not text"
    } else if bytes.starts_with(b"%PDF") {
        "this looks like a binary file (a PDF document), not text"
    } else if bytes.starts_with(b"\x89PNG") {
        "this looks like a binary file (a PNG image), not text"
    } else {
        return None;
    };
    Some(what.to_string())
}

/// `Some("little-endian")` or `Some("big-endian")` when the bytes are UTF-16: a
/// byte-order mark, or (without one) ASCII text with every other byte zero.
fn utf16_order(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xfe]) {
        return Some("little-endian, with a byte-order mark");
    }
    if bytes.starts_with(&[0xfe, 0xff]) {
        return Some("big-endian, with a byte-order mark");
    }
    let sample = bytes.get(..bytes.len().min(512))?;
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zero_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    // Text in UTF-16 has a zero high byte in nearly every character; binary data
    // rarely has zeros at one parity only.
    let (even, odd) = (zero_at(0), zero_at(1));
    if odd * 10 >= pairs * 9 && even * 10 <= pairs {
        Some("little-endian, without a byte-order mark")
    } else if even * 10 >= pairs * 9 && odd * 10 <= pairs {
        Some("big-endian, without a byte-order mark")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::decode_text;

    #[test]
    fn crlf_and_bom_become_plain_lines() {
        assert_eq!(
            decode_text(b"\xef\xbb\xbfa\r\nb\r\n", false).as_deref(),
            Ok("a\nb\n")
        );
    }

    #[test]
    fn utf16_is_named() {
        let text: Vec<u8> = "node 0 cpus: 0\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(decode_text(&text, false)
            .unwrap_err()
            .contains("UTF-16 (little-endian, without"));
    }
}
