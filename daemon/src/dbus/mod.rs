//! The D-Bus surface: names, errors, wire formats, and the objects the daemon serves.

pub mod activity;
pub mod authz;
pub mod catalogs;
pub mod device_object;
pub mod error;
pub mod job;
pub mod manager;
pub mod names;
pub mod operations;
pub mod policy;
pub mod reports;
pub mod rollback;
pub mod schedule;
pub mod service;
pub mod shutdown;
pub mod staged;
mod test_pause;
pub mod wire;
