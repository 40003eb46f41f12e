//! What a user types in the search box, Gmail's way (`from:ann subject:"budget 2026" -is:read
//! has:attachment older_than:1y`), read into a tree and written as IMAP SEARCH keys (RFC 9051,
//! 6.4.4) for the server to run. Nothing of the query reaches the server unquoted: strings are
//! quoted strings, or literals when they hold non-ASCII text or characters a quoted string
//! cannot carry, with `CHARSET UTF-8`.

use std::fmt;

use super::MailError;
use super::imap::{Folder, ImapConn, ListItem, Role};

/// Where to search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every folder but Trash and Junk.
    Everywhere,
    /// Every folder, Trash and Junk too (`in:anywhere`).
    Anywhere,
    /// One folder, as the user named it (`in:inbox`, `in:trash`, `in:"Projects/2024"`).
    Folder(String),
}

/// One condition on a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// Words in headers or body (IMAP `TEXT`).
    Text(String),
    /// A header field: `FROM`, `TO`, `CC`, `BCC`, `SUBJECT`.
    Field(&'static str, String),
    /// A flag test: `SEEN`, `UNSEEN`, `FLAGGED`, `ANSWERED`, `DRAFT`.
    Flag(&'static str),
    /// Probably has attachments: the whole message is `multipart/mixed`.
    HasAttachment,
    /// An attachment's name: a `multipart/mixed` message whose text holds the name.
    Filename(String),
    /// Arrived before this day (exclusive).
    Before(Day),
    /// Arrived on or after this day.
    Since(Day),
    Larger(u64),
    Smaller(u64),
    /// A header field by name (a filter's condition searched on messages already there).
    Header(String, String),
}

/// A calendar day (the IMAP date: no time, no zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.day, crate::mail::mbox::MONTHS[(self.month - 1) as usize], self.year)
    }
}

impl Day {
    fn parse(s: &str) -> Option<Self> {
        let mut it = s.split(['-', '/']);
        let (y, m, d): (i32, u8, u8) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
        if it.next().is_some() || !(1000..=9999).contains(&y) {
            return None;
        }
        time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok().map(Self::from_date)
    }

    fn from_date(d: time::Date) -> Self {
        Self { year: d.year(), month: u32::from(u8::from(d.month())), day: u32::from(d.day()) }
    }
}

/// A query: conditions combined with AND (juxtaposition), OR, NOT and parentheses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Term(Term),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A search: where, and what (`None`: every message there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    pub scope: Scope,
    pub expr: Option<Expr>,
    /// Largest first (`sort:size`) rather than newest first.
    pub by_size: bool,
}

/// Why a query cannot be run, for a message under the search box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// `foo:bar` with an operator we do not know.
    UnknownOperator(String),
    /// An operator with a value it cannot take (`is:maybe`, `before:yesterday`).
    BadValue(String, String),
    /// `in:` inside OR, NOT or parentheses.
    ScopeInside,
    /// Two different `in:`.
    TwoScopes,
    /// A parenthesis or quote left open, or closed without opening; OR without both sides.
    Malformed,
    /// Nothing to search for.
    Empty,
    /// Longer than [`MAX_QUERY`] characters.
    TooLong,
    /// `in:` names no folder the user has.
    NoFolder(String),
}

/// The longest query read, in characters: far more than anyone types, far less than an IMAP
/// server takes on one line.
pub const MAX_QUERY: usize = 1000;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Or,
    Not,
    /// `key:value` (key lowercased) or a plain word / quoted phrase (`key` empty).
    Word { key: String, value: String },
}

fn tokenize(q: &str) -> Result<Vec<Token>, QueryError> {
    let mut out = Vec::new();
    let chars: Vec<char> = q.chars().collect();
    let mut i = 0;
    let quoted = |i: &mut usize| -> Result<String, QueryError> {
        // At an opening quote; returns what is inside, past the closing one.
        let mut v = String::new();
        *i += 1;
        while *i < chars.len() && chars[*i] != '"' {
            v.push(chars[*i]);
            *i += 1;
        }
        if *i >= chars.len() {
            return Err(QueryError::Malformed);
        }
        *i += 1;
        Ok(v)
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '-' if i + 1 < chars.len() && !chars[i + 1].is_whitespace() && (i == 0 || !is_word_char(chars[i - 1])) => {
                out.push(Token::Not);
                i += 1;
            }
            '"' => {
                let v = quoted(&mut i)?;
                out.push(Token::Word { key: String::new(), value: v });
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' && chars[i] != ')' && chars[i] != ':' && chars[i] != '"' {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let url = chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/');
                if i < chars.len() && chars[i] == ':' && !url && !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                    i += 1;
                    let value = if i < chars.len() && chars[i] == '"' {
                        quoted(&mut i)?
                    } else {
                        let s = i;
                        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' && chars[i] != ')' {
                            i += 1;
                        }
                        chars[s..i].iter().collect()
                    };
                    out.push(Token::Word { key: word.to_lowercase(), value });
                } else {
                    // A colon that does not follow an operator name (10:30, a URL) is text.
                    while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' && chars[i] != ')' {
                        i += 1;
                    }
                    let word: String = chars[start..i].iter().collect();
                    if word == "OR" {
                        out.push(Token::Or);
                    } else {
                        out.push(Token::Word { key: String::new(), value: word });
                    }
                }
            }
        }
    }
    Ok(out)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Reads a query typed in the search box. `today`: the user's day, for `older_than:` and
/// `newer_than:`.
pub fn parse(q: &str, today: time::Date) -> Result<Search, QueryError> {
    if q.chars().count() > MAX_QUERY {
        return Err(QueryError::TooLong);
    }
    let tokens = tokenize(q)?;
    let mut p = Parser { tokens, pos: 0, today, scope: None, by_size: None, depth: 0 };
    let expr = p.and()?;
    if p.pos < p.tokens.len() {
        return Err(QueryError::Malformed);
    }
    let scope = p.scope.take().unwrap_or(Scope::Everywhere);
    let by_size = p.by_size.unwrap_or(false);
    if expr.is_none() && scope == Scope::Everywhere && !by_size {
        return Err(QueryError::Empty);
    }
    Ok(Search { scope, expr, by_size })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    today: time::Date,
    scope: Option<Scope>,
    by_size: Option<bool>,
    /// How deep inside OR, NOT or parentheses the parser is (`in:` only at the top).
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// Terms side by side: all must hold. `None` when there were none (only `in:`).
    fn and(&mut self) -> Result<Option<Expr>, QueryError> {
        let mut parts = Vec::new();
        while let Some(t) = self.peek() {
            if *t == Token::Close {
                break;
            }
            if let Some(e) = self.or()? {
                parts.push(e);
            }
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Expr::And(parts)),
        })
    }

    fn or(&mut self) -> Result<Option<Expr>, QueryError> {
        let first = self.unary()?;
        if self.peek() != Some(&Token::Or) {
            return Ok(first);
        }
        let mut left = first.ok_or(QueryError::ScopeInside)?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            self.depth += 1;
            let right = self.unary();
            self.depth -= 1;
            let right = right?.ok_or(QueryError::ScopeInside)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(Some(left))
    }

    fn unary(&mut self) -> Result<Option<Expr>, QueryError> {
        match self.peek().cloned() {
            None | Some(Token::Or) | Some(Token::Close) => Err(QueryError::Malformed),
            Some(Token::Not) => {
                self.pos += 1;
                self.depth += 1;
                let inner = self.unary();
                self.depth -= 1;
                Ok(Some(Expr::Not(Box::new(inner?.ok_or(QueryError::ScopeInside)?))))
            }
            Some(Token::Open) => {
                self.pos += 1;
                self.depth += 1;
                let inner = self.and();
                self.depth -= 1;
                let inner = inner?;
                if self.peek() != Some(&Token::Close) {
                    return Err(QueryError::Malformed);
                }
                self.pos += 1;
                inner.map(Some).ok_or(QueryError::Malformed)
            }
            Some(Token::Word { key, value }) => {
                self.pos += 1;
                self.word(&key, value)
            }
        }
    }

    fn word(&mut self, key: &str, value: String) -> Result<Option<Expr>, QueryError> {
        let bad = || QueryError::BadValue(key.to_string(), value.clone());
        let lower = value.to_lowercase();
        if key != "in" && value.is_empty() {
            return Err(bad());
        }
        let term = match key {
            "" => Term::Text(value),
            "from" => Term::Field("FROM", value),
            "to" => Term::Field("TO", value),
            "cc" => Term::Field("CC", value),
            "bcc" => Term::Field("BCC", value),
            "subject" => Term::Field("SUBJECT", value),
            "is" => Term::Flag(match lower.as_str() {
                "unread" => "UNSEEN",
                "read" => "SEEN",
                "starred" => "FLAGGED",
                "answered" => "ANSWERED",
                "draft" => "DRAFT",
                _ => return Err(bad()),
            }),
            "has" if lower == "attachment" => Term::HasAttachment,
            "has" => return Err(bad()),
            "filename" => Term::Filename(value),
            "before" => Term::Before(Day::parse(&value).ok_or_else(bad)?),
            "after" => Term::Since(Day::parse(&value).ok_or_else(bad)?),
            "older_than" => Term::Before(Day::from_date(ago(self.today, &lower).ok_or_else(bad)?)),
            "newer_than" => Term::Since(Day::from_date(ago(self.today, &lower).ok_or_else(bad)?)),
            "larger" => Term::Larger(bytes(&lower).ok_or_else(bad)?),
            "smaller" => Term::Smaller(bytes(&lower).ok_or_else(bad)?),
            "sort" => {
                if self.depth > 0 {
                    return Err(QueryError::ScopeInside);
                }
                let by_size = match lower.as_str() {
                    "size" | "largest" | "taille" => true,
                    "date" | "newest" => false,
                    _ => return Err(bad()),
                };
                if self.by_size.is_some_and(|b| b != by_size) {
                    return Err(bad());
                }
                self.by_size = Some(by_size);
                return Ok(None);
            }
            "in" => {
                if self.depth > 0 {
                    return Err(QueryError::ScopeInside);
                }
                if value.is_empty() {
                    return Err(bad());
                }
                let scope = match lower.as_str() {
                    "anywhere" | "all" => Scope::Anywhere,
                    _ => Scope::Folder(value),
                };
                if self.scope.as_ref().is_some_and(|s| *s != scope) {
                    return Err(QueryError::TwoScopes);
                }
                self.scope = Some(scope);
                return Ok(None);
            }
            other => return Err(QueryError::UnknownOperator(other.to_string())),
        };
        Ok(Some(Expr::Term(term)))
    }
}

/// The day `n` units before `today` (`3d`, `2w`, `6m`, `1y`); a month back from the 31st
/// is the last day of the shorter month.
fn ago(today: time::Date, s: &str) -> Option<time::Date> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok().filter(|n| *n <= 100_000)?;
    let months_back = |m: i64| {
        let total = i64::from(today.year()) * 12 + i64::from(u8::from(today.month())) - 1 - m;
        let (y, mo) = (i32::try_from(total.div_euclid(12)).ok()?, u8::try_from(total.rem_euclid(12) + 1).ok()?);
        let month = time::Month::try_from(mo).ok()?;
        let day = today.day().min(month.length(y));
        time::Date::from_calendar_date(y, month, day).ok()
    };
    match unit {
        "d" => today.checked_sub(time::Duration::days(n)),
        "w" => today.checked_sub(time::Duration::weeks(n)),
        "m" => months_back(n),
        "y" => months_back(n * 12),
        _ => None,
    }
}

/// `500k`, `10m`, `1g` or bytes (lower case).
pub(crate) fn bytes(s: &str) -> Option<u64> {
    let (n, mult) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1024),
        'm' => (&s[..s.len() - 1], 1024 * 1024),
        'g' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    n.parse::<u64>().ok()?.checked_mul(mult)
}

/// An IMAP SEARCH command's keys, ready to send: text with literals kept apart, since a
/// literal must wait for the server's go-ahead.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    /// The command text, in pieces: each piece after the first starts with the bytes of a
    /// literal announced at the end of the piece before.
    pub pieces: Vec<String>,
    /// A literal is used: the command needs `CHARSET UTF-8`.
    pub utf8: bool,
}

impl Keys {
    fn raw(&mut self, s: &str) {
        if self.pieces.is_empty() {
            self.pieces.push(String::new());
        }
        let Some(last) = self.pieces.last_mut() else { return };
        if !last.is_empty() && !last.ends_with(['(', ' ']) && !s.starts_with(')') {
            last.push(' ');
        }
        last.push_str(s);
    }

    /// A string argument: quoted when it can be, else a literal.
    fn string(&mut self, s: &str) {
        let quotable = s.bytes().all(|b| (0x20..0x7f).contains(&b));
        if quotable {
            let q: String = s.chars().flat_map(|c| if c == '"' || c == '\\' { vec!['\\', c] } else { vec![c] }).collect();
            self.raw(&format!("\"{q}\""));
        } else {
            // CR and LF cannot be searched for; they end up as spaces.
            let clean: String = s.chars().map(|c| if c == '\r' || c == '\n' || c == '\0' { ' ' } else { c }).collect();
            self.raw(&format!("{{{}}}", clean.len()));
            self.pieces.push(clean);
            self.utf8 = true;
        }
    }

    /// The text of the command after `UID SEARCH`, pieces joined (for logs and tests).
    pub fn text(&self) -> String {
        self.pieces.join("")
    }

    /// The keys in one line, each literal sent without waiting for the server's go-ahead
    /// (`{n+}`, LITERAL+, RFC 7888).
    pub fn inline(&self) -> String {
        let mut out = String::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            match piece.strip_suffix('}').filter(|_| i + 1 < self.pieces.len()) {
                Some(head) => {
                    out.push_str(head);
                    out.push_str("+}\r\n");
                }
                None => out.push_str(piece),
            }
        }
        out
    }
}

impl Expr {
    /// The SEARCH keys of this expression.
    pub fn keys(&self) -> Keys {
        let mut k = Keys::default();
        self.write(&mut k);
        k
    }

    fn write(&self, k: &mut Keys) {
        match self {
            Expr::Term(t) => t.write(k),
            Expr::Not(e) => {
                k.raw("NOT");
                e.write(k);
            }
            Expr::Or(a, b) => {
                k.raw("OR");
                a.write(k);
                b.write(k);
            }
            Expr::And(v) => {
                k.raw("(");
                for e in v {
                    e.write(k);
                }
                k.raw(")");
            }
        }
    }
}

impl Term {
    fn write(&self, k: &mut Keys) {
        match self {
            Term::Text(s) => {
                k.raw("TEXT");
                k.string(s);
            }
            Term::Field(f, s) => {
                k.raw(f);
                k.string(s);
            }
            Term::Flag(f) => k.raw(f),
            Term::HasAttachment => {
                k.raw("HEADER Content-Type");
                k.string("multipart/mixed");
            }
            Term::Filename(s) => {
                k.raw("(HEADER Content-Type");
                k.string("multipart/mixed");
                k.raw("TEXT");
                k.string(s);
                k.raw(")");
            }
            Term::Before(d) => k.raw(&format!("BEFORE {d}")),
            Term::Since(d) => k.raw(&format!("SINCE {d}")),
            Term::Larger(n) => k.raw(&format!("LARGER {n}")),
            Term::Smaller(n) => k.raw(&format!("SMALLER {n}")),
            Term::Header(name, s) => {
                k.raw("HEADER");
                k.string(name);
                k.string(s);
            }
        }
    }
}

/// One message found.
#[derive(Clone, Debug)]
pub struct Hit {
    /// Its folder (UTF-8 name).
    pub folder: String,
    pub uidvalidity: u32,
    pub item: ListItem,
}

/// A page of results across folders, newest (or largest) first.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// Messages found in the folders searched.
    pub total: usize,
    pub page: u32,
    pub pages: u32,
    /// Folders searched, and how many there were to search (fewer when the time ran out).
    pub searched: usize,
    pub to_search: usize,
    /// Largest first (`sort:size`).
    pub by_size: bool,
}

/// The folders a search looks in, in the order it looks: the Inbox, Sent, Archive, then the
/// others as the sidebar shows them; Trash and Junk only when asked for.
pub fn folders_for(scope: &Scope, folders: &[Folder]) -> Result<Vec<Folder>, QueryError> {
    let selectable = folders.iter().filter(|f| f.selectable);
    match scope {
        Scope::Folder(name) => folder_named(name, folders).map(|f| vec![f.clone()]).ok_or_else(|| QueryError::NoFolder(name.clone())),
        Scope::Anywhere | Scope::Everywhere => {
            let rank = |f: &Folder| match f.role {
                Some(Role::Inbox) => 0,
                Some(Role::Sent) => 1,
                Some(Role::Archive) => 2,
                None | Some(Role::Drafts) => 3,
                Some(Role::Junk | Role::Trash) => 4,
            };
            let mut v: Vec<Folder> = selectable
                .filter(|f| *scope == Scope::Anywhere || !matches!(f.role, Some(Role::Junk | Role::Trash)))
                .cloned()
                .collect();
            v.sort_by_key(rank);
            Ok(v)
        }
    }
}

/// The folder `in:` names: a role by its usual name (`inbox`, `sent`, `drafts`, `archive`,
/// `trash`, `spam`, in English or French), else a folder by its name, path or last segment,
/// ignoring case.
pub fn folder_named<'a>(name: &str, folders: &'a [Folder]) -> Option<&'a Folder> {
    let n = name.trim().to_lowercase();
    let role = match n.as_str() {
        "inbox" | "réception" | "boîte de réception" => Some(Role::Inbox),
        "sent" | "envoyés" => Some(Role::Sent),
        "drafts" | "draft" | "brouillons" => Some(Role::Drafts),
        "archive" | "archives" => Some(Role::Archive),
        "trash" | "bin" | "corbeille" => Some(Role::Trash),
        "spam" | "junk" | "indésirables" => Some(Role::Junk),
        _ => None,
    };
    let selectable = || folders.iter().filter(|f| f.selectable);
    role.and_then(|r| selectable().find(|f| f.role == Some(r)))
        .or_else(|| selectable().find(|f| f.name.to_lowercase() == n))
        .or_else(|| selectable().find(|f| f.path.to_lowercase() == n || f.path.replace(" / ", "/").to_lowercase() == n))
        .or_else(|| selectable().find(|f| f.label.to_lowercase() == n))
}

/// The words a user would type in the box to search `folder` (`in:sent`, `in:"Projects/2024"`).
pub fn scope_words(folder: &Folder) -> String {
    match folder.role {
        Some(Role::Inbox) => "in:inbox".into(),
        Some(Role::Drafts) => "in:drafts".into(),
        Some(Role::Sent) => "in:sent".into(),
        Some(Role::Archive) => "in:archive".into(),
        Some(Role::Junk) => "in:spam".into(),
        Some(Role::Trash) => "in:trash".into(),
        None => {
            let path = folder.path.replace(" / ", "/");
            if path.chars().any(|c| c.is_whitespace() || c == '"' || c == '(' || c == ')') {
                format!("in:\"{}\"", path.replace('"', ""))
            } else {
                format!("in:{path}")
            }
        }
    }
}

/// Runs `search` on the server over `folders` (see [`folders_for`]), in that order, and
/// returns page `page` of the results, newest first (largest first with `sort:size`). Folders are searched until `budget`
/// has passed (at least one): the rest are left for a deeper search. Each folder costs one
/// search (see [`ImapConn::search_top`]) and, when it has results, one UID FETCH of at
/// most `page × per_page` rows.
pub async fn run(
    c: &mut ImapConn,
    search: &Search,
    folders: &[Folder],
    page: u32,
    per_page: u32,
    budget: std::time::Duration,
) -> Result<Found, MailError> {
    let started = std::time::Instant::now();
    let keys = search.expr.as_ref().map(Expr::keys);
    let page = page.max(1);
    let want = page * per_page;
    let mut found = Found { page, to_search: folders.len(), by_size: search.by_size, ..Default::default() };
    let mut hits = Vec::new();
    for f in folders {
        if found.searched > 0 && started.elapsed() >= budget {
            break;
        }
        let (uidvalidity, total, uids) = match c.search_top(&f.name, keys.as_ref(), want, search.by_size).await {
            Ok(r) => r,
            // Deleted meanwhile by another app: nothing to find there.
            Err(MailError::NotFound) => (0, 0, Vec::new()),
            Err(e) => return Err(e),
        };
        found.searched += 1;
        found.total += total;
        for item in c.rows(&f.name, uidvalidity, &uids).await? {
            hits.push(Hit { folder: f.name.clone(), uidvalidity, item });
        }
    }
    let newest = |a: &Hit, b: &Hit| b.item.internal_date.cmp(&a.item.internal_date).then(b.item.uid.cmp(&a.item.uid));
    if search.by_size {
        hits.sort_by(|a, b| b.item.size.cmp(&a.item.size).then_with(|| newest(a, b)));
    } else {
        hits.sort_by(newest);
    }
    found.pages = (found.total as u32).div_ceil(per_page).max(1);
    found.hits = hits.into_iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).collect();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> time::Date {
        time::Date::from_calendar_date(2026, time::Month::November, 30).unwrap()
    }

    fn keys(q: &str) -> String {
        parse(q, today()).unwrap().expr.unwrap().keys().text()
    }

    #[test]
    fn operators_become_search_keys() {
        assert_eq!(keys("from:ann"), r#"FROM "ann""#);
        assert_eq!(keys("From:Ann SUBJECT:\"budget 2026\""), r#"(FROM "Ann" SUBJECT "budget 2026")"#);
        assert_eq!(keys("to:a cc:b bcc:c"), r#"(TO "a" CC "b" BCC "c")"#);
        assert_eq!(keys("is:unread is:read is:starred is:answered is:draft"), "(UNSEEN SEEN FLAGGED ANSWERED DRAFT)");
        assert_eq!(keys("has:attachment"), r#"HEADER Content-Type "multipart/mixed""#);
        assert_eq!(keys("filename:plan.pdf"), r#"(HEADER Content-Type "multipart/mixed" TEXT "plan.pdf")"#);
        assert_eq!(keys("before:2026-03-02 after:2026/01/15"), "(BEFORE 2-Mar-2026 SINCE 15-Jan-2026)");
        assert_eq!(keys("older_than:3d"), "BEFORE 27-Nov-2026");
        assert_eq!(keys("newer_than:2w"), "SINCE 16-Nov-2026");
        assert_eq!(keys("newer_than:6m"), "SINCE 30-May-2026");
        assert_eq!(keys("older_than:1y"), "BEFORE 30-Nov-2025");
        assert_eq!(keys("larger:500K smaller:10M"), "(LARGER 512000 SMALLER 10485760)");
        assert_eq!(keys("hello \"two words\""), r#"(TEXT "hello" TEXT "two words")"#);
    }

    #[test]
    fn literals_go_inline_with_literal_plus() {
        let k = parse("café subject:\"x}\" été", today()).unwrap().expr.unwrap().keys();
        assert_eq!(k.text(), "(TEXT {5}café SUBJECT \"x}\" TEXT {5}été)");
        assert_eq!(k.inline(), "(TEXT {5+}\r\ncafé SUBJECT \"x}\" TEXT {5+}\r\nété)");
        assert_eq!(parse("from:a", today()).unwrap().expr.unwrap().keys().inline(), r#"FROM "a""#);
    }

    #[test]
    fn negation_or_and_parentheses() {
        assert_eq!(keys("-is:read"), "NOT SEEN");
        assert_eq!(keys("from:a OR from:b subject:x"), r#"(OR FROM "a" FROM "b" SUBJECT "x")"#);
        assert_eq!(keys("from:a OR from:b OR from:c"), r#"OR OR FROM "a" FROM "b" FROM "c""#);
        assert_eq!(keys("(from:a subject:x) OR -(to:b)"), r#"OR (FROM "a" SUBJECT "x") NOT TO "b""#);
        // A hyphen inside a word is not a negation; lowercase "or" is a word.
        assert_eq!(keys("e-mail or"), r#"(TEXT "e-mail" TEXT "or")"#);
    }

    #[test]
    fn scopes() {
        assert_eq!(parse("in:inbox from:a", today()).unwrap().scope, Scope::Folder("inbox".into()));
        assert_eq!(parse("in:anywhere x", today()).unwrap().scope, Scope::Anywhere);
        assert_eq!(parse("x", today()).unwrap().scope, Scope::Everywhere);
        assert_eq!(parse("in:\"Projects/2024\"", today()).unwrap(), Search { scope: Scope::Folder("Projects/2024".into()), expr: None, by_size: false });
        assert_eq!(parse("in:trash in:inbox", today()), Err(QueryError::TwoScopes));
        assert_eq!(parse("x OR in:trash", today()), Err(QueryError::ScopeInside));
        assert_eq!(parse("-in:trash", today()), Err(QueryError::ScopeInside));
        // Largest first: anywhere in the query but inside OR, a minus or parentheses.
        let big = parse("larger:1M sort:size in:anywhere", today()).unwrap();
        assert!(big.by_size && big.scope == Scope::Anywhere);
        assert!(parse("sort:size", today()).unwrap().by_size, "every message, largest first");
        assert!(!parse("x sort:date", today()).unwrap().by_size);
        assert_eq!(parse("x OR sort:size", today()), Err(QueryError::ScopeInside));
        assert_eq!(parse("sort:colour", today()), Err(QueryError::BadValue("sort".into(), "colour".into())));
        assert_eq!(parse("sort:size sort:date", today()), Err(QueryError::BadValue("sort".into(), "date".into())));
    }

    #[test]
    fn bad_queries_are_refused_with_a_reason() {
        assert_eq!(parse("foo:bar", today()), Err(QueryError::UnknownOperator("foo".into())));
        assert_eq!(parse("is:maybe", today()), Err(QueryError::BadValue("is".into(), "maybe".into())));
        assert_eq!(parse("before:yesterday", today()), Err(QueryError::BadValue("before".into(), "yesterday".into())));
        assert_eq!(parse("before:2026-02-30", today()), Err(QueryError::BadValue("before".into(), "2026-02-30".into())));
        assert_eq!(parse("larger:lots", today()), Err(QueryError::BadValue("larger".into(), "lots".into())));
        assert_eq!(parse("older_than:3x", today()), Err(QueryError::BadValue("older_than".into(), "3x".into())));
        for q in ["(from:a", "from:a)", "\"open", "OR x", "x OR", "()", "from:"] {
            assert!(parse(q, today()).is_err(), "{q}");
        }
        assert_eq!(parse("   ", today()), Err(QueryError::Empty));
        assert_eq!(parse(&"a ".repeat(600), today()), Err(QueryError::TooLong));
        assert!(parse(&"é".repeat(MAX_QUERY), today()).is_ok());
        // Colons that are not operators are text.
        assert_eq!(keys("10:30"), r#"TEXT "10:30""#);
        assert_eq!(keys("https://example.org/a"), r#"TEXT "https://example.org/a""#);
    }

    #[test]
    fn nothing_typed_reaches_the_server_unquoted() {
        assert_eq!(keys(r#"subject:a"b\c"#), r#"SUBJECT "a\"b\\c""#);
        let k = parse("from:\"x\" {5}", today()).unwrap().expr.unwrap().keys();
        assert_eq!(k.text(), r#"(FROM "x" TEXT "{5}")"#);
        let k = parse("café subject:\"été\"", today()).unwrap().expr.unwrap().keys();
        assert!(k.utf8);
        assert_eq!(k.pieces, ["(TEXT {5}", "café SUBJECT {5}", "été)"]);
        let k = parse("\"a\r\nb\"", today()).unwrap().expr.unwrap().keys();
        assert_eq!(k.pieces, ["TEXT {4}", "a  b"]);
    }
}
