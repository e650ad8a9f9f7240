//! The database schema and its forward migrations, versioned with `PRAGMA user_version`.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::error::HistoryError;

/// Migration `i` brings the schema from version `i` to version `i + 1`. Append new
/// migrations; never edit one that has shipped, because databases already ran it.
const MIGRATIONS: &[&str] = &[
    // Version 1: one row per transition. `attempt_id` is the id of the attempt's
    // `applying` row. AUTOINCREMENT keeps ids from being reused, so an id a caller saw
    // always names the same record.
    "CREATE TABLE transitions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        attempt_id INTEGER,
        state TEXT NOT NULL,
        time_unix INTEGER NOT NULL,
        time_rfc3339 TEXT NOT NULL,
        device_id TEXT NOT NULL,
        device_name TEXT NOT NULL,
        release_id TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        version_before TEXT NOT NULL,
        version_after TEXT NOT NULL,
        payload_sha256 TEXT,
        install_method TEXT NOT NULL,
        reason TEXT
    );
    CREATE INDEX transitions_by_update ON transitions (device_id, release_id, id);
    CREATE INDEX transitions_by_attempt ON transitions (attempt_id, id);
    CREATE INDEX transitions_by_time ON transitions (time_unix);",
];

/// Schema version that this hwupd writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Runs the migrations that the database lacks, each in its own transaction.
pub fn migrate(connection: &mut Connection, path: &Path) -> Result<(), HistoryError> {
    let found: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(HistoryError::SchemaTooNew {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }

    for (version, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction.execute_batch(sql)?;
        transaction.pragma_update(None, "user_version", version as i64 + 1)?;
        transaction.commit()?;
        tracing::info!(path = %path.display(), version = version + 1, "migrated history schema");
    }
    Ok(())
}
