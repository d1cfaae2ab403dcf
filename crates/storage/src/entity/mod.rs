//! SeaORM entities: one per table, mirroring the migrations. They stay inside this crate;
//! the rest of the application sees domain types.

pub mod api_call;
pub mod application;
pub mod audit_head;
pub mod audit_log;
pub mod event;
pub mod events_head;
pub mod holiday;
pub mod idempotency_key;
pub mod import_source;
pub mod integration_client;
pub mod job;
pub mod region;
pub mod request;
pub mod request_event;
pub mod request_photo;
pub mod request_support;
pub mod request_unit;
pub mod response_template;
pub mod service;
pub mod session;
pub mod survey;
pub mod unit;
pub mod user;
pub mod user_role;
pub mod webhook_delivery;
pub mod webhook_subscription;
