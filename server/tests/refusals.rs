//! Refusals that arrive: an avatar upload refused before its body is read — no session (401), over the size
//! limit (413), over the rate limit (429), not multipart (400) — lets a client that is still sending its 3 MB
//! body finish sending and read the refusal, every time, instead of a reset connection; and every answer after
//! which the server closes the connection (those refusals, a request timeout's 408, an answer during shutdown)
//! says `Connection: close`, so a client that pools connections does not send its next request on it.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::world::*;
use tmsdk_server::ConnectionLimits;

/// The body a phone would still be uploading when the refusal comes.
const BODY_BYTES: usize = 3_000_000;
/// How the body goes out: in chunks, with a pause between them.
const CHUNK: usize = 64 * 1024;
const PAUSE: Duration = Duration::from_millis(2);
/// Tries per refusal.
const ROUNDS: usize = 10;

/// Sends `POST /v1/avatar` with `headers` and a 3 MB body, slowly, then reads the answer, as a client does
/// that reads once its request is sent; returns the answer's head (status line and headers) and how many body
/// bytes went out. A
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
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    (head.to_string(), sent)
}

/// Whether an answer's head says `Connection: close`.
fn says_close(head: &str) -> bool {
    head.lines()
        .any(|l| l.eq_ignore_ascii_case("connection: close"))
}

/// Reads one answer from `stream`: its head and its body (by its `Content-Length`).
async fn read_answer(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert!(n > 0, "the connection closed before an answer: {bytes:?}");
        bytes.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|v| v.parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = bytes[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed inside the body");
        body.extend_from_slice(&buf[..n]);
    }
    (head, body)
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
            let (head, sent) = slow_upload(addr, &headers).await;
            assert!(
                head.starts_with(expected) && sent == BODY_BYTES,
                "{case}, round {round}: the client must send its whole body and then read the refusal; got \
                 {head:?} after {sent} of {BODY_BYTES} bytes"
            );
            assert!(
                says_close(&head),
                "{case}, round {round}: the server closes after this answer, so it must say so: {head:?}"
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
        let (head, sent) = slow_upload(addr, &multipart_type()).await;
        assert!(
            head.starts_with("HTTP/1.1 429") && sent == BODY_BYTES,
            "over the rate limit, round {round}: got {head:?} after {sent} of {BODY_BYTES} bytes"
        );
        assert!(
            says_close(&head),
            "a 429 before the body says close: {head:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A request timeout's 408 comes in the envelope and says `Connection: close`; an answer during shutdown says
/// it too; an answer after which the connection stays open does not (two requests on one connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_that_end_the_connection_say_so_and_others_keep_it() {
    let app = axum::Router::new().route(
        "/echo",
        axum::routing::post(|body: axum::body::Bytes| async move { body }),
    );
    let limits = ConnectionLimits {
        request_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tmsdk_server::serve(listener, app, limits, async {
        let _ = stopped.await;
    }));
    let echo = |body: &str| {
        format!(
            "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };

    // Kept alive: two requests, one connection, no `Connection: close`.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    for body in ["first", "second"] {
        kept.write_all(echo(body).as_bytes()).await.unwrap();
        let (head, answer) = read_answer(&mut kept).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head:?}");
        assert_eq!(answer, body.as_bytes());
        assert!(!says_close(&head), "a kept connection: {head:?}");
    }

    // A body that never finishes: the request timeout answers 408, in the envelope, and closes.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nhalf")
        .await
        .unwrap();
    let (head, body) = read_answer(&mut slow).await;
    assert!(head.starts_with("HTTP/1.1 408"), "{head:?}");
    assert!(says_close(&head), "a 408 closes: {head:?}");
    let envelope: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(envelope["err"], 408, "{envelope}");
    assert!(
        envelope["msg"].as_str().unwrap().contains("try again"),
        "{envelope}"
    );

    // Shutdown begins while a request's body is on its way: its answer is the connection's last, and says so.
    let mut late = TcpStream::connect(addr).await.unwrap();
    late.write_all(b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 8\r\n\r\nlate")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    late.write_all(b"body").await.unwrap();
    let (head, body) = read_answer(&mut late).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head:?}");
    assert_eq!(body, b"latebody");
    assert!(says_close(&head), "an answer during shutdown: {head:?}");
    tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("the server stops once its requests are answered")
        .unwrap();
}

/// Every refusal a layer or an extractor answers by itself, before or instead of a handler, comes in the
/// envelope `{ err, msg }` with its HTTP status: no route, a method the route does not take, a JSON body over the
/// limit, without a JSON content type, malformed or of the wrong shape, no or a forged session, and the per-IP
/// limit. (The request timeout's 408 is above; `/healthz`'s 503 in tests/outage.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_the_layers_answer_comes_in_the_envelope() {
    use serde_json::json;
    use support::http::{json_of, send};
    on_sqlite("envelopes", |db| async move {
        let w = start(&db, None).await;
        let url = |path: &str| format!("{}{path}", w.server);
        let json = || vec![("content-type", "application/json".to_string())];
        /// A request the layers refuse, and the status and `err` it gets (a JSON body's rejection is `err`
        /// 400 with the rejection's own status).
        struct Case {
            what: &'static str,
            method: &'static str,
            path: &'static str,
            headers: Vec<(&'static str, String)>,
            body: &'static [u8],
            status: u16,
            err: u16,
        }
        let big = vec![b'x'; 70 * 1024].leak();
        let case = |what, method, path, headers, body, status, err| Case {
            what,
            method,
            path,
            headers,
            body,
            status,
            err,
        };
        let forged = vec![
            ("content-type", "application/json".to_string()),
            ("authorization", "Bearer not.a.token".to_string()),
        ];
        let text = vec![("content-type", "text/plain".to_string())];
        let cases = [
            case("no route", "GET", "/v2/nothing", vec![], b"", 404, 404),
            case(
                "a method the route does not take",
                "GET",
                "/v1/login",
                vec![],
                b"",
                405,
                405,
            ),
            case(
                "a JSON body over 64 KiB",
                "POST",
                "/v1/login",
                json(),
                big,
                413,
                400,
            ),
            case(
                "no JSON content type",
                "POST",
                "/v1/login",
                text,
                b"{}",
                415,
                400,
            ),
            case(
                "malformed JSON",
                "POST",
                "/v1/login",
                json(),
                b"{",
                400,
                400,
            ),
            case(
                "JSON of the wrong shape",
                "POST",
                "/v1/login",
                json(),
                br#"{"app_id": 5}"#,
                422,
                400,
            ),
            case("no session", "POST", "/v1/profile", json(), b"{}", 401, 401),
            case(
                "a forged session",
                "POST",
                "/v1/events",
                forged,
                b"{}",
                401,
                401,
            ),
        ];
        for c in cases {
            let (got, _, bytes) = send(c.method, &url(c.path), &c.headers, c.body.to_vec()).await;
            let envelope = json_of(&bytes);
            assert_eq!(got, c.status, "{}: {envelope}", c.what);
            assert_eq!(
                envelope["err"], c.err,
                "{}: the envelope's err: {envelope}",
                c.what
            );
            assert!(
                envelope["msg"].as_str().is_some_and(|m| m.len() > 10),
                "{}: a message: {envelope}",
                c.what
            );
        }
        // The per-IP limit (one request a minute): the API refuses with 429 in the envelope.
        let limited = start_with(&db, None, &[("TMSDK_RATE_LIMIT_IP", "1")]).await;
        let login = format!("{}/v1/login", limited.server);
        send("POST", &login, &json(), b"{".to_vec()).await;
        let (got, headers, bytes) = send("POST", &login, &json(), b"{".to_vec()).await;
        let envelope = json_of(&bytes);
        assert_eq!((got, &envelope["err"]), (429, &json!(429)), "{envelope}");
        assert!(headers.contains_key("retry-after"));
    })
    .await;
}
