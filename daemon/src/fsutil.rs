//! Crash-safe file writes for all daemon state and authored files.

use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` so that readers see the old file or the new
/// one, never a mix, even after a crash.
///
/// The data goes to a temporary file in the same folder, which is synced and
/// renamed over `path`; then the folder is synced so the rename is durable.
/// With `replace` false an existing file is kept and `AlreadyExists` returned.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32, replace: bool) -> io::Result<()> {
    let folder = parent_folder(path);
    let mut file = tempfile::Builder::new()
        .prefix(".hwupd-")
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(&folder)?;

    // The umask may have cleared bits of `mode`, so set the mode exactly.
    file.as_file()
        .set_permissions(Permissions::from_mode(mode))?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;

    let persisted = if replace {
        file.persist(path).map(drop)
    } else {
        file.persist_noclobber(path).map(drop)
    };
    persisted.map_err(|e| e.error)?;
    sync_folder(&folder)
}

/// Returns the folder that contains `path`, which is `.` for a bare file name.
pub fn parent_folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Syncs a folder so that renames and new entries in it survive a crash.
pub fn sync_folder(folder: &Path) -> io::Result<()> {
    File::open(folder)?.sync_all()
}

/// Creates `path` and its parents with mode 0700 when missing.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_or_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(&path, b"one", 0o600, true).unwrap();
        write_atomic(&path, b"two", 0o600, true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");

        let kept = write_atomic(&path, b"three", 0o600, false).unwrap_err();
        assert_eq!(kept.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
    }

    #[test]
    fn write_atomic_sets_mode_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write_atomic(&path, b"secret", 0o600, true).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
