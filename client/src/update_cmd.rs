//! `hwupctl refresh`, `remotes`, `updates`, `stage`, `unstage`, `apply` and `rollback`.

use hwupd::output::quoted;
use serde_json::Value;

use crate::daemon_cmd::{manager, print_json};
use crate::failure::{daemon_text, from_dbus, Failure, FAILED, USAGE};

fn parse_document(text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text)
        .map_err(|e| Failure::new(FAILED, format!("the daemon sent invalid JSON: {e}")))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

/// Runs a job the daemon started and prints its result.
async fn run_job(
    started: zbus::Result<zbus::zvariant::OwnedObjectPath>,
    json: bool,
) -> Result<Value, Failure> {
    let path = started.map_err(from_dbus)?;
    let connection = zbus::Connection::system()
        .await
        .map_err(crate::failure::from_connect)?;
    let result = crate::job::wait(&connection, path).await?;
    let document = parse_document(&result)?;
    if json {
        print_json(&document)?;
    }
    Ok(document)
}

/// `hwupctl refresh [REMOTE]`: prints the outcome of every remote, then fails if
/// any remote failed.
pub async fn refresh(remote: &str, json: bool) -> Result<(), Failure> {
    let manager = manager().await?;
    let path = manager.refresh(remote).await.map_err(from_dbus)?;
    let ended = crate::job::wait_ended(manager.inner().connection(), path).await?;

    // A daemon from before per-remote results sends no result with a failure.
    if ended.result.is_empty() {
        return ended.failure.map_or(Ok(()), Err);
    }
    let document = parse_document(&ended.result)?;
    if json {
        print_json(&document)?;
    } else {
        for line in refresh_lines(&document) {
            println!("{line}");
        }
    }
    match ended.failure {
        None => Ok(()),
        Some(failure) => Err(Failure::new(failure.code, refresh_summary(&document))),
    }
}

/// Describes the outcome of each remote in a refresh result, one line per remote.
fn refresh_lines(document: &Value) -> Vec<String> {
    let remotes = document["remotes"].as_array().into_iter().flatten();
    remotes
        .map(|result| {
            let remote = daemon_text(&text(&result["remote"]));
            match result["outcome"].as_str() {
                Some("rejected") => format!(
                    "{remote}: rejected [{}]: {}",
                    daemon_text(&text(&result["error_kind"])),
                    daemon_text(&text(&result["error"]))
                ),
                _ => format!(
                    "{remote}: {} (serial {})",
                    daemon_text(&text(&result["outcome"])),
                    text(&result["serial"])
                ),
            }
        })
        .collect()
}

/// Returns the error line of a refresh in which some remotes failed.
fn refresh_summary(document: &Value) -> String {
    let remotes = document["remotes"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let failed = remotes
        .iter()
        .filter(|result| result["outcome"] == "rejected")
        .count();
    format!(
        "refreshing {failed} of {} remotes failed; a failed remote keeps its previously \
         accepted catalog (see `hwupctl remotes`)",
        remotes.len()
    )
}

/// `hwupctl remotes`.
pub async fn remotes(json: bool) -> Result<(), Failure> {
    let document = parse_document(&manager().await?.get_remotes().await.map_err(from_dbus)?)?;
    if json {
        return print_json(&document);
    }
    let rows: Vec<Vec<String>> = document["remotes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let error = r["last_error"]["message"]
                .as_str()
                .map_or("-".to_string(), str::to_string);
            vec![
                text(&r["id"]),
                text(&r["enabled"]),
                text(&r["serial"]),
                text(&r["expires"]),
                text(&r["last_refresh"]),
                error,
            ]
        })
        .collect();
    print!(
        "{}",
        hwupd::output::table(
            &[
                "REMOTE",
                "ENABLED",
                "SERIAL",
                "EXPIRES",
                "LAST REFRESH",
                "LAST ERROR"
            ],
            &rows
        )
    );
    for error in document["errors"].as_array().into_iter().flatten() {
        eprintln!("invalid remote file: {}", text(error));
    }
    Ok(())
}

/// `hwupctl updates`.
pub async fn updates(json: bool) -> Result<(), Failure> {
    let document = parse_document(&manager().await?.get_updates().await.map_err(from_dbus)?)?;
    if json {
        return print_json(&document);
    }
    let rows: Vec<Vec<String>> = document["updates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| {
            let exploited = if u["known_exploited"] == Value::Bool(true) {
                " (exploited)"
            } else {
                ""
            };
            let status = match u["held_back_reason"].as_str() {
                Some(reason) => format!("held back: {reason}"),
                None => u["waiting_reason"].as_str().unwrap_or("-").to_string(),
            };
            vec![
                text(&u["device_name"]),
                format!("{} -> {}", text(&u["current_version"]), text(&u["version"])),
                format!("{}{exploited}", text(&u["severity"])),
                u["cves"].as_array().map_or(String::new(), |c| {
                    c.iter().map(text).collect::<Vec<_>>().join(",")
                }),
                text(&u["released"]),
                text(&u["release_id"]),
                status,
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("no updates: every device is up to date or no catalog matches it");
        return Ok(());
    }
    print!(
        "{}",
        hwupd::output::table(
            &["DEVICE", "VERSION", "SEVERITY", "CVES", "RELEASED", "RELEASE", "STATUS"],
            &rows
        )
    );
    Ok(())
}

/// `hwupctl stage RELEASE`.
pub async fn stage(release: &str, json: bool) -> Result<(), Failure> {
    let document = run_job(manager().await?.stage(release).await, json).await?;
    if !json {
        for item in document["staged"].as_array().into_iter().flatten() {
            println!(
                "staged {} for device {} ({} bytes)",
                text(&item["release_id"]),
                text(&item["device_id"]),
                text(&item["size"])
            );
        }
    }
    Ok(())
}

/// `hwupctl unstage RELEASE`.
pub async fn unstage(release: &str) -> Result<(), Failure> {
    let removed = manager().await?.unstage(release).await.map_err(from_dbus)?;
    println!(
        "{}",
        if removed {
            format!("unstaged {release}")
        } else {
            format!("{} was not staged", quoted(release))
        }
    );
    Ok(())
}

/// `hwupctl apply RELEASE [--now --yes]`.
pub async fn apply(release: &str, now: bool, yes: bool, json: bool) -> Result<(), Failure> {
    if now && !yes {
        return Err(Failure::new(
            2,
            "--now applies outside the maintenance window; confirm with --yes",
        ));
    }
    let document = run_job(manager().await?.apply(release, now).await, json).await?;
    if !json {
        println!("{}: {}", release, text(&document["outcome"]));
    }
    Ok(())
}

/// `hwupctl rollback DEVICE_ID --yes`. Like `apply --now`, it changes nothing
/// without --yes.
pub async fn rollback(device: &str, yes: bool, json: bool) -> Result<(), Failure> {
    // The id is resolved first, so that a bad id fails before the confirmation does.
    let manager = manager().await?;
    let device_id = crate::device_id::resolve_listed(&manager, device).await?;
    if !yes {
        return Err(Failure::new(
            USAGE,
            format!(
                "rollback replaces the running firmware or driver of device {}; \
                 confirm with --yes",
                quoted(&device_id)
            ),
        ));
    }
    let document = run_job(manager.rollback(&device_id).await, json).await?;
    if !json {
        println!("{}", rollback_summary(&device_id, &document));
    }
    Ok(())
}

/// Describes a finished rollback in one line.
fn rollback_summary(device: &str, document: &Value) -> String {
    let mut line = format!(
        "{device}: rolled back {} from {} to {}",
        text(&document["release_id"]),
        text(&document["version_before"]),
        text(&document["version_after"])
    );
    if document["pending_reboot"] == Value::Bool(true) {
        line.push_str("; the previous version takes effect at the next boot");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mixed_refresh() -> Value {
        json!({"remotes": [
            {"remote": "lab", "outcome": "accepted", "serial": 3},
            {"remote": "loc", "outcome": "unchanged", "serial": 1},
            {"remote": "old", "outcome": "rejected", "error_kind": "expired",
             "error": "the catalog of serial 20 expired\nat 2026-12-04T19:00:00Z"},
        ]})
    }

    #[test]
    fn refresh_lines_list_every_remote() {
        let lines = refresh_lines(&mixed_refresh());

        assert_eq!(
            lines,
            [
                "lab: accepted (serial 3)",
                "loc: unchanged (serial 1)",
                "old: rejected [expired]: the catalog of serial 20 expired\\nat 2026-12-04T19:00:00Z",
            ]
        );
    }

    #[test]
    fn refresh_summary_counts_failures() {
        let summary = refresh_summary(&mixed_refresh());

        assert!(
            summary.starts_with("refreshing 1 of 3 remotes failed"),
            "{summary}"
        );
        assert!(summary.contains("`hwupctl remotes`"), "{summary}");
    }
}
