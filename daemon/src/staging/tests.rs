//! Unit tests of staging: payload locations, progress throttling, file names and the
//! parsers of `index.json` and `Content-Range`.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use reqwest::Url;

use super::http::parse_content_range;
use super::layout::{classify, EntryName};
use super::progress::Throttle;
use super::*;
use crate::catalog::document::location::check_payload_path;
use crate::catalog::document::Payload;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn payload(path: &str, url: Option<&str>) -> Payload {
    Payload {
        path: path.to_owned(),
        sha256: SHA.to_owned(),
        size: 4,
        url: url.map(str::to_owned),
    }
}

fn url_base(text: &str) -> CatalogBase {
    CatalogBase::Url(Url::parse(text).unwrap())
}

fn resolve_url(base: &str, path: &str) -> String {
    let source = PayloadSource::resolve(&url_base(base), &payload(path, None), false).unwrap();
    let PayloadSource::Url(url) = source else {
        panic!("expected a URL, got {source:?}");
    };
    url.to_string()
}

#[test]
fn resolve_joins_path_to_catalog_folder() {
    let cases = [
        ("http://h/fw/catalog.json", "a/b.bin", "http://h/fw/a/b.bin"),
        ("http://h/fw/", "x.bin", "http://h/fw/x.bin"),
        ("http://h", "x.bin", "http://h/x.bin"),
        (
            "https://h:8443/fw/catalog.json?t=1#f",
            "x.bin",
            "https://h:8443/fw/x.bin",
        ),
    ];
    for (base, path, expected) in cases {
        assert_eq!(
            resolve_url(base, path),
            expected,
            "base {base}, path {path}"
        );
    }
}

#[test]
fn resolve_encodes_url_syntax_in_segments() {
    let resolved = resolve_url("http://h/fw/catalog.json", "a?b#c%2e d.bin");
    assert_eq!(resolved, "http://h/fw/a%3Fb%23c%252e%20d.bin");

    let scheme_like =
        Url::parse(&resolve_url("http://h/fw/c.json", "https:evil.example/x")).unwrap();
    assert_eq!(scheme_like.host_str(), Some("h"));
    assert!(scheme_like.path().starts_with("/fw/"), "{scheme_like}");
}

#[test]
fn resolve_rejects_paths_that_leave_the_base() {
    let base = url_base("http://h/fw/catalog.json");
    for path in [
        "../x.bin",
        "a/../../x.bin",
        "/etc/passwd",
        "a//b",
        "a\\..\\b",
        "",
    ] {
        let result = PayloadSource::resolve(&base, &payload(path, None), false);
        assert!(
            matches!(result, Err(StageError::PathEscapes { .. })),
            "{path:?} gave {result:?}"
        );
    }
}

#[test]
fn resolve_checks_payload_url_host() {
    let base = url_base("https://updates.example/fw/catalog.json");
    let same = payload("x.bin", Some("https://UPDATES.example/cdn/x.bin"));
    let other = payload("x.bin", Some("https://cdn.example/x.bin"));

    let resolved = PayloadSource::resolve(&base, &same, false).unwrap();
    assert_eq!(resolved.to_string(), "https://updates.example/cdn/x.bin");
    let rejected = PayloadSource::resolve(&base, &other, false);
    assert!(matches!(
        rejected,
        Err(StageError::InvalidPayload { field: "url", .. })
    ));
    assert!(PayloadSource::resolve(&base, &other, true).is_ok());
}

#[test]
fn resolve_compares_ipv6_hosts_without_brackets() {
    let base = url_base("http://[::1]:8080/catalog.json");
    let same = payload("x.bin", Some("http://[::1]:9090/x.bin"));
    assert!(PayloadSource::resolve(&base, &same, false).is_ok());
}

#[test]
fn resolve_folder_uses_path_even_with_url() {
    let base = CatalogBase::Folder(PathBuf::from("/media/mirror"));
    let with_url = payload("fw/x.bin", Some("https://cdn.example/x.bin"));
    let resolved = PayloadSource::resolve(&base, &with_url, false).unwrap();
    let expected = PayloadSource::File {
        folder: PathBuf::from("/media/mirror"),
        path: "fw/x.bin".to_owned(),
    };
    assert_eq!(resolved, expected);
}

proptest! {
    #[test]
    fn resolved_url_stays_under_catalog_folder(path in "[a-zA-Z0-9:?#%. /@\\\\-]{1,40}") {
        let base = url_base("https://h:8443/fw/catalog.json");
        let result = PayloadSource::resolve(&base, &payload(&path, None), false);
        match (check_payload_path(&path), result) {
            (Ok(()), Ok(PayloadSource::Url(url))) => {
                prop_assert_eq!(url.host_str(), Some("h"));
                prop_assert_eq!(url.port(), Some(8443));
                prop_assert!(url.path().starts_with("/fw/"), "{}", url);
                prop_assert_eq!(url.query(), None);
                prop_assert_eq!(url.fragment(), None);
            }
            (Err(_), Err(StageError::PathEscapes { .. })) => {}
            (check, result) => prop_assert!(false, "check {:?}, result {:?}", check, result),
        }
    }

    #[test]
    fn parse_index_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_index(&bytes, Path::new("/state/staged"));
    }

    #[test]
    fn parse_index_never_panics_on_edited_index(
        position in 0usize..600,
        byte in any::<u8>(),
        cut in 0usize..600,
    ) {
        let mut bytes = valid_index_json().into_bytes();
        let position = position % bytes.len();
        bytes[position] = byte;
        bytes.truncate(cut.max(position));
        let _ = parse_index(&bytes, Path::new("/state/staged"));
    }

    #[test]
    fn parse_content_range_never_panics(value in "\\PC{0,40}") {
        let _ = parse_content_range(&value);
    }
}

fn index_entry(release_id: &str, sha256: &str, size: u64) -> String {
    format!(
        r#"{{"remote_id": "lab", "release_id": "{release_id}", "device_id": "dev0",
            "sha256": "{sha256}", "size": {size}, "staged_at": "2025-06-01T00:00:00Z",
            "path": "/elsewhere/{sha256}.payload"}}"#
    )
}

fn valid_index_json() -> String {
    format!(
        r#"{{"format_version": 1, "items": [{}]}}"#,
        index_entry("nic-2.1.0", SHA, 4)
    )
}

#[test]
fn parse_index_derives_paths_from_folder() {
    let items = parse_index(valid_index_json().as_bytes(), Path::new("/state/staged")).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].release_id, "nic-2.1.0");
    let expected = PathBuf::from(format!("/state/staged/{SHA}.payload"));
    assert_eq!(items[0].path, expected);
}

#[test]
fn parse_index_drops_invalid_and_repeated_entries() {
    let entries = [
        index_entry("good", SHA, 4),
        index_entry("good", SHA, 4),
        index_entry("traversal", "../../../../etc/passwd", 4),
        index_entry("upper", &SHA.to_ascii_uppercase(), 4),
        index_entry("empty", SHA, 0),
        index_entry("huge", SHA, u64::MAX),
        index_entry("bad\\u0007id", SHA, 4),
    ];
    let json = format!(
        r#"{{"format_version": 1, "items": [{}]}}"#,
        entries.join(",")
    );

    let items = parse_index(json.as_bytes(), Path::new("/s")).unwrap();

    let ids: Vec<&str> = items.iter().map(|item| item.release_id.as_str()).collect();
    assert_eq!(ids, ["good"]);
}

#[test]
fn parse_index_rejects_bad_documents() {
    let folder = Path::new("/s");
    let newer = r#"{"format_version": 2, "items": []}"#;
    let wrong_type = r#"{"format_version": 1, "items": {}}"#;
    let unknown_field = r#"{"format_version": 1, "items": [], "extra": 1}"#;
    let oversized = vec![b' '; MAX_INDEX_SIZE as usize + 1];

    assert!(matches!(
        parse_index(newer.as_bytes(), folder),
        Err(IndexError::UnsupportedVersion { found: 2 })
    ));
    assert!(matches!(
        parse_index(wrong_type.as_bytes(), folder),
        Err(IndexError::Json(_))
    ));
    assert!(matches!(
        parse_index(unknown_field.as_bytes(), folder),
        Err(IndexError::Json(_))
    ));
    assert!(matches!(
        parse_index(b"{\"format_ver", folder),
        Err(IndexError::Json(_))
    ));
    assert!(matches!(
        parse_index(&oversized, folder),
        Err(IndexError::TooLarge)
    ));
}

#[test]
fn parse_content_range_reads_three_numbers() {
    assert_eq!(parse_content_range("bytes 10-99/100"), Some((10, 99, 100)));
    assert_eq!(parse_content_range("bytes 10-99/*"), None);
    assert_eq!(parse_content_range("bytes */100"), None);
    assert_eq!(parse_content_range("items 10-99/100"), None);
    assert_eq!(
        parse_content_range("bytes 10-99/18446744073709551616"),
        None
    );
}

#[test]
fn classify_names_staging_files() {
    let payload = format!("{SHA}.payload");
    let partial = format!("{SHA}.partial");
    let upper = format!("{}.payload", SHA.to_ascii_uppercase());
    assert_eq!(classify(&payload), EntryName::Payload(SHA.to_owned()));
    assert_eq!(classify(&partial), EntryName::Partial(SHA.to_owned()));
    assert_eq!(classify("index.json"), EntryName::Index);
    assert_eq!(classify(".hwupd-Ab12cd"), EntryName::Temporary);
    assert_eq!(classify(&upper), EntryName::Unknown);
    assert_eq!(classify("abc.payload"), EntryName::Unknown);
}

#[test]
fn throttle_reports_about_once_per_percent() {
    let total = 10 * 1024 * 1024;
    let mut reports = Vec::new();
    let mut callback = |done, total| reports.push((done, total));
    {
        let mut throttle = Throttle::new(&mut callback, total);
        throttle.reset(0);
        for done in (16 * 1024..=total).step_by(16 * 1024) {
            throttle.update(done);
        }
        throttle.update(total);
    }

    assert!(reports.len() <= 102, "{} reports", reports.len());
    assert!(reports.len() >= 50, "{} reports", reports.len());
    assert_eq!(reports.first(), Some(&(0, total)));
    assert_eq!(reports.last(), Some(&(total, total)));
    let finals = reports.iter().filter(|(done, _)| *done == total).count();
    assert_eq!(finals, 1);
}

#[test]
fn space_margin_has_floor_and_cap() {
    let mib = 1024 * 1024;
    assert_eq!(space_margin(0), MIN_SPACE_MARGIN);
    assert_eq!(space_margin(10_000 * mib), 500 * mib);
    assert_eq!(space_margin(4_000_000 * mib), MAX_SPACE_MARGIN);
}

#[test]
fn stage_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let dir = tempfile::tempdir().unwrap();
    let store = StagingStore::open(dir.path()).unwrap();
    let client = reqwest::Client::new();
    let request = StageRequest {
        remote_id: "lab".to_owned(),
        release_id: "r".to_owned(),
        device_id: "d".to_owned(),
        payload: payload("x.bin", None),
        base: url_base("http://127.0.0.1:1/catalog.json"),
        allow_other_hosts: false,
    };
    let mut progress = |_, _| {};
    let future = store.stage(&client, request, &mut progress);
    assert_send(&future);
}
