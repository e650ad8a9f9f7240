//! hwupd: inventory, catalogs, policy, staging and install methods behind the daemon and client.

pub mod calendar;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod dbus;
pub mod device;
pub mod fsutil;
pub mod guid;
pub mod inventory;
pub mod logging;
pub mod matching;
pub mod output;
pub mod root;
pub mod version;
