//! The form of the message list and of the message toolbar.

use crate::mail::actions::Action;
use crate::mail::model::{MessageSet, Uid, UidValidity};

/// The action form. Checkboxes repeat `uid`, so the form is read as pairs.
#[derive(Debug, Default)]
pub struct ActionForm {
    pub csrf: String,
    pub uidvalidity: Option<UidValidity>,
    pub uids: Vec<Uid>,
    pub action: Option<String>,
    /// The folder of a move.
    pub target: String,
    pub page: u32,
    /// `message` when the form was on a message page.
    pub back: String,
    /// On a message page: the message to show next when this one leaves the folder.
    pub next: Option<Uid>,
    /// `scope=folder`: the action is on every message of the folder (or of its quick
    /// `filter`), found by the server, whatever the checkboxes say.
    pub whole_folder: bool,
    pub filter: Option<String>,
    /// Deleting for good was confirmed.
    pub confirmed: bool,
    /// Snooze until a chosen time (`YYYY-MM-DDTHH:MM`, the user's time zone), with
    /// `snooze=at`.
    pub snooze_at: String,
}

impl ActionForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = ActionForm { page: 1, ..Default::default() };
        let mut new_label = String::new();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "uidvalidity" => f.uidvalidity = UidValidity::parse(&v),
                // A conversation's row stands for all its messages: "3,7,9".
                "uid" => f.uids.extend(v.split(',').filter_map(Uid::parse)),
                "action" => f.action = Some(v),
                // A per-row button: "star:123".
                "one" => {
                    if let Some((a, u)) = v.split_once(':') {
                        f.action = Some(a.to_string());
                        f.uids = u.split(',').filter_map(Uid::parse).collect();
                    }
                }
                "target" => f.target = v,
                // A button of the "Move to" menu: the folder it moves to.
                "move-to" => {
                    f.action = Some("move".to_string());
                    f.target = v;
                }
                // A button of the "Labels" menu: the label it adds or removes; an empty
                // one adds the label typed in `new-label`.
                "label-add" | "label-remove" => {
                    f.action = Some(if k == "label-add" { "label" } else { "unlabel" }.to_string());
                    f.target = v;
                }
                "new-label" => new_label = v,
                // A button of the "Snooze" menu: `tomorrow`, `monday`, or `at` (with `snooze_at`).
                "snooze" => {
                    f.action = Some("snooze".to_string());
                    f.target = v;
                }
                "snooze_at" => f.snooze_at = v,
                "page" => f.page = v.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
                "back" => f.back = v,
                "next" => f.next = Uid::parse(&v),
                "scope" => f.whole_folder = v == "folder",
                "filter" => f.filter = Some(v),
                "confirmed" => f.confirmed = v == "1",
                _ => {}
            }
        }
        f.uids.sort_unstable();
        f.uids.dedup();
        if f.target.is_empty() && f.action.as_deref() == Some("label") {
            f.target = new_label.trim().to_string();
        }
        f
    }

    pub fn action(&self) -> Option<Action> {
        self.action.as_deref().and_then(Action::parse)
    }

    /// The messages chosen in `mailbox`; `None` when nothing was.
    pub fn messages(&self, mailbox: &str) -> Option<MessageSet> {
        let uidvalidity = self.uidvalidity?;
        (!self.uids.is_empty()).then(|| MessageSet { mailbox: mailbox.to_string(), uidvalidity, uids: self.uids.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_uids_and_row_buttons_are_read() {
        let f = ActionForm::from_pairs(vec![
            ("uid".into(), "7".into()),
            ("uid".into(), "3".into()),
            ("uid".into(), "7".into()),
            ("uid".into(), "x".into()),
            ("action".into(), "archive".into()),
            ("uidvalidity".into(), "42".into()),
        ]);
        assert_eq!(f.uids, vec![Uid(3), Uid(7)]);
        assert_eq!(f.uidvalidity, Some(UidValidity(42)));
        assert_eq!(f.action(), Some(Action::Archive));
        let f = ActionForm::from_pairs(vec![("uid".into(), "7".into()), ("one".into(), "star:9".into())]);
        assert_eq!((f.action.as_deref(), f.uids), (Some("star"), vec![Uid(9)]));
        let f = ActionForm::from_pairs(vec![("uid".into(), "9,3,x,0".into()), ("uid".into(), "5".into())]);
        assert_eq!(f.uids, vec![Uid(3), Uid(5), Uid(9)], "a conversation's row");
        let f = ActionForm::from_pairs(vec![("one".into(), "unstar:4,8".into())]);
        assert_eq!(f.uids, vec![Uid(4), Uid(8)]);
        assert!(ActionForm::from_pairs(vec![("uid".into(), "1".into())]).messages("INBOX").is_none(), "no UIDVALIDITY");
    }

    #[test]
    fn a_snooze_button_names_its_time() {
        let f = ActionForm::from_pairs(vec![
            ("uidvalidity".into(), "7".into()),
            ("uid".into(), "3,9".into()),
            ("snooze_at".into(), "2026-12-24T18:00".into()),
            ("snooze".into(), "at".into()),
        ]);
        assert_eq!((f.action.as_deref(), f.target.as_str(), f.snooze_at.as_str()), (Some("snooze"), "at", "2026-12-24T18:00"));
        assert_eq!(f.uids, vec![Uid(3), Uid(9)]);
        assert!(f.action().is_none(), "not one of the actions on messages in place");
    }
}
