//! Reading what `wx.*` calls report (docs/contract.md, Flow, step 3): a failed call's `errMsg` and `errno`
//! classified into the typed errors (privacy, denial, tap, transport), and the replies of `wx.login` and the
//! user-info calls read by their `errMsg`.

use crate::error::{ErrorCode, Result, TmError};
use crate::host::{HostFailure, HostResult, LoginReply, UserInfoReply};

/// Whether `text` contains `needle` (non-empty): a byte search, smaller in wasm than `str::contains`, whose
/// searcher brings a panicking slice and with it Unicode formatting tables.
fn mentions(text: &str, needle: &str) -> bool {
    text.as_bytes()
        .windows(needle.len().max(1))
        .any(|w| w == needle.as_bytes())
}

/// `e` keeping what the failed host call reported: its `errMsg` and Douyin's `errNo`.
fn keep_words(mut e: TmError, failure: &HostFailure) -> TmError {
    e.err_no = failure.err_no;
    e.with_err_msg(failure.err_msg.as_str())
}

/// Reads a `wx.request` failure (`request:fail …`): `TIMEOUT` when it says timeout, else `NETWORK`.
pub(crate) fn request_failure(failure: &HostFailure) -> TmError {
    let err_msg = failure.err_msg.as_str();
    let lower = err_msg.to_ascii_lowercase();
    let e = if mentions(&lower, "timeout") || mentions(&lower, "timed out") {
        TmError::new(
            ErrorCode::Timeout,
            "The backend did not answer in time. Check the network and the backend, or raise config.timeout.",
        )
    } else {
        TmError::new(
            ErrorCode::Network,
            "The request to the backend failed before any HTTP answer. Check the network, config.server and \
             WeChat's request domain list (request合法域名).",
        )
    };
    keep_words(e, failure)
}

/// WeChat's `errno` when the player declined the game's privacy guide.
pub(crate) const ERRNO_PRIVACY_DENIED: i64 = 104;
/// WeChat's `errno` when the game's privacy guide does not declare the API.
pub(crate) const ERRNO_PRIVACY_NOT_DECLARED: i64 = 112;

/// Reads a failed `wx.*` user-info call (`errMsg`, `errno`): `PRIVACY_DENIED` / `PRIVACY_NOT_DECLARED` (WeChat's
/// privacy agreement), `AUTH_DENIED` (the user refused), `TAP_REQUIRED` (not called from a tap) or
/// `HOST_ERROR`, keeping WeChat's text.
pub(crate) fn host_failure(failure: &HostFailure) -> TmError {
    let err_msg = failure.err_msg.as_str();
    let lower = err_msg.to_ascii_lowercase();
    let e = if failure.errno == Some(ERRNO_PRIVACY_NOT_DECLARED)
        || mentions(&lower, "not declared in the privacy agreement")
    {
        TmError::new(
            ErrorCode::PrivacyNotDeclared,
            "WeChat refused user info because the game's privacy guide does not declare it. In the MP console, \
             declare user info under 设置 → 服务内容声明 → 用户隐私保护指引, publish it, and try again.",
        )
    } else if failure.errno == Some(ERRNO_PRIVACY_DENIED)
        || mentions(&lower, "privacy permission is not authorized")
    {
        TmError::new(
            ErrorCode::PrivacyDenied,
            "The player declined the game's privacy guide, so WeChat gives no user info. Let them play on, and \
             ask again later from a tap (WeChat shows its privacy popup again).",
        )
    } else if mentions(&lower, "auth deny") || mentions(&lower, "auth denied") {
        auth_denied()
    } else if mentions(&lower, "tap gesture") || mentions(&lower, "user tap") {
        TmError::new(
            ErrorCode::TapRequired,
            "WeChat only shows the profile popup from a tap: call updateUserProfile directly inside the tap \
             handler, with no await, timer or promise before it.",
        )
    } else if mentions(&lower, "not supported") {
        TmError::new(
            ErrorCode::Unsupported,
            "This WeChat does not support the call on this device or base library; errMsg has WeChat's own \
             words. Raise the game's minimum base library.",
        )
    } else {
        TmError::new(
            ErrorCode::HostError,
            "A WeChat API failed; errMsg has WeChat's own words. Check the base library version and the game's \
             privacy settings.",
        )
    };
    keep_words(e, failure)
}

/// A failed `/v1/login` request: a transport failure (`NETWORK`, `TIMEOUT`) keeps its code, saying it happened
/// while logging in (a player offline at first launch is not a refused login); anything else is
/// `LOGIN_FAILED`.
pub(crate) fn login_request_failed(cause: TmError) -> TmError {
    match cause.code {
        ErrorCode::Network | ErrorCode::Timeout => TmError {
            message: format!("While logging in: {}", cause.message),
            ..cause
        },
        _ => login_failed(&cause),
    }
}

/// `getUserInfo:fail scope unauthorized`: on the `getSetting` path, fall through to the button.
pub(crate) fn is_scope_unauthorized(err_msg: &str) -> bool {
    mentions(&err_msg.to_ascii_lowercase(), "scope unauthorized")
}

/// Whether a host result's `errMsg` is a success (`"getUserInfo:ok"`); a missing `errMsg` counts as one.
pub(crate) fn is_ok_message(err_msg: Option<&str>) -> bool {
    err_msg.is_none_or(|m| m.ends_with(":ok"))
}

/// `AUTH_DENIED`: the player refused the popup, the prompt, or (Douyin) its login dialog.
fn auth_denied() -> TmError {
    TmError::new(
        ErrorCode::AuthDenied,
        "The user refused to share their profile. Let them play on, and ask again later from a tap.",
    )
}

/// Reads a user-info outcome (`getUserProfile`, `getUserInfo`, a button tap): a failure, or a success
/// object whose `errMsg` is not `…:ok`, becomes the typed error of [`host_failure`].
pub(crate) fn read_user_info(outcome: HostResult<UserInfoReply>) -> Result<UserInfoReply> {
    let reply = outcome.map_err(|f| host_failure(&f))?;
    if !is_ok_message(reply.err_msg.as_deref()) {
        return Err(host_failure(&HostFailure {
            err_msg: reply.err_msg.unwrap_or_default(),
            errno: reply.errno,
            err_no: None,
        }));
    }
    Ok(reply)
}

/// Reads a `wx.login` outcome: its codes, `code` non-empty — or, unless `code` is required, only Douyin's
/// anonymous code (a player not logged in to Douyin) — else `LOGIN_FAILED`.
pub(crate) fn read_login(outcome: HostResult<LoginReply>, code: bool) -> Result<LoginReply> {
    let reply = outcome.map_err(|f| login_failed(&host_failure(&f)))?;
    if reply.code.is_empty() && (code || reply.anonymous_code.is_empty()) {
        return Err(login_failed(
            &TmError::new(ErrorCode::HostError, "wx.login gave no code.")
                .with_err_msg(reply.err_msg.unwrap_or_default()),
        ));
    }
    Ok(reply)
}

/// Douyin's errNo when the player cancels its login dialog ("login:fail host login fail").
pub(crate) const ERR_NO_LOGIN_CANCELLED: i64 = 113_001;

/// Reads Douyin's login dialog (`tt.login({ force: true })`): the player cancelling it is `AUTH_DENIED` with
/// Douyin's words; any other failure, or a login still without a `code`, is `LOGIN_FAILED`.
pub(crate) fn read_login_dialog(outcome: HostResult<LoginReply>) -> Result<LoginReply> {
    if let Err(f) = &outcome {
        if f.err_no == Some(ERR_NO_LOGIN_CANCELLED)
            || mentions(&f.err_msg.to_ascii_lowercase(), "host login fail")
        {
            return Err(keep_words(auth_denied(), f));
        }
    }
    read_login(outcome, true)
}

/// `LOGIN_FAILED` for a failed `wx.login` or `/v1/login`, keeping the cause's details; the backend briefly
/// unavailable (HTTP 503) keeps its code, `SERVER`.
pub(crate) fn login_failed(cause: &TmError) -> TmError {
    // The backend briefly unavailable (HTTP 503) did not refuse the login: its code, SERVER, stays.
    let code = if cause.status == Some(503) {
        cause.code
    } else {
        ErrorCode::LoginFailed
    };
    let mut e = TmError::new(
        code,
        format!(
            "Silent login failed ({}: {}). Check config.server and the backend's /v1/login; the user can try again.",
            cause.code, cause.message
        ),
    );
    e.err_msg = cause.err_msg.clone();
    e.err_no = cause.err_no;
    e.status = cause.status;
    e.server_err = cause.server_err;
    e.field = cause.field.clone();
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_the_host_does_not_support_is_unsupported() {
        let e = host_failure(&HostFailure::new(
            "createUserInfoButton:fail not supported (the host returned no button)",
        ));
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert!(e.message.contains("minimum base library"));
        assert_eq!(
            e.err_msg.as_deref(),
            Some("createUserInfoButton:fail not supported (the host returned no button)")
        );
        // Without the words, the same failure is the host's error.
        assert_eq!(
            host_failure(&HostFailure::new("createUserInfoButton:fail")).code,
            ErrorCode::HostError
        );
    }

    #[test]
    fn user_info_and_login_replies_are_read_by_their_errmsg() {
        let ok = UserInfoReply {
            err_msg: Some("getUserInfo:ok".into()),
            ..UserInfoReply::default()
        };
        assert!(read_user_info(Ok(ok)).is_ok());
        let denied = UserInfoReply {
            err_msg: Some("getUserInfo:fail auth deny".into()),
            ..UserInfoReply::default()
        };
        assert_eq!(
            read_user_info(Ok(denied)).unwrap_err().code,
            ErrorCode::AuthDenied
        );
        assert_eq!(
            read_user_info(Err(HostFailure::new("getUserProfile:fail auth deny")))
                .unwrap_err()
                .code,
            ErrorCode::AuthDenied
        );
        let codes = |code: &str, anonymous_code: &str| LoginReply {
            code: code.into(),
            anonymous_code: anonymous_code.into(),
            ..LoginReply::default()
        };
        assert_eq!(
            read_login(
                Ok(LoginReply {
                    code: "c".into(),
                    ..LoginReply::default()
                }),
                true
            ),
            Ok(codes("c", ""))
        );
        // Douyin: a player not logged in to Douyin has only an anonymous code.
        assert_eq!(
            read_login(
                Ok(LoginReply {
                    anonymous_code: "a".into(),
                    ..LoginReply::default()
                }),
                false
            ),
            Ok(codes("", "a"))
        );
        for reply in [
            Ok(LoginReply {
                code: String::new(),
                ..LoginReply::default()
            }),
            Ok(LoginReply {
                err_msg: Some("login:ok".into()),
                ..LoginReply::default()
            }),
            Err(HostFailure::new("login:fail network")),
        ] {
            assert_eq!(
                read_login(reply, false).unwrap_err().code,
                ErrorCode::LoginFailed
            );
        }
    }

    #[test]
    fn douyins_login_dialog_cancelled_is_a_refusal_and_any_other_failure_a_failed_login() {
        let cancelled = HostFailure {
            err_msg: "login:fail host login fail".into(),
            err_no: Some(ERR_NO_LOGIN_CANCELLED),
            ..HostFailure::default()
        };
        let e = read_login_dialog(Err(cancelled)).unwrap_err();
        assert_eq!(e.code, ErrorCode::AuthDenied);
        assert_eq!(
            (e.err_msg.as_deref(), e.err_no),
            (Some("login:fail host login fail"), Some(113_001))
        );
        // By its words alone, or by its number alone.
        assert_eq!(
            read_login_dialog(Err(HostFailure::new("login:fail host login fail")))
                .unwrap_err()
                .code,
            ErrorCode::AuthDenied
        );
        let by_number = HostFailure {
            err_no: Some(ERR_NO_LOGIN_CANCELLED),
            ..HostFailure::new("login:fail")
        };
        assert_eq!(
            read_login_dialog(Err(by_number)).unwrap_err().code,
            ErrorCode::AuthDenied
        );
        let other = HostFailure {
            err_no: Some(113_094),
            ..HostFailure::new("login:fail app in background")
        };
        let e = read_login_dialog(Err(other)).unwrap_err();
        assert_eq!((e.code, e.err_no), (ErrorCode::LoginFailed, Some(113_094)));
        // A silent login never shows the dialog: its failure is a failed login, whatever it says.
        assert_eq!(
            read_login(Err(HostFailure::new("login:fail host login fail")), false)
                .unwrap_err()
                .code,
            ErrorCode::LoginFailed
        );
        // A dialog that still gives only the anonymous code gave no login.
        let anonymous = LoginReply {
            anonymous_code: "a".into(),
            ..LoginReply::default()
        };
        assert_eq!(
            read_login_dialog(Ok(anonymous)).unwrap_err().code,
            ErrorCode::LoginFailed
        );
    }

    #[test]
    fn request_failures_tell_timeout_from_network() {
        assert_eq!(
            request_failure(&HostFailure::new("request:fail timeout")).code,
            ErrorCode::Timeout
        );
        assert_eq!(
            request_failure(&HostFailure::new("request:fail socket time out timed out")).code,
            ErrorCode::Timeout
        );
        let e = request_failure(&HostFailure::new("request:fail url not in domain list"));
        assert_eq!(e.code, ErrorCode::Network);
        assert_eq!(
            e.err_msg.as_deref(),
            Some("request:fail url not in domain list")
        );
    }

    #[test]
    fn host_messages_are_classified_and_kept() {
        let code = |m: &str| {
            let e = host_failure(&HostFailure::new(m));
            assert_eq!(e.err_msg.as_deref(), Some(m));
            e.code
        };
        assert_eq!(code("getUserProfile:fail auth deny"), ErrorCode::AuthDenied);
        assert_eq!(code("getUserInfo:fail auth denied"), ErrorCode::AuthDenied);
        assert_eq!(
            code("getUserProfile:fail can only be invoked by user TAP gesture"),
            ErrorCode::TapRequired
        );
        assert_eq!(
            code("getUserProfile:fail desc length does not meet the requirements"),
            ErrorCode::HostError
        );
        assert_eq!(
            code("getUserInfo:fail game appid no privacy api permission"),
            ErrorCode::HostError
        );
        assert!(is_scope_unauthorized("getUserInfo:fail scope unauthorized"));
        assert!(!is_scope_unauthorized("getUserInfo:fail auth deny"));
    }

    #[test]
    fn privacy_failures_are_told_apart_by_errmsg_or_errno() {
        let by_message = |m: &str| host_failure(&HostFailure::new(m)).code;
        assert_eq!(
            by_message("getUserProfile:fail privacy permission is not authorized"),
            ErrorCode::PrivacyDenied
        );
        assert_eq!(
            by_message("getUserInfo:fail api scope is not declared in the privacy agreement"),
            ErrorCode::PrivacyNotDeclared
        );
        let by_errno = |errno| {
            host_failure(&HostFailure {
                err_msg: "getUserInfo:fail".into(),
                errno: Some(errno),
                err_no: None,
            })
        };
        assert_eq!(by_errno(104).code, ErrorCode::PrivacyDenied);
        let e = by_errno(112);
        assert_eq!(e.code, ErrorCode::PrivacyNotDeclared);
        assert!(e.message.contains("用户隐私保护指引"), "{}", e.message);
        assert_eq!(e.err_msg.as_deref(), Some("getUserInfo:fail"));
        assert_eq!(by_errno(1).code, ErrorCode::HostError);
        // A tap result reports the failure in the reply itself.
        let tapped = UserInfoReply {
            err_msg: Some("getUserInfo:fail".into()),
            errno: Some(104),
            ..UserInfoReply::default()
        };
        assert_eq!(
            read_user_info(Ok(tapped)).unwrap_err().code,
            ErrorCode::PrivacyDenied
        );
    }

    #[test]
    fn a_transport_failure_while_logging_in_keeps_its_code() {
        let e = login_request_failed(request_failure(&HostFailure::new("request:fail timeout")));
        assert_eq!(e.code, ErrorCode::Timeout);
        assert!(e.message.starts_with("While logging in"), "{}", e.message);
        let e = login_request_failed(request_failure(&HostFailure::new(
            "request:fail net::ERR_INTERNET_DISCONNECTED",
        )));
        assert_eq!(e.code, ErrorCode::Network);
        let refused = TmError::new(ErrorCode::Server, "refused").with_server_err(40029);
        let e = login_request_failed(refused);
        assert_eq!(
            (e.code, e.server_err),
            (ErrorCode::LoginFailed, Some(40029))
        );
    }

    #[test]
    fn ok_messages() {
        assert!(is_ok_message(Some("getUserInfo:ok")));
        assert!(is_ok_message(None));
        assert!(!is_ok_message(Some("getUserInfo:fail auth deny")));
    }

    #[test]
    fn login_failures_keep_the_cause() {
        let cause = request_failure(&HostFailure::new("request:fail timeout"));
        let e = login_failed(&cause);
        assert_eq!(e.code, ErrorCode::LoginFailed);
        assert_eq!(e.err_msg.as_deref(), Some("request:fail timeout"));
        assert!(e.message.contains("TIMEOUT"), "{}", e.message);
    }
}
