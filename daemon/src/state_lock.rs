//! The exclusive lock on the state folder, which keeps a second hwupd from changing the
//! state of a running one.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg, OFlag};

/// Name of the lock file inside the state folder. It contains the PID of the holder.
pub const LOCK_FILE: &str = "hwupd.lock";

/// Maximum number of bytes read from a lock file, which contains one PID and a newline.
const MAX_LOCK_FILE_SIZE: u64 = 32;

/// Failure to lock the state folder.
#[derive(Debug, thiserror::Error)]
pub enum StateLockError {
    #[error(
        "state folder {dir} is in use by another hwupd ({holder}); stop that process first, \
         or pass another folder with --state-dir",
        dir = dir.display(),
        holder = describe_holder(*pid)
    )]
    Held { dir: PathBuf, pid: Option<u32> },

    #[error("{action} lock file {path} failed: {source}", path = path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn describe_holder(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("PID {pid}"),
        None => "PID unknown".to_string(),
    }
}

/// An exclusive `flock` on `<state_dir>/hwupd.lock`, released when the value is dropped
/// or the process ends, a crash included.
#[derive(Debug)]
pub struct StateLock {
    _file: Flock<File>,
}

impl StateLock {
    /// Locks `state_dir` for this process and writes the PID into the lock file. Fails
    /// with [`StateLockError::Held`] at once, without waiting, while another process
    /// holds the lock.
    pub fn acquire(state_dir: &Path) -> Result<Self, StateLockError> {
        let path = state_dir.join(LOCK_FILE);
        let file = open_lock_file(&path)?;

        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                let pid = read_pid(&mut file);
                let dir = state_dir.to_path_buf();
                return Err(StateLockError::Held { dir, pid });
            }
            Err((_, errno)) => return Err(io_error("locking", &path, errno.into())),
        };

        write_pid(&mut file).map_err(|source| io_error("writing", &path, source))?;
        tracing::debug!(path = %path.display(), "locked the state folder");
        Ok(Self { _file: file })
    }
}

/// Opens or creates the lock file with mode 0600, without following a symbolic link.
fn open_lock_file(path: &Path) -> Result<File, StateLockError> {
    File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits())
        .open(path)
        .map_err(|source| io_error("opening", path, source))
}

/// Reads the holder's PID, or None when the file is empty or contains something else.
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.take(MAX_LOCK_FILE_SIZE)
        .read_to_string(&mut text)
        .ok()?;
    text.trim().parse().ok()
}

/// Replaces the file's content with this process's PID.
fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    let line = format!("{}\n", std::process::id());
    std::os::unix::fs::FileExt::write_all_at(file, line.as_bytes(), 0)?;
    file.flush()
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> StateLockError {
    StateLockError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_rejected_with_pid() {
        let dir = tempfile::tempdir().unwrap();
        let _first = StateLock::acquire(dir.path()).unwrap();

        let error = StateLock::acquire(dir.path()).unwrap_err();

        let pid = std::process::id();
        assert!(
            matches!(error, StateLockError::Held { pid: Some(found), .. } if found == pid),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains(&format!("PID {pid}")), "{message}");
        assert!(message.contains("--state-dir"), "{message}");
    }

    #[test]
    fn lock_is_free_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        drop(StateLock::acquire(dir.path()).unwrap());

        assert!(StateLock::acquire(dir.path()).is_ok());
    }

    #[test]
    fn lock_file_contains_pid() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "999999999 and more text\n").unwrap();

        let _lock = StateLock::acquire(dir.path()).unwrap();

        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
    }

    #[test]
    fn unreadable_pid_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let _first = StateLock::acquire(dir.path()).unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "not a pid").unwrap();

        let error = StateLock::acquire(dir.path()).unwrap_err();

        assert!(error.to_string().contains("PID unknown"), "{error}");
    }

    #[test]
    fn symlinked_lock_file_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(LOCK_FILE)).unwrap();

        let error = StateLock::acquire(dir.path()).unwrap_err();

        assert!(
            matches!(
                error,
                StateLockError::Io {
                    action: "opening",
                    ..
                }
            ),
            "{error:?}"
        );
    }
}
