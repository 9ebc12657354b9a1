//! Login throttling: failed attempts are counted per account and per client address over a sliding
//! window; past the limit, further attempts are refused until the oldest failure leaves the window.
//! In memory on purpose: a restart forgets, which is acceptable for a throttle.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct LimitConfig {
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

#[derive(Debug, Default)]
pub struct LoginLimiter {
    accounts: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
    addresses: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl LoginLimiter {
    /// `Err(seconds)` to wait when either the account or the address is over its limit.
    pub fn check(&self, cfg: &LimitConfig, account: &str, address: &str, now: DateTime<Utc>) -> Result<(), i64> {
        let a = wait(&self.accounts, &account.to_lowercase(), cfg.per_account, cfg.window, now);
        let b = wait(&self.addresses, address, cfg.per_address, cfg.window, now);
        match a.max(b) {
            0 => Ok(()),
            secs => Err(secs),
        }
    }

    pub fn record_failure(&self, account: &str, address: &str, now: DateTime<Utc>) {
        push(&self.accounts, account.to_lowercase(), now);
        push(&self.addresses, address.to_string(), now);
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner()).remove(&account.to_lowercase());
    }
}

fn push(map: &Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>, key: String, now: DateTime<Utc>) {
    let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
    // Bound memory against floods of distinct keys: forget the table rather than grow forever.
    if m.len() > 100_000 {
        m.clear();
    }
    m.entry(key).or_default().push_back(now);
}

fn wait(
    map: &Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
    key: &str,
    limit: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> i64 {
    let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
    let Some(q) = m.get_mut(key) else { return 0 };
    while q.front().is_some_and(|t| *t + window <= now) {
        q.pop_front();
    }
    if q.len() < limit as usize {
        return 0;
    }
    q.front().map_or(0, |oldest| (*oldest + window - now).num_seconds().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-09-01T08:00:00Z").unwrap().with_timezone(&Utc) + Duration::minutes(min)
    }

    #[test]
    fn locks_account_after_limit_and_releases_after_window() {
        let cfg = LimitConfig { per_account: 3, per_address: 100, window: Duration::minutes(15) };
        let l = LoginLimiter::default();
        for i in 0..3 {
            assert!(l.check(&cfg, "Ms.Rivera", "10.0.0.1", t(i)).is_ok());
            l.record_failure("ms.rivera", "10.0.0.1", t(i));
        }
        let wait = l.check(&cfg, "ms.rivera", "10.0.0.2", t(3)).unwrap_err();
        assert_eq!(wait, 12 * 60);
        assert!(l.check(&cfg, "other", "10.0.0.1", t(3)).is_ok(), "other accounts are not affected");
        assert!(l.check(&cfg, "ms.rivera", "10.0.0.1", t(15)).is_ok(), "the oldest failure left the window");
    }

    #[test]
    fn limits_per_address_across_accounts() {
        let cfg = LimitConfig { per_account: 100, per_address: 2, window: Duration::minutes(15) };
        let l = LoginLimiter::default();
        l.record_failure("a", "127.0.0.9", t(0));
        l.record_failure("b", "127.0.0.9", t(1));
        assert!(l.check(&cfg, "c", "127.0.0.9", t(2)).is_err());
        assert!(l.check(&cfg, "c", "127.0.0.10", t(2)).is_ok());
    }

    #[test]
    fn success_clears_account_failures() {
        let cfg = LimitConfig { per_account: 2, per_address: 100, window: Duration::minutes(15) };
        let l = LoginLimiter::default();
        l.record_failure("a", "x", t(0));
        l.record_success("a");
        l.record_failure("a", "x", t(1));
        assert!(l.check(&cfg, "a", "x", t(2)).is_ok());
    }
}
