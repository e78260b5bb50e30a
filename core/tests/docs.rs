//! The profile's field list exists once, in the derived `Profile`, and the error codes once, in `ErrorCode`; the
//! documents that spell them out (`docs/api.md`, the contract, the npm README, the TypeScript typings) are checked
//! against them here. The two READMEs stay short and point to every document under `docs/`.
#![cfg(not(target_arch = "wasm32"))]

use tmsdk_core::{ErrorCode, Profile};

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
    assert_eq!(fields().len(), 30, "the derive's field list");
    for (file, marker) in [
        (
            "docs/api.md",
            "The profile (docs/contract.md, Profile) has exactly these fields",
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

fn codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect()
}

/// The codes of a markdown error table: the first cell of each row that is one code in backticks.
fn table_codes(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` |").map(|(code, _)| code))
        .filter(|code| code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .map(str::to_string)
        .collect()
}

/// The members of the typings' `TmSdkErrorCode` union.
fn typescript_codes(typings: &str) -> Vec<String> {
    let at = typings
        .find("export type TmSdkErrorCode =")
        .expect("the typings declare TmSdkErrorCode");
    typings[at..]
        .split(';')
        .next()
        .unwrap_or_default()
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_documents_list_the_error_codes_in_order() {
    assert_eq!(
        table_codes(&read("docs/api.md")),
        codes(),
        "docs/api.md's table"
    );
    assert_eq!(
        typescript_codes(&read("pkg-template/index.d.ts")),
        codes(),
        "pkg-template/index.d.ts"
    );
    let npm = read("pkg-template/README.md").replace('\n', " ");
    let listed = npm
        .split("with a stable `code`: `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("the npm README lists the codes");
    assert_eq!(
        listed.split_whitespace().collect::<Vec<_>>(),
        codes(),
        "pkg-template/README.md"
    );
}

#[test]
fn the_code_checks_see_a_missing_code() {
    let table = "| code | en |\n|---|---|\n| `HTTP` | a |\n| `SERVER` | b |\n| `field` | c |\n";
    assert_eq!(table_codes(table), ["HTTP", "SERVER"]);
    let union =
        "export type TmSdkErrorCode =\n  | \"HTTP\"\n  | \"SERVER\";\nexport type Lang = \"en\";";
    assert_eq!(typescript_codes(union), ["HTTP", "SERVER"]);
    assert_ne!(typescript_codes(union), codes());
}

#[test]
fn the_readmes_are_short_and_point_to_every_document() {
    let docs_dir = format!("{}/../docs", env!("CARGO_MANIFEST_DIR"));
    let mut documents: Vec<String> = std::fs::read_dir(&docs_dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".md"))
        .collect();
    documents.sort();
    assert!(documents.len() >= 7, "{documents:?}");
    for readme in ["README.md", "README.zh-CN.md"] {
        let text = read(readme);
        assert!(
            text.len() <= 12 * 1024,
            "{readme} has {} bytes; keep it under 12 KB and move the rest to docs/",
            text.len()
        );
        for document in &documents {
            assert!(
                text.contains(&format!("`docs/{document}`")),
                "{readme} does not point to docs/{document}"
            );
        }
    }
}
