//! Parsing of the weekday part (`Mon..Fri,Sun`) at the start of an expression.

use super::scanner::Scanner;
use super::CalendarError;

/// Full and abbreviated English names, Monday first, matched without regard to case.
const NAMES: [(&str, &str); 7] = [
    ("monday", "mon"),
    ("tuesday", "tue"),
    ("wednesday", "wed"),
    ("thursday", "thu"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
];

/// Abbreviations used in the normalized form.
pub(crate) const ABBREVIATIONS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Parses weekdays as a bit set (bit 0 for Monday), or returns `None` when
/// the expression does not start with a weekday name.
///
/// Ranges use `..` or `-` and must not wrap past Sunday. A trailing comma is
/// accepted, as systemd does, but an open range is not.
pub(crate) fn parse_weekdays(s: &mut Scanner) -> Result<Option<u8>, CalendarError> {
    let part_begin = s.pos();
    let mut bits = 0u8;
    let mut range_start = None;
    let mut first = true;
    loop {
        let token_begin = s.pos();
        let Some(day) = match_name(s)? else {
            return if first {
                Ok(None)
            } else {
                Err(s.invalid("a weekday name"))
            };
        };
        bits |= range_bits(s, range_start, day, token_begin)?;

        if s.at_part_end() {
            s.skip_spaces();
            return Ok(Some(bits));
        }
        read_separator(s, &mut range_start, day)?;
        if s.at_part_end() {
            return close_list(s, range_start, bits, part_begin);
        }
        first = false;
    }
}

/// Matches a weekday name at the cursor and moves past it.
fn match_name(s: &mut Scanner) -> Result<Option<u32>, CalendarError> {
    let rest = s.rest().as_bytes();
    let found = NAMES.iter().enumerate().find_map(|(day, (long, short))| {
        [long, short]
            .into_iter()
            .find(|name| {
                rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            })
            .map(|name| (day, name.len()))
    });
    let Some((day, length)) = found else {
        return Ok(None);
    };

    if !matches!(rest.get(length), None | Some(b'-' | b'.' | b',' | b' ')) {
        return Err(s.invalid("a weekday name"));
    }
    s.set_pos(s.pos() + length);
    Ok(Some(day as u32))
}

/// Returns the bits for `day`, or for the range from `range_start` to `day`.
fn range_bits(
    s: &Scanner,
    range_start: Option<u32>,
    day: u32,
    token_begin: usize,
) -> Result<u8, CalendarError> {
    let Some(from) = range_start else {
        return Ok(1 << day);
    };
    if from > day {
        return Err(s.invalid_at(
            token_begin,
            "a weekday range that ends on or after its start",
        ));
    }
    Ok((from..=day).fold(0, |bits, d| bits | 1 << d))
}

/// Moves past `..`, `-` or `,` after a weekday name.
fn read_separator(
    s: &mut Scanner,
    range_start: &mut Option<u32>,
    day: u32,
) -> Result<(), CalendarError> {
    let separator_begin = s.pos();
    if s.eat(b',') {
        *range_start = None;
        return Ok(());
    }

    // A weekday closing a range cannot open another one.
    if range_start.is_some() {
        return Err(s.invalid("',' or a space after a weekday range"));
    }
    if !(s.eat_str("..") || s.eat(b'-')) {
        return Err(s.invalid_at(separator_begin, "'..', '-' or ','"));
    }
    *range_start = Some(day);
    Ok(())
}

/// Ends a weekday list that stops right after a separator.
fn close_list(
    s: &mut Scanner,
    range_start: Option<u32>,
    bits: u8,
    part_begin: usize,
) -> Result<Option<u8>, CalendarError> {
    if range_start.is_some() {
        return Err(s.invalid_at(part_begin, "a weekday to close the range"));
    }
    s.skip_spaces();
    Ok(Some(bits))
}
