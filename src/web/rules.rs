//! The user's rules on the mail server (see [`crate::mail::rules`]): reading and writing them
//! over ManageSieve, and what every page needs to know of them (whether the vacation reply
//! is on), kept per user for a few minutes so that pages do not ask the server each time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::mail::rules::{self, Read, Rules};
use crate::mail::sieve::{self, SieveConn};
use crate::mail::{Credentials, MailError};

/// How long what is known of a user's vacation reply is believed.
const FRESH: Duration = Duration::from_secs(300);

/// The vacation reply as the banner shows it: on, until this day (if it says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VacationOn {
    pub until: Option<String>,
}

/// Per user: (when it was read, the vacation reply if it is on).
#[derive(Default)]
pub struct Vacations {
    map: Mutex<HashMap<String, (Instant, Option<VacationOn>)>>,
}

impl Vacations {
    /// What is known for `key`, and whether it should be read again.
    pub fn get(&self, key: &str) -> (Option<VacationOn>, bool) {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some((at, v)) => (v.clone(), at.elapsed() > FRESH),
            None => (None, true),
        }
    }

    pub fn set(&self, key: &str, rules: Option<&Rules>) {
        self.set_known(key, rules.and_then(vacation_on));
    }

    pub fn set_known(&self, key: &str, on: Option<VacationOn>) {
        self.keep(key, on, None);
    }

    /// Keeps `on` for `key`, unless `unless_newer_than` is given and what is known was set
    /// after it.
    fn keep(&self, key: &str, on: Option<VacationOn>, unless_newer_than: Option<Instant>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(since), Some((at, _))) = (unless_newer_than, map.get(key))
            && *at > since
        {
            return;
        }
        if map.len() > 100_000 {
            map.clear();
        }
        map.insert(key.to_string(), (Instant::now(), on));
    }

    /// Reads the user's rules again (a ManageSieve session of its own); nothing is known
    /// when the server has no ManageSieve.
    pub async fn refresh(&self, key: &str, registry: &crate::mail::imap::registry::Registry, creds: &Credentials) {
        let started = Instant::now();
        let read = async {
            let mut conn = connect(registry, creds).await?;
            let found = load(&mut conn).await;
            conn.logout().await;
            found
        };
        match read.await {
            Ok(loaded) => self.keep_read(key, loaded.ours.as_ref().and_then(|r| vacation_on(&r.rules)), started),
            Err(e) => {
                tracing::debug!(error = %e, "the rules could not be read");
                self.keep_read(key, None, started);
            }
        }
    }

    /// What a read begun at `started` found, unless the rules were saved meanwhile: what the
    /// save set is then newer than what the read may have seen.
    fn keep_read(&self, key: &str, on: Option<VacationOn>, started: Instant) {
        self.keep(key, on, Some(started));
    }
}

/// The vacation reply, if it is on today or later.
fn vacation_on(rules: &Rules) -> Option<VacationOn> {
    let v = &rules.vacation;
    if !v.enabled {
        return None;
    }
    let today = time::OffsetDateTime::now_utc().date().to_string();
    if v.end.as_deref().is_some_and(|e| e < today.as_str()) {
        return None;
    }
    Some(VacationOn { until: v.end.clone() })
}

/// A ManageSieve session for the user.
pub async fn connect(registry: &crate::mail::imap::registry::Registry, creds: &Credentials) -> Result<SieveConn, MailError> {
    sieve::open(&creds.servers.sieve(), registry.tls(), creds, registry.connect_timeout()).await
}

/// What the server holds of the user's rules.
pub struct Loaded {
    pub scripts: Vec<(String, bool)>,
    /// Facteur's own script, read back.
    pub ours: Option<Read>,
    /// The active script when it is not Facteur's: its name and text.
    pub other_active: Option<(String, String)>,
}

impl Loaded {
    pub fn rules(&self) -> Rules {
        self.ours.as_ref().map(|r| r.rules.clone()).unwrap_or_default()
    }

    pub fn active_is_ours(&self) -> bool {
        self.scripts.iter().any(|(n, active)| n == rules::SCRIPT && *active)
    }
}

pub async fn load(conn: &mut SieveConn) -> Result<Loaded, MailError> {
    let scripts = conn.list().await?;
    let ours = if scripts.iter().any(|(n, _)| n == rules::SCRIPT) { rules::read(&conn.get(rules::SCRIPT).await?) } else { None };
    let other = scripts.iter().find(|(n, active)| *active && n != rules::SCRIPT).map(|(n, _)| n.clone());
    let other_active = match other {
        Some(name) => Some((name.clone(), conn.get(&name).await?)),
        None => None,
    };
    Ok(Loaded { scripts, ours, other_active })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_begun_before_a_save_does_not_undo_it() {
        let v = Vacations::default();
        let on = Some(VacationOn { until: Some("2027-01-04".into()) });
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        v.set_known("alice", on.clone());
        v.keep_read("alice", None, started);
        assert_eq!(v.get("alice").0, on, "the save stays");
        v.keep_read("alice", None, Instant::now());
        assert_eq!(v.get("alice").0, None, "a read begun after it is kept");
    }
}
