//! The HTTP API: `POST /v1/login`, `POST /v1/profile`, `GET /healthz`, `GET /metrics`, answering the envelope
//! `{ err, msg, data }` the SDK reads (docs/contract.md, Wire protocol), with the core's own types. Handlers take
//! typed extractors (a JSON body whose rejection answers the envelope, a bearer token) and return
//! `Result<_, Refusal>`, one error type that is its own response. Every profile it sends passes the SDK's own
//! profile rules first.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Request, State,
};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tmsdk_core::{
    Envelope, LoginRequest, Profile, ProfileRequest, TmError, LOGIN_PATH, MAX_BODY_BYTES,
    PROFILE_PATH,
};
use tracing::{error, info, warn};

use crate::config::Config;
use crate::crypto;
use crate::limits::{client_ip, RateLimiter};
use crate::metrics::{Metrics, WechatOutcome};
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
    /// What `GET /metrics` shows.
    pub metrics: Metrics,
}

/// Why a request is refused: its HTTP status and the envelope's `err` and `msg`. The one error type of the
/// handlers; it answers itself.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    err: i64,
    msg: String,
}

impl Refusal {
    fn new(status: StatusCode, err: i64, msg: impl Into<String>) -> Refusal {
        Refusal {
            status,
            err,
            msg: msg.into(),
        }
    }

    /// A refusal the SDK reads from the envelope (HTTP 200, `err != 0`).
    fn with_err(err: i64, msg: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::OK, err, msg)
    }

    /// HTTP 401: no session, or not one of this server's.
    fn unauthorized() -> Refusal {
        Refusal::new(
            StatusCode::UNAUTHORIZED,
            err::UNAUTHORIZED,
            "the session expired; log in again",
        )
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(Envelope::<()>::refusal(self.err, &self.msg)),
        )
            .into_response()
    }
}

/// A database failure: logged (never with the query's values), answered 500.
impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Refusal {
        error!(event = "store", error = %e, "the database failed");
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            err::STORE,
            "the server's database failed; try again later",
        )
    }
}

/// A JSON body of type `T`; a body that is not one is refused with the envelope, `err` 400 (with the
/// rejection's own status: 400, 413 over the body limit, 415 without a JSON content type, 422).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &S) -> Result<Self, Refusal> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(body)) => Ok(Body(body)),
            Err(rejection) => Err(Refusal::new(
                rejection.status(),
                err::BAD_REQUEST,
                format!(
                    "the body must be JSON of the request's shape ({})",
                    rejection.body_text()
                ),
            )),
        }
    }
}

/// The `Authorization: Bearer <token>` of a request; without one, HTTP 401.
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Refusal> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(|token| Bearer(token.to_string()))
            .ok_or_else(Refusal::unauthorized)
    }
}

/// The client's IP, as the per-IP limit worked it out (a request extension).
#[derive(Clone, Copy)]
struct ClientIp(IpAddr);

/// Takes one request from `limiter`'s allowance for `key`; HTTP 429 when there is none left.
fn limit(limiter: &RateLimiter, key: &str) -> Result<(), Refusal> {
    limiter.take(key, Instant::now()).map_err(|wait| {
        Refusal::new(
            StatusCode::TOO_MANY_REQUESTS,
            err::TOO_MANY,
            format!("too many requests; try again in {wait} s"),
        )
    })
}

/// The per-IP limit, in front of the API routes.
async fn limit_ip(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Result<Response, Refusal> {
    let forwarded = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|h| h.to_str().ok());
    let ip = client_ip(peer.ip(), forwarded, &state.config.trusted_proxies);
    limit(&state.per_ip, &ip.to_string())?;
    request.extensions_mut().insert(ClientIp(ip));
    Ok(next.run(request).await)
}

/// One JSON log line and the metrics of every request: its id (the client's `x-request-id`, else one of
/// this server's, echoed in the answer), route, status and latency. Never a header or a body: tokens, secrets
/// and session keys stay out of the logs.
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", |p| p.as_str())
        .to_string();
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|h| h.to_str().ok())
        .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(
            || format!("tmsdk-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            str::to_string,
        );
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    let latency = started.elapsed();
    state.metrics.request(&route, status, latency.as_secs_f64());
    info!(
        request_id = %id,
        route = %route,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The routes, over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(LOGIN_PATH, post(login))
        .route(PROFILE_PATH, post(profile))
        .route_layer(middleware::from_fn_with_state(state.clone(), limit_ip))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The user as the SDK's profile, checked by the SDK's own rules, in the envelope. A stored value a rule
/// refuses (a rule may change after it was stored) is answered as the rule's empty value and logged: a
/// player is never locked out by one odd value.
fn answer(user: &User, jwt: &str) -> Json<Envelope<Profile>> {
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
    let (profile, broken) = profile.repaired();
    if let Some(e) = broken {
        warn!(event = "stored-profile", app_id = %user.app_id, field = e.field.as_deref().unwrap_or(""), "a stored value breaks a profile rule; answered empty");
    }
    Json(Envelope::ok(profile))
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    if state.store.ping().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn login(
    State(state): State<Arc<AppState>>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Body(body): Body<LoginRequest<'static>>,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    let secret = state.config.apps.get(body.app_id.as_ref()).ok_or_else(|| {
        Refusal::with_err(err::UNKNOWN_APP, "this server does not serve that app_id")
    })?;
    let session = state
        .wechat
        .code_to_session(&body.app_id, secret, &body.code)
        .await
        .map_err(|e| {
            let (outcome, refusal) = match e.errcode {
                0 => {
                    error!(event = "wechat", error = %e.errmsg, "WeChat could not be reached");
                    (
                        WechatOutcome::Unreachable,
                        Refusal::new(
                            StatusCode::BAD_GATEWAY,
                            err::WECHAT_UNREACHABLE,
                            "WeChat could not be reached; try again later",
                        ),
                    )
                }
                BUSY | SYSTEM_BUSY => (
                    WechatOutcome::Busy,
                    Refusal::with_err(e.errcode, "WeChat is busy; try again later"),
                ),
                code => (WechatOutcome::Refused, Refusal::with_err(code, e.errmsg)),
            };
            state.metrics.wechat(outcome);
            refusal
        })?;
    state.metrics.wechat(WechatOutcome::Ok);
    limit(
        &state.per_openid,
        &format!("{}/{}", body.app_id, session.open_id),
    )?;
    let location = state
        .regions
        .as_ref()
        .map(|r| r.lookup(ip))
        .unwrap_or_default();
    let user = state
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
        .inspect_err(|_| state.metrics.database_error())?;
    let claims = crypto::Claims::new(
        &user.app_id,
        &user.open_id,
        &user.union_id,
        now() as u64,
        state.config.token_ttl_secs,
    );
    let jwt = crypto::issue_token(&state.config.token_secret, &claims);
    info!(event = "login", app_id = %user.app_id, login_times = user.login_times, "login");
    Ok(answer(&user, &jwt))
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

async fn profile(
    State(state): State<Arc<AppState>>,
    Bearer(token): Bearer,
    Body(body): Body<ProfileRequest<'static>>,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    // The token must be this server's, for the request's app (its audience).
    let secrets: Vec<&str> = std::iter::once(state.config.token_secret.as_str())
        .chain(state.config.token_secret_previous.as_deref())
        .collect();
    let claims =
        crypto::verify_token(&secrets, &token, &body.app_id).ok_or_else(Refusal::unauthorized)?;
    let (app_id, open_id) = (claims.aud, claims.sub);
    limit(&state.per_openid, &format!("{app_id}/{open_id}"))?;
    let session_key = state
        .store
        .session_key(&app_id, &open_id)
        .await
        .inspect_err(|_| state.metrics.database_error())?
        .ok_or_else(Refusal::unauthorized)?;
    if !crypto::signature_matches(&body.raw_data, &session_key, &body.signature) {
        return Err(Refusal::with_err(
            err::SIGNATURE,
            "signature mismatch: raw_data was changed or signed with another session_key",
        ));
    }
    let decrypted = crypto::decrypt(&body.encrypted_data, &session_key, &body.iv)
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .ok_or_else(|| {
            Refusal::with_err(
                err::DECRYPT,
                "encrypted_data does not decrypt with this user's session_key",
            )
        })?;
    if decrypted["watermark"]["appid"].as_str() != Some(app_id.as_str()) {
        return Err(Refusal::with_err(
            err::WATERMARK,
            "encrypted_data belongs to another app",
        ));
    }
    let info = info_from(&decrypted, &app_id, &open_id).map_err(|e| {
        let field = e.field.unwrap_or_default();
        Refusal::with_err(
            err::USER_INFO,
            format!("the user info's {field} breaks the profile rules; nothing was stored"),
        )
    })?;
    state
        .store
        .set_info(&app_id, &open_id, &info)
        .await
        .inspect_err(|_| state.metrics.database_error())?;
    let user = state
        .store
        .user(&app_id, &open_id)
        .await
        .inspect_err(|_| state.metrics.database_error())?
        .ok_or_else(Refusal::unauthorized)?;
    Ok(answer(&user, ""))
}
