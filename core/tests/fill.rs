//! `fillUserProfile` natively: the fill-in of 头像昵称填写 over the fake host (`wx.uploadFile` to the fake
//! backend's `/v1/avatar`, then `/v1/profile/fill`), with the guarantees of `updateUserProfile`: a session
//! first, 401 → one login → one retry, one flight, the record intact and in `error.cached` on failure.
#![cfg(not(target_arch = "wasm32"))]

mod fake;

use std::rc::Rc;

use fake::{Kind, Step, World, AVATAR_FILE, RISKY_NICK, SERVER, TEXT_FILE};
use tmsdk_core::Input;
use tmsdk_core::Profile;
use tmsdk_core::Sdk;
use tmsdk_core::{Call, ErrorCode, Failure};

type Fake = Sdk<fake::FakeHost>;

/// A mini-program player whose popup gave WeChat's placeholder, authorised and cached.
fn placeholder_player(config: &[(&str, Input)]) -> (Rc<World>, Fake, Profile) {
    let world = World::new(Kind::MiniProgram);
    world.wx.borrow_mut().nick_name = "微信用户".into();
    let sdk = world.install(config).expect("a valid config");
    let call = world.tap(|| sdk.update_user_profile(&Input::Undefined, None));
    let profile = world.settle(call).expect("authorised");
    assert!(sdk.cached_profile().unwrap().placeholder);
    (world, sdk, profile)
}

fn fill(world: &World, sdk: &Fake, pairs: &[(&str, Input)]) -> Result<Profile, Failure> {
    let call = sdk.fill_user_profile(&Input::object(pairs.iter().cloned()));
    world.settle(call)
}

fn both(nick: &str) -> Vec<(&'static str, Input)> {
    vec![
        ("avatarPath", Input::str(AVATAR_FILE)),
        ("nickName", Input::str(nick)),
    ]
}

/// A failed fill-in: its code, the previous profile in `error.cached`, the record as it was.
fn refused(world: &World, sdk: &Fake, pairs: &[(&str, Input)], code: ErrorCode) -> Failure {
    let record = world.record();
    let before = sdk.cached_profile().map(|c| c.profile);
    let e = fill(world, sdk, pairs).expect_err("refused");
    assert_eq!(e.code, code, "{e:?}");
    assert_eq!(
        e.cached.as_deref(),
        before.as_ref(),
        "error.cached is the previous profile"
    );
    assert_eq!(world.record(), record, "the record is intact");
    e
}

#[test]
fn a_placeholder_filled_in_becomes_the_players_own_profile_and_is_cached() {
    let (world, sdk, before) = placeholder_player(&[]);
    world.reset_counts();
    let p = fill(&world, &sdk, &both("  小红 ")).unwrap();
    assert_eq!(p.nick_name, "小红");
    assert!(
        p.avatar_url.starts_with(&format!("{SERVER}/v1/avatar/")),
        "{}",
        p.avatar_url
    );
    assert_eq!(
        (p.open_id.as_str(), p.jwt.as_str()),
        (before.open_id.as_str(), before.jwt.as_str())
    );
    let cached = sdk.cached_profile().unwrap();
    assert!(!cached.placeholder, "no longer the placeholder");
    assert_eq!(cached.profile, p);
    let counts = world.counts();
    assert_eq!(
        (counts.upload_file, counts.login, counts.get_user_profile),
        (1, 0, 0)
    );
    let backend = world.backend.borrow();
    assert_eq!((backend.stats.upload, backend.stats.fill), (1, 1));
    let body = backend.last_body("/v1/profile/fill");
    assert_eq!(body["nick_name"], "小红");
    assert_eq!(body["avatar_url"], p.avatar_url.as_str());
    assert_eq!(body["app_id"], fake::APP);
}

#[test]
fn either_part_alone_and_no_upload_without_an_avatar() {
    let (world, sdk, _) = placeholder_player(&[]);
    world.wx.borrow_mut().has_upload_file = false;
    let p = fill(&world, &sdk, &[("nickName", Input::str("小蓝"))]).unwrap();
    assert_eq!(p.nick_name, "小蓝");
    assert_eq!(world.counts().upload_file, 0);
    assert!(world
        .backend
        .borrow()
        .last_body("/v1/profile/fill")
        .get("avatar_url")
        .is_none());
    let e = refused(&world, &sdk, &both("小蓝"), ErrorCode::Unsupported);
    assert!(e.message.contains("uploadFile"), "{}", e.message);
    world.wx.borrow_mut().has_upload_file = true;
    let p = fill(&world, &sdk, &[("avatarPath", Input::str(AVATAR_FILE))]).unwrap();
    assert_eq!(p.nick_name, "小蓝", "the nickname kept");
    assert!(p.avatar_url.ends_with(".jpg"));
}

#[test]
fn a_risky_nickname_is_content_risky_and_nothing_changes() {
    let (world, sdk, _) = placeholder_player(&[]);
    let e = refused(
        &world,
        &sdk,
        &both(&format!("大{RISKY_NICK}")),
        ErrorCode::ContentRisky,
    );
    assert_eq!(e.server_err, Some(87014));
    assert!(
        e.message.contains("another"),
        "says what to do: {}",
        e.message
    );
}

#[test]
fn an_avatar_over_2_mib_is_refused_before_uploading_where_the_host_can_stat_it() {
    const LARGE_FILE: &str = "wxfile://tmp_large.png";
    let (world, sdk, _) = placeholder_player(&[]);
    world
        .wx
        .borrow_mut()
        .files
        .insert(LARGE_FILE.into(), vec![0; 2 * 1024 * 1024 + 1]);
    let large = [("avatarPath", Input::str(LARGE_FILE))];
    let e = refused(&world, &sdk, &large, ErrorCode::InvalidAvatar);
    assert!(e.message.contains("2097153 bytes"), "{}", e.message);
    assert_eq!(e.status, None, "refused on the phone");
    assert_eq!(world.counts().upload_file, 0, "nothing uploaded");
    assert_eq!(world.backend.borrow().stats.fill, 0);
    // A host that cannot stat the file uploads it; the backend's 413 is the same error code.
    world.wx.borrow_mut().has_file_system = false;
    world.backend.borrow_mut().script_upload.push_back(Step {
        status: Some(413),
        body: Some("<html>413 Request Entity Too Large</html>".into()),
        ..Step::default()
    });
    let e = refused(&world, &sdk, &large, ErrorCode::InvalidAvatar);
    assert_eq!(e.status, Some(413));
    assert_eq!(world.counts().upload_file, 1, "uploaded once");
}

#[test]
fn an_avatar_that_is_no_image_or_too_large_is_invalid_avatar() {
    let (world, sdk, _) = placeholder_player(&[]);
    let e = refused(
        &world,
        &sdk,
        &[
            ("avatarPath", Input::str(TEXT_FILE)),
            ("nickName", Input::str("小红")),
        ],
        ErrorCode::InvalidAvatar,
    );
    assert_eq!(e.server_err, Some(41010));
    assert_eq!(
        world.backend.borrow().stats.fill,
        0,
        "no fill-in after a refused upload"
    );
    world.backend.borrow_mut().script_upload.push_back(Step {
        status: Some(413),
        body: Some("<html>413 Request Entity Too Large</html>".into()),
        ..Step::default()
    });
    let e = refused(&world, &sdk, &both("小红"), ErrorCode::InvalidAvatar);
    assert_eq!(e.status, Some(413));
}

#[test]
fn a_401_during_the_upload_logs_in_once_and_uploads_again() {
    let (world, sdk, _) = placeholder_player(&[]);
    world.backend.borrow_mut().expire_sessions();
    world.reset_counts();
    let p = fill(&world, &sdk, &both("小红")).unwrap();
    assert_eq!(p.nick_name, "小红");
    assert_eq!(world.counts().login, 1, "one login");
    assert_eq!(world.counts().upload_file, 2, "the upload again");
    let backend = world.backend.borrow();
    assert_eq!(backend.stats.fill, 1);
    let (_, _, bearer) = backend
        .bodies
        .iter()
        .rev()
        .find(|(p, _, _)| p == "/v1/profile/fill")
        .unwrap();
    assert_eq!(
        bearer.as_deref(),
        Some(p.jwt.as_str()),
        "the fill-in with the new session"
    );
}

#[test]
fn a_401_on_the_fill_in_logs_in_once_and_retries_once() {
    let (world, sdk, _) = placeholder_player(&[]);
    world.backend.borrow_mut().script_fill.push_back(Step {
        status: Some(401),
        body: Some(r#"{"err":401,"msg":"session expired"}"#.into()),
        ..Step::default()
    });
    world.reset_counts();
    assert_eq!(
        fill(&world, &sdk, &[("nickName", Input::str("小红"))])
            .unwrap()
            .nick_name,
        "小红"
    );
    assert_eq!(world.counts().login, 1);
    assert_eq!(world.backend.borrow().stats.fill, 2);
    for _ in 0..2 {
        world.backend.borrow_mut().script_fill.push_back(Step {
            status: Some(401),
            body: Some(r#"{"err":401,"msg":"session expired"}"#.into()),
            ..Step::default()
        });
    }
    // The new login renews the record's session (as for updateUserProfile); the profile stays as it was.
    let e = fill(&world, &sdk, &[("nickName", Input::str("小绿"))]).unwrap_err();
    assert_eq!(
        (e.code, e.status),
        (ErrorCode::Http, Some(401)),
        "refused twice: no third try"
    );
    assert_eq!(world.backend.borrow().stats.fill, 4);
    assert_eq!(sdk.cached_profile().unwrap().profile.nick_name, "小红");
    assert_eq!(e.cached.map(|p| p.nick_name).as_deref(), Some("小红"));
}

#[test]
fn upload_failures_map_like_request_failures() {
    let (world, sdk, _) = placeholder_player(&[]);
    for (message, code) in [
        ("uploadFile:fail timeout", ErrorCode::Timeout),
        ("uploadFile:fail ssl hand shake error", ErrorCode::Network),
    ] {
        world.backend.borrow_mut().script_upload.push_back(Step {
            fail: Some(message),
            ..Step::default()
        });
        let e = refused(&world, &sdk, &both("小红"), code);
        assert_eq!(e.err_msg.as_deref(), Some(message));
    }
    world.backend.borrow_mut().script_upload.push_back(Step {
        status: Some(502),
        body: Some("bad gateway".into()),
        ..Step::default()
    });
    assert_eq!(
        refused(&world, &sdk, &both("小红"), ErrorCode::Http).status,
        Some(502)
    );
    let e = refused(
        &world,
        &sdk,
        &[("avatarPath", Input::str("wxfile://gone.png"))],
        ErrorCode::Network,
    );
    assert_eq!(e.err_msg.as_deref(), Some("uploadFile:fail file not found"));
}

#[test]
fn bad_options_are_refused_at_once_without_a_host_call() {
    let (world, sdk, _) = placeholder_player(&[]);
    world.reset_counts();
    for (pairs, field) in [
        (vec![], "options"),
        (vec![("nickName", Input::str(&"字".repeat(65)))], "nickName"),
        (vec![("avatarPath", Input::str(""))], "avatarPath"),
    ] {
        let call = sdk.fill_user_profile(&Input::object(pairs));
        let Call::Ready(Err(e)) = call else {
            panic!("refused synchronously")
        };
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidOptions, Some(field))
        );
        assert!(e.cached.is_some(), "error.cached");
    }
    assert_eq!(world.counts(), fake::Counts::default());
}

#[test]
fn concurrent_fill_ins_share_one_upload_and_one_request() {
    let (world, sdk, _) = placeholder_player(&[]);
    let first = sdk.fill_user_profile(&Input::object(both("小红")));
    let second = sdk.fill_user_profile(&Input::object(both("小红")));
    let (a, b) = (world.settle(first).unwrap(), world.settle(second).unwrap());
    assert_eq!(a, b);
    let backend = world.backend.borrow();
    assert_eq!((backend.stats.upload, backend.stats.fill), (1, 1));
}

#[test]
fn a_fill_in_without_a_session_logs_in_first_and_no_login_builds_refuse() {
    let world = World::new(Kind::MiniProgram);
    let sdk = world.install(&[]).unwrap();
    let p = fill(&world, &sdk, &both("小红")).unwrap();
    assert_eq!(world.counts().login, 1);
    assert!(!p.jwt.is_empty(), "the session kept in the record");
    assert_eq!(sdk.cached_profile().unwrap().profile.nick_name, "小红");

    let world = World::new(Kind::MiniProgram);
    let sdk = world.install(&[("noLogin", Input::Bool(true))]).unwrap();
    let Call::Ready(Err(e)) = sdk.fill_user_profile(&Input::object(both("小红"))) else {
        panic!("refused synchronously")
    };
    assert_eq!(e.code, ErrorCode::NoLoginSdk);
}
