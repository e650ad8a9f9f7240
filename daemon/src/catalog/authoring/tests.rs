use std::fs;
use std::os::unix::fs::PermissionsExt;

use jiff::civil::date;
use tempfile::TempDir;

use super::*;
use crate::catalog::document::VersionFormat;
use crate::catalog::document::{Devices, InstallMethod, Payload, Ring, Rollout, Severity};
use crate::catalog::minisign::SignatureAlgorithm;
use crate::catalog::VerifiedCatalog;

/// SHA-256 of the four bytes `test`.
const TEST_SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn now() -> Timestamp {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

fn release(id: &str) -> Release {
    Release {
        id: id.to_owned(),
        name: "NIC firmware".to_owned(),
        summary: "Fixes link drops".to_owned(),
        description: None,
        vendor: Some("Acme".to_owned()),
        devices: Devices {
            guids: vec!["f9203adb-b862-5263-88e9-373204438174".to_owned()],
            instance_ids: vec![],
        },
        hardware_ids: vec![],
        version: "2.1.0".to_owned(),
        version_format: VersionFormat::Triplet,
        replaces: None,
        lowest_supported_version: None,
        severity: Severity::High,
        cves: vec!["CVE-2024-12345".to_owned()],
        known_exploited: false,
        release_date: date(2025, 5, 30),
        install_method: InstallMethod::UefiCapsule,
        payload: Payload {
            path: String::new(),
            sha256: String::new(),
            size: 0,
            url: None,
        },
        reboot_required: true,
        rollout: Rollout {
            ring: Ring::Broad,
            percentage: 100,
        },
    }
}

/// A folder with a new catalog, a payload `firmware/nic.cap` containing `test`, and a key pair.
struct Fixture {
    folder: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let folder = TempDir::new().unwrap();
        let fixture = Self { folder };
        fs::create_dir(fixture.path("firmware")).unwrap();
        fs::write(fixture.path("firmware/nic.cap"), b"test").unwrap();
        new_catalog(&fixture.catalog(), "acme-lab", 30, now(), false).unwrap();
        keygen(&fixture.path("key"), &fixture.path("key.pub"), false).unwrap();
        fixture
    }

    fn path(&self, name: &str) -> PathBuf {
        self.folder.path().join(name)
    }

    fn catalog(&self) -> PathBuf {
        self.path("catalog.json")
    }

    fn public_key(&self) -> PublicKey {
        PublicKey::parse(&fs::read(self.path("key.pub")).unwrap()).unwrap()
    }

    fn add(&self, id: &str) -> AddOutcome {
        add_release(&self.catalog(), &self.path("firmware/nic.cap"), release(id)).unwrap()
    }

    fn sign(&self, options: &SignCatalogOptions) -> Result<Signed, AuthoringError> {
        sign(&self.catalog(), &self.path("key"), options)
    }

    fn verify(&self) -> Result<VerifiedCatalog, AuthoringError> {
        let signature = signature_path_for(&self.catalog());
        verify(&self.catalog(), &signature, &[self.public_key()])
    }
}

fn sign_options() -> SignCatalogOptions {
    SignCatalogOptions {
        signature_path: None,
        bump_serial: false,
        valid_days: None,
        algorithm: SignatureAlgorithm::Prehashed,
        trusted_comment: None,
        now: now(),
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn keygen_writes_key_files_with_modes() {
    let fixture = Fixture::new();

    let secret = read_secret_key(&fixture.path("key")).unwrap();

    assert_eq!(mode(&fixture.path("key")), 0o600);
    assert_eq!(mode(&fixture.path("key.pub")), 0o644);
    assert_eq!(secret.public_key(), fixture.public_key());
}

#[test]
fn keygen_rejects_existing_files() {
    let fixture = Fixture::new();
    let before = fs::read(fixture.path("key")).unwrap();

    let error = keygen(&fixture.path("new-key"), &fixture.path("key.pub"), false).unwrap_err();

    assert!(matches!(error, AuthoringError::Exists { path } if path == fixture.path("key.pub")));
    assert!(!fixture.path("new-key").exists());
    assert_eq!(fs::read(fixture.path("key")).unwrap(), before);
}

#[test]
fn keygen_force_replaces_keys() {
    let fixture = Fixture::new();
    let old_key = fixture.public_key();

    let new_key = keygen(&fixture.path("key"), &fixture.path("key.pub"), true).unwrap();

    assert_ne!(new_key, old_key);
    assert_eq!(fixture.public_key(), new_key);
    assert_eq!(mode(&fixture.path("key")), 0o600);
}

#[test]
fn new_catalog_has_serial_one_and_expiry() {
    let fixture = Fixture::new();

    let catalog = read_catalog(&fixture.catalog()).unwrap();

    assert_eq!(catalog.serial, 1);
    assert_eq!(catalog.remote_id, "acme-lab");
    assert_eq!(catalog.issued, now());
    assert_eq!(catalog.expires, "2025-07-01T12:00:00Z".parse().unwrap());
    assert!(catalog.releases.is_empty());
}

#[test]
fn new_catalog_rejects_existing_file() {
    let fixture = Fixture::new();

    let error = new_catalog(&fixture.catalog(), "other", 30, now(), false).unwrap_err();

    assert!(matches!(error, AuthoringError::Exists { .. }));
    assert_eq!(
        read_catalog(&fixture.catalog()).unwrap().remote_id,
        "acme-lab"
    );
}

#[test]
fn new_catalog_rejects_zero_days() {
    let fixture = Fixture::new();

    let error = new_catalog(&fixture.path("x.json"), "acme", 0, now(), false).unwrap_err();

    assert!(matches!(error, AuthoringError::InvalidValidity { days: 0 }));
    assert!(!fixture.path("x.json").exists());
}

#[test]
fn new_catalog_rejects_long_validity_and_bad_remote_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();

    let long = new_catalog(&path, "lab", MAX_VALID_DAYS + 1, now, false).unwrap_err();
    assert!(matches!(
        long,
        AuthoringError::InvalidValidity { days: 367 }
    ));
    for id in ["Lab", "lab+1", "", "-lab"] {
        let error = new_catalog(&path, id, 30, now, false).unwrap_err();
        assert!(
            matches!(error, AuthoringError::InvalidRemoteId { .. }),
            "{id}: {error}"
        );
    }
    assert!(!path.exists());
    assert!(new_catalog(&path, "lab.2-x_y", MAX_VALID_DAYS, now, false).is_ok());
}

#[test]
fn add_release_fills_payload_fields() {
    let fixture = Fixture::new();

    let outcome = fixture.add("nic-2.1.0");

    let catalog = read_catalog(&fixture.catalog()).unwrap();
    let payload = &catalog.release("nic-2.1.0").unwrap().payload;
    assert_eq!(outcome, AddOutcome::Inserted);
    assert_eq!(payload.path, "firmware/nic.cap");
    assert_eq!(payload.size, 4);
    assert_eq!(payload.sha256, TEST_SHA256);
    assert_eq!(catalog.serial, 1);
}

#[test]
fn add_release_replaces_same_id() {
    let fixture = Fixture::new();
    fixture.add("nic-2.1.0");
    fs::write(fixture.path("firmware/nic.cap"), b"changed").unwrap();

    let outcome = fixture.add("nic-2.1.0");

    let catalog = read_catalog(&fixture.catalog()).unwrap();
    assert_eq!(outcome, AddOutcome::Replaced);
    assert_eq!(catalog.releases.len(), 1);
    assert_eq!(catalog.releases[0].payload.size, 7);
}

#[test]
fn add_release_keeps_explicit_payload_path() {
    let fixture = Fixture::new();
    let mut explicit = release("nic-2.1.0");
    explicit.payload.path = "blobs/nic.cap".to_owned();

    add_release(
        &fixture.catalog(),
        &fixture.path("firmware/nic.cap"),
        explicit,
    )
    .unwrap();

    let catalog = read_catalog(&fixture.catalog()).unwrap();
    assert_eq!(catalog.releases[0].payload.path, "blobs/nic.cap");
}

#[test]
fn add_release_rejects_payload_outside_folder() {
    let fixture = Fixture::new();
    let elsewhere = TempDir::new().unwrap();
    let payload = elsewhere.path().join("nic.cap");
    fs::write(&payload, b"test").unwrap();

    let error = add_release(&fixture.catalog(), &payload, release("nic")).unwrap_err();

    assert!(matches!(
        error,
        AuthoringError::PayloadOutsideCatalog { .. }
    ));
    assert!(error.to_string().contains("--payload-path"));
}

#[test]
fn add_release_rejects_empty_payload() {
    let fixture = Fixture::new();
    fs::write(fixture.path("firmware/empty.cap"), b"").unwrap();

    let result = add_release(
        &fixture.catalog(),
        &fixture.path("firmware/empty.cap"),
        release("nic"),
    );

    assert!(matches!(result, Err(AuthoringError::PayloadEmpty { .. })));
}

#[test]
fn add_invalid_release_leaves_catalog_unchanged() {
    let fixture = Fixture::new();
    let before = fs::read(fixture.catalog()).unwrap();
    let mut invalid = release("nic");
    invalid.cves = vec!["CVE-1".to_owned()];

    let error = add_release(
        &fixture.catalog(),
        &fixture.path("firmware/nic.cap"),
        invalid,
    );

    assert!(matches!(error, Err(AuthoringError::Document { .. })));
    assert_eq!(fs::read(fixture.catalog()).unwrap(), before);
}

#[test]
fn hash_file_stops_over_maximum() {
    let fixture = Fixture::new();

    let result = hash_file(&fixture.path("firmware/nic.cap"), 3);

    assert!(matches!(
        result,
        Err(AuthoringError::PayloadTooLarge { max: 3, .. })
    ));
}

#[test]
fn sign_then_verify_succeeds() {
    let fixture = Fixture::new();
    fixture.add("nic-2.1.0");

    let signed = fixture.sign(&sign_options()).unwrap();
    let verified = fixture.verify().unwrap();

    assert_eq!(signed.signature_path, fixture.path("catalog.json.minisig"));
    assert_eq!(signed.serial, 1);
    assert_eq!(verified.key_id, fixture.public_key().key_id());
    assert_eq!(
        verified.trusted_comment,
        "timestamp:1748779200\tfile:catalog.json\thashed\tserial:1"
    );
    assert_eq!(verified.catalog.releases.len(), 1);
}

#[test]
fn sign_legacy_then_verify_succeeds() {
    let fixture = Fixture::new();
    let options = SignCatalogOptions {
        algorithm: SignatureAlgorithm::Legacy,
        ..sign_options()
    };

    fixture.sign(&options).unwrap();

    assert!(fixture.verify().is_ok());
}

#[test]
fn verify_rejects_other_key() {
    let fixture = Fixture::new();
    fixture.sign(&sign_options()).unwrap();
    let other = SecretKey::generate().public_key();

    let signature = signature_path_for(&fixture.catalog());
    let error = verify(&fixture.catalog(), &signature, &[other]).unwrap_err();

    let AuthoringError::Verify { source, .. } = error else {
        panic!("expected Verify, got {error:?}")
    };
    assert!(matches!(source, VerifyError::UnknownKey { .. }));
}

#[test]
fn verify_rejects_changed_catalog() {
    let fixture = Fixture::new();
    fixture.sign(&sign_options()).unwrap();
    let changed = fs::read_to_string(fixture.catalog())
        .unwrap()
        .replace("acme-lab", "acme-lad");
    fs::write(fixture.catalog(), changed).unwrap();

    let error = fixture.verify().unwrap_err();

    let AuthoringError::Verify { source, .. } = error else {
        panic!("expected Verify, got {error:?}")
    };
    assert!(matches!(source, VerifyError::BadSignature { .. }));
    assert!(source.is_rejection());
}

#[test]
fn verify_reports_malformed_signature() {
    let fixture = Fixture::new();
    fs::write(
        signature_path_for(&fixture.catalog()),
        "untrusted comment: x\n",
    )
    .unwrap();

    let error = fixture.verify().unwrap_err();

    let AuthoringError::Verify { source, .. } = error else {
        panic!("expected Verify, got {error:?}")
    };
    assert!(!source.is_rejection());
}

#[test]
fn sign_rejects_change_without_bump() {
    let fixture = Fixture::new();
    fixture.sign(&sign_options()).unwrap();
    let signature_before = fs::read(signature_path_for(&fixture.catalog())).unwrap();
    fixture.add("nic-2.1.0");

    let error = fixture.sign(&sign_options()).unwrap_err();

    assert!(matches!(
        error,
        AuthoringError::UnbumpedChange { serial: 1, .. }
    ));
    assert_eq!(
        fs::read(signature_path_for(&fixture.catalog())).unwrap(),
        signature_before
    );
}

#[test]
fn sign_again_without_change_succeeds() {
    let fixture = Fixture::new();
    fixture.sign(&sign_options()).unwrap();

    let signed = fixture.sign(&sign_options()).unwrap();

    assert_eq!(signed.serial, 1);
}

#[test]
fn sign_bump_serial_updates_catalog() {
    let fixture = Fixture::new();
    fixture.sign(&sign_options()).unwrap();
    fixture.add("nic-2.1.0");
    let later: Timestamp = "2025-06-02T00:00:00Z".parse().unwrap();
    let options = SignCatalogOptions {
        bump_serial: true,
        valid_days: Some(7),
        now: later,
        ..sign_options()
    };

    let signed = fixture.sign(&options).unwrap();

    let catalog = fixture.verify().unwrap().catalog;
    assert_eq!(signed.serial, 2);
    assert_eq!(catalog.serial, 2);
    assert_eq!(catalog.issued, later);
    assert_eq!(catalog.expires, "2025-06-09T00:00:00Z".parse().unwrap());
}

#[test]
fn sign_valid_days_needs_bump() {
    let fixture = Fixture::new();
    let options = SignCatalogOptions {
        valid_days: Some(7),
        ..sign_options()
    };

    let error = fixture.sign(&options).unwrap_err();

    assert!(matches!(error, AuthoringError::ExpiryChangeNeedsBump));
    assert!(!signature_path_for(&fixture.catalog()).exists());
}

#[test]
fn sign_rejects_expired_catalog() {
    let fixture = Fixture::new();
    let before = fs::read(fixture.catalog()).unwrap();
    let late = SignCatalogOptions {
        now: "2025-08-01T00:00:00Z".parse().unwrap(),
        ..sign_options()
    };
    let bumped_late = SignCatalogOptions {
        bump_serial: true,
        ..late.clone()
    };

    let error = fixture.sign(&late).unwrap_err();
    let bumped_error = fixture.sign(&bumped_late).unwrap_err();

    assert!(matches!(error, AuthoringError::Expired { .. }));
    assert!(matches!(bumped_error, AuthoringError::Expired { .. }));
    assert_eq!(fs::read(fixture.catalog()).unwrap(), before);
}

#[test]
fn sign_rejects_multiline_trusted_comment() {
    let fixture = Fixture::new();
    let options = SignCatalogOptions {
        trusted_comment: Some("a\nb".to_owned()),
        ..sign_options()
    };

    let error = fixture.sign(&options).unwrap_err();

    assert!(matches!(
        error,
        AuthoringError::Sign(SignError::LineBreak { .. })
    ));
}

#[test]
fn sign_writes_custom_signature_path() {
    let fixture = Fixture::new();
    let path = fixture.path("detached.sig");
    let options = SignCatalogOptions {
        signature_path: Some(path.clone()),
        ..sign_options()
    };

    fixture.sign(&options).unwrap();

    assert!(verify(&fixture.catalog(), &path, &[fixture.public_key()]).is_ok());
    assert_eq!(mode(&path), 0o644);
}

#[test]
fn read_public_key_accepts_string_and_file() {
    let fixture = Fixture::new();
    let key = fixture.public_key();
    let file = fixture.path("key.pub");

    let from_string = read_public_key(&key.to_base64()).unwrap();
    let from_file = read_public_key(file.to_str().unwrap()).unwrap();
    let missing = read_public_key("/nonexistent/key.pub").unwrap_err();

    assert_eq!(from_string, key);
    assert_eq!(from_file, key);
    assert!(matches!(missing, AuthoringError::PublicKeyArgument { .. }));
}
