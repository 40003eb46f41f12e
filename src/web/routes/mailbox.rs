//! A folder's message list.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};

use super::page_param;
use crate::mail::imap::{ConversationPage, Filter, Order, Page, SortKey};
use crate::store::prefs;
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::format::UserZone;
use crate::web::notice;
use crate::web::views::mailbox::{ListView, Listing, MailboxPage};

/// GET /f/{mailbox}?page=N[&sort=date|arrival|from|subject|size][&order=asc|desc][&select=all]
///
/// An order given in the URL is remembered for the folder; without one, the folder's
/// remembered order (or newest first) is used.
pub async fn mailbox(cx: Ctx, tz: UserZone, Path(mailbox): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let page_no = page_param(&q);
    let key = cx.key();
    let stored = prefs::folder_order(cx.db(), &key, &mailbox).await?.and_then(|(k, d)| Some(Order { key: SortKey::parse(&k)?, descending: d }));
    let asked = order_param(&q);
    let order = asked.or(stored).unwrap_or_default();
    // A quick filter (unread, starred) lists matching messages newest first.
    let filter = q.get("filter").and_then(|f| Filter::parse(f));
    // By conversation where the user wants it (the default), in the default order only.
    let threaded = cx.user.auth.prefs.conversations && order == Order::default() && filter.is_none();
    let per_page = cx.user.auth.prefs.per_page;
    let (folders, page, can_sort) = {
        cx.imap(|c| {
            let mailbox = mailbox.clone();
            Box::pin(async move {
                if let Some(filter) = filter {
                    let (page, total) = c.filtered_page(&mailbox, filter, page_no, per_page).await?;
                    return Ok((c.folders().await?, Pages::Filtered(page, total), c.has_capability("SORT")));
                }
                let page = match threaded {
                    true => c.conversation_page(&mailbox, page_no, per_page).await?.map(Pages::Conversations),
                    false => None,
                };
                let page = match page {
                    Some(p) => p,
                    None => Pages::Messages(c.list_page(&mailbox, order, page_no, per_page).await?),
                };
                Ok((c.folders().await?, page, c.has_capability("SORT")))
            })
        })
        .await?
    };
    // Remembered once the folder was shown (an unknown folder's page is a 404 above).
    if let Some(asked) = asked
        && Some(asked) != stored
        && filter.is_none()
    {
        let keep = (asked != Order::default()).then_some((asked.key.key(), asked.descending));
        prefs::set_folder_order(cx.db(), &key, &mailbox, keep).await?;
    }
    let notice = notice::take(&cx.user, &q).await;
    let chrome = cx.frame(&folders, &mailbox, notice);
    // ?select=all checks the page's rows; ?select=folder, every message of the folder.
    let select_folder = q.get("select").is_some_and(|v| v == "folder");
    let select_all = select_folder || q.get("select").is_some_and(|v| v == "all");
    // Without SORT, the list is in arrival order whatever was asked.
    // A filtered list is newest first.
    let shown = if filter.is_some() || !(can_sort || order.key == SortKey::Arrival) { Order::default() } else { order };
    let listing = match &page {
        Pages::Messages(p) => Listing::Messages(p),
        Pages::Conversations(p) => Listing::Conversations(p),
        Pages::Filtered(p, total) => Listing::Filtered(p, *total),
    };
    Ok(MailboxPage::new(chrome, &folders, &mailbox, listing, ListView { order: shown, can_sort, select_all, select_folder, filter, per_page }, tz).into_response())
}

enum Pages {
    Messages(Page),
    Conversations(ConversationPage),
    /// A quick filter's page, and how many messages match.
    Filtered(Page, u32),
}

/// The order asked for by `?sort=` and `?order=`. A key alone takes its usual direction:
/// dates and sizes descending (newest, largest first), names ascending (A to Z).
fn order_param(q: &HashMap<String, String>) -> Option<Order> {
    let key = q.get("sort").and_then(|s| SortKey::parse(s));
    let descending = q.get("order").and_then(|o| match o.as_str() {
        "asc" => Some(false),
        "desc" => Some(true),
        _ => None,
    });
    match (key, descending) {
        (None, None) => None,
        (key, descending) => {
            let key = key.unwrap_or_default();
            Some(Order { key, descending: descending.unwrap_or(!matches!(key, SortKey::From | SortKey::Subject)) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_from_the_query() {
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>();
        assert_eq!(order_param(&q(&[])), None);
        assert_eq!(order_param(&q(&[("sort", "bogus")])), None);
        assert_eq!(order_param(&q(&[("sort", "from")])), Some(Order { key: SortKey::From, descending: false }));
        assert_eq!(order_param(&q(&[("sort", "size")])), Some(Order { key: SortKey::Size, descending: true }));
        assert_eq!(order_param(&q(&[("sort", "date"), ("order", "asc")])), Some(Order { key: SortKey::Date, descending: false }));
        assert_eq!(order_param(&q(&[("order", "asc")])), Some(Order { key: SortKey::Arrival, descending: false }));
    }
}
