//! Human-readable output shared by `hwupd inventory` and `hwupctl`.

use std::fmt::Write;

use crate::device::Device;
use crate::inventory::Inventory;

/// Renders rows as columns padded to the widest cell, with a header row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

/// Renders an inventory as a device table followed by the kernel release.
pub fn inventory_table(inventory: &Inventory) -> String {
    let rows: Vec<Vec<String>> = inventory.devices.iter().map(device_row).collect();
    let mut out = table(
        &["KIND", "NAME", "VENDOR", "VERSION", "DRIVER", "ID"],
        &rows,
    );
    let kernel = inventory.kernel_release.as_deref().unwrap_or("unknown");
    let _ = writeln!(
        out,
        "\n{} devices, kernel {kernel}",
        inventory.devices.len()
    );
    out
}

fn device_row(device: &Device) -> Vec<String> {
    let driver = match &device.driver {
        Some(d) => match &d.version {
            Some(version) => format!("{} {version}", d.name),
            None => d.name.clone(),
        },
        None => "-".to_string(),
    };
    vec![
        device.kind.to_string(),
        or_dash(&device.name),
        or_dash(&device.vendor),
        or_dash(&device.version),
        driver,
        device.id[..12.min(device.id.len())].to_string(),
    ]
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text.to_string()
    }
}
