//! `tmsdk-server`: the backend of tmsdk-profile. It turns `wx.login` codes into sessions (WeChat's
//! `jscode2session`), verifies and stores user info, and answers the profiles the SDK reads. Laid out by job:
//! `config` (environment), `state` (what handlers share), `error` (refusals and their codes), `extract` (what
//! handlers take from a request), `middleware` (rate limit, logs and metrics), `routes/` (one file per route
//! family), `router`; beneath them `platform_api` (WeChat's and QQ's APIs), `crypto` (signature, AES, tokens), `limits` (rate
//! limits, the client's address), `metrics` (Prometheus), `region` (ip2region), `avatar` (images), `store`
//! (SQLite or PostgreSQL) and `serve` (connections: timeouts, a cap, `Connection: close` where it closes
//! (`closing`), lingering close).
#![deny(missing_docs)]

mod avatar;
mod closing;
mod config;
mod crypto;
mod error;
mod extract;
mod limits;
mod linger;
mod metrics;
mod middleware;
mod operator;
mod platform_api;
mod privacy;
mod region;
mod router;
mod routes;
mod serve;
mod state;
mod store;

use std::num::NonZeroU32;
use std::sync::Arc;

pub use config::{App, Config, Platform, DEFAULT_DB_ACQUIRE_TIMEOUT};
pub use crypto::{issue_token, push_signature, share_code, signature, Claims};
pub use metrics::Metrics;
pub use operator::{run_user_command, UserCommand, USAGE};
use platform_api::PlatformApi;
pub use privacy::{log_erasure, open_id_hash, AskedBy};
pub use region::{Ip2Region, Location};
pub use serve::{raise_open_file_limit, serve, ConnectionLimits};
pub use store::{shanghai_day, Counted, Erased, Login, Migration, Store, Stored, MIGRATIONS};

/// A limiter of `per_minute` requests a minute per key, in bursts of up to a third of that, whose idle keys
/// are forgotten in the background.
fn limiter<K>(per_minute: u32) -> Arc<limits::RateLimiter<K>>
where
    K: std::hash::Hash + Eq + Clone + Send + Sync + 'static,
{
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_minute.div_ceil(3)).unwrap_or(NonZeroU32::MIN);
    let limiter = Arc::new(limits::RateLimiter::new(rate, burst));
    limits::forget_idle_in_background(&limiter, limits::FORGET_EVERY);
    limiter
}

/// Opens the store and builds the routes for `config`.
pub async fn build(config: Config) -> Result<axum::Router, String> {
    let metrics = Metrics::new();
    let store = Store::open_waiting(
        &config.db,
        config.db_acquire_timeout,
        MIGRATIONS,
        metrics.clone(),
    )
    .await
    .map_err(|e| format!("TMSDK_DB: could not open the database ({e})"))?;
    let wechat = PlatformApi::new(Platform::Wechat, &config.wechat_api, metrics.clone())
        .sharing_tokens(store.clone());
    let qq = PlatformApi::new(Platform::Qq, &config.qq_api, metrics.clone())
        .sharing_tokens(store.clone());
    let douyin = PlatformApi::new(Platform::Douyin, &config.douyin_api, metrics.clone());
    let regions = match &config.ip2region {
        Some(path) => Some(Ip2Region::load(path).map_err(|e| format!("TMSDK_IP2REGION: {e}"))?),
        None => None,
    };
    Ok(router::router(Arc::new(state::AppState {
        per_ip: limiter(config.rate_per_ip),
        per_openid: limiter(config.rate_per_openid),
        config,
        store,
        wechat,
        qq,
        douyin,
        regions,
        metrics,
    })))
}
