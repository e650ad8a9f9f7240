//! JSON records that backends keep in the state folder between apply, verify and rollback.

use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::files::{remove_synced, safe_name};
use super::BackendError;
use crate::fsutil::{create_private_dir, write_atomic};

/// Largest record read back; records are a few hundred bytes.
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// Returns `<state_dir>/backends/<method>/<key>.json`.
pub fn record_path(state_dir: &Path, method: &str, key: &str) -> Result<PathBuf, BackendError> {
    let file = format!("{}.json", safe_name("record key", key)?);
    Ok(state_dir.join("backends").join(method).join(file))
}

/// Writes a record atomically with mode 0600, creating its folder.
pub fn save<T: Serialize>(path: &Path, record: &T) -> Result<(), BackendError> {
    let folder = crate::fsutil::parent_folder(path);
    create_private_dir(&folder).map_err(|e| BackendError::io("creating folder", &folder, e))?;
    let json = serde_json::to_vec_pretty(record).map_err(io::Error::other);
    json.and_then(|json| write_atomic(path, &json, 0o600, true))
        .map_err(|e| BackendError::io("writing record", path, e))
}

/// Reads a record, or None when it does not exist.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, BackendError> {
    let bytes = match read_capped(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BackendError::io("reading record", path, e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| BackendError::InvalidState {
            item: "backend record",
            path: path.to_path_buf(),
            reason: format!("{e}; delete the file to discard the record"),
        })
}

/// Deletes a record; a missing record counts as deleted.
pub fn delete(path: &Path) -> Result<(), BackendError> {
    remove_synced(path).map_err(|e| BackendError::io("removing record", path, e))
}

fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_RECORD_BYTES)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample {
        value: u32,
    }

    #[test]
    fn save_load_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = record_path(dir.path(), "kmod", "nvme").unwrap();
        assert_eq!(load::<Sample>(&path).unwrap(), None);

        save(&path, &Sample { value: 7 }).unwrap();
        assert_eq!(load::<Sample>(&path).unwrap(), Some(Sample { value: 7 }));

        delete(&path).unwrap();
        delete(&path).unwrap();
        assert_eq!(load::<Sample>(&path).unwrap(), None);
    }

    #[test]
    fn load_reports_corrupt_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, b"{not json").unwrap();
        let error = load::<Sample>(&path).unwrap_err().to_string();
        assert!(error.contains("bad.json"), "{error}");
    }

    #[test]
    fn record_key_must_be_a_name() {
        assert!(record_path(Path::new("/s"), "kmod", "../x").is_err());
    }
}
