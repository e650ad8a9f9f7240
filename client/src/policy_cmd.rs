//! `hwupctl windows`, `policy`, `approve`, `block`, `inhibit`, `history` and `report`.

use hwupd::output::{printable, quoted, MAX_ECHOED_CHARS};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::Value;

use crate::daemon_cmd::{manager, print_json};
use crate::failure::{from_dbus, Failure, FAILED};
use crate::history_cmd::{history_table, render_report, ReportFormat};

fn parse_document(text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text)
        .map_err(|e| Failure::new(FAILED, format!("the daemon sent invalid JSON: {e}")))
}

/// `hwupctl windows`: the configured windows and the next openings.
pub async fn windows(count: u32, json: bool) -> Result<(), Failure> {
    let text = manager()
        .await?
        .get_windows(count)
        .await
        .map_err(from_dbus)?;
    let document = parse_document(&text)?;
    if json {
        return print_json(&document);
    }
    match document["open"].as_object() {
        Some(open) => println!("open now: {} until {}", open["name"], open["closes"]),
        None => println!("no window is open now"),
    }
    let rows: Vec<Vec<String>> = document["next"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            vec![
                text_of(&o["name"]),
                text_of(&o["opens"]),
                text_of(&o["closes"]),
            ]
        })
        .collect();
    let configured = document["windows"]
        .as_array()
        .is_some_and(|windows| !windows.is_empty());
    if !configured {
        println!("no maintenance windows are configured, so nothing is applied automatically");
    } else if rows.is_empty() {
        println!("no opening of a window is due");
    } else {
        print!(
            "{}",
            hwupd::output::table(&["WINDOW", "OPENS", "CLOSES"], &rows)
        );
    }
    Ok(())
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

/// `hwupctl policy`: configured policy, run-time lists and power state.
pub async fn policy(json: bool) -> Result<(), Failure> {
    let text = manager().await?.get_policy().await.map_err(from_dbus)?;
    let document = parse_document(&text)?;
    if json {
        return print_json(&document);
    }
    for line in policy_lines(&document) {
        println!("{line}");
    }
    Ok(())
}

/// Renders the policy document as `label: value` lines, with lists as comma-separated values.
fn policy_lines(document: &Value) -> Vec<String> {
    let config = &document["config"];
    let state = &document["state"];
    vec![
        format!("ring:        {}", text_of(&config["ring"])),
        format!("auto stage:  {}", list_text(&config["auto_stage"])),
        format!("defer days:  {}", defer_text(&config["defer"])),
        format!("approval:    {}", list_text(&config["require_approval"])),
        format!("approved:    {}", list_text(&state["approved"])),
        format!("blocked:     {}", list_text(&state["blocked"])),
        format!("inhibits:    {}", inhibits_text(&state["inhibits"])),
        format!("power:       {}", power_line(&document["power"])),
    ]
}

/// Renders a JSON list as comma-separated values, or `-` when it is empty.
fn list_text(value: &Value) -> String {
    let items: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| printable(&text_of(item), MAX_ECHOED_CHARS))
        .collect();
    joined_or_dash(items)
}

/// Renders the deferral days per severity, most severe first, such as `critical 0, high 7`.
fn defer_text(value: &Value) -> String {
    let items = ["critical", "high", "medium", "low"]
        .iter()
        .filter(|severity| !value[**severity].is_null())
        .map(|severity| format!("{severity} {}", text_of(&value[*severity])))
        .collect();
    joined_or_dash(items)
}

/// Renders the postponements as `until TIME (REASON)` items.
fn inhibits_text(value: &Value) -> String {
    let items = value
        .as_array()
        .into_iter()
        .flatten()
        .map(|inhibit| {
            format!(
                "until {} ({})",
                text_of(&inhibit["until"]),
                printable(&text_of(&inhibit["reason"]), MAX_ECHOED_CHARS)
            )
        })
        .collect();
    joined_or_dash(items)
}

fn joined_or_dash(items: Vec<String>) -> String {
    if items.is_empty() {
        return "-".to_string();
    }
    items.join(", ")
}

fn power_line(power: &Value) -> String {
    let source = if power["on_ac"] == Value::Bool(true) {
        "on AC"
    } else {
        "on battery"
    };
    let battery = power["battery_percent"]
        .as_u64()
        .map_or(String::new(), |p| format!(", battery {p}%"));
    let verdict = match power["detail"].as_str() {
        Some(detail) => format!(" (not met: {detail})"),
        None => " (conditions met)".to_string(),
    };
    format!("{source}{battery}{verdict}")
}

/// The run-time list a command changes.
#[derive(Debug, Clone, Copy)]
pub enum ListCommand {
    Approve,
    RevokeApproval,
    Block,
    Unblock,
}

/// `hwupctl approve|revoke|block|unblock ENTRY`; repeating a change is not an error.
pub async fn change_list(command: ListCommand, entry: &str) -> Result<(), Failure> {
    let manager = manager().await?;
    let changed = match command {
        ListCommand::Approve => manager.approve(entry).await,
        ListCommand::RevokeApproval => manager.revoke_approval(entry).await,
        ListCommand::Block => manager.block(entry).await,
        ListCommand::Unblock => manager.unblock(entry).await,
    }
    .map_err(from_dbus)?;
    let verb = match command {
        ListCommand::Approve => "approved",
        ListCommand::RevokeApproval => "approval revoked for",
        ListCommand::Block => "blocked",
        ListCommand::Unblock => "unblocked",
    };
    let note = if changed { "" } else { " (no change)" };
    println!("{verb} {entry}{note}");
    Ok(())
}

/// `hwupctl inhibit`: postpone applies until a time, or clear postponements.
pub async fn inhibit(
    reason: &str,
    until: Option<&str>,
    clear: bool,
    json: bool,
) -> Result<(), Failure> {
    let until = match (until, clear) {
        (_, true) => None,
        (Some(text), false) => Some(parse_time(text)?),
        (None, false) => {
            return Err(Failure::new(
                2,
                "pass --until TIME to postpone, or --clear to remove postponements",
            ))
        }
    };
    let sent = until.map_or(String::new(), |time| time.to_string());
    let text = manager()
        .await?
        .inhibit(reason, &sent)
        .await
        .map_err(from_dbus)?;
    let document = parse_document(&text)?;
    if json {
        return print_json(&document);
    }
    println!("{}", inhibit_line(until, reason, &document));
    Ok(())
}

/// Describes the outcome of `hwupctl inhibit` in one line.
fn inhibit_line(until: Option<Timestamp>, reason: &str, document: &Value) -> String {
    let Some(until) = until else {
        return "removed every postponement; applies follow the maintenance windows again"
            .to_string();
    };
    let mut line = format!(
        "postponed every apply until {until} ({})",
        printable(reason, MAX_ECHOED_CHARS)
    );
    let active = document["inhibits"].as_array().map_or(0, Vec::len);
    if active > 1 {
        line.push_str(&format!(
            "; {active} postponements are in force, see `hwupctl policy`"
        ));
    }
    line
}

fn parse_time(text: &str) -> Result<Timestamp, Failure> {
    crate::base_time::parse(text, Timestamp::now(), &TimeZone::system())
        .map_err(|e| Failure::new(2, format!("invalid --until {}: {e:#}", quoted(text))))
}

/// `hwupctl history`: the update history, oldest first.
pub async fn history(device: &str, limit: u32, json: bool) -> Result<(), Failure> {
    let manager = manager().await?;
    let device_id = match device {
        "" => String::new(),
        text => crate::device_id::resolve_in_history(&manager, text).await?,
    };
    let text = manager
        .get_history(&device_id, limit)
        .await
        .map_err(from_dbus)?;
    if json {
        println!("{text}");
        return Ok(());
    }
    let document: HistoryDocument = serde_json::from_str(&text)
        .map_err(|e| Failure::new(FAILED, format!("the daemon sent an invalid history: {e}")))?;
    print!("{}", history_table(&document.history));
    Ok(())
}

#[derive(serde::Deserialize)]
struct HistoryDocument {
    history: Vec<hwupd::history::Record>,
}

/// `hwupctl report`: per device state, missing updates and recent outcomes.
pub async fn report(format: ReportFormat) -> Result<(), Failure> {
    let text = manager().await?.get_report().await.map_err(from_dbus)?;
    let report: hwupd::report::Report = serde_json::from_str(&text)
        .map_err(|e| Failure::new(FAILED, format!("the daemon sent an invalid report: {e}")))?;
    let rendered = render_report(&report, format)
        .map_err(|e| Failure::new(FAILED, format!("rendering the report failed: {e}")))?;
    print!("{rendered}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_lists_show_a_dash() {
        assert_eq!(list_text(&json!([])), "-");
        assert_eq!(list_text(&Value::Null), "-");
        assert_eq!(inhibits_text(&json!([])), "-");
    }

    #[test]
    fn list_items_are_escaped() {
        assert_eq!(list_text(&json!(["a\nb", "c"])), "a\\nb, c");
    }

    #[test]
    fn inhibit_line_counts_other_postponements() {
        let until: Timestamp = "2026-12-24T08:00:00Z".parse().unwrap();
        let document = json!({"inhibits": [{}, {}]});

        let line = inhibit_line(Some(until), "freeze", &document);

        assert_eq!(
            line,
            "postponed every apply until 2026-12-24T08:00:00Z (freeze); \
             2 postponements are in force, see `hwupctl policy`"
        );
    }
}
