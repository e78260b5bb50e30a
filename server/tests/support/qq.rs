//! A simulated QQ server API (QQ's real shapes), started on 127.0.0.1: `jscode2session` (WeChat's route and
//! answer), `getToken`, and the synchronous content checks `MsgSecCheck` (answering `errCode`, camelCase) and
//! `ImgSecCheck` (answering `errcode`: both casings occur).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::world::serve;

pub const QQ_APP: &str = "1112223334";
pub const QQ_SECRET: &str = "qq-app-secret";
/// A nickname QQ's check finds risky.
pub const QQ_RISKY_WORD: &str = "大坏蛋";

/// QQ's side: one-time codes, one session key per user, access tokens, the checks it was asked for.
#[derive(Default)]
pub struct FakeQq {
    codes: HashMap<String, String>,
    codes_issued: u32,
    pub keys: HashMap<String, String>,
    /// `jscode2session` calls by code.
    pub calls: HashMap<String, u32>,
    /// Tokens handed out by `getToken`; the last one is the valid one.
    pub tokens_issued: u32,
    /// The next check answers 40001 (the token is no longer valid), once.
    pub invalidate_token_once: bool,
    /// `MsgSecCheck` contents, in order.
    pub text_checks: Vec<String>,
    /// `ImgSecCheck` calls: the `media` part's bytes.
    pub image_checks: Vec<usize>,
    /// Whether `ImgSecCheck` finds the next images risky.
    pub images_risky: bool,
}

pub type SharedQq = Arc<Mutex<FakeQq>>;

impl FakeQq {
    pub fn code_for(&mut self, open_id: &str) -> String {
        self.codes_issued += 1;
        let code = format!("qqcode-{open_id}-{}", self.codes_issued);
        self.codes.insert(code.clone(), open_id.to_string());
        self.keys
            .entry(open_id.to_string())
            .or_insert_with(|| STANDARD.encode(&format!("qqkey{open_id:0>12}").as_bytes()[..16]));
        code
    }
}

/// Starts the simulated QQ API; its base URL is `TMSDK_QQ_API`.
pub async fn start_qq() -> (SharedQq, String) {
    let shared: SharedQq = Arc::default();
    let addr = serve(
        Router::new()
            .route("/sns/jscode2session", get(jscode2session))
            .route("/api/getToken", get(get_token))
            .route("/api/json/security/MsgSecCheck", post(msg_sec_check))
            .route("/api/json/security/ImgSecCheck", post(img_sec_check))
            .with_state(shared.clone()),
    )
    .await;
    (shared, format!("http://{addr}"))
}

/// QQ's refusal of a query that does not name the app, its secret and `grant_type`.
fn not_the_app(q: &HashMap<String, String>, grant_type: &str) -> Option<Json<Value>> {
    let given = |k: &str| q.get(k).map(String::as_str);
    (given("appid") != Some(QQ_APP)
        || given("secret") != Some(QQ_SECRET)
        || given("grant_type") != Some(grant_type))
    .then(|| Json(json!({"errcode": 40013, "errmsg": "invalid appid"})))
}

async fn jscode2session(
    State(qq): State<SharedQq>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let mut qq = qq.lock().unwrap();
    if let Some(refusal) = not_the_app(&q, "authorization_code") {
        return refusal;
    }
    let code = q.get("js_code").cloned().unwrap_or_default();
    let calls = {
        let c = qq.calls.entry(code.clone()).or_default();
        *c += 1;
        *c
    };
    match code.as_str() {
        "busy-always" => return Json(json!({"errcode": 45011, "errmsg": "rate limit"})),
        "busy-once" if calls == 1 => return Json(json!({"errcode": -1, "errmsg": "system busy"})),
        "busy-once" => {
            return Json(
                json!({"openid": "oQqBusyOnce", "session_key": STANDARD.encode(b"qq-busy-once-key")}),
            )
        }
        _ => {}
    }
    match qq.codes.remove(&code) {
        Some(open_id) => {
            let key = qq.keys[&open_id].clone();
            Json(
                json!({"openid": open_id, "session_key": key, "unionid": "uQqUnion", "errcode": 0, "errmsg": ""}),
            )
        }
        None => Json(json!({"errcode": 40029, "errmsg": "invalid code"})),
    }
}

async fn get_token(
    State(qq): State<SharedQq>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let mut qq = qq.lock().unwrap();
    if let Some(refusal) = not_the_app(&q, "client_credential") {
        return refusal;
    }
    qq.tokens_issued += 1;
    Json(json!({"access_token": format!("qqtoken-{}", qq.tokens_issued), "expires_in": 7200}))
}

/// The token check of both content checks: `Some(errcode)` when the call is refused.
fn token_refused(qq: &mut FakeQq, query: &HashMap<String, String>) -> Option<i64> {
    let valid = format!("qqtoken-{}", qq.tokens_issued);
    if query.get("access_token") != Some(&valid) || std::mem::take(&mut qq.invalidate_token_once) {
        return Some(40001);
    }
    None
}

/// `POST /api/json/security/MsgSecCheck` `{appid, content}` → `{errCode, errMsg}` (QQ's documented casing).
async fn msg_sec_check(
    State(qq): State<SharedQq>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut qq = qq.lock().unwrap();
    if let Some(code) = token_refused(&mut qq, &q) {
        return Json(json!({"errCode": code, "errMsg": "access_token invalid"}));
    }
    assert_eq!(body["appid"], QQ_APP, "{body}");
    let content = body["content"].as_str().unwrap_or_default().to_string();
    let risky = content.contains(QQ_RISKY_WORD);
    qq.text_checks.push(content);
    if risky {
        Json(json!({"errCode": 87014, "errMsg": "content illegal"}))
    } else {
        Json(json!({"errCode": 0, "errMsg": "ok"}))
    }
}

/// `POST /api/json/security/ImgSecCheck`, multipart `appid` and `media` → `{errcode, errmsg}` (the casing
/// third-party clients read).
async fn img_sec_check(
    State(qq): State<SharedQq>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Json<Value> {
    let mut qq = qq.lock().unwrap();
    if let Some(code) = token_refused(&mut qq, &q) {
        return Json(json!({"errcode": code, "errmsg": "access_token invalid"}));
    }
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("name=\"appid\"\r\n\r\n1112223334\r\n") && text.contains("name=\"media\""),
        "a multipart body with appid and media"
    );
    assert!(body.len() < 1024 * 1024, "within QQ's 1 MB");
    qq.image_checks.push(body.len());
    if qq.images_risky {
        Json(json!({"errcode": 87014, "errmsg": "risky content"}))
    } else {
        Json(json!({"errcode": 0, "errmsg": "ok"}))
    }
}
