//! The policy state file `state_dir/policy.json`: reading it, and writing each change.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::entry::ListEntry;
use super::state::{
    is_valid_reason, Inhibit, PolicyState, StateError, FORMAT_VERSION, MAX_FILE_SIZE, MAX_INHIBIT,
    MAX_INHIBITS, MAX_LIST_ENTRIES, STATE_FILE_NAME,
};
use crate::fsutil;

/// The state file's layout, with a format version for later changes.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    #[serde(default)]
    approved: BTreeSet<ListEntry>,
    #[serde(default)]
    blocked: BTreeSet<ListEntry>,
    #[serde(default)]
    inhibits: Vec<Inhibit>,
}

/// The policy state and the file it is kept in. Each change is written with
/// [`fsutil::write_atomic`] before it takes effect in memory.
#[derive(Debug)]
pub struct PolicyStore {
    path: PathBuf,
    state: PolicyState,
}

impl PolicyStore {
    /// Reads `state_dir/policy.json`. A missing file is an empty state.
    ///
    /// A file that cannot be read or parsed is an error rather than an empty
    /// state, because starting empty would drop the blocks it contains.
    pub fn open(state_dir: &Path) -> Result<Self, StateError> {
        let path = state_dir.join(STATE_FILE_NAME);
        let state = read_state(&path)?.unwrap_or_default();
        Ok(Self { path, state })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn state(&self) -> &PolicyState {
        &self.state
    }

    /// Adds `entry` to the approved list. Returns whether the list changed.
    pub fn approve(&mut self, entry: ListEntry) -> Result<bool, StateError> {
        let logged = entry.clone();
        let changed = self.update(|state| insert_entry(&mut state.approved, entry, "approved"))?;
        if changed {
            tracing::info!(entry = %logged, "approved release");
        }
        Ok(changed)
    }

    /// Removes `entry` from the approved list. Returns whether the list changed.
    pub fn revoke_approval(&mut self, entry: &ListEntry) -> Result<bool, StateError> {
        let changed = self.update(|state| Ok(state.approved.remove(entry)))?;
        if changed {
            tracing::info!(entry = %entry, "revoked approval");
        }
        Ok(changed)
    }

    /// Adds `entry` to the blocked list. Returns whether the list changed.
    pub fn block(&mut self, entry: ListEntry) -> Result<bool, StateError> {
        let logged = entry.clone();
        let changed = self.update(|state| insert_entry(&mut state.blocked, entry, "blocked"))?;
        if changed {
            tracing::info!(entry = %logged, "blocked release");
        }
        Ok(changed)
    }

    /// Removes `entry` from the blocked list. Returns whether the list changed.
    pub fn unblock(&mut self, entry: &ListEntry) -> Result<bool, StateError> {
        let changed = self.update(|state| Ok(state.blocked.remove(entry)))?;
        if changed {
            tracing::info!(entry = %entry, "unblocked release");
        }
        Ok(changed)
    }

    /// Postpones every apply until `until`, and drops inhibits that ended by `now`.
    pub fn inhibit(
        &mut self,
        reason: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Inhibit, StateError> {
        let inhibit = new_inhibit(reason, until, now)?;
        let added = inhibit.clone();
        self.update(|state| {
            state.inhibits.retain(|old| old.until > now);
            if state.inhibits.len() >= MAX_INHIBITS {
                return Err(StateError::TooManyInhibits);
            }
            state.inhibits.push(added);
            Ok(true)
        })?;
        tracing::info!(reason, %until, "inhibited applies");
        Ok(inhibit)
    }

    /// Removes every inhibit. Returns how many there were.
    pub fn clear_inhibits(&mut self) -> Result<usize, StateError> {
        let count = self.state.inhibits.len();
        self.update(|state| Ok(!std::mem::take(&mut state.inhibits).is_empty()))?;
        if count > 0 {
            tracing::info!(count, "cleared inhibits");
        }
        Ok(count)
    }

    /// Applies `change` to a copy of the state and, if it changed anything,
    /// writes the copy and then keeps it.
    fn update(
        &mut self,
        change: impl FnOnce(&mut PolicyState) -> Result<bool, StateError>,
    ) -> Result<bool, StateError> {
        let mut next = self.state.clone();
        if !change(&mut next)? {
            return Ok(false);
        }
        write_state(&self.path, &next)?;
        self.state = next;
        Ok(true)
    }
}

fn insert_entry(
    list: &mut BTreeSet<ListEntry>,
    entry: ListEntry,
    name: &'static str,
) -> Result<bool, StateError> {
    if list.contains(&entry) {
        return Ok(false);
    }
    if list.len() >= MAX_LIST_ENTRIES {
        return Err(StateError::ListFull { list: name });
    }
    Ok(list.insert(entry))
}

fn new_inhibit(reason: &str, until: Timestamp, now: Timestamp) -> Result<Inhibit, StateError> {
    if !is_valid_reason(reason) {
        return Err(StateError::InvalidReason {
            reason: reason.to_owned(),
        });
    }
    let latest = now.checked_add(MAX_INHIBIT).unwrap_or(Timestamp::MAX);
    if until <= now || until > latest {
        return Err(StateError::InvalidUntil { until, now });
    }
    Ok(Inhibit {
        reason: reason.to_owned(),
        until,
        created: now,
    })
}

/// Reads the state file, or returns `None` when there is none.
fn read_state(path: &Path) -> Result<Option<PolicyState>, StateError> {
    let read_error = |error| StateError::Read {
        path: path.to_owned(),
        error,
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(read_error(error)),
    };

    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(StateError::TooLarge {
            path: path.to_owned(),
        });
    }
    parse_state(&bytes)
        .map(Some)
        .map_err(|message| StateError::Invalid {
            path: path.to_owned(),
            message,
        })
}

fn parse_state(bytes: &[u8]) -> Result<PolicyState, String> {
    let file: StateFile = serde_json::from_slice(bytes).map_err(|error| error.to_string())?;
    if file.version != FORMAT_VERSION {
        return Err(format!(
            "it has format version {}, but this hwupd reads only version {FORMAT_VERSION}",
            file.version
        ));
    }
    let state = PolicyState {
        approved: file.approved,
        blocked: file.blocked,
        inhibits: file.inhibits,
    };
    state.check()?;
    Ok(state)
}

fn write_state(path: &Path, state: &PolicyState) -> Result<(), StateError> {
    let file = StateFile {
        version: FORMAT_VERSION,
        approved: state.approved.clone(),
        blocked: state.blocked.clone(),
        inhibits: state.inhibits.clone(),
    };
    // serde_json fails only on maps with non-string keys and on failing
    // Serialize impls, and these types have neither.
    let mut json = serde_json::to_vec_pretty(&file).unwrap_or_default();
    json.push(b'\n');

    let write_error = |error| StateError::Write {
        path: path.to_owned(),
        error,
    };
    fsutil::create_private_dir(&fsutil::parent_folder(path)).map_err(write_error)?;
    fsutil::write_atomic(path, &json, 0o600, true).map_err(write_error)
}

/// Parses the state file's text, for tests that feed it arbitrary bytes.
pub fn parse_state_file(bytes: &[u8]) -> Result<PolicyState, String> {
    parse_state(bytes)
}
