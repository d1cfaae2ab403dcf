//! Forward-only schema migrations, written once with SeaORM's schema builder so the same
//! migration runs on SQLite and PostgreSQL. Never edit a migration that has shipped: add one.

use sea_orm_migration::prelude::*;

mod m20261128_000001_foundation;
mod m20261128_000002_requests;
mod m20261128_000003_integration;
mod m20261129_000004_portal;
mod m20261129_000005_dashboards;
mod m20261129_000006_masterplan;
mod m20261129_000007_login_throttle;
mod m20261129_000008_opendata;
mod m20261129_000009_speed;
mod m20261129_000010_monthly_counters;
mod m20261207_000011_public_text;
mod m20261207_000012_abuse_limits;
mod m20261207_000014_audit_key;
mod m20261207_000018_idempotency_request;
mod m20261208_000101_routing;
mod m20261208_000201_channels;
mod m20261209_000101_request_thread;
mod m20261209_0002_open311_media;
mod m20261209_000501_channel_filed;
mod m20261210_000101_routing_rules;
mod m20261210_000102_untaken;
mod m20261210_000201_service_closure;
mod m20261210_000401_area_alerts;
mod m20261210_0005_form_keys;
mod m20261211_000101_outside_agencies;
mod m20261211_000201_merged_cases;
mod m20261211_000301_area_alerts_sent;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_requests::Migration),
            Box::new(m20261128_000003_integration::Migration),
            Box::new(m20261129_000004_portal::Migration),
            Box::new(m20261129_000005_dashboards::Migration),
            Box::new(m20261129_000006_masterplan::Migration),
            Box::new(m20261129_000007_login_throttle::Migration),
            Box::new(m20261129_000008_opendata::Migration),
            Box::new(m20261129_000009_speed::Migration),
            Box::new(m20261129_000010_monthly_counters::Migration),
            Box::new(m20261207_000011_public_text::Migration),
            Box::new(m20261207_000012_abuse_limits::Migration),
            Box::new(m20261207_000014_audit_key::Migration),
            Box::new(m20261207_000018_idempotency_request::Migration),
            Box::new(m20261208_000101_routing::Migration),
            Box::new(m20261208_000201_channels::Migration),
            Box::new(m20261209_000501_channel_filed::Migration),
            Box::new(m20261209_000101_request_thread::Migration),
            Box::new(m20261209_0002_open311_media::Migration),
            Box::new(m20261210_000101_routing_rules::Migration),
            Box::new(m20261210_000102_untaken::Migration),
            Box::new(m20261210_000201_service_closure::Migration),
            Box::new(m20261210_000401_area_alerts::Migration),
            Box::new(m20261210_0005_form_keys::Migration),
            Box::new(m20261211_000101_outside_agencies::Migration),
            Box::new(m20261211_000201_merged_cases::Migration),
            Box::new(m20261211_000301_area_alerts_sent::Migration),
        ]
    }
}
