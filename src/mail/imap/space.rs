//! The mailbox's size limit: `GETQUOTAROOT` (RFC 9208), read on the raw stream (async-imap
//! drops the connection on replies it cannot parse, such as Courier-IMAP's `* QUOTA "ROOT"`
//! with no list, and takes a refused command for a success).

use std::collections::HashMap;

use super::conn::ImapConn;
use super::raw::{Status, Token};
use super::types::Quota;
use crate::mail::{MailError, utf7};

impl ImapConn {
    /// The storage quota of the Inbox's quota roots (the fullest when there are several);
    /// `None` where the server has no QUOTA, sets no storage limit, or refuses the command.
    pub(super) async fn quota(&mut self) -> Result<Option<Quota>, MailError> {
        if !self.has_capability("QUOTA") {
            return Ok(None);
        }
        let (replies, status) = self.raw("GETQUOTAROOT INBOX").await?;
        if status != Status::Ok {
            tracing::debug!(?status, "the mail server did not give the quota");
            return Ok(None);
        }
        Ok(storage_quota(&replies))
    }

    /// Each folder's size in bytes (UTF-8 names), in one `LIST … RETURN (STATUS (SIZE))`
    /// where the server has STATUS=SIZE (RFC 8438) and LIST-STATUS; empty elsewhere.
    pub async fn folder_sizes(&mut self) -> Result<HashMap<String, u64>, MailError> {
        if !self.has_capability("STATUS=SIZE") || !self.has_capability("LIST-STATUS") {
            return Ok(HashMap::new());
        }
        let (replies, status) = self.raw("LIST \"\" \"*\" RETURN (STATUS (SIZE))").await?;
        if status != Status::Ok {
            return Ok(HashMap::new());
        }
        Ok(replies
            .iter()
            .filter(|r| r.first().is_some_and(|t| t.is("STATUS")))
            .filter_map(|r| {
                let name = match r.get(1)? {
                    Token::Str(b) => String::from_utf8_lossy(b).into_owned(),
                    t => t.text()?.into_owned(),
                };
                let list: Vec<&Token> = r.iter().skip_while(|t| **t != Token::Open).skip(1).take_while(|t| **t != Token::Close).collect();
                let size = list.chunks(2).find(|c| c.len() == 2 && c[0].is("SIZE"))?[1].text()?.parse().ok()?;
                Some((utf7::decode(&name).unwrap_or(name), size))
            })
            .collect())
    }
}

/// The fullest `STORAGE` limit among `QUOTA root (name used limit …)` replies, in bytes
/// (the protocol counts KiB).
fn storage_quota(replies: &[Vec<Token>]) -> Option<Quota> {
    let kib = |t: &Token| t.text().and_then(|s| s.parse::<u64>().ok()).map(|n| n.saturating_mul(1024));
    replies
        .iter()
        .filter(|r| r.first().is_some_and(|t| t.is("QUOTA")))
        .flat_map(|r| {
            let list: Vec<&Token> = r.iter().skip_while(|t| **t != Token::Open).skip(1).take_while(|t| **t != Token::Close).collect();
            list.chunks(3)
                .filter(|c| c.len() == 3 && c[0].is("STORAGE"))
                .filter_map(|c| Some(Quota { used: kib(c[1])?, limit: kib(c[2])? }))
                .filter(|q| q.limit > 0)
                .collect::<Vec<_>>()
        })
        .max_by_key(|q| q.percent())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::imap::raw::tokens;

    #[test]
    fn the_storage_limit_is_read_and_other_replies_are_not_an_error() {
        let dovecot = vec![tokens(b"QUOTAROOT INBOX \"User quota\""), tokens(b"QUOTA \"User quota\" (STORAGE 147 200)")];
        assert_eq!(storage_quota(&dovecot), Some(Quota { used: 147 * 1024, limit: 200 * 1024 }));
        // Several resources, several roots: the fullest storage limit.
        let many = vec![
            tokens(b"QUOTA \"a\" (MESSAGE 5 1000 STORAGE 10 1000)"),
            tokens(b"QUOTA \"b\" (STORAGE 900 1000)"),
            tokens(b"QUOTA \"c\" (STORAGE 6000000000 8000000000)"),
        ];
        assert_eq!(storage_quota(&many), Some(Quota { used: 900 * 1024, limit: 1000 * 1024 }));
        // Courier-IMAP's root with no list, a root with only a message count, no reply at all.
        assert_eq!(storage_quota(&[tokens(b"QUOTA \"ROOT\"")]), None);
        assert_eq!(storage_quota(&[tokens(b"QUOTA \"x\" (MESSAGE 3 10)")]), None);
        assert_eq!(storage_quota(&[]), None);
        assert_eq!(storage_quota(&[tokens(b"QUOTA \"x\" (STORAGE 3 0)")]), None, "no limit");
        assert_eq!(Quota { used: 990, limit: 1000 }.percent(), 99);
        assert_eq!(Quota { used: 1200, limit: 1000 }.percent(), 120);
    }
}
