//! A Douyin game beside a WeChat and a QQ game on one server, on SQLite and — when one is reachable —
//! PostgreSQL: a Douyin app's logins go to Douyin's API (never WeChat's or QQ's); a player not logged in to
//! Douyin plays as an anonymous player (figures counted, no verified user info, no fill-in), and when they log
//! in to Douyin their anonymous player becomes theirs — once, even with 20 logins at once — unless they already
//! have one; Douyin's errors are refused with its own errcode.

mod support;

use serde_json::{json, Value};

use support::douyin::*;
use support::http::*;
use support::qq::*;
use support::world::*;

async fn start_three(db: &str) -> (World, SharedDouyin) {
    let (douyin, douyin_api) = start_douyin().await;
    let (_, qq_api) = start_qq().await;
    let apps = format!("{APP}={SECRET},qq:{QQ_APP}={QQ_SECRET},tt:{TT_APP}={TT_SECRET}");
    let w = start_with(
        db,
        None,
        &[
            ("TMSDK_APPS", &apps),
            ("TMSDK_QQ_API", &qq_api),
            ("TMSDK_DOUYIN_API", &douyin_api),
        ],
    )
    .await;
    (w, douyin)
}

/// `POST /v1/login` of the Douyin app with a code and an anonymous code ("" for none).
async fn tt_login(w: &World, code: &str, anonymous_code: &str) -> Value {
    let body = json!({"app_id": TT_APP, "code": code, "anonymous_code": anonymous_code, "scene": 1001, "channel": ""});
    post(&format!("{}/v1/login", w.server), body.to_string(), None)
        .await
        .1
}

async fn with_session(w: &World, path: &str, jwt: &str, body: Value) -> (u16, Value) {
    post(&format!("{}{path}", w.server), body.to_string(), Some(jwt)).await
}

fn jwt_of(answer: &Value) -> String {
    answer["data"]["jwt"]
        .as_str()
        .expect("a session")
        .to_string()
}

/// What `tt.getUserInfo({withCredentials: true})` gives `open_id`: signed and encrypted with its session key.
fn tt_user_info(douyin: &SharedDouyin, open_id: &str, nick: &str) -> Value {
    let key = douyin.lock().unwrap().keys[open_id].clone();
    let info = json!({"nickName": nick, "gender": 1, "language": "zh_CN", "city": "", "province": "", "country": "中国", "avatarUrl": "https://p3.douyinpic.com/aweme/100x100/x.jpeg"});
    let mut plain = info.clone();
    plain["openId"] = json!(open_id);
    plain["watermark"] = json!({"appid": TT_APP, "timestamp": 1_700_000_000});
    sealed_user_info(TT_APP, &key, &info, &plain, *b"0123456789abcdef")
}

async fn douyin_beside_wechat_and_qq(db: &str) {
    let (w, douyin) = start_three(db).await;

    // Not logged in to Douyin: only an anonymous code. A new anonymous player, no dialog.
    let anon = douyin.lock().unwrap().anonymous_code_for("phone-1");
    let first = tt_login(&w, "", &anon).await;
    assert_eq!(first["err"], 0, "{first}");
    let data = &first["data"];
    assert_eq!(
        (&data["open_id"], &data["app_id"]),
        (&json!(anonymous_open_id("phone-1")), &json!(TT_APP))
    );
    assert_eq!(
        (&data["is_new"], &data["login_times"], &data["union_id"]),
        (&json!(true), &json!(1), &json!(""))
    );
    let share_code = data["share_code"].clone();
    let anon_jwt = jwt_of(&first);
    // Their figures count from the first launch.
    let events = json!({"app_id": TT_APP, "events": [{"id": "s-1", "kind": "share"}, {"id": "p-1", "kind": "play", "seconds": 90}]});
    let (status, counted) = with_session(&w, "/v1/events", &anon_jwt, events).await;
    assert_eq!(
        (
            status,
            &counted["data"]["share_times"],
            &counted["data"]["online_duration"]
        ),
        (200, &json!(1), &json!(90)),
        "{counted}"
    );
    // No session key: no verified user info, and no fill-in on Douyin.
    let (status, refused) = with_session(
        &w,
        "/v1/profile",
        &anon_jwt,
        json!({"app_id": TT_APP, "encrypted_data": "x", "iv": "y"}),
    )
    .await;
    assert_eq!((status, &refused["err"]), (403, &json!(41007)), "{refused}");
    assert!(refused["msg"]
        .as_str()
        .unwrap()
        .contains("tt.login({ force: true })"));
    let (status, no_fill) = with_session(
        &w,
        "/v1/profile/fill",
        &anon_jwt,
        json!({"app_id": TT_APP, "nick_name": "抖音玩家"}),
    )
    .await;
    assert_eq!(status, 400, "{no_fill}");
    assert!(no_fill["msg"]
        .as_str()
        .unwrap()
        .starts_with("Douyin mini-games have no avatar and nickname pickers"));

    // They log in to Douyin: both codes. The anonymous player becomes theirs, figures and share code kept.
    let (code, anon) = {
        let mut d = douyin.lock().unwrap();
        (d.code_for("oTtPlayer"), d.anonymous_code_for("phone-1"))
    };
    let adopted = tt_login(&w, &code, &anon).await;
    assert_eq!(adopted["err"], 0, "{adopted}");
    let data = &adopted["data"];
    assert_eq!(data["open_id"], "oTtPlayer");
    assert_eq!(data["union_id"], "uTt-oTtPlayer");
    assert_eq!(
        (&data["is_new"], &data["login_times"]),
        (&json!(false), &json!(2)),
        "{adopted}"
    );
    assert_eq!(
        (&data["share_times"], &data["online_duration"]),
        (&json!(1), &json!(90))
    );
    assert_eq!(
        data["share_code"], share_code,
        "the share code others' launches name stays theirs"
    );
    let jwt = jwt_of(&adopted);
    // The same events again are the same events: acknowledged, not counted twice.
    let again = json!({"app_id": TT_APP, "events": [{"id": "s-1", "kind": "share"}]});
    let (_, counted) = with_session(&w, "/v1/events", &jwt, again).await;
    assert_eq!(counted["data"]["share_times"], 1, "{counted}");
    // The anonymous session names a player that no longer exists.
    let (status, _) = with_session(
        &w,
        "/v1/events",
        &anon_jwt,
        json!({"app_id": TT_APP, "events": []}),
    )
    .await;
    assert_eq!(status, 401);
    // A real session: Douyin's signed user info, verified with its session key.
    let (status, profile) = with_session(
        &w,
        "/v1/profile",
        &jwt,
        tt_user_info(&douyin, "oTtPlayer", "抖音小明"),
    )
    .await;
    assert_eq!(
        (status, &profile["data"]["nick_name"]),
        (200, &json!("抖音小明")),
        "{profile}"
    );

    // Another phone played anonymously, then the same Douyin user logs in there: their player stays theirs,
    // and the other phone's anonymous player is left as it is.
    let anon2 = douyin.lock().unwrap().anonymous_code_for("phone-2");
    assert_eq!(tt_login(&w, "", &anon2).await["data"]["login_times"], 1);
    let (code, anon2) = {
        let mut d = douyin.lock().unwrap();
        (d.code_for("oTtPlayer"), d.anonymous_code_for("phone-2"))
    };
    let kept = tt_login(&w, &code, &anon2).await;
    assert_eq!(
        (&kept["data"]["open_id"], &kept["data"]["login_times"]),
        (&json!("oTtPlayer"), &json!(3)),
        "{kept}"
    );
    let anon2 = douyin.lock().unwrap().anonymous_code_for("phone-2");
    let left = tt_login(&w, "", &anon2).await;
    assert_eq!(
        (&left["data"]["open_id"], &left["data"]["login_times"]),
        (&json!(anonymous_open_id("phone-2")), &json!(2)),
        "{left}"
    );

    // Douyin's refusals, with its own errcode; a WeChat code is no Douyin code; a Douyin code no WeChat one.
    let bad = tt_login(&w, "ttcode-unknown", "").await;
    assert_eq!(
        (&bad["err"], &bad["msg"]),
        (&json!(40018), &json!("bad code")),
        "{bad}"
    );
    assert_eq!(tt_login(&w, "", "").await["err"], 40014, "neither code");
    let wechat_code = w.wechat.lock().unwrap().code_for("oWxPlayer");
    assert_eq!(tt_login(&w, &wechat_code, "").await["err"], 40018);
    let douyin_code = douyin.lock().unwrap().code_for("oTtOther");
    let (_, as_wechat) = w.login_code(&douyin_code).await;
    assert_eq!(as_wechat["err"], 40029, "{as_wechat}");
    // The WeChat game beside it is served as ever, by WeChat's API.
    let (_, wechat) = w.login("oWxPlayer").await;
    assert_eq!(
        (&wechat["err"], &wechat["data"]["app_id"]),
        (&json!(0), &json!(APP))
    );
    let metrics = String::from_utf8(
        send("GET", &format!("{}/metrics", w.server), &[], Vec::new())
            .await
            .2
            .to_vec(),
    )
    .unwrap();
    assert!(
        metrics.contains(r#"tmsdk_login_calls_total{outcome="ok",platform="douyin"} 5"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"tmsdk_login_calls_total{outcome="refused",platform="douyin"} 3"#),
        "{metrics}"
    );
}

/// 20 logins at once of a Douyin user whose phone played anonymously: the anonymous player moves once.
async fn twenty_logins_move_the_anonymous_player_once(db: &str) {
    let (w, douyin) = start_three(db).await;
    let anon = douyin.lock().unwrap().anonymous_code_for("phone-9");
    let first = tt_login(&w, "", &anon).await;
    let events =
        json!({"app_id": TT_APP, "events": [{"id": "p-1", "kind": "play", "seconds": 300}]});
    with_session(&w, "/v1/events", &jwt_of(&first), events).await;
    let pairs: Vec<(String, String)> = (0..20)
        .map(|_| {
            let mut d = douyin.lock().unwrap();
            (d.code_for("oTtBusy"), d.anonymous_code_for("phone-9"))
        })
        .collect();
    let mut logins = tokio::task::JoinSet::new();
    for (code, anon) in pairs {
        let url = format!("{}/v1/login", w.server);
        let body = json!({"app_id": TT_APP, "code": code, "anonymous_code": anon, "scene": 1001, "channel": ""});
        logins.spawn(async move { post(&url, body.to_string(), None).await.1 });
    }
    let answers: Vec<Value> = logins.join_all().await;
    for answer in &answers {
        assert_eq!(answer["err"], 0, "{answer}");
        assert_eq!(answer["data"]["open_id"], "oTtBusy");
    }
    let mut times: Vec<u64> = answers
        .iter()
        .map(|a| a["data"]["login_times"].as_u64().unwrap())
        .collect();
    times.sort_unstable();
    assert_eq!(
        times,
        (2..=21).collect::<Vec<u64>>(),
        "one player, counted 20 more times"
    );
    assert!(
        answers.iter().all(|a| a["data"]["online_duration"] == 300),
        "the figures moved with it"
    );
    // The phone's anonymous player is gone: its next anonymous login starts a new one.
    let anon = douyin.lock().unwrap().anonymous_code_for("phone-9");
    let fresh = tt_login(&w, "", &anon).await;
    assert_eq!(
        (&fresh["data"]["is_new"], &fresh["data"]["online_duration"]),
        (&json!(true), &json!(0)),
        "{fresh}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn douyin_on_sqlite() {
    on_sqlite("douyin", |db| async move {
        douyin_beside_wechat_and_qq(&db).await
    })
    .await;
    on_sqlite("douyin-20", |db| async move {
        twenty_logins_move_the_anonymous_player_once(&db).await
    })
    .await;
}

/// Both on PostgreSQL in one test: the tests of a file run at once, and share the one database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn douyin_on_postgres() {
    on_postgres(|db| async move { douyin_beside_wechat_and_qq(&db).await }).await;
    on_postgres(|db| async move { twenty_logins_move_the_anonymous_player_once(&db).await }).await;
}
