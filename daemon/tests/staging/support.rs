//! Shared setup of the staging tests: payload files, a served folder, a state folder and
//! stage requests.

use std::path::{Path, PathBuf};

use hwupd::catalog::document::Payload;
use hwupd::staging::{CatalogBase, StageError, StageRequest, StagedPayload, StagingStore};
use hwupd_tests::http::HttpServer;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// Deterministic bytes that differ from position to position, so that an offset error
/// changes the hash.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A served folder, a state folder and the loopback server.
pub struct Setup {
    pub root: TempDir,
    pub server: HttpServer,
}

impl Setup {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("served/fw")).unwrap();
        std::fs::create_dir_all(root.path().join("state")).unwrap();
        let server = HttpServer::start(&root.path().join("served"));
        Self { root, server }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.path().join("state")
    }

    pub fn staged_dir(&self) -> PathBuf {
        self.state_dir().join("staged")
    }

    pub fn served(&self) -> PathBuf {
        self.root.path().join("served")
    }

    /// Writes a payload under the served folder and returns its path relative to it.
    pub fn serve(&self, path: &str, bytes: &[u8]) -> String {
        std::fs::write(self.served().join(path), bytes).unwrap();
        path.to_owned()
    }

    pub fn open(&self) -> StagingStore {
        StagingStore::open(&self.state_dir()).unwrap()
    }

    /// Request for `path` from the catalog at `/catalog.json` on the server.
    pub fn request(&self, path: &str, sha256: &str, size: u64) -> StageRequest {
        let url = self.server.url("catalog.json").parse().unwrap();
        request(CatalogBase::Url(url), path, sha256, size)
    }

    pub fn partial_path(&self, sha256: &str) -> PathBuf {
        self.staged_dir().join(format!("{sha256}.partial"))
    }

    pub fn payload_path(&self, sha256: &str) -> PathBuf {
        self.staged_dir().join(format!("{sha256}.payload"))
    }

    /// Names in the staging folder, sorted.
    pub fn staged_names(&self) -> Vec<String> {
        names(&self.staged_dir())
    }

    /// Range header of each request the server logged, in order.
    pub fn ranges(&self) -> Vec<Option<String>> {
        let requests = self.server.requests();
        requests
            .iter()
            .map(|request| request.headers.get("range").cloned())
            .collect()
    }
}

pub fn request(base: CatalogBase, path: &str, sha256: &str, size: u64) -> StageRequest {
    StageRequest {
        remote_id: "lab".to_owned(),
        release_id: "nic-2.1.0".to_owned(),
        device_id: "pci-0000-03-00.0".to_owned(),
        payload: Payload {
            path: path.to_owned(),
            sha256: sha256.to_owned(),
            size,
            url: None,
        },
        base,
        allow_other_hosts: false,
    }
}

/// Stages with a client built for the call and progress ignored.
pub async fn stage(
    store: &StagingStore,
    request: StageRequest,
) -> Result<StagedPayload, StageError> {
    let client = reqwest::Client::new();
    store.stage(&client, request, &mut |_, _| {}).await
}

/// Entries of `index.json` as JSON, or an empty list if the file is missing.
pub fn index_items(staged: &Path) -> Vec<serde_json::Value> {
    let Ok(text) = std::fs::read_to_string(staged.join("index.json")) else {
        return Vec::new();
    };
    let index: serde_json::Value = serde_json::from_str(&text).unwrap();
    index["items"].as_array().unwrap().clone()
}

/// Names in a folder, sorted.
pub fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
