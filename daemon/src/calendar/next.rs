//! The next elapse of an expression in its time zone, across daylight saving changes.

use std::iter::FusedIterator;

use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

use super::clock::{is_dst, Clock};
use super::cursor::{Cursor, MICROS};
use super::search;
use super::{CalendarSpec, CalendarZone};

/// Bounds the steps of one search, as a guard against a loop. An expression
/// that never matches, such as `*-02-30`, takes two steps per year, about 460
/// from 1970 to 2199.
const SEARCH_BUDGET: u32 = 100_000;

static UTC: TimeZone = TimeZone::UTC;

/// The outcome of mapping a matching civil time to an instant.
enum Resolution {
    Elapse(Timestamp),
    /// The civil time does not occur here; search again from this cursor.
    Retry(Cursor),
    Never,
}

/// Returns the first elapse of `spec` strictly after `after`, or `None` when
/// there is none before year 2200.
///
/// Expressions without a zone suffix are evaluated in `default_zone`. The
/// search runs on the zone's civil time with microsecond precision, as
/// systemd does:
///
/// - a civil time skipped by a clock change never elapses, and the search
///   goes on from the first civil time after the change;
/// - a civil time repeated by a clock change elapses once, at its first
///   occurrence after `after`;
/// - a repetition that runs past the end of its field can skip matches,
///   such as midnight for `*:0/25` after 23:55;
/// - with an abbreviation suffix such as `CET`, a repeated civil time elapses
///   in the named offset, and there is no elapse when the search starts or
///   ends in the other offset (unless the start is in a repeated hour).
pub fn next_elapse(
    spec: &CalendarSpec,
    after: Timestamp,
    default_zone: &TimeZone,
) -> Option<Timestamp> {
    let tz = match &spec.zone {
        CalendarZone::Utc => &UTC,
        CalendarZone::Named { tz, .. } => tz,
        CalendarZone::Local | CalendarZone::LocalAbbreviation { .. } => default_zone,
    };

    let start = next_microsecond(after)?;
    if starts_in_other_offset(spec, tz, start) {
        return None;
    }

    let mut cursor = Cursor::from_datetime(tz.to_datetime(start));
    let mut budget = SEARCH_BUDGET;
    loop {
        let candidate = search::next_match(spec, cursor, &mut budget, Clock::new(tz))?;
        match resolve(spec, tz, candidate, after) {
            Resolution::Elapse(elapse) => return Some(elapse),
            Resolution::Retry(next) => cursor = next,
            Resolution::Never => return None,
        }
    }
}

/// Returns the first whole microsecond after `after`, where systemd starts its search.
fn next_microsecond(after: Timestamp) -> Option<Timestamp> {
    let micros = after.as_nanosecond().div_euclid(1000) + 1;
    Timestamp::from_nanosecond(micros * 1000).ok()
}

fn resolve(spec: &CalendarSpec, tz: &TimeZone, candidate: Cursor, after: Timestamp) -> Resolution {
    let Some(civil) = candidate.to_datetime() else {
        return Resolution::Never;
    };
    let offsets = match tz.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => [Some(offset), None],
        AmbiguousOffset::Fold { before, after } => [Some(before), Some(after)],
        AmbiguousOffset::Gap { .. } => {
            let next = Clock::new(tz)
                .gap_at(candidate)
                .map_or(candidate.advance(MICROS), |gap| gap.end);
            return Resolution::Retry(next);
        }
    };

    // Of a repeated civil time, the first occurrence after `after` elapses,
    // or with an abbreviation suffix the one in the named offset.
    // NOTE: with days counted from the month end (`~`), systemd 252 can pick
    // the later occurrence instead, because glibc's `mktime` starts from the
    // offset of its previous call, made for the last days of the month.
    let occurrences: Vec<Timestamp> = offsets
        .into_iter()
        .flatten()
        .filter_map(|offset| offset.to_timestamp(civil).ok())
        .filter(|instant| *instant > after)
        .collect();
    let is_named_offset =
        |instant: &&Timestamp| required_dst(spec).is_none_or(|dst| is_dst(tz, **instant) == dst);
    let elapse = occurrences
        .iter()
        .find(is_named_offset)
        .or(occurrences.first());
    let Some(&elapse) = elapse else {
        return Resolution::Retry(candidate.advance(MICROS));
    };

    match required_dst(spec) {
        Some(dst) if is_dst(tz, elapse) != dst => Resolution::Never,
        _ => Resolution::Elapse(elapse),
    }
}

/// Returns whether the expression has an abbreviation suffix for the other
/// offset than the zone has at `start`, outside a repeated hour. systemd 252
/// finds no elapse then, even where later days are in the named offset.
///
/// NOTE: after a search that starts in a repeated hour, systemd 252 can
/// return one more elapse in the other offset, which this returns as none.
fn starts_in_other_offset(spec: &CalendarSpec, tz: &TimeZone, start: Timestamp) -> bool {
    let Some(dst) = required_dst(spec) else {
        return false;
    };
    let repeated = tz
        .to_ambiguous_timestamp(tz.to_datetime(start))
        .is_ambiguous();
    is_dst(tz, start) != dst && !repeated
}

/// Returns the daylight saving state an abbreviation suffix names, if the expression has one.
fn required_dst(spec: &CalendarSpec) -> Option<bool> {
    match spec.zone {
        CalendarZone::LocalAbbreviation { dst, .. } => Some(dst),
        _ => None,
    }
}

/// Iterator over the elapses of an expression, each strictly after the one before.
#[derive(Clone, Debug)]
pub struct Elapses<'a> {
    spec: &'a CalendarSpec,
    zone: TimeZone,
    after: Option<Timestamp>,
}

impl<'a> Elapses<'a> {
    pub(crate) fn new(spec: &'a CalendarSpec, after: Timestamp, zone: TimeZone) -> Self {
        Self {
            spec,
            zone,
            after: Some(after),
        }
    }
}

impl Iterator for Elapses<'_> {
    type Item = Timestamp;

    fn next(&mut self) -> Option<Timestamp> {
        let next = next_elapse(self.spec, self.after?, &self.zone);
        self.after = next;
        next
    }
}

impl FusedIterator for Elapses<'_> {}
