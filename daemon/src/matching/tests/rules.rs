//! One test or more per matching rule.

use super::*;
use crate::guid;

#[test]
fn release_guid_matches_in_any_case() {
    let device = device("1.0.0", "triplet");
    let mut release = triplet("r", "1.1.0");
    let guid = guid::from_instance_id(INSTANCE_ID).to_ascii_uppercase();
    release.devices = Devices {
        guids: vec![guid],
        instance_ids: Vec::new(),
    };

    assert_eq!(run(&device, vec![release]).outcome, update("r"));
}

#[test]
fn release_instance_id_matches_device_guid() {
    let device = device("1.0.0", "triplet");

    assert_eq!(
        run(&device, vec![triplet("r", "1.1.0")]).outcome,
        update("r")
    );
}

#[test]
fn device_instance_id_without_guid_matches() {
    let mut device = device("1.0.0", "triplet");
    device.guids.clear();

    assert_eq!(
        run(&device, vec![triplet("r", "1.1.0")]).outcome,
        update("r")
    );
}

#[test]
fn other_device_release_is_ignored() {
    let device = device("1.0.0", "triplet");
    let mut release = triplet("r", "1.1.0");
    release.devices.instance_ids = vec!["PCI\\VEN_8086&DEV_15BC".to_owned()];

    let matched = run(&device, vec![release]);

    assert_eq!(matched.outcome, Outcome::NoReleases);
    assert!(matched.held_back.is_empty());
}

#[test]
fn hardware_id_of_machine_allows_release() {
    let device = device("1.0.0", "triplet");
    let mut release = triplet("r", "1.1.0");
    release.hardware_ids = vec![
        "00000000-1111-2222-3333-444444444444".to_owned(),
        MACHINE_HWID.to_ascii_uppercase(),
    ];

    assert_eq!(run(&device, vec![release]).outcome, update("r"));
}

#[test]
fn hardware_id_of_other_machine_excludes_release() {
    let device = device("1.0.0", "triplet");
    let mut release = triplet("r", "1.1.0");
    release.hardware_ids = vec!["00000000-1111-2222-3333-444444444444".to_owned()];

    let matched = run(&device, vec![release]);

    assert_eq!(matched.outcome, Outcome::NoReleases);
    assert!(matched.held_back.is_empty());
}

#[test]
fn replaces_exact_version_is_offered() {
    let device = device("1.0.0", "triplet");
    let mut release = triplet("r", "2.0.0");
    release.replaces = replaces(&["0.9.0", "1.0.00"], None, None);

    assert_eq!(run(&device, vec![release]).outcome, update("r"));
}

#[test]
fn replaces_exact_other_version_is_held_back() {
    let device = device("1.0.1", "triplet");
    let mut release = triplet("r", "2.0.0");
    release.replaces = replaces(&["0.9.0", "1.0.0"], None, None);

    let matched = run(&device, vec![release]);

    assert_eq!(matched.outcome, Outcome::NoReleases);
    let (id, reason) = &matched.held_back[0];
    assert_eq!(id, "r");
    assert!(matches!(reason, HoldReason::NotReplaced { current, .. } if current == "1.0.1"));
    assert_eq!(
        reason.to_string(),
        "the release replaces only 0.9.0 or 1.0.0, not the device's version 1.0.1"
    );
}

#[test]
fn replaces_bounds_are_inclusive() {
    for current in ["1.0.0", "1.2.0", "1.5.0"] {
        let device = device(current, "triplet");
        let mut release = triplet("r", "2.0.0");
        release.replaces = replaces(&[], Some("1.0.0"), Some("1.5.0"));

        assert_eq!(
            run(&device, vec![release]).outcome,
            update("r"),
            "{current}"
        );
    }
}

#[test]
fn replaces_bounds_hold_back_outside_versions() {
    for current in ["0.9.9", "1.5.1"] {
        let device = device(current, "triplet");
        let mut release = triplet("r", "2.0.0");
        release.replaces = replaces(&[], Some("1.0.0"), Some("1.5.0"));

        let matched = run(&device, vec![release]);

        assert_eq!(matched.outcome, Outcome::NoReleases, "{current}");
        let reason = matched.held_back[0].1.to_string();
        assert!(reason.contains("replaces only 1.0.0 to 1.5.0"), "{reason}");
    }
}

#[test]
fn replaces_single_bound_limits_one_side() {
    let mut from_min = triplet("min", "2.0.0");
    from_min.replaces = replaces(&[], Some("1.2.0"), None);
    let mut up_to_max = triplet("max", "2.0.0");
    up_to_max.replaces = replaces(&[], None, Some("1.2.0"));

    let low = run(
        &device("1.1.0", "triplet"),
        vec![from_min.clone(), up_to_max.clone()],
    );
    let high = run(&device("1.3.0", "triplet"), vec![from_min, up_to_max]);

    assert_eq!(low.outcome, update("max"));
    assert_eq!(low.held_back[0].0, "min");
    assert_eq!(high.outcome, update("min"));
    assert_eq!(high.held_back[0].0, "max");
}

#[test]
fn replaces_list_or_bounds_allow_version() {
    let mut release = triplet("r", "2.0.0");
    release.replaces = replaces(&["0.5.0"], Some("1.0.0"), None);

    let listed = run(&device("0.5.0", "triplet"), vec![release.clone()]);
    let in_bounds = run(&device("1.1.0", "triplet"), vec![release.clone()]);
    let neither = run(&device("0.7.0", "triplet"), vec![release]);

    assert_eq!(listed.outcome, update("r"));
    assert_eq!(in_bounds.outcome, update("r"));
    assert_eq!(neither.outcome, Outcome::NoReleases);
}

#[test]
fn lowest_supported_version_holds_back_older_device() {
    let mut release = triplet("r", "3.0.0");
    release.lowest_supported_version = Some("2.0.0".to_owned());

    let matched = run(&device("1.9.0", "triplet"), vec![release]);

    assert_eq!(matched.outcome, Outcome::NoReleases);
    assert_eq!(
        matched.held_back[0].1,
        HoldReason::BelowLowestSupported {
            current: "1.9.0".to_owned(),
            lowest_supported: "2.0.0".to_owned(),
        }
    );
}

#[test]
fn lowest_supported_version_itself_is_accepted() {
    let mut release = triplet("r", "3.0.0");
    release.lowest_supported_version = Some("2.0.0".to_owned());

    assert_eq!(
        run(&device("2.0.0", "triplet"), vec![release]).outcome,
        update("r")
    );
}

#[test]
fn device_lowest_version_holds_back_release_below_it() {
    let mut device = device("1.0.0", "triplet");
    device.version_lowest = Some("2.0.0".to_owned());

    let matched = run(
        &device,
        vec![triplet("low", "1.5.0"), triplet("ok", "2.0.0")],
    );

    assert_eq!(matched.outcome, update("ok"));
    assert_eq!(
        matched.held_back,
        [(
            "low".to_owned(),
            HoldReason::BelowDeviceLowest {
                version: "1.5.0".to_owned(),
                device_lowest: "2.0.0".to_owned(),
            }
        )]
    );
}

#[test]
fn downgrade_is_never_offered() {
    let device = device("2.0.0", "triplet");
    let mut older = triplet("older", "1.0.0");
    older.replaces = replaces(&["2.0.0"], None, None);
    let same = triplet("same", "2.0.00");

    let matched = run(&device, vec![older, same]);

    assert_eq!(matched.outcome, Outcome::UpToDate);
    assert!(matched.held_back.is_empty());
}

#[test]
fn esrt_raw_version_renders_in_release_format() {
    let mut device = Device::new(DeviceKind::UefiEsrt, "esrt/ddc0ee61");
    device.version = "65586".to_owned();
    device.version_raw = Some(65586);
    device.version_format = "number".to_owned();
    device.version_lowest = Some("65582".to_owned());
    device.add_instance_id(INSTANCE_ID);
    // 65586 is 0x00010032, which a triplet renders as 0.1.50 and 65582 as 0.1.46.
    let mut next = triplet("next", "0.1.51");
    next.lowest_supported_version = Some("0.1.46".to_owned());
    let current = triplet("current", "0.1.50");

    let matched = run(&device, vec![next, current.clone()]);
    let equal = run(&device, vec![current]);

    assert_eq!(matched.outcome, update("next"));
    assert!(matched.held_back.is_empty());
    assert_eq!(equal.outcome, Outcome::UpToDate);
}

#[test]
fn esrt_lowest_below_release_holds_back() {
    let mut device = Device::new(DeviceKind::UefiEsrt, "esrt/ddc0ee61");
    device.version = "65586".to_owned();
    device.version_raw = Some(65586);
    device.version_format = "number".to_owned();
    device.version_lowest = Some("131072".to_owned());
    device.add_instance_id(INSTANCE_ID);

    let matched = run(&device, vec![triplet("r", "0.1.60")]);

    assert_eq!(
        matched.held_back[0].1,
        HoldReason::BelowDeviceLowest {
            version: "0.1.60".to_owned(),
            device_lowest: "0.2.0".to_owned(),
        }
    );
}

#[test]
fn incomparable_formats_are_held_back_with_reason() {
    let device = device("GJET75WW", "plain");

    let matched = run(&device, vec![triplet("r", "1.2.3")]);

    assert_eq!(matched.outcome, Outcome::NoReleases);
    let (id, reason) = &matched.held_back[0];
    assert_eq!(id, "r");
    assert_eq!(
        reason.to_string(),
        "cannot compare versions: device reports GJET75WW as plain, release uses triplet"
    );
}

#[test]
fn incomparable_lowest_is_held_back() {
    let mut device = device("0x10", "hex");
    device.version_raw = Some(16);
    device.version_lowest = Some("v2".to_owned());

    let matched = run(&device, vec![release("r", "17", "number")]);

    assert!(matches!(
        &matched.held_back[0].1,
        HoldReason::IncomparableLowest { lowest, .. } if lowest == "v2"
    ));
}

#[test]
fn hex_device_compares_with_number_release() {
    let mut device = device("0xf4", "hex");
    device.version_raw = Some(0xf4);

    let newer = run(&device, vec![release("r", "245", "number")]);
    let same_format = run(&device, vec![release("r", "0x000000f4", "hex")]);

    assert_eq!(newer.outcome, update("r"));
    assert_eq!(same_format.outcome, Outcome::UpToDate);
}

#[test]
fn usb_raw_version_renders_as_16_bits() {
    let mut device = Device::new(DeviceKind::Usb, "usb/1-2");
    device.version = "3.20".to_owned();
    device.version_format = "bcd".to_owned();
    device.version_raw = Some(0x0320);
    device.add_instance_id(INSTANCE_ID);

    // As a 16-bit pair, 0x0320 is 3.32; as a 32-bit pair it would be 0.800.
    let matched = run(&device, vec![release("r", "3.33", "pair")]);

    assert_eq!(matched.outcome, update("r"));
}

#[test]
fn empty_device_version_is_held_back() {
    let device = device("", "plain");

    let matched = run(&device, vec![release("r", "2", "plain")]);

    assert_eq!(matched.held_back[0].1, HoldReason::NoDeviceVersion);
}

#[test]
fn unknown_release_format_is_held_back() {
    let device = device("1.0.0", "triplet");

    let matched = run(&device, vec![release("r", "2.0.0", "quintuple")]);

    assert_eq!(
        matched.held_back[0].1,
        HoldReason::UnknownReleaseFormat {
            format: "quintuple".to_owned()
        }
    );
}
