//! Play time (docs/contract.md, the player's figures): a segment of foreground time runs from `install` or the
//! host's show event to its hide event, on the core's clock. While it runs it is checkpointed (every
//! [`CHECKPOINT_MS`]), so a game killed in the foreground loses at most that much: at the next launch the segment
//! ends at its last checkpoint. A finished segment is at most 86,400 s, and a clock that went back gives 0.

use crate::wire::MAX_PLAY_SECONDS;

/// How often a running segment is checkpointed to storage.
pub const CHECKPOINT_MS: u64 = 60_000;

/// A segment of foreground time that has not ended yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// When it started, epoch milliseconds.
    pub started_ms: u64,
    /// Its last checkpoint, epoch milliseconds: where it ends if the game is killed.
    pub seen_ms: u64,
}

impl Segment {
    /// A segment starting at `now_ms`.
    pub fn start(now_ms: u64) -> Segment {
        Segment {
            started_ms: now_ms,
            seen_ms: now_ms,
        }
    }

    /// Whether a checkpoint is due at `now_ms`.
    pub fn checkpoint_due(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.seen_ms) >= CHECKPOINT_MS
    }

    /// Records that the game was still in the foreground at `now_ms`.
    pub fn checkpoint(&mut self, now_ms: u64) {
        self.seen_ms = self.seen_ms.max(now_ms);
    }

    /// The whole seconds from its start to `ended_ms`, at most 86,400 (0 when the clock went back).
    pub fn seconds_until(&self, ended_ms: u64) -> u64 {
        (ended_ms.saturating_sub(self.started_ms) / 1000).min(MAX_PLAY_SECONDS)
    }

    /// Its seconds when it ends at its last checkpoint (a game killed in the foreground).
    pub fn seconds_seen(&self) -> u64 {
        self.seconds_until(self.seen_ms)
    }

    /// The id of its play event: the same segment always has the same id, so a resend is not counted twice.
    pub fn event_id(&self) -> String {
        format!("p{}", self.started_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn a_segment_counts_whole_seconds_clamped_to_a_day() {
        let s = Segment::start(T0);
        assert_eq!(s.seconds_until(T0 + 125_999), 125);
        assert_eq!(s.seconds_until(T0 - 5_000), 0, "a clock that went back");
        assert_eq!(s.seconds_until(T0 + 3 * 86_400_000), 86_400);
        assert_eq!(s.event_id(), "p1700000000000");
    }

    #[test]
    fn checkpoints_bound_what_a_killed_game_loses() {
        let mut s = Segment::start(T0);
        assert!(!s.checkpoint_due(T0 + 59_999));
        assert!(s.checkpoint_due(T0 + 60_000));
        s.checkpoint(T0 + 60_000);
        s.checkpoint(T0 + 30_000);
        assert_eq!(s.seen_ms, T0 + 60_000, "a checkpoint never goes back");
        assert_eq!(
            s.seconds_seen(),
            60,
            "killed after 119 s: 60 s kept, 59 lost"
        );
    }
}
