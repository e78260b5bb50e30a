//! The fuzzer: random inputs through every rule and through the whole flow, with the invariants the SDK
//! promises (docs/contract.md, docs/api.md "Guarantees under faults"). No coverage instrumentation (that needs a
//! nightly toolchain): generators aimed at the edges instead — deep nesting, huge and negative numbers,
//! exponents, lone surrogates, bodies around 64 KiB, mutated real answers, and a fake host whose every answer
//! is drawn at random. `tests/fuzz_short.rs` runs the corpus and a short pass in `cargo test`;
//! `npm run fuzz` runs ten million inputs (`examples` target `fuzz`).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::{json, Value};
use tmsdk_core::CacheRecord;
use tmsdk_core::Call;
use tmsdk_core::Input;
use tmsdk_core::{parse_body, Profile};
use tmsdk_core::{Argument, Config, ConfigInput};
use tmsdk_core::{ErrorCode, TmError};
use tmsdk_core::{OptionsInput, UpdateOptions};

use crate::fake::{Kind, Step, World, APP, KEY};

/// A small, fast, seedable generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True with probability 1/n.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What one input did: its target and the outcome's class.
pub type Outcome = (String, String);

/// An input worth keeping in the corpus: the file name's prefix and the file's text.
pub type Kept = (&'static str, String);

/// The targets and their invariants. Each returns the outcome class, or panics when an invariant breaks.
pub mod targets {
    use super::*;

    const CODES: &[ErrorCode] = &ErrorCode::ALL;

    fn class(result: &Result<impl Sized, TmError>) -> String {
        match result {
            Ok(_) => "ok".into(),
            Err(e) => format!("{}/{}", e.code, e.field.as_deref().unwrap_or("")),
        }
    }

    /// Options and config values: typed errors naming a key, never a panic.
    pub fn options_and_config(input: &Input) -> String {
        let o = UpdateOptions::parse(input);
        if let Err(e) = &o {
            assert_eq!(e.code, ErrorCode::InvalidOptions, "{e:?}");
            assert!(e.field.is_some(), "the error names the key: {e:?}");
        }
        let c = Config::parse(input, Some(APP));
        if let Err(e) = &c {
            assert_eq!(e.code, ErrorCode::InvalidConfig, "{e:?}");
            assert!(e.field.is_some(), "the error names the key: {e:?}");
        }
        format!("options {} config {}", class(&o), class(&c))
    }

    /// A backend answer: a profile that parses to itself, or a typed error.
    pub fn body(text: &str) -> String {
        let result = parse_body(text, APP);
        match &result {
            Ok(p) => {
                let again =
                    parse_body(&p.to_json(), APP).expect("a normalised profile parses again");
                assert_eq!(&again, p, "normalising is a fixed point");
                assert!(
                    p.avatar_url.is_empty()
                        || p.avatar_url.to_ascii_lowercase().starts_with("http"),
                    "only http(s) avatars: {}",
                    p.avatar_url
                );
            }
            Err(e) => assert!(
                matches!(e.code, ErrorCode::InvalidProfile | ErrorCode::Server),
                "{e:?}"
            ),
        }
        class(&result)
    }

    /// A stored record: usable and round-tripping, or refused (never a panic).
    pub fn record(text: &str) -> String {
        match CacheRecord::parse(text, APP) {
            Ok(r) => {
                assert_eq!(
                    CacheRecord::parse(&r.to_json(), APP).as_ref(),
                    Ok(&r),
                    "a record round-trips"
                );
                "ok".into()
            }
            Err(reason) => reason.as_str().into(),
        }
    }

    /// One session of the whole flow against a fake host that answers at random, driven by `rng`.
    pub fn flow(rng: &mut Rng) -> String {
        let kind = *rng.pick(&[Kind::MiniProgram, Kind::MiniGame, Kind::Bare]);
        let world = World::new(kind);
        let mut config = vec![];
        if rng.one_in(3) {
            config.push(("profileTtl", Input::Number(rng.below(120) as f64)));
        }
        if rng.one_in(4) {
            config.push(("autoLogin", Input::Bool(false)));
        }
        let sdk = world.install(&config).expect("a valid config");
        let mut outcomes = BTreeSet::new();
        let mut issued_jwts: Vec<String> = Vec::new();
        for _ in 0..1 + rng.below(8) {
            perturb(&world, rng);
            let before = world.record();
            let writes_before = world.wx.borrow().writes.len();
            // A record the fuzzer damaged (its text, or a value of another type) may be removed.
            let corrupt_before = world.wx.borrow().storage_other.is_some()
                || before
                    .as_deref()
                    .is_some_and(|t| CacheRecord::parse(t, APP).is_err());
            // One step: a batch of concurrent calls, or a synchronous member.
            let op = rng.below(10);
            if op < 6 {
                let burst = rng.one_in(4);
                let n = 1 + rng.below(if burst { 20 } else { 3 }) as usize;
                let popups_before = world.counts().get_user_profile;
                let in_tap = !rng.one_in(6);
                let calls: Vec<Call<Profile>> = (0..n)
                    .map(|_| {
                        let options = random_options(rng);
                        if in_tap {
                            world.tap(|| sdk.update_user_profile(&options, None))
                        } else {
                            sdk.update_user_profile(&options, None)
                        }
                    })
                    .collect();
                let popups = world.counts().get_user_profile - popups_before;
                assert!(popups <= 1, "single flight: {popups} popups for one batch");
                let results = settle_all(&world, rng, calls);
                let firsts: Vec<&Profile> =
                    results.iter().filter_map(|r| r.as_ref().ok()).collect();
                for r in &results {
                    outcomes.insert(class(r));
                    if let Err(e) = r {
                        assert!(CODES.contains(&e.code), "a typed code: {e:?}");
                    }
                }
                if let Some(first) = firsts.first() {
                    issued_jwts.push(first.jwt.clone());
                }
            } else if op < 8 {
                let result = settle_all(&world, rng, vec![sdk.login()]).remove(0);
                if let Ok(p) = &result {
                    issued_jwts.push(p.jwt.clone());
                }
                outcomes.insert(format!("login {}", class(&result)));
            } else if op < 9 {
                if let Some(c) = sdk.cached_profile() {
                    assert!(c.expires_at >= c.cached_at);
                }
            } else {
                sdk.clear_profile_cache();
            }
            check_record(
                &world,
                before.as_deref(),
                corrupt_before,
                writes_before,
                op == 9,
            );
        }
        // No session token ever reaches a log line.
        let warnings = world.wx.borrow().warnings.clone();
        // (Tokens shorter than 6 characters could be anything's substring; the fakes hand out longer ones.)
        for jwt in issued_jwts.iter().filter(|j| j.len() >= 6) {
            assert!(
                warnings.iter().all(|w| !w.contains(jwt.as_str())),
                "a jwt in a log line: {warnings:?}"
            );
        }
        outcomes.into_iter().collect::<Vec<_>>().join(" ")
    }

    /// The last good record is intact unless the SDK wrote a new valid one (or cleared it).
    fn check_record(
        world: &World,
        before: Option<&str>,
        corrupt_before: bool,
        writes_before: usize,
        cleared: bool,
    ) {
        let after = world.record();
        let writes = world.wx.borrow().writes[writes_before..].to_vec();
        if let Some(text) = &after {
            if Some(text.as_str()) != before {
                assert!(
                    writes.last() == Some(text),
                    "the record changed without the SDK writing it"
                );
                assert!(
                    CacheRecord::parse(text, APP).is_ok(),
                    "the SDK wrote a bad record: {text}"
                );
            }
        } else if before.is_some() && !cleared && !corrupt_before {
            // A good record may only disappear when the user cleared it or storage refused a read.
            let throws = world.wx.borrow().storage_throws;
            assert!(throws.get || throws.remove, "a good record was lost");
        }
    }

    fn settle_all(
        world: &World,
        rng: &mut Rng,
        calls: Vec<Call<Profile>>,
    ) -> Vec<Result<Profile, TmError>> {
        // Taps on the buttons the flow put up, until nothing waits on the player.
        for _ in 0..4 {
            world.run();
            while world.buttons_on_screen() > 0 {
                {
                    let mut wx = world.wx.borrow_mut();
                    wx.allow = !rng.one_in(3);
                    wx.privacy = if rng.one_in(5) {
                        Some(*rng.pick(&[104, 112]))
                    } else {
                        None
                    };
                }
                world.tap_button();
                world.run();
            }
        }
        calls
            .into_iter()
            .map(|c| world.settle(c).map_err(|f| f.error))
            .collect()
    }

    fn random_options(rng: &mut Rng) -> Input {
        match rng.below(6) {
            0 => Input::Undefined,
            1 => Input::object([("refresh", Input::Bool(true))]),
            2 => Input::object([("desc", Input::str(&"字".repeat(rng.below(35) as usize)))]),
            3 => super::random_input(rng, 2),
            _ => {
                let lang: &&str = rng.pick(&["en", "zh_CN", "fr"]);
                Input::object([("lang", Input::str(lang))])
            }
        }
    }

    /// The host's next answers, drawn at random: storage, the backend, the popup, the clock.
    fn perturb(world: &World, rng: &mut Rng) {
        let mut wx = world.wx.borrow_mut();
        wx.allow = !rng.one_in(4);
        wx.authorised = rng.one_in(2);
        wx.privacy = if rng.one_in(8) {
            Some(*rng.pick(&[104, 112]))
        } else {
            None
        };
        wx.storage_throws.get = rng.one_in(12);
        wx.storage_throws.set = rng.one_in(8);
        wx.storage_throws.remove = rng.one_in(12);
        wx.request_throws = rng.one_in(15).then(|| "request exploded".to_string());
        if rng.one_in(10) {
            let current = wx.storage.get(KEY).cloned().unwrap_or_default();
            wx.storage.insert(KEY.into(), super::mutate(rng, &current));
        }
        if rng.one_in(20) {
            wx.storage_other = Some(KEY.into());
        }
        match rng.below(8) {
            0 => wx.clock_ms = wx.clock_ms.saturating_sub(rng.below(10_000_000)),
            1 => wx.clock_ms += rng.below(1_000_000_000),
            _ => wx.clock_ms += rng.below(2000),
        }
        drop(wx);
        let mut backend = world.backend.borrow_mut();
        for _ in 0..rng.below(3) {
            let step = random_step(rng);
            if rng.one_in(2) {
                backend.script_profile.push_back(step);
            } else {
                backend.script_login.push_back(step);
            }
        }
        if rng.one_in(10) {
            backend.expire_sessions();
        }
    }

    fn random_step(rng: &mut Rng) -> Step {
        match rng.below(9) {
            0 => Step {
                fail: Some("request:fail timeout"),
                ..Step::default()
            },
            1 => Step {
                fail: Some("request:fail net::ERR_CONNECTION_RESET"),
                ..Step::default()
            },
            2 => Step {
                status: Some(*rng.pick(&[401, 404, 500, 502])),
                ..Step::default()
            },
            3 => Step {
                body: Some("<html><body>502 Bad Gateway</body></html>".into()),
                ..Step::default()
            },
            4 => Step {
                body: Some(super::mutate(
                    rng,
                    r#"{"err":0,"msg":"ok","data":{"open_id":"oA","jwt":"jwt-from-a-mutated-body"}}"#,
                )),
                ..Step::default()
            },
            5 => Step {
                body: Some(json!({"err": 401, "msg": "expired"}).to_string()),
                ..Step::default()
            },
            6 => Step {
                merge: Some(json!({"app_id": "wxanotherapp000001"})),
                ..Step::default()
            },
            7 => Step {
                drop: vec!["open_id"],
                ..Step::default()
            },
            _ => Step {
                body: Some(format!(
                    "{{\"err\":0,\"data\":{{\"open_id\":\"o\",\"ofp\":\"{}\"}}}}",
                    "x".repeat(64 * 1024)
                )),
                ..Step::default()
            },
        }
    }
}

/// A random [`Input`], `depth` levels deep at most.
pub fn random_input(rng: &mut Rng, depth: u32) -> Input {
    // The keys the rules read, and one that must never matter.
    let keys: Vec<&str> = Argument::<ConfigInput>::keys()
        .iter()
        .chain(Argument::<OptionsInput>::keys())
        .copied()
        .chain(["__proto__"])
        .collect();
    match rng.below(if depth == 0 { 8 } else { 9 }) {
        0 => Input::Undefined,
        1 => Input::Null,
        2 => Input::Bool(rng.one_in(2)),
        3 => Input::Number(random_number(rng)),
        4 => Input::String(random_string(rng)),
        5 => Input::Array,
        6 => Input::Function,
        7 => Input::Other(
            rng.pick(&["symbol", "bigint", "a value whose getter throws"])
                .to_string(),
        ),
        _ => Input::Object(
            (0..rng.below(6))
                .map(|_| (rng.pick(&keys).to_string(), random_input(rng, depth - 1)))
                .collect(),
        ),
    }
}

fn random_number(rng: &mut Rng) -> f64 {
    match rng.below(8) {
        0 => f64::NAN,
        1 => *rng.pick(&[
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            f64::MAX,
            f64::MIN_POSITIVE,
        ]),
        2 => -(rng.below(1 << 40) as f64),
        3 => rng.below(1 << 53) as f64 + 0.5,
        4 => f64::from_bits(rng.next()),
        _ => rng.below(100_000) as f64,
    }
}

fn random_string(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "",
        " ",
        "https://",
        "http://a.b",
        "ftp://x",
        "javascript:alert(1)",
        "zh_CN",
        "en",
        "字",
        "😀",
        "\u{0}",
        "\u{7f}",
        "\n",
        "\"",
        "\\",
        "wx1234567890abcdef",
        "1044",
        "-1",
        "1e400",
        "0x10",
        "微信用户",
        "西藏自治区",
        "?q=1",
        "#f",
        "..",
        "/",
    ];
    let mut s = String::new();
    for _ in 0..rng.below(6) {
        let piece: &&str = rng.pick(PIECES);
        s.push_str(piece);
        if rng.one_in(20) {
            s.push_str(&"a".repeat(rng.below(300) as usize));
        }
    }
    s
}

/// A random JSON text aimed at the parser's edges.
pub fn random_json(rng: &mut Rng, depth: u32) -> String {
    match rng.below(if depth == 0 { 7 } else { 9 }) {
        0 => "null".into(),
        1 => rng.pick(&["true", "false"]).to_string(),
        2 => rng
            .pick(&[
                "0",
                "-0",
                "12",
                "12.0",
                "1e3",
                "1E-7",
                "-1",
                "9007199254740991",
                "9007199254740992",
                "18446744073709551616",
                "1e400",
                "-1e400",
                "0.5",
                "100000000000123",
                "1551690740123",
            ])
            .to_string(),
        3 => format!("{}", rng.next() >> rng.below(64)),
        4 => serde_json::to_string(&random_string(rng)).unwrap(),
        5 => rng
            .pick(&[
                r#""\ud800""#,
                r#""\udc00x""#,
                r#""\u0000""#,
                r#""a\"b""#,
                r#""\uD83D\uDE00""#,
                r#""\x""#,
            ])
            .to_string(),
        6 => format!("\"{}\"", "x".repeat(rng.below(70_000) as usize)),
        7 => format!(
            "[{}]",
            (0..rng.below(4))
                .map(|_| random_json(rng, depth - 1))
                .collect::<Vec<_>>()
                .join(",")
        ),
        _ => {
            const FIELDS: &[&str] = &[
                "err",
                "msg",
                "data",
                "open_id",
                "app_id",
                "nick_name",
                "avatar_url",
                "gender",
                "gold",
                "last_login_time",
                "is_new",
                "from_scene",
                "lst",
                "xh_uid",
                "v",
                "cached_at",
                "profile",
                "__proto__",
                "constructor",
                "open\\u005fid",
            ];
            let entries: Vec<String> = (0..rng.below(8))
                .map(|_| format!("\"{}\":{}", rng.pick(FIELDS), random_json(rng, depth - 1)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
    }
}

/// `text` with random byte-level damage: flips, cuts, insertions, duplications.
pub fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() as u64 + 1) as usize;
        match rng.below(5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 => bytes.truncate(at),
            2 => bytes
                .splice(
                    at..at,
                    rng.pick(&[&b"\""[..], b"{", b"}", b",", b"\\u", b"\xff", b"0"])
                        .iter()
                        .copied(),
                )
                .for_each(drop),
            3 if at < bytes.len() => {
                let end = (at + rng.below(40) as usize).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy).for_each(drop);
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The documented sample answer, and a record of it.
pub fn seeds() -> (String, String) {
    let seed: Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/seed-profile.json")).unwrap();
    let envelope = json!({"err": 0, "msg": "ok", "data": seed}).to_string();
    let profile = parse_body(&seed.to_string(), "wxa73fd8e544880e89").unwrap();
    let mut value = serde_json::to_value(&profile).unwrap();
    value["app_id"] = json!(APP);
    let record =
        json!({"v": 1, "app_id": APP, "cached_at": 1_700_000_000_000u64, "profile": value})
            .to_string();
    (envelope, record)
}

/// A failure: the target, the input (for the corpus), and the panic's message.
pub struct Failure {
    /// Which target.
    pub target: &'static str,
    /// The input, as text.
    pub input: String,
    /// What broke.
    pub message: String,
}

/// Runs `f` and turns a panic (a broken invariant) into a [`Failure`].
pub fn guarded(
    target: &'static str,
    input: &str,
    f: impl FnOnce() -> String,
) -> Result<String, Failure> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| Failure {
        target,
        input: input.chars().take(2000).collect(),
        message: e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    })
}

/// One random input for the target chosen by `n` (the mix of a run): its outcome, and the input as a corpus
/// file when it can be replayed from text.
pub fn one(
    rng: &mut Rng,
    n: u64,
    seeds: &(String, String),
) -> Result<(Outcome, Option<Kept>), Failure> {
    let (target, input): (&'static str, String) = match n % 100 {
        0..=24 => ("body-json", {
            let json = random_json(rng, 4);
            if rng.one_in(2) {
                format!("{{\"err\":0,\"data\":{json}}}")
            } else {
                json
            }
        }),
        25..=54 => ("body-bytes", mutate(rng, &seeds.0)),
        55..=74 => ("record", mutate(rng, &seeds.1)),
        75..=98 => ("options", String::new()),
        _ => ("flow", String::new()),
    };
    let (outcome, kept) = match target {
        "body-json" | "body-bytes" => (
            guarded(target, &input, || targets::body(&input))?,
            Some(("body", input.clone())),
        ),
        "record" => (
            guarded(target, &input, || targets::record(&input))?,
            Some(("record", input.clone())),
        ),
        "options" => {
            let value = random_input(rng, 3);
            let shown = format!("{value:?}");
            (
                guarded(target, &shown, || targets::options_and_config(&value))?,
                None,
            )
        }
        _ => {
            let seed = rng.next();
            (
                guarded(target, &format!("flow seed {seed}"), || {
                    targets::flow(&mut Rng::new(seed))
                })?,
                Some(("flow", seed.to_string())),
            )
        }
    };
    Ok(((target.to_string(), outcome), kept))
}
