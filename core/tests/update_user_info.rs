//! `updateUserInfo(result)` natively (SkyRiver's call): the result of the game's own user-info button posted
//! with the session, over the fake host and backend — with and without `rawData`, a refusal in `errMsg`,
//! malformed results, no session yet, and a call while `updateUserProfile` is in flight.
#![cfg(not(target_arch = "wasm32"))]

mod fake;

use fake::{seal, session_key_of, sign, Kind, World, APP};
use serde_json::json;
use tmsdk_core::{ErrorCode, Input, Profile};

/// What a `UserInfoButton`'s onTap hands the game for `world`'s player, as WeChat seals and signs it.
fn tap_result(world: &World, nick_name: &str, with_raw_data: bool) -> Input {
    let open_id = world.wx.borrow().open_id.clone();
    let info = json!({ "nickName": nick_name, "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/tap/132", "gender": 0 })
        .to_string();
    let key = session_key_of(&open_id);
    let mut fields = vec![
        ("errMsg", Input::str("getUserInfo:ok")),
        ("encryptedData", Input::str(&seal(&info, &key))),
        ("iv", Input::str("aXYtdGFw")),
        ("signature", Input::str(&sign(&info, &key))),
    ];
    if with_raw_data {
        fields.push(("rawData", Input::str(&info)));
    }
    Input::object(fields)
}

fn user_info_json(nick_name: &str) -> Option<String> {
    Some(
        json!({ "nickName": nick_name, "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/tap/132" })
            .to_string(),
    )
}

#[test]
fn a_tap_result_with_raw_data_gives_the_verified_profile_and_caches_it() {
    let world = World::new(Kind::MiniGame);
    let sdk = world.install(&[]).unwrap();
    world.settle(sdk.login()).unwrap();
    let tap = tap_result(&world, "点击者", true);
    let profile: Profile = world
        .settle(sdk.update_user_info(&tap, user_info_json("点击者")))
        .unwrap();
    assert_eq!(profile.nick_name, "点击者");
    assert_eq!(profile.app_id, APP);
    assert!(world.record().unwrap().contains("点击者"), "cached");
    let c = world.counts();
    assert_eq!(
        c.buttons + c.get_user_info + c.get_setting,
        0,
        "no host user-info call: the game made it"
    );
}

#[test]
fn skyrivers_three_fields_without_raw_data_are_proven_by_the_sealed_data() {
    let world = World::new(Kind::MiniGame);
    let sdk = world.install(&[]).unwrap();
    world.settle(sdk.login()).unwrap();
    let three = tap_result(&world, "无原文", false);
    let profile = world.settle(sdk.update_user_info(&three, None)).unwrap();
    assert_eq!(profile.nick_name, "无原文", "read from the decrypted data");
    // Sealed under another player's session key: refused, the record kept.
    let before = world.record();
    let foreign = Input::object([
        (
            "encryptedData",
            Input::str(&seal("{\"nickName\":\"外人\"}", &session_key_of("oOther"))),
        ),
        ("iv", Input::str("aXY=")),
        ("signature", Input::str("x")),
    ]);
    let e = world
        .settle(sdk.update_user_info(&foreign, None))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Server, "{}", e.message);
    assert_eq!(world.record(), before, "the record is kept");
    assert_eq!(
        e.cached.as_ref().map(|p| p.nick_name.as_str()),
        Some("无原文")
    );
}

#[test]
fn a_refusal_in_err_msg_is_auth_denied_with_the_record_kept_and_nothing_sent() {
    let world = World::new(Kind::MiniGame);
    let sdk = world.install(&[]).unwrap();
    world.settle(sdk.login()).unwrap();
    let before = (world.record(), world.backend.borrow().stats.profile);
    let refused = Input::object([("errMsg", Input::str("getUserInfo:fail auth deny"))]);
    let e = world
        .settle(sdk.update_user_info(&refused, None))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AuthDenied);
    assert_eq!(e.err_msg.as_deref(), Some("getUserInfo:fail auth deny"));
    assert_eq!(
        (world.record(), world.backend.borrow().stats.profile),
        before
    );
    assert!(e.cached.is_some(), "the cached profile rides along");
}

#[test]
fn a_malformed_result_is_invalid_options_naming_the_field_before_any_request() {
    let world = World::new(Kind::MiniGame);
    let sdk = world.install(&[]).unwrap();
    for (result, field) in [
        (Input::Undefined, "encryptedData"),
        (Input::str("tap"), "result"),
        (Input::object([("encryptedData", Input::str("E"))]), "iv"),
        (
            Input::object([
                ("encryptedData", Input::Bool(true)),
                ("iv", Input::str("I")),
            ]),
            "encryptedData",
        ),
    ] {
        let e = world
            .settle(sdk.update_user_info(&result, None))
            .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidOptions, Some(field)),
            "{result:?}"
        );
        assert!(e.message.starts_with("updateUserInfo(): "), "{}", e.message);
    }
    let b = world.backend.borrow();
    assert_eq!(b.stats.login + b.stats.profile, 0, "nothing sent");
}

#[test]
fn without_a_session_it_logs_in_first() {
    let world = World::new(Kind::MiniGame);
    let sdk = world.install(&[]).unwrap();
    assert!(world.record().is_none());
    let tap = tap_result(&world, "先登录", true);
    let profile = world
        .settle(sdk.update_user_info(&tap, user_info_json("先登录")))
        .unwrap();
    assert_eq!(profile.nick_name, "先登录");
    let b = world.backend.borrow();
    assert_eq!((b.stats.login, b.stats.profile), (1, 1));
}

#[test]
fn a_call_while_update_user_profile_is_in_flight_shares_its_result() {
    let world = World::new(Kind::MiniGame);
    let sdk = world.install(&[]).unwrap();
    world.settle(sdk.login()).unwrap();
    // The SDK's own button is up (no tap yet); the game's result joins the operation in flight.
    let first = sdk.update_user_profile(&Input::Undefined, None);
    world.run();
    assert_eq!(world.buttons_on_screen(), 1);
    let tap = tap_result(&world, "并发", true);
    let second = sdk.update_user_info(&tap, user_info_json("并发"));
    world.tap_button();
    let (a, b) = (world.settle(first).unwrap(), world.settle(second).unwrap());
    assert_eq!(a, b, "one result");
    assert_eq!(world.backend.borrow().stats.profile, 1, "one request");
}
