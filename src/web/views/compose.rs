//! The compose page.

use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;
use crate::i18n::FluentArg;
use crate::store::compose::Identity;
use crate::store::uploads::Stored;
use crate::web::format;
use crate::web::forms::compose::{ComposeForm, FieldErrors};

pub struct IdentityOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

pub struct UploadView {
    pub id: u32,
    pub name: String,
    pub size: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/compose.html")]
pub struct ComposePage {
    pub chrome: Chrome,
    pub title: String,
    pub form: ComposeForm,
    pub errors: FieldErrors,
    pub identities: Vec<IdentityOption>,
    pub attachments: Vec<UploadView>,
    pub max_size: String,
    /// The compose script's URL (this page's own, loaded after the common one).
    pub script: &'static str,
    /// "Send later" is offered (the outbox is on).
    pub send_later: bool,
}

impl ComposePage {
    /// `files`: the draft's attachments so far; `max_message_size` in bytes.
    pub fn new(chrome: Chrome, form: ComposeForm, errors: FieldErrors, identities: &[Identity], files: Vec<Stored>, max_message_size: u64) -> Self {
        let i18n = &chrome.i18n;
        let title = match form.origin() {
            Some(o) if o.is_reply() => i18n.t("msg-reply"),
            Some(_) => i18n.t("msg-forward"),
            None => i18n.t("compose-title"),
        };
        Self {
            title,
            identities: identities
                .iter()
                .map(|i| IdentityOption {
                    id: i.id,
                    label: if i.name.is_empty() { i.email.clone() } else { format!("{} <{}>", i.name, i.email) },
                    selected: i.id == form.identity,
                })
                .collect(),
            attachments: files.into_iter().map(|s| UploadView { id: s.id, name: s.name, size: format::size(s.size, i18n) }).collect(),
            max_size: i18n.ta("compose-max-size", &[("max", FluentArg::Str(format::size(max_message_size, i18n)))]),
            script: crate::web::assets::compose_js_url(),
            send_later: false,
            errors,
            form,
            chrome,
        }
    }
}
