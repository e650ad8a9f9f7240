//! Staging: payloads downloaded ahead of the maintenance window, checked against the
//! catalog's size and SHA-256, and kept in `<state_dir>/staged/` across restarts.
//!
//! A download streams into `<sha256>.partial`, hashed as it is written and capped at the
//! declared size. Only a file whose hash matches is renamed to `<sha256>.payload`, and
//! only then is it listed in `index.json`. An interrupted download resumes with a Range
//! request. [`StagingStore::verify_staged`] hashes a payload again right before it is
//! applied, so a file changed on disk is never installed.

mod digest;
mod download;
mod error;
mod http;
mod index;
mod layout;
mod local;
mod partial;
mod progress;
mod reconcile;
mod request;
mod source;
mod space;
mod stage;
mod store;

#[cfg(test)]
mod tests;

pub use error::{FetchFailure, StageError};
pub use http::STALL_TIMEOUT;
pub use index::{parse_index, IndexError, StagedPayload, MAX_INDEX_SIZE};
pub use progress::Progress;
pub use reconcile::STALE_AGE;
pub use request::StageRequest;
pub use source::{CatalogBase, PayloadSource};
pub use space::{check_free_space, space_margin, FsSpace};
pub use space::{MAX_SPACE_MARGIN, MIN_SPACE_MARGIN, SPACE_MARGIN_PERCENT};
pub use store::StagingStore;

/// Name of the staging folder inside the state folder.
pub const STAGED_DIR: &str = "staged";
