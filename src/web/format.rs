//! Display formatting in the user's language and time zone: dates, sizes, people.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use jiff::tz::TimeZone;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::i18n::I18n;
use crate::mail::mime::Person;

/// The user's time zone, as the browser tells it: the zone it names (the `facteur_zone` cookie,
/// an IANA name such as `Europe/Paris`), so that a time on the other side of a change to or
/// from summer time reads right; else the offset it had when the page loaded (`facteur_tz`,
/// minutes east of UTC); UTC without JavaScript.
#[derive(Clone, Copy, Debug, Default)]
pub struct UserZone {
    zone: Option<&'static TimeZone>,
    minutes: i32,
}

impl UserZone {
    /// A fixed offset from UTC, in minutes east (at most 18 hours either way).
    pub fn fixed(minutes: i32) -> Self {
        UserZone { zone: None, minutes: minutes.clamp(-18 * 60, 18 * 60) }
    }

    /// The zone called `name` when the time zone database has it, else the fixed `minutes`.
    pub fn named(name: &str, minutes: i32) -> Self {
        UserZone { zone: known_zone(name), ..UserZone::fixed(minutes) }
    }

    /// The offset from UTC at the instant `ts` (Unix seconds).
    fn offset_at(self, ts: i64) -> UtcOffset {
        let seconds = match (self.zone, jiff::Timestamp::from_second(ts)) {
            (Some(zone), Ok(at)) => zone.to_offset(at).seconds(),
            _ => self.minutes * 60,
        };
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// The instant (Unix seconds) a wall-clock time names here. A time the clocks skip when
    /// they go forward is read as if they had not yet (2:30 becomes 3:30); a time that comes
    /// twice when they go back is the first.
    fn instant_of(self, at: PrimitiveDateTime) -> Option<i64> {
        let Some(zone) = self.zone else {
            return Some(at.assume_offset(UtcOffset::from_whole_seconds(self.minutes * 60).ok()?).unix_timestamp());
        };
        let small = |n: u8| i8::try_from(n).ok();
        let civil = jiff::civil::DateTime::new(
            i16::try_from(at.year()).ok()?,
            small(u8::from(at.month()))?,
            small(at.day())?,
            small(at.hour())?,
            small(at.minute())?,
            small(at.second())?,
            0,
        )
        .ok()?;
        Some(zone.to_ambiguous_timestamp(civil).compatible().ok()?.as_second())
    }

    /// The user's date today.
    pub fn today(self) -> time::Date {
        let now = OffsetDateTime::now_utc();
        now.to_offset(self.offset_at(now.unix_timestamp())).date()
    }
}

/// The time zone database's zone called `name` (any case), kept for the life of the process:
/// one copy per zone the database has, a few hundred at most, whatever browsers send.
fn known_zone(name: &str) -> Option<&'static TimeZone> {
    let plausible = |b: u8| b.is_ascii_alphanumeric() || b"/_+-".contains(&b);
    if name.is_empty() || name.len() > 64 || name.contains("..") || !name.bytes().all(plausible) {
        return None;
    }
    static ZONES: OnceLock<Mutex<HashMap<String, &'static TimeZone>>> = OnceLock::new();
    let zones = ZONES.get_or_init(Mutex::default);
    if let Some(zone) = zones.lock().unwrap_or_else(PoisonError::into_inner).get(name) {
        return Some(*zone);
    }
    // Looked up outside the lock (it may read the system's zoneinfo), then kept under the
    // database's own spelling of the name.
    let zone = TimeZone::get(name).ok()?;
    let key = zone.iana_name()?.to_owned();
    let mut zones = zones.lock().unwrap_or_else(PoisonError::into_inner);
    Some(*zones.entry(key).or_insert_with(|| Box::leak(Box::new(zone))))
}

fn local(ts: i64, tz: UserZone) -> Option<OffsetDateTime> {
    Some(OffsetDateTime::from_unix_timestamp(ts).ok()?.to_offset(tz.offset_at(ts)))
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
pub fn list_date(ts: Option<i64>, now: i64, tz: UserZone, i18n: &I18n) -> String {
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
pub fn full_date(ts: Option<i64>, tz: UserZone, i18n: &I18n) -> String {
    let Some(d) = ts.and_then(|t| local(t, tz)) else { return String::new() };
    if i18n.code() == "en" {
        format!("{} {}, {}, {}", month(i18n, d.month()), d.day(), d.year(), clock(i18n, d))
    } else {
        format!("{} {} {} {}", d.day(), month(i18n, d.month()), d.year(), clock(i18n, d))
    }
}

/// The hour "morning" means when the user picks "tomorrow morning" or "Monday morning".
const MORNING_HOUR: u8 = 8;

/// When "Send later" sends, in Unix milliseconds: `choice` is `tomorrow` (8:00 the next day),
/// `monday` (8:00 the next Monday) or `at` (the wall-clock time `at`, `YYYY-MM-DDTHH:MM` with
/// optional `:SS`, as a `datetime-local` field sends it), all in the user's time zone. `None`
/// for anything else.
pub fn send_time(choice: &str, at: &str, now_ms: i64, tz: UserZone) -> Option<i64> {
    let today = local(now_ms.div_euclid(1000), tz)?.date();
    let morning = |d: time::Date| tz.instant_of(PrimitiveDateTime::new(d, time::Time::from_hms(MORNING_HOUR, 0, 0).ok()?))?.checked_mul(1000);
    match choice {
        "tomorrow" => morning(today.next_day()?),
        "monday" => {
            let mut d = today.next_day()?;
            while d.weekday() != time::Weekday::Monday {
                d = d.next_day()?;
            }
            morning(d)
        }
        "at" => {
            let (date, clock) = at.trim().split_once('T')?;
            let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i32>().ok());
            let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
            let mut hms = clock.splitn(3, ':').map(|p| p.split('.').next().and_then(|p| p.parse::<u8>().ok()));
            let (h, min) = (hms.next()??, hms.next()??);
            let sec = hms.next().flatten().unwrap_or(0);
            let date = time::Date::from_calendar_date(y, time::Month::try_from(u8::try_from(m).ok()?).ok()?, u8::try_from(d).ok()?).ok()?;
            let t = time::Time::from_hms(h, min, sec).ok()?;
            tz.instant_of(PrimitiveDateTime::new(date, t))?.checked_mul(1000)
        }
        _ => None,
    }
}

/// A time as a `datetime-local` field shows it, in the user's time zone.
pub fn datetime_local(ms: i64, tz: UserZone) -> String {
    let Some(d) = local(ms.div_euclid(1000), tz) else { return String::new() };
    format!("{:04}-{:02}-{:02}T{:02}:{:02}", d.year(), d.month() as u8, d.day(), d.hour(), d.minute())
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
        let tz = UserZone::fixed(0);
        assert_eq!(list_date(Some(now - 3600), now, tz, &en), "7:26 PM");
        assert_eq!(list_date(Some(now - 3600), now, tz, &fr), "19:26");
        assert_eq!(list_date(Some(now - 20 * 86400), now, tz, &en), "May 8");
        assert_eq!(list_date(Some(now - 20 * 86400), now, tz, &fr), "8 mai");
        assert_eq!(list_date(Some(now - 400 * 86400), now, tz, &fr), "23/04/2025");
        assert_eq!(list_date(Some(now - 400 * 86400), now, tz, &en), "4/23/25");
        // 22:26 in UTC+2 is still today; 00:26 the next day in UTC+4 is not "today" in UTC.
        assert_eq!(list_date(Some(now), now, UserZone::fixed(120), &fr), "22:26");
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

    #[test]
    fn send_later_times_are_the_users_wall_clock() {
        // Tuesday 1 December 2026, 23:30 in Paris (UTC+1) = 22:30 UTC.
        let now = 1_796_164_200_000;
        let paris = UserZone::fixed(60);
        let at = |ms: i64| datetime_local(ms, paris);
        assert_eq!(at(now), "2026-12-01T23:30");
        assert_eq!(at(send_time("tomorrow", "", now, paris).unwrap()), "2026-12-02T08:00");
        assert_eq!(at(send_time("monday", "", now, paris).unwrap()), "2026-12-07T08:00");
        // Past midnight in Paris, but still Tuesday in UTC: tomorrow is Thursday.
        let late = now + 3_600_000;
        assert_eq!(at(send_time("tomorrow", "", late, paris).unwrap()), "2026-12-03T08:00");
        assert_eq!(datetime_local(send_time("tomorrow", "", late, UserZone::fixed(0)).unwrap(), UserZone::fixed(0)), "2026-12-02T08:00");
        let chosen = send_time("at", "2026-12-24T18:45", now, paris).unwrap();
        assert_eq!(chosen, 1_798_134_300_000, "18:45 in Paris is 17:45 UTC");
        assert_eq!(send_time("at", "2026-12-24T18:45:30", now, paris), Some(chosen + 30_000));
        for bad in ["", "2026-13-01T10:00", "2026-12-24", "2026-12-24T25:00", "x-y-zT1:2", "2026-02-30T10:00"] {
            assert_eq!(send_time("at", bad, now, paris), None, "{bad:?}");
        }
        assert_eq!(send_time("someday", "", now, paris), None);
    }

    #[test]
    fn a_named_zone_keeps_the_wall_clock_across_the_changes_of_summer_time() {
        let paris = UserZone::named("Europe/Paris", 120);
        let at = |ms: i64| datetime_local(ms, paris);
        // Tuesday 20 October 2026, 12:00 in Paris (UTC+2). On Monday 2 November, after the
        // clocks went back, 9:00 is 8:00 UTC; a fixed UTC+2 would send at 8:00 Paris time.
        let october = 1_792_490_400_000;
        assert_eq!(at(october), "2026-10-20T12:00");
        let november = send_time("at", "2026-11-02T09:00", october, paris).unwrap();
        assert_eq!(november, 1_793_606_400_000, "8:00 UTC");
        assert_eq!(at(november), "2026-11-02T09:00");
        assert_eq!(send_time("at", "2026-11-02T09:00", october, UserZone::fixed(120)), Some(november - 3_600_000));
        // Saturday 24 October, 23:30 (UTC+2): tomorrow morning is Sunday 8:00, after the change (UTC+1).
        let saturday_night = 1_792_877_400_000;
        assert_eq!(at(saturday_night), "2026-10-24T23:30");
        assert_eq!(send_time("tomorrow", "", saturday_night, paris), Some(1_792_911_600_000));
        // A time the clocks skip (28 March 2027, 2:00 to 3:00) is read an hour on: 3:30 (UTC+2).
        let skipped = send_time("at", "2027-03-28T02:30", october, paris).unwrap();
        assert_eq!(at(skipped), "2027-03-28T03:30");
        // A time that comes twice (31 October 2027, 2:30) is the first, in summer time.
        assert_eq!(send_time("at", "2027-10-31T02:30", october, paris), Some(1_824_942_600_000));
        // A July message read in December shows the time it had in July.
        let en = I18n::new("en");
        assert_eq!(full_date(Some(1_783_591_200), paris, &en), "Jul 9, 2026, 12:00 PM");
    }

    #[test]
    fn only_zones_the_database_has_are_kept_and_once_each() {
        let named = |name: &str| known_zone(name).and_then(|z| z.iana_name().map(String::from));
        assert_eq!(named("Europe/Paris").as_deref(), Some("Europe/Paris"));
        assert_eq!(named("america/new_york").as_deref(), Some("America/New_York"));
        let (a, b) = (known_zone("Asia/Tokyo"), known_zone("ASIA/TOKYO"));
        assert!(a.is_some_and(|a| b.is_some_and(|b| std::ptr::eq(a, b))), "one copy of a zone");
        for bad in ["", "Nowhere/Town", "../../etc/passwd", "/etc/localtime", "Europe/Paris;x", &"A".repeat(65)] {
            assert!(known_zone(bad).is_none(), "{bad:?}");
        }
        // An unknown name falls back on the offset the browser gave.
        assert_eq!(datetime_local(0, UserZone::named("Nowhere/Town", 90)), "1970-01-01T01:30");
    }
}
