//! The rules pages: filters (with forwarding and the spam rule), the vacation reply, and a
//! script as it is on the server.

use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, folder_title};
use crate::i18n::{FluentArg, I18n};
use crate::mail::imap::Folder;
use crate::mail::rules::{self, Action, Field, Filter, Op, Vacation};
use crate::web::forms::filters::FilterForm;
use crate::web::rules::Loaded;

/// One filter in the list.
pub struct FilterRow {
    pub index: usize,
    pub name: String,
    /// "From contains news@… → Move to “News”".
    pub summary: String,
    pub enabled: bool,
    pub first: bool,
    pub last: bool,
}

/// A condition row of the form: (field, op, value).
pub struct ConditionRow {
    pub field: String,
    /// The header's name when the field is another header.
    pub header: String,
    pub op: String,
    pub value: String,
}

pub struct ActionRow {
    pub action: String,
    pub target: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/filters.html")]
pub struct FiltersPage {
    pub chrome: Chrome,
    pub title: String,
    /// Why there are no rules to show (no ManageSieve), instead of the page.
    pub unavailable: Option<String>,
    pub rows: Vec<FilterRow>,
    /// The form: a new filter, or the one at `index`.
    pub index: Option<usize>,
    pub name: String,
    pub any: bool,
    pub conditions: Vec<ConditionRow>,
    pub actions: Vec<ActionRow>,
    pub keep: bool,
    pub stop: bool,
    pub error: Option<String>,
    pub fields: Vec<(&'static str, String)>,
    pub ops: Vec<(&'static str, String)>,
    pub kinds: Vec<(&'static str, String)>,
    /// (name, label) of the folders a filter can file into.
    pub folders: Vec<(String, String)>,
    pub spam: bool,
    pub forward_address: String,
    pub forward_keep: bool,
    /// Facteur's script was changed by hand on the server.
    pub edited: bool,
    /// The script another app made active (name, text), and whether it runs with Facteur's.
    pub other: Option<(String, String)>,
    pub included: Option<String>,
}

fn field_label(f: &Field, i18n: &I18n) -> String {
    match f {
        Field::From => i18n.t("filters-field-from"),
        Field::To => i18n.t("filters-field-to"),
        Field::Subject => i18n.t("filters-field-subject"),
        Field::Header(name) => i18n.t1("filters-field-header-named", "name", name.clone()),
        Field::Size => i18n.t("filters-field-size"),
    }
}

fn op_label(o: Op, i18n: &I18n) -> String {
    i18n.t(match o {
        Op::Contains => "filters-op-contains",
        Op::Is => "filters-op-is",
        Op::Matches => "filters-op-matches",
        Op::Over => "filters-op-over",
        Op::Under => "filters-op-under",
    })
}

fn action_label(a: &Action, i18n: &I18n) -> String {
    match a {
        Action::Move(f) => i18n.t1("filters-do-move", "folder", f.clone()),
        Action::Copy(f) => i18n.t1("filters-do-copy", "folder", f.clone()),
        Action::Read => i18n.t("filters-do-read"),
        Action::Star => i18n.t("filters-do-star"),
        Action::Forward { address, keep } => i18n.ta("filters-do-forward", &[("address", FluentArg::Str(address.clone())), ("keep", FluentArg::Str(if *keep { "yes" } else { "no" }.into()))]),
        Action::Delete => i18n.t("filters-do-delete"),
    }
}

/// A filter in one line.
pub fn summary(f: &Filter, i18n: &I18n) -> String {
    let join = if f.all { i18n.t("filters-and") } else { i18n.t("filters-or") };
    let conditions: Vec<String> = f.conditions.iter().map(|c| format!("{} {} “{}”", field_label(&c.field, i18n), op_label(c.op, i18n), c.value)).collect();
    let mut actions: Vec<String> = f.actions.iter().map(|a| action_label(a, i18n)).collect();
    if f.stop {
        actions.push(i18n.t("filters-do-stop"));
    }
    format!("{} → {}", conditions.join(&format!(" {join} ")), actions.join(", "))
}

impl FiltersPage {
    fn empty(chrome: Chrome) -> Self {
        let i18n = &chrome.i18n;
        Self {
            title: i18n.t("filters-title"),
            unavailable: None,
            rows: Vec::new(),
            index: None,
            name: String::new(),
            any: false,
            conditions: Vec::new(),
            actions: Vec::new(),
            keep: true,
            stop: false,
            error: None,
            fields: Vec::new(),
            ops: Vec::new(),
            kinds: Vec::new(),
            folders: Vec::new(),
            spam: true,
            forward_address: String::new(),
            forward_keep: true,
            edited: false,
            other: None,
            included: None,
            chrome,
        }
    }

    /// The page when the server has no ManageSieve (or it cannot be reached): why.
    pub fn unavailable(chrome: Chrome, why: String) -> Self {
        Self { unavailable: Some(why), ..Self::empty(chrome) }
    }

    /// The form of filter `f` (at `index`), to edit it.
    pub fn form_of(f: &Filter, index: usize) -> FilterForm {
        let conditions = f
            .conditions
            .iter()
            .map(|c| {
                let field = match &c.field {
                    Field::From => "from".to_string(),
                    Field::To => "to".to_string(),
                    Field::Subject => "subject".to_string(),
                    Field::Header(n) => format!("header:{n}"),
                    Field::Size => "size".to_string(),
                };
                let op = match c.op {
                    Op::Contains => "contains",
                    Op::Is => "is",
                    Op::Matches => "matches",
                    Op::Over => "over",
                    Op::Under => "under",
                };
                (field, op.to_string(), c.value.clone())
            })
            .collect();
        let mut keep = true;
        let actions = f
            .actions
            .iter()
            .map(|a| match a {
                Action::Move(t) => ("move".to_string(), t.clone()),
                Action::Copy(t) => ("copy".to_string(), t.clone()),
                Action::Read => ("read".to_string(), String::new()),
                Action::Star => ("star".to_string(), String::new()),
                Action::Forward { address, keep: k } => {
                    keep = *k;
                    ("forward".to_string(), address.clone())
                }
                Action::Delete => ("delete".to_string(), String::new()),
            })
            .collect();
        FilterForm { index: Some(index), name: f.name.clone(), enabled: f.enabled, any: !f.all, conditions, actions, keep, stop: f.stop, csrf: String::new() }
    }

    pub fn new(chrome: Chrome, folders: &[Folder], loaded: &Loaded, form: FilterForm, error: Option<String>) -> Self {
        let mut page = Self::empty(chrome);
        let i18n = &page.chrome.i18n;
        let rules = loaded.rules();
        let count = rules.filters.len();
        page.rows = rules
            .filters
            .iter()
            .enumerate()
            .map(|(index, f)| FilterRow { index, name: f.name.clone(), summary: summary(f, i18n), enabled: f.enabled, first: index == 0, last: index + 1 == count })
            .collect();
        (page.fields, page.ops, page.kinds) = choices(i18n);
        page.folders = super::folder_choices(folders, i18n);
        (page.conditions, page.actions) = form_rows(&form);
        (page.index, page.name, page.any, page.keep, page.stop, page.error) = (form.index, form.name, form.any, form.keep, form.stop, error);
        page.spam = rules.spam;
        page.forward_address = rules.forward.address.clone();
        page.forward_keep = rules.forward.keep || rules.forward.address.is_empty();
        page.edited = loaded.ours.as_ref().is_some_and(|r| r.edited);
        page.other = loaded.other_active.clone();
        page.included = rules.include.clone();
        page
    }
}

/// The choices of the form's menus: fields, comparisons, actions (value, label).
type Choices = Vec<(&'static str, String)>;

fn choices(i18n: &I18n) -> (Choices, Choices, Choices) {
    let fields = vec![
        ("from", i18n.t("filters-field-from")),
        ("to", i18n.t("filters-field-to")),
        ("subject", i18n.t("filters-field-subject")),
        ("size", i18n.t("filters-field-size")),
    ];
    let ops = [Op::Contains, Op::Is, Op::Matches, Op::Over, Op::Under].into_iter().zip(["contains", "is", "matches", "over", "under"]).map(|(o, v)| (v, op_label(o, i18n))).collect();
    let kinds = ["move", "copy", "read", "star", "forward", "delete"].into_iter().map(|k| (k, i18n.t(&format!("filters-kind-{k}")))).collect();
    (fields, ops, kinds)
}

/// The form's rows: three condition rows and two action rows, the form's own first.
fn form_rows(form: &FilterForm) -> (Vec<ConditionRow>, Vec<ActionRow>) {
    let mut conditions: Vec<ConditionRow> = form
        .conditions
        .iter()
        .map(|(field, op, value)| {
            let (field, header) = match field.strip_prefix("header:") {
                Some(h) => ("header".to_string(), h.to_string()),
                None => (field.clone(), String::new()),
            };
            ConditionRow { field, header, op: op.clone(), value: value.clone() }
        })
        .collect();
    while conditions.len() < 3 {
        conditions.push(ConditionRow { field: "from".into(), header: String::new(), op: "contains".into(), value: String::new() });
    }
    let mut actions: Vec<ActionRow> = form.actions.iter().map(|(action, target)| ActionRow { action: action.clone(), target: target.clone() }).collect();
    while actions.len() < 2 {
        actions.push(ActionRow { action: if actions.is_empty() { "move".into() } else { String::new() }, target: String::new() });
    }
    (conditions, actions)
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/vacation.html")]
pub struct VacationPage {
    pub chrome: Chrome,
    pub title: String,
    pub enabled: bool,
    pub subject: String,
    pub body: String,
    pub start: String,
    pub end: String,
    pub days: u32,
    /// The server can stop it by itself on the last day.
    pub has_date: bool,
    pub error: Option<String>,
}

impl VacationPage {
    pub fn new(chrome: Chrome, v: &Vacation, has_date: bool, error: Option<String>) -> Self {
        Self {
            title: chrome.i18n.t("vacation-title"),
            enabled: v.enabled,
            subject: v.subject.clone(),
            body: v.body.clone(),
            start: v.start.clone().unwrap_or_default(),
            end: v.end.clone().unwrap_or_default(),
            days: v.days.clamp(1, 30),
            has_date,
            error,
            chrome,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/sieve.html")]
pub struct ScriptPage {
    pub chrome: Chrome,
    pub title: String,
    /// (name, active, link) of each script on the server.
    pub scripts: Vec<(String, bool, String)>,
    pub name: String,
    pub script: String,
    /// The server's words when it refused the script, and the line they name.
    pub error: Option<String>,
    pub error_line: Option<usize>,
    /// The script's lines, numbered, for the error's place.
    pub lines: Vec<(usize, String)>,
    /// It is Facteur's own: edits here are noticed by the Filters page.
    pub ours: bool,
}

impl ScriptPage {
    pub fn new(chrome: Chrome, scripts: &[(String, bool)], name: &str, script: &str, error: Option<String>) -> Self {
        let error_line = error.as_deref().and_then(rules::error_line);
        let lines = if error_line.is_some() { script.lines().enumerate().map(|(i, l)| (i + 1, l.to_string())).collect() } else { Vec::new() };
        Self {
            title: chrome.i18n.t("sieve-title"),
            scripts: scripts.iter().map(|(n, a)| (n.clone(), *a, format!("/settings/sieve?name={}", super::seg(n)))).collect(),
            name: name.to_string(),
            script: script.to_string(),
            error,
            error_line,
            lines,
            ours: name == rules::SCRIPT,
            chrome,
        }
    }
}

/// Before a filter acts on messages already in a folder: how many, and the button.
#[derive(Template, WebTemplate)]
#[template(path = "pages/filter_apply.html")]
pub struct ApplyPage {
    pub chrome: Chrome,
    pub title: String,
    pub summary: String,
    pub index: usize,
    pub folder: String,
    /// (name, label, chosen) of the folders it can be applied to.
    pub folders: Vec<(String, String, bool)>,
    pub count: String,
    pub matched: usize,
    /// The button's words.
    pub button: String,
    pub uidvalidity: u32,
    pub uids: String,
    /// Its forwarding and copies, which are for mail that arrives.
    pub not_applied: bool,
}

impl ApplyPage {
    pub fn new(chrome: Chrome, folders: &[Folder], f: &Filter, index: usize, folder: &str, uidvalidity: u32, uids: &[u32]) -> Self {
        let i18n = &chrome.i18n;
        let label = folders.iter().find(|x| x.name == folder).map(|x| folder_title(x, i18n)).unwrap_or_else(|| folder.to_string());
        Self {
            title: i18n.t1("filters-apply-title", "name", f.name.clone()),
            summary: summary(f, i18n),
            index,
            folder: folder.to_string(),
            folders: super::folder_choices(folders, i18n).into_iter().map(|(n, label)| { let on = n == folder; (n, label, on) }).collect(),
            count: i18n.ta("filters-apply-count", &[("count", FluentArg::Num(uids.len() as i64)), ("folder", FluentArg::Str(label))]),
            matched: uids.len(),
            button: i18n.tn("filters-apply-button", "count", uids.len() as i64),
            uidvalidity,
            uids: crate::mail::imap::wire::uid_set(uids),
            not_applied: f.actions.iter().any(|a| matches!(a, Action::Copy(_) | Action::Forward { .. })),
            chrome,
        }
    }
}
