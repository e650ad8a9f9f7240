//! The `[backends]` section of `hwupd.toml`: ESP, capsule delivery, commands, Thunderbolt.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Deserializer};

/// Settings of the install methods. Every key is optional.
///
/// ```toml
/// [backends]
/// esp = "/boot/efi"
/// capsule_delivery = "disk"
/// thunderbolt_authentication = "now"
/// depmod = ["depmod", "-b", "{root}", "{kernel_release}"]
/// module_unload = ["modprobe", "-d", "{root}", "-S", "{kernel_release}", "-r", "{module}"]
/// module_load = ["modprobe", "-d", "{root}", "-S", "{kernel_release}", "{module}"]
/// command_timeout_secs = 120
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendsConfig {
    /// Mount point of the EFI system partition, resolved under the root. Without it the
    /// ESP is the vfat mount at `/boot/efi`, `/efi` or `/boot` in `/proc/self/mounts`.
    #[serde(deserialize_with = "deserialize_esp")]
    pub esp: Option<PathBuf>,
    pub capsule_delivery: CapsuleDelivery,
    pub thunderbolt_authentication: ThunderboltAuthentication,
    /// Command that rebuilds the module index after a module is installed.
    pub depmod: CommandTemplate,
    /// Command that unloads a module before the new one is loaded.
    pub module_unload: CommandTemplate,
    /// Command that loads a module.
    pub module_load: CommandTemplate,
    /// Time in seconds after which a command is killed and counts as failed.
    pub command_timeout_secs: u64,
}

impl Default for BackendsConfig {
    fn default() -> Self {
        let template =
            |args: &[&str]| CommandTemplate(args.iter().map(|a| a.to_string()).collect());
        Self {
            esp: None,
            capsule_delivery: CapsuleDelivery::Disk,
            thunderbolt_authentication: ThunderboltAuthentication::Now,
            depmod: template(&["depmod", "-b", "{root}", "{kernel_release}"]),
            module_unload: template(&[
                "modprobe",
                "-d",
                "{root}",
                "-S",
                "{kernel_release}",
                "-r",
                "{module}",
            ]),
            module_load: template(&[
                "modprobe",
                "-d",
                "{root}",
                "-S",
                "{kernel_release}",
                "{module}",
            ]),
            command_timeout_secs: 120,
        }
    }
}

/// Delivery route of a UEFI capsule to the firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapsuleDelivery {
    /// Capsule on disk: a file in `\EFI\UpdateCapsule` on the ESP and the
    /// OsIndications variable.
    #[default]
    Disk,
    /// The kernel's `/dev/efi_capsule_loader`; fails where it is missing.
    Loader,
    /// The capsule loader where `/dev/efi_capsule_loader` exists, else capsule on disk.
    PreferLoader,
}

/// When a Thunderbolt controller switches to the NVM image just written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThunderboltAuthentication {
    /// Write `1` to `nvm_authenticate`: the controller restarts with the new image now.
    #[default]
    Now,
    /// Write `1` to `nvm_authenticate_on_disconnect`: the image is authenticated when
    /// the device is next unplugged.
    OnDisconnect,
}

/// A command as an argument list, run without a shell.
///
/// Arguments may contain the placeholders `{root}` (the root folder),
/// `{kernel_release}`, `{module}` (the module name) and `{path}` (the installed
/// module file), which are replaced before the command runs. `{{` and `}}` stand for
/// literal braces.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct CommandTemplate(Vec<String>);

/// Names that a [`CommandTemplate`] argument may contain in braces.
pub const PLACEHOLDERS: [&str; 4] = ["root", "kernel_release", "module", "path"];

impl TryFrom<Vec<String>> for CommandTemplate {
    type Error = String;

    fn try_from(args: Vec<String>) -> Result<Self, String> {
        if args.first().is_none_or(|program| program.is_empty()) {
            return Err("a command needs a program name as its first element".to_string());
        }
        let no_values = |_: &str| Some(String::new());
        for arg in &args {
            expand(arg, no_values)?;
        }
        Ok(Self(args))
    }
}

impl CommandTemplate {
    /// Returns the arguments with placeholders replaced by `value(name)`.
    pub fn expand(&self, value: impl Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
        self.0.iter().map(|arg| expand(arg, &value)).collect()
    }

    pub fn args(&self) -> &[String] {
        &self.0
    }
}

/// Replaces `{name}` in `arg` in one pass, so a value that contains braces is never
/// expanded again.
fn expand(arg: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut output = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(start) = rest.find(['{', '}']) {
        output.push_str(&rest[..start]);
        let tail = &rest[start..];
        if let Some(after) = tail.strip_prefix("{{").or_else(|| tail.strip_prefix("}}")) {
            output.push_str(&tail[..1]);
            rest = after;
            continue;
        }
        let close = tail.find('}').filter(|_| tail.starts_with('{'));
        let close = close.ok_or_else(|| format!("unmatched brace in command argument {arg:?}"))?;
        let name = &tail[1..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(unknown_placeholder(name, arg));
        }
        let text = value(name).ok_or_else(|| {
            format!("placeholder {{{name}}} has no value in command argument {arg:?}")
        })?;
        output.push_str(&text);
        rest = &tail[close + 1..];
    }
    output.push_str(rest);
    Ok(output)
}

fn unknown_placeholder(name: &str, arg: &str) -> String {
    format!(
        "unknown placeholder {{{name}}} in command argument {arg:?}; known: {}",
        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
    )
}

/// Accepts an absolute ESP path without `..`, so it stays under the root.
fn deserialize_esp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<PathBuf>, D::Error> {
    let path = PathBuf::deserialize(deserializer)?;
    check_system_path(&path).map_err(serde::de::Error::custom)?;
    Ok(Some(path))
}

/// Checks that `path` is absolute and has no `..`, so `Root::join` keeps it inside.
pub(crate) fn check_system_path(path: &Path) -> Result<(), String> {
    let parent = path.components().any(|c| c == Component::ParentDir);
    if !path.is_absolute() || parent || path.to_str().is_none() {
        return Err(format!(
            "esp {} must be an absolute UTF-8 path without \"..\", such as \"/boot/efi\"",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse(text: &str) -> Result<BackendsConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_use_depmod_and_modprobe() {
        let config = parse("").unwrap();
        assert_eq!(config, BackendsConfig::default());
        assert_eq!(config.depmod.args()[0], "depmod");
        assert_eq!(config.module_load.args()[0], "modprobe");
    }

    #[test]
    fn reads_every_key() {
        let text = r#"
            esp = "/efi"
            capsule_delivery = "prefer-loader"
            thunderbolt_authentication = "on-disconnect"
            depmod = ["/bin/true"]
            module_unload = ["rmmod", "{module}"]
            module_load = ["insmod", "{path}"]
            command_timeout_secs = 5
        "#;
        let config = parse(text).unwrap();
        assert_eq!(config.esp, Some(PathBuf::from("/efi")));
        assert_eq!(config.capsule_delivery, CapsuleDelivery::PreferLoader);
        let on_disconnect = ThunderboltAuthentication::OnDisconnect;
        assert_eq!(config.thunderbolt_authentication, on_disconnect);
        assert_eq!(config.module_load.args(), ["insmod", "{path}"]);
        assert_eq!(config.command_timeout_secs, 5);
    }

    #[test]
    fn rejects_relative_or_parent_esp() {
        for esp in ["boot/efi", "/boot/../etc"] {
            let error = parse(&format!("esp = {esp:?}")).unwrap_err().to_string();
            assert!(error.contains("absolute"), "{error}");
        }
    }

    #[test]
    fn rejects_bad_commands() {
        let cases = [
            ("depmod = []", "program name"),
            ("depmod = [\"\"]", "program name"),
            (
                "depmod = [\"depmod\", \"{kernel}\"]",
                "unknown placeholder {kernel}",
            ),
            ("depmod = [\"depmod\", \"{root\"]", "unmatched brace"),
            ("depmod = [\"depmod\", \"root}\"]", "unmatched brace"),
        ];
        for (text, expected) in cases {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn rejects_unknown_keys() {
        let error = parse("espp = \"/efi\"").unwrap_err().to_string();
        assert!(error.contains("espp"), "{error}");
    }

    #[test]
    fn expand_replaces_once() {
        let template = CommandTemplate::try_from(vec![
            "tool".to_string(),
            "--root={root}".to_string(),
            "{{literal}}".to_string(),
        ])
        .unwrap();
        let args = template
            .expand(|name| (name == "root").then(|| "/x/{module}".to_string()))
            .unwrap();
        assert_eq!(args, ["tool", "--root=/x/{module}", "{literal}"]);
    }

    proptest! {
        #[test]
        fn expand_never_panics(arg in "[a-z{}_/ ]{0,40}") {
            let _ = expand(&arg, |name| Some(format!("<{name}>")));
        }
    }
}
