//! The player's figures end to end on SQLite and PostgreSQL (docs/contract.md, the player's figures): shares
//! and play time through `POST /v1/events` (counted once per id, within each day's limits, refused whole when
//! any event is wrong), invitees credited by the login that creates them, and `online_days` by the
//! Asia/Shanghai calendar.

mod support;

use serde_json::{json, Value};
use tmsdk_server::{shanghai_day, share_code, Location, Login, Metrics, Store};

use support::world::*;

impl World {
    fn code_of(&self, open_id: &str) -> String {
        share_code(&self.config.token_secret, APP, open_id)
    }
}

fn figures(answer: &Value) -> (u64, u64, u64) {
    let data = &answer["data"];
    (
        data["share_times"].as_u64().unwrap(),
        data["online_duration"].as_u64().unwrap(),
        data["share_new"].as_u64().unwrap(),
    )
}

fn shares(ids: impl Iterator<Item = String>) -> Value {
    Value::Array(ids.map(|id| json!({"id": id, "kind": "share"})).collect())
}

async fn events_are_counted_once_within_the_limits(w: &World) {
    let jwt = w.jwt("oPlayer").await;
    let (status, answer) = w
        .events(
            &jwt,
            json!([{"id": "s-1", "kind": "share"}, {"id": "s-2", "kind": "share"},
                   {"id": "p-1", "kind": "play", "seconds": 125}]),
        )
        .await;
    assert_eq!((status, answer["err"].as_i64()), (200, Some(0)), "{answer}");
    assert_eq!(figures(&answer), (2, 125, 0));
    // The answer lost, the same events sent again: acknowledged, not counted.
    let (_, again) = w
        .events(
            &jwt,
            json!([{"id": "p-1", "kind": "play", "seconds": 125}, {"id": "s-2", "kind": "share"}]),
        )
        .await;
    assert_eq!(figures(&again), (2, 125, 0));
    // One wrong event refuses the whole request, naming it; nothing of it is counted.
    let (status, refused) = w
        .events(
            &jwt,
            json!([{"id": "s-3", "kind": "share"}, {"id": "p-2", "kind": "play", "seconds": 0}]),
        )
        .await;
    assert_eq!(
        (status, refused["err"].as_i64()),
        (400, Some(400)),
        "{refused}"
    );
    assert!(
        refused["msg"]
            .as_str()
            .unwrap()
            .contains("events[1].seconds"),
        "{refused}"
    );
    let (_, after) = w.events(&jwt, json!([])).await;
    assert_eq!(
        figures(&after),
        (2, 125, 0),
        "nothing of the refused request counted"
    );
    let (status, _) = w
        .events(&jwt, shares((0..101).map(|i| format!("many-{i}"))))
        .await;
    assert_eq!(status, 400, "at most 100 events a request");
    let (status, _) = w.events("not-a-session", json!([])).await;
    assert_eq!(status, 401);
    // A day's limits: 100 shares and 86,400 s of play.
    w.events(&jwt, shares((0..60).map(|i| format!("day-a-{i}"))))
        .await;
    let (_, capped) = w
        .events(&jwt, shares((0..60).map(|i| format!("day-b-{i}"))))
        .await;
    assert_eq!(figures(&capped).0, 100, "at most 100 shares counted a day");
    let (_, played) = w
        .events(
            &jwt,
            json!([{"id": "long-1", "kind": "play", "seconds": 86_400},
                   {"id": "long-2", "kind": "play", "seconds": 10}]),
        )
        .await;
    assert_eq!(
        figures(&played).1,
        86_400,
        "at most 86,400 s of play counted a day"
    );
}

async fn a_new_player_from_a_share_credits_its_sharer_once(w: &World) {
    let sharer_jwt = w.jwt("oSharer").await;
    let code = w.code_of("oSharer");
    let credited = || async {
        let (_, answer) = w.events(&sharer_jwt, json!([])).await;
        figures(&answer).2
    };
    assert_eq!(credited().await, 0);
    let invitee = w.login_shared("oInvitee", &code).await;
    assert_eq!(invitee["data"]["is_new"], true, "{invitee}");
    assert_eq!(
        invitee["data"]["share_code"],
        w.code_of("oInvitee").as_str(),
        "the player's own code comes with the profile"
    );
    assert_eq!(credited().await, 1, "a new player from the share");
    // Nothing else credits: the same invitee again, an existing player, the sharer itself, a forged tag.
    w.login_shared("oInvitee", &code).await;
    w.jwt("oExisting").await;
    w.login_shared("oExisting", &code).await;
    w.login_shared("oSharer", &code).await;
    let own = w.code_of("oSelf");
    w.login_shared("oSelf", &own).await;
    let forged = w.login_shared("oForged", "AAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(forged["err"], 0, "a forged tag never fails a login");
    let junk = w.login_shared("oJunk", "not a code; DROP TABLE").await;
    assert_eq!(junk["err"], 0);
    assert_eq!(credited().await, 1, "nothing else credited");
    // 20 first logins of one invitee at once: one player, one credit.
    let url = format!("{}/v1/login", w.server);
    let mut rush = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let code_of_wx = w.wechat.lock().unwrap().code_for("oRush");
        let body =
            json!({"app_id": APP, "code": code_of_wx, "scene": 1007, "sharer": code}).to_string();
        let url = url.clone();
        rush.spawn(async move { post(&url, body, None).await.1 });
    }
    let answers = rush.join_all().await;
    assert!(answers.iter().all(|a| a["err"] == 0), "{answers:?}");
    assert_eq!(
        answers
            .iter()
            .filter(|a| a["data"]["is_new"] == true)
            .count(),
        1
    );
    assert_eq!(credited().await, 2);
}

/// `online_days` counts days on the Asia/Shanghai calendar, with logins and play.
async fn online_days_follow_the_shanghai_calendar(db: &str) {
    let store = Store::open(db, Metrics::new()).await.unwrap();
    let location = Location::default();
    let login = |now: i64| Login {
        app_id: APP,
        open_id: "oCalendar",
        anonymous_open_id: "",
        union_id: "",
        session_key: "a2V5LTAwMDAwMDAwMDAwMA==",
        scene: "1001",
        channel: "",
        location: &location,
        share_code: "calendar-code",
        sharer: "",
        now,
    };
    // 2026-12-04 23:00 UTC is 2026-12-05 07:00 in Beijing; 01:00 UTC is 09:00 the same Beijing day.
    let seven_am = 1_796_425_200;
    assert_eq!(shanghai_day(seven_am), shanghai_day(seven_am + 2 * 3600));
    assert_ne!(
        seven_am.div_euclid(86_400),
        (seven_am + 2 * 3600).div_euclid(86_400)
    );
    assert_eq!(store.login(login(seven_am)).await.unwrap().online_days, 1);
    assert_eq!(
        store
            .login(login(seven_am + 2 * 3600))
            .await
            .unwrap()
            .online_days,
        1,
        "one Beijing day"
    );
    assert_eq!(
        store
            .login(login(seven_am + 86_400))
            .await
            .unwrap()
            .online_days,
        2,
        "the next day"
    );
    // A day with play and no login counts too.
    let play = [tmsdk_core::Event::Play {
        id: "cal-1".into(),
        seconds: 60,
    }];
    store
        .record_events(APP, "oCalendar", &play, seven_am + 2 * 86_400)
        .await
        .unwrap();
    let user = store.user(APP, "oCalendar").await.unwrap().unwrap();
    assert_eq!((user.online_days, user.online_duration), (3, 60));
}

async fn the_figures(db: &str) {
    let w = start(db, None).await;
    events_are_counted_once_within_the_limits(&w).await;
    a_new_player_from_a_share_credits_its_sharer_once(&w).await;
    online_days_follow_the_shanghai_calendar(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_on_sqlite() {
    on_sqlite("figures", |db| async move { the_figures(&db).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_on_postgres() {
    on_postgres(|url| async move { the_figures(&url).await }).await;
}
