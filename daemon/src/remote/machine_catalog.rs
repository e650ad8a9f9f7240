//! An accepted catalog read again for this machine: only the releases that can
//! match its devices stay in memory.

use super::config::RemoteConfig;
use super::store::RemoteStore;
use crate::catalog::document::Catalog;
use crate::matching::{verify_for_machine, MachineIds};

/// One remote's accepted catalog, filtered to this machine's releases.
#[derive(Debug, Clone)]
pub struct MachineCatalog {
    pub remote: RemoteConfig,
    /// Header fields of the catalog and the releases that can match this machine.
    pub catalog: Catalog,
    /// Releases in the whole document, kept or not.
    pub total_releases: usize,
}

/// Reads the remote's accepted pair from the store, verifies it again and
/// keeps only this machine's releases. Blocks on reading and parsing.
///
/// Returns None, with a warning, when nothing was accepted yet or the stored
/// pair no longer verifies (for example after its key was unpinned).
pub fn load_for_machine(
    store: &RemoteStore,
    remote: &RemoteConfig,
    machine: &MachineIds,
) -> Option<MachineCatalog> {
    let dir = store.remote_dir(&remote.id).ok()?;
    let record = dir.read_status().accepted?;
    let (bytes, signature) = match dir.read_pair(record.generation) {
        Ok(pair) => pair,
        Err(error) => {
            dir.verified().forget();
            tracing::warn!(remote = %remote.id, error = ?error, "reading the accepted catalog failed");
            return None;
        }
    };
    let options = remote.validate_options();
    match verify_for_machine(&remote.public_keys, &bytes, &signature, &options, machine) {
        Ok(verified) if verified.verified.catalog.remote_id == remote.id => Some(MachineCatalog {
            remote: remote.clone(),
            catalog: verified.verified.catalog,
            total_releases: verified.total_releases,
        }),
        Ok(_) => {
            tracing::warn!(remote = %remote.id, "the stored catalog names another remote; ignoring it");
            None
        }
        Err(error) => {
            dir.verified().forget();
            tracing::warn!(remote = %remote.id, %error, "the stored catalog does not verify; ignoring it");
            None
        }
    }
}
