//! Durations in config files: seconds, or a number with a unit such as `30m`, `6h`, `1d`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// Seconds in each unit that a duration may use.
const UNITS: [(char, u64); 4] = [('s', 1), ('m', 60), ('h', 3600), ('d', 86_400)];

/// Maximum length in bytes of a duration text, which bounds the work on a bad value.
const MAX_TEXT_LEN: usize = 64;

/// Duration text that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a duration; use seconds or a number with the unit s, m, h or d, \
     such as \"30m\", \"6h\", \"1d\" or \"1h30m\""
)]
pub struct DurationError {
    pub text: String,
}

/// Parses a duration: plain digits are seconds, and otherwise each number is followed by
/// `s`, `m`, `h` or `d` (days of 24 hours). Parts add up, so `1h30m` is 90 minutes.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError {
        text: text.chars().take(MAX_TEXT_LEN).collect(),
    };
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.len() > MAX_TEXT_LEN {
        return Err(invalid());
    }
    if trimmed.bytes().all(|byte| byte.is_ascii_digit()) {
        let seconds = trimmed.parse().map_err(|_| invalid())?;
        return Ok(Duration::from_secs(seconds));
    }

    let mut seconds: u64 = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let (part, tail) = split_part(rest).ok_or_else(invalid)?;
        seconds = seconds.checked_add(part).ok_or_else(invalid)?;
        rest = tail;
    }
    Ok(Duration::from_secs(seconds))
}

/// Splits `<digits><unit>` off the front of `text` and returns its seconds and the rest.
fn split_part(text: &str) -> Option<(u64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let number: u64 = text.get(..digits)?.parse().ok()?;
    let unit = text.get(digits..)?.chars().next()?;

    let (_, scale) = UNITS.iter().find(|(name, _)| *name == unit)?;
    let seconds = number.checked_mul(*scale)?;
    Some((seconds, &text[digits + unit.len_utf8()..]))
}

/// Formats a duration in the largest unit that divides it, such as `6h` or `90s`.
pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let unit = UNITS
        .iter()
        .rev()
        .find(|(_, scale)| seconds > 0 && seconds.is_multiple_of(*scale));
    match unit {
        Some((name, scale)) => format!("{}{name}", seconds / scale),
        None => format!("{seconds}s"),
    }
}

/// Deserializes a duration from a TOML integer of seconds or from a string that
/// [`parse_duration`] reads. For `#[serde(deserialize_with)]`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("seconds, or a duration such as \"30s\", \"5m\" or \"1h\"")
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(seconds))
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Duration, E> {
        let seconds = u64::try_from(seconds)
            .map_err(|_| E::custom(format!("{seconds} is negative; use 0 or more seconds")))?;
        Ok(Duration::from_secs(seconds))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        parse_duration(text).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parse_duration_reads_units() {
        let cases = [
            ("90", 90),
            ("30s", 30),
            ("30m", 1800),
            ("6h", 21_600),
            ("1d", 86_400),
            ("1h30m", 5400),
            (" 2d ", 172_800),
            ("0", 0),
        ];
        for (text, seconds) in cases {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(parsed, Duration::from_secs(seconds), "{text}");
        }
    }

    #[test]
    fn parse_duration_rejects_bad_text() {
        let cases = [
            "", " ", "h", "6x", "6 h", "-6h", "1.5h", "6hh", "6H", "١h", "1e3",
        ];
        for text in cases {
            assert!(parse_duration(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn parse_duration_rejects_overflow() {
        assert!(parse_duration("18446744073709551615d").is_err());
        assert!(parse_duration("99999999999999999999").is_err());
        assert!(parse_duration(&"1s".repeat(40)).is_err());
    }

    #[test]
    fn format_duration_uses_largest_unit() {
        assert_eq!(format_duration(Duration::from_secs(86_400)), "1d");
        assert_eq!(format_duration(Duration::from_secs(5400)), "90m");
        assert_eq!(format_duration(Duration::from_secs(61)), "61s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    proptest! {
        #[test]
        fn parse_duration_never_panics(text in "\\PC{0,80}") {
            let _ = parse_duration(&text);
        }

        #[test]
        fn parse_duration_reads_formatted(seconds in 0u64..100_000_000) {
            let duration = Duration::from_secs(seconds);
            prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
    }
}
