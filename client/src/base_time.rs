//! Parsing of `--base-time` values, in the systemd.time(7) timestamp forms this client supports.

use anyhow::{bail, Context};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Span, SpanRelativeTo, Timestamp};

/// English weekday names as systemd accepts them before a date, Monday first.
const WEEKDAYS: [(&str, &str); 7] = [
    ("monday", "mon"),
    ("tuesday", "tue"),
    ("wednesday", "wed"),
    ("thursday", "thu"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
];

/// Parses a time: `now`, `today`, `yesterday`, `tomorrow`,
/// `@SECONDS[.FRACTION]`, `+SPAN`, `-SPAN`, `SPAN ago`, or a date and time
/// (`YYYY-MM-DD [HH:MM[:SS[.FRACTION]]]` or `HH:MM[:SS]`) with an optional
/// leading weekday and trailing zone (`UTC` or an IANA name).
///
/// Days in a span are 24 hours. Dates and times without a zone are read in
/// `local`, and a time skipped by a clock change moves forward by the gap.
pub fn parse(text: &str, now: Timestamp, local: &TimeZone) -> anyhow::Result<Timestamp> {
    let text = text.trim();
    match text {
        "now" => return Ok(now),
        "today" | "yesterday" | "tomorrow" => return day_start(text, now, local),
        _ => {}
    }

    if let Some(seconds) = text.strip_prefix('@') {
        return parse_epoch(seconds);
    }
    if text.starts_with(['+', '-']) || text.ends_with(" ago") {
        return shift(now, text);
    }
    parse_civil(text, now, local)
}

/// Returns local midnight of today, yesterday or tomorrow.
fn day_start(word: &str, now: Timestamp, local: &TimeZone) -> anyhow::Result<Timestamp> {
    let today = now.to_zoned_datetime(local.clone()).date();
    let day = match word {
        "yesterday" => today.yesterday()?,
        "tomorrow" => today.tomorrow()?,
        _ => today,
    };
    Ok(local
        .to_ambiguous_timestamp(day.to_datetime(Time::midnight()))
        .compatible()?)
}

/// Parses whole seconds since the Unix epoch with an optional fraction.
fn parse_epoch(text: &str) -> anyhow::Result<Timestamp> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds: i64 = whole
        .parse()
        .context("expected seconds since the epoch after '@'")?;
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        bail!("expected at most nine digits after the decimal point");
    }

    let nanos: i32 = format!("{fraction:0<9}").parse()?;
    Timestamp::new(seconds, nanos).map_err(|_| out_of_range(format!("@{text}")))
}

/// Adds a signed span such as `+1h 30min`, `-2d` or `15min ago` to `now`.
fn shift(now: Timestamp, text: &str) -> anyhow::Result<Timestamp> {
    let span: Span = text
        .parse()
        .context("expected a time span such as \"+1h 30min\" or \"2d ago\"")?;
    let duration = span.to_duration(SpanRelativeTo::days_are_24_hours())?;
    now.checked_add(duration).map_err(|_| out_of_range(text))
}

/// Parses a date and time with an optional weekday before and zone after.
fn parse_civil(text: &str, now: Timestamp, local: &TimeZone) -> anyhow::Result<Timestamp> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    let weekday = words.first().and_then(|word| weekday_index(word));
    if weekday.is_some() {
        words.remove(0);
    }
    let zone = match words.last().and_then(|word| zone_named(word)) {
        Some(zone) if words.len() > 1 => {
            words.pop();
            zone
        }
        _ => local.clone(),
    };

    let today = now.to_zoned_datetime(zone.clone()).date();
    let civil = parse_date_time(&words.join(" "), today)?;
    if weekday.is_some_and(|index| i64::from(civil.weekday().to_monday_zero_offset()) != index) {
        bail!("the weekday does not match the date {}", civil.date());
    }
    zone.to_ambiguous_timestamp(civil)
        .compatible()
        .map_err(|_| out_of_range(civil))
}

/// Returns the error for a time before or after the range of times that hwupctl
/// handles, in place of the time library's message about its internal parameters.
fn out_of_range(time: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{time} is out of range; use a time between the years -9999 and 9999")
}

/// Forms that [`parse`] accepts, for error messages.
const ACCEPTED_FORMS: &str = "expected now, today, tomorrow, yesterday, +SPAN, SPAN ago, \
     @SECONDS, YYYY-MM-DD [HH:MM[:SS]] or HH:MM[:SS], such as \"2026-12-24 06:00\" or \"+8h\"";

/// Parses `YYYY-MM-DD[ HH:MM[:SS]]` or `HH:MM[:SS]` on `today`.
fn parse_date_time(text: &str, today: Date) -> anyhow::Result<DateTime> {
    if let Ok(civil) = text.parse::<DateTime>() {
        return Ok(civil);
    }
    let date = text.get(..10).unwrap_or(text).parse::<Date>();
    if let Ok(date) = date {
        if text.len() == 10 {
            return Ok(date.to_datetime(Time::midnight()));
        }
        bail!("invalid time after the date {date}; {ACCEPTED_FORMS}");
    }
    if let Ok(time) = text.parse::<Time>() {
        return Ok(today.to_datetime(time));
    }
    // A value shaped like a date gets the date parser's reason, such as a month of 13.
    if looks_like_date(text) {
        let reason = date.err().map(|e| e.to_string()).unwrap_or_default();
        bail!("invalid date: {reason}");
    }
    bail!("{ACCEPTED_FORMS}")
}

/// Returns whether `text` starts with four digits and a dash, as `YYYY-MM-DD` does.
fn looks_like_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-'
}

fn weekday_index(word: &str) -> Option<i64> {
    let word = word.to_ascii_lowercase();
    let index = WEEKDAYS
        .iter()
        .position(|(long, short)| word == *long || word == *short)?;
    i64::try_from(index).ok()
}

/// Returns the zone a trailing word names: `UTC` in any case, or an IANA name.
fn zone_named(word: &str) -> Option<TimeZone> {
    if word.eq_ignore_ascii_case("utc") {
        return Some(TimeZone::UTC);
    }
    TimeZone::get(word)
        .ok()
        .filter(|tz| tz.iana_name() == Some(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-04T18:00:00Z".parse().unwrap()
    }

    fn error_of(text: &str) -> String {
        parse(text, now(), &TimeZone::UTC).unwrap_err().to_string()
    }

    #[test]
    fn date_time_and_span_parse() {
        let at = parse("2026-12-24 06:00", now(), &TimeZone::UTC).unwrap();
        assert_eq!(at.to_string(), "2026-12-24T06:00:00Z");
        let date = parse("2026-12-24", now(), &TimeZone::UTC).unwrap();
        assert_eq!(date.to_string(), "2026-12-24T00:00:00Z");
        let time = parse("22:00", now(), &TimeZone::UTC).unwrap();
        assert_eq!(time.to_string(), "2026-12-04T22:00:00Z");
        let span = parse("+8h", now(), &TimeZone::UTC).unwrap();
        assert_eq!(span.to_string(), "2026-12-05T02:00:00Z");
    }

    #[test]
    fn unknown_word_lists_accepted_forms() {
        let error = error_of("tomorrowish");
        assert!(error.starts_with("expected now, today"), "{error}");
        assert!(!error.contains("two digit"), "{error}");
    }

    #[test]
    fn bad_month_gives_date_reason() {
        let error = error_of("2026-13-01");
        assert!(error.starts_with("invalid date:"), "{error}");
        assert!(error.contains("month"), "{error}");
    }

    #[test]
    fn bad_time_after_date_is_named() {
        let error = error_of("2026-12-24 25:00");
        assert!(
            error.starts_with("invalid time after the date 2026-12-24"),
            "{error}"
        );
    }

    #[test]
    fn far_times_are_out_of_range() {
        for text in ["9999-12-31 23:59:59", "@999999999999", "+175000000h"] {
            let error = error_of(text);

            assert!(error.contains("is out of range"), "{text}: {error}");
            assert!(!error.contains("parameter"), "{text}: {error}");
        }
    }

    #[test]
    fn non_ascii_input_is_an_error() {
        assert!(parse("2026-12-2ä 06:00", now(), &TimeZone::UTC).is_err());
    }
}
