//! The end-to-end scenarios of `tests/scenarios/scenarios.mjs`, run natively: the real flow (`src/flow.rs`)
//! over the fake host of `tests/fake/` (fake `wx`, fake clock, in-process backend). Deterministic and fast.
//! `every_js_scenario_has_a_native_run` keeps the two lists equal.
#![cfg(not(target_arch = "wasm32"))]

mod fake;

use std::rc::Rc;

use fake::{Kind, Step, World, APP, KEY, T0, TAP_MESSAGE};
use serde_json::{json, Value};
use tmsdk_core::Input;
use tmsdk_core::Lang;
use tmsdk_core::Platform;
use tmsdk_core::Profile;
use tmsdk_core::Sdk;
use tmsdk_core::{ErrorCode, Failure};

/// The documented fields, in order (the optional `lst` and `xh_uid` come after them).
fn fields() -> &'static [&'static str] {
    Profile::field_names().split_at(27).0
}

/// The top-level keys of a JSON object text, in the order they appear (serde_json's map sorts them).
fn key_order(text: &str) -> Vec<String> {
    let Value::Object(map) = serde_json::from_str::<Value>(text).unwrap() else {
        panic!("not an object")
    };
    let mut keys: Vec<(usize, String)> = map
        .keys()
        .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

fn setup(kind: Kind, config: &[(&str, Input)]) -> (Rc<World>, Sdk<fake::FakeHost>) {
    let world = World::new(kind);
    let sdk = world.install(config).expect("a valid config");
    (world, sdk)
}

fn no_options() -> Input {
    Input::Undefined
}

fn options(pairs: &[(&str, Input)]) -> Input {
    Input::object(pairs.iter().cloned())
}

fn refresh() -> Input {
    options(&[("refresh", Input::Bool(true))])
}

/// `updateUserProfile(options)` from a tap, settled.
fn tap_update(world: &World, sdk: &Sdk<fake::FakeHost>, o: Input) -> Result<Profile, Failure> {
    let call = world.tap(|| sdk.update_user_profile(&o, None));
    world.settle(call)
}

fn authorise(world: &World, sdk: &Sdk<fake::FakeHost>) -> Profile {
    let p = tap_update(world, sdk, options(&[("desc", Input::str("用于排行榜"))]))
        .expect("the first update resolves");
    assert!(world.record().is_some(), "the record is written");
    p
}

fn rejects(outcome: Result<Profile, Failure>, code: ErrorCode, what: &str) -> Failure {
    let e = outcome.expect_err(what);
    assert_eq!(e.code, code, "{what}: {}", e.message);
    assert!(
        e.message.len() > 20,
        "{what}: a message that says what to do"
    );
    e
}

fn prompts_again(edit: impl FnOnce(&mut Value), what: &str) {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    authorise(&world, &sdk);
    world.edit_record(edit);
    world.reset_counts();
    let before = world.backend.borrow().stats.profile;
    let p = tap_update(&world, &sdk, no_options()).expect(what);
    assert_eq!(
        world.counts().get_user_profile,
        1,
        "{what}: the popup opens"
    );
    assert_eq!(
        world.backend.borrow().stats.profile,
        before + 1,
        "{what}: one request"
    );
    assert_eq!(p.nick_name, "小明", "{what}: the new profile");
}

fn record_intact_on_bad_answer(step: Step, field: Option<&str>, what: &str) {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    let first = authorise(&world, &sdk);
    let record = world.record();
    world.backend.borrow_mut().script_profile.push_back(step);
    let e = rejects(
        tap_update(&world, &sdk, refresh()),
        ErrorCode::InvalidProfile,
        what,
    );
    assert_eq!(e.field.as_deref(), field, "{what}: field");
    assert_eq!(world.record(), record, "{what}: the record is intact");
    assert_eq!(e.cached.as_deref(), Some(&first), "{what}: error.cached");
}

fn scenario_first_call() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    let p = tap_update(
        &world,
        &sdk,
        options(&[("desc", Input::str(" 用于排行榜 "))]),
    )
    .unwrap();
    assert_eq!(world.counts().get_user_profile, 1, "one popup");
    assert_eq!(
        world.wx.borrow().last_user_profile,
        Some(("用于排行榜".to_string(), Lang::ZhCn)),
        "desc trimmed, default lang"
    );
    let stats = world.backend.borrow().stats.clone();
    assert_eq!(
        (stats.login, stats.profile),
        (1, 1),
        "one login, one profile request"
    );
    let value = serde_json::to_value(&p).unwrap();
    let mut expected: Vec<&str> = fields().to_vec();
    expected.push("share_code");
    assert_eq!(
        key_order(&p.to_json()),
        expected,
        "exactly the documented fields, in order, and the share code the backend issued"
    );
    assert_eq!(p.open_id, "oSimUser_001");
    assert_eq!(p.app_id, APP);
    assert_eq!(p.nick_name, "小明");
    assert!(!p.jwt.is_empty(), "the session rides on the profile");
    let record = world.record_json();
    let text = world.record().unwrap();
    let top: Vec<String> = ["v", "app_id", "cached_at", "profile"]
        .iter()
        .filter(|k| text.contains(&format!("\"{k}\":")))
        .map(|k| k.to_string())
        .collect();
    assert_eq!(top.len(), 4, "record shape");
    assert_eq!(record.as_object().unwrap().len(), 4, "record shape");
    assert_eq!(record["v"], 1);
    assert_eq!(record["profile"], value, "the record holds the profile");
    assert_eq!(record["cached_at"], T0, "cached_at is now");
    let backend = world.backend.borrow();
    let sent = backend.last_body("/v1/profile");
    assert_eq!(sent["app_id"], APP);
    assert_eq!(sent["user_info"]["nickName"], "小明");
    let login = backend.last_body("/v1/login");
    assert_eq!(
        (
            login["app_id"].clone(),
            login["scene"].clone(),
            login["channel"].clone()
        ),
        (json!(APP), json!(1044), json!("ch-sim")),
        "login body"
    );
}

fn scenario_second_call_reuses() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    let first = authorise(&world, &sdk);
    world.reset_counts();
    let before = world.backend.borrow().stats.clone();
    let second = tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(second, first, "same profile");
    assert_eq!(world.counts(), fake::Counts::default(), "no host call");
    assert_eq!(world.backend.borrow().stats, before, "no backend call");
}

fn scenario_refresh_prompts() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    authorise(&world, &sdk);
    world.reset_counts();
    world.wx.borrow_mut().nick_name = "小红".into();
    let p = tap_update(&world, &sdk, refresh()).unwrap();
    assert_eq!(world.counts().get_user_profile, 1, "the popup opens");
    assert_eq!(p.nick_name, "小红", "fresh data");
    assert_eq!(
        world.record_json()["profile"]["nick_name"],
        "小红",
        "record updated"
    );
}

fn scenario_fresh_alias() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    authorise(&world, &sdk);
    world.reset_counts();
    tap_update(&world, &sdk, options(&[("fresh", Input::Bool(true))])).unwrap();
    assert_eq!(world.counts().get_user_profile, 1, "the popup opens");
}

fn scenario_ttl_expiry() {
    prompts_again(
        |r| r["cached_at"] = json!(T0 - 604_800 * 1000 - 1),
        "expired record",
    );
}

fn scenario_future_record() {
    prompts_again(
        |r| r["cached_at"] = json!(T0 + 10 * 60 * 1000),
        "future record",
    );
}

fn scenario_empty_nick_name() {
    prompts_again(
        |r| r["profile"]["nick_name"] = json!(""),
        "unauthorised record",
    );
}

fn scenario_deny() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    let first = authorise(&world, &sdk);
    let record = world.record();
    world.wx.borrow_mut().allow = false;
    let e = rejects(
        tap_update(&world, &sdk, refresh()),
        ErrorCode::AuthDenied,
        "deny",
    );
    assert_eq!(e.err_msg.as_deref(), Some("getUserProfile:fail auth deny"));
    assert_eq!(e.cached.as_deref(), Some(&first), "error.cached");
    assert_eq!(world.record(), record, "record intact");
}

fn scenario_tap_required() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    // Outside the tap (after a promise hop or a timer).
    let call = sdk.update_user_profile(&no_options(), None);
    let e = rejects(world.settle(call), ErrorCode::TapRequired, "hop");
    assert_eq!(e.err_msg.as_deref(), Some(TAP_MESSAGE));
}

fn scenario_popup_opened_while_loading() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    // The shim opens the popup inside the tap before the core is ready, then hands it over.
    let o = options(&[("desc", Input::str("早点弹窗"))]);
    let popup = world.tap(|| {
        use tmsdk_core::Host;
        world.host().get_user_profile("早点弹窗", Lang::ZhCn)
    });
    let p = world
        .settle(sdk.update_user_profile(&o, Some(popup)))
        .unwrap();
    assert_eq!(
        world.counts().get_user_profile,
        1,
        "the early popup is the only one"
    );
    assert_eq!(
        p.nick_name, "小明",
        "resolves with the early popup's answer"
    );
}

fn scenario_unsupported() {
    let (world, sdk) = setup(Kind::Bare, &[]);
    rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Unsupported,
        "bare host",
    );
}

fn scenario_no_login() {
    let world = World::new(Kind::MiniProgram);
    let sdk = Sdk::new(
        &Input::object([("noLogin", Input::Bool(true))]),
        Some(APP),
        world.host(),
    )
    .unwrap();
    rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::NoLoginSdk,
        "update",
    );
    rejects(world.settle(sdk.login()), ErrorCode::NoLoginSdk, "login");
    let c = world.counts();
    assert_eq!(c.get_user_profile + c.login + c.request, 0, "no host call");
}

fn scenario_bad_options() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    for (o, field) in [
        (options(&[("desc", Input::str(&"字".repeat(31)))]), "desc"),
        (options(&[("desc", Input::str("   "))]), "desc"),
        (options(&[("desc", Input::Number(42.0))]), "desc"),
        (options(&[("refresh", Input::str("yes"))]), "refresh"),
        (
            options(&[
                ("refresh", Input::Bool(true)),
                ("fresh", Input::Bool(false)),
            ]),
            "fresh",
        ),
        (options(&[("lang", Input::str("fr"))]), "lang"),
    ] {
        let e = rejects(
            tap_update(&world, &sdk, o),
            ErrorCode::InvalidOptions,
            field,
        );
        assert_eq!(e.field.as_deref(), Some(field));
    }
    assert_eq!(
        world.counts().get_user_profile,
        0,
        "no popup for bad options"
    );
}

fn scenario_bad_config() {
    let world = World::new(Kind::MiniProgram);
    let server = ("server", Input::str(fake::SERVER));
    for (config, field) in [
        (vec![], "server"),
        (vec![("server", Input::str("ftp://example.com"))], "server"),
        (
            vec![server.clone(), ("profileTtl", Input::Number(-1.0))],
            "profileTtl",
        ),
        (
            vec![server.clone(), ("timeout", Input::str("10s"))],
            "timeout",
        ),
        (vec![server.clone(), ("appId", Input::str("wx 1"))], "appId"),
    ] {
        let e = Sdk::new(&Input::object(config), Some(APP), world.host()).expect_err("refused");
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        assert_eq!(e.field.as_deref(), Some(field));
    }
}

fn scenario_server_err() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    world.backend.borrow_mut().script_profile.push_back(Step {
        body: Some(json!({"err": 1001, "msg": "小程序session解析错误"}).to_string()),
        ..Step::default()
    });
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Server,
        "server error",
    );
    assert_eq!(e.server_err, Some(1001));
    assert_eq!(e.err_msg.as_deref(), Some("小程序session解析错误"));
}

fn scenario_http_500() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    world.backend.borrow_mut().script_profile.push_back(Step {
        status: Some(500),
        body: Some("Internal Server Error".into()),
        ..Step::default()
    });
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Http,
        "500",
    );
    assert_eq!(e.status, Some(500));
}

fn scenario_service_unavailable() {
    let (world, sdk) = setup(Kind::MiniProgram, &[("autoLogin", Input::Bool(false))]);
    let unavailable = || Step {
        status: Some(503),
        body: Some(
            r#"{"err":503,"msg":"the server's database is unavailable for a moment"}"#.into(),
        ),
        ..Step::default()
    };
    // The first launch's login during the outage: the same error, not a refused login.
    world
        .backend
        .borrow_mut()
        .script_login
        .push_back(unavailable());
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Server,
        "503 on login",
    );
    assert_eq!(e.status, Some(503));
    assert!(e.message.contains("briefly unavailable"), "{}", e.message);
    let first = authorise(&world, &sdk);
    let record = world.record();
    world
        .backend
        .borrow_mut()
        .script_profile
        .push_back(unavailable());
    let e = rejects(
        tap_update(&world, &sdk, refresh()),
        ErrorCode::Server,
        "503",
    );
    assert_eq!(e.status, Some(503));
    assert!(e.message.contains("briefly unavailable"), "{}", e.message);
    assert_eq!(e.cached.as_deref(), Some(&first), "error.cached");
    assert_eq!(world.record(), record, "record intact");
}

fn scenario_network() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    world.settle(sdk.login()).unwrap();
    world.backend.borrow_mut().script_profile.push_back(Step {
        fail: Some("request:fail socket hang up"),
        ..Step::default()
    });
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Network,
        "dropped",
    );
    assert!(e.err_msg.as_deref().unwrap().starts_with("request:fail"));
}

fn scenario_timeout() {
    let (world, sdk) = setup(Kind::MiniProgram, &[("timeout", Input::Number(300.0))]);
    world.settle(sdk.login()).unwrap();
    world.backend.borrow_mut().script_profile.push_back(Step {
        fail: Some("request:fail timeout"),
        ..Step::default()
    });
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Timeout,
        "slow",
    );
    assert_eq!(e.err_msg.as_deref(), Some("request:fail timeout"));
}

fn scenario_one_401() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    authorise(&world, &sdk);
    world.backend.borrow_mut().expire_sessions();
    refused_session_gives_way_to_a_new_one(&world, &sdk);
}

/// After the cached session was refused: an update logs in once, retries once, and caches the new session.
fn refused_session_gives_way_to_a_new_one(world: &World, sdk: &Sdk<fake::FakeHost>) {
    let before = world.backend.borrow().stats.clone();
    world.wx.borrow_mut().nick_name = "小刚".into();
    let p = tap_update(world, sdk, refresh()).unwrap();
    assert_eq!(p.nick_name, "小刚", "success after re-login");
    let after = world.backend.borrow().stats.clone();
    assert_eq!(
        (after.login - before.login, after.profile - before.profile),
        (1, 2),
        "one login, one retry"
    );
    assert_eq!(
        world.record_json()["profile"]["jwt"],
        json!(p.jwt),
        "the new session is cached"
    );
}

fn scenario_old_token() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    authorise(&world, &sdk);
    // A token the backend no longer knows the form of (an earlier server's `payload.mac`).
    world.edit_record(|r| r["profile"]["jwt"] = json!("d3gxCm8xCjk5OTk5OTk5OTk5.c2lnbmF0dXJl"));
    refused_session_gives_way_to_a_new_one(&world, &sdk);
}

fn scenario_two_401s() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    world.settle(sdk.login()).unwrap();
    let unauthorised = Step {
        status: Some(401),
        body: Some(json!({"err": 401, "msg": "session expired"}).to_string()),
        ..Step::default()
    };
    let mut backend = world.backend.borrow_mut();
    backend.script_profile.push_back(unauthorised.clone());
    backend.script_profile.push_back(unauthorised);
    let before = backend.stats.clone();
    drop(backend);
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Http,
        "401 twice",
    );
    assert_eq!(e.status, Some(401));
    assert!(e.message.contains("twice"), "{}", e.message);
    let after = world.backend.borrow().stats.clone();
    assert_eq!(
        (after.login - before.login, after.profile - before.profile),
        (1, 2),
        "one re-login, one retry, no loop"
    );
}

fn scenario_malformed_json() {
    record_intact_on_bad_answer(
        Step {
            body: Some(r#"{"err":0,"data":{"open_id":"#.into()),
            ..Step::default()
        },
        None,
        "malformed JSON",
    );
}

fn scenario_missing_open_id() {
    record_intact_on_bad_answer(
        Step {
            drop: vec!["open_id"],
            ..Step::default()
        },
        Some("open_id"),
        "missing open_id",
    );
}

fn scenario_other_app() {
    record_intact_on_bad_answer(
        Step {
            merge: Some(json!({"app_id": "wxanotherapp000001"})),
            ..Step::default()
        },
        Some("app_id"),
        "another app",
    );
}

fn scenario_storage_write_throws() {
    let (world, sdk) = setup(Kind::MiniProgram, &[("autoLogin", Input::Bool(false))]);
    world.wx.borrow_mut().storage_throws.set = true;
    let p = tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(p.nick_name, "小明", "resolves");
    let again = tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(again.nick_name, "小明", "resolves again");
    let warnings = world.wx.borrow().warnings.clone();
    assert_eq!(warnings.len(), 1, "warns once: {warnings:?}");
    assert!(warnings[0].contains("could not save") && !warnings[0].contains(&p.jwt));
}

fn scenario_corrupt_record() {
    let (world, sdk) = setup(Kind::MiniProgram, &[("autoLogin", Input::Bool(false))]);
    world
        .wx
        .borrow_mut()
        .storage
        .insert(KEY.into(), r#"{"v":1,"app_id":"#.into());
    assert_eq!(sdk.cached_profile(), None, "ignored");
    assert_eq!(world.record(), None, "removed");
    world.wx.borrow_mut().storage.insert(
        KEY.into(),
        json!({"v": 2, "app_id": APP, "cached_at": T0, "profile": {}}).to_string(),
    );
    let p = tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(world.counts().get_user_profile, 1, "the user is asked");
    assert_eq!(
        world.record_json()["profile"],
        serde_json::to_value(&p).unwrap()
    );
    // A value that is not a string at all is removed too.
    world.wx.borrow_mut().storage_other = Some(KEY.into());
    assert_eq!(sdk.cached_profile(), None);
    assert_eq!(world.wx.borrow().storage_other, None, "removed");
}

fn scenario_concurrent_calls() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    world.settle(sdk.login()).unwrap();
    let before = world.backend.borrow().stats.profile;
    let calls: Vec<_> = world.tap(|| {
        (0..5)
            .map(|_| sdk.update_user_profile(&refresh(), None))
            .collect()
    });
    let results: Vec<Profile> = calls
        .into_iter()
        .map(|c| world.settle(c).unwrap())
        .collect();
    assert_eq!(world.counts().get_user_profile, 1, "one popup");
    assert_eq!(
        world.backend.borrow().stats.profile - before,
        1,
        "one request"
    );
    assert_eq!(results.len(), 5);
    assert!(results.iter().all(|r| *r == results[0]), "equal results");
}

fn scenario_cached_and_clear() {
    let (world, sdk) = setup(
        Kind::MiniProgram,
        &[
            ("autoLogin", Input::Bool(false)),
            ("profileTtl", Input::Number(3600.0)),
        ],
    );
    assert_eq!(sdk.cached_profile(), None, "nothing cached yet");
    let p = authorise(&world, &sdk);
    world.reset_counts();
    let cached = sdk.cached_profile().expect("cached");
    assert_eq!(cached.profile, p);
    assert_eq!(
        cached.expires_at - cached.cached_at,
        3600 * 1000,
        "expiresAt = cachedAt + TTL"
    );
    let c = world.counts();
    assert_eq!(c.get_user_profile + c.request, 0, "never prompts");
    sdk.clear_profile_cache();
    assert_eq!(sdk.cached_profile(), None, "cleared");
    assert_eq!(world.record(), None, "the record is gone");
}

fn scenario_throwing_host_apis() {
    let (world, sdk) = setup(Kind::MiniProgram, &[("autoLogin", Input::Bool(false))]);
    {
        let mut wx = world.wx.borrow_mut();
        // What the wasm host reads from a getLaunchOptionsSync that throws.
        wx.launch = Default::default();
        wx.request_throws = Some("request exploded".into());
    }
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Network,
        "throwing wx.request",
    );
    assert_eq!(e.err_msg.as_deref(), Some("request exploded"));
    assert!(e.message.starts_with("While logging in"), "{}", e.message);
    world.wx.borrow_mut().request_throws = None;
    let p = tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(p.nick_name, "小明", "the next call succeeds");
    let login = world.backend.borrow().last_body("/v1/login");
    assert_eq!(
        (login["scene"].clone(), login["channel"].clone()),
        (json!(0), json!(""))
    );
}

fn scenario_minigame_authorised() {
    let (world, sdk) = setup(Kind::MiniGame, &[]);
    world.wx.borrow_mut().authorised = true;
    let p = world
        .settle(sdk.update_user_profile(&no_options(), None))
        .unwrap();
    let c = world.counts();
    assert_eq!(
        (c.get_setting, c.get_user_info, c.buttons),
        (1, 1, 0),
        "getSetting → getUserInfo"
    );
    assert_eq!(p.nick_name, "小明");
}

fn scenario_minigame_button() {
    let (world, sdk) = setup(Kind::MiniGame, &[]);
    let call = sdk.update_user_profile(&no_options(), None);
    world.run();
    assert_eq!(world.buttons_on_screen(), 1, "the user-info button");
    world.tap_button();
    let p = world.settle(call).unwrap();
    assert_eq!(p.nick_name, "小明", "profile from the tap");
    let c = world.counts();
    assert_eq!(
        (c.buttons, c.buttons_destroyed),
        (1, 1),
        "the button is destroyed"
    );
    world.wx.borrow_mut().allow = false;
    let denied = sdk.update_user_profile(&refresh(), None);
    world.run();
    assert_eq!(world.buttons_on_screen(), 1, "the second button");
    world.tap_button();
    let e = rejects(world.settle(denied), ErrorCode::AuthDenied, "denied tap");
    assert_eq!(e.err_msg.as_deref(), Some("getUserInfo:fail auth deny"));
    assert_eq!(world.counts().buttons_destroyed, 2, "destroyed either way");
}

fn scenario_minigame_button_style() {
    // The style object is the wasm host's (it passes `config.userInfoButton` as is; tested in every JS
    // runtime). Natively: a config with a style is accepted and the button path uses the call's lang.
    let style = Input::object([("left", Input::Number(10.0))]);
    let (world, sdk) = setup(Kind::MiniGame, &[("userInfoButton", style)]);
    assert!(sdk.config().has_user_info_button);
    let call = sdk.update_user_profile(&options(&[("lang", Input::str("en"))]), None);
    world.run();
    assert_eq!(world.wx.borrow().last_button_lang, Some(Lang::En));
    world.tap_button();
    world.settle(call).unwrap();
}

/// Declares one `#[test]` per scenario and the list of their names (as in `tests/scenarios/scenarios.mjs`).
macro_rules! scenarios {
    ($($name:literal => $run:ident,)*) => {
        const NATIVE: &[&str] = &[$($name),*];
        mod scenario {
            $(
                #[test]
                fn $run() {
                    super::$run()
                }
            )*
        }
    };
}

scenarios! {
    "first call prompts, requests, resolves all documented fields with the documented types and writes the record" => scenario_first_call,
    "second call reuses the record with no host call" => scenario_second_call_reuses,
    "refresh:true prompts" => scenario_refresh_prompts,
    "fresh:true alias prompts" => scenario_fresh_alias,
    "TTL expiry prompts" => scenario_ttl_expiry,
    "record from the future prompts" => scenario_future_record,
    "cached profile with empty nick_name prompts" => scenario_empty_nick_name,
    "deny → AUTH_DENIED, record intact, error.cached set" => scenario_deny,
    "promise hop before the popup → TAP_REQUIRED" => scenario_tap_required,
    "getUserProfile opens inside the tap while the wasm is still loading" => scenario_popup_opened_while_loading,
    "no user-info API → UNSUPPORTED" => scenario_unsupported,
    "noLogin → NO_LOGIN_SDK" => scenario_no_login,
    "bad desc / refresh → INVALID_OPTIONS naming the key" => scenario_bad_options,
    "bad config → INVALID_CONFIG" => scenario_bad_config,
    "err != 0 → SERVER" => scenario_server_err,
    "500 → HTTP" => scenario_http_500,
    "503 → SERVER with status 503 (the service briefly unavailable), on /v1/profile and /v1/login; record intact" => scenario_service_unavailable,
    "request:fail → NETWORK" => scenario_network,
    "timeout → TIMEOUT" => scenario_timeout,
    "one 401 → silent re-login and success" => scenario_one_401,
    "a session token of an earlier server's format → 401, one login, and a new session" => scenario_old_token,
    "two 401s → HTTP (no loop)" => scenario_two_401s,
    "a rawData changed after WeChat signed it → SERVER 41003 from the backend's signature check" => scenario_tampered_raw_data,
    "malformed JSON → INVALID_PROFILE, record intact" => scenario_malformed_json,
    "missing open_id → INVALID_PROFILE, record intact" => scenario_missing_open_id,
    "another app's app_id → INVALID_PROFILE, record intact" => scenario_other_app,
    "storage write throws → still resolves, warns once" => scenario_storage_write_throws,
    "corrupt record → ignored and removed" => scenario_corrupt_record,
    "5 concurrent calls → 1 popup, 1 request, 5 equal results" => scenario_concurrent_calls,
    "getCachedProfile and clearProfileCache" => scenario_cached_and_clear,
    "host APIs that throw synchronously give typed errors, and the SDK keeps working" => scenario_throwing_host_apis,
    "mini-game without getUserProfile: authorised → getUserInfo" => scenario_minigame_authorised,
    "mini-game without getUserProfile: not authorised → button tap" => scenario_minigame_button,
    "mini-game: a custom userInfoButton style is used" => scenario_minigame_button_style,
    "privacy declined or not declared → PRIVACY_DENIED / PRIVACY_NOT_DECLARED, record intact, error.cached set" => scenario_privacy_popup,
    "mini-game: privacy errors on getUserInfo and on the button tap, the button destroyed" => scenario_privacy_minigame,
    "offline at first launch: request:fail during /v1/login → NETWORK while logging in; a refused login → LOGIN_FAILED" => scenario_offline_login,
    "the 微信用户 placeholder is cached, flagged, and not asked for again" => scenario_placeholder,
    "inRegion matches the first two characters of login_province; bad regions → INVALID_OPTIONS" => scenario_in_region,
}

/// The one scenario about the wasm host's own storage choice (wx, `localStorage` or memory): it has no
/// native meaning and runs in every JS runtime.
const JS_ONLY: &[&str] =
    &["a host without storage: localStorage where a window exists, memory otherwise"];

#[test]
fn a_cache_hit_rechecks_only_the_clock_and_every_write_or_clear_forgets_the_record() {
    let (world, sdk) = setup(Kind::MiniProgram, &[("profileTtl", Input::Number(60.0))]);
    let p = authorise(&world, &sdk);
    let reads = || world.text_reads.get();
    let first = reads();
    for _ in 0..5 {
        assert_eq!(tap_update(&world, &sdk, no_options()).unwrap(), p);
        assert_eq!(sdk.cached_profile().unwrap().profile, p);
    }
    assert!(first <= 1, "validated at most once so far ({first})");
    assert_eq!(
        reads(),
        first.max(1),
        "hits compare the stored text and read nothing"
    );
    // The clock is still checked on a hit.
    world.advance_ms(60_000);
    world.reset_counts();
    tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(world.counts().get_user_profile, 1, "expired: asked again");
    // A write forgets the remembered record: the new one is read once, then remembered.
    let after_write = reads();
    tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(reads(), after_write + 1, "the new record is validated once");
    tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(reads(), after_write + 1, "then remembered");
    // Another text under the key (edited outside the SDK) is validated again.
    world.edit_record(|r| r["profile"]["nick_name"] = json!("小红"));
    assert_eq!(
        tap_update(&world, &sdk, no_options()).unwrap().nick_name,
        "小红"
    );
    assert_eq!(reads(), after_write + 2);
    // Clearing forgets it too: the same text written back is validated again.
    let text = world.record().unwrap();
    sdk.clear_profile_cache();
    world.wx.borrow_mut().storage.insert(KEY.into(), text);
    sdk.cached_profile().unwrap();
    assert_eq!(reads(), after_write + 3, "validated again after a clear");
}

#[test]
fn every_js_scenario_has_a_native_run() {
    let names = fake::js_scenario_names("scenarios.mjs");
    let js: Vec<&str> = names.iter().map(String::as_str).collect();
    assert!(js.len() >= 30, "found the JS scenario names ({})", js.len());
    let missing: Vec<&&str> = js
        .iter()
        .filter(|n| !NATIVE.contains(n) && !JS_ONLY.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "JS scenarios without a native run: {missing:#?}"
    );
    let extra: Vec<&&str> = NATIVE.iter().filter(|n| !js.contains(n)).collect();
    assert!(
        extra.is_empty(),
        "native scenarios the JS list lacks: {extra:#?}"
    );
}

#[test]
fn a_login_keeps_the_age_of_the_same_users_record_and_the_clock_decides_reuse() {
    let (world, sdk) = setup(Kind::MiniProgram, &[("profileTtl", Input::Number(60.0))]);
    authorise(&world, &sdk);
    world.advance_ms(30_000);
    world.backend.borrow_mut().expire_sessions();
    world.settle(sdk.login()).unwrap();
    assert_eq!(
        world.record_json()["cached_at"],
        T0,
        "a cached session login keeps cached_at"
    );
    world.reset_counts();
    tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(world.counts().get_user_profile, 0, "still fresh at 30 s");
    world.advance_ms(30_000);
    tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(world.counts().get_user_profile, 1, "expired at 60 s");
}

fn scenario_tampered_raw_data() {
    // The fake backend really checks sha1(raw_data + session_key): the other scenarios pass that check.
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    world.wx.borrow_mut().tamper_raw_data = true;
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Server,
        "forged",
    );
    assert_eq!(e.server_err, Some(41003));
    assert_eq!(
        world.record_json()["profile"]["nick_name"],
        "",
        "only the login was recorded"
    );
}

fn scenario_privacy_popup() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    let first = authorise(&world, &sdk);
    let record = world.record();
    for (errno, code, hint) in [
        (104, ErrorCode::PrivacyDenied, "privacy"),
        (112, ErrorCode::PrivacyNotDeclared, "用户隐私保护指引"),
    ] {
        world.wx.borrow_mut().privacy = Some(errno);
        let e = rejects(tap_update(&world, &sdk, refresh()), code, "privacy");
        assert!(e
            .err_msg
            .as_deref()
            .unwrap()
            .starts_with("getUserProfile:fail"));
        assert!(e.message.contains(hint), "{}", e.message);
        assert_eq!(e.cached.as_deref(), Some(&first), "error.cached");
        assert_eq!(world.record(), record, "record intact");
    }
}

fn scenario_privacy_minigame() {
    let (world, sdk) = setup(Kind::MiniGame, &[]);
    {
        let mut wx = world.wx.borrow_mut();
        wx.authorised = true;
        wx.privacy = Some(112);
    }
    let e = rejects(
        world.settle(sdk.update_user_profile(&no_options(), None)),
        ErrorCode::PrivacyNotDeclared,
        "getUserInfo",
    );
    assert!(e
        .err_msg
        .as_deref()
        .unwrap()
        .starts_with("getUserInfo:fail"));
    {
        let mut wx = world.wx.borrow_mut();
        wx.authorised = false;
        wx.privacy = Some(104);
    }
    let call = sdk.update_user_profile(&no_options(), None);
    world.run();
    assert_eq!(world.buttons_on_screen(), 1, "the user-info button");
    world.tap_button();
    rejects(world.settle(call), ErrorCode::PrivacyDenied, "button tap");
    let c = world.counts();
    assert_eq!(
        (c.buttons, c.buttons_destroyed),
        (1, 1),
        "the button is destroyed"
    );
}

fn scenario_offline_login() {
    let (world, sdk) = setup(Kind::MiniProgram, &[("autoLogin", Input::Bool(false))]);
    world.backend.borrow_mut().script_login.push_back(Step {
        fail: Some("request:fail net::ERR_INTERNET_DISCONNECTED"),
        ..Step::default()
    });
    let e = rejects(
        tap_update(&world, &sdk, no_options()),
        ErrorCode::Network,
        "offline login",
    );
    assert!(e.err_msg.as_deref().unwrap().starts_with("request:fail"));
    assert!(e.message.starts_with("While logging in"), "{}", e.message);
    world.backend.borrow_mut().script_login.push_back(Step {
        body: Some(json!({"err": 40029, "msg": "invalid code"}).to_string()),
        ..Step::default()
    });
    let e = rejects(
        world.settle(sdk.login()),
        ErrorCode::LoginFailed,
        "refused login",
    );
    assert_eq!(e.server_err, Some(40029));
    let p = tap_update(&world, &sdk, no_options()).unwrap();
    assert_eq!(p.nick_name, "小明", "back online, the next call succeeds");
}

fn scenario_placeholder() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    world.wx.borrow_mut().nick_name = "微信用户".into();
    let p = authorise(&world, &sdk);
    assert!(p.is_placeholder());
    assert!(
        sdk.cached_profile().unwrap().placeholder,
        "getCachedProfile().placeholder"
    );
    world.reset_counts();
    assert_eq!(
        tap_update(&world, &sdk, no_options()).unwrap(),
        p,
        "reused like any profile"
    );
    assert_eq!(
        world.counts().get_user_profile,
        0,
        "no useless second popup"
    );
}

fn scenario_in_region() {
    use tmsdk_core::in_region;
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    let p = authorise(&world, &sdk);
    assert_eq!(p.login_province, "广东省");
    assert!(!sdk.cached_profile().unwrap().placeholder);
    let profile = Input::object([("login_province", Input::str(&p.login_province))]);
    let regions = |names: &[&str]| names.iter().map(|n| Input::str(n)).collect::<Vec<_>>();
    assert_eq!(
        in_region(&profile, Some(&regions(&["西藏", "广东"]))),
        Ok(true)
    );
    assert_eq!(
        in_region(&profile, Some(&regions(&["广西壮族自治区"]))),
        Ok(false)
    );
    let e = in_region(&profile, None).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidOptions, Some("regions"))
    );
}

#[test]
fn a_login_from_a_share_names_its_sharer_and_a_login_without_one_names_none() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    authorise(&world, &sdk);
    let login = world.backend.borrow().last_body("/v1/login");
    assert!(
        login.get("sharer").is_none(),
        "no share, no sharer: {login}"
    );

    let world = World::new(Kind::MiniProgram);
    world.wx.borrow_mut().launch.query.sharer = Input::str("Ab_9-xYz0123456789abcd");
    let sdk = world.install(&[]).expect("a valid config");
    authorise(&world, &sdk);
    let login = world.backend.borrow().last_body("/v1/login");
    assert_eq!(login["sharer"], "Ab_9-xYz0123456789abcd", "{login}");

    let world = World::new(Kind::MiniProgram);
    world.wx.borrow_mut().launch.query.sharer = Input::str("not a code");
    let sdk = world.install(&[]).expect("a valid config");
    authorise(&world, &sdk);
    let login = world.backend.borrow().last_body("/v1/login");
    assert!(
        login.get("sharer").is_none(),
        "a tag that cannot be a code is not sent: {login}"
    );
}

#[test]
fn on_qq_every_message_names_qq_and_the_hosts_own_words_stay() {
    // The same failures on WeChat and on QQ: only the platform's name and API object differ.
    let messages = |platform: Platform| {
        let world = World::new(Kind::MiniProgram);
        world.wx.borrow_mut().platform = platform;
        let sdk = world.install(&[]).unwrap();
        world.settle(sdk.login()).unwrap();
        world.backend.borrow_mut().script_profile.push_back(Step {
            fail: Some("request:fail WeChat socket hang up"),
            ..Step::default()
        });
        let network = rejects(
            tap_update(&world, &sdk, no_options()),
            ErrorCode::Network,
            "dropped",
        );
        let bare = World::new(Kind::Bare);
        bare.wx.borrow_mut().platform = platform;
        let sdk = bare.install(&[]).unwrap();
        let unsupported = rejects(
            tap_update(&bare, &sdk, no_options()),
            ErrorCode::Unsupported,
            "bare",
        );
        // No appId and no getAccountInfoSync: the config error, thrown by the constructor.
        let no_app = Sdk::new(
            &Input::object([("server", Input::str(fake::SERVER))]),
            None,
            bare.host(),
        )
        .expect_err("no appId is refused");
        (network, unsupported, no_app)
    };
    let (network, unsupported, no_app) = messages(Platform::Qq);
    assert!(
        network.message.contains("QQ's request domain list"),
        "{}",
        network.message
    );
    assert!(unsupported
        .message
        .contains("no qq.getUserProfile, qq.getUserInfo or qq.createUserInfoButton"));
    assert!(
        no_app.message.contains("qq.getAccountInfoSync()"),
        "{}",
        no_app.message
    );
    for text in [&network.message, &unsupported.message, &no_app.message] {
        assert!(!text.contains("WeChat") && !text.contains("wx."), "{text}");
    }
    // The host's errMsg is its own text and stays as it came.
    assert_eq!(
        network.err_msg.as_deref(),
        Some("request:fail WeChat socket hang up")
    );
    let (network, unsupported, no_app) = messages(Platform::WeChat);
    assert!(network.message.contains("WeChat's request domain list"));
    assert!(unsupported.message.contains("wx.getUserProfile"));
    assert!(no_app.message.contains("wx.getAccountInfoSync()"));
}

#[test]
fn a_reused_record_is_the_same_record_until_its_stored_text_changes() {
    let (world, sdk) = setup(Kind::MiniProgram, &[]);
    authorise(&world, &sdk);
    // The first read after the write parses the text; later ones only compare it.
    let first = sdk
        .update_or_reuse(&no_options(), None)
        .expect_err("reused");
    let reads = world.text_reads.get();
    let second = sdk
        .update_or_reuse(&no_options(), None)
        .expect_err("reused");
    let (peeked, _) = sdk.cached_record().expect("a record");
    assert!(
        Rc::ptr_eq(&first, &second) && Rc::ptr_eq(&first, &peeked),
        "one record, not re-read"
    );
    assert_eq!(
        world.text_reads.get(),
        reads,
        "the stored text was not read into Rust again"
    );
    // Changed behind the SDK's back: read and checked again, a new record.
    let changed = world.record().unwrap().replace("小明", "小刚");
    world
        .wx
        .borrow_mut()
        .storage
        .insert(KEY.to_string(), changed);
    let third = sdk
        .update_or_reuse(&no_options(), None)
        .expect_err("reused");
    assert!(!Rc::ptr_eq(&first, &third), "a new record for the new text");
    assert_eq!(third.profile.nick_name, "小刚");
    assert_eq!(world.text_reads.get(), reads + 1, "read once");
}
