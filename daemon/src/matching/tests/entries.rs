//! Update entries: which releases become entries, their order and their JSON.

use serde_json::{json, Value};

use crate::matching::{sort_entries, update_entries, UpdateEntry, UpdateList};

use super::*;

fn entry(release_id: &str, exploited: bool, severity: Severity, released: Date) -> UpdateEntry {
    UpdateEntry {
        device_id: "d1".to_owned(),
        device_name: "NIC".to_owned(),
        current_version: "1.0.0".to_owned(),
        remote_id: "lab".to_owned(),
        release_id: release_id.to_owned(),
        version: "2.0.0".to_owned(),
        severity,
        cves: Vec::new(),
        known_exploited: exploited,
        released,
        summary: "Fixes".to_owned(),
        install_method: InstallMethod::Emulated,
        reboot_required: false,
        payload_size: 10,
        held_back_reason: None,
        catalog_expired: false,
    }
}

#[test]
fn entries_sort_by_exploited_then_severity_then_age() {
    let early = Date::constant(2024, 1, 1);
    let late = Date::constant(2025, 1, 1);
    let mut entries = vec![
        entry("low-early", false, Severity::Low, early),
        entry("critical-late", false, Severity::Critical, late),
        entry("exploited-low", true, Severity::Low, late),
        entry("critical-early", false, Severity::Critical, early),
        entry(
            "unknown",
            false,
            Severity::Unknown("urgent".to_owned()),
            early,
        ),
        entry("exploited-high", true, Severity::High, late),
    ];

    sort_entries(&mut entries);

    let order: Vec<&str> = entries.iter().map(|e| e.release_id.as_str()).collect();
    assert_eq!(
        order,
        [
            "exploited-high",
            "exploited-low",
            "critical-early",
            "critical-late",
            "low-early",
            "unknown",
        ]
    );
}

#[test]
fn entries_hold_newest_and_held_back_only() {
    let device = device("1.0.0", "triplet");
    let mut blocked = triplet("blocked", "3.0.0");
    blocked.lowest_supported_version = Some("2.0.0".to_owned());
    blocked.release_date = Date::constant(2025, 6, 1);
    let catalog = catalog(vec![
        triplet("older-offer", "1.5.0"),
        triplet("newest", "2.0.0"),
        blocked,
    ]);
    let matcher = Matcher::new(&catalog, &[]);

    let entries = update_entries(&[matcher.match_device(&device)]);

    let ids: Vec<(&str, bool)> = entries
        .iter()
        .map(|e| (e.release_id.as_str(), e.held_back_reason.is_some()))
        .collect();
    assert_eq!(ids, [("newest", false), ("blocked", true)]);
}

#[test]
fn update_list_json_has_documented_keys() {
    let mut held = entry("r2", false, Severity::High, Date::constant(2025, 2, 3));
    held.held_back_reason = Some("the device reports no version".to_owned());
    let list = UpdateList {
        updates: vec![
            entry("r1", true, Severity::Critical, Date::constant(2025, 1, 2)),
            held,
        ],
    };

    let value = serde_json::to_value(&list).unwrap();

    let first = &value["updates"][0];
    assert_eq!(first["release_id"], "r1");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["cves"], json!([]));
    assert_eq!(first["known_exploited"], true);
    assert_eq!(first["released"], "2025-01-02");
    assert_eq!(first["install_method"], "emulated");
    assert_eq!(first["payload_size"], 10);
    assert_eq!(first["held_back_reason"], Value::Null);
    assert_eq!(
        value["updates"][1]["held_back_reason"],
        "the device reports no version"
    );
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "device_id",
        "device_name",
        "current_version",
        "remote_id",
        "version",
    ] {
        assert!(keys.contains(&key), "missing key {key}");
    }
}

#[test]
fn update_list_round_trips_through_json() {
    let list = UpdateList {
        updates: vec![entry(
            "r1",
            false,
            Severity::Medium,
            Date::constant(2025, 1, 2),
        )],
    };

    let text = serde_json::to_string(&list).unwrap();

    assert_eq!(serde_json::from_str::<UpdateList>(&text).unwrap(), list);
}
