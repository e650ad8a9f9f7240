//! The `@SECONDS` form: one instant, given as whole seconds since the Unix epoch.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::chain::Chain;
use super::field::{MAX_YEAR, MICROS_PER_SECOND};
use super::parse::{DatePart, TimePart};
use super::scanner::Scanner;
use super::CalendarError;

/// Parses `@SECONDS` up to the end of the expression into fixed UTC fields.
///
/// Like systemd 252, this accepts whitespace and one `+` before the
/// digits. Fractions are rejected, and so are instants after year 2199.
pub(crate) fn parse_epoch(s: &mut Scanner) -> Result<(DatePart, TimePart), CalendarError> {
    let begin = s.pos();
    let token = s.rest();
    let digits = token[1..].trim_start_matches(is_c_space);
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(s.invalid("whole seconds since the epoch after '@'"));
    }

    let too_large = || CalendarError::NumberTooLarge {
        token: token.to_owned(),
    };
    let seconds: u64 = digits.parse().map_err(|_| too_large())?;
    let out_of_range = || CalendarError::OutOfRange {
        field: "timestamp",
        token: token.to_owned(),
        reason: format!("must fall before year {}", MAX_YEAR + 1),
    };
    let instant = i64::try_from(seconds)
        .ok()
        .and_then(|seconds| Timestamp::from_second(seconds).ok())
        .ok_or_else(out_of_range)?;
    let fields = TimeZone::UTC.to_datetime(instant);
    if i64::from(fields.year()) > MAX_YEAR {
        return Err(out_of_range());
    }

    s.set_pos(begin + token.len());
    Ok(fixed_parts(fields, begin..s.pos()))
}

fn fixed_parts(
    fields: jiff::civil::DateTime,
    span: std::ops::Range<usize>,
) -> (DatePart, TimePart) {
    let chain = |value: i64| Chain::single(value, span.clone());
    let date = DatePart {
        year: chain(fields.year().into()),
        month: chain(fields.month().into()),
        day: chain(fields.day().into()),
        from_end: false,
    };
    let time = TimePart {
        hour: chain(fields.hour().into()),
        minute: chain(fields.minute().into()),
        second: chain(i64::from(fields.second()) * MICROS_PER_SECOND),
    };
    (date, time)
}

/// Matches the characters C's `isspace` accepts in the "C" locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}
