//! The Folders settings page (create, rename or move, delete, show or hide in the sidebar)
//! and the question asked before a folder is deleted without JavaScript.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, folder_href, folder_title};
use crate::i18n::{FluentArg, I18n};
use crate::mail::imap::Folder;
use crate::mail::imap::manage::holds_protected;
use crate::web::format;

/// One folder on the Folders page.
pub struct FolderRow {
    pub name: String,
    pub label: String,
    pub depth: usize,
    pub href: String,
    /// Its own actions' addresses start with this (`/f/{name}`).
    pub base: String,
    pub counts: String,
    pub size: Option<String>,
    pub subscribed: bool,
    /// The Inbox and special-use folders: neither renamed nor deleted here.
    pub protected: bool,
    /// Its own name (the last level), for the rename field.
    pub leaf: String,
    /// The folders it may be moved into (not itself nor one inside it), the current one chosen.
    pub parents: Vec<ParentChoice>,
    pub delete_question: String,
}

pub struct ParentChoice {
    pub name: String,
    pub label: String,
    pub chosen: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/folders.html")]
pub struct FoldersPage {
    pub chrome: Chrome,
    pub title: String,
    pub rows: Vec<FolderRow>,
    /// Where a new folder may go ("" first: at the top).
    pub parents: Vec<ParentChoice>,
}

/// The parent of `f` ("" at the top of the user's folders).
fn parent_of(f: &Folder) -> String {
    if f.depth == 0 || f.delimiter.is_empty() {
        return String::new();
    }
    f.name.rsplit_once(f.delimiter.as_str()).map(|(p, _)| p.to_string()).unwrap_or_default()
}

/// Every folder as a place to put another, `of`'s own tree left out; `current` chosen.
fn parent_choices(folders: &[Folder], of: Option<&Folder>, current: &str, i18n: &I18n) -> Vec<ParentChoice> {
    let mut out = vec![ParentChoice { name: String::new(), label: i18n.t("folder-top"), chosen: current.is_empty() }];
    out.extend(
        folders
            .iter()
            .filter(|f| of.is_none_or(|o| f.name != o.name && !f.name.starts_with(&format!("{}{}", o.name, o.delimiter))))
            .map(|f| ParentChoice {
                name: f.name.clone(),
                label: super::folder_choice(f, i18n),
                chosen: f.name == current,
            }),
    );
    out
}

impl FoldersPage {
    /// `sizes`: each folder's size in bytes, where the server tells it.
    pub fn new(chrome: Chrome, folders: &[Folder], sizes: &HashMap<String, u64>) -> Self {
        let i18n = &chrome.i18n;
        let rows = folders
            .iter()
            .map(|f| {
                let label = folder_title(f, i18n);
                FolderRow {
                    name: f.name.clone(),
                    depth: f.depth.min(6),
                    href: folder_href(&f.name),
                    base: folder_href(&f.name),
                    counts: i18n.ta("folder-counts", &[("total", FluentArg::Num(i64::from(f.total))), ("unread", FluentArg::Num(i64::from(f.unread)))]),
                    size: sizes.get(&f.name).map(|s| format::size(*s, i18n)),
                    subscribed: f.subscribed || f.role.is_some(),
                    protected: holds_protected(folders, f),
                    leaf: f.label.rsplit(f.delimiter.as_str()).next().unwrap_or(&f.label).to_string(),
                    parents: parent_choices(folders, Some(f), &parent_of(f), i18n),
                    delete_question: i18n.ta("folder-delete-question", &[("name", FluentArg::Str(label.clone())), ("count", FluentArg::Num(i64::from(f.total)))]),
                    label,
                }
            })
            .collect();
        Self { title: i18n.t("folders-title"), rows, parents: parent_choices(folders, None, "", i18n), chrome }
    }
}

/// Asks before a folder is deleted (without JavaScript; with it, a dialog asks).
#[derive(Template, WebTemplate)]
#[template(path = "pages/folder_delete.html")]
pub struct DeleteFolderPage {
    pub chrome: Chrome,
    pub title: String,
    pub question: String,
    pub action: String,
    /// Messages in the folder and the folders inside it.
    pub messages: u32,
}

impl DeleteFolderPage {
    pub fn new(chrome: Chrome, folders: &[Folder], folder: &Folder) -> Self {
        let i18n = &chrome.i18n;
        let inside = format!("{}{}", folder.name, folder.delimiter);
        let tree: Vec<&Folder> = folders.iter().filter(|f| f.name == folder.name || (!folder.delimiter.is_empty() && f.name.starts_with(&inside))).collect();
        let messages: u32 = tree.iter().map(|f| f.total).sum();
        let question = i18n.ta(
            "folder-delete-ask",
            &[
                ("name", FluentArg::Str(folder_title(folder, i18n))),
                ("count", FluentArg::Num(i64::from(messages))),
                ("folders", FluentArg::Num(tree.len() as i64 - 1)),
            ],
        );
        Self { title: i18n.t("folder-delete-title"), question, action: format!("{}/delete", folder_href(&folder.name)), messages, chrome }
    }
}
