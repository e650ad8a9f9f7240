//! Payloads of local remotes: opened without leaving the remote's folder, then copied.

use std::fs::File;
use std::io::{self, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::partial::{PartialFile, TransferError};
use super::progress::Throttle;
use super::StageError;

/// Opens the regular file at the validated relative `path` inside `folder`.
///
/// The path is canonicalized first, so that a symbolic link that points outside the
/// folder gets an error that names its target. The file is then opened with `openat2`
/// and `RESOLVE_BENEATH`, so that a link swapped in after the check cannot escape
/// either. Kernels before 5.6 lack `openat2`, and there the canonical path is opened
/// with `O_NOFOLLOW`, which leaves a race on the parent folders.
pub(super) fn open_beneath(folder: &Path, path: &str) -> Result<File, StageError> {
    let root = canonicalize(folder)?;
    let resolved = canonicalize(&root.join(path))?;
    if !resolved.starts_with(&root) {
        let reason = format!("it resolves to {}", resolved.display());
        return Err(escapes(folder, path, reason));
    }

    let file = open_resolved(&root, path, &resolved)?;
    let metadata = file
        .metadata()
        .map_err(|source| StageError::io("reading", &resolved, source))?;
    if !metadata.is_file() {
        let source = io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
        return Err(StageError::io("reading", resolved, source));
    }
    Ok(file)
}

fn open_resolved(root: &Path, path: &str, resolved: &Path) -> Result<File, StageError> {
    let directory = File::open(root).map_err(|source| StageError::io("opening", root, source))?;
    // O_NONBLOCK keeps a FIFO planted in the folder from blocking the open. It has no
    // effect on regular files.
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY | OFlag::O_NONBLOCK;
    let resolve = ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_MAGICLINKS;
    let how = OpenHow::new().flags(flags).resolve(resolve);

    match openat2(&directory, path, how) {
        Ok(fd) => Ok(File::from(fd)),
        Err(Errno::EXDEV) => {
            let reason = "a symbolic link on the path points outside the folder".to_owned();
            Err(escapes(root, path, reason))
        }
        // Older kernels, and some seccomp filters, do not allow openat2.
        Err(Errno::ENOSYS | Errno::EPERM) => open_no_follow(resolved),
        Err(errno) => Err(StageError::io("opening", root.join(path), errno.into())),
    }
}

fn open_no_follow(resolved: &Path) -> Result<File, StageError> {
    let flags = OFlag::O_CLOEXEC | OFlag::O_NOCTTY | OFlag::O_NONBLOCK | OFlag::O_NOFOLLOW;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(resolved)
        .map_err(|source| StageError::io("opening", resolved, source))
}

fn canonicalize(path: &Path) -> Result<std::path::PathBuf, StageError> {
    std::fs::canonicalize(path).map_err(|source| StageError::io("resolving", path, source))
}

fn escapes(folder: &Path, path: &str, reason: String) -> StageError {
    StageError::PathEscapes {
        path: path.to_owned(),
        base: folder.display().to_string(),
        reason,
    }
}

/// Size of one read from a local payload.
const READ_BUFFER: usize = 256 * 1024;

/// Copies the rest of a local payload after the bytes that `partial` already contains.
pub(super) async fn copy(
    folder: &Path,
    path: &str,
    partial: &mut PartialFile,
    throttle: &mut Throttle<'_>,
) -> Result<(), TransferError> {
    let source_path = folder.join(path);
    let read_error = |source| StageError::io("reading", &source_path, source);
    let file = open_beneath(folder, path)?;
    let length = file.metadata().map_err(read_error)?.len();
    check_source_length(length, partial)?;

    let mut file = tokio::fs::File::from_std(file);
    file.seek(SeekFrom::Start(partial.len()))
        .await
        .map_err(read_error)?;
    let mut buffer = vec![0; READ_BUFFER];
    loop {
        let count = file.read(&mut buffer).await.map_err(read_error)?;
        if count == 0 {
            break;
        }
        partial.write(&buffer[..count])?;
        throttle.update(partial.len());
    }

    if partial.len() < partial.declared() {
        return Err(partial.short_error());
    }
    Ok(())
}

/// Rejects a local payload whose size differs from the declared size.
fn check_source_length(length: u64, partial: &PartialFile) -> Result<(), TransferError> {
    let declared = partial.declared();
    let location = partial.location().to_owned();
    let error = match length {
        length if length > declared => StageError::TooLarge {
            location,
            declared,
            at_least: length,
        },
        length if length < declared => StageError::SizeMismatch {
            location,
            expected: declared,
            actual: length,
        },
        _ => return Ok(()),
    };
    Err(TransferError::Rejected(error))
}
