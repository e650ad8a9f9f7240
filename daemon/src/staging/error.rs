//! Failures of staging, with the values that a log line or a D-Bus error needs.

use std::error::Error as _;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::catalog::document::Problem;

/// Failure to stage, verify or unstage a payload.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The payload's SHA-256 differs from the catalog's. The file was deleted.
    #[error(
        "payload from {location} has SHA-256 {actual}, but the catalog expects {expected}; \
         the file was deleted, so stage it again, and if it fails again the server or the \
         catalog is wrong"
    )]
    HashMismatch {
        location: String,
        expected: String,
        actual: String,
    },

    /// The payload is shorter than the catalog declares, or the server announced another
    /// size.
    #[error(
        "payload from {location} is {actual} bytes, but the catalog declares {expected} bytes"
    )]
    SizeMismatch {
        location: String,
        expected: u64,
        actual: u64,
    },

    /// The payload is longer than the catalog declares. The download stopped there and
    /// was deleted.
    #[error(
        "payload from {location} is at least {at_least} bytes, more than the {declared} \
         bytes that the catalog declares; the download was stopped and deleted"
    )]
    TooLarge {
        location: String,
        declared: u64,
        at_least: u64,
    },

    #[error(
        "staging folder {folder} has {free} bytes free, but staging needs {needed} bytes \
         (the rest of the payload plus a safety margin); free some space and retry",
        folder = folder.display()
    )]
    NoSpace {
        folder: PathBuf,
        needed: u64,
        free: u64,
    },

    #[error("server responded to {url} with HTTP status {status}")]
    Http { status: u16, url: String },

    /// The request failed before or during the body: connection, TLS, timeout or stall.
    #[error("fetching {url} failed: {reason}")]
    Fetch { url: String, reason: FetchFailure },

    /// The payload path is invalid, or a local path resolves outside the remote's folder.
    #[error("payload path {path:?} is rejected because it would leave {base}: {reason}")]
    PathEscapes {
        path: String,
        base: String,
        reason: String,
    },

    /// A field of the payload other than its path breaks the catalog format.
    #[error("payload field {field} is invalid: {problem}")]
    InvalidPayload {
        field: &'static str,
        problem: Problem,
    },

    #[error("{action} {path} failed: {source}", path = path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error("payload {sha256} is already being staged; wait for that job to finish")]
    InProgress { sha256: String },

    /// A `stage` call for the release is downloading or verifying its payload, which it
    /// would list again when it ends.
    #[error(
        "release {release_id} is being staged now (payload {sha256}); wait for the stage \
         job to finish, then unstage it again"
    )]
    BeingStaged { release_id: String, sha256: String },

    #[error("no staged payload has SHA-256 {sha256}; stage the release first")]
    NotStaged { sha256: String },
}

impl StageError {
    pub(super) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Cause of a [`StageError::Fetch`].
#[derive(Debug)]
pub enum FetchFailure {
    /// The HTTP client failed: connection refused, TLS, timeout, or a connection that
    /// closed before the announced length.
    Request(reqwest::Error),
    /// No body data arrived for this long.
    Stalled(Duration),
}

impl FetchFailure {
    /// Returns whether the failure is a timeout of the client or a stall.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Request(error) => error.is_timeout(),
            Self::Stalled(_) => true,
        }
    }
}

impl fmt::Display for FetchFailure {
    /// Writes the whole cause chain, because reqwest's own message only names the URL.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stalled(limit) => {
                write!(formatter, "no data received for {} s", limit.as_secs())
            }
            Self::Request(error) => {
                write!(formatter, "{error}")?;
                let mut cause = error.source();
                while let Some(inner) = cause {
                    write!(formatter, ": {inner}")?;
                    cause = inner.source();
                }
                Ok(())
            }
        }
    }
}
