//! Property tests: matching never panics on arbitrary versions, and the streaming reader
//! agrees with the full parser on arbitrary edits of a valid catalog.

use proptest::prelude::*;

use crate::catalog::document::{DocumentError, ValidateOptions};
use crate::matching::{read_for_machine, update_entries, MachineIds};

use super::*;

const FORMATS: &[&str] = &[
    "plain",
    "number",
    "pair",
    "triplet",
    "quad",
    "bcd",
    "intel-me",
    "intel-me2",
    "surface",
    "surface-legacy",
    "dell-bios",
    "dell-bios-msb",
    "hex",
    "unknown",
    "quintuple",
    "",
];

fn format() -> impl Strategy<Value = String> {
    prop::sample::select(FORMATS).prop_map(str::to_owned)
}

/// Version-like text: digits, dots and a few other characters, or anything at all.
fn version() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9.]{0,12}",
        "(0x)?[0-9a-f]{1,10}",
        "[0-9a-zA-Z.~+ -]{0,16}",
        any::<String>(),
    ]
}

fn kind() -> impl Strategy<Value = DeviceKind> {
    prop::sample::select(vec![DeviceKind::Pci, DeviceKind::Usb, DeviceKind::UefiEsrt])
}

prop_compose! {
    fn arbitrary_device()(
        version in version(),
        format in format(),
        raw in prop::option::of(any::<u64>()),
        lowest in prop::option::of(version()),
        kind in kind(),
    ) -> Device {
        let mut device = device(&version, &format);
        device.kind = kind;
        device.version_raw = raw;
        device.version_lowest = lowest;
        device
    }
}

prop_compose! {
    fn arbitrary_release()(
        version in version(),
        format in format(),
        lowest in prop::option::of(version()),
        listed in prop::collection::vec(version(), 0..3),
        min in prop::option::of(version()),
        max in prop::option::of(version()),
        id in 0u32..1000,
    ) -> Release {
        let mut release = release(&format!("r{id}"), &version, &format);
        release.lowest_supported_version = lowest;
        if !listed.is_empty() || min.is_some() || max.is_some() {
            release.replaces = Some(Replaces { versions: listed, min, max });
        }
        release
    }
}

proptest! {
    #[test]
    fn matching_never_panics(
        device in arbitrary_device(),
        releases in prop::collection::vec(arbitrary_release(), 0..6),
    ) {
        let catalog = catalog(releases);
        let matcher = Matcher::new(&catalog, &[]);

        let found = matcher.match_device(&device);
        let entries = update_entries(std::slice::from_ref(&found));

        for held in &found.held_back {
            prop_assert!(!held.reason.to_string().is_empty());
        }
        prop_assert!(entries.len() <= catalog.releases.len());
    }

    #[test]
    fn offered_release_is_newer_in_same_format(
        current in "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}",
        releases in prop::collection::vec("[0-9]{1,3}(\\.[0-9]{1,3}){0,3}", 0..6),
    ) {
        let device = device(&current, "quad");
        let releases: Vec<Release> = releases
            .iter()
            .enumerate()
            .map(|(index, version)| release(&format!("r{index}"), version, "quad"))
            .collect();
        let catalog = catalog(releases);

        let found = Matcher::new(&catalog, &[]).match_device(&device);

        if let MatchStatus::UpdateAvailable { newest, others } = &found.status {
            for offered in std::iter::once(newest).chain(others) {
                let order = crate::version::compare(
                    &offered.version,
                    &current,
                    crate::version::VersionFormat::Quad,
                );
                prop_assert_eq!(order, std::cmp::Ordering::Greater);
            }
        }
    }

    #[test]
    fn stream_reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let machine = MachineIds::default();

        let _ = read_for_machine(&bytes, &ValidateOptions::default(), &machine);
    }

    #[test]
    fn stream_agrees_with_full_parser_on_edits(
        position in any::<prop::sample::Index>(),
        replacement in "[\\[\\]{}\",:0-9a-z .-]{0,3}",
        truncate in any::<bool>(),
    ) {
        let text = full_catalog_text();
        let at = position.index(text.len() + 1);
        let edited = if truncate {
            text[..at].to_owned()
        } else {
            let end = (at + replacement.len()).min(text.len());
            format!("{}{replacement}{}", &text[..at], &text[end..])
        };
        let options = ValidateOptions::default();
        let machine = MachineIds::from_parts(&[device("1.0.0", "triplet")], &[]);

        let full = Catalog::parse(edited.as_bytes(), &options);
        let streamed = read_for_machine(edited.as_bytes(), &options, &machine);

        match (full, streamed) {
            (Ok(full), Ok(streamed)) => {
                let expected: Vec<Release> =
                    full.releases.into_iter().filter(|r| machine.matches(r)).collect();
                prop_assert_eq!(streamed.catalog.releases, expected);
            }
            (Err(full), Err(streamed)) => prop_assert_eq!(describe(&full), describe(&streamed)),
            (full, streamed) => prop_assert!(false, "disagree: {full:?} / {streamed:?}"),
        }
    }
}

fn describe(error: &DocumentError) -> String {
    use std::error::Error;
    match error.source() {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

/// Builds a valid catalog in compact JSON with matching and non-matching releases.
fn full_catalog_text() -> String {
    let mut foreign = triplet("foreign", "3.0.0");
    foreign.devices.instance_ids = vec!["USB\\VID_1234&PID_0001".to_owned()];
    let mut bounded = triplet("bounded", "2.0.0");
    bounded.replaces = replaces(&["1.0.0"], Some("0.5.0"), None);
    let catalog = catalog(vec![triplet("mine", "1.1.0"), foreign, bounded]);
    serde_json::to_string(&catalog).unwrap()
}
