//! What every handler shares: the settings, the database, the platforms' APIs (WeChat's, QQ's, Douyin's), the rate
//! limiters, the address database and the metrics.

use std::net::IpAddr;
use std::sync::Arc;

use crate::config::{App, Config, Platform};
use crate::error::Refusal;
use crate::limits::RateLimiter;
use crate::metrics::Metrics;
use crate::platform_api::PlatformApi;
use crate::region::Ip2Region;
use crate::store::Store;

/// What every handler shares.
pub struct AppState {
    /// The settings.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// WeChat's API.
    pub wechat: PlatformApi,
    /// QQ's API.
    pub qq: PlatformApi,
    /// Douyin's API.
    pub douyin: PlatformApi,
    /// Requests per client IP.
    pub per_ip: Arc<RateLimiter<IpAddr>>,
    /// Requests per user (the app and the openid).
    pub per_openid: Arc<RateLimiter<String>>,
    /// Where client addresses are, when `TMSDK_IP2REGION` is set.
    pub regions: Option<Ip2Region>,
    /// What `GET /metrics` shows.
    pub metrics: Metrics,
}

impl AppState {
    /// The app `app_id` and its platform's API; an app this server does not serve is `None`.
    pub fn app(&self, app_id: &str) -> Option<(&App, &PlatformApi)> {
        let app = self.config.apps.get(app_id)?;
        let api = match app.platform {
            Platform::Wechat => &self.wechat,
            Platform::Qq => &self.qq,
            Platform::Douyin => &self.douyin,
        };
        Some((app, api))
    }

    /// Takes one request from the allowance of `open_id` in `app_id`; HTTP 429 when none is left.
    pub fn limit_user(&self, app_id: &str, open_id: &str) -> Result<(), Refusal> {
        self.per_openid
            .take(&format!("{app_id}/{open_id}"))
            .map_err(Refusal::too_many)
    }
}

/// The state as handlers take it.
pub type SharedState = Arc<AppState>;
