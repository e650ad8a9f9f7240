//! The policy's inputs: the config tables, the state file, power supplies,
//! the machine id and the rollout split.

mod policy_support;

use std::os::unix::fs::PermissionsExt;

use hwupd::catalog::document::{Ring, Severity};
use hwupd::config::Config;
use hwupd::policy::{
    in_rollout, ListEntry, MachineId, PolicyConfig, PolicyStore, PowerPolicy, PowerState,
    StateError, STATE_FILE_NAME,
};
use hwupd::root::Root;
use jiff::SignedDuration;
use policy_support::{at, write_power_supplies, Supply, SHA256};
use sha2::{Digest, Sha256};

// Config tables.

#[test]
fn config_defaults_without_tables() {
    let config = Config::parse("").unwrap();
    assert!(config.window.is_empty());
    let policy = config.policy;
    assert_eq!(policy, PolicyConfig::default());
    assert_eq!(policy.auto_stage, [Severity::Critical, Severity::High]);
    assert_eq!(
        [
            policy.defer.critical,
            policy.defer.high,
            policy.defer.medium,
            policy.defer.low
        ],
        [0, 0, 7, 30]
    );
    assert_eq!(policy.ring, Ring::Broad);
    assert!(!policy.allow_reboot);
    assert!(policy.power.require_ac);
    assert_eq!(policy.power.min_battery_percent, 30);
}

#[test]
fn config_reads_windows_and_policy() {
    let text = format!(
        r#"
        [[window]]
        name = "nightly"
        calendar = "Mon..Fri 02:00 Europe/Berlin"
        duration = "1h 30min"

        [[window]]
        name = "weekend"
        calendar = "Sat 10:00 UTC"
        duration = "4h"

        [policy]
        auto_stage = ["critical"]
        require_approval = ["high"]
        approved = ["bios-2.4.1"]
        blocked = ["{}"]
        ring = "canary"
        allow_reboot = true

        [policy.defer]
        medium = 14

        [policy.power]
        require_ac = false
        min_battery_percent = 50
        "#,
        SHA256.to_ascii_uppercase()
    );
    let config = Config::parse(&text).unwrap();

    let names: Vec<&str> = config.window.iter().map(|window| window.name()).collect();
    assert_eq!(names, ["nightly", "weekend"]);
    let nightly = config.window.iter().next().unwrap();
    assert_eq!(nightly.duration(), SignedDuration::from_mins(90));

    let policy = config.policy;
    assert_eq!(policy.auto_stage, [Severity::Critical]);
    assert_eq!(policy.require_approval, [Severity::High]);
    assert_eq!(policy.approved, [ListEntry::parse("bios-2.4.1").unwrap()]);
    assert_eq!(policy.blocked[0].as_str(), SHA256);
    assert_eq!(policy.ring, Ring::Canary);
    assert!(policy.allow_reboot);
    assert_eq!(policy.defer.medium, 14);
    assert_eq!(policy.defer.low, 30);
    let power = PowerPolicy {
        require_ac: false,
        min_battery_percent: 50,
    };
    assert_eq!(policy.power, power);
}

/// Parses `text` as a config and returns its error, which must name each of `parts`.
fn assert_error_names(text: &str, parts: &[&str]) {
    let error = Config::parse(text).unwrap_err();
    for part in parts {
        assert!(
            error.contains(part),
            "error for {text:?} lacks {part:?}: {error}"
        );
    }
}

const WINDOW_HEAD: &str = "[[window]]\nname = \"nightly\"\n";

#[test]
fn config_errors_name_the_key() {
    let cases: &[(String, &[&str])] = &[
        (
            format!("{WINDOW_HEAD}calendar = \"daily\"\nduration = \"2 fortnights\""),
            &["duration", "fortnights"],
        ),
        (
            format!("{WINDOW_HEAD}calendar = \"daily\"\nduration = \"2\""),
            &["nightly", "2s"],
        ),
        (
            format!("{WINDOW_HEAD}calendar = \"Mond 02:00\"\nduration = \"1h\""),
            &["calendar", "Mond"],
        ),
        (format!("{WINDOW_HEAD}calendar = \"daily\""), &["duration"]),
        (
            format!("{WINDOW_HEAD}calendar = \"daily\"\nduration = \"1h\"\nlength = 3"),
            &["length"],
        ),
        (
            format!("{WINDOW_HEAD}calendar = \"daily\"\nduration = 7200"),
            &["duration"],
        ),
        (
            "[policy]\nring = \"middle\"".to_owned(),
            &["ring", "middle", "canary"],
        ),
        (
            "[policy]\nauto_stage = [\"urgent\"]".to_owned(),
            &["auto_stage", "urgent"],
        ),
        (
            "[policy]\nrequire_approval = \"high\"".to_owned(),
            &["require_approval"],
        ),
        (
            "[policy]\napproved = [\"two words\"]".to_owned(),
            &["approved", "two words"],
        ),
        (
            "[policy]\nallow_reboot = \"yes\"".to_owned(),
            &["allow_reboot"],
        ),
        ("[policy]\nrings = \"early\"".to_owned(), &["rings"]),
        ("[policy.defer]\nmedium = -1".to_owned(), &["medium"]),
        ("[policy.defer]\nurgent = 1".to_owned(), &["urgent"]),
        (
            "[policy.defer]\nlow = 100000".to_owned(),
            &["low", "100000"],
        ),
        (
            "[policy.power]\nmin_battery_percent = 101".to_owned(),
            &["min_battery_percent", "101"],
        ),
    ];
    for (text, parts) in cases {
        assert_error_names(text, parts);
    }
}

#[test]
fn config_rejects_duplicate_window_names() {
    let window = "[[window]]\nname = \"nightly\"\ncalendar = \"daily\"\nduration = \"1h\"\n";
    assert_error_names(&format!("{window}{window}"), &["nightly", "twice"]);
}

// The state file.

#[test]
fn store_persists_changes() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("state");
    let now = at("2025-06-10T00:00:00Z");
    let mut store = PolicyStore::open(&state_dir).unwrap();
    assert!(store.approve(ListEntry::parse("bios-2").unwrap()).unwrap());
    assert!(!store.approve(ListEntry::parse("bios-2").unwrap()).unwrap());
    assert!(store.block(ListEntry::parse(SHA256).unwrap()).unwrap());
    store
        .inhibit("audit", at("2025-06-11T00:00:00Z"), now)
        .unwrap();

    let reopened = PolicyStore::open(&state_dir).unwrap();
    assert_eq!(reopened.state(), store.state());
    assert_eq!(reopened.state().inhibits[0].created, now);

    let mode = std::fs::metadata(state_dir.join(STATE_FILE_NAME))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn store_removes_entries_and_inhibits() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = PolicyStore::open(dir.path()).unwrap();
    let entry = ListEntry::parse("bios-2").unwrap();
    store.block(entry.clone()).unwrap();
    assert!(store.unblock(&entry).unwrap());
    assert!(!store.unblock(&entry).unwrap());
    assert!(!store.revoke_approval(&entry).unwrap());

    let now = at("2025-06-10T00:00:00Z");
    store
        .inhibit("audit", at("2025-06-11T00:00:00Z"), now)
        .unwrap();
    assert_eq!(store.clear_inhibits().unwrap(), 1);
    assert!(PolicyStore::open(dir.path())
        .unwrap()
        .state()
        .inhibits
        .is_empty());
}

#[test]
fn expired_inhibits_are_ignored_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = PolicyStore::open(dir.path()).unwrap();
    let now = at("2025-06-10T00:00:00Z");
    store
        .inhibit("first", at("2025-06-10T06:00:00Z"), now)
        .unwrap();
    assert!(store
        .state()
        .active_inhibit(at("2025-06-10T05:59:59Z"))
        .is_some());
    assert!(store
        .state()
        .active_inhibit(at("2025-06-10T06:00:00Z"))
        .is_none());

    let later = at("2025-06-12T00:00:00Z");
    store
        .inhibit("second", at("2025-06-13T00:00:00Z"), later)
        .unwrap();
    let reasons: Vec<&str> = store
        .state()
        .inhibits
        .iter()
        .map(|i| i.reason.as_str())
        .collect();
    assert_eq!(reasons, ["second"]);
}

#[test]
fn inhibit_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = PolicyStore::open(dir.path()).unwrap();
    let now = at("2025-06-10T00:00:00Z");
    let past = store.inhibit("audit", at("2025-06-09T00:00:00Z"), now);
    assert!(
        matches!(past, Err(StateError::InvalidUntil { .. })),
        "{past:?}"
    );
    let far = store.inhibit("audit", at("2026-07-01T00:00:00Z"), now);
    assert!(
        matches!(far, Err(StateError::InvalidUntil { .. })),
        "{far:?}"
    );
    for reason in ["", "  ", "line\nbreak", &"x".repeat(257)] {
        let bad = store.inhibit(reason, at("2025-06-11T00:00:00Z"), now);
        assert!(
            matches!(bad, Err(StateError::InvalidReason { .. })),
            "{reason:?}"
        );
    }
    assert!(!dir.path().join(STATE_FILE_NAME).exists());
}

#[test]
fn corrupt_state_file_is_an_error() {
    let cases: &[&[u8]] = &[
        b"",
        b"{\"version\": 1, \"approved\": [",
        b"{\"version\": 2}",
        b"{\"version\": 1, \"blocked\": [\"two words\"]}",
        b"{\"version\": 1, \"blocked\": \"bios\"}",
        b"{\"version\": 1, \"extra\": true}",
        b"{\"version\": 1, \"inhibits\": [{\"reason\": \"\", \"until\": \"2025-06-11T00:00:00Z\", \"created\": \"2025-06-10T00:00:00Z\"}]}",
        b"\xff\xfe",
    ];
    for bytes in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE_NAME), bytes).unwrap();
        let error = PolicyStore::open(dir.path()).unwrap_err();
        assert!(matches!(error, StateError::Invalid { .. }), "{error:?}");
        assert!(error.to_string().contains(STATE_FILE_NAME), "{error}");
    }
}

#[test]
fn oversized_state_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b' '; 5 * 1024 * 1024];
    std::fs::write(dir.path().join(STATE_FILE_NAME), big).unwrap();
    let error = PolicyStore::open(dir.path()).unwrap_err();
    assert!(matches!(error, StateError::TooLarge { .. }), "{error:?}");
}

#[test]
fn failed_write_keeps_old_state() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("state");
    let mut store = PolicyStore::open(&state_dir).unwrap();
    // A file where the state folder should be makes every write fail.
    std::fs::write(&state_dir, b"").unwrap();
    let result = store.block(ListEntry::parse("bios-2").unwrap());
    assert!(
        matches!(result, Err(StateError::Write { .. })),
        "{result:?}"
    );
    assert!(store.state().blocked.is_empty());
}

// Power supplies.

fn power_of(supplies: &[Supply<'_>]) -> PowerState {
    let root = tempfile::tempdir().unwrap();
    write_power_supplies(root.path(), supplies);
    PowerState::read(&Root::new(root.path()))
}

const AC_OFFLINE: Supply = Supply {
    name: "AC",
    attributes: &[("type", "Mains"), ("online", "0")],
};
const AC_ONLINE: Supply = Supply {
    name: "AC",
    attributes: &[("type", "Mains"), ("online", "1")],
};
const MOUSE: Supply = Supply {
    name: "hidpp_battery_0",
    attributes: &[
        ("type", "Battery"),
        ("scope", "Device"),
        ("capacity", "5"),
        ("status", "Discharging"),
    ],
};

fn battery(capacity: &'static str, status: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("type", "Battery"),
        ("scope", "System"),
        ("capacity", capacity),
        ("status", status),
    ]
}

#[test]
fn laptop_on_battery_at_twenty_percent() {
    let attributes = battery("20", "Discharging");
    let bat = Supply {
        name: "BAT0",
        attributes: &attributes,
    };
    let power = power_of(&[AC_OFFLINE, bat, MOUSE]);
    assert!(!power.on_ac());
    assert_eq!(power.battery_percent(), Some(20));

    let detail = power.check(&PowerPolicy::default()).unwrap_err();
    assert_eq!(
        detail,
        "on battery at 20%, and the policy requires AC power"
    );
    let battery_allowed = PowerPolicy {
        require_ac: false,
        min_battery_percent: 30,
    };
    let detail = power.check(&battery_allowed).unwrap_err();
    assert_eq!(detail, "battery at 20%, below the policy's minimum of 30%");
    let low_minimum = PowerPolicy {
        require_ac: false,
        min_battery_percent: 10,
    };
    assert_eq!(power.check(&low_minimum), Ok(()));
}

#[test]
fn laptop_on_ac() {
    let attributes = battery("85", "Charging");
    let bat = Supply {
        name: "BAT0",
        attributes: &attributes,
    };
    let power = power_of(&[AC_ONLINE, bat, MOUSE]);
    assert!(power.on_ac());
    assert_eq!(power.battery_percent(), Some(85));
    assert_eq!(power.check(&PowerPolicy::default()), Ok(()));
}

#[test]
fn laptop_on_ac_with_empty_battery() {
    let attributes = battery("10", "Charging");
    let bat = Supply {
        name: "BAT0",
        attributes: &attributes,
    };
    let power = power_of(&[AC_ONLINE, bat]);
    let detail = power.check(&PowerPolicy::default()).unwrap_err();
    assert!(detail.contains("10%"), "{detail}");
}

#[test]
fn usb_c_charger_counts_as_ac() {
    let attributes = battery("60", "Charging");
    let bat = Supply {
        name: "BAT0",
        attributes: &attributes,
    };
    let usb = Supply {
        name: "ucsi-source-psy-USBC000:001",
        attributes: &[("type", "USB"), ("online", "1")],
    };
    assert!(power_of(&[AC_OFFLINE, usb, bat]).on_ac());
}

#[test]
fn desktop_without_supplies_counts_as_ac() {
    let root = tempfile::tempdir().unwrap();
    let power = PowerState::read(&Root::new(root.path()));
    assert!(power.supplies.is_empty());
    assert!(power.on_ac());
    assert_eq!(power.battery_percent(), None);
    assert_eq!(power.check(&PowerPolicy::default()), Ok(()));

    // A peripheral's battery alone does not make the machine battery powered.
    assert!(power_of(&[MOUSE]).on_ac());
}

#[test]
fn battery_without_adapter_uses_status() {
    let discharging = battery("50", "Discharging");
    let bat = Supply {
        name: "BAT0",
        attributes: &discharging,
    };
    assert!(!power_of(&[bat]).on_ac());
    let full = battery("100", "Full");
    let bat = Supply {
        name: "BAT0",
        attributes: &full,
    };
    assert!(power_of(&[bat]).on_ac());
}

#[test]
fn two_batteries_average() {
    let first = battery("90", "Discharging");
    let second = battery("30", "Discharging");
    let power = power_of(&[
        AC_OFFLINE,
        Supply {
            name: "BAT0",
            attributes: &first,
        },
        Supply {
            name: "BAT1",
            attributes: &second,
        },
    ]);
    assert_eq!(power.battery_percent(), Some(60));
}

#[test]
fn unreadable_supply_is_skipped() {
    let no_type = Supply {
        name: "BAT9",
        attributes: &[("capacity", "5")],
    };
    let garbage = Supply {
        name: "BAT0",
        attributes: &[
            ("type", "Battery"),
            ("capacity", "lots"),
            ("status", "Discharging"),
        ],
    };
    let power = power_of(&[AC_ONLINE, no_type, garbage]);
    let names: Vec<&str> = power.supplies.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["AC", "BAT0"]);
    assert_eq!(power.battery_percent(), None);
    assert_eq!(power.check(&PowerPolicy::default()), Ok(()));
}

// Machine id and rollout.

#[test]
fn machine_id_read_under_root() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("etc")).unwrap();
    let path = root.path().join("etc/machine-id");
    std::fs::write(&path, "4c9a1c2f5e8b4d7a9f3e2b1c0d9e8f7a\n").unwrap();
    let id = MachineId::read(&Root::new(root.path())).unwrap();
    assert_eq!(id.as_str(), "4c9a1c2f5e8b4d7a9f3e2b1c0d9e8f7a");

    std::fs::write(&path, "uninitialized\n").unwrap();
    assert!(MachineId::read(&Root::new(root.path())).is_err());
    std::fs::remove_file(&path).unwrap();
    assert!(MachineId::read(&Root::new(root.path())).is_err());
}

/// Returns 10,000 machine ids in the format of machine-id(5).
fn fleet() -> Vec<MachineId> {
    (0..10_000)
        .map(|n| {
            let digest = Sha256::digest(format!("fleet machine {n}"));
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            MachineId::new(&hex).unwrap()
        })
        .collect()
}

#[test]
fn rollout_splits_fleet_as_requested() {
    let fleet = fleet();
    for (release, percentage) in [
        ("bios-2.0", 5),
        ("bios-2.0", 50),
        ("nic-7", 5),
        ("nic-7", 50),
    ] {
        let included = fleet
            .iter()
            .filter(|id| in_rollout(Some(id), release, percentage))
            .count();
        let share = included as f64 / fleet.len() as f64 * 100.0;
        let error = (share - f64::from(percentage)).abs();
        assert!(
            error <= 2.0,
            "{release} at {percentage}%: {share:.2}% of the fleet"
        );
    }
}

#[test]
fn rollout_grows_without_reshuffling() {
    // Raising the percentage keeps every machine that was already included.
    let fleet = fleet();
    for id in &fleet[..1000] {
        if in_rollout(Some(id), "bios-2.0", 5) {
            assert!(in_rollout(Some(id), "bios-2.0", 50));
        }
    }
}
