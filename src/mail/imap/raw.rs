//! Commands whose replies imap-proto cannot parse: NAMESPACE, ESEARCH (the replies of
//! `SEARCH`/`SORT … RETURN (…)`), THREAD and FETCH `PREVIEW`. async-imap drops a connection
//! whose reply it cannot parse, so these are written and read here, on the raw stream, between
//! two of async-imap's commands (nothing else is in flight then).
//!
//! Replies are read in blocks until the tagged one. A server that sends something unasked
//! right after it (a BYE, an EXISTS) has it read here too, up to a reply's end, so that
//! async-imap never starts in the middle of one.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::connect::ImapSession;
use crate::mail::MailError;

/// One piece of an untagged reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Open,
    Close,
    Nil,
    /// A quoted string or a literal, as bytes.
    Str(Vec<u8>),
    /// Any other atom (numbers, keywords, sequence sets), as sent.
    Atom(String),
}

impl Token {
    pub fn atom(&self) -> Option<&str> {
        match self {
            Token::Atom(a) => Some(a),
            _ => None,
        }
    }

    /// An atom equal to `word`, ignoring case.
    pub fn is(&self, word: &str) -> bool {
        self.atom().is_some_and(|a| a.eq_ignore_ascii_case(word))
    }

    pub fn number(&self) -> Option<u32> {
        self.atom().and_then(|a| a.parse().ok())
    }
}

/// How the command ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// NO, with the server's words.
    No(String),
    /// BAD, with the server's words.
    Bad(String),
}

/// Longest reply read for one command (a THREAD reply for 100,000 messages is about 1 MB).
const MAX_REPLY: usize = 64 * 1024 * 1024;

/// Sends `command` tagged with `tag` and returns its untagged replies (each without the
/// leading `*`, as tokens) and how it ended.
pub(super) async fn exchange(session: &mut ImapSession, tag: &str, command: &str) -> Result<(Vec<Vec<Token>>, Status), MailError> {
    let stream = session.get_mut();
    stream.write_all(format!("{tag} {command}\r\n").as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut reader = Reader { buf: Vec::with_capacity(16 * 1024), pos: 0, total: 0 };
    let mut untagged = Vec::new();
    let mut status = None;
    // Until the tagged reply, then until nothing is left half read.
    while status.is_none() || reader.pos < reader.buf.len() {
        let reply = reader.reply(stream).await?;
        if let Some(rest) = reply.strip_prefix(b"* ") {
            untagged.push(tokens(rest));
        } else if status.is_none()
            && let Some(rest) = reply.strip_prefix(tag.as_bytes()).and_then(|r| r.strip_prefix(b" "))
        {
            let text = String::from_utf8_lossy(rest).trim_end().to_string();
            let (word, words) = text.split_once(' ').unwrap_or((&text, ""));
            status = Some(match word.to_ascii_uppercase().as_str() {
                "OK" => Status::Ok,
                "NO" => Status::No(words.to_string()),
                _ => Status::Bad(words.to_string()),
            });
        }
    }
    Ok((untagged, status.unwrap_or(Status::Ok)))
}

struct Reader {
    buf: Vec<u8>,
    pos: usize,
    total: usize,
}

impl Reader {
    /// One whole reply: a line, and for each literal it announces (`{n}` at its end), the
    /// literal's bytes and the line that follows.
    async fn reply(&mut self, stream: &mut super::connect::ImapStream) -> Result<Vec<u8>, MailError> {
        let mut out = Vec::new();
        loop {
            let line = self.line(stream).await?;
            out.extend_from_slice(&line);
            match literal_size(&line) {
                Some(n) => {
                    let bytes = self.take(stream, n).await?;
                    out.extend_from_slice(&bytes);
                }
                None => return Ok(out),
            }
        }
    }

    async fn line(&mut self, stream: &mut super::connect::ImapStream) -> Result<Vec<u8>, MailError> {
        let mut from = self.pos;
        loop {
            if let Some(i) = self.buf[from..].windows(2).position(|w| w == b"\r\n") {
                let end = from + i + 2;
                let line = self.buf[self.pos..end].to_vec();
                self.pos = end;
                return Ok(line);
            }
            from = self.buf.len().saturating_sub(1).max(self.pos);
            self.fill(stream).await?;
        }
    }

    async fn take(&mut self, stream: &mut super::connect::ImapStream, n: usize) -> Result<Vec<u8>, MailError> {
        while self.buf.len() - self.pos < n {
            self.fill(stream).await?;
        }
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(out)
    }

    async fn fill(&mut self, stream: &mut super::connect::ImapStream) -> Result<(), MailError> {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let mut block = [0u8; 16 * 1024];
        let n = stream.read(&mut block).await.map_err(io)?;
        if n == 0 {
            return Err(MailError::Protocol("connection closed during a command".into()));
        }
        self.total += n;
        if self.total > MAX_REPLY {
            return Err(MailError::Protocol("reply too long".into()));
        }
        self.buf.extend_from_slice(&block[..n]);
        Ok(())
    }
}

/// The size of the literal a line announces at its end (`… {12}\r\n` or `{12+}`).
fn literal_size(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r\n")?.strip_suffix(b"}")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    let n = std::str::from_utf8(&line[open + 1..]).ok()?;
    n.strip_suffix('+').unwrap_or(n).parse().ok()
}

/// The tokens of one reply (literals already joined to it by [`Reader::reply`]).
pub fn tokens(s: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            b'"' => {
                let mut v = Vec::new();
                i += 1;
                while i < s.len() {
                    match s[i] {
                        b'\\' if i + 1 < s.len() => {
                            v.push(s[i + 1]);
                            i += 2;
                        }
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b => {
                            v.push(b);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Str(v));
            }
            b'{' if let Some(close) = s[i..].iter().position(|&b| b == b'}') => {
                let size = std::str::from_utf8(&s[i + 1..i + close]).ok().and_then(|n| n.trim_end_matches('+').parse::<usize>().ok());
                let start = i + close + 3; // "}\r\n"
                match size {
                    Some(n) if s.get(i + close + 1..start) == Some(b"\r\n") && start + n <= s.len() => {
                        out.push(Token::Str(s[start..start + n].to_vec()));
                        i = start + n;
                    }
                    _ => {
                        out.push(Token::Atom(String::from_utf8_lossy(&s[i..i + close + 1]).into_owned()));
                        i += close + 1;
                    }
                }
            }
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < s.len() && !s[i].is_ascii_whitespace() && !matches!(s[i], b'(' | b')' | b'"') {
                    i += 1;
                }
                let atom = String::from_utf8_lossy(&s[start..i]).into_owned();
                out.push(if atom.eq_ignore_ascii_case("NIL") { Token::Nil } else { Token::Atom(atom) });
            }
        }
    }
    out
}

/// The numbers of a sequence set in the order written (`4,1:3` is 4, 1, 2, 3; `5:3` is 5,
/// 4, 3). At most `limit` numbers.
pub fn sequence(set: &str, limit: usize) -> Vec<u32> {
    let mut out = Vec::new();
    for part in set.split(',') {
        let (a, b) = part.split_once(':').unwrap_or((part, part));
        let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else { continue };
        let range: Box<dyn Iterator<Item = u32>> = if a <= b { Box::new(a..=b) } else { Box::new((b..=a).rev()) };
        for n in range {
            if out.len() >= limit {
                return out;
            }
            out.push(n);
        }
    }
    out
}

fn io(e: std::io::Error) -> MailError {
    MailError::Protocol(format!("i/o: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_cut_into_tokens() {
        assert_eq!(
            tokens(br#"ESEARCH (TAG "fx1") UID PARTIAL (1:5 12,6,11) COUNT 12"#),
            vec![
                Token::Atom("ESEARCH".into()),
                Token::Open,
                Token::Atom("TAG".into()),
                Token::Str(b"fx1".to_vec()),
                Token::Close,
                Token::Atom("UID".into()),
                Token::Atom("PARTIAL".into()),
                Token::Open,
                Token::Atom("1:5".into()),
                Token::Atom("12,6,11".into()),
                Token::Close,
                Token::Atom("COUNT".into()),
                Token::Atom("12".into()),
            ]
        );
        assert_eq!(
            tokens(b"1 FETCH (UID 7 PREVIEW {5}\r\nh\"i)\r)"),
            vec![
                Token::Atom("1".into()),
                Token::Atom("FETCH".into()),
                Token::Open,
                Token::Atom("UID".into()),
                Token::Atom("7".into()),
                Token::Atom("PREVIEW".into()),
                Token::Str(b"h\"i)\r".to_vec()),
                Token::Close,
            ]
        );
        assert_eq!(tokens(br#"NAMESPACE (("INBOX." ".")) NIL NIL"#)[3], Token::Str(b"INBOX.".to_vec()));
        assert_eq!(tokens(br#""a\"b\\c""#), vec![Token::Str(br#"a"b\c"#.to_vec())]);
        // A literal cut short is an atom, not a read past the end.
        assert_eq!(tokens(b"{99}\r\nab"), vec![Token::Atom("{99}".into()), Token::Atom("ab".into())]);
    }

    #[test]
    fn literal_sizes_and_sequences() {
        assert_eq!(literal_size(b"* 1 FETCH (PREVIEW {12}\r\n"), Some(12));
        assert_eq!(literal_size(b"* 1 FETCH (PREVIEW {12+}\r\n"), Some(12));
        assert_eq!(literal_size(b"* OK {x}\r\n"), None);
        assert_eq!(literal_size(b"* OK done\r\n"), None);
        assert_eq!(sequence("12,6,11", 10), vec![12, 6, 11]);
        assert_eq!(sequence("4,1:3", 10), vec![4, 1, 2, 3]);
        assert_eq!(sequence("5:3", 10), vec![5, 4, 3]);
        assert_eq!(sequence("1:4294967295", 3), vec![1, 2, 3]);
        assert_eq!(sequence("x,2", 3), vec![2]);
    }
}
