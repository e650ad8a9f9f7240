//! Staging one release: idempotent, one download per payload at a time.

use jiff::Timestamp;
use reqwest::Client;

use super::digest::{check_size, normalize_sha256};
use super::download::{download, Target};
use super::layout::payload_path;
use super::progress::Progress;
use super::store::{InFlight, State};
use super::{PayloadSource, StageError, StageRequest, StagedPayload, StagingStore};

impl StagingStore {
    /// Downloads and verifies a release's payload, then lists it in the index.
    ///
    /// Staging a release that is already staged with the same payload returns its entry
    /// at once. A payload already on disk for another release or device is shared, not
    /// downloaded again. `progress` receives the bytes done and the payload's size about
    /// once per percent. While one call stages a payload, a second call for the same
    /// payload gets [`StageError::InProgress`]. Dropping the future keeps the partial
    /// download for a resume.
    ///
    /// The runtime needs the Tokio time driver, for the stall timeout, and blocking
    /// threads, for hashing partial downloads.
    pub async fn stage(
        &self,
        client: &Client,
        request: StageRequest,
        progress: Progress<'_>,
    ) -> Result<StagedPayload, StageError> {
        let sha256 = normalize_sha256(&request.payload.sha256)?;
        let size = request.payload.size;
        check_size(size)?;
        let source =
            PayloadSource::resolve(&request.base, &request.payload, request.allow_other_hosts)?;

        if let Some(item) = self.find_staged(&request, &sha256)? {
            tracing::info!(
                remote_id = item.remote_id,
                release_id = item.release_id,
                device_id = item.device_id,
                "release already staged"
            );
            progress(size, size);
            return Ok(item);
        }
        // The claim lasts until the payload is listed, so that no unstage deletes it.
        let _claim = self.claim(&sha256, &request)?;
        if self.has_payload(&sha256, size)? {
            progress(size, size);
        } else {
            tracing::info!(
                remote_id = request.remote_id,
                release_id = request.release_id,
                device_id = request.device_id,
                sha256,
                size,
                %source,
                "staging payload"
            );
            let target = Target {
                source: &source,
                sha256: &sha256,
                size,
            };
            download(client, self.folder(), &target, progress).await?;
        }

        let item = self.record(&request, &sha256, size)?;
        tracing::info!(
            remote_id = item.remote_id,
            release_id = item.release_id,
            device_id = item.device_id,
            sha256,
            "payload staged"
        );
        Ok(item)
    }

    /// Returns the entry of this release and device if it has this payload and its file
    /// is still in place.
    fn find_staged(
        &self,
        request: &StageRequest,
        sha256: &str,
    ) -> Result<Option<StagedPayload>, StageError> {
        let found = self
            .lock()
            .items
            .iter()
            .find(|item| {
                item.is_release(&request.remote_id, &request.release_id)
                    && item.device_id == request.device_id
                    && item.sha256 == sha256
            })
            .cloned();
        let Some(item) = found else {
            return Ok(None);
        };
        Ok(self.has_payload(sha256, item.size)?.then_some(item))
    }

    /// Returns whether a verified payload is on disk with the expected size. A payload
    /// whose file went missing or changed size is forgotten.
    fn has_payload(&self, sha256: &str, size: u64) -> Result<bool, StageError> {
        let Some(known) = self.lock().payloads.get(sha256).copied() else {
            return Ok(false);
        };
        let path = payload_path(self.folder(), sha256);
        let metadata = std::fs::symlink_metadata(&path).ok();
        let in_place =
            metadata.is_some_and(|metadata| metadata.is_file() && metadata.len() == known);
        if in_place && known == size {
            return Ok(true);
        }

        tracing::warn!(
            sha256,
            path = %path.display(),
            "a staged payload is missing or has another size, staging it again"
        );
        self.forget_payload(sha256)?;
        Ok(false)
    }

    /// Marks a payload as being staged for the request's release until the returned
    /// claim is dropped.
    fn claim(&self, sha256: &str, request: &StageRequest) -> Result<Claim<'_>, StageError> {
        let mut state = self.lock();
        if state.in_flight.contains_key(sha256) {
            return Err(StageError::InProgress {
                sha256: sha256.to_owned(),
            });
        }
        let call = InFlight {
            remote_id: request.remote_id.clone(),
            release_id: request.release_id.clone(),
        };
        state.in_flight.insert(sha256.to_owned(), call);
        Ok(Claim {
            store: self,
            sha256: sha256.to_owned(),
        })
    }

    /// Lists the verified payload for the request's release and device, replacing an
    /// older entry, and deletes the older entry's payload if nothing else uses it.
    fn record(
        &self,
        request: &StageRequest,
        sha256: &str,
        size: u64,
    ) -> Result<StagedPayload, StageError> {
        let item = StagedPayload {
            remote_id: request.remote_id.clone(),
            release_id: request.release_id.clone(),
            device_id: request.device_id.clone(),
            sha256: sha256.to_owned(),
            size,
            staged_at: Timestamp::now(),
            path: payload_path(self.folder(), sha256),
        };

        let mut state = self.lock();
        state.payloads.insert(sha256.to_owned(), size);
        let replaced = replaced_payloads(&state, &item);
        self.update_items(&mut state, |items| {
            items.retain(|other| !other.same_key(&item));
            items.push(item.clone());
        })?;
        self.delete_unreferenced(&mut state, replaced);
        Ok(item)
    }
}

/// SHA-256 of the payloads that `item` replaces for its release and device.
fn replaced_payloads(state: &State, item: &StagedPayload) -> Vec<String> {
    let replaced = state.items.iter().filter(|other| other.same_key(item));
    replaced
        .filter(|other| other.sha256 != item.sha256)
        .map(|other| other.sha256.clone())
        .collect()
}

/// Marks a payload as being staged while it lives.
struct Claim<'a> {
    store: &'a StagingStore,
    sha256: String,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.store.lock().in_flight.remove(&self.sha256);
    }
}
