//! Why a request is refused: [`Refusal`], the handlers' one error type, answering the envelope
//! `{ err, msg, data }` the SDK reads with an HTTP status; the `err` codes of this server's own refusals; and the
//! refusals a database failure or WeChat's answer become.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tmsdk_core::Envelope;
use tracing::error;

use crate::platform_api::ApiError;

/// `err` codes of refusals (beside WeChat's own, passed through).
pub mod err {
    /// The body is not JSON of the expected shape.
    pub const BAD_REQUEST: i64 = 400;
    /// No route serves the path.
    pub const NOT_FOUND: i64 = 404;
    /// The route does not take the method.
    pub const METHOD_NOT_ALLOWED: i64 = 405;
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
    /// An anonymous Douyin session (no session key) asked for verified user info.
    pub const ANONYMOUS_SESSION: i64 = 41007;
    /// The platform's API (WeChat's, QQ's) could not be reached.
    pub const PLATFORM_UNREACHABLE: i64 = 502;
    /// The database failed.
    pub const STORE: i64 = 500;
    /// The database could not be reached for now (HTTP 503, with `Retry-After`).
    pub const STORE_UNAVAILABLE: i64 = 503;
    /// The request was not answered within the request timeout (HTTP 408).
    pub const REQUEST_TIMEOUT: i64 = 408;
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

/// Why a request is refused: its HTTP status and the envelope's `err` and `msg`. It answers itself.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    err: i64,
    msg: String,
    /// Seconds until a refused client may ask again (`Retry-After`).
    retry_after: Option<u64>,
}

impl Refusal {
    /// A refusal with an HTTP status of its own.
    pub fn new(status: StatusCode, err: i64, msg: impl Into<String>) -> Refusal {
        Refusal {
            status,
            err,
            msg: msg.into(),
            retry_after: None,
        }
    }

    /// A refusal the SDK reads from the envelope (HTTP 200, `err != 0`).
    pub fn with_err(err: i64, msg: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::OK, err, msg)
    }

    /// HTTP 400: the request's shape is wrong (`msg` says how).
    pub fn bad_request(msg: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::BAD_REQUEST, err::BAD_REQUEST, msg)
    }

    /// HTTP 401: no session, or not one of this server's.
    pub fn unauthorized() -> Refusal {
        Refusal::new(
            StatusCode::UNAUTHORIZED,
            err::UNAUTHORIZED,
            "the session expired; log in again.",
        )
    }

    /// HTTP 429: over a rate limit, with the seconds to wait (also as `Retry-After`).
    pub fn too_many(wait_secs: u64) -> Refusal {
        Refusal {
            retry_after: Some(wait_secs),
            ..Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                err::TOO_MANY,
                format!("too many requests; try again in {wait_secs} s."),
            )
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(Envelope::<()>::refusal(self.err, &self.msg)),
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        response
    }
}

/// Seconds a client is asked to wait (`Retry-After`) when the database cannot be reached.
pub const STORE_RETRY_AFTER_SECS: u64 = 5;

/// A database that could not be reached: HTTP 503, `Retry-After`, not logged here (the store logs the outage
/// once, when it ends). Any other database failure: logged (never with the query's values), answered 500. The
/// store counted it either way.
impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Refusal {
        if crate::store::unavailable(&e) {
            return Refusal {
                retry_after: Some(STORE_RETRY_AFTER_SECS),
                ..Refusal::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    err::STORE_UNAVAILABLE,
                    format!(
                        "the server's database is unavailable for a moment; try again in \
                         {STORE_RETRY_AFTER_SECS} s."
                    ),
                )
            };
        }
        error!(event = "store", error = %e, "the database failed");
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            err::STORE,
            "the server's database failed; try again later.",
        )
    }
}

/// The platform (WeChat, QQ) unreachable → HTTP 502; busy → its code, "try again later"; any other refusal →
/// its own code and message, in the envelope. The messages name the platform.
impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Refusal {
        match e {
            ApiError::Unreachable { platform, why } => {
                let platform = platform.name();
                error!(event = "platform", platform, error = %why, "the platform's API could not be reached");
                Refusal::new(
                    StatusCode::BAD_GATEWAY,
                    err::PLATFORM_UNREACHABLE,
                    format!("{platform} could not be reached; try again later."),
                )
            }
            ApiError::Busy {
                platform, errcode, ..
            } => Refusal::with_err(
                errcode,
                format!("{} is busy; try again later.", platform.name()),
            ),
            ApiError::Api { errcode, errmsg } => Refusal::with_err(errcode, errmsg),
        }
    }
}
