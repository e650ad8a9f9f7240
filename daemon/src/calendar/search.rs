//! Search in civil time for the first fields at or after a cursor that match an expression.

use super::chain::Chain;
use super::clock::Clock;
use super::cursor::{days_in_month, Cursor, DAY, FIELD_MIN, HOUR, MICROS, MINUTE, MONTH, YEAR};
use super::field::MICROS_PER_SECOND;
use super::CalendarSpec;

/// The result of one pass over the fields.
enum Step {
    Found(Cursor),
    Retry(Cursor),
    Exhausted,
}

/// Returns the first civil time at or after `cursor` whose fields match
/// `spec` and that exists on `clock`, searching no later than
/// year 2199 and for at most `budget` steps.
pub(crate) fn next_match(
    spec: &CalendarSpec,
    mut cursor: Cursor,
    budget: &mut u32,
    clock: Clock,
) -> Option<Cursor> {
    while *budget > 0 {
        *budget -= 1;
        match step(spec, cursor, clock) {
            Step::Found(found) => return Some(found),
            Step::Retry(next) => cursor = next,
            Step::Exhausted => return None,
        }
    }
    None
}

/// Moves each field, largest first, to its next match; when a field has none
/// left, retries from the next value of the field above.
fn step(spec: &CalendarSpec, mut cursor: Cursor, clock: Clock) -> Step {
    // A carry into a larger field can land in a gap; systemd goes on from its end.
    if let Some(gap) = clock.gap_at(cursor) {
        cursor = gap.end;
    }

    for field in YEAR..=MICROS {
        let current = cursor.field(field);
        match next_value(spec, &cursor, field) {
            Some(value) if value > cursor.field_max(field) => {
                return overflow(cursor, field, value, clock)
            }
            Some(value) if value != current => {
                cursor = cursor.with(field, value);
                if let Some(step) = leave_gap(cursor, field, clock) {
                    return step;
                }
            }
            Some(_) => {}
            None if field == YEAR => return Step::Exhausted,
            None => return Step::Retry(cursor.advance(field - 1)),
        }
        if field == DAY && !weekday_matches(spec.weekdays, &cursor) {
            return Step::Retry(cursor.advance(DAY));
        }
    }
    Step::Found(cursor)
}

/// Returns where systemd goes on after a repetition steps `field` past its
/// maximum, to `value`.
///
/// systemd lets `mktime` carry the value into the larger fields, then resets
/// only the field just below the largest one that changed. So `*:0/25`
/// after 23:55 goes on from 00:15 and next elapses at 00:25, not at
/// midnight, and `*-*-2/14` after December 31 skips January 2.
fn overflow(cursor: Cursor, field: usize, value: i64, clock: Clock) -> Step {
    if field == YEAR {
        return Step::Exhausted;
    }
    let raw = cursor.with(field, value);
    let carried = raw.carried();
    let Some(changed) = (YEAR..=MICROS).find(|index| carried.field(*index) != raw.field(*index))
    else {
        return Step::Retry(cursor.advance(field - 1));
    };

    // The microseconds of a carried fraction of a second stay, as systemd keeps them apart from the seconds.
    let mut next = carried;
    match changed + 1 {
        MICROS => next = next.with_value(MICROS, next.field(MICROS) % MICROS_PER_SECOND),
        reset if reset < MICROS => next = next.with_value(reset, FIELD_MIN[reset]),
        _ => {}
    }
    Step::Retry(clock.keep_dst_flag(carried, next))
}

/// Returns where to search next when moving `field` put the cursor in a gap.
///
/// systemd goes on from the end of the gap, except where glibc moves the
/// time backwards: then it gives up on the field and moves the one above.
fn leave_gap(cursor: Cursor, field: usize, clock: Clock) -> Option<Step> {
    let gap = clock.gap_at(cursor)?;
    Some(match (gap.leaves_dst, field) {
        (false, _) => Step::Retry(gap.end),
        (true, YEAR) => Step::Exhausted,
        (true, _) => Step::Retry(cursor.advance(field - 1)),
    })
}

fn next_value(spec: &CalendarSpec, cursor: &Cursor, field: usize) -> Option<i64> {
    let value = cursor.field(field);
    let chain: &Chain = match field {
        YEAR => &spec.year,
        MONTH => &spec.month,
        DAY if spec.day_from_month_end => {
            let days = days_in_month(cursor.field(YEAR), cursor.field(MONTH));
            return spec.day.next_day_from_end(value, days);
        }
        DAY => &spec.day,
        HOUR => &spec.hour,
        MINUTE => &spec.minute,
        _ => &spec.second,
    };
    chain.next_at_or_after(value)
}

fn weekday_matches(weekdays: Option<u8>, cursor: &Cursor) -> bool {
    let Some(bits) = weekdays else {
        return true;
    };
    let date = cursor.to_datetime().map(|dt| dt.date());
    date.is_some_and(|date| bits & (1 << date.weekday().to_monday_zero_offset()) != 0)
}
