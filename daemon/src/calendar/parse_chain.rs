//! Parsing of one field's value list: numbers, ranges (`..`), repetitions (`/`) and `*`.

use super::chain::{Chain, Component};
use super::field::MICROS_PER_SECOND;
use super::scanner::Scanner;
use super::CalendarError;

/// The kind of number in a field: whole numbers, or seconds with an optional fraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Integer,
    Seconds,
}

impl Kind {
    /// Returns the stored units of one whole number.
    fn unit(self) -> i64 {
        match self {
            Self::Integer => 1,
            Self::Seconds => MICROS_PER_SECOND,
        }
    }
}

/// systemd stores every value in a C `int`, so larger ones are rejected as out of range.
const MAX_VALUE: i64 = i32::MAX as i64;

/// Parses `*` or a comma-separated list of components; the caller checks what follows.
pub(crate) fn parse_chain(s: &mut Scanner, kind: Kind) -> Result<Chain, CalendarError> {
    let begin = s.pos();
    if s.eat(b'*') {
        return Ok(match kind {
            Kind::Integer => Chain::Any,
            Kind::Seconds => every_second(begin..s.pos()),
        });
    }

    let mut list = vec![parse_component(s, kind)?];
    while s.eat(b',') {
        list.push(parse_component(s, kind)?);
    }
    Ok(Chain::List(list))
}

/// Returns the chain systemd uses for `*` in seconds: whole seconds only, so
/// `*` and `0/1` are the same value.
fn every_second(span: std::ops::Range<usize>) -> Chain {
    Chain::List(vec![Component {
        start: 0,
        stop: None,
        repeat: MICROS_PER_SECOND,
        span,
    }])
}

fn parse_component(s: &mut Scanner, kind: Kind) -> Result<Component, CalendarError> {
    let begin = s.pos();
    let start = parse_value(s, kind)?;

    // A range steps by one unless a repetition follows.
    let mut stop = None;
    let mut repeat = 0;
    if s.eat_str("..") {
        stop = Some(parse_value(s, kind)?);
        repeat = kind.unit();
    }

    if s.eat(b'/') {
        let repeat_begin = s.pos();
        repeat = parse_value(s, kind)?;
        if repeat == 0 {
            let token = s.slice(repeat_begin, s.pos()).to_owned();
            return Err(CalendarError::ZeroRepetition { token });
        }
    } else if stop.is_some_and(|stop| kind == Kind::Seconds && stop - start < kind.unit()) {
        // systemd 252 rejects `4..4` and `4..4.5` in seconds, though `4..4/1` passes.
        return Err(CalendarError::OutOfRange {
            field: "second",
            token: s.slice(begin, s.pos()).to_owned(),
            reason: "a range of seconds without a repetition must span at least one second"
                .to_owned(),
        });
    }

    if !matches!(s.peek(), None | Some(b' ' | b',' | b'-' | b'~' | b':')) {
        return Err(s.invalid("',', '..', '/', a date or time separator, or a space"));
    }
    Ok(Component {
        start,
        stop,
        repeat,
        span: begin..s.pos(),
    })
}

/// Parses a decimal number; for seconds also a fraction, rounded to microseconds.
fn parse_value(s: &mut Scanner, kind: Kind) -> Result<i64, CalendarError> {
    let begin = s.pos();
    let too_large = |s: &Scanner| CalendarError::NumberTooLarge {
        token: s.slice(begin, s.pos()).to_owned(),
    };

    let digits = s.take_digits();
    if digits.is_empty() {
        return Err(s.invalid("a number"));
    }
    let whole: i64 = digits.parse().map_err(|_| too_large(s))?;
    let mut value = whole.checked_mul(kind.unit()).ok_or_else(|| too_large(s))?;

    // One dot starts a fraction, but two dots are a range.
    if kind == Kind::Seconds && s.peek() == Some(b'.') && s.peek_at(1) != Some(b'.') {
        s.eat(b'.');
        value += parse_fraction(s)?;
    }

    if value > MAX_VALUE {
        return Err(too_large(s));
    }
    Ok(value)
}

/// Parses the digits after a decimal point as microseconds, rounding half up on the seventh digit.
fn parse_fraction(s: &mut Scanner) -> Result<i64, CalendarError> {
    let digits = s.take_digits();
    if digits.is_empty() {
        return Err(s.invalid("a digit after the decimal point"));
    }

    let bytes = digits.as_bytes();
    let mut micros = 0;
    for index in 0..6 {
        let digit = bytes.get(index).map_or(0, |b| i64::from(b - b'0'));
        micros = micros * 10 + digit;
    }
    if bytes.get(6).is_some_and(|b| *b >= b'5') {
        micros += 1;
    }
    Ok(micros)
}
