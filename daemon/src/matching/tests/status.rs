//! The status of a device against all its releases.

use super::*;

#[test]
fn equal_release_is_up_to_date() {
    let matched = run(
        &device("1.2.0", "triplet"),
        vec![triplet("old", "1.1.0"), triplet("same", "1.2.0")],
    );

    assert_eq!(matched.outcome, Outcome::UpToDate);
    assert!(matched.held_back.is_empty());
}

#[test]
fn up_to_date_lists_held_back_newer_release() {
    let mut newer = triplet("newer", "1.3.0");
    newer.replaces = replaces(&["1.1.0"], None, None);

    let matched = run(
        &device("1.2.0", "triplet"),
        vec![triplet("same", "1.2.0"), newer],
    );

    assert_eq!(matched.outcome, Outcome::UpToDate);
    assert_eq!(matched.held_back[0].0, "newer");
}

#[test]
fn device_newer_than_all_releases() {
    let matched = run(
        &device("2.0.0", "triplet"),
        vec![triplet("a", "1.0.0"), triplet("b", "1.9.9")],
    );

    assert_eq!(matched.outcome, Outcome::NewerThanAll);
}

#[test]
fn device_without_releases() {
    let matched = run(&device("2.0.0", "triplet"), Vec::new());

    assert_eq!(matched.outcome, Outcome::NoReleases);
    assert!(matched.held_back.is_empty());
}

#[test]
fn older_and_held_back_is_no_releases() {
    let mut newer = triplet("newer", "3.0.0");
    newer.lowest_supported_version = Some("2.5.0".to_owned());

    let matched = run(
        &device("2.0.0", "triplet"),
        vec![triplet("old", "1.0.0"), newer],
    );

    assert_eq!(matched.outcome, Outcome::NoReleases);
    assert_eq!(matched.held_back.len(), 1);
}

#[test]
fn newest_release_comes_first() {
    let mut later_date = triplet("b-1.3", "1.3.0");
    later_date.release_date = Date::constant(2025, 6, 1);
    let releases = vec![
        triplet("a-1.2", "1.2.0"),
        triplet("c-1.10", "1.10.0"),
        triplet("a-1.3", "1.3.0"),
        later_date,
    ];

    let matched = run(&device("1.1.0", "triplet"), releases);

    let expected = Outcome::Update {
        newest: "c-1.10".to_owned(),
        others: vec!["b-1.3".into(), "a-1.3".into(), "a-1.2".into()],
    };
    assert_eq!(matched.outcome, expected);
}

#[test]
fn release_naming_two_device_guids_counts_once() {
    let mut device = device("1.0.0", "triplet");
    device.add_instance_id("PCI\\VEN_8086&DEV_15BB&SUBSYS_17AA2258");
    let mut release = triplet("r", "1.1.0");
    release
        .devices
        .instance_ids
        .push("PCI\\VEN_8086&DEV_15BB&SUBSYS_17AA2258".to_owned());

    let matched = run(&device, vec![release]);

    assert_eq!(matched.outcome, update("r"));
}
