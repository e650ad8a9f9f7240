//! What one history entry contains: the transition to record, the stored record, filters.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::HistoryError;
use super::state::UpdateState;
use crate::catalog::document::InstallMethod;

/// Maximum length in bytes of an id (device, release, remote).
pub const MAX_ID_BYTES: usize = 256;

/// Maximum length in bytes of free text (device name, versions, reason). Longer text is
/// cut at a character boundary, so that a long error message never costs the record.
pub const MAX_TEXT_BYTES: usize = 4096;

/// One change of state of one update (a release on a device), as the daemon reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub state: UpdateState,
    /// Time of the change in UTC, RFC 3339 in JSON. Stored with whole seconds.
    pub time: Timestamp,
    pub device_id: String,
    /// Device name at the time, as the firmware or driver reports it.
    pub device_name: String,
    /// Release id, unique within its remote's catalog.
    pub release_id: String,
    pub remote_id: String,
    /// Version the device reported before the update.
    pub version_before: String,
    /// Version of the release, which the device reports after a successful update.
    pub version_after: String,
    /// SHA-256 of the payload in lowercase hex, once known.
    pub payload_sha256: Option<String>,
    pub install_method: InstallMethod,
    /// Why the update entered this state: a deferral's policy, an error message.
    pub reason: Option<String>,
}

/// A transition as stored, with its row id and the attempt it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Row id, which grows with every record.
    pub id: i64,
    /// Id of the attempt for `applying` and the states after it: the row id of the
    /// attempt's `applying` record. `None` for the states before an attempt.
    pub attempt_id: Option<i64>,
    /// `time` in seconds since the Unix epoch.
    pub time_unix: i64,
    #[serde(flatten)]
    pub transition: Transition,
}

/// One apply attempt: its first record and the state it has reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub attempt_id: i64,
    /// The `applying` record that started the attempt.
    pub start: Record,
    /// The attempt's latest record, which is `start` while the attempt is applying.
    pub latest: Record,
}

/// Selects records in [`super::History::list`]. Every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub device_id: Option<String>,
    pub release_id: Option<String>,
    pub state: Option<UpdateState>,
    pub attempt_id: Option<i64>,
    /// Only records at or after this time.
    pub since: Option<Timestamp>,
    /// Only the latest `limit` records that match.
    pub limit: Option<usize>,
}

impl Transition {
    /// Returns a copy in another state with another reason, at the current time.
    pub fn to_state(&self, state: UpdateState, reason: Option<String>) -> Self {
        Self {
            state,
            time: Timestamp::now(),
            reason,
            ..self.clone()
        }
    }

    /// Checks the ids and the payload hash, cuts long text and drops sub-second time.
    pub(crate) fn normalized(&self) -> Result<Self, HistoryError> {
        check_id("device_id", &self.device_id)?;
        check_id("release_id", &self.release_id)?;
        check_id("remote_id", &self.remote_id)?;
        let payload_sha256 = match &self.payload_sha256 {
            Some(hash) => Some(check_sha256(hash)?),
            None => None,
        };

        Ok(Self {
            state: self.state,
            time: whole_seconds(self.time),
            device_id: self.device_id.clone(),
            device_name: truncate(&self.device_name),
            release_id: self.release_id.clone(),
            remote_id: self.remote_id.clone(),
            version_before: truncate(&self.version_before),
            version_after: truncate(&self.version_after),
            payload_sha256,
            install_method: self.install_method.clone(),
            reason: self.reason.as_deref().map(truncate),
        })
    }
}

/// Rejects an empty or oversized id, or one with control characters.
fn check_id(field: &'static str, value: &str) -> Result<(), HistoryError> {
    let problem = if value.is_empty() {
        "it is empty"
    } else if value.len() > MAX_ID_BYTES {
        "it is longer than 256 bytes"
    } else if value.chars().any(char::is_control) {
        "it contains control characters"
    } else {
        return Ok(());
    };
    Err(invalid(field, value, problem))
}

/// Returns the hash in lowercase, or an error unless it is 64 hex digits.
fn check_sha256(value: &str) -> Result<String, HistoryError> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(value.to_ascii_lowercase());
    }
    Err(invalid(
        "payload_sha256",
        value,
        "a SHA-256 hash is 64 hexadecimal digits",
    ))
}

fn invalid(field: &'static str, value: &str, problem: &'static str) -> HistoryError {
    HistoryError::InvalidField {
        field,
        value: truncate_to(value, 80),
        problem,
    }
}

/// Cuts free text to [`MAX_TEXT_BYTES`].
fn truncate(text: &str) -> String {
    truncate_to(text, MAX_TEXT_BYTES)
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
pub(crate) fn truncate_to(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Drops the sub-second part, so that the stored RFC 3339 time and Unix time agree.
fn whole_seconds(time: Timestamp) -> Timestamp {
    Timestamp::from_second(time.as_second()).unwrap_or(time)
}
