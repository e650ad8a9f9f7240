//! Property tests: the parser never panics, normalized forms parse back to
//! themselves, and elapses move strictly forward.

use hwupd::calendar::CalendarSpec;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use proptest::prelude::*;

/// Zones with one-hour, half-hour and negative daylight saving changes.
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Europe/Dublin",
];

fn zone(index: usize) -> TimeZone {
    TimeZone::get(ZONES[index % ZONES.len()]).expect("test zone in the time zone database")
}

/// Generates strings over the characters calendar expressions use.
fn calendar_like() -> impl Strategy<Value = String> {
    "[ 0-9*,.:~/@+a-zA-Z_-]{0,40}"
}

/// Generates one value list for a field between `min` and `max`, with values up to 2 past `max`.
fn chain(min: u32, max: u32) -> impl Strategy<Value = String> {
    let value = min..=max + 2;
    let component = (
        value.clone(),
        proptest::option::of(value),
        proptest::option::of(1..=max.max(2)),
    )
        .prop_map(|(start, stop, repeat)| {
            let range = stop.map(|stop| format!("..{stop}")).unwrap_or_default();
            let step = repeat
                .map(|repeat| format!("/{repeat}"))
                .unwrap_or_default();
            format!("{start}{range}{step}")
        });
    prop_oneof![
        1 => Just("*".to_owned()),
        4 => proptest::collection::vec(component, 1..4).prop_map(|parts| parts.join(",")),
    ]
}

/// Generates expressions from the grammar, most of which systemd accepts.
fn structured() -> impl Strategy<Value = String> {
    let weekdays = proptest::option::of(prop::sample::select(vec![
        "Mon", "Tue..Thu", "Sat,Sun", "Fri-Sun", "mon,",
    ]));
    let date = proptest::option::of((
        chain(2024, 2030),
        chain(1, 12),
        prop::bool::ANY,
        chain(1, 31),
    ));
    let time = (
        chain(0, 23),
        chain(0, 59),
        proptest::option::of(chain(0, 59)),
    );
    let zone = proptest::option::of(prop::sample::select(vec![
        "UTC",
        "Europe/Berlin",
        "Pacific/Auckland",
    ]));
    (weekdays, date, time, zone).prop_map(|(weekdays, date, (hour, minute, second), zone)| {
        let mut parts = Vec::new();
        parts.extend(weekdays.map(str::to_owned));
        if let Some((year, month, from_end, day)) = date {
            let separator = if from_end { '~' } else { '-' };
            parts.push(format!("{year}-{month}{separator}{day}"));
        }
        let second = second
            .map(|second| format!(":{second}"))
            .unwrap_or_default();
        parts.push(format!("{hour}:{minute}{second}"));
        parts.extend(zone.map(str::to_owned));
        parts.join(" ")
    })
}

fn assert_round_trip(input: &str, tz: &TimeZone) -> Result<(), TestCaseError> {
    let Ok(spec) = CalendarSpec::parse(input, tz) else {
        return Ok(());
    };
    let normalized = spec.to_string();
    let again = CalendarSpec::parse(&normalized, tz);
    prop_assert!(
        again.is_ok(),
        "normalized form {normalized:?} of {input:?} rejected: {again:?}"
    );
    let again = again.map(|spec| spec.to_string()).unwrap_or_default();
    prop_assert_eq!(
        again,
        normalized,
        "normalized form of {:?} changed on a second pass",
        input
    );
    Ok(())
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_string(input in any::<String>(), zone_index in 0usize..4) {
        let _ = CalendarSpec::parse(&input, &zone(zone_index));
    }

    #[test]
    fn parse_never_panics_on_calendar_characters(input in calendar_like(), zone_index in 0usize..4) {
        let _ = CalendarSpec::parse(&input, &zone(zone_index));
    }

    #[test]
    fn normalized_form_round_trips(input in structured(), zone_index in 0usize..4) {
        assert_round_trip(&input, &zone(zone_index))?;
    }

    #[test]
    fn normalized_form_round_trips_for_any_accepted(input in calendar_like()) {
        assert_round_trip(&input, &TimeZone::UTC)?;
    }

    #[test]
    fn elapses_move_strictly_forward(
        input in structured(),
        zone_index in 0usize..4,
        base in 1_600_000_000i64..2_000_000_000,
    ) {
        let tz = zone(zone_index);
        let Ok(spec) = CalendarSpec::parse(&input, &tz) else {
            return Ok(());
        };
        let mut previous = Timestamp::from_second(base).expect("base time in range");
        for elapse in spec.elapses(previous, &tz).take(3) {
            prop_assert!(elapse > previous, "{input:?}: elapse {elapse} is not after {previous}");
            previous = elapse;
        }
    }
}
