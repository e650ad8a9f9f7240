//! Opening the database: file mode, pragmas, checks, and moving an unreadable file aside.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::ffi::ErrorCode;
use rusqlite::{Connection, OpenFlags};

use super::error::HistoryError;
use super::schema;
use crate::fsutil;

/// Time the daemon waits for a lock that another process holds. In WAL mode, readers in
/// other processes (an administrator's `sqlite3`, a backup) do not block a write, but
/// WAL recovery and checkpoints briefly take exclusive locks. Without a timeout, a write
/// during one would fail at once with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Failure to open a database, by whether the file is to be moved aside.
enum OpenFailure {
    /// The file is not a SQLite database or is corrupt, so it is moved aside.
    Unreadable(String),
    /// Any other failure, such as permissions or a full disk. The file is kept.
    Other(HistoryError),
}

/// Opens the database at `path`, creating it if missing. An unreadable or corrupt
/// file is moved aside and a new database created in its place.
pub(super) fn open_or_recover(path: &Path) -> Result<Connection, HistoryError> {
    create_file(path)?;
    let problem = match open_checked(path) {
        Ok(connection) => return Ok(connection),
        Err(OpenFailure::Other(error)) => return Err(error),
        Err(OpenFailure::Unreadable(problem)) => problem,
    };

    let aside = move_aside(path, Timestamp::now())?;
    tracing::error!(
        path = %path.display(),
        moved_to = %aside.display(),
        %problem,
        "history database is unreadable; moved it aside and started a new one"
    );
    create_file(path)?;
    open_checked(path).map_err(|failure| match failure {
        OpenFailure::Other(error) => error,
        OpenFailure::Unreadable(problem) => HistoryError::Unreadable {
            path: path.to_owned(),
            problem,
        },
    })
}

/// Creates the folder and an empty file with mode 0600 when missing. SQLite gives its
/// `-wal` and `-shm` files the mode of the database file, so they stay private too.
fn create_file(path: &Path) -> Result<(), HistoryError> {
    let create_error = |error| HistoryError::Create {
        path: path.to_owned(),
        error,
    };
    fsutil::create_private_dir(&fsutil::parent_folder(path)).map_err(create_error)?;

    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(create_error(e)),
    }
}

/// Opens the database, sets the pragmas, checks the file, and migrates the schema.
fn open_checked(path: &Path) -> Result<Connection, OpenFailure> {
    let classify = |source: rusqlite::Error| classify(path, source);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut connection = Connection::open_with_flags(path, flags).map_err(classify)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(classify)?;

    set_pragmas(&connection, path).map_err(classify)?;
    quick_check(&connection).map_err(classify)??;
    schema::migrate(&mut connection, path).map_err(|error| match error {
        HistoryError::Sql(source) => classify(source),
        other => OpenFailure::Other(other),
    })?;
    Ok(connection)
}

/// Sets WAL mode and full sync. The first read of the file header happens here.
///
/// In WAL mode, `synchronous=NORMAL` syncs only at checkpoints, so a power loss can
/// undo transactions that had committed. `FULL` syncs the WAL at every commit, so a
/// record is durable when `record` returns. The daemon depends on that: a lost
/// `applying` or `succeeded` record could make it apply the same firmware twice.
fn set_pragmas(connection: &Connection, path: &Path) -> rusqlite::Result<()> {
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(
            path = %path.display(),
            mode,
            "the file system does not support WAL mode; using another journal mode"
        );
    }
    connection.pragma_update(None, "synchronous", "FULL")
}

/// Runs `PRAGMA quick_check`, which reads every page and checks the b-tree structure.
fn quick_check(connection: &Connection) -> rusqlite::Result<Result<(), OpenFailure>> {
    let mut statement = connection.prepare("PRAGMA quick_check(10)")?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
    let problems: Vec<String> = rows.collect::<Result<_, _>>()?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(Ok(()));
    }
    let problem = format!("integrity check failed: {}", problems.join("; "));
    Ok(Err(OpenFailure::Unreadable(problem)))
}

/// Separates "the file is not a database or is corrupt" from other failures.
fn classify(path: &Path, source: rusqlite::Error) -> OpenFailure {
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            OpenFailure::Unreadable(source.to_string())
        }
        _ => OpenFailure::Other(HistoryError::Open {
            path: path.to_owned(),
            error: source,
        }),
    }
}

/// Renames the database and its `-wal` and `-shm` files to `<name>.corrupt-<time>`.
/// The WAL goes too, because SQLite would otherwise replay it into the new database.
pub(super) fn move_aside(path: &Path, now: Timestamp) -> Result<PathBuf, HistoryError> {
    let aside = free_aside_name(path, now);
    let move_error = |error| HistoryError::MoveAside {
        path: path.to_owned(),
        error,
    };
    std::fs::rename(path, &aside).map_err(move_error)?;

    for suffix in ["-wal", "-shm"] {
        let from = with_suffix(path, suffix);
        match std::fs::rename(&from, with_suffix(&aside, suffix)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(move_error(e)),
        }
    }
    fsutil::sync_folder(&fsutil::parent_folder(path)).map_err(move_error)?;
    Ok(aside)
}

/// Returns `<path>.corrupt-<UTC time>`, with `.1`, `.2`, ... added if that name is taken.
fn free_aside_name(path: &Path, now: Timestamp) -> PathBuf {
    let time = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let base = with_suffix(path, &format!(".corrupt-{time}"));
    let mut candidate = base.clone();
    let mut n = 0;
    while candidate.symlink_metadata().is_ok() {
        n += 1;
        candidate = with_suffix(&base, &format!(".{n}"));
    }
    candidate
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
