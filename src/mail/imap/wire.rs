//! The IMAP wire: running one command under a timeout, draining its replies, and the small
//! syntax helpers (quoted strings, UID sets, flags, STATUS counts).

use std::future::Future;
use std::time::{Duration, Instant};

use async_imap::error::Error as ImapError;
use async_imap::imap_proto::rfc4315::UidSetMember;
use async_imap::types::{Flag, StatusAttribute};
use futures_util::{Stream, TryStreamExt};

use crate::mail::MailError;

/// Runs one IMAP command (or one step of one) bounded by `limit`, and records its latency and
/// outcome in the metrics. Every command Facteur sends to an IMAP server goes through here.
pub(super) async fn timed<T, E: Into<MailError>>(limit: Duration, f: impl Future<Output = Result<T, E>>) -> Result<T, MailError> {
    let started = Instant::now();
    let r = match tokio::time::timeout(limit, f).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(MailError::Timeout),
    };
    crate::metrics::imap_command(started.elapsed(), r.is_ok());
    r
}

/// Sends a command whose replies come as a stream (FETCH, STORE, EXPUNGE, LIST) and drains
/// them all, so that the next command starts on a clean connection.
pub(super) async fn all<T, S>(sent: impl Future<Output = Result<S, ImapError>>) -> Result<Vec<T>, ImapError>
where
    S: Stream<Item = Result<T, ImapError>>,
{
    sent.await?.try_collect().await
}

/// A compact UID set: `1:3,7,9:10`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut v: Vec<u32> = uids.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// The UIDs of a UIDPLUS set (`APPENDUID`, `COPYUID`), at most 100 000 per range.
pub(super) fn expand_uid_set(set: &[UidSetMember]) -> Vec<u32> {
    let mut out = Vec::new();
    for m in set {
        match m {
            UidSetMember::Uid(u) => out.push(*u),
            UidSetMember::UidRange(r) => out.extend(r.clone().take(100_000)),
        }
    }
    out
}

/// (\Seen, \Flagged, \Answered).
pub(super) fn flag_bits<'a>(flags: impl Iterator<Item = Flag<'a>>) -> (bool, bool, bool) {
    let (mut seen, mut flagged, mut answered) = (false, false, false);
    for f in flags {
        match f {
            Flag::Seen => seen = true,
            Flag::Flagged => flagged = true,
            Flag::Answered => answered = true,
            _ => {}
        }
    }
    (seen, flagged, answered)
}

/// The keywords among `flags` that are labels: Thunderbird's `$label1` to `$label5` and
/// keywords of the user's own; not the `$` keywords of the system and other apps (`$Junk`,
/// `$Forwarded`, `$MDNSent`…) nor Thunderbird's spam verdicts (`Junk`, `NonJunk`).
pub fn labels<'a>(flags: impl Iterator<Item = Flag<'a>>) -> Vec<String> {
    let mut out: Vec<String> = flags
        .filter_map(|f| match f {
            Flag::Custom(k) => Some(k.to_string()),
            _ => None,
        })
        .filter(|k| {
            let lower = k.to_ascii_lowercase();
            let own = !k.starts_with('$') && !matches!(lower.as_str(), "junk" | "nonjunk" | "notjunk");
            own || matches!(lower.as_str(), "$label1" | "$label2" | "$label3" | "$label4" | "$label5")
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// (UNSEEN, MESSAGES) of a STATUS reply.
pub(super) fn status_counts(attrs: &[StatusAttribute]) -> (u32, u32) {
    let (mut unseen, mut messages) = (0, 0);
    for a in attrs {
        match a {
            StatusAttribute::Unseen(n) => unseen = *n,
            StatusAttribute::Messages(n) => messages = *n,
            _ => {}
        }
    }
    (unseen, messages)
}

/// A mailbox name as the server meant it. imap-proto hands quoted strings over with their
/// escapes (`\"`, `\\`) still in; a name with a quote or a backslash would otherwise be wrong
/// in every later command.
pub fn unescape_quoted(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An IMAP quoted string, or `None` when `s` cannot be one (CR, LF, NUL or non-ASCII: those
/// need a literal).
pub fn quote(s: &str) -> Option<String> {
    if s.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0 || b >= 0x80) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 7, 8, 3]), "1:3,5,7:9");
        assert_eq!(uid_set(&[42]), "42");
    }
}
