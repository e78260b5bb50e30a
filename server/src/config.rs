//! The server's settings, from the environment. A missing or malformed setting stops the start with a message
//! naming it; `describe` prints them with every secret masked.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::limits::Network;

/// WeChat's API base, where `jscode2session` lives.
pub const DEFAULT_WECHAT_API: &str = "https://api.weixin.qq.com";
/// QQ's server API when `TMSDK_QQ_API` is not set.
pub const DEFAULT_QQ_API: &str = "https://api.q.qq.com";
/// Douyin's mini-game server API when `TMSDK_DOUYIN_API` is not set.
pub const DEFAULT_DOUYIN_API: &str = "https://minigame.zijieapi.com";
/// Where the server listens when `TMSDK_LISTEN` is not set.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8788";
/// The database when `TMSDK_DB` is not set: an SQLite file beside the binary's working directory.
pub const DEFAULT_DB: &str = "sqlite://tmsdk.db";
/// How many connections may be open at once when `TMSDK_MAX_CONNECTIONS` is not set.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// How long a request waits for the database when `TMSDK_DB_ACQUIRE_TIMEOUT` is not set: for a connection,
/// and on SQLite for the file's write lock, before it is answered HTTP 503.
pub const DEFAULT_DB_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a session token lives when `TMSDK_TOKEN_TTL` is not set: 7 days, in seconds.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 7 * 24 * 3600;

/// The validated settings.
#[derive(Clone)]
pub struct Config {
    /// `TMSDK_LISTEN`.
    pub listen: SocketAddr,
    /// `TMSDK_DB`: `sqlite://…` or `postgres://…`.
    pub db: String,
    /// `TMSDK_DB_ACQUIRE_TIMEOUT`: how long a request waits for a database connection (and on SQLite for the
    /// write lock) before it is answered HTTP 503.
    pub db_acquire_timeout: Duration,
    /// `TMSDK_APPS`: appId → the app's platform and secret.
    pub apps: BTreeMap<String, App>,
    /// `TMSDK_WECHAT_API`, without a trailing slash.
    pub wechat_api: String,
    /// `TMSDK_QQ_API`, without a trailing slash.
    pub qq_api: String,
    /// `TMSDK_DOUYIN_API`, without a trailing slash.
    pub douyin_api: String,
    /// `TMSDK_TOKEN_SECRET`: signs session tokens (JWTs, HS256).
    pub token_secret: String,
    /// `TMSDK_TOKEN_SECRET_PREVIOUS`: still accepted when verifying, never used to sign (a secret rotates
    /// without logging every player out).
    pub token_secret_previous: Option<String>,
    /// `TMSDK_TOKEN_TTL`: how long a session token lives, in seconds.
    pub token_ttl_secs: u64,
    /// `TMSDK_MAX_CONNECTIONS`: how many connections may be open at once.
    pub max_connections: usize,
    /// `TMSDK_TRUSTED_PROXIES`: whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Network>,
    /// `TMSDK_RATE_LIMIT_IP`: requests a minute per client IP.
    pub rate_per_ip: u32,
    /// `TMSDK_RATE_LIMIT_OPENID`: requests a minute per user.
    pub rate_per_openid: u32,
    /// `TMSDK_IP2REGION`: an ip2region xdb file for `login_province` / `login_city`.
    pub ip2region: Option<String>,
    /// `TMSDK_PUBLIC_URL`: the origin players reach this server at, without a trailing slash; avatar URLs
    /// start with it. Defaults to `http://` + the listen address (in production: the public https origin).
    pub public_url: String,
    /// Whether `TMSDK_PUBLIC_URL` was given (else [`Config::listening_on`] sets it to the bound address).
    pub public_url_given: bool,
    /// `TMSDK_WECHAT_PUSH_TOKEN`: the token of WeChat's message push (`/v1/wechat/push`); when set, every
    /// uploaded avatar goes through WeChat's asynchronous image check.
    pub wechat_push_token: Option<String>,
}

fn mask(secret: &str) -> String {
    format!("****({} chars)", secret.chars().count())
}

/// A setting that is a positive whole number: `value`, or `default` when not set; `unit` says what it counts
/// in the error.
fn positive<T: std::str::FromStr + PartialOrd + Default>(
    name: &str,
    value: Option<String>,
    default: T,
    unit: &str,
) -> Result<T, String> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| *n > T::default())
            .ok_or_else(|| format!("{name} must be a positive number of {unit}, not \"{v}\"")),
    }
}

/// The platform a game runs on: its players log in, and their content is checked, through that platform's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// WeChat mini-games and mini-programs (`TMSDK_APPS` entries without a prefix).
    Wechat,
    /// QQ mini-games (`qq:APPID=SECRET`).
    Qq,
    /// Douyin mini-games (`tt:APPID=SECRET`).
    Douyin,
}

impl Platform {
    /// The platform's name, for logs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Wechat => "WeChat",
            Platform::Qq => "QQ",
            Platform::Douyin => "Douyin",
        }
    }

    /// The platform as a metric's label (`wechat`, `qq`).
    pub fn label(self) -> &'static str {
        match self {
            Platform::Wechat => "wechat",
            Platform::Qq => "qq",
            Platform::Douyin => "douyin",
        }
    }
}

/// One app this server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Where its players are.
    pub platform: Platform,
    /// Its secret with that platform (AppSecret). Never printed.
    pub secret: String,
}

/// An API base URL setting: `value`, or `default`, without a trailing slash; it must be http(s).
fn api_url(name: &str, value: Option<String>, default: &str) -> Result<String, String> {
    let url = value
        .unwrap_or_else(|| default.to_string())
        .trim_end_matches('/')
        .to_string();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(format!("{name} must be an http(s) URL, not \"{url}\""))
    }
}

/// A wait in seconds between 0.1 and 60 (a fraction allowed: `1.5`): `value`, or `default` when not set.
fn seconds(name: &str, value: Option<String>, default: Duration) -> Result<Duration, String> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| (0.1..=60.0).contains(s))
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                format!("{name} must be a number of seconds from 0.1 to 60, not \"{v}\"")
            }),
    }
}

impl Config {
    /// Reads the settings through `var` (the environment in `main`, a map in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let listen_text = var("TMSDK_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = listen_text.parse().map_err(|_| {
            format!("TMSDK_LISTEN is \"{listen_text}\": give an address and port such as 127.0.0.1:8788")
        })?;
        let db = var("TMSDK_DB").unwrap_or_else(|| DEFAULT_DB.to_string());
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(format!(
                "TMSDK_DB must start with sqlite: or postgres://, not \"{}\"",
                db.split(':').next().unwrap_or_default()
            ));
        }
        let db_acquire_timeout = seconds(
            "TMSDK_DB_ACQUIRE_TIMEOUT",
            var("TMSDK_DB_ACQUIRE_TIMEOUT"),
            DEFAULT_DB_ACQUIRE_TIMEOUT,
        )?;
        let apps_text = var("TMSDK_APPS").ok_or(
            "TMSDK_APPS is missing: give appid=secret pairs (qq:appid=secret for a QQ game, tt:appid=secret for a \
             Douyin one) separated by commas",
        )?;
        let mut apps = BTreeMap::new();
        for pair in apps_text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (app, secret) = pair
                .split_once('=')
                .filter(|(a, s)| !a.trim().is_empty() && !s.trim().is_empty())
                .ok_or_else(|| {
                    format!(
                        "TMSDK_APPS has \"{}\": each entry must be appid=secret (or qq:appid=secret, tt:appid=secret)",
                        pair.split('=').next().unwrap_or_default()
                    )
                })?;
            let (platform, app) = match app.trim().split_once(':') {
                None => (Platform::Wechat, app.trim()),
                Some(("qq", app)) => (Platform::Qq, app.trim()),
                Some(("tt", app)) => (Platform::Douyin, app.trim()),
                Some((prefix, _)) => {
                    return Err(format!(
                        "TMSDK_APPS: \"{prefix}:\" is not a platform this server serves; write qq:appid=secret \
                         for a QQ game, tt:appid=secret for a Douyin one and appid=secret for a WeChat one"
                    ))
                }
            };
            if app.is_empty()
                || !app
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                return Err(format!(
                    "TMSDK_APPS: \"{app}\" is not an appId (letters, digits, _ - . only)"
                ));
            }
            let secret = secret.trim().to_string();
            apps.insert(app.to_string(), App { platform, secret });
        }
        if apps.is_empty() {
            return Err("TMSDK_APPS is empty: give appid=secret pairs separated by commas".into());
        }
        let wechat_api = api_url(
            "TMSDK_WECHAT_API",
            var("TMSDK_WECHAT_API"),
            DEFAULT_WECHAT_API,
        )?;
        let qq_api = api_url("TMSDK_QQ_API", var("TMSDK_QQ_API"), DEFAULT_QQ_API)?;
        let douyin_api = api_url(
            "TMSDK_DOUYIN_API",
            var("TMSDK_DOUYIN_API"),
            DEFAULT_DOUYIN_API,
        )?;
        let token_secret = var("TMSDK_TOKEN_SECRET").ok_or(
            "TMSDK_TOKEN_SECRET is missing: set a long random string (it signs session tokens)",
        )?;
        if token_secret.len() < 16 {
            return Err("TMSDK_TOKEN_SECRET is too short: use at least 16 characters".into());
        }
        let token_secret_previous = var("TMSDK_TOKEN_SECRET_PREVIOUS").filter(|s| !s.is_empty());
        if token_secret_previous.as_ref().is_some_and(|s| s.len() < 16) {
            return Err(
                "TMSDK_TOKEN_SECRET_PREVIOUS is too short: use at least 16 characters".into(),
            );
        }
        let token_ttl_secs = positive(
            "TMSDK_TOKEN_TTL",
            var("TMSDK_TOKEN_TTL"),
            DEFAULT_TOKEN_TTL_SECS,
            "seconds",
        )?;
        let mut trusted_proxies = Vec::new();
        for entry in var("TMSDK_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            trusted_proxies.push(Network::parse(entry).ok_or_else(|| {
                format!("TMSDK_TRUSTED_PROXIES has \"{entry}\": give IP addresses or networks such as 10.0.0.0/8")
            })?);
        }
        let rate =
            |name: &str, default: u32| positive(name, var(name), default, "requests a minute");
        let max_connections = positive(
            "TMSDK_MAX_CONNECTIONS",
            var("TMSDK_MAX_CONNECTIONS"),
            DEFAULT_MAX_CONNECTIONS,
            "connections",
        )?;
        let given_url = var("TMSDK_PUBLIC_URL").filter(|u| !u.trim().is_empty());
        let public_url_given = given_url.is_some();
        let public_url = given_url
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim()
            .trim_end_matches('/')
            .to_string();
        let origin = public_url
            .strip_prefix("https://")
            .or_else(|| public_url.strip_prefix("http://"));
        if origin.is_none_or(|host| host.is_empty() || host.contains(['?', '#', ' '])) {
            return Err(format!(
                "TMSDK_PUBLIC_URL must be an http(s) origin such as https://api.example.com, not \"{public_url}\""
            ));
        }
        let wechat_push_token = var("TMSDK_WECHAT_PUSH_TOKEN").filter(|t| !t.trim().is_empty());
        if wechat_push_token.as_ref().is_some_and(|t| {
            !(3..=32).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_alphanumeric())
        }) {
            return Err(
                "TMSDK_WECHAT_PUSH_TOKEN must be 3 to 32 letters and digits (the Token of WeChat's message push settings)"
                    .into(),
            );
        }
        Ok(Config {
            listen,
            db,
            db_acquire_timeout,
            apps,
            wechat_api,
            qq_api,
            douyin_api,
            token_secret,
            token_secret_previous,
            token_ttl_secs,
            max_connections,
            trusted_proxies,
            rate_per_ip: rate("TMSDK_RATE_LIMIT_IP", 120)?,
            rate_per_openid: rate("TMSDK_RATE_LIMIT_OPENID", 30)?,
            ip2region: var("TMSDK_IP2REGION").filter(|p| !p.trim().is_empty()),
            public_url,
            public_url_given,
            wechat_push_token,
        })
    }

    /// The server listens on `bound` (`TMSDK_LISTEN` may ask for port 0): without `TMSDK_PUBLIC_URL`, that is
    /// the public URL.
    pub fn listening_on(&mut self, bound: SocketAddr) {
        if !self.public_url_given {
            self.public_url = format!("http://{bound}");
        }
    }

    /// The settings as printed at start: secrets masked, database passwords hidden.
    pub fn describe(&self) -> String {
        let db = match self.db.split_once('@') {
            Some((credentials, rest)) if credentials.contains("://") => {
                let scheme = credentials.split("://").next().unwrap_or_default();
                format!("{scheme}://****@{rest}")
            }
            _ => self.db.clone(),
        };
        let apps: Vec<String> = self
            .apps
            .iter()
            .map(|(app, App { platform, secret })| match platform {
                Platform::Wechat => format!("{app}={}", mask(secret)),
                Platform::Qq => format!("qq:{app}={}", mask(secret)),
                Platform::Douyin => format!("tt:{app}={}", mask(secret)),
            })
            .collect();
        format!(
            "TMSDK_LISTEN={}\nTMSDK_DB={db}\nTMSDK_DB_ACQUIRE_TIMEOUT={}s\nTMSDK_APPS={}\nTMSDK_WECHAT_API={}\nTMSDK_QQ_API={}\nTMSDK_DOUYIN_API={}\nTMSDK_TOKEN_SECRET={}\n\
             TMSDK_TOKEN_SECRET_PREVIOUS={}\nTMSDK_TOKEN_TTL={}s\nTMSDK_MAX_CONNECTIONS={}\n\
             TMSDK_TRUSTED_PROXIES={}\nTMSDK_RATE_LIMIT_IP={}/min\nTMSDK_RATE_LIMIT_OPENID={}/min\n\
             TMSDK_IP2REGION={}\nTMSDK_PUBLIC_URL={}\nTMSDK_WECHAT_PUSH_TOKEN={}",
            self.listen,
            self.db_acquire_timeout.as_secs_f64(),
            apps.join(","),
            self.wechat_api,
            self.qq_api,
            self.douyin_api,
            mask(&self.token_secret),
            self.token_secret_previous.as_deref().map_or("(none)".to_string(), mask),
            self.token_ttl_secs,
            self.max_connections,
            self.trusted_proxies.len(),
            self.rate_per_ip,
            self.rate_per_openid,
            self.ip2region.as_deref().unwrap_or("(none: login_province and login_city stay empty)"),
            self.public_url,
            self.wechat_push_token.as_deref().map_or(
                "(none: uploaded avatars are not checked by WeChat)".to_string(),
                mask
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|k| map.get(k).cloned())
    }

    const GOOD: &[(&str, &str)] = &[
        ("TMSDK_APPS", "wx1=s3cr3t, wx2=other"),
        ("TMSDK_TOKEN_SECRET", "0123456789abcdef-long"),
    ];

    #[test]
    fn defaults_and_secrets_masked() {
        let c = config(GOOD).unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.db, DEFAULT_DB);
        assert_eq!(c.apps.len(), 2);
        let shown = c.describe();
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("0123456789abcdef"),
            "{shown}"
        );
        assert!(shown.contains("wx1=****"), "{shown}");
        assert_eq!(c.token_ttl_secs, DEFAULT_TOKEN_TTL_SECS);
        let rotated = config(&[
            GOOD[0],
            GOOD[1],
            ("TMSDK_TOKEN_SECRET_PREVIOUS", "the-old-secret-0123"),
            ("TMSDK_TOKEN_TTL", "3600"),
        ])
        .unwrap();
        assert_eq!(rotated.token_ttl_secs, 3600);
        assert!(
            !rotated.describe().contains("the-old-secret"),
            "{}",
            rotated.describe()
        );
        let pg = config(&[
            GOOD[0],
            GOOD[1],
            ("TMSDK_DB", "postgres://user:pw@db:5432/tmsdk"),
        ])
        .unwrap();
        assert!(!pg.describe().contains("pw@"), "{}", pg.describe());
        assert_eq!(c.db_acquire_timeout, DEFAULT_DB_ACQUIRE_TIMEOUT);
        assert_eq!(c.qq_api, DEFAULT_QQ_API);
        assert_eq!(c.apps["wx1"].platform, Platform::Wechat);
        assert_eq!(c.douyin_api, DEFAULT_DOUYIN_API);
        let both = config(&[
            (
                "TMSDK_APPS",
                "wx1=s3cr3t, qq:1112223334=qqs3cr3t, tt:tt01=tts3cr3t",
            ),
            GOOD[1],
            ("TMSDK_QQ_API", "http://127.0.0.1:9/"),
            ("TMSDK_DOUYIN_API", "http://127.0.0.1:10/"),
        ])
        .unwrap();
        assert_eq!(both.apps["tt01"].platform, Platform::Douyin);
        assert_eq!(both.douyin_api, "http://127.0.0.1:10");
        assert!(
            both.describe().contains("tt:tt01=****"),
            "{}",
            both.describe()
        );
        assert!(!both.describe().contains("tts3cr3t"));
        assert_eq!(
            both.apps["1112223334"],
            App {
                platform: Platform::Qq,
                secret: "qqs3cr3t".into()
            }
        );
        assert_eq!(both.qq_api, "http://127.0.0.1:9");
        let shown_both = both.describe();
        assert!(
            shown_both.contains("qq:1112223334=****") && !shown_both.contains("qqs3cr3t"),
            "{shown_both}"
        );
        assert!(shown.contains("TMSDK_DB_ACQUIRE_TIMEOUT=2s"), "{shown}");
        let quick = config(&[GOOD[0], GOOD[1], ("TMSDK_DB_ACQUIRE_TIMEOUT", "0.5")]).unwrap();
        assert_eq!(quick.db_acquire_timeout, Duration::from_millis(500));
        assert_eq!(c.public_url, format!("http://{DEFAULT_LISTEN}"));
        let mut bound = c.clone();
        bound.listening_on("127.0.0.1:40123".parse().unwrap());
        assert_eq!(bound.public_url, "http://127.0.0.1:40123");
        assert_eq!(c.wechat_push_token, None);
        let public = config(&[
            GOOD[0],
            GOOD[1],
            ("TMSDK_PUBLIC_URL", "https://api.example.com/"),
            ("TMSDK_WECHAT_PUSH_TOKEN", "pushToken123"),
        ])
        .unwrap();
        assert_eq!(public.public_url, "https://api.example.com");
        let mut kept = public.clone();
        kept.listening_on("127.0.0.1:40123".parse().unwrap());
        assert_eq!(
            kept.public_url, "https://api.example.com",
            "a given URL stays"
        );
        assert!(
            !public.describe().contains("pushToken123"),
            "{}",
            public.describe()
        );
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[GOOD[1]], "TMSDK_APPS"),
            (&[("TMSDK_APPS", "wx1"), GOOD[1]], "TMSDK_APPS"),
            (&[GOOD[0]], "TMSDK_TOKEN_SECRET"),
            (
                &[GOOD[0], ("TMSDK_TOKEN_SECRET", "short")],
                "TMSDK_TOKEN_SECRET",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_LISTEN", "nowhere")],
                "TMSDK_LISTEN",
            ),
            (&[GOOD[0], GOOD[1], ("TMSDK_DB", "mysql://x")], "TMSDK_DB"),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_WECHAT_API", "ftp://x")],
                "TMSDK_WECHAT_API",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_TRUSTED_PROXIES", "10.0.0.0/99")],
                "TMSDK_TRUSTED_PROXIES",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_RATE_LIMIT_IP", "0")],
                "TMSDK_RATE_LIMIT_IP",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_TOKEN_TTL", "a week")],
                "TMSDK_TOKEN_TTL",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_MAX_CONNECTIONS", "0")],
                "TMSDK_MAX_CONNECTIONS",
            ),
            (&[("TMSDK_APPS", "ks:123=s"), GOOD[1]], "TMSDK_APPS"),
            (&[("TMSDK_APPS", "qq:=s"), GOOD[1]], "TMSDK_APPS"),
            (&[("TMSDK_APPS", "tt:=s"), GOOD[1]], "TMSDK_APPS"),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_DOUYIN_API", "ftp://x")],
                "TMSDK_DOUYIN_API",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_QQ_API", "ftp://x")],
                "TMSDK_QQ_API",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_DB_ACQUIRE_TIMEOUT", "0")],
                "TMSDK_DB_ACQUIRE_TIMEOUT",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_DB_ACQUIRE_TIMEOUT", "two")],
                "TMSDK_DB_ACQUIRE_TIMEOUT",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_TOKEN_SECRET_PREVIOUS", "short")],
                "TMSDK_TOKEN_SECRET_PREVIOUS",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_PUBLIC_URL", "api.example.com")],
                "TMSDK_PUBLIC_URL",
            ),
            (
                &[GOOD[0], GOOD[1], ("TMSDK_WECHAT_PUSH_TOKEN", "has space")],
                "TMSDK_WECHAT_PUSH_TOKEN",
            ),
        ];
        for (pairs, name) in cases {
            let e = config(pairs).err().expect("refused");
            assert!(e.starts_with(name), "{name}: {e}");
        }
    }
}
