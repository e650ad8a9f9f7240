//! hwupd: inventory, catalogs, policy, staging and install methods behind the daemon and client.

pub mod calendar;
