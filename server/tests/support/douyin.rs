//! A simulated Douyin mini-game server API (Douyin's shapes), started on 127.0.0.1:
//! `GET /mgplatform/api/apps/jscode2session?appid&secret&code&anonymous_code` → `{error: 0, session_key, openid,
//! anonymous_openid, unionid}` or `{error ≠ 0, errcode, errmsg}` (40014 nothing given, 40015 the app, 40017 the
//! secret, 40018 a bad code, 40019 a bad anonymous code). Codes are single-use; each device has one anonymous
//! player.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::world::serve;

pub const TT_APP: &str = "tt0123456789abcd";
pub const TT_SECRET: &str = "douyin-app-secret";

/// Douyin's side: codes of logged-in players, anonymous codes of devices, one session key per player.
#[derive(Default)]
pub struct FakeDouyin {
    issued: u32,
    codes: HashMap<String, String>,
    anonymous_codes: HashMap<String, String>,
    pub keys: HashMap<String, String>,
    /// `jscode2session` calls.
    pub calls: u32,
}

pub type SharedDouyin = Arc<Mutex<FakeDouyin>>;

impl FakeDouyin {
    /// A `tt.login` code of the Douyin user `open_id` (logged in to the Douyin app).
    pub fn code_for(&mut self, open_id: &str) -> String {
        self.issued += 1;
        let code = format!("ttcode-{}", self.issued);
        self.codes.insert(code.clone(), open_id.to_string());
        self.keys
            .entry(open_id.to_string())
            .or_insert_with(|| STANDARD.encode(&format!("ttkey{open_id:0>12}").as_bytes()[..16]));
        code
    }

    /// A `tt.login` anonymous code of `device`, whose anonymous player is [`anonymous_open_id`].
    pub fn anonymous_code_for(&mut self, device: &str) -> String {
        self.issued += 1;
        let code = format!("ttanon-{}", self.issued);
        self.anonymous_codes
            .insert(code.clone(), device.to_string());
        code
    }
}

/// The anonymous openid Douyin gives `device`.
pub fn anonymous_open_id(device: &str) -> String {
    format!("anon-{device}")
}

/// Starts the simulated Douyin API; its base URL is `TMSDK_DOUYIN_API`.
pub async fn start_douyin() -> (SharedDouyin, String) {
    let shared: SharedDouyin = Arc::default();
    let addr = serve(
        Router::new()
            .route("/mgplatform/api/apps/jscode2session", get(jscode2session))
            .with_state(shared.clone()),
    )
    .await;
    (shared, format!("http://{addr}"))
}

fn refused(errcode: i64, errmsg: &str) -> Json<Value> {
    Json(json!({"error": 1, "errcode": errcode, "errmsg": errmsg, "message": errmsg}))
}

async fn jscode2session(
    State(douyin): State<SharedDouyin>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let mut douyin = douyin.lock().unwrap();
    douyin.calls += 1;
    let given = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    if given("appid") != TT_APP {
        return refused(40015, "bad appid");
    }
    if given("secret") != TT_SECRET {
        return refused(40017, "bad secret");
    }
    let (code, anonymous_code) = (
        given("code").to_string(),
        given("anonymous_code").to_string(),
    );
    if code.is_empty() && anonymous_code.is_empty() {
        return refused(40014, "bad params");
    }
    let mut answer = json!({"error": 0, "errcode": 0, "errmsg": "", "anonymous_openid": "", "openid": "", "session_key": "", "unionid": ""});
    if !code.is_empty() {
        let Some(open_id) = douyin.codes.remove(&code) else {
            return refused(40018, "bad code");
        };
        answer["openid"] = json!(open_id);
        answer["session_key"] = json!(douyin.keys[&open_id]);
        answer["unionid"] = json!(format!("uTt-{open_id}"));
    }
    if !anonymous_code.is_empty() {
        let Some(device) = douyin.anonymous_codes.remove(&anonymous_code) else {
            return refused(40019, "bad anonymous_code");
        };
        answer["anonymous_openid"] = json!(anonymous_open_id(&device));
    }
    Json(answer)
}
