//! Domain rules of kotapintar. Nothing here does I/O: storage and HTTP depend on this crate,
//! never the other way round, so every rule can be unit-tested on plain values.

pub mod agency;
pub mod alerts;
pub mod audit;
pub mod client;
pub mod content;
pub mod conversation;
pub mod csv_cell;
pub mod editorial;
pub mod event;
pub mod ids;
pub mod ikm;
pub mod intake;
pub mod job;
pub mod login;
pub mod mail;
pub mod markdown;
pub mod masking;
pub mod masterplan;
pub mod opendata;
pub mod performance;
pub mod policy;
pub mod privacy;
pub mod region;
pub mod request;
pub mod routing;
pub mod service;
pub mod text;
pub mod training;
pub mod unit;
pub mod user;
pub mod validation;
pub mod webhook;
pub mod working_days;

pub use validation::{FieldError, FieldErrors};
