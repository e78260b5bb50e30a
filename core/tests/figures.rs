//! The player's figures and the erasure end to end, natively: the real flow over the fake host and clock
//! (`tests/fake/`), whose backend counts events by id as tmsdk-server does (the server's own half:
//! `server/tests/figures.rs`, `server/tests/erase.rs`). The JS runtimes run the same list,
//! `tests/scenarios/figures.mjs`; `every_js_figures_scenario_has_a_native_run` keeps the two equal.
#![cfg(not(target_arch = "wasm32"))]

mod fake;

use std::rc::Rc;

use fake::{Kind, Step, World, KEY, T0};
use serde_json::json;
use tmsdk_core::{ErrorCode, Input, Profile, Sdk, Segment, ShareTag, CHECKPOINT_MS};

fn installed(world: &Rc<World>) -> Sdk<fake::FakeHost> {
    let sdk = world.install(&[]).expect("a valid config");
    world.run();
    sdk
}

/// A logged-in player (the install's automatic login is the shim's; here the test logs in).
fn logged_in(world: &Rc<World>) -> (Sdk<fake::FakeHost>, Profile) {
    let sdk = installed(world);
    let profile = world.settle(sdk.login()).expect("logged in");
    (sdk, profile)
}

fn stored(world: &World, field: &str) -> u64 {
    let open_id = world.wx.borrow().open_id.clone();
    world
        .backend
        .borrow()
        .stored(&open_id)
        .expect("a stored player")[field]
        .as_u64()
        .unwrap()
}

fn cached(sdk: &Sdk<fake::FakeHost>) -> Profile {
    sdk.cached_profile().expect("a cached profile").profile
}

fn pending_events(world: &World) -> usize {
    world.pending().map_or(0, |p| p.events.len())
}

fn scenario_three_shares() {
    let world = World::new(Kind::MiniGame);
    let (sdk, p) = logged_in(&world);
    let code = p
        .share_code
        .clone()
        .expect("the backend issued a share code");
    // wx.shareAppMessage({ query }), the menu's onShareAppMessage object, a page's { path }.
    let active = sdk.share(None, Some("room=7"));
    let menu = sdk.share(None, None);
    let page = sdk.share(Some("pages/game/index?room=7"), Some("ignored=1"));
    assert_eq!(active, ShareTag::Query(format!("room=7&tmsdk_s={code}")));
    assert_eq!(menu, ShareTag::Query(format!("tmsdk_s={code}")));
    assert_eq!(
        page,
        ShareTag::Path(format!("pages/game/index?room=7&tmsdk_s={code}"))
    );
    world.run();
    assert_eq!(stored(&world, "share_times"), 3);
    assert_eq!(cached(&sdk).share_times, 3, "the cache follows the answer");
    assert_eq!(pending_events(&world), 0, "acknowledged, nothing pending");
}

fn scenario_invitee() {
    let world = World::new(Kind::MiniProgram);
    let (_, sharer) = logged_in(&world);
    let code = sharer.share_code.clone().unwrap();
    let sharer_id = sharer.open_id.clone();
    let share_new = |world: &World| {
        world.backend.borrow().stored(&sharer_id).unwrap()["share_new"]
            .as_u64()
            .unwrap()
    };
    // A new player launched from the share.
    let player = |world: &Rc<World>, open_id: &str, sharer: &str| {
        {
            let mut wx = world.wx.borrow_mut();
            wx.open_id = open_id.into();
            wx.storage.clear();
            wx.launch.query.sharer = Input::str(sharer);
        }
        logged_in(world).1
    };
    let invitee = player(&world, "oInvitee_1", &code);
    assert!(invitee.is_new);
    assert_eq!(share_new(&world), 1, "one new player brought in");
    assert_eq!(
        world.backend.borrow().last_body("/v1/login")["sharer"],
        json!(code),
        "the login names the sharer"
    );
    // Nothing else does: the same invitee again, an existing player, the sharer itself, a forged tag.
    player(&world, "oInvitee_1", &code);
    player(&world, "oInvitee_1", &code);
    player(&world, &sharer_id, &code);
    player(&world, "oInvitee_2", "forged-code");
    assert_eq!(share_new(&world), 1);
}

fn scenario_play_time() {
    let world = World::new(Kind::MiniGame);
    let (sdk, _) = logged_in(&world);
    world.advance_ms(125_400);
    sdk.hidden();
    world.run();
    assert_eq!(stored(&world, "online_duration"), 125);
    assert_eq!(cached(&sdk).online_duration, 125);
    // An hour in the background adds nothing; the next segment starts at the show.
    world.advance_ms(3_600_000);
    sdk.shown();
    world.advance_ms(10_000);
    sdk.hidden();
    world.run();
    assert_eq!(cached(&sdk).online_duration, 135);
    assert_eq!(world.backend.borrow().stats.events, 2, "one send per hide");
}

fn scenario_answer_lost() {
    let world = World::new(Kind::MiniGame);
    let (sdk, _) = logged_in(&world);
    world.backend.borrow_mut().script_events.push_back(Step {
        lose_answer: true,
        ..Step::default()
    });
    sdk.share(None, None);
    world.run();
    assert_eq!(stored(&world, "share_times"), 1, "the server counted");
    assert_eq!(
        pending_events(&world),
        1,
        "the SDK did not hear it: pending"
    );
    // The next send carries it again; the server acknowledges it without counting it twice.
    world.advance_ms(1_000);
    sdk.hidden();
    world.run();
    assert_eq!(world.backend.borrow().stats.events, 2);
    assert_eq!(stored(&world, "share_times"), 1, "counted once");
    assert_eq!(stored(&world, "online_duration"), 1);
    assert_eq!(pending_events(&world), 0);
}

fn scenario_offline_then_next_launch() {
    let world = World::new(Kind::MiniGame);
    let (sdk, _) = logged_in(&world);
    world.wx.borrow_mut().request_throws =
        Some("request:fail net::ERR_INTERNET_DISCONNECTED".into());
    world.advance_ms(300_000);
    sdk.hidden();
    sdk.share(None, None);
    world.run();
    assert_eq!(pending_events(&world), 2, "kept pending while offline");
    drop(sdk);
    // The next launch, online again: sent before anything else is asked.
    world.wx.borrow_mut().request_throws = None;
    world.advance_ms(86_400_000);
    let next = installed(&world);
    assert_eq!(stored(&world, "online_duration"), 300);
    assert_eq!(stored(&world, "share_times"), 1);
    assert_eq!(cached(&next).online_duration, 300);
    assert_eq!(
        pending_events(&world),
        0,
        "nothing pending; the open segment only"
    );
}

fn scenario_events_endpoint_down() {
    let world = World::new(Kind::MiniGame);
    let (sdk, _) = logged_in(&world);
    let refusal = || Step {
        status: Some(503),
        body: Some(json!({"err": 503, "msg": "down"}).to_string()),
        ..Step::default()
    };
    world
        .backend
        .borrow_mut()
        .script_events
        .extend([refusal(), refusal()]);
    sdk.share(None, None);
    world.run();
    sdk.share(None, None);
    world.run();
    assert_eq!(stored(&world, "share_times"), 0);
    assert_eq!(pending_events(&world), 2, "both kept");
    sdk.share(None, None);
    world.run();
    assert_eq!(
        stored(&world, "share_times"),
        3,
        "all three in the next send"
    );
    assert_eq!(pending_events(&world), 0);
}

fn scenario_storage_full() {
    let world = World::new(Kind::MiniGame);
    let (sdk, _) = logged_in(&world);
    world.wx.borrow_mut().storage_throws.set = true;
    world.advance_ms(42_000);
    sdk.share(None, None);
    sdk.hidden();
    world.run();
    assert_eq!(stored(&world, "share_times"), 1, "sent from memory");
    assert_eq!(stored(&world, "online_duration"), 42);
    let warnings = world.wx.borrow().warnings.clone();
    let about_figures = warnings
        .iter()
        .filter(|w| w.contains("pending figures"))
        .count();
    assert_eq!(about_figures, 1, "warned once: {warnings:?}");
}

fn scenario_killed() {
    let world = World::new(Kind::MiniGame);
    let (sdk, _) = logged_in(&world);
    // The shim's timer: still in the foreground, every minute.
    for _ in 0..3 {
        world.advance_ms(CHECKPOINT_MS);
        sdk.shown();
    }
    world.advance_ms(59_000);
    sdk.shown();
    // Killed in the foreground: no hide. The next launch ends the segment at its last checkpoint.
    drop(sdk);
    world.advance_ms(3_600_000);
    let next = installed(&world);
    assert_eq!(
        stored(&world, "online_duration"),
        180,
        "at most a minute lost"
    );
    assert_eq!(cached(&next).online_duration, 180);
}

fn scenario_before_login() {
    let world = World::new(Kind::MiniProgram);
    let sdk = installed(&world);
    assert_eq!(
        sdk.share(None, Some("room=7")),
        ShareTag::Query("room=7".into()),
        "no share code yet: untagged"
    );
    world.run();
    assert_eq!(
        world.backend.borrow().stats.events,
        0,
        "no session: waiting"
    );
    assert_eq!(world.counts().login, 0, "no login for the figures");
    let p = world.settle(sdk.login()).unwrap();
    world.run();
    assert_eq!(p.share_times, 0);
    assert_eq!(stored(&world, "share_times"), 1, "sent after the login");
    assert_eq!(cached(&sdk).share_times, 1);
}

fn scenario_tracking_off() {
    let world = World::new(Kind::MiniGame);
    let sdk = world
        .install(&[
            ("trackShares", Input::Bool(false)),
            ("trackPlayTime", Input::Bool(false)),
        ])
        .unwrap();
    let p = world.settle(sdk.login()).unwrap();
    let code = p.share_code.unwrap();
    assert!(!sdk.tracks_shares() && !sdk.tracks_play_time());
    assert_eq!(
        sdk.share(None, None),
        ShareTag::Query(format!("tmsdk_s={code}")),
        "still tagged, so invitees are credited"
    );
    world.advance_ms(60_000);
    sdk.hidden();
    world.run();
    assert_eq!(world.backend.borrow().stats.events, 0);
    assert!(world.pending().is_none(), "nothing stored");
}

fn scenario_delete() {
    let world = World::new(Kind::MiniProgram);
    let sdk = installed(&world);
    let call = world.tap(|| sdk.update_user_profile(&Input::Undefined, None));
    let first = world.settle(call).unwrap();
    world.wx.borrow_mut().request_throws = Some("request:fail offline".into());
    sdk.share(None, None);
    world.run();
    world.wx.borrow_mut().request_throws = None;
    assert_eq!(pending_events(&world), 1);
    world.reset_counts();
    world.settle(sdk.delete_profile()).expect("erased");
    let open_id = first.open_id.clone();
    assert!(
        world.backend.borrow().stored(&open_id).is_none(),
        "erased on the server"
    );
    let keys: Vec<String> = world.wx.borrow().storage.keys().cloned().collect();
    assert!(
        keys.is_empty(),
        "nothing of the player left in storage: {keys:?}"
    );
    assert!(sdk.cached_profile().is_none());
    world.run();
    assert_eq!(world.counts().login, 0, "no login by itself");
    assert_eq!(
        world.backend.borrow().stats.events,
        0,
        "the pending share erased, not sent"
    );
    let next = world.settle(sdk.login()).unwrap();
    assert!(
        next.is_new && next.login_times == 1,
        "the next login is a new player"
    );
    assert_eq!(next.share_times, 0);
}

fn scenario_delete_fails() {
    let world = World::new(Kind::MiniProgram);
    let sdk = installed(&world);
    let call = world.tap(|| sdk.update_user_profile(&Input::Undefined, None));
    let first = world.settle(call).unwrap();
    let record = world.record();
    world.wx.borrow_mut().request_throws = Some("request:fail offline".into());
    let e = world.settle(sdk.delete_profile()).expect_err("offline");
    assert_eq!(e.code, ErrorCode::Network, "{}", e.message);
    assert_eq!(e.cached.as_deref(), Some(&first), "error.cached");
    assert_eq!(world.record(), record, "the record kept to try again");
    world.wx.borrow_mut().request_throws = None;
    let refused = |status: u16| Step {
        status: Some(status),
        body: Some(json!({"err": status, "msg": "no"}).to_string()),
        ..Step::default()
    };
    world
        .backend
        .borrow_mut()
        .script_erase
        .push_back(refused(500));
    let e = world.settle(sdk.delete_profile()).expect_err("500");
    assert_eq!((e.code, e.status), (ErrorCode::Http, Some(500)));
    world.backend.borrow_mut().script_erase.push_back(Step {
        body: Some(json!({"err": 5001, "msg": "busy"}).to_string()),
        ..Step::default()
    });
    let e = world.settle(sdk.delete_profile()).expect_err("err != 0");
    assert_eq!((e.code, e.server_err), (ErrorCode::Server, Some(5001)));
    assert_eq!(world.record(), record);
    assert!(world.backend.borrow().stored(&first.open_id).is_some());
    // A session the server no longer knows: one login, and the erasure goes through.
    world.backend.borrow_mut().expire_sessions();
    world
        .settle(sdk.delete_profile())
        .expect("erased after one login");
    assert!(world.record().is_none());
    let no_login = World::new(Kind::MiniProgram);
    let sdk = no_login.install(&[("noLogin", Input::Bool(true))]).unwrap();
    let e = no_login
        .settle(sdk.delete_profile())
        .expect_err("no-login build");
    assert_eq!(e.code, ErrorCode::NoLoginSdk);
}

/// Declares one `#[test]` per scenario and the list of their names (as in `tests/scenarios/figures.mjs`).
macro_rules! scenarios {
    ($($name:literal => $f:ident,)*) => {
        const NATIVE: &[&str] = &[$($name),*];
        mod scenario {
            $(#[test] fn $f() { super::$f() })*
        }
    };
}

scenarios! {
    "figures: an active share, a menu share and a page's share read share_times 3, each tagged with the share code" => scenario_three_shares,
    "figures: a new player launched from a share adds one share_new, and nothing else does" => scenario_invitee,
    "figures: 125 s in the foreground then a hide read online_duration 125; background time adds nothing" => scenario_play_time,
    "figures: an answer lost after the server counted is resent and counted once" => scenario_answer_lost,
    "figures: time played offline arrives with the next launch" => scenario_offline_then_next_launch,
    "figures: the events endpoint down → the events stay pending and go with the next send" => scenario_events_endpoint_down,
    "figures: storage full → the events are sent from memory, one warning" => scenario_storage_full,
    "figures: a game killed in the foreground keeps its time up to the last checkpoint" => scenario_killed,
    "figures: before the first login a share goes out untagged and is counted after the login" => scenario_before_login,
    "figures: trackShares and trackPlayTime false count nothing, shares still tagged" => scenario_tracking_off,
    "deleteProfile erases the player: nothing left in storage, no login by itself, the next login a new player" => scenario_delete,
    "deleteProfile offline or refused → NETWORK / HTTP / SERVER, the record kept; a refused session logs in once" => scenario_delete_fails,
}

/// Scenarios that need the fake clock to reach a checkpoint (the shim's timer waits a real minute); the
/// shim's timer itself is tested in `tests/js/shim.test.mjs`.
const NATIVE_ONLY: &[&str] =
    &["figures: a game killed in the foreground keeps its time up to the last checkpoint"];

#[test]
fn every_js_figures_scenario_has_a_native_run() {
    let names = fake::js_scenario_names("figures.mjs");
    let js: Vec<&str> = names.iter().map(String::as_str).collect();
    let missing: Vec<&&str> = js.iter().filter(|n| !NATIVE.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "JS scenarios without a native run: {missing:#?}"
    );
    let extra: Vec<&&str> = NATIVE
        .iter()
        .filter(|n| !js.contains(n) && !NATIVE_ONLY.contains(n))
        .collect();
    assert!(
        extra.is_empty(),
        "native scenarios the JS list lacks: {extra:#?}"
    );
}

#[test]
fn a_launch_ends_a_killed_segment_and_starts_one_and_the_record_keeps_its_age() {
    let world = World::new(Kind::MiniGame);
    let (sdk, _) = logged_in(&world);
    let pending = world
        .pending()
        .expect("the open segment is stored at install");
    assert_eq!(pending.open, Some(Segment::start(T0)));
    assert_eq!(world.record_json()["cached_at"], json!(T0));
    world.advance_ms(5_000);
    sdk.hidden();
    world.run();
    assert_eq!(
        world.record_json()["cached_at"],
        json!(T0),
        "an events answer keeps the record's age"
    );
    assert!(
        world.pending().is_none(),
        "nothing pending, no segment: removed"
    );
    assert!(world.record().is_some() && world.wx.borrow().storage.contains_key(KEY));
}
