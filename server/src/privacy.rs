//! What an erasure leaves in the logs: one line (`"event":"erase"`) with the app, how it was asked for (the
//! player through the SDK, or an operator) and what was removed — the player named only by a hash of their
//! openid, never the openid itself.

use sha2::{Digest, Sha256};
use tracing::info;

use crate::store::Erased;

/// How an erasure was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskedBy {
    /// The player, with `deleteProfile()` (`DELETE /v1/profile`).
    Player,
    /// An operator, with `tmsdk-server user delete`.
    Operator,
}

/// The first 16 hex digits of the SHA-256 of `open_id`: enough to match a request to a log line, not the
/// openid.
pub fn open_id_hash(open_id: &str) -> String {
    Sha256::digest(open_id.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Waits until the clock has passed the current second. Sessions carry their issue time in whole seconds and a
/// player created again refuses sessions issued before it: after an erasure and this wait, a new player of the
/// same openid is created in a later second than any session of the erased one.
pub async fn past_this_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let rest = std::time::Duration::from_secs(1).saturating_sub(std::time::Duration::from_nanos(
        u64::from(now.subsec_nanos()),
    ));
    tokio::time::sleep(rest + std::time::Duration::from_millis(5)).await;
}

/// The erasure's log line.
pub fn log_erasure(app_id: &str, open_id: &str, asked_by: AskedBy, erased: &Erased) {
    let how = match asked_by {
        AskedBy::Player => "player",
        AskedBy::Operator => "operator",
    };
    info!(
        event = "erase",
        app_id = %app_id,
        asked_by = how,
        open_id_sha256 = %open_id_hash(open_id),
        avatars = erased.avatars,
        events = erased.events,
        days = erased.days,
        "a player's data was erased"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_and_is_not_the_openid() {
        let hash = open_id_hash("oPlayer_1");
        assert_eq!(hash, open_id_hash("oPlayer_1"));
        assert_eq!(hash.len(), 16);
        assert_ne!(hash, open_id_hash("oPlayer_2"));
        assert!(!hash.contains("oPlayer"));
    }
}
