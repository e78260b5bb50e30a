//! The launch rule: what `POST /v1/login` reports of how the game was opened (see `docs/contract.md`,
//! "Login"). Pure Rust: the host layer hands over the raw values.

use crate::host::LaunchValues;
use crate::input::Input;
use crate::platform::Platform;
use crate::profile::rules::{is_code, MAX_SHARE_CODE_CHARS};
use crate::profile::MAX_SAFE_INTEGER;
use crate::wire::Scene;

/// How the game was opened, as the login body carries it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Launch {
    /// WeChat's scene number (0 when unknown), or Douyin's scene string.
    pub scene: Scene<'static>,
    /// SkyRiver's channel (`query.channelCode`); "" when absent.
    pub channel: String,
    /// The share code of the player whose share opened the game (`query.tmsdk_s`); "" when absent or when
    /// it cannot be a share code (1 to 32 of `[A-Za-z0-9_-]`).
    pub sharer: String,
}

impl Launch {
    /// Reads the launch values on `platform`: a scene given as a number or a numeric string (trimmed,
    /// decimal digits with an optional fraction), whole part kept; anything else, negative, or not finite → 0.
    /// On Douyin, whose scenes are strings (`"023001"`), a string scene is kept as given (trimmed) when it is
    /// 1 to 32 of `[A-Za-z0-9_-]`, else 0. A channel that is not a string → "".
    pub fn read(values: &LaunchValues, platform: Platform) -> Launch {
        let scene = match &values.scene {
            Input::String(s) if platform == Platform::Douyin => match s.trim() {
                t if is_code(t, MAX_SCENE_CHARS) => Scene::Text(t.to_string().into()),
                _ => Scene::Number(0),
            },
            Input::Number(n) => Scene::Number(
                Some(*n)
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= MAX_SAFE_INTEGER as f64)
                    .map_or(0, |s| s as u64),
            ),
            Input::String(s) => Scene::Number(whole_part(s.trim()).unwrap_or(0)),
            _ => Scene::Number(0),
        };
        let channel = match &values.query.channel_code {
            Input::String(s) => s.clone(),
            _ => String::new(),
        };
        let sharer = match &values.query.sharer {
            Input::String(s) if is_code(s, MAX_SHARE_CODE_CHARS) => s.clone(),
            _ => String::new(),
        };
        Launch {
            scene,
            channel,
            sharer,
        }
    }
}

/// The longest string scene kept (Douyin's are six digits).
const MAX_SCENE_CHARS: usize = 32;

/// `"1044"` or `"1044.5"` → 1044 (at most 2^53 − 1); anything else → `None`. Digits only, so no float
/// parsing (and none of its tables) in the wasm.
fn whole_part(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    whole
        .bytes()
        .try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .filter(|n| *n <= MAX_SAFE_INTEGER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::LaunchQuery;

    fn read_on(platform: Platform, scene: Input, channel: Input) -> Launch {
        Launch::read(
            &LaunchValues {
                scene,
                query: LaunchQuery {
                    channel_code: channel,
                    sharer: Input::Undefined,
                },
            },
            platform,
        )
    }

    fn read(scene: Input, channel: Input) -> Launch {
        read_on(Platform::WeChat, scene, channel)
    }

    #[test]
    fn a_sharer_is_kept_only_when_it_can_be_a_share_code() {
        let sharer = |given: Input| {
            Launch::read(
                &LaunchValues {
                    scene: Input::Undefined,
                    query: LaunchQuery {
                        channel_code: Input::Undefined,
                        sharer: given,
                    },
                },
                Platform::WeChat,
            )
            .sharer
        };
        assert_eq!(sharer(Input::str("Ab_9-xYz")), "Ab_9-xYz");
        assert_eq!(sharer(Input::str(&"x".repeat(32))), "x".repeat(32));
        for odd in [
            Input::str(""),
            Input::str(&"x".repeat(33)),
            Input::str("a b"),
            Input::str("a&b=c"),
            Input::Number(7.0),
            Input::Undefined,
        ] {
            assert_eq!(sharer(odd.clone()), "", "{odd:?}");
        }
    }

    #[test]
    fn numbers_and_numeric_strings_are_scenes() {
        let scene = |given: Input| read(given, Input::Undefined).scene;
        assert_eq!(scene(Input::Number(1044.0)), Scene::Number(1044));
        assert_eq!(scene(Input::str(" 1001 ")), Scene::Number(1001));
        assert_eq!(scene(Input::Number(1044.9)), Scene::Number(1044));
        assert_eq!(scene(Input::str("1044.9")), Scene::Number(1044));
        assert_eq!(
            scene(Input::str("9007199254740991")),
            Scene::Number((1 << 53) - 1)
        );
    }

    #[test]
    fn douyins_string_scenes_are_kept_as_given() {
        let scene =
            |given: &str| read_on(Platform::Douyin, Input::str(given), Input::Undefined).scene;
        assert_eq!(scene("023001"), Scene::Text("023001".into()));
        assert_eq!(scene("990001"), Scene::Text("990001".into()));
        // A string that cannot be a scene is none; a number is one, as on WeChat.
        assert_eq!(scene(" 023001 "), Scene::Text("023001".into()));
        assert_eq!(scene("02 3001"), Scene::Number(0));
        assert_eq!(scene(&"1".repeat(33)), Scene::Number(0));
        assert_eq!(
            read_on(Platform::Douyin, Input::Number(1011.0), Input::Undefined).scene,
            Scene::Number(1011)
        );
        // Elsewhere the same string is a number, its zeros dropped.
        assert_eq!(
            read(Input::str("023001"), Input::Undefined).scene,
            Scene::Number(23001)
        );
    }

    #[test]
    fn anything_else_is_scene_zero_and_no_channel() {
        for scene in [
            Input::Number(-1.0),
            Input::Number(f64::NAN),
            Input::Number(f64::INFINITY),
            Input::Number(1e300),
            Input::str("abc"),
            Input::str("1e3"),
            Input::str("-5"),
            Input::str("1."),
            Input::str("9007199254740992"),
            Input::str(""),
            Input::Bool(true),
            Input::Null,
            Input::Undefined,
            Input::Object(vec![]),
        ] {
            assert_eq!(
                read(scene.clone(), Input::Number(3.0)),
                Launch::default(),
                "{scene:?}"
            );
        }
        assert_eq!(read(Input::Undefined, Input::str("ch-1")).channel, "ch-1");
    }
}
