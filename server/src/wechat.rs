//! WeChat's `jscode2session`: a `wx.login` code becomes the user's openid, unionid and session_key. Errors are
//! WeChat's own codes; "system busy" answers are retried once.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

/// WeChat's errcode for an invalid or used code.
pub const INVALID_CODE: i64 = 40029;
/// WeChat's errcode for a high-risk user.
pub const HIGH_RISK: i64 = 40226;
/// WeChat's errcode for "too many requests".
pub const BUSY: i64 = 45011;
/// WeChat's errcode for "system busy".
pub const SYSTEM_BUSY: i64 = -1;

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
pub struct WechatError {
    /// WeChat's errcode (0 when WeChat was not reached).
    pub errcode: i64,
    /// WeChat's errmsg, or what went wrong.
    pub errmsg: String,
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

type HttpsConnector =
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// The HTTP(S) client for WeChat's API.
#[derive(Clone)]
pub struct Wechat {
    base: String,
    client: Client<HttpsConnector, Empty<Bytes>>,
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
    /// A client for the API at `base` (`https://api.weixin.qq.com`, or a simulated one in tests).
    pub fn new(base: &str) -> Wechat {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Wechat {
            base: base.trim_end_matches('/').to_string(),
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// `GET /sns/jscode2session`, retried once when WeChat is busy.
    pub async fn code_to_session(
        &self,
        app_id: &str,
        secret: &str,
        code: &str,
    ) -> Result<Session, WechatError> {
        match self.once(app_id, secret, code).await {
            Err(e) if e.errcode == BUSY || e.errcode == SYSTEM_BUSY => {
                self.once(app_id, secret, code).await
            }
            other => other,
        }
    }

    async fn once(&self, app_id: &str, secret: &str, code: &str) -> Result<Session, WechatError> {
        let url = format!(
            "{}/sns/jscode2session?appid={}&secret={}&js_code={}&grant_type=authorization_code",
            self.base,
            encode(app_id),
            encode(secret),
            encode(code)
        );
        let unreachable = |what: String| WechatError {
            errcode: 0,
            errmsg: what,
        };
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| unreachable("bad WeChat API URL".into()))?;
        let response =
            tokio::time::timeout(std::time::Duration::from_secs(10), self.client.get(uri))
                .await
                .map_err(|_| unreachable("WeChat did not answer in 10 s".into()))?
                .map_err(|e| unreachable(format!("WeChat unreachable: {e}")))?;
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| unreachable(format!("WeChat's answer broke off: {e}")))?
            .to_bytes();
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|_| unreachable("WeChat's answer is not JSON".into()))?;
        if answer.errcode != 0 || answer.openid.is_empty() || answer.session_key.is_empty() {
            return Err(WechatError {
                errcode: if answer.errcode == 0 {
                    INVALID_CODE
                } else {
                    answer.errcode
                },
                errmsg: answer.errmsg,
            });
        }
        Ok(Session {
            open_id: answer.openid,
            union_id: answer.unionid,
            session_key: answer.session_key,
        })
    }
}
