//! Errors of the update history.

use std::path::PathBuf;

use super::state::{join_states, UpdateState};

/// Failure to open, write or read the history database. The messages include the
/// SQLite or OS error, so no variant has a source that a chain of errors would print
/// again.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("opening history database {path} failed: {error}")]
    Open {
        path: PathBuf,
        error: rusqlite::Error,
    },

    #[error("creating history database {path} failed: {error}")]
    Create {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error("new history database {path} is unreadable too: {problem}")]
    Unreadable { path: PathBuf, problem: String },

    #[error(
        "moving the unreadable history database {path} aside failed: {error}; \
         move or delete it by hand"
    )]
    MoveAside {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error(
        "history database {path} has schema version {found}, but this hwupd knows versions \
         up to {supported}; upgrade hwupd, or move the file aside to start a new history"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error(
        "invalid transition of release {release_id} on device {device_id}: {} to {to}; \
         valid next states are: {}",
        from.map_or("no record", UpdateState::as_str),
        join_states(UpdateState::allowed_after(*from))
    )]
    InvalidTransition {
        device_id: String,
        release_id: String,
        from: Option<UpdateState>,
        to: UpdateState,
    },

    #[error("invalid {field} {value:?} in update transition: {problem}")]
    InvalidField {
        field: &'static str,
        value: String,
        problem: &'static str,
    },

    #[error("attempt {attempt_id} not found in the history")]
    AttemptNotFound { attempt_id: i64 },

    #[error(
        "attempt {attempt_id} is not interrupted: its last state is {state}, \
         and only an attempt left in applying can be marked"
    )]
    NotInterrupted { attempt_id: i64, state: UpdateState },

    #[error("history database row {id} has an invalid {column}: {problem}")]
    InvalidRow {
        id: i64,
        column: &'static str,
        problem: String,
    },

    #[error("history database query failed: {0}")]
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for HistoryError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sql(error)
    }
}
