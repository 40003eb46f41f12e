//! The actions form of search results: messages of several folders.

use std::collections::BTreeMap;

use crate::mail::actions::Action;
use crate::mail::model::{MessageSet, Uid, UidValidity};

/// Checkboxes repeat `m` (`UIDVALIDITY:UID:folder`), so the form is read as pairs.
#[derive(Debug, Default)]
pub struct ResultsForm {
    pub csrf: String,
    /// The query, to go back to its results.
    pub q: String,
    pub page: u32,
    pub action: Option<Action>,
    pub target: String,
    pub confirmed: bool,
    /// The messages chosen, one set per folder.
    pub sets: Vec<MessageSet>,
}

impl ResultsForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = ResultsForm { page: 1, ..Default::default() };
        let mut new_label = String::new();
        let mut groups: BTreeMap<(String, u32), Vec<Uid>> = BTreeMap::new();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "q" => f.q = v,
                "page" => f.page = v.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
                "action" => f.action = Action::parse(&v),
                "target" => f.target = v,
                // A button of the "Move to" menu: the folder it moves to.
                "move-to" => {
                    f.action = Action::parse("move");
                    f.target = v;
                }
                "label-add" | "label-remove" => {
                    f.action = Action::parse(if k == "label-add" { "label" } else { "unlabel" });
                    f.target = v;
                }
                "new-label" => new_label = v,
                "confirmed" => f.confirmed = v == "1",
                "m" => {
                    let mut it = v.splitn(3, ':');
                    if let (Some(uv), Some(uid), Some(folder)) = (it.next(), it.next(), it.next())
                        && let (Some(uv), Some(uid)) = (UidValidity::parse(uv), Uid::parse(uid))
                    {
                        groups.entry((folder.to_string(), uv.0)).or_default().push(uid);
                    }
                }
                _ => {}
            }
        }
        f.sets = groups
            .into_iter()
            .map(|((mailbox, uv), uids)| MessageSet { mailbox, uidvalidity: UidValidity(uv), uids })
            .collect();
        if f.target.is_empty() && f.action == Action::parse("label") {
            f.target = new_label.trim().to_string();
        }
        f
    }

    /// How many messages were chosen.
    pub fn count(&self) -> usize {
        self.sets.iter().map(|s| s.uids.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_grouped_by_folder() {
        let pairs = [("csrf", "t"), ("q", "x"), ("action", "star"), ("m", "7:3:INBOX"), ("m", "9:1:A:B"), ("m", "7:5:INBOX"), ("m", "bad")];
        let f = ResultsForm::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        assert_eq!(f.action, Some(Action::Star));
        assert_eq!(f.sets.len(), 2);
        assert_eq!(f.sets[0].mailbox, "A:B");
        assert_eq!(f.sets[1].uids, [Uid(3), Uid(5)]);
        assert_eq!(f.count(), 3);
    }
}
