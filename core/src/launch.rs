//! The launch rule: what `POST /v1/login` reports of how the game was opened (see `docs/contract.md`,
//! "Login"). Pure Rust: the host layer hands over the raw values.

use crate::host::LaunchValues;
use crate::input::Input;
use crate::profile::rules::{is_code, MAX_SHARE_CODE_CHARS};
use crate::profile::MAX_SAFE_INTEGER;

/// How the game was opened, as the login body carries it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Launch {
    /// WeChat's scene number; 0 when unknown.
    pub scene: u64,
    /// SkyRiver's channel (`query.channelCode`); "" when absent.
    pub channel: String,
    /// The share code of the player whose share opened the game (`query.tmsdk_s`); "" when absent or when
    /// it cannot be a share code (1 to 32 of `[A-Za-z0-9_-]`).
    pub sharer: String,
}

impl Launch {
    /// Reads the launch values: a scene given as a number or a numeric string (trimmed, decimal digits with
    /// an optional fraction), whole part kept; anything else, negative, or not finite → 0. A channel that
    /// is not a string → "".
    pub fn read(values: &LaunchValues) -> Launch {
        let scene = match &values.scene {
            Input::Number(n) => Some(*n)
                .filter(|s| s.is_finite() && *s >= 0.0 && *s <= MAX_SAFE_INTEGER as f64)
                .map(|s| s as u64),
            Input::String(s) => whole_part(s.trim()),
            _ => None,
        }
        .unwrap_or(0);
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

    fn read(scene: Input, channel: Input) -> Launch {
        Launch::read(&LaunchValues {
            scene,
            query: LaunchQuery {
                channel_code: channel,
                sharer: Input::Undefined,
            },
        })
    }

    #[test]
    fn a_sharer_is_kept_only_when_it_can_be_a_share_code() {
        let sharer = |given: Input| {
            Launch::read(&LaunchValues {
                scene: Input::Undefined,
                query: LaunchQuery {
                    channel_code: Input::Undefined,
                    sharer: given,
                },
            })
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
        assert_eq!(read(Input::Number(1044.0), Input::str("ch")).scene, 1044);
        assert_eq!(read(Input::str(" 1001 "), Input::Undefined).scene, 1001);
        assert_eq!(read(Input::Number(1044.9), Input::Undefined).scene, 1044);
        assert_eq!(read(Input::str("1044.9"), Input::Undefined).scene, 1044);
        assert_eq!(
            read(Input::str("9007199254740991"), Input::Undefined).scene,
            (1 << 53) - 1
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
