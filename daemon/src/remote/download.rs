//! Downloading a remote's catalog and signature, over HTTP or from a local path.

use std::path::Path;

use reqwest::Url;
use sha2::{Digest, Sha256};

use super::config::{RemoteConfig, RemoteSource};
use super::error::RefreshError;
use super::fetch::{FetchError, Fetched, Fetcher, Validators};
use super::local::{self, read_bounded, ReadError};
use super::prior::Prior;
use super::refresh::run_blocking;
use crate::catalog::minisign::{Prehash, Prehasher, MAX_SIGNATURE_FILE};

/// Result of a download.
#[derive(Debug)]
pub(super) enum Download {
    /// The server responded to the conditional GET with 304.
    NotModified,
    Fetched(FetchedPair),
}

/// A catalog and its signature as downloaded or read, not yet checked.
#[derive(Debug)]
pub(super) struct FetchedPair {
    pub catalog: Vec<u8>,
    pub signature: Vec<u8>,
    pub validators: Validators,
    /// URL or path of the catalog, for error messages.
    pub origin: String,
    /// Hashes of the catalog computed while it downloaded, or None when it was read
    /// from a local file.
    pub digests: Option<Box<Digests>>,
}

/// Hashes of a catalog's bytes, computed while they arrive so that the checks after
/// the download need no further pass over them for hashing.
#[derive(Debug, Clone)]
pub(super) struct Digests {
    /// SHA-256 in lower-case hex, as the status records it.
    pub sha256: String,
    /// BLAKE2b-512, which a prehashed minisign signature covers.
    pub prehash: Prehash,
}

/// Computes [`Digests`] piece by piece.
#[derive(Default)]
struct DigestWriter {
    sha256: Sha256,
    prehash: Prehasher,
}

impl DigestWriter {
    fn update(&mut self, piece: &[u8]) {
        self.sha256.update(piece);
        self.prehash.update(piece);
    }

    fn finish(self) -> Digests {
        Digests {
            sha256: format!("{:x}", self.sha256.finalize()),
            prehash: self.prehash.finish(),
        }
    }
}

/// Downloads the catalog of `remote` and its signature. An HTTP remote gets a
/// conditional GET while the stored pair verifies, and a local remote is read in full.
pub(super) async fn download(
    remote: &RemoteConfig,
    fetcher: &Fetcher,
    prior: &Prior,
    progress: &mut (dyn FnMut(u32, &str) + Send),
) -> Result<Download, RefreshError> {
    let max = remote.max_catalog_size;
    match &remote.source {
        RemoteSource::Http { url, .. } => {
            let validators = prior.validators();
            download_http(url, max, fetcher, validators.as_ref(), progress).await
        }
        RemoteSource::Local { path } => {
            progress(5, "reading the catalog");
            let path = path.clone();
            run_blocking(remote, move || read_local(&path, max)).await
        }
    }
}

async fn download_http(
    url: &Url,
    max: u64,
    fetcher: &Fetcher,
    validators: Option<&Validators>,
    progress: &mut (dyn FnMut(u32, &str) + Send),
) -> Result<Download, RefreshError> {
    let catalog_url = catalog_url(url);
    progress(5, "downloading the catalog");
    let mut percent = 5;
    let mut digests = DigestWriter::default();
    let mut on_chunk = |chunk: &[u8], received: u64, length: Option<u64>| {
        digests.update(chunk);
        let Some(length) = length.filter(|length| *length > 0) else {
            return;
        };
        let now = 5 + (75 * received.min(length) / length) as u32;
        if now != percent {
            percent = now;
            progress(now, "downloading the catalog");
        }
    };
    let fetched = fetcher
        .get(&catalog_url, validators, max, &mut on_chunk)
        .await;
    let fetched = fetched.map_err(|error| fetch_error(error, &catalog_url, max))?;
    let Fetched::Body { bytes, validators } = fetched else {
        return Ok(Download::NotModified);
    };

    progress(80, "downloading the signature");
    let signature = fetch_signature(fetcher, &catalog_url).await?;
    Ok(Download::Fetched(FetchedPair {
        catalog: bytes,
        signature,
        validators,
        origin: catalog_url.to_string(),
        digests: Some(Box::new(digests.finish())),
    }))
}

/// Fetches `<catalog URL>.minisig` without a conditional GET, because a new catalog
/// needs its new signature, and a signature is at most a few KiB.
async fn fetch_signature(fetcher: &Fetcher, catalog_url: &Url) -> Result<Vec<u8>, RefreshError> {
    let text = format!("{catalog_url}.minisig");
    let url = Url::parse(&text).map_err(|error| RefreshError::FetchFailed {
        url: text.clone(),
        message: error.to_string(),
    })?;
    let max = MAX_SIGNATURE_FILE as u64;

    let fetched = fetcher.get(&url, None, max, &mut |_, _, _| {}).await;
    match fetched {
        Ok(Fetched::Body { bytes, .. }) => Ok(bytes),
        Ok(Fetched::NotModified) => Err(fetch_error(FetchError::Status(304), &url, max)),
        Err(FetchError::Status(404 | 410)) => Err(RefreshError::SignatureMissing { url: text }),
        Err(error) => Err(fetch_error(error, &url, max)),
    }
}

/// Returns the catalog's URL: `url` itself, or `catalog.json` in it when it ends with `/`.
pub(super) fn catalog_url(url: &Url) -> Url {
    if url.path().ends_with('/') {
        if let Ok(joined) = url.join("catalog.json") {
            return joined;
        }
    }
    url.clone()
}

fn fetch_error(error: FetchError, url: &Url, max: u64) -> RefreshError {
    let url = url.to_string();
    match error {
        FetchError::Transport(message) => RefreshError::FetchFailed { url, message },
        FetchError::Status(status) => RefreshError::HttpStatus { url, status },
        FetchError::TooLarge => RefreshError::TooLarge { url, max },
    }
}

/// Reads a local catalog file, or `catalog.json` in a local folder, and its signature.
fn read_local(path: &Path, max: u64) -> Result<Download, RefreshError> {
    let catalog_path = local::catalog_file(path);
    let signature_path = local::signature_file(&catalog_path);
    let origin = catalog_path.display().to_string();
    let catalog =
        read_bounded(&catalog_path, max).map_err(|error| local_error(error, &origin, max))?;

    let signature_origin = signature_path.display().to_string();
    let signature_max = MAX_SIGNATURE_FILE as u64;
    let signature = match read_bounded(&signature_path, signature_max) {
        Err(ReadError::Io(error)) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(RefreshError::SignatureMissing {
                url: signature_origin,
            });
        }
        other => other.map_err(|error| local_error(error, &signature_origin, signature_max))?,
    };
    Ok(Download::Fetched(FetchedPair {
        catalog,
        signature,
        validators: Validators::default(),
        origin,
        digests: None,
    }))
}

fn local_error(error: ReadError, origin: &str, max: u64) -> RefreshError {
    let url = origin.to_owned();
    match error {
        ReadError::Io(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let message = "the file does not exist; check the remote's url, or mount the \
                           media that holds the catalog"
                .to_owned();
            RefreshError::FetchFailed { url, message }
        }
        ReadError::Io(error) => RefreshError::FetchFailed {
            url,
            message: error.to_string(),
        },
        ReadError::TooLarge => RefreshError::TooLarge { url, max },
    }
}
