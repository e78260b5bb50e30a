//! The protocol end to end: the server on 127.0.0.1 against a simulated WeChat (the real `jscode2session`
//! shape), on SQLite and — when one is reachable — PostgreSQL: login, signature, decryption, watermark, code
//! reuse, WeChat's errors, expired and forged tokens, the body limit, concurrent logins, restart persistence.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tmsdk_server::Config;
use tmsdk_server::ConnectionLimits;

use support::world::*;

/// The tests of this file one at a time: the slow-clients test times a login behind 2,000 connections, which
/// another test's load on this 2-core machine would distort.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl World {
    /// What WeChat's getUserProfile gives this user, signed and encrypted with their session key.
    fn user_info(&self, open_id: &str, nick: &str, watermark_app: &str) -> Value {
        self.user_info_at(open_id, nick, watermark_app, 1_700_000_000)
    }

    /// As [`World::user_info`], the watermark stamped `timestamp`.
    fn user_info_at(
        &self,
        open_id: &str,
        nick: &str,
        watermark_app: &str,
        timestamp: u64,
    ) -> Value {
        let key = self.wechat.lock().unwrap().keys[open_id].clone();
        let info = json!({"nickName": nick, "gender": 1, "language": "zh_CN", "city": "", "province": "", "country": "", "avatarUrl": "https://thirdwx.qlogo.cn/x/132"});
        let mut plain = info.clone();
        plain["watermark"] = json!({"appid": watermark_app, "timestamp": timestamp});
        sealed_user_info(APP, &key, &info, &plain, *b"0123456789abcdef")
    }

    async fn profile(&self, body: &Value, jwt: &str) -> (u16, Value) {
        post(
            &format!("{}/v1/profile", self.server),
            body.to_string(),
            Some(jwt),
        )
        .await
    }
}

/// Two servers started at the same moment on an empty database: both migrate (one after the other, under the
/// migration lock), both come up, both serve.
async fn two_servers_start_together(db: &str) {
    let (a, b) = tokio::join!(start(db, None), start(db, None));
    assert_eq!(a.login("oTwinA").await.1["err"], 0);
    assert_eq!(b.login("oTwinB").await.1["err"], 0);
}

async fn the_protocol(db: &str) {
    let w = start(db, None).await;
    // Login: a new user, then the same one again.
    let (status, first) = w.login("oUser1").await;
    assert_eq!((status, first["err"].as_i64()), (200, Some(0)), "{first}");
    let data = &first["data"];
    assert_eq!(
        (
            data["open_id"].as_str(),
            data["login_times"].as_u64(),
            data["is_new"].as_bool()
        ),
        (Some("oUser1"), Some(1), Some(true))
    );
    assert_eq!(data["from_scene"], "1044");
    let jwt = data["jwt"].as_str().unwrap().to_string();
    assert!(!jwt.is_empty());
    let (_, second) = w.login("oUser1").await;
    assert_eq!(
        (
            second["data"]["login_times"].as_u64(),
            second["data"]["is_new"].as_bool()
        ),
        (Some(2), Some(false))
    );
    let jwt = second["data"]["jwt"].as_str().unwrap().to_string();

    // Profile: verified, decrypted, stored.
    let (status, p) = w.profile(&w.user_info("oUser1", "小明", APP), &jwt).await;
    assert_eq!((status, p["err"].as_i64()), (200, Some(0)), "{p}");
    assert_eq!(
        (
            p["data"]["nick_name"].as_str(),
            p["data"]["gender"].as_u64(),
            p["data"]["jwt"].as_str()
        ),
        (Some("小明"), Some(1), Some(""))
    );

    // Nobody locked out: signed info a rule refuses is refused naming the field and not stored; what a rule
    // normalises is stored normalised; a stored value a rule refuses is answered as its empty value.
    let (status, long) = w
        .profile(&w.user_info("oUser1", &"字".repeat(65), APP), &jwt)
        .await;
    assert_eq!((status, long["err"].as_i64()), (200, Some(41006)), "{long}");
    assert!(
        long["msg"].as_str().unwrap().contains("nick_name"),
        "{long}"
    );
    assert_eq!(
        w.login("oUser1").await.1["data"]["nick_name"],
        "小明",
        "not stored"
    );
    let (_, cleaned) = w
        .profile(&w.user_info("oUser1", "小\u{7}明", APP), &jwt)
        .await;
    assert_eq!(cleaned["data"]["nick_name"], "小明", "{cleaned}");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db).await.unwrap();
    sqlx::query(
        "UPDATE tmsdk_users SET avatar_url = 'javascript:alert(1)' WHERE open_id = 'oUser1'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let (status, odd) = w.login("oUser1").await;
    assert_eq!((status, odd["err"].as_i64()), (200, Some(0)), "{odd}");
    assert_eq!(
        (
            odd["data"]["avatar_url"].as_str(),
            odd["data"]["nick_name"].as_str()
        ),
        (Some(""), Some("小明")),
        "the odd value answered empty, the rest as stored"
    );
    let jwt = odd["data"]["jwt"].as_str().unwrap().to_string();

    // Tampering, another key, another app.
    let mut tampered = w.user_info("oUser1", "小明", APP);
    tampered["raw_data"] = json!(tampered["raw_data"]
        .as_str()
        .unwrap()
        .replace("小明", "篡改"));
    assert_eq!(w.profile(&tampered, &jwt).await.1["err"], 41003);
    let mut bad_iv = w.user_info("oUser1", "小明", APP);
    bad_iv["iv"] = json!(STANDARD.encode(b"another-iv-16byt"));
    assert_eq!(w.profile(&bad_iv, &jwt).await.1["err"], 41004);
    assert_eq!(
        w.profile(&w.user_info("oUser1", "小明", "wxother"), &jwt)
            .await
            .1["err"],
        41005
    );

    // Tokens: forged, expired, absent.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    // Without raw_data (SkyRiver's updateUserInfo sends encryptedData, iv and signature only): the decryption
    // and the watermark — this app, stamped no earlier than the session — are the proof.
    let unsigned = |nick: &str, app: &str, timestamp: u64| {
        let mut body = w.user_info_at("oUser1", nick, app, timestamp);
        let body_map = body.as_object_mut().unwrap();
        body_map.remove("raw_data");
        body_map.remove("user_info");
        body
    };
    let (status, accepted) = w.profile(&unsigned("小红", APP, now), &jwt).await;
    assert_eq!((status, &accepted["err"]), (200, &json!(0)), "{accepted}");
    assert_eq!(accepted["data"]["nick_name"], "小红");
    let mut garbled = unsigned("小黑", APP, now);
    let encrypted = garbled["encrypted_data"].as_str().unwrap().to_string();
    let mut bytes = STANDARD.decode(&encrypted).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55; // the padding no longer checks out
    garbled["encrypted_data"] = json!(STANDARD.encode(bytes));
    assert_eq!(
        w.profile(&garbled, &jwt).await.1["err"],
        41004,
        "tampered encrypted_data"
    );
    let foreign = w.profile(&unsigned("小黑", "wxother", now), &jwt).await.1;
    assert_eq!(foreign["err"], 41005, "another app's watermark: {foreign}");
    let replayed = w.profile(&unsigned("小黑", APP, now - 3600), &jwt).await.1;
    assert_eq!(
        replayed["err"], 41005,
        "a watermark older than the session: {replayed}"
    );
    assert!(
        replayed["msg"]
            .as_str()
            .unwrap()
            .contains("older than this session"),
        "{replayed}"
    );
    // Events with none in them answer the stored profile, as it is.
    let (_, kept) = w.events(&jwt, json!([])).await;
    assert_eq!(
        kept["data"]["nick_name"], "小红",
        "the refused ones changed nothing: {kept}"
    );
    let (_, restored) = w.profile(&w.user_info("oUser1", "小明", APP), &jwt).await;
    assert_eq!(restored["data"]["nick_name"], "小明");
    let forged = tmsdk_server::issue_token(
        "not-the-server-secret-at-all",
        &tmsdk_server::Claims::new(APP, "oUser1", "", now, 3600),
    );
    assert_eq!(
        w.profile(&w.user_info("oUser1", "x", APP), &forged).await.0,
        401
    );
    let expired = tmsdk_server::issue_token(
        &w.config.token_secret,
        &tmsdk_server::Claims::new(APP, "oUser1", "", now - 7200, 3600),
    );
    assert_eq!(
        w.profile(&w.user_info("oUser1", "x", APP), &expired)
            .await
            .0,
        401
    );
    let (status, _) = post(&format!("{}/v1/profile", w.server), "{}".into(), None).await;
    assert_eq!(status, 401);

    // Codes are good once; WeChat's refusals and busy answers.
    let code = w.wechat.lock().unwrap().code_for("oUser2");
    assert_eq!(w.login_code(&code).await.1["err"], 0);
    assert_eq!(w.login_code(&code).await.1["err"], 40029, "a used code");
    assert_eq!(w.login_code("risky").await.1["err"], 40226);
    assert_eq!(
        w.login_code("busy-once").await.1["err"],
        0,
        "busy once: retried"
    );
    let (_, busy) = w.login_code("busy-always").await;
    assert_eq!(busy["err"], 45011);
    assert!(busy["msg"].as_str().unwrap().contains("try again later"));
    let (_, unknown) = post(
        &format!("{}/v1/login", w.server),
        json!({"app_id": "wxnope", "code": "c"}).to_string(),
        None,
    )
    .await;
    assert_eq!(unknown["err"], 40013);

    // The body limit.
    let (status, _) = post(
        &format!("{}/v1/login", w.server),
        "x".repeat(70 * 1024),
        None,
    )
    .await;
    assert_eq!(status, 413);

    // Concurrent logins of one user are all counted.
    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let code = w.wechat.lock().unwrap().code_for("oBusy");
        let url = format!("{}/v1/login", w.server);
        let body = json!({"app_id": APP, "code": code, "scene": 1001, "channel": ""}).to_string();
        logins.spawn(async move { post(&url, body, None).await });
    }
    while let Some(done) = logins.join_next().await {
        let (status, answer) = done.unwrap();
        assert_eq!((status, answer["err"].as_i64()), (200, Some(0)), "{answer}");
    }
    let (_, after) = w.login("oBusy").await;
    assert_eq!(
        after["data"]["login_times"].as_u64(),
        Some(51),
        "every concurrent login counted"
    );

    // A restart keeps everything: a new server on the same database.
    let again = start(db, Some((w.wechat.clone(), w.config.wechat_api.clone()))).await;
    let (_, third) = again.login("oUser1").await;
    assert_eq!(
        (
            third["data"]["login_times"].as_u64(),
            third["data"]["nick_name"].as_str()
        ),
        (Some(5), Some("小明"))
    );
    // A rotated secret: tokens signed with the previous one verify while it is listed, and not after.
    let old_secret = w.config.token_secret.clone();
    let old_jwt = third["data"]["jwt"].as_str().unwrap().to_string();
    let rotated = start_with(
        db,
        Some((w.wechat.clone(), w.config.wechat_api.clone())),
        &[
            ("TMSDK_TOKEN_SECRET", "the-next-token-secret-of-some-length"),
            ("TMSDK_TOKEN_SECRET_PREVIOUS", &old_secret),
        ],
    )
    .await;
    let (status, kept) = rotated
        .profile(&rotated.user_info("oUser1", "小明", APP), &old_jwt)
        .await;
    assert_eq!((status, kept["err"].as_i64()), (200, Some(0)), "{kept}");
    let rotated_out = start_with(
        db,
        Some((w.wechat.clone(), w.config.wechat_api.clone())),
        &[("TMSDK_TOKEN_SECRET", "the-next-token-secret-of-some-length")],
    )
    .await;
    let (status, _) = rotated_out
        .profile(&rotated_out.user_info("oUser1", "小明", APP), &old_jwt)
        .await;
    assert_eq!(status, 401, "the previous secret no longer listed");

    assert_eq!(fetch(&format!("{}/healthz", again.server)).await.0, 200);

    // Operations: Prometheus metrics, the request id, and a body that is not JSON answered in the envelope.
    let (status, text, _) = fetch(&format!("{}/metrics", w.server)).await;
    assert_eq!(status, 200);
    for line in [
        r#"tmsdk_requests_total{route="/v1/login",status="200"}"#,
        r#"tmsdk_requests_total{route="/v1/profile",status="401"}"#,
        r#"tmsdk_login_calls_total{outcome="ok",platform="wechat"}"#,
        r#"tmsdk_login_calls_total{outcome="refused",platform="wechat"}"#,
        r#"tmsdk_request_duration_seconds_bucket{route="/v1/login",le="0.1"}"#,
        "tmsdk_database_errors_total 0",
    ] {
        assert!(text.contains(line), "/metrics has {line}:\n{text}");
    }
    let (_, _, headers) = fetch(&format!("{}/healthz", w.server)).await;
    assert!(
        headers.get("x-request-id").is_some(),
        "a request id is given"
    );
    let (status, refused) = post(&format!("{}/v1/login", w.server), "{not json".into(), None).await;
    assert_eq!(
        (status, refused["err"].as_i64()),
        (400, Some(400)),
        "{refused}"
    );
}

/// `GET url`: status, body text, headers.
async fn fetch(url: &str) -> (u16, String, hyper::HeaderMap) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned(), headers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protocol_on_sqlite() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_sqlite("test", |db| async move {
        two_servers_start_together(&db).await;
        the_protocol(&db).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protocol_on_postgres() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_postgres(|url| async move {
        two_servers_start_together(&url).await;
        the_protocol(&url).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_per_ip_and_per_user() {
    let _one = ONE_AT_A_TIME.lock().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (dir, db) = sqlite_in_temp_dir("limits");
    // Per IP: 3 a minute (a burst of 1); the 127.0.0.1 proxy is trusted, so X-Forwarded-For names the client.
    let w = start_with(
        &db,
        None,
        &[
            ("TMSDK_RATE_LIMIT_IP", "3"),
            ("TMSDK_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let login = |ip: &'static str| {
        let code = w.wechat.lock().unwrap().code_for("oLimited");
        let url = format!("{}/v1/login", w.server);
        async move {
            let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
            let request = hyper::Request::post(url)
                .header("content-type", "application/json")
                .header("x-forwarded-for", ip)
                .body(Full::new(Bytes::from(
                    json!({"app_id": APP, "code": code}).to_string(),
                )))
                .unwrap();
            let response = client.request(request).await.unwrap();
            let status = response.status().as_u16();
            let body: Value =
                serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes())
                    .unwrap();
            (status, body)
        }
    };
    assert_eq!(login("198.51.100.1").await.0, 200);
    let (status, refused) = login("198.51.100.1").await;
    assert_eq!(
        (status, refused["err"].as_i64()),
        (429, Some(429)),
        "{refused}"
    );
    assert!(refused["msg"].as_str().unwrap().contains("try again"));
    assert_eq!(
        login("198.51.100.2").await.0,
        200,
        "another client has its own limit"
    );
    // Per user: 3 a minute (a burst of 1), whatever the address.
    let w = start_with(
        &db,
        Some((w.wechat.clone(), w.config.wechat_api.clone())),
        &[("TMSDK_RATE_LIMIT_OPENID", "3")],
    )
    .await;
    assert_eq!(w.login("oUserLimited").await.1["err"], 0);
    assert_eq!(w.login("oUserLimited").await.1["err"], 429);
    assert_eq!(w.login("oSomeoneElse").await.1["err"], 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_province_and_city_come_from_ip2region() {
    let _one = ONE_AT_A_TIME.lock().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (dir, db) = sqlite_in_temp_dir("region");
    let xdb = dir.join("ip2region.xdb");
    std::fs::write(
        &xdb,
        support::xdb::build_xdb(&[(0x7F00_0000, 0x7F00_00FF, "中国|0|广东省|广州市|电信")]),
    )
    .unwrap();
    let w = start_with(&db, None, &[("TMSDK_IP2REGION", xdb.to_str().unwrap())]).await;
    let (_, answer) = w.login("oRegion").await;
    let data = &answer["data"];
    assert_eq!(
        (
            data["login_province"].as_str(),
            data["login_city"].as_str(),
            data["login_district"].as_str()
        ),
        (Some("广东省"), Some("广州市"), Some(""))
    );
    // Without the file the fields stay empty; a path that is no xdb file stops the start, naming the setting.
    let plain = start_with(
        &db,
        Some((w.wechat.clone(), w.config.wechat_api.clone())),
        &[],
    )
    .await;
    assert_eq!(plain.login("oRegion").await.1["data"]["login_province"], "");
    let vars: HashMap<&str, String> = HashMap::from([
        ("TMSDK_APPS", format!("{APP}={SECRET}")),
        (
            "TMSDK_TOKEN_SECRET",
            "a-test-token-secret-of-some-length".to_string(),
        ),
        ("TMSDK_DB", db.clone()),
        (
            "TMSDK_IP2REGION",
            dir.join("tmsdk.db").display().to_string(),
        ),
    ]);
    let config = Config::from_vars(|k| vars.get(k).cloned()).unwrap();
    let Err(e) = tmsdk_server::build(config).await else {
        panic!("a file that is no xdb must stop the start")
    };
    assert!(e.starts_with("TMSDK_IP2REGION"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_delay_no_login_and_are_closed_at_the_header_timeout() {
    let _one = ONE_AT_A_TIME.lock().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    tmsdk_server::raise_open_file_limit().unwrap();
    let (dir, db) = sqlite_in_temp_dir("slow");
    slow_clients(&db).await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(url) = empty_postgres().await {
        slow_clients(&url).await;
    }
}

/// 2,000 connections that send half a header and stop, and one kept-alive connection gone idle, on `db`.
async fn slow_clients(db: &str) {
    let header_timeout = Duration::from_secs(3);
    let w = start_limited(
        db,
        None,
        &[],
        ConnectionLimits {
            header_timeout,
            ..ConnectionLimits::default()
        },
    )
    .await;
    let addr: SocketAddr = w.server.trim_start_matches("http://").parse().unwrap();
    assert_eq!(w.login("oWarmUp").await.1["err"], 0);
    // A kept-alive connection that asks once, then sends nothing more.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let n = idle.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "kept alive after one answer"
    );

    // 2,000 clients that each send half a request header, then nothing.
    let mut slow = Vec::new();
    for _ in 0..2000 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
            .await
            .unwrap();
        slow.push(stream);
    }
    let all_open = Instant::now();
    let (status, answer) = w.login("oPatient").await;
    let waited = all_open.elapsed();
    assert_eq!((status, answer["err"].as_i64()), (200, Some(0)), "{answer}");
    // A server that waited for them would answer only once their header timeout had passed; the margin up
    // to it is for a loaded machine, not a speed target.
    assert!(
        waited < header_timeout,
        "a login behind 2,000 slow clients took {waited:?}, as long as their header timeout"
    );

    // Each slow client is closed once its header timeout passes (EOF or a reset, after any answer); never
    // before it, and all of them within a generous while after it.
    tokio::time::sleep(header_timeout.saturating_sub(all_open.elapsed()) / 2).await;
    let mut buf = [0u8; 512];
    let last = slow.last_mut().unwrap(); // opened just before `all_open`
    let early = tokio::time::timeout(Duration::from_millis(10), last.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a slow client closed before its header timeout"
    );
    let deadline = all_open + header_timeout + Duration::from_secs(20);
    let mut open = 0;
    for stream in slow.iter_mut().chain([&mut idle]) {
        let closed = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break true,
                Ok(Ok(_)) => continue,
                Err(_) => break false,
            }
        };
        if !closed {
            open += 1;
        }
    }
    assert_eq!(
        open, 0,
        "slow clients still open well after the header timeout"
    );
}
