//! Display formatting in the user's language and time zone: dates, sizes, people.

use time::{OffsetDateTime, UtcOffset};

use crate::i18n::I18n;
use crate::mail::mime::Person;

/// The user's offset from UTC in minutes (from the `facteur_tz` cookie; UTC without JavaScript).
#[derive(Clone, Copy, Debug, Default)]
pub struct TzOffset(pub i32);

fn local(ts: i64, tz: TzOffset) -> Option<OffsetDateTime> {
    let offset = UtcOffset::from_whole_seconds(tz.0.clamp(-18 * 60, 18 * 60) * 60).ok()?;
    Some(OffsetDateTime::from_unix_timestamp(ts).ok()?.to_offset(offset))
}

fn month(i18n: &I18n, m: time::Month) -> String {
    i18n.t(&format!("month-short-{}", m as u8))
}

fn clock(i18n: &I18n, d: OffsetDateTime) -> String {
    if i18n.code() == "en" {
        let h = d.hour();
        let (h12, ampm) = match h {
            0 => (12, "AM"),
            1..=11 => (h, "AM"),
            12 => (12, "PM"),
            _ => (h - 12, "PM"),
        };
        format!("{h12}:{:02} {ampm}", d.minute())
    } else {
        format!("{:02}:{:02}", d.hour(), d.minute())
    }
}

/// For a list row: the time for today, day and month this year, a short date before.
pub fn list_date(ts: Option<i64>, now: i64, tz: TzOffset, i18n: &I18n) -> String {
    let (Some(d), Some(n)) = (ts.and_then(|t| local(t, tz)), local(now, tz)) else { return String::new() };
    if d.date() == n.date() {
        clock(i18n, d)
    } else if d.year() == n.year() && d <= n {
        if i18n.code() == "en" {
            format!("{} {}", month(i18n, d.month()), d.day())
        } else {
            format!("{} {}", d.day(), month(i18n, d.month()))
        }
    } else if i18n.code() == "en" {
        format!("{}/{}/{:02}", d.month() as u8, d.day(), d.year().rem_euclid(100))
    } else {
        format!("{:02}/{:02}/{}", d.day(), d.month() as u8, d.year())
    }
}

/// For the message view: the full date and time.
pub fn full_date(ts: Option<i64>, tz: TzOffset, i18n: &I18n) -> String {
    let Some(d) = ts.and_then(|t| local(t, tz)) else { return String::new() };
    if i18n.code() == "en" {
        format!("{} {}, {}, {}", month(i18n, d.month()), d.day(), d.year(), clock(i18n, d))
    } else {
        format!("{} {} {} {}", d.day(), month(i18n, d.month()), d.year(), clock(i18n, d))
    }
}

/// A calendar day written `YYYY-MM-DD` as people read it: "Dec 24, 2026" / "24 déc. 2026"
/// (the text itself when it is not such a day).
pub fn day(ymd: &str, i18n: &I18n) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(d) = time::Date::parse(ymd, fmt) else { return ymd.to_string() };
    if i18n.code() == "en" {
        format!("{} {}, {}", month(i18n, d.month()), d.day(), d.year())
    } else {
        format!("{} {} {}", d.day(), month(i18n, d.month()), d.year())
    }
}

/// A byte count as people read it: "12 KB" / "12 ko".
pub fn size(bytes: u64, i18n: &I18n) -> String {
    let (value, key) = if bytes < 1024 {
        (bytes.to_string(), "size-bytes")
    } else if bytes < 1024 * 1024 {
        (((bytes + 512) / 1024).to_string(), "size-kb")
    } else {
        let (n, key) = if bytes < 1024 * 1024 * 1024 { (bytes as f64 / (1024.0 * 1024.0), "size-mb") } else { (bytes as f64 / (1024.0 * 1024.0 * 1024.0), "size-gb") };
        let s = if n < 10.0 { format!("{n:.1}") } else { format!("{n:.0}") };
        let s = if i18n.code() == "fr" { s.replace('.', ",") } else { s };
        (s, key)
    };
    i18n.t1(key, "n", value)
}

/// A count as the user's language writes it: "100,000" in English, "100 000" in French
/// (a narrow no-break space, as French typography has it).
pub fn number(n: u64, i18n: &I18n) -> String {
    let sep = if i18n.code() == "fr" { "\u{202f}" } else { "," };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(d);
    }
    out
}

/// "Name <address>" or the address alone.
pub fn person_full(p: &Person) -> String {
    match (&p.name, &p.address) {
        (Some(n), Some(a)) if !n.is_empty() && n != a => format!("{n} <{a}>"),
        (_, Some(a)) => a.clone(),
        (Some(n), None) => n.clone(),
        (None, None) => String::new(),
    }
}

pub fn people_full(ps: &[Person]) -> String {
    ps.iter().map(person_full).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_as_each_language_does() {
        let (en, fr) = (I18n::new("en"), I18n::new("fr"));
        assert_eq!(number(0, &en), "0");
        assert_eq!(number(999, &en), "999");
        assert_eq!(number(1000, &en), "1,000");
        assert_eq!(number(100_000, &en), "100,000");
        assert_eq!(number(1_234_567, &fr), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn list_dates_follow_language_and_distance() {
        let now = 1_780_000_000; // 2026-05-28 20:26:40 UTC
        let en = I18n::new("en");
        let fr = I18n::new("fr");
        let tz = TzOffset(0);
        assert_eq!(list_date(Some(now - 3600), now, tz, &en), "7:26 PM");
        assert_eq!(list_date(Some(now - 3600), now, tz, &fr), "19:26");
        assert_eq!(list_date(Some(now - 20 * 86400), now, tz, &en), "May 8");
        assert_eq!(list_date(Some(now - 20 * 86400), now, tz, &fr), "8 mai");
        assert_eq!(list_date(Some(now - 400 * 86400), now, tz, &fr), "23/04/2025");
        assert_eq!(list_date(Some(now - 400 * 86400), now, tz, &en), "4/23/25");
        // 22:26 in UTC+2 is still today; 00:26 the next day in UTC+4 is not "today" in UTC.
        assert_eq!(list_date(Some(now), now, TzOffset(120), &fr), "22:26");
        assert_eq!(list_date(None, now, tz, &fr), "");
    }

    #[test]
    fn sizes_in_each_language() {
        let en = I18n::new("en");
        let fr = I18n::new("fr");
        assert_eq!(size(512, &en), "512 bytes");
        assert_eq!(size(12 * 1024, &en), "12 KB");
        assert_eq!(size(12 * 1024, &fr), "12 ko");
        assert_eq!(size(3 * 1024 * 1024 + 300_000, &fr), "3,3 Mo");
    }
}
