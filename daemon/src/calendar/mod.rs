//! systemd calendar expressions (systemd.time(7)): parsing, normalized form and next elapse.
//!
//! Maintenance windows open at the elapses of a calendar expression, so this
//! module follows `systemd-analyze calendar` from systemd 252: the same
//! accepted syntax, the same normalized form, and the same next elapse,
//! daylight saving changes included. The few cases where systemd's result
//! depends on glibc's internal state, or where systemd fails, are marked
//! with NOTE where they are handled.

mod chain;
mod clock;
mod cursor;
mod display;
mod epoch;
mod error;
mod field;
mod next;
mod normalize;
mod parse;
mod parse_chain;
mod scanner;
mod search;
mod shorthand;
mod validate;
mod weekday;
mod zone;

use jiff::tz::TimeZone;

pub use error::CalendarError;
pub use next::{next_elapse, Elapses};

use chain::Chain;

/// A parsed calendar expression such as `Mon..Fri *-*-* 02:00:00 Europe/Berlin`.
///
/// The value is already normalized: its `Display` output is the form that
/// `systemd-analyze calendar` prints as "Normalized form".
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarSpec {
    /// Accepted weekdays as a bit set, bit 0 for Monday; `None` matches every day.
    weekdays: Option<u8>,
    year: Chain,
    month: Chain,
    day: Chain,
    /// Whether `day` counts backwards from the last day of the month (`~`).
    day_from_month_end: bool,
    hour: Chain,
    minute: Chain,
    /// Seconds in microseconds, so fractional seconds match exactly.
    second: Chain,
    zone: CalendarZone,
}

/// The time zone in which a calendar expression is evaluated.
#[derive(Clone, Debug, PartialEq)]
pub enum CalendarZone {
    /// No suffix: the default zone passed to [`next_elapse`].
    Local,
    /// The `UTC` suffix (any case), or an `@SECONDS` expression.
    Utc,
    /// An IANA time zone suffix such as `Europe/Berlin`.
    Named {
        /// The name as written, which is also how it is displayed.
        name: String,
        /// The zone loaded from the time zone database.
        tz: TimeZone,
    },
    /// The standard or daylight saving abbreviation of the local zone, such
    /// as `CET` or `CEST` when the local zone is `Europe/Berlin`.
    LocalAbbreviation {
        /// The abbreviation as the local zone spells it.
        abbreviation: String,
        /// Whether the abbreviation names the daylight saving time offset.
        dst: bool,
    },
}

impl CalendarSpec {
    /// Parses `input`, recognising the abbreviations of `local_zone` (such as
    /// `CEST`) as a suffix, as systemd does with the zone from `TZ`.
    pub fn parse(input: &str, local_zone: &TimeZone) -> Result<Self, CalendarError> {
        parse::parse(input, local_zone)
    }

    /// Returns the zone the expression is evaluated in.
    pub fn zone(&self) -> &CalendarZone {
        &self.zone
    }

    /// Returns the first elapse strictly after `after`; see [`next_elapse`].
    pub fn next_elapse(
        &self,
        after: jiff::Timestamp,
        default_zone: &TimeZone,
    ) -> Option<jiff::Timestamp> {
        next_elapse(self, after, default_zone)
    }

    /// Returns an iterator over the elapses strictly after `after`.
    pub fn elapses(&self, after: jiff::Timestamp, default_zone: &TimeZone) -> Elapses<'_> {
        Elapses::new(self, after, default_zone.clone())
    }
}

impl std::str::FromStr for CalendarSpec {
    type Err = CalendarError;

    /// Parses with the system time zone (`TZ`, else `/etc/localtime`) as the local zone.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input, &TimeZone::system())
    }
}
