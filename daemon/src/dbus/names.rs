//! Well-known names and object paths of the hwupd D-Bus API, version 1.

pub const BUS_NAME: &str = "org.hwupd.Hwupd1";
pub const ROOT_PATH: &str = "/org/hwupd/Hwupd1";
pub const MANAGER_PATH: &str = "/org/hwupd/Hwupd1/Manager";
pub const MANAGER_INTERFACE: &str = "org.hwupd.Hwupd1.Manager";
pub const DEVICE_INTERFACE: &str = "org.hwupd.Hwupd1.Device";
pub const JOB_INTERFACE: &str = "org.hwupd.Hwupd1.Job";
pub const ERROR_PREFIX: &str = "org.hwupd.Hwupd1.Error";

/// Object path of a device. Device ids are hex, so they are valid path elements.
pub fn device_path(device_id: &str) -> String {
    format!("{ROOT_PATH}/devices/{device_id}")
}

/// Object path of a job.
pub fn job_path(job_number: u64) -> String {
    format!("{ROOT_PATH}/jobs/{job_number}")
}
