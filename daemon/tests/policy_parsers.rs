//! Parsers of the window and policy inputs never panic, time spans agree
//! with `systemd-analyze timespan`, and window openings keep their invariants.

mod policy_support;

use std::process::Command;

use hwupd::config::Config;
use hwupd::policy::{parse_state_file, ListEntry};
use hwupd::window::{format_timespan, parse_timespan, Fit, MAX_DURATION, MIN_DURATION};
use jiff::{SignedDuration, Timestamp};
use policy_support::windows;
use proptest::prelude::*;

/// Generates strings over the characters time spans use.
fn timespan_like() -> impl Strategy<Value = String> {
    "[ 0-9.a-zA-Zµ\t]{0,30}"
}

/// Generates valid time spans from numbers and unit spellings.
fn timespan_parts() -> impl Strategy<Value = String> {
    let unit = prop::sample::select(vec![
        "", "us", "ms", "s", "sec", "m", "min", "minutes", "h", "hr", "hours", "d", "days", "w",
        "weeks", "M", "months", "y", "years",
    ]);
    let part = (
        0u32..5000,
        proptest::option::of(0u32..1000),
        unit,
        prop::bool::ANY,
    )
        .prop_map(|(whole, fraction, unit, space)| {
            let fraction = fraction.map(|f| format!(".{f}")).unwrap_or_default();
            let gap = if space { " " } else { "" };
            format!("{whole}{fraction}{gap}{unit}")
        });
    prop::collection::vec(part, 1..4).prop_map(|parts| parts.join(" "))
}

/// Generates a config file from pieces of valid and invalid window and policy tables.
fn config_like() -> impl Strategy<Value = String> {
    let value = prop::sample::select(vec![
        "\"daily\"",
        "\"2h\"",
        "\"\"",
        "\"Mon..Fri 02:00 Europe/Berlin\"",
        "\"1h 30min\"",
        "7",
        "-1",
        "true",
        "[\"critical\"]",
        "[\"urgent\"]",
        "[]",
        "\"canary\"",
        "\"x\"",
        "300",
        "99999999999",
        "1.5",
        "{}",
        "\"*-*-* 02:30 CEST\"",
        "\"2 fortnights\"",
    ]);
    let key = prop::sample::select(vec![
        "name",
        "calendar",
        "duration",
        "auto_stage",
        "require_approval",
        "approved",
        "blocked",
        "ring",
        "allow_reboot",
        "critical",
        "medium",
        "require_ac",
        "min_battery_percent",
        "other",
    ]);
    let header = prop::sample::select(vec![
        "[[window]]",
        "[policy]",
        "[policy.defer]",
        "[policy.power]",
        "[window]",
        "",
    ]);
    let line = prop_oneof![
        header.prop_map(str::to_owned),
        (key, value).prop_map(|(key, value)| format!("{key} = {value}")),
    ];
    prop::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #[test]
    fn timespan_parse_never_panics(text in timespan_like()) {
        let _ = parse_timespan(&text);
    }

    #[test]
    fn timespan_formats_back_to_same_value(text in timespan_parts()) {
        if let Ok(duration) = parse_timespan(&text) {
            let formatted = format_timespan(duration);
            let expected = if duration.is_zero() { SignedDuration::ZERO } else { duration };
            prop_assert_eq!(parse_timespan(&formatted), Ok(expected), "{}", formatted);
        }
    }

    #[test]
    fn config_parse_never_panics(text in config_like()) {
        let _ = Config::parse(&text);
    }

    #[test]
    fn config_parse_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = Config::parse(&text);
    }

    #[test]
    fn state_file_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_state_file(&bytes);
    }

    #[test]
    fn state_file_parse_never_panics_on_json_like(
        text in "\\{\"version\": ?[0-9]{1,3}(, \"(approved|blocked|inhibits)\": \\[[\"a-z0-9:TZ, -{}]{0,60}\\])*\\}"
    ) {
        let _ = parse_state_file(text.as_bytes());
    }

    #[test]
    fn list_entry_parse_never_panics(text in "\\PC{0,140}") {
        if let Ok(entry) = ListEntry::parse(&text) {
            prop_assert!(!entry.as_str().is_empty());
        }
    }
}

/// Calendar expressions with daily, weekly, monthly and sub-hourly openings,
/// and one that skips or repeats a time on clock changes.
const CALENDARS: &[&str] = &[
    "*-*-* 02:00",
    "Mon..Fri 22:00",
    "Sat,Sun 10:00 UTC",
    "*-*-01 03:00",
    "*:0/20",
    "*-*-* 02:30 Europe/Berlin",
    "*-*-* 01,02:00 America/New_York",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn openings_keep_their_invariants(
        first in 0..CALENDARS.len(),
        second in 0..CALENDARS.len(),
        minutes in (MIN_DURATION.as_secs() / 60)..(MAX_DURATION.as_secs() / 60 / 8),
        seconds in 1_704_067_200i64..1_798_761_600,
        needed in 1i64..600,
    ) {
        let duration = format!("{minutes}min");
        let windows = windows(&[("a", CALENDARS[first], &duration), ("b", CALENDARS[second], "45min")]);
        let now = Timestamp::from_second(seconds).unwrap();

        if let Some(open) = windows.open_at(now) {
            prop_assert!(open.opens <= now && now < open.closes, "{:?}", open);
        }
        let listed = windows.next_openings(now, 5);
        prop_assert!(listed.iter().all(|opening| opening.opens > now && opening.opens < opening.closes));
        prop_assert!(listed.windows(2).all(|pair| pair[0].opens <= pair[1].opens));

        let needed = SignedDuration::from_mins(needed);
        match windows.fit(now, needed) {
            Fit::Now { closes } => prop_assert!(now + needed <= closes),
            Fit::Later(opening) => {
                prop_assert!(opening.opens > now);
                prop_assert!(opening.opens + needed <= opening.closes);
            }
            Fit::Never => {}
        }
    }
}

/// Inputs compared with systemd, covering every unit, fractions, spacing and errors.
const TIMESPANS: &[&str] = &[
    "2h",
    "90min",
    "1h 30min",
    "1h30m",
    "1.5h",
    ".5h",
    "3 hours",
    "2",
    "1h30",
    "0.5",
    "10us",
    "1ms",
    "1sec1s",
    "1min 1min",
    "5 weeks",
    "1M",
    "1y",
    "2 months",
    "0.3333333M",
    "7d 12h",
    "1 h 30 min",
    "1w2d3h4m5s6ms7us",
    "",
    " ",
    "h",
    "1H",
    "1hh",
    "5.h",
    "1.5.h",
    "1e3s",
    "1ns",
    "infinity",
    "1 Hr",
    "2 fortnights",
    "18446744073709551615s",
];

/// Returns the microseconds `systemd-analyze timespan` prints, `None` when
/// it rejects the input, or an error when it cannot run.
fn systemd_timespan(text: &str) -> Result<Option<u64>, String> {
    let output = Command::new("systemd-analyze")
        .args(["timespan", "--", text])
        .output()
        .map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Ok(None);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let micros = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("μs:"))
        .and_then(|value| value.trim().parse().ok());
    Ok(micros)
}

#[test]
fn timespans_match_systemd_analyze() {
    if systemd_timespan("1s").is_err() {
        println!("systemd-analyze is not on PATH; skipping the comparison");
        return;
    }
    for text in TIMESPANS {
        let expected = systemd_timespan(text).unwrap();
        let ours = parse_timespan(text)
            .ok()
            .map(|duration| duration.as_micros() as u64);
        if *text == "infinity" {
            // systemd reads it as the largest value; windows reject it.
            assert_eq!(ours, None);
            continue;
        }
        assert_eq!(ours, expected, "time span {text:?}");
    }
}
