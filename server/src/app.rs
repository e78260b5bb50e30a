//! The HTTP API: `POST /v1/login`, `POST /v1/profile`, `GET /healthz`, answering the envelope
//! `{ err, msg, data }` the SDK reads (docs/contract.md, Wire protocol). Every profile it sends passes the
//! SDK's own profile rules first.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use tmsdk_core::{
    Envelope, LoginRequest, Profile, ProfileRequest, TmError, LOGIN_PATH, MAX_BODY_BYTES,
    PROFILE_PATH,
};

use crate::config::Config;
use crate::crypto;
use crate::limits::{client_ip, RateLimiter};
use crate::region::Ip2Region;
use crate::store::{Store, User, UserInfo};
use crate::wechat::{Wechat, BUSY, SYSTEM_BUSY};

/// `err` codes of refusals (beside WeChat's own, passed through).
pub mod err {
    /// The body is not JSON of the expected shape.
    pub const BAD_REQUEST: i64 = 400;
    /// No valid session token: log in again (the SDK then logs in once and retries once).
    pub const UNAUTHORIZED: i64 = tmsdk_core::UNAUTHORIZED;
    /// An app this server does not serve.
    pub const UNKNOWN_APP: i64 = 40013;
    /// `signature != sha1(raw_data + session_key)`.
    pub const SIGNATURE: i64 = 41003;
    /// `encrypted_data` does not decrypt with the user's session key.
    pub const DECRYPT: i64 = 41004;
    /// The decrypted data's `watermark.appid` is another app's.
    pub const WATERMARK: i64 = 41005;
    /// The decrypted user info breaks a profile rule (the field is named in `msg`); nothing is stored.
    pub const USER_INFO: i64 = 41006;
    /// WeChat could not be reached.
    pub const WECHAT_UNREACHABLE: i64 = 502;
    /// The database failed.
    pub const STORE: i64 = 500;
    /// Too many requests from this address or for this user.
    pub const TOO_MANY: i64 = 429;
}

/// What every handler shares.
pub struct AppState {
    /// The settings.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// WeChat's API.
    pub wechat: Wechat,
    /// Requests per client IP.
    pub per_ip: RateLimiter,
    /// Requests per user (openid).
    pub per_openid: RateLimiter,
    /// Where client addresses are, when `TMSDK_IP2REGION` is set.
    pub regions: Option<Ip2Region>,
}

/// The client's IP, as the per-IP limit worked it out (a request extension).
#[derive(Clone, Copy)]
struct ClientIp(IpAddr);

/// The 429 answer when `limiter` has no token left for `key`.
fn limit(limiter: &RateLimiter, key: &str) -> Option<Response> {
    limiter.take(key, Instant::now()).err().map(|wait| {
        refuse(
            StatusCode::TOO_MANY_REQUESTS,
            err::TOO_MANY,
            &format!("too many requests; try again in {wait} s"),
        )
    })
}

/// The per-IP limit, in front of the API routes: the 429 answer when the client is over it.
async fn limit_ip(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let forwarded = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|h| h.to_str().ok());
    let ip = client_ip(peer.ip(), forwarded, &state.config.trusted_proxies);
    match limit(&state.per_ip, &ip.to_string()) {
        Some(refused) => refused,
        None => {
            request.extensions_mut().insert(ClientIp(ip));
            next.run(request).await
        }
    }
}

/// The routes, over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(LOGIN_PATH, post(login))
        .route(PROFILE_PATH, post(profile))
        .route_layer(middleware::from_fn_with_state(state.clone(), limit_ip))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn refuse(status: StatusCode, err: i64, msg: &str) -> Response {
    (status, Json(Envelope::<()>::refusal(err, msg))).into_response()
}

fn store_failed(e: sqlx::Error) -> Response {
    eprintln!(
        "{}",
        json!({ "level": "error", "event": "store", "error": e.to_string() })
    );
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        err::STORE,
        "the server's database failed; try again later",
    )
}

/// The user as the SDK's profile, checked by the SDK's own rules, in the envelope.
fn answer(user: &User, jwt: &str) -> Response {
    let info = &user.info;
    let profile = Profile {
        app_id: user.app_id.clone(),
        open_id: user.open_id.clone(),
        union_id: user.union_id.clone(),
        nick_name: info.nick_name.clone(),
        avatar_url: info.avatar_url.clone(),
        gender: u8::try_from(info.gender).unwrap_or(0),
        city: info.city.clone(),
        province: info.province.clone(),
        country: info.country.clone(),
        language: info.language.clone(),
        online_days: u64::try_from(user.online_days).unwrap_or(0),
        last_login_time: u64::try_from(user.last_login_time).unwrap_or(0),
        login_times: u64::try_from(user.login_times).unwrap_or(0),
        from_scene: user.from_scene.clone(),
        from_code: user.from_code.clone(),
        is_new: user.is_new,
        jwt: jwt.to_string(),
        login_province: user.login_province.clone(),
        login_city: user.login_city.clone(),
        ..Profile::default()
    };
    // A stored value a rule refuses (a rule may change after it was stored) is answered as the rule's empty
    // value and logged: a player is never locked out by one odd value.
    let (profile, broken) = profile.repaired();
    if let Some(e) = broken {
        eprintln!(
            "{}",
            json!({ "level": "warn", "event": "stored-profile", "app_id": user.app_id, "field": e.field })
        );
    }
    Json(Envelope::ok(profile)).into_response()
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    if state.store.ping().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

async fn login(
    State(state): State<Arc<AppState>>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<LoginRequest>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            err::BAD_REQUEST,
            "the body must be JSON {app_id, code, scene, channel}",
        );
    };
    let Some(secret) = state.config.apps.get(body.app_id.as_ref()) else {
        return refuse(
            StatusCode::OK,
            err::UNKNOWN_APP,
            "this server does not serve that app_id",
        );
    };
    let session = match state
        .wechat
        .code_to_session(&body.app_id, secret, &body.code)
        .await
    {
        Ok(s) => s,
        Err(e) if e.errcode == 0 => {
            eprintln!(
                "{}",
                json!({ "level": "error", "event": "wechat", "error": e.errmsg })
            );
            return refuse(
                StatusCode::BAD_GATEWAY,
                err::WECHAT_UNREACHABLE,
                "WeChat could not be reached; try again later",
            );
        }
        Err(e) if e.errcode == BUSY || e.errcode == SYSTEM_BUSY => {
            return refuse(StatusCode::OK, e.errcode, "WeChat is busy; try again later");
        }
        Err(e) => return refuse(StatusCode::OK, e.errcode, &e.errmsg),
    };
    if let Some(refused) = limit(
        &state.per_openid,
        &format!("{}/{}", body.app_id, session.open_id),
    ) {
        return refused;
    }
    let location = state
        .regions
        .as_ref()
        .map(|r| r.lookup(ip))
        .unwrap_or_default();
    let user = match state
        .store
        .login(
            &body.app_id,
            &session.open_id,
            &session.union_id,
            &session.session_key,
            &body.scene.to_string(),
            &body.channel.chars().take(64).collect::<String>(),
            &location,
            now(),
        )
        .await
    {
        Ok(u) => u,
        Err(e) => return store_failed(e),
    };
    let claims = crypto::Claims::new(
        &user.app_id,
        &user.open_id,
        &user.union_id,
        now() as u64,
        state.config.token_ttl_secs,
    );
    let jwt = crypto::issue_token(&state.config.token_secret, &claims);
    eprintln!(
        "{}",
        json!({ "level": "info", "event": "login", "app_id": user.app_id, "login_times": user.login_times })
    );
    answer(&user, &jwt)
}

/// WeChat's decrypted user info as the SDK's profile rules make it: what a rule normalises is normalised
/// (control characters out of the nickname, a gender given as text), what a rule refuses is refused naming the
/// field, and nothing of it is stored then.
fn info_from(decrypted: &Value, app_id: &str, open_id: &str) -> Result<UserInfo, TmError> {
    let candidate = json!({
        "app_id": app_id, "open_id": open_id, "nick_name": decrypted["nickName"],
        "avatar_url": decrypted["avatarUrl"], "gender": decrypted["gender"], "city": decrypted["city"],
        "province": decrypted["province"], "country": decrypted["country"],
        "language": decrypted["language"],
    });
    let p = tmsdk_core::parse_body(&candidate.to_string(), app_id)?;
    Ok(UserInfo {
        nick_name: p.nick_name,
        avatar_url: p.avatar_url,
        gender: i64::from(p.gender),
        city: p.city,
        province: p.province,
        country: p.country,
        language: p.language,
    })
}

async fn profile(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let unauthorized = || {
        refuse(
            StatusCode::UNAUTHORIZED,
            err::UNAUTHORIZED,
            "the session expired; log in again",
        )
    };
    let Some(token) = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return unauthorized();
    };
    let Ok(body) = serde_json::from_slice::<ProfileRequest>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            err::BAD_REQUEST,
            "the body must be JSON {app_id, raw_data, signature, encrypted_data, iv, user_info}",
        );
    };
    // The token must be this server's, for the request's app (its audience).
    let secrets: Vec<&str> = std::iter::once(state.config.token_secret.as_str())
        .chain(state.config.token_secret_previous.as_deref())
        .collect();
    let Some(claims) = crypto::verify_token(&secrets, token, &body.app_id) else {
        return unauthorized();
    };
    let (app_id, open_id) = (claims.aud, claims.sub);
    if let Some(refused) = limit(&state.per_openid, &format!("{app_id}/{open_id}")) {
        return refused;
    }
    let session_key = match state.store.session_key(&app_id, &open_id).await {
        Ok(Some(k)) => k,
        Ok(None) => return unauthorized(),
        Err(e) => return store_failed(e),
    };
    if !crypto::signature_matches(&body.raw_data, &session_key, &body.signature) {
        return refuse(
            StatusCode::OK,
            err::SIGNATURE,
            "signature mismatch: raw_data was changed or signed with another session_key",
        );
    }
    let Some(decrypted) = crypto::decrypt(&body.encrypted_data, &session_key, &body.iv)
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    else {
        return refuse(
            StatusCode::OK,
            err::DECRYPT,
            "encrypted_data does not decrypt with this user's session_key",
        );
    };
    if decrypted["watermark"]["appid"].as_str() != Some(app_id.as_str()) {
        return refuse(
            StatusCode::OK,
            err::WATERMARK,
            "encrypted_data belongs to another app",
        );
    }
    let info = match info_from(&decrypted, &app_id, &open_id) {
        Ok(info) => info,
        Err(e) => {
            let field = e.field.unwrap_or_default();
            return refuse(
                StatusCode::OK,
                err::USER_INFO,
                &format!("the user info's {field} breaks the profile rules; nothing was stored"),
            );
        }
    };
    if let Err(e) = state.store.set_info(&app_id, &open_id, &info).await {
        return store_failed(e);
    }
    match state.store.user(&app_id, &open_id).await {
        Ok(Some(user)) => answer(&user, ""),
        Ok(None) => unauthorized(),
        Err(e) => store_failed(e),
    }
}
