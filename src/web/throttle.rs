//! Login throttling: after a few failures, each further attempt from the same address or for
//! the same account must wait, twice as long each time. The account's wait is capped low, so an
//! attacker can slow a victim's logins down but never lock them out; the address's wait is
//! capped higher. A success, or an hour without failures, forgets the count.
//!
//! The counters live in the database, so instances behind a load balancer count together.
//! A database error lets the attempt through (the IMAP server still checks the password, and
//! has its own penalty), and is logged.

use std::net::IpAddr;
use std::time::Duration;

use crate::clock::unix_ms;
use crate::store::{Db, throttle as counters};

const FORGET_AFTER: Duration = Duration::from_secs(3600);
const ACCOUNT_MAX_DELAY: Duration = Duration::from_secs(60);

pub struct LoginThrottle {
    free_attempts: u32,
    max_delay: Duration,
    db: Db,
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.trim().to_lowercase())
}

impl LoginThrottle {
    pub fn new(free_attempts: u32, max_delay: Duration, db: Db) -> Self {
        Self { free_attempts, max_delay, db }
    }

    fn delay(&self, failures: i64, cap: Duration) -> Duration {
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        if failures < self.free_attempts {
            return Duration::ZERO;
        }
        let exp = (failures - self.free_attempts).min(20);
        Duration::from_secs(1u64 << exp).min(cap)
    }

    async fn wait_for(&self, key: &str, cap: Duration, now: i64) -> Duration {
        match counters::get(&self.db, key).await {
            Ok(Some((failures, last))) => {
                let since = Duration::from_millis(u64::try_from(now - last).unwrap_or(0));
                if since >= FORGET_AFTER { Duration::ZERO } else { self.delay(failures, cap).saturating_sub(since) }
            }
            Ok(None) => Duration::ZERO,
            Err(e) => {
                tracing::warn!(error = %e, "login throttle: cannot read the counters");
                Duration::ZERO
            }
        }
    }

    /// How long this attempt must wait; zero when it may go ahead.
    pub async fn check(&self, ip: IpAddr, account: &str) -> Duration {
        let now = unix_ms();
        let a = self.wait_for(&ip_key(ip), self.max_delay, now).await;
        let b = self.wait_for(&account_key(account), ACCOUNT_MAX_DELAY.min(self.max_delay), now).await;
        a.max(b)
    }

    pub async fn failure(&self, ip: IpAddr, account: &str) {
        let now = unix_ms();
        let forget = now - FORGET_AFTER.as_millis() as i64;
        for key in [ip_key(ip), account_key(account)] {
            if let Err(e) = counters::bump(&self.db, &key, now, forget).await {
                tracing::warn!(error = %e, "login throttle: cannot count a failure");
            }
        }
        if let Err(e) = counters::prune(&self.db, forget).await {
            tracing::warn!(error = %e, "login throttle: cannot prune the counters");
        }
    }

    pub async fn success(&self, ip: IpAddr, account: &str) {
        for key in [ip_key(ip), account_key(account)] {
            if let Err(e) = counters::clear(&self.db, &key).await {
                tracing::warn!(error = %e, "login throttle: cannot clear a counter");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn backoff_grows_per_address_and_is_capped_per_account() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        let t = LoginThrottle::new(3, Duration::from_secs(900), db.clone());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(t.check(ip, "a@x").await, Duration::ZERO);
            t.failure(ip, "a@x").await;
        }
        let w = t.check(ip, "a@x").await;
        assert!(w > Duration::from_millis(900) && w <= Duration::from_secs(1), "{w:?}");
        for _ in 0..10 {
            t.failure(ip, "A@x").await;
        }
        let w = t.check(ip, "b@x").await;
        assert!(w > Duration::from_secs(500), "the address waits long: {w:?}");
        // A second instance on the same database sees the same counters.
        let t2 = LoginThrottle::new(3, Duration::from_secs(900), db);
        let w = t2.check(other, "a@x").await;
        assert!(w <= ACCOUNT_MAX_DELAY && w > Duration::from_secs(50), "the account waits at most a minute: {w:?}");
        assert_eq!(t2.check(other, "c@x").await, Duration::ZERO);
        t2.success(ip, "a@x").await;
        assert_eq!(t.check(ip, "a@x").await, Duration::ZERO);
    }
}
