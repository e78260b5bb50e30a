//! Douyin natively: the silent login (`tt.login({ force: false })`) with its anonymous code, an anonymous
//! player who logs in through Douyin's dialog and keeps their figures, user info from `tt.getUserInfo` after a
//! login Douyin signed, the dialog or the prompt refused (typed errors, the record kept), `fillUserProfile`
//! unsupported, Douyin's string scene and `errNo`, and messages that name Douyin.
#![cfg(not(target_arch = "wasm32"))]

mod fake;

use std::rc::Rc;

use fake::{FakeHost, Kind, World};
use tmsdk_core::{ErrorCode, Input, Platform, Sdk};

/// A Douyin world: the player logged in to Douyin or not.
fn douyin(logged_in: bool) -> Rc<World> {
    let world = World::new(Kind::Douyin);
    {
        let mut tt = world.wx.borrow_mut();
        tt.platform = Platform::Douyin;
        tt.douyin_logged_in = logged_in;
        tt.launch.scene = Input::str("023001");
    }
    world
}

/// A Douyin game launched: installed, and logged in silently.
fn launched(logged_in: bool) -> (Rc<World>, Sdk<FakeHost>) {
    let world = douyin(logged_in);
    let sdk = world.install(&[]).unwrap();
    world.settle(sdk.login()).unwrap();
    (world, sdk)
}

fn logins(world: &World) -> Vec<Option<bool>> {
    world.wx.borrow().logins.clone()
}

#[test]
fn a_player_logged_in_to_douyin_logs_in_silently_gets_a_verified_profile_then_a_cache_hit() {
    let (world, sdk) = launched(true);
    assert_eq!(logins(&world), [Some(false)], "silent: never the dialog");
    let body = world.backend.borrow().last_body("/v1/login");
    assert!(
        body["code"].as_str().unwrap().starts_with("code-"),
        "{body}"
    );
    assert!(
        body["anonymous_code"]
            .as_str()
            .unwrap()
            .starts_with("anon-"),
        "{body}"
    );
    assert_eq!(body["scene"], "023001", "Douyin's scene kept as given");
    assert_eq!(
        world.backend.borrow().stored("oSimUser_001").unwrap()["from_scene"],
        "023001"
    );

    let profile = world
        .settle(sdk.update_user_profile(&Input::Undefined, None))
        .unwrap();
    assert_eq!(
        (profile.open_id.as_str(), profile.nick_name.as_str()),
        ("oSimUser_001", "小明")
    );
    let c = world.counts();
    assert_eq!(
        (
            c.get_user_info,
            c.get_setting,
            c.buttons,
            c.get_user_profile
        ),
        (1, 0, 0, 0)
    );
    assert_eq!(
        logins(&world),
        [Some(false)],
        "this run's login was signed: no second login"
    );

    world.reset_counts();
    let again = world
        .settle(sdk.update_user_profile(&Input::Undefined, None))
        .unwrap();
    assert_eq!(again, profile);
    assert_eq!(
        (world.counts().request, world.counts().get_user_info),
        (0, 0),
        "a cache hit"
    );
}

#[test]
fn an_anonymous_player_refuses_the_login_dialog_then_accepts_it_and_keeps_their_figures() {
    let world = douyin(false);
    let sdk = world.install(&[]).unwrap();
    // The anonymous start: a profile, no dialog.
    let anonymous = world.settle(sdk.login()).unwrap();
    assert_eq!(anonymous.open_id, "anon_dev1");
    assert_eq!(logins(&world), [Some(false)]);
    assert_eq!(world.backend.borrow().last_body("/v1/login")["code"], "");
    // A second launch counts a second login of the anonymous player.
    let sdk = world.install(&[("autoLogin", Input::Bool(false))]).unwrap();
    world.wx.borrow_mut().storage.clear();
    let anonymous = world.settle(sdk.login()).unwrap();
    assert_eq!(
        (anonymous.open_id.as_str(), anonymous.login_times),
        ("anon_dev1", 2)
    );
    let record = world.record();

    // The dialog refused: AUTH_DENIED with Douyin's words, the record kept, no prompt.
    world.wx.borrow_mut().accept_login_dialog = false;
    let e = world
        .settle(sdk.update_user_profile(&Input::Undefined, None))
        .unwrap_err();
    assert_eq!(e.error.code, ErrorCode::AuthDenied, "{}", e.error.message);
    assert_eq!(
        e.error.err_msg.as_deref(),
        Some("login:fail host login fail")
    );
    assert_eq!(e.error.err_no, Some(113_001));
    assert_eq!(
        e.cached.as_ref().map(|p| p.open_id.as_str()),
        Some("anon_dev1")
    );
    assert_eq!(world.record(), record, "the record is kept");
    assert_eq!(world.counts().get_user_info, 0);
    assert_eq!(
        logins(&world)[2..],
        [Some(false), Some(true)],
        "a silent login (the player may have logged in to Douyin since), then the dialog"
    );

    // The dialog accepted: the openid's profile, with the anonymous player's logins.
    world.wx.borrow_mut().accept_login_dialog = true;
    let profile = world
        .settle(sdk.update_user_profile(&Input::Undefined, None))
        .unwrap();
    assert_eq!(
        (profile.open_id.as_str(), profile.nick_name.as_str()),
        ("oSimUser_001", "小明")
    );
    assert_eq!(
        profile.login_times, 3,
        "the anonymous player's two logins and this one"
    );
    assert!(!profile.is_new);
    assert_eq!(logins(&world)[4..], [Some(false), Some(true)]);
    assert!(
        world.backend.borrow().stored("anon_dev1").is_none(),
        "moved to the openid"
    );
}

#[test]
fn a_session_from_an_earlier_run_is_renewed_by_a_silent_login_before_the_user_info() {
    let world = douyin(true);
    let first = world.install(&[]).unwrap();
    world.settle(first.login()).unwrap();
    // The next launch: a cached session, no login yet in this run.
    let sdk = world.install(&[("autoLogin", Input::Bool(false))]).unwrap();
    world.settle(sdk.login()).unwrap();
    assert_eq!(logins(&world).len(), 1, "login() reuses the cached session");
    world
        .settle(sdk.update_user_profile(&Input::Undefined, None))
        .unwrap();
    assert_eq!(
        logins(&world),
        [Some(false), Some(false)],
        "Douyin signs with the latest login's key"
    );
}

#[test]
fn a_refused_prompt_is_auth_denied_and_keeps_the_record() {
    let world = douyin(true);
    world.wx.borrow_mut().allow = false;
    let sdk = world.install(&[]).unwrap();
    world.settle(sdk.login()).unwrap();
    let record = world.record();
    let e = world
        .settle(sdk.update_user_profile(&Input::Undefined, None))
        .unwrap_err();
    assert_eq!(e.error.code, ErrorCode::AuthDenied);
    assert_eq!(
        e.error.err_msg.as_deref(),
        Some("getUserInfo:fail auth deny")
    );
    assert_eq!(world.record(), record);
    assert_eq!(world.counts().get_user_info, 1);
}

#[test]
fn fill_user_profile_is_unsupported_on_douyin() {
    let world = douyin(true);
    let sdk = world.install(&[("autoLogin", Input::Bool(false))]).unwrap();
    let options = Input::object([("nickName", Input::str("新名字"))]);
    let e = world.settle(sdk.fill_user_profile(&options)).unwrap_err();
    assert_eq!(e.error.code, ErrorCode::Unsupported);
    assert!(
        e.error
            .message
            .contains("Douyin has no avatar and nickname pickers"),
        "{}",
        e.error.message
    );
    assert_eq!(world.counts().request + world.counts().login, 0);
}

#[test]
fn messages_name_douyin_and_keep_its_err_no() {
    let (world, sdk) = launched(true);
    world.wx.borrow_mut().request_throws = Some("request:fail network unavailable".into());
    let e = world
        .settle(sdk.update_user_profile(&Input::Undefined, None))
        .unwrap_err();
    assert_eq!(e.error.code, ErrorCode::Network);
    assert!(
        e.error.message.contains("Douyin's request domain list"),
        "{}",
        e.error.message
    );
    assert!(!e.error.message.contains("WeChat"), "{}", e.error.message);
    // Serialised for the JS error: Douyin's errNo beside its errMsg.
    let cancelled = {
        let world = douyin(false);
        world.wx.borrow_mut().accept_login_dialog = false;
        let sdk = world.install(&[]).unwrap();
        world
            .settle(sdk.update_user_profile(&Input::Undefined, None))
            .unwrap_err()
    };
    let json = tmsdk_core::to_json(&cancelled.error).unwrap();
    assert!(
        json.contains(r#""errMsg":"login:fail host login fail","errNo":113001"#),
        "{json}"
    );
}

#[test]
fn updating_with_an_anonymous_session_is_refused_by_the_backend_and_keeps_the_record() {
    let (world, sdk) = launched(false);
    let record = world.record();
    // The game's own tt.getUserInfo result, posted with the SDK's anonymous session: the backend holds no
    // session key to check it with (docs/integration.md says to call updateUserProfile on Douyin).
    let result = Input::object([
        ("errMsg", Input::str("getUserInfo:ok")),
        ("encryptedData", Input::str("x")),
        ("iv", Input::str("aXY=")),
        ("signature", Input::str("s")),
    ]);
    let e = world
        .settle(sdk.update_user_info(&result, None))
        .unwrap_err();
    assert_eq!((e.error.code, e.error.status), (ErrorCode::Http, Some(403)));
    assert_eq!(world.record(), record);
    assert_eq!(
        world.counts().login,
        1,
        "no login dialog: the player just tapped"
    );
}
