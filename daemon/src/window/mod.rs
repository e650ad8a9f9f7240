//! Maintenance windows: when updates may be applied.
//!
//! A window opens at each elapse of a systemd calendar expression and stays
//! open for its duration, so an opening at elapse `E` covers `[E, E + duration)`.
//! The config lists windows as `[[window]]` tables:
//!
//! ```toml
//! [[window]]
//! name = "nightly"
//! calendar = "Mon..Fri *-*-* 02:00 Europe/Berlin"
//! duration = "2h"
//! ```
//!
//! Openings of one window that overlap or touch are merged into one, and so
//! are the openings of different windows when [`Windows::open_at`] reports
//! how long the machine stays in maintenance.

mod config;
mod openings;
mod timespan;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::CalendarSpec;

pub use config::WindowError;
pub use openings::MAX_LISTED_OPENINGS;
pub use timespan::{format_timespan, parse_timespan, TimeSpanError};

/// Minimum duration of a window. Anything shorter is almost certainly a
/// missing unit, as in `duration = "2"`, which systemd reads as two seconds.
pub const MIN_DURATION: SignedDuration = SignedDuration::from_secs(60);

/// Maximum duration of a window, which bounds how far back [`Windows::open_at`]
/// looks for an opening that started before now.
pub const MAX_DURATION: SignedDuration = SignedDuration::from_secs(31 * 86_400);

/// Maximum number of windows in the config.
pub const MAX_WINDOWS: usize = 64;

/// One maintenance window: a name, a calendar expression and a duration.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    name: String,
    calendar: CalendarSpec,
    duration: SignedDuration,
}

/// The configured windows and the zone for expressions without a zone suffix.
#[derive(Clone, Debug)]
pub struct Windows {
    windows: Vec<Window>,
    zone: TimeZone,
}

/// One period in which a window is open, from `opens` (inclusive) to `closes` (exclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// Name of the window.
    pub name: String,
    pub opens: Timestamp,
    pub closes: Timestamp,
}

/// Result of [`Windows::fit`]: the place of an update of a given length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fit {
    /// A window is open now and stays open long enough. It closes at `closes`.
    Now { closes: Timestamp },
    /// The update fits into this later opening.
    Later(Opening),
    /// No window is configured, or none of the openings searched is long enough.
    Never,
}

impl Window {
    /// Creates a window, checking the name and that the duration lies
    /// between [`MIN_DURATION`] and [`MAX_DURATION`].
    pub fn new(
        name: &str,
        calendar: CalendarSpec,
        duration: SignedDuration,
    ) -> Result<Self, WindowError> {
        config::check_name(name)?;
        config::check_duration(name, duration)?;
        Ok(Self {
            name: name.to_owned(),
            calendar,
            duration,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn calendar(&self) -> &CalendarSpec {
        &self.calendar
    }

    pub fn duration(&self) -> SignedDuration {
        self.duration
    }
}

impl Serialize for Window {
    /// Writes the name, the calendar in its normalized form and the duration
    /// as a systemd time span, as `hwupctl` shows them.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;

        let mut fields = serializer.serialize_struct("Window", 3)?;
        fields.serialize_field("name", &self.name)?;
        fields.serialize_field("calendar", &self.calendar.to_string())?;
        fields.serialize_field("duration", &format_timespan(self.duration))?;
        fields.end()
    }
}

impl Windows {
    /// Creates the window set. Expressions without a zone suffix are
    /// evaluated in `zone`, normally the system zone.
    pub fn new(windows: Vec<Window>, zone: TimeZone) -> Result<Self, WindowError> {
        config::check_list(&windows)?;
        Ok(Self { windows, zone })
    }

    /// Returns an empty set, which never opens.
    pub fn none() -> Self {
        Self {
            windows: Vec::new(),
            zone: TimeZone::UTC,
        }
    }

    /// Returns the same windows, evaluated in `zone` where they have no zone suffix.
    pub fn with_zone(self, zone: TimeZone) -> Self {
        Self { zone, ..self }
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Window> {
        self.windows.iter()
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

impl Default for Windows {
    fn default() -> Self {
        Self::none()
    }
}

#[cfg(test)]
mod tests;
