//! The HTTP API: `POST /v1/login`, `POST /v1/profile`, the fill-in of 头像昵称填写 (`POST /v1/avatar`,
//! `GET /v1/avatar/<sha256>.jpg`, `POST /v1/profile/fill`, WeChat's message push at `/v1/wechat/push`),
//! `GET /healthz`, `GET /metrics`, answering the envelope
//! `{ err, msg, data }` the SDK reads (docs/contract.md, Wire protocol), with the core's own types. Handlers take
//! typed extractors (a JSON body whose rejection answers the envelope, a bearer token) and return
//! `Result<_, Refusal>`, one error type that is its own response. Every profile it sends passes the SDK's own
//! profile rules first.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Multipart, Path,
    Query, Request, State,
};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tmsdk_core::{
    AvatarAnswer, Envelope, FillRequest, LoginRequest, Profile, ProfileRequest, TmError,
    AVATAR_PATH, FILL_PATH, LOGIN_PATH, MAX_AVATAR_BYTES, MAX_BODY_BYTES, PROFILE_PATH,
};
use tracing::{error, info, warn};

use crate::avatar;
use crate::config::Config;
use crate::crypto::{self, Claims};
use crate::limits::{client_ip, RateLimiter};
use crate::metrics::{Metrics, WechatOutcome};
use crate::region::Ip2Region;
use crate::store::{Store, User, UserInfo};
use crate::wechat::{Suggest, Wechat, WechatError, BUSY, SYSTEM_BUSY};

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
    /// An upload that is not a PNG, JPEG or WebP image within the pixel limit.
    pub const AVATAR_NOT_IMAGE: i64 = tmsdk_core::ERR_AVATAR_NOT_IMAGE;
    /// An upload over 2 MiB (HTTP 413).
    pub const AVATAR_TOO_LARGE: i64 = tmsdk_core::ERR_AVATAR_TOO_LARGE;
    /// A fill-in's `avatar_url` that this user did not upload.
    pub const AVATAR_NOT_OWNED: i64 = tmsdk_core::ERR_AVATAR_NOT_OWNED;
    /// WeChat's content check found the nickname risky (WeChat's own code).
    pub const CONTENT_RISKY: i64 = tmsdk_core::ERR_CONTENT_RISKY;
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

/// Where WeChat's message push arrives (`GET`: WeChat's URL check; `POST`: an event).
pub const PUSH_PATH: &str = "/v1/wechat/push";

/// The routes, over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(LOGIN_PATH, post(login))
        .route(PROFILE_PATH, post(profile))
        .route(FILL_PATH, post(fill))
        // The upload's own body limit: the image and the multipart framing around it.
        .route(
            AVATAR_PATH,
            post(upload_avatar).layer(DefaultBodyLimit::max(MAX_AVATAR_BYTES + 16 * 1024)),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), limit_ip))
        // Avatars are shown to every player (a leaderboard loads many at once), and pushes come from WeChat:
        // no per-address limit.
        .route(&format!("{AVATAR_PATH}/{{file}}"), get(avatar_image))
        .route(PUSH_PATH, get(push_check).post(push))
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

/// The stored user's profile without a new session (`jwt` empty: the SDK keeps its own), after a write.
async fn stored_profile(
    state: &AppState,
    app_id: &str,
    open_id: &str,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    let user = state
        .store
        .user(app_id, open_id)
        .await
        .inspect_err(|_| state.metrics.database_error())?
        .ok_or_else(Refusal::unauthorized)?;
    Ok(answer(&user, ""))
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
    let (claims, session_key) = session(&state, &token, &[body.app_id.as_ref()]).await?;
    let (app_id, open_id) = (claims.aud, claims.sub);
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
    stored_profile(&state, &app_id, &open_id).await
}

/// The claims of a bearer token for one of `apps`, else HTTP 401; then the per-user limit; and the user's
/// WeChat session key (a login stored it; an unknown user is HTTP 401).
async fn session(
    state: &AppState,
    token: &str,
    apps: &[&str],
) -> Result<(Claims, String), Refusal> {
    let secrets: Vec<&str> = std::iter::once(state.config.token_secret.as_str())
        .chain(state.config.token_secret_previous.as_deref())
        .collect();
    let claims =
        crypto::verify_token_for(&secrets, token, apps).ok_or_else(Refusal::unauthorized)?;
    limit(&state.per_openid, &format!("{}/{}", claims.aud, claims.sub))?;
    let session_key = state
        .store
        .session_key(&claims.aud, &claims.sub)
        .await
        .inspect_err(|_| state.metrics.database_error())?
        .ok_or_else(Refusal::unauthorized)?;
    Ok((claims, session_key))
}

/// A refusal of WeChat's: unreachable → 502, else its own errcode and message.
fn wechat_refusal(e: WechatError) -> Refusal {
    if e.errcode == 0 {
        error!(event = "wechat", error = %e.errmsg, "WeChat could not be reached");
        Refusal::new(
            StatusCode::BAD_GATEWAY,
            err::WECHAT_UNREACHABLE,
            "WeChat could not be reached; try again later",
        )
    } else {
        Refusal::with_err(e.errcode, e.errmsg)
    }
}

/// An upload that broke off or broke the body limit.
fn upload_refusal(status: StatusCode, detail: String) -> Refusal {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::new(
            status,
            err::AVATAR_TOO_LARGE,
            format!("the avatar is larger than {MAX_AVATAR_BYTES} bytes; send a smaller image"),
        )
    } else {
        Refusal::new(
            status,
            err::BAD_REQUEST,
            format!("the upload must be multipart/form-data with the image in the field \"file\" ({detail})"),
        )
    }
}

/// The URL a stored avatar is served at.
fn avatar_url(config: &Config, sha256: &str) -> String {
    format!("{}{AVATAR_PATH}/{sha256}.jpg", config.public_url)
}

/// `POST /v1/avatar`: the player's chosen image (`wx.uploadFile`, field `file`), checked, normalised and
/// stored; answers its URL. With a push token set, WeChat's image check is asked for at once, its verdict
/// arriving later at `/v1/wechat/push`.
async fn upload_avatar(
    State(state): State<Arc<AppState>>,
    Bearer(token): Bearer,
    upload: Result<Multipart, MultipartRejection>,
) -> Result<Json<Envelope<AvatarAnswer>>, Refusal> {
    let apps: Vec<&str> = state.config.apps.keys().map(String::as_str).collect();
    let (claims, _) = session(&state, &token, &apps).await?;
    let mut upload = upload.map_err(|r| upload_refusal(r.status(), r.body_text()))?;
    let mut file: Option<Bytes> = None;
    while let Some(field) = upload
        .next_field()
        .await
        .map_err(|e| upload_refusal(e.status(), e.body_text()))?
    {
        if field.name() == Some("file") {
            file = Some(
                field
                    .bytes()
                    .await
                    .map_err(|e| upload_refusal(e.status(), e.body_text()))?,
            );
            break;
        }
    }
    let file = file.ok_or_else(|| upload_refusal(StatusCode::BAD_REQUEST, "no file".into()))?;
    if file.len() > MAX_AVATAR_BYTES {
        return Err(upload_refusal(StatusCode::PAYLOAD_TOO_LARGE, String::new()));
    }
    // Decoding and scaling take milliseconds of CPU: off the async workers.
    let avatar = tokio::task::spawn_blocking(move || avatar::normalise(&file))
        .await
        .unwrap_or_else(|_| Err("the image could not be read".into()))
        .map_err(|why| Refusal::with_err(err::AVATAR_NOT_IMAGE, why))?;
    let (app_id, open_id) = (claims.aud, claims.sub);
    state
        .store
        .put_avatar(&app_id, &open_id, &avatar, now())
        .await
        .inspect_err(|_| state.metrics.database_error())?;
    let url = avatar_url(&state.config, &avatar.sha256);
    info!(event = "avatar", app_id = %app_id, sha256 = %avatar.sha256, bytes = avatar.jpeg.len(), "avatar stored");
    if state.config.wechat_push_token.is_some() {
        let state = state.clone();
        let url = url.clone();
        tokio::spawn(
            async move { check_avatar(&state, &app_id, &open_id, &avatar.sha256, &url).await },
        );
    }
    Ok(Json(Envelope::ok(AvatarAnswer { avatar_url: url })))
}

/// Asks WeChat to check a stored avatar and remembers the check's `trace_id` (logged when it fails: the
/// avatar stays, unchecked).
async fn check_avatar(state: &AppState, app_id: &str, open_id: &str, sha256: &str, url: &str) {
    let Some(secret) = state.config.apps.get(app_id) else {
        return;
    };
    match state
        .wechat
        .check_image_async(app_id, secret, open_id, url)
        .await
    {
        Ok(trace_id) => {
            if let Err(e) = state
                .store
                .set_avatar_trace(app_id, open_id, sha256, &trace_id)
                .await
            {
                error!(event = "store", error = %e, "the avatar check's trace_id was not stored");
            }
        }
        Err(e) => {
            state.metrics.content_check("avatar", "error");
            warn!(event = "avatar-check", app_id = %app_id, errcode = e.errcode, error = %e.errmsg, "WeChat's image check could not be asked for");
        }
    }
}

/// `GET /v1/avatar/<sha256>.jpg`: a stored avatar, cached for a year (its name is its content); anything
/// else is 404.
async fn avatar_image(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let sha256 = file
        .strip_suffix(".jpg")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    let Some(sha256) = sha256 else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let Some(jpeg) = state
        .store
        .avatar_jpeg(sha256)
        .await
        .inspect_err(|_| state.metrics.database_error())?
    else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let etag = format!("\"{sha256}\"");
    let cache = [
        (
            header::CACHE_CONTROL,
            "public, max-age=31536000, immutable".to_string(),
        ),
        (header::ETAG, etag.clone()),
    ];
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        cache,
        [(header::CONTENT_TYPE, "image/jpeg".to_string())],
        jpeg,
    )
        .into_response())
}

/// A filled-in nickname as the SDK's profile rules make it (control characters out, at most 64 characters),
/// trimmed; a nickname the rules refuse, or an empty one, is refused naming `nick_name`.
fn filled_nick(nick: &str, app_id: &str, open_id: &str) -> Result<String, Refusal> {
    let candidate = json!({"app_id": app_id, "open_id": open_id, "nick_name": nick});
    tmsdk_core::parse_body(&candidate.to_string(), app_id)
        .ok()
        .map(|p| p.nick_name.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Refusal::with_err(
                err::USER_INFO,
                "the nick_name must have 1 to 64 characters once trimmed; nothing was stored",
            )
        })
}

/// `POST /v1/profile/fill`: the nickname and / or avatar the player filled in. The avatar must be one this
/// user uploaded; the nickname passes the profile rules, then WeChat's text check (`risky`: refused with
/// 87014, nothing stored; `review`: stored and logged). Answers the profile, as `/v1/profile` does.
async fn fill(
    State(state): State<Arc<AppState>>,
    Bearer(token): Bearer,
    Body(body): Body<FillRequest<'static>>,
) -> Result<Json<Envelope<Profile>>, Refusal> {
    let (claims, _) = session(&state, &token, &[body.app_id.as_ref()]).await?;
    let (app_id, open_id) = (claims.aud, claims.sub);
    if body.nick_name.is_none() && body.avatar_url.is_none() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            err::BAD_REQUEST,
            "give nick_name, avatar_url or both",
        ));
    }
    if let Some(url) = &body.avatar_url {
        let sha256 = url
            .strip_prefix(&format!("{}{AVATAR_PATH}/", state.config.public_url))
            .and_then(|file| file.strip_suffix(".jpg"))
            .unwrap_or_default();
        let owned = !sha256.is_empty()
            && state
                .store
                .uploaded(&app_id, &open_id, sha256)
                .await
                .inspect_err(|_| state.metrics.database_error())?;
        if !owned {
            return Err(Refusal::with_err(
                err::AVATAR_NOT_OWNED,
                "avatar_url is not an avatar this user uploaded to /v1/avatar; upload the image first",
            ));
        }
    }
    let nick = match &body.nick_name {
        Some(nick) => Some(filled_nick(nick, &app_id, &open_id)?),
        None => None,
    };
    if let Some(nick) = &nick {
        let secret = state
            .config
            .apps
            .get(&app_id)
            .ok_or_else(Refusal::unauthorized)?;
        let verdict = state
            .wechat
            .check_text(&app_id, secret, &open_id, nick)
            .await
            .map_err(|e| {
                state.metrics.content_check("nickname", "error");
                wechat_refusal(e)
            })?;
        state
            .metrics
            .content_check("nickname", verdict.suggest.label());
        match verdict.suggest {
            Suggest::Risky => {
                info!(event = "content-check", app_id = %app_id, suggest = "risky", label = verdict.label, "nickname refused");
                return Err(Refusal::with_err(
                    err::CONTENT_RISKY,
                    "WeChat's content check found the nickname risky; nothing was stored. Ask the player for another one",
                ));
            }
            Suggest::Review => {
                warn!(event = "content-check", app_id = %app_id, suggest = "review", label = verdict.label, "nickname stored for review");
            }
            Suggest::Pass => {}
        }
    }
    state
        .store
        .fill(
            &app_id,
            &open_id,
            nick.as_deref(),
            body.avatar_url.as_deref(),
        )
        .await
        .inspect_err(|_| state.metrics.database_error())?;
    stored_profile(&state, &app_id, &open_id).await
}

/// Whether a push request carries WeChat's signature for this server's push token (none set: never).
fn signed_by_wechat(config: &Config, query: &HashMap<String, String>) -> bool {
    let part = |k: &str| query.get(k).map(String::as_str).unwrap_or_default();
    config.wechat_push_token.as_deref().is_some_and(|token| {
        crypto::push_signature_matches(token, part("timestamp"), part("nonce"), part("signature"))
    })
}

fn forged_push() -> Response {
    (StatusCode::UNAUTHORIZED, "signature mismatch").into_response()
}

/// `GET /v1/wechat/push`: WeChat's check of the push URL, answered with its `echostr`.
async fn push_check(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !signed_by_wechat(&state.config, &query) {
        return forged_push();
    }
    query
        .get("echostr")
        .cloned()
        .unwrap_or_default()
        .into_response()
}

/// `POST /v1/wechat/push`: an event from WeChat. A `wxa_media_check` whose verdict is `risky` deletes the
/// avatar and takes it from its users. Answers `success`, as WeChat expects.
async fn push(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    event: Bytes,
) -> Result<Response, Refusal> {
    if !signed_by_wechat(&state.config, &query) {
        warn!(
            event = "push",
            "a push without WeChat's signature was refused"
        );
        return Ok(forged_push());
    }
    let event: Value = serde_json::from_slice(&event).unwrap_or(Value::Null);
    if event["Event"] == "wxa_media_check" {
        let app_id = event["appid"].as_str().unwrap_or_default();
        let trace_id = event["trace_id"].as_str().unwrap_or_default();
        let suggest = Suggest::parse(event["result"]["suggest"].as_str().unwrap_or_default());
        let label = event["result"]["label"].as_i64().unwrap_or(0);
        info!(event = "avatar-check", app_id = %app_id, trace_id = %trace_id, suggest = suggest.label(), label, "WeChat's verdict on an avatar");
        state.metrics.content_check("avatar", suggest.label());
        if suggest == Suggest::Risky && !trace_id.is_empty() {
            let removed = state
                .store
                .remove_risky_avatar(app_id, trace_id)
                .await
                .inspect_err(|_| state.metrics.database_error())?;
            if let Some(sha256) = removed {
                warn!(event = "avatar-check", app_id = %app_id, sha256 = %sha256, "a risky avatar was removed");
            }
        }
    }
    Ok("success".into_response())
}
