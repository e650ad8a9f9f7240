//! Manager methods that read the history and build reports.

use jiff::Timestamp;

use super::error::{Error, Result};
use super::manager::DaemonState;
use crate::history::{Filter, Record};
use crate::report::{CatalogFreshness, Report};

/// Most records one `GetHistory` call returns, so a reply stays well below
/// the bus's message size limit.
pub const MAX_HISTORY_RECORDS: u32 = 10_000;

/// Returns `{"history": [...]}` for one device (or all, when `device_id` is
/// empty), the latest `limit` records oldest first.
pub fn history_json(state: &DaemonState, device_id: &str, limit: u32) -> Result<String> {
    if limit > MAX_HISTORY_RECORDS {
        return Err(Error::InvalidArgs(format!(
            "limit {limit} is too large; pass at most {MAX_HISTORY_RECORDS}, or 0 for that maximum"
        )));
    }
    let limit = if limit == 0 {
        MAX_HISTORY_RECORDS
    } else {
        limit
    };
    let filter = Filter {
        device_id: (!device_id.is_empty()).then(|| device_id.to_string()),
        limit: Some(limit as usize),
        ..Filter::default()
    };
    let records: Vec<Record> = state
        .history
        .list(&filter)
        .map_err(|e| Error::Failed(format!("reading the history failed: {e}")))?;
    let document = serde_json::json!({ "history": records });
    Ok(document.to_string())
}

/// Builds the report from the inventory, the available updates and the history.
pub fn report(state: &mut DaemonState) -> Result<Report> {
    let now = Timestamp::now();
    let updates = state.available_updates();
    let mut report = Report::generate(&state.inventory.devices, &updates, &state.history, now)
        .map_err(|e| Error::Failed(format!("building the report failed: {e}")))?;
    report.catalogs = catalog_freshness(state, now);
    Ok(report)
}

/// Returns the header figures of every loaded catalog, in remote order.
fn catalog_freshness(state: &mut DaemonState, now: Timestamp) -> Vec<CatalogFreshness> {
    state
        .loaded_catalogs()
        .iter()
        .map(|loaded| CatalogFreshness {
            remote_id: loaded.remote.id.clone(),
            serial: loaded.catalog.serial,
            issued: loaded.catalog.issued,
            expires: loaded.catalog.expires,
            expired: loaded.catalog.is_expired_at(now),
        })
        .collect()
}

/// Writes the Prometheus textfile when the config names one. The first failure after a
/// success, or after start, is logged at warn and the repeats at debug, because the
/// schedule writes the file at every tick.
pub fn write_metrics(state: &mut DaemonState) {
    let Some(path) = state.config.report.metrics_path.clone() else {
        return;
    };
    let written = report(state)
        .map_err(|e| e.to_string())
        .and_then(|report| crate::report::write_metrics(&path, &report).map_err(|e| e.to_string()));
    match written {
        Ok(()) if state.metrics_failures.succeeded() => {
            tracing::info!(path = %path.display(), "writing the metrics file works again");
        }
        Ok(()) => {}
        Err(error) if state.metrics_failures.failed() => tracing::warn!(
            path = %path.display(), %error,
            "writing the metrics file failed; repeats are logged at debug level until a write \
             succeeds"
        ),
        Err(error) => {
            tracing::debug!(path = %path.display(), %error, "writing the metrics file failed")
        }
    }
}

/// Checks at start that the metrics file's folder exists and is writable, and logs a
/// warning if not. The schedule's writes then log the failure at debug level only.
pub fn check_metrics_folder(state: &mut DaemonState) {
    let Some(path) = state.config.report.metrics_path.clone() else {
        return;
    };
    if let Err(problem) = crate::report::check_metrics_folder(&path) {
        state.metrics_failures.failed();
        tracing::warn!(path = %path.display(), %problem, "the metrics file cannot be written");
    }
}

/// Run of failures of a repeated operation, so that only its first failure is logged
/// at warn level.
#[derive(Debug, Default)]
pub struct FailureLog {
    failing: bool,
}

impl FailureLog {
    /// Records a failure and returns whether it is the first since start or the last
    /// success.
    pub fn failed(&mut self) -> bool {
        !std::mem::replace(&mut self.failing, true)
    }

    /// Records a success and returns whether it ends a run of failures.
    pub fn succeeded(&mut self) -> bool {
        std::mem::take(&mut self.failing)
    }
}

#[cfg(test)]
mod tests {
    use super::FailureLog;

    #[test]
    fn failure_log_reports_first_failure_only() {
        let mut log = FailureLog::default();

        assert!(log.failed());
        assert!(!log.failed());
        assert!(!log.failed());
    }

    #[test]
    fn failure_log_rearms_after_success() {
        let mut log = FailureLog::default();
        assert!(!log.succeeded());
        log.failed();

        assert!(log.succeeded());
        assert!(!log.succeeded());
        assert!(log.failed());
    }
}
