//! Compares normalized forms and next elapses with `systemd-analyze calendar`.
//!
//! The reference is the installed systemd. The expected quirks were checked
//! against systemd 252 (Debian 12), so another version can differ on the
//! cases marked as systemd 252 behaviour in the calendar module. Without
//! `systemd-analyze` on PATH the test prints that it is skipped and passes.

use std::process::Command;
use std::thread;

use hwupd::calendar::{CalendarSpec, CalendarZone};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Zones set as `TZ`: UTC, and zones whose clocks change by one hour in
/// either hemisphere, by half an hour (Lord Howe), or into winter time
/// marked as daylight saving time (Dublin).
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Europe/Dublin",
];

/// Base times in seconds: two plain days, the ends of a month and a year,
/// then 90 and 10 minutes before each 2024 clock change of the zones above.
const BASES: &[i64] = &[
    1_705_320_000,         // 2024-01-15 12:00 UTC
    1_748_736_000,         // 2025-06-01 00:00 UTC
    1_730_418_900,         // 2024-10-31 23:55 UTC
    1_735_681_200,         // 2024-12-31 21:40 UTC
    1_711_846_800 - 5_400, // Europe/Berlin springs forward, 2024-03-31 01:00 UTC
    1_711_846_800 - 600,
    1_729_990_800 - 5_400, // Europe/Berlin falls back, 2024-10-27 01:00 UTC
    1_729_990_800 - 600,
    1_710_054_000 - 5_400, // America/New_York springs forward, 2024-03-10 07:00 UTC
    1_710_054_000 - 600,
    1_730_613_600 - 5_400, // America/New_York falls back, 2024-11-03 06:00 UTC
    1_730_613_600 - 600,
    1_728_142_200 - 5_400, // Australia/Lord_Howe springs forward, 2024-10-05 15:30 UTC
    1_728_142_200 - 600,
    1_712_415_600 - 5_400, // Australia/Lord_Howe falls back, 2024-04-06 15:00 UTC
    1_712_415_600 - 600,
    1_727_532_000 - 5_400, // Pacific/Auckland springs forward, 2024-09-28 14:00 UTC
    1_727_532_000 - 600,
    1_712_412_000 - 5_400, // Pacific/Auckland falls back, 2024-04-06 14:00 UTC
    1_712_412_000 - 600,
    1_725_768_000 - 5_400, // America/Santiago springs forward at midnight, 2024-09-08 04:00 UTC
    1_725_768_000 - 600,
];

/// Expressions covering the syntax, clock changes, and rejected input.
const EXPRESSIONS: &[&str] = &[
    // Weekdays: names, abbreviations, ranges and lists.
    "Mon..Fri 02:00",
    "Sat,Sun 03:30",
    "Mon-Wed,Fri *-*-* 01:15",
    "monday *-12-* 17:00",
    "Wednesday,",
    "Mon,Tue,Wed,Thu,Fri,Sat,Sun 12:00",
    "Sat,Thu,Mon-Wed,Sat-Sun",
    // Times: wildcards, lists, ranges, repetitions, fractions.
    "*:30",
    "*:0/15",
    "*:*:0/20",
    "*:*:*",
    "02:30",
    "01:30",
    "02:00",
    "03:00",
    "02:15,45",
    "2:0/20",
    "1..3:00",
    "9..17/2:00",
    "1..5/3:00",
    "12,14,13,12:20,10,30",
    "*:20..39/5",
    "*:05..10/6",
    "*:*:10.5",
    "*:*:0/7.25",
    "*:*:1.125..2.125",
    "*:4,30:0/1,3.5",
    "*:*:30.5",
    "Mon..Wed,Sat 2024-*-* 08:00",
    // Repetitions that run past the end of their field.
    "*:0/25",
    "*:0/25 UTC",
    "0/9:00",
    "0/9:00 UTC",
    "*:*:0/25",
    "*:*:1.186/28 UTC",
    "*-*-2/14",
    "*-*-2/14 UTC",
    "Wed *-*-8,28,2/14 UTC",
    "*-6/5-22 14:59:35 UTC",
    "*-*~3/2 21:00 UTC",
    // Dates: days, months, repetitions, leap days, impossible dates.
    "*-*-* 02:30:00",
    "*-*-01 04:00",
    "*-*-1/5 04:00",
    "*-01/7-01 04:00",
    "*-02-29",
    "*-02-29 02:30",
    "*-04-31",
    "*-02-30",
    "Fri *-*-13 12:00",
    "Mon *-02-29",
    // Days counted from the month end.
    "*-*~1",
    "*-*~01..07",
    "*-02~1",
    "Mon *-05~07/1",
    "*-*~3/2 12:00",
    "*-*~28/27",
    "*-*-2..31/30",
    "Sun *-*~07/1 02:30",
    // Single days on clock changes: Berlin, New York, Lord Howe, Auckland.
    "2024-03-31 02:30",
    "2024-10-27 02:30",
    "2024-03-10 02:30",
    "2024-11-03 01:30",
    "2024-10-06 02:15",
    "2024-04-07 01:45",
    "2024-09-29 02:30",
    "2024-04-07 02:30",
    // Hour lists that reach into a skipped hour.
    "2,3:30",
    "Sun 2,3:30",
    "2..4:30",
    "2,3:*:00",
    "*-*-* 00/6:00",
    // A clock change at midnight.
    "*-09-08 0,1:30 America/Santiago",
    "00:00 America/Santiago",
    "0:0/20 America/Santiago",
    // Years: two digits, ranges, repetitions, the last accepted year.
    "24-*-* 12:00",
    "24..30-06-15 08:00",
    "2024..2030/2-01-01",
    "2199-12-31 23:59:59",
    // Shorthands.
    "minutely",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "semiannually",
    "yearly",
    "annually",
    "bi-annually",
    // Zone suffixes.
    "hourly Europe/Berlin",
    "daily UTC",
    "12:00 utc",
    "*-*-* 02:30:00 Europe/Berlin",
    "*:30 America/New_York",
    "*-*-* 02:15 Australia/Lord_Howe",
    "02:30 Pacific/Auckland",
    "Sun *-*-* 01:00:00 Europe/Dublin",
    "12:00 Asia/Tokyo",
    "00:00 Etc/GMT+5",
    "12:00 CET",
    "12:00 EST",
    "12:00 CEST",
    "02:30 CET",
    "*:30 CEST",
    "01:45 EDT",
    // Unix time.
    "@1735689600",
    "@1735689600 Europe/Berlin",
    "Mon @1735689600",
    // Rejected.
    "test",
    "*-*~5/5",
    "00:00/60",
    "Mon..",
    "25:00",
    "*-13-01",
    "12:00 Europe/Nowhere",
    "12:00 europe/berlin",
];

const ITERATIONS: usize = 3;

/// The output of one tool for one expression: the normalized form and the
/// elapses in UTC as "Www YYYY-MM-DD HH:MM:SS UTC", or `None` if rejected.
type Outcome = Option<(String, Vec<String>)>;

/// The result of systemd-analyze for one expression.
enum Theirs {
    Printed(Outcome),
    /// It accepted the expression but failed while computing an elapse.
    Failed,
}

#[test]
fn systemd_analyze_agrees() {
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("skipped: systemd-analyze is not on PATH");
        return;
    };
    let version = String::from_utf8_lossy(&version.stdout);
    let version = version
        .lines()
        .next()
        .unwrap_or("an unknown systemd version");
    eprintln!("comparing with {version}");

    let runs: Vec<(&str, i64)> = ZONES
        .iter()
        .flat_map(|zone| BASES.iter().map(move |base| (*zone, *base)))
        .collect();
    let mismatches: Vec<String> = thread::scope(|scope| {
        let workers: Vec<_> = runs
            .chunks(runs.len().div_ceil(8))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .flat_map(|(zone, base)| compare(zone, *base))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("comparison thread"))
            .collect()
    });

    let compared = runs.len() * EXPRESSIONS.len();
    eprintln!(
        "compared {} expressions in {} zones from {} base times ({compared} cases)",
        EXPRESSIONS.len(),
        ZONES.len(),
        BASES.len()
    );
    assert!(EXPRESSIONS.len() >= 60, "too few expressions");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} cases differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Runs every expression in `zone` from `base` through both implementations and lists differences.
fn compare(zone: &str, base: i64) -> Vec<String> {
    let theirs = systemd_outcomes(zone, base);
    let tz = TimeZone::get(zone).expect("test zone in the time zone database");
    let after = Timestamp::from_second(base).expect("base time");

    let mut mismatches = Vec::new();
    for (expression, theirs) in EXPRESSIONS.iter().zip(theirs) {
        let mut ours = our_outcome(expression, &tz, after);
        let Theirs::Printed(mut theirs) = theirs else {
            // NOTE: systemd 252 fails with "Infinite loop in calendar
            // calculation" when a repetition runs past midnight into a day
            // that starts in the other daylight saving state. There is no
            // elapse to compare with then.
            eprintln!(
                "systemd-analyze failed: TZ={zone} base=@{base} {expression:?}, ours: {ours:?}"
            );
            continue;
        };
        if uses_local_abbreviation(expression, &tz) && near_clock_change(&tz, after) {
            // NOTE: with a suffix such as `CEST`, a search that starts in a
            // repeated hour can get one more elapse from systemd 252, in the
            // other offset. Only the normalized form is compared there.
            ours = ours.map(|(normalized, _)| (normalized, Vec::new()));
            theirs = theirs.map(|(normalized, _)| (normalized, Vec::new()));
        }
        if ours != theirs {
            mismatches.push(format!(
                "TZ={zone} base=@{base} {expression:?}:\n    ours:    {ours:?}\n    systemd: {theirs:?}"
            ));
        }
    }
    mismatches
}

fn uses_local_abbreviation(expression: &str, tz: &TimeZone) -> bool {
    let spec = CalendarSpec::parse(expression, tz);
    matches!(
        spec.as_ref().map(CalendarSpec::zone),
        Ok(CalendarZone::LocalAbbreviation { .. })
    )
}

/// Returns whether the clocks of `tz` change within a day and a half of `instant`.
fn near_clock_change(tz: &TimeZone, instant: Timestamp) -> bool {
    let margin = SignedDuration::from_hours(36);
    let from = instant.checked_sub(margin).expect("base time minus margin");
    let to = instant.checked_add(margin).expect("base time plus margin");
    tz.following(from)
        .next()
        .is_some_and(|transition| transition.timestamp() <= to)
}

fn our_outcome(expression: &str, tz: &TimeZone, after: Timestamp) -> Outcome {
    let spec = CalendarSpec::parse(expression, tz).ok()?;
    let elapses = spec
        .elapses(after, tz)
        .take(ITERATIONS)
        .map(|elapse| elapse.strftime("%a %Y-%m-%d %H:%M:%S UTC").to_string())
        .collect();
    Some((spec.to_string(), elapses))
}

/// Runs `systemd-analyze calendar` once for all expressions and splits its output per expression.
fn systemd_outcomes(zone: &str, base: i64) -> Vec<Theirs> {
    let output = Command::new("systemd-analyze")
        .env("TZ", zone)
        .arg("calendar")
        .arg(format!("--base-time=@{base}"))
        .arg(format!("--iterations={ITERATIONS}"))
        .arg("--")
        .args(EXPRESSIONS)
        .output()
        .expect("running systemd-analyze");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8 output");

    let blocks = split_blocks(&stdout);
    assert_eq!(
        blocks.len(),
        EXPRESSIONS.len(),
        "blocks in systemd-analyze output:\n{stdout}"
    );
    let failed = |expression: &str| {
        stderr.contains(&format!(
            "Failed to determine next elapse for '{expression}'"
        ))
    };
    EXPRESSIONS
        .iter()
        .zip(blocks)
        .map(|(expression, block)| match failed(expression) {
            true => Theirs::Failed,
            false => Theirs::Printed(parse_block(block)),
        })
        .collect()
}

/// Splits the output into one block of lines per expression. A blank line
/// separates blocks, and a rejected expression leaves an empty block.
fn split_blocks(stdout: &str) -> Vec<Vec<&str>> {
    let mut blocks = vec![Vec::new()];
    for line in stdout.lines() {
        match line.trim().is_empty() {
            true => blocks.push(Vec::new()),
            false => blocks.last_mut().expect("at least one block").push(line),
        }
    }
    blocks
}

fn parse_block(lines: Vec<&str>) -> Outcome {
    let mut normalized = None;
    let mut elapses: Vec<String> = Vec::new();
    for line in lines {
        let Some((label, value)) = line.trim_start().split_once(": ") else {
            continue;
        };
        let value = value.trim().to_owned();
        match label {
            "Normalized form" => normalized = Some(value),
            "Next elapse" if value == "never" => {}
            "Next elapse" => elapses.push(value),
            "(in UTC)" => *elapses.last_mut().expect("UTC line after an elapse") = value,
            _ if label.starts_with("Iter. #") => elapses.push(value),
            _ => {}
        }
    }
    Some((normalized?, elapses))
}
