//! Bounded reads of local files: local catalogs, their signatures and the remote's state.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Failure of a bounded read.
#[derive(Debug)]
pub(super) enum ReadError {
    Io(io::Error),
    /// The file has more than the maximum number of bytes.
    TooLarge,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(error) => error.fmt(f),
            Self::TooLarge => f.write_str("the file is larger than the maximum size"),
        }
    }
}

/// Reads a regular file of at most `max` bytes. Reading stops one byte past `max`, so a
/// file that grows meanwhile, or a device file, cannot make it read more.
pub(super) fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = File::open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if !metadata.is_file() {
        let error = io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
        return Err(ReadError::Io(error));
    }
    if metadata.len() > max {
        return Err(ReadError::TooLarge);
    }

    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Returns the catalog file of a local remote: `path` itself, or `path/catalog.json` when
/// `path` is a folder.
pub(super) fn catalog_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("catalog.json")
    } else {
        path.to_owned()
    }
}

/// Returns the path with `.minisig` appended, where a catalog's signature is published.
pub(super) fn signature_file(catalog: &Path) -> PathBuf {
    let mut path = catalog.as_os_str().to_owned();
    path.push(".minisig");
    PathBuf::from(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_bounded_reads_up_to_max() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, b"12345").unwrap();

        assert_eq!(read_bounded(&path, 5).unwrap(), b"12345");
        assert!(matches!(read_bounded(&path, 4), Err(ReadError::TooLarge)));
    }

    #[test]
    fn read_bounded_rejects_folder_and_missing() {
        let dir = tempfile::tempdir().unwrap();

        let folder = read_bounded(dir.path(), 10);
        let missing = read_bounded(&dir.path().join("missing"), 10);

        assert!(matches!(folder, Err(ReadError::Io(_))));
        let Err(ReadError::Io(error)) = missing else {
            panic!("expected an I/O error, got {missing:?}");
        };
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn catalog_file_looks_into_folders() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lab.json");

        assert_eq!(catalog_file(dir.path()), dir.path().join("catalog.json"));
        assert_eq!(catalog_file(&file), file);
        assert_eq!(signature_file(&file), dir.path().join("lab.json.minisig"));
    }
}
