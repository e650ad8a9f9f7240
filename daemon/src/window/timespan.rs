//! Time spans such as `2h`, `90min` or `1h 30min`, in the syntax of systemd.time(7).
//!
//! The accepted subset: numbers with an optional fraction (`1.5h`, `.5h`), each
//! followed by an optional unit, with spaces or tabs between the parts. A
//! number without a unit counts as seconds, as in systemd, so `1h30` is one
//! hour and 30 seconds. `infinity` and nanoseconds are not accepted.

use jiff::SignedDuration;

/// Maximum length in bytes of a time span text.
const MAX_TEXT_LEN: usize = 256;

/// Maximum number of digits in one number, which keeps the arithmetic in `u128`.
const MAX_DIGITS: usize = 18;

const MICROS_PER_SECOND: u128 = 1_000_000;

/// Units and their length in microseconds, with the spellings systemd 252 accepts.
/// systemd counts a month as 30.44 days and a year as 365.25 days.
const UNITS: &[(&[&str], u128)] = &[
    (&["us", "usec", "µs", "μs"], 1),
    (&["ms", "msec"], 1_000),
    (&["s", "sec", "second", "seconds"], MICROS_PER_SECOND),
    (&["m", "min", "minute", "minutes"], 60 * MICROS_PER_SECOND),
    (&["h", "hr", "hour", "hours"], 3_600 * MICROS_PER_SECOND),
    (&["d", "day", "days"], 86_400 * MICROS_PER_SECOND),
    (&["w", "week", "weeks"], 604_800 * MICROS_PER_SECOND),
    (&["M", "month", "months"], 2_629_800 * MICROS_PER_SECOND),
    (&["y", "year", "years"], 31_557_600 * MICROS_PER_SECOND),
];

/// The reason a time span was rejected. Every message names the whole text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeSpanError {
    #[error("time span is empty: expected a value such as \"2h\" or \"1h 30min\"")]
    Empty,

    #[error("time span is {length} bytes long, more than the maximum of {MAX_TEXT_LEN}")]
    TooLong { length: usize },

    #[error("invalid time span {text:?}: {problem}; write it as in \"2h\" or \"1h 30min\"")]
    Invalid { text: String, problem: String },

    #[error("time span {text:?} is too large")]
    TooLarge { text: String },
}

/// One number of a time span, split at its decimal point.
struct Number<'a> {
    whole: &'a str,
    fraction: &'a str,
}

/// Parses a time span into a duration with microsecond precision.
pub fn parse_timespan(text: &str) -> Result<SignedDuration, TimeSpanError> {
    if text.len() > MAX_TEXT_LEN {
        return Err(TimeSpanError::TooLong { length: text.len() });
    }
    if text.trim_matches(is_blank).is_empty() {
        return Err(TimeSpanError::Empty);
    }
    let invalid = |problem: String| TimeSpanError::Invalid {
        text: text.to_owned(),
        problem,
    };
    let too_large = || TimeSpanError::TooLarge {
        text: text.to_owned(),
    };

    let mut rest = text.trim_start_matches(is_blank);
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (number, after_number) = split_number(rest).map_err(invalid)?;
        let after_blank = after_number.trim_start_matches(is_blank);
        let (unit, after_unit) = split_unit(after_blank);
        let micros = unit_micros(unit).ok_or_else(|| invalid(format!("unknown unit {unit:?}")))?;

        let value = number.to_micros(micros).ok_or_else(too_large)?;
        total = total.checked_add(value).ok_or_else(too_large)?;
        rest = after_unit.trim_start_matches(is_blank);
    }

    let micros = i64::try_from(total).map_err(|_| too_large())?;
    Ok(SignedDuration::from_micros(micros))
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits a number such as `90`, `1.5` or `.5` off the front of `text`.
fn split_number(text: &str) -> Result<(Number<'_>, &str), String> {
    let (whole, rest) = split_digits(text);
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(after_point) => {
            let (fraction, rest) = split_digits(after_point);
            if fraction.is_empty() {
                return Err(format!("expected digits after \"{whole}.\""));
            }
            (fraction, rest)
        }
        None => ("", rest),
    };

    if whole.is_empty() && fraction.is_empty() {
        let found: String = text.chars().take(16).collect();
        return Err(format!("expected a number at {found:?}"));
    }
    if whole.len() > MAX_DIGITS || fraction.len() > MAX_DIGITS {
        return Err(format!("a number has more than {MAX_DIGITS} digits"));
    }
    Ok((Number { whole, fraction }, rest))
}

fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

/// Splits the unit off the front of `text`: everything up to the next digit, point or blank.
fn split_unit(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| c.is_ascii_digit() || c == '.' || is_blank(c))
        .unwrap_or(text.len());
    text.split_at(end)
}

/// Returns the length of `unit` in microseconds; a missing unit means seconds.
fn unit_micros(unit: &str) -> Option<u128> {
    if unit.is_empty() {
        return Some(MICROS_PER_SECOND);
    }
    UNITS
        .iter()
        .find(|(names, _)| names.contains(&unit))
        .map(|&(_, micros)| micros)
}

impl Number<'_> {
    /// Converts the number of `unit_micros` units to microseconds, rounding the
    /// fraction down as systemd does. Returns `None` on overflow.
    fn to_micros(&self, unit_micros: u128) -> Option<u128> {
        let whole: u128 = if self.whole.is_empty() {
            0
        } else {
            self.whole.parse().ok()?
        };
        let mut value = whole.checked_mul(unit_micros)?;

        if !self.fraction.is_empty() {
            let digits: u128 = self.fraction.parse().ok()?;
            let scale = 10u128.checked_pow(u32::try_from(self.fraction.len()).ok()?)?;
            value = value.checked_add(digits.checked_mul(unit_micros)? / scale)?;
        }
        Some(value)
    }
}

/// Formats a duration as systemd prints a time span, such as `1h 30min` or `2d 4h`.
///
/// Negative durations print as `0`. Parts below a second are printed in
/// `ms` and `us`, so the text parses back to the same duration.
pub fn format_timespan(duration: SignedDuration) -> String {
    let Ok(mut micros) = u128::try_from(duration.as_micros()) else {
        return "0".to_owned();
    };
    if micros == 0 {
        return "0".to_owned();
    }

    // systemd prints these units, largest first.
    let units: [(&str, u128); 9] = [
        ("y", 31_557_600 * MICROS_PER_SECOND),
        ("month", 2_629_800 * MICROS_PER_SECOND),
        ("w", 604_800 * MICROS_PER_SECOND),
        ("d", 86_400 * MICROS_PER_SECOND),
        ("h", 3_600 * MICROS_PER_SECOND),
        ("min", 60 * MICROS_PER_SECOND),
        ("s", MICROS_PER_SECOND),
        ("ms", 1_000),
        ("us", 1),
    ];
    let mut parts = Vec::new();
    for (name, size) in units {
        if micros >= size {
            parts.push(format!("{}{name}", micros / size));
            micros %= size;
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(count: i64) -> SignedDuration {
        SignedDuration::from_mins(count)
    }

    #[test]
    fn parses_common_spans() {
        assert_eq!(parse_timespan("2h"), Ok(minutes(120)));
        assert_eq!(parse_timespan("90min"), Ok(minutes(90)));
        assert_eq!(parse_timespan("1h 30min"), Ok(minutes(90)));
        assert_eq!(parse_timespan("1h30m"), Ok(minutes(90)));
        assert_eq!(parse_timespan(" 3 hours "), Ok(minutes(180)));
        assert_eq!(parse_timespan("1.5h"), Ok(minutes(90)));
        assert_eq!(parse_timespan(".5h"), Ok(minutes(30)));
        assert_eq!(parse_timespan("1w"), Ok(minutes(7 * 24 * 60)));
    }

    #[test]
    fn bare_number_counts_as_seconds() {
        assert_eq!(parse_timespan("45"), Ok(SignedDuration::from_secs(45)));
        assert_eq!(parse_timespan("1h30"), Ok(SignedDuration::from_secs(3630)));
    }

    #[test]
    fn errors_name_the_text() {
        for bad in [
            "2 fortnights",
            "1hh",
            "5.h",
            "1.5.h",
            "h",
            "1H",
            "infinity",
            "-1h",
        ] {
            let error = parse_timespan(bad).unwrap_err().to_string();
            assert!(error.contains(&format!("{bad:?}")), "{bad}: {error}");
        }
    }

    #[test]
    fn rejects_empty_long_and_huge() {
        assert_eq!(parse_timespan(""), Err(TimeSpanError::Empty));
        assert_eq!(parse_timespan(" \t"), Err(TimeSpanError::Empty));
        let long = "1s ".repeat(100);
        assert!(matches!(
            parse_timespan(&long),
            Err(TimeSpanError::TooLong { .. })
        ));
        assert!(matches!(
            parse_timespan("999999999999999999y"),
            Err(TimeSpanError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_timespan("1234567890123456789s"),
            Err(TimeSpanError::Invalid { .. })
        ));
    }

    #[test]
    fn format_round_trips() {
        for text in ["1h 30min", "2d 4h", "45s", "1w 1d", "1y", "1s 500ms 7us"] {
            let duration = parse_timespan(text).unwrap();
            assert_eq!(format_timespan(duration), text);
        }
        assert_eq!(format_timespan(SignedDuration::ZERO), "0");
        assert_eq!(format_timespan(-minutes(5)), "0");
    }
}
