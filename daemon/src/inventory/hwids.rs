//! Microsoft-style hardware IDs of the machine, computed from SMBIOS as fwupd and
//! Windows compute them.
//!
//! Each ID is a version-5 UUID in namespace `70ffd812-4c7f-4c7d-0000-000000000000`
//! over the UTF-16LE text of some SMBIOS fields joined by `&`. An ID is
//! produced only when every field it needs is present.

use uuid::Uuid;

use super::dmi::Smbios;

const NAMESPACE: Uuid = Uuid::from_u128(0x70ffd812_4c7f_4c7d_0000_000000000000);

#[derive(Clone, Copy)]
enum Field {
    Manufacturer,
    Family,
    ProductName,
    ProductSku,
    BiosVendor,
    BiosVersion,
    BiosMajor,
    BiosMinor,
    EnclosureKind,
    BaseboardManufacturer,
    BaseboardProduct,
}

use Field::*;

/// The fields of HardwareID-00 to HardwareID-14, in order.
const RECIPES: [&[Field]; 15] = [
    &[
        Manufacturer,
        Family,
        ProductName,
        ProductSku,
        BiosVendor,
        BiosVersion,
        BiosMajor,
        BiosMinor,
    ],
    &[
        Manufacturer,
        Family,
        ProductName,
        BiosVendor,
        BiosVersion,
        BiosMajor,
        BiosMinor,
    ],
    &[
        Manufacturer,
        ProductName,
        BiosVendor,
        BiosVersion,
        BiosMajor,
        BiosMinor,
    ],
    &[
        Manufacturer,
        Family,
        ProductName,
        ProductSku,
        BaseboardManufacturer,
        BaseboardProduct,
    ],
    &[Manufacturer, Family, ProductName, ProductSku],
    &[Manufacturer, Family, ProductName],
    &[
        Manufacturer,
        ProductSku,
        BaseboardManufacturer,
        BaseboardProduct,
    ],
    &[Manufacturer, ProductSku],
    &[
        Manufacturer,
        ProductName,
        BaseboardManufacturer,
        BaseboardProduct,
    ],
    &[Manufacturer, ProductName],
    &[
        Manufacturer,
        Family,
        BaseboardManufacturer,
        BaseboardProduct,
    ],
    &[Manufacturer, Family],
    &[Manufacturer, EnclosureKind],
    &[Manufacturer, BaseboardManufacturer, BaseboardProduct],
    &[Manufacturer],
];

/// Computes the hardware IDs the SMBIOS strings allow, most specific first.
pub fn compute(smbios: &Smbios) -> Vec<String> {
    RECIPES
        .iter()
        .filter_map(|recipe| hardware_id(smbios, recipe))
        .collect()
}

fn hardware_id(smbios: &Smbios, recipe: &[Field]) -> Option<String> {
    let values: Option<Vec<String>> = recipe.iter().map(|f| field_value(smbios, *f)).collect();
    let joined = values?.join("&");
    let utf16: Vec<u8> = joined.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Some(Uuid::new_v5(&NAMESPACE, &utf16).to_string())
}

fn field_value(smbios: &Smbios, field: Field) -> Option<String> {
    let text = |value: &Option<String>| value.as_deref().map(|v| v.trim().to_string());
    match field {
        Manufacturer => text(&smbios.sys_vendor),
        Family => text(&smbios.product_family),
        ProductName => text(&smbios.product_name),
        ProductSku => text(&smbios.product_sku),
        BiosVendor => text(&smbios.bios_vendor),
        BiosVersion => text(&smbios.bios_version),
        BiosMajor => bios_release_part(smbios, 0),
        BiosMinor => bios_release_part(smbios, 1),
        EnclosureKind => smbios
            .chassis_type
            .as_deref()
            .and_then(|v| v.parse::<u8>().ok())
            .map(|kind| format!("{kind:x}")),
        BaseboardManufacturer => text(&smbios.board_vendor),
        BaseboardProduct => text(&smbios.board_name),
    }
}

/// Renders one half of sysfs's decimal `bios_release` ("2.25") as SMBIOS's
/// two-digit hex byte ("02", "19").
fn bios_release_part(smbios: &Smbios, index: usize) -> Option<String> {
    let release = smbios.bios_release.as_deref()?;
    let part: u8 = release.split('.').nth(index)?.parse().ok()?;
    Some(format!("{part:02x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SMBIOS values of a ThinkPad T440s with the hardware IDs fwupd's tests expect.
    fn thinkpad_t440s() -> Smbios {
        Smbios {
            sys_vendor: Some("LENOVO".into()),
            chassis_type: Some("10".into()),
            product_family: Some("ThinkPad T440s".into()),
            product_name: Some("20ARS19C0C".into()),
            product_sku: Some("LENOVO_MT_20AR_BU_Think_FM_ThinkPad T440s".into()),
            bios_vendor: Some("LENOVO".into()),
            bios_version: Some("GJET75WW (2.25 )".into()),
            bios_release: Some("2.25".into()),
            ..Smbios::default()
        }
    }

    #[test]
    fn hardware_ids_match_fwupd() {
        let ids = compute(&thinkpad_t440s());
        let expected = [
            "147efce9-f201-5fc8-ab0c-c859751c3440",
            "b7cceb67-774c-537e-bf8b-22c6107e9a74",
            "f5ff077f-3eeb-5bae-be1c-e98ffe8ce5f8",
            "660ccba8-1b78-5a33-80e6-9fb8354ee873",
            "8dc9b7c5-f5d5-5850-9ab3-bd6f0549d814",
            "da1da9b6-62f5-5f22-8aaa-14db7eeda2a4",
            "0cf8618d-9eff-537c-9f35-46861406eb9c",
            "db73af4c-4612-50f7-b8a7-787cf4871847",
            "e093d715-70f7-51f4-b6c8-b4a7e31def85",
            "6de5d951-d755-576b-bd09-c5cf66b27234",
        ];
        assert_eq!(ids, expected);
    }

    #[test]
    fn hardware_ids_skip_missing_fields() {
        let smbios = Smbios {
            sys_vendor: Some("LENOVO".into()),
            ..Smbios::default()
        };
        assert_eq!(compute(&smbios), ["6de5d951-d755-576b-bd09-c5cf66b27234"]);
        assert!(compute(&Smbios::default()).is_empty());
    }
}
