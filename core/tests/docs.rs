//! The profile's field list exists once, in the derived `Profile`; the documents that spell it out (the README in
//! both languages, the contract, the TypeScript typings) are checked against it here.
#![cfg(not(target_arch = "wasm32"))]

use tmsdk_core::Profile;

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{}/../{file}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The field names a document lists in the paragraph that starts with `marker`, in order: every word of the
/// code spans up to the paragraph's end that looks like a field name, outside parentheses (where a field is
/// only mentioned again).
fn listed_after(text: &str, marker: &str) -> Vec<String> {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no paragraph starting with {marker:?}"));
    // The paragraph ends at a blank line or where a list begins.
    let rest = &text[at + marker.len()..];
    let end = [rest.find("\n\n"), rest.find("\n- ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    let paragraph = &rest[..end];
    let mut depth = 0;
    let outside: String = paragraph
        .chars()
        .filter(|c| {
            match c {
                '(' | '（' => depth += 1,
                ')' | '）' => depth -= 1,
                _ => return depth == 0,
            }
            false
        })
        .collect();
    outside
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(str::split_whitespace)
        .filter(|w| w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(str::to_string)
        .collect()
}

/// The members of the TypeScript `interface Profile`, in order.
fn typescript_members(typings: &str) -> Vec<String> {
    let at = typings
        .find("export interface Profile {")
        .expect("the typings declare Profile");
    typings[at..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('}'))
        .filter_map(|l| l.trim().split_once(':').map(|(name, _)| name))
        .filter(|name| !name.starts_with("/*") && !name.starts_with('*'))
        .map(|name| name.trim_end_matches('?').to_string())
        .collect()
}

fn fields() -> Vec<String> {
    Profile::field_names()
        .iter()
        .map(|f| f.to_string())
        .collect()
}

#[test]
fn the_documents_list_the_profiles_fields_in_order() {
    assert_eq!(fields().len(), 29, "the derive's field list");
    for (file, marker) in [
        (
            "README.md",
            "The profile (docs/contract.md, Profile) has exactly these fields",
        ),
        (
            "README.zh-CN.md",
            "用户信息（docs/contract.md, Profile）恰好包含以下字段",
        ),
        (
            "docs/contract.md",
            "The result is a plain object with exactly these fields",
        ),
    ] {
        assert_eq!(listed_after(&read(file), marker), fields(), "{file}");
    }
    assert_eq!(
        typescript_members(&read("pkg-template/index.d.ts")),
        fields(),
        "pkg-template/index.d.ts"
    );
}

#[test]
fn the_list_check_sees_a_missing_or_moved_field() {
    let listed = listed_after(
        "The profile has exactly these fields: `pid app_id` (string, not `gender`), `gender`.\n\n`next`",
        "The profile",
    );
    assert_eq!(listed, ["pid", "app_id", "gender"]);
    let members = typescript_members(
        "export interface Profile {\n  /** x */\n  pid: string;\n  lst?: string;\n}\n",
    );
    assert_eq!(members, ["pid", "lst"]);
    assert_ne!(members, fields(), "a shorter list is told apart");
}
