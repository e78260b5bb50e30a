//! The operator's commands on one player (个人信息保护法 arts. 45, 47), on the server's own settings:
//! `tmsdk-server user export APP_ID OPENID` prints everything stored about the player as one JSON object;
//! `tmsdk-server user delete APP_ID OPENID` erases it as `DELETE /v1/profile` does and prints what it removed.
//! An unknown player is an error: "no user OPENID in app APP_ID".

use serde_json::{json, Value};
use tmsdk_core::AVATAR_PATH;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::privacy::{log_erasure, past_this_second, AskedBy};
use crate::store::Store;

/// What `tmsdk-server --help` prints.
pub const USAGE: &str =
    "tmsdk-server: the backend of tmsdk-profile. Settings come from the environment (TMSDK_*).

usage:
  tmsdk-server: serve (TMSDK_LISTEN, default 127.0.0.1:8788)
  tmsdk-server user export APP_ID OPENID: print everything stored about one player, as JSON
  tmsdk-server user delete APP_ID OPENID: erase one player's data and print what was removed
  tmsdk-server --help: this text
";

/// An operator's command on one player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// `user export APP_ID OPENID`.
    Export {
        /// The app.
        app_id: String,
        /// The player.
        open_id: String,
    },
    /// `user delete APP_ID OPENID`.
    Delete {
        /// The app.
        app_id: String,
        /// The player.
        open_id: String,
    },
}

impl UserCommand {
    /// The command named by the arguments after the program's name (`user export …`), if they name one.
    pub fn parse(args: &[String]) -> Option<UserCommand> {
        match args {
            [user, verb, app_id, open_id] if user == "user" => {
                let (app_id, open_id) = (app_id.clone(), open_id.clone());
                match verb.as_str() {
                    "export" => Some(UserCommand::Export { app_id, open_id }),
                    "delete" => Some(UserCommand::Delete { app_id, open_id }),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// Runs `command` against the database of `config`: the text to print, or the error to say.
pub async fn run_user_command(config: &Config, command: &UserCommand) -> Result<String, String> {
    let store = Store::open(&config.db, Metrics::new())
        .await
        .map_err(|e| format!("TMSDK_DB: could not open the database ({e})"))?;
    let failed = |e: sqlx::Error| format!("the database failed ({e})");
    match command {
        UserCommand::Export { app_id, open_id } => {
            let stored = store
                .export(app_id, open_id)
                .await
                .map_err(failed)?
                .ok_or_else(|| unknown(app_id, open_id))?;
            Ok(export_json(config, &stored).to_string())
        }
        UserCommand::Delete { app_id, open_id } => {
            let erased = store
                .erase(app_id, open_id)
                .await
                .map_err(failed)?
                .ok_or_else(|| unknown(app_id, open_id))?;
            log_erasure(app_id, open_id, AskedBy::Operator, &erased);
            past_this_second().await;
            Ok(json!({"app_id": app_id, "open_id": open_id, "removed": erased}).to_string())
        }
    }
}

fn unknown(app_id: &str, open_id: &str) -> String {
    format!("no user {open_id} in app {app_id}")
}

/// Everything stored about a player, named as the profile names it.
fn export_json(config: &Config, stored: &crate::store::Stored) -> Value {
    let user = &stored.user;
    let info = &user.info;
    json!({
        "app_id": user.app_id,
        "open_id": user.open_id,
        "union_id": user.union_id,
        "profile": {
            "nick_name": info.nick_name, "avatar_url": info.avatar_url, "gender": info.gender,
            "city": info.city, "province": info.province, "country": info.country, "language": info.language,
        },
        "figures": {
            "login_times": user.login_times, "online_days": user.online_days,
            "online_duration": user.online_duration, "share_times": user.share_times,
            "share_new": user.share_new,
        },
        "share_code": user.share_code,
        "first_login_time": user.created_at,
        "last_login_time": user.last_login_time,
        "from_scene": user.from_scene,
        "from_code": user.from_code,
        "login_province": user.login_province,
        "login_city": user.login_city,
        "avatars": stored.avatars.iter().map(|(sha256, trace_id, uploaded_at)| json!({
            "url": format!("{}{AVATAR_PATH}/{sha256}.jpg", config.public_url),
            "uploaded_at": uploaded_at,
            // WeChat's image check: asked for under this trace_id; a risky verdict deletes the image.
            "content_check": if trace_id.is_empty() { Value::Null } else { json!({"trace_id": trace_id}) },
        })).collect::<Vec<_>>(),
        "events": stored.events.iter().map(|(id, kind, seconds, day, received_at)| json!({
            "id": id, "kind": kind, "seconds": seconds, "day": day, "received_at": received_at,
        })).collect::<Vec<_>>(),
    })
}
