//! Distances between times in the words systemd uses, such as "1 day 3h left" or "5min ago".

use jiff::Timestamp;

const MICROS_PER_SECOND: i128 = 1_000_000;
const MICROS_PER_MINUTE: i128 = 60 * MICROS_PER_SECOND;
const MICROS_PER_HOUR: i128 = 60 * MICROS_PER_MINUTE;
const MICROS_PER_DAY: i128 = 24 * MICROS_PER_HOUR;
const MICROS_PER_WEEK: i128 = 7 * MICROS_PER_DAY;
/// systemd counts a month as 30.44 days and a year as 365.25 days.
const MICROS_PER_MONTH: i128 = 2_629_800 * MICROS_PER_SECOND;
const MICROS_PER_YEAR: i128 = 31_557_600 * MICROS_PER_SECOND;

/// Describes how far `instant` lies from `now`, with the two largest units
/// as systemd prints them, followed by "left" or "ago".
pub fn describe(instant: Timestamp, now: Timestamp) -> String {
    let micros = (instant.as_nanosecond() - now.as_nanosecond()) / 1000;
    let direction = if micros > 0 { "left" } else { "ago" };
    match micros.abs() {
        0 => "now".to_owned(),
        distance => format!("{} {direction}", amount(distance)),
    }
}

/// Formats a positive distance in microseconds.
fn amount(d: i128) -> String {
    let plural = |count: i128, unit: &str| match count {
        1 => format!("1 {unit}"),
        _ => format!("{count} {unit}s"),
    };
    match d {
        _ if d >= MICROS_PER_YEAR => {
            let months = d % MICROS_PER_YEAR / MICROS_PER_MONTH;
            format!(
                "{} {}",
                plural(d / MICROS_PER_YEAR, "year"),
                plural(months, "month")
            )
        }
        _ if d >= MICROS_PER_MONTH => {
            let days = d % MICROS_PER_MONTH / MICROS_PER_DAY;
            format!(
                "{} {}",
                plural(d / MICROS_PER_MONTH, "month"),
                plural(days, "day")
            )
        }
        _ if d >= MICROS_PER_WEEK => {
            let days = d % MICROS_PER_WEEK / MICROS_PER_DAY;
            format!(
                "{} {}",
                plural(d / MICROS_PER_WEEK, "week"),
                plural(days, "day")
            )
        }
        _ if d >= 2 * MICROS_PER_DAY => format!("{} days", d / MICROS_PER_DAY),
        _ if d >= 25 * MICROS_PER_HOUR => {
            format!("1 day {}h", (d - MICROS_PER_DAY) / MICROS_PER_HOUR)
        }
        _ if d >= 6 * MICROS_PER_HOUR => format!("{}h", d / MICROS_PER_HOUR),
        _ if d >= MICROS_PER_HOUR => format!(
            "{}h {}min",
            d / MICROS_PER_HOUR,
            d % MICROS_PER_HOUR / MICROS_PER_MINUTE
        ),
        _ if d >= 5 * MICROS_PER_MINUTE => format!("{}min", d / MICROS_PER_MINUTE),
        _ if d >= MICROS_PER_MINUTE => format!(
            "{}min {}s",
            d / MICROS_PER_MINUTE,
            d % MICROS_PER_MINUTE / MICROS_PER_SECOND
        ),
        _ if d >= MICROS_PER_SECOND => format!("{}s", d / MICROS_PER_SECOND),
        _ if d >= 1000 => format!("{}ms", d / 1000),
        _ => format!("{d}us"),
    }
}
