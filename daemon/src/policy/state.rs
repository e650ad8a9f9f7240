//! Policy changed at run time: approvals, blocks and inhibits, and their limits.

use std::collections::BTreeSet;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::entry::ListEntry;

/// Name of the state file in the state folder.
pub const STATE_FILE_NAME: &str = "policy.json";

/// Maximum number of entries in the run-time approved or blocked list.
pub const MAX_LIST_ENTRIES: usize = 10_000;

/// Maximum number of inhibits in force at once.
pub const MAX_INHIBITS: usize = 64;

/// Maximum length in bytes of an inhibit's reason.
pub const MAX_REASON_LEN: usize = 256;

/// Maximum duration of an inhibit, so that a forgotten one runs out.
pub const MAX_INHIBIT: SignedDuration = SignedDuration::from_secs(366 * 86_400);

/// Maximum size of the state file. Full lists take about 1.5 MiB.
pub(super) const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// Format version of the state file.
pub(super) const FORMAT_VERSION: u32 = 1;

/// Approvals, blocks and inhibits added at run time, merged with the config's lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyState {
    pub approved: BTreeSet<ListEntry>,
    pub blocked: BTreeSet<ListEntry>,
    pub inhibits: Vec<Inhibit>,
}

/// A request to postpone every apply until a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inhibit {
    pub reason: String,
    /// End of the inhibit, exclusive.
    pub until: Timestamp,
    pub created: Timestamp,
}

/// Failure to read, change or write the policy state. The messages include the OS
/// error, so no variant has a source that a chain of errors would print again.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("reading policy state {path} failed: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error("policy state {path} is larger than {MAX_FILE_SIZE} bytes; move it away to start from the config's lists")]
    TooLarge { path: PathBuf },

    #[error("policy state {path} is invalid: {message}; fix it, or move it away to start from the config's lists")]
    Invalid { path: PathBuf, message: String },

    #[error("writing policy state {path} failed: {error}")]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error(
        "the {list} list already has the maximum of {MAX_LIST_ENTRIES} entries; remove some first"
    )]
    ListFull { list: &'static str },

    #[error("{MAX_INHIBITS} inhibits are already in force; clear them first")]
    TooManyInhibits,

    #[error(
        "inhibit reason {} is invalid: use 1 to {MAX_REASON_LEN} bytes without control characters",
        crate::output::quoted(reason)
    )]
    InvalidReason { reason: String },

    #[error(
        "inhibit end {until} is invalid: use a time after now ({now}) and at most 366 days ahead"
    )]
    InvalidUntil { until: Timestamp, now: Timestamp },
}

impl PolicyState {
    /// Returns the inhibit in force at `now` that lasts longest, if any.
    pub fn active_inhibit(&self, now: Timestamp) -> Option<&Inhibit> {
        self.inhibits
            .iter()
            .filter(|inhibit| inhibit.until > now)
            .max_by_key(|inhibit| inhibit.until)
    }

    /// Checks counts and inhibit reasons, as after reading the file.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.approved.len() > MAX_LIST_ENTRIES || self.blocked.len() > MAX_LIST_ENTRIES {
            return Err(format!("a list has more than {MAX_LIST_ENTRIES} entries"));
        }
        if self.inhibits.len() > MAX_INHIBITS {
            return Err(format!("it has more than {MAX_INHIBITS} inhibits"));
        }
        match self
            .inhibits
            .iter()
            .find(|inhibit| !is_valid_reason(&inhibit.reason))
        {
            Some(inhibit) => Err(format!("inhibit reason {:?} is invalid", inhibit.reason)),
            None => Ok(()),
        }
    }
}

pub(super) fn is_valid_reason(reason: &str) -> bool {
    !reason.trim().is_empty()
        && reason.len() <= MAX_REASON_LEN
        && !reason.chars().any(char::is_control)
}
