//! Every message the core and tmsdk-server can produce, checked whole, straight from their source: each
//! `TmError::new(code, message)` and each refusal (`Refusal::new(status, err, message)`,
//! `Refusal::with_err(err, message)`, `Refusal::bad_request(message)`) whose message is a literal or a
//! `format!` template. A message has no run of two or more spaces (a lost `\` line continuation leaves one),
//! no leading or trailing space, and ends with a full stop. Every other string literal of the non-test code
//! has no run of spaces either. A message given by someone else (WeChat's `errmsg`, an image decoder's
//! words) is passed through as it came and is not checked here.

use std::path::{Path, PathBuf};

/// A token of Rust source, as far as this check needs: a string literal's value, or any other character.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Char(char),
}

/// The tokens of `source`, comments dropped, string literals resolved (escapes, `\` line continuations).
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(Token::Char(c));
                i += 1;
                continue;
            }
            j += 1;
            let start = j;
            loop {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    break;
                }
                j += 1;
            }
            out.push(Token::Str(chars[start..j].iter().collect()));
            i = j + 1 + hashes;
        } else if c == '"' {
            let mut value = String::new();
            i += 1;
            while chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                    match chars[i] {
                        '\n' => {
                            while chars[i + 1].is_whitespace() {
                                i += 1;
                            }
                        }
                        'n' => value.push('\n'),
                        't' => value.push('\t'),
                        other => value.push(other),
                    }
                } else {
                    value.push(chars[i]);
                }
                i += 1;
            }
            out.push(Token::Str(value));
            i += 1;
        } else if c == '\'' && next.is_some() && chars.get(i + 2) == Some(&'\'') {
            // A char literal such as '"': skipped whole, so its quote opens no string.
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            let mut j = i + 2;
            while chars[j] != '\'' {
                j += 1;
            }
            i = j + 1;
        } else {
            out.push(Token::Char(c));
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The non-test part of a source file: up to its test module.
fn non_test(source: &str) -> &str {
    source
        .find("#[cfg(test)]")
        .map_or(source, |at| &source[..at])
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The calls whose argument at an index is a message.
const MESSAGE_CALLS: &[(&str, usize)] = &[
    ("TmError::new(", 1),
    ("Refusal::new(", 2),
    ("Refusal::with_err(", 1),
    ("Refusal::bad_request(", 0),
];

/// The text of `tokens` (string literals quoted), for matching call names.
fn text_of(tokens: &[Token]) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut at = Vec::new();
    for (k, t) in tokens.iter().enumerate() {
        let piece = match t {
            Token::Str(_) => "\"\"".to_string(),
            Token::Char(c) => c.to_string(),
        };
        for _ in piece.chars() {
            at.push(k);
        }
        text.push_str(&piece);
    }
    (text, at)
}

/// The message literal of each message call in `tokens`: (the literal, or `None` when the message is not
/// one, and the call's text for the report).
fn messages(tokens: &[Token]) -> Vec<(Option<String>, String)> {
    let (text, at) = text_of(tokens);
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for (call, index) in MESSAGE_CALLS {
        let mut from = 0;
        while let Some(pos) = text[from..].find(call) {
            let start = from + pos;
            from = start + call.len();
            // Only the call itself, not a longer name ending the same way.
            let before = text[..start].chars().last();
            if before.is_some_and(|b| b.is_alphanumeric() || b == '_' || b == ':') {
                continue;
            }
            let open = text[..from].chars().count();
            // Split the arguments at top-level commas.
            let mut depth = 0;
            let mut argument = 0;
            let mut first_in_argument: Option<usize> = None;
            let mut k = open;
            while k < chars.len() {
                let ch = chars[k];
                match ch {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' if depth == 0 => break,
                    ')' | ']' | '}' => depth -= 1,
                    ',' if depth == 0 => {
                        argument += 1;
                        k += 1;
                        continue;
                    }
                    _ => {}
                }
                if argument == *index && first_in_argument.is_none() && !ch.is_whitespace() {
                    first_in_argument = Some(k);
                }
                k += 1;
            }
            let call_text: String = chars[open.saturating_sub(call.len())..k.min(chars.len())]
                .iter()
                .take(120)
                .collect();
            let Some(first) = first_in_argument else {
                continue;
            };
            // The message: a literal, or the template of format!( … ).
            let rest: String = chars[first..k].iter().collect();
            let literal_at = if rest.starts_with("\"\"") {
                Some(first)
            } else if rest.starts_with("format!(") {
                rest.find("\"\"").map(|p| first + rest[..p].chars().count())
            } else {
                None
            };
            let literal = literal_at.map(|p| match &tokens[at[p]] {
                Token::Str(s) => s.clone(),
                Token::Char(_) => unreachable!(),
            });
            found.push((literal, call_text));
        }
    }
    found
}

fn problems_of_message(message: &str) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if message.contains("  ") {
        problems.push("a run of spaces");
    }
    if message.trim() != message {
        problems.push("a leading or trailing space");
    }
    if !message.ends_with('.') {
        problems.push("no full stop at the end");
    }
    problems
}

fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&root.join("core/src"), &mut files);
    rust_files(&root.join("server/src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

#[test]
fn every_message_is_whole() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, source) in sources() {
        let tokens = tokens(non_test(&source));
        for (literal, call) in messages(&tokens) {
            let Some(message) = literal else { continue };
            checked += 1;
            let problems = problems_of_message(&message);
            if !problems.is_empty() {
                failures.push(format!(
                    "{}: {problems:?}: {message:?}\n  in {call}",
                    path.display()
                ));
            }
        }
    }
    assert!(
        checked >= 40,
        "only {checked} messages found: is the scan broken?"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} messages are not whole:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn no_string_literal_has_a_run_of_spaces() {
    let mut failures = Vec::new();
    for (path, source) in sources() {
        for token in tokens(non_test(&source)) {
            if let Token::Str(s) = token {
                // Indentation at the start of a line (multi-line SQL) is not a run inside the text.
                if s.lines().any(|line| line.trim_start().contains("  ")) {
                    failures.push(format!("{}: {s:?}", path.display()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "string literals with a run of spaces:\n{}",
        failures.join("\n")
    );
}

/// The checks catch what they are for: the five messages of an earlier build, each with a run of spaces
/// where a `\` line continuation was lost, fail; a whole message passes.
#[test]
fn the_checks_catch_a_lost_line_continuation() {
    let broken = "fn f() {\n    TmError::new(\n        ErrorCode::Server,\n        \"The backend's answer is not an envelope. Check                  config.server and the backend.\",\n    );\n    Refusal::with_err(err::X, \"the session expired\");\n    TmError::new(ErrorCode::Server, format!(\"The answer was {status}. Check \\\n        the backend.\"));\n}\n";
    let found = messages(&tokens(broken));
    let mut literals: Vec<String> = found.into_iter().filter_map(|(l, _)| l).collect();
    literals.sort();
    assert_eq!(literals.len(), 3, "{literals:?}");
    assert_eq!(literals[0], "The answer was {status}. Check the backend.");
    assert!(problems_of_message(&literals[0]).is_empty());
    assert_eq!(problems_of_message(&literals[1]), vec!["a run of spaces"]);
    assert_eq!(
        problems_of_message(&literals[2]),
        vec!["no full stop at the end"]
    );
}
