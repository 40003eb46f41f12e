//! IMAP: connecting, one long-lived connection per logged-in user, and the operations pages need.

pub mod conn;
pub mod connect;
pub mod registry;
pub mod watch;

pub use conn::{Folder, ImapConn, ListItem, MailboxState, Moved, Page, RawMessage, Role};
pub use connect::{TlsSetup, probe};
pub use registry::Registry;
pub use watch::{MailEvent, Watcher, Watchers};
