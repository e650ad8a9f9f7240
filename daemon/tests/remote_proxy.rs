//! The HTTP client takes its proxy from the environment, and `NO_PROXY` exempts loopback.
//!
//! This binary contains only this test, because it changes the process environment, which the
//! HTTP client reads when it is built.

mod remote_lab;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use remote_lab::{catalog, Lab};

/// Starts a proxy on loopback that records each request line and responds with 502.
fn start_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut header = String::new();
            while reader.read_line(&mut header).unwrap_or(0) > 2 {
                header.clear();
            }
            log.lock().unwrap().push(request_line.trim_end().to_owned());
            let response =
                "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (url, requests)
}

#[tokio::test]
async fn proxy_from_environment_except_no_proxy() {
    let (proxy_url, proxy_requests) = start_proxy();
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "no_proxy",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("NO_PROXY", "127.0.0.1,localhost");
    std::env::set_var("HTTP_PROXY", &proxy_url);
    std::env::set_var("http_proxy", &proxy_url);

    let mut direct = Lab::new();
    direct.publish(&catalog(5));
    let outcome = direct.refresh().await;

    assert_eq!(outcome.unwrap().serial(), 5);
    assert!(proxy_requests.lock().unwrap().is_empty());

    std::env::remove_var("NO_PROXY");
    let mut proxied = Lab::new();
    proxied.publish(&catalog(5));
    let result = proxied.refresh().await;

    assert_eq!(result.unwrap_err().kind(), "http-status");
    assert!(proxied.server.requests().is_empty());
    let requests = proxy_requests.lock().unwrap().clone();
    let expected = format!("GET {} HTTP/1.1", proxied.server.url("catalog.json"));
    assert_eq!(requests, [expected]);
}
