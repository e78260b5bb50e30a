//! The player's figures in the flow (docs/contract.md, the player's figures): shares asked for and time in the
//! foreground become pending events ([`Pending`], kept in memory and written through to storage), sent to
//! `POST /v1/events` at once, and again with the next send, show, login or launch while a send fails. The
//! server's answer acknowledges them and refreshes the cached profile. Events wait for a session: the SDK
//! never logs in for them, it sends them after the next login.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::{Inner, Sdk};
use crate::answer::{Answer, Endpoint};
use crate::host::{Host, Stored, StoredText};
use crate::pending::Pending;
use crate::profile::Profile;
use crate::share::{tag_share, ShareTag};
use crate::wire::{Event, EventsRequest, EVENTS_PATH};

/// [`Sdk::tracking`]'s bit for `trackShares`.
pub const TRACKS_SHARES: u8 = 1;
/// [`Sdk::tracking`]'s bit for `trackPlayTime`.
pub const TRACKS_PLAY_TIME: u8 = 2;

/// The figures' state of one SDK.
pub(super) struct Figures {
    /// The pending record: the truth while the game runs (a full storage loses nothing until the game ends).
    pending: RefCell<Pending>,
    /// A send is in flight; `again`: another was asked for meanwhile.
    sending: Cell<bool>,
    again: Cell<bool>,
    /// Bumped by every erasure: a send that began before it neither logs in nor writes afterwards.
    pub(super) erasures: Cell<u32>,
}

impl Figures {
    pub(super) fn new(app_id: &str) -> Figures {
        Figures {
            pending: RefCell::new(Pending::new(app_id)),
            sending: Cell::new(false),
            again: Cell::new(false),
            erasures: Cell::new(0),
        }
    }
}

impl<H: Host + 'static> Sdk<H> {
    /// `wx.tmSDK.share(options)` and the wrapped share APIs: a share is asked for now. It counts one
    /// `share_times` (with `trackShares`), and its object carries the player's share code — in its `path` when
    /// it has one (`path`, `query`: the object's strings, `None` when absent or not strings), else in its
    /// `query`. Before the first login the code is empty: the share goes out untagged and still counts.
    pub fn share(&self, path: Option<&str>, query: Option<&str>) -> ShareTag {
        let inner = &self.inner;
        let code = inner
            .read_record()
            .and_then(|r| r.profile.share_code.clone())
            .unwrap_or_default();
        if inner.config.track_shares {
            inner.change(|p, now| p.share(now));
            inner.flush();
        }
        tag_share(path, query, &code)
    }

    /// The game is in the foreground: the host's `onShow` / `onAppShow`, and the shim's timer every
    /// [`crate::CHECKPOINT_MS`] while it stays there. A segment of play time starts (with `trackPlayTime`), or
    /// the running one is checkpointed, so a game killed in the foreground loses at most that much; events
    /// left by a failed send go out.
    pub fn shown(&self) {
        let inner = &self.inner;
        if inner.config.track_play_time {
            let now = inner.host.now_ms();
            if inner.figures.pending.borrow_mut().show(now) {
                inner.write_pending();
            }
        }
        inner.flush();
    }

    /// The host's `onHide` / `onAppHide`: the running segment becomes a play event, sent at once.
    pub fn hidden(&self) {
        if self.inner.config.track_play_time {
            self.inner.change(|p, now| p.hide(now));
            self.inner.flush();
        }
    }

    /// Whether `install` wraps the host's share APIs (`trackShares`).
    pub fn tracks_shares(&self) -> bool {
        self.inner.config.track_shares
    }

    /// Whether `install` listens to the host's show and hide events (`trackPlayTime`).
    pub fn tracks_play_time(&self) -> bool {
        self.inner.config.track_play_time
    }

    /// What `install` hooks, as one number for the shim: [`TRACKS_SHARES`] and [`TRACKS_PLAY_TIME`] or'ed.
    pub fn tracking(&self) -> u8 {
        u8::from(self.tracks_shares()) * TRACKS_SHARES
            + u8::from(self.tracks_play_time()) * TRACKS_PLAY_TIME
    }
}

impl<H: Host + 'static> Inner<H> {
    /// At `install`: the stored record read, a segment a killed game left ended at its last checkpoint, a new
    /// one started, and what is pending sent.
    pub(super) fn launch(self: &Rc<Self>) {
        let config = &self.config;
        if !config.track_shares && !config.track_play_time {
            return;
        }
        let stored = match self.host.storage_get(&self.events_key) {
            Stored::Text(text) => Some(Pending::parse(&text.to_text(), &config.app_id)),
            Stored::Absent | Stored::Other => None,
        };
        let had_record = stored.is_some();
        let mut pending = stored.unwrap_or_else(|| Pending::new(&config.app_id));
        pending.recover();
        if config.track_play_time {
            pending.show(self.host.now_ms());
        }
        self.figures.pending.replace(pending);
        if had_record || config.track_play_time {
            self.write_pending();
        }
        self.flush();
    }

    /// Changes the pending record at the clock's now, and writes it.
    fn change(&self, edit: impl FnOnce(&mut Pending, u64)) {
        edit(&mut self.figures.pending.borrow_mut(), self.host.now_ms());
        self.write_pending();
    }

    /// Writes the pending record through (an empty one is removed); a failed write keeps the events in
    /// memory, sent while the game runs.
    fn write_pending(&self) {
        let key = &self.events_key;
        let text = {
            let pending = self.figures.pending.borrow();
            (!pending.events.is_empty() || pending.open.is_some()).then(|| pending.to_text())
        };
        let Some(text) = text else {
            self.host.storage_remove(key);
            return;
        };
        self.save(key, &text);
    }

    /// The pending events erased with the player's data: none are sent, none stay in storage; a segment in
    /// progress starts again now (it is the next player's time).
    pub(super) fn forget_figures(&self) {
        let figures = &self.figures;
        figures.erasures.set(figures.erasures.get() + 1);
        let playing = figures.pending.borrow().open.is_some();
        let mut fresh = Pending::new(&self.config.app_id);
        if playing {
            fresh.show(self.host.now_ms());
        }
        figures.pending.replace(fresh);
        self.host.storage_remove(&self.events_key);
    }

    /// Sends what is pending, when there is a session; one send at a time (a send asked for meanwhile
    /// follows it).
    pub(super) fn flush(self: &Rc<Self>) {
        let figures = &self.figures;
        if figures.pending.borrow().events.is_empty() {
            return;
        }
        if figures.sending.get() {
            figures.again.set(true);
            return;
        }
        let Some(jwt) = self.cached_session().map(|p| p.jwt) else {
            return;
        };
        figures.sending.set(true);
        let this = self.clone();
        self.host.spawn(Box::pin(async move {
            this.send_events(jwt).await;
            this.figures.sending.set(false);
            if this.figures.again.take() {
                this.flush();
            }
        }));
    }

    /// `POST /v1/events` batch after batch until nothing is pending or a send fails (the events stay pending).
    async fn send_events(self: &Rc<Self>, jwt: String) {
        let erasures = self.figures.erasures.get();
        let mut jwt = jwt;
        loop {
            let batch: Vec<Event> = self.figures.pending.borrow().batch().to_vec();
            if batch.is_empty() {
                return;
            }
            let body = EventsRequest {
                app_id: self.config.app_id.clone(),
                events: batch.clone(),
            }
            .to_json();
            let sent = self
                .post_with_session(
                    EVENTS_PATH,
                    &body,
                    jwt,
                    Endpoint::Events,
                    Endpoint::EventsRetry,
                )
                .await;
            let Ok((answer, used)) = sent else {
                return;
            };
            if self.figures.erasures.get() != erasures {
                return;
            }
            jwt = used;
            match answer {
                Answer::Profile(profile) => {
                    self.figures.pending.borrow_mut().acknowledge(&batch);
                    self.write_pending();
                    self.keep_figures(*profile, &jwt);
                }
                Answer::Failed(e) if e.status == Some(400) => {
                    // The backend refuses these events whatever happens: dropped, so the rest can go.
                    self.figures.pending.borrow_mut().acknowledge(&batch);
                    self.write_pending();
                    self.host.warn(&format!(
                        "tmsdk-profile: the backend refused {} pending events as invalid; they were dropped. {}",
                        batch.len(),
                        e.message
                    ));
                    return;
                }
                _ => return,
            }
        }
    }

    /// The profile an events answer carries, cached with the session it was asked with: the figures are new,
    /// the user info is not, so the record keeps its age (the reuse decision is unchanged).
    fn keep_figures(&self, profile: Profile, jwt: &str) {
        if let Some(old) = self.read_record() {
            if old.profile.open_id == profile.open_id {
                self.store(profile, jwt.to_string(), old.cached_at);
            }
        }
    }
}
