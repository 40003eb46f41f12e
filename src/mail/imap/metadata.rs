//! The server-level METADATA entry (RFC 5464) that turns on Dovecot's push notifications for a
//! user: its `push_notification` plugin (the `ox` driver) notifies only users who have it.

use super::conn::ImapConn;
use super::wire::quote;
use crate::mail::MailError;

/// The entry Dovecot's `ox` push driver reads.
const HTTP_NOTIFY: &str = "/private/vendor/vendor.dovecot/http-notify";

impl ImapConn {
    /// Sets the entry (`Some(user)`: notify for this user) or removes it (`None`). `false`
    /// where the server has no METADATA: it sends no notifications then.
    pub async fn set_push_notify(&mut self, user: Option<&str>) -> Result<bool, MailError> {
        if !self.has_capability("METADATA") {
            return Ok(false);
        }
        let value = match user {
            Some(u) => quote(&format!("user={u}")).ok_or_else(|| MailError::No("bad user name".into()))?,
            None => "NIL".to_string(),
        };
        self.tagged(format!("SETMETADATA \"\" ({HTTP_NOTIFY} {value})"), None).await?;
        Ok(true)
    }
}
