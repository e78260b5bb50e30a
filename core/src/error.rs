//! The error taxonomy (docs/contract.md, Errors): one enum of stable codes and one error value that carries
//! what a caller needs to act (WeChat's `errMsg`, the HTTP status, the server's `err`, the offending field).
//! Pure Rust: the binding layer turns a [`TmError`] into a JS `TmSdkError`.

use std::fmt;

use serde::{Serialize, Serializer};

/// Result alias used by every fallible function of the core.
pub type Result<T> = std::result::Result<T, TmError>;

/// The stable error codes. Their string forms (see [`ErrorCode::as_str`]) are public API and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `install(config)` got a config it cannot use.
    InvalidConfig,
    /// `updateUserProfile(options)` got options it cannot use.
    InvalidOptions,
    /// The no-login build (`noLogin: true`) cannot log in or fetch a profile.
    NoLoginSdk,
    /// The host offers no way to ask for user info.
    Unsupported,
    /// The user refused the authorisation popup.
    AuthDenied,
    /// The player declined the game's privacy guide (WeChat's errno 104).
    PrivacyDenied,
    /// The game's privacy guide does not declare user info (WeChat's errno 112).
    PrivacyNotDeclared,
    /// WeChat refused `getUserProfile` because it was not called inside a tap handler.
    TapRequired,
    /// Any other failure reported by a host (`wx.*`) API.
    HostError,
    /// `wx.login` failed or the backend refused the login.
    LoginFailed,
    /// The request never got an HTTP answer.
    Network,
    /// The request timed out.
    Timeout,
    /// The backend answered with a non-2xx HTTP status.
    Http,
    /// The backend answered with an envelope whose `err` is not 0.
    Server,
    /// The backend's profile (or a cached one) breaks the profile rules.
    InvalidProfile,
    /// WeChat's content check refused what the player filled in (the nickname or the avatar; `err` 87014).
    ContentRisky,
    /// The avatar the player chose is not an accepted image, is too large, or is not theirs.
    InvalidAvatar,
    /// A bug in tmsdk-profile itself (including a Rust panic).
    Internal,
}

impl ErrorCode {
    /// Every code, in the documented order.
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::InvalidConfig,
        ErrorCode::InvalidOptions,
        ErrorCode::NoLoginSdk,
        ErrorCode::Unsupported,
        ErrorCode::AuthDenied,
        ErrorCode::PrivacyDenied,
        ErrorCode::PrivacyNotDeclared,
        ErrorCode::TapRequired,
        ErrorCode::HostError,
        ErrorCode::LoginFailed,
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::Http,
        ErrorCode::Server,
        ErrorCode::InvalidProfile,
        ErrorCode::ContentRisky,
        ErrorCode::InvalidAvatar,
        ErrorCode::Internal,
    ];

    /// The stable string that JS sees as `error.code`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::InvalidOptions => "INVALID_OPTIONS",
            ErrorCode::NoLoginSdk => "NO_LOGIN_SDK",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::AuthDenied => "AUTH_DENIED",
            ErrorCode::PrivacyDenied => "PRIVACY_DENIED",
            ErrorCode::PrivacyNotDeclared => "PRIVACY_NOT_DECLARED",
            ErrorCode::TapRequired => "TAP_REQUIRED",
            ErrorCode::HostError => "HOST_ERROR",
            ErrorCode::LoginFailed => "LOGIN_FAILED",
            ErrorCode::Network => "NETWORK",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Http => "HTTP",
            ErrorCode::Server => "SERVER",
            ErrorCode::InvalidProfile => "INVALID_PROFILE",
            ErrorCode::ContentRisky => "CONTENT_RISKY",
            ErrorCode::InvalidAvatar => "INVALID_AVATAR",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The code for a stable string, if it is one.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failure of the SDK: a code, a message that says what to do, and the details that apply. Serialised,
/// it is the properties of the JS `TmSdkError` (camelCase; details that do not apply are left out); the
/// cached profile a failed call left intact travels beside it (`Failure`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TmError {
    /// The stable code.
    pub code: ErrorCode,
    /// English, one or two sentences, ending with what the caller can do about it.
    pub message: String,
    /// The config key, option key or profile field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// WeChat's own `errMsg`, kept verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub err_msg: Option<String>,
    /// Douyin's `errNo` beside its `errMsg`, kept as it came.
    #[serde(rename = "errNo", skip_serializing_if = "Option::is_none")]
    pub err_no: Option<i64>,
    /// The HTTP status of the backend's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The backend envelope's `err`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_err: Option<i64>,
}

impl TmError {
    /// An error with only a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        TmError {
            code,
            message: message.into(),
            field: None,
            err_msg: None,
            err_no: None,
            status: None,
            server_err: None,
        }
    }

    /// `INVALID_CONFIG` for `install`'s config key `field`.
    pub fn invalid_config(field: &str, problem: &str) -> Self {
        TmError::new(
            ErrorCode::InvalidConfig,
            format!(
                "install(): config.{field} {problem}. Fix config.{field} and call install() again."
            ),
        )
        .with_field(field)
    }

    /// `INVALID_OPTIONS` for `fillUserProfile`'s option key `field`.
    pub fn invalid_fill_options(field: &str, problem: &str) -> Self {
        TmError::new(
            ErrorCode::InvalidOptions,
            format!("fillUserProfile(): options.{field} {problem}. Fix the option and call again."),
        )
        .with_field(field)
    }

    /// `INVALID_OPTIONS` for `updateUserProfile`'s option key `field`.
    pub fn invalid_options(field: &str, problem: &str) -> Self {
        TmError::new(
            ErrorCode::InvalidOptions,
            format!(
                "updateUserProfile(): options.{field} {problem}. Fix the option and call again."
            ),
        )
        .with_field(field)
    }

    /// `INVALID_PROFILE` naming the profile field at fault (or `None` for the whole body).
    pub fn invalid_profile(field: Option<&str>, problem: &str) -> Self {
        let subject = match field {
            Some(f) => format!("the profile's {f}"),
            None => "the profile".to_string(),
        };
        let mut e = TmError::new(
            ErrorCode::InvalidProfile,
            format!(
                "The backend sent an unusable profile: {subject} {problem}. \
                 Fix the backend's /v1/profile or /v1/login answer (see the wire protocol in docs/contract.md)."
            ),
        );
        e.field = field.map(str::to_string);
        e
    }

    /// Sets the field at fault.
    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    /// Keeps WeChat's `errMsg`.
    pub fn with_err_msg(mut self, err_msg: impl Into<String>) -> Self {
        self.err_msg = Some(err_msg.into());
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the backend's `err`.
    pub fn with_server_err(mut self, server_err: i64) -> Self {
        self.server_err = Some(server_err);
        self
    }
}

impl fmt::Display for TmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for TmError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_contracts_strings_in_order() {
        let contract = include_str!("../../docs/contract.md").replace('\n', " ");
        let listed = contract
            .split("Codes, in order: `")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .expect("docs/contract.md lists the codes");
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            all.join(" "),
            listed.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
    }

    #[test]
    fn every_code_round_trips_through_its_string() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("invalid_config"), None);
        assert_eq!(ErrorCode::parse(""), None);
    }

    #[test]
    fn invalid_config_names_the_key_and_says_what_to_do() {
        let e = TmError::invalid_config("server", "must be an http(s) URL");
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        assert_eq!(e.field.as_deref(), Some("server"));
        assert!(e.message.contains("config.server"), "{}", e.message);
        assert!(e.message.contains("Fix"), "{}", e.message);
    }

    #[test]
    fn invalid_profile_without_a_field_speaks_of_the_whole_profile() {
        let e = TmError::invalid_profile(None, "is not a JSON object");
        assert_eq!(e.field, None);
        assert!(
            e.message.contains("the profile is not a JSON object"),
            "{}",
            e.message
        );
    }

    #[test]
    fn builders_set_details() {
        let e = TmError::new(ErrorCode::Server, "x")
            .with_server_err(42)
            .with_status(200)
            .with_err_msg("request:ok");
        assert_eq!((e.server_err, e.status), (Some(42), Some(200)));
        assert_eq!(e.err_msg.as_deref(), Some("request:ok"));
        assert_eq!(e.to_string(), "SERVER: x");
    }
}
