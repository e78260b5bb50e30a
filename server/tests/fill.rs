//! 头像昵称填写 end to end, on SQLite and — when one is reachable — PostgreSQL: the avatar upload (checked by
//! content, normalised, stored, served with its cache headers), the fill-in (ownership of the avatar, the
//! profile rules, WeChat's text check with its access token cached and refreshed once), and WeChat's message
//! push (signed, removing a risky avatar).

mod support;

use std::time::{Duration, Instant};

use hyper::body::Bytes;
use hyper::header::HeaderMap;
use serde_json::{json, Value};
use support::http::*;
use support::world::*;

const PUBLIC: &str = "https://cdn.example.test";
const PUSH_TOKEN: &str = "pushToken42";

impl World {
    async fn upload(&self, jwt: Option<&str>, field: &str, file: &[u8]) -> (u16, Value) {
        let mut headers = vec![(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )];
        if let Some(jwt) = jwt {
            headers.push(("authorization", format!("Bearer {jwt}")));
        }
        let url = format!("{}/v1/avatar", self.server);
        let (status, _, body) = send("POST", &url, &headers, multipart(field, file)).await;
        (status, json_of(&body))
    }

    async fn fill(&self, jwt: &str, body: Value) -> (u16, Value) {
        fill_at(self.server.clone(), jwt.to_string(), body).await
    }

    /// `GET` of an avatar URL, at this server (the URL's origin is the public one).
    async fn avatar(&self, url: &str, headers: &[(&str, String)]) -> (u16, HeaderMap, Bytes) {
        let path = url.strip_prefix(PUBLIC).unwrap_or(url);
        send("GET", &format!("{}{path}", self.server), headers, vec![]).await
    }

    async fn push(&self, method: &str, query: &str, event: Value) -> (u16, String) {
        let url = format!("{}/v1/wechat/push?{query}", self.server);
        let headers = [("content-type", "application/json".to_string())];
        let (status, _, body) = send(method, &url, &headers, event.to_string().into_bytes()).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

/// `POST /v1/profile/fill` at `server`.
async fn fill_at(server: String, jwt: String, body: Value) -> (u16, Value) {
    let headers = [
        ("content-type", "application/json".to_string()),
        ("authorization", format!("Bearer {jwt}")),
    ];
    let url = format!("{server}/v1/profile/fill");
    let (status, _, body) = send("POST", &url, &headers, body.to_string().into_bytes()).await;
    (status, json_of(&body))
}

/// A push query signed with `token`.
fn signed(token: &str, extra: &str) -> String {
    let (timestamp, nonce) = ("1700000000", "n0nce");
    let signature = tmsdk_server::push_signature(token, timestamp, nonce);
    format!("signature={signature}&timestamp={timestamp}&nonce={nonce}{extra}")
}

async fn fill_in(db: &str) {
    let w = start_with(
        db,
        None,
        &[
            ("TMSDK_PUBLIC_URL", PUBLIC),
            ("TMSDK_WECHAT_PUSH_TOKEN", PUSH_TOKEN),
        ],
    )
    .await;
    let jwt = w.jwt("oFill").await;

    // The first checks of a cold server, all at once: one access token fetched for all of them.
    let mut checks = tokio::task::JoinSet::new();
    for nick in ["小红", "小蓝", "小紫", "小橙"] {
        let body = json!({"app_id": APP, "nick_name": nick});
        checks.spawn(fill_at(w.server.clone(), jwt.clone(), body));
    }
    while let Some(answer) = checks.join_next().await {
        let (status, answer) = answer.unwrap();
        assert_eq!((status, answer["err"].as_i64()), (200, Some(0)), "{answer}");
    }
    assert_eq!(
        w.wechat.lock().unwrap().tokens_issued,
        1,
        "one stable_token for concurrent checks"
    );
    assert_eq!(w.wechat.lock().unwrap().text_checks.len(), 4);

    // Upload: only with a session; the image comes back as a URL under the public origin.
    let (status, _) = w
        .upload(None, "file", &png(300, 200, [200, 30, 30, 255]))
        .await;
    assert_eq!(status, 401);
    let (status, uploaded) = w
        .upload(Some(&jwt), "file", &png(300, 200, [200, 30, 30, 255]))
        .await;
    assert_eq!(
        (status, uploaded["err"].as_i64()),
        (200, Some(0)),
        "{uploaded}"
    );
    let url = uploaded["data"]["avatar_url"].as_str().unwrap().to_string();
    let sha256 = url
        .strip_prefix(&format!("{PUBLIC}/v1/avatar/"))
        .and_then(|f| f.strip_suffix(".jpg"))
        .unwrap()
        .to_string();
    assert_eq!(sha256.len(), 64, "{url}");

    // Served as a JPEG, cached for a year, revalidated by its ETag; anything else is 404.
    let (status, headers, jpeg) = w.avatar(&url, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["etag"], format!("\"{sha256}\""));
    let served = image::load_from_memory(&jpeg).unwrap();
    assert_eq!((served.width(), served.height()), (256, 256));
    let (status, _, _) = w
        .avatar(&url, &[("if-none-match", format!("\"{sha256}\""))])
        .await;
    assert_eq!(status, 304);
    for missing in [
        format!("{PUBLIC}/v1/avatar/{}.jpg", "0".repeat(64)),
        format!("{PUBLIC}/v1/avatar/{sha256}.png"),
        format!("{PUBLIC}/v1/avatar/..%2F{sha256}.jpg"),
    ] {
        assert_eq!(w.avatar(&missing, &[]).await.0, 404, "{missing}");
    }

    // Not an image, too large, no file field.
    let (status, text) = w
        .upload(Some(&jwt), "file", b"<html>not an image</html>")
        .await;
    assert_eq!((status, text["err"].as_i64()), (200, Some(41010)), "{text}");
    let big = vec![0x89; 2 * 1024 * 1024 + 1];
    let (status, large) = w.upload(Some(&jwt), "file", &big).await;
    assert_eq!(
        (status, large["err"].as_i64()),
        (413, Some(41011)),
        "{large}"
    );
    let (status, no_file) = w.upload(Some(&jwt), "image", &png(8, 8, [0; 4])).await;
    assert_eq!(
        (status, no_file["err"].as_i64()),
        (400, Some(400)),
        "{no_file}"
    );

    // Fill-in: the avatar must be this user's upload; the nickname passes the rules, then WeChat's check.
    let (status, filled) = w
        .fill(
            &jwt,
            json!({"app_id": APP, "nick_name": "  小明同学 ", "avatar_url": url}),
        )
        .await;
    assert_eq!((status, filled["err"].as_i64()), (200, Some(0)), "{filled}");
    assert_eq!(
        (
            filled["data"]["nick_name"].as_str(),
            filled["data"]["avatar_url"].as_str()
        ),
        (Some("小明同学"), Some(url.as_str()))
    );
    let other = w.jwt("oOther").await;
    let (_, stolen) = w
        .fill(&other, json!({"app_id": APP, "avatar_url": url}))
        .await;
    assert_eq!(stolen["err"], 41012, "another user's avatar: {stolen}");
    let (_, forged) = w
        .fill(&jwt, json!({"app_id": APP, "avatar_url": format!("https://elsewhere.test/v1/avatar/{sha256}.jpg")}))
        .await;
    assert_eq!(forged["err"], 41012, "{forged}");
    let (_, risky) = w
        .fill(
            &jwt,
            json!({"app_id": APP, "nick_name": format!("大{RISKY_WORD}")}),
        )
        .await;
    assert_eq!(risky["err"], 87014, "{risky}");
    let (_, long) = w
        .fill(&jwt, json!({"app_id": APP, "nick_name": "字".repeat(65)}))
        .await;
    assert_eq!(long["err"], 41006, "{long}");
    let (status, neither) = w.fill(&jwt, json!({"app_id": APP})).await;
    assert_eq!(
        (status, neither["err"].as_i64()),
        (400, Some(400)),
        "{neither}"
    );
    let (status, _) = w
        .fill("not-a-jwt", json!({"app_id": APP, "nick_name": "x"}))
        .await;
    assert_eq!(status, 401);
    let (_, after) = w.login("oFill").await;
    assert_eq!(
        (
            after["data"]["nick_name"].as_str(),
            after["data"]["avatar_url"].as_str()
        ),
        (Some("小明同学"), Some(url.as_str())),
        "refused fill-ins stored nothing"
    );
    let (_, review) = w
        .fill(
            &jwt,
            json!({"app_id": APP, "nick_name": format!("{REVIEW_WORD}的人")}),
        )
        .await;
    assert_eq!(
        review["data"]["nick_name"],
        format!("{REVIEW_WORD}的人"),
        "review: stored"
    );

    // An expired access token is replaced once and the check made again.
    w.wechat.lock().unwrap().expire_token_once = true;
    let (_, refreshed) = w
        .fill(&jwt, json!({"app_id": APP, "nick_name": "小绿"}))
        .await;
    assert_eq!(refreshed["data"]["nick_name"], "小绿", "{refreshed}");
    assert_eq!(w.wechat.lock().unwrap().tokens_issued, 2);

    // The image check WeChat was asked for right after the upload.
    let deadline = Instant::now() + Duration::from_secs(10);
    let trace_id = loop {
        let checks = w.wechat.lock().unwrap().image_checks.clone();
        if let Some((trace_id, media_url, open_id)) = checks.first() {
            assert_eq!(
                (media_url.as_str(), open_id.as_str()),
                (url.as_str(), "oFill")
            );
            break trace_id.clone();
        }
        assert!(
            Instant::now() < deadline,
            "media_check_async was never called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // WeChat's push: the URL check, a forged push refused, the risky verdict removing the avatar.
    let (status, echo) = w
        .push("GET", &signed(PUSH_TOKEN, "&echostr=hello123"), json!({}))
        .await;
    assert_eq!((status, echo.as_str()), (200, "hello123"));
    let (status, _) = w
        .push("GET", &signed("wrong", "&echostr=hello123"), json!({}))
        .await;
    assert_eq!(status, 401);
    let verdict = json!({"Event": "wxa_media_check", "appid": APP, "trace_id": trace_id, "version": 2,
        "errcode": 0, "result": {"suggest": "risky", "label": 20002}});
    let (status, _) = w.push("POST", &signed("forger", ""), verdict.clone()).await;
    assert_eq!(status, 401, "a forged push");
    assert_eq!(
        w.avatar(&url, &[]).await.0,
        200,
        "the forged push changed nothing"
    );
    let (status, ok) = w.push("POST", &signed(PUSH_TOKEN, ""), verdict).await;
    assert_eq!((status, ok.as_str()), (200, "success"));
    assert_eq!(
        w.avatar(&url, &[]).await.0,
        404,
        "the risky image is deleted"
    );
    let (_, gone) = w.login("oFill").await;
    assert_eq!(
        gone["data"]["avatar_url"], "",
        "and taken from its user: {gone}"
    );
    assert_eq!(gone["data"]["nick_name"], "小绿");

    // What operators see: every verdict counted by kind.
    let (_, _, metrics) = send("GET", &format!("{}/metrics", w.server), &[], vec![]).await;
    let metrics = String::from_utf8_lossy(&metrics);
    for (labels, count) in [
        (r#"kind="nickname",verdict="pass""#, 6),
        (r#"kind="nickname",verdict="review""#, 1),
        (r#"kind="nickname",verdict="risky""#, 1),
        (r#"kind="avatar",verdict="risky""#, 1),
    ] {
        let line = format!("tmsdk_content_checks_total{{{labels}}} {count}");
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_in_on_sqlite() {
    on_sqlite("fill", |db| async move { fill_in(&db).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_in_on_postgres() {
    on_postgres(|url| async move { fill_in(&url).await }).await;
}
