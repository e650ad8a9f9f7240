//! GUIDs derived from instance IDs, as fwupd and Windows derive them.

use uuid::Uuid;

/// Returns the RFC 4122 version-5 UUID of an instance ID's UTF-8 bytes in the
/// DNS namespace, the GUID that catalogs use to name a device.
pub fn from_instance_id(instance_id: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_DNS, instance_id.as_bytes()).to_string()
}

/// Reports whether `text` is a GUID in its usual lowercase or uppercase text form.
pub fn is_guid(text: &str) -> bool {
    text.len() == 36 && Uuid::try_parse(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuid_instance_id_matches_fwupd() {
        assert_eq!(
            from_instance_id("CPUID\\PRO_0&FAM_19&MOD_11"),
            "f9203adb-b862-5263-88e9-373204438174"
        );
    }

    #[test]
    fn is_guid_rejects_instance_ids() {
        assert!(is_guid("f9203adb-b862-5263-88e9-373204438174"));
        assert!(!is_guid("PCI\\VEN_8086&DEV_15BB"));
        assert!(!is_guid(""));
    }
}
