//! Line and base64 handling shared by the key and signature parsers.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::FormatError;

pub(super) const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
pub(super) const TRUSTED_PREFIX: &str = "trusted comment: ";

/// Maximum length in bytes of an untrusted comment line, prefix included. minisign 0.11
/// reads that line into a 1024-byte buffer, so longer lines never come from it.
pub(super) const MAX_UNTRUSTED_LINE: usize = 1024;

/// Maximum length in bytes of a trusted comment line, prefix included, which is the
/// buffer size that minisign 0.11 reads it into.
pub(super) const MAX_TRUSTED_LINE: usize = 8192;

/// Checks that `bytes` are non-empty, at most `max` bytes and UTF-8, and returns the text.
pub(super) fn decode_text<'a>(
    bytes: &'a [u8],
    max: usize,
    input: &'static str,
) -> Result<&'a str, FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::Empty { input });
    }
    if bytes.len() > max {
        let size = bytes.len();
        return Err(FormatError::TooLarge { input, size, max });
    }
    std::str::from_utf8(bytes).map_err(|_| FormatError::NotUtf8 { input })
}

/// Splits text into lines, accepting LF or CRLF endings and one final line ending.
pub(super) fn lines(text: &str) -> Vec<&str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let body = body.strip_suffix('\r').unwrap_or(body);
    body.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect()
}

/// Splits text into exactly `expected` lines.
pub(super) fn exact_lines<'a>(
    text: &'a str,
    expected: usize,
    input: &'static str,
) -> Result<Vec<&'a str>, FormatError> {
    let lines = lines(text);
    if lines.len() < expected {
        let found = lines.len();
        return Err(FormatError::Truncated {
            input,
            found,
            expected,
        });
    }
    if lines.len() > expected {
        return Err(FormatError::TrailingData { input, expected });
    }
    Ok(lines)
}

/// Returns the text after `prefix` on line `index` (counted from 0), checking its length.
pub(super) fn strip_prefix<'a>(
    lines: &[&'a str],
    index: usize,
    prefix: &'static str,
    max: usize,
    input: &'static str,
) -> Result<&'a str, FormatError> {
    let line = lines.get(index).copied().unwrap_or_default();
    let missing = FormatError::MissingPrefix {
        input,
        line: index + 1,
        prefix,
    };
    let rest = line.strip_prefix(prefix).ok_or(missing)?;

    if line.len() > max {
        let size = line.len();
        return Err(FormatError::TooLarge { input, size, max });
    }
    Ok(rest)
}

/// Decodes one line of standard, padded base64 into exactly `N` bytes.
pub(super) fn decode_base64<const N: usize>(
    line: &str,
    input: &'static str,
) -> Result<[u8; N], FormatError> {
    let bytes = STANDARD
        .decode(line)
        .map_err(|_| FormatError::InvalidBase64 { input })?;

    let found = bytes.len();
    bytes.try_into().map_err(|_| FormatError::WrongLength {
        input,
        found,
        expected: N,
    })
}

pub(super) fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Splits off the first `N` bytes of `bytes`, padding with zeros if fewer remain.
///
/// Callers read fixed-size arrays that they decoded, so the padding never applies there.
pub(super) fn take<const N: usize>(bytes: &mut &[u8]) -> [u8; N] {
    let mut out = [0; N];
    let (head, rest) = bytes.split_at(N.min(bytes.len()));
    out[..head.len()].copy_from_slice(head);
    *bytes = rest;
    out
}
