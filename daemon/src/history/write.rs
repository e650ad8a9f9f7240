//! Recording transitions: validation, skipping repeats, attempt ids, one commit each.

use rusqlite::{params, Connection, TransactionBehavior};

use super::error::HistoryError;
use super::query;
use super::state::UpdateState;
use super::transition::{Record, Transition};

/// Validates `transition` against the update's latest record and inserts it in its own
/// transaction. Returns the new row id, or the id of the latest record when the
/// transition repeats a standing state with the same reason and so is not recorded.
pub fn record(connection: &mut Connection, transition: &Transition) -> Result<i64, HistoryError> {
    let transition = transition.normalized()?;

    // IMMEDIATE takes the write lock before the read, so the check and the insert
    // see the same latest record.
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last = query::last_record(&transaction, &transition.device_id, &transition.release_id)?;
    if let Some(id) = repeated(last.as_ref(), &transition) {
        tracing::debug!(record_id = id, state = %transition.state, "update state unchanged");
        return Ok(id);
    }
    check_transition(last.as_ref(), &transition)?;

    let attempt_id = inherited_attempt(last.as_ref(), transition.state);
    let id = insert(&transaction, &transition, attempt_id)?;
    transaction.commit()?;

    let stored_attempt = match transition.state {
        UpdateState::Applying => Some(id),
        _ => attempt_id,
    };
    log_recorded(id, stored_attempt, &transition);
    Ok(id)
}

/// Returns the id of `last` when `transition` repeats its standing state and reason.
fn repeated(last: Option<&Record>, transition: &Transition) -> Option<i64> {
    let last = last?;
    let same = last.transition.state == transition.state
        && last.transition.reason == transition.reason
        && transition.state.is_standing();
    same.then_some(last.id)
}

fn check_transition(last: Option<&Record>, transition: &Transition) -> Result<(), HistoryError> {
    let from = last.map(|record| record.transition.state);
    if UpdateState::can_follow(from, transition.state) {
        return Ok(());
    }
    Err(HistoryError::InvalidTransition {
        device_id: transition.device_id.clone(),
        release_id: transition.release_id.clone(),
        from,
        to: transition.state,
    })
}

/// Returns the attempt that a state after `applying` continues. `applying` itself
/// starts a new attempt, whose id is its own row id.
fn inherited_attempt(last: Option<&Record>, state: UpdateState) -> Option<i64> {
    if state == UpdateState::Applying || !state.is_in_attempt() {
        return None;
    }
    last.and_then(|record| record.attempt_id)
}

/// Inserts a row; an `applying` row then gets its own id as attempt id.
fn insert(
    connection: &Connection,
    transition: &Transition,
    attempt_id: Option<i64>,
) -> rusqlite::Result<i64> {
    let sql = "INSERT INTO transitions (attempt_id, state, time_unix, time_rfc3339, device_id,
               device_name, release_id, remote_id, version_before, version_after,
               payload_sha256, install_method, reason)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
    connection.prepare_cached(sql)?.execute(params![
        attempt_id,
        transition.state,
        transition.time.as_second(),
        transition.time.to_string(),
        transition.device_id,
        transition.device_name,
        transition.release_id,
        transition.remote_id,
        transition.version_before,
        transition.version_after,
        transition.payload_sha256,
        transition.install_method.as_str(),
        transition.reason,
    ])?;
    let id = connection.last_insert_rowid();

    if transition.state == UpdateState::Applying {
        connection
            .prepare_cached("UPDATE transitions SET attempt_id = id WHERE id = ?1")?
            .execute([id])?;
    }
    Ok(id)
}

fn log_recorded(id: i64, attempt_id: Option<i64>, transition: &Transition) {
    tracing::info!(
        record_id = id,
        attempt_id,
        device_id = %transition.device_id,
        release_id = %transition.release_id,
        state = %transition.state,
        reason = transition.reason.as_deref().unwrap_or(""),
        "update {}",
        transition.state
    );
}
