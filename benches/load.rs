//! A load generator: simulated users clicking through Facteur over real HTTP, against the real
//! Dovecot and Postfix the tests start.
//!
//!     cargo bench --bench load
//!
//! Each user signs in, keeps an event stream open like a tab, and clicks with an exponential
//! think time between clicks: the inbox, the next page, a sorted list, a message, a star, an
//! archive (undone half the time), a delete (undone), a search, now and then a message with an
//! attachment sent to themselves; at the end half of them sign out, the others just leave.
//! Settings (environment):
//!
//! - `FACTEUR_LOAD_USERS` (50), `FACTEUR_LOAD_SECONDS` (120), `FACTEUR_LOAD_THINK_MS` (mean think
//!   time, 3000), `FACTEUR_LOAD_SEED` (1: the same seed plays the same clicks);
//! - `FACTEUR_LOAD_MIX`, weights per click, e.g.
//!   `inbox=20,page=8,sort=6,open=30,star=10,archive=6,delete=4,search=10,send=6`;
//! - `FACTEUR_LOAD_FAULTS`, faults injected during the run, e.g. `dovecot@40+10,postfix@80+30`:
//!   Dovecot stopped at 40 s for 10 s (every IMAP connection drops), Postfix stopped at 80 s for
//!   30 s;
//! - `FACTEUR_LOAD_OUT` (`target/load`): `samples.csv` (every 5 s: Facteur's resident memory,
//!   open files and CPU, the IMAP connections Dovecot counts) and `summary.txt`.
//!
//! Prints per click: requests, p50/p95/p99/max, errors by status (5xx inside a fault window, and
//! for 15 s after it, counted apart); how long after each fault every click worked again; and the
//! server's figures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../tests/it/forms.rs"]
mod forms;
mod common;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harness::*;

/// A small, seeded random source (xorshift64*): the same seed plays the same session.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponentially distributed, of mean `mean`.
    fn think(&mut self, mean: Duration) -> Duration {
        mean.mul_f64(-(1.0 - self.unit()).ln()).min(mean * 10)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const CLICKS: [&str; 9] = ["inbox", "page", "sort", "open", "star", "archive", "delete", "search", "send"];

/// Weights per click, from `FACTEUR_LOAD_MIX`.
fn mix() -> Vec<(&'static str, u32)> {
    let spec = std::env::var("FACTEUR_LOAD_MIX").unwrap_or_else(|_| "inbox=20,page=8,sort=6,open=30,star=10,archive=6,delete=4,search=10,send=6".into());
    let given: HashMap<String, u32> = spec.split(',').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.trim().to_string(), v.trim().parse().unwrap_or(0))).collect();
    CLICKS.iter().map(|c| (*c, given.get(*c).copied().unwrap_or(0))).filter(|(_, w)| *w > 0).collect()
}

fn pick(rng: &mut Rng, mix: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = mix.iter().map(|(_, w)| w).sum();
    let mut at = (rng.next() % u64::from(total.max(1))) as u32;
    for (click, w) in mix {
        if at < *w {
            return click;
        }
        at -= w;
    }
    "inbox"
}

#[derive(Default)]
struct Route {
    times: Vec<Duration>,
    errors: BTreeMap<u16, usize>,
    /// 5xx answers inside a fault window (or shortly after it).
    in_faults: BTreeMap<u16, usize>,
}

/// A fault: which server, when (seconds from the start), for how long.
#[derive(Clone, Debug)]
struct Fault {
    server: String,
    at: Duration,
    lasts: Duration,
}

/// After a fault, answers still count as the fault's for this long (reconnects).
const GRACE: Duration = Duration::from_secs(15);

fn faults() -> Vec<Fault> {
    let spec = std::env::var("FACTEUR_LOAD_FAULTS").unwrap_or_default();
    spec.split(',')
        .filter_map(|f| {
            let (server, when) = f.trim().split_once('@')?;
            let (at, lasts) = when.split_once('+')?;
            Some(Fault { server: server.to_string(), at: Duration::from_secs(at.parse().ok()?), lasts: Duration::from_secs(lasts.parse().ok()?) })
        })
        .collect()
}

#[derive(Default)]
struct Stats {
    routes: BTreeMap<&'static str, Route>,
    events: usize,
    started: Option<Instant>,
    faults: Vec<Fault>,
    /// Per fault: the last failed answer after it ended (recovery is complete after that).
    last_failure_after: Vec<Option<Duration>>,
}

impl Stats {
    fn record(stats: &Mutex<Stats>, route: &'static str, status: u16, took: Duration) {
        let mut s = stats.lock().unwrap();
        // When the answer came, and when the request went out.
        let now = s.started.map(|t| t.elapsed()).unwrap_or_default();
        let sent = now.saturating_sub(took);
        let window = s.faults.iter().position(|f| now >= f.at && sent <= f.at + f.lasts + GRACE);
        if status >= 500
            && let Some(w) = window
        {
            let end = s.faults[w].at + s.faults[w].lasts;
            if now > end {
                let late = s.last_failure_after[w].get_or_insert(Duration::ZERO);
                *late = (*late).max(now - end);
            }
        }
        let r = s.routes.entry(route).or_default();
        r.times.push(took);
        match (status, window) {
            (500.., Some(_)) => *r.in_faults.entry(status).or_default() += 1,
            (400.., _) => *r.errors.entry(status).or_default() += 1,
            _ => {}
        }
    }
}

/// Runs a command without holding up the users' tasks. Its output is not kept: a daemon it
/// starts would hold the pipes open for ever.
async fn run(argv: &[String]) {
    let owned = argv.to_vec();
    let status = tokio::task::spawn_blocking(move || {
        Command::new(&owned[0])
            .args(&owned[1..])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
    })
    .await
    .unwrap();
    if !status.as_ref().is_ok_and(|s| s.success()) {
        println!("  {} failed: {status:?}", argv.join(" "));
    }
}

/// Stops and starts the servers of `dovecot`'s directory as `faults` say.
async fn inject(faults: Vec<Fault>, dovecot: &'static Dovecot, started: Instant) {
    let conf = dovecot.dir.join("dovecot.conf").display().to_string();
    let dir = dovecot.dir.display().to_string();
    let script = root().join("scripts/mailserver.sh");
    for f in faults {
        tokio::time::sleep((started + f.at).saturating_duration_since(Instant::now())).await;
        let (stop, start): (Vec<String>, Vec<String>) = match f.server.as_str() {
            "dovecot" => (vec!["doveadm".into(), "-c".into(), conf.clone(), "stop".into()], vec!["dovecot".into(), "-c".into(), conf.clone()]),
            "postfix" => (
                vec!["bash".into(), script.display().to_string(), "smtp-stop".into(), dir.clone()],
                vec!["bash".into(), script.display().to_string(), "smtp-start".into(), dir.clone()],
            ),
            other => panic!("unknown fault {other} (dovecot or postfix)"),
        };
        println!("{:>6.1} s: {} stopped for {} s", started.elapsed().as_secs_f64(), f.server, f.lasts.as_secs());
        run(&stop).await;
        tokio::time::sleep((started + f.at + f.lasts).saturating_duration_since(Instant::now())).await;
        run(&start).await;
        println!("{:>6.1} s: {} started again", started.elapsed().as_secs_f64(), f.server);
    }
}

/// The inbox page's UIDVALIDITY and message UIDs, from its message links.
fn messages_of(body: &str) -> (String, Vec<String>) {
    let mut uv = String::new();
    let mut uids = Vec::new();
    for piece in body.split("href=\"/m/INBOX/").skip(1) {
        let mut parts = piece.split(['/', '"', '?', '#']);
        if let (Some(v), Some(u)) = (parts.next(), parts.next())
            && u.chars().all(|c| c.is_ascii_digit())
            && !u.is_empty()
        {
            uv = v.to_string();
            if !uids.iter().any(|x| x == u) {
                uids.push(u.to_string());
            }
        }
    }
    (uv, uids)
}

/// One simulated user, until `deadline`.
async fn session(i: u64, base: String, user: TestUser, deadline: Instant, think: Duration, seed: u64, stats: Arc<Mutex<Stats>>) {
    let mix = mix();
    let mut rng = Rng::new(seed ^ (i + 1).wrapping_mul(0x1000_0000_01B3));
    tokio::time::sleep(rng.think(think)).await;
    let b = Browser::for_base(base.clone(), "en");
    let t = Instant::now();
    let page = b.login(&user).await;
    Stats::record(&stats, "login", page.status, t.elapsed());
    // The tab's event stream, read as it comes.
    let tab = {
        let same = b.sharing(base.clone());
        let stats = stats.clone();
        tokio::spawn(async move {
            let mut s = common::Stream::open(&same).await;
            while s.wait_for("event: ", Duration::from_secs(3600)).await.is_some() {
                stats.lock().unwrap().events += 1;
            }
        })
    };
    let mut token = csrf(&page.body);
    let (mut uv, mut uids) = messages_of(&page.body);
    while Instant::now() + Duration::from_millis(200) < deadline {
        tokio::time::sleep(rng.think(think).min(deadline.saturating_duration_since(Instant::now()))).await;
        if Instant::now() >= deadline {
            break;
        }
        let click = pick(&mut rng, &mix);
        let uid = if uids.is_empty() { None } else { Some(uids[rng.below(uids.len())].clone()) };
        let t = Instant::now();
        let status = match (click, &uid) {
            ("inbox", _) | (_, None) => {
                let p = b.get("/f/INBOX").await;
                if p.status == 200 {
                    token = csrf(&p.body);
                    (uv, uids) = messages_of(&p.body);
                }
                p.status
            }
            ("page", _) => b.raw_get(&b.url("/f/INBOX?page=2")).await.status().as_u16(),
            ("sort", _) => b.raw_get(&b.url("/f/INBOX?sort=from")).await.status().as_u16(),
            ("open", Some(u)) => b.raw_get(&b.url(&format!("/m/INBOX/{uv}/{u}"))).await.status().as_u16(),
            ("search", _) => b.raw_get(&b.url(&format!("/search?q=from%3Asender{}", rng.below(60) + 1))).await.status().as_u16(),
            ("send", _) => {
                let compose = b.get("/compose").await;
                if compose.status != 200 {
                    compose.status
                } else {
                    let mut form = forms::Form::from_page(&compose.body);
                    form.set("to", &user.name).set("subject", &format!("Load {i} {}", rng.next() % 100_000)).set("body", "Hello from the load generator.");
                    let file = ("notes.txt", vec![b'x'; 10 * 1024], "text/plain");
                    forms::post_compose(&b, &form, "send", &[file], false).await.status().as_u16()
                }
            }
            (action, Some(u)) => {
                let action = if action == "star" && rng.below(2) == 0 { "unstar" } else { action };
                let form = [("csrf", token.as_str()), ("uidvalidity", uv.as_str()), ("action", action), ("uid", u.as_str())];
                let status = b.raw_post(&format!("/f/{}/actions", "INBOX"), &form).await.status().as_u16();
                // Archive and delete take the message out of the list; Undo brings it back
                // (always after a delete, half the time after an archive).
                if matches!(action, "archive" | "delete") {
                    uids.retain(|x| x != u);
                    if action == "delete" || rng.below(2) == 0 {
                        let took = t.elapsed();
                        Stats::record(&stats, click, status, took);
                        let t = Instant::now();
                        let undo = b.raw_post("/undo", &[("csrf", token.as_str())]).await.status().as_u16();
                        Stats::record(&stats, "undo", undo, t.elapsed());
                        continue;
                    }
                }
                status
            }
        };
        Stats::record(&stats, click, status, t.elapsed());
    }
    tab.abort();
    if i.is_multiple_of(2) {
        let t = Instant::now();
        let status = b.raw_post("/logout", &[("csrf", token.as_str())]).await.status().as_u16();
        Stats::record(&stats, "logout", status, t.elapsed());
    }
}

/// One line of `samples.csv`: seconds, RSS KiB, open files, IMAP connections, CPU ms.
fn sample(started: Instant, pid: u32, dovecot: &Dovecot) -> (f64, u64, usize, usize, u64) {
    let files = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
    let who = Command::new("doveadm").args(["-c", &dovecot.dir.join("dovecot.conf").display().to_string(), "who", "-1"]).output();
    let connections = who.map(|o| String::from_utf8_lossy(&o.stdout).lines().skip(1).filter(|l| l.contains(" imap ")).count()).unwrap_or(0);
    (started.elapsed().as_secs_f64(), common::rss_of(pid), files, connections, common::cpu_ms(pid))
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("load generator: run it with `cargo bench --bench load`");
        return;
    }
    let _ = Command::new("prlimit").args(["--pid", &std::process::id().to_string(), "--nofile=16384:16384"]).status();
    let users = common::env_usize("FACTEUR_LOAD_USERS", 50) as u64;
    let seconds = common::env_usize("FACTEUR_LOAD_SECONDS", 120) as u64;
    let think = Duration::from_millis(common::env_usize("FACTEUR_LOAD_THINK_MS", 3000) as u64);
    let seed = common::env_usize("FACTEUR_LOAD_SEED", 1) as u64;
    let out = std::path::PathBuf::from(std::env::var("FACTEUR_LOAD_OUT").unwrap_or_else(|_| "target/load".into()));
    std::fs::create_dir_all(&out).unwrap();
    let d = dovecot();
    let facteur = common::Facteur::start(d).await;
    let pid = facteur.pid();

    // Users with 60 messages each.
    let names: Vec<(String, String)> = (1..=users).map(|i| (format!("load{i}@{DOMAIN}"), format!("load-pw-{i}"))).collect();
    d.add_users(&names);
    let messages: Vec<Vec<u8>> = (1..=60).map(numbered_message).collect();
    for (n, p) in &names {
        TestUser::new(n, p, d.imap_port).bulk_append("INBOX", &messages).await;
    }
    println!("{users} users, {seconds} s, think time {} ms on average, seed {seed}, mix {:?}", think.as_millis(), mix());

    let faults = faults();
    let started = Instant::now();
    let stats = Arc::new(Mutex::new(Stats { started: Some(started), last_failure_after: vec![None; faults.len()], faults: faults.clone(), ..Default::default() }));
    let injector = tokio::spawn(inject(faults.clone(), d, started));
    let deadline = started + Duration::from_secs(seconds);
    let mut csv = String::from("seconds,rss_kib,open_files,imap_connections,cpu_ms\n");
    let first = sample(started, pid, d);
    let cpu0 = first.4;
    let tasks: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, (n, p))| tokio::spawn(session(i as u64, facteur.base.clone(), TestUser::new(n, p, d.imap_port), deadline, think, seed, stats.clone())))
        .collect();
    let mut peak = 0;
    while Instant::now() < deadline {
        let s = tokio::task::spawn_blocking(move || sample(started, pid, dovecot())).await.unwrap();
        peak = peak.max(s.1);
        let _ = writeln!(csv, "{:.1},{},{},{},{}", s.0, s.1, s.2, s.3, s.4);
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    for t in tasks {
        let _ = t.await;
    }
    let _ = injector.await;
    let cpu1 = common::cpu_ms(pid);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let end = sample(started, pid, d);
    let _ = writeln!(csv, "{:.1},{},{},{},{}", end.0, end.1, end.2, end.3, end.4);
    std::fs::write(out.join("samples.csv"), &csv).unwrap();

    let stats = stats.lock().unwrap();
    let mut summary = String::new();
    let total: usize = stats.routes.values().map(|r| r.times.len()).sum();
    let _ = writeln!(summary, "{:<8} {:>7} {:>8} {:>8} {:>8} {:>8}  errors (outside faults) / 5xx during faults", "click", "n", "p50 ms", "p95 ms", "p99 ms", "max ms");
    for (name, r) in &stats.routes {
        let mut v = r.times.clone();
        let list = |m: &BTreeMap<u16, usize>| {
            let v: Vec<String> = m.iter().map(|(s, n)| format!("{s}×{n}")).collect();
            if v.is_empty() { "none".to_string() } else { v.join(" ") }
        };
        let _ = writeln!(
            summary,
            "{name:<8} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1}  {} / {}",
            v.len(),
            common::ms(&mut v, 50),
            common::ms(&mut v, 95),
            common::ms(&mut v, 99),
            common::ms(&mut v, 100),
            list(&r.errors),
            list(&r.in_faults)
        );
    }
    let outside: usize = stats.routes.values().map(|r| r.errors.range(500..).map(|(_, n)| n).sum::<usize>()).sum();
    let _ = writeln!(summary, "5xx outside fault windows: {outside}");
    for (f, late) in stats.faults.iter().zip(&stats.last_failure_after) {
        let _ = match late {
            Some(l) => writeln!(summary, "{} stopped at {} s for {} s: the last 5xx came {:.1} s after it was back", f.server, f.at.as_secs(), f.lasts.as_secs(), l.as_secs_f64()),
            None => writeln!(summary, "{} stopped at {} s for {} s: no 5xx once it was back", f.server, f.at.as_secs(), f.lasts.as_secs()),
        };
    }
    let _ = writeln!(summary, "{total} requests in {seconds} s: {:.1} per second; {} events reached the tabs", total as f64 / seconds as f64, stats.events);
    let _ = writeln!(
        summary,
        "Facteur: {} KiB at start, {peak} KiB at the peak, {} KiB once the users were gone; {:.0} ms of CPU per 1,000 requests; open files {} → {}; IMAP connections at the end: {}",
        first.1,
        end.1,
        (cpu1 - cpu0) as f64 * 1000.0 / total.max(1) as f64,
        first.2,
        end.2,
        end.3
    );
    print!("{summary}");
    std::fs::write(out.join("summary.txt"), &summary).unwrap();
    println!("samples: {}", out.join("samples.csv").display());
}
