//! Reading records back: row mapping and the queries behind the `History` methods.

use jiff::Timestamp;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, Type, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::state::UpdateState;
use super::transition::{Attempt, Filter, Record, Transition};
use crate::catalog::document::InstallMethod;

/// Columns of a record, in the order [`record_from_row`] reads them.
const COLUMNS: &str = "id, attempt_id, state, time_unix, device_id, device_name, release_id, \
     remote_id, version_before, version_after, payload_sha256, install_method, reason";

/// Number of columns in [`COLUMNS`].
const COLUMN_COUNT: usize = 13;

impl ToSql for UpdateState {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for UpdateState {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value
            .as_str()?
            .parse()
            .map_err(|e: String| FromSqlError::Other(e.into()))
    }
}

/// Reads a record from `COLUMN_COUNT` columns starting at column `base`.
fn record_from_row(row: &Row<'_>, base: usize) -> rusqlite::Result<Record> {
    let time_unix: i64 = row.get(base + 3)?;
    let time = Timestamp::from_second(time_unix).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(base + 3, Type::Integer, e.into())
    })?;
    let install_method: String = row.get(base + 11)?;

    let transition = Transition {
        state: row.get(base + 2)?,
        time,
        device_id: row.get(base + 4)?,
        device_name: row.get(base + 5)?,
        release_id: row.get(base + 6)?,
        remote_id: row.get(base + 7)?,
        version_before: row.get(base + 8)?,
        version_after: row.get(base + 9)?,
        payload_sha256: row.get(base + 10)?,
        install_method: InstallMethod::from(install_method),
        reason: row.get(base + 12)?,
    };
    Ok(Record {
        id: row.get(base)?,
        attempt_id: row.get(base + 1)?,
        time_unix,
        transition,
    })
}

/// Returns the records that match `filter`, oldest first.
pub fn list(connection: &Connection, filter: &Filter) -> rusqlite::Result<Vec<Record>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM transitions
         WHERE (?1 IS NULL OR device_id = ?1) AND (?2 IS NULL OR release_id = ?2)
           AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR attempt_id = ?4)
           AND (?5 IS NULL OR time_unix >= ?5)
         ORDER BY id DESC LIMIT ?6"
    );
    // SQLite reads a negative LIMIT as no limit.
    let limit = filter
        .limit
        .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let since = filter.since.map(|time| time.as_second());
    let mut statement = connection.prepare_cached(&sql)?;
    let args = params![
        filter.device_id,
        filter.release_id,
        filter.state,
        filter.attempt_id,
        since,
        limit
    ];
    let mut records = statement
        .query_map(args, |row| record_from_row(row, 0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;

    // The query takes the latest `limit` records, so restore the order they were recorded in.
    records.reverse();
    Ok(records)
}

/// Returns the latest record of one update.
pub fn last_record(
    connection: &Connection,
    device_id: &str,
    release_id: &str,
) -> rusqlite::Result<Option<Record>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM transitions WHERE device_id = ?1 AND release_id = ?2
         ORDER BY id DESC LIMIT 1"
    );
    connection
        .prepare_cached(&sql)?
        .query_row(params![device_id, release_id], |row| {
            record_from_row(row, 0)
        })
        .optional()
}

/// Returns true when the update has a `succeeded` record.
pub fn has_succeeded(
    connection: &Connection,
    device_id: &str,
    release_id: &str,
) -> rusqlite::Result<bool> {
    let sql = "SELECT EXISTS (SELECT 1 FROM transitions
               WHERE device_id = ?1 AND release_id = ?2 AND state = 'succeeded')";
    connection
        .prepare_cached(sql)?
        .query_row(params![device_id, release_id], |row| row.get(0))
}

/// Returns the latest record of every update, oldest first; with `state`, only those
/// whose latest record has that state.
pub fn latest_records(
    connection: &Connection,
    state: Option<UpdateState>,
) -> rusqlite::Result<Vec<Record>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM transitions
         WHERE id IN (SELECT MAX(id) FROM transitions GROUP BY device_id, release_id)
           AND (?1 IS NULL OR state = ?1)
         ORDER BY id"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(params![state], |row| record_from_row(row, 0))?;
    rows.collect()
}

/// Returns apply attempts, oldest first: all of them, or the one with `attempt_id`.
pub fn attempts(
    connection: &Connection,
    attempt_id: Option<i64>,
) -> rusqlite::Result<Vec<Attempt>> {
    let start = prefixed("s");
    let latest = prefixed("l");
    let sql = format!(
        "SELECT {start}, {latest} FROM transitions s
         JOIN transitions l
           ON l.id = (SELECT MAX(id) FROM transitions WHERE attempt_id = s.id)
         WHERE s.state = 'applying' AND s.attempt_id = s.id AND (?1 IS NULL OR s.id = ?1)
         ORDER BY s.id"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(params![attempt_id], |row| {
        let start = record_from_row(row, 0)?;
        let latest = record_from_row(row, COLUMN_COUNT)?;
        Ok(Attempt {
            attempt_id: start.id,
            start,
            latest,
        })
    })?;
    rows.collect()
}

/// Returns [`COLUMNS`] with each name qualified by a table alias.
fn prefixed(alias: &str) -> String {
    let names: Vec<String> = COLUMNS
        .split(',')
        .map(|name| format!("{alias}.{}", name.trim()))
        .collect();
    names.join(", ")
}
