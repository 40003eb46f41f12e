//! Login throttling: after a few failures, each further attempt from the same address or for
//! the same account must wait, twice as long each time. The account's wait is capped low, so an
//! attacker can slow a victim's logins down but never lock them out; the address's wait is
//! capped higher. A success, or an hour without failures, forgets the count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const FORGET_AFTER: Duration = Duration::from_secs(3600);
const ACCOUNT_MAX_DELAY: Duration = Duration::from_secs(60);

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
}

pub struct LoginThrottle {
    free_attempts: u32,
    max_delay: Duration,
    by_ip: Mutex<HashMap<IpAddr, Entry>>,
    by_account: Mutex<HashMap<String, Entry>>,
}

impl LoginThrottle {
    pub fn new(free_attempts: u32, max_delay: Duration) -> Self {
        Self { free_attempts, max_delay, by_ip: Mutex::new(HashMap::new()), by_account: Mutex::new(HashMap::new()) }
    }

    fn delay(&self, e: &Entry, cap: Duration) -> Duration {
        if e.failures < self.free_attempts {
            return Duration::ZERO;
        }
        let exp = (e.failures - self.free_attempts).min(20);
        Duration::from_secs(1u64 << exp).min(cap)
    }

    fn wait_for<K: std::hash::Hash + Eq>(&self, map: &Mutex<HashMap<K, Entry>>, key: &K, cap: Duration, now: Instant) -> Duration {
        let map = map.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(e) if now.duration_since(e.last) < FORGET_AFTER => {
                self.delay(e, cap).saturating_sub(now.duration_since(e.last))
            }
            _ => Duration::ZERO,
        }
    }

    /// How long this attempt must wait; zero when it may go ahead.
    pub fn check(&self, ip: IpAddr, account: &str) -> Duration {
        let now = Instant::now();
        let a = self.wait_for(&self.by_ip, &ip, self.max_delay, now);
        let b = self.wait_for(&self.by_account, &account.to_string(), ACCOUNT_MAX_DELAY.min(self.max_delay), now);
        a.max(b)
    }

    pub fn failure(&self, ip: IpAddr, account: &str) {
        let now = Instant::now();
        for (map_ip, map_acc) in [(Some(&self.by_ip), None), (None, Some(&self.by_account))] {
            if let Some(m) = map_ip {
                let mut m = m.lock().unwrap_or_else(|p| p.into_inner());
                bump(m.entry(ip).or_insert(Entry { failures: 0, last: now }), now);
                prune(&mut m, now);
            }
            if let Some(m) = map_acc {
                let mut m = m.lock().unwrap_or_else(|p| p.into_inner());
                bump(m.entry(account.to_string()).or_insert(Entry { failures: 0, last: now }), now);
                prune(&mut m, now);
            }
        }
    }

    pub fn success(&self, ip: IpAddr, account: &str) {
        self.by_ip.lock().unwrap_or_else(|p| p.into_inner()).remove(&ip);
        self.by_account.lock().unwrap_or_else(|p| p.into_inner()).remove(account);
    }
}

fn bump(e: &mut Entry, now: Instant) {
    if now.duration_since(e.last) >= FORGET_AFTER {
        e.failures = 0;
    }
    e.failures = e.failures.saturating_add(1);
    e.last = now;
}

/// Keeps the maps from growing without bound under a spray of addresses or names.
fn prune<K: std::hash::Hash + Eq>(m: &mut HashMap<K, Entry>, now: Instant) {
    if m.len() > 100_000 {
        m.retain(|_, e| now.duration_since(e.last) < FORGET_AFTER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_per_address_and_is_capped_per_account() {
        let t = LoginThrottle::new(3, Duration::from_secs(900));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(t.check(ip, "a@x"), Duration::ZERO);
            t.failure(ip, "a@x");
        }
        let w = t.check(ip, "a@x");
        assert!(w > Duration::from_millis(900) && w <= Duration::from_secs(1), "{w:?}");
        for _ in 0..10 {
            t.failure(ip, "a@x");
        }
        let w = t.check(ip, "b@x");
        assert!(w > Duration::from_secs(500), "the address waits long: {w:?}");
        let w = t.check(other, "a@x");
        assert!(w <= ACCOUNT_MAX_DELAY && w > Duration::from_secs(50), "the account waits at most a minute: {w:?}");
        assert_eq!(t.check(other, "c@x"), Duration::ZERO);
        t.success(ip, "a@x");
        assert_eq!(t.check(ip, "a@x"), Duration::ZERO);
    }
}
