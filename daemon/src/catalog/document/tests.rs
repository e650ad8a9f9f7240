use serde_json::{json, Value};

use super::*;

const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn sample() -> Value {
    json!({
        "format_version": 1,
        "remote_id": "acme-lab",
        "serial": 7,
        "issued": "2025-06-01T00:00:00Z",
        "expires": "2025-07-01T00:00:00Z",
        "releases": [release("nic-fw-2.1.0", "firmware/nic-2.1.0.cap")],
    })
}

fn release(id: &str, path: &str) -> Value {
    json!({
        "id": id,
        "name": "NIC firmware",
        "summary": "Fixes link drops",
        "devices": { "guids": ["f9203adb-b862-5263-88e9-373204438174"] },
        "version": "2.1.0",
        "version_format": "triplet",
        "severity": "high",
        "cves": ["CVE-2024-12345"],
        "release_date": "2025-05-30",
        "install_method": "uefi-capsule",
        "payload": { "path": path, "sha256": SHA256, "size": 4096 },
        "rollout": { "ring": "broad", "percentage": 100 },
    })
}

fn parse(value: &Value) -> Result<Catalog, DocumentError> {
    Catalog::parse(value.to_string().as_bytes(), &ValidateOptions::default())
}

fn parse_with(value: &Value, options: &ValidateOptions) -> Result<Catalog, DocumentError> {
    Catalog::parse(value.to_string().as_bytes(), options)
}

/// Parses `value` and returns the validation error it must produce.
fn invalid(value: &Value) -> ValidationError {
    match parse(value) {
        Err(DocumentError::Invalid(error)) => error,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Sets or adds `field` of the first release, where `field` is a JSON pointer.
fn with_release_field(field: &str, new: Value) -> Value {
    let mut value = sample();
    let (parent, key) = field.rsplit_once('/').unwrap();
    let parent = value.pointer_mut(&format!("/releases/0{parent}")).unwrap();
    parent[key] = new;
    value
}

fn release_problem(field: &str, new: Value) -> (String, Problem) {
    let error = invalid(&with_release_field(field, new));
    assert_eq!(error.release.as_ref().unwrap().id, "nic-fw-2.1.0");
    (error.field, error.problem)
}

fn markdown_json_example() -> String {
    let docs = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/catalog.md"));
    let start = docs.find("```json\n").unwrap() + "```json\n".len();
    let length = docs[start..].find("```").unwrap();
    docs[start..start + length].to_owned()
}

#[test]
fn sample_catalog_parses() {
    let catalog = parse(&sample()).unwrap();

    let release = catalog.release("nic-fw-2.1.0").unwrap();
    assert_eq!(catalog.serial, 7);
    assert_eq!(release.severity, Severity::High);
    assert_eq!(release.install_method, InstallMethod::UefiCapsule);
    assert_eq!(release.rollout.ring, Ring::Broad);
    assert!(!release.known_exploited);
    assert!(!release.reboot_required);
}

#[test]
fn docs_example_catalog_parses() {
    let example = markdown_json_example();

    // The example fetches one payload from another host, which its remote allows.
    let options = ValidateOptions {
        catalog_host: None,
        allow_other_hosts: true,
    };

    let catalog = Catalog::parse(example.as_bytes(), &options).unwrap();

    assert_eq!(catalog.to_json(), example);
}

#[test]
fn catalog_round_trips_through_json() {
    let catalog = parse(&sample()).unwrap();

    let reparsed = Catalog::parse(catalog.to_json().as_bytes(), &ValidateOptions::default());

    assert_eq!(reparsed.unwrap(), catalog);
}

#[test]
fn expiry_is_checked_against_now() {
    let catalog = parse(&sample()).unwrap();

    assert!(!catalog.is_expired_at("2025-06-30T23:59:59Z".parse().unwrap()));
    assert!(catalog.is_expired_at("2025-07-01T00:00:00Z".parse().unwrap()));
}

#[test]
fn empty_document_is_rejected() {
    let result = Catalog::parse(b"", &ValidateOptions::default());

    assert!(matches!(result, Err(DocumentError::Empty)));
}

#[test]
fn oversized_document_is_rejected() {
    let bytes = vec![b' '; MAX_CATALOG_SIZE + 1];

    let result = Catalog::parse(&bytes, &ValidateOptions::default());

    assert!(matches!(result, Err(DocumentError::TooLarge { size, .. }) if size == bytes.len()));
}

#[test]
fn non_utf8_document_is_rejected() {
    let result = Catalog::parse(b"{\"remote_id\": \"\xff\"}", &ValidateOptions::default());

    assert!(matches!(result, Err(DocumentError::NotUtf8)));
}

#[test]
fn malformed_json_is_rejected() {
    let text = sample().to_string();
    let truncated = &text[..text.len() / 2];

    let result = Catalog::parse(truncated.as_bytes(), &ValidateOptions::default());

    assert!(matches!(result, Err(DocumentError::Json(_))));
}

#[test]
fn trailing_garbage_is_rejected() {
    let text = format!("{}\n{{}}", sample());

    let result = Catalog::parse(text.as_bytes(), &ValidateOptions::default());

    assert!(matches!(result, Err(DocumentError::Json(_))));
}

#[test]
fn non_object_document_is_rejected() {
    for text in ["[]", "null", "1", "\"catalog\""] {
        let result = Catalog::parse(text.as_bytes(), &ValidateOptions::default());

        assert!(
            matches!(result, Err(DocumentError::NotObject { .. })),
            "document {text}"
        );
    }
}

#[test]
fn non_object_error_names_no_rust_type() {
    let cases = [
        ("null", "the catalog is JSON null, not a JSON object"),
        (
            "[\n  1,\n  2\n]",
            "the catalog is a JSON array, not a JSON object",
        ),
    ];
    for (text, expected) in cases {
        let error = Catalog::parse(text.as_bytes(), &ValidateOptions::default()).unwrap_err();

        let message = error.to_string();
        assert!(message.starts_with(expected), "{message}");
        assert!(!message.contains("VersionProbe"), "{message}");
        assert!(!message.contains("trailing characters"), "{message}");
    }
}

#[test]
fn missing_format_version_is_rejected() {
    let mut value = sample();
    value.as_object_mut().unwrap().remove("format_version");

    assert!(matches!(
        parse(&value),
        Err(DocumentError::MissingFormatVersion)
    ));
}

#[test]
fn unknown_format_version_is_rejected() {
    let mut value = sample();
    value["format_version"] = json!(2);
    // A later format may change other fields too; the version error must win.
    value["releases"] = json!("a different shape");

    let error = parse(&value).unwrap_err();

    assert!(matches!(
        error,
        DocumentError::UnsupportedFormatVersion { found: 2 }
    ));
    assert!(error.to_string().contains("update hwupd"));
}

#[test]
fn unknown_field_is_rejected() {
    let value = with_release_field("/payload/signature", json!("x"));

    assert!(matches!(parse(&value), Err(DocumentError::Json(_))));
}

#[test]
fn expiry_before_issue_is_rejected() {
    let mut value = sample();
    value["expires"] = value["issued"].clone();

    let error = invalid(&value);

    assert_eq!(error.release, None);
    assert_eq!(error.field, "expires");
    assert!(matches!(error.problem, Problem::ExpiresBeforeIssued { .. }));
}

#[test]
fn invalid_remote_id_is_rejected() {
    let mut value = sample();
    value["remote_id"] = json!("acme lab");

    let error = invalid(&value);

    assert_eq!(error.field, "remote_id");
    assert_eq!(
        error.problem,
        Problem::InvalidId {
            value: "acme lab".to_owned()
        }
    );
}

#[test]
fn duplicate_release_id_is_rejected() {
    let mut value = sample();
    value["releases"] = json!([
        release("same", "a.cap"),
        release("other", "b.cap"),
        release("same", "c.cap"),
    ]);

    let error = invalid(&value);

    assert_eq!(
        error.release,
        Some(ReleaseRef {
            index: 2,
            id: "same".to_owned()
        })
    );
    assert_eq!(error.field, "id");
    assert_eq!(
        error.problem,
        Problem::DuplicateId {
            value: "same".to_owned(),
            first: 0
        }
    );
    assert!(error
        .to_string()
        .contains("release \"same\" (index 2) field id"));
}

#[test]
fn invalid_release_id_is_rejected() {
    let error = invalid(&with_release_field("/id", json!("../etc")));

    let expected_release = ReleaseRef {
        index: 0,
        id: "../etc".to_owned(),
    };
    assert_eq!(error.release, Some(expected_release));
    assert_eq!(error.field, "id");
    assert_eq!(
        error.problem,
        Problem::InvalidId {
            value: "../etc".to_owned()
        }
    );
}

#[test]
fn empty_name_is_rejected() {
    let (field, problem) = release_problem("/name", json!(""));

    assert_eq!(field, "name");
    assert_eq!(problem, Problem::Empty);
}

#[test]
fn control_character_in_summary_is_rejected() {
    let (field, problem) = release_problem("/summary", json!("line\nbreak"));

    assert_eq!(field, "summary");
    assert_eq!(problem, Problem::ControlCharacter);
}

#[test]
fn description_allows_line_breaks() {
    let value = with_release_field("/description", json!("First line.\n\tSecond line."));

    assert!(parse(&value).is_ok());
}

#[test]
fn release_without_devices_is_rejected() {
    let (field, problem) = release_problem("/devices", json!({}));

    assert_eq!(field, "devices");
    assert_eq!(problem, Problem::NoDevices);
}

#[test]
fn invalid_guid_is_rejected() {
    let bad = "f9203adb-b862-5263-88e9-37320443817";
    let (field, problem) = release_problem("/devices/guids", json!([bad]));

    assert_eq!(field, "devices.guids[0]");
    assert_eq!(
        problem,
        Problem::InvalidGuid {
            value: bad.to_owned()
        }
    );
}

#[test]
fn invalid_hardware_id_is_rejected() {
    let value = with_release_field("/hardware_ids", json!(["not-a-guid"]));

    let error = invalid(&value);

    assert_eq!(error.field, "hardware_ids[0]");
    assert_eq!(
        error.problem,
        Problem::InvalidGuid {
            value: "not-a-guid".to_owned()
        }
    );
}

#[test]
fn instance_id_with_space_is_rejected() {
    let bad = "PCI\\VEN_8086 DEV_15BB";
    let (field, problem) = release_problem("/devices/instance_ids", json!([bad]));

    assert_eq!(field, "devices.instance_ids[0]");
    assert_eq!(
        problem,
        Problem::InvalidInstanceId {
            value: bad.to_owned()
        }
    );
}

#[test]
fn instance_ids_alone_are_enough() {
    let devices = json!({ "instance_ids": ["PCI\\VEN_8086&DEV_15BB"] });

    assert!(parse(&with_release_field("/devices", devices)).is_ok());
}

#[test]
fn invalid_version_is_rejected() {
    let (field, problem) = release_problem("/version", json!("2.1 beta"));

    assert_eq!(field, "version");
    assert_eq!(
        problem,
        Problem::InvalidVersion {
            value: "2.1 beta".to_owned()
        }
    );
}

#[test]
fn unknown_version_format_is_rejected() {
    let (field, problem) = release_problem("/version_format", json!("semver"));

    assert_eq!(field, "version_format");
    assert_eq!(
        problem,
        Problem::UnknownVersionFormat {
            value: "semver".to_owned()
        }
    );
}

#[test]
fn every_fwupd_version_format_is_known() {
    for name in VersionFormat::NAMES {
        let value = with_release_field("/version_format", json!(name));

        assert!(parse(&value).is_ok(), "version format {name}");
    }
}

#[test]
fn empty_replaces_is_rejected() {
    let (field, problem) = release_problem("/replaces", json!({}));

    assert_eq!(field, "replaces");
    assert_eq!(problem, Problem::EmptyReplaces);
}

#[test]
fn invalid_replaced_version_is_rejected() {
    let (field, problem) = release_problem("/replaces", json!({ "versions": ["1.0", ""] }));

    assert_eq!(field, "replaces.versions[1]");
    assert_eq!(problem, Problem::Empty);
}

#[test]
fn invalid_lowest_supported_version_is_rejected() {
    let (field, problem) = release_problem("/lowest_supported_version", json!("1.0\t"));

    assert_eq!(field, "lowest_supported_version");
    assert_eq!(
        problem,
        Problem::InvalidVersion {
            value: "1.0\t".to_owned()
        }
    );
}

#[test]
fn unknown_severity_is_rejected() {
    let (field, problem) = release_problem("/severity", json!("urgent"));

    assert_eq!(field, "severity");
    assert_eq!(
        problem,
        Problem::UnknownSeverity {
            value: "urgent".to_owned()
        }
    );
    assert!(problem.to_string().contains("low, medium, high, critical"));
}

#[test]
fn invalid_cve_is_rejected() {
    for bad in [
        "CVE-24-1234",
        "cve-2024-1234",
        "CVE-2024-123",
        "CVE-1998-1234",
        "CVE-2024-12a4",
    ] {
        let (field, problem) = release_problem("/cves", json!(["CVE-2023-0001", bad]));

        assert_eq!(field, "cves[1]");
        assert_eq!(
            problem,
            Problem::InvalidCve {
                value: bad.to_owned()
            }
        );
    }
}

#[test]
fn too_many_cves_are_rejected() {
    let cves: Vec<String> = (0..1025).map(|n| format!("CVE-2024-{n:05}")).collect();

    let (field, problem) = release_problem("/cves", json!(cves));

    assert_eq!(field, "cves");
    assert_eq!(
        problem,
        Problem::TooMany {
            count: 1025,
            max: 1024
        }
    );
}

#[test]
fn unknown_install_method_is_rejected() {
    let (field, problem) = release_problem("/install_method", json!("flashrom"));

    assert_eq!(field, "install_method");
    assert_eq!(
        problem,
        Problem::UnknownInstallMethod {
            value: "flashrom".to_owned()
        }
    );
}

#[test]
fn invalid_sha256_is_rejected() {
    for bad in ["abc", &SHA256.replace('9', "g"), &format!("{SHA256}00")] {
        let (field, problem) = release_problem("/payload/sha256", json!(bad));

        assert_eq!(field, "payload.sha256");
        assert_eq!(
            problem,
            Problem::InvalidSha256 {
                value: bad.to_owned()
            }
        );
    }
}

#[test]
fn zero_payload_size_is_rejected() {
    let (field, problem) = release_problem("/payload/size", json!(0));

    assert_eq!(field, "payload.size");
    assert_eq!(problem, Problem::ZeroSize);
}

#[test]
fn oversized_payload_is_rejected() {
    let size = MAX_PAYLOAD_SIZE + 1;
    let (field, problem) = release_problem("/payload/size", json!(size));

    assert_eq!(field, "payload.size");
    assert_eq!(
        problem,
        Problem::SizeTooLarge {
            size,
            max: MAX_PAYLOAD_SIZE
        }
    );
}

#[test]
fn payload_path_rules() {
    let cases = [
        ("", Problem::Empty),
        ("/srv/firmware.cap", Problem::AbsolutePath),
        ("../firmware.cap", Problem::ParentSegment),
        ("firmware/../../x.cap", Problem::ParentSegment),
        ("firmware\\x.cap", Problem::Backslash),
        ("firmware\0.cap", Problem::Nul),
        ("firmware//x.cap", Problem::EmptySegment),
        ("firmware/", Problem::EmptySegment),
        ("https://example.com/x.cap", Problem::EmptySegment),
        ("./x.cap", Problem::DotSegment),
        ("x\u{7f}.cap", Problem::ControlCharacter),
    ];

    for (path, expected) in cases {
        let (field, problem) = release_problem("/payload/path", json!(path));

        assert_eq!(field, "payload.path", "path {path:?}");
        assert_eq!(problem, expected, "path {path:?}");
    }
}

#[test]
fn payload_path_with_dots_in_name_is_accepted() {
    let value = with_release_field("/payload/path", json!("firmware/nic..v2.cap"));

    assert!(parse(&value).is_ok());
}

#[test]
fn payload_url_on_other_host_needs_permission() {
    let url = "https://CDN.example.net:8443/nic.cap";
    let value = with_release_field("/payload/url", json!(url));
    let fetched_from = Some("updates.example.com".to_owned());
    let strict = ValidateOptions {
        catalog_host: fetched_from.clone(),
        allow_other_hosts: false,
    };
    let allowing = ValidateOptions {
        catalog_host: fetched_from,
        allow_other_hosts: true,
    };

    let rejected = parse_with(&value, &strict).unwrap_err();

    let DocumentError::Invalid(error) = rejected else {
        panic!("expected a validation error")
    };
    assert_eq!(error.field, "payload.url");
    assert_eq!(
        error.problem,
        Problem::OtherHost {
            host: "cdn.example.net".to_owned()
        }
    );
    assert!(parse_with(&value, &allowing).is_ok());
}

#[test]
fn payload_url_on_catalog_host_is_accepted() {
    let value = with_release_field("/payload/url", json!("http://Updates.Example.com./nic.cap"));
    let options = ValidateOptions {
        catalog_host: Some("updates.example.com".to_owned()),
        allow_other_hosts: false,
    };

    assert!(parse_with(&value, &options).is_ok());
}

#[test]
fn payload_url_of_local_catalog_needs_permission() {
    let value = with_release_field("/payload/url", json!("https://[::1]:8080/nic.cap"));

    let error = invalid(&value);

    assert_eq!(
        error.problem,
        Problem::OtherHost {
            host: "::1".to_owned()
        }
    );
}

#[test]
fn malformed_payload_url_is_rejected() {
    let allowing = ValidateOptions {
        catalog_host: None,
        allow_other_hosts: true,
    };
    let cases = [
        "ftp://example.com/x.cap",
        "https://user@example.com/x.cap",
        "https:///x.cap",
        "https://exa mple.com/x.cap",
        "https://example.com:80a/x.cap",
        "https://[::1/x.cap",
        "nic.cap",
    ];

    for url in cases {
        let value = with_release_field("/payload/url", json!(url));
        let Err(DocumentError::Invalid(error)) = parse_with(&value, &allowing) else {
            panic!("url {url:?} was accepted");
        };

        assert_eq!(
            error.problem,
            Problem::InvalidUrl {
                value: url.to_owned()
            },
            "url {url:?}"
        );
    }
}

#[test]
fn conflicting_payloads_are_rejected() {
    let mut value = sample();
    let mut second = release("nic-fw-2.1.1", "firmware/nic-2.1.0.cap");
    second["payload"]["size"] = json!(1);
    value["releases"].as_array_mut().unwrap().push(second);

    let error = invalid(&value);

    assert_eq!(error.field, "payload.path");
    assert_eq!(error.problem, Problem::ConflictingPayload { other: 0 });
}

#[test]
fn shared_identical_payload_is_accepted() {
    let mut value = sample();
    let second = release("nic-fw-2.1.0-oem", "firmware/nic-2.1.0.cap");
    value["releases"].as_array_mut().unwrap().push(second);

    assert!(parse(&value).is_ok());
}

#[test]
fn unknown_ring_is_rejected() {
    let (field, problem) = release_problem("/rollout/ring", json!("beta"));

    assert_eq!(field, "rollout.ring");
    assert_eq!(
        problem,
        Problem::UnknownRing {
            value: "beta".to_owned()
        }
    );
}

#[test]
fn percentage_over_100_is_rejected() {
    let (field, problem) = release_problem("/rollout/percentage", json!(101));

    assert_eq!(field, "rollout.percentage");
    assert_eq!(problem, Problem::PercentageOutOfRange { value: 101 });
}

#[test]
fn rings_are_ordered() {
    assert!(Ring::Canary < Ring::Early);
    assert!(Ring::Early < Ring::Broad);
    assert!(Severity::Low < Severity::Critical);
}

/// Checks a GUID by splitting it into collected groups, the plainest reading of the rule.
fn reference_guid_check(guid: &str) -> bool {
    let groups: Vec<&str> = guid.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    let hex = groups
        .iter()
        .all(|group| group.bytes().all(|byte| byte.is_ascii_hexdigit()));
    lengths == [8, 4, 4, 4, 12] && hex
}

proptest::proptest! {
    #[test]
    fn guid_check_matches_reference(
        guid in "[0-9a-fA-Fg-]{0,40}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ) {
        let accepted = checks::check_guid(&guid).is_ok();

        proptest::prop_assert_eq!(accepted, reference_guid_check(&guid));
    }
}
