//! A native fake of everything around the flow, for `cargo test` (and the flow fuzzer): a `wx` whose every
//! answer the test controls, a fake clock, a tiny executor for the tasks the flow spawns, and an in-process
//! backend that speaks the wire protocol of `docs/contract.md` (sessions, one-time codes, signatures checked
//! as `sha1(raw_data + session_key)`), with the same fault script as the JS test backend.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use serde_json::{json, Map, Value};
use tmsdk_core::Input;
use tmsdk_core::Lang;
use tmsdk_core::Platform;
use tmsdk_core::{Call, Sdk};
use tmsdk_core::{Failure, TmError};
use tmsdk_core::{
    Host, HostFailure, HostFuture, HostResult, LaunchQuery, LaunchValues, LoginReply, Method,
    Request, Response, Stored, StoredText, Upload, UserInfoReply,
};

/// The appId every scenario uses.
pub const APP: &str = "wxsimapp0000000001";
/// Its record's storage key.
pub const KEY: &str = "tmsdk.profile.v1.wxsimapp0000000001";
/// The base URL the fake backend answers.
pub const SERVER: &str = "https://backend.test";
/// WeChat's message for a popup outside a tap.
pub const TAP_MESSAGE: &str = "getUserProfile:fail can only be invoked by user TAP gesture";
/// A chosen avatar's temporary path (a PNG), and a file that is not an image.
pub const AVATAR_FILE: &str = "wxfile://tmp_avatar.png";
pub const TEXT_FILE: &str = "wxfile://tmp_notes.txt";
/// The start of every PNG: all the fake backend checks.
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
/// A nickname the fake content check finds risky.
pub const RISKY_NICK: &str = "坏蛋";
/// The fake clock's start: 2023-11-14.
pub const T0: u64 = 1_700_000_000_000;

/// Which user-info APIs the fake `wx` has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `getUserProfile` (a mini-program, or an older mini-game base library).
    MiniProgram,
    /// `getSetting` + `getUserInfo` + `createUserInfoButton`.
    MiniGame,
    /// None at all.
    Bare,
    /// Douyin: `getSetting` + `getUserInfo` (which asks the player itself the first time), no button.
    Douyin,
}

/// How many times each host API was called.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub get_user_profile: u32,
    pub get_setting: u32,
    pub get_user_info: u32,
    pub buttons: u32,
    pub buttons_destroyed: u32,
    pub login: u32,
    pub request: u32,
    pub upload_file: u32,
}

/// What storage calls throw.
#[derive(Debug, Clone, Copy, Default)]
pub struct StorageThrows {
    pub get: bool,
    pub set: bool,
    pub remove: bool,
}

/// The simulated player and their WeChat.
pub struct Wx {
    pub kind: Kind,
    /// The platform the host says it belongs to.
    pub platform: Platform,
    pub open_id: String,
    pub nick_name: String,
    pub avatar_url: String,
    /// `true`: the player allows the popup / button; `false`: denies.
    pub allow: bool,
    /// Mini-game: `scope.userInfo` already granted.
    pub authorised: bool,
    pub in_tap: bool,
    pub storage: BTreeMap<String, String>,
    /// A non-string value stored under a key (what a game may put there by mistake).
    pub storage_other: Option<String>,
    pub storage_throws: StorageThrows,
    pub counts: Counts,
    pub last_user_profile: Option<(String, Lang)>,
    pub last_button_lang: Option<Lang>,
    pub warnings: Vec<String>,
    pub launch: LaunchValues,
    /// `wx.request` throws this message synchronously (the SDK sees a failure).
    pub request_throws: Option<String>,
    /// Change `rawData` after WeChat signed it, as a man in the middle would.
    pub tamper_raw_data: bool,
    /// WeChat's privacy answer to every user-info API: `Some(104)` the player declined the privacy guide,
    /// `Some(112)` the game did not declare user info in it.
    pub privacy: Option<i64>,
    /// Every value the SDK wrote to storage successfully, in order.
    pub writes: Vec<String>,
    /// The player's local files (what `chooseAvatar` gave), by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Whether `wx.uploadFile` exists.
    pub has_upload_file: bool,
    /// Whether `wx.getFileSystemManager().statSync` tells a file's size.
    pub has_file_system: bool,
    pub clock_ms: u64,
    /// Douyin: whether the player is logged in to the Douyin app (else a silent login is anonymous).
    pub douyin_logged_in: bool,
    /// Douyin: whether the player logs in when Douyin's login dialog asks.
    pub accept_login_dialog: bool,
    /// Douyin: the device, which names the anonymous player.
    pub device: String,
    /// Every login's `force`, in order.
    pub logins: Vec<Option<bool>>,
    login_count: u32,
    buttons: Vec<Rc<Gate<HostResult<UserInfoReply>>>>,
}

/// Everything one scenario runs against.
pub struct World {
    pub wx: RefCell<Wx>,
    /// How many times the flow read a stored string into Rust (to parse and validate it).
    pub text_reads: Rc<Cell<u32>>,
    pub backend: RefCell<Backend>,
    tasks: RefCell<Vec<Task>>,
    woken: Arc<Flag>,
}

/// The fake host handed to the SDK.
#[derive(Clone)]
pub struct FakeHost(pub Rc<World>);

impl World {
    /// A fresh world: a mini-program player "小明", an empty backend, the clock at [`T0`].
    pub fn new(kind: Kind) -> Rc<World> {
        Rc::new(World {
            wx: RefCell::new(Wx {
                kind,
                platform: Platform::WeChat,
                open_id: "oSimUser_001".into(),
                nick_name: "小明".into(),
                avatar_url: "https://thirdwx.qlogo.cn/mmopen/sim/132".into(),
                allow: true,
                authorised: false,
                in_tap: false,
                storage: BTreeMap::new(),
                storage_other: None,
                storage_throws: StorageThrows::default(),
                counts: Counts::default(),
                last_user_profile: None,
                last_button_lang: None,
                warnings: Vec::new(),
                launch: LaunchValues {
                    scene: Input::Number(1044.0),
                    query: LaunchQuery {
                        channel_code: Input::str("ch-sim"),
                        sharer: Input::Undefined,
                    },
                },
                request_throws: None,
                tamper_raw_data: false,
                privacy: None,
                writes: Vec::new(),
                files: BTreeMap::from([
                    (AVATAR_FILE.to_string(), PNG_MAGIC.to_vec()),
                    (TEXT_FILE.to_string(), b"not an image".to_vec()),
                ]),
                has_upload_file: true,
                has_file_system: true,
                clock_ms: T0,
                douyin_logged_in: true,
                accept_login_dialog: true,
                device: "dev1".into(),
                logins: Vec::new(),
                login_count: 0,
                buttons: Vec::new(),
            }),
            backend: RefCell::new(Backend::default()),
            text_reads: Rc::new(Cell::new(0)),
            tasks: RefCell::new(Vec::new()),
            woken: Arc::new(Flag(AtomicBool::new(false))),
        })
    }

    /// The host to install the SDK on.
    pub fn host(self: &Rc<Self>) -> FakeHost {
        FakeHost(self.clone())
    }

    /// Installs an SDK with `config` pairs added to `{ server }`.
    pub fn install(self: &Rc<Self>, config: &[(&str, Input)]) -> Result<Sdk<FakeHost>, TmError> {
        let mut fields = vec![("server", Input::str(SERVER))];
        fields.extend(config.iter().cloned());
        Sdk::new(&Input::object(fields), Some(APP), self.host())
    }

    /// Runs `f` as WeChat runs a tap handler: the gesture lasts only while it runs synchronously.
    pub fn tap<T>(&self, f: impl FnOnce() -> T) -> T {
        self.wx.borrow_mut().in_tap = true;
        let out = f();
        self.wx.borrow_mut().in_tap = false;
        out
    }

    /// Drives every spawned task until none can make progress.
    pub fn run(&self) {
        let waker = Waker::from(self.woken.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            self.woken.0.store(false, Ordering::SeqCst);
            let mut tasks = std::mem::take(&mut *self.tasks.borrow_mut());
            let before = tasks.len();
            tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
            let finished = before != tasks.len();
            let mut queue = self.tasks.borrow_mut();
            let spawned = !queue.is_empty();
            tasks.append(&mut queue);
            *queue = tasks;
            if !finished && !spawned && !self.woken.0.load(Ordering::SeqCst) {
                break;
            }
        }
    }

    /// Drives the tasks, then reads the call's outcome (which must have settled).
    pub fn settle<T: Clone + 'static>(&self, call: Call<T>) -> Result<T, Failure> {
        let mut future = Box::pin(call.settle());
        let waker = Waker::from(self.woken.clone());
        let mut cx = Context::from_waker(&waker);
        for _ in 0..3 {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            self.run();
        }
        panic!("the call did not settle: the flow is waiting on a host answer that never came");
    }

    /// The player taps the newest user-info button.
    pub fn tap_button(&self) {
        let (button, reply) = {
            let mut wx = self.wx.borrow_mut();
            let button = wx.buttons.pop().expect("a user-info button on screen");
            wx.counts.buttons_destroyed += 1;
            let reply = user_info_reply(&wx, "getUserInfo", wx.allow);
            (button, reply)
        };
        button.open(Ok(reply));
    }

    /// How many user-info buttons are on screen.
    pub fn buttons_on_screen(&self) -> usize {
        self.wx.borrow().buttons.len()
    }

    /// The stored record, as text.
    pub fn record(&self) -> Option<String> {
        self.wx.borrow().storage.get(KEY).cloned()
    }

    /// The stored pending figures (`None` when there are none).
    pub fn pending(&self) -> Option<tmsdk_core::Pending> {
        let key = tmsdk_core::events_key(APP);
        let text = self.wx.borrow().storage.get(&key).cloned()?;
        Some(tmsdk_core::Pending::parse(&text, APP))
    }

    /// The stored record, as JSON.
    pub fn record_json(&self) -> Value {
        serde_json::from_str(&self.record().expect("a record")).expect("JSON")
    }

    /// Edits the stored record.
    pub fn edit_record(&self, edit: impl FnOnce(&mut Value)) {
        let mut record = self.record_json();
        edit(&mut record);
        self.wx
            .borrow_mut()
            .storage
            .insert(KEY.into(), record.to_string());
    }

    /// Sets every count back to 0.
    pub fn reset_counts(&self) {
        self.wx.borrow_mut().counts = Counts::default();
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        self.wx.borrow().counts
    }

    /// Moves the clock.
    pub fn advance_ms(&self, ms: u64) {
        self.wx.borrow_mut().clock_ms += ms;
    }
}

type Task = Pin<Box<dyn Future<Output = ()>>>;

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A host answer that arrives when the test says so (the user-info button's tap).
pub struct Gate<T> {
    value: RefCell<Option<T>>,
    waker: RefCell<Option<Waker>>,
}

impl<T> Gate<T> {
    fn new() -> Rc<Gate<T>> {
        Rc::new(Gate {
            value: RefCell::new(None),
            waker: RefCell::new(None),
        })
    }

    fn open(&self, value: T) {
        *self.value.borrow_mut() = Some(value);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

struct GateWait<T>(Rc<Gate<T>>);

impl<T> Future for GateWait<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.0.value.borrow_mut().take() {
            Some(v) => Poll::Ready(v),
            None => {
                *self.0.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn ready<T: 'static>(value: T) -> HostFuture<T> {
    Box::pin(std::future::ready(value))
}

/// WeChat's `errMsg` for a privacy `errno`.
pub fn privacy_message(api: &str, errno: i64) -> String {
    match errno {
        104 => format!("{api}:fail privacy permission is not authorized"),
        _ => format!("{api}:fail api scope is not declared in the privacy agreement"),
    }
}

/// A reply as WeChat's callbacks deliver it: `success` for `…:ok`, else `fail` with errMsg and errno.
fn settled(reply: UserInfoReply) -> HostResult<UserInfoReply> {
    if reply.err_msg.as_deref().is_some_and(|m| m.ends_with(":ok")) {
        Ok(reply)
    } else {
        Err(HostFailure {
            err_msg: reply.err_msg.unwrap_or_default(),
            errno: reply.errno,
            err_no: None,
        })
    }
}

fn user_info_reply(wx: &Wx, api: &str, allowed: bool) -> UserInfoReply {
    if let Some(errno) = wx.privacy {
        return UserInfoReply {
            err_msg: Some(privacy_message(api, errno)),
            errno: Some(errno),
            ..UserInfoReply::default()
        };
    }
    if !allowed {
        return UserInfoReply {
            err_msg: Some(format!("{api}:fail auth deny")),
            ..UserInfoReply::default()
        };
    }
    let user_info = json!({
        "nickName": wx.nick_name, "gender": 0, "language": "zh_CN", "city": "", "province": "",
        "country": "", "avatarUrl": wx.avatar_url,
    });
    let raw_data = user_info.to_string();
    let signature = sign(&raw_data, &session_key_of(&wx.open_id));
    let raw_data = if wx.tamper_raw_data {
        raw_data.replace(&wx.nick_name, "篡改者")
    } else {
        raw_data
    };
    UserInfoReply {
        err_msg: Some(format!("{api}:ok")),
        errno: None,
        signature,
        raw_data,
        encrypted_data: seal(&user_info.to_string(), &session_key_of(&wx.open_id)),
        iv: "aXYtc2lt".into(),
        user_info: Some(user_info.to_string()),
    }
}

/// WeChat keeps one session_key per user; the fake derives it from the openid.
pub fn session_key_of(open_id: &str) -> String {
    format!("sk-{open_id}")
}

/// The fake's `encryptedData`: the user info sealed under the session key (the real AES-128-CBC is
/// tmsdk-server's, tested there). Only the right key opens it.
pub fn seal(user_info: &str, session_key: &str) -> String {
    format!("{session_key}|{user_info}")
}

/// The user info sealed by [`seal`] under `session_key`, or `None` for another key or a tampered seal.
fn open_sealed(sealed: &str, session_key: &str) -> Option<Value> {
    let (key, info) = sealed.split_once('|')?;
    (key == session_key).then(|| serde_json::from_str(info).ok())?
}

/// `sha1(raw_data + session_key)`, hex: WeChat's user-info signature.
pub fn sign(raw_data: &str, session_key: &str) -> String {
    sha1_smol::Sha1::from(format!("{raw_data}{session_key}"))
        .digest()
        .to_string()
}

impl Host for FakeHost {
    type Text = FakeText;
    type Key = String;

    fn storage_key(&self, name: String) -> String {
        name
    }

    fn platform(&self) -> Platform {
        self.0.wx.borrow().platform
    }

    fn has_user_profile(&self) -> bool {
        self.0.wx.borrow().kind == Kind::MiniProgram
    }

    fn has_user_info(&self) -> bool {
        matches!(self.0.wx.borrow().kind, Kind::MiniGame | Kind::Douyin)
    }

    fn has_user_info_button(&self) -> bool {
        self.0.wx.borrow().kind == Kind::MiniGame
    }

    fn get_user_profile(&self, desc: &str, lang: Lang) -> HostFuture<HostResult<UserInfoReply>> {
        let mut wx = self.0.wx.borrow_mut();
        wx.counts.get_user_profile += 1;
        wx.last_user_profile = Some((desc.to_string(), lang));
        if !wx.in_tap {
            return ready(Err(HostFailure::new(TAP_MESSAGE)));
        }
        ready(settled(user_info_reply(&wx, "getUserProfile", wx.allow)))
    }

    fn user_info_authorised(&self) -> HostFuture<HostResult<bool>> {
        let mut wx = self.0.wx.borrow_mut();
        wx.counts.get_setting += 1;
        ready(Ok(wx.authorised))
    }

    fn get_user_info(&self, _lang: Lang) -> HostFuture<HostResult<UserInfoReply>> {
        let mut wx = self.0.wx.borrow_mut();
        wx.counts.get_user_info += 1;
        if wx.kind == Kind::Douyin {
            // Douyin asks the player; the answer is remembered.
            let allowed = wx.allow || wx.authorised;
            wx.authorised = allowed;
            return ready(settled(user_info_reply(&wx, "getUserInfo", allowed)));
        }
        if !wx.authorised {
            return ready(Err(HostFailure::new("getUserInfo:fail scope unauthorized")));
        }
        ready(settled(user_info_reply(&wx, "getUserInfo", true)))
    }

    fn user_info_button(&self, lang: Lang) -> HostFuture<HostResult<UserInfoReply>> {
        let mut wx = self.0.wx.borrow_mut();
        wx.counts.buttons += 1;
        wx.last_button_lang = Some(lang);
        let gate = Gate::new();
        wx.buttons.push(gate.clone());
        Box::pin(GateWait(gate))
    }

    fn login(&self, force: Option<bool>) -> HostFuture<HostResult<LoginReply>> {
        let mut wx = self.0.wx.borrow_mut();
        wx.counts.login += 1;
        wx.logins.push(force);
        wx.login_count += 1;
        let n = wx.login_count;
        if wx.platform != Platform::Douyin {
            let code = format!("code-{}-{n}", wx.open_id);
            self.0.backend.borrow_mut().codes.push(code.clone());
            return ready(Ok(LoginReply {
                code,
                err_msg: Some("login:ok".into()),
                ..LoginReply::default()
            }));
        }
        // Douyin: `force` defaults to true (the dialog); a player not logged in to Douyin gets only an
        // anonymous code from a silent login, and logs in (or not) in the dialog.
        if force != Some(false) && !wx.douyin_logged_in {
            if !wx.accept_login_dialog {
                return ready(Err(HostFailure {
                    err_msg: "login:fail host login fail".into(),
                    err_no: Some(113_001),
                    ..HostFailure::default()
                }));
            }
            wx.douyin_logged_in = true;
        }
        let anonymous = format!("anon-{}-{n}", wx.device);
        let code = format!("code-{}-{n}", wx.open_id);
        let mut backend = self.0.backend.borrow_mut();
        backend.codes.push(anonymous.clone());
        let code = wx.douyin_logged_in.then(|| {
            backend.codes.push(code.clone());
            code
        });
        ready(Ok(LoginReply {
            code: code.unwrap_or_default(),
            anonymous_code: anonymous,
            err_msg: Some("login:ok".into()),
        }))
    }

    fn launch_values(&self) -> LaunchValues {
        self.0.wx.borrow().launch.clone()
    }

    fn request(&self, request: Request) -> HostFuture<HostResult<Response>> {
        let (throws, now) = {
            let mut wx = self.0.wx.borrow_mut();
            wx.counts.request += 1;
            (wx.request_throws.clone(), wx.clock_ms)
        };
        if let Some(message) = throws {
            return ready(Err(HostFailure::new(message)));
        }
        let answer = self.0.backend.borrow_mut().handle(&request, now);
        ready(answer)
    }

    fn has_upload_file(&self) -> bool {
        self.0.wx.borrow().has_upload_file
    }

    fn file_size(&self, path: &str) -> Option<u64> {
        let wx = self.0.wx.borrow();
        let file = wx.files.get(path).filter(|_| wx.has_file_system)?;
        Some(file.len() as u64)
    }

    fn upload_file(&self, upload: Upload) -> HostFuture<HostResult<Response>> {
        let file = {
            let mut wx = self.0.wx.borrow_mut();
            wx.counts.upload_file += 1;
            wx.files.get(&upload.file_path).cloned()
        };
        let Some(file) = file else {
            return ready(Err(HostFailure::new("uploadFile:fail file not found")));
        };
        ready(self.0.backend.borrow_mut().upload(&upload, &file))
    }

    fn storage_get(&self, key: &String) -> Stored<FakeText> {
        let wx = self.0.wx.borrow();
        if wx.storage_throws.get {
            return Stored::Absent;
        }
        if wx.storage_other.as_deref() == Some(key) {
            return Stored::Other;
        }
        match wx.storage.get(key) {
            Some(s) if !s.is_empty() => Stored::Text(FakeText {
                text: s.clone(),
                reads: self.0.text_reads.clone(),
            }),
            _ => Stored::Absent,
        }
    }

    fn storage_set(&self, key: &String, value: &str) -> HostResult<()> {
        let mut wx = self.0.wx.borrow_mut();
        if wx.storage_throws.set {
            return Err(HostFailure::new(
                "setStorageSync:fail exceed storage max size 10MB",
            ));
        }
        wx.storage.insert(key.into(), value.into());
        wx.writes.push(value.into());
        Ok(())
    }

    fn storage_remove(&self, key: &String) {
        let mut wx = self.0.wx.borrow_mut();
        if wx.storage_throws.remove {
            return;
        }
        wx.storage.remove(key);
        if wx.storage_other.as_deref() == Some(key) {
            wx.storage_other = None;
        }
    }

    fn warn(&self, message: &str) {
        self.0.wx.borrow_mut().warnings.push(message.to_string());
    }

    fn now_ms(&self) -> u64 {
        self.0.wx.borrow().clock_ms
    }

    fn spawn(&self, task: HostFuture<()>) {
        self.0.tasks.borrow_mut().push(task);
    }
}

/// A stored string that counts how often the flow reads it into Rust.
#[derive(Clone)]
pub struct FakeText {
    text: String,
    reads: Rc<Cell<u32>>,
}

impl PartialEq for FakeText {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl StoredText for FakeText {
    fn to_text(&self) -> String {
        self.reads.set(self.reads.get() + 1);
        self.text.clone()
    }
}

/// One scripted answer, as the JS test backend takes them.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// Answer this status (with `body`, or the normal answer's body).
    pub status: Option<u16>,
    /// Answer this body text.
    pub body: Option<String>,
    /// Remove these profile fields from the normal answer.
    pub drop: Vec<&'static str>,
    /// Merge these fields into the normal answer's profile.
    pub merge: Option<Value>,
    /// No HTTP answer: `request:fail …`.
    pub fail: Option<&'static str>,
    /// The backend handles the request, then the answer is lost on the way back (`request:fail …`).
    pub lose_answer: bool,
}

/// What the backend saw: requests per endpoint, and each body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub login: u32,
    pub profile: u32,
    pub upload: u32,
    pub fill: u32,
    pub events: u32,
    pub erase: u32,
}

/// The in-process backend.
#[derive(Default)]
pub struct Backend {
    users: BTreeMap<String, Map<String, Value>>,
    sessions: BTreeMap<String, String>,
    /// Sessions of anonymous Douyin players: no session key, so no signed user info.
    anonymous_sessions: Vec<String>,
    /// Codes `wx.login` handed out and not yet used.
    codes: Vec<String>,
    next_token: u64,
    pub script_login: VecDeque<Step>,
    pub script_profile: VecDeque<Step>,
    pub script_upload: VecDeque<Step>,
    pub script_fill: VecDeque<Step>,
    pub script_events: VecDeque<Step>,
    pub script_erase: VecDeque<Step>,
    /// Event ids each player's events were counted under.
    seen_events: BTreeMap<String, Vec<String>>,
    /// Avatar URLs handed out, and whose upload each was.
    avatars: BTreeMap<String, String>,
    pub stats: Stats,
    /// `(path, body, bearer)` of every request.
    pub bodies: Vec<(String, Value, Option<String>)>,
}

fn envelope(data: &Map<String, Value>) -> String {
    json!({"err": 0, "msg": "请求成功", "data": data}).to_string()
}

fn refusal(err: i64, msg: &str) -> String {
    json!({"err": err, "msg": msg}).to_string()
}

impl Backend {
    /// Forgets every session (a backend restart): the next profile request meets a 401.
    pub fn expire_sessions(&mut self) {
        self.sessions.clear();
    }

    /// The last body sent to `path`.
    pub fn last_body(&self, path: &str) -> Value {
        self.bodies
            .iter()
            .rev()
            .find(|(p, _, _)| p == path)
            .map(|(_, b, _)| b.clone())
            .expect("a request to that path")
    }

    fn handle(&mut self, request: &Request, now_ms: u64) -> HostResult<Response> {
        let path = request
            .url
            .strip_prefix(SERVER)
            .unwrap_or(&request.url)
            .to_string();
        let erase = request.method == Method::Delete;
        let (counter, script) = match path.as_str() {
            "/v1/login" => (&mut self.stats.login, &mut self.script_login),
            "/v1/profile" if erase => (&mut self.stats.erase, &mut self.script_erase),
            "/v1/profile" => (&mut self.stats.profile, &mut self.script_profile),
            "/v1/profile/fill" => (&mut self.stats.fill, &mut self.script_fill),
            "/v1/events" => (&mut self.stats.events, &mut self.script_events),
            _ => {
                return Ok(Response {
                    status: 404,
                    body: refusal(404, "no such route"),
                })
            }
        };
        *counter += 1;
        let step = script.pop_front().unwrap_or_default();
        let body: Value = match serde_json::from_str(&request.body) {
            Ok(v) => v,
            Err(_) if erase && request.body.is_empty() => Value::Null,
            Err(_) => {
                return Ok(Response {
                    status: 400,
                    body: refusal(400, "body is not JSON"),
                })
            }
        };
        self.bodies
            .push((path.clone(), body.clone(), request.bearer.clone()));
        if let Some(message) = step.fail {
            return Err(HostFailure::new(message));
        }
        if let Some(text) = step.body {
            return Ok(Response {
                status: step.status.unwrap_or(200),
                body: text,
            });
        }
        let bearer = request.bearer.as_deref();
        let (status, mut answer) = match path.as_str() {
            "/v1/login" => self.login(&body, now_ms),
            "/v1/profile" if erase => self.erase(bearer),
            "/v1/profile" => self.profile(&body, bearer),
            "/v1/events" => self.events(&body, bearer),
            _ => self.fill(&body, bearer),
        };
        if step.lose_answer {
            return Err(HostFailure::new("request:fail the connection was reset"));
        }
        if let Some(s) = step.status {
            return Ok(Response {
                status: s,
                body: answer.to_string(),
            });
        }
        if let Some(Value::Object(data)) = answer.get_mut("data") {
            if let Some(Value::Object(merge)) = step.merge {
                data.extend(merge);
            }
            for field in step.drop {
                data.remove(field);
            }
        }
        Ok(Response {
            status,
            body: answer.to_string(),
        })
    }

    /// `POST /v1/avatar`: a PNG of at most 2 MiB from a known session becomes an avatar URL.
    fn upload(&mut self, upload: &Upload, file: &[u8]) -> HostResult<Response> {
        self.stats.upload += 1;
        self.bodies.push((
            "/v1/avatar".into(),
            json!({"file_path": upload.file_path, "bytes": file.len()}),
            Some(upload.bearer.clone()),
        ));
        let step = self.script_upload.pop_front().unwrap_or_default();
        if let Some(message) = step.fail {
            return Err(HostFailure::new(message));
        }
        if let Some(text) = step.body {
            return Ok(Response {
                status: step.status.unwrap_or(200),
                body: text,
            });
        }
        let answer = |status: u16, body: String| Ok(Response { status, body });
        let Some(open_id) = self.sessions.get(&upload.bearer).cloned() else {
            return answer(401, refusal(401, "session expired"));
        };
        if file.len() > 2 * 1024 * 1024 {
            return answer(413, refusal(41011, "the avatar is larger than 2 MiB"));
        }
        if !file.starts_with(PNG_MAGIC) {
            return answer(
                200,
                refusal(41010, "the file is not a PNG, JPEG or WebP image"),
            );
        }
        let url = format!("{SERVER}/v1/avatar/{:064}.jpg", self.avatars.len() + 1);
        self.avatars.insert(url.clone(), open_id);
        answer(
            step.status.unwrap_or(200),
            json!({"err": 0, "msg": "ok", "data": {"avatar_url": url}}).to_string(),
        )
    }

    /// `POST /v1/profile/fill`: the user's own avatar and a nickname the content check passes.
    fn fill(&mut self, body: &Value, bearer: Option<&str>) -> (u16, Value) {
        let Some(open_id) = bearer.and_then(|t| self.sessions.get(t)).cloned() else {
            return (401, json!({"err": 401, "msg": "session expired"}));
        };
        let avatar = body["avatar_url"].as_str();
        if avatar.is_some_and(|url| self.avatars.get(url) != Some(&open_id)) {
            return (200, json!({"err": 41012, "msg": "not this user's avatar"}));
        }
        let nick = body["nick_name"].as_str();
        if nick.is_some_and(|n| n.contains(RISKY_NICK)) {
            return (200, json!({"err": 87014, "msg": "risky content"}));
        }
        let user = self.user(&open_id);
        if let Some(nick) = nick {
            user.insert("nick_name".into(), json!(nick));
        }
        if let Some(url) = avatar {
            user.insert("avatar_url".into(), json!(url));
        }
        user.insert("is_new".into(), json!(false));
        let mut data = user.clone();
        data.insert("jwt".into(), json!(""));
        (200, serde_json::from_str(&envelope(&data)).unwrap())
    }

    fn user(&mut self, open_id: &str) -> &mut Map<String, Value> {
        self.users.entry(open_id.to_string()).or_insert_with(|| {
            let Value::Object(user) = json!({
                "pid": "", "app_id": APP, "open_id": open_id, "union_id": "", "nick_name": "", "avatar_url": "",
                "gender": 0, "city": "", "province": "", "country": "", "language": "zh_CN", "gold": 0,
                "diamond": 0, "share_new": 0, "share_times": 0, "online_days": 1, "online_duration": 0,
                "last_login_time": 0, "login_times": 0, "from_scene": "", "from_code": "", "is_new": true,
                "ofp": "", "jwt": "", "login_province": "广东省", "login_city": "广州市", "login_district": "海珠区",
                "share_code": format!("sc-{open_id}"),
            }) else {
                unreachable!()
            };
            user
        })
    }

    /// Takes the one-time code `code` ("<prefix>-<name>-<n>"): the name it was handed out for.
    fn take_code(&mut self, code: &str, prefix: &str) -> Option<String> {
        let index = self.codes.iter().position(|c| c == code)?;
        self.codes.remove(index);
        code.strip_prefix(prefix)
            .and_then(|c| c.rsplit_once('-'))
            .map(|(o, _)| o.to_string())
    }

    fn login(&mut self, body: &Value, now_ms: u64) -> (u16, Value) {
        let code = body["code"].as_str().unwrap_or_default().to_string();
        let anonymous_code = body["anonymous_code"].as_str().unwrap_or_default();
        // Douyin's anonymous codes "anon-<device>-<n>" name the device's anonymous player.
        let anonymous = if anonymous_code.is_empty() {
            None
        } else {
            match self.take_code(anonymous_code, "anon-") {
                Some(device) => Some(format!("anon_{device}")),
                None => return (200, json!({"err": 40029, "msg": "invalid anonymous code"})),
            }
        };
        // One-time codes "code-<openid>-<n>".
        let open_id = match (code.is_empty(), &anonymous) {
            (true, Some(anonymous)) => anonymous.clone(),
            _ => match self.take_code(&code, "code-") {
                Some(open_id) => open_id,
                None => return (200, json!({"err": 40029, "msg": "invalid code"})),
            },
        };
        if body["app_id"] != APP {
            return (200, json!({"err": 40013, "msg": "invalid appid"}));
        }
        match anonymous {
            // The anonymous player becomes the openid's when the openid has none yet.
            Some(anonymous) if anonymous != open_id && !self.users.contains_key(&open_id) => {
                if let Some(mut user) = self.users.remove(&anonymous) {
                    user.insert("open_id".into(), json!(open_id));
                    self.users.insert(open_id.clone(), user);
                }
            }
            _ => {}
        }
        self.next_token += 1;
        let token = format!("token-{}", self.next_token);
        self.sessions.insert(token.clone(), open_id.clone());
        if code.is_empty() {
            self.anonymous_sessions.push(token.clone());
        }
        let (scene, channel) = (body["scene"].clone(), body["channel"].clone());
        let created = !self.users.contains_key(&open_id);
        let sharer = body["sharer"].as_str().unwrap_or_default();
        if created && !sharer.is_empty() {
            let credited = self.users.values_mut().find(|u| u["share_code"] == sharer);
            if let Some(u) = credited {
                let n = u["share_new"].as_u64().unwrap_or(0);
                u.insert("share_new".into(), json!(n + 1));
            }
        }
        let user = self.user(&open_id);
        let times = user["login_times"].as_u64().unwrap_or(0);
        user.insert("is_new".into(), json!(times == 0));
        user.insert("login_times".into(), json!(times + 1));
        user.insert("last_login_time".into(), json!(now_ms / 1000));
        if user["from_scene"] == "" {
            // A number, or Douyin's string as it came.
            let scene = scene
                .as_str()
                .map_or_else(|| scene.to_string(), str::to_string);
            user.insert("from_scene".into(), json!(scene));
        }
        if user["from_code"] == "" {
            user.insert("from_code".into(), channel);
        }
        let mut data = user.clone();
        data.insert("jwt".into(), json!(token));
        (200, serde_json::from_str(&envelope(&data)).unwrap())
    }

    /// `POST /v1/events`: each id counted once per player.
    fn events(&mut self, body: &Value, bearer: Option<&str>) -> (u16, Value) {
        let Some(open_id) = bearer.and_then(|t| self.sessions.get(t)).cloned() else {
            return (401, json!({"err": 401, "msg": "session expired"}));
        };
        let Some(events) = body["events"].as_array() else {
            return (400, json!({"err": 400, "msg": "events must be an array"}));
        };
        let seen = self.seen_events.entry(open_id.clone()).or_default();
        let mut shares = 0;
        let mut seconds = 0;
        for event in events {
            let id = event["id"].as_str().unwrap_or_default().to_string();
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            match event["kind"].as_str() {
                Some("share") => shares += 1,
                _ => seconds += event["seconds"].as_u64().unwrap_or(0),
            }
        }
        let user = self.user(&open_id);
        for (field, add) in [("share_times", shares), ("online_duration", seconds)] {
            let n = user[field].as_u64().unwrap_or(0);
            user.insert(field.into(), json!(n + add));
        }
        let mut data = user.clone();
        data.insert("jwt".into(), json!(""));
        (200, serde_json::from_str(&envelope(&data)).unwrap())
    }

    /// `DELETE /v1/profile`: the player and every session of theirs are gone.
    fn erase(&mut self, bearer: Option<&str>) -> (u16, Value) {
        let Some(open_id) = bearer.and_then(|t| self.sessions.get(t)).cloned() else {
            return (401, json!({"err": 401, "msg": "session expired"}));
        };
        if self.users.remove(&open_id).is_none() {
            return (401, json!({"err": 401, "msg": "no such player"}));
        }
        self.seen_events.remove(&open_id);
        self.sessions.retain(|_, o| *o != open_id);
        (200, json!({"err": 0, "msg": "ok"}))
    }

    /// The stored player, if any.
    pub fn stored(&self, open_id: &str) -> Option<&Map<String, Value>> {
        self.users.get(open_id)
    }

    fn profile(&mut self, body: &Value, bearer: Option<&str>) -> (u16, Value) {
        let Some(open_id) = bearer.and_then(|t| self.sessions.get(t)).cloned() else {
            return (401, json!({"err": 401, "msg": "session expired"}));
        };
        if self
            .anonymous_sessions
            .iter()
            .any(|t| Some(t.as_str()) == bearer)
        {
            return (
                403,
                json!({"err": 41007, "msg": "an anonymous Douyin session has no signed user info"}),
            );
        }
        if body["app_id"] != APP {
            return (200, json!({"err": 1002, "msg": "app mismatch"}));
        }
        let raw_data = body["raw_data"].as_str().unwrap_or_default();
        let session_key = session_key_of(&open_id);
        let info = if raw_data.is_empty() {
            // SkyRiver's updateUserInfo sends no rawData: the sealed data, opened with the session key, is the proof.
            match open_sealed(
                body["encrypted_data"].as_str().unwrap_or_default(),
                &session_key,
            ) {
                Some(info) => info,
                None => return (200, json!({"err": 41003, "msg": "decryption failed"})),
            }
        } else {
            if body["signature"].as_str() != Some(&sign(raw_data, &session_key)) {
                return (200, json!({"err": 41003, "msg": "signature mismatch"}));
            }
            body["user_info"].clone()
        };
        let user = self.user(&open_id);
        user.insert("nick_name".into(), info["nickName"].clone());
        user.insert("avatar_url".into(), info["avatarUrl"].clone());
        user.insert("is_new".into(), json!(false));
        let mut data = user.clone();
        data.insert("jwt".into(), json!(""));
        (200, serde_json::from_str(&envelope(&data)).unwrap())
    }
}

/// The scenario names of a JS list (`tests/scenarios/<file>`): the `name: "…",` lines.
#[allow(dead_code)]
pub fn js_scenario_names(file: &str) -> Vec<String> {
    let path = format!("{}/../tests/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .expect("the JS scenario list")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("name: \""))
        .filter_map(|l| l.strip_suffix("\","))
        .map(str::to_string)
        .collect()
}
