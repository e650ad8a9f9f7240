//! The readers of catalog documents against a reference reader that reads the format
//! version in a pass of its own and then deserializes owned releases. They must accept
//! the same documents and fail with the same messages.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::super::{read_document, Catalog, DocumentError, ValidateOptions, VersionProbe};
use super::super::{FORMAT_VERSION, MAX_CATALOG_SIZE};
use super::*;
use crate::matching::{read_for_machine, MachineIds};

const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// Reads a document in the order of the format's errors, one step at a time: size,
/// encoding, a value other than an object, a pass for the format version, a pass that deserializes owned releases, and
/// validation.
fn reference_parse(bytes: &[u8]) -> Result<Catalog, DocumentError> {
    if bytes.is_empty() {
        return Err(DocumentError::Empty);
    }
    if bytes.len() > MAX_CATALOG_SIZE {
        let (size, max) = (bytes.len(), MAX_CATALOG_SIZE);
        return Err(DocumentError::TooLarge { size, max });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| DocumentError::NotUtf8)?;
    if let Some(found) = super::super::non_object_kind(text) {
        return Err(DocumentError::NotObject { found });
    }
    let probe: VersionProbe = serde_json::from_str(text)?;
    match probe.format_version {
        None => return Err(DocumentError::MissingFormatVersion),
        Some(found) if found != u64::from(FORMAT_VERSION) => {
            return Err(DocumentError::UnsupportedFormatVersion { found });
        }
        Some(_) => {}
    }
    let catalog: Catalog = serde_json::from_str(text)?;
    catalog.validate(&ValidateOptions::default())?;
    Ok(catalog)
}

/// Returns the error with its source, as logs and D-Bus errors show it.
fn describe(error: &DocumentError) -> String {
    use std::error::Error;
    match error.source() {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

/// Checks that the full parser and the streaming reader agree with the reference.
fn assert_same_as_reference(bytes: &[u8]) {
    let options = ValidateOptions::default();
    let expected = reference_parse(bytes);
    let parsed = Catalog::parse(bytes, &options);
    let streamed = read_for_machine(bytes, &options, &MachineIds::default());

    match (&expected, &parsed, &streamed) {
        (Ok(expected), Ok(parsed), Ok(streamed)) => {
            assert_eq!(parsed, expected);
            assert_eq!(streamed.total_releases, expected.releases.len());
            assert_eq!(streamed.catalog.serial, expected.serial);
        }
        (Err(expected), Err(parsed), Err(streamed)) => {
            assert_eq!(describe(parsed), describe(expected));
            assert_eq!(describe(streamed), describe(expected));
        }
        _ => panic!("readers disagree: {expected:?} / {parsed:?} / {streamed:?}"),
    }
}

fn release(id: &str) -> Value {
    json!({
        "id": id,
        "name": "NIC firmware",
        "summary": "Fixes link drops",
        "description": "Line one.\nLine two.",
        "vendor": "Acme",
        "devices": {
            "guids": ["f9203adb-b862-5263-88e9-373204438174"],
            "instance_ids": ["PCI\\VEN_8086&DEV_15BB"],
        },
        "hardware_ids": ["6ba7b810-9dad-11d1-80b4-00c04fd430c8"],
        "version": "2.1.0",
        "version_format": "triplet",
        "replaces": { "versions": ["2.0.0"], "min": "1.0.0" },
        "lowest_supported_version": "0.9.0",
        "severity": "high",
        "cves": ["CVE-2024-12345"],
        "known_exploited": true,
        "release_date": "2025-05-30",
        "install_method": "uefi-capsule",
        "payload": { "path": "firmware/nic.cap", "sha256": SHA256, "size": 4096 },
        "reboot_required": true,
        "rollout": { "ring": "broad", "percentage": 100 },
    })
}

fn catalog_text() -> String {
    let catalog = json!({
        "format_version": 1,
        "remote_id": "lab",
        "serial": 7,
        "issued": "2025-06-01T00:00:00Z",
        "expires": "2025-07-01T00:00:00Z",
        "releases": [release("nic-fw-2.1.0"), release("nic-fw-2.2.0")],
    });
    serde_json::to_string(&catalog).unwrap()
}

#[test]
fn valid_catalog_reads_the_same() {
    let text = catalog_text();

    assert_same_as_reference(text.as_bytes());
    let catalog = Catalog::parse(text.as_bytes(), &ValidateOptions::default()).unwrap();
    assert_eq!(catalog.releases.len(), 2);
}

#[test]
fn escaped_text_reads_the_same() {
    let text = catalog_text().replace("nic-fw-2.1.0", "nic\\u002dfw-2.1.0");

    assert_same_as_reference(text.as_bytes());
    let catalog = Catalog::parse(text.as_bytes(), &ValidateOptions::default()).unwrap();
    assert_eq!(catalog.releases[0].id, "nic-fw-2.1.0");
}

#[test]
fn borrowed_release_round_trips_to_owned() {
    let text = release("nic-fw-2.1.0").to_string();
    let owned: Release = serde_json::from_str(&text).unwrap();

    let borrowed: BorrowedRelease = serde_json::from_str(&text).unwrap();

    assert!(matches!(borrowed.id.0, std::borrow::Cow::Borrowed(_)));
    assert_eq!(BorrowedRelease::from(&owned), borrowed);
    assert_eq!(borrowed.into_owned(), owned);
}

#[test]
fn wrong_types_fail_the_same() {
    let cases = [
        ("\"name\":\"NIC firmware\"", "\"name\":5"),
        ("\"vendor\":\"Acme\"", "\"vendor\":[]"),
        ("\"vendor\":\"Acme\"", "\"vendor\":null"),
        ("\"severity\":\"high\"", "\"severity\":{}"),
        (
            "\"cves\":[\"CVE-2024-12345\"]",
            "\"cves\":\"CVE-2024-12345\"",
        ),
        ("\"guids\":[\"f9203adb", "\"guids\":[7,\"f9203adb"),
        ("\"size\":4096", "\"size\":\"4096\""),
        ("\"ring\":\"broad\"", "\"ring\":true"),
        ("\"percentage\":100", "\"percentage\":-1"),
        ("\"min\":\"1.0.0\"", "\"min\":1.0"),
    ];
    for (from, to) in cases {
        let text = catalog_text().replacen(from, to, 1);
        assert_ne!(text, catalog_text(), "{from} not found");

        assert_same_as_reference(text.as_bytes());
    }
}

#[test]
fn field_errors_fail_the_same() {
    let cases = [
        (
            "\"vendor\":\"Acme\"",
            "\"vendor\":\"Acme\",\"colour\":\"red\"",
        ),
        (
            "\"vendor\":\"Acme\"",
            "\"vendor\":\"Acme\",\"vendor\":\"Acme\"",
        ),
        ("\"name\":\"NIC firmware\",", ""),
        ("\"size\":4096", "\"size\":4096,\"mirror\":1"),
        ("\"serial\":7", "\"serial\":7,\"colour\":1"),
        ("\"serial\":7,", ""),
    ];
    for (from, to) in cases {
        let text = catalog_text().replacen(from, to, 1);

        assert_same_as_reference(text.as_bytes());
    }
}

#[test]
fn format_version_errors_come_first() {
    let texts = [
        catalog_text().replace("\"format_version\":1", "\"format_version\":2,\"new\":1"),
        catalog_text().replace("\"format_version\":1,", ""),
        catalog_text().replace("\"format_version\":1", "\"format_version\":null"),
        catalog_text().replace("\"format_version\":1", "\"format_version\":1.5"),
        catalog_text().replace("\"format_version\":1", "\"format_version\":4294967297"),
        catalog_text().replace("\"serial\":7", "\"serial\":\"7\",\"format_version\":1"),
    ];
    for text in texts {
        assert_same_as_reference(text.as_bytes());
    }
}

#[test]
fn other_json_values_fail_the_same() {
    let texts = [
        "[1, \"lab\", 7, \"2025-06-01T00:00:00Z\", \"2025-07-01T00:00:00Z\", []]",
        "[1]",
        "  \n\"catalog\"",
        "null",
        "{}",
        "{\"format_version\": 1} trailing",
        "\u{feff}{\"format_version\": 1}",
    ];
    for text in texts {
        assert_same_as_reference(text.as_bytes());
    }
}

#[test]
fn invalid_releases_fail_the_same() {
    let cases = [
        ("\"severity\":\"high\"", "\"severity\":\"urgent\""),
        (
            "\"install_method\":\"uefi-capsule\"",
            "\"install_method\":\"floppy\"",
        ),
        (
            "\"version_format\":\"triplet\"",
            "\"version_format\":\"Triplet\"",
        ),
        ("\"ring\":\"broad\"", "\"ring\":\"wide\""),
        ("f9203adb-b862", "f9203adb-b86"),
        ("6ba7b810-9dad", "6ba7b810-9dad-"),
        ("\"nic-fw-2.2.0\"", "\"nic-fw-2.1.0\""),
        ("\"firmware/nic.cap\"", "\"../nic.cap\""),
    ];
    for (from, to) in cases {
        let text = catalog_text().replacen(from, to, 1);
        assert_ne!(text, catalog_text(), "{from} not found");

        assert_same_as_reference(text.as_bytes());
    }
}

#[test]
fn failed_read_probes_format_version() {
    let text = "{\"format_version\": 3, \"x\": [}";

    let result = read_document(text.as_bytes(), serde_json::from_str::<Catalog>, |c| {
        c.format_version
    });

    let error = result.unwrap_err();
    assert!(matches!(error, DocumentError::Json(_)), "{error:?}");
}

proptest! {
    #[test]
    fn edited_catalogs_read_the_same(
        position in any::<prop::sample::Index>(),
        replacement in "[\\[\\]{}\",:0-9a-zA-Z .\\\\-]{0,4}",
        length in 0usize..4,
        truncate in any::<bool>(),
    ) {
        let text = catalog_text();
        let at = position.index(text.len() + 1);
        let edited = if truncate {
            text[..at].to_owned()
        } else {
            let end = (at + length).min(text.len());
            format!("{}{replacement}{}", &text[..at], &text[end..])
        };

        assert_same_as_reference(edited.as_bytes());
    }

    #[test]
    fn arbitrary_json_reads_the_same(text in "[\\[\\]{}\",:0-9a-z _.\\\\-]{0,64}") {
        let prefixed = format!("{{\"format_version\":1,{text}");

        assert_same_as_reference(text.as_bytes());
        assert_same_as_reference(prefixed.as_bytes());
    }
}
