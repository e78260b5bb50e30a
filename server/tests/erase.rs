//! A player's data, erased and copied (个人信息保护法 arts. 45, 47), on SQLite and PostgreSQL: the player's own
//! `DELETE /v1/profile` (their avatar gone, an image another player uploaded too still served, their sessions
//! refused also after the same openid comes back as a new player, what they credited to others kept) and the
//! operator's `user export` / `user delete`, an unknown player included.

mod support;

use serde_json::{json, Value};
use tmsdk_server::{run_user_command, share_code, UserCommand};

use support::http::*;
use support::world::*;

const PUBLIC: &str = "https://cdn.example.test";

impl World {
    async fn upload(&self, jwt: &str, image: &[u8]) -> String {
        let headers = [
            (
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ),
            ("authorization", format!("Bearer {jwt}")),
        ];
        let (status, _, body) = send(
            "POST",
            &format!("{}/v1/avatar", self.server),
            &headers,
            multipart("file", image),
        )
        .await;
        let answer = json_of(&body);
        assert_eq!(status, 200, "{answer}");
        answer["data"]["avatar_url"].as_str().unwrap().to_string()
    }

    async fn avatar_status(&self, url: &str) -> u16 {
        let path = url.strip_prefix(PUBLIC).unwrap();
        send("GET", &format!("{}{path}", self.server), &[], Vec::new())
            .await
            .0
    }

    async fn erase(&self, jwt: &str) -> (u16, Value) {
        let headers = [("authorization", format!("Bearer {jwt}"))];
        let (status, _, body) = send(
            "DELETE",
            &format!("{}/v1/profile", self.server),
            &headers,
            Vec::new(),
        )
        .await;
        (status, json_of(&body))
    }
}

fn jwt_of(answer: &Value) -> String {
    answer["data"]["jwt"].as_str().unwrap().to_string()
}

async fn a_player_erases_their_data(w: &World) {
    let sharer = w.login_shared("oSharer", "").await;
    let sharer_jwt = jwt_of(&sharer);
    let sharer_code = share_code(&w.config.token_secret, APP, "oSharer");
    let first = w.login_shared("oLeaving", &sharer_code).await;
    assert_eq!(first["data"]["is_new"], true);
    let jwt = jwt_of(&first);
    let own = w.upload(&jwt, &png(40, 40, [200, 10, 10, 255])).await;
    let shared_image = png(40, 40, [10, 10, 200, 255]);
    let shared = w.upload(&jwt, &shared_image).await;
    let other = w.login_shared("oStaying", "").await;
    assert_eq!(
        w.upload(&jwt_of(&other), &shared_image).await,
        shared,
        "the same image, the same URL"
    );
    let (_, counted) = w
        .events(&jwt, json!([{"id": "s-1", "kind": "share"}]))
        .await;
    assert_eq!(counted["data"]["share_times"], 1);

    let (status, answer) = w.erase(&jwt).await;
    assert_eq!((status, answer["err"].as_i64()), (200, Some(0)), "{answer}");
    assert_eq!(w.avatar_status(&own).await, 404, "their own image is gone");
    assert_eq!(
        w.avatar_status(&shared).await,
        200,
        "another player's upload of the same image stays"
    );
    assert_eq!(
        w.events(&jwt, json!([])).await.0,
        401,
        "the old session is refused"
    );
    let (_, sharer_now) = w.events(&sharer_jwt, json!([])).await;
    assert_eq!(
        sharer_now["data"]["share_new"], 1,
        "what they credited to others stays"
    );

    // The same openid comes back: a new player, and the old session still refused.
    let again = w.login_shared("oLeaving", "").await;
    assert_eq!(
        (
            again["data"]["is_new"].as_bool(),
            again["data"]["login_times"].as_u64()
        ),
        (Some(true), Some(1))
    );
    assert_eq!(
        again["data"]["share_times"], 0,
        "nothing of the erased player"
    );
    assert_eq!(
        w.events(&jwt, json!([])).await.0,
        401,
        "the old session, after the new login"
    );
    assert_eq!(
        w.events(&jwt_of(&again), json!([])).await.0,
        200,
        "the new session works"
    );
    assert_eq!(w.erase("not-a-session").await.0, 401);
}

async fn an_operator_exports_and_deletes(w: &World) {
    let player = w.login_shared("oAsked", "").await;
    let jwt = jwt_of(&player);
    let url = w.upload(&jwt, &png(30, 30, [0, 120, 0, 255])).await;
    w.events(&jwt, json!([{"id": "p-1", "kind": "play", "seconds": 42}]))
        .await;
    let export = UserCommand::Export {
        app_id: APP.into(),
        open_id: "oAsked".into(),
    };
    let printed: Value =
        serde_json::from_str(&run_user_command(&w.config, &export).await.unwrap()).unwrap();
    assert_eq!(printed["open_id"], "oAsked");
    assert_eq!(printed["figures"]["online_duration"], 42);
    assert_eq!(printed["avatars"][0]["url"], url.as_str());
    assert_eq!(printed["events"][0]["id"], "p-1");
    assert!(printed["first_login_time"].as_i64().unwrap() > 0);
    let key = w.wechat.lock().unwrap().keys["oAsked"].clone();
    assert!(!printed.to_string().contains(&key), "never the session key");

    let delete = UserCommand::Delete {
        app_id: APP.into(),
        open_id: "oAsked".into(),
    };
    let removed: Value =
        serde_json::from_str(&run_user_command(&w.config, &delete).await.unwrap()).unwrap();
    assert_eq!(
        removed["removed"],
        json!({"players": 1, "avatars": 1, "events": 1, "days": 1})
    );
    assert_eq!(w.avatar_status(&url).await, 404);
    for command in [export, delete] {
        assert_eq!(
            run_user_command(&w.config, &command).await.unwrap_err(),
            "no user oAsked in app wxserverapp0000001"
        );
    }
}

async fn erase_and_copy(db: &str) {
    let w = start_with(db, None, &[("TMSDK_PUBLIC_URL", PUBLIC)]).await;
    a_player_erases_their_data(&w).await;
    an_operator_exports_and_deletes(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erase_and_copy_on_sqlite() {
    on_sqlite("erase", |db| async move { erase_and_copy(&db).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erase_and_copy_on_postgres() {
    on_postgres(|url| async move { erase_and_copy(&url).await }).await;
}

/// The binary: `--help` lists the commands; an unknown player is exit status 1 and the message on stderr.
#[test]
fn the_binary_lists_its_commands_and_says_when_a_player_is_unknown() {
    let binary = env!("CARGO_BIN_EXE_tmsdk-server");
    let help = std::process::Command::new(binary)
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let usage = String::from_utf8_lossy(&help.stdout);
    assert!(
        usage.contains("user export APP_ID OPENID") && usage.contains("user delete APP_ID OPENID"),
        "{usage}"
    );

    let dir = std::env::temp_dir().join(format!("tmsdk-server-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |verb: &str| {
        std::process::Command::new(binary)
            .args(["user", verb, APP, "oNobody"])
            .env(
                "TMSDK_DB",
                format!("sqlite://{}", dir.join("tmsdk.db").display()),
            )
            .env("TMSDK_APPS", format!("{APP}={SECRET}"))
            .env("TMSDK_TOKEN_SECRET", "a-test-token-secret-of-some-length")
            .output()
            .unwrap()
    };
    for verb in ["export", "delete"] {
        let out = run(verb);
        assert_eq!(out.status.code(), Some(1), "{verb}");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("no user oNobody in app wxserverapp0000001"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let unknown = std::process::Command::new(binary)
        .args(["user", "erase", APP])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2), "an unknown command");
    let _ = std::fs::remove_dir_all(&dir);
}
