//! A raw HTTP/1.1 server on 127.0.0.1 for the responses that the shared test server
//! never sends: a 200 that ignores Range, and bodies without `Content-Length`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Response sent to every request.
#[derive(Clone)]
pub enum Reply {
    /// 200 with `Content-Length` and the whole body, whatever range the request names.
    IgnoreRange(Vec<u8>),
    /// 200 without `Content-Length`, so the body ends when the connection closes.
    Unsized(Vec<u8>),
    /// 200 without `Content-Length`, sending zeros until the client disconnects.
    Endless,
}

pub struct PlainServer {
    pub address: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    written: Mutex<Receiver<u64>>,
}

impl PlainServer {
    pub fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (sender, receiver) = channel();
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (reply, log, sender) = (reply.clone(), log.clone(), sender.clone());
                std::thread::spawn(move || serve(stream, &reply, &log, &sender));
            }
        });
        Self {
            address,
            requests,
            written: Mutex::new(receiver),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.address)
    }

    /// Request heads received so far, with header names in lower case.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Body bytes written by the next response to finish.
    pub fn next_written(&self) -> u64 {
        let receiver = self.written.lock().unwrap();
        receiver.recv_timeout(Duration::from_secs(60)).unwrap()
    }
}

fn serve(stream: TcpStream, reply: &Reply, log: &Mutex<Vec<String>>, sender: &Sender<u64>) {
    let Some(head) = read_head(&stream) else {
        return;
    };
    log.lock().unwrap().push(head);
    let written = write_reply(stream, reply);
    let _ = sender.send(written);
}

fn read_head(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line.trim().is_empty() {
            return Some(head);
        }
        head.push_str(&line.to_ascii_lowercase());
    }
}

/// Writes the reply and returns the body bytes that the socket accepted.
fn write_reply(mut stream: TcpStream, reply: &Reply) -> u64 {
    let (length, body): (Option<usize>, &[u8]) = match reply {
        Reply::IgnoreRange(body) => (Some(body.len()), body),
        Reply::Unsized(body) => (None, body),
        Reply::Endless => (None, &[]),
    };
    let length_line = length.map(|n| format!("Content-Length: {n}\r\n"));
    let head = format!(
        "HTTP/1.1 200 OK\r\nConnection: close\r\n{}\r\n",
        length_line.unwrap_or_default()
    );
    if stream.write_all(head.as_bytes()).is_err() {
        return 0;
    }
    if !matches!(reply, Reply::Endless) {
        return stream.write_all(body).map_or(0, |()| body.len() as u64);
    }

    let zeros = [0u8; 64 * 1024];
    let mut written = 0;
    while let Ok(count) = stream.write(&zeros) {
        written += count as u64;
    }
    written
}
