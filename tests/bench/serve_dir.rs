//! Serves the files of one folder over HTTP on 127.0.0.1 for the benchmark script,
//! so that `hwupctl stage` and `curl | sha256sum` download from the same server.
//!
//! `serve_dir FOLDER PORT_FILE` binds a free port, writes it to PORT_FILE and serves
//! GET requests until killed. Only plain file names directly in FOLDER are served,
//! with the body sent by `std::io::copy`, which uses sendfile on Linux, so the server
//! costs little CPU next to the client it measures.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(folder), Some(port_file)) = (args.next(), args.next()) else {
        eprintln!("usage: serve_dir FOLDER PORT_FILE");
        std::process::exit(2);
    };
    let folder = PathBuf::from(folder);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    std::fs::write(port_file, listener.local_addr()?.port().to_string())?;

    for stream in listener.incoming().flatten() {
        let folder = folder.clone();
        std::thread::spawn(move || {
            if let Err(error) = serve(stream, &folder) {
                eprintln!("serve_dir: {error}");
            }
        });
    }
    Ok(())
}

/// Sends the requested file, or 404, and closes the connection.
fn serve(stream: TcpStream, folder: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }

    let mut stream = stream;
    let Some(file) = requested_file(&request_line, folder) else {
        return stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let Ok(mut body) = File::open(&file) else {
        return stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let length = body.metadata()?.len();
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    std::io::copy(&mut body, &mut stream)?;
    Ok(())
}

/// Maps `GET /name HTTP/1.1` to `folder/name` when the name is one plain component.
fn requested_file(request_line: &str, folder: &Path) -> Option<PathBuf> {
    let mut parts = request_line.split_whitespace();
    if parts.next() != Some("GET") {
        return None;
    }
    let name = parts.next()?.strip_prefix('/')?;
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\\');
    plain.then(|| folder.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_map_into_folder() {
        let folder = Path::new("/srv");
        let file = requested_file("GET /payload.bin HTTP/1.1\r\n", folder);
        assert_eq!(file, Some(PathBuf::from("/srv/payload.bin")));
    }

    #[test]
    fn traversal_and_other_methods_are_rejected() {
        let folder = Path::new("/srv");
        assert_eq!(requested_file("GET /../etc/passwd HTTP/1.1", folder), None);
        assert_eq!(requested_file("GET /.. HTTP/1.1", folder), None);
        assert_eq!(requested_file("GET / HTTP/1.1", folder), None);
        assert_eq!(requested_file("POST /payload.bin HTTP/1.1", folder), None);
    }
}
