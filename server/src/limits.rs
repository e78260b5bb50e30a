//! Rate limits and the client's address. Per key (an IP, an app's openid), governor's keyed limiter (GCRA: a
//! steady rate up to a burst); a request over it is refused with `err` 429 and how long to wait. Keys whose
//! allowance is full again are forgotten by a background task, never on a request's path, so a flood of new
//! addresses costs each request the same. Limits are per server instance. The client's IP is the peer's, or —
//! when the peer is a trusted proxy — the last address in `X-Forwarded-For` that is not itself a trusted proxy.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::Quota;

/// Rate limits per key `K`, on clock `C` (the system's; a fake one in tests).
pub struct RateLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    limiter: governor::RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
}

/// How often the background task forgets keys whose allowance is full again.
pub const FORGET_EVERY: Duration = Duration::from_secs(10);

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// `per_minute` requests a minute per key on average, up to `burst` at once, on the system's clock.
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> RateLimiter<K> {
        RateLimiter::with_clock(per_minute, burst, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> RateLimiter<K, C> {
    /// As [`RateLimiter::new`], on `clock`.
    pub fn with_clock(per_minute: NonZeroU32, burst: NonZeroU32, clock: C) -> RateLimiter<K, C> {
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        RateLimiter {
            limiter: governor::RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
        }
    }

    /// Takes one request from `key`'s allowance: `Ok`, or `Err(whole seconds to wait, at least 1)`.
    pub fn take(&self, key: &K) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }

    /// Forgets the keys whose allowance has been full again for a period (a new request of theirs is treated
    /// the same as a first), and gives their memory back.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many keys are remembered.
    #[cfg(test)]
    pub fn keys(&self) -> usize {
        self.limiter.len()
    }
}

/// Runs [`RateLimiter::forget_idle`] every `every` on a blocking thread (the sweep takes milliseconds with
/// a million keys), until the limiter is dropped; the task then ends.
pub fn forget_idle_in_background<K, C>(
    limiter: &Arc<RateLimiter<K, C>>,
    every: Duration,
) -> tokio::task::JoinHandle<()>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    C: Clock + Clone + Send + Sync + 'static,
    C::Instant: Send + Sync,
{
    let weak: Weak<RateLimiter<K, C>> = Arc::downgrade(limiter);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(limiter) = weak.upgrade() else {
                return;
            };
            let _ = tokio::task::spawn_blocking(move || limiter.forget_idle()).await;
        }
    })
}

/// One entry of `TMSDK_TRUSTED_PROXIES`: an address, or a network in CIDR notation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `10.0.0.1`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    pub fn parse(text: &str) -> Option<Network> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
            None => {
                let addr = text.parse::<IpAddr>().ok()?;
                (addr, if addr.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return None;
        }
        // An IPv4-mapped IPv6 network is the IPv4 network.
        match addr {
            IpAddr::V6(v6) if prefix >= 96 && v6.to_ipv4_mapped().is_some() => Some(Network {
                addr: IpAddr::V4(v6.to_ipv4_mapped()?),
                prefix: prefix - 96,
            }),
            _ => Some(Network { addr, prefix }),
        }
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u8) {
            match ip {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
                IpAddr::V6(v6) => (u128::from(v6), 128),
            }
        };
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        // Both addresses sit in the top bits of a u128, so the prefix counts from the top for either family.
        let ((a, width_a), (b, width_b)) = (bits(self.addr), bits(ip));
        if width_a != width_b {
            return false;
        }
        let prefix = u32::from(self.prefix);
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix)
        };
        a & mask == b & mask
    }
}

/// The client's IP: the peer, unless the peer is a trusted proxy; then the right-most `X-Forwarded-For`
/// address that is not a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Network]) -> IpAddr {
    let trusted_ip = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !trusted_ip(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted_ip(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn n(v: u32) -> NonZeroU32 {
        NonZeroU32::new(v).unwrap()
    }

    #[test]
    fn a_key_has_its_burst_then_one_request_per_period() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(n(60), n(3), clock.clone());
        for _ in 0..3 {
            assert_eq!(limiter.take(&"ip"), Ok(()));
        }
        assert_eq!(
            limiter.take(&"ip"),
            Err(1),
            "one request a second: wait 1 s"
        );
        assert_eq!(limiter.take(&"other"), Ok(()), "keys are independent");
        clock.advance(Duration::from_millis(1000));
        assert_eq!(limiter.take(&"ip"), Ok(()), "one more after a second");
        assert_eq!(limiter.take(&"ip"), Err(1));
        clock.advance(Duration::from_millis(100));
        assert_eq!(limiter.take(&"ip"), Err(1), "0.9 s to wait is said as 1 s");
        let slow = RateLimiter::with_clock(n(2), n(1), clock.clone());
        assert_eq!(slow.take(&"ip"), Ok(()));
        assert_eq!(slow.take(&"ip"), Err(30), "two a minute: wait 30 s");
    }

    #[test]
    fn keys_whose_allowance_is_full_again_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(n(60), n(1), clock.clone());
        for i in 0..1000u32 {
            assert_eq!(limiter.take(&i), Ok(()));
        }
        clock.advance(Duration::from_millis(1500));
        assert_eq!(limiter.take(&5000), Ok(()));
        limiter.forget_idle();
        assert_eq!(
            limiter.keys(),
            1001,
            "full again for less than a period: kept"
        );
        clock.advance(Duration::from_millis(600));
        limiter.forget_idle();
        assert_eq!(
            limiter.keys(),
            1,
            "the first thousand are forgotten, 5000 is not"
        );
        assert_eq!(
            limiter.take(&5000),
            Err(1),
            "a remembered key keeps its state"
        );
        assert_eq!(limiter.take(&7), Ok(()), "a forgotten key starts full");
    }

    #[tokio::test(start_paused = true)]
    async fn the_background_task_forgets_and_ends_with_its_limiter() {
        let clock = FakeRelativeClock::default();
        let limiter = Arc::new(RateLimiter::with_clock(n(60), n(1), clock.clone()));
        for i in 0..100u32 {
            limiter.take(&i).unwrap();
        }
        let task = forget_idle_in_background(&limiter, Duration::from_secs(10));
        clock.advance(Duration::from_secs(2));
        for _ in 0..60 {
            if limiter.keys() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert_eq!(limiter.keys(), 0, "forgotten by the background task");
        drop(limiter);
        tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("the task ends once its limiter is dropped")
            .unwrap();
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = vec![
            Network::parse("10.0.0.0/8").unwrap(),
            Network::parse("::1").unwrap(),
        ];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("1.2.3.4"), &trusted),
            ip("203.0.113.9"),
            "an untrusted peer"
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("1.2.3.4, 10.9.9.9"), &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_ip(ip("::1"), Some("5.6.7.8"), &trusted),
            ip("5.6.7.8")
        );
        assert_eq!(client_ip(ip("10.1.2.3"), None, &trusted), ip("10.1.2.3"));
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("garbage"), &trusted),
            ip("10.1.2.3")
        );
        assert!(Network::parse("10.0.0.0/33").is_none());
        assert!(Network::parse("::ffff:10.0.0.1")
            .unwrap()
            .contains(ip("10.0.0.1")));
    }
}
