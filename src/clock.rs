//! The one clock of Facteur: wall-clock time for what is stored or compared across instances
//! (sessions, throttling, expiry, database rows), and a monotonic clock for idle times within
//! this process.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn since_epoch() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Now, in Unix seconds (0 if the system clock is before 1970).
pub fn unix_secs() -> i64 {
    i64::try_from(since_epoch().as_secs()).unwrap_or(i64::MAX)
}

/// Now, in Unix milliseconds (0 if the system clock is before 1970).
pub fn unix_ms() -> i64 {
    i64::try_from(since_epoch().as_millis()).unwrap_or(i64::MAX)
}

/// Milliseconds since this process first asked, on a clock that never goes back.
pub fn monotonic_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    u64::try_from(START.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// `d` spread at random over [d/2, 3d/2): waits that many clients start at the same moment
/// (a mail server that restarts drops every connection at once) do not end together.
pub fn jittered(d: Duration) -> Duration {
    let mut b = [0u8; 4];
    let unit = match getrandom::getrandom(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        // No system randomness: the clock's low bits spread well enough for this.
        Err(_) => f64::from(since_epoch().subsec_nanos() % 1000) / 1000.0,
    };
    d.mul_f64(0.5 + unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jittered_waits_spread_around_the_given_one() {
        let d = Duration::from_millis(1000);
        let waits: Vec<Duration> = (0..200).map(|_| jittered(d)).collect();
        assert!(waits.iter().all(|w| *w >= d / 2 && *w < d * 3 / 2), "{waits:?}");
        let distinct: std::collections::BTreeSet<Duration> = waits.iter().copied().collect();
        assert!(distinct.len() > 150, "not spread: {} distinct waits of 200", distinct.len());
        assert!(waits.iter().any(|w| *w < d) && waits.iter().any(|w| *w > d));
    }

    #[test]
    fn the_clocks_agree_and_move_forward() {
        let (s, ms) = (unix_secs(), unix_ms());
        assert!(s > 1_700_000_000);
        assert!((ms / 1000 - s).abs() <= 1);
        let a = monotonic_ms();
        std::thread::sleep(Duration::from_millis(5));
        assert!(monotonic_ms() >= a + 5);
    }
}
