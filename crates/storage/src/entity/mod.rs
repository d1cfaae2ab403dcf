//! SeaORM entities: one per table, mirroring the migrations. They stay inside this crate;
//! the rest of the application sees domain types.

pub mod audit_head;
pub mod audit_log;
pub mod job;
pub mod region;
pub mod session;
pub mod unit;
pub mod user;
pub mod user_role;
