//! A platform's server API, WeChat's, QQ's or Douyin's (one client per platform): `jscode2session` (a login code
//! becomes the user's openid, unionid and session_key; "system busy" answers are retried once; the same route and
//! answer on WeChat and QQ, Douyin's own with an anonymous code beside the code), the app's access token (WeChat's `stable_token`, QQ's `getToken`; cached per app until 5 minutes
//! before it expires, one fetch at a time per app, shared through the database by every instance on it), and the content security checks: on WeChat `msg_sec_check`
//! for a nickname and `media_check_async` for an avatar (its verdict comes later by push), on QQ `MsgSecCheck`
//! and `ImgSecCheck` (synchronous; `87014` in `errCode` or `errcode` is risky). Errors are the platform's own
//! codes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::config::Platform;
use crate::metrics::{LoginOutcome, Metrics};
use crate::store::Store;

/// The errcode of content the platform's check found risky (WeChat's and QQ's).
pub const RISKY: i64 = 87014;
/// WeChat's errcode for an invalid or used code.
pub const INVALID_CODE: i64 = 40029;
/// WeChat's errcode for "too many requests".
pub const BUSY: i64 = 45011;
/// WeChat's errcode for "system busy".
pub const SYSTEM_BUSY: i64 = -1;
/// WeChat's errcode for an access token that is not (or no longer) valid.
pub const INVALID_TOKEN: i64 = 40001;
/// WeChat's errcode for an expired access token.
pub const EXPIRED_TOKEN: i64 = 42001;
/// How long before its end an access token is fetched anew.
const TOKEN_MARGIN: Duration = Duration::from_secs(5 * 60);
/// How long one instance may take to fetch an app's token for the others (its lease).
const TOKEN_LEASE: Duration = Duration::from_secs(15);
/// How often an instance waiting for another's token looks again.
const TOKEN_POLL: Duration = Duration::from_millis(100);
/// Why a Douyin app's content is never checked here: Douyin mini-games have no avatar and nickname pickers, so
/// the fill-in is refused for them before any check (routes/fill.rs, routes/avatar.rs).
const NO_DOUYIN_CHECKS: &str = "Douyin games have no fill-in, so nothing of theirs is checked";
/// How long the platform may take to answer.
const API_TIMEOUT: Duration = Duration::from_secs(10);

/// A user's session with WeChat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user's openid in the app.
    pub open_id: String,
    /// The unionid, when WeChat gives one.
    pub union_id: String,
    /// The key WeChat signs and encrypts this user's data with. Never leaves the server, never logged.
    /// Empty for an anonymous Douyin player (no signed user info then).
    pub session_key: String,
    /// Douyin's `anonymous_openid` beside a real `openid`: the player this device played as before logging in
    /// to Douyin (`""` when there is none, or when it is the session's own `open_id`).
    pub anonymous_open_id: String,
}

/// A refusal from the platform, or a failure to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The platform could not be reached, did not answer in time, or answered something that is not its JSON.
    Unreachable {
        /// Whose API.
        platform: Platform,
        /// What went wrong.
        why: String,
    },
    /// The platform is busy (45011, -1).
    Busy {
        /// Whose API.
        platform: Platform,
        /// The platform's errcode.
        errcode: i64,
        /// The platform's errmsg.
        errmsg: String,
    },
    /// The platform refused the call.
    Api {
        /// The platform's errcode.
        errcode: i64,
        /// The platform's errmsg.
        errmsg: String,
    },
}

impl ApiError {
    /// `platform`'s refusal `errcode` (busy or not) with its `errmsg`.
    fn refused(platform: Platform, errcode: i64, errmsg: String) -> ApiError {
        if errcode == BUSY || errcode == SYSTEM_BUSY {
            ApiError::Busy {
                platform,
                errcode,
                errmsg,
            }
        } else {
            ApiError::Api { errcode, errmsg }
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Unreachable { platform, why } => {
                write!(f, "{} unreachable: {why}", platform.name())
            }
            ApiError::Busy {
                platform,
                errcode,
                errmsg,
            } => write!(f, "{} busy ({errcode}): {errmsg}", platform.name()),
            ApiError::Api { errcode, errmsg } => write!(f, "errcode {errcode}: {errmsg}"),
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    openid: String,
    /// Douyin's: the device's anonymous player (with an `anonymous_code`).
    #[serde(default)]
    anonymous_openid: String,
    /// Douyin's: 0, else the call was refused (`errcode`, `errmsg` or `message` say why).
    #[serde(default)]
    error: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    unionid: String,
    #[serde(default)]
    session_key: String,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// WeChat's verdict on content (`result.suggest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggest {
    /// Nothing found.
    Pass,
    /// Uncertain: allowed, and logged for a person to look at.
    Review,
    /// Refused.
    Risky,
}

impl Suggest {
    /// WeChat's word for the verdict (a metric's label).
    pub fn label(self) -> &'static str {
        match self {
            Suggest::Pass => "pass",
            Suggest::Review => "review",
            Suggest::Risky => "risky",
        }
    }

    /// WeChat's word for it; anything unknown is taken as `review` (allowed and logged).
    pub fn parse(word: &str) -> Suggest {
        match word {
            "pass" => Suggest::Pass,
            "risky" => Suggest::Risky,
            _ => Suggest::Review,
        }
    }
}

/// A content check's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `result.suggest`.
    pub suggest: Suggest,
    /// `result.label`: WeChat's category (100 normal, 20001 politics, …).
    pub label: i64,
}

#[derive(Deserialize, Default)]
struct CheckResult {
    #[serde(default)]
    suggest: String,
    #[serde(default)]
    label: i64,
}

#[derive(Deserialize)]
struct ApiAnswer {
    // QQ's security checks answer `errCode` / `errMsg` (both casings occur).
    #[serde(default, alias = "errCode")]
    errcode: i64,
    #[serde(default, alias = "errMsg")]
    errmsg: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: u64,
    #[serde(default)]
    result: CheckResult,
    #[serde(default)]
    trace_id: String,
}

/// The content type of a JSON body.
const JSON: &str = "application/json";

/// QQ's content check answers no verdict object: `errCode` 0 passes, 87014 is risky; any other code is the
/// check's failure.
fn qq_verdict(answer: Result<ApiAnswer, ApiError>) -> Result<Verdict, ApiError> {
    match answer {
        Ok(_) => Ok(Verdict {
            suggest: Suggest::Pass,
            label: 0,
        }),
        Err(ApiError::Api { errcode: RISKY, .. }) => Ok(Verdict {
            suggest: Suggest::Risky,
            label: RISKY,
        }),
        Err(e) => Err(e),
    }
}

type HttpsConnector =
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// An app's access token and when to stop using it.
type CachedToken = Option<(String, Instant)>;

/// The HTTP(S) client for one platform's API.
#[derive(Clone)]
pub struct PlatformApi {
    platform: Platform,
    base: String,
    client: Client<HttpsConnector, Full<Bytes>>,
    /// Per app: its token, behind a lock that one fetch holds (concurrent checks wait and share it).
    tokens: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<CachedToken>>>>>,
    /// Where calls are counted by outcome.
    metrics: Metrics,
    /// The database whose instances share the tokens, when there is one.
    shared: Option<Store>,
}

/// Now, Unix seconds: a time every instance reads alike.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl PlatformApi {
    /// A client for `platform`'s API at `base` (`https://api.weixin.qq.com`, `https://api.q.qq.com`, or a
    /// simulated one in tests), counting its calls' outcomes in `metrics`.
    pub fn new(platform: Platform, base: &str, metrics: Metrics) -> PlatformApi {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        PlatformApi {
            platform,
            base: base.trim_end_matches('/').to_string(),
            client: Client::builder(TokioExecutor::new()).build(connector),
            tokens: Arc::default(),
            metrics,
            shared: None,
        }
    }

    /// Shares the access tokens with every instance on `store`'s database: a new QQ token invalidates the
    /// previous one about 5 minutes later, so instances fetching their own would invalidate each other.
    pub fn sharing_tokens(mut self, store: Store) -> PlatformApi {
        self.shared = Some(store);
        self
    }

    fn unreachable(&self, why: impl Into<String>) -> ApiError {
        ApiError::Unreachable {
            platform: self.platform,
            why: why.into(),
        }
    }

    /// Sends `request` and reads the platform's JSON answer as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<T, ApiError> {
        let response = tokio::time::timeout(API_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| self.unreachable("no answer in 10 s"))?
            .map_err(|e| self.unreachable(format!("{e}")))?;
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| self.unreachable(format!("the answer broke off: {e}")))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|_| self.unreachable("the answer is not JSON"))
    }

    /// `POST {base}{path}` with a body of `content_type`; an `errcode` other than 0 is an `Err`.
    async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<ApiAnswer, ApiError> {
        let request = hyper::Request::post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| self.unreachable("bad API URL"))?;
        self.answered(request).await
    }

    /// `GET {base}{path}`; an `errcode` other than 0 is an `Err`.
    async fn get(&self, path: &str) -> Result<ApiAnswer, ApiError> {
        let request = hyper::Request::get(format!("{}{path}", self.base))
            .body(Full::default())
            .map_err(|_| self.unreachable("bad API URL"))?;
        self.answered(request).await
    }

    async fn answered(&self, request: hyper::Request<Full<Bytes>>) -> Result<ApiAnswer, ApiError> {
        let answer: ApiAnswer = self.call(request).await?;
        if answer.errcode != 0 {
            return Err(ApiError::refused(
                self.platform,
                answer.errcode,
                answer.errmsg,
            ));
        }
        Ok(answer)
    }

    /// The app's access token: the cached one until 5 minutes before it expires, else the one the instances
    /// on this database share ([`PlatformApi::sharing_tokens`]), else a new one from WeChat's
    /// `POST /cgi-bin/stable_token` or QQ's `GET /api/getToken`, fetched by the one instance that holds the
    /// app's lease while the others wait for it. `stale` is a token the platform just called invalid: it is
    /// not used again.
    async fn access_token(
        &self,
        app_id: &str,
        secret: &str,
        stale: Option<&str>,
    ) -> Result<String, ApiError> {
        let slot = self
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(app_id.to_string())
            .or_default()
            .clone();
        let mut cached = slot.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until && stale != Some(token.as_str()) {
                return Ok(token.clone());
            }
        }
        let (token, use_for) = match &self.shared {
            Some(store) => self.shared_token(store, app_id, secret, stale).await?,
            None => self.fetch_token(app_id, secret).await?,
        };
        *cached = Some((token.clone(), Instant::now() + use_for));
        Ok(token)
    }

    /// The token the instances share: the stored one unless it is `stale` or used up, else fetched by this
    /// instance under the app's lease, or read once the instance holding it wrote its own. A database that
    /// cannot be reached does not stop a content check: the token is then fetched here.
    async fn shared_token(
        &self,
        store: &Store,
        app_id: &str,
        secret: &str,
        stale: Option<&str>,
    ) -> Result<(String, Duration), ApiError> {
        let started = Instant::now();
        loop {
            let now = unix_now();
            match store.shared_token(app_id, now).await {
                Ok(Some((token, until))) if stale != Some(token.as_str()) => {
                    return Ok((token, Duration::from_secs((until - now).max(0) as u64)));
                }
                Ok(_) => {}
                Err(_) => return self.fetch_token(app_id, secret).await,
            }
            let lease_until = now + TOKEN_LEASE.as_secs() as i64;
            // After a lease's whole length without a token, the holder is gone: fetch regardless.
            let leased = started.elapsed() >= TOKEN_LEASE
                || store
                    .take_token_lease(app_id, now, lease_until, stale.unwrap_or_default())
                    .await
                    .unwrap_or(true);
            if leased {
                let fetched = self.fetch_token(app_id, secret).await;
                let _ = match &fetched {
                    Ok((token, use_for)) => {
                        store
                            .put_token(app_id, token, now + use_for.as_secs() as i64)
                            .await
                    }
                    Err(_) => store.release_token_lease(app_id).await,
                };
                return fetched;
            }
            tokio::time::sleep(TOKEN_POLL).await;
        }
    }

    /// A new token from the platform, and how long to use it (its lifetime less 5 minutes).
    async fn fetch_token(
        &self,
        app_id: &str,
        secret: &str,
    ) -> Result<(String, Duration), ApiError> {
        let answer = match self.platform {
            Platform::Wechat => {
                let body =
                    json!({"grant_type": "client_credential", "appid": app_id, "secret": secret});
                self.post("/cgi-bin/stable_token", JSON, body.to_string().into_bytes())
                    .await?
            }
            Platform::Qq => {
                let path = format!(
                    "/api/getToken?grant_type=client_credential&appid={}&secret={}",
                    encode(app_id),
                    encode(secret)
                );
                self.get(&path).await?
            }
            Platform::Douyin => return Err(self.unreachable(NO_DOUYIN_CHECKS)),
        };
        if answer.access_token.is_empty() {
            return Err(self.unreachable("the access token answer has no access_token"));
        }
        let lifetime = Duration::from_secs(answer.expires_in).saturating_sub(TOKEN_MARGIN);
        Ok((answer.access_token, lifetime))
    }

    /// `POST {path}?access_token=…` with the app's token and a body of `content_type`; an invalid or expired
    /// token (40001, 42001) is replaced once and the call made again.
    async fn with_token(
        &self,
        app_id: &str,
        secret: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<ApiAnswer, ApiError> {
        let token = self.access_token(app_id, secret, None).await?;
        let with = |token: &str| format!("{path}?access_token={}", encode(token));
        match self.post(&with(&token), content_type, body.clone()).await {
            Err(ApiError::Api {
                errcode: INVALID_TOKEN | EXPIRED_TOKEN,
                ..
            }) => {
                let fresh = self.access_token(app_id, secret, Some(&token)).await?;
                self.post(&with(&fresh), content_type, body).await
            }
            other => other,
        }
    }

    /// The platform's verdict on `content`, a nickname written by `open_id`: WeChat's `POST /wxa/msg_sec_check`
    /// (version 2, scene 1: a profile; the user must have used the app in the last 2 hours), QQ's `POST
    /// /api/json/security/MsgSecCheck` (`87014` is risky, `0` passes). Counted as a nickname check by verdict
    /// ("error" when the platform refused or was not reached).
    pub async fn check_text(
        &self,
        app_id: &str,
        secret: &str,
        open_id: &str,
        content: &str,
    ) -> Result<Verdict, ApiError> {
        let verdict = match self.platform {
            Platform::Wechat => {
                let body = json!({"content": content, "version": 2, "scene": 1, "openid": open_id});
                self.with_token(
                    app_id,
                    secret,
                    "/wxa/msg_sec_check",
                    JSON,
                    body.to_string().into_bytes(),
                )
                .await
                .map(|answer| Verdict {
                    suggest: Suggest::parse(&answer.result.suggest),
                    label: answer.result.label,
                })
            }
            Platform::Qq => {
                let body = json!({"appid": app_id, "content": content});
                qq_verdict(
                    self.with_token(
                        app_id,
                        secret,
                        "/api/json/security/MsgSecCheck",
                        JSON,
                        body.to_string().into_bytes(),
                    )
                    .await,
                )
            }
            Platform::Douyin => Err(self.unreachable(NO_DOUYIN_CHECKS)),
        };
        let verdict = verdict.inspect_err(|_| self.metrics.content_check("nickname", "error"))?;
        self.metrics
            .content_check("nickname", verdict.suggest.label());
        Ok(verdict)
    }

    /// QQ's `POST /api/json/security/ImgSecCheck`: its verdict on the avatar `jpeg` (a stored avatar, 256 × 256,
    /// well within QQ's 750 × 1334 and 1 MB), given at once. Counted as an avatar check by verdict.
    pub async fn check_image_now(
        &self,
        app_id: &str,
        secret: &str,
        jpeg: &[u8],
    ) -> Result<Verdict, ApiError> {
        const BOUNDARY: &str = "tmsdkImgSecCheck7MA4YWxk";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"appid\"\r\n\r\n{app_id}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"avatar.jpg\"\r\n\
             Content-Type: image/jpeg\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(jpeg);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        let verdict = qq_verdict(
            self.with_token(
                app_id,
                secret,
                "/api/json/security/ImgSecCheck",
                &content_type,
                body,
            )
            .await,
        )
        .inspect_err(|_| self.metrics.content_check("avatar", "error"))?;
        self.metrics
            .content_check("avatar", verdict.suggest.label());
        Ok(verdict)
    }

    /// `POST /wxa/media_check_async` (image, version 2, scene 1): asks WeChat to check the image at
    /// `media_url`; the verdict comes later by message push, under the `trace_id` returned. A call WeChat
    /// refused is counted as an avatar check's "error".
    pub async fn check_image_async(
        &self,
        app_id: &str,
        secret: &str,
        open_id: &str,
        media_url: &str,
    ) -> Result<String, ApiError> {
        let body = json!({"media_url": media_url, "media_type": 2, "version": 2, "scene": 1, "openid": open_id});
        let answer = self
            .with_token(
                app_id,
                secret,
                "/wxa/media_check_async",
                JSON,
                body.to_string().into_bytes(),
            )
            .await
            .inspect_err(|_| self.metrics.content_check("avatar", "error"))?;
        Ok(answer.trace_id)
    }

    /// `GET /sns/jscode2session` (the same on WeChat and QQ; Douyin's own, with `anonymous_code` beside the
    /// code), retried once when the platform is busy; counted by platform and outcome.
    pub async fn code_to_session(
        &self,
        app_id: &str,
        secret: &str,
        code: &str,
        anonymous_code: &str,
    ) -> Result<Session, ApiError> {
        let session = match self.once(app_id, secret, code, anonymous_code).await {
            Err(ApiError::Busy { .. }) => self.once(app_id, secret, code, anonymous_code).await,
            other => other,
        };
        self.metrics.login_call(
            self.platform,
            match &session {
                Ok(_) => LoginOutcome::Ok,
                Err(ApiError::Unreachable { .. }) => LoginOutcome::Unreachable,
                Err(ApiError::Busy { .. }) => LoginOutcome::Busy,
                Err(ApiError::Api { .. }) => LoginOutcome::Refused,
            },
        );
        session
    }

    async fn once(
        &self,
        app_id: &str,
        secret: &str,
        code: &str,
        anonymous_code: &str,
    ) -> Result<Session, ApiError> {
        let url = match self.platform {
            Platform::Douyin => format!(
                "{}/mgplatform/api/apps/jscode2session?appid={}&secret={}&code={}&anonymous_code={}",
                self.base,
                encode(app_id),
                encode(secret),
                encode(code),
                encode(anonymous_code)
            ),
            Platform::Wechat | Platform::Qq => format!(
                "{}/sns/jscode2session?appid={}&secret={}&js_code={}&grant_type=authorization_code",
                self.base,
                encode(app_id),
                encode(secret),
                encode(code)
            ),
        };
        let request = hyper::Request::get(url)
            .body(Full::default())
            .map_err(|_| self.unreachable("bad API URL"))?;
        let answer: Answer = self.call(request).await?;
        // Douyin says a refusal with `error`, its reason in `errcode` and `errmsg` (or `message`).
        let errcode = match (answer.errcode, answer.error) {
            (0, error) => error,
            (errcode, _) => errcode,
        };
        let signed = !answer.openid.is_empty() && !answer.session_key.is_empty();
        // Only Douyin names a player without a session key: one not logged in to Douyin, by an anonymous code.
        let anonymous = self.platform == Platform::Douyin && !answer.anonymous_openid.is_empty();
        if errcode != 0 || !(signed || anonymous) {
            let errcode = if errcode == 0 { INVALID_CODE } else { errcode };
            let errmsg = if answer.errmsg.is_empty() {
                answer.message
            } else {
                answer.errmsg
            };
            return Err(ApiError::refused(self.platform, errcode, errmsg));
        }
        Ok(if signed {
            Session {
                anonymous_open_id: if answer.anonymous_openid == answer.openid {
                    String::new()
                } else {
                    answer.anonymous_openid
                },
                open_id: answer.openid,
                union_id: answer.unionid,
                session_key: answer.session_key,
            }
        } else {
            Session {
                open_id: answer.anonymous_openid,
                union_id: String::new(),
                session_key: String::new(),
                anonymous_open_id: String::new(),
            }
        })
    }
}
