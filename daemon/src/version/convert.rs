//! Conversion of loosely written version strings into dotted form, as fwupd does it.

use super::format::VersionFormat;
use super::render::{from_u32, RenderError};

/// Renders `version` in `format` when it is a raw integer, else returns it unchanged.
///
/// A decimal integer or a `0x`-prefixed hex integer from 1 to `u32::MAX` goes through
/// `from_u32`, so `0xff0001` and `16711681` both become `0.255.1` as a triplet. Strings
/// with a dot, 8-character strings starting with `20` (taken as `YYYYMMDD` dates), zero,
/// values above `u32::MAX` and any other text are returned unchanged. Fails only when
/// `format` has no 32-bit layout.
pub fn parse_from_format(version: &str, format: VersionFormat) -> Result<String, RenderError> {
    if version.contains('.') || is_date(version) {
        return Ok(version.to_owned());
    }
    match parse_u32(version) {
        Some(value) if value != 0 => from_u32(value, format),
        _ => Ok(version.to_owned()),
    }
}

/// Extracts a dotted version with the number of fields `format` has.
///
/// Digits are kept, `-` and `~` become dots, and other characters are dropped, so
/// `CBET1.2.3` gives `1.2.3` and `4.11-1190-g12d8072e6b-dirty` gives `4.11.1190` as a
/// triplet. Missing leading fields are filled with `0` (`1.2` gives `0.1.2`) and extra
/// trailing fields are dropped. With `Unknown` every field is kept. A `0x`-prefixed
/// version goes through `parse_from_format` as a triplet first. Returns `None` when the
/// version contains no digit.
pub fn ensure_semver(version: &str, format: VersionFormat) -> Option<String> {
    let dotted = dotted_digits(version)?;
    if format == VersionFormat::Unknown {
        return Some(dotted);
    }
    let fields = split_fields(&dotted);
    let expected = format.section_count();
    let padding = expected.saturating_sub(fields.len());
    let leading_fields = fields.iter().take(expected).copied();
    let zeros = std::iter::repeat_n("0", padding);
    Some(join_non_leading(zeros.chain(leading_fields)))
}

/// Keeps the digits of `version` and the dots between them, as fwupd's first pass does.
fn dotted_digits(version: &str) -> Option<String> {
    if version.starts_with("0x") {
        return parse_from_format(version, VersionFormat::Triplet).ok();
    }
    let bytes = version.as_bytes();
    let mut output = String::new();
    let mut after_digit = false;
    for (index, &byte) in bytes.iter().enumerate() {
        // A dot survives only between a digit and more text, but `-` and `~` always
        // become dots.
        let separator = byte == b'-' || byte == b'~';
        let kept_dot = byte == b'.' && after_digit && index + 1 < bytes.len();
        if byte.is_ascii_digit() {
            output.push(char::from(byte));
            after_digit = true;
        } else if separator || kept_dot {
            output.push('.');
            after_digit = false;
        }
    }
    finish_dotted_digits(output)
}

fn finish_dotted_digits(mut output: String) -> Option<String> {
    if !output.bytes().any(|byte| byte.is_ascii_digit()) {
        return None;
    }
    if output.ends_with('.') {
        output.pop();
    }
    Some(output)
}

/// Splits on dots the way GLib's `g_strsplit` does, so the empty string has no fields.
fn split_fields(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split('.').collect()
}

/// Joins with dots but, like fwupd, adds no dot while the output is still empty.
///
/// The difference from `join` shows only with empty fields: `["", "1", "2"]` gives
/// `1.2`, not `.1.2`.
fn join_non_leading<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    let mut output = String::new();
    for field in fields {
        if !output.is_empty() {
            output.push('.');
        }
        output.push_str(field);
    }
    output
}

fn is_date(version: &str) -> bool {
    version.starts_with("20") && version.len() == 8
}

/// Parses a decimal or `0x`-prefixed hex integer made only of digits.
fn parse_u32(text: &str) -> Option<u32> {
    let (digits, radix) = match text.strip_prefix("0x") {
        Some(hex) => (hex, 16),
        None => (text, 10),
    };
    let valid = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_hexdigit());
    if !valid {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_values_above_u32() {
        let version = "4294967296";
        assert_eq!(
            parse_from_format(version, VersionFormat::Triplet).unwrap(),
            version
        );
    }

    #[test]
    fn parse_rejects_decimal_with_hex_letters() {
        assert_eq!(
            parse_from_format("12ab", VersionFormat::Triplet).unwrap(),
            "12ab"
        );
    }

    #[test]
    fn parse_keeps_empty_string() {
        assert_eq!(parse_from_format("", VersionFormat::Triplet).unwrap(), "");
    }

    #[test]
    fn parse_fails_for_format_without_layout() {
        assert!(parse_from_format("7", VersionFormat::Unknown).is_err());
    }

    #[test]
    fn parse_hex_normalizes_padding() {
        assert_eq!(
            parse_from_format("0xa70410a", VersionFormat::Hex).unwrap(),
            "0x0a70410a"
        );
    }

    #[test]
    fn semver_without_digits_is_none() {
        assert_eq!(ensure_semver("RELEASE", VersionFormat::Triplet), None);
        assert_eq!(ensure_semver("", VersionFormat::Triplet), None);
    }

    #[test]
    fn semver_unknown_keeps_every_field() {
        let version = ensure_semver("v1.2.3.4.5", VersionFormat::Unknown);
        assert_eq!(version.as_deref(), Some("1.2.3.4.5"));
    }

    #[test]
    fn semver_drops_dot_before_end_and_non_digit() {
        assert_eq!(
            ensure_semver("1.", VersionFormat::Pair).as_deref(),
            Some("0.1")
        );
        assert_eq!(
            ensure_semver("1.a.2", VersionFormat::Pair).as_deref(),
            Some("1.2")
        );
    }

    #[test]
    fn semver_leading_dash_adds_no_leading_dot() {
        assert_eq!(
            ensure_semver("-1-2-3", VersionFormat::Triplet).as_deref(),
            Some("1.2")
        );
    }

    #[test]
    fn semver_hex_prefix_goes_through_parse() {
        let version = ensure_semver("0x1a", VersionFormat::Triplet);
        assert_eq!(version.as_deref(), Some("0.0.26"));
    }

    #[test]
    fn semver_ignores_non_ascii() {
        let version = ensure_semver("Ü1.2ß3", VersionFormat::Triplet);
        assert_eq!(version.as_deref(), Some("0.1.23"));
    }
}
