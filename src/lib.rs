//! Facteur: a self-hosted webmail that is one more synchronized IMAP client.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod clock;
pub mod config;
pub mod devices;
pub mod domains;
pub mod i18n;
pub mod mail;
pub mod metrics;
pub mod outbox;
pub mod push;
pub mod secrets;
pub mod startup;
pub mod store;
pub mod two_step;
pub mod web;
