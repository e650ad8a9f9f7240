//! `ParsedVersion`: a version string split once into fields that sort as fwupd sorts them.

use std::cmp::Ordering;

use super::convert::parse_from_format;
use super::format::VersionFormat;

/// A version prepared for repeated comparison, ordered as `compare` orders the strings.
///
/// Parse the device's version once and compare it against many catalog releases.
/// Versions parsed with different formats still have a total order, but a meaningful
/// one only when both use the same format.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParsedVersion(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    /// `plain` versions sort byte by byte.
    Plain(Box<str>),
    /// Every other format sorts field by field.
    Dotted(Vec<Field>),
}

/// One dot-separated field, split into its leading integer and the text after it.
///
/// As in C's `strtoll`, leading ASCII whitespace and one sign are allowed before the
/// digits, and the number saturates at the `i64` limits. A field without digits has
/// number 0 and keeps its whole text as the suffix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Field {
    number: i64,
    suffix: Box<str>,
}

impl ParsedVersion {
    /// Parses `version` for comparison in `format`.
    ///
    /// Text from the first NUL byte on is ignored, as fwupd reads C strings. `hex`
    /// versions that are raw integers are first rendered as `0x` plus 8 hex digits, so
    /// `0xa70410a`, `0x0a70410a` and `175128842` are equal.
    pub fn new(version: &str, format: VersionFormat) -> Self {
        let version = until_nul(version);
        match format {
            VersionFormat::Plain => Self(Repr::Plain(version.into())),
            VersionFormat::Hex => {
                let rendered = parse_from_format(version, format);
                Self::dotted(rendered.as_deref().unwrap_or(version))
            }
            _ => Self::dotted(version),
        }
    }

    fn dotted(version: &str) -> Self {
        // GLib's `g_strsplit` returns no fields for an empty string.
        if version.is_empty() {
            return Self(Repr::Dotted(Vec::new()));
        }
        Self(Repr::Dotted(version.split('.').map(Field::parse).collect()))
    }
}

impl Field {
    fn parse(text: &str) -> Self {
        let bytes = text.as_bytes();
        let (negative, digits_start) = skip_space_and_sign(bytes);
        let digits = &bytes[digits_start..];
        let digit_count = digits
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if digit_count == 0 {
            return Self::without_number(text);
        }
        Self {
            number: saturating_integer(&digits[..digit_count], negative),
            // Every byte before the suffix is ASCII, so this is a character boundary.
            suffix: text[digits_start + digit_count..].into(),
        }
    }

    fn without_number(text: &str) -> Self {
        Self {
            number: 0,
            suffix: text.into(),
        }
    }
}

impl Ord for Field {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_number = self.number.cmp(&other.number);
        by_number.then_with(|| suffix_keys(&self.suffix).cmp(suffix_keys(&other.suffix)))
    }
}

impl PartialOrd for Field {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Sort key of the end of a suffix, which sorts above `~` and below every other byte.
const END_KEY: u16 = 1;

/// Maps a suffix to sort keys so that `~` sorts before the end of the text and the end
/// sorts before any other byte: `3~rc1` < `3` < `3a`.
///
/// NOTE: fwupd compares C `char`, which is signed on x86, so there bytes from 0x80 on
/// sort below ASCII. Here every byte compares unsigned, as fwupd does on ARM.
fn suffix_keys(suffix: &str) -> impl Iterator<Item = u16> + '_ {
    let byte_keys = suffix.bytes().map(|byte| match byte {
        b'~' => 0,
        other => u16::from(other) + 2,
    });
    byte_keys.chain(std::iter::once(END_KEY))
}

/// Returns whether a `-` sign was found and the index after the whitespace and sign.
fn skip_space_and_sign(bytes: &[u8]) -> (bool, usize) {
    let start = bytes.iter().take_while(|&&byte| is_c_space(byte)).count();
    match bytes.get(start) {
        Some(b'-') => (true, start + 1),
        Some(b'+') => (false, start + 1),
        _ => (false, start),
    }
}

/// Converts ASCII digits to an `i64`, clamping to `i64::MIN` or `i64::MAX` on overflow.
fn saturating_integer(digits: &[u8], negative: bool) -> i64 {
    let magnitude = digits.iter().fold(0u64, |total, &digit| {
        total
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    });
    if negative {
        0i64.checked_sub_unsigned(magnitude).unwrap_or(i64::MIN)
    } else {
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    }
}

/// ASCII whitespace as C's `isspace` defines it, including vertical tab.
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t'..=b'\r')
}

fn until_nul(text: &str) -> &str {
    match text.find('\0') {
        Some(end) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(version: &str) -> ParsedVersion {
        ParsedVersion::new(version, VersionFormat::Unknown)
    }

    #[test]
    fn leading_zeros_are_equal() {
        assert_eq!(parse("001.002.003"), parse("1.2.3"));
    }

    #[test]
    fn tilde_sorts_below_end_and_end_below_letters() {
        assert!(parse("1.2.3~rc1") < parse("1.2.3"));
        assert!(parse("1.2.3") < parse("1.2.3a"));
        assert!(parse("1.2.3~rc1") < parse("1.2.3~rc2"));
    }

    #[test]
    fn missing_field_sorts_first() {
        assert!(parse("1.2.3") < parse("1.2.3.1"));
        assert!(parse("") < parse("0"));
    }

    #[test]
    fn field_allows_whitespace_and_sign() {
        assert_eq!(parse(" +5x"), parse("5x"));
        assert!(parse("-1") < parse("0"));
        assert_eq!(parse("-").0, Repr::Dotted(vec![Field::without_number("-")]));
    }

    #[test]
    fn overflowing_number_saturates() {
        let huge = "99999999999999999999999";
        assert_eq!(parse(huge), parse("9223372036854775807"));
        assert_eq!(parse(&format!("-{huge}")), parse("-9223372036854775808"));
    }

    #[test]
    fn text_after_nul_is_ignored() {
        assert_eq!(parse("1.2\0junk"), parse("1.2"));
    }

    #[test]
    fn hex_normalizes_raw_integers() {
        let hex = |text| ParsedVersion::new(text, VersionFormat::Hex);
        assert_eq!(hex("0xa70410a"), hex("0x0a70410a"));
        assert_eq!(hex("175128842"), hex("0x0a70410a"));
        assert!(hex("0x0a70410a") < hex("0x0a70410b"));
    }

    #[test]
    fn plain_compares_bytes() {
        let plain = |text| ParsedVersion::new(text, VersionFormat::Plain);
        assert!(plain("10") < plain("9"));
        assert!(plain("1.10") < plain("1.9"));
    }
}
