//! A folder's message list.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::{PER_PAGE, page_param, folder_display, tab_title, take_flash};
use crate::mail::mime;
use crate::web::AppState;
use crate::web::auth::{self, CurrentUser};
use crate::web::error::AppError;
use crate::web::format::{self, TzOffset};
use crate::web::views::{self, Chrome, Row};

pub async fn mailbox(
    State(state): State<AppState>,
    user: CurrentUser,
    tz: TzOffset,
    Path(mailbox): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let page_no = page_param(&q);
    let select_all = q.get("select").is_some_and(|v| v == "all");
    let (folders, page) = state
        .registry
        .run(&user.key(), &user.creds, |c| {
            let mailbox = mailbox.clone();
            Box::pin(async move {
                let page = c.list_page(&mailbox, page_no, PER_PAGE).await?;
                let folders = c.folders().await?;
                Ok((folders, page))
            })
        })
        .await?;
    let i18n = user.i18n.clone();
    let now = auth::now_unix();
    let rows = page
        .items
        .iter()
        .map(|item| {
            let h = mime::list_headers(&item.headers);
            let from = h.from.as_ref().map(|p| p.display()).filter(|s| !s.is_empty());
            Row {
                uid: item.uid,
                checked: select_all,
                href: views::message_href(&mailbox, page.mailbox.uidvalidity, item.uid),
                from_title: h.from.as_ref().map(format::person_full).unwrap_or_default(),
                from: from.unwrap_or_else(|| i18n.t("list-unknown-sender")),
                subject: if h.subject.is_empty() { i18n.t("list-no-subject") } else { h.subject.clone() },
                date: format::list_date(h.date.or(item.internal_date), now, tz, &i18n),
                size: format::size(u64::from(item.size), &i18n),
                unread: !item.seen,
                flagged: item.flagged,
                answered: item.answered,
                attachment: h.has_attachment,
            }
        })
        .collect();
    let (heading, _) = folder_display(&folders, &mailbox, &i18n);
    let href = views::folder_href(&mailbox);
    let notice = take_flash(&user, &q).await;
    let view = views::MailboxPage {
        uidvalidity: page.mailbox.uidvalidity,
        page: page.page,
        select_all_href: format!("{href}?page={}&select=all", page.page),
        count: i18n.tn("list-count", "count", i64::from(page.mailbox.exists)),
        page_label: i18n.ta(
            "list-page",
            &[
                ("page", crate::i18n::FluentArg::Num(page.page.into())),
                ("pages", crate::i18n::FluentArg::Num(page.pages.into())),
            ],
        ),
        newer: (page.page > 1).then(|| format!("{href}?page={}", page.page - 1)),
        older: (page.page < page.pages).then(|| format!("{href}?page={}", page.page + 1)),
        rows,
        title: tab_title(&folders, &mailbox, &i18n),
        heading,
        chrome: Chrome::new(i18n, &user.auth, &folders, &mailbox, notice),
    };
    Ok(view.into_response())
}
