//! The `[[window]]` tables of the config file and the checks on each window.

use std::collections::HashSet;

use jiff::tz::TimeZone;
use jiff::SignedDuration;
use serde::{Deserialize, Deserializer};

use super::{
    format_timespan, parse_timespan, Window, Windows, MAX_DURATION, MAX_WINDOWS, MIN_DURATION,
};
use crate::calendar::CalendarSpec;

/// Maximum length in bytes of a window name.
const MAX_NAME_LEN: usize = 64;

/// The reason a window was rejected. Every message names the window or the bad value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WindowError {
    #[error("window name is empty: give each [[window]] a name")]
    EmptyName,

    #[error("window name {name:?} is invalid: use at most {MAX_NAME_LEN} bytes and no control characters")]
    InvalidName { name: String },

    #[error("window name {name:?} is used twice: give each window its own name")]
    DuplicateName { name: String },

    #[error("{count} windows are configured, more than the maximum of {MAX_WINDOWS}")]
    TooMany { count: usize },

    #[error(
        "window {name:?} has duration {duration}, which is outside the allowed range from \
         {min} to {max}",
        duration = format_timespan(*duration),
        min = format_timespan(MIN_DURATION),
        max = format_timespan(MAX_DURATION)
    )]
    DurationOutOfRange {
        name: String,
        duration: SignedDuration,
    },
}

/// A `[[window]]` table as written in the config file. The calendar and
/// duration are parsed field by field, so a parse error points at their line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowTable {
    name: String,
    /// A systemd calendar expression, optionally with a zone suffix.
    #[serde(deserialize_with = "deserialize_calendar")]
    calendar: CalendarSpec,
    /// A systemd time span such as `2h` or `1h 30min`.
    #[serde(deserialize_with = "deserialize_duration")]
    duration: SignedDuration,
}

/// Parses a calendar expression with the abbreviations of the system zone.
fn deserialize_calendar<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<CalendarSpec, D::Error> {
    let text = String::deserialize(deserializer)?;
    CalendarSpec::parse(&text, &TimeZone::system()).map_err(|error| {
        serde::de::Error::custom(format!("invalid calendar expression {text:?}: {error}"))
    })
}

fn deserialize_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<SignedDuration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_timespan(&text).map_err(serde::de::Error::custom)
}

impl<'de> Deserialize<'de> for Windows {
    /// Reads the `[[window]]` array, evaluated in the system zone (`TZ`, else
    /// `/etc/localtime`) as systemd evaluates timers.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let tables = Vec::<WindowTable>::deserialize(deserializer)?;
        if tables.len() > MAX_WINDOWS {
            let error = WindowError::TooMany {
                count: tables.len(),
            };
            return Err(serde::de::Error::custom(error));
        }

        let windows = tables
            .into_iter()
            .map(|table| Window::new(&table.name, table.calendar, table.duration))
            .collect::<Result<Vec<_>, _>>()
            .map_err(serde::de::Error::custom)?;
        Windows::new(windows, TimeZone::system()).map_err(serde::de::Error::custom)
    }
}

pub(super) fn check_name(name: &str) -> Result<(), WindowError> {
    if name.is_empty() {
        return Err(WindowError::EmptyName);
    }
    if name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(WindowError::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

pub(super) fn check_duration(name: &str, duration: SignedDuration) -> Result<(), WindowError> {
    if duration < MIN_DURATION || duration > MAX_DURATION {
        return Err(WindowError::DurationOutOfRange {
            name: name.to_owned(),
            duration,
        });
    }
    Ok(())
}

/// Checks the number of windows and that their names are unique.
pub(super) fn check_list(windows: &[Window]) -> Result<(), WindowError> {
    if windows.len() > MAX_WINDOWS {
        return Err(WindowError::TooMany {
            count: windows.len(),
        });
    }
    let mut names = HashSet::new();
    for window in windows {
        if !names.insert(window.name()) {
            return Err(WindowError::DuplicateName {
                name: window.name().to_owned(),
            });
        }
    }
    Ok(())
}
