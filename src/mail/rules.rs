//! The user's rules that the mail server runs at delivery: filters, the vacation reply,
//! forwarding and the spam rule, written as one Sieve script (RFC 5228) of Facteur's. The
//! script carries the rules it was made from (a JSON comment) and a checksum of its code, so
//! that Facteur reads its own rules back and notices a script edited by hand.

use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The name of Facteur's script on the server.
pub const SCRIPT: &str = "facteur";

const DATA: &str = "# facteur-rules: ";
const CHECK: &str = "# facteur-check: ";

/// What a condition looks at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    From,
    /// To or Cc.
    To,
    Subject,
    /// Any header, by name.
    Header(String),
    /// The message's size in bytes.
    Size,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Contains,
    Is,
    /// With `*` and `?` wildcards.
    Matches,
    /// Size over or under.
    Over,
    Under,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub field: Field,
    pub op: Op,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "do", content = "to")]
pub enum Action {
    Move(String),
    Copy(String),
    Read,
    Star,
    /// Forward to an address, keeping a copy or not.
    Forward { address: String, keep: bool },
    Delete,
}

/// One filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub name: String,
    pub enabled: bool,
    /// All conditions must hold (else any).
    pub all: bool,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    /// The rules below are not run for a message this one took.
    pub stop: bool,
}

/// The out-of-office reply (RFC 5230).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vacation {
    pub enabled: bool,
    pub subject: String,
    pub body: String,
    /// First and last day (YYYY-MM-DD), if any.
    pub start: Option<String>,
    pub end: Option<String>,
    /// Days before the same sender is answered again.
    pub days: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forward {
    /// Empty: no forwarding.
    pub address: String,
    pub keep: bool,
}

/// Everything Facteur's script says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub filters: Vec<Filter>,
    pub vacation: Vacation,
    pub forward: Forward,
    /// Messages the server's spam filter marked go to Junk.
    pub spam: bool,
    /// Another script of the user's, run first (`include`), kept as it was.
    #[serde(default)]
    pub include: Option<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self { filters: Vec::new(), vacation: Vacation { days: 7, ..Default::default() }, forward: Forward::default(), spam: true, include: None }
    }
}

/// What the script depends on besides the rules.
pub struct Context<'a> {
    /// The Sieve extensions the server has.
    pub extensions: &'a [String],
    /// The Junk folder's name (UTF-8, full).
    pub junk: &'a str,
    /// The addresses the vacation reply answers for.
    pub addresses: &'a [String],
    /// The headers a spam filter marks messages with (`X-Spam-Flag: YES`, …).
    pub spam_headers: &'a [(&'a str, &'a str)],
}

impl Context<'_> {
    fn has(&self, e: &str) -> bool {
        self.extensions.iter().any(|x| x.eq_ignore_ascii_case(e))
    }
}

/// Why a rule cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("header name")]
    HeaderName,
    #[error("size")]
    Size,
    #[error("empty value")]
    Empty,
    #[error("line break")]
    LineBreak,
    #[error("address")]
    Address,
    #[error("date")]
    Date,
    #[error("extension {0}")]
    Missing(&'static str),
}

/// A Sieve quoted string (`"` and `\` escaped; line breaks kept, as a quoted string may hold them).
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A one-line value: no CR or LF (a header value never holds one).
fn line(s: &str) -> Result<String, RuleError> {
    if s.contains(['\r', '\n']) {
        return Err(RuleError::LineBreak);
    }
    Ok(q(s))
}

/// A header field name as real ones are: letters, digits, `-` and `_` (RFC 5322 allows
/// more printable characters, which no header in use has and which only confuse).
pub fn valid_header_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 76 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An address Sieve may redirect to: one mailbox, `local@domain`, nothing that could be read
/// as something else.
pub fn valid_address(a: &str) -> bool {
    let Some((local, domain)) = a.rsplit_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && a.len() <= 254
        && a.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.@".contains(c))
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// `500K`, `10M`, `1G` or a number of bytes, as Sieve writes sizes.
fn size(value: &str) -> Result<String, RuleError> {
    let v = value.trim().to_ascii_uppercase();
    let (digits, unit) = match v.char_indices().last() {
        Some((i, u @ ('K' | 'M' | 'G'))) => (&v[..i], Some(u)),
        _ => (v.as_str(), None),
    };
    let n: u64 = digits.trim().parse().map_err(|_| RuleError::Size)?;
    Ok(match unit {
        Some(u) => format!("{n}{u}"),
        None => n.to_string(),
    })
}

fn day(value: &Option<String>) -> Result<Option<String>, RuleError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(v, fmt).map_err(|_| RuleError::Date)?;
            Ok(Some(v.to_string()))
        }
    }
}

fn test(c: &Condition) -> Result<String, RuleError> {
    let headers = match &c.field {
        Field::Size => {
            let cmp = if c.op == Op::Under { ":under" } else { ":over" };
            return Ok(format!("size {cmp} {}", size(&c.value)?));
        }
        Field::From => "\"from\"".to_string(),
        Field::To => "[\"to\", \"cc\"]".to_string(),
        Field::Subject => "\"subject\"".to_string(),
        Field::Header(name) if valid_header_name(name) => q(name),
        Field::Header(_) => return Err(RuleError::HeaderName),
    };
    if c.value.is_empty() {
        return Err(RuleError::Empty);
    }
    let op = match c.op {
        Op::Is => ":is",
        Op::Matches => ":matches",
        _ => ":contains",
    };
    Ok(format!("header {op} {headers} {}", line(&c.value)?))
}

/// The lines of one filter's actions, flags first (they go with the message stored).
fn actions(f: &Filter, cx: &Context<'_>, req: &mut Vec<&'static str>) -> Result<Vec<String>, RuleError> {
    let mut flags = Vec::new();
    let mut out = Vec::new();
    for a in &f.actions {
        match a {
            Action::Read => flags.push("\\\\Seen"),
            Action::Star => flags.push("\\\\Flagged"),
            Action::Move(folder) => {
                req.push("fileinto");
                out.push(format!("fileinto {};", line(folder)?));
            }
            Action::Copy(folder) => {
                req.extend(["fileinto", "copy"]);
                if !cx.has("copy") {
                    return Err(RuleError::Missing("copy"));
                }
                out.push(format!("fileinto :copy {};", line(folder)?));
            }
            Action::Forward { address, keep } => {
                if !valid_address(address) {
                    return Err(RuleError::Address);
                }
                if *keep && cx.has("copy") {
                    req.push("copy");
                    out.push(format!("redirect :copy {};", q(address)));
                } else {
                    out.push(format!("redirect {};", q(address)));
                    if *keep {
                        out.push("keep;".to_string());
                    }
                }
            }
            Action::Delete => out.push("discard;".to_string()),
        }
    }
    if !flags.is_empty() {
        req.push("imap4flags");
        let list = flags.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ");
        out.insert(0, format!("addflag [{list}];"));
    }
    if f.stop {
        out.push("stop;".to_string());
    }
    Ok(out)
}

/// The script for `rules`: a comment saying who wrote it, the rules as data, the code, and
/// a checksum of the code.
pub fn script(rules: &Rules, cx: &Context<'_>) -> Result<String, RuleError> {
    let mut req: Vec<&'static str> = Vec::new();
    let mut code = String::new();
    if let Some(other) = &rules.include {
        req.push("include");
        code.push_str(&format!("# Your other rules, kept as they were (nothing breaks if they are deleted).\ninclude :personal :optional {};\n\n", line(other)?));
    }
    if rules.spam && !cx.spam_headers.is_empty() {
        req.push("fileinto");
        let tests: Vec<String> = cx.spam_headers.iter().map(|(h, v)| format!("header :contains {} {}", q(h), q(v))).collect();
        let create = if cx.has("mailbox") {
            req.push("mailbox");
            ":create "
        } else {
            ""
        };
        code.push_str(&format!("# Spam: messages the spam filter marked go to Junk.\nif anyof ({}) {{\n    fileinto {create}{};\n    stop;\n}}\n\n", tests.join(", "), line(cx.junk)?));
    }
    let v = &rules.vacation;
    if v.enabled {
        req.push("vacation");
        if v.body.trim().is_empty() {
            return Err(RuleError::Empty);
        }
        let mut reply = format!("vacation :days {}", v.days.clamp(1, 30));
        if !v.subject.trim().is_empty() {
            reply.push_str(&format!(" :subject {}", line(v.subject.trim())?));
        }
        let addresses: Vec<String> = cx.addresses.iter().filter(|a| valid_address(a)).map(|a| q(a)).collect();
        if !addresses.is_empty() {
            reply.push_str(&format!(" :addresses [{}]", addresses.join(", ")));
        }
        reply.push_str(&format!(" {};", q(&v.body.replace("\r\n", "\n"))));
        let (start, end) = (day(&v.start)?, day(&v.end)?);
        let mut when = Vec::new();
        if (start.is_some() || end.is_some()) && !cx.has("date") {
            return Err(RuleError::Missing("date"));
        }
        if let Some(s) = &start {
            when.push(format!("currentdate :value \"ge\" \"date\" {}", q(s)));
        }
        if let Some(e) = &end {
            when.push(format!("currentdate :value \"le\" \"date\" {}", q(e)));
        }
        code.push_str("# Vacation reply.\n");
        if when.is_empty() {
            code.push_str(&format!("{reply}\n\n"));
        } else {
            req.extend(["date", "relational"]);
            code.push_str(&format!("if allof ({}) {{\n    {reply}\n}}\n\n", when.join(", ")));
        }
    }
    let fwd = &rules.forward;
    if !fwd.address.is_empty() {
        let forward = Filter { name: String::new(), enabled: true, all: true, conditions: Vec::new(), actions: vec![Action::Forward { address: fwd.address.clone(), keep: fwd.keep }], stop: false };
        code.push_str("# Forwarding of all mail.\n");
        for l in actions(&forward, cx, &mut req)? {
            code.push_str(&format!("{l}\n"));
        }
        code.push('\n');
    }
    for f in rules.filters.iter().filter(|f| f.enabled) {
        if f.conditions.is_empty() || f.actions.is_empty() {
            continue;
        }
        let tests = f.conditions.iter().map(test).collect::<Result<Vec<_>, _>>()?;
        let body = actions(f, cx, &mut req)?;
        let name = f.name.replace(['\r', '\n'], " ");
        code.push_str(&format!("# Filter: {name}\nif {} ({}) {{\n", if f.all { "allof" } else { "anyof" }, tests.join(", ")));
        for l in body {
            code.push_str(&format!("    {l}\n"));
        }
        code.push_str("}\n\n");
    }
    let mut seen = Vec::new();
    req.retain(|r| if seen.contains(r) { false } else { seen.push(*r); true });
    for r in &req {
        if !cx.has(r) {
            return Err(RuleError::Missing(r));
        }
    }
    let require = if req.is_empty() { String::new() } else { format!("require [{}];\n\n", req.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(", ")) };
    let code = format!("{require}{code}");
    let data = serde_json::to_string(rules).unwrap_or_default();
    Ok(format!(
        "# Written by Facteur (Settings → Filters). Edit these rules there: what is changed here\n# by hand shows in Facteur, which asks before replacing it.\n{DATA}{data}\n{CHECK}{}\n\n{code}",
        checksum(&code)
    ))
}

fn checksum(code: &str) -> String {
    let digest = sha2::Sha256::digest(code.as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// What a script of Facteur's holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    pub rules: Rules,
    /// Its code was changed by hand since Facteur wrote it.
    pub edited: bool,
}

/// Facteur's rules in `script`, if Facteur wrote it.
pub fn read(script: &str) -> Option<Read> {
    let data = script.lines().find_map(|l| l.strip_prefix(DATA))?;
    let rules: Rules = serde_json::from_str(data).ok()?;
    let check = script.lines().find_map(|l| l.strip_prefix(CHECK)).unwrap_or_default();
    let code = script.split_once(&format!("{CHECK}{check}\n\n")).map(|(_, c)| c).unwrap_or_default();
    Some(Read { edited: checksum(code) != check.trim(), rules })
}

impl Filter {
    /// The filter's conditions as IMAP SEARCH keys (to act on messages already in a folder),
    /// and whether the server's answer is exact. IMAP searches substrings only: `is` and
    /// `matches` are searched as their longest literal part, and what is found must then be
    /// checked with [`Filter::holds`].
    pub fn search(&self) -> (Option<crate::mail::search::Expr>, bool) {
        use crate::mail::search::{Expr, Term};
        let mut exact = true;
        let mut parts = Vec::new();
        for c in &self.conditions {
            let needle = match c.op {
                Op::Contains => c.value.clone(),
                Op::Is => {
                    exact = false;
                    c.value.clone()
                }
                Op::Matches => {
                    exact = false;
                    c.value.split(['*', '?']).max_by_key(|p| p.len()).unwrap_or_default().to_string()
                }
                Op::Over | Op::Under => String::new(),
            };
            let field = |name: &'static str| Expr::Term(Term::Field(name, needle.clone()));
            let e = match &c.field {
                Field::Size => match size_value(&c.value) {
                    Some(n) if c.op == Op::Under => Some(Expr::Term(Term::Smaller(n))),
                    Some(n) => Some(Expr::Term(Term::Larger(n))),
                    None => None,
                },
                // An empty needle (`*`) finds every message: checked afterwards.
                _ if needle.is_empty() => None,
                Field::From => Some(field("FROM")),
                Field::To => Some(Expr::Or(Box::new(field("TO")), Box::new(field("CC")))),
                Field::Subject => Some(field("SUBJECT")),
                Field::Header(name) if valid_header_name(name) => Some(Expr::Term(Term::Header(name.clone(), needle.clone()))),
                Field::Header(_) => None,
            };
            match e {
                Some(e) => parts.push(e),
                None if self.all => exact = false,
                // Any condition: one that cannot be searched could hold for any message.
                None => return (None, false),
            }
        }
        let expr = if self.all {
            match parts.len() {
                0 => None,
                1 => parts.pop(),
                _ => Some(Expr::And(parts)),
            }
        } else {
            parts.into_iter().reduce(|a, b| Expr::Or(Box::new(a), Box::new(b)))
        };
        (expr, exact)
    }

    /// The header fields its conditions read.
    pub fn header_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for c in &self.conditions {
            let more: Vec<String> = match &c.field {
                Field::From => vec!["FROM".into()],
                Field::To => vec!["TO".into(), "CC".into()],
                Field::Subject => vec!["SUBJECT".into()],
                Field::Header(n) if valid_header_name(n) => vec![n.clone()],
                Field::Header(_) | Field::Size => Vec::new(),
            };
            for n in more {
                if !names.iter().any(|x: &String| x.eq_ignore_ascii_case(&n)) {
                    names.push(n);
                }
            }
        }
        if names.is_empty() {
            names.push("SUBJECT".into());
        }
        names
    }

    /// Whether a message of `size` bytes with these header fields meets the conditions, as
    /// Sieve compares (ASCII letters in any case, encoded words decoded).
    pub fn holds(&self, headers: &[u8], size: u32) -> bool {
        let parsed = mail_parser::MessageParser::new().parse_headers(headers);
        let values = |name: &str| -> Vec<String> {
            let Some(m) = parsed.as_ref() else { return Vec::new() };
            m.headers()
                .iter()
                .filter(|h| h.name().eq_ignore_ascii_case(name))
                .map(|h| match h.value().as_text() {
                    Some(t) => t.to_string(),
                    None => m.header_raw(h.name()).map(|r| r.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default(),
                })
                .collect()
        };
        let test = |c: &Condition| -> bool {
            let fields: Vec<String> = match &c.field {
                Field::Size => {
                    let Some(n) = size_value(&c.value) else { return false };
                    return if c.op == Op::Under { u64::from(size) < n } else { u64::from(size) > n };
                }
                Field::From => values("From"),
                Field::To => [values("To"), values("Cc")].concat(),
                Field::Subject => values("Subject"),
                Field::Header(n) => values(n),
            };
            let want = c.value.to_ascii_lowercase();
            fields.iter().map(|v| v.to_ascii_lowercase()).any(|v| match c.op {
                Op::Is => v == want,
                Op::Matches => glob(&want, &v),
                _ => v.contains(&want),
            })
        };
        if self.all { self.conditions.iter().all(test) } else { self.conditions.iter().any(test) }
    }
}

/// A size as Sieve writes it (`500K`) in bytes.
fn size_value(value: &str) -> Option<u64> {
    crate::mail::search::bytes(&size(value).ok()?.to_ascii_lowercase())
}

/// Sieve's `:matches`: `*` any run of characters, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The line a server's complaint points at (`line 3: error: …`), if it says.
pub fn error_line(message: &str) -> Option<usize> {
    let at = message.find("line ")?;
    message[at + 5..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXT: &[&str] = &["fileinto", "vacation", "copy", "imap4flags", "date", "relational", "mailbox", "include"];

    fn cx<'a>(ext: &'a [String]) -> Context<'a> {
        Context { extensions: ext, junk: "Junk", addresses: &[], spam_headers: &[("X-Spam-Flag", "YES")] }
    }

    fn ext() -> Vec<String> {
        EXT.iter().map(|s| s.to_string()).collect()
    }

    fn filter(conditions: Vec<Condition>, actions: Vec<Action>) -> Filter {
        Filter { name: "News".into(), enabled: true, all: true, conditions, actions, stop: false }
    }

    #[test]
    fn rules_become_a_script_that_reads_back() {
        let ext = ext();
        let mut rules = Rules::default();
        rules.filters.push(filter(
            vec![Condition { field: Field::From, op: Op::Contains, value: "news@example.org".into() }, Condition { field: Field::Size, op: Op::Over, value: "2m".into() }],
            vec![Action::Read, Action::Move("Lettres d’info".into()), Action::Star],
        ));
        rules.vacation = Vacation { enabled: true, subject: "Absent".into(), body: "Back on \"Monday\".\nBye".into(), start: None, end: Some("2026-12-24".into()), days: 3 };
        rules.forward = Forward { address: "me@example.net".into(), keep: true };
        let s = script(&rules, &cx(&ext)).unwrap();
        assert!(s.contains("require [\"fileinto\", \"mailbox\", \"vacation\", \"date\", \"relational\", \"copy\", \"imap4flags\"];"), "{s}");
        assert!(s.contains("if allof (header :contains \"from\" \"news@example.org\", size :over 2M) {\n    addflag [\"\\\\Seen\", \"\\\\Flagged\"];\n    fileinto \"Lettres d’info\";\n}"), "{s}");
        assert!(s.contains("vacation :days 3 :subject \"Absent\" \"Back on \\\"Monday\\\".\nBye\";"), "{s}");
        assert!(s.contains("currentdate :value \"le\" \"date\" \"2026-12-24\""), "{s}");
        assert!(s.contains("redirect :copy \"me@example.net\";"), "{s}");
        assert!(s.contains("fileinto :create \"Junk\";"), "{s}");
        let back = read(&s).unwrap();
        assert_eq!(back, Read { rules: rules.clone(), edited: false });
        // Changed by hand: noticed.
        let edited = s.replace("stop;", "keep;");
        assert!(read(&edited).unwrap().edited);
        assert_eq!(read("require \"fileinto\";\nkeep;\n"), None, "not Facteur's");
    }

    #[test]
    fn a_filter_searches_the_server_and_checks_what_imap_cannot_compare() {
        let c = |field: Field, op: Op, value: &str| Condition { field, op, value: value.into() };
        let f = filter(vec![c(Field::From, Op::Contains, "news@x.org"), c(Field::Size, Op::Over, "1K")], vec![Action::Read]);
        let (expr, exact) = f.search();
        assert_eq!((expr.unwrap().keys().text(), exact), ("(FROM \"news@x.org\" LARGER 1024)".to_string(), true));
        let g = Filter { all: false, ..filter(vec![c(Field::Subject, Op::Matches, "*[ann*]*"), c(Field::Header("List-Id".into()), Op::Is, "<dev.x>")], vec![Action::Star]) };
        let (expr, exact) = g.search();
        assert_eq!((expr.unwrap().keys().text(), exact), ("OR SUBJECT \"[ann\" HEADER \"List-Id\" \"<dev.x>\"".to_string(), false));
        assert_eq!(g.header_names(), vec!["SUBJECT".to_string(), "List-Id".to_string()]);
        let headers = b"Subject: =?utf-8?q?Re=3A_=5BANN=5D_release?=\r\nList-Id: other\r\n\r\n";
        assert!(g.holds(headers, 10), "encoded words decoded, case ignored");
        assert!(!g.holds(b"Subject: ann\r\nList-Id: <dev.x> more\r\n\r\n", 10), "is means the whole value");
        assert!(f.holds(b"From: News <NEWS@x.org>\r\n\r\n", 2000) && !f.holds(b"From: news@x.org\r\n\r\n", 1000));
    }

    #[test]
    fn what_cannot_be_written_is_refused() {
        let ext = ext();
        let cx = cx(&ext);
        let one = |c: Condition, a: Action| {
            let mut r = Rules::default();
            r.filters.push(filter(vec![c], vec![a]));
            script(&r, &cx)
        };
        let from = |v: &str| Condition { field: Field::From, op: Op::Is, value: v.into() };
        let header = |n: &str| Condition { field: Field::Header(n.into()), op: Op::Contains, value: "x".into() };
        assert_eq!(one(header("X-Evil\r\nkeep"), Action::Read), Err(RuleError::HeaderName));
        assert_eq!(one(header("X-\"q\""), Action::Read).unwrap_err(), RuleError::HeaderName);
        assert_eq!(one(from("a\r\n}\r\ndiscard;"), Action::Read), Err(RuleError::LineBreak));
        assert_eq!(one(from("x"), Action::Forward { address: "a@b.c\"; discard; \"".into(), keep: false }), Err(RuleError::Address));
        assert_eq!(one(Condition { field: Field::Size, op: Op::Over, value: "lots".into() }, Action::Read), Err(RuleError::Size));
        // Quotes and backslashes are escaped, not interpreted.
        let s = one(from("a\"b\\c"), Action::Move("x\" ; discard ; \"".into())).unwrap();
        assert!(s.contains("header :is \"from\" \"a\\\"b\\\\c\"") && s.contains("fileinto \"x\\\" ; discard ; \\\"\";"), "{s}");
        // Without the extension the server lacks, no script.
        let bare = vec!["fileinto".to_string()];
        let mut r = Rules { vacation: Vacation { enabled: true, body: "x".into(), days: 7, ..Default::default() }, ..Default::default() };
        assert_eq!(script(&r, &Context { extensions: &bare, ..cx }), Err(RuleError::Missing("vacation")));
        r.vacation.end = Some("2026-02-30".into());
        assert_eq!(script(&r, &cx), Err(RuleError::Date));
        assert_eq!(error_line("line 7: error: unknown command 'fileintoo'."), Some(7));
        assert!(glob("*news*", "weekly news letter") && glob("a?c", "abc") && !glob("a?c", "abbc") && glob("*", ""));
        assert_eq!(error_line("error: validation failed."), None);
        assert!(valid_address("élise+x@exemple.fr") && !valid_address("a@b") && !valid_address("a b@c.d"));
    }
}
