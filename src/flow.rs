//! The whole `updateUserProfile` flow of SPEC §3, top to bottom, plus `login`, `getCachedProfile` and
//! `clearProfileCache`. One [`Sdk`] per `install()`. Every rule it applies comes from the pure modules; this
//! file only orders the steps and talks to the host.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::bindings::{
    json_of, non_negative, set, to_input, to_js, to_js_error, CONFIG_KEYS, OPTION_KEYS,
};
use crate::cache::{self, CacheRecord, Decision};
use crate::config::Config;
use crate::error::{ErrorCode, Result, TmError};
use crate::host::Host;
use crate::options::{Lang, UpdateOptions};
use crate::profile::Profile;
use crate::protocol::{
    self, host_failure, is_ok_message, is_scope_unauthorized, login_failed, read_answer,
    request_failure, require_session, Answer, HostUserInfo, LoginRequest, ProfileRequest,
    LOGIN_PATH, PROFILE_PATH,
};
use crate::storage::{describe, Storage, Stored};

/// One installed SDK: what `wx.tmSDK`'s members call.
#[wasm_bindgen]
pub struct Sdk {
    inner: Rc<Inner>,
}

struct Inner {
    config: Config,
    host: Host,
    /// `config.userInfoButton`, passed to the host as is.
    button_style: JsValue,
    storage: Storage,
    key: String,
    /// Set after a 401: the cached `jwt` is not used again until a login succeeds.
    session_dropped: Cell<bool>,
    storage_warned: Cell<bool>,
    update: RefCell<Option<Shared<Profile>>>,
    login: RefCell<Option<Shared<Profile>>>,
}

#[wasm_bindgen]
impl Sdk {
    /// Validates `config` (`INVALID_CONFIG` naming the key) and binds the adapted `host`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, host: Host) -> std::result::Result<Sdk, JsValue> {
        let parsed = Config::parse(&to_input(&config, CONFIG_KEYS), host.app_id().as_deref())
            .map_err(|e| to_js_error(&e))?;
        let button_style =
            Reflect::get(&config, &"userInfoButton".into()).unwrap_or(JsValue::UNDEFINED);
        let storage = Storage::for_host(&host);
        Ok(Sdk {
            inner: Rc::new(Inner {
                key: cache::storage_key(&parsed.app_id),
                config: parsed,
                host,
                button_style,
                storage,
                session_dropped: Cell::new(false),
                storage_warned: Cell::new(false),
                update: RefCell::new(None),
                login: RefCell::new(None),
            }),
        })
    }

    /// Whether `install` should log in at once (`autoLogin`, and not the no-login build).
    #[wasm_bindgen(getter, js_name = autoLogin)]
    pub fn auto_login(&self) -> bool {
        self.inner.config.auto_login && !self.inner.config.no_login
    }

    /// `wx.tmSDK.updateUserProfile(options)`. Steps 1–3a run synchronously, so `getUserProfile` opens inside
    /// the caller's tap. `popup` is a `getUserProfile` call the shim already started while the wasm loaded.
    #[wasm_bindgen(js_name = updateUserProfile)]
    pub fn update_user_profile(&self, options: JsValue, popup: Option<Promise>) -> Promise {
        let inner = &self.inner;
        // 1. Options, then the no-login build.
        let record = inner.read_record();
        let cached = record.as_ref().map(|r| r.profile.clone());
        let options = match UpdateOptions::parse(&to_input(&options, OPTION_KEYS)) {
            Ok(o) => o,
            Err(e) => return rejected(e.with_cached(cached)),
        };
        if inner.config.no_login {
            return rejected(no_login_error().with_cached(cached));
        }
        // Concurrent calls share one operation: one popup, one request, one result.
        if let Some(running) = inner.update.borrow().as_ref() {
            return running.promise.clone();
        }
        // 2. Reuse a fresh authorised profile without any host call.
        let now = now_ms();
        let decision = cache::decide(
            record.as_ref(),
            &inner.config.app_id,
            inner.config.profile_ttl_secs,
            now,
            options.refresh || popup.is_some(),
        );
        if let (Decision::Reuse, Some(profile)) = (decision, cached.as_ref()) {
            return Promise::resolve(&to_js(profile));
        }
        // 3a. getUserProfile, synchronously, still inside the tap.
        let lang = options.lang.unwrap_or(inner.config.lang);
        let popup = popup.or_else(|| {
            inner.host.has("getUserProfile").then(|| {
                inner
                    .host
                    .get_user_profile(&user_profile_options(&options.desc, lang))
            })
        });
        let this = inner.clone();
        let shared = Shared::spawn(async move {
            let result = this
                .run_update(popup, lang)
                .await
                .map_err(|e| e.with_cached(cached));
            this.update.replace(None);
            result
        });
        inner.update.replace(Some(shared.clone()));
        shared.promise
    }

    /// `wx.tmSDK.login()`: the cached session, else the login in flight, else `wx.login` + `/v1/login`.
    pub fn login(&self) -> Promise {
        if self.inner.config.no_login {
            return rejected(no_login_error());
        }
        match self.inner.cached_session() {
            Some(profile) => Promise::resolve(&to_js(&profile)),
            None => self.inner.shared_login().promise,
        }
    }

    /// `wx.tmSDK.getCachedProfile()`: `{ profile, cachedAt, expiresAt }` (epoch ms) or `null`.
    #[wasm_bindgen(js_name = getCachedProfile)]
    pub fn get_cached_profile(&self) -> JsValue {
        let Some(record) = self.inner.read_record() else {
            return JsValue::NULL;
        };
        let out = Object::new();
        set(&out, "profile", &to_js(&record.profile));
        set(&out, "cachedAt", &(record.cached_at as f64).into());
        let expires_at = record.expires_at(self.inner.config.profile_ttl_secs);
        set(&out, "expiresAt", &(expires_at as f64).into());
        out.into()
    }

    /// `wx.tmSDK.clearProfileCache()`: removes the record (and with it the session).
    #[wasm_bindgen(js_name = clearProfileCache)]
    pub fn clear_profile_cache(&self) {
        self.inner.storage.remove(&self.inner.key);
    }
}

impl Inner {
    /// Steps 3–6 after the synchronous part.
    async fn run_update(self: &Rc<Self>, popup: Option<Promise>, lang: Lang) -> Result<Profile> {
        // 3. User info from the host.
        let info = self.user_info(popup, lang).await?;
        // 4. A session, after the popup, never before.
        let jwt = self.session().await?;
        // 5. POST /v1/profile; a 401 drops the session, logs in once and retries once.
        let body = protocol::to_json(&ProfileRequest::new(&self.config.app_id, &info));
        let (answer, jwt) = match self.post(PROFILE_PATH, &body, Some(&jwt)).await? {
            Answer::Unauthorized(_) => {
                self.session_dropped.set(true);
                let jwt = self.shared_login().wait().await?.jwt;
                (self.post(PROFILE_PATH, &body, Some(&jwt)).await?, jwt)
            }
            answer => (answer, jwt),
        };
        // 6. Validated profile → cache record → result.
        match answer {
            Answer::Profile(profile) => {
                let mut profile = *profile;
                if profile.jwt.is_empty() {
                    profile.jwt = jwt;
                }
                self.write_record(&CacheRecord::new(
                    &self.config.app_id,
                    now_ms(),
                    profile.clone(),
                ));
                Ok(profile)
            }
            Answer::Unauthorized(e) | Answer::Failed(e) => Err(e),
        }
    }

    /// Step 3: the popup already opened (3a), else getSetting → getUserInfo (3b), else the button (3c).
    async fn user_info(&self, popup: Option<Promise>, lang: Lang) -> Result<HostUserInfo> {
        if let Some(popup) = popup {
            return read_user_info(JsFuture::from(popup).await);
        }
        let host = &self.host;
        if host.has("getSetting") && host.has("getUserInfo") {
            let setting = JsFuture::from(host.get_setting())
                .await
                .map_err(|e| host_failure(&describe(&e)))?;
            if user_info_authorised(&setting) {
                let options = Object::new();
                set(&options, "withCredentials", &true.into());
                set(&options, "lang", &lang.as_str().into());
                match read_user_info(JsFuture::from(host.get_user_info(&options)).await) {
                    Err(e) if e.err_msg.as_deref().is_some_and(is_scope_unauthorized) => {}
                    other => return other,
                }
            }
        }
        if host.has("createUserInfoButton") {
            let options = Object::new();
            set(&options, "lang", &lang.as_str().into());
            set(&options, "style", &self.button_style);
            return read_user_info(JsFuture::from(host.user_info_button(&options)).await);
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
            None => Ok(self.shared_login().wait().await?.jwt),
        }
    }

    fn cached_session(&self) -> Option<Profile> {
        if self.session_dropped.get() {
            return None;
        }
        self.read_record()
            .map(|r| r.profile)
            .filter(|p| !p.jwt.is_empty())
    }

    fn shared_login(self: &Rc<Self>) -> Shared<Profile> {
        if let Some(running) = self.login.borrow().as_ref() {
            return running.clone();
        }
        let this = self.clone();
        let shared = Shared::spawn(async move {
            let result = this.run_login().await;
            this.login.replace(None);
            result
        });
        self.login.replace(Some(shared.clone()));
        shared
    }

    /// `wx.login` → `POST /v1/login` → the record (keeping its age when it is the same user).
    async fn run_login(&self) -> Result<Profile> {
        let res = JsFuture::from(self.host.login())
            .await
            .map_err(|e| login_failed(&host_failure(&describe(&e))))?;
        let code = string_at(&res, "code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                login_failed(
                    &TmError::new(ErrorCode::HostError, "wx.login gave no code")
                        .with_err_msg(describe(&res)),
                )
            })?;
        let launch = self.host.launch_options();
        let scene = Reflect::get(&launch, &"scene".into()).ok().and_then(|s| {
            s.as_f64()
                .or_else(|| s.as_string().and_then(|t| t.trim().parse().ok()))
        });
        let query = Reflect::get(&launch, &"query".into()).unwrap_or(JsValue::UNDEFINED);
        let channel = string_at(&query, "channelCode").unwrap_or_default();
        let body = protocol::to_json(&LoginRequest {
            app_id: &self.config.app_id,
            code: &code,
            scene: scene
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map_or(0, |s| s as u64),
            channel: &channel,
        });
        let profile = match self
            .post(LOGIN_PATH, &body, None)
            .await
            .map_err(|e| login_failed(&e))?
        {
            Answer::Profile(p) => require_session(*p).map_err(|e| login_failed(&e))?,
            Answer::Unauthorized(e) | Answer::Failed(e) => return Err(login_failed(&e)),
        };
        let cached_at = match self.read_record() {
            Some(old) if old.profile.open_id == profile.open_id => old.cached_at,
            _ => now_ms(),
        };
        self.write_record(&CacheRecord::new(
            &self.config.app_id,
            cached_at,
            profile.clone(),
        ));
        self.session_dropped.set(false);
        Ok(profile)
    }

    /// One `wx.request` POST to the backend, body as text, answer read as text.
    async fn post(&self, path: &str, body: &str, jwt: Option<&str>) -> Result<Answer> {
        let server = self.config.server.as_deref().unwrap_or_default();
        let header = Object::new();
        set(&header, "content-type", &"application/json".into());
        if let Some(jwt) = jwt {
            set(&header, "Authorization", &format!("Bearer {jwt}").into());
        }
        let options = Object::new();
        set(&options, "url", &format!("{server}{path}").into());
        set(&options, "method", &"POST".into());
        set(&options, "data", &body.into());
        set(&options, "header", &header);
        set(&options, "timeout", &self.config.timeout_ms.into());
        set(&options, "dataType", &"text".into());
        set(&options, "responseType", &"text".into());
        let res = JsFuture::from(self.host.request(&options))
            .await
            .map_err(|e| request_failure(&describe(&e)))?;
        let status = Reflect::get(&res, &"statusCode".into())
            .ok()
            .and_then(|s| s.as_f64())
            .filter(|s| (0.0..=999.0).contains(s))
            .map_or(0, |s| s as u16);
        let data = Reflect::get(&res, &"data".into()).unwrap_or(JsValue::UNDEFINED);
        // Some hosts parse JSON despite dataType "text": turn it back into text for the core to check.
        let text = data.as_string().unwrap_or_else(|| {
            JSON::stringify(&data)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default()
        });
        Ok(read_answer(status, &text, &self.config.app_id))
    }

    /// The record, if usable; a corrupt one is removed.
    fn read_record(&self) -> Option<CacheRecord> {
        match self.storage.get(&self.key) {
            Stored::Absent => None,
            Stored::Text(text) => match CacheRecord::parse(&text, &self.config.app_id) {
                Ok(record) => Some(record),
                Err(_) => {
                    self.storage.remove(&self.key);
                    None
                }
            },
            Stored::Other => {
                self.storage.remove(&self.key);
                None
            }
        }
    }

    /// Writes the record; a failed write warns once and loses nothing else.
    fn write_record(&self, record: &CacheRecord) {
        if let Err(message) = self.storage.set(&self.key, &record.to_json()) {
            if !self.storage_warned.replace(true) {
                self.host.warn(&format!(
                    "tmsdk-profile: could not save the profile cache ({message}); the profile is still returned."
                ));
            }
        }
    }
}

/// One operation in flight: JS callers share its promise, Rust callers read its result.
struct Shared<T> {
    promise: Promise,
    result: Rc<RefCell<Option<Result<T>>>>,
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared {
            promise: self.promise.clone(),
            result: self.result.clone(),
        }
    }
}

impl<T: Clone + Serialize + 'static> Shared<T> {
    fn spawn(task: impl Future<Output = Result<T>> + 'static) -> Self {
        let result = Rc::new(RefCell::new(None));
        let slot = result.clone();
        let promise = future_to_promise(async move {
            let outcome = task.await;
            let js = match &outcome {
                Ok(value) => Ok(to_js(value)),
                Err(e) => Err(to_js_error(e)),
            };
            slot.replace(Some(outcome));
            js
        });
        Shared { promise, result }
    }

    async fn wait(&self) -> Result<T> {
        // The result is stored before the promise settles.
        let _ = JsFuture::from(self.promise.clone()).await;
        self.result.borrow().clone().unwrap_or_else(|| {
            Err(TmError::new(
                ErrorCode::Internal,
                "An operation ended without a result; please report this.",
            ))
        })
    }
}

fn rejected(e: TmError) -> Promise {
    Promise::reject(&to_js_error(&e))
}

fn no_login_error() -> TmError {
    TmError::new(
        ErrorCode::NoLoginSdk,
        "This is the no-login build (noLogin: true): login and updateUserProfile are not available. Install \
         without noLogin and with a server to use them.",
    )
}

fn now_ms() -> u64 {
    non_negative(js_sys::Date::now())
}

fn user_profile_options(desc: &str, lang: Lang) -> JsValue {
    let options = Object::new();
    set(&options, "desc", &desc.into());
    set(&options, "lang", &lang.as_str().into());
    options.into()
}

fn string_at(target: &JsValue, key: &str) -> Option<String> {
    Reflect::get(target, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

fn user_info_authorised(setting: &JsValue) -> bool {
    Reflect::get(setting, &"authSetting".into())
        .and_then(|auth| Reflect::get(&auth, &"scope.userInfo".into()))
        .is_ok_and(|v| v.as_bool() == Some(true))
}

/// A user-info result: the success object (checked for `…:ok`) or the failure value.
fn read_user_info(outcome: std::result::Result<JsValue, JsValue>) -> Result<HostUserInfo> {
    let res = outcome.map_err(|e| host_failure(&describe(&e)))?;
    let err_msg = string_at(&res, "errMsg");
    if !is_ok_message(err_msg.as_deref()) {
        return Err(host_failure(err_msg.as_deref().unwrap_or_default()));
    }
    let user_info = Reflect::get(&res, &"userInfo".into()).unwrap_or(JsValue::UNDEFINED);
    let user_info = json_of(&user_info).unwrap_or(serde_json::Value::Null);
    Ok(HostUserInfo {
        raw_data: string_at(&res, "rawData").unwrap_or_default(),
        signature: string_at(&res, "signature").unwrap_or_default(),
        encrypted_data: string_at(&res, "encryptedData").unwrap_or_default(),
        iv: string_at(&res, "iv").unwrap_or_default(),
        user_info,
    })
}
