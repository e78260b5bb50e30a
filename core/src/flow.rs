//! The whole `updateUserProfile` flow (docs/contract.md, "Flow"), top to bottom, plus `fillUserProfile`,
//! `login`, `getCachedProfile` and `clearProfileCache`, over any [`Host`]. One [`Sdk`] per `install()`. Every rule
//! comes from the pure modules; this file orders the steps. It has no wasm imports: `cargo test` runs it
//! against a fake host, the wasm binding (`src/exports.rs`) against `wx`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

mod erase;
mod figures;

pub use figures::{TRACKS_PLAY_TIME, TRACKS_SHARES};

use crate::answer::{
    fill_refusal, missing_data, read_answer, read_done, read_upload, require_session, Answer,
    Endpoint, Uploaded,
};
use crate::cache::{self, CacheRecord, Decision};
use crate::config::{Config, ConfigInput};
use crate::error::{ErrorCode, Result, TmError};
use crate::failure::Failure;
use crate::fill::{check_avatar_size, FillInput, FillOptions};
use crate::flight::Flight;
use crate::host::{
    Host, HostFailure, HostFuture, HostResult, Method, Request, Stored, StoredText, Upload,
    UserInfoReply,
};
use crate::input::Argument;
use crate::lang::Lang;
use crate::launch::Launch;
use crate::options::{OptionsInput, UpdateOptions};
use crate::platform::Platform;
use crate::profile::Profile;
use crate::tap::read_tap;
use crate::wire::{
    FillRequest, LoginRequest, ProfileRequest, AVATAR_PATH, FILL_PATH, LOGIN_PATH, PROFILE_PATH,
};
use crate::wx_failure::{
    host_failure, is_scope_unauthorized, login_failed, login_request_failed, read_login,
    read_login_dialog, read_user_info, request_failure,
};

/// A user-info popup the caller already opened (the shim opens `getUserProfile` inside the tap while the
/// wasm is still loading).
pub type OpenedPopup = HostFuture<HostResult<UserInfoReply>>;

/// What a call of the SDK's API gives its caller: the value, or the failure with the cached profile it left.
pub type Outcome<T> = std::result::Result<T, Failure>;

/// The outcome of a call: settled at once, or an operation in flight shared with other callers.
#[derive(Debug)]
pub enum Call<T> {
    /// Settled synchronously (bad options, a cache hit …).
    Ready(Outcome<T>),
    /// Settles when the operation in flight does.
    InFlight(Flight<Outcome<T>>),
}

impl<T: Clone + 'static> Call<T> {
    /// The outcome, awaited.
    pub async fn settle(self) -> Outcome<T> {
        match self {
            Call::Ready(result) => result,
            Call::InFlight(flight) => flight.wait().await,
        }
    }
}

/// What `getCachedProfile()` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedProfile {
    /// The cached profile.
    pub profile: Profile,
    /// When it was received, epoch ms.
    pub cached_at: u64,
    /// When it stops being reused, epoch ms.
    pub expires_at: u64,
    /// Whether the profile is WeChat's anonymous placeholder ("微信用户").
    pub placeholder: bool,
}

/// One installed SDK.
pub struct Sdk<H: Host> {
    inner: Rc<Inner<H>>,
}

impl<H: Host> std::fmt::Debug for Sdk<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sdk").finish_non_exhaustive()
    }
}

struct Inner<H: Host> {
    config: Config,
    /// What the messages name (the host's platform).
    platform: Platform,
    host: H,
    /// The record's storage key, and the pending figures' (`cache::storage_key`, `pending::events_key`).
    key: H::Key,
    events_key: H::Key,
    /// Set after a 401: the cached `jwt` is not used again until a login succeeds.
    session_dropped: Cell<bool>,
    /// Whether this run's last login gave a `code` (`None` before any): on Douyin, a player logged in to Douyin,
    /// whose session key (the one their user info is signed with) the backend then holds; an anonymous login
    /// gives none.
    signed: Cell<Option<bool>>,
    storage_warned: Cell<bool>,
    /// The last record this SDK validated, by its exact stored text: a cache hit compares the text and
    /// rechecks only the clock. Forgotten on every write and removal.
    memo: RefCell<Option<(H::Text, Rc<CacheRecord>)>>,
    update: RefCell<Option<Flight<Outcome<Profile>>>>,
    login: RefCell<Option<Flight<Outcome<Profile>>>>,
    fill: RefCell<Option<Flight<Outcome<Profile>>>>,
    erase: RefCell<Option<Flight<Outcome<()>>>>,
    /// The player's figures not acknowledged yet (see `figures`).
    figures: figures::Figures,
}

impl<H: Host + 'static> Sdk<H> {
    /// Validates `config` (`INVALID_CONFIG` naming the key) for `host`, whose own appId (if it has one) is
    /// the default `appId`.
    pub fn new(
        config: impl Into<Argument<ConfigInput>>,
        host_app_id: Option<&str>,
        host: H,
    ) -> Result<Sdk<H>> {
        let platform = host.platform();
        let config = Config::parse(config, host_app_id).map_err(|e| platform.name_error(e))?;
        let figures = figures::Figures::new(&config.app_id);
        let sdk = Sdk {
            inner: Rc::new(Inner {
                key: host.storage_key(cache::storage_key(&config.app_id)),
                events_key: host.storage_key(crate::pending::events_key(&config.app_id)),
                platform,
                config,
                host,
                session_dropped: Cell::new(false),
                signed: Cell::new(None),
                storage_warned: Cell::new(false),
                memo: RefCell::new(None),
                update: RefCell::new(None),
                login: RefCell::new(None),
                fill: RefCell::new(None),
                erase: RefCell::new(None),
                figures,
            }),
        };
        sdk.inner.launch();
        Ok(sdk)
    }

    /// The validated config.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The host.
    pub fn host(&self) -> &H {
        &self.inner.host
    }

    /// Whether `install` should log in at once (`autoLogin`, and not the no-login build).
    pub fn auto_login(&self) -> bool {
        self.inner.config.auto_login && !self.inner.config.no_login
    }

    /// `wx.tmSDK.updateUserProfile(options)`. Steps 1–3a run synchronously, so `getUserProfile` opens inside
    /// the caller's tap. `popup` is a `getUserProfile` call the caller already opened.
    pub fn update_user_profile(
        &self,
        options: impl Into<Argument<OptionsInput>>,
        popup: Option<OpenedPopup>,
    ) -> Call<Profile> {
        self.update_or_reuse(options, popup)
            .unwrap_or_else(|record| Call::Ready(Ok(record.profile.clone())))
    }

    /// [`Sdk::update_user_profile`], a reused record given as itself (`Err`): the same `Rc` for as long as the
    /// stored text is unchanged, so a binding can hand out what it already built from it.
    pub fn update_or_reuse(
        &self,
        options: impl Into<Argument<OptionsInput>>,
        popup: Option<OpenedPopup>,
    ) -> std::result::Result<Call<Profile>, Rc<CacheRecord>> {
        let inner = &self.inner;
        // 1. Options, then the no-login build.
        let record = inner.read_record();
        // What a failure hands back as `error.cached`: the record it leaves intact.
        let cached = |record: &Option<Rc<CacheRecord>>| record.as_ref().map(|r| r.profile.clone());
        let options = match UpdateOptions::parse(options) {
            Ok(o) => o,
            Err(e) => return Ok(Call::Ready(Err(inner.fail(e, cached(&record))))),
        };
        if inner.config.no_login {
            return Ok(Call::Ready(Err(
                inner.fail(no_login_error(), cached(&record))
            )));
        }
        // Concurrent calls share one operation: one popup, one request, one result.
        if let Some(running) = inner.update.borrow().as_ref() {
            return Ok(Call::InFlight(running.clone()));
        }
        // 2. Reuse a fresh authorised profile without any host call.
        let decision = cache::decide(
            record.as_deref(),
            inner.config.profile_ttl_secs,
            inner.host.now_ms(),
            options.refresh || popup.is_some(),
        );
        if let (Decision::Reuse, Some(record)) = (decision, record.as_ref()) {
            return Err(record.clone());
        }
        // 3a. getUserProfile, synchronously, still inside the tap (never on Douyin: its user info needs a
        // login Douyin signed first).
        let lang = options.lang.unwrap_or(inner.config.lang);
        let popup = popup.or_else(|| {
            (inner.platform != Platform::Douyin && inner.host.has_user_profile())
                .then(|| inner.host.get_user_profile(&options.desc, lang))
        });
        Ok(inner.start_update(popup, lang, record))
    }

    /// `wx.tmSDK.updateUserInfo(result)` (SkyRiver's call): the result the game's own user-info call gave
    /// ([`crate::read_tap`]) posted to `/v1/profile` with the session (a login first when there is none),
    /// the profile cached and returned. Never a popup and never the cache: the player just tapped. Shares the
    /// operation in flight with `updateUserProfile`; failures leave the record intact and in `error.cached`.
    pub fn update_user_info(
        &self,
        result: impl Into<Argument<UserInfoReply>>,
        user_info: Option<String>,
    ) -> Call<Profile> {
        let inner = &self.inner;
        let record = inner.read_record();
        let cached = |record: &Option<Rc<CacheRecord>>| record.as_ref().map(|r| r.profile.clone());
        let reply = match read_tap(result, user_info) {
            Ok(reply) => reply,
            Err(e) => return Call::Ready(Err(inner.fail(e, cached(&record)))),
        };
        if inner.config.no_login {
            return Call::Ready(Err(inner.fail(no_login_error(), cached(&record))));
        }
        if let Some(running) = inner.update.borrow().as_ref() {
            return Call::InFlight(running.clone());
        }
        let popup: OpenedPopup = Box::pin(std::future::ready(Ok(reply)));
        inner.start_update(Some(popup), inner.config.lang, record)
    }

    /// `wx.tmSDK.fillUserProfile({ avatarPath, nickName })`: what the player filled in (头像昵称填写) to the
    /// backend — the avatar through `wx.uploadFile`, then `POST /v1/profile/fill` — and the profile it
    /// answers, cached. Concurrent calls share the one in flight. Failures leave the record intact and in
    /// `error.cached`.
    pub fn fill_user_profile(&self, options: impl Into<Argument<FillInput>>) -> Call<Profile> {
        let inner = &self.inner;
        let record = inner.read_record();
        let cached =
            move |record: &Option<Rc<CacheRecord>>| record.as_ref().map(|r| r.profile.clone());
        let refuse = |e: TmError| Call::Ready(Err(inner.fail(e, cached(&record))));
        let options = match FillOptions::parse(options) {
            Ok(o) => o,
            Err(e) => return refuse(e),
        };
        if inner.config.no_login {
            return refuse(no_login_error());
        }
        if inner.platform == Platform::Douyin {
            return refuse(TmError::new(
                ErrorCode::Unsupported,
                "Douyin has no avatar and nickname pickers for mini-games: on Douyin, call updateUserProfile.",
            ));
        }
        if options.avatar_path.is_some() && !inner.host.has_upload_file() {
            return refuse(TmError::new(
                ErrorCode::Unsupported,
                "This host has no wx.uploadFile to send the avatar with. In a browser or Node, pass a wx-like \
                 object with uploadFile as install({ host }), or fill in the nickname only.",
            ));
        }
        // Too large for the backend: refused on the phone, before a byte is uploaded.
        if let Some(path) = options.avatar_path.as_deref() {
            if let Err(e) = check_avatar_size(inner.host.file_size(path)) {
                return refuse(e);
            }
        }
        if let Some(running) = inner.fill.borrow().as_ref() {
            return Call::InFlight(running.clone());
        }
        let flight = Flight::new();
        inner.fill.replace(Some(flight.clone()));
        let this = inner.clone();
        let done = flight.clone();
        inner.host.spawn(Box::pin(async move {
            let result = this
                .run_fill(options)
                .await
                .map_err(|e| this.fail(e, cached(&record)));
            this.fill.replace(None);
            done.complete(result);
        }));
        Call::InFlight(flight)
    }

    /// `wx.tmSDK.login()`: the cached session, else the login in flight, else `wx.login` + `/v1/login`.
    pub fn login(&self) -> Call<Profile> {
        if self.inner.config.no_login {
            return Call::Ready(Err(self.inner.fail(no_login_error(), None)));
        }
        match self.inner.cached_session() {
            Some(profile) => Call::Ready(Ok(profile)),
            None => Call::InFlight(self.inner.shared_login(false)),
        }
    }

    /// `wx.tmSDK.getCachedProfile()`: the usable record, if any (a corrupt one is removed).
    pub fn cached_profile(&self) -> Option<CachedProfile> {
        let (record, expires_at) = self.cached_record()?;
        Some(CachedProfile {
            placeholder: record.profile.is_placeholder(),
            profile: record.profile.clone(),
            cached_at: record.cached_at,
            expires_at,
        })
    }

    /// The usable record itself, shared (`getCachedProfile()` without copying the profile): the same `Rc` for
    /// as long as the stored text is unchanged, so a binding can keep what it built from it. With when it
    /// stops being reused, epoch ms.
    pub fn cached_record(&self) -> Option<(Rc<CacheRecord>, u64)> {
        let record = self.inner.read_record()?;
        let expires_at = record.expires_at(self.inner.config.profile_ttl_secs);
        Some((record, expires_at))
    }

    /// `wx.tmSDK.clearProfileCache()`: removes the record (and with it the session).
    pub fn clear_profile_cache(&self) {
        self.inner.remove_record();
    }
}

impl<H: Host + 'static> Inner<H> {
    /// A failed call as its caller gets it: the message naming the host's platform, the record left intact.
    /// Out of line: it is called from every failing step.
    #[inline(never)]
    fn fail(&self, error: TmError, cached: Option<Profile>) -> Failure {
        Failure::new(self.platform.name_error(error), cached)
    }

    /// Starts steps 3–6 in the background as the update in flight, which later calls join.
    fn start_update(
        self: &Rc<Self>,
        popup: Option<OpenedPopup>,
        lang: Lang,
        record: Option<Rc<CacheRecord>>,
    ) -> Call<Profile> {
        let flight = Flight::new();
        self.update.replace(Some(flight.clone()));
        let this = self.clone();
        let done = flight.clone();
        self.host.spawn(Box::pin(async move {
            let cached = record.as_ref().map(|r| r.profile.clone());
            let result = this
                .run_update(popup, lang)
                .await
                .map_err(|e| this.fail(e, cached));
            this.update.replace(None);
            done.complete(result);
        }));
        Call::InFlight(flight)
    }

    /// Steps 3–6 after the synchronous part.
    async fn run_update(
        self: &Rc<Self>,
        popup: Option<OpenedPopup>,
        lang: Lang,
    ) -> Result<Profile> {
        let (info, jwt) = if self.platform == Platform::Douyin && popup.is_none() {
            // Douyin: a session Douyin signed first (its login dialog for an anonymous player), then the
            // user info, which Douyin signs with that login's session key.
            let jwt = self.signed_session().await?;
            (self.user_info(None, lang).await?, jwt)
        } else {
            // 3. User info from the host; 4. a session, after the popup, never before.
            let info = self.user_info(popup, lang).await?;
            (info, self.session().await?)
        };
        // 5. POST /v1/profile; a 401 drops the session, logs in once and retries once.
        let body = ProfileRequest::new(&self.config.app_id, &info).to_json();
        let (answer, jwt) = self
            .post_with_session(
                PROFILE_PATH,
                &body,
                jwt,
                Endpoint::Profile,
                Endpoint::ProfileRetry,
            )
            .await?;
        // 6. Validated profile → cache record → result.
        self.keep(answer, jwt)
    }

    /// A profile the backend answered, kept as the new record (with the session it was asked with, when it
    /// carries none), or the answer's error.
    fn keep(&self, answer: Answer, jwt: String) -> Result<Profile> {
        match answer {
            Answer::Profile(profile) => Ok(self.store(*profile, jwt, self.host.now_ms())),
            Answer::Done => Err(missing_data()),
            Answer::Unauthorized(e) | Answer::Failed(e) => Err(e),
        }
    }

    /// Writes `profile` as the record received at `cached_at`, with the session `jwt` when it carries none.
    fn store(&self, mut profile: Profile, jwt: String, cached_at: u64) -> Profile {
        if profile.jwt.is_empty() {
            profile.jwt = jwt;
        }
        let record = CacheRecord::new(&self.config.app_id, cached_at, profile);
        self.write_record(&record);
        record.profile
    }

    /// Sends `body` to `path` with the session `jwt` ([`Inner::post`]); a 401 drops the session, logs in once
    /// and sends once more (`retry` names that request). The answer, and the session it was given with.
    async fn post_with_session(
        self: &Rc<Self>,
        path: &str,
        body: &str,
        jwt: String,
        first: Endpoint,
        retry: Endpoint,
    ) -> Result<(Answer, String)> {
        // A call in flight when the player erased their data never logs in again: that would create them anew.
        let erasures = self.figures.erasures.get();
        match self.post(path, body, Some(&jwt), first).await? {
            Answer::Unauthorized(_) if self.figures.erasures.get() == erasures => {
                let jwt = self.relogin().await?;
                let answer = self.post(path, body, Some(&jwt), retry).await?;
                Ok((answer, jwt))
            }
            answer => Ok((answer, jwt)),
        }
    }

    /// After a 401: the session is dropped and one new login made (or joined); its token.
    async fn relogin(self: &Rc<Self>) -> Result<String> {
        self.session_dropped.set(true);
        self.login_now(false).await
    }

    /// A login made now (or joined; a `signed` one is always its own): its token.
    async fn login_now(self: &Rc<Self>, signed: bool) -> Result<String> {
        Ok(self
            .shared_login(signed)
            .wait()
            .await
            .map_err(|f| f.error)?
            .jwt)
    }

    /// Douyin: the session of a login this run made with a `code`, else a new one (Douyin's login dialog for a
    /// player not logged in to Douyin).
    async fn signed_session(self: &Rc<Self>) -> Result<String> {
        if self.signed.get() == Some(true) {
            return self.session().await;
        }
        self.login_now(true).await
    }

    /// The fill-in after its synchronous checks: a session, the avatar's upload, then
    /// `POST /v1/profile/fill`; each retried once after a 401 and a new login.
    async fn run_fill(self: &Rc<Self>, options: FillOptions) -> Result<Profile> {
        let jwt = self.session().await?;
        let (avatar_url, jwt) = match &options.avatar_path {
            Some(path) => {
                let (url, jwt) = self.upload_avatar(path, jwt).await?;
                (Some(url), jwt)
            }
            None => (None, jwt),
        };
        let body = FillRequest {
            app_id: (&self.config.app_id).into(),
            nick_name: options.nick_name.as_deref().map(Into::into),
            avatar_url: avatar_url.as_deref().map(Into::into),
        }
        .to_json();
        let (answer, jwt) = self
            .post_with_session(FILL_PATH, &body, jwt, Endpoint::Fill, Endpoint::FillRetry)
            .await?;
        self.keep(answer, jwt).map_err(fill_refusal)
    }

    /// `wx.uploadFile` of the avatar to `/v1/avatar`: its URL and the session that took it.
    async fn upload_avatar(self: &Rc<Self>, path: &str, jwt: String) -> Result<(String, String)> {
        match self.upload(path, &jwt, Endpoint::Fill).await? {
            Uploaded::Url(url) => Ok((url, jwt)),
            Uploaded::Unauthorized(_) => {
                let jwt = self.relogin().await?;
                match self.upload(path, &jwt, Endpoint::FillRetry).await? {
                    Uploaded::Url(url) => Ok((url, jwt)),
                    Uploaded::Unauthorized(e) | Uploaded::Failed(e) => Err(e),
                }
            }
            Uploaded::Failed(e) => Err(e),
        }
    }

    /// One `wx.uploadFile` of `path` to the backend's avatar endpoint.
    async fn upload(&self, path: &str, jwt: &str, endpoint: Endpoint) -> Result<Uploaded> {
        let server = self.config.server.as_deref().unwrap_or_default();
        let response = self
            .host
            .upload_file(Upload {
                url: format!("{server}{AVATAR_PATH}"),
                file_path: path.to_string(),
                bearer: jwt.to_string(),
                timeout_ms: self.config.timeout_ms,
            })
            .await
            .map_err(|f| request_failure(&f))?;
        Ok(read_upload(response.status, &response.body, endpoint))
    }

    /// Step 3: the popup already opened (3a), else getSetting → getUserInfo (3b), else the button (3c).
    async fn user_info(&self, popup: Option<OpenedPopup>, lang: Lang) -> Result<UserInfoReply> {
        if let Some(popup) = popup {
            return read_user_info(popup.await);
        }
        let host = &self.host;
        if host.has_user_info() {
            // Douyin asks the player itself the first time: no getSetting there.
            let authorised = self.platform == Platform::Douyin
                || host
                    .user_info_authorised()
                    .await
                    .map_err(|f| host_failure(&f))?;
            if authorised {
                match read_user_info(host.get_user_info(lang).await) {
                    Err(e) if e.err_msg.as_deref().is_some_and(is_scope_unauthorized) => {}
                    other => return other,
                }
            }
        }
        if host.has_user_info_button() {
            return read_user_info(host.user_info_button(lang).await);
        }
        Err(TmError::new(
            ErrorCode::Unsupported,
            "This host has no wx.getUserProfile, wx.getUserInfo or wx.createUserInfoButton. In a browser or Node, \
             pass a wx-like object as install({ host }).",
        ))
    }

    /// Step 4: the cached `jwt`, else the login in flight, else a new login.
    async fn session(self: &Rc<Self>) -> Result<String> {
        match self.cached_session() {
            Some(profile) => Ok(profile.jwt),
            None => self.login_now(false).await,
        }
    }

    fn cached_session(&self) -> Option<Profile> {
        if self.session_dropped.get() {
            return None;
        }
        self.read_record()
            .filter(|r| !r.profile.jwt.is_empty())
            .map(|r| r.profile.clone())
    }

    /// The login in flight, else a new one; a `signed` one (Douyin's dialog when the player is anonymous) is
    /// always a new one.
    fn shared_login(self: &Rc<Self>, signed: bool) -> Flight<Outcome<Profile>> {
        if let Some(running) = self.login.borrow().as_ref().filter(|_| !signed) {
            return running.clone();
        }
        let flight = Flight::new();
        self.login.replace(Some(flight.clone()));
        let this = self.clone();
        let done = flight.clone();
        self.host.spawn(Box::pin(async move {
            let result = this.run_login(signed).await.map_err(|e| this.fail(e, None));
            this.login.replace(None);
            let logged_in = result.is_ok();
            done.complete(result);
            // Figures counted before this session go out with it.
            if logged_in {
                this.flush();
            }
        }));
        flight
    }

    /// `wx.login` → `POST /v1/login` → the record (keeping its age when it is the same user). On Douyin the
    /// login is `tt.login({ force: false })`, never Douyin's login dialog unless `signed` asks for a login
    /// with a `code`: then, for a player it gave only an anonymous code, `tt.login({ force: true })`.
    async fn run_login(&self, signed: bool) -> Result<Profile> {
        let force = (self.platform == Platform::Douyin).then_some(false);
        let mut codes = read_login(self.host.login(force).await, false)?;
        if signed && codes.code.is_empty() {
            codes = read_login_dialog(self.host.login(Some(true)).await)?;
        }
        let launch = Launch::read(&self.host.launch_values(), self.platform);
        let body = LoginRequest {
            app_id: (&self.config.app_id).into(),
            code: (&codes.code).into(),
            anonymous_code: (&codes.anonymous_code).into(),
            scene: launch.scene,
            channel: (&launch.channel).into(),
            sharer: (&launch.sharer).into(),
        }
        .to_json();
        let profile = match self
            .post(LOGIN_PATH, &body, None, Endpoint::Login)
            .await
            .map_err(login_request_failed)?
        {
            Answer::Profile(p) => require_session(*p).map_err(|e| login_failed(&e))?,
            Answer::Done => return Err(login_failed(&missing_data())),
            Answer::Unauthorized(e) | Answer::Failed(e) => return Err(login_failed(&e)),
        };
        let cached_at = match self.read_record() {
            Some(old) if old.profile.open_id == profile.open_id => old.cached_at,
            _ => self.host.now_ms(),
        };
        let record = CacheRecord::new(&self.config.app_id, cached_at, profile);
        self.write_record(&record);
        self.session_dropped.set(false);
        self.signed.set(Some(!codes.code.is_empty()));
        Ok(record.profile)
    }

    /// One request to the backend, body as text, answer read as text: a POST, or the erasure's DELETE
    /// (`Endpoint::Erase`), whose answer carries no profile.
    async fn post(
        &self,
        path: &str,
        body: &str,
        jwt: Option<&str>,
        endpoint: Endpoint,
    ) -> Result<Answer> {
        let erase = matches!(endpoint, Endpoint::Erase | Endpoint::EraseRetry);
        let server = self.config.server.as_deref().unwrap_or_default();
        let response = self
            .host
            .request(Request {
                method: if erase { Method::Delete } else { Method::Post },
                url: format!("{server}{path}"),
                body: body.to_string(),
                bearer: jwt.map(str::to_string),
                timeout_ms: self.config.timeout_ms,
            })
            .await
            .map_err(|f| request_failure(&f))?;
        let (status, body) = (response.status, &response.body);
        Ok(if erase {
            read_done(status, body, endpoint)
        } else {
            read_answer(status, body, &self.config.app_id, endpoint)
        })
    }

    /// The record, if usable; a corrupt one is removed.
    fn read_record(&self) -> Option<Rc<CacheRecord>> {
        match self.host.storage_get(&self.key) {
            Stored::Absent => None,
            Stored::Text(text) => {
                if let Some((known, record)) = self.memo.borrow().as_ref() {
                    if *known == text {
                        return Some(record.clone());
                    }
                }
                match CacheRecord::parse(&text.to_text(), &self.config.app_id) {
                    Ok(record) => {
                        let record = Rc::new(record);
                        self.memo.replace(Some((text, record.clone())));
                        Some(record)
                    }
                    Err(_) => {
                        self.remove_record();
                        None
                    }
                }
            }
            Stored::Other => {
                self.remove_record();
                None
            }
        }
    }

    fn remove_record(&self) {
        self.memo.replace(None);
        self.host.storage_remove(&self.key);
    }

    /// Writes the record; a failed write warns once and loses nothing else.
    fn write_record(&self, record: &CacheRecord) {
        self.memo.replace(None);
        self.save(&self.key, &record.to_json());
    }

    /// Writes `text` under `key`; a failed write (a full storage) warns once for the record and the pending
    /// figures alike, and loses nothing else: both stay in memory while the game runs.
    fn save(&self, key: &H::Key, text: &str) {
        if let Err(HostFailure {
            err_msg: message, ..
        }) = self.host.storage_set(key, text)
        {
            if !self.storage_warned.replace(true) {
                self.host.warn(&format!(
                    "tmsdk-profile: could not save to storage ({message}); the profile is still returned, and the pending figures are kept in memory and sent while the game runs."
                ));
            }
        }
    }
}

fn no_login_error() -> TmError {
    TmError::new(
        ErrorCode::NoLoginSdk,
        "This is the no-login build (noLogin: true): login and updateUserProfile are not available. Install \
         without noLogin and with a server to use them.",
    )
}
