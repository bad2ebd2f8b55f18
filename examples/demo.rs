//! A gateway in front of an embedded upstream that misbehaves on purpose.
//!
//! ```text
//! cargo run --example demo                 # listens on 127.0.0.1:3000
//! cargo run --example demo -- --listen 127.0.0.1:8000
//! ```
//!
//! It prints a curl command for each failure; try them in another terminal.
//! The gateway is axum + hyper-util's `Client`, wrapped by
//! `GatewayErrorLayer`; each path of the upstream fails differently.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use http::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower_gateway_error::GatewayErrorLayer;

#[path = "common/support.rs"]
mod support;

/// The client refuses response heads larger than this (hyper's smallest).
const CLIENT_HEAD_LIMIT: usize = 8 * 1024;
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

#[tokio::main]
async fn main() {
    let listen = match parse_listen(std::env::args().skip(1)) {
        Ok(listen) => listen,
        Err(message) => {
            eprintln!("error: {message}\n\nusage: cargo run --example demo [-- --listen ADDR]\n  --listen ADDR  where the gateway listens (default 127.0.0.1:3000)");
            std::process::exit(2);
        }
    };

    // The full error chain goes to the log; clients see none of it.
    support::init_logging();

    let upstream = start_misbehaving_upstream().await;
    let (refused, _reserved) = support::port_nobody_listens_on();

    let mut client = Client::builder(TokioExecutor::new());
    client.http1_max_buf_size(CLIENT_HEAD_LIMIT);
    let client: Client<HttpConnector, Body> = client.build_http();

    let proxy = tower::service_fn(move |mut request: Request<Body>| {
        let client = client.clone();
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let target = if request.uri().path() == "/refused" {
            refused
        } else {
            upstream
        };
        *request.uri_mut() = format!("http://{target}{path}")
            .parse()
            .expect("a path from a parsed URI stays valid");
        async move { client.request(request).await }
    });

    let errors = GatewayErrorLayer::builder()
        .proxy_name("demo-gateway")
        .build()
        .expect("the demo's settings are valid");
    // tower's Timeout goes under the layer: its error becomes the 504.
    let gateway = tower::ServiceBuilder::new()
        .layer(errors)
        .timeout(RESPONSE_TIMEOUT)
        .service(proxy);
    let app = Router::new().fallback_service(gateway);

    let (listener, addr) = support::listen(listen).await;
    print_curl_lines(addr);

    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("\nstopping");
        })
        .await
        .expect("the server runs until Ctrl-C");
}

fn parse_listen(mut args: impl Iterator<Item = String>) -> Result<SocketAddr, String> {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 3000));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                let value = args
                    .next()
                    .ok_or("--listen needs an address, e.g. 127.0.0.1:3000")?;
                listen = value.parse().map_err(|_| {
                    format!("--listen: {value:?} is not an address like 127.0.0.1:3000")
                })?;
            }
            "-h" | "--help" => return Err("help requested".into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(listen)
}

fn print_curl_lines(gateway: SocketAddr) {
    let cases = [
        ("/ok", "200 from the upstream, passed through"),
        ("/refused", "nothing listens: 502 connection_refused"),
        (
            "/reset",
            "the upstream resets the connection: 502 connection_terminated",
        ),
        (
            "/garbage",
            "the upstream answers with bytes that are not HTTP: 502 http_protocol_error",
        ),
        ("/slow", "no answer within 2 s: 504 http_response_timeout"),
        (
            "/partial",
            "200 head, then the body breaks: curl reports a broken transfer",
        ),
        (
            "/huge-header",
            "a head over the client's 8 KiB limit: 502 http_response_header_section_size",
        ),
        (
            "/500",
            "a valid 500 from the upstream, passed through untouched",
        ),
        (
            "/503",
            "a valid 503 with Retry-After: 120, passed through untouched",
        ),
    ];
    println!("tower-gateway-error demo: gateway on http://{gateway}\n");
    for (path, what) in cases {
        println!("# {path}: {what}");
        println!("curl -i -H 'accept: application/json' -H 'x-request-id: demo-1' http://{gateway}{path}");
        println!("curl -i -H 'accept: {BROWSER_ACCEPT}' http://{gateway}{path}\n");
    }
    println!("# HEAD gets the same headers and no body");
    println!("curl -I http://{gateway}/refused\n");
    println!("Ctrl-C stops the demo.");
}

/// A raw TCP server: reads the request line and misbehaves by path.
async fn start_misbehaving_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(misbehave(stream));
        }
    });
    addr
}

/// Serves one connection: every request on it (the gateway's client keeps
/// connections alive) gets the behaviour its path asks for.
async fn misbehave(mut stream: TcpStream) {
    let mut buffer = Vec::new();
    while let Some(path) = read_request_path(&mut stream, &mut buffer).await {
        let reply = match path.as_str() {
            "/ok" => canned("200 OK", "", "hello from the upstream\n"),
            "/reset" => {
                let _ = stream.set_zero_linger();
                return;
            }
            "/garbage" => b"\x00\x01\x02 SSH-2.0-not-http \xff\xfe\r\n\r\n".to_vec(),
            "/slow" => {
                tokio::time::sleep(Duration::from_secs(10)).await;
                canned("200 OK", "", "finally\n")
            }
            "/partial" => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n0123456789")
                    .await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                let _ = stream.set_zero_linger();
                return;
            }
            "/huge-header" => {
                let filler: String = (0..32)
                    .map(|i| format!("x-filler-{i}: {}\r\n", "a".repeat(1000)))
                    .collect();
                canned("200 OK", &filler, "")
            }
            "/500" => canned(
                "500 Internal Server Error",
                "",
                "the upstream's own 500 page\n",
            ),
            "/503" => canned(
                "503 Service Unavailable",
                "retry-after: 120\r\n",
                "the upstream is down for maintenance\n",
            ),
            _ => canned(
                "404 Not Found",
                "",
                "try /ok /refused /reset /garbage /slow /partial /huge-header /500 or /503\n",
            ),
        };
        if stream.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// A valid HTTP/1.1 response with a plain-text body.
fn canned(status: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n{extra_headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads the next request head (GETs and HEADs have no body here) and
/// returns its path; `None` when the gateway closed the connection.
async fn read_request_path(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head: Vec<u8> = buffer.drain(..end).collect();
    let line = head.split(|&b| b == b'\r').next()?;
    let target = std::str::from_utf8(line).ok()?.split(' ').nth(1)?;
    Some(target.split('?').next().unwrap_or(target).to_owned())
}
