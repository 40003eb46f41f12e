//! A load generator: simulated users clicking through one or two Facteur instances over real
//! HTTP, against the real Dovecot, Postfix and PostgreSQL the tests start, with faults
//! injected on schedule, and the invariants checked at the end.
//!
//!     cargo bench --bench load
//!
//! Each user signs in, keeps an event stream open like a tab (reopened when it drops), and
//! clicks with an exponential think time between clicks: the inbox, the next page, a sorted
//! list, a message, a star, an archive (undone half the time), a delete (undone), a search,
//! now and then a message with an attachment sent to themselves (a send kept in Drafts because
//! the outgoing server was down is sent again at the next send click). At the end half of
//! them sign out, the others just leave. With two instances a balancer sends each user to
//! their instance while it is up, else to the other one (the session is in PostgreSQL).
//!
//! Settings (environment):
//!
//! - `FACTEUR_LOAD_USERS` (50), `FACTEUR_LOAD_SECONDS` (120), `FACTEUR_LOAD_THINK_MS` (mean think
//!   time, 3000), `FACTEUR_LOAD_SEED` (1: the same seed plays the same clicks);
//! - `FACTEUR_LOAD_INSTANCES` (1: on SQLite; 2: two instances sharing a PostgreSQL);
//! - `FACTEUR_LOAD_MIX`, weights per click, e.g.
//!   `inbox=20,page=8,sort=6,open=30,star=10,archive=6,delete=4,search=10,send=6`;
//! - `FACTEUR_LOAD_FAULTS`, e.g. `dovecot@40+10,postfix@80+60,postgres@150+10,kill@200+20,slow@260+30`
//!   (what, at which second, for how many seconds): Dovecot stopped (every IMAP connection
//!   drops), Postfix stopped, PostgreSQL stopped (two instances), the first instance killed
//!   with SIGKILL and started again (two instances), or every IMAP connection slowed by 150 ms
//!   per exchange and one in ten frozen (a TCP proxy between Facteur and Dovecot);
//! - `FACTEUR_LOAD_IMAP_IDLE_MINUTES` (1): Facteur's IMAP idle timeout, after which the
//!   connections of users who just left are closed (the end-of-run checks wait for it);
//! - `FACTEUR_LOAD_OUT` (`target/load`): `samples.csv` (every 5 s, per instance: resident
//!   memory, open files, CPU; IMAP connections as Dovecot counts them), `summary.txt`, and the
//!   plots `latency.svg`, `memory.svg`, `connections.svg`.
//!
//! Prints per click: requests, p50/p95/p99/max, errors by status outside the fault windows and
//! 5xx inside them (a window lasts 15 s past its fault); per fault, when every click worked
//! again; then the invariants, and exits with 1 when one fails:
//!
//! - no 5xx, no unanswered request and no sign-out outside the fault windows, and inside them
//!   only Facteur's own error pages (no bare 500) and unanswered requests only where an
//!   instance was killed;
//! - (the outbox is off, as in the tests: a send goes at once, so the census counts it)
//! - a census with an independent IMAP client: every message is in exactly one folder, the one
//!   the user's clicks put it in; every message sent arrived once and is in Sent once; every
//!   send kept in Drafts is there once;
//! - after the users are gone (twice the IMAP idle timeout, when Facteur has forgotten them):
//!   Facteur's memory within 10 % of its level after warm-up, no IMAP connection left, open files and IMAP connections not growing during the run.

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
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use harness::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// No answer at all: connection refused or reset, or nothing within 90 s.
const NO_ANSWER: u16 = 0;
/// Sent back to the sign-in page: the user lost their session.
const SIGNED_OUT: u16 = 1;

fn ok(status: u16) -> bool {
    (200..400).contains(&status)
}

/// Whether the request may or may not have been carried out.
fn unsure(status: u16) -> bool {
    status == NO_ANSWER || status >= 500
}

struct Answer {
    status: u16,
    body: String,
}

async fn answer(req: reqwest::RequestBuilder) -> Answer {
    let limit = Duration::from_secs(90);
    let Ok(Ok(res)) = tokio::time::timeout(limit, req.header("accept-language", "en").send()).await else {
        return Answer { status: NO_ANSWER, body: String::new() };
    };
    let status = res.status().as_u16();
    let to_login = res.headers().get("location").and_then(|l| l.to_str().ok()).is_some_and(|l| l.starts_with("/login"));
    let Ok(Ok(body)) = tokio::time::timeout(limit, res.text()).await else {
        return Answer { status: NO_ANSWER, body: String::new() };
    };
    Answer { status: if status == 303 && to_login { SIGNED_OUT } else { status }, body }
}

#[derive(Default)]
struct Route {
    times: Vec<Duration>,
    errors: BTreeMap<u16, usize>,
    /// 5xx answers and unanswered requests inside a fault window.
    in_faults: BTreeMap<u16, usize>,
}

/// A fault: what, when (from the start), for how long.
#[derive(Clone, Debug)]
struct Fault {
    what: String,
    at: Duration,
    lasts: Duration,
}

impl Fault {
    fn end(&self) -> Duration {
        self.at + self.lasts
    }
}

/// After a fault, answers still count as the fault's for this long (reconnects).
const GRACE: Duration = Duration::from_secs(15);

fn faults() -> Vec<Fault> {
    let spec = std::env::var("FACTEUR_LOAD_FAULTS").unwrap_or_default();
    spec.split(',')
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            let parse = || {
                let (what, when) = f.trim().split_once('@')?;
                let (at, lasts) = when.split_once('+')?;
                Some(Fault { what: what.to_string(), at: Duration::from_secs(at.parse().ok()?), lasts: Duration::from_secs(lasts.parse().ok()?) })
            };
            let fault = parse().unwrap_or_else(|| panic!("FACTEUR_LOAD_FAULTS: cannot read {f:?} (e.g. dovecot@40+10)"));
            assert!(["dovecot", "postfix", "postgres", "kill", "slow"].contains(&fault.what.as_str()), "unknown fault {f} (dovecot, postfix, postgres, kill or slow)");
            fault
        })
        .collect()
}

#[derive(Default)]
struct Stats {
    routes: BTreeMap<&'static str, Route>,
    events: usize,
    started: Option<Instant>,
    faults: Vec<Fault>,
    /// Per fault: the last failed answer after it ended (recovery is complete after that),
    /// and the slowest answer to a request sent during it.
    last_failure_after: Vec<Option<Duration>>,
    slowest: Vec<Duration>,
    /// 5xx answers that are not one of Facteur's pages (a bare 500 from a layer below).
    bare: usize,
    /// Unanswered requests inside a window where no instance was killed.
    unanswered: usize,
    /// (sent at, took, status, click) of every click, for the plots and `clicks.csv`.
    timeline: Vec<(f32, f32, u16, &'static str)>,
    /// Answers per instance, and from the killed instance once it was back.
    served: Vec<usize>,
    rejoined: usize,
}

impl Stats {
    fn record(stats: &Mutex<Stats>, route: &'static str, a: &Answer, took: Duration, instance: usize) {
        let mut s = stats.lock().unwrap();
        // When the answer came, and when the request went out.
        let now = s.started.map(|t| t.elapsed()).unwrap_or_default();
        let sent = now.saturating_sub(took);
        s.timeline.push((sent.as_secs_f32(), took.as_secs_f32() * 1000.0, a.status, route));
        if a.status != NO_ANSWER {
            s.served[instance] += 1;
            if instance == 0 && s.faults.iter().any(|f| f.what == "kill" && sent > f.end()) {
                s.rejoined += 1;
            }
        }
        let window = s.faults.iter().position(|f| now >= f.at && sent <= f.end() + GRACE);
        if let Some(w) = s.faults.iter().position(|f| sent >= f.at && sent <= f.end()) {
            s.slowest[w] = s.slowest[w].max(took);
        }
        if unsure(a.status)
            && let Some(w) = window
        {
            let end = s.faults[w].end();
            if now > end {
                let late = s.last_failure_after[w].get_or_insert(Duration::ZERO);
                *late = (*late).max(now - end);
            }
            if a.status == NO_ANSWER && s.faults[w].what != "kill" {
                s.unanswered += 1;
            }
        }
        if a.status >= 500 && !a.body.to_ascii_lowercase().contains("<!doctype html") {
            s.bare += 1;
        }
        let r = s.routes.entry(route).or_default();
        r.times.push(took);
        match (a.status, window) {
            (s, Some(_)) if unsure(s) => *r.in_faults.entry(s).or_default() += 1,
            (s, _) if !ok(s) => *r.errors.entry(s).or_default() += 1,
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

/// Where the instances are, and which are up: a balancer with perfect health checks.
struct Cluster {
    bases: Vec<String>,
    up: Vec<AtomicBool>,
    instances: tokio::sync::Mutex<Vec<common::Facteur>>,
}

impl Cluster {
    /// User `i`'s instance: their own while it is up, else the next one up.
    fn route(&self, i: u64) -> usize {
        let n = self.bases.len();
        let own = i as usize % n;
        (0..n).map(|k| (own + k) % n).find(|k| self.up[*k].load(Ordering::Relaxed)).unwrap_or(own)
    }
}

/// The TCP proxy between Facteur and Dovecot of the `slow` fault: while it is on, every read
/// is passed on 150 ms late and one connection in ten not at all.
struct Proxy {
    slow: AtomicBool,
    connections: AtomicU64,
}

impl Proxy {
    async fn start(upstream: u16) -> (Arc<Self>, u16) {
        let proxy = Arc::new(Self { slow: AtomicBool::new(false), connections: AtomicU64::new(0) });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((down, _)) = listener.accept().await {
                let id = p.connections.fetch_add(1, Ordering::Relaxed);
                let p = p.clone();
                tokio::spawn(async move {
                    let Ok(up) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else { return };
                    let (dr, dw) = down.into_split();
                    let (ur, uw) = up.into_split();
                    tokio::join!(p.pipe(dr, uw, id), p.pipe(ur, dw, id));
                });
            }
        });
        (proxy, port)
    }

    async fn pipe(&self, mut r: tokio::net::tcp::OwnedReadHalf, mut w: tokio::net::tcp::OwnedWriteHalf, id: u64) {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            while self.slow.load(Ordering::Relaxed) && id % 10 == 7 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if self.slow.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            if w.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = w.shutdown().await;
    }
}

/// Stops and starts the servers as `faults` say.
async fn inject(faults: Vec<Fault>, dovecot: &'static Dovecot, cluster: Arc<Cluster>, proxy: Option<Arc<Proxy>>, started: Instant) {
    let conf = dovecot.dir.join("dovecot.conf").display().to_string();
    let dir = dovecot.dir.display().to_string();
    let script = root().join("scripts/mailserver.sh").display().to_string();
    let pg_script = root().join("scripts/postgres.sh").display().to_string();
    for f in faults {
        tokio::time::sleep((started + f.at).saturating_duration_since(Instant::now())).await;
        println!("{:>6.1} s: {} for {} s", started.elapsed().as_secs_f64(), f.what, f.lasts.as_secs());
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
        let start = match f.what.as_str() {
            "dovecot" => {
                // As `systemctl restart` does: stop, wait for the master to be gone, start.
                let base = Command::new("doveconf").args(["-c", &conf, "-h", "base_dir"]).output().unwrap();
                let pidfile = Path::new(String::from_utf8_lossy(&base.stdout).trim()).join("master.pid");
                let pid = std::fs::read_to_string(&pidfile).unwrap_or_default().trim().to_string();
                // Its imap processes outlive the master and keep serving their connections:
                // a service manager ends them with it.
                let family = tokio::task::spawn_blocking({
                    let pid = pid.clone();
                    move || descendants(&pid)
                })
                .await
                .unwrap();
                run(&s(&["doveadm", "-c", &conf, "stop"])).await;
                while Path::new(&format!("/proc/{pid}")).exists() && !pid.is_empty() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let left: Vec<&String> = family.iter().filter(|p| Path::new(&format!("/proc/{p}")).exists()).collect();
                let pids: Vec<String> = left.iter().map(|p| p.to_string()).collect();
                // Some end by themselves meanwhile: kill's complaint about those says nothing.
                let _ = tokio::task::spawn_blocking(move || Command::new("kill").arg("-KILL").args(&pids).stderr(std::process::Stdio::null()).status()).await;
                println!("{:>6.1} s: Dovecot stopped ({} of its processes were still running)", started.elapsed().as_secs_f64(), left.len());
                s(&["dovecot", "-c", &conf])
            }
            "postfix" => {
                run(&s(&["bash", &script, "smtp-stop", &dir])).await;
                s(&["bash", &script, "smtp-start", &dir])
            }
            "postgres" => {
                let pg = postgres();
                let pg_dir = pg.dir.display().to_string();
                run(&s(&["bash", &pg_script, "stop", &pg_dir])).await;
                s(&["bash", &pg_script, "start", &pg_dir, &pg.port.to_string()])
            }
            "kill" => {
                cluster.up[0].store(false, Ordering::Relaxed);
                cluster.instances.lock().await[0].kill();
                vec![]
            }
            _ => {
                proxy.as_ref().unwrap().slow.store(true, Ordering::Relaxed);
                vec![]
            }
        };
        tokio::time::sleep((started + f.end()).saturating_duration_since(Instant::now())).await;
        match f.what.as_str() {
            "kill" => {
                cluster.instances.lock().await[0].respawn().await;
                cluster.up[0].store(true, Ordering::Relaxed);
            }
            "slow" => proxy.as_ref().unwrap().slow.store(false, Ordering::Relaxed),
            _ => run(&start).await,
        }
        println!("{:>6.1} s: {} over", started.elapsed().as_secs_f64(), f.what);
    }
}

/// The processes started by process `pid`, and theirs (one pass over /proc).
fn descendants(pid: &str) -> Vec<String> {
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if let Some(ppid) = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1)) {
            children.entry(ppid.to_string()).or_default().push(name);
        }
    }
    let mut all = Vec::new();
    let mut next = vec![pid.to_string()];
    while let Some(p) = next.pop() {
        for child in children.get(&p).into_iter().flatten() {
            all.push(child.clone());
            next.push(child.clone());
        }
    }
    all
}

/// CPU time the whole machine spent busy (all cores), in milliseconds.
fn machine_busy_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    ticks.iter().enumerate().filter(|(i, _)| *i < 8 && *i != 3 && *i != 4).map(|(_, t)| t).sum::<u64>() * 10
}

/// The inbox page's UIDVALIDITY and its messages (UID, subject), from its rows.
fn messages_of(body: &str) -> (String, Vec<(String, String)>) {
    let mut uv = String::new();
    let mut rows: Vec<(String, String)> = Vec::new();
    for piece in body.split("href=\"/m/INBOX/").skip(1) {
        let mut parts = piece.split(['/', '"', '?', '#']);
        if let (Some(v), Some(u)) = (parts.next(), parts.next())
            && u.chars().all(|c| c.is_ascii_digit())
            && !u.is_empty()
            && !rows.iter().any(|(x, _)| x == u)
        {
            uv = v.to_string();
            let subject = piece
                .split("<span class=\"subject\">")
                .nth(1)
                .map(|s| s.split('<').next().unwrap_or_default().trim().to_string())
                .unwrap_or_default();
            rows.push((u.to_string(), subject));
        }
    }
    (uv, rows)
}

/// What became of a message sent.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sent {
    Yes,
    /// Kept in Drafts (the outgoing server was down).
    Draft,
    /// No clear answer (an instance killed meanwhile).
    Unsure,
}

/// Where a user's messages should be, by subject (all unique): the folders each may be in
/// (more than one when a click got no clear answer).
#[derive(Default)]
struct Model {
    place: HashMap<String, Vec<&'static str>>,
    sent: BTreeMap<String, Sent>,
}

impl Model {
    fn moved(&mut self, subject: &str, to: &'static str, status: u16) {
        let Some(p) = self.place.get_mut(subject) else { return };
        if ok(status) {
            *p = vec![to];
        } else if unsure(status) && !p.contains(&to) {
            p.push(to);
        }
    }
}

/// One simulated user.
struct User {
    i: u64,
    name: String,
    password: String,
    /// One client per instance, all with the same cookies.
    browsers: Vec<Browser>,
    cluster: Arc<Cluster>,
    stats: Arc<Mutex<Stats>>,
    token: String,
    uv: String,
    rows: Vec<(String, String)>,
    model: Model,
    /// The page of the last send kept in Drafts, sent again at the next send click.
    draft: Option<(String, String)>,
    sends: u64,
    signed_in: bool,
}

impl User {
    async fn get(&self, path: &str) -> (Answer, usize) {
        let k = self.cluster.route(self.i);
        let b = &self.browsers[k];
        (answer(b.http.get(format!("{}{path}", b.base()))).await, k)
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (Answer, usize) {
        let k = self.cluster.route(self.i);
        let b = &self.browsers[k];
        (answer(b.http.post(format!("{}{path}", b.base())).form(form)).await, k)
    }

    fn record(&self, click: &'static str, a: &Answer, t: Instant, k: usize) {
        Stats::record(&self.stats, click, a, t.elapsed(), k);
    }

    fn read_list(&mut self, body: &str) {
        if body.contains("name=\"csrf\"") {
            self.token = csrf(body);
        }
        let (uv, rows) = messages_of(body);
        if !uv.is_empty() {
            self.uv = uv;
        }
        self.rows = rows;
    }

    async fn login(&mut self) {
        let t = Instant::now();
        let (page, k) = self.get("/login").await;
        if page.status != 200 || !page.body.contains("name=\"csrf\"") {
            return self.record("login", &page, t, k);
        }
        let token = csrf(&page.body);
        let (done, k) = self.post("/login", &[("csrf", &token), ("username", &self.name), ("password", &self.password)]).await;
        if done.status != 303 {
            return self.record("login", &Answer { status: if done.status == 200 { 401 } else { done.status }, body: done.body }, t, k);
        }
        let (inbox, k) = self.get("/f/INBOX").await;
        self.record("login", &inbox, t, k);
        if inbox.status == 200 {
            self.signed_in = true;
            self.read_list(&inbox.body);
        }
    }

    async fn click(&mut self, click: &'static str, rng: &mut Rng) {
        let row = if self.rows.is_empty() { None } else { Some(self.rows[rng.below(self.rows.len())].clone()) };
        let t = Instant::now();
        let (a, k) = match (click, &row) {
            ("inbox", _) | (_, None) => {
                let (a, k) = self.get("/f/INBOX").await;
                if a.status == 200 {
                    self.read_list(&a.body);
                }
                (a, k)
            }
            ("page", _) => self.get("/f/INBOX?page=2").await,
            ("sort", _) => self.get("/f/INBOX?sort=from").await,
            ("open", Some((uid, _))) => self.get(&format!("/m/INBOX/{}/{uid}", self.uv)).await,
            ("search", _) => self.get(&format!("/search?q=from%3Asender{}", rng.below(60) + 1)).await,
            ("send", _) => self.send().await,
            (action, Some((uid, subject))) => {
                let action = if action == "star" && rng.below(2) == 0 { "unstar" } else { action };
                let form = [("csrf", self.token.as_str()), ("uidvalidity", self.uv.as_str()), ("action", action), ("uid", uid.as_str())];
                let (a, k) = self.post("/f/INBOX/actions", &form).await;
                // Archive and delete take the message out of the list; Undo brings it back
                // (always after a delete, half the time after an archive).
                if matches!(action, "archive" | "delete") {
                    self.rows.retain(|(x, _)| x != uid);
                    self.model.moved(subject, if action == "archive" { "Archive" } else { "Trash" }, a.status);
                    if ok(a.status) && (action == "delete" || rng.below(2) == 0) {
                        self.record(click, &a, t, k);
                        let t = Instant::now();
                        let (undo, k) = self.post("/undo", &[("csrf", self.token.as_str())]).await;
                        self.model.moved(subject, "INBOX", undo.status);
                        self.record("undo", &undo, t, k);
                        self.signed_in &= undo.status != SIGNED_OUT;
                        return;
                    }
                }
                (a, k)
            }
        };
        self.record(click, &a, t, k);
        self.signed_in &= a.status != SIGNED_OUT;
    }

    /// Writes a message with an attachment to themselves, or sends again the one kept in
    /// Drafts last time.
    async fn send(&mut self) -> (Answer, usize) {
        let (subject, form) = match self.draft.take() {
            Some((subject, page)) => (subject, forms::Form::from_page(&page)),
            None => {
                let (compose, k) = self.get("/compose").await;
                if compose.status != 200 {
                    return (compose, k);
                }
                self.sends += 1;
                let subject = format!("Load {} {}", self.i, self.sends);
                let mut form = forms::Form::from_page(&compose.body);
                form.set("to", &self.name).set("subject", &subject).set("body", "Hello from the load generator.");
                (subject, form)
            }
        };
        let file = ("notes.txt", vec![b'x'; 10 * 1024], "text/plain");
        let k = self.cluster.route(self.i);
        let a = answer(forms::compose_request(&self.browsers[k], &form, "send", &[file], false)).await;
        let was = self.model.sent.get(&subject).copied();
        let now = match a.status {
            s if ok(s) => Sent::Yes,
            // The server stopped answering while it had the message: it may have gone, and is
            // not sent again blindly.
            502 if a.body.contains("did not answer in time") || a.body.contains("may have been sent") => Sent::Unsure,
            502 if a.body.contains("kept in Drafts") => {
                self.draft = Some((subject.clone(), a.body.clone()));
                Sent::Draft
            }
            s if unsure(s) => Sent::Unsure,
            // Refused before anything happened (e.g. a stale form): as it was.
            _ => was.unwrap_or(Sent::Unsure),
        };
        self.model.sent.insert(subject.clone(), if was == Some(Sent::Unsure) && now == Sent::Draft { Sent::Unsure } else { now });
        if now != Sent::Draft {
            self.model.place.insert(subject, vec!["INBOX"]);
        }
        (a, k)
    }
}

/// The tab's event stream, reopened (on the user's instance of the moment) when it drops, as
/// a browser's EventSource does.
async fn tab(user_i: u64, browsers: Vec<Browser>, cluster: Arc<Cluster>, stats: Arc<Mutex<Stats>>) {
    loop {
        let b = &browsers[cluster.route(user_i)];
        if let Ok(res) = b.http.get(format!("{}/events?folder=INBOX", b.base())).send().await
            && res.status() == 200
        {
            let mut body = res.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                let n = String::from_utf8_lossy(&chunk).matches("event: ").count();
                stats.lock().unwrap().events += n;
            }
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}

/// One simulated user, until `deadline`; gives back what their messages should look like.
async fn session(mut u: User, deadline: Instant, think: Duration, seed: u64, arrives: Duration) -> (String, String, Model) {
    let mix = mix();
    let mut rng = Rng::new(seed ^ (u.i + 1).wrapping_mul(0x1000_0000_01B3));
    tokio::time::sleep(arrives + rng.think(think)).await;
    let tab = tokio::spawn(tab(u.i, u.browsers.iter().map(|b| b.sharing(b.base().to_string())).collect(), u.cluster.clone(), u.stats.clone()));
    while Instant::now() + Duration::from_millis(200) < deadline {
        if !u.signed_in {
            u.login().await;
        } else {
            let click = pick(&mut rng, &mix);
            u.click(click, &mut rng).await;
        }
        tokio::time::sleep(rng.think(think).min(deadline.saturating_duration_since(Instant::now()))).await;
    }
    tab.abort();
    if u.i.is_multiple_of(2) && u.signed_in {
        let t = Instant::now();
        let (a, k) = u.post("/logout", &[("csrf", u.token.as_str())]).await;
        let a = Answer { status: if a.status == SIGNED_OUT { 303 } else { a.status }, body: a.body };
        u.record("logout", &a, t, k);
    }
    (u.name, u.password, u.model)
}

/// How many messages Postfix still holds.
fn queued(dovecot: &Dovecot) -> usize {
    let out = Command::new("postqueue").args(["-c", &dovecot.dir.join("postfix").display().to_string(), "-j"]).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).lines().count()).unwrap_or(0)
}

/// Subjects per folder of a user's mailbox, read by an independent IMAP client.
async fn mailbox(user: &TestUser) -> HashMap<String, Vec<&'static str>> {
    let mut imap = user.imap().await;
    let mut seen: HashMap<String, Vec<&'static str>> = HashMap::new();
    for folder in ["INBOX", "Archive", "Trash", "Drafts", "Sent"] {
        let m = imap.select(folder).await.unwrap();
        if m.exists == 0 {
            continue;
        }
        let fetched: Vec<_> = imap.fetch("1:*", "ENVELOPE").await.unwrap().collect::<Vec<_>>().await;
        for f in fetched.into_iter().flatten() {
            let subject = f.envelope().and_then(|e| e.subject.as_ref()).map(|s| String::from_utf8_lossy(s).into_owned()).unwrap_or_default();
            seen.entry(subject).or_default().push(folder);
        }
    }
    let _ = imap.logout().await;
    seen
}

/// The census of one user: what is wrong with their mailbox, per message.
fn census(model: &Model, seen: &HashMap<String, Vec<&'static str>>) -> Vec<String> {
    let mut wrong = Vec::new();
    let empty = Vec::new();
    let count = |subject: &str, folders: &[&str]| seen.get(subject).unwrap_or(&empty).iter().filter(|f| folders.contains(f)).count();
    for (subject, allowed) in &model.place {
        let found = seen.get(subject).unwrap_or(&empty);
        let mail: Vec<&&str> = found.iter().filter(|f| ["INBOX", "Archive", "Trash"].contains(f)).collect();
        let unsure_send = model.sent.get(subject) == Some(&Sent::Unsure);
        match mail.as_slice() {
            [] if unsure_send => {}
            [one] if allowed.contains(one) => {}
            _ => wrong.push(format!("{subject:?} is in {mail:?}, expected once in one of {allowed:?}")),
        }
    }
    for (subject, state) in &model.sent {
        let (sent, drafts) = (count(subject, &["Sent"]), count(subject, &["Drafts"]));
        let fine = match state {
            Sent::Yes => sent == 1 && drafts == 0,
            Sent::Draft => sent == 0 && drafts == 1,
            Sent::Unsure => sent <= 1 && drafts <= 1,
        };
        if !fine {
            wrong.push(format!("{subject:?} ({state:?}): {sent} in Sent, {drafts} in Drafts"));
        }
    }
    wrong
}

/// A line chart of `series` over time, fault windows shaded, as an SVG file.
fn chart(path: &Path, title: &str, unit: &str, series: &[(String, Vec<(f64, f64)>)], faults: &[Fault], seconds: f64) {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let top = series.iter().flat_map(|(_, v)| v.iter().map(|p| p.1)).fold(1.0, f64::max) * 1.1;
    let mut c = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..seconds, 0f64..top)
        .unwrap();
    c.configure_mesh().x_desc("seconds since the start").y_desc(unit).draw().unwrap();
    for f in faults {
        let shade = RGBColor(250, 215, 200).mix(0.6).filled();
        c.draw_series(std::iter::once(Rectangle::new([(f.at.as_secs_f64(), 0.0), (f.end().as_secs_f64(), top)], shade))).unwrap();
    }
    for (i, (name, points)) in series.iter().enumerate() {
        const COLOURS: [RGBColor; 5] = [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];
        let colour = COLOURS[i % COLOURS.len()].to_rgba();
        c.draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))
            .unwrap()
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    c.configure_series_labels().background_style(WHITE.mix(0.85)).border_style(BLACK).position(SeriesLabelPosition::UpperLeft).draw().unwrap();
    root.present().unwrap();
}

/// A sample of the servers: per instance (RSS KiB, open files, CPU ms), and the IMAP
/// connections Dovecot has.
struct Sample {
    at: f64,
    instances: Vec<(u64, usize, u64)>,
    imap: usize,
    /// CPU ms of the whole machine, and of this load generator.
    machine: u64,
    generator: u64,
}

async fn sample(cluster: &Cluster, started: Instant, dovecot: &'static Dovecot) -> Sample {
    let pids: Vec<Option<u32>> = {
        let all = cluster.instances.lock().await;
        all.iter().enumerate().map(|(k, f)| cluster.up[k].load(Ordering::Relaxed).then(|| f.pid())).collect()
    };
    tokio::task::spawn_blocking(move || {
        let instances = pids
            .iter()
            .map(|pid| match pid {
                Some(pid) => (common::rss_of(*pid), std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0), common::cpu_ms(*pid)),
                None => (0, 0, 0),
            })
            .collect();
        let who = Command::new("doveadm").args(["-c", &dovecot.dir.join("dovecot.conf").display().to_string(), "who", "-1"]).output();
        let imap = who.map(|o| String::from_utf8_lossy(&o.stdout).lines().skip(1).filter(|l| l.contains(" imap ")).count()).unwrap_or(0);
        Sample { at: started.elapsed().as_secs_f64(), instances, imap, machine: machine_busy_ms(), generator: common::cpu_ms(std::process::id()) }
    })
    .await
    .unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("load generator: run it with `cargo bench --bench load`");
        return;
    }
    let users = common::env_usize("FACTEUR_LOAD_USERS", 50) as u64;
    let seconds = common::env_usize("FACTEUR_LOAD_SECONDS", 120) as u64;
    let think = Duration::from_millis(common::env_usize("FACTEUR_LOAD_THINK_MS", 3000) as u64);
    let seed = common::env_usize("FACTEUR_LOAD_SEED", 1) as u64;
    let n = common::env_usize("FACTEUR_LOAD_INSTANCES", 1).clamp(1, 8);
    let idle_minutes = common::env_usize("FACTEUR_LOAD_IMAP_IDLE_MINUTES", 1);
    // Users arrive over this time, not all in the same second.
    let ramp = Duration::from_secs(common::env_usize("FACTEUR_LOAD_RAMP_SECONDS", (seconds as usize / 4).min(60)) as u64);
    let out = std::path::PathBuf::from(std::env::var("FACTEUR_LOAD_OUT").unwrap_or_else(|_| "target/load".into()));
    std::fs::create_dir_all(&out).unwrap();
    let faults = faults();
    for f in &faults {
        assert!(n > 1 || !matches!(f.what.as_str(), "kill" | "postgres"), "the {} fault needs FACTEUR_LOAD_INSTANCES=2", f.what);
    }
    // The test mail server, sized for this many users.
    if std::env::var_os("FACTEUR_TEST_MAIL_USERS").is_none() {
        // SAFETY: no other thread reads the environment yet (the users start below).
        unsafe { std::env::set_var("FACTEUR_TEST_MAIL_USERS", users.max(500).to_string()) };
    }
    let inotify = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_instances").ok().and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
    if inotify < users * 2 + 100 {
        println!("fs.inotify.max_user_instances is {inotify}: Dovecot needs one per connection, raise it above {} (sysctl)", users * 2 + 100);
    }
    let d = dovecot();

    // The instances, on one PostgreSQL when there are several; behind the proxy when the
    // mail server is to be slowed.
    // The timeouts a hoster runs with (the defaults), not the tests' short ones.
    let mut extra = vec![
        ("FACTEUR_IMAP_IDLE_TIMEOUT_MINUTES", idle_minutes.to_string()),
        ("FACTEUR_IMAP_CONNECT_TIMEOUT_SECONDS", "10".to_string()),
        ("FACTEUR_IMAP_COMMAND_TIMEOUT_SECONDS", "30".to_string()),
        ("FACTEUR_SMTP_TIMEOUT_SECONDS", "30".to_string()),
    ];
    let proxy = if faults.iter().any(|f| f.what == "slow") {
        let (proxy, port) = Proxy::start(d.imap_port).await;
        extra.push(("FACTEUR_IMAP_PORT", port.to_string()));
        Some(proxy)
    } else {
        None
    };
    if n > 1 {
        let db = postgres().database(&format!("fx_load_{}", std::process::id()));
        extra.push(("FACTEUR_DATABASE_URL", db));
        extra.push(("FACTEUR_SECRET_KEY", SHARED_KEY.to_string()));
    }
    let mut instances = Vec::new();
    for _ in 0..n {
        instances.push(common::Facteur::start_with(d, &extra).await);
    }
    let cluster = Arc::new(Cluster {
        bases: instances.iter().map(|f| f.base.clone()).collect(),
        up: (0..n).map(|_| AtomicBool::new(true)).collect(),
        instances: tokio::sync::Mutex::new(instances),
    });

    // Users with 60 messages each.
    let names: Vec<(String, String)> = (1..=users).map(|i| (format!("load{i}@{DOMAIN}"), format!("load-pw-{i}"))).collect();
    d.add_users(&names);
    let messages: Vec<Vec<u8>> = (1..=60).map(numbered_message).collect();
    let originals: Vec<String> = (1..=60).map(|i| format!("Message number {i:05}")).collect();
    let setup = Instant::now();
    for chunk in names.chunks(50) {
        let appends = chunk.iter().map(|(n, p)| async { TestUser::new(n, p, d.imap_port).bulk_append("INBOX", &messages).await });
        futures_util::future::join_all(appends).await;
    }
    println!(
        "{users} users on {n} instance(s) ({}), {seconds} s, think time {} ms on average, seed {seed}, mix {:?}, faults {faults:?}; set up in {:.0} s",
        if n > 1 { "PostgreSQL" } else { "SQLite" },
        think.as_millis(),
        mix(),
        setup.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let stats = Arc::new(Mutex::new(Stats {
        started: Some(started),
        last_failure_after: vec![None; faults.len()],
        slowest: vec![Duration::ZERO; faults.len()],
        faults: faults.clone(),
        served: vec![0; n],
        ..Default::default()
    }));
    let injector = tokio::spawn(inject(faults.clone(), d, cluster.clone(), proxy, started));
    let deadline = started + Duration::from_secs(seconds);
    // Every kind of click has happened many times by then, and every user has signed in.
    let warmup = Duration::from_secs((seconds / 5).clamp(30, 300));
    let tasks: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, (name, password))| {
            let jar_owner = Browser::for_base(cluster.bases[0].clone(), "en");
            let browsers = cluster.bases.iter().map(|b| jar_owner.sharing(b.clone())).collect();
            let user = User {
                i: i as u64,
                name: name.clone(),
                password: password.clone(),
                browsers,
                cluster: cluster.clone(),
                stats: stats.clone(),
                token: String::new(),
                uv: String::new(),
                rows: Vec::new(),
                model: Model { place: originals.iter().map(|s| (s.clone(), vec!["INBOX"])).collect(), sent: BTreeMap::new() },
                draft: None,
                sends: 0,
                signed_in: false,
            };
            tokio::spawn(session(user, deadline, think, seed, ramp.mul_f64(i as f64 / users as f64)))
        })
        .collect();
    let mut samples: Vec<Sample> = Vec::new();
    while Instant::now() < deadline {
        samples.push(sample(&cluster, started, d).await);
        tokio::time::sleep(Duration::from_secs(5).min(deadline.saturating_duration_since(Instant::now()))).await;
    }
    let mut models = Vec::new();
    for t in tasks {
        models.push(t.await.unwrap());
    }
    let _ = injector.await;
    let active = samples.len();
    let ended = started.elapsed();

    // The users are gone: the connections of those who just left close after the idle
    // timeout, and what Facteur keeps for each (its slot: caches, the folder list) is
    // forgotten after twice that (and a reaper pass); deliveries finish.
    let quiet = Duration::from_secs(idle_minutes as u64 * 120 + 15);
    let until = Instant::now() + quiet;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(5)).await;
        samples.push(sample(&cluster, started, d).await);
    }
    let drained = Instant::now() + Duration::from_secs(120);
    while queued(d) > 0 && Instant::now() < drained {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let last = sample(&cluster, started, d).await;

    // The census.
    let mut wrong = Vec::new();
    let mut counted = (0, 0, 0, 0);
    for chunk in models.chunks(50) {
        let seen = futures_util::future::join_all(chunk.iter().map(|(name, password, _)| async move { mailbox(&TestUser::new(name, password, d.imap_port)).await })).await;
        for ((name, _, model), seen) in chunk.iter().zip(seen) {
            counted.0 += model.place.len();
            counted.1 += model.sent.values().filter(|s| **s == Sent::Yes).count();
            counted.2 += model.sent.values().filter(|s| **s == Sent::Draft).count();
            counted.3 += model.sent.values().filter(|s| **s == Sent::Unsure).count();
            wrong.extend(census(model, &seen).into_iter().map(|w| format!("{name}: {w}")));
        }
    }

    // The figures.
    // Every user is done: the figures are taken out whole.
    let stats = std::mem::take(&mut *stats.lock().unwrap());
    let mut summary = String::new();
    let total: usize = stats.routes.values().map(|r| r.times.len()).sum();
    let _ = writeln!(summary, "{:<8} {:>7} {:>8} {:>8} {:>8} {:>8}  errors (outside faults) / 5xx and unanswered (0) during faults", "click", "n", "p50 ms", "p95 ms", "p99 ms", "max ms");
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
    let _ = writeln!(summary, "{total} requests in {seconds} s: {:.1} per second; {} events reached the tabs", total as f64 / seconds as f64, stats.events);
    if n > 1 {
        let _ = writeln!(summary, "answers per instance: {:?}; from the killed instance once it was back: {}", stats.served, stats.rejoined);
    }
    for ((f, late), slowest) in stats.faults.iter().zip(&stats.last_failure_after).zip(&stats.slowest) {
        let _ = match late {
            Some(l) => write!(summary, "{} at {} s for {} s: every click worked again {:.1} s after it ended", f.what, f.at.as_secs(), f.lasts.as_secs(), l.as_secs_f64()),
            None => write!(summary, "{} at {} s for {} s: every click worked as soon as it ended", f.what, f.at.as_secs(), f.lasts.as_secs()),
        };
        let _ = writeln!(summary, "; the slowest click sent during it took {:.1} s", slowest.as_secs_f64());
    }
    let cpu: u64 = (0..n)
        .map(|k| {
            // A killed instance starts counting again: add up what each life used.
            let mut used = 0;
            let mut before = 0;
            for s in &samples[..active] {
                let now = s.instances[k].2;
                used += if now >= before { now - before } else { now };
                before = now;
            }
            used
        })
        .sum();
    // Where the machine's CPU went while the users clicked (all cores: 100 % is one core).
    let (first, busy) = (&samples[0], &samples[active - 1]);
    let wall_ms = (busy.at - first.at).max(1.0) * 1000.0;
    let share = |ms: u64| ms as f64 * 100.0 / wall_ms;
    let (machine_ms, generator_ms) = (busy.machine - first.machine, busy.generator - first.generator);
    let _ = writeln!(
        summary,
        "CPU while the users clicked ({} cores; 100 % is one core): Facteur {:.0} %, the load generator {:.0} %, everything else (Dovecot, Postfix, PostgreSQL) {:.0} %",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        share(cpu),
        share(generator_ms),
        share(machine_ms.saturating_sub(cpu + generator_ms))
    );
    let warm = samples.iter().find(|s| s.at >= warmup.as_secs_f64()).unwrap_or(&samples[0]);
    let peak: Vec<u64> = (0..n).map(|k| samples.iter().map(|s| s.instances[k].0).max().unwrap_or(0)).collect();
    let rss: Vec<String> = (0..n).map(|k| format!("{} KiB after warm-up, {} at the peak, {} once the users were gone", warm.instances[k].0, peak[k], last.instances[k].0)).collect();
    let _ = writeln!(summary, "Facteur: {}", rss.join("; "));
    let _ = writeln!(
        summary,
        "{:.0} ms of CPU per 1,000 requests; {:.0} KiB per signed-in user at the peak; open files {:?} after warm-up, {:?} at the end; IMAP connections {} after warm-up, {} at the end",
        cpu as f64 * 1000.0 / total.max(1) as f64,
        peak.iter().sum::<u64>().saturating_sub(samples[0].instances.iter().map(|i| i.0).sum::<u64>()) as f64 / users.max(1) as f64,
        warm.instances.iter().map(|i| i.1).collect::<Vec<_>>(),
        last.instances.iter().map(|i| i.1).collect::<Vec<_>>(),
        warm.imap,
        last.imap
    );
    let _ = writeln!(
        summary,
        "census: {} messages placed, {} sent, {} kept in Drafts, {} sends with no clear answer; {} wrong",
        counted.0,
        counted.1,
        counted.2,
        counted.3,
        wrong.len()
    );

    // The invariants.
    let mut failed = Vec::new();
    let outside: usize = stats.routes.values().map(|r| r.errors.iter().filter(|(s, _)| unsure(**s) || **s == SIGNED_OUT).map(|(_, n)| n).sum::<usize>()).sum();
    if outside > 0 {
        failed.push(format!("{outside} requests failed (5xx, unanswered or signed out) outside the fault windows"));
    }
    if stats.bare > 0 {
        failed.push(format!("{} 5xx answers were not Facteur's error pages", stats.bare));
    }
    if stats.unanswered > 0 {
        failed.push(format!("{} requests got no answer where no instance was killed", stats.unanswered));
    }
    if !wrong.is_empty() {
        failed.push(format!("census: {} messages out of place, e.g. {}", wrong.len(), wrong.iter().take(5).cloned().collect::<Vec<_>>().join("; ")));
    }
    // All instances together, as for open files: users moved from a killed instance to
    // another take their memory with them.
    let (w, e) = (warm.instances.iter().map(|i| i.0).sum::<u64>() as f64, last.instances.iter().map(|i| i.0).sum::<u64>() as f64);
    if e > w * 1.1 {
        failed.push(format!("{e:.0} KiB once the users were gone, more than 10 % over {w:.0} KiB after warm-up"));
    }
    if last.imap > 0 {
        failed.push(format!("{} IMAP connections still open once the users were gone", last.imap));
    }
    // Growth while the users were there: the second quarter against the last one, fault
    // windows left out.
    let calm: Vec<&Sample> = samples[..active]
        .iter()
        .filter(|s| s.at >= warmup.as_secs_f64() && !faults.iter().any(|f| s.at >= f.at.as_secs_f64() && s.at <= (f.end() + GRACE).as_secs_f64()))
        .collect();
    if calm.len() >= 8 {
        let q = calm.len() / 4;
        let (early, late) = (&calm[q..2 * q], &calm[calm.len() - q..]);
        let grows = |f: &dyn Fn(&Sample) -> f64| {
            let (a, b) = (median(early.iter().map(|s| f(s)).collect()), median(late.iter().map(|s| f(s)).collect()));
            (b > a * 1.2 + 20.0).then_some((a, b))
        };
        if let Some((a, b)) = grows(&|s| s.imap as f64) {
            failed.push(format!("IMAP connections grew from {a:.0} to {b:.0}"));
        }
        // All instances together: a user moved to another instance takes files with them.
        if let Some((a, b)) = grows(&|s| s.instances.iter().map(|i| i.1 as f64).sum()) {
            failed.push(format!("open files grew from {a:.0} to {b:.0}"));
        }
    }
    let _ = writeln!(summary, "run: {:.0} s of clicks, then {:.0} s for the users' connections to close and Facteur to forget them", ended.as_secs_f64(), quiet.as_secs_f64());
    if failed.is_empty() {
        let _ = writeln!(summary, "invariants: all hold");
    } else {
        for f in &failed {
            let _ = writeln!(summary, "FAILED: {f}");
        }
    }
    print!("{summary}");
    std::fs::write(out.join("summary.txt"), &summary).unwrap();

    // Samples and plots.
    let mut csv = String::from("seconds");
    for k in 0..n {
        let _ = write!(csv, ",rss_kib_{k},open_files_{k},cpu_ms_{k}");
    }
    csv.push_str(",imap_connections\n");
    for s in samples.iter().chain(std::iter::once(&last)) {
        let _ = write!(csv, "{:.1}", s.at);
        for i in &s.instances {
            let _ = write!(csv, ",{},{},{}", i.0, i.1, i.2);
        }
        let _ = writeln!(csv, ",{}", s.imap);
    }
    std::fs::write(out.join("samples.csv"), &csv).unwrap();
    let span = last.at.max(seconds as f64);
    let bucket = (seconds as f64 / 120.0).max(10.0);
    let mut buckets: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    let mut clicks = String::from("sent_s,took_ms,status,click\n");
    for (sent, took, status, click) in &stats.timeline {
        let _ = writeln!(clicks, "{sent:.3},{took:.1},{status},{click}");
    }
    std::fs::write(out.join("clicks.csv"), &clicks).unwrap();
    for (sent, took, _, _) in &stats.timeline {
        buckets.entry((f64::from(*sent) / bucket) as u64).or_default().push(f64::from(*took));
    }
    let pct = |q: usize| -> Vec<(f64, f64)> {
        buckets
            .iter()
            .map(|(b, v)| {
                let mut v = v.clone();
                v.sort_by(f64::total_cmp);
                ((*b as f64 + 0.5) * bucket, v[(v.len() * q / 100).min(v.len() - 1)])
            })
            .collect()
    };
    let rate: Vec<(f64, f64)> = buckets.iter().map(|(b, v)| ((*b as f64 + 0.5) * bucket, v.len() as f64 / bucket)).collect();
    chart(&out.join("latency.svg"), &format!("Click latency, {users} users ({bucket:.0} s buckets)"), "milliseconds", &[("p50".into(), pct(50)), ("p95".into(), pct(95)), ("p99".into(), pct(99))], &faults, span);
    chart(&out.join("requests.svg"), "Requests per second", "requests per second", &[("requests".into(), rate)], &faults, span);
    let series: Vec<(String, Vec<(f64, f64)>)> = (0..n)
        .map(|k| (format!("instance {k} RSS"), samples.iter().chain(std::iter::once(&last)).filter(|s| s.instances[k].0 > 0).map(|s| (s.at, s.instances[k].0 as f64 / 1024.0)).collect()))
        .collect();
    chart(&out.join("memory.svg"), "Facteur's resident memory", "MiB", &series, &faults, span);
    let mut series: Vec<(String, Vec<(f64, f64)>)> = vec![("IMAP connections (Dovecot)".into(), samples.iter().chain(std::iter::once(&last)).map(|s| (s.at, s.imap as f64)).collect())];
    series.extend((0..n).map(|k| (format!("instance {k} open files"), samples.iter().chain(std::iter::once(&last)).filter(|s| s.instances[k].1 > 0).map(|s| (s.at, s.instances[k].1 as f64)).collect())));
    chart(&out.join("connections.svg"), "Connections and open files", "count", &series, &faults, span);
    println!("samples and plots: {}", out.display());
    // Stopped here: `exit` below runs no destructor.
    cluster.instances.lock().await.clear();
    let _ = std::io::Write::flush(&mut std::io::stdout());
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
