use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().expect("RFC 3339 test timestamp")
}

fn window(name: &str, calendar: &str, duration: &str) -> Window {
    let spec = CalendarSpec::parse(calendar, &TimeZone::UTC).expect("test calendar");
    let duration = parse_timespan(duration).expect("test duration");
    Window::new(name, spec, duration).expect("test window")
}

fn utc_windows(list: &[(&str, &str, &str)]) -> Windows {
    let windows = list
        .iter()
        .map(|(name, calendar, duration)| window(name, calendar, duration))
        .collect();
    Windows::new(windows, TimeZone::UTC).expect("test windows")
}

fn opening(name: &str, opens: &str, closes: &str) -> Opening {
    Opening {
        name: name.to_owned(),
        opens: at(opens),
        closes: at(closes),
    }
}

#[test]
fn open_at_is_half_open() {
    let windows = utc_windows(&[("nightly", "*-*-* 02:00", "2h")]);
    let today = opening("nightly", "2025-06-02T02:00:00Z", "2025-06-02T04:00:00Z");

    assert_eq!(windows.open_at(at("2025-06-02T01:59:59Z")), None);
    assert_eq!(
        windows.open_at(at("2025-06-02T02:00:00Z")),
        Some(today.clone())
    );
    assert_eq!(windows.open_at(at("2025-06-02T03:59:59Z")), Some(today));
    assert_eq!(windows.open_at(at("2025-06-02T04:00:00Z")), None);
}

#[test]
fn open_at_finds_opening_from_previous_day() {
    let windows = utc_windows(&[("overnight", "*-*-* 22:00", "8h")]);
    let expected = opening("overnight", "2025-06-01T22:00:00Z", "2025-06-02T06:00:00Z");
    assert_eq!(windows.open_at(at("2025-06-02T05:30:00Z")), Some(expected));
}

#[test]
fn next_openings_merge_windows_in_order() {
    let windows = utc_windows(&[
        ("nightly", "Mon..Fri *-*-* 02:00", "2h"),
        ("weekend", "Sat 10:00", "4h"),
    ]);
    // Thursday noon.
    let listed = windows.next_openings(at("2025-06-05T12:00:00Z"), 4);
    let expected = [
        opening("nightly", "2025-06-06T02:00:00Z", "2025-06-06T04:00:00Z"),
        opening("weekend", "2025-06-07T10:00:00Z", "2025-06-07T14:00:00Z"),
        opening("nightly", "2025-06-09T02:00:00Z", "2025-06-09T04:00:00Z"),
        opening("nightly", "2025-06-10T02:00:00Z", "2025-06-10T04:00:00Z"),
    ];
    assert_eq!(listed, expected);
}

#[test]
fn next_openings_skip_current_opening() {
    let windows = utc_windows(&[("nightly", "*-*-* 02:00", "2h")]);
    let listed = windows.next_openings(at("2025-06-02T02:00:00Z"), 1);
    let expected = opening("nightly", "2025-06-03T02:00:00Z", "2025-06-03T04:00:00Z");
    assert_eq!(listed, [expected]);
}

#[test]
fn next_openings_without_windows_is_empty() {
    assert!(Windows::none()
        .next_openings(at("2025-06-02T00:00:00Z"), 5)
        .is_empty());
}

#[test]
fn overlapping_windows_close_together() {
    let windows = utc_windows(&[
        ("early", "*-*-* 01:00", "2h"),
        ("late", "*-*-* 02:00", "3h"),
    ]);

    let at_half_past_one = windows.open_at(at("2025-06-02T01:30:00Z")).unwrap();
    assert_eq!(at_half_past_one.name, "early");
    assert_eq!(at_half_past_one.opens, at("2025-06-02T01:00:00Z"));
    assert_eq!(at_half_past_one.closes, at("2025-06-02T05:00:00Z"));

    let at_half_past_two = windows.open_at(at("2025-06-02T02:30:00Z")).unwrap();
    assert_eq!(at_half_past_two.name, "late");
    assert_eq!(at_half_past_two.opens, at("2025-06-02T02:00:00Z"));
    assert_eq!(at_half_past_two.closes, at("2025-06-02T05:00:00Z"));
}

#[test]
fn adjoining_windows_close_together() {
    let windows = utc_windows(&[
        ("first", "*-*-* 01:00", "1h"),
        ("second", "*-*-* 02:00", "1h"),
    ]);
    let open = windows.open_at(at("2025-06-02T01:30:00Z")).unwrap();
    assert_eq!(open.name, "first");
    assert_eq!(open.closes, at("2025-06-02T03:00:00Z"));
}

#[test]
fn window_overlapping_itself_merges() {
    let windows = utc_windows(&[("twice", "*-*-* 01,02:00", "90min")]);
    let expected = opening("twice", "2025-06-02T01:00:00Z", "2025-06-02T03:30:00Z");
    assert_eq!(
        windows.open_at(at("2025-06-02T02:45:00Z")),
        Some(expected.clone())
    );

    let listed = windows.next_openings(at("2025-06-01T12:00:00Z"), 2);
    assert_eq!(listed[0], expected);
    assert_eq!(listed[1].opens, at("2025-06-03T01:00:00Z"));
}

#[test]
fn spring_forward_day_has_no_opening() {
    // 02:30 does not exist in Berlin on 2025-03-30, when clocks go from 02:00 to 03:00.
    let windows = utc_windows(&[("night", "*-*-* 02:30 Europe/Berlin", "1h")]);

    let listed = windows.next_openings(at("2025-03-29T12:00:00Z"), 2);
    let expected = [
        opening("night", "2025-03-31T00:30:00Z", "2025-03-31T01:30:00Z"),
        opening("night", "2025-04-01T00:30:00Z", "2025-04-01T01:30:00Z"),
    ];
    assert_eq!(listed, expected);

    // 03:15 CEST on the change day, when the window would have been open.
    assert_eq!(windows.open_at(at("2025-03-30T01:15:00Z")), None);
}

#[test]
fn fall_back_day_opens_once() {
    // 02:30 happens twice in Berlin on 2025-10-26; the window opens at the first.
    let windows = utc_windows(&[("night", "*-*-* 02:30 Europe/Berlin", "2h")]);
    let listed = windows.next_openings(at("2025-10-25T12:00:00Z"), 2);
    let expected = [
        opening("night", "2025-10-26T00:30:00Z", "2025-10-26T02:30:00Z"),
        opening("night", "2025-10-27T01:30:00Z", "2025-10-27T03:30:00Z"),
    ];
    assert_eq!(listed, expected);
}

#[test]
fn local_zone_applies_without_suffix() {
    let spec = CalendarSpec::parse("*-*-* 02:00", &TimeZone::UTC).unwrap();
    let nightly = Window::new("nightly", spec, SignedDuration::from_hours(1)).unwrap();
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let windows = Windows::new(vec![nightly], berlin).unwrap();

    let listed = windows.next_openings(at("2025-06-01T12:00:00Z"), 1);
    assert_eq!(listed[0].opens, at("2025-06-02T00:00:00Z"));
}

#[test]
fn fit_now_later_or_never() {
    let windows = utc_windows(&[("nightly", "*-*-* 02:00", "2h")]);
    let hour = SignedDuration::from_hours(1);

    let inside = windows.fit(at("2025-06-02T02:30:00Z"), hour);
    let closes = at("2025-06-02T04:00:00Z");
    assert_eq!(inside, Fit::Now { closes });

    let too_late = windows.fit(at("2025-06-02T03:30:00Z"), hour);
    let tomorrow = opening("nightly", "2025-06-03T02:00:00Z", "2025-06-03T04:00:00Z");
    assert_eq!(too_late, Fit::Later(tomorrow));

    let too_long = windows.fit(at("2025-06-02T02:30:00Z"), SignedDuration::from_hours(3));
    assert_eq!(too_long, Fit::Never);
    assert_eq!(
        Windows::none().fit(at("2025-06-02T02:30:00Z"), hour),
        Fit::Never
    );
}

#[test]
fn fit_counts_overlapping_windows() {
    let windows = utc_windows(&[
        ("short", "*-*-* 01:00", "1h"),
        ("weekly", "Sun 01:30", "4h"),
    ]);
    let needed = SignedDuration::from_hours(3);
    // 2025-06-01 is a Sunday: the short window opens at 01:00 and the weekly
    // one keeps the machine in maintenance until 05:30.
    let found = windows
        .fit_after(at("2025-05-31T12:00:00Z"), needed)
        .unwrap();
    assert_eq!(
        found,
        opening("short", "2025-06-01T01:00:00Z", "2025-06-01T05:30:00Z")
    );
}

#[test]
fn new_rejects_duplicates_and_bad_durations() {
    let spec = CalendarSpec::parse("daily", &TimeZone::UTC).unwrap();
    let short = Window::new("quick", spec.clone(), SignedDuration::from_secs(2));
    assert!(matches!(short, Err(WindowError::DurationOutOfRange { .. })));
    let long = Window::new("long", spec.clone(), SignedDuration::from_hours(32 * 24));
    assert!(matches!(long, Err(WindowError::DurationOutOfRange { .. })));
    assert_eq!(
        Window::new("", spec.clone(), SignedDuration::from_hours(1)),
        Err(WindowError::EmptyName)
    );

    let twice = vec![
        window("same", "daily", "1h"),
        window("same", "weekly", "1h"),
    ];
    let error = Windows::new(twice, TimeZone::UTC).unwrap_err();
    assert_eq!(
        error,
        WindowError::DuplicateName {
            name: "same".to_owned()
        }
    );
}

#[test]
fn deserialize_reads_window_tables() {
    #[derive(serde::Deserialize)]
    struct File {
        window: Windows,
    }
    let text = r#"
        [[window]]
        name = "nightly"
        calendar = "Mon..Fri 02:00 UTC"
        duration = "1h 30min"
    "#;
    let file: File = toml::from_str(text).unwrap();
    let nightly = file.window.iter().next().unwrap();
    assert_eq!(nightly.name(), "nightly");
    assert_eq!(nightly.duration(), SignedDuration::from_mins(90));
    assert_eq!(
        nightly.calendar().to_string(),
        "Mon..Fri *-*-* 02:00:00 UTC"
    );
}

#[test]
fn window_serializes_normalized() {
    let nightly = window("nightly", "Mon..Fri 2:00 UTC", "90min");
    let json = serde_json::to_value(&nightly).unwrap();
    let expected = serde_json::json!({
        "name": "nightly",
        "calendar": "Mon..Fri *-*-* 02:00:00 UTC",
        "duration": "1h 30min",
    });
    assert_eq!(json, expected);
}
