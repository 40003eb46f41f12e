//! A folder's message list.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};

use super::{PER_PAGE, page_param};
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::format::TzOffset;
use crate::web::notice;
use crate::web::views::mailbox::MailboxPage;

/// GET /f/{mailbox}?page=N[&select=all]
pub async fn mailbox(cx: Ctx, tz: TzOffset, Path(mailbox): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let page_no = page_param(&q);
    let (folders, page) = {
        cx.imap(|c| {
            let mailbox = mailbox.clone();
            Box::pin(async move {
                let page = c.list_page(&mailbox, page_no, PER_PAGE).await?;
                Ok((c.folders().await?, page))
            })
        })
        .await?
    };
    let notice = notice::take(&cx.user, &q).await;
    let chrome = cx.frame(&folders, &mailbox, notice);
    let select_all = q.get("select").is_some_and(|v| v == "all");
    Ok(MailboxPage::new(chrome, &folders, &mailbox, &page, select_all, tz).into_response())
}
