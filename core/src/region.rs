//! `wx.tmSDK.inRegion(profile, regions)`: the region rule (docs/contract.md, Public API), over the profile a game
//! holds. Pure Rust over [`Input`], so it is tested natively.

use crate::error::{ErrorCode, Result, TmError};
use crate::input::Input;

/// How many leading characters of a province name identify it (SkyRiver's documented advice: "西藏自治区" and
/// "西藏" share "西藏"; no two provincial-level names share theirs).
pub const REGION_PREFIX_CHARS: usize = 2;

fn invalid(field: &str, problem: &str) -> TmError {
    TmError::new(
        ErrorCode::InvalidOptions,
        format!("inRegion(profile, regions): {field} {problem}. Pass a profile and an array of province names such as [\"西藏\", \"新疆\"]."),
    )
    .with_field(field)
}

fn prefix(name: &str) -> &str {
    match name.char_indices().nth(REGION_PREFIX_CHARS) {
        // `get`, not indexing: `end` is a char boundary, and indexing would link the panic message's formatting.
        Some((end, _)) => name.get(..end).unwrap_or(name),
        None => name,
    }
}

/// Whether the profile's `login_province` is in one of `regions`: its first two characters equal the first two
/// of an entry. An empty province matches nothing, and so does an empty entry. `regions` is `None` when the
/// argument is not an array; it and every entry must be strings, else `INVALID_OPTIONS`.
pub fn in_region(profile: &Input, regions: Option<&[Input]>) -> Result<bool> {
    if !matches!(profile, Input::Object(_)) {
        return Err(invalid(
            "profile",
            &format!("must be a profile object, not {}", profile.describe()),
        ));
    }
    let province = match profile.get("login_province") {
        v if v.is_absent() => "",
        Input::String(s) => s.as_str(),
        other => {
            return Err(invalid(
                "profile",
                &format!(
                    "has a login_province that is {}, not a string",
                    other.describe()
                ),
            ))
        }
    };
    let Some(regions) = regions else {
        return Err(invalid("regions", "must be an array of strings"));
    };
    let mut entries = Vec::with_capacity(regions.len());
    for entry in regions {
        match entry {
            Input::String(s) => entries.push(s.trim()),
            other => {
                return Err(invalid(
                    "regions",
                    &format!("must hold only strings, not {}", other.describe()),
                ))
            }
        }
    }
    let province = prefix(province.trim());
    Ok(!province.is_empty()
        && entries
            .iter()
            .any(|e| !e.is_empty() && prefix(e) == province))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 34 provincial-level divisions, by their full names.
    const PROVINCES: [&str; 34] = [
        "北京市",
        "天津市",
        "上海市",
        "重庆市",
        "河北省",
        "山西省",
        "辽宁省",
        "吉林省",
        "黑龙江省",
        "江苏省",
        "浙江省",
        "安徽省",
        "福建省",
        "江西省",
        "山东省",
        "河南省",
        "湖北省",
        "湖南省",
        "广东省",
        "海南省",
        "四川省",
        "贵州省",
        "云南省",
        "陕西省",
        "甘肃省",
        "青海省",
        "台湾省",
        "内蒙古自治区",
        "广西壮族自治区",
        "西藏自治区",
        "宁夏回族自治区",
        "新疆维吾尔自治区",
        "香港特别行政区",
        "澳门特别行政区",
    ];

    fn profile(province: &str) -> Input {
        Input::object([("login_province", Input::str(province))])
    }

    fn regions(names: &[&str]) -> Vec<Input> {
        names.iter().map(|n| Input::str(n)).collect()
    }

    #[test]
    fn no_two_provinces_share_their_first_two_characters() {
        for (i, a) in PROVINCES.iter().enumerate() {
            for b in &PROVINCES[i + 1..] {
                assert_ne!(prefix(a), prefix(b), "{a} and {b}");
            }
        }
        // So each province matches itself and nothing else.
        for a in PROVINCES {
            for b in PROVINCES {
                assert_eq!(
                    in_region(&profile(a), Some(&regions(&[b]))),
                    Ok(a == b),
                    "{a} in [{b}]"
                );
            }
        }
    }

    #[test]
    fn short_and_full_names_match_by_their_first_two_characters() {
        let yes = |p: &str, r: &[&str]| in_region(&profile(p), Some(&regions(r))).unwrap();
        assert!(yes("西藏自治区", &["西藏"]));
        assert!(yes("内蒙古自治区", &["内蒙古"]));
        assert!(yes("新疆", &["广东", "新疆维吾尔自治区"]));
        assert!(!yes("广东省", &["广西"]));
        assert!(!yes("", &["西藏", ""]));
        assert!(!yes("西藏", &[""]));
        assert!(!yes("西藏", &[]));
    }

    #[test]
    fn anything_but_a_profile_and_an_array_of_strings_is_invalid_options() {
        let e = in_region(&profile("西藏"), None).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidOptions, Some("regions"))
        );
        let e = in_region(
            &profile("西藏"),
            Some(&[Input::str("西藏"), Input::Number(1.0)]),
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("regions"));
        assert!(e.message.contains("a number"), "{}", e.message);
        let e = in_region(&Input::Null, Some(&[])).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("profile"));
        let bad_province = Input::object([("login_province", Input::Number(1.0))]);
        assert_eq!(
            in_region(&bad_province, Some(&[]))
                .unwrap_err()
                .field
                .as_deref(),
            Some("profile")
        );
        // A profile without login_province has an empty one.
        assert_eq!(
            in_region(&Input::object([]), Some(&regions(&["西藏"]))),
            Ok(false)
        );
    }
}
