//! WeChat's server API: `jscode2session` (a `wx.login` code becomes the user's openid, unionid and
//! session_key; "system busy" answers are retried once), the app's access token (`stable_token`, cached per app
//! until 5 minutes before it expires, one fetch at a time per app), and the content security checks
//! (`msg_sec_check` for a nickname, `media_check_async` for an avatar). Errors are WeChat's own codes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::metrics::{Metrics, WechatOutcome};

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
/// How long WeChat may take to answer.
const WECHAT_TIMEOUT: Duration = Duration::from_secs(10);

/// A user's session with WeChat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user's openid in the app.
    pub open_id: String,
    /// The unionid, when WeChat gives one.
    pub union_id: String,
    /// The key WeChat signs and encrypts this user's data with. Never leaves the server, never logged.
    pub session_key: String,
}

/// A refusal from WeChat, or a failure to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WechatError {
    /// WeChat could not be reached, did not answer in time, or answered something that is not its JSON.
    Unreachable(String),
    /// WeChat is busy (45011, -1).
    Busy {
        /// WeChat's errcode.
        errcode: i64,
        /// WeChat's errmsg.
        errmsg: String,
    },
    /// WeChat refused the call.
    Api {
        /// WeChat's errcode.
        errcode: i64,
        /// WeChat's errmsg.
        errmsg: String,
    },
}

impl WechatError {
    /// WeChat's refusal `errcode` (busy or not) with its `errmsg`.
    fn refused(errcode: i64, errmsg: String) -> WechatError {
        if errcode == BUSY || errcode == SYSTEM_BUSY {
            WechatError::Busy { errcode, errmsg }
        } else {
            WechatError::Api { errcode, errmsg }
        }
    }
}

impl std::fmt::Display for WechatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WechatError::Unreachable(why) => write!(f, "unreachable: {why}"),
            WechatError::Busy { errcode, errmsg } => write!(f, "busy ({errcode}): {errmsg}"),
            WechatError::Api { errcode, errmsg } => write!(f, "errcode {errcode}: {errmsg}"),
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    openid: String,
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
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
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

type HttpsConnector =
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// An app's access token and when to stop using it.
type CachedToken = Option<(String, Instant)>;

/// The HTTP(S) client for WeChat's API.
#[derive(Clone)]
pub struct Wechat {
    base: String,
    client: Client<HttpsConnector, Full<Bytes>>,
    /// Per app: its token, behind a lock that one fetch holds (concurrent checks wait and share it).
    tokens: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<CachedToken>>>>>,
    /// Where calls are counted by outcome.
    metrics: Metrics,
}

fn unreachable(what: String) -> WechatError {
    WechatError::Unreachable(what)
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

impl Wechat {
    /// A client for the API at `base` (`https://api.weixin.qq.com`, or a simulated one in tests), counting its
    /// calls' outcomes in `metrics`.
    pub fn new(base: &str, metrics: Metrics) -> Wechat {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Wechat {
            base: base.trim_end_matches('/').to_string(),
            client: Client::builder(TokioExecutor::new()).build(connector),
            tokens: Arc::default(),
            metrics,
        }
    }

    /// Sends `request` and reads WeChat's JSON answer as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<T, WechatError> {
        let response = tokio::time::timeout(WECHAT_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| unreachable("WeChat did not answer in 10 s".into()))?
            .map_err(|e| unreachable(format!("WeChat unreachable: {e}")))?;
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| unreachable(format!("WeChat's answer broke off: {e}")))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|_| unreachable("WeChat's answer is not JSON".into()))
    }

    /// `POST {base}{path}` with a JSON body; WeChat's `errcode` other than 0 is an `Err`.
    async fn post(&self, path: &str, body: &Value) -> Result<ApiAnswer, WechatError> {
        let request = hyper::Request::post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|_| unreachable("bad WeChat API URL".into()))?;
        let answer: ApiAnswer = self.call(request).await?;
        if answer.errcode != 0 {
            return Err(WechatError::refused(answer.errcode, answer.errmsg));
        }
        Ok(answer)
    }

    /// The app's access token: the cached one until 5 minutes before it expires, else a new one from
    /// `POST /cgi-bin/stable_token`. `stale` is a token WeChat just called invalid: it is not used again.
    async fn access_token(
        &self,
        app_id: &str,
        secret: &str,
        stale: Option<&str>,
    ) -> Result<String, WechatError> {
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
        let body = json!({"grant_type": "client_credential", "appid": app_id, "secret": secret});
        let answer = self.post("/cgi-bin/stable_token", &body).await?;
        if answer.access_token.is_empty() {
            return Err(unreachable(
                "WeChat's stable_token answer has no access_token".into(),
            ));
        }
        let lifetime = Duration::from_secs(answer.expires_in).saturating_sub(TOKEN_MARGIN);
        *cached = Some((answer.access_token.clone(), Instant::now() + lifetime));
        Ok(answer.access_token)
    }

    /// `POST {path}?access_token=…` with the app's token; an invalid or expired token (40001, 42001) is
    /// replaced once and the call made again.
    async fn with_token(
        &self,
        app_id: &str,
        secret: &str,
        path: &str,
        body: &Value,
    ) -> Result<ApiAnswer, WechatError> {
        let token = self.access_token(app_id, secret, None).await?;
        match self
            .post(&format!("{path}?access_token={}", encode(&token)), body)
            .await
        {
            Err(WechatError::Api {
                errcode: INVALID_TOKEN | EXPIRED_TOKEN,
                ..
            }) => {
                let fresh = self.access_token(app_id, secret, Some(&token)).await?;
                self.post(&format!("{path}?access_token={}", encode(&fresh)), body)
                    .await
            }
            other => other,
        }
    }

    /// `POST /wxa/msg_sec_check` (version 2, scene 1: a profile): WeChat's verdict on `content`, written by
    /// `open_id` (who must have used the app in the last 2 hours). Counted as a nickname check by verdict
    /// ("error" when WeChat refused or was not reached).
    pub async fn check_text(
        &self,
        app_id: &str,
        secret: &str,
        open_id: &str,
        content: &str,
    ) -> Result<Verdict, WechatError> {
        let body = json!({"content": content, "version": 2, "scene": 1, "openid": open_id});
        let answer = self
            .with_token(app_id, secret, "/wxa/msg_sec_check", &body)
            .await
            .inspect_err(|_| self.metrics.content_check("nickname", "error"))?;
        let suggest = Suggest::parse(&answer.result.suggest);
        self.metrics.content_check("nickname", suggest.label());
        Ok(Verdict {
            suggest,
            label: answer.result.label,
        })
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
    ) -> Result<String, WechatError> {
        let body = json!({"media_url": media_url, "media_type": 2, "version": 2, "scene": 1, "openid": open_id});
        let answer = self
            .with_token(app_id, secret, "/wxa/media_check_async", &body)
            .await
            .inspect_err(|_| self.metrics.content_check("avatar", "error"))?;
        Ok(answer.trace_id)
    }

    /// `GET /sns/jscode2session`, retried once when WeChat is busy; counted by outcome.
    pub async fn code_to_session(
        &self,
        app_id: &str,
        secret: &str,
        code: &str,
    ) -> Result<Session, WechatError> {
        let session = match self.once(app_id, secret, code).await {
            Err(WechatError::Busy { .. }) => self.once(app_id, secret, code).await,
            other => other,
        };
        self.metrics.wechat(match &session {
            Ok(_) => WechatOutcome::Ok,
            Err(WechatError::Unreachable(_)) => WechatOutcome::Unreachable,
            Err(WechatError::Busy { .. }) => WechatOutcome::Busy,
            Err(WechatError::Api { .. }) => WechatOutcome::Refused,
        });
        session
    }

    async fn once(&self, app_id: &str, secret: &str, code: &str) -> Result<Session, WechatError> {
        let url = format!(
            "{}/sns/jscode2session?appid={}&secret={}&js_code={}&grant_type=authorization_code",
            self.base,
            encode(app_id),
            encode(secret),
            encode(code)
        );
        let request = hyper::Request::get(url)
            .body(Full::default())
            .map_err(|_| unreachable("bad WeChat API URL".into()))?;
        let answer: Answer = self.call(request).await?;
        if answer.errcode != 0 || answer.openid.is_empty() || answer.session_key.is_empty() {
            let errcode = if answer.errcode == 0 {
                INVALID_CODE
            } else {
                answer.errcode
            };
            return Err(WechatError::refused(errcode, answer.errmsg));
        }
        Ok(Session {
            open_id: answer.openid,
            union_id: answer.unionid,
            session_key: answer.session_key,
        })
    }
}
