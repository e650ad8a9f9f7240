//! The update history: every state transition of every update, in SQLite.
//!
//! The database is `state_dir/history.sqlite` in WAL mode with `synchronous=FULL`, so each
//! record is durable once [`History::record`] returns. The daemon is the only writer.
//! Other root processes may read the file at any time, because WAL readers do not block
//! the writer, and the daemon waits up to [`BUSY_TIMEOUT`] for the brief locks that they
//! or a checkpoint take. A file that SQLite cannot read is moved aside to
//! `history.sqlite.corrupt-<time>` and a new history starts.
//!
//! NOTE: only [`History::open`] moves a corrupt file aside. Corruption that a later query
//! finds comes back as [`HistoryError::Sql`], and the file is replaced at the next open.
//!
//! An update is one release on one device. Its records follow the transitions that
//! [`UpdateState::allowed_after`] allows. An apply attempt starts with `applying`, and
//! its records share an attempt id: the row id of that `applying` record.

mod error;
mod open;
mod query;
mod schema;
mod state;
mod transition;
mod write;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use error::HistoryError;
pub use open::BUSY_TIMEOUT;
pub use schema::SCHEMA_VERSION;
pub use state::{UpdateState, ALL_STATES};
pub use transition::{Attempt, Filter, Record, Transition, MAX_ID_BYTES, MAX_TEXT_BYTES};

/// File name of the database in the state folder.
pub const FILE_NAME: &str = "history.sqlite";

/// The open history database.
///
/// NOTE: updates are keyed by device id and release id alone, so two remotes that
/// publish the same release id for the same device share one history.
pub struct History {
    connection: Connection,
    path: PathBuf,
}

impl History {
    /// Opens or creates the database at `path`, creating its folder with mode 0700 and
    /// the file with mode 0600 when missing. An unreadable or corrupt file is moved
    /// aside and replaced, with an error logged.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        let connection = open::open_or_recover(path)?;
        Ok(Self {
            connection,
            path: path.to_owned(),
        })
    }

    /// Opens `state_dir/history.sqlite`.
    pub fn open_in(state_dir: &Path) -> Result<Self, HistoryError> {
        Self::open(&state_dir.join(FILE_NAME))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a transition in its own committed transaction, durable on return, and
    /// returns its row id.
    ///
    /// A transition that repeats the latest standing state (offered, deferred, approved,
    /// staged) of the update with the same reason is not recorded, so that periodic
    /// refreshes do not flood the table. It returns the id of the existing record.
    /// A transition that [`UpdateState::allowed_after`] rejects returns
    /// [`HistoryError::InvalidTransition`]. A `succeeded` update takes only the outcome
    /// of a rollback by request, `rolled-back` or `failed`.
    pub fn record(&mut self, transition: &Transition) -> Result<i64, HistoryError> {
        write::record(&mut self.connection, transition)
    }

    /// Records `failed` with `reason` for an attempt whose latest state is `applying`,
    /// such as one found by [`History::interrupted_attempts`]. Returns the new row id.
    pub fn mark_interrupted(&mut self, attempt_id: i64, reason: &str) -> Result<i64, HistoryError> {
        let attempt = query::attempts(&self.connection, Some(attempt_id))?
            .pop()
            .ok_or(HistoryError::AttemptNotFound { attempt_id })?;
        let state = attempt.latest.transition.state;
        if state != UpdateState::Applying {
            return Err(HistoryError::NotInterrupted { attempt_id, state });
        }

        let failed = attempt
            .latest
            .transition
            .to_state(UpdateState::Failed, Some(reason.to_string()));
        self.record(&failed)
    }

    /// Returns the records that match `filter`, in the order they were recorded. With a
    /// limit, these are the latest `limit` records.
    pub fn list(&self, filter: &Filter) -> Result<Vec<Record>, HistoryError> {
        Ok(query::list(&self.connection, filter)?)
    }

    /// Returns the latest state of an update, or `None` if it has no record.
    pub fn last_state(
        &self,
        device_id: &str,
        release_id: &str,
    ) -> Result<Option<UpdateState>, HistoryError> {
        let record = self.last_record(device_id, release_id)?;
        Ok(record.map(|record| record.transition.state))
    }

    /// Returns the latest record of an update.
    pub fn last_record(
        &self,
        device_id: &str,
        release_id: &str,
    ) -> Result<Option<Record>, HistoryError> {
        Ok(query::last_record(&self.connection, device_id, release_id)?)
    }

    /// Returns true when the update was ever applied successfully, so that the daemon
    /// never applies it again.
    pub fn has_succeeded(&self, device_id: &str, release_id: &str) -> Result<bool, HistoryError> {
        Ok(query::has_succeeded(
            &self.connection,
            device_id,
            release_id,
        )?)
    }

    /// Returns the `applying` records of the attempts whose latest state is still
    /// `applying`. At start, these are attempts that the daemon stopped in the middle of,
    /// to resume or to mark with [`History::mark_interrupted`].
    pub fn interrupted_attempts(&self) -> Result<Vec<Record>, HistoryError> {
        let records = query::latest_records(&self.connection, Some(UpdateState::Applying))?;
        Ok(records)
    }

    /// Returns the latest record of every update, oldest first.
    pub fn latest_records(&self) -> Result<Vec<Record>, HistoryError> {
        Ok(query::latest_records(&self.connection, None)?)
    }

    /// Returns every apply attempt with its latest record, oldest first.
    pub fn attempts(&self) -> Result<Vec<Attempt>, HistoryError> {
        Ok(query::attempts(&self.connection, None)?)
    }
}
