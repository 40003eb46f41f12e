//! Facteur's integration tests: one binary, a real Dovecot started by the harness, Facteur on
//! loopback, and headless Chromium for the browser tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accessibility;
mod archives;
mod browser;
mod cli;
mod compose;
mod conversations;
mod cost;
mod experience;
mod folders;
mod forms;
mod harness;
mod hosting;
mod outbox;
mod push;
mod reading;
mod rules;
mod router;
mod search;
mod security;
mod servers;
mod sorting;
mod sync;
mod two_step;
