//! Reading one message: the page around it and the document inside its sandboxed frame.

use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, MenuLink, folder_display, folder_href, message_href, seg, tab_title};
use crate::mail::conversation::Member;
use crate::mail::imap::{Folder, Role};
use crate::mail::mime;
use crate::mail::mime::{Body, ParsedMessage};
use crate::mail::sanitize::{self, TextSegment};
use crate::i18n::FluentArg;
use crate::web::format::{self, UserZone};

pub struct Seg {
    pub text: String,
    pub href: Option<String>,
}

pub struct AttachmentLink {
    pub href: String,
    pub name: String,
    pub content_type: String,
    pub size: String,
    /// For images and PDFs: a thumbnail, and the file shown in the browser.
    pub thumb: Option<String>,
    pub view: Option<String>,
    pub pdf: bool,
}

/// One page of a PDF, as the image Facteur draws of it.
pub struct PdfPageImage {
    pub src: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

/// A PDF attachment shown as its pages, drawn by Facteur (never the sender's file in the
/// browser), with its download beside it.
#[derive(Template, WebTemplate)]
#[template(path = "pages/pdf.html")]
pub struct PdfPage {
    pub chrome: Chrome,
    pub name: String,
    pub summary: String,
    pub download_href: String,
    pub back_href: String,
    pub pages: Vec<PdfPageImage>,
    /// "The first 50 of 120 pages are shown" when not all are.
    pub more: Option<String>,
}

impl PdfPage {
    /// `part_href`: the attachment's address (its download); `sizes`: each shown page's size
    /// in pixels; `total`: the document's pages.
    pub fn new(chrome: Chrome, name: &str, bytes: usize, part_href: &str, sizes: Vec<(u32, u32)>, total: usize) -> Self {
        let i18n = &chrome.i18n;
        let name = if name.trim().is_empty() { "document.pdf".to_string() } else { name.to_string() };
        let pages = sizes
            .iter()
            .enumerate()
            .map(|(i, (width, height))| PdfPageImage {
                src: format!("{part_href}/page/{}", i + 1),
                alt: i18n.ta("pdf-page", &[("n", FluentArg::Num(i as i64 + 1)), ("total", FluentArg::Num(total as i64))]),
                width: *width,
                height: *height,
            })
            .collect::<Vec<_>>();
        let more = (pages.len() < total).then(|| i18n.ta("pdf-more", &[("shown", FluentArg::Num(pages.len() as i64)), ("total", FluentArg::Num(total as i64))]));
        let summary = format!("{} · {}", i18n.tn("pdf-pages", "count", total as i64), format::size(bytes as u64, i18n));
        let back_href = part_href.rsplit_once("/part/").map(|(m, _)| m.to_string()).unwrap_or_default();
        Self { name, summary, download_href: part_href.to_string(), back_href, pages, more, chrome }
    }
}

/// Another message of the conversation, shown folded: sender, date and a preview; unfolded,
/// its body in a sandboxed frame of its own and the ways to answer it.
pub struct ConversationItem {
    pub href: String,
    pub from: String,
    pub from_title: String,
    pub date: String,
    pub preview: String,
    pub unread: bool,
    /// Where it is, when that is not the folder shown.
    pub folder: Option<String>,
    pub frame_src: String,
    pub compose_query: String,
}

impl ConversationItem {
    fn new(m: &Member, current: &str, folders: &[Folder], now: i64, tz: UserZone, i18n: &crate::i18n::I18n) -> Self {
        let h = mime::list_headers(&m.item.headers);
        let href = message_href(&m.folder, m.uidvalidity, m.item.uid);
        let subject = if h.subject.is_empty() { i18n.t("list-no-subject") } else { h.subject.clone() };
        Self {
            from: h.from.as_ref().map(|p| p.display()).filter(|s| !s.is_empty()).unwrap_or_else(|| i18n.t("list-unknown-sender")),
            from_title: h.from.as_ref().map(format::person_full).unwrap_or_default(),
            date: format::list_date(m.date, now, tz, i18n),
            preview: m.item.preview.clone().filter(|p| !p.is_empty()).unwrap_or(subject),
            unread: !m.item.seen,
            folder: (m.folder != current).then(|| folder_display(folders, &m.folder, i18n).0),
            // Unfolding an unread message marks it read: its frame asks for that.
            frame_src: if m.item.seen { format!("{href}/body") } else { format!("{href}/body?read=1") },
            compose_query: format!("mb={}&uv={}&uid={}", seg(&m.folder), m.uidvalidity, m.item.uid),
            href,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub uid: u32,
    pub uidvalidity: u32,
    pub flagged: bool,
    pub title: String,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub reply_to: String,
    pub date: String,
    pub back_href: String,
    pub back_label: String,
    pub source_href: String,
    /// The sandboxed frame's URL, for HTML bodies.
    pub frame_src: Option<String>,
    /// The text body as text and links, for plain-text bodies.
    pub text: Option<Vec<Seg>>,
    pub images_blocked: bool,
    pub show_images_href: String,
    /// The sender whose images could always be shown (empty: nothing to offer).
    pub image_sender: String,
    pub images_trusted: bool,
    pub attachments: Vec<AttachmentLink>,
    pub attachments_label: String,
    /// All attachments in one zip (when there are two or more).
    pub zip_href: Option<String>,
    pub damaged: bool,
    /// `mb=…&uv=…&uid=…` for the compose links (reply, forward, edit draft).
    pub compose_query: String,
    /// The message is in the Drafts folder: offer to continue it.
    pub is_draft: bool,
    /// The conversation's messages before and after this one, oldest first.
    pub neighbours: Option<Neighbours>,
    pub labels: Vec<super::LabelChip>,
    /// A link to the mail in its own colours, or back in the dark theme's (mail that sets no
    /// colours only), and its text.
    pub colours_toggle: Option<(String, String)>,
    /// Where the page goes when the message leaves the folder: the older one, else the newer.
    pub next_uid: Option<u32>,
    pub earlier: Vec<ConversationItem>,
    pub later: Vec<ConversationItem>,
    /// "3 messages in this conversation" (empty for a message alone).
    pub conversation_label: String,
}

/// Where a message is and how it is shown.
pub struct Shown<'a> {
    pub folders: &'a [Folder],
    pub mailbox: &'a str,
    pub uidvalidity: u32,
    pub uid: u32,
    pub flagged: bool,
    /// The sender's images are always shown.
    pub trusted: bool,
    /// Remote images are shown (trusted, or asked for once).
    pub show_images: bool,
    pub tz: UserZone,
    /// The UIDs of the messages that arrived just after and before, when known.
    pub neighbours: Option<(Option<u32>, Option<u32>)>,
    /// The mail is shown in its own colours even in dark mode.
    pub original_colours: bool,
    /// Its labels (keywords).
    pub labels: &'a [String],
}

/// Links to the next and previous messages of the folder.
pub struct Neighbours {
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl MessagePage {
    pub fn new(mut chrome: Chrome, parsed: &ParsedMessage, shown: Shown<'_>) -> Self {
        let i18n = &chrome.i18n;
        let Shown { folders, mailbox, uidvalidity: uv, uid, .. } = shown;
        let href = message_href(mailbox, uv, uid);
        let sender = parsed.from.first().and_then(|p| p.address.clone()).unwrap_or_default().to_lowercase();
        let (frame_src, text, images_blocked, referenced, adaptable) = body(parsed, &href, shown.show_images, shown.original_colours, i18n);
        // In dark mode, a mail shown in dark colours can be seen in its own, and back.
        let colours_toggle = adaptable.then(|| {
            let mut query = Vec::new();
            if shown.show_images {
                query.push("images=1");
            }
            if !shown.original_colours {
                query.push("colours=original");
            }
            let link = if query.is_empty() { href.clone() } else { format!("{href}?{}", query.join("&")) };
            (link, i18n.t(if shown.original_colours { "msg-dark-colours" } else { "msg-original-colours" }))
        });
        let attachments = attachment_links(parsed, &href, &referenced, i18n);
        let (folder_name, _) = folder_display(folders, mailbox, i18n);
        let subject = if parsed.subject.is_empty() { i18n.t("list-no-subject") } else { parsed.subject.clone() };
        chrome.message_flagged = Some(shown.flagged);
        chrome.labels = super::label_choices(shown.labels, shown.labels, i18n);
        let compose_query = format!("mb={}&uv={uv}&uid={uid}", seg(mailbox));
        chrome.more_links = vec![
            MenuLink { href: format!("/compose?mode=attach&{compose_query}"), label: i18n.t("msg-forward-attach"), new_tab: false },
            MenuLink { href: format!("{href}/source"), label: i18n.t("msg-source"), new_tab: true },
        ];
        // Rules the server runs from now on, made from this message's list or sender.
        if let Some(list) = &parsed.list_id {
            chrome.more_links.push(MenuLink { href: format!("/settings/filters?list={}#filter-form", seg(list)), label: i18n.t("msg-filter-like"), new_tab: false });
        } else if crate::mail::rules::valid_address(&sender) {
            chrome.more_links.push(MenuLink { href: format!("/settings/filters?from={}#filter-form", seg(&sender)), label: i18n.t("msg-filter-like"), new_tab: false });
        }
        if crate::mail::rules::valid_address(&sender) {
            chrome.more_links.push(MenuLink { href: format!("/settings/filters/block?from={}", seg(&sender)), label: i18n.t("msg-block-sender"), new_tab: false });
        }
        Self {
            uid,
            uidvalidity: uv,
            flagged: shown.flagged,
            title: format!("{subject} · {}", tab_title(folders, mailbox, i18n)),
            subject,
            from: format::people_full(&parsed.from),
            to: format::people_full(&parsed.to),
            cc: format::people_full(&parsed.cc),
            reply_to: if parsed.reply_to == parsed.from { String::new() } else { format::people_full(&parsed.reply_to) },
            date: format::full_date(parsed.date, shown.tz, i18n),
            back_href: folder_href(mailbox),
            back_label: i18n.ta(
                "msg-back",
                &[
                    ("folder", crate::i18n::FluentArg::Str(folder_name)),
                    ("role", crate::i18n::FluentArg::Str(folders.iter().find(|f| f.name == mailbox).and_then(|f| f.role).map(Role::key).unwrap_or("other").to_string())),
                ],
            ),
            source_href: format!("{href}/source"),
            show_images_href: format!("{href}?images=1"),
            image_sender: if images_blocked { sender } else { String::new() },
            images_trusted: shown.trusted,
            frame_src,
            text,
            images_blocked,
            attachments_label: i18n.tn("msg-attachments", "count", attachments.len() as i64),
            zip_href: (parsed.attachments.len() > 1).then(|| format!("{href}/attachments.zip")),
            attachments,
            damaged: parsed.damaged,
            compose_query,
            colours_toggle,
            labels: shown.labels.iter().map(|k| super::label_chip(k, i18n)).collect(),
            next_uid: shown.neighbours.and_then(|(newer, older)| older.or(newer)),
            neighbours: shown.neighbours.map(|(newer, older)| Neighbours {
                newer: newer.map(|u| message_href(mailbox, uv, u)),
                older: older.map(|u| message_href(mailbox, uv, u)),
            }),
            is_draft: folders.iter().any(|f| f.name == mailbox && f.role == Some(Role::Drafts)),
            earlier: Vec::new(),
            later: Vec::new(),
            conversation_label: String::new(),
            chrome,
        }
    }

    /// Shows the message inside its conversation `members` (oldest first, this message
    /// among them).
    pub fn in_conversation(mut self, members: &[Member], folders: &[Folder], mailbox: &str, tz: UserZone) -> Self {
        let Some(at) = members.iter().position(|m| m.folder == mailbox && m.uidvalidity == self.uidvalidity && m.item.uid == self.uid) else {
            return self;
        };
        if members.len() < 2 {
            return self;
        }
        let i18n = &self.chrome.i18n;
        let now = crate::clock::unix_secs();
        let item = |m: &Member| ConversationItem::new(m, mailbox, folders, now, tz, i18n);
        self.earlier = members[..at].iter().map(item).collect();
        self.later = members[at + 1..].iter().map(item).collect();
        self.conversation_label = i18n.tn("msg-conversation", "count", members.len() as i64);
        self
    }
}

/// Links to the message's attachments; images the HTML shows inline (its lower-cased
/// `referenced` text names their `cid:`) are not listed again.
fn attachment_links(parsed: &ParsedMessage, href: &str, referenced: &str, i18n: &crate::i18n::I18n) -> Vec<AttachmentLink> {
    parsed
        .attachments
        .iter()
        .filter(|a| !(a.inline && a.content_id.as_ref().is_some_and(|c| referenced.contains(&format!("cid:{}", c.to_ascii_lowercase())))))
        .map(|a| {
            let pdf = a.content_type == "application/pdf";
            let image = pdf || crate::web::previews::previewable(&a.content_type);
            AttachmentLink {
                href: format!("{href}/part/{}", a.part),
                name: a.name.clone(),
                content_type: a.content_type.clone(),
                size: format::size(a.size as u64, i18n),
                thumb: image.then(|| format!("{href}/part/{}/thumb", a.part)),
                view: image.then(|| format!("{href}/part/{}/view", a.part)),
                pdf,
            }
        })
        .collect()
}

/// How the body shows: the frame's address (HTML), or the text; whether remote images were
/// left out; the HTML in lower case (to tell attachments it shows inline); whether the mail
/// sets no colours of its own (it can follow the dark theme).
fn body(parsed: &ParsedMessage, href: &str, show_images: bool, original_colours: bool, i18n: &crate::i18n::I18n) -> (Option<String>, Option<Vec<Seg>>, bool, String, bool) {
    match &parsed.body {
        Body::Html(html) => {
            let clean = sanitize::sanitize_html(html, Default::default(), None);
            let blocked = !show_images && clean.blocked_remote;
            let mut query = Vec::new();
            if show_images {
                query.push("images=1");
            }
            let adaptable = !sanitize::sets_colours(&clean.html);
            if original_colours && adaptable {
                query.push("colours=original");
            }
            let src = if query.is_empty() { format!("{href}/body") } else { format!("{href}/body?{}", query.join("&")) };
            (Some(src), None, blocked, html.to_ascii_lowercase(), adaptable)
        }
        Body::Text(t) => {
            let segs = sanitize::linkify(t)
                .into_iter()
                .map(|s| match s {
                    TextSegment::Text(text) => Seg { text, href: None },
                    TextSegment::Link { href, text } => Seg { text, href: Some(href) },
                })
                .collect();
            (None, Some(segs), false, String::new(), false)
        }
        Body::Empty => (None, Some(vec![Seg { text: i18n.t("msg-empty-body"), href: None }]), false, String::new(), false),
    }
}

/// The document inside the sandboxed frame: sanitized mail HTML. The only `|safe` in Facteur.
#[derive(Template, WebTemplate)]
#[template(path = "frame/message_body.html")]
pub struct MessageFrame {
    pub lang: &'static str,
    pub html: String,
    /// The mail sets no colours: it is shown in the page's dark colours when those apply.
    pub adapt: bool,
    /// The nonce of the frame's one script (it reports the content's height to the page).
    pub nonce: String,
}
