//! Reading the backend's answers (docs/contract.md, Wire protocol): the HTTP status first (WeChat lands every
//! status in `success`), then the envelope and the profile rules; the avatar upload's answer; a refusal of
//! the fill-in in the player's terms.

use crate::error::{ErrorCode, Result, TmError};
use crate::json;
use crate::profile::{unusable, Profile, MAX_BODY_BYTES};
use crate::wire::{
    AvatarAnswer, Envelope, ERR_AVATAR_NOT_IMAGE, ERR_AVATAR_NOT_OWNED, ERR_AVATAR_TOO_LARGE,
    ERR_CONTENT_RISKY, UNAUTHORIZED,
};

/// How one backend answer reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// A valid profile.
    Profile(Box<Profile>),
    /// `{ err: 0 }` where no profile is answered (the erasure).
    Done,
    /// HTTP 401 or `err == 401`: the session is gone; log in again and retry once. The error is what to
    /// report if the retry is unauthorised too.
    Unauthorized(TmError),
    /// Any other failure.
    Failed(TmError),
}

/// Which request an answer is for: the hint of an HTTP 401 depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `POST /v1/login`.
    Login,
    /// `POST /v1/profile`, first attempt.
    Profile,
    /// `POST /v1/profile` again, after a 401 and a new login.
    ProfileRetry,
    /// `POST /v1/avatar` (an upload) or `POST /v1/profile/fill`, first attempt.
    Fill,
    /// The same again, after a 401 and a new login.
    FillRetry,
    /// `POST /v1/events`, first attempt.
    Events,
    /// `POST /v1/events` again, after a 401 and a new login.
    EventsRetry,
    /// `DELETE /v1/profile`, first attempt.
    Erase,
    /// `DELETE /v1/profile` again, after a 401 and a new login.
    EraseRetry,
}

/// Reads a backend answer: HTTP status first (any status lands in `success` in WeChat), then the envelope
/// and the profile rules.
pub(crate) fn read_answer(status: u16, body: &str, app_id: &str, endpoint: Endpoint) -> Answer {
    if status == UNAUTHORIZED as u16 {
        return Answer::Unauthorized(http_error(status, endpoint));
    }
    if !(200..300).contains(&status) {
        return Answer::Failed(http_error(status, endpoint));
    }
    match parse_boxed(body, app_id) {
        Ok(p) => Answer::Profile(p),
        Err(e) if e.code == ErrorCode::Server && e.server_err == Some(UNAUTHORIZED) => {
            Answer::Unauthorized(e)
        }
        Err(e) => Answer::Failed(e),
    }
}

/// Reads an answer that carries no profile (`DELETE /v1/profile`): the HTTP status, then `{ err: 0 }`.
pub(crate) fn read_done(status: u16, body: &str, endpoint: Endpoint) -> Answer {
    if status == UNAUTHORIZED as u16 {
        return Answer::Unauthorized(http_error(status, endpoint));
    }
    if !(200..300).contains(&status) {
        return Answer::Failed(http_error(status, endpoint));
    }
    // The profile answers' reader, whatever `data` holds: one reader of the envelope in the wasm.
    let Ok((envelope, _)) = json::from_str_lenient::<Envelope<Box<Profile>>>(body, true) else {
        return Answer::Failed(TmError::new(
            ErrorCode::Server,
            "The backend's answer is not the { err, msg } envelope. Check config.server and the backend's routes.",
        ));
    };
    match envelope.refused() {
        Some(e) if e.server_err == Some(UNAUTHORIZED) => Answer::Unauthorized(e),
        Some(e) => Answer::Failed(e),
        None if envelope.err.is_none() => Answer::Failed(TmError::new(
            ErrorCode::Server,
            "The backend's answer has no err: it must be { err: 0 } once done. Check the backend's routes.",
        )),
        None => Answer::Done,
    }
}

fn http_error(status: u16, endpoint: Endpoint) -> TmError {
    let hint = match (status, endpoint) {
        (401, Endpoint::Login) => {
            "it refused the login; check the backend's /v1/login and the game's appId"
        }
        (401, Endpoint::Profile | Endpoint::Fill | Endpoint::Events | Endpoint::Erase) => {
            "it refused the session token; the SDK logs in again and retries once"
        }
        (
            401,
            Endpoint::ProfileRetry
            | Endpoint::FillRetry
            | Endpoint::EventsRetry
            | Endpoint::EraseRetry,
        ) => "the session was refused twice; check the backend's /v1/login and token checks",
        (404, _) => "check config.server: the backend has no such route",
        (503, _) => "it is briefly unavailable; try again soon",
        (500..=599, _) => "the backend failed; check its logs",
        _ => "check the backend and config.server",
    };
    // A 503 is the server's own answer that it cannot serve for a moment (its database is away), not a
    // failure of the HTTP exchange.
    let code = if status == 503 {
        ErrorCode::Server
    } else {
        ErrorCode::Http
    };
    TmError::new(code, format!("The backend answered HTTP {status}: {hint}.")).with_status(status)
}

/// How the avatar upload's answer reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Uploaded {
    /// The stored avatar's URL.
    Url(String),
    /// HTTP 401 or `err == 401`: log in again and upload once more.
    Unauthorized(TmError),
    /// Any other failure.
    Failed(TmError),
}

/// Reads the answer of `POST /v1/avatar` (`wx.uploadFile`'s `statusCode` and `data`): `{ avatar_url }` in the
/// envelope. HTTP 413 and the image refusals are `INVALID_AVATAR`.
pub(crate) fn read_upload(status: u16, body: &str, endpoint: Endpoint) -> Uploaded {
    if status == UNAUTHORIZED as u16 {
        return Uploaded::Unauthorized(http_error(status, endpoint));
    }
    if status == 413 {
        let e = TmError::new(ErrorCode::InvalidAvatar, AVATAR_REFUSED)
            .with_server_err(ERR_AVATAR_TOO_LARGE)
            .with_status(status);
        return Uploaded::Failed(e);
    }
    if !(200..300).contains(&status) {
        return Uploaded::Failed(http_error(status, endpoint));
    }
    let envelope = match json::from_str::<Envelope<AvatarAnswer>>(body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return Uploaded::Failed(TmError::new(
                ErrorCode::Server,
                "The backend's answer to the avatar upload is not { err, msg, data: { avatar_url } }. Check \
             config.server and the backend's /v1/avatar.",
            ))
        }
    };
    if let Some(refused) = envelope.refused() {
        return if refused.server_err == Some(UNAUTHORIZED) {
            Uploaded::Unauthorized(refused)
        } else {
            Uploaded::Failed(fill_refusal(refused))
        };
    }
    match envelope.data {
        Some(AvatarAnswer { avatar_url })
            if avatar_url.starts_with("https://") || avatar_url.starts_with("http://") =>
        {
            Uploaded::Url(avatar_url)
        }
        _ => Uploaded::Failed(TmError::new(
            ErrorCode::Server,
            "The backend's answer to the avatar upload has no http(s) avatar_url. Check the backend's /v1/avatar.",
        )),
    }
}

/// What an avatar the backend refused as an image (not one, or too large) reads as.
const AVATAR_REFUSED: &str =
    "The avatar is not a PNG, JPEG or WebP image of at most 2 MiB and 4096 × 4096 \
                              pixels; nothing was saved. Ask the player to choose another one.";

/// A refusal of the fill-in in the player's terms: WeChat's content check (`err` 87014) is
/// `CONTENT_RISKY`, an avatar the backend refused (41010 not an image, 41011 too large, 41012 not this
/// player's) is `INVALID_AVATAR`; `serverErr`, `errMsg` and `status` are kept. Any other error is unchanged.
pub(crate) fn fill_refusal(e: TmError) -> TmError {
    let (code, message) = match e.server_err {
        Some(ERR_CONTENT_RISKY) => (
            ErrorCode::ContentRisky,
            "WeChat's content check refused what the player filled in; nothing was saved. Ask the player for \
             another nickname or avatar.",
        ),
        Some(ERR_AVATAR_NOT_IMAGE | ERR_AVATAR_TOO_LARGE) => (ErrorCode::InvalidAvatar, AVATAR_REFUSED),
        Some(ERR_AVATAR_NOT_OWNED) => (
            ErrorCode::InvalidAvatar,
            "The backend did not take the avatar as this player's upload; nothing was saved. Upload it again.",
        ),
        _ => return e,
    };
    TmError {
        code,
        message: message.to_string(),
        ..e
    }
}

/// An answer with `err: 0` and no profile where one was expected.
pub(crate) fn missing_data() -> TmError {
    TmError::invalid_profile(Some("data"), "is missing from the envelope")
}

/// Checks that a login answer carries a session token.
pub(crate) fn require_session(profile: Profile) -> Result<Profile> {
    if profile.jwt.is_empty() {
        return Err(TmError::invalid_profile(
            Some("jwt"),
            "is empty in the /v1/login answer; the backend must return a session token",
        ));
    }
    Ok(profile)
}

/// `parseProfile(body, appId)` of the public API: [`parse_body`], after checking that both arguments are
/// strings (`INVALID_OPTIONS` naming the one that is not).
pub fn parse_text(body: Option<&str>, app_id: Option<&str>) -> Result<Profile> {
    let argument = |name: &str| {
        TmError::new(
            ErrorCode::InvalidOptions,
            format!(
                "parseProfile(body, appId): {name} must be a string{}. Pass the backend answer (text or parsed) and the game's appId.",
                if name == "body" { " or an object" } else { "" }
            ),
        )
        .with_field(name)
    };
    let body = body.ok_or_else(|| argument("body"))?;
    let app_id = app_id.ok_or_else(|| argument("appId"))?;
    parse_body(body, app_id)
}

/// Parses a backend answer body: size cap, JSON, the SkyRiver envelope `{err, msg, data}` (or a bare
/// profile), then the profile rules and the app. An envelope with `err != 0` is a `SERVER` error carrying
/// `err` and `msg`, whatever its `data`.
pub fn parse_body(body: &str, app_id: &str) -> Result<Profile> {
    parse_boxed(body, app_id).map(|p| *p)
}

/// [`parse_body`], the profile boxed: it is read into its box and never moved again (a profile is some
/// 400 bytes, and each move is a copy).
pub(crate) fn parse_boxed(body: &str, app_id: &str) -> Result<Box<Profile>> {
    if body.len() > MAX_BODY_BYTES {
        return Err(TmError::invalid_profile(
            None,
            &format!(
                "body has {} bytes; the limit is {MAX_BODY_BYTES}",
                body.len()
            ),
        ));
    }
    // Read leniently: a profile that breaks a rule still leaves the envelope's err and msg to read, and a
    // refusal is told first.
    let (envelope, broken) =
        json::from_str_lenient::<Envelope<Box<Profile>>>(body, true).map_err(|e| unusable(&e))?;
    if let Some(e) = broken.as_ref().filter(|e| e.field() == Some("err")) {
        return Err(unusable(e));
    }
    if let Some(refused) = envelope.refused() {
        return Err(refused);
    }
    if let Some(e) = broken {
        return Err(unusable(&e));
    }
    let profile = match envelope {
        Envelope {
            data: Some(profile),
            ..
        } => profile,
        Envelope { err: Some(_), .. } => return Err(missing_data()),
        // Neither err nor data: a bare profile.
        Envelope { err: None, .. } => {
            json::from_str::<Box<Profile>>(body).map_err(|e| unusable(&e))?
        }
    };
    profile.checked_for(app_id)?;
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const APP: &str = "wx1";

    #[test]
    fn answers_read_status_then_envelope() {
        let ok = json!({"err": 0, "msg": "ok", "data": {"open_id": "o1"}}).to_string();
        assert!(
            matches!(read_answer(200, &ok, APP, Endpoint::Profile), Answer::Profile(p) if p.open_id == "o1")
        );
        let Answer::Failed(e) = read_answer(500, &ok, APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!((e.code, e.status), (ErrorCode::Http, Some(500)));
        let busy = r#"{"err":503,"msg":"the server's database is unavailable for a moment"}"#;
        let Answer::Failed(e) = read_answer(503, busy, APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!((e.code, e.status), (ErrorCode::Server, Some(503)));
        assert!(e.message.contains("briefly unavailable"), "{}", e.message);
        let Answer::Failed(e) = read_done(503, busy, Endpoint::Erase) else {
            panic!()
        };
        assert_eq!((e.code, e.status), (ErrorCode::Server, Some(503)));
        let Answer::Unauthorized(e) = read_answer(401, "", APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!((e.code, e.status), (ErrorCode::Http, Some(401)));
        let Answer::Unauthorized(e) = read_answer(
            200,
            r#"{"err":401,"msg":"expired"}"#,
            APP,
            Endpoint::Profile,
        ) else {
            panic!()
        };
        assert_eq!((e.code, e.server_err), (ErrorCode::Server, Some(401)));
        let Answer::Failed(e) = read_answer(200, r#"{"err":5,"msg":"no"}"#, APP, Endpoint::Profile)
        else {
            panic!()
        };
        assert_eq!((e.code, e.server_err), (ErrorCode::Server, Some(5)));
        let Answer::Failed(e) = read_answer(204, "", APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!(e.code, ErrorCode::InvalidProfile);
        let Answer::Failed(e) = read_answer(302, "", APP, Endpoint::Profile) else {
            panic!()
        };
        assert_eq!(e.code, ErrorCode::Http);
    }

    #[test]
    fn a_login_answer_must_carry_a_session() {
        assert!(require_session(Profile::default()).is_err());
    }

    #[test]
    fn a_401_hint_says_which_refusal_it_was() {
        let message = |endpoint| match read_answer(401, "", APP, endpoint) {
            Answer::Unauthorized(e) => e.message,
            other => panic!("{other:?}"),
        };
        assert!(!message(Endpoint::Login).contains("twice"));
        assert!(message(Endpoint::Login).contains("refused the login"));
        assert!(!message(Endpoint::Profile).contains("twice"));
        assert!(message(Endpoint::ProfileRetry).contains("refused twice"));
    }
}
