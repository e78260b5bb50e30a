//! Tagging a share (docs/contract.md, the player's figures): every share object leaving the game carries
//! `tmsdk_s=<share code>` in its query, the game's own keys kept, so the login of a player it brings names
//! the sharer. A page's share (`onShareAppMessage` in a mini-program) carries it in its `path`; a mini-game's
//! share and a timeline share (`onShareTimeline`) in their `query`.

/// The launch query key that carries the share code.
pub const SHARE_PARAM: &str = "tmsdk_s";

/// `query` (`a=1&b=2`, no leading `?`) with `tmsdk_s=code` at its end: an earlier tag removed, the game's keys
/// kept in their order; an empty `code` (no login yet) only removes an earlier tag.
pub fn tag_query(query: &str, code: &str) -> String {
    let mut out = String::with_capacity(query.len() + code.len() + SHARE_PARAM.len() + 2);
    let kept = query
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(SHARE_PARAM));
    for pair in kept {
        push_pair(&mut out, pair);
    }
    if !code.is_empty() {
        push_pair(&mut out, SHARE_PARAM);
        out.push('=');
        out.push_str(code);
    }
    out
}

/// Appends `pair` to a query, after a `&` unless it is the first.
fn push_pair(out: &mut String, pair: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(pair);
}

/// A page path (`pages/game/index?room=7#top`) with its query tagged by [`tag_query`].
pub fn tag_path(path: &str, code: &str) -> String {
    let (before_fragment, fragment) = path.split_once('#').unwrap_or((path, ""));
    let (page, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let query = tag_query(query, code);
    let question = if query.is_empty() { "" } else { "?" };
    let hash = if path.contains('#') { "#" } else { "" };
    format!("{page}{question}{query}{hash}{fragment}")
}

/// Where a share object carries its tag, and the tagged value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareTag {
    /// The object's `path`, tagged (it had a string `path`).
    Path(String),
    /// The object's `query`, tagged (it had no `path`; a `query` that is not a string counts as none).
    Query(String),
    /// Nothing to set: no share code yet, and no `path` or `query` to keep (the copy gets no empty `query`).
    Untagged,
}

/// The tag for a share object with `path` and `query` (each `None` when absent or not a string).
pub fn tag_share(path: Option<&str>, query: Option<&str>, code: &str) -> ShareTag {
    match (path, query) {
        (Some(path), _) => ShareTag::Path(tag_path(path, code)),
        (None, None) if code.is_empty() => ShareTag::Untagged,
        (None, query) => ShareTag::Query(tag_query(query.unwrap_or_default(), code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_gets_the_tag_and_keeps_the_games_keys() {
        assert_eq!(tag_query("", "C0de"), "tmsdk_s=C0de");
        assert_eq!(
            tag_query("room=7&from=menu", "C0de"),
            "room=7&from=menu&tmsdk_s=C0de"
        );
        assert_eq!(
            tag_query("tmsdk_s=old&room=7&tmsdk_s=older", "C0de"),
            "room=7&tmsdk_s=C0de",
            "an earlier tag is replaced, never doubled"
        );
        assert_eq!(
            tag_query("tmsdk_sx=1&a=", "C0de"),
            "tmsdk_sx=1&a=&tmsdk_s=C0de"
        );
        assert_eq!(
            tag_query("room=7&tmsdk_s=old", ""),
            "room=7",
            "no code: untagged"
        );
        assert_eq!(tag_query("&&room=7&", "C"), "room=7&tmsdk_s=C");
    }

    #[test]
    fn a_path_is_tagged_in_its_query_before_any_fragment() {
        assert_eq!(
            tag_path("pages/index/index", "C"),
            "pages/index/index?tmsdk_s=C"
        );
        assert_eq!(
            tag_path("/pages/a?room=7", "C"),
            "/pages/a?room=7&tmsdk_s=C"
        );
        assert_eq!(
            tag_path("pages/a?room=7#top", "C"),
            "pages/a?room=7&tmsdk_s=C#top"
        );
        assert_eq!(tag_path("pages/a?tmsdk_s=old", ""), "pages/a");
    }

    #[test]
    fn a_share_is_tagged_in_its_path_when_it_has_one_else_in_its_query() {
        assert_eq!(
            tag_share(Some("pages/a"), Some("x=1"), "C"),
            ShareTag::Path("pages/a?tmsdk_s=C".into())
        );
        assert_eq!(
            tag_share(None, Some("x=1"), "C"),
            ShareTag::Query("x=1&tmsdk_s=C".into())
        );
        assert_eq!(
            tag_share(None, None, "C"),
            ShareTag::Query("tmsdk_s=C".into())
        );
        assert_eq!(
            tag_share(None, None, ""),
            ShareTag::Untagged,
            "no code, nothing to keep"
        );
        assert_eq!(
            tag_share(None, Some("a=1&tmsdk_s=old"), ""),
            ShareTag::Query("a=1".into()),
            "no code: an old tag still goes"
        );
    }
}
