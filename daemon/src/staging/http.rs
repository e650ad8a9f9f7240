//! Transfer over HTTP: a Range request to resume, checks of the response's status and
//! length, and the body streamed into the partial file.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::{Client, Response, StatusCode, Url};

use super::partial::{PartialFile, TransferError};
use super::progress::Throttle;
use super::{FetchFailure, StageError};

/// Maximum time without body data before a download counts as stalled. It applies even
/// when the caller's client has no read timeout.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Downloads the rest of the payload after the bytes that `partial` already contains.
pub(super) async fn fetch(
    client: &Client,
    url: &Url,
    partial: &mut PartialFile,
    throttle: &mut Throttle<'_>,
) -> Result<(), TransferError> {
    let offset = partial.len();
    let response = send(client, url, offset).await?;
    let start = body_start(&response, url, offset, partial.declared())?;
    if start < offset {
        tracing::info!(
            %url,
            offset,
            "server ignored the Range request, downloading from the start"
        );
        partial.restart()?;
        throttle.reset(0);
    }

    check_length(response.content_length(), start, partial)?;
    stream_body(response, url, partial, throttle).await
}

async fn send(client: &Client, url: &Url, offset: u64) -> Result<Response, StageError> {
    let mut request = client.get(url.clone());
    if offset > 0 {
        request = request.header(RANGE, format!("bytes={offset}-"));
    }
    request
        .send()
        .await
        .map_err(|error| fetch_error(url, FetchFailure::Request(error)))
}

/// Returns the payload offset at which the response body starts.
fn body_start(
    response: &Response,
    url: &Url,
    offset: u64,
    declared: u64,
) -> Result<u64, TransferError> {
    let status = response.status();
    let http_error = || StageError::Http {
        status: status.as_u16(),
        url: url.to_string(),
    };
    match status {
        StatusCode::OK => Ok(0),
        StatusCode::PARTIAL_CONTENT if offset > 0 => {
            let range = response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|value| value.to_str().ok())
                .and_then(parse_content_range);
            let expected = (offset, declared - 1, declared);
            match range {
                Some(range) if range == expected => Ok(offset),
                _ => Err(TransferError::Restart(http_error())),
            }
        }
        // The partial file is longer than the server's file, so it cannot be a prefix.
        StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => {
            Err(TransferError::Restart(http_error()))
        }
        _ => Err(TransferError::Interrupted(http_error())),
    }
}

/// Parses a `Content-Range` value of the form `bytes START-END/TOTAL`.
pub(super) fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let spec = value.strip_prefix("bytes ")?;
    let (range, total) = spec.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let number = |text: &str| text.trim().parse::<u64>().ok();
    Some((number(start)?, number(end)?, number(total)?))
}

/// Rejects a response whose announced length does not fit the declared size.
fn check_length(
    length: Option<u64>,
    start: u64,
    partial: &PartialFile,
) -> Result<(), TransferError> {
    let Some(length) = length else {
        return Ok(());
    };
    let announced = start.saturating_add(length);
    let declared = partial.declared();
    let location = partial.location().to_owned();
    if announced > declared {
        let at_least = announced;
        let error = StageError::TooLarge {
            location,
            declared,
            at_least,
        };
        return Err(TransferError::Rejected(error));
    }
    if announced < declared {
        let error = StageError::SizeMismatch {
            location,
            expected: declared,
            actual: announced,
        };
        return Err(TransferError::Rejected(error));
    }
    Ok(())
}

async fn stream_body(
    response: Response,
    url: &Url,
    partial: &mut PartialFile,
    throttle: &mut Throttle<'_>,
) -> Result<(), TransferError> {
    let mut body = response.bytes_stream();
    loop {
        let next = tokio::time::timeout(STALL_TIMEOUT, body.next())
            .await
            .map_err(|_| fetch_error(url, FetchFailure::Stalled(STALL_TIMEOUT)))?;
        let chunk = match next {
            None => break,
            Some(chunk) => chunk.map_err(|error| fetch_error(url, FetchFailure::Request(error)))?,
        };
        partial.write(&chunk)?;
        throttle.update(partial.len());
    }

    if partial.len() < partial.declared() {
        return Err(partial.short_error());
    }
    Ok(())
}

fn fetch_error(url: &Url, reason: FetchFailure) -> StageError {
    StageError::Fetch {
        url: url.to_string(),
        reason,
    }
}
