//! `hwupctl calendar`: a calendar expression's normalized form and next elapses, computed locally.

use std::io::{self, Write};

use anyhow::Context;
use hwupd::calendar::CalendarSpec;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::{base_time, relative_time};

/// Arguments of `hwupctl calendar`.
#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    /// Calendar expression in systemd.time(7) syntax, such as "Mon..Fri 02:00 Europe/Berlin".
    expression: String,

    /// Time to compute the elapses after: "@SECONDS", "YYYY-MM-DD [HH:MM[:SS]] [ZONE]",
    /// "HH:MM[:SS]", "now", "today", "+1h" or "2h ago" [default: now].
    #[arg(long, value_name = "TIME")]
    base_time: Option<String>,

    /// Number of elapses to list.
    #[arg(long, value_name = "N", default_value_t = 1)]
    iterations: usize,

    /// Print {"normalized": ..., "next": [...]} with times in UTC (RFC 3339).
    #[arg(long)]
    json: bool,
}

/// Parses the expression, computes its elapses, and prints them.
///
/// Expressions without a zone suffix, and base times without one, use the
/// zone from `TZ`, or else from /etc/localtime.
pub fn run(args: CalendarArgs) -> anyhow::Result<()> {
    let local = TimeZone::system();
    let spec = CalendarSpec::parse(&args.expression, &local)
        .with_context(|| format!("invalid calendar expression {:?}", args.expression))?;

    let now = Timestamp::now();
    let base = match &args.base_time {
        Some(text) => base_time::parse(text, now, &local)
            .with_context(|| format!("invalid base time {text:?}"))?,
        None => now,
    };
    let elapses: Vec<Timestamp> = spec.elapses(base, &local).take(args.iterations).collect();

    let output = match args.json {
        true => json_line(&spec, &elapses)?,
        false => human_layout(&args.expression, &spec, &elapses, &local, now),
    };
    io::stdout()
        .lock()
        .write_all(output.as_bytes())
        .context("writing to standard output")
}

/// Returns `{"normalized": "...", "next": ["2026-12-05T02:00:00Z", ...]}` and a newline.
fn json_line(spec: &CalendarSpec, elapses: &[Timestamp]) -> anyhow::Result<String> {
    let normalized = serde_json::to_string(&spec.to_string())?;
    let next = elapses
        .iter()
        .map(|elapse| serde_json::to_string(&elapse.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!(
        "{{\"normalized\": {normalized}, \"next\": [{}]}}\n",
        next.join(", ")
    ))
}

/// Returns the layout of `systemd-analyze calendar`: labels aligned on the
/// colon, local and UTC times, and the distance from now of each elapse.
fn human_layout(
    original: &str,
    spec: &CalendarSpec,
    elapses: &[Timestamp],
    local: &TimeZone,
    now: Timestamp,
) -> String {
    let normalized = spec.to_string();
    let mut rows: Vec<(String, String)> = Vec::new();
    if normalized != original {
        rows.push(("Original form".to_owned(), original.to_owned()));
    }
    rows.push(("Normalized form".to_owned(), normalized));
    if elapses.is_empty() {
        rows.push(("Next elapse".to_owned(), "never".to_owned()));
    }

    for (index, elapse) in elapses.iter().enumerate() {
        let label = match index {
            0 => "Next elapse".to_owned(),
            _ => format!("Iter. #{}", index + 1),
        };
        rows.push((label, format_time(*elapse, local)));
        if !is_utc(local) {
            rows.push(("(in UTC)".to_owned(), format_time(*elapse, &TimeZone::UTC)));
        }
        rows.push(("From now".to_owned(), relative_time::describe(*elapse, now)));
    }
    rows.iter()
        .map(|(label, value)| format!("{:>16} {value}\n", format!("{label}:")))
        .collect()
}

/// Formats a time as systemd does, such as "Wed 2026-12-02 02:00:00 CET".
fn format_time(instant: Timestamp, tz: &TimeZone) -> String {
    instant
        .to_zoned_datetime(tz.clone())
        .strftime("%a %Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// Returns whether `tz` is always at offset zero, where systemd leaves out the UTC lines.
fn is_utc(tz: &TimeZone) -> bool {
    let never_changes = tz.preceding(Timestamp::MAX).next().is_none();
    never_changes && tz.to_offset(Timestamp::UNIX_EPOCH).seconds() == 0
}
