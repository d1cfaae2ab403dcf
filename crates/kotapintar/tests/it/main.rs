//! The integration tests: each starts the real application on a fresh database, and every
//! test runs twice, on SQLite and on PostgreSQL (see `both_backends!`).

// Test helpers panic on purpose: a failed step should fail the test that took it.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod harness;

mod accessibility;
mod alerts;
mod api;
mod api_contract;
mod audit;
mod auth;
mod bimtek;
mod browser;
mod channels;
mod channels_burst;
mod channels_email;
mod channels_faults;
mod channels_sms;
mod channels_whatsapp;
mod ckan_conformance;
mod cli;
mod closure_merge;
mod cluster;
mod crash;
mod faults;
mod jobs;
mod kinerja;
mod masterplan;
mod no_wrong_door;
mod offline_report;
mod open311;
mod open311_conformance;
mod opendata;
mod opendata_dcat;
mod page_cache;
mod pages;
mod phones;
mod portal;
mod requests;
mod routing;
mod routing_rules;
mod security;
mod security_abuse;
mod security_accounts;
mod security_integrity;
mod security_privacy;
mod smtp_sink;
mod staff_desk;
mod staff_queue;
mod thread;
mod units;
mod users;
