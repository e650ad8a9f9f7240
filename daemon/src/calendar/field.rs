//! The fields of a calendar expression and the values each accepts.

/// First and last year that systemd accepts in a calendar expression.
pub(crate) const MIN_YEAR: i64 = 1970;
pub(crate) const MAX_YEAR: i64 = 2199;

pub(crate) const MICROS_PER_SECOND: i64 = 1_000_000;

/// One field of a calendar expression.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub min: i64,
    pub max: i64,
    /// Stored units per displayed whole number: 1, or microseconds for seconds.
    pub unit: i64,
    /// Zero-padded width of the whole number in the normalized form.
    pub width: usize,
}

pub(crate) const YEAR: Field = Field {
    name: "year",
    min: MIN_YEAR,
    max: MAX_YEAR,
    unit: 1,
    width: 4,
};

pub(crate) const MONTH: Field = integer("month", 1, 12);
pub(crate) const DAY: Field = integer("day", 1, 31);
/// Days counted back from the month end (`~`); systemd stops at 28 so every month has them.
pub(crate) const DAY_FROM_END: Field = integer("day from month end", 1, 28);
pub(crate) const HOUR: Field = integer("hour", 0, 23);
pub(crate) const MINUTE: Field = integer("minute", 0, 59);

pub(crate) const SECOND: Field = Field {
    name: "second",
    min: 0,
    max: 60 * MICROS_PER_SECOND - 1,
    unit: MICROS_PER_SECOND,
    width: 2,
};

const fn integer(name: &'static str, min: i64, max: i64) -> Field {
    Field {
        name,
        min,
        max,
        unit: 1,
        width: 2,
    }
}
