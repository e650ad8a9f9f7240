//! The `[schedule]` section of `hwupd.toml`: how often the daemon checks its schedule.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Seconds between two schedule checks when the config sets none.
pub const DEFAULT_INTERVAL_SECS: u64 = 60;

/// Accepted range of `interval_secs`. At most an hour, so that at least one check
/// falls inside every window of an hour or longer. Shorter windows need a shorter
/// interval.
pub const INTERVAL_RANGE: std::ops::RangeInclusive<u64> = 1..=3600;

/// Settings of the daemon's own schedule. Every key is optional.
///
/// ```toml
/// [schedule]
/// interval_secs = 60
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Seconds between two checks. Each check stages what policy stages by itself
    /// and, inside an open maintenance window, starts one staged update.
    #[serde(deserialize_with = "deserialize_interval")]
    pub interval_secs: u64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            interval_secs: DEFAULT_INTERVAL_SECS,
        }
    }
}

impl ScheduleConfig {
    /// Returns the time between two schedule checks.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_secs)
    }
}

fn deserialize_interval<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = i64::deserialize(deserializer)?;
    check_interval(value).map_err(serde::de::Error::custom)
}

/// Returns `value` as seconds when it lies inside [`INTERVAL_RANGE`].
fn check_interval(value: i64) -> Result<u64, String> {
    match u64::try_from(value) {
        Ok(secs) if INTERVAL_RANGE.contains(&secs) => Ok(secs),
        _ => Err(format!(
            "schedule interval_secs {value} is outside the accepted range {}..={} seconds",
            INTERVAL_RANGE.start(),
            INTERVAL_RANGE.end()
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse(text: &str) -> Result<ScheduleConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn missing_section_gives_a_minute() {
        let config = parse("").unwrap();
        assert_eq!(config.interval_secs, 60);
        assert_eq!(config.interval(), Duration::from_secs(60));
    }

    #[test]
    fn reads_interval_at_both_ends() {
        assert_eq!(parse("interval_secs = 1").unwrap().interval_secs, 1);
        assert_eq!(parse("interval_secs = 3600").unwrap().interval_secs, 3600);
    }

    #[test]
    fn rejects_values_outside_the_range() {
        for value in ["0", "-5", "3601", "9223372036854775807"] {
            let error = parse(&format!("interval_secs = {value}")).unwrap_err();
            assert!(error.contains(&format!("interval_secs {value}")), "{error}");
            assert!(error.contains("1..=3600"), "{error}");
        }
    }

    #[test]
    fn rejects_wrong_types() {
        for value in ["\"60\"", "1.5", "true", "[60]"] {
            let error = parse(&format!("interval_secs = {value}")).unwrap_err();
            assert!(error.contains("interval_secs"), "{value}: {error}");
        }
    }

    #[test]
    fn rejects_unknown_keys() {
        let error = parse("interval = 5").unwrap_err();
        assert!(error.contains("interval"), "{error}");
    }

    #[test]
    fn config_file_reads_the_section() {
        let config = crate::config::Config::parse("[schedule]\ninterval_secs = 5\n").unwrap();
        assert_eq!(config.schedule.interval_secs, 5);

        let error = crate::config::Config::parse("[schedule]\ninterval_secs = 0\n").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
        assert!(
            error.contains("outside the accepted range 1..=3600"),
            "{error}"
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "[a-z_ =0-9\\-\".\\[\\]\n]{0,40}") {
            let _ = parse(&text);
        }

        #[test]
        fn accepts_exactly_the_range(value in any::<i64>()) {
            let accepted = check_interval(value).is_ok();
            prop_assert_eq!(accepted, (1..=3600).contains(&value));
        }
    }
}
