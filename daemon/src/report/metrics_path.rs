//! Checks of `[report] metrics_path`: its form when the config is read, and its folder
//! when the daemon starts.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Deserializer};

/// Example value that the error messages suggest.
const EXAMPLE: &str = "/var/lib/prometheus/node-exporter/hwupd.prom";

/// Accepts an absolute path that ends in a file name, so that the file never lands in
/// the daemon's working folder or replaces a folder.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<PathBuf>, D::Error> {
    let path = PathBuf::deserialize(deserializer)?;
    check_form(&path).map_err(serde::de::Error::custom)?;
    Ok(Some(path))
}

/// Checks that `path` is not empty, is absolute and ends in a file name.
pub fn check_form(path: &Path) -> Result<(), String> {
    let problem = if path.as_os_str().is_empty() {
        "is empty"
    } else if !path.is_absolute() {
        "is relative, so the file would land in the daemon's working folder"
    } else if !ends_in_file_name(path) {
        "ends in a folder, not a file name"
    } else {
        return Ok(());
    };
    Err(format!(
        "metrics_path {path:?} {problem}; set an absolute path to a file, such as \
         \"{EXAMPLE}\", or remove the key to write no metrics"
    ))
}

/// Returns whether the last component is a file name. `Path::components` drops a
/// trailing `/` or `/.`, so the raw bytes are checked for those.
fn ends_in_file_name(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    let folder_suffix = bytes.ends_with(b"/") || bytes.ends_with(b"/.");
    let last = path.components().next_back();
    !folder_suffix && matches!(last, Some(Component::Normal(_)))
}

/// Checks at start that the metrics file can be written: its folder exists and is
/// writable, and the path is not a folder. Writing to a read-only file system, such as
/// a path that a systemd unit with `ProtectSystem=strict` does not list in
/// `ReadWritePaths=`, fails this check.
pub fn check_folder(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!(
            "metrics_path {} is a folder; set a file name inside it, such as {}",
            path.display(),
            path.join("hwupd.prom").display()
        ));
    }
    let folder = path.parent().unwrap_or(Path::new("/"));
    if !folder.is_dir() {
        return Err(format!(
            "the folder {} of metrics_path does not exist; create it or change metrics_path",
            folder.display()
        ));
    }

    let access = nix::unistd::access(folder, nix::unistd::AccessFlags::W_OK);
    access.map_err(|errno| {
        format!(
            "the folder {} of metrics_path is not writable ({errno}); make it writable for \
             hwupd, and under systemd add it to ReadWritePaths= of hwupd.service",
            folder.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::config::Config;

    fn parse_error(value: &str) -> String {
        let text = format!("[report]\nmetrics_path = {value:?}\n");
        Config::parse(&text).unwrap_err()
    }

    #[test]
    fn config_accepts_absolute_file() {
        let config = Config::parse("[report]\nmetrics_path = \"/run/hwupd.prom\"\n").unwrap();

        assert_eq!(
            config.report.metrics_path,
            Some(PathBuf::from("/run/hwupd.prom"))
        );
    }

    #[test]
    fn config_rejects_bad_paths() {
        let cases = [
            ("", "is empty"),
            ("relative.prom", "is relative"),
            ("./relative.prom", "is relative"),
            ("/", "ends in a folder"),
            ("/var/lib/", "ends in a folder"),
            ("/var/lib/.", "ends in a folder"),
            ("/var/lib/..", "ends in a folder"),
        ];
        for (value, problem) in cases {
            let error = parse_error(value);

            assert!(error.contains(problem), "{value:?}: {error}");
            assert!(error.contains("line 2"), "{value:?}: {error}");
            assert!(error.contains("metrics_path"), "{value:?}: {error}");
            assert!(error.contains(EXAMPLE), "{value:?}: {error}");
        }
    }

    #[test]
    fn config_rejects_wrong_type() {
        let error = Config::parse("[report]\nmetrics_path = 3\n").unwrap_err();

        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn folder_check_accepts_writable_folder() {
        let dir = tempfile::tempdir().unwrap();

        assert_eq!(check_folder(&dir.path().join("hwupd.prom")), Ok(()));
    }

    #[test]
    fn folder_check_rejects_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");

        let error = check_folder(&missing.join("hwupd.prom")).unwrap_err();

        assert!(error.contains(&missing.display().to_string()), "{error}");
        assert!(error.contains("does not exist"), "{error}");
    }

    #[test]
    fn folder_check_rejects_folder_path() {
        let dir = tempfile::tempdir().unwrap();

        let error = check_folder(dir.path()).unwrap_err();

        assert!(error.contains("is a folder"), "{error}");
        assert!(error.contains("hwupd.prom"), "{error}");
    }

    #[test]
    fn folder_check_rejects_file_as_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();

        let error = check_folder(&file.join("hwupd.prom")).unwrap_err();

        assert!(error.contains("does not exist"), "{error}");
    }

    proptest! {
        #[test]
        fn check_form_never_panics(text in ".{0,40}") {
            let path = Path::new(&text);
            if check_form(path).is_ok() {
                prop_assert!(path.is_absolute());
                prop_assert!(path.file_name().is_some());
            }
        }
    }
}
