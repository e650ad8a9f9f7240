//! The time zone suffix: `UTC`, an abbreviation of the local zone, or an IANA name.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::{CalendarError, CalendarZone};

/// An expression split into the part before the zone and the zone.
pub(crate) struct Suffix<'a> {
    pub body: &'a str,
    pub zone: CalendarZone,
    /// Offset and text of a last word that looks like a zone name but is not in the database.
    unknown_name: Option<(usize, &'a str)>,
}

/// Limits the walk back through a zone's transitions when looking for its abbreviations.
const MAX_TRANSITIONS_SEARCHED: usize = 1000;

/// Splits the zone suffix off `input`, checked in systemd's order: ` UTC` in
/// any case, then the local zone's standard and daylight saving
/// abbreviations in any case, then an IANA name in exact case.
pub(crate) fn split_suffix<'a>(input: &'a str, local_zone: &TimeZone) -> Suffix<'a> {
    if let Some(body) = strip_word_ignore_case(input, "UTC") {
        return Suffix::new(body, CalendarZone::Utc);
    }

    let [standard, daylight] = local_abbreviations(local_zone);
    for (abbreviation, dst) in [(standard, false), (daylight, true)] {
        if let Some(body) = strip_word_ignore_case(input, &abbreviation) {
            return Suffix::new(body, CalendarZone::LocalAbbreviation { abbreviation, dst });
        }
    }
    split_zone_name(input)
}

impl<'a> Suffix<'a> {
    fn new(body: &'a str, zone: CalendarZone) -> Self {
        Self {
            body,
            zone,
            unknown_name: None,
        }
    }

    /// Replaces a parse error at an unknown zone name with an error naming the zone.
    pub fn explain(&self, error: CalendarError) -> CalendarError {
        let offset = match &error {
            CalendarError::InvalidToken { offset, .. } => *offset,
            _ => return error,
        };
        match self.unknown_name {
            Some((begin, name)) if offset + 1 >= begin => CalendarError::UnknownTimeZone {
                name: name.to_owned(),
            },
            _ => error,
        }
    }
}

/// Returns what precedes " `word`" at the end of `input`, comparing ASCII case-insensitively.
fn strip_word_ignore_case<'a>(input: &'a str, word: &str) -> Option<&'a str> {
    let bytes = input.as_bytes();
    let body_length = bytes.len().checked_sub(word.len() + 1)?;
    let ends_with_word = bytes[body_length + 1..].eq_ignore_ascii_case(word.as_bytes());
    if word.is_empty() || !ends_with_word || bytes[body_length] != b' ' {
        return None;
    }
    input.get(..body_length)
}

/// Returns the standard and daylight saving abbreviations of `tz`, as glibc
/// sets `tzname`: from the latest transitions into each kind of offset.
fn local_abbreviations(tz: &TimeZone) -> [String; 2] {
    let mut found: [Option<String>; 2] = [None, None];
    for transition in tz.preceding(Timestamp::MAX).take(MAX_TRANSITIONS_SEARCHED) {
        let slot = usize::from(transition.dst().is_dst());
        found[slot].get_or_insert_with(|| transition.abbreviation().to_owned());
        if found.iter().all(Option::is_some) {
            break;
        }
    }

    // A zone without transitions has one abbreviation, which serves as both.
    let [standard, daylight] = found;
    let standard = standard.unwrap_or_else(|| {
        tz.to_offset_info(Timestamp::UNIX_EPOCH)
            .abbreviation()
            .to_owned()
    });
    let daylight = daylight.unwrap_or_else(|| standard.clone());
    [standard, daylight]
}

fn split_zone_name(input: &str) -> Suffix<'_> {
    let Some(space) = input.rfind(' ') else {
        return Suffix::new(input, CalendarZone::Local);
    };
    let name = &input[space + 1..];
    if !is_zone_name_syntax(name) {
        return Suffix::new(input, CalendarZone::Local);
    }

    match lookup_exact(name) {
        Some(tz) => Suffix::new(
            &input[..space],
            CalendarZone::Named {
                name: name.to_owned(),
                tz,
            },
        ),
        None => Suffix {
            body: input,
            zone: CalendarZone::Local,
            unknown_name: name
                .bytes()
                .any(|b| b.is_ascii_alphabetic())
                .then_some((space + 1, name)),
        },
    }
}

/// Checks the characters systemd allows in a zone name: ASCII letters,
/// digits, `-`, `_`, `+`, and single `/` between parts.
fn is_zone_name_syntax(name: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/');
    !name.is_empty() && name.bytes().all(allowed) && name.split('/').all(|part| !part.is_empty())
}

/// Loads a zone by name. The database lookup ignores case but systemd opens
/// a file under /usr/share/zoneinfo, so only the exact spelling is accepted.
///
/// NOTE: jiff skips the `posix/` and `right/` folders of the database, so
/// names such as `right/UTC` are rejected here though systemd accepts them.
fn lookup_exact(name: &str) -> Option<TimeZone> {
    let tz = TimeZone::get(name).ok()?;
    (tz.iana_name() == Some(name)).then_some(tz)
}
