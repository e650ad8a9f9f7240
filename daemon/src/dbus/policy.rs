//! Manager methods for maintenance windows and the run-time policy lists.

use jiff::Timestamp;
use serde_json::json;

use super::error::{Error, Result};
use super::manager::DaemonState;
use crate::policy::{ListEntry, PowerState};

/// Most openings one `GetWindows` call lists.
pub const MAX_OPENINGS: u32 = 1000;

/// Returns `{"open": opening or null, "next": [openings]}` for `hwupctl windows`.
pub fn windows_json(state: &DaemonState, count: u32, now: Timestamp) -> Result<String> {
    if count > MAX_OPENINGS {
        return Err(Error::InvalidArgs(format!(
            "count {count} is too large; pass at most {MAX_OPENINGS}"
        )));
    }
    let windows = &state.config.window;
    let document = json!({
        "windows": windows.iter().collect::<Vec<_>>(),
        "open": windows.open_at(now),
        "next": windows.next_openings(now, count as usize),
    });
    Ok(document.to_string())
}

/// Returns the policy for `hwupctl policy`: config, run-time lists, power and ring.
pub fn policy_json(state: &DaemonState) -> String {
    let power = PowerState::read(&state.root);
    let power_check = power.check(&state.config.policy.power);
    json!({
        "config": state.config.policy,
        "state": state.policy.state(),
        "power": {
            "on_ac": power.on_ac(),
            "battery_percent": power.battery_percent(),
            "conditions_met": power_check.is_ok(),
            "detail": power_check.err(),
        },
    })
    .to_string()
}

/// The run-time list changes a caller can request.
#[derive(Debug, Clone, Copy)]
pub enum ListChange {
    Approve,
    RevokeApproval,
    Block,
    Unblock,
}

/// Applies a list change for a release id or payload SHA-256; returns
/// whether anything changed, so repeating a call is not an error.
pub fn change_list(state: &mut DaemonState, change: ListChange, text: &str) -> Result<bool> {
    let entry = ListEntry::parse(text).map_err(|e| Error::InvalidArgs(e.to_string()))?;
    let store = &mut state.policy;
    let changed = match change {
        ListChange::Approve => store.approve(entry),
        ListChange::RevokeApproval => store.revoke_approval(&entry),
        ListChange::Block => store.block(entry),
        ListChange::Unblock => store.unblock(&entry),
    };
    changed.map_err(|e| Error::Failed(format!("saving the policy state failed: {e}")))
}

/// Postpones every apply until `until` (RFC 3339), or clears all postponements
/// when `until` is empty. Returns the active postponements as JSON.
pub fn inhibit(state: &mut DaemonState, reason: &str, until: &str) -> Result<String> {
    let now = Timestamp::now();
    let store = &mut state.policy;
    if until.is_empty() {
        store
            .clear_inhibits()
            .map_err(|e| Error::Failed(format!("saving the policy state failed: {e}")))?;
    } else {
        let until: Timestamp = until.parse().map_err(|e| {
            Error::InvalidArgs(format!(
                "invalid time {}: {e}; pass RFC 3339, such as 2026-12-24T08:00:00Z",
                crate::output::quoted(until)
            ))
        })?;
        store
            .inhibit(reason, until, now)
            .map_err(|e| Error::InvalidArgs(e.to_string()))?;
    }
    Ok(json!({ "inhibits": store.state().inhibits }).to_string())
}
