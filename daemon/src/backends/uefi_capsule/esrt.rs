//! Reading the outcome of a capsule update from the ESRT after the reboot.

use std::cmp::Ordering;

use super::super::{versions, Context, Verification};
use crate::catalog::document::Release;
use crate::inventory::esrt::status_name;
use crate::inventory::sysfs::{list_dir, read_attr, read_u64};

/// The fields of one ESRT entry that tell whether an update took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsrtEntry {
    pub fw_version: u64,
    pub last_attempt_version: Option<u64>,
    pub last_attempt_status: u64,
}

/// Reads the ESRT entry whose `fw_class` is `fw_class`.
pub fn read_entry(ctx: &Context, fw_class: &str) -> Option<EsrtEntry> {
    let entries = ctx.root.join("/sys/firmware/efi/esrt/entries");
    let dir = list_dir(&entries).into_iter().find(|dir| {
        read_attr(dir, "fw_class").is_some_and(|class| class.eq_ignore_ascii_case(fw_class))
    })?;
    Some(EsrtEntry {
        fw_version: read_u64(&dir, "fw_version")?,
        last_attempt_version: read_u64(&dir, "last_attempt_version"),
        last_attempt_status: read_u64(&dir, "last_attempt_status")?,
    })
}

/// Verifies a capsule update from the ESRT: the firmware version must be at least the
/// release's, and the last attempt must have succeeded.
pub fn verify(ctx: &Context, fw_class: &str, release: &Release) -> Verification {
    let Some(entry) = read_entry(ctx, fw_class) else {
        return Verification::Failed {
            reason: format!("no readable ESRT entry has fw_class {fw_class}"),
        };
    };
    if entry.last_attempt_status != 0 {
        return Verification::Failed {
            reason: attempt_failure(&entry),
        };
    }
    match reached(entry.fw_version, release) {
        Ok(true) => Verification::Succeeded,
        Ok(false) => Verification::Failed {
            reason: format!(
                "ESRT fw_version is {}, below the release's {}; the firmware did not apply \
                 the capsule",
                entry.fw_version, release.version
            ),
        },
        Err(reason) => Verification::Failed { reason },
    }
}

/// Reports whether a raw ESRT version is at least the release's version.
fn reached(fw_version: u64, release: &Release) -> Result<bool, String> {
    let rendered = versions::render_raw(fw_version, release)?;
    let order = versions::compare_with_release(&rendered, release)?;
    Ok(order != Ordering::Less)
}

fn attempt_failure(entry: &EsrtEntry) -> String {
    let attempted = entry
        .last_attempt_version
        .map_or_else(|| "unknown".to_string(), |v| v.to_string());
    format!(
        "ESRT last_attempt_status is {} ({}) for version {attempted}",
        entry.last_attempt_status,
        status_name(entry.last_attempt_status)
    )
}
