//! The words of the mail core: flags, UIDs, and where a message is. IMAP spells them on the
//! wire (`\Seen`, `$Junk`, `UID 42`); the rest of Facteur uses these types.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A message flag: the system flags of RFC 9051 and the keywords other mail apps agree on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Flag {
    Seen,
    Answered,
    Flagged,
    Deleted,
    Draft,
    /// `$Forwarded` (RFC 5550).
    Forwarded,
    /// `$Junk` / `$NotJunk` (RFC 5788): what spam filters learn from.
    Junk,
    NotJunk,
    /// A keyword other mail apps show as a label or tag (`$label1`, `Work`): an IMAP atom,
    /// checked by [`Flag::keyword`].
    Keyword(String),
}

impl Flag {
    /// The flag as IMAP spells it.
    pub fn imap(&self) -> &str {
        match self {
            Self::Seen => "\\Seen",
            Self::Answered => "\\Answered",
            Self::Flagged => "\\Flagged",
            Self::Deleted => "\\Deleted",
            Self::Draft => "\\Draft",
            Self::Forwarded => "$Forwarded",
            Self::Junk => "$Junk",
            Self::NotJunk => "$NotJunk",
            Self::Keyword(k) => k,
        }
    }

    /// The keyword for a label as a user types it: spaces become `_` and letters beyond
    /// ASCII are written in modified UTF-7 (as Thunderbird does for its tags), so that it is
    /// an IMAP atom; `None` when it is empty, too long, starts with `\` or `$` (flags of the
    /// system and of other apps), or holds a character an atom cannot.
    pub fn keyword(label: &str) -> Option<Flag> {
        let spaced: String = label.split_whitespace().collect::<Vec<_>>().join("_");
        let k = crate::mail::utf7::encode(&spaced);
        let atom = |c: char| c.is_ascii_graphic() && !matches!(c, '(' | ')' | '{' | '%' | '*' | '"' | '\\' | ']');
        (!k.is_empty() && k.len() <= 64 && !k.starts_with('$') && k.chars().all(atom)).then_some(Flag::Keyword(k))
    }

    /// `\Seen \Draft`: a list for STORE and APPEND (without the parentheses).
    pub fn list(flags: &[Flag]) -> String {
        flags.iter().map(Flag::imap).collect::<Vec<_>>().join(" ")
    }
}

/// A message's UID in its folder (RFC 9051: never 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Uid(pub u32);

/// The UIDVALIDITY of a folder: UIDs mean something only together with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UidValidity(pub u32);

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for UidValidity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Uid {
    /// A UID from text; 0 and anything else that is not one is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse::<u32>().ok().filter(|u| *u > 0).map(Self)
    }
}

impl UidValidity {
    pub fn parse(s: &str) -> Option<Self> {
        s.parse::<u32>().ok().map(Self)
    }
}

/// Where one message is: folder (UTF-8 name), UIDVALIDITY and UID. This is what a message's
/// URL carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageRef {
    pub mailbox: String,
    pub uidvalidity: UidValidity,
    pub uid: Uid,
}

impl MessageRef {
    pub fn new(mailbox: impl Into<String>, uidvalidity: UidValidity, uid: Uid) -> Self {
        Self { mailbox: mailbox.into(), uidvalidity, uid }
    }

    /// This message as a set of one.
    pub fn as_set(&self) -> MessageSet {
        MessageSet { mailbox: self.mailbox.clone(), uidvalidity: self.uidvalidity, uids: vec![self.uid] }
    }
}

/// Several messages of one folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSet {
    pub mailbox: String,
    pub uidvalidity: UidValidity,
    pub uids: Vec<Uid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_keywords_that_are_atoms() {
        assert_eq!(Flag::keyword("Work"), Some(Flag::Keyword("Work".into())));
        assert_eq!(Flag::keyword(" To  do "), Some(Flag::Keyword("To_do".into())));
        assert_eq!(Flag::keyword("Reçus"), Some(Flag::Keyword("Re&AOc-us".into())));
        // Line breaks are white space: nothing of them reaches the command.
        assert_eq!(Flag::keyword("a\r\nb"), Some(Flag::Keyword("a_b".into())));
        for bad in ["", "   ", "a(b", "x\\y", "\\Seen", "$label1", "q\"", "a]", "50%", "*", "{5}", &"x".repeat(65)] {
            assert_eq!(Flag::keyword(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn flags_are_spelled_as_imap_wants() {
        assert_eq!(Flag::list(&[Flag::Seen, Flag::Draft]), "\\Seen \\Draft");
        assert_eq!(Flag::list(&[Flag::Junk, Flag::Forwarded]), "$Junk $Forwarded");
    }

    #[test]
    fn uids_are_never_zero() {
        assert_eq!(Uid::parse("42"), Some(Uid(42)));
        assert_eq!(Uid::parse("0"), None);
        assert_eq!(Uid::parse("x"), None);
        assert_eq!(UidValidity::parse("0"), Some(UidValidity(0)));
    }
}
