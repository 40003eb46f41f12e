//! Rules that the mail server runs at delivery (ManageSieve): filters, the vacation reply,
//! forwarding, the spam rule, and the raw script checked by the server. Every change is one
//! script written whole (the server checks it and keeps the old one when it refuses), then
//! made active.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::mail::MailError;
use crate::mail::imap::Role;
use crate::mail::rules::{self, Context, RuleError, Rules};
use crate::mail::sieve::SieveConn;
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::forms::filters::{FilterForm, FilterOpForm, FormError, ForwardForm, ScriptForm, VacationForm};
use crate::web::notice;
use crate::web::rules::{Loaded, connect, load};
use crate::web::views::filters::{ApplyPage, FiltersPage, ScriptPage, VacationPage};

pub const FILTERS_PAGE: &str = "/settings/filters";

/// Headers a spam filter marks messages with (SpamAssassin, Rspamd's milter and most
/// others write one of these).
const SPAM_HEADERS: &[(&str, &str)] = &[("X-Spam-Flag", "YES"), ("X-Spam-Status", "Yes"), ("X-Spam", "Yes")];

/// The user's ManageSieve session and what it holds; `Err` with the page saying why there is
/// none (no ManageSieve on the server, or it is down).
async fn open(cx: &Ctx) -> Result<(SieveConn, Loaded), MailError> {
    let mut conn = connect(&cx.state.registry, &cx.user.creds).await?;
    let loaded = load(&mut conn).await?;
    Ok((conn, loaded))
}

/// [`open`], or the page at `back` saying why the rules cannot be reached.
async fn open_or_tell(cx: &Ctx, back: &str) -> Result<Result<(SieveConn, Loaded), Response>, AppError> {
    match open(cx).await {
        Ok(x) => Ok(Ok(x)),
        Err(e) => Ok(Err(notice::redirect(&cx.user, unavailable(cx, &e), back).await?)),
    }
}

/// [`open_or_tell`] for a change: a script of Facteur's changed by hand is refused here
/// (nothing is replaced without the user's say, which the Filters page asks for).
async fn open_to_change(cx: &Ctx, back: &str) -> Result<Result<(SieveConn, Loaded), Response>, AppError> {
    let (conn, loaded) = match open_or_tell(cx, back).await? {
        Ok(x) => x,
        Err(page) => return Ok(Err(page)),
    };
    if loaded.ours.as_ref().is_some_and(|r| r.edited) {
        conn.logout().await;
        return Ok(Err(notice::redirect(&cx.user, cx.i18n().t("filters-edited-refused"), FILTERS_PAGE).await?));
    }
    Ok(Ok((conn, loaded)))
}

/// Stores `rules`, hangs up, and goes back to the Filters page saying how it went.
async fn store_and_tell(cx: &Ctx, mut conn: SieveConn, loaded: &Loaded, rules: Rules) -> Result<Response, AppError> {
    let stored = store(cx, &mut conn, loaded, rules).await;
    conn.logout().await;
    let text = match stored? {
        Ok(()) => cx.i18n().t("filters-saved"),
        Err(reason) => reason,
    };
    notice::redirect(&cx.user, text, FILTERS_PAGE).await
}

/// Why the rules cannot be shown, in a sentence.
fn unavailable(cx: &Ctx, e: &MailError) -> String {
    tracing::info!(error = %e, "ManageSieve unavailable");
    match e {
        MailError::Auth => cx.i18n().t("filters-unavailable-auth"),
        _ => cx.i18n().t("filters-unavailable"),
    }
}

/// A sentence for a rule that cannot be written.
fn rule_error(cx: &Ctx, e: &RuleError) -> String {
    let i = cx.i18n();
    match e {
        RuleError::HeaderName => i.t("filters-error-header"),
        RuleError::Size => i.t("filters-error-size"),
        RuleError::Empty => i.t("filters-error-empty"),
        RuleError::LineBreak => i.t("filters-error-line-break"),
        RuleError::Address => i.t("filters-error-address"),
        RuleError::Date => i.t("filters-error-date"),
        RuleError::Missing(ext) => i.t1("filters-error-extension", "extension", ext.to_string()),
    }
}

fn form_error(cx: &Ctx, e: &FormError) -> String {
    let i = cx.i18n();
    match e {
        FormError::NoCondition => i.t("filters-error-no-condition"),
        FormError::NoAction => i.t("filters-error-no-action"),
        FormError::Target(a) if a == "forward" => i.t("filters-error-address"),
        FormError::Target(_) => i.t("filters-error-folder"),
        FormError::Field(_) | FormError::Op(_) | FormError::Action(_) => i.t("filters-error-form"),
    }
}

/// Writes `rules` as Facteur's script and makes it the active one. A script another app
/// made active keeps running: Facteur's includes it (it is never overwritten or silently
/// turned off). `Ok(Err(sentence))` when the rules cannot be written or the server refuses
/// them; nothing changed on the server then.
async fn store(cx: &Ctx, conn: &mut SieveConn, loaded: &Loaded, mut rules: Rules) -> Result<Result<(), String>, AppError> {
    if let Some((other, _)) = &loaded.other_active
        && rules.include.is_none()
    {
        rules.include = Some(other.clone());
    }
    let folders = cx.folders().await?;
    let junk = folders.iter().find(|f| f.role == Some(Role::Junk)).map(|f| f.name.clone()).unwrap_or_else(|| "Junk".to_string());
    let mut addresses: Vec<String> = crate::store::compose::identities(cx.db(), &cx.key()).await?.into_iter().map(|i| i.email).collect();
    if !addresses.contains(&cx.user.auth.username) && cx.user.auth.username.contains('@') {
        addresses.push(cx.user.auth.username.clone());
    }
    let mut spam_headers: Vec<(&str, &str)> = SPAM_HEADERS.to_vec();
    match cx.state.config.spam_header.split_once(':').map(|(n, v)| (n.trim(), v.trim())) {
        Some((name, value)) if rules::valid_header_name(name) && !value.is_empty() && !value.contains(['\r', '\n']) => spam_headers.push((name, value)),
        _ if cx.state.config.spam_header.trim().is_empty() => {}
        _ => tracing::warn!(value = %cx.state.config.spam_header, "sieve.spam_header is not \"Name: value\"; left out"),
    }
    let context = Context { extensions: &conn.capabilities.sieve, junk: &junk, addresses: &addresses, spam_headers: &spam_headers };
    let script = match rules::script(&rules, &context) {
        Ok(s) => s,
        Err(e) => return Ok(Err(rule_error(cx, &e))),
    };
    match conn.put(rules::SCRIPT, &script).await {
        Ok(()) => {}
        Err(MailError::No(reason)) => return Ok(Err(cx.i18n().t1("filters-refused", "reason", crate::mail::plain_reason(&reason).to_string()))),
        Err(e) => return Err(e.into()),
    }
    if !loaded.active_is_ours() {
        conn.set_active(rules::SCRIPT).await?;
    }
    cx.state.vacations.set(&cx.key(), Some(&rules));
    Ok(Ok(()))
}

/// GET /settings/filters[?edit=N]
pub async fn filters_page(cx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let notice = notice::take(&cx.user, &q).await;
    let folders = cx.folders().await?;
    let chrome = cx.frame(&folders, "", notice);
    let (conn, loaded) = match open(&cx).await {
        Ok(x) => x,
        Err(e) => return Ok(FiltersPage::unavailable(chrome, unavailable(&cx, &e)).into_response()),
    };
    conn.logout().await;
    let rules = loaded.rules();
    let mut form = FilterForm { enabled: true, ..Default::default() };
    if let Some(i) = q.get("edit").and_then(|e| e.parse::<usize>().ok()).filter(|i| *i < rules.filters.len()) {
        form = FiltersPage::form_of(&rules.filters[i], i);
    } else if let Some(list) = q.get("list").filter(|l| !l.is_empty()) {
        // "Filter messages like this" from a message of a mailing list…
        form.conditions.push(("header:List-Id".into(), "contains".into(), list.clone()));
    } else if let Some(from) = q.get("from").filter(|f| !f.is_empty()) {
        // …or from its sender.
        form.conditions.push(("from".into(), "contains".into(), from.clone()));
    }
    Ok(FiltersPage::new(chrome, &folders, &loaded, form, None).into_response())
}

/// Loads, changes with `change`, writes back, and answers with the Filters page and a notice
/// (or the form again with the reason it was refused).
async fn change_rules(cx: Ctx, form: Option<FilterForm>, done: &str, change: impl FnOnce(&mut Rules) -> bool) -> Result<Response, AppError> {
    let (mut conn, loaded) = match open_to_change(&cx, FILTERS_PAGE).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let mut rules = loaded.rules();
    if !change(&mut rules) {
        conn.logout().await;
        return notice::redirect(&cx.user, cx.i18n().t("notice-stale"), FILTERS_PAGE).await;
    }
    let stored = store(&cx, &mut conn, &loaded, rules).await;
    conn.logout().await;
    match stored? {
        Ok(()) => notice::redirect(&cx.user, cx.i18n().t(done), FILTERS_PAGE).await,
        Err(reason) => match form {
            Some(form) => {
                let folders = cx.folders().await?;
                let chrome = cx.frame(&folders, "", None);
                Ok((StatusCode::BAD_REQUEST, FiltersPage::new(chrome, &folders, &loaded, form, Some(reason))).into_response())
            }
            None => notice::redirect(&cx.user, reason, FILTERS_PAGE).await,
        },
    }
}

/// POST /settings/filters (`name`, `field`, `op`, `value`, `action`, `target`, `csrf`; the
/// condition and action fields may repeat; `match=any`, `keep`, `stop`, `index` to replace
/// a filter): one filter added or changed.
pub async fn save_filter(cx: Ctx, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, AppError> {
    let form = FilterForm::from_pairs(pairs);
    cx.check_csrf(&form.csrf)?;
    let filter = match form.filter() {
        Ok(f) => f,
        Err(e) => {
            let reason = form_error(&cx, &e);
            let folders = cx.folders().await?;
            let chrome = cx.frame(&folders, "", None);
            let loaded = match open(&cx).await {
                Ok((conn, loaded)) => {
                    conn.logout().await;
                    loaded
                }
                Err(e) => return Ok(FiltersPage::unavailable(chrome, unavailable(&cx, &e)).into_response()),
            };
            return Ok((StatusCode::BAD_REQUEST, FiltersPage::new(chrome, &folders, &loaded, form, Some(reason))).into_response());
        }
    };
    let index = form.index;
    change_rules(cx, Some(form), "filters-saved", move |rules| match index {
        Some(i) if i < rules.filters.len() => {
            rules.filters[i] = filter;
            true
        }
        Some(_) => false,
        None => {
            rules.filters.push(filter);
            true
        }
    })
    .await
}

/// POST /settings/filters/{n}/delete
pub async fn delete_filter(cx: Ctx, Path(n): Path<usize>, Form(form): Form<FilterOpForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    change_rules(cx, None, "filters-deleted", |rules| n < rules.filters.len() && {
        rules.filters.remove(n);
        true
    })
    .await
}

/// POST /settings/filters/{n}/move (`dir=up|down`)
pub async fn move_filter(cx: Ctx, Path(n): Path<usize>, Form(form): Form<FilterOpForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let up = form.dir == "up";
    change_rules(cx, None, "filters-saved", move |rules| {
        let other = if up { n.checked_sub(1) } else { Some(n + 1) };
        match other {
            Some(o) if o < rules.filters.len() && n < rules.filters.len() => {
                rules.filters.swap(n, o);
                true
            }
            _ => false,
        }
    })
    .await
}

/// POST /settings/filters/{n}/enable (`enabled=0|1`)
pub async fn enable_filter(cx: Ctx, Path(n): Path<usize>, Form(form): Form<FilterOpForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let on = form.enabled == "1";
    change_rules(cx, None, "filters-saved", move |rules| match rules.filters.get_mut(n) {
        Some(f) => {
            f.enabled = on;
            true
        }
        None => false,
    })
    .await
}

/// POST /settings/filters/spam (`enabled=0|1`): the rule that files marked spam in Junk.
pub async fn spam_rule(cx: Ctx, Form(form): Form<FilterOpForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let on = form.enabled == "1";
    change_rules(cx, None, "filters-saved", move |rules| {
        rules.spam = on;
        true
    })
    .await
}

/// GET /settings/filters/block?from=…: asks before blocking a sender (the message page's
/// "Block sender").
pub async fn block_page(cx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let from = q.get("from").map(|f| f.trim().to_string()).unwrap_or_default();
    if !rules::valid_address(&from) {
        return Err(AppError::not_found());
    }
    let chrome = cx.chrome("", None).await?;
    let i18n = &chrome.i18n;
    let page = crate::web::views::space::AskPage {
        title: i18n.t1("filters-block-title", "address", from.clone()),
        question: i18n.t1("filters-block-question", "address", from.clone()),
        action: format!("/settings/filters/block?from={}", crate::web::views::seg(&from)),
        button: i18n.t("filters-block"),
        back: "/".to_string(),
        chrome,
    };
    Ok(page.into_response())
}

/// POST /settings/filters/block (`from`, in the form or the address): the sender's mail goes
/// to Junk from now on.
pub async fn block_sender(cx: Ctx, Query(q): Query<HashMap<String, String>>, Form(form): Form<FilterOpForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let from = if form.from.is_empty() { q.get("from").cloned().unwrap_or_default() } else { form.from.clone() };
    let from = from.trim().to_string();
    if !rules::valid_address(&from) {
        return notice::redirect(&cx.user, cx.i18n().t("filters-error-address"), FILTERS_PAGE).await;
    }
    let junk = cx.folders().await?.iter().find(|f| f.role == Some(Role::Junk)).map(|f| f.name.clone()).unwrap_or_else(|| "Junk".to_string());
    let name = cx.i18n().t1("filters-blocked-name", "address", from.clone());
    change_rules(cx, None, "filters-blocked", move |rules| {
        rules.filters.insert(
            0,
            rules::Filter {
                name,
                enabled: true,
                all: true,
                conditions: vec![rules::Condition { field: rules::Field::From, op: rules::Op::Contains, value: from }],
                actions: vec![rules::Action::Move(junk)],
                stop: true,
            },
        );
        true
    })
    .await
}

/// POST /settings/filters/include (`enabled=0|1`): whether the script another app made keeps
/// running before Facteur's rules (it stays on the server either way).
pub async fn include_other(cx: Ctx, Form(form): Form<FilterOpForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let (conn, loaded) = match open_or_tell(&cx, FILTERS_PAGE).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let mut rules = loaded.rules();
    let other = loaded.other_active.as_ref().map(|(n, _)| n.clone()).or(rules.include.clone());
    rules.include = if form.enabled == "1" { other } else { None };
    // Turned off: Facteur's script becomes the active one without it.
    let turned_off = Loaded { other_active: None, ..loaded };
    store_and_tell(&cx, conn, &turned_off, rules).await
}

/// POST /settings/forward (`address`, `keep`): all mail forwarded (empty: not).
pub async fn save_forward(cx: Ctx, Form(form): Form<ForwardForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let address = form.address.trim().to_string();
    if !address.is_empty() && !rules::valid_address(&address) {
        return notice::redirect(&cx.user, cx.i18n().t("filters-error-address"), FILTERS_PAGE).await;
    }
    let keep = form.keep == "on" || form.keep == "1";
    change_rules(cx, None, "filters-saved", move |rules| {
        rules.forward = rules::Forward { address, keep };
        true
    })
    .await
}

/// GET /settings/vacation
pub async fn vacation_page(cx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let notice = notice::take(&cx.user, &q).await;
    let chrome = cx.chrome("", notice).await?;
    match open(&cx).await {
        Ok((conn, loaded)) => {
            let has_date = conn.capabilities.has("date");
            conn.logout().await;
            Ok(VacationPage::new(chrome, &loaded.rules().vacation, has_date, None).into_response())
        }
        Err(e) => Ok(FiltersPage::unavailable(chrome, unavailable(&cx, &e)).into_response()),
    }
}

/// POST /settings/vacation (`enabled`, `subject`, `body`, `start`, `end`, `csrf`)
pub async fn save_vacation(cx: Ctx, Form(form): Form<VacationForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let day = |d: &str| Some(d.trim().to_string()).filter(|d| !d.is_empty());
    let vacation = rules::Vacation {
        enabled: form.enabled == "on" || form.enabled == "1",
        subject: form.subject.trim().chars().take(200).collect(),
        body: form.body.chars().take(20_000).collect(),
        start: day(&form.start),
        end: day(&form.end),
        days: form.days.trim().parse().unwrap_or(7).clamp(1, 30),
    };
    let (mut conn, loaded) = match open_to_change(&cx, "/settings/vacation").await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let mut rules = loaded.rules();
    rules.vacation = vacation.clone();
    let has_date = conn.capabilities.has("date");
    let stored = store(&cx, &mut conn, &loaded, rules).await;
    conn.logout().await;
    match stored? {
        Ok(()) => {
            let text = cx.i18n().t(if vacation.enabled { "vacation-saved-on" } else { "vacation-saved-off" });
            notice::redirect(&cx.user, text, "/settings/vacation").await
        }
        Err(reason) => {
            let chrome = cx.chrome("", None).await?;
            Ok((StatusCode::BAD_REQUEST, VacationPage::new(chrome, &vacation, has_date, Some(reason))).into_response())
        }
    }
}

/// GET /settings/sieve[?name=…]: a script as it is on the server, to edit by hand.
pub async fn script_page(cx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let notice = notice::take(&cx.user, &q).await;
    let chrome = cx.chrome("", notice).await?;
    let (mut conn, loaded) = match open(&cx).await {
        Ok(x) => x,
        Err(e) => return Ok(FiltersPage::unavailable(chrome, unavailable(&cx, &e)).into_response()),
    };
    let name = q.get("name").cloned().unwrap_or_else(|| rules::SCRIPT.to_string());
    let text = match conn.get(&name).await {
        Ok(t) => t,
        Err(MailError::NotFound) => String::new(),
        Err(e) => return Err(e.into()),
    };
    conn.logout().await;
    Ok(ScriptPage::new(chrome, &loaded.scripts, &name, &text, None).into_response())
}

/// POST /settings/sieve (`name`, `script`): the server checks the script (CHECKSCRIPT); if
/// it would not run, the page shows the server's words at the line they name and nothing
/// changes; else it is stored.
pub async fn save_script(cx: Ctx, Form(form): Form<ScriptForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let name = form.name.trim().to_string();
    let script = form.script.replace("\r\n", "\n");
    let (mut conn, loaded) = match open_or_tell(&cx, "/settings/sieve").await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let refused = if name.is_empty() || name.chars().any(char::is_control) || name.len() > 128 {
        Some(cx.i18n().t("sieve-error-name"))
    } else if let Err(reason) = conn.have_space(&name, script.len()).await? {
        // Too large for the server's limits: said before the script is sent.
        Some(reason)
    } else {
        match conn.check(&script).await? {
            Err(reason) => Some(reason),
            Ok(()) => match conn.put(&name, &script).await {
                Ok(()) => None,
                Err(MailError::No(reason)) => Some(reason),
                Err(e) => return Err(e.into()),
            },
        }
    };
    conn.logout().await;
    match refused {
        None => {
            if name == rules::SCRIPT {
                cx.state.vacations.set(&cx.key(), rules::read(&script).as_ref().map(|r| &r.rules));
            }
            notice::redirect(&cx.user, cx.i18n().t("sieve-saved"), &format!("/settings/sieve?name={}", crate::web::views::seg(&name))).await
        }
        Some(reason) => {
            let chrome = cx.chrome("", None).await?;
            Ok((StatusCode::BAD_REQUEST, ScriptPage::new(chrome, &loaded.scripts, &name, &script, Some(reason))).into_response())
        }
    }
}

/// POST /settings/filters/reset: Facteur's script written again from its rules, replacing
/// what was changed in it by hand (after the page showed those changes).
pub async fn reset_rules(cx: Ctx, Form(form): Form<FilterOpForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let (conn, loaded) = match open_or_tell(&cx, FILTERS_PAGE).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let rules = loaded.rules();
    store_and_tell(&cx, conn, &loaded, rules).await
}

/// The most messages already in a folder that a filter is checked on and applied to at once.
const APPLY_MAX: usize = 10_000;

/// GET /settings/filters/{n}/apply?folder=…: how many messages of the folder (the Inbox by
/// default) filter `n` would take, found by the server's SEARCH (and, for `is` and
/// `matches`, checked here), before anything is done to them.
pub async fn apply_page(cx: Ctx, Path(n): Path<usize>, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let (conn, loaded) = match open_or_tell(&cx, FILTERS_PAGE).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    conn.logout().await;
    let Some(filter) = loaded.rules().filters.get(n).cloned() else { return Err(AppError::not_found()) };
    let folders = cx.folders().await?;
    let mailbox = q.get("folder").cloned().unwrap_or_else(|| "INBOX".to_string());
    if !folders.iter().any(|f| f.name == mailbox && f.selectable) {
        return Err(AppError::not_found());
    }
    let found = cx
        .imap(|c| {
            let (filter, mailbox) = (filter.clone(), mailbox.clone());
            Box::pin(async move { matching(c, &filter, &mailbox).await })
        })
        .await;
    let (uidvalidity, uids) = match found {
        Ok(f) => f,
        Err(MailError::NotFound) => return Err(AppError::not_found()),
        Err(e) => return Err(e.into()),
    };
    let chrome = cx.frame(&folders, "", None);
    Ok(ApplyPage::new(chrome, &folders, &filter, n, &mailbox, uidvalidity, &uids).into_response())
}

/// The messages of `mailbox` that `filter` takes (the newest [`APPLY_MAX`]): the folder's
/// UIDVALIDITY and their UIDs.
async fn matching(c: &mut crate::mail::imap::ImapConn, filter: &rules::Filter, mailbox: &str) -> Result<(u32, Vec<u32>), MailError> {
    let (expr, exact) = filter.search();
    let keys = expr.as_ref().map(crate::mail::search::Expr::keys);
    let (uidvalidity, mut uids) = c.search(mailbox, keys.as_ref()).await?;
    uids.sort_unstable_by(|a, b| b.cmp(a));
    uids.truncate(APPLY_MAX);
    if !exact {
        let fields = c.header_fields(mailbox, uidvalidity, &uids, &filter.header_names()).await?;
        uids = fields.into_iter().filter(|(_, size, headers)| filter.holds(headers, *size)).map(|(uid, _, _)| uid).collect();
    }
    uids.sort_unstable();
    Ok((uidvalidity, uids))
}

/// POST /settings/filters/{n}/apply (`folder`, `uidvalidity`, `uids`): filter `n`'s actions
/// on exactly the messages its page counted (by UID, never a search run again). Forwarding
/// and copies are for mail that arrives.
pub async fn apply(cx: Ctx, Path(n): Path<usize>, Form(form): Form<crate::web::forms::filters::ApplyForm>) -> Result<Response, AppError> {
    use crate::mail::actions::{self, Action as Do};
    cx.check_csrf(&form.csrf)?;
    let (conn, loaded) = match open_or_tell(&cx, FILTERS_PAGE).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    conn.logout().await;
    let Some(filter) = loaded.rules().filters.get(n).cloned() else { return Err(AppError::not_found()) };
    let uids: Vec<crate::mail::model::Uid> = crate::mail::imap::raw::sequence(&form.uids, APPLY_MAX * 100).into_iter().take(APPLY_MAX).map(crate::mail::model::Uid).collect();
    let set = crate::mail::model::MessageSet { mailbox: form.folder.clone(), uidvalidity: crate::mail::model::UidValidity(form.uidvalidity), uids };
    let count = set.uids.len();
    let done = cx
        .imap(|c| {
            let (set, filter) = (set.clone(), filter.clone());
            Box::pin(async move {
                // Flags first: they go with the messages wherever they are filed.
                let mut steps: Vec<(Do, String)> = Vec::new();
                for a in &filter.actions {
                    match a {
                        rules::Action::Read => steps.insert(0, (Do::Read, String::new())),
                        rules::Action::Star => steps.insert(0, (Do::Star, String::new())),
                        rules::Action::Move(t) => steps.push((Do::Move, t.clone())),
                        rules::Action::Delete => steps.push((Do::Delete, String::new())),
                        rules::Action::Copy(_) | rules::Action::Forward { .. } => {}
                    }
                }
                for (action, target) in steps {
                    actions::perform(c, &set, action, &target).await?;
                    if matches!(action, Do::Move | Do::Delete) {
                        break;
                    }
                }
                Ok(())
            })
        })
        .await;
    match done {
        Ok(()) => {}
        Err(MailError::NotFound) => return notice::redirect(&cx.user, cx.i18n().t("notice-stale"), FILTERS_PAGE).await,
        Err(MailError::No(reason)) => return notice::redirect(&cx.user, crate::web::notice::refused(cx.i18n(), crate::mail::plain_reason(&reason)), FILTERS_PAGE).await,
        Err(e) => return Err(e.into()),
    }
    cx.state.watchers.announce(&cx.key(), crate::mail::imap::MailEvent::Changed { folder: form.folder.clone() });
    notice::redirect(&cx.user, cx.i18n().tn("filters-applied", "count", count as i64), &crate::web::views::folder_href(&form.folder)).await
}
