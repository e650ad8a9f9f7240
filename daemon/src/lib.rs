//! hwupd: inventory, catalogs, policy, staging and install methods behind the daemon and client.

pub mod backends;
pub mod calendar;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod dbus;
pub mod device;
pub mod engine;
pub mod fsutil;
pub mod guid;
pub mod history;
pub mod inventory;
pub mod logging;
pub mod machine;
pub mod matching;
pub mod memory;
pub mod output;
pub mod policy;
pub mod remote;
pub mod report;
pub mod root;
pub mod schedule;
pub mod scheduler;
pub mod staging;
pub mod version;
pub mod window;
