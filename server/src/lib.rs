//! `tmsdk-server`: the backend of tmsdk-profile. It turns `wx.login` codes into sessions (WeChat's
//! `jscode2session`), verifies and stores user info, and answers the profiles the SDK reads. Modules:
//! `config` (environment), `wechat` (WeChat's API), `crypto` (signature, AES, tokens), `limits` (rate limits,
//! the client's address), `metrics` (Prometheus), `region` (ip2region), `store` (SQLite or PostgreSQL), `app` (the HTTP routes),
//! `serve` (connections: timeouts and a cap).
#![deny(missing_docs)]

pub mod app;
pub mod avatar;
pub mod config;
pub mod crypto;
pub mod limits;
pub mod metrics;
pub mod region;
pub mod serve;
pub mod store;
pub mod wechat;

use std::sync::Arc;

/// Opens the store and builds the routes for `config`.
pub async fn build(config: config::Config) -> Result<axum::Router, String> {
    let store = store::Store::open(&config.db)
        .await
        .map_err(|e| format!("TMSDK_DB: could not open the database ({e})"))?;
    let wechat = wechat::Wechat::new(&config.wechat_api);
    let regions = match &config.ip2region {
        Some(path) => {
            Some(region::Ip2Region::load(path).map_err(|e| format!("TMSDK_IP2REGION: {e}"))?)
        }
        None => None,
    };
    let per_ip = limits::RateLimiter::new(config.rate_per_ip, config.rate_per_ip.div_ceil(3));
    let per_openid =
        limits::RateLimiter::new(config.rate_per_openid, config.rate_per_openid.div_ceil(3));
    Ok(app::router(Arc::new(app::AppState {
        config,
        store,
        wechat,
        per_ip,
        per_openid,
        regions,
        metrics: metrics::Metrics::new(),
    })))
}
