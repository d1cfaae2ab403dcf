//! The `kotapintar` program: configuration, the command line, and start-up. The parts it
//! wires together are the crates `kotapintar-domain` (rules), `-storage` (database),
//! `-web` (HTTP) and `-jobs` (background work); see ARCHITECTURE.md.

pub mod app;
pub mod audit_key;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod reference_data;
pub mod telemetry;
