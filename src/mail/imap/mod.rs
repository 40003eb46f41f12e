//! IMAP: connecting, one long-lived connection per logged-in user, and the operations pages need.
//!
//! - [`connect`]: opening an authenticated session (TLS, STARTTLS, LOGIN).
//! - [`conn`]: one user's connection, its caches, and the one way commands run on it.
//! - [`folders`]: the folder list with counts, roles and their order.
//! - [`manage`]: creating, renaming, deleting and subscribing to the user's folders.
//! - [`messages`]: list pages, whole messages, flags, moves, deletion, APPEND.
//! - [`metadata`]: the METADATA entry that turns on the mail server's push notifications.
//! - [`namespace`]: where the user's own folders live (NAMESPACE).
//! - [`snooze`]: messages put away in Snoozed until a time, and brought back.
//! - [`space`]: the mailbox's size limit (QUOTA).
//! - [`raw`]: commands whose replies async-imap cannot read (ESEARCH, THREAD, PREVIEW).
//! - [`wire`]: a timed command, drained replies, quoting and UID sets.
//! - [`types`]: what the rest of Facteur receives (folders, pages, messages).
//! - [`registry`]: every user's connection, one at a time per user.
//! - [`threads`]: a folder's list by conversation (THREAD).
//! - [`transfer`]: whole messages out in batches, and in by (MULTI)APPEND.
//! - [`watch`]: the second connection per user that IDLEs for live updates.

pub mod conn;
pub mod connect;
pub mod folders;
pub mod manage;
pub mod messages;
pub mod metadata;
pub mod namespace;
pub mod raw;
pub mod registry;
pub mod snooze;
pub mod space;
pub mod threads;
pub mod transfer;
pub mod types;
pub mod watch;
pub mod wire;

pub use conn::ImapConn;
pub use connect::{TlsSetup, probe};
pub use registry::Registry;
pub use threads::{Conversation, ConversationPage};
pub use types::{Filter, Folder, ListItem, Quota, MailboxState, Order, Page, RawMessage, Role, SortKey};
pub use watch::{MailEvent, Watcher, Watchers};
