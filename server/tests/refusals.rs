//! Refusals that arrive: an avatar upload refused before its body is read — no session (401), over the size
//! limit (413), over the rate limit (429), not multipart (400) — lets a client that is still sending its 3 MB
//! body finish sending and read the refusal, every time, instead of a reset connection.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::world::*;

/// The body a phone would still be uploading when the refusal comes.
const BODY_BYTES: usize = 3_000_000;
/// How the body goes out: in chunks, with a pause between them.
const CHUNK: usize = 64 * 1024;
const PAUSE: Duration = Duration::from_millis(2);
/// Tries per refusal.
const ROUNDS: usize = 10;

/// Sends `POST /v1/avatar` with `headers` and a 3 MB body, slowly, then reads the answer, as a client does
/// that reads once its request is sent; returns the answer's status line and how many body bytes went out. A
/// server that closes with the body unread resets the connection: sending fails (EPIPE, or a reset), which
/// Node's `http` and `fetch` and a phone's `wx.uploadFile` report as a network failure, not as the answer.
async fn slow_upload(addr: SocketAddr, headers: &str) -> (String, usize) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {BODY_BYTES}\r\n{headers}\r\n"
    );
    let mut sent = 0;
    if stream.write_all(head.as_bytes()).await.is_ok() {
        let chunk = vec![b'x'; CHUNK];
        while sent < BODY_BYTES {
            let n = CHUNK.min(BODY_BYTES - sent);
            if stream.write_all(&chunk[..n]).await.is_err() {
                break;
            }
            sent += n;
            tokio::time::sleep(PAUSE).await;
        }
    }
    let mut answer = Vec::new();
    // A reset keeps what was read before it: here, nothing.
    let _ = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    (text.lines().next().unwrap_or_default().to_string(), sent)
}

fn multipart_type() -> String {
    "Content-Type: multipart/form-data; boundary=----tmsdk\r\n".to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_refused_before_its_body_is_read_reaches_a_client_still_sending() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("tmsdk-server-refusals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("tmsdk.db").display());
    let w = start(&db, None).await;
    let addr: SocketAddr = w.server.trim_start_matches("http://").parse().unwrap();
    let (_, login) = w.login("oUploader").await;
    let jwt = login["data"]["jwt"].as_str().unwrap().to_string();
    let bearer = format!("Authorization: Bearer {jwt}\r\n");

    let cases = [
        ("no session", multipart_type(), "HTTP/1.1 401"),
        (
            "over the size limit",
            format!("{}{bearer}", multipart_type()),
            "HTTP/1.1 413",
        ),
        (
            "not multipart",
            format!("Content-Type: text/plain\r\n{bearer}"),
            "HTTP/1.1 400",
        ),
    ];
    for (case, headers, expected) in cases {
        for round in 0..ROUNDS {
            let (status, sent) = slow_upload(addr, &headers).await;
            assert!(
                status.starts_with(expected) && sent == BODY_BYTES,
                "{case}, round {round}: the client must send its whole body and then read the refusal; got \
                 {status:?} after {sent} of {BODY_BYTES} bytes"
            );
        }
    }

    // Over the per-IP limit (one request a minute): the second upload is refused before anything is read.
    let limited = start_with(
        &db,
        Some((w.wechat.clone(), w.config.wechat_api.clone())),
        &[("TMSDK_RATE_LIMIT_IP", "1")],
    )
    .await;
    let addr: SocketAddr = limited
        .server
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let (first, _) = slow_upload(addr, &multipart_type()).await;
    assert!(
        first.starts_with("HTTP/1.1 401"),
        "the first request is within the limit: {first:?}"
    );
    for round in 0..ROUNDS {
        let (status, sent) = slow_upload(addr, &multipart_type()).await;
        assert!(
            status.starts_with("HTTP/1.1 429") && sent == BODY_BYTES,
            "over the rate limit, round {round}: got {status:?} after {sent} of {BODY_BYTES} bytes"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
