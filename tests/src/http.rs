//! A small HTTP/1.1 file server on 127.0.0.1 for tests: conditional GET,
//! Range requests, request counting and injected faults.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fault the server injects into every response for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Send the headers and this many body bytes, then close the connection.
    CutAfter(u64),
    /// Answer with this status and an empty body.
    Status(u16),
    /// Wait this long before answering.
    Delay(Duration),
    /// Send a body that differs from the file (every byte inverted).
    Corrupt,
    /// Send the headers and this many body bytes, wait this long, then close the
    /// connection, as a server that stops sending in the middle of a body does.
    StallAfter(u64, Duration),
    /// Create the file `received` in this folder when a request arrives, then wait until
    /// a test creates the file `release` there, so that a test controls how long the
    /// request stays open. The wait ends after [`HOLD_LIMIT`] in any case.
    Hold(PathBuf),
}

/// Upper bound on a [`Fault::Hold`], which only keeps a test that never releases the
/// request from leaving a server thread behind for good.
pub const HOLD_LIMIT: Duration = Duration::from_secs(60);

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: HashMap<String, String>,
    /// Status code sent back.
    pub status: u16,
    /// Body bytes sent back.
    pub body_bytes: u64,
}

#[derive(Default)]
struct Shared {
    faults: Mutex<HashMap<String, Fault>>,
    log: Mutex<Vec<Request>>,
    bytes_sent: AtomicU64,
    stop: AtomicBool,
}

/// Serves the files of a folder until dropped. ETags are the file's size and
/// modification time; `Last-Modified` is sent too.
pub struct HttpServer {
    pub address: SocketAddr,
    root: PathBuf,
    shared: Arc<Shared>,
}

impl HttpServer {
    /// Starts serving `root` on an ephemeral port of 127.0.0.1.
    pub fn start(root: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1");
        let address = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let server = Self {
            address,
            root: root.to_path_buf(),
            shared: shared.clone(),
        };
        let root = server.root.clone();
        std::thread::spawn(move || accept_loop(listener, root, shared));
        server
    }

    /// URL of a path under the served folder.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.address, path.trim_start_matches('/'))
    }

    /// Injects a fault for every later request of `path`.
    pub fn set_fault(&self, path: &str, fault: Fault) {
        self.shared
            .faults
            .lock()
            .unwrap()
            .insert(normalize(path), fault);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.lock().unwrap().clear();
    }

    /// The requests received so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Body bytes sent in all responses so far.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes_sent.load(Ordering::SeqCst)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

fn normalize(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

fn accept_loop(listener: TcpListener, root: PathBuf, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        let shared = shared.clone();
        std::thread::spawn(move || {
            let _ = serve_connection(stream, &root, &shared);
        });
    }
}

fn serve_connection(stream: TcpStream, root: &Path, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    loop {
        let Some((path, headers)) = read_request(&mut reader)? else {
            return Ok(());
        };
        let close = headers
            .get("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let keep_open = respond(&stream, root, shared, &path, &headers)?;
        if close || !keep_open {
            return Ok(());
        }
    }
}

fn read_request(
    reader: &mut impl BufRead,
) -> std::io::Result<Option<(String, HashMap<String, String>)>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    Ok(Some((path, headers)))
}

/// Sends one response; returns whether the connection may serve another request.
fn respond(
    mut stream: &TcpStream,
    root: &Path,
    shared: &Shared,
    path: &str,
    headers: &HashMap<String, String>,
) -> std::io::Result<bool> {
    let fault = shared.faults.lock().unwrap().get(path).cloned();
    match &fault {
        Some(Fault::Delay(delay)) => std::thread::sleep(*delay),
        Some(Fault::Hold(folder)) => hold(folder)?,
        _ => {}
    }

    let file = root.join(path.trim_start_matches('/'));
    let (status, mut extra, mut body) = match (&fault, std::fs::read(&file)) {
        (Some(Fault::Status(code)), _) => (*code, Vec::new(), Vec::new()),
        (_, Err(_)) => (404, Vec::new(), Vec::new()),
        (_, Ok(bytes)) => conditional(&file, bytes, headers),
    };
    if fault == Some(Fault::Corrupt) {
        body.iter_mut().for_each(|b| *b = !*b);
    }

    let cut = match fault {
        Some(Fault::CutAfter(n) | Fault::StallAfter(n, _)) => {
            Some(n.min(body.len() as u64) as usize)
        }
        _ => None,
    };
    extra.push(format!("Content-Length: {}", body.len()));
    let head = format!(
        "HTTP/1.1 {status} {}\r\n{}\r\n\r\n",
        reason(status),
        extra.join("\r\n")
    );
    stream.write_all(head.as_bytes())?;
    let sent = cut.unwrap_or(body.len());
    stream.write_all(&body[..sent])?;
    stream.flush()?;
    if let Some(Fault::StallAfter(_, stall)) = fault {
        std::thread::sleep(stall);
    }

    shared.bytes_sent.fetch_add(sent as u64, Ordering::SeqCst);
    shared.log.lock().unwrap().push(Request {
        path: path.to_string(),
        headers: headers.clone(),
        status,
        body_bytes: sent as u64,
    });
    Ok(cut.is_none())
}

/// Signals a received request in `folder` and waits for the test's release file.
fn hold(folder: &Path) -> std::io::Result<()> {
    std::fs::write(folder.join("received"), b"")?;
    let deadline = std::time::Instant::now() + HOLD_LIMIT;
    while !folder.join("release").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Applies If-None-Match, If-Modified-Since and Range to a file's bytes.
fn conditional(
    file: &Path,
    bytes: Vec<u8>,
    headers: &HashMap<String, String>,
) -> (u16, Vec<String>, Vec<u8>) {
    let modified = std::fs::metadata(file).and_then(|m| m.modified()).ok();
    let seconds = modified
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let etag = format!("\"{}-{seconds}\"", bytes.len());
    let last_modified = http_date(seconds);
    let mut extra = vec![
        format!("ETag: {etag}"),
        format!("Last-Modified: {last_modified}"),
    ];

    let etag_matches = headers.get("if-none-match").is_some_and(|v| v == &etag);
    let date_matches = headers
        .get("if-modified-since")
        .is_some_and(|v| v == &last_modified);
    if etag_matches || (date_matches && !headers.contains_key("if-none-match")) {
        return (304, extra, Vec::new());
    }
    if let Some((start, end)) = headers
        .get("range")
        .and_then(|r| parse_range(r, bytes.len() as u64))
    {
        extra.push(format!(
            "Content-Range: bytes {start}-{end}/{}",
            bytes.len()
        ));
        return (206, extra, bytes[start as usize..=end as usize].to_vec());
    }
    extra.push("Accept-Ranges: bytes".to_string());
    (200, extra, bytes)
}

/// Parses `bytes=START-` or `bytes=START-END` within a body of `len` bytes.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    let start: u64 = start.parse().ok()?;
    let end: u64 = if end.is_empty() {
        len.checked_sub(1)?
    } else {
        end.parse().ok()?
    };
    (start <= end && end < len).then_some((start, end))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        304 => "Not Modified",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Formats seconds since the epoch as an IMF-fixdate, as `Last-Modified` uses.
fn http_date(seconds: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = seconds / 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    let rest = seconds % 86_400;
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Converts days since 1970-01-01 to a (year, month, day) civil date.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn get(server: &HttpServer, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>, String) {
        let mut stream = TcpStream::connect(server.address).unwrap();
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"
        )
        .unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, _) = text.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = response[head.len() + 4..].to_vec();
        (status, body, head.to_string())
    }

    #[test]
    fn serves_conditional_and_range_requests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.bin"), b"0123456789").unwrap();
        let server = HttpServer::start(dir.path());

        let (status, body, head) = get(&server, "/a.bin", &[]);
        assert_eq!((status, body.as_slice()), (200, &b"0123456789"[..]));
        let etag = head
            .lines()
            .find_map(|l| l.strip_prefix("ETag: "))
            .unwrap()
            .to_string();

        let (status, body, _) = get(&server, "/a.bin", &[("If-None-Match", &etag)]);
        assert_eq!((status, body.len()), (304, 0));
        let (status, body, _) = get(&server, "/a.bin", &[("Range", "bytes=4-")]);
        assert_eq!((status, body.as_slice()), (206, &b"456789"[..]));
        assert_eq!(get(&server, "/missing", &[]).0, 404);
        assert_eq!(server.requests().len(), 4);
    }

    #[test]
    fn injects_faults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.bin"), b"0123456789").unwrap();
        let server = HttpServer::start(dir.path());
        server.set_fault("a.bin", Fault::CutAfter(3));
        assert_eq!(get(&server, "/a.bin", &[]).1, b"012");
        server.set_fault("a.bin", Fault::Status(503));
        assert_eq!(get(&server, "/a.bin", &[]).0, 503);
        server.clear_faults();
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
