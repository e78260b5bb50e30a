//! The pending events (docs/contract.md, the player's figures): what the SDK counted and the server has not
//! acknowledged yet, and the running play segment, kept in storage under one key per app, so that a failed
//! send or a killed game loses nothing. Events are sent at once and again with the next send or launch, and
//! removed when the server's answer acknowledges them; each keeps its id, so a resend is never counted twice.

use std::fmt::Write;

use crate::play::Segment;
use crate::wire::{Event, MAX_EVENTS};

/// The version of the pending record's format.
pub const PENDING_VERSION: u32 = 1;
/// The most events kept pending; past it the oldest are dropped (a player offline for very long loses the
/// oldest counts, never the record).
pub const MAX_PENDING: usize = 1000;

/// The storage key of an app's pending events.
pub fn events_key(app_id: &str) -> String {
    format!("tmsdk.events.v1.{app_id}")
}

/// The pending record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// [`PENDING_VERSION`].
    pub v: u32,
    /// The app.
    pub app_id: String,
    /// Events not acknowledged yet, oldest first.
    pub events: Vec<Event>,
    /// The play segment running now, checkpointed.
    pub open: Option<Segment>,
    /// The number of the next share (share ids are unique on this device).
    pub next: u64,
}

// The record as stored is text, one line per item, so that reading it needs no derived reader (each costs the
// wasm kilobytes): a head line `tmsdk-events/1 <app_id> <next> <started_ms>,<seen_ms>` (`-` when no segment
// runs), then one line per event, oldest first: `s <id>` a share, `p <id> <seconds>` play time. Ids and app ids
// hold no spaces or line breaks (their alphabets say so).
const HEAD: &str = "tmsdk-events/1";

fn event_line(out: &mut String, event: &Event) {
    // Writing to a String cannot fail.
    let _ = match event {
        Event::Share { id } => write!(out, "\ns {id}"),
        Event::Play { id, seconds } => write!(out, "\np {id} {seconds}"),
    };
}

fn event_from(line: &str) -> Option<Event> {
    let mut parts = line.split(' ');
    let event = match (parts.next()?, parts.next()?, parts.next()) {
        ("s", id, None) => Event::Share { id: id.into() },
        ("p", id, Some(seconds)) => Event::Play {
            id: id.into(),
            seconds: seconds.parse().ok()?,
        },
        _ => return None,
    };
    // An event the backend would refuse (edited outside the SDK) would hold up the rest.
    (parts.next().is_none() && event.problem().is_none()).then_some(event)
}

fn read(text: &str, app_id: &str) -> Option<Pending> {
    let mut lines = text.split('\n');
    let mut head = lines.next()?.split(' ');
    if head.next()? != HEAD || head.next()? != app_id {
        return None;
    }
    let next = head.next()?.parse().ok()?;
    let open = match head.next()? {
        "-" => None,
        times => {
            let (started, seen) = times.split_once(',')?;
            Some(Segment {
                started_ms: started.parse().ok()?,
                seen_ms: seen.parse().ok()?,
            })
        }
    };
    let mut pending = Pending {
        v: PENDING_VERSION,
        app_id: app_id.to_string(),
        events: lines.filter_map(event_from).collect(),
        open,
        next,
    };
    pending.keep_newest();
    Some(pending)
}

impl Pending {
    /// An empty record for `app_id`.
    pub fn new(app_id: &str) -> Pending {
        Pending {
            v: PENDING_VERSION,
            app_id: app_id.to_string(),
            events: Vec::new(),
            open: None,
            next: 0,
        }
    }

    /// The stored record, or an empty one when there is none, or it is another version's, another app's or
    /// unreadable. Events the backend would refuse (edited outside the SDK) are dropped, so they cannot hold
    /// up the rest.
    pub fn parse(text: &str, app_id: &str) -> Pending {
        read(text, app_id).unwrap_or_else(|| Pending::new(app_id))
    }

    /// The record as stored (text, see the module's notes on its format).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = match self.open {
            Some(s) => write!(
                out,
                "{HEAD} {} {} {},{}",
                self.app_id, self.next, s.started_ms, s.seen_ms
            ),
            None => write!(out, "{HEAD} {} {} -", self.app_id, self.next),
        };
        for event in &self.events {
            event_line(&mut out, event);
        }
        out
    }

    fn push(&mut self, event: Event) {
        self.events.push(event);
        self.keep_newest();
    }

    /// At most [`MAX_PENDING`] events: the oldest go first.
    fn keep_newest(&mut self) {
        let extra = self.events.len().saturating_sub(MAX_PENDING);
        self.events.drain(..extra);
    }

    /// A share asked for at `now_ms`: one `share` event.
    pub fn share(&mut self, now_ms: u64) {
        let id = format!("s{now_ms}-{}", self.next);
        self.next += 1;
        self.push(Event::Share { id });
    }

    /// The game is in the foreground at `now_ms` (its show event, or the shim's timer while it stays there): a
    /// segment starts, or the running one is checkpointed when one is due. `true` when the record changed
    /// (write it).
    pub fn show(&mut self, now_ms: u64) -> bool {
        match &mut self.open {
            None => {
                self.open = Some(Segment::start(now_ms));
                true
            }
            Some(segment) if segment.checkpoint_due(now_ms) => {
                segment.checkpoint(now_ms);
                true
            }
            Some(_) => false,
        }
    }

    /// The game went to the background at `now_ms`: the running segment becomes a `play` event (none for
    /// less than a second).
    pub fn hide(&mut self, now_ms: u64) {
        if let Some(segment) = self.open.take() {
            self.finish(&segment, segment.seconds_until(now_ms));
        }
    }

    /// At launch: a segment left running by a game that was killed ends at its last checkpoint.
    pub fn recover(&mut self) {
        if let Some(segment) = self.open.take() {
            self.finish(&segment, segment.seconds_seen());
        }
    }

    fn finish(&mut self, segment: &Segment, seconds: u64) {
        if seconds > 0 {
            self.push(Event::Play {
                id: segment.event_id(),
                seconds,
            });
        }
    }

    /// The events of the next request: the oldest, at most [`MAX_EVENTS`].
    pub fn batch(&self) -> &[Event] {
        &self.events[..self.events.len().min(MAX_EVENTS)]
    }

    /// The server counted (or had counted) `sent`: they are no longer pending.
    pub fn acknowledge(&mut self, sent: &[Event]) {
        self.events
            .retain(|e| !sent.iter().any(|s| s.id() == e.id()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "wx1";
    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn the_record_round_trips_and_a_foreign_or_broken_one_starts_empty() {
        let mut p = Pending::new(APP);
        p.share(T0);
        p.show(T0);
        p.hide(T0 + 2_000);
        p.show(T0 + 3_000);
        let text = p.to_text();
        assert_eq!(Pending::parse(&text, APP), p);
        assert_eq!(
            Pending::parse(&text, "wx2"),
            Pending::new("wx2"),
            "another app's"
        );
        assert_eq!(Pending::parse("{", APP), Pending::new(APP));
        assert_eq!(
            Pending::parse(&text.replace("events/1", "events/2"), APP),
            Pending::new(APP)
        );
        assert_eq!(events_key(APP), "tmsdk.events.v1.wx1");
        assert_eq!(
            text,
            "tmsdk-events/1 wx1 1 1700000003000,1700000003000\ns s1700000000000-0\np p1700000000000 2"
        );
        let edited = text.replace("s s1700000000000-0", "s no spaces");
        assert_eq!(
            Pending::parse(&edited, APP).events,
            &p.events[1..],
            "an event the backend would refuse is dropped: {edited}"
        );
        for broken in [
            "",
            "tmsdk-events/1 wx1",
            "tmsdk-events/1 wx1 x -",
            "tmsdk-events/1 wx1 1 5",
        ] {
            assert_eq!(Pending::parse(broken, APP), Pending::new(APP), "{broken:?}");
        }
    }

    #[test]
    fn shares_get_ids_unique_on_the_device() {
        let mut p = Pending::new(APP);
        p.share(T0);
        p.share(T0);
        let ids: Vec<&str> = p.events.iter().map(Event::id).collect();
        assert_eq!(ids, ["s1700000000000-0", "s1700000000000-1"]);
        assert!(
            p.events.iter().all(|e| e.problem().is_none()),
            "valid on the wire"
        );
    }

    #[test]
    fn foreground_segments_become_play_events() {
        let mut p = Pending::new(APP);
        p.hide(T0);
        assert!(p.events.is_empty(), "a hide without a show");
        p.show(T0);
        p.show(T0 + 5_000);
        p.hide(T0 + 125_400);
        assert_eq!(
            p.events,
            [Event::Play {
                id: "p1700000000000".into(),
                seconds: 125
            }]
        );
        p.show(T0 + 200_000);
        p.hide(T0 + 200_500);
        assert_eq!(p.events.len(), 1, "less than a second counts nothing");
    }

    #[test]
    fn a_killed_game_keeps_its_time_up_to_the_last_checkpoint() {
        let mut p = Pending::new(APP);
        assert!(p.show(T0), "a segment starts");
        assert!(!p.show(T0 + 30_000));
        assert!(p.show(T0 + 61_000), "checkpointed");
        assert!(!p.show(T0 + 90_000));
        let stored = p.to_text();
        // The game is killed at T0 + 110 s; the next launch reads the record.
        let mut next = Pending::parse(&stored, APP);
        next.recover();
        assert_eq!(
            next.events,
            [Event::Play {
                id: "p1700000000000".into(),
                seconds: 61
            }]
        );
        assert_eq!(next.open, None);
    }

    #[test]
    fn acknowledged_events_leave_and_a_batch_is_at_most_a_request() {
        let mut p = Pending::new(APP);
        for i in 0..150 {
            p.share(T0 + i);
        }
        let batch = p.batch().to_vec();
        assert_eq!(batch.len(), MAX_EVENTS);
        p.share(T0 + 999);
        p.acknowledge(&batch);
        assert_eq!(p.events.len(), 51, "the rest, and what came meanwhile");
        assert_eq!(p.events.last().unwrap().id(), "s1700000000999-150");
    }

    #[test]
    fn the_oldest_go_first_when_the_record_is_full() {
        let mut p = Pending::new(APP);
        for i in 0..(MAX_PENDING as u64 + 5) {
            p.share(T0 + i);
        }
        assert_eq!(p.events.len(), MAX_PENDING);
        assert_eq!(p.events[0].id(), "s1700000000005-5");
    }
}
