//! Parsing of a whole calendar expression: shorthand, or weekdays, date and time, then the zone.

use jiff::tz::TimeZone;

use super::chain::Chain;
use super::parse_chain::{parse_chain, Kind};
use super::scanner::Scanner;
use super::{epoch, normalize, shorthand, validate, weekday, zone};
use super::{CalendarError, CalendarSpec, CalendarZone};

/// The date fields; `*` when the expression has no date.
pub(crate) struct DatePart {
    pub year: Chain,
    pub month: Chain,
    pub day: Chain,
    pub from_end: bool,
}

/// The time fields; `00:00:00` when the expression has no time.
pub(crate) struct TimePart {
    pub hour: Chain,
    pub minute: Chain,
    pub second: Chain,
}

/// Parses, normalizes and validates `input`; see [`CalendarSpec::parse`].
pub(crate) fn parse(input: &str, local_zone: &TimeZone) -> Result<CalendarSpec, CalendarError> {
    let suffix = zone::split_suffix(input, local_zone);
    if suffix.body.is_empty() {
        return Err(CalendarError::Empty);
    }

    let mut spec = parse_body(suffix.body, suffix.zone.clone()).map_err(|e| suffix.explain(e))?;
    normalize::normalize(&mut spec);
    validate::validate(&spec, input)?;
    Ok(spec)
}

fn parse_body(body: &str, zone: CalendarZone) -> Result<CalendarSpec, CalendarError> {
    if let Some((weekdays, date, time)) = shorthand::expand(body) {
        return Ok(CalendarSpec::assemble(weekdays, date, time, zone));
    }

    let mut s = Scanner::new(body);
    let weekdays = weekday::parse_weekdays(&mut s)?;

    // `@SECONDS` is an instant in UTC, whatever zone follows it.
    if s.peek() == Some(b'@') {
        let (date, time) = epoch::parse_epoch(&mut s)?;
        return Ok(CalendarSpec::assemble(
            weekdays,
            date,
            time,
            CalendarZone::Utc,
        ));
    }

    let date = parse_date(&mut s)?;
    let time = parse_time(&mut s)?;
    Ok(CalendarSpec::assemble(weekdays, date, time, zone))
}

/// Parses `[YEAR-]MONTH-DAY` (or `~DAY`) followed by spaces, or nothing when the next part is a time.
fn parse_date(s: &mut Scanner) -> Result<DatePart, CalendarError> {
    let any = DatePart {
        year: Chain::Any,
        month: Chain::Any,
        day: Chain::Any,
        from_end: false,
    };
    let begin = s.pos();
    if s.at_end() {
        return Ok(any);
    }

    // A first part followed by ':' or nothing was an hour, not a date.
    let first = parse_chain(s, Kind::Integer)?;
    if matches!(s.peek(), None | Some(b':')) {
        s.set_pos(begin);
        return Ok(any);
    }

    let from_end = read_date_separator(s)?;
    let second = parse_chain(s, Kind::Integer)?;
    if s.at_part_end() {
        s.skip_spaces();
        return Ok(DatePart {
            year: Chain::Any,
            month: first,
            day: second,
            from_end,
        });
    }
    if from_end {
        return Err(s.invalid("a space after the day counted from the month end"));
    }
    parse_day(s, first, second)
}

/// Parses the day after `YEAR-MONTH`.
fn parse_day(s: &mut Scanner, year: Chain, month: Chain) -> Result<DatePart, CalendarError> {
    let from_end = read_date_separator(s)?;
    let day = parse_chain(s, Kind::Integer)?;
    if !s.at_part_end() {
        return Err(s.invalid("a space or the end after the date"));
    }

    s.skip_spaces();
    Ok(DatePart {
        year,
        month,
        day,
        from_end,
    })
}

/// Moves past `-`, or `~` for a day counted from the month end, and returns whether it was `~`.
fn read_date_separator(s: &mut Scanner) -> Result<bool, CalendarError> {
    if s.eat(b'~') {
        return Ok(true);
    }
    if s.eat(b'-') {
        return Ok(false);
    }
    Err(s.invalid("'-' or '~' between date parts"))
}

/// Parses `HOUR:MINUTE[:SECOND]` up to the end, or nothing for midnight.
fn parse_time(s: &mut Scanner) -> Result<TimePart, CalendarError> {
    if s.at_end() {
        let zero = || Chain::single(0, s.pos()..s.pos());
        return Ok(TimePart {
            hour: zero(),
            minute: zero(),
            second: zero(),
        });
    }

    let hour = parse_chain(s, Kind::Integer)?;
    if !s.eat(b':') {
        return Err(s.invalid("':' after the hour"));
    }
    let minute = parse_chain(s, Kind::Integer)?;
    let second = parse_seconds(s)?;
    Ok(TimePart {
        hour,
        minute,
        second,
    })
}

/// Parses the optional `:SECOND` that ends an expression.
fn parse_seconds(s: &mut Scanner) -> Result<Chain, CalendarError> {
    if s.at_end() {
        return Ok(Chain::single(0, s.pos()..s.pos()));
    }
    if !s.eat(b':') {
        return Err(s.invalid("':' or the end after the minute"));
    }

    let second = parse_chain(s, Kind::Seconds)?;
    if !s.at_end() {
        return Err(s.invalid("the end of the expression after the seconds"));
    }
    Ok(second)
}

impl CalendarSpec {
    pub(crate) fn assemble(
        weekdays: Option<u8>,
        date: DatePart,
        time: TimePart,
        zone: CalendarZone,
    ) -> Self {
        Self {
            weekdays,
            year: date.year,
            month: date.month,
            day: date.day,
            day_from_month_end: date.from_end,
            hour: time.hour,
            minute: time.minute,
            second: time.second,
            zone,
        }
    }
}
