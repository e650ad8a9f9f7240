//! A civil time split into the fields a calendar expression matches, and moves between values.

use jiff::civil::DateTime;

use super::field::{MAX_YEAR, MICROS_PER_SECOND};

pub(crate) const YEAR: usize = 0;
pub(crate) const MONTH: usize = 1;
pub(crate) const DAY: usize = 2;
pub(crate) const HOUR: usize = 3;
pub(crate) const MINUTE: usize = 4;
pub(crate) const MICROS: usize = 5;

/// Smallest value of each field, which it is reset to when a larger field moves.
pub(crate) const FIELD_MIN: [i64; 6] = [0, 1, 1, 0, 0, 0];

/// Fields of a civil time, most significant first: year, month, day, hour,
/// minute, and microseconds within the minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cursor([i64; 6]);

impl Cursor {
    pub fn from_datetime(dt: DateTime) -> Self {
        let micros =
            i64::from(dt.second()) * MICROS_PER_SECOND + i64::from(dt.subsec_nanosecond()) / 1000;
        Self([
            dt.year().into(),
            dt.month().into(),
            dt.day().into(),
            dt.hour().into(),
            dt.minute().into(),
            micros,
        ])
    }

    /// Returns the civil time, or `None` for fields jiff cannot represent.
    pub fn to_datetime(self) -> Option<DateTime> {
        let [year, month, day, hour, minute, micros] = self.0;
        let second = micros / MICROS_PER_SECOND;
        let nanos = (micros % MICROS_PER_SECOND) * 1000;
        DateTime::new(
            year.try_into().ok()?,
            month.try_into().ok()?,
            day.try_into().ok()?,
            hour.try_into().ok()?,
            minute.try_into().ok()?,
            second.try_into().ok()?,
            nanos.try_into().ok()?,
        )
        .ok()
    }

    pub fn field(&self, field: usize) -> i64 {
        self.0[field]
    }

    /// Returns the cursor with `field` set to `value` and the other fields unchanged.
    pub fn with_value(mut self, field: usize, value: i64) -> Self {
        self.0[field] = value;
        self
    }

    /// Returns the cursor with `field` set to `value` and every smaller field reset.
    pub fn with(mut self, field: usize, value: i64) -> Self {
        self.0[field] = value;
        self.0[field + 1..].copy_from_slice(&FIELD_MIN[field + 1..]);
        self
    }

    /// Returns the start of the next value of `field`, carrying into larger fields.
    pub fn advance(self, field: usize) -> Self {
        let next = self.with(field, self.0[field] + 1);
        match field {
            YEAR => next,
            _ if next.0[field] <= next.field_max(field) => next,
            _ => next.advance(field - 1),
        }
    }

    /// Returns the cursor with values past a field's maximum carried into the larger fields.
    pub fn carried(self) -> Self {
        let [mut year, mut month, mut day, mut hour, mut minute, mut micros] = self.0;
        year += (month - 1).div_euclid(12);
        month = (month - 1).rem_euclid(12) + 1;

        let micros_per_minute = 60 * MICROS_PER_SECOND;
        minute += micros / micros_per_minute;
        micros %= micros_per_minute;
        hour += minute / 60;
        minute %= 60;
        day += hour / 24;
        hour %= 24;

        // A repeated day stays below 62, so this carries at most two months.
        while day > days_in_month(year, month) {
            day -= days_in_month(year, month);
            month += 1;
            if month > 12 {
                month = 1;
                year += 1;
            }
        }
        Self([year, month, day, hour, minute, micros])
    }

    /// Returns the largest valid value of `field` given the larger fields.
    pub fn field_max(&self, field: usize) -> i64 {
        match field {
            YEAR => MAX_YEAR,
            MONTH => 12,
            DAY => days_in_month(self.0[YEAR], self.0[MONTH]),
            HOUR => 23,
            MINUTE => 59,
            _ => 60 * MICROS_PER_SECOND - 1,
        }
    }
}

/// Returns the number of days in a month of the proleptic Gregorian calendar.
pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
