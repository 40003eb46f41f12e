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

#[cfg(test)]
mod tests {
    use super::*;

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
