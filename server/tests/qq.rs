//! One server for a WeChat game and a QQ game side by side, on SQLite and — when one is reachable — PostgreSQL:
//! a QQ app's logins go to QQ's API (never WeChat's) and back with QQ's errcodes handled as WeChat's; its
//! players' signed user info is checked with QQ's session key; the fill-in's nickname and avatar pass QQ's
//! synchronous content checks, with its access token cached and replaced once when QQ calls it invalid.

mod support;

use serde_json::{json, Value};

use support::http::*;
use support::qq::*;
use support::world::*;

/// What `qq.getUserInfo({withCredentials: true})` gives `open_id`: signed and encrypted with QQ's session key.
fn qq_user_info(qq: &SharedQq, open_id: &str, nick: &str, watermark_app: &str) -> Value {
    let key = qq.lock().unwrap().keys[open_id].clone();
    let info = json!({"nickName": nick, "gender": 2, "language": "zh_CN", "city": "Shenzhen", "province": "Guangdong", "country": "China", "avatarUrl": "https://thirdqq.qlogo.cn/g?b=sdk&k=x&s=100"});
    let mut plain = info.clone();
    plain["openId"] = json!(open_id);
    plain["watermark"] = json!({"appid": watermark_app, "timestamp": 1_700_000_000});
    sealed_user_info(QQ_APP, &key, &info, &plain, *b"fedcba9876543210")
}

async fn qq_login(w: &World, code: &str) -> Value {
    let body = json!({"app_id": QQ_APP, "code": code, "scene": 1001, "channel": ""});
    post(&format!("{}/v1/login", w.server), body.to_string(), None)
        .await
        .1
}

async fn bearer_json(w: &World, path: &str, jwt: &str, body: Value) -> (u16, Value) {
    let headers = [
        ("content-type", "application/json".to_string()),
        ("authorization", format!("Bearer {jwt}")),
    ];
    let url = format!("{}{path}", w.server);
    let (status, _, bytes) = send("POST", &url, &headers, body.to_string().into_bytes()).await;
    (status, json_of(&bytes))
}

async fn upload(w: &World, jwt: &str, file: &[u8]) -> Value {
    let headers = [
        (
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ),
        ("authorization", format!("Bearer {jwt}")),
    ];
    let url = format!("{}/v1/avatar", w.server);
    json_of(
        &send("POST", &url, &headers, multipart("file", file))
            .await
            .2,
    )
}

async fn qq_beside_wechat(db: &str) {
    let (qq, qq_api) = start_qq().await;
    let apps = format!("{APP}={SECRET},qq:{QQ_APP}={QQ_SECRET}");
    let w = start_with(
        db,
        None,
        &[("TMSDK_APPS", &apps), ("TMSDK_QQ_API", &qq_api)],
    )
    .await;

    // A QQ player logs in through QQ's API; WeChat is never asked.
    let code = qq.lock().unwrap().code_for("oQqPlayer");
    let first = qq_login(&w, &code).await;
    assert_eq!(first["err"], 0, "{first}");
    assert_eq!(
        (&first["data"]["open_id"], &first["data"]["app_id"]),
        (&json!("oQqPlayer"), &json!(QQ_APP))
    );
    assert_eq!(first["data"]["union_id"], "uQqUnion");
    assert!(
        w.wechat.lock().unwrap().calls.is_empty(),
        "WeChat saw no call"
    );
    assert_eq!(qq.lock().unwrap().calls[&code], 1);
    let code_again = qq.lock().unwrap().code_for("oQqPlayer");
    let again = qq_login(&w, &code_again).await;
    assert_eq!(again["data"]["login_times"], 2, "{again}");
    let jwt = again["data"]["jwt"].as_str().unwrap().to_string();

    // The WeChat game beside it is served as before, by WeChat.
    let (_, wx) = w.login("oWxPlayer").await;
    assert_eq!(
        (&wx["err"], &wx["data"]["app_id"]),
        (&json!(0), &json!(APP))
    );

    // QQ's refusals as WeChat's: a used code, a WeChat code for the QQ app, busy once (retried) or always.
    assert_eq!(qq_login(&w, &code).await["err"], 40029, "a used code");
    let wechat_code = w.wechat.lock().unwrap().code_for("oWxPlayer");
    let refused = qq_login(&w, &wechat_code).await;
    assert_eq!(
        refused["err"], 40029,
        "a WeChat code for a QQ app: {refused}"
    );
    assert_eq!(
        qq_login(&w, "busy-once").await["err"],
        0,
        "busy once: retried"
    );
    let busy = qq_login(&w, "busy-always").await;
    assert_eq!(busy["err"], 45011);
    assert_eq!(busy["msg"], "QQ is busy; try again later.");

    // The profile: QQ's signature and AES-128-CBC with QQ's session key, the watermark QQ's app.
    let info = qq_user_info(&qq, "oQqPlayer", "小企鹅", QQ_APP);
    let (status, profile) = bearer_json(&w, "/v1/profile", &jwt, info).await;
    assert_eq!((status, &profile["err"]), (200, &json!(0)), "{profile}");
    assert_eq!(profile["data"]["nick_name"], "小企鹅");
    assert_eq!(profile["data"]["gender"], 2);
    let foreign = qq_user_info(&qq, "oQqPlayer", "小企鹅", APP);
    let (_, refused) = bearer_json(&w, "/v1/profile", &jwt, foreign).await;
    assert_eq!(refused["err"], 41005, "another app's watermark: {refused}");

    // The fill-in's nickname: QQ's MsgSecCheck, the token fetched once and cached.
    let fill = |nick: &str| json!({"app_id": QQ_APP, "nick_name": nick});
    let (_, risky) = bearer_json(&w, "/v1/profile/fill", &jwt, fill("一个大坏蛋")).await;
    assert_eq!(risky["err"], 87014, "{risky}");
    assert!(
        risky["msg"]
            .as_str()
            .unwrap()
            .starts_with("QQ's content check"),
        "{risky}"
    );
    let (_, passed) = bearer_json(&w, "/v1/profile/fill", &jwt, fill("小鹅")).await;
    assert_eq!(passed["data"]["nick_name"], "小鹅", "{passed}");
    assert_eq!(qq.lock().unwrap().tokens_issued, 1, "the token cached");
    // QQ calls the token invalid: replaced once, the check made again.
    qq.lock().unwrap().invalidate_token_once = true;
    let (_, renewed) = bearer_json(&w, "/v1/profile/fill", &jwt, fill("小小鹅")).await;
    assert_eq!(renewed["data"]["nick_name"], "小小鹅", "{renewed}");
    assert_eq!(qq.lock().unwrap().tokens_issued, 2, "one new token");
    assert_eq!(
        qq.lock().unwrap().text_checks,
        ["一个大坏蛋", "小鹅", "小小鹅"]
    );

    // The avatar: QQ's ImgSecCheck before it is stored.
    let image = png(64, 48, [200, 30, 30, 255]);
    let stored = upload(&w, &jwt, &image).await;
    assert_eq!(stored["err"], 0, "{stored}");
    let url = stored["data"]["avatar_url"].as_str().unwrap().to_string();
    qq.lock().unwrap().images_risky = true;
    let other = png(64, 48, [30, 200, 30, 255]);
    let refused = upload(&w, &jwt, &other).await;
    assert_eq!(refused["err"], 87014, "{refused}");
    assert!(refused["data"].is_null(), "no URL: {refused}");
    assert_eq!(qq.lock().unwrap().image_checks.len(), 2);
    let (_, set) = bearer_json(
        &w,
        "/v1/profile/fill",
        &jwt,
        json!({"app_id": QQ_APP, "avatar_url": url}),
    )
    .await;
    assert_eq!(
        set["data"]["avatar_url"], url,
        "the checked avatar is the player's: {set}"
    );
    let wechat_checks = {
        let wechat = w.wechat.lock().unwrap();
        wechat.text_checks.len() + wechat.image_checks.len()
    };
    assert_eq!(wechat_checks, 0, "WeChat checked nothing of the QQ game's");

    let (_, _, metrics) = send("GET", &format!("{}/metrics", w.server), &[], vec![]).await;
    let metrics = String::from_utf8_lossy(&metrics);
    for line in [
        r#"tmsdk_login_calls_total{outcome="ok",platform="qq"}"#,
        r#"tmsdk_login_calls_total{outcome="ok",platform="wechat"}"#,
        r#"tmsdk_content_checks_total{kind="avatar",verdict="risky"} 1"#,
    ] {
        assert!(metrics.contains(line), "/metrics has {line}:\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qq_beside_wechat_on_sqlite() {
    on_sqlite("qq", |db| async move { qq_beside_wechat(&db).await }).await;
}

/// Both halves on PostgreSQL in one test: the tests of a file run at once, and share the one database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qq_on_postgres() {
    on_postgres(|db| async move { qq_beside_wechat(&db).await }).await;
    on_postgres(|db| async move { two_instances_share_qqs_token(&db).await }).await;
}

/// Two instances of the server on one database, as behind a load balancer: QQ invalidates a token about 5
/// minutes after it issues the next, so they share one token through the database — fetched once by the
/// instance holding the lease, replaced once when QQ calls it invalid, and picked up by the other.
async fn two_instances_share_qqs_token(db: &str) {
    let (qq, qq_api) = start_qq().await;
    let apps = format!("qq:{QQ_APP}={QQ_SECRET}");
    let vars = [
        ("TMSDK_APPS", apps.as_str()),
        ("TMSDK_QQ_API", qq_api.as_str()),
    ];
    let a = start_with(db, None, &vars).await;
    let b = start_with(db, None, &vars).await;
    let code = qq.lock().unwrap().code_for("oQqShared");
    let login = qq_login(&a, &code).await;
    let jwt = login["data"]["jwt"]
        .as_str()
        .expect("a session")
        .to_string();
    let fill = |nick: &str| json!({"app_id": QQ_APP, "nick_name": nick});
    let issued = || qq.lock().unwrap().tokens_issued;

    // No token anywhere yet, both at once: one fetch, the other instance waits for it.
    let (first, second) = tokio::join!(
        bearer_json(&a, "/v1/profile/fill", &jwt, fill("甲鹅")),
        bearer_json(&b, "/v1/profile/fill", &jwt, fill("乙鹅"))
    );
    assert_eq!(
        (first.1["err"].clone(), second.1["err"].clone()),
        (json!(0), json!(0)),
        "{first:?} {second:?}"
    );
    assert_eq!(issued(), 1, "one token for both instances");
    for (i, w) in [&a, &b, &a, &b].into_iter().enumerate() {
        let (_, answer) = bearer_json(w, "/v1/profile/fill", &jwt, fill(&format!("鹅{i}"))).await;
        assert_eq!(answer["err"], 0, "{answer}");
    }
    assert_eq!(
        issued(),
        1,
        "neither instance invalidated the other's token"
    );

    // QQ calls the token invalid on one instance: it fetches one new token for both.
    qq.lock().unwrap().invalidate_token_once = true;
    let (_, renewed) = bearer_json(&a, "/v1/profile/fill", &jwt, fill("新鹅")).await;
    assert_eq!(renewed["err"], 0, "{renewed}");
    assert_eq!(issued(), 2);
    // The other still holds the old one in memory: QQ refuses it, and it reads the new one from the database.
    let (_, picked_up) = bearer_json(&b, "/v1/profile/fill", &jwt, fill("又一鹅")).await;
    assert_eq!(picked_up["data"]["nick_name"], "又一鹅", "{picked_up}");
    assert_eq!(issued(), 2, "no third token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_qqs_token_on_sqlite() {
    on_sqlite("qq-token", |db| async move {
        two_instances_share_qqs_token(&db).await
    })
    .await;
}
