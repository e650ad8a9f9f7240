//! The minisign and catalog parsers return errors, never panic, on any input.
//!
//! Arbitrary bytes rarely get past the first checks, so each parser is also fed valid
//! files with random bytes replaced, inserted or cut off.

use hwupd::catalog::document::{Catalog, ValidateOptions};
use hwupd::catalog::minisign::{PublicKey, SecretKey, SignOptions, Signature};
use jiff::Timestamp;
use proptest::prelude::*;

const CATALOG: &str = r#"{
  "format_version": 1,
  "remote_id": "lab",
  "serial": 3,
  "issued": "2025-06-01T00:00:00Z",
  "expires": "2025-07-01T00:00:00Z",
  "releases": [
    {
      "id": "nic-2.1.0",
      "name": "NIC firmware",
      "summary": "Fixes link drops",
      "devices": { "instance_ids": ["PCI\\VEN_8086&DEV_15BB"] },
      "version": "2.1.0",
      "version_format": "triplet",
      "replaces": { "min": "2.0.0" },
      "severity": "high",
      "cves": ["CVE-2024-12345"],
      "release_date": "2025-05-30",
      "install_method": "kmod",
      "payload": {
        "path": "drivers/nic.ko",
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "size": 4,
        "url": "https://[::1]:8443/nic.ko"
      },
      "rollout": { "ring": "early", "percentage": 50 }
    }
  ]
}
"#;

/// Generates a key and returns its public key file, secret key file and a signature
/// file of `CATALOG`.
fn valid_files() -> (String, String, String) {
    let key = SecretKey::generate();
    let options = SignOptions::for_file("catalog.json", Timestamp::UNIX_EPOCH);
    let signature = key.sign(CATALOG.as_bytes(), &options).unwrap();
    (
        key.public_key().to_file_text(),
        key.to_file_text(),
        signature.to_file_text(),
    )
}

/// A change to a byte string: replace, insert or truncate at a position.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Replace(at, byte)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Insert(at, byte)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let length = bytes.len().max(1);
        match *edit {
            Edit::Replace(at, byte) if !bytes.is_empty() => bytes[at % length] = byte,
            Edit::Replace(..) => {}
            Edit::Insert(at, byte) => bytes.insert(at % (bytes.len() + 1), byte),
            Edit::Truncate(at) => bytes.truncate(at % length),
        }
    }
    bytes
}

fn parse_all(bytes: &[u8]) {
    let _ = PublicKey::parse(bytes);
    let _ = SecretKey::parse(bytes);
    let _ = Signature::parse(bytes);
    let _ = Catalog::parse(bytes, &ValidateOptions::default());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        parse_all(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        parse_all(text.as_bytes());
    }

    #[test]
    fn edited_key_files_never_panic(edits in proptest::collection::vec(edit(), 1..4)) {
        let (public_key, secret_key, _) = valid_files();

        let _ = PublicKey::parse(&apply(&public_key, &edits));
        let _ = SecretKey::parse(&apply(&secret_key, &edits));
    }

    #[test]
    fn edited_signatures_never_panic(edits in proptest::collection::vec(edit(), 1..4)) {
        let (public_key, _, signature) = valid_files();
        let key = PublicKey::parse(public_key.as_bytes()).unwrap();

        if let Ok(parsed) = Signature::parse(&apply(&signature, &edits)) {
            let _ = key.verify(CATALOG.as_bytes(), &parsed);
        }
    }

    #[test]
    fn edited_catalogs_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
        let catalog_host = Some("::1".to_owned());
        let options = ValidateOptions { catalog_host, allow_other_hosts: false };

        let _ = Catalog::parse(&apply(CATALOG, &edits), &options);
    }
}

#[test]
fn unedited_inputs_parse() {
    let (public_key, secret_key, signature) = valid_files();
    let options = ValidateOptions {
        catalog_host: Some("::1".to_owned()),
        allow_other_hosts: false,
    };

    let key = PublicKey::parse(public_key.as_bytes()).unwrap();
    let signature = Signature::parse(signature.as_bytes()).unwrap();

    assert!(SecretKey::parse(secret_key.as_bytes()).is_ok());
    assert!(key.verify(CATALOG.as_bytes(), &signature).is_ok());
    assert!(Catalog::parse(CATALOG.as_bytes(), &options).is_ok());
}
