//! Kill-and-restart test of the history database.
//!
//! A child process records transitions and is killed with SIGKILL at random points. After
//! each kill, every record that the child reported as committed must be present, the
//! database must pass `PRAGMA integrity_check`, and no row may be partial.
//!
//! The child is this test binary run again with `HWUPD_CRASH_CHILD_DB` set, which makes
//! [`crash_child`] do the writing. SIGKILL ends the process but not the kernel, so this
//! checks the process-crash path; power loss is left to `synchronous=FULL`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hwupd::catalog::document::InstallMethod;
use hwupd::engine::INTERRUPTED_REASON;
use hwupd::history::{History, Record, Transition, UpdateState};
use jiff::Timestamp;
use rusqlite::Connection;
use UpdateState::*;

const CHILD_DB: &str = "HWUPD_CRASH_CHILD_DB";
const CHILD_RUN: &str = "HWUPD_CRASH_CHILD_RUN";
const CHILD_HOLD: &str = "HWUPD_CRASH_CHILD_HOLD_APPLYING";

/// Number of child runs killed at random points.
const RANDOM_RUNS: u64 = 6;

/// Upper bound on the transitions one child records, in case no kill arrives.
const MAX_CHILD_UPDATES: usize = 5_000;

/// Returns the states that the child walks an update through, chosen by its number.
fn path_of(update: usize) -> &'static [UpdateState] {
    match update % 3 {
        0 => &[Offered, Staged, Applying, Succeeded],
        1 => &[
            Offered,
            Deferred,
            Approved,
            Applying,
            PendingReboot,
            Failed,
            RolledBack,
        ],
        _ => &[Staged, Applying, Failed, Offered],
    }
}

/// Returns a 4000-byte reason derived from the update and state. With it a row is larger
/// than a 4 KiB page and spills to an overflow page, so a torn write would show as a
/// wrong reason.
fn expected_reason(release: &str, state: UpdateState) -> String {
    let mut reason = format!("{release} entered {state}; ").repeat(200);
    reason.truncate(4000);
    reason
}

fn child_transition(run: &str, update: usize, state: UpdateState) -> Transition {
    let release = format!("run{run}-update{update}");
    Transition {
        state,
        time: Timestamp::now(),
        device_id: format!("device-{}", update % 4),
        device_name: format!("Device {} of run {run}", update % 4),
        reason: Some(expected_reason(&release, state)),
        release_id: release,
        remote_id: "crash-test".to_string(),
        version_before: "1.0".to_string(),
        version_after: format!("2.{update}"),
        payload_sha256: Some(format!("{:064x}", update)),
        install_method: InstallMethod::Emulated,
    }
}

/// Writes one line to standard output and flushes it, so that the parent sees every
/// id as soon as `record` has returned.
fn report(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
    if written.is_err() {
        // The parent has gone away, so stop instead of writing forever.
        std::process::exit(3);
    }
}

/// The child side: runs only when the parent sets `HWUPD_CRASH_CHILD_DB`.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_DB) else {
        return;
    };
    let run = std::env::var(CHILD_RUN).unwrap();
    let mut history = History::open(Path::new(&path)).unwrap();

    // Crash recovery as the daemon does it at start.
    for record in history.interrupted_attempts().unwrap() {
        let attempt = record.attempt_id.unwrap();
        let id = history
            .mark_interrupted(attempt, INTERRUPTED_REASON)
            .unwrap();
        report(&format!("marked {attempt} {id}"));
    }

    if std::env::var_os(CHILD_HOLD).is_some() {
        hold_in_applying(&mut history, &run);
    }
    for update in 0..MAX_CHILD_UPDATES {
        for &state in path_of(update) {
            let id = history
                .record(&child_transition(&run, update, state))
                .unwrap();
            report(&format!("committed {id}"));
        }
    }
}

/// Records an update up to `applying`, reports it, and waits to be killed.
fn hold_in_applying(history: &mut History, run: &str) -> ! {
    for state in [Staged, Applying] {
        let id = history.record(&child_transition(run, 0, state)).unwrap();
        report(&format!("committed {id}"));
    }
    report("holding");
    std::thread::sleep(Duration::from_secs(120));
    std::process::exit(4);
}

/// Small xorshift generator, seeded from the clock or `HWUPD_CRASH_SEED`.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = match std::env::var("HWUPD_CRASH_SEED") {
            Ok(text) => text.parse().unwrap(),
            Err(_) => Timestamp::now().as_nanosecond() as u64 | 1,
        };
        eprintln!("crash test seed: {seed} (set HWUPD_CRASH_SEED to repeat)");
        Self(seed)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

fn spawn_child(path: &Path, run: u64, hold: bool) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, path)
        .env(CHILD_RUN, run.to_string())
        .stdout(Stdio::piped());
    if hold {
        command.env(CHILD_HOLD, "1");
    }
    command.spawn().unwrap()
}

/// Lines the child printed, split into committed ids and marked attempts.
#[derive(Default)]
struct ChildOutput {
    committed: BTreeSet<i64>,
    marked: BTreeMap<i64, i64>,
    holding: bool,
}

impl ChildOutput {
    fn read_line(&mut self, line: &str) {
        // The test harness prints `test crash_child ... ` without a newline before the
        // test runs, so a report may start in the middle of a line.
        let words: Vec<&str> = line.split_whitespace().collect();
        let start = words
            .iter()
            .position(|w| ["committed", "marked", "holding"].contains(w));
        match words[start.unwrap_or(words.len())..] {
            ["committed", id] => {
                self.committed.insert(id.parse().unwrap());
            }
            ["marked", attempt, id] => {
                self.marked
                    .insert(attempt.parse().unwrap(), id.parse().unwrap());
                self.committed.insert(id.parse().unwrap());
            }
            ["holding"] => self.holding = true,
            _ => {}
        }
    }
}

/// Runs one child, kills it with SIGKILL after `kill_after` lines (or after a short
/// random sleep when `kill_after` is 0), and returns what it printed.
fn run_and_kill(path: &Path, run: u64, kill_after: u64, sleep_micros: u64) -> ChildOutput {
    let hold = kill_after == u64::MAX;
    let mut child = spawn_child(path, run, hold);
    let stdout = child.stdout.take().unwrap();
    let mut output = ChildOutput::default();

    if kill_after == 0 {
        std::thread::sleep(Duration::from_micros(sleep_micros));
        child.kill().unwrap();
    }
    let mut lines = 0;
    for line in BufReader::new(stdout).lines() {
        output.read_line(&line.unwrap());
        lines += 1;
        if lines == kill_after || (hold && output.holding) {
            child.kill().unwrap();
        }
    }

    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "child of run {run} ended with {status}"
    );
    output
}

fn integrity(path: &Path) -> String {
    let connection = Connection::open(path).unwrap();
    connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}

/// Checks that a stored row is whole: every field is what the child wrote.
fn assert_whole(record: &Record) {
    let t = &record.transition;
    let run = t.release_id.trim_start_matches("run");
    let (run, update) = run.split_once("-update").unwrap();
    let update: usize = update.parse().unwrap();
    let reason = match t.reason.as_deref() {
        Some(INTERRUPTED_REASON) => INTERRUPTED_REASON.to_string(),
        _ => expected_reason(&t.release_id, t.state),
    };

    assert_eq!(
        t.reason.as_deref(),
        Some(reason.as_str()),
        "row {}",
        record.id
    );
    assert_eq!(
        t.device_id,
        format!("device-{}", update % 4),
        "row {}",
        record.id
    );
    let name = format!("Device {} of run {run}", update % 4);
    assert_eq!(t.device_name, name, "row {}", record.id);
    assert_eq!(t.version_after, format!("2.{update}"), "row {}", record.id);
    let hash = format!("{update:064x}");
    assert_eq!(t.payload_sha256.as_deref(), Some(hash.as_str()));
    assert_eq!(t.remote_id, "crash-test");
}

/// Checks every update's records form a valid chain of transitions.
fn assert_valid_chains(records: &[Record]) {
    let mut last: BTreeMap<(&str, &str), UpdateState> = BTreeMap::new();
    for record in records {
        let t = &record.transition;
        let key = (t.device_id.as_str(), t.release_id.as_str());
        let from = last.get(&key).copied();
        assert!(
            UpdateState::can_follow(from, t.state),
            "row {}: {from:?} to {}",
            record.id,
            t.state
        );
        last.insert(key, t.state);
    }
}

fn check_database(path: &Path, committed: &BTreeSet<i64>, runs: usize) -> Vec<Record> {
    assert_eq!(integrity(path), "ok");
    let history = History::open(path).unwrap();
    let records = history.list(&Default::default()).unwrap();
    let stored: BTreeSet<i64> = records.iter().map(|r| r.id).collect();

    let lost: Vec<&i64> = committed.difference(&stored).collect();
    assert!(lost.is_empty(), "committed records lost: {lost:?}");
    // Each kill may land between a commit and the line that reports it.
    let unreported: Vec<&i64> = stored.difference(committed).collect();
    assert!(
        unreported.len() <= runs,
        "unreported rows {unreported:?} after {runs} runs"
    );

    records.iter().for_each(assert_whole);
    assert_valid_chains(&records);
    records
}

fn aside_files(dir: &Path) -> usize {
    let names = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name());
    names
        .filter(|name| name.to_string_lossy().contains(".corrupt-"))
        .count()
}

#[test]
fn records_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let mut rng = Rng::new();
    let mut committed = BTreeSet::new();

    for run in 0..RANDOM_RUNS {
        let kill_after = rng.below(150);
        let output = run_and_kill(&path, run, kill_after, rng.below(20_000));
        committed.extend(&output.committed);
        check_database(&path, &committed, run as usize + 1);
    }

    // A child held in `applying` leaves an attempt that the next start must find.
    let held = run_and_kill(&path, RANDOM_RUNS, u64::MAX, 0);
    committed.extend(&held.committed);
    let interrupted = History::open(&path)
        .unwrap()
        .interrupted_attempts()
        .unwrap();
    let attempts: Vec<i64> = interrupted.iter().filter_map(|r| r.attempt_id).collect();
    let held_attempt = *held.committed.last().unwrap();
    assert!(attempts.contains(&held_attempt), "{attempts:?}");

    let recovery = run_and_kill(&path, RANDOM_RUNS + 1, 40, 0);
    committed.extend(&recovery.committed);
    let marked: Vec<i64> = recovery.marked.keys().copied().collect();
    assert_eq!(marked, attempts);
    let records = check_database(&path, &committed, RANDOM_RUNS as usize + 2);

    let failed = records
        .iter()
        .find(|r| r.attempt_id == Some(held_attempt) && r.transition.state == Failed)
        .unwrap();
    assert_eq!(
        failed.transition.reason.as_deref(),
        Some(INTERRUPTED_REASON)
    );
    assert_eq!(aside_files(dir.path()), 0);
}
