//! Live updates: a `text/event-stream` per open tab, fed by the user's watcher.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::json;
use tokio::sync::broadcast;

use crate::i18n::I18n;
use crate::mail::imap::{MailEvent, Watcher};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::views;

static EVENT_IDS: AtomicU64 = AtomicU64::new(1);

struct Tab {
    rx: broadcast::Receiver<MailEvent>,
    _watcher: Arc<Watcher>,
    state: AppState,
    key: String,
    folder: String,
    i18n: I18n,
    resync: bool,
}

fn event(name: &str, data: serde_json::Value) -> Event {
    Event::default().event(name).id(EVENT_IDS.fetch_add(1, Ordering::Relaxed).to_string()).data(data.to_string())
}

impl Tab {
    fn render(&self, ev: MailEvent) -> Option<Event> {
        tracing::trace!(event = ?ev, "to a tab");
        Some(match ev {
            MailEvent::Changed { folder } => {
                self.state.registry.mark_folders_stale(&self.key);
                event("changed", json!({ "folder": folder }))
            }
            MailEvent::Counts { folders } => {
                self.state.registry.mark_folders_stale(&self.key);
                let list: Vec<_> = folders
                    .iter()
                    .filter(|f| f.selectable)
                    .map(|f| {
                        json!({
                            "href": views::folder_href(&f.name),
                            "unread": f.unread,
                            "label": self.i18n.tn("folder-unread", "count", i64::from(f.unread)),
                        })
                    })
                    .collect();
                // The tab's own folder: its title and icon show that count.
                let unread = folders.iter().find(|f| f.name == self.folder).map(|f| f.unread).unwrap_or(0);
                event("counts", json!({ "folders": list, "unread": unread }))
            }
            MailEvent::FoldersChanged | MailEvent::Resync => {
                self.state.registry.mark_folders_stale(&self.key);
                event("resync", json!({}))
            }
            MailEvent::Gone => event("gone", json!({})),
        })
    }
}

pub async fn events(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let folder = q.get("folder").cloned().filter(|f| !f.is_empty()).unwrap_or_else(|| "INBOX".to_string());
    let key = user.key();
    let (watcher, rx) = state.watchers.subscribe(&key, &user.creds, &folder);
    // A reconnecting tab may have missed events: it refreshes at once.
    let resync = headers.contains_key("last-event-id");
    let mut stopping = state.stopping.clone();
    let tab = Tab { rx, _watcher: watcher, state, key, folder, i18n: user.i18n.clone(), resync };
    let stream = futures_util::stream::unfold(tab, |mut tab| async move {
        if tab.resync {
            tab.resync = false;
            return Some((Ok(event("resync", json!({}))), tab));
        }
        loop {
            match tab.rx.recv().await {
                Ok(ev) => {
                    if let Some(e) = tab.render(ev) {
                        return Some((Ok(e), tab));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => return Some((Ok(event("resync", json!({}))), tab)),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    // The server is stopping: the stream ends (the tab reconnects to another instance, or to
    // this one once it is back), so that graceful shutdown does not wait for it.
    let stream = futures_util::StreamExt::take_until(stream, async move {
        let _ = stopping.wait_for(|s| *s).await;
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
}
