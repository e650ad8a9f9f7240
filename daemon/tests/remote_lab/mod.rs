//! A remote served over loopback HTTP, with a store and signing key, for refresh tests.

// Each test binary uses a different part of the lab.
#![allow(dead_code)]

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use hwupd::catalog::minisign::{SecretKey, SignOptions};
use hwupd::remote::{load_accepted, refresh, FetchConfig, Fetcher, RemoteConfig};
use hwupd::remote::{RefreshError, RefreshOutcome, RemoteStore, StoredStatus};
use hwupd_tests::http::HttpServer;
use jiff::Timestamp;
use serde_json::{json, Value};
use tempfile::TempDir;

/// Time of every refresh, inside the validity of [`catalog`]'s default dates.
pub const NOW: &str = "2025-06-15T00:00:00Z";

pub const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// Returns a valid catalog for remote `lab` with one release.
pub fn catalog(serial: u64) -> Value {
    json!({
        "format_version": 1,
        "remote_id": "lab",
        "serial": serial,
        "issued": "2025-06-01T00:00:00Z",
        "expires": "2025-07-01T00:00:00Z",
        "releases": [release("nic-fw-2.1.0", "firmware/nic-2.1.0.cap")],
    })
}

pub fn release(id: &str, path: &str) -> Value {
    json!({
        "id": id,
        "name": "NIC firmware",
        "summary": "Fixes link drops",
        "devices": { "guids": ["f9203adb-b862-5263-88e9-373204438174"] },
        "version": "2.1.0",
        "version_format": "triplet",
        "severity": "high",
        "release_date": "2025-05-30",
        "install_method": "uefi-capsule",
        "payload": { "path": path, "sha256": SHA256, "size": 4096 },
        "rollout": { "ring": "broad", "percentage": 100 },
    })
}

pub fn to_bytes(catalog: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(catalog).unwrap();
    bytes.push(b'\n');
    bytes
}

/// Signs `bytes` with `key` as minisign signs a file named `catalog.json`.
pub fn sign(key: &SecretKey, bytes: &[u8]) -> Vec<u8> {
    let options = SignOptions::for_file("catalog.json", now());
    let signature = key.sign(bytes, &options).unwrap();
    signature.to_file_text().into_bytes()
}

/// Returns the text of a remote config file for `url` that pins `key`.
pub fn config_text(url: &str, key: &SecretKey, extra: &str) -> String {
    let public_key = key.public_key().to_base64();
    format!("url = {url:?}\npublic_keys = [{public_key:?}]\n{extra}\n")
}

/// A remote `lab` whose catalog folder is served on loopback, with its own state folder.
pub struct Lab {
    pub served: TempDir,
    pub state: TempDir,
    pub server: HttpServer,
    pub key: SecretKey,
    pub remote: RemoteConfig,
    pub store: RemoteStore,
    pub fetcher: Fetcher,
    published: u64,
}

impl Lab {
    pub fn new() -> Self {
        Self::with_config("", &FetchConfig::default())
    }

    /// Builds the lab with `extra` lines in the remote's config and the given timeouts.
    pub fn with_config(extra: &str, fetch: &FetchConfig) -> Self {
        let served = TempDir::new().unwrap();
        let state = TempDir::new().unwrap();
        let server = HttpServer::start(served.path());
        let key = SecretKey::generate();
        let text = config_text(&server.url("catalog.json"), &key, extra);
        let remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text)
            .unwrap_or_else(|error| panic!("{error}\n{text}"));

        Self {
            store: RemoteStore::new(state.path()),
            fetcher: Fetcher::new(fetch).unwrap(),
            served,
            state,
            server,
            key,
            remote,
            published: 0,
        }
    }

    /// Returns a lab that has accepted `catalog(5)`.
    pub async fn accepted() -> Self {
        let mut lab = Self::new();
        lab.accept_first().await;
        lab
    }

    pub async fn accept_first(&mut self) {
        self.publish(&catalog(5));
        let outcome = self.refresh().await.unwrap();
        assert!(matches!(outcome, RefreshOutcome::Accepted { .. }));
        assert_eq!(self.accepted_serial(), Some(5));
    }

    pub fn catalog_path(&self) -> PathBuf {
        self.served.path().join("catalog.json")
    }

    pub fn signature_path(&self) -> PathBuf {
        self.served.path().join("catalog.json.minisig")
    }

    /// Publishes `catalog` signed with the lab's key.
    pub fn publish(&mut self, catalog: &Value) {
        let bytes = to_bytes(catalog);
        let signature = sign(&self.key, &bytes);
        self.publish_bytes(&bytes, Some(&signature));
    }

    /// Publishes a catalog and a signature, or no signature. Each publication gets a new
    /// modification time, so the server's ETag changes even when the size does not.
    pub fn publish_bytes(&mut self, catalog: &[u8], signature: Option<&[u8]>) {
        fs::write(self.catalog_path(), catalog).unwrap();
        match signature {
            Some(signature) => fs::write(self.signature_path(), signature).unwrap(),
            None => drop(fs::remove_file(self.signature_path())),
        }
        self.touch();
    }

    /// Gives the published files a new modification time, which changes the ETag.
    pub fn touch(&mut self) {
        self.published += 1;
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000 + self.published);
        for path in [self.catalog_path(), self.signature_path()] {
            if let Ok(file) = File::options().write(true).open(&path) {
                file.set_modified(time).unwrap();
            }
        }
    }

    pub async fn refresh(&self) -> Result<RefreshOutcome, RefreshError> {
        refresh(
            &self.remote,
            &self.store,
            &self.fetcher,
            now(),
            &mut |_, _| {},
        )
        .await
    }

    pub fn accepted_serial(&self) -> Option<u64> {
        load_accepted(&self.store, &self.remote).map(|accepted| accepted.serial())
    }

    pub fn status(&self) -> StoredStatus {
        let path = self.state.path().join("remotes/lab/status.json");
        serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
    }

    /// Checks that a refresh failed with `kind`, that serial 5 is still the accepted
    /// catalog, and that the status records the failure.
    pub fn assert_rejected(&self, result: Result<RefreshOutcome, RefreshError>, kind: &str) {
        let error = match result {
            Err(error) => error,
            Ok(outcome) => panic!("expected a {kind} error, got {outcome:?}"),
        };
        assert_eq!(error.kind(), kind, "{}", error.full_message());
        assert_eq!(self.accepted_serial(), Some(5));

        let status = self.status();
        assert_eq!(
            status.accepted.as_ref().map(|record| record.serial),
            Some(5)
        );
        let last_error = status.last_error.expect("the status records the error");
        assert_eq!(last_error.kind, kind);
        assert_eq!(last_error.message, error.full_message());
        let generation = status.accepted.unwrap().generation;
        let expected = [format!("generation-{generation}"), "status.json".to_owned()];
        assert_eq!(
            self.remote_dir_entries(),
            expected,
            "a rejected pair was left on disk"
        );
    }

    /// Names in the remote's state folder, sorted.
    pub fn remote_dir_entries(&self) -> Vec<String> {
        let folder = self.state.path().join("remotes/lab");
        let mut entries: Vec<String> = fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        entries.sort();
        entries
    }
}
