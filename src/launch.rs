//! The launch rule: what `POST /v1/login` reports of how the game was opened (see `docs/contract.md`,
//! "Login"). Pure Rust: the host layer hands over the raw values.

use crate::host::LaunchValues;
use crate::input::Input;

/// How the game was opened, as the login body carries it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Launch {
    /// WeChat's scene number; 0 when unknown.
    pub scene: u64,
    /// SkyRiver's channel (`query.channelCode`); "" when absent.
    pub channel: String,
}

impl Launch {
    /// Reads the launch values: a scene given as a number or a numeric string (trimmed), whole part kept;
    /// anything else, negative, or not finite → 0. A channel that is not a string → "".
    pub fn read(values: &LaunchValues) -> Launch {
        let scene = match &values.scene {
            Input::Number(n) => Some(*n),
            Input::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= crate::profile::MAX_SAFE_INTEGER as f64)
        .map_or(0, |s| s as u64);
        let channel = match &values.channel_code {
            Input::String(s) => s.clone(),
            _ => String::new(),
        };
        Launch { scene, channel }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(scene: Input, channel: Input) -> Launch {
        Launch::read(&LaunchValues {
            scene,
            channel_code: channel,
        })
    }

    #[test]
    fn numbers_and_numeric_strings_are_scenes() {
        assert_eq!(read(Input::Number(1044.0), Input::str("ch")).scene, 1044);
        assert_eq!(read(Input::str(" 1001 "), Input::Undefined).scene, 1001);
        assert_eq!(read(Input::Number(1044.9), Input::Undefined).scene, 1044);
    }

    #[test]
    fn anything_else_is_scene_zero_and_no_channel() {
        for scene in [
            Input::Number(-1.0),
            Input::Number(f64::NAN),
            Input::Number(f64::INFINITY),
            Input::Number(1e300),
            Input::str("abc"),
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
