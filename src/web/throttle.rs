//! Login throttling: after a few failures, each further attempt from the same address or for
//! the same account must wait, twice as long each time. The account's wait is capped low, so an
//! attacker can slow a victim's logins down but never lock them out; the address's wait is
//! capped higher. A success, or an hour without failures, forgets the count.
//!
//! The second step of a sign-in (a code or a key, after the right password) has a counter of
//! its own per account, which a right password does not clear: knowing the password does not
//! buy fresh guesses at the code. Its wait is capped as an address's is.
//!
//! The counters live in the database, so instances behind a load balancer count together.
//! A database error lets the attempt through (the IMAP server still checks the password, and
//! has its own penalty), and is logged.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::clock::unix_ms;
use crate::store::{Db, throttle as counters};

const FORGET_AFTER: Duration = Duration::from_secs(3600);
const ACCOUNT_MAX_DELAY: Duration = Duration::from_secs(60);

pub struct LoginThrottle {
    free_attempts: u32,
    max_delay: Duration,
    db: Db,
    /// One turn at a time per account for second-step tries on this instance.
    turns: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.trim().to_lowercase())
}

fn second_step_key(account: &str) -> String {
    format!("second:{}", account.trim().to_lowercase())
}

impl LoginThrottle {
    pub fn new(free_attempts: u32, max_delay: Duration, db: Db) -> Self {
        Self { free_attempts, max_delay, db, turns: Mutex::default() }
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
        self.count(&[ip_key(ip), account_key(account)]).await;
    }

    /// The lock an account's second-step tries take on this instance.
    fn turn(&self, account: &str) -> Arc<tokio::sync::Mutex<()>> {
        let key = account.trim().to_lowercase();
        let Ok(mut turns) = self.turns.lock() else { return Arc::default() };
        if let Some(lock) = turns.get(&key).and_then(Weak::upgrade) {
            return lock;
        }
        if turns.len() > 1024 {
            turns.retain(|_, w| w.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        turns.insert(key, Arc::downgrade(&lock));
        lock
    }

    /// One try at `account`'s second step from `ip`: `Ok(Err(wait))` when it must wait first,
    /// otherwise whether `attempt` passed. A failure counts for the address, the account and
    /// the account's second step; a pass clears them. Tries for one account take turns, so
    /// that many sent at once are each counted before the next is checked.
    pub async fn second_step<E, F: Future<Output = Result<bool, E>>>(&self, ip: IpAddr, account: &str, attempt: impl FnOnce() -> F) -> Result<Result<bool, Duration>, E> {
        let turn = self.turn(account);
        let _turn = turn.lock().await;
        let now = unix_ms();
        let wait = self.wait_for(&ip_key(ip), self.max_delay, now).await.max(self.wait_for(&second_step_key(account), self.max_delay, now).await);
        if !wait.is_zero() {
            return Ok(Err(wait));
        }
        let passed = attempt().await?;
        // The account's password counter too: someone trying codes finds the password step
        // slowed down as well.
        let keys = [ip_key(ip), account_key(account), second_step_key(account)];
        if passed {
            self.clear(&keys).await;
        } else {
            self.count(&keys).await;
        }
        Ok(Ok(passed))
    }

    async fn count(&self, keys: &[String]) {
        let now = unix_ms();
        let forget = now - FORGET_AFTER.as_millis() as i64;
        for key in keys {
            if let Err(e) = counters::bump(&self.db, key, now, forget).await {
                tracing::warn!(error = %e, "login throttle: cannot count a failure");
            }
        }
        if let Err(e) = counters::prune(&self.db, forget).await {
            tracing::warn!(error = %e, "login throttle: cannot prune the counters");
        }
    }

    async fn clear(&self, keys: &[String]) {
        for key in keys {
            if let Err(e) = counters::clear(&self.db, key).await {
                tracing::warn!(error = %e, "login throttle: cannot clear a counter");
            }
        }
    }

    /// A right password: its counters start again (not the second step's).
    pub async fn success(&self, ip: IpAddr, account: &str) {
        self.clear(&[ip_key(ip), account_key(account)]).await;
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

    #[tokio::test]
    async fn second_step_tries_sent_at_once_are_each_counted_and_a_right_password_does_not_clear_them() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        let t = Arc::new(LoginThrottle::new(3, Duration::from_secs(900), db));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let tries: Vec<_> = (0..20).map(|_| {
            let t = t.clone();
            // Each try takes a while (a code checked against the database, a key's signature).
            tokio::spawn(async move { t.second_step(ip, "a@x", || async { tokio::time::sleep(Duration::from_millis(20)).await; Ok::<_, ()>(false) }).await })
        }).collect();
        let mut tried = 0;
        for h in tries {
            if h.await.unwrap().unwrap().is_ok() {
                tried += 1;
            }
        }
        // Three free tries, then a second's wait after each failure: unless the machine
        // stalls for seconds, no more than the free ones are checked (without turns, all 20).
        assert!((3..10).contains(&tried), "{tried} tries were checked");
        // Many more failures (a minute's wait), then the password again, right, from
        // elsewhere: the second step still waits.
        for _ in 0..6 {
            t.count(&[second_step_key("a@x")]).await;
        }
        let other: IpAddr = "192.0.2.9".parse().unwrap();
        t.success(other, "a@x").await;
        assert!(t.second_step(other, "a@x", || async { Ok::<_, ()>(true) }).await.unwrap().is_err());
    }
}
