//! The mbox format (mboxrd), written and read a message at a time.
//!
//! Written: a `From ` line with the sender and the server's date (INTERNALDATE, UTC), then
//! `Status:` and `X-Status:` lines for the flags (the convention mutt, Thunderbird and Apple
//! Mail read), then the message exactly as the server has it, with each line that starts
//! with `>`s and `From ` given one more `>`, then one blank line. Reading takes those back
//! off: a message exported here comes back byte for byte, its date and read state with it.
//! Messages from other tools are read the same way; a `Status:` line anywhere in their header
//! tells the read state, and is left in the message.

use std::io::BufRead;

use time::OffsetDateTime;

/// The flags an mbox keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MboxFlags {
    pub seen: bool,
    pub answered: bool,
    pub flagged: bool,
    pub draft: bool,
}

/// Month abbreviations as mbox and IMAP dates write them.
pub(crate) const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `From sender Mon Nov 30 13:37:56 2026` (asctime, UTC), with the message's line ending.
/// `sender`: an address without spaces, else `MAILER-DAEMON`.
pub fn from_line(sender: &str, date: i64, crlf: bool) -> String {
    let sender = if sender.is_empty() || sender.chars().any(|c| c.is_whitespace() || c.is_control()) { "MAILER-DAEMON" } else { sender };
    let d = OffsetDateTime::from_unix_timestamp(date).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let end = if crlf { "\r\n" } else { "\n" };
    format!(
        "From {sender} {} {} {:2} {:02}:{:02}:{:02} {}{end}",
        DAYS[d.weekday().number_days_from_monday() as usize],
        MONTHS[d.month() as usize - 1],
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
        d.year()
    )
}

/// The date of a `From ` line (asctime, read as UTC), if it has one.
pub fn from_line_date(line: &str) -> Option<i64> {
    let words: Vec<&str> = line.split_whitespace().collect();
    // From sender Www Mmm dd hh:mm:ss yyyy (some tools add a zone or put the year first).
    let at = words.iter().position(|w| MONTHS.contains(w))?;
    let month = MONTHS.iter().position(|m| *m == words[at])? as u8 + 1;
    let day: u8 = words.get(at + 1)?.parse().ok()?;
    let clock: Vec<u8> = words.get(at + 2)?.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let year: i32 = words[at + 3..].iter().find_map(|w| w.parse().ok().filter(|y| *y > 1900))?;
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let t = time::Time::from_hms(*clock.first()?, *clock.get(1)?, clock.get(2).copied().unwrap_or(0)).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc().unix_timestamp())
}

/// The `Status:` and `X-Status:` lines for `flags`.
pub fn status_lines(flags: &MboxFlags, crlf: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut out = format!("Status: {}{end}", if flags.seen { "RO" } else { "O" });
    let x: String = [(flags.answered, 'A'), (flags.flagged, 'F'), (flags.draft, 'T')].iter().filter(|(on, _)| *on).map(|(_, c)| *c).collect();
    if !x.is_empty() {
        out.push_str(&format!("X-Status: {x}{end}"));
    }
    out
}

/// Whether `line` (without its ending) is a message boundary in an mboxrd file.
fn is_from_line(line: &[u8]) -> bool {
    line.starts_with(b"From ")
}

/// One message as an mbox entry: `From ` line, flags, the escaped message, a blank line.
pub fn entry(sender: &str, date: i64, flags: &MboxFlags, message: &[u8]) -> Vec<u8> {
    let crlf = message.windows(2).position(|w| w == b"\r\n").is_some_and(|i| !message[..i].contains(&b'\n'));
    let mut out = Vec::with_capacity(message.len() + 128);
    out.extend_from_slice(from_line(sender, date, crlf).as_bytes());
    out.extend_from_slice(status_lines(flags, crlf).as_bytes());
    for line in message.split_inclusive(|b| *b == b'\n') {
        let quoted = line.iter().position(|b| *b != b'>').is_some_and(|i| line[i..].starts_with(b"From "));
        if quoted {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    out.push(b'\n');
    out
}

/// A message read from an mbox.
#[derive(Debug, PartialEq, Eq)]
pub struct MboxMessage {
    pub bytes: Vec<u8>,
    pub flags: MboxFlags,
    /// From its `From ` line.
    pub date: Option<i64>,
    /// Its place in the file (from 1).
    pub number: usize,
}

/// What the reader found.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    Message(MboxMessage),
    /// A message that cannot be stored (larger than the limit, empty, or holding NUL bytes):
    /// its place in the file and why.
    Skipped { number: usize, why: Skip },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Skip {
    TooLarge,
    Empty,
    Binary,
    /// Text before the first `From ` line: not an mbox.
    NotMbox,
}

/// Reads an mbox a message at a time, holding one message in memory (at most `max` bytes;
/// a larger one is skipped, read through without being kept).
pub struct MboxReader<R> {
    input: R,
    max: usize,
    /// The `From ` line of the message to read next.
    pending: Option<Vec<u8>>,
    number: usize,
    started: bool,
}

impl<R: BufRead> MboxReader<R> {
    pub fn new(input: R, max: usize) -> Self {
        Self { input, max, pending: None, number: 0, started: false }
    }

    /// The next message, `None` at the end.
    pub fn next_message(&mut self) -> std::io::Result<Option<Read>> {
        let mut line = Vec::new();
        if !self.started {
            self.started = true;
            // Leading blank lines are fine; anything else before a `From ` line is not mbox.
            loop {
                line.clear();
                if self.input.read_until(b'\n', &mut line)? == 0 {
                    return Ok(None);
                }
                if is_from_line(&line) {
                    self.pending = Some(std::mem::take(&mut line));
                    break;
                }
                if !line.iter().all(|b| b.is_ascii_whitespace()) {
                    self.number = 1;
                    // Read to the first boundary, if any, and say the start was not a message.
                    while { line.clear(); self.input.read_until(b'\n', &mut line)? > 0 } {
                        if is_from_line(&line) {
                            self.pending = Some(std::mem::take(&mut line));
                            break;
                        }
                    }
                    return Ok(Some(Read::Skipped { number: 1, why: Skip::NotMbox }));
                }
            }
        }
        let Some(from) = self.pending.take() else { return Ok(None) };
        self.number += 1;
        let number = self.number;
        let date = from_line_date(&String::from_utf8_lossy(&from));
        let mut body = Vec::new();
        let mut too_large = false;
        let mut in_header = true;
        let mut at_top = true;
        let mut flags = MboxFlags::default();
        let mut status_seen = false;
        loop {
            line.clear();
            if self.input.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            if is_from_line(&line) {
                self.pending = Some(std::mem::take(&mut line));
                break;
            }
            if in_header {
                if line == b"\n" || line == b"\r\n" {
                    in_header = false;
                } else if let Some(v) = header_value(&line, "status") {
                    flags.seen = v.contains('R');
                    status_seen = true;
                    if at_top {
                        continue;
                    }
                } else if let Some(v) = header_value(&line, "x-status") {
                    flags.answered = v.contains('A');
                    flags.flagged = v.contains('F');
                    flags.draft = v.contains('T');
                    if at_top {
                        continue;
                    }
                } else {
                    at_top = false;
                }
            }
            // mboxrd: one `>` less before a quoted `From `.
            let unquoted = line.first() == Some(&b'>') && line.iter().position(|b| *b != b'>').is_some_and(|i| line[i..].starts_with(b"From "));
            let piece = if unquoted { &line[1..] } else { &line[..] };
            if body.len() + piece.len() > self.max {
                too_large = true;
                body = Vec::new();
            }
            if !too_large {
                body.extend_from_slice(piece);
            }
        }
        if too_large {
            return Ok(Some(Read::Skipped { number, why: Skip::TooLarge }));
        }
        // The blank line that ends an entry is not the message's.
        if body.ends_with(b"\n") {
            body.pop();
        }
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Some(Read::Skipped { number, why: Skip::Empty }));
        }
        if body.contains(&0) {
            return Ok(Some(Read::Skipped { number, why: Skip::Binary }));
        }
        if !status_seen {
            // Archives from tools that keep no state: read.
            flags.seen = true;
        }
        Ok(Some(Read::Message(MboxMessage { bytes: body, flags, date, number })))
    }
}

/// The value of header `name` if `line` is that header.
fn header_value(line: &[u8], name: &str) -> Option<String> {
    let colon = line.iter().position(|b| *b == b':')?;
    if !line[..colon].eq_ignore_ascii_case(name.as_bytes()) {
        return None;
    }
    Some(String::from_utf8_lossy(&line[colon + 1..]).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], max: usize) -> Vec<Read> {
        let mut r = MboxReader::new(std::io::Cursor::new(bytes), max);
        std::iter::from_fn(|| r.next_message().unwrap()).collect()
    }

    #[test]
    fn messages_come_back_byte_for_byte_with_their_date_and_flags() {
        let messages: Vec<(&[u8], MboxFlags, i64)> = vec![
            (b"From: a@example.org\r\nSubject: CRLF\r\n\r\nFrom the start\r\n>From quoted\r\n>>From twice\r\nFrom: not a header\r\n", MboxFlags { seen: true, ..Default::default() }, 1_700_000_000),
            (b"From: b@example.org\nSubject: LF, no final newline\n\nbody\nFrom x", MboxFlags { flagged: true, answered: true, ..Default::default() }, 1_600_000_000),
            ("From: c@example.org\r\nSubject: 8 bits\r\n\r\n\u{e9}t\u{e9}\r\n\r\n\r\n".as_bytes(), MboxFlags { seen: true, draft: true, ..Default::default() }, 0),
        ];
        let mut file = Vec::new();
        for (m, f, d) in &messages {
            file.extend(entry("sender@example.org", *d, f, m));
        }
        let back = read_all(&file, 1 << 20);
        assert_eq!(back.len(), 3);
        for (i, r) in back.into_iter().enumerate() {
            let Read::Message(m) = r else { panic!("{r:?}") };
            assert_eq!(m.bytes, messages[i].0, "message {i}: {:?}", String::from_utf8_lossy(&m.bytes));
            assert_eq!(m.flags, messages[i].1);
            assert_eq!(m.date, Some(messages[i].2));
            assert_eq!(m.number, i + 1);
        }
        assert!(String::from_utf8_lossy(&file).contains("\r\n>From the start\r\n>>From quoted\r\n>>>From twice\r\n"));
    }

    #[test]
    fn other_tools_mboxes_and_broken_ones_read_as_far_as_they_go() {
        // mutt's: Status after other headers stays in the message and says read or not.
        let mutt = b"From x@y Sat Jan  3 01:05:34 1996\nSubject: a\nStatus: O\n\nunread\n\nFrom x@y Sat Jan  3 01:05:35 1996\nSubject: b\n\nread by default\n";
        let back = read_all(mutt, 1 << 20);
        let Read::Message(a) = &back[0] else { panic!() };
        assert_eq!(a.bytes, b"Subject: a\nStatus: O\n\nunread\n");
        assert!(!a.flags.seen);
        assert_eq!(a.date, Some(820_631_134));
        let Read::Message(b) = &back[1] else { panic!() };
        assert!(b.flags.seen);
        // Not an mbox at its start, an empty entry, one too large, one with NUL bytes.
        let broken = b"garbage\nmore\nFrom a Mon Jan  1 00:00:00 2024\n\nFrom b Mon Jan  1 00:00:00 2024\nSubject: big\n\n0123456789012345678901234567890123456789\nFrom c Mon Jan  1 00:00:00 2024\nSubject: nul\n\na\0b\nFrom d Mon Jan  1 00:00:00 2024\nSubject: fine\n\nok\n";
        let back = read_all(broken, 40);
        let kinds: Vec<String> = back.iter().map(|r| match r { Read::Message(m) => format!("ok {}", m.number), Read::Skipped { number, why } => format!("{why:?} {number}") }).collect();
        assert_eq!(kinds, ["NotMbox 1", "Empty 2", "TooLarge 3", "Binary 4", "ok 5"]);
        assert!(read_all(b"", 10).is_empty());
    }

    #[test]
    fn from_lines_carry_the_date_in_utc() {
        assert_eq!(from_line("a@b", 1_700_000_000, false), "From a@b Tue Nov 14 22:13:20 2023\n");
        assert_eq!(from_line("two words", 0, true), "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\r\n");
        assert_eq!(from_line_date("From a@b Tue Nov 14 22:13:20 2023"), Some(1_700_000_000));
        assert_eq!(from_line_date("From a@b Tue Nov 14 22:13:20 +0100 2023"), Some(1_700_000_000));
        assert_eq!(from_line_date("From nothing"), None);
    }
}
