//! Behaviour of the public calendar API: errors, zones, and elapses that never come.

use hwupd::calendar::{next_elapse, CalendarError, CalendarSpec, CalendarZone};
use jiff::tz::TimeZone;
use jiff::Timestamp;

fn parse_utc(input: &str) -> Result<CalendarSpec, CalendarError> {
    CalendarSpec::parse(input, &TimeZone::UTC)
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("RFC 3339 test timestamp")
}

#[test]
fn error_names_bad_weekday() {
    let error = parse_utc("Mond 12:00").unwrap_err();
    assert_eq!(error.token(), Some("Mond"));
}

#[test]
fn error_names_out_of_range_month() {
    let error = parse_utc("*-13-01").unwrap_err();
    assert!(
        matches!(error, CalendarError::OutOfRange { field: "month", .. }),
        "{error:?}"
    );
    assert_eq!(error.token(), Some("13"));
}

#[test]
fn error_names_unknown_zone() {
    let error = parse_utc("12:00 Europe/Atlantis").unwrap_err();
    assert_eq!(
        error,
        CalendarError::UnknownTimeZone {
            name: "Europe/Atlantis".to_owned()
        }
    );
}

#[test]
fn error_names_zone_in_wrong_case() {
    let error = parse_utc("12:00 europe/berlin").unwrap_err();
    assert_eq!(error.token(), Some("europe/berlin"));
}

#[test]
fn error_names_too_large_number() {
    let error = parse_utc("00:00:2300").unwrap_err();
    assert_eq!(
        error,
        CalendarError::NumberTooLarge {
            token: "2300".to_owned()
        }
    );
}

#[test]
fn error_for_empty_expression() {
    assert_eq!(parse_utc("").unwrap_err(), CalendarError::Empty);
    assert_eq!(parse_utc(" UTC").unwrap_err(), CalendarError::Empty);
}

#[test]
fn error_message_is_one_line() {
    let message = parse_utc("Mon..Fri 25:00").unwrap_err().to_string();
    assert!(!message.contains('\n'), "{message:?}");
    assert!(message.contains("\"25\""), "{message:?}");
}

#[test]
fn zone_suffix_kinds() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let zone_of = |input: &str| CalendarSpec::parse(input, &berlin).unwrap().zone().clone();
    assert_eq!(zone_of("12:00"), CalendarZone::Local);
    assert_eq!(zone_of("12:00 utc"), CalendarZone::Utc);
    assert!(
        matches!(zone_of("12:00 Asia/Tokyo"), CalendarZone::Named { name, .. } if name == "Asia/Tokyo")
    );
    let summer = CalendarZone::LocalAbbreviation {
        abbreviation: "CEST".to_owned(),
        dst: true,
    };
    assert_eq!(zone_of("12:00 cest"), summer);
}

#[test]
fn local_abbreviation_only_for_local_zone() {
    let error = parse_utc("12:00 CEST").unwrap_err();
    assert_eq!(error.token(), Some("CEST"));
}

#[test]
fn from_str_parses() {
    let spec: CalendarSpec = "Mon..Fri 02:00 UTC".parse().unwrap();
    assert_eq!(spec.to_string(), "Mon..Fri *-*-* 02:00:00 UTC");
}

#[test]
fn impossible_dates_never_elapse() {
    for input in [
        "*-04-31",
        "*-02-30",
        "Mon *-02-30",
        "2199-02-29",
        "Mon 2024-01-02",
    ] {
        let spec = parse_utc(input).unwrap();
        assert_eq!(
            spec.next_elapse(at("2024-01-01T00:00:00Z"), &TimeZone::UTC),
            None,
            "{input}"
        );
    }
}

#[test]
fn leap_day_waits_for_leap_year() {
    let spec = parse_utc("*-02-29 12:00").unwrap();
    let next = spec.next_elapse(at("2024-03-01T00:00:00Z"), &TimeZone::UTC);
    assert_eq!(next, Some(at("2028-02-29T12:00:00Z")));
}

#[test]
fn rare_weekday_and_date_found() {
    // February 29 falls on a Monday in 2044.
    let spec = parse_utc("Mon *-02-29").unwrap();
    let next = spec.next_elapse(at("2024-01-01T00:00:00Z"), &TimeZone::UTC);
    assert_eq!(next, Some(at("2044-02-29T00:00:00Z")));
}

#[test]
fn nothing_after_last_year() {
    let spec = parse_utc("minutely").unwrap();
    assert_eq!(
        spec.next_elapse(at("2199-12-31T23:59:00Z"), &TimeZone::UTC),
        None
    );
    assert_eq!(
        spec.next_elapse(at("9000-01-01T00:00:00Z"), &TimeZone::UTC),
        None
    );
}

#[test]
fn elapse_strictly_after_base() {
    let spec = parse_utc("*:00:00").unwrap();
    let base = at("2024-05-05T10:00:00Z");
    assert_eq!(
        next_elapse(&spec, base, &TimeZone::UTC),
        Some(at("2024-05-05T11:00:00Z"))
    );
}

#[test]
fn elapses_iterator_lists_next_three() {
    let spec = parse_utc("*-*~1 03:00").unwrap();
    let elapses: Vec<Timestamp> = spec
        .elapses(at("2024-01-15T00:00:00Z"), &TimeZone::UTC)
        .take(3)
        .collect();
    let expected = [
        "2024-01-31T03:00:00Z",
        "2024-02-29T03:00:00Z",
        "2024-03-31T03:00:00Z",
    ];
    assert_eq!(elapses, expected.map(at));
}

#[test]
fn skipped_hour_never_elapses() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let spec = CalendarSpec::parse("2024-03-31 02:30", &berlin).unwrap();
    assert_eq!(spec.next_elapse(at("2024-03-30T00:00:00Z"), &berlin), None);
}

#[test]
fn repeated_hour_elapses_once() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let spec = CalendarSpec::parse("*-10-27 02:30", &berlin).unwrap();
    let elapses: Vec<Timestamp> = spec
        .elapses(at("2024-10-26T00:00:00Z"), &berlin)
        .take(2)
        .collect();
    assert_eq!(
        elapses,
        [at("2024-10-27T00:30:00Z"), at("2025-10-27T01:30:00Z")]
    );
}
