//! Attempt records: `state_dir/pending/<attempt_id>.json`, the whole release of an open
//! attempt, kept until the history contains its final state.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::document::{InstallMethod, Release};
use crate::fsutil::{create_private_dir, sync_folder, write_atomic};

/// Folder of the attempt records inside the state folder.
pub const PENDING_DIR: &str = "pending";

/// Largest record read back. A release is a few kilobytes.
const MAX_RECORD_BYTES: u64 = 1024 * 1024;

/// How far an open attempt got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// The attempt started and may have changed the device, with no result yet.
    Applying,
    /// The backend returned `PendingReboot`: the update takes effect at the next boot.
    PendingReboot,
}

/// One open attempt, with what [`super::recover`] needs after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttemptRecord {
    pub attempt_id: i64,
    pub phase: Phase,
    pub device_id: String,
    pub remote_id: String,
    pub install_method: InstallMethod,
    /// Boot id when the record was written; a different one at start means a reboot.
    pub boot_id: Option<String>,
    /// The whole release, because the catalog may change before the next boot.
    pub release: Release,
}

/// Returns `state_dir/pending/<attempt_id>.json`.
pub fn record_path(state_dir: &Path, attempt_id: i64) -> PathBuf {
    state_dir
        .join(PENDING_DIR)
        .join(format!("{attempt_id}.json"))
}

/// Writes a record atomically with mode 0600, creating the folder.
pub fn save(state_dir: &Path, record: &AttemptRecord) -> io::Result<()> {
    create_private_dir(&state_dir.join(PENDING_DIR))?;
    let json = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    write_atomic(
        &record_path(state_dir, record.attempt_id),
        &json,
        0o600,
        true,
    )
}

/// Deletes a record and syncs the folder; a missing record counts as deleted.
pub fn remove(state_dir: &Path, attempt_id: i64) -> io::Result<()> {
    match std::fs::remove_file(record_path(state_dir, attempt_id)) {
        Ok(()) => sync_folder(&state_dir.join(PENDING_DIR)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Reads every record, oldest attempt first. A file that cannot be read or parsed is
/// returned as an error message naming it, and stays on disk for an operator.
pub fn list(state_dir: &Path) -> (Vec<AttemptRecord>, Vec<String>) {
    let folder = state_dir.join(PENDING_DIR);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return (Vec::new(), Vec::new()),
        Err(e) => {
            return (
                Vec::new(),
                vec![format!("reading {} failed: {e}", folder.display())],
            )
        }
    };

    let (mut records, mut errors) = (Vec::new(), Vec::new());
    for entry in entries.flatten() {
        let path = entry.path();
        if !is_record_name(&path) {
            continue;
        }
        match read(&path) {
            Ok(record) => records.push(record),
            Err(e) => errors.push(e),
        }
    }
    records.sort_by_key(|record| record.attempt_id);
    (records, errors)
}

/// Returns whether the file name is `<digits>.json`, so temporary files are skipped.
fn is_record_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    let stem = name.strip_suffix(".json").unwrap_or("");
    !stem.is_empty() && stem.bytes().all(|byte| byte.is_ascii_digit())
}

/// Reads one record without following a symbolic link, and checks its attempt id
/// against its file name.
fn read(path: &Path) -> Result<AttemptRecord, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let invalid = |reason: String| {
        format!(
            "attempt record {} is invalid: {reason}; fix or delete it",
            path.display()
        )
    };
    let mut bytes = Vec::new();
    std::fs::File::options()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)
        .and_then(|file| file.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| invalid(e.to_string()))?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err(invalid(format!("larger than {MAX_RECORD_BYTES} bytes")));
    }

    let record: AttemptRecord =
        serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    let expected = format!("{}.json", record.attempt_id);
    if path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
        return Err(invalid(format!("it names attempt {}", record.attempt_id)));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn write_raw(dir: &Path, name: &str, bytes: &[u8]) {
        std::fs::create_dir_all(dir.join(PENDING_DIR)).unwrap();
        std::fs::write(dir.join(PENDING_DIR).join(name), bytes).unwrap();
    }

    #[test]
    fn list_reports_bad_records_and_skips_other_files() {
        let dir = tempfile::tempdir().unwrap();
        write_raw(dir.path(), "7.json", b"{\"attempt_id\": 7");
        write_raw(dir.path(), "8.json", b"[]");
        write_raw(dir.path(), ".hwupd-tmp", b"x");
        write_raw(dir.path(), "notes.txt", b"x");

        let (records, errors) = list(dir.path());

        assert!(records.is_empty());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().all(|e| e.contains("fix or delete it")));
    }

    #[test]
    fn list_rejects_oversized_record() {
        let dir = tempfile::tempdir().unwrap();
        write_raw(
            dir.path(),
            "9.json",
            &vec![b' '; MAX_RECORD_BYTES as usize + 1],
        );

        let (_, errors) = list(dir.path());

        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("larger than"), "{errors:?}");
    }

    #[test]
    fn remove_missing_record_is_ok() {
        let dir = tempfile::tempdir().unwrap();
        remove(dir.path(), 3).unwrap();
    }

    proptest! {
        #[test]
        fn read_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let dir = tempfile::tempdir().unwrap();
            write_raw(dir.path(), "1.json", &bytes);
            let _ = list(dir.path());
        }
    }
}
