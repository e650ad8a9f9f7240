//! One download into the staging folder: free-space check, resume or restart, and the
//! hash check before the payload gets its final name.

use std::path::{Path, PathBuf};

use reqwest::Client;

use super::partial::{PartialFile, TransferError};
use super::progress::{Progress, Throttle};
use super::space::{check_free_space, FsSpace};
use super::{http, local, PayloadSource, StageError};

/// Payload to download, as the verified catalog describes it.
pub(super) struct Target<'a> {
    pub source: &'a PayloadSource,
    pub sha256: &'a str,
    pub size: u64,
}

/// Downloads a payload to `<sha256>.payload` in `folder`, resuming a partial download.
///
/// A resume that ends in a wrong hash, or a response to the Range request that cannot be
/// trusted, starts the download over from zero once, because the old partial bytes may
/// be the wrong ones.
pub(super) async fn download(
    client: &Client,
    folder: &Path,
    target: &Target<'_>,
    progress: Progress<'_>,
) -> Result<PathBuf, StageError> {
    let mut throttle = Throttle::new(progress, target.size);
    let first = attempt(client, folder, target, true, &mut throttle).await;
    let Err(TransferError::Restart(error)) = first else {
        return first.map_err(into_error);
    };

    tracing::warn!(sha256 = target.sha256, %error, "downloading the payload again from the start");
    let second = attempt(client, folder, target, false, &mut throttle).await;
    second.map_err(into_error)
}

async fn attempt(
    client: &Client,
    folder: &Path,
    target: &Target<'_>,
    resume: bool,
    throttle: &mut Throttle<'_>,
) -> Result<PathBuf, TransferError> {
    let location = target.source.to_string();
    let mut partial =
        PartialFile::open(folder, target.sha256, target.size, resume, location).await?;
    if partial.len() > 0 {
        tracing::info!(
            sha256 = target.sha256,
            offset = partial.len(),
            "resuming a partial download"
        );
    }

    let remaining = target.size - partial.len();
    let space = FsSpace::of(folder).and_then(|space| check_free_space(folder, remaining, space));
    if let Err(error) = space {
        partial.keep();
        return Err(error.into());
    }

    throttle.reset(partial.len());
    if remaining > 0 {
        if let Err(error) = transfer(client, target.source, &mut partial, throttle).await {
            settle(partial, &error);
            return Err(error);
        }
    }
    partial.finish(target.sha256)
}

async fn transfer(
    client: &Client,
    source: &PayloadSource,
    partial: &mut PartialFile,
    throttle: &mut Throttle<'_>,
) -> Result<(), TransferError> {
    match source {
        PayloadSource::Url(url) => http::fetch(client, url, partial, throttle).await,
        PayloadSource::File { folder, path } => local::copy(folder, path, partial, throttle).await,
    }
}

/// Keeps the partial file after an interruption, and deletes it otherwise.
fn settle(partial: PartialFile, error: &TransferError) {
    match error {
        TransferError::Interrupted(_) => partial.keep(),
        TransferError::Rejected(_) | TransferError::Restart(_) => partial.discard(),
    }
}

fn into_error(error: TransferError) -> StageError {
    match error {
        TransferError::Interrupted(error)
        | TransferError::Rejected(error)
        | TransferError::Restart(error) => error,
    }
}
