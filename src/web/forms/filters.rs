//! The forms of the rules pages. A filter's form repeats `field`, `op` and `value` (one
//! condition each) and `action` and `target` (one action each), so it is read as pairs.

use crate::mail::rules::{Action, Condition, Field, Filter, Op};

/// A filter as its form gave it, before it is checked.
#[derive(Clone, Debug, Default)]
pub struct FilterForm {
    pub csrf: String,
    /// Which filter it replaces (from 0); `None`: a new one, added at the end.
    pub index: Option<usize>,
    pub name: String,
    pub enabled: bool,
    /// `any`: one condition is enough.
    pub any: bool,
    /// (field, op, value) of each condition row.
    pub conditions: Vec<(String, String, String)>,
    /// (action, target) of each action row.
    pub actions: Vec<(String, String)>,
    /// Forwarding keeps a copy.
    pub keep: bool,
    pub stop: bool,
}

/// Why a filter's form cannot be taken as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormError {
    NoCondition,
    NoAction,
    Field(String),
    Op(String),
    Action(String),
    /// A folder action without a folder, a forward without an address.
    Target(String),
}

impl FilterForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = FilterForm { enabled: true, ..Default::default() };
        let (mut fields, mut ops, mut values, mut actions, mut targets) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut headers: Vec<String> = Vec::new();
        let mut enabled_seen = false;
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "index" => f.index = v.parse().ok(),
                "name" => f.name = v.trim().to_string(),
                "enabled" => {
                    enabled_seen = true;
                    f.enabled = v == "on" || v == "1";
                }
                "match" => f.any = v == "any",
                "field" => {
                    fields.push(v);
                    headers.push(String::new());
                }
                // The header name of the row just begun, when its field is "another header".
                "header" => {
                    if let Some(h) = headers.last_mut() {
                        *h = v.trim().to_string();
                    }
                }
                "op" => ops.push(v),
                "value" => values.push(v),
                "action" => actions.push(v),
                "target" => targets.push(v.trim().to_string()),
                "keep" => f.keep = v == "on" || v == "1",
                "stop" => f.stop = v == "on" || v == "1",
                _ => {}
            }
        }
        // A form with the switch shown sends it only when on.
        if !enabled_seen && f.index.is_some() {
            f.enabled = true;
        }
        f.conditions = fields
            .into_iter()
            .enumerate()
            .map(|(i, field)| {
                let field = if field == "header" { format!("header:{}", headers.get(i).cloned().unwrap_or_default()) } else { field };
                (field, ops.get(i).cloned().unwrap_or_default(), values.get(i).cloned().unwrap_or_default())
            })
            .filter(|(field, _, value)| !field.is_empty() && !value.trim().is_empty())
            .collect();
        f.actions = actions.into_iter().enumerate().map(|(i, a)| (a, targets.get(i).cloned().unwrap_or_default())).filter(|(a, _)| !a.is_empty()).collect();
        f
    }

    /// The filter the form describes, named after its first condition when it has no name.
    pub fn filter(&self) -> Result<Filter, FormError> {
        let mut conditions = Vec::new();
        for (field, op, value) in &self.conditions {
            let field = match field.as_str() {
                "from" => Field::From,
                "to" => Field::To,
                "subject" => Field::Subject,
                "size" => Field::Size,
                other => match other.strip_prefix("header:") {
                    Some(name) => Field::Header(name.trim().to_string()),
                    None => return Err(FormError::Field(other.to_string())),
                },
            };
            let op = match op.as_str() {
                "contains" | "" => Op::Contains,
                "is" => Op::Is,
                "matches" => Op::Matches,
                "over" => Op::Over,
                "under" => Op::Under,
                other => return Err(FormError::Op(other.to_string())),
            };
            conditions.push(Condition { field, op, value: value.trim().to_string() });
        }
        if conditions.is_empty() {
            return Err(FormError::NoCondition);
        }
        let mut actions = Vec::new();
        for (action, target) in &self.actions {
            let needs_target = |t: &String| if t.is_empty() { Err(FormError::Target(action.clone())) } else { Ok(t.clone()) };
            actions.push(match action.as_str() {
                "move" => Action::Move(needs_target(target)?),
                "copy" => Action::Copy(needs_target(target)?),
                "read" => Action::Read,
                "star" => Action::Star,
                "forward" => Action::Forward { address: needs_target(target)?, keep: self.keep },
                "delete" => Action::Delete,
                other => return Err(FormError::Action(other.to_string())),
            });
        }
        if actions.is_empty() {
            return Err(FormError::NoAction);
        }
        let name = if self.name.is_empty() { conditions[0].value.chars().take(60).collect() } else { self.name.chars().take(100).collect() };
        Ok(Filter { name, enabled: self.enabled, all: !self.any, conditions, actions, stop: self.stop })
    }
}

/// `POST /settings/filters/{n}/apply`: the messages its page counted.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub folder: String,
    #[serde(default)]
    pub uidvalidity: u32,
    /// An IMAP set (`1:3,7`).
    #[serde(default)]
    pub uids: String,
}

/// `POST /settings/vacation`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct VacationForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub enabled: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
    #[serde(default)]
    pub days: String,
}

/// `POST /settings/forward`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ForwardForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub keep: String,
}

/// `POST /settings/sieve`: a script edited by hand.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ScriptForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub script: String,
}

/// The small forms: a filter's place (`index`), on/off (`enabled`), a direction (`dir`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct FilterOpForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub enabled: String,
    #[serde(default)]
    pub dir: String,
    #[serde(default)]
    pub from: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_contract_fields_make_one_rule_and_repeated_rows_more() {
        let f = FilterForm::from_pairs(pairs(&[("csrf", "t"), ("name", "News"), ("field", "from"), ("op", "contains"), ("value", "news@x.org"), ("action", "move"), ("target", "Lettres")]));
        let filter = f.filter().unwrap();
        assert_eq!(filter.conditions, vec![Condition { field: Field::From, op: Op::Contains, value: "news@x.org".into() }]);
        assert_eq!((filter.actions, filter.all, filter.enabled), (vec![Action::Move("Lettres".into())], true, true));
        let f = FilterForm::from_pairs(pairs(&[
            ("field", "header:List-Id"), ("op", "is"), ("value", "<dev.lists.x>"),
            ("field", "size"), ("op", "over"), ("value", "1M"),
            ("field", "subject"), ("op", "contains"), ("value", ""),
            ("match", "any"), ("action", "read"), ("target", ""), ("action", "forward"), ("target", "me@y.org"), ("keep", "on"), ("action", ""), ("target", ""),
        ]));
        let filter = f.filter().unwrap();
        assert_eq!(filter.conditions.len(), 2, "the empty row is left out");
        assert_eq!(filter.conditions[0].field, Field::Header("List-Id".into()));
        assert!(!filter.all);
        assert_eq!(filter.actions, vec![Action::Read, Action::Forward { address: "me@y.org".into(), keep: true }]);
        assert_eq!(filter.name, "<dev.lists.x>");
        let f = FilterForm::from_pairs(pairs(&[("field", "header"), ("header", "X-Priority"), ("op", "is"), ("value", "1"), ("action", "star")]));
        assert_eq!(f.filter().unwrap().conditions[0].field, Field::Header("X-Priority".into()));
        assert_eq!(FilterForm::from_pairs(pairs(&[("action", "read")])).filter(), Err(FormError::NoCondition));
        assert_eq!(FilterForm::from_pairs(pairs(&[("field", "from"), ("value", "a")])).filter(), Err(FormError::NoAction));
        assert_eq!(FilterForm::from_pairs(pairs(&[("field", "body"), ("value", "a"), ("action", "read")])).filter(), Err(FormError::Field("body".into())));
        assert_eq!(FilterForm::from_pairs(pairs(&[("field", "from"), ("value", "a"), ("action", "move")])).filter(), Err(FormError::Target("move".into())));
    }
}
