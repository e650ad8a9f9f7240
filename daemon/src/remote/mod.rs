//! Remotes: their config files, fetching their signed catalogs, and accepting them.
//!
//! A remote is one source of a signed catalog, configured in `remotes.d/<id>.toml`.
//! [`refresh`] downloads its catalog and signature, checks them against the pinned keys
//! and the remote's state, and stores an accepted catalog under
//! `state_dir/remotes/<id>/`. [`load_accepted`] reads it back, verified again.

mod accept;
mod accepted;
mod config;
mod config_error;
mod download;
mod duration;
mod error;
mod fetch;
mod keys;
mod local;
mod machine_catalog;
mod prior;
mod refresh;
mod settle;
mod status;
mod store;
mod verified;

pub use accept::MAX_CLOCK_SKEW;
pub use accepted::{load_accepted, AcceptedCatalog, AcceptedSummary};
pub use config::{is_valid_remote_id, load_remotes, RemoteConfig, RemoteList, RemoteSource};
pub use config::{DEFAULT_RANDOM_DELAY, DEFAULT_REFRESH_INTERVAL, DEFAULT_REMOTES_DIR};
pub use config::{KNOWN_KEYS, MAX_CONFIG_FILE};
pub use config_error::{ConfigProblem, RemoteConfigError};
pub use duration::{format_duration, parse_duration, DurationError};
pub use error::{LastError, RefreshError};
pub use fetch::{FetchConfig, Fetcher, FetcherError, USER_AGENT};
pub use machine_catalog::{load_for_machine, MachineCatalog};
pub use refresh::{refresh, RefreshOutcome, UnchangedReason};
pub use status::{next_refresh_time, remote_status, RemoteStatus};
pub use store::{AcceptedRecord, RemoteStore, StoredStatus};
pub use store::{CATALOG_FILE, SIGNATURE_FILE, STATUS_FILE};
