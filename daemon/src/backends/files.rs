//! File helpers of the install methods: safe names, bounded reads and atomic copies.

use std::fs::{self, File, Permissions};
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::BackendError;
use crate::catalog::document::MAX_PAYLOAD_SIZE;
use crate::fsutil::{parent_folder, sync_folder};

/// Maximum length in bytes of a file name on Linux file systems.
const MAX_NAME_LEN: usize = 255;

/// Returns `value` when it can be one path component: not empty, `.` or `..`, and
/// without `/`, NUL or control characters.
pub fn safe_name<'a>(item: &'static str, value: &'a str) -> Result<&'a str, BackendError> {
    let unsafe_char = |c: char| c == '/' || c.is_control();
    let bad = value.is_empty()
        || value == "."
        || value == ".."
        || value.len() > MAX_NAME_LEN
        || value.chars().any(unsafe_char);
    if bad {
        return Err(BackendError::UnsafeName {
            item,
            value: value.to_string(),
        });
    }
    Ok(value)
}

/// Reads a payload into memory, rejecting one larger than a catalog may declare.
pub fn read_payload(path: &Path) -> Result<Vec<u8>, BackendError> {
    let file = File::open(path).map_err(|e| BackendError::io("opening payload", path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_PAYLOAD_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| BackendError::io("reading payload", path, e))?;
    if bytes.len() as u64 > MAX_PAYLOAD_SIZE {
        return Err(BackendError::InvalidPayload {
            path: path.to_path_buf(),
            reason: format!("it is larger than the maximum of {MAX_PAYLOAD_SIZE} bytes"),
        });
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` through a synced temporary file in the same folder and a
/// rename, so readers see the old file or the new one.
///
/// Unlike `fsutil::write_atomic`, it never calls chmod, which vfat rejects: the mode
/// is set when the temporary file is created.
pub fn write_replace(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let folder = parent_folder(path);
    let mut file = tempfile::Builder::new()
        .prefix(".hwupd-")
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(&folder)?;
    io::Write::write_all(&mut file, bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    sync_folder(&folder)
}

/// Copies `source` over `target` atomically, as [`write_replace`] does.
pub fn copy_replace(source: &Path, target: &Path, mode: u32) -> io::Result<()> {
    let bytes = fs::read(source)?;
    write_replace(target, &bytes, mode)
}

/// Removes a file and syncs its folder; a missing file counts as removed.
pub fn remove_synced(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => sync_folder(&parent_folder(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Returns the SHA-256 of a file in hex, or None when the file does not exist.
pub fn file_sha256(path: &Path) -> io::Result<Option<String>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(Some(crate::device::hex(&hasher.finalize())))
}

/// Returns the SHA-256 of `bytes` in hex.
pub fn sha256(bytes: &[u8]) -> String {
    crate::device::hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn safe_name_rejects_paths() {
        for value in ["", ".", "..", "a/b", "/etc", "a\0b", "a\nb"] {
            assert!(safe_name("test value", value).is_err(), "{value:?}");
        }
        assert!(safe_name("test value", &"a".repeat(256)).is_err());
        assert_eq!(safe_name("test value", "nvme").unwrap(), "nvme");
        assert_eq!(
            safe_name("test value", "6.1.0-18-amd64").unwrap(),
            "6.1.0-18-amd64"
        );
    }

    #[test]
    fn write_replace_leaves_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.cap");
        write_replace(&path, b"one", 0o644).unwrap();
        write_replace(&path, b"two", 0o644).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn file_sha256_of_missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(file_sha256(&dir.path().join("missing")).unwrap(), None);
        let path = dir.path().join("empty");
        fs::write(&path, b"").unwrap();
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(file_sha256(&path).unwrap().as_deref(), Some(empty));
    }

    proptest! {
        #[test]
        fn safe_names_stay_in_their_folder(value in "\\PC{0,12}") {
            if let Ok(name) = safe_name("test value", &value) {
                let joined = Path::new("/base").join(name);
                prop_assert_eq!(joined.parent(), Some(Path::new("/base")));
            }
        }
    }
}
