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

/// Maximum characters of a user-supplied value, such as an id, that a message quotes.
pub const MAX_ECHOED_CHARS: usize = 200;

/// Makes `text` safe to print on one line of a terminal. Control characters and
/// bidirectional overrides are escaped (`\n`, `\u{1b}`, `\u{202e}`), and the text is
/// cut after `max_chars` characters with `…` in place of the rest.
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars));
    for (index, c) in text.chars().enumerate() {
        if index == max_chars {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else if is_bidi_control(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Returns `text` in double quotes for a message, made printable and cut after
/// [`MAX_ECHOED_CHARS`] characters.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", printable(text, MAX_ECHOED_CHARS))
}

/// Returns whether `c` is a Unicode bidirectional embedding, override or isolate, which can
/// make a terminal show text in another order than it has.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Joins the messages of `error` and of its sources with `: `. A source whose message
/// the text already ends with is left out, because some libraries wrap an error in
/// another with the same message (reqwest and hyper do so for body errors).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn printable_escapes_control_characters() {
        let text = printable("a\nb\u{1b}[31mc\u{202e}d", 100);

        assert_eq!(text, "a\\nb\\u{1b}[31mc\\u{202e}d");
    }

    #[test]
    fn printable_cuts_long_text() {
        let text = printable(&"x".repeat(20_000_000), MAX_ECHOED_CHARS);

        assert_eq!(text.chars().count(), MAX_ECHOED_CHARS + 1);
        assert!(text.ends_with("x…"), "{text}");
    }

    #[test]
    fn printable_keeps_short_text() {
        assert_eq!(printable("bios-2.0 Größe", 14), "bios-2.0 Größe");
        assert_eq!(printable("", 10), "");
    }

    /// An error with a fixed message and an optional source.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|layer| layer as _)
        }
    }

    #[test]
    fn error_chain_skips_repeated_messages() {
        let timed_out = Layer("operation timed out", None);
        let body = Layer("body error", Some(Box::new(timed_out)));
        let wrapped = Layer("body error", Some(Box::new(body)));
        let error = Layer("decoding failed", Some(Box::new(wrapped)));

        let message = error_chain(&error);

        assert_eq!(message, "decoding failed: body error: operation timed out");
    }

    #[test]
    fn quoted_adds_quotes() {
        assert_eq!(quoted("a\tb"), "\"a\\tb\"");
    }

    proptest! {
        #[test]
        fn printable_output_is_one_safe_line(text in any::<String>(), max in 0usize..64) {
            let out = printable(&text, max);

            prop_assert!(!out.chars().any(|c| c.is_control() || is_bidi_control(c)));
            prop_assert!(out.chars().count() <= max.saturating_mul(10) + 1);
        }
    }
}
