//! The player's chosen avatar: `POST /v1/avatar` (`wx.uploadFile`, field `file`) checks, normalises and stores
//! the image and answers its URL; `GET /v1/avatar/<sha256>.jpg` serves it. A QQ game's avatar passes QQ's
//! image check before it is stored (QQ answers at once; risky: refused with 87014, nothing stored). A WeChat
//! game's, with a push token set, is stored and WeChat's image check asked for at once, its verdict arriving
//! later at the message push.

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tmsdk_core::{AvatarAnswer, Envelope, AVATAR_PATH, MAX_AVATAR_BYTES};
use tracing::{error, info, warn};

use super::{no_fill_on_douyin, now};
use crate::avatar;
use crate::config::{Config, Platform};
use crate::error::{err, Refusal};
use crate::extract::{session, Bearer};
use crate::platform_api::Suggest;
use crate::state::{AppState, SharedState};

/// The upload's body limit: the image and the multipart framing around it.
pub const UPLOAD_LIMIT: usize = MAX_AVATAR_BYTES + 16 * 1024;

/// An upload that broke off or broke the body limit.
fn upload_refusal(status: StatusCode, detail: String) -> Refusal {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::new(
            status,
            err::AVATAR_TOO_LARGE,
            format!("the avatar is larger than {MAX_AVATAR_BYTES} bytes; send a smaller image."),
        )
    } else {
        Refusal::new(
            status,
            err::BAD_REQUEST,
            format!("the upload must be multipart/form-data with the image in the field \"file\" ({detail})."),
        )
    }
}

/// The URL a stored avatar is served at.
pub fn avatar_url(config: &Config, sha256: &str) -> String {
    format!("{}{AVATAR_PATH}/{sha256}.jpg", config.public_url)
}

/// `POST /v1/avatar`.
pub async fn upload(
    State(state): State<SharedState>,
    Bearer(token): Bearer,
    upload: Result<Multipart, MultipartRejection>,
) -> Result<Json<Envelope<AvatarAnswer>>, Refusal> {
    let apps: Vec<&str> = state.config.apps.keys().map(String::as_str).collect();
    let (claims, _) = session(&state, &token, &apps).await?;
    no_fill_on_douyin(&state, &claims.aud)?;
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
    // The session named a served app; looked up once for its platform.
    let (app, api) = state.app(&app_id).ok_or_else(Refusal::unauthorized)?;
    if app.platform == Platform::Qq {
        let verdict = api
            .check_image_now(&app_id, &app.secret, &avatar.jpeg)
            .await?;
        info!(event = "content-check", app_id = %app_id, kind = "avatar", suggest = verdict.suggest.label(), "avatar checked");
        if verdict.suggest == Suggest::Risky {
            return Err(Refusal::with_err(
                err::CONTENT_RISKY,
                "QQ's content check found the avatar risky; nothing was stored. Ask the player for another image.",
            ));
        }
    }
    state
        .store
        .put_avatar(&app_id, &open_id, &avatar, now())
        .await?;
    let url = avatar_url(&state.config, &avatar.sha256);
    info!(event = "avatar", app_id = %app_id, sha256 = %avatar.sha256, bytes = avatar.jpeg.len(), "avatar stored");
    if app.platform == Platform::Wechat && state.config.wechat_push_token.is_some() {
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
    let Some((app, api)) = state.app(app_id) else {
        return;
    };
    match api
        .check_image_async(app_id, &app.secret, open_id, url)
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
            warn!(event = "avatar-check", app_id = %app_id, error = %e, "WeChat's image check could not be asked for");
        }
    }
}

/// `GET /v1/avatar/<sha256>.jpg`: a stored avatar, cached for a year (its name is its content); anything
/// else is 404.
pub async fn image(
    State(state): State<SharedState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let sha256 = file
        .strip_suffix(".jpg")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    let Some(sha256) = sha256 else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let Some(jpeg) = state.store.avatar_jpeg(sha256).await? else {
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
