//! HTTP fetching: one shared client, conditional GET, and bodies capped while streaming.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::duration;

/// `User-Agent` of every request, with the daemon's version.
pub const USER_AGENT: &str = concat!("hwupd/", env!("CARGO_PKG_VERSION"));

/// Maximum length in bytes of a stored `ETag` or `Last-Modified` value. Longer values
/// are not stored, which only costs a full download next time.
const MAX_VALIDATOR_LEN: usize = 1024;

/// Largest buffer reserved up front from a `Content-Length`, so that a server that
/// announces a large body and sends little cannot make the daemon reserve the whole cap.
const MAX_PREALLOCATION: u64 = 16 * 1024 * 1024;

/// Network settings of the `[fetch]` section of `hwupd.toml`. Durations are seconds or
/// text such as `"30s"` or `"10m"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Maximum time to open a connection, TLS handshake included.
    #[serde(deserialize_with = "deserialize_timeout")]
    pub connect_timeout: Duration,
    /// Maximum time without receiving data on an open connection.
    #[serde(deserialize_with = "deserialize_timeout")]
    pub read_timeout: Duration,
    /// Maximum time for a whole request, body included.
    #[serde(deserialize_with = "deserialize_timeout")]
    pub timeout: Duration,
}

/// Longest accepted timeout. A catalog or payload download that needs longer is
/// better split or mirrored closer to the machines.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Reads a timeout of at least one second and at most [`MAX_TIMEOUT`]. A zero timeout
/// would make every fetch fail at once.
fn deserialize_timeout<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    let timeout = duration::deserialize(deserializer)?;
    if timeout < Duration::from_secs(1) || timeout > MAX_TIMEOUT {
        return Err(serde::de::Error::custom(format!(
            "timeout of {} s is out of range; use 1s to 24h, such as \"30s\" or \"10m\"",
            timeout.as_secs()
        )));
    }
    Ok(timeout)
}

impl Default for FetchConfig {
    /// Returns timeouts that let a 128 MiB catalog download at about 2 Mbit/s.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            timeout: Duration::from_secs(600),
        }
    }
}

/// Receiver of each piece of a response body, with the bytes received so far and the
/// announced length.
pub(super) type OnChunk<'a> = dyn FnMut(&[u8], u64, Option<u64>) + Send + 'a;

/// Failure to build the HTTP client.
#[derive(Debug, thiserror::Error)]
#[error("building the HTTP client failed")]
pub struct FetcherError(#[source] reqwest::Error);

/// HTTP client shared by all refreshes. Cloning it is cheap and shares the connection pool.
///
/// It reads the proxy from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (or
/// their lower-case forms) once, when it is built, as reqwest does by default.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Fetcher {
    pub fn new(config: &FetchConfig) -> Result<Self, FetcherError> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(FetcherError)?;
        Ok(Self { client })
    }

    /// Returns the shared client, so that payload downloads use the same connection pool,
    /// proxy and `User-Agent`. Its `timeout` covers a whole request, so a long payload
    /// download needs its own with `RequestBuilder::timeout`.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Fetches `url` with a conditional GET when `validators` is given, and reads at most
    /// `max` bytes of body. `on_chunk` gets each piece of the body as it arrives, the
    /// bytes received so far and the announced length.
    pub(super) async fn get(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        max: u64,
        on_chunk: &mut OnChunk<'_>,
    ) -> Result<Fetched, FetchError> {
        let headers = validators.map(Validators::headers).unwrap_or_default();
        let request = self.client.get(url.clone()).headers(headers);
        let mut response = request.send().await.map_err(FetchError::transport)?;

        let status = response.status();
        if status == StatusCode::NOT_MODIFIED && validators.is_some() {
            return Ok(Fetched::NotModified);
        }
        if status != StatusCode::OK {
            return Err(FetchError::Status(status.as_u16()));
        }
        let length = response.content_length();
        if length.is_some_and(|length| length > max) {
            return Err(FetchError::TooLarge);
        }

        let validators = Validators::from_response(response.headers());
        let bytes = read_capped(&mut response, max, on_chunk).await?;
        Ok(Fetched::Body { bytes, validators })
    }
}

/// Reads the body chunk by chunk and fails as soon as it passes `max` bytes, so no more
/// than `max` bytes plus one chunk are ever held.
async fn read_capped(
    response: &mut reqwest::Response,
    max: u64,
    on_chunk: &mut OnChunk<'_>,
) -> Result<Vec<u8>, FetchError> {
    let length = response.content_length();
    let reserve = length.unwrap_or(0).min(max).min(MAX_PREALLOCATION);
    let mut bytes = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));

    while let Some(chunk) = response.chunk().await.map_err(FetchError::transport)? {
        let received = bytes.len() as u64 + chunk.len() as u64;
        if received > max {
            return Err(FetchError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
        on_chunk(&chunk, received, length);
    }
    Ok(bytes)
}

/// `ETag` and `Last-Modified` of a response, sent back to make the next GET conditional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    fn from_response(headers: &HeaderMap) -> Self {
        let text = |name: HeaderName| {
            let value = headers.get(name)?.to_str().ok()?;
            (value.len() <= MAX_VALIDATOR_LEN).then(|| value.to_owned())
        };
        Self {
            etag: text(ETAG),
            last_modified: text(LAST_MODIFIED),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }

    /// Returns `If-None-Match` and `If-Modified-Since` headers. A stored value that is no
    /// longer a valid header value is left out.
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let pairs = [
            (IF_NONE_MATCH, &self.etag),
            (IF_MODIFIED_SINCE, &self.last_modified),
        ];
        for (name, value) in pairs {
            let value = value.as_deref().map(HeaderValue::from_str);
            if let Some(Ok(value)) = value {
                headers.insert(name, value);
            }
        }
        headers
    }
}

/// Result of a successful GET.
#[derive(Debug)]
pub(super) enum Fetched {
    /// The server responded with 304: the resource has not changed since the validators
    /// were issued.
    NotModified,
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

/// Failure of a GET, without the URL, which the caller adds.
#[derive(Debug)]
pub(super) enum FetchError {
    /// No complete response: connection, TLS, timeout or a body cut short.
    Transport(String),
    /// A status other than 200, or 304 for an unconditional request.
    Status(u16),
    /// The body is larger than the cap.
    TooLarge,
}

impl FetchError {
    fn transport(error: reqwest::Error) -> Self {
        let timed_out = error.is_timeout();
        let error = error.without_url();
        let mut message = crate::output::error_chain(&error);
        if timed_out {
            message.push_str(
                "; the request timed out, so check the network or raise connect_timeout, \
                 read_timeout or timeout in the [fetch] section of hwupd.toml",
            );
        }
        Self::Transport(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn fetch_section_reads_durations() {
        let text = "[fetch]\nconnect_timeout = 5\nread_timeout = \"30s\"\ntimeout = \"2m\"";

        let config = Config::parse(text).unwrap();

        assert_eq!(config.fetch.connect_timeout, Duration::from_secs(5));
        assert_eq!(config.fetch.read_timeout, Duration::from_secs(30));
        assert_eq!(config.fetch.timeout, Duration::from_secs(120));
    }

    #[test]
    fn fetch_timeouts_out_of_range_are_rejected() {
        for text in [
            "[fetch]\ntimeout = \"0s\"",
            "[fetch]\nconnect_timeout = 0",
            "[fetch]\ntimeout = \"99999d\"",
        ] {
            let error = Config::parse(text).unwrap_err();
            assert!(
                error.contains("out of range; use 1s to 24h"),
                "{text}: {error}"
            );
        }
        let config = Config::parse("[fetch]\ntimeout = \"24h\"").unwrap();
        assert_eq!(config.fetch.timeout, MAX_TIMEOUT);
    }

    #[test]
    fn fetch_section_is_optional() {
        let config = Config::parse("[fetch]\ntimeout = \"1h\"").unwrap();

        assert_eq!(config.fetch.connect_timeout, Duration::from_secs(15));
        assert_eq!(config.fetch.timeout, Duration::from_secs(3600));
        assert_eq!(Config::parse("").unwrap().fetch, FetchConfig::default());
    }

    #[test]
    fn fetch_section_rejects_bad_values() {
        for text in [
            "[fetch]\ntimeout = \"soon\"",
            "[fetch]\ntimeout = -1",
            "[fetch]\ntimeout = true",
            "[fetch]\ntimeuot = 5",
        ] {
            let error = Config::parse(text).unwrap_err();
            assert!(error.contains("time"), "{text}: {error}");
        }
    }

    #[test]
    fn validators_become_conditional_headers() {
        let validators = Validators {
            etag: Some("\"12-34\"".to_owned()),
            last_modified: Some("bad\nvalue".to_owned()),
        };

        let headers = validators.headers();

        assert_eq!(headers[IF_NONE_MATCH], "\"12-34\"");
        assert!(!headers.contains_key(IF_MODIFIED_SINCE));
    }
}
