//! The streaming reader against the full parser: same accepted releases, same errors.

use std::error::Error;

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::catalog::document::{DocumentError, ValidateOptions, MAX_CATALOG_SIZE, MAX_RELEASES};
use crate::catalog::minisign::{SecretKey, SignOptions};
use crate::catalog::CatalogError;
use crate::matching::{read_for_machine, verify_for_machine, FilteredCatalog, MachineIds};

use super::*;

fn machine() -> MachineIds {
    MachineIds::from_parts(&[device("1.0.0", "triplet")], &[MACHINE_HWID.to_owned()])
}

/// Builds a release for a device that this machine does not have.
fn foreign(id: &str) -> Release {
    let mut release = triplet(id, "2.0.0");
    release.devices.instance_ids = vec!["USB\\VID_413C&PID_B06E".to_owned()];
    release
}

/// Builds a catalog with one release for this machine, one for another device and one
/// for the test device on another machine.
fn sample() -> Value {
    let mut other_machine = triplet("other-machine", "2.1.0");
    other_machine.hardware_ids = vec!["00000000-1111-2222-3333-444444444444".to_owned()];
    let releases = vec![triplet("mine", "2.0.0"), foreign("foreign"), other_machine];
    serde_json::to_value(catalog(releases)).unwrap()
}

/// Describes an error with its source, which carries serde_json's message and position.
fn describe(error: &DocumentError) -> String {
    match error.source() {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

/// Reads `bytes` with both readers, checks that they agree and returns the streamed result.
fn read_both(bytes: &[u8]) -> Result<FilteredCatalog, String> {
    let options = ValidateOptions::default();
    let full = Catalog::parse(bytes, &options).map_err(|error| describe(&error));
    let streamed = read_for_machine(bytes, &options, &machine()).map_err(|e| describe(&e));

    match (&full, &streamed) {
        (Ok(full), Ok(streamed)) => {
            let machine = machine();
            let expected: Vec<&Release> = full
                .releases
                .iter()
                .filter(|r| machine.matches(r))
                .collect();
            let kept: Vec<&Release> = streamed.catalog.releases.iter().collect();
            assert_eq!(kept, expected);
            assert_eq!(streamed.total_releases, full.releases.len());
            let header = Catalog {
                releases: Vec::new(),
                ..full.clone()
            };
            let streamed_header = Catalog {
                releases: Vec::new(),
                ..streamed.catalog.clone()
            };
            assert_eq!(streamed_header, header);
        }
        (Err(full), Err(streamed)) => assert_eq!(streamed, full),
        _ => panic!("readers disagree: full {full:?}, streamed {streamed:?}"),
    }
    streamed
}

fn read_value(value: &Value) -> Result<FilteredCatalog, String> {
    read_both(value.to_string().as_bytes())
}

/// Reads an invalid document with both readers and returns the shared error text.
fn rejected(bytes: &[u8]) -> String {
    match read_both(bytes) {
        Ok(_) => panic!("document accepted: {}", String::from_utf8_lossy(bytes)),
        Err(error) => error,
    }
}

#[test]
fn stream_keeps_only_machine_releases() {
    let filtered = read_value(&sample()).unwrap();

    let kept: Vec<&str> = filtered
        .catalog
        .releases
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(kept, ["mine"]);
    assert_eq!(filtered.total_releases, 3);
    assert_eq!(filtered.catalog.remote_id, "lab");
}

#[test]
fn stream_accepts_catalog_without_releases() {
    let mut value = sample();
    value.as_object_mut().unwrap().remove("releases");

    let filtered = read_value(&value).unwrap();

    assert!(filtered.catalog.releases.is_empty());
    assert_eq!(filtered.total_releases, 0);
}

#[test]
fn stream_accepts_header_after_releases() {
    let text = r#"{"releases": [], "expires": "2025-07-01T00:00:00Z", "serial": 4,
        "issued": "2025-06-01T00:00:00Z", "remote_id": "lab", "format_version": 1}"#;

    let filtered = read_both(text.as_bytes()).unwrap();

    assert_eq!(filtered.catalog.serial, 4);
}

#[test]
fn stream_rejects_empty_oversized_and_non_utf8() {
    let oversized = vec![b' '; MAX_CATALOG_SIZE + 1];

    assert_eq!(rejected(b""), "the catalog is empty");
    assert!(rejected(&oversized).contains("more than the maximum"));
    assert_eq!(
        rejected(b"{\"remote_id\": \"\xff\"}"),
        "the catalog is not valid UTF-8 text"
    );
}

#[test]
fn stream_rejects_truncated_and_trailing_text() {
    let text = sample().to_string();

    let truncated = rejected(&text.as_bytes()[..text.len() / 2]);
    let trailing = rejected(format!("{text}\n{{}}").as_bytes());

    assert!(truncated.contains("EOF while parsing"), "{truncated}");
    assert!(trailing.contains("trailing characters"), "{trailing}");
}

#[test]
fn stream_rejects_non_object_documents() {
    for text in ["[]", "null", "1", "\"catalog\"", "[1]", "[1, 2]"] {
        let full = Catalog::parse(text.as_bytes(), &ValidateOptions::default());
        let streamed = read_for_machine(text.as_bytes(), &ValidateOptions::default(), &machine());

        assert!(
            matches!(full, Err(DocumentError::NotObject { .. })),
            "full {text}"
        );
        assert!(
            matches!(streamed, Err(DocumentError::NotObject { .. })),
            "streamed {text}"
        );
    }
}

#[test]
fn stream_rejects_format_version_problems() {
    let mut missing = sample();
    missing.as_object_mut().unwrap().remove("format_version");
    let mut newer = sample();
    newer["format_version"] = json!(2);
    newer["releases"] = json!("a different shape");

    assert_eq!(
        rejected(missing.to_string().as_bytes()),
        "the catalog has no format_version field"
    );
    assert!(rejected(newer.to_string().as_bytes()).contains("format version 2"));
}

#[test]
fn stream_rejects_unknown_and_duplicate_fields() {
    let mut unknown = sample();
    unknown["mirrors"] = json!([]);
    let duplicate = r#"{"format_version": 1, "remote_id": "lab", "serial": 1, "serial": 2,
        "issued": "2025-06-01T00:00:00Z", "expires": "2025-07-01T00:00:00Z"}"#;
    let duplicate_releases = r#"{"format_version": 1, "remote_id": "lab", "serial": 1,
        "issued": "2025-06-01T00:00:00Z", "expires": "2025-07-01T00:00:00Z",
        "releases": [], "releases": []}"#;

    assert!(rejected(unknown.to_string().as_bytes()).contains("unknown field `mirrors`"));
    assert!(rejected(duplicate.as_bytes()).contains("duplicate field `serial`"));
    assert!(rejected(duplicate_releases.as_bytes()).contains("duplicate field `releases`"));
}

#[test]
fn stream_rejects_missing_header_fields() {
    for field in ["remote_id", "serial", "issued", "expires"] {
        let mut value = sample();
        value.as_object_mut().unwrap().remove(field);

        let error = rejected(value.to_string().as_bytes());

        assert!(
            error.contains(&format!("missing field `{field}`")),
            "{error}"
        );
    }
}

#[test]
fn stream_rejects_wrong_types() {
    for (field, wrong) in [
        ("serial", json!("7")),
        ("issued", json!(0)),
        ("releases", Value::Null),
        ("releases", json!({})),
        ("remote_id", json!(["lab"])),
    ] {
        let mut value = sample();
        value[field] = wrong;

        let error = rejected(value.to_string().as_bytes());

        assert!(error.contains("invalid type"), "{field}: {error}");
    }
}

#[test]
fn stream_rejects_invalid_header_values() {
    let mut bad_remote = sample();
    bad_remote["remote_id"] = json!("lab one");
    let mut expired_first = sample();
    expired_first["expires"] = json!("2025-05-01T00:00:00Z");

    assert!(rejected(bad_remote.to_string().as_bytes()).contains("field remote_id"));
    assert!(rejected(expired_first.to_string().as_bytes()).contains("field expires"));
}

#[test]
fn stream_validates_releases_it_drops() {
    let mut value = sample();
    value["releases"][1]["devices"]["guids"] = json!(["not-a-guid"]);

    let error = rejected(value.to_string().as_bytes());

    assert!(error.contains("release \"foreign\" (index 1)"), "{error}");
    assert!(error.contains("devices.guids[0]"), "{error}");
}

#[test]
fn stream_reports_json_error_after_invalid_release() {
    let mut value = sample();
    value["releases"][0]["cves"] = json!(["CVE-1"]);
    value["releases"][2]["channel"] = json!("beta");

    let error = rejected(value.to_string().as_bytes());

    assert!(error.contains("unknown field `channel`"), "{error}");
}

#[test]
fn stream_rejects_duplicate_ids_before_conflicts() {
    let mut value = sample();
    value["releases"][2]["payload"]["path"] = value["releases"][1]["payload"]["path"].clone();
    value["releases"][2]["payload"]["size"] = json!(1);
    let mut duplicate = value.clone();
    duplicate["releases"][2]["id"] = json!("foreign");

    let conflict = rejected(value.to_string().as_bytes());
    let repeated = rejected(duplicate.to_string().as_bytes());

    assert!(
        conflict.contains("release at index 1 with another sha256"),
        "{conflict}"
    );
    assert!(
        repeated.contains("repeats the id of the release at index 1"),
        "{repeated}"
    );
}

#[test]
fn stream_accepts_shared_payload_with_same_digest() {
    let mut value = sample();
    value["releases"][2]["payload"] = value["releases"][1]["payload"].clone();
    let digest = value["releases"][1]["payload"]["sha256"]
        .as_str()
        .unwrap()
        .to_uppercase();
    value["releases"][2]["payload"]["sha256"] = json!(digest);

    assert!(read_value(&value).is_ok());
}

#[test]
fn stream_rejects_too_many_releases() {
    // The shortest release that deserializes, so the test stays fast in debug builds.
    let one = r#"{"id":"r","name":"n","summary":"s","devices":{"guids":[]},"version":"1",
        "version_format":"plain","severity":"low","release_date":"2025-01-01",
        "install_method":"kmod","payload":{"path":"p","sha256":"","size":1},
        "rollout":{"ring":"broad","percentage":0}}"#
        .replace(char::is_whitespace, "");
    let releases = vec![one.as_str(); MAX_RELEASES + 1].join(",");
    let text = format!(
        r#"{{"format_version": 1, "remote_id": "lab", "serial": 1,
        "issued": "2025-06-01T00:00:00Z", "expires": "2025-07-01T00:00:00Z",
        "releases": [{releases}]}}"#
    );

    let error = rejected(text.as_bytes());

    assert!(
        error.contains(&format!("has {} entries", MAX_RELEASES + 1)),
        "{error}"
    );
}

fn signed(key: &SecretKey, bytes: &[u8]) -> String {
    let options = SignOptions::for_file("catalog.json", Timestamp::UNIX_EPOCH);
    key.sign(bytes, &options).unwrap().to_file_text()
}

#[test]
fn verify_for_machine_keeps_machine_releases() {
    let key = SecretKey::generate();
    let bytes = sample().to_string().into_bytes();
    let signature = signed(&key, &bytes);
    let options = ValidateOptions::default();

    let result = verify_for_machine(
        &[key.public_key()],
        &bytes,
        signature.as_bytes(),
        &options,
        &machine(),
    )
    .unwrap();

    assert_eq!(result.total_releases, 3);
    assert_eq!(result.verified.key_id, key.key_id());
    assert_eq!(result.verified.catalog.releases.len(), 1);
}

#[test]
fn verify_for_machine_rejects_tampered_bytes() {
    let key = SecretKey::generate();
    let bytes = sample().to_string().into_bytes();
    let signature = signed(&key, &bytes);
    let tampered = bytes.replace_first(b"2.0.0", b"9.0.0");

    let result = verify_for_machine(
        &[key.public_key()],
        &tampered,
        signature.as_bytes(),
        &ValidateOptions::default(),
        &machine(),
    );

    let Err(CatalogError::Signature(error)) = result else {
        panic!("expected a signature error, got {result:?}");
    };
    assert!(error.is_rejection());
}

/// Replaces the first occurrence of a byte string, for tampering tests.
trait ReplaceFirst {
    fn replace_first(&self, from: &[u8], to: &[u8]) -> Vec<u8>;
}

impl ReplaceFirst for Vec<u8> {
    fn replace_first(&self, from: &[u8], to: &[u8]) -> Vec<u8> {
        let start = self.windows(from.len()).position(|w| w == from).unwrap();
        [&self[..start], to, &self[start + from.len()..]].concat()
    }
}
