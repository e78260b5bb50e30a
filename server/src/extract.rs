//! What handlers take from a request beside the state: a JSON body whose rejection answers the envelope, the
//! bearer token, the client's IP as the per-IP limit worked it out, and the session a token proves (checked,
//! then counted against the per-user limit).

use std::net::IpAddr;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use axum::Json;
use serde::de::DeserializeOwned;

use crate::crypto::{self, Claims};
use crate::error::{err, Refusal};
use crate::state::AppState;

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
                    "the body must be JSON of the request's shape ({}).",
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
pub struct ClientIp(pub IpAddr);

/// The claims of a bearer token for one of `apps`, else HTTP 401; then the per-user limit; and the user's
/// WeChat session key (a login stored it; an unknown user, or a session issued before the player was created,
/// is HTTP 401).
pub async fn session(
    state: &AppState,
    token: &str,
    apps: &[&str],
) -> Result<(Claims, String), Refusal> {
    let secrets: Vec<&str> = std::iter::once(state.config.token_secret.as_str())
        .chain(state.config.token_secret_previous.as_deref())
        .collect();
    let claims =
        crypto::verify_token_for(&secrets, token, apps).ok_or_else(Refusal::unauthorized)?;
    state.limit_user(&claims.aud, &claims.sub)?;
    let (session_key, created_at) = state
        .store
        .session_key(&claims.aud, &claims.sub)
        .await?
        .ok_or_else(Refusal::unauthorized)?;
    // A session issued before the player was created belongs to a player who erased their data.
    if (claims.iat as i64) < created_at {
        return Err(Refusal::unauthorized());
    }
    Ok((claims, session_key))
}
