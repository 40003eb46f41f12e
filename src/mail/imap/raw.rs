//! Commands whose replies imap-proto cannot parse: NAMESPACE, ESEARCH (the replies of
//! `SEARCH`/`SORT … RETURN (…)`), THREAD and FETCH `PREVIEW`. async-imap drops a connection
//! whose reply it cannot parse, so these are written and read here, on the raw stream, between
//! two of async-imap's commands (nothing else is in flight then).
//!
//! Replies are read in blocks until the tagged one. A server that sends something unasked
//! right after it (a BYE, an EXISTS) has it read here too, up to a reply's end, so that
//! async-imap never starts in the middle of one.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

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
    /// A number (THREAD and SEARCH replies are mostly numbers: no allocation for them).
    Number(u32),
    /// Any other atom (keywords, sequence sets), as sent.
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
        match self {
            Token::Number(n) => Some(*n),
            Token::Atom(a) => a.parse().ok(),
            _ => None,
        }
    }

    /// A number or an atom as text (a sequence set may be either).
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Token::Number(n) => Some(n.to_string().into()),
            Token::Atom(a) => Some(a.as_str().into()),
            _ => None,
        }
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
    read_replies(stream, tag).await
}

/// Sends `command`, whole and already tagged with `tag` (a command with non-synchronizing
/// literals, bytes and all), and returns its replies as [`exchange`] does.
pub(super) async fn send(session: &mut ImapSession, tag: &str, command: &[u8]) -> Result<(Vec<Vec<Token>>, Status), MailError> {
    let stream = session.get_mut();
    stream.write_all(command).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    read_replies(stream, tag).await
}

/// Starts `IDLE` (RFC 2177) tagged `tag`. Returns the untagged replies that came before the
/// server's go-ahead (and any right after it), and `None` once it went ahead, or how it
/// refused. From then on, nothing may be sent but `DONE` ([`idle_done`]).
pub(super) async fn idle_start(session: &mut ImapSession, tag: &str) -> Result<(Vec<Vec<Token>>, Option<Status>), MailError> {
    let stream = session.get_mut();
    stream.write_all(format!("{tag} IDLE\r\n").as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut reader = Reader::new();
    let mut untagged = Vec::new();
    let mut going = false;
    loop {
        let reply = reader.reply(stream).await?;
        if let Some(rest) = reply.strip_prefix(b"* ") {
            untagged.push(tokens(rest));
        } else if reply.starts_with(b"+") {
            going = true;
        } else if let Some(status) = tagged_status(&reply, tag) {
            return Ok((untagged, Some(status)));
        }
        if going && !reader.pending() {
            return Ok((untagged, None));
        }
    }
}

/// Ends the `IDLE` tagged `tag`: its replies (what changed meanwhile) and how it ended.
pub(super) async fn idle_done(session: &mut ImapSession, tag: &str) -> Result<(Vec<Vec<Token>>, Status), MailError> {
    send(session, tag, b"DONE\r\n").await
}

/// How the command tagged `tag` ended, if `reply` is its tagged reply.
fn tagged_status(reply: &[u8], tag: &str) -> Option<Status> {
    let rest = reply.strip_prefix(tag.as_bytes()).and_then(|r| r.strip_prefix(b" "))?;
    let text = String::from_utf8_lossy(rest).trim_end().to_string();
    let (word, words) = text.split_once(' ').unwrap_or((&text, ""));
    Some(match word.to_ascii_uppercase().as_str() {
        "OK" => Status::Ok,
        "NO" => Status::No(words.to_string()),
        _ => Status::Bad(words.to_string()),
    })
}

/// The replies to the command tagged `tag`, up to its tagged one and past it to the end of
/// anything the server sent after it.
async fn read_replies<S: AsyncRead + Unpin>(stream: &mut S, tag: &str) -> Result<(Vec<Vec<Token>>, Status), MailError> {
    let mut reader = Reader::new();
    let mut untagged = Vec::new();
    let mut status = None;
    while status.is_none() || reader.pending() {
        let reply = reader.reply(stream).await?;
        if let Some(rest) = reply.strip_prefix(b"* ") {
            untagged.push(tokens(rest));
        } else if status.is_none() {
            status = tagged_status(&reply, tag);
        }
    }
    Ok((untagged, status.unwrap_or(Status::Ok)))
}

impl Status {
    /// NO as [`MailError::No`] with the server's words, BAD as a protocol error.
    pub fn into_result(self) -> Result<(), MailError> {
        match self {
            Status::Ok => Ok(()),
            Status::No(text) => Err(MailError::No(text)),
            Status::Bad(text) => Err(MailError::Protocol(format!("BAD {text}"))),
        }
    }
}

/// Bytes asked of the stream at once.
const BLOCK: usize = 16 * 1024;

/// Reads replies in blocks, keeping what is not consumed yet.
struct Reader {
    buf: Vec<u8>,
    /// Where the unread bytes start in `buf`.
    pos: usize,
    total: usize,
}

impl Reader {
    fn new() -> Self {
        Self { buf: Vec::with_capacity(BLOCK), pos: 0, total: 0 }
    }

    /// Bytes read but not consumed yet.
    fn pending(&self) -> bool {
        self.pos < self.buf.len()
    }

    /// One whole reply: a line, and for each literal it announces (`{n}` at its end), the
    /// literal's bytes and the line that follows.
    async fn reply<S: AsyncRead + Unpin>(&mut self, stream: &mut S) -> Result<Vec<u8>, MailError> {
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

    async fn line<S: AsyncRead + Unpin>(&mut self, stream: &mut S) -> Result<Vec<u8>, MailError> {
        // Unread bytes already searched for CRLF (all but the last, which may be its CR).
        let mut searched = 0;
        loop {
            let from = self.pos + searched;
            if let Some(i) = self.buf[from..].windows(2).position(|w| w == b"\r\n") {
                let end = from + i + 2;
                let line = self.buf[self.pos..end].to_vec();
                self.pos = end;
                return Ok(line);
            }
            searched = (self.buf.len() - self.pos).saturating_sub(1);
            self.fill(stream).await?;
        }
    }

    async fn take<S: AsyncRead + Unpin>(&mut self, stream: &mut S, n: usize) -> Result<Vec<u8>, MailError> {
        while self.buf.len() - self.pos < n {
            self.fill(stream).await?;
        }
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(out)
    }

    /// Reads one more block, first dropping the bytes consumed (positions stay relative to
    /// `pos`).
    async fn fill<S: AsyncRead + Unpin>(&mut self, stream: &mut S) -> Result<(), MailError> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        // Straight into the buffer's free space (a block on the stack would sit in every
        // future that awaits this one).
        self.buf.reserve(BLOCK);
        let n = stream.read_buf(&mut self.buf).await.map_err(io)?;
        if n == 0 {
            return Err(MailError::Protocol("connection closed during a command".into()));
        }
        self.total += n;
        if self.total > MAX_REPLY {
            return Err(MailError::Protocol("reply too long".into()));
        }
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
                let word = &s[start..i];
                let number = (word.len() <= 10 && word.iter().all(u8::is_ascii_digit)).then(|| std::str::from_utf8(word).ok()?.parse().ok()).flatten();
                out.push(match number {
                    Some(n) => Token::Number(n),
                    None if word.eq_ignore_ascii_case(b"NIL") => Token::Nil,
                    None => Token::Atom(String::from_utf8_lossy(word).into_owned()),
                });
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
                Token::Number(12),
            ]
        );
        assert_eq!(
            tokens(b"1 FETCH (UID 7 PREVIEW {5}\r\nh\"i)\r)"),
            vec![
                Token::Number(1),
                Token::Atom("FETCH".into()),
                Token::Open,
                Token::Atom("UID".into()),
                Token::Number(7),
                Token::Atom("PREVIEW".into()),
                Token::Str(b"h\"i)\r".to_vec()),
                Token::Close,
            ]
        );
        assert_eq!(tokens(br#"NAMESPACE (("INBOX." ".")) NIL NIL"#)[3], Token::Str(b"INBOX.".to_vec()));
        assert_eq!(tokens(br#""a\"b\\c""#), vec![Token::Str(br#"a"b\c"#.to_vec())]);
        // A literal cut short is an atom, not a read past the end.
        assert_eq!(tokens(b"{99}\r\nab"), vec![Token::Atom("{99}".into()), Token::Atom("ab".into())]);
        assert_eq!(tokens(b"4294967295 4294967296 007"), vec![Token::Number(u32::MAX), Token::Atom("4294967296".into()), Token::Number(7)]);
    }

    /// A stream that gives its bytes a few at a time.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>, buf: &mut tokio::io::ReadBuf<'_>) -> std::task::Poll<std::io::Result<()>> {
            let n = self.step.min(self.data.len() - self.at).min(buf.remaining());
            let at = self.at;
            buf.put_slice(&self.data[at..at + n]);
            self.at += n;
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn replies_are_read_whatever_the_blocks() {
        let mut data = b"* 1 FETCH (UID 7 PREVIEW {12}\r\nline\r\nbreak! FLAGS ())\r\n".to_vec();
        data.extend_from_slice(&b"* SEARCH 1 2 3\r\n".repeat(3000));
        data.extend_from_slice(b"fx1 OK done\r\n* 3 EXISTS\r\n");
        for step in [1, 2, 3, 7, 100, 16 * 1024, 1 << 20] {
            let mut s = Trickle { data: data.clone(), at: 0, step };
            let (replies, status) = read_replies(&mut s, "fx1").await.unwrap();
            assert_eq!(status, Status::Ok, "blocks of {step}");
            assert_eq!(replies[0][6], Token::Str(b"line\r\nbreak!".to_vec()), "blocks of {step}");
            assert_eq!(replies[3000], tokens(b"SEARCH 1 2 3"), "blocks of {step}");
            // What came after the tagged reply in the same block is read to its end, never
            // left half read for async-imap.
            let tagged_end = data.len() - b"* 3 EXISTS\r\n".len();
            if s.at > tagged_end {
                assert_eq!((replies.len(), s.at), (3002, data.len()), "blocks of {step}");
            } else {
                assert_eq!((replies.len(), s.at), (3001, tagged_end), "blocks of {step}");
            }
        }
        let mut cut = Trickle { data: b"* SEARCH 1\r\nfx".to_vec(), at: 0, step: 4 };
        assert!(read_replies(&mut cut, "fx1").await.is_err(), "a connection closed mid-reply is an error");
        let mut no = Trickle { data: b"fx2 NO [LIMIT] too many\r\n".to_vec(), at: 0, step: 5 };
        assert_eq!(read_replies(&mut no, "fx2").await.unwrap().1, Status::No("[LIMIT] too many".into()));
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
