//! The server under test and its simulated WeChat (the real API's shapes), each started on 127.0.0.1.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::routing::{get, post as post_route};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tmsdk_server::Config;
use tmsdk_server::ConnectionLimits;

pub const APP: &str = "wxserverapp0000001";
pub const SECRET: &str = "app-secret";

/// WeChat's side: one-time codes, one session key per user; the app's access tokens and its content checks.
#[derive(Default)]
pub struct FakeWechat {
    /// Codes handed out and not yet used: code → openid.
    pub codes: HashMap<String, String>,
    /// Codes handed out so far: numbers each code (used codes leave `codes`, so its length cannot).
    pub codes_issued: u32,
    pub keys: HashMap<String, String>,
    pub calls: HashMap<String, u32>,
    /// Access tokens handed out by `stable_token`; the last one is the valid one.
    pub tokens_issued: u32,
    /// The next content check answers 42001 (token expired), once.
    pub expire_token_once: bool,
    /// `msg_sec_check` calls: (openid, content).
    pub text_checks: Vec<(String, String)>,
    /// `media_check_async` calls: (trace_id, media_url, openid).
    pub image_checks: Vec<(String, String, String)>,
}

/// A nickname the fake check finds risky, and one it sends for review.
pub const RISKY_WORD: &str = "坏蛋";
pub const REVIEW_WORD: &str = "可疑";

/// `POST /cgi-bin/stable_token`: a new token each time (WeChat's stable token is stable; counting them is
/// how the tests see the server's cache).
pub async fn stable_token(State(wx): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let mut wx = wx.lock().unwrap();
    if body["appid"] != APP || body["secret"] != SECRET || body["grant_type"] != "client_credential"
    {
        return Json(json!({"errcode": 40013, "errmsg": "invalid appid"}));
    }
    wx.tokens_issued += 1;
    Json(json!({"access_token": format!("token-{}", wx.tokens_issued), "expires_in": 7200}))
}

/// Checks `access_token` as WeChat does: the last one issued, unless the test expires it once.
fn token_refusal(wx: &mut FakeWechat, query: &HashMap<String, String>) -> Option<Json<Value>> {
    let valid = format!("token-{}", wx.tokens_issued);
    if query.get("access_token") != Some(&valid) {
        return Some(Json(
            json!({"errcode": 40001, "errmsg": "invalid credential"}),
        ));
    }
    if std::mem::take(&mut wx.expire_token_once) {
        return Some(Json(
            json!({"errcode": 42001, "errmsg": "access_token expired"}),
        ));
    }
    None
}

/// `POST /wxa/msg_sec_check` (version 2).
pub async fn msg_sec_check(
    State(wx): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut wx = wx.lock().unwrap();
    if let Some(refusal) = token_refusal(&mut wx, &q) {
        return refusal;
    }
    assert_eq!(
        (body["version"].as_i64(), body["scene"].as_i64()),
        (Some(2), Some(1)),
        "{body}"
    );
    let content = body["content"].as_str().unwrap_or_default().to_string();
    wx.text_checks.push((
        body["openid"].as_str().unwrap_or_default().to_string(),
        content.clone(),
    ));
    let (suggest, label) = if content.contains(RISKY_WORD) {
        ("risky", 20001)
    } else if content.contains(REVIEW_WORD) {
        ("review", 21000)
    } else {
        ("pass", 100)
    };
    Json(
        json!({"errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label}, "detail": []}),
    )
}

/// `POST /wxa/media_check_async` (version 2): remembers the request under a new trace_id.
pub async fn media_check_async(
    State(wx): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut wx = wx.lock().unwrap();
    if let Some(refusal) = token_refusal(&mut wx, &q) {
        return refusal;
    }
    assert_eq!(
        (body["media_type"].as_i64(), body["version"].as_i64()),
        (Some(2), Some(2)),
        "{body}"
    );
    let trace_id = format!("trace-{}", wx.image_checks.len() + 1);
    let media_url = body["media_url"].as_str().unwrap_or_default().to_string();
    let open_id = body["openid"].as_str().unwrap_or_default().to_string();
    wx.image_checks.push((trace_id.clone(), media_url, open_id));
    Json(json!({"errcode": 0, "errmsg": "ok", "trace_id": trace_id}))
}

pub type Shared = Arc<Mutex<FakeWechat>>;

impl FakeWechat {
    pub fn code_for(&mut self, open_id: &str) -> String {
        self.codes_issued += 1;
        let code = format!("code-{}-{}", open_id, self.codes_issued);
        let pending = self.codes.insert(code.clone(), open_id.to_string());
        assert!(pending.is_none(), "the fake WeChat issued {code} twice");
        self.keys
            .entry(open_id.to_string())
            .or_insert_with(|| STANDARD.encode(&format!("key-{open_id:0>12}").as_bytes()[..16]));
        code
    }
}

pub async fn jscode2session(
    State(wx): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let mut wx = wx.lock().unwrap();
    if q.get("appid").map(String::as_str) != Some(APP)
        || q.get("secret").map(String::as_str) != Some(SECRET)
    {
        return Json(json!({"errcode": 40013, "errmsg": "invalid appid"}));
    }
    let code = q.get("js_code").cloned().unwrap_or_default();
    let calls = {
        let c = wx.calls.entry(code.clone()).or_default();
        *c += 1;
        *c
    };
    match code.as_str() {
        "risky" => return Json(json!({"errcode": 40226, "errmsg": "high risk user"})),
        "busy-always" => {
            return Json(json!({"errcode": 45011, "errmsg": "api minute-quota reach limit"}))
        }
        "busy-once" if calls == 1 => return Json(json!({"errcode": -1, "errmsg": "system error"})),
        "busy-once" => {
            let key = STANDARD.encode(b"busy-once-key-16");
            return Json(json!({"openid": "oBusyOnce", "session_key": key}));
        }
        _ => {}
    }
    match wx.codes.remove(&code) {
        Some(open_id) => {
            let key = wx.keys[&open_id].clone();
            Json(json!({"openid": open_id, "session_key": key, "unionid": "uUnion"}))
        }
        None => Json(json!({"errcode": 40029, "errmsg": "invalid code"})),
    }
}

pub async fn serve(router: Router) -> SocketAddr {
    serve_with(router, ConnectionLimits::default()).await
}

/// Serves `router` on 127.0.0.1 as tmsdk-server's binary does (`tmsdk_server::serve`), until the test ends.
pub async fn serve_with(router: Router, limits: ConnectionLimits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tmsdk_server::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    addr
}

pub struct World {
    pub wechat: Shared,
    pub server: String,
    pub config: Config,
}

pub async fn start(db: &str, wechat: Option<(Shared, String)>) -> World {
    start_with(db, wechat, &[]).await
}

pub async fn start_with(
    db: &str,
    wechat: Option<(Shared, String)>,
    more: &[(&'static str, &str)],
) -> World {
    start_limited(db, wechat, more, ConnectionLimits::default()).await
}

pub async fn start_limited(
    db: &str,
    wechat: Option<(Shared, String)>,
    more: &[(&'static str, &str)],
    limits: ConnectionLimits,
) -> World {
    let (wechat, wechat_url) = match wechat {
        Some(w) => w,
        None => {
            let shared: Shared = Arc::default();
            let addr = serve(
                Router::new()
                    .route("/sns/jscode2session", get(jscode2session))
                    .route("/cgi-bin/stable_token", post_route(stable_token))
                    .route("/wxa/msg_sec_check", post_route(msg_sec_check))
                    .route("/wxa/media_check_async", post_route(media_check_async))
                    .with_state(shared.clone()),
            )
            .await;
            (shared, format!("http://{addr}"))
        }
    };
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("TMSDK_APPS", format!("{APP}={SECRET}")),
        (
            "TMSDK_TOKEN_SECRET",
            "a-test-token-secret-of-some-length".to_string(),
        ),
        ("TMSDK_WECHAT_API", wechat_url.clone()),
        ("TMSDK_DB", db.to_string()),
        ("TMSDK_RATE_LIMIT_IP", "100000".to_string()),
        ("TMSDK_RATE_LIMIT_OPENID", "100000".to_string()),
    ]);
    for (k, v) in more {
        vars.insert(k, v.to_string());
    }
    let config = Config::from_vars(|k| vars.get(k).cloned()).unwrap();
    let app = tmsdk_server::build(config.clone()).await.unwrap();
    let addr = serve_with(app, limits).await;
    World {
        wechat,
        server: format!("http://{addr}"),
        config,
    }
}

pub async fn post(url: &str, body: String, bearer: Option<&str>) -> (u16, Value) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = hyper::Request::post(url).header("content-type", "application/json");
    if let Some(jwt) = bearer {
        request = request.header("authorization", format!("Bearer {jwt}"));
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

impl World {
    /// A login's session token.
    pub async fn jwt(&self, open_id: &str) -> String {
        self.login(open_id).await.1["data"]["jwt"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A first or later login of `open_id` launched from a share carrying `sharer` ("" for none).
    pub async fn login_shared(&self, open_id: &str, sharer: &str) -> Value {
        let code = self.wechat.lock().unwrap().code_for(open_id);
        let body =
            json!({"app_id": APP, "code": code, "scene": 1007, "channel": "", "sharer": sharer});
        post(&format!("{}/v1/login", self.server), body.to_string(), None)
            .await
            .1
    }

    /// `POST /v1/events` with `events`.
    pub async fn events(&self, jwt: &str, events: Value) -> (u16, Value) {
        let body = json!({"app_id": APP, "events": events});
        post(
            &format!("{}/v1/events", self.server),
            body.to_string(),
            Some(jwt),
        )
        .await
    }

    pub async fn login(&self, open_id: &str) -> (u16, Value) {
        let code = self.wechat.lock().unwrap().code_for(open_id);
        self.login_code(&code).await
    }

    pub async fn login_code(&self, code: &str) -> (u16, Value) {
        let body = json!({"app_id": APP, "code": code, "scene": 1044, "channel": "ch"}).to_string();
        post(&format!("{}/v1/login", self.server), body, None).await
    }
}

/// The PostgreSQL database of the tests (`TMSDK_TEST_POSTGRES`, default the local `test` database), emptied of
/// tmsdk-server's tables. When none answers: with `CI` set or `TMSDK_TEST_POSTGRES` naming a database the test
/// fails; otherwise `None`, said on the terminal ("skipped: PostgreSQL"), and the PostgreSQL half is skipped.
pub async fn empty_postgres() -> Option<String> {
    let named = std::env::var("TMSDK_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty());
    let required = named.is_some() || std::env::var("CI").is_ok_and(|ci| !ci.is_empty());
    let url = named.unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    sqlx::any::install_default_drivers();
    let pool = match sqlx::AnyPool::connect(&url).await {
        Ok(pool) => pool,
        Err(e) if required => panic!(
            "PostgreSQL does not answer at {url} ({e}), and this run requires it (CI or TMSDK_TEST_POSTGRES is \
             set): start PostgreSQL there, or point TMSDK_TEST_POSTGRES at one that runs"
        ),
        Err(_) => {
            // Straight to the terminal: the test harness keeps a passing test's println! to itself.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: PostgreSQL (none answers at {url}; set TMSDK_TEST_POSTGRES to run and require it)"
            );
            return None;
        }
    };
    for table in [
        "tmsdk_users",
        "tmsdk_avatars",
        "tmsdk_events",
        "tmsdk_days",
        "tmsdk_tokens",
        "tmsdk_schema",
    ] {
        sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    Some(url)
}

/// Runs `test` with the URL of a fresh SQLite file of its own, `name` naming its folder (removed afterwards).
pub async fn on_sqlite<F: std::future::Future<Output = ()>>(
    name: &str,
    test: impl FnOnce(String) -> F,
) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (dir, db) = sqlite_in_temp_dir(name);
    test(db).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `test` with the URL of the tests' PostgreSQL database, emptied (see [`empty_postgres`]: skipped, or
/// failing, when none answers).
pub async fn on_postgres<F: std::future::Future<Output = ()>>(test: impl FnOnce(String) -> F) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Some(url) = empty_postgres().await {
        test(url).await;
    }
}

/// A fresh folder for one test's SQLite file, and the file's URL.
pub fn sqlite_in_temp_dir(test: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("tmsdk-server-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("tmsdk.db").display());
    (dir, db)
}

/// The `/v1/profile` body for user info `info` as a platform hands it over: `raw_data` signed with the user's
/// session `key`, and `plain` (the info with its watermark) AES-128-CBC encrypted under `key` and `iv`.
pub fn sealed_user_info(
    app_id: &str,
    key: &str,
    info: &Value,
    plain: &Value,
    iv: [u8; 16],
) -> Value {
    use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
    let raw_data = info.to_string();
    let encrypted =
        cbc::Encryptor::<aes::Aes128>::new_from_slices(&STANDARD.decode(key).unwrap(), &iv)
            .unwrap()
            .encrypt_padded_vec_mut::<Pkcs7>(plain.to_string().as_bytes());
    json!({
        "app_id": app_id, "raw_data": raw_data, "signature": tmsdk_server::signature(&raw_data, key),
        "encrypted_data": STANDARD.encode(encrypted), "iv": STANDARD.encode(iv), "user_info": info,
    })
}
