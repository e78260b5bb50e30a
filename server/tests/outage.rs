//! When the database goes away for 8 s in the middle of a stream of logins — PostgreSQL behind a TCP proxy the
//! test owns, which drops every connection and refuses new ones; SQLite with its file's write lock
//! held by another connection, as an operator's `sqlite3` or a backup holds it — every request is answered
//! within 5 s, each answer a success or HTTP 503 in the envelope with `Retry-After`, `/healthz` says so, logins
//! succeed again within 2 s of the return, and nothing written before is lost.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::Connection;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

use support::http::{json_of, send};
use support::world::*;

/// How long the database is away.
const OUTAGE: Duration = Duration::from_secs(8);
/// Logins before the outage begins, and after it ends.
const BEFORE: Duration = Duration::from_secs(2);
const AFTER: Duration = Duration::from_secs(4);
/// Logins at once.
const STREAMS: usize = 4;

/// One login of the stream: when it started and ended (from the stream's start), and what it got.
#[derive(Debug)]
struct Answered {
    started: Duration,
    ended: Duration,
    status: u16,
    body: Value,
    retry_after: Option<String>,
}

/// A TCP proxy on 127.0.0.1 in front of `upstream`; while down it drops every connection it carries and stops
/// listening, so a new connection is refused (as from a database host that went away), then listens again on
/// the same port.
struct Proxy {
    addr: SocketAddr,
    down: watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = first.local_addr().unwrap();
        let (down, watching) = watch::channel(false);
        let mut state = watching.clone();
        tokio::spawn(async move {
            let mut listener = Some(first);
            loop {
                let Some(open) = listener.as_ref() else {
                    // Down: nothing listens until the database is back.
                    if state.wait_for(|down| !*down).await.is_err() {
                        return;
                    }
                    listener = Some(listen_again(addr).await);
                    continue;
                };
                tokio::select! {
                    accepted = open.accept() => {
                        let Ok((client, _)) = accepted else { continue };
                        tokio::spawn(carry(client, upstream, watching.clone()));
                    }
                    changed = state.wait_for(|down| *down) => {
                        if changed.is_err() {
                            return;
                        }
                        listener = None;
                    }
                }
            }
        });
        Proxy { addr, down }
    }

    fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }
}

/// Listens on `addr` again (the port a moment ago ours; `SO_REUSEADDR` lets it be taken at once).
async fn listen_again(addr: SocketAddr) -> TcpListener {
    for _ in 0..100 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        if socket.bind(addr).is_ok() {
            if let Ok(listener) = socket.listen(128) {
                return listener;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("could not listen on {addr} again");
}

/// Carries one connection to `upstream` until either end closes or the proxy goes down (both ends dropped).
async fn carry(mut client: TcpStream, upstream: SocketAddr, mut down: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = down.wait_for(|down| *down) => {}
    }
}

/// Runs `STREAMS` streams of first logins for `BEFORE + OUTAGE + AFTER`, calling `outage(true)` after `BEFORE`
/// and `outage(false)` after the outage, and samples `/healthz` in the middle of the outage and after it.
async fn logins_through_an_outage<F, Fut>(
    w: &World,
    outage: F,
) -> (Vec<Answered>, (u16, Value), u16)
where
    F: Fn(bool) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    let end = start + BEFORE + OUTAGE + AFTER;
    let answers = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut streams = Vec::new();
    for stream in 0..STREAMS {
        let server = w.server.clone();
        let wechat = w.wechat.clone();
        let answers = answers.clone();
        streams.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < end {
                n += 1;
                let code = wechat
                    .lock()
                    .unwrap()
                    .code_for(&format!("oStream{stream}x{n}"));
                let body = json!({"app_id": APP, "code": code, "scene": 1001, "channel": ""});
                let started = start.elapsed();
                let (status, headers, bytes) = send(
                    "POST",
                    &format!("{server}/v1/login"),
                    &[("content-type", "application/json".into())],
                    body.to_string().into_bytes(),
                )
                .await;
                answers.lock().unwrap().push(Answered {
                    started,
                    ended: start.elapsed(),
                    status,
                    body: json_of(&bytes),
                    retry_after: headers
                        .get("retry-after")
                        .map(|v| v.to_str().unwrap().to_string()),
                });
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    tokio::time::sleep_until(start + BEFORE).await;
    outage(true).await;
    tokio::time::sleep_until(start + BEFORE + OUTAGE / 2).await;
    let health = format!("{}/healthz", w.server);
    let (status, _, bytes) = send("GET", &health, &[], vec![]).await;
    let during = (status, json_of(&bytes));
    tokio::time::sleep_until(start + BEFORE + OUTAGE).await;
    outage(false).await;
    for stream in streams {
        stream.await.unwrap();
    }
    let (after, _, _) = send("GET", &health, &[], vec![]).await;
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    (answers, during, after)
}

/// What every outage must keep to, on either database.
fn check(answers: &[Answered], during: (u16, Value), after: u16) {
    let back = BEFORE + OUTAGE;
    for a in answers {
        let took = a.ended - a.started;
        assert!(
            took < Duration::from_secs(5),
            "answered within 5 s: {a:?} took {took:?}"
        );
        let success = a.status == 200 && a.body["err"] == 0;
        let unavailable = a.status == 503
            && a.body["err"] == 503
            && a.body["msg"]
                .as_str()
                .is_some_and(|m| m.contains("unavailable") && m.contains("try again"))
            && a.retry_after.is_some();
        assert!(
            success || unavailable,
            "a success or 503 in the envelope with Retry-After: {a:?}"
        );
    }
    let refused = answers.iter().filter(|a| a.status == 503).count();
    let slowest = answers
        .iter()
        .map(|a| a.ended - a.started)
        .max()
        .unwrap_or_default();
    let first_back = answers
        .iter()
        .filter(|a| a.status == 200 && a.ended >= back)
        .map(|a| a.ended - back)
        .min();
    eprintln!(
        "{} logins, {refused} answered 503, the slowest in {slowest:?}; the first success {first_back:?} after \
         the return",
        answers.len()
    );
    assert!(refused > 0, "the outage was met: {answers:#?}");
    assert!(
        answers.iter().any(|a| a.status == 200 && a.ended < BEFORE),
        "logins before the outage"
    );
    let settled = back + Duration::from_secs(2);
    let late: Vec<&Answered> = answers.iter().filter(|a| a.started >= settled).collect();
    assert!(!late.is_empty(), "logins after the return");
    assert!(
        late.iter().all(|a| a.status == 200),
        "every login from 2 s after the return succeeds: {late:#?}"
    );
    assert_eq!(during.0, 503, "/healthz during the outage");
    assert_eq!(during.1["err"], 503, "in the envelope: {}", during.1);
    assert_eq!(after, 200, "/healthz after it");
}

/// The player who logged in twice before the outage logs in a third time after it: nothing was lost.
async fn nothing_lost(w: &World) {
    let (_, third) = w.login("oBefore").await;
    assert_eq!(third["data"]["login_times"], 3, "{third}");
    let (_, _, metrics) = send("GET", &format!("{}/metrics", w.server), &[], vec![]).await;
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(metrics.contains("tmsdk_database_up 1"), "{metrics}");
    let refused = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tmsdk_database_unavailable_total "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(refused > 0, "the outage is counted: {metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_behind_a_proxy_that_drops_every_connection_for_8_s() {
    on_postgres(|url| async move {
        // postgres://user@host:port/db → the same through the proxy.
        let (scheme, rest) = url.split_once("://").unwrap();
        let (credentials, rest) = rest.rsplit_once('@').unwrap_or(("", rest));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let upstream = tokio::net::lookup_host(authority)
            .await
            .unwrap()
            .next()
            .unwrap();
        let proxy = Proxy::start(upstream).await;
        let at = if credentials.is_empty() { "" } else { "@" };
        let proxied = format!("{scheme}://{credentials}{at}{}/{path}", proxy.addr);
        let w = start(&proxied, None).await;
        w.login("oBefore").await;
        w.login("oBefore").await;
        let (answers, during, after) = logins_through_an_outage(&w, |down| {
            proxy.set_down(down);
            async {}
        })
        .await;
        check(&answers, during, after);
        nothing_lost(&w).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_with_its_write_lock_held_for_8_s() {
    on_sqlite("outage", |db| async move {
        let w = start(&db, None).await;
        w.login("oBefore").await;
        w.login("oBefore").await;
        // Another connection to the file takes the write lock and holds it, as an operator's sqlite3 would with
        // BEGIN IMMEDIATE; SQLite locks between connections as between processes.
        let holder = Arc::new(tokio::sync::Mutex::new(None));
        let (answers, during, after) = logins_through_an_outage(&w, |down| {
            let holder = holder.clone();
            let db = db.clone();
            async move {
                let mut holder = holder.lock().await;
                if down {
                    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
                    sqlx::query("BEGIN IMMEDIATE")
                        .execute(&mut conn)
                        .await
                        .unwrap();
                    *holder = Some(conn);
                } else if let Some(mut conn) = holder.take() {
                    sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                }
            }
        })
        .await;
        check(&answers, during, after);
        nothing_lost(&w).await;
    })
    .await;
}
