use std::fs;

use proptest::prelude::*;

use super::*;
use crate::catalog::document::MAX_CATALOG_SIZE;
use crate::catalog::minisign::SecretKey;

fn key_line() -> String {
    SecretKey::generate().public_key().to_base64()
}

fn parse(text: &str) -> Result<RemoteConfig, RemoteConfigError> {
    RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), text)
}

fn minimal(extra: &str) -> String {
    format!(
        "url = \"https://updates.example.com/lab/catalog.json\"\n\
         public_keys = [\"{}\"]\n{extra}",
        key_line()
    )
}

/// Parses `text` and returns the key and problem of the error it must produce.
fn problem(text: &str) -> (Option<String>, ConfigProblem) {
    match parse(text) {
        Err(error) => (error.key, error.problem),
        Ok(config) => panic!("expected an error, got {config:?}"),
    }
}

fn key_problem(extra: &str) -> (String, ConfigProblem) {
    let (key, problem) = problem(&minimal(extra));
    (key.expect("the error names a key"), problem)
}

#[test]
fn parse_fills_defaults() {
    let config = parse(&minimal("")).unwrap();

    assert_eq!(config.id, "lab");
    assert_eq!(config.refresh_interval, Duration::from_secs(86_400));
    assert_eq!(config.random_delay, Duration::from_secs(3600));
    assert!(config.enabled);
    assert!(!config.allow_payload_hosts);
    assert_eq!(config.max_catalog_size, MAX_CATALOG_SIZE as u64);
    assert_eq!(config.source.catalog_host(), Some("updates.example.com"));
    assert_eq!(config.public_keys.len(), 1);
}

#[test]
fn parse_reads_every_key() {
    let text = format!(
        "id = \"acme-fleet.eu_1\"\n\
         url = \"http://127.0.0.1:8080/hwupd/\"\n\
         public_keys = [\"{}\", \"{}\"]\n\
         refresh_interval = \"6h\"\n\
         random_delay = 600\n\
         enabled = false\n\
         allow_payload_hosts = true\n\
         max_catalog_size = 1048576\n",
        key_line(),
        key_line()
    );

    let config = parse(&text).unwrap();

    assert_eq!(config.id, "acme-fleet.eu_1");
    assert_eq!(config.url, "http://127.0.0.1:8080/hwupd/");
    assert_eq!(config.public_keys.len(), 2);
    assert_eq!(config.refresh_interval, Duration::from_secs(6 * 3600));
    assert_eq!(config.random_delay, Duration::from_secs(600));
    assert!(!config.enabled);
    assert!(config.allow_payload_hosts);
    assert_eq!(config.max_catalog_size, 1_048_576);
    assert_eq!(config.source.catalog_host(), Some("127.0.0.1"));
}

#[test]
fn parse_reads_key_file_text() {
    let public_key = SecretKey::generate().public_key();
    let text = format!(
        "url = \"/srv/hwupd\"\npublic_keys = [\"\"\"\n{}\"\"\"]\n",
        public_key.to_file_text()
    );

    let config = parse(&text).unwrap();

    assert_eq!(config.public_keys, vec![public_key]);
}

#[test]
fn parse_reads_local_locations() {
    let cases = [
        ("/media/usb/hwupd", "/media/usb/hwupd"),
        ("/srv/hwupd/catalog.json", "/srv/hwupd/catalog.json"),
        ("file:///media/usb/hw%20upd", "/media/usb/hw upd"),
        ("FILE:///srv/x", "/srv/x"),
    ];
    for (url, expected) in cases {
        let config = parse(&format!(
            "url = \"{url}\"\npublic_keys = [\"{}\"]",
            key_line()
        ));

        let source = config.unwrap().source;
        let expected = RemoteSource::Local {
            path: PathBuf::from(expected),
        };
        assert_eq!(source, expected, "{url}");
    }
}

#[test]
fn parse_reads_ipv6_host() {
    let text = format!(
        "url = \"https://[::1]:8443/c.json\"\npublic_keys = [\"{}\"]",
        key_line()
    );

    let config = parse(&text).unwrap();

    assert_eq!(config.source.catalog_host(), Some("::1"));
}

#[test]
fn parse_validate_options_follow_config() {
    let config = parse(&minimal("allow_payload_hosts = true")).unwrap();

    let options = config.validate_options();

    assert_eq!(options.catalog_host.as_deref(), Some("updates.example.com"));
    assert!(options.allow_other_hosts);
}

#[test]
fn catalog_base_names_catalog_location() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap();
    let file = dir.path().join("lab.json");
    let file = file.to_str().unwrap();
    let cases = [
        (
            "https://h.example/a/catalog.json",
            "https://h.example/a/catalog.json",
        ),
        ("https://h.example/a/", "https://h.example/a/catalog.json"),
        (folder, folder),
        (file, folder),
    ];
    for (url, expected) in cases {
        let config = parse(&format!(
            "url = {url:?}\npublic_keys = [\"{}\"]",
            key_line()
        ));

        let base = config.unwrap().catalog_base();

        assert_eq!(base.to_string(), expected, "{url}");
    }
}

#[test]
fn parse_rejects_syntax_error() {
    let (key, problem) = problem("url = \"https://x/\npublic_keys = [");

    assert_eq!(key, None);
    assert!(
        matches!(problem, ConfigProblem::Syntax { .. }),
        "{problem:?}"
    );
}

#[test]
fn parse_rejects_unknown_key() {
    let (key, problem) = key_problem("urll = \"https://x/\"");

    assert_eq!(key, "urll");
    assert_eq!(problem, ConfigProblem::UnknownKey);
}

#[test]
fn parse_rejects_bad_ids() {
    let cases = [
        "id = \"Lab\"",
        "id = \"-lab\"",
        "id = \".lab\"",
        "id = \"lab/x\"",
        "id = \"\"",
        "id = \"la b\"",
    ];
    for extra in cases {
        let (key, problem) = key_problem(extra);
        assert_eq!(key, "id", "{extra}");
        assert!(
            matches!(
                problem,
                ConfigProblem::InvalidId {
                    from_file_name: false,
                    ..
                }
            ),
            "{extra}: {problem:?}"
        );
    }
    let too_long = format!("id = \"{}\"", "a".repeat(129));
    assert_eq!(key_problem(&too_long).0, "id");
}

#[test]
fn parse_rejects_bad_file_name_id() {
    let path = Path::new("/etc/hwupd/remotes.d/My Lab.toml");

    let error = RemoteConfig::parse(path, &minimal("")).unwrap_err();

    assert_eq!(error.key.as_deref(), Some("id"));
    let ConfigProblem::InvalidId {
        value,
        from_file_name,
    } = &error.problem
    else {
        panic!("expected an invalid id, got {:?}", error.problem);
    };
    assert_eq!(value, "My Lab");
    assert!(from_file_name);
    assert!(error.to_string().contains("rename the file or set id"));
}

#[test]
fn parse_rejects_wrong_types() {
    let cases = [
        ("id = 7", "id", "integer"),
        ("enabled = \"yes\"", "enabled", "string"),
        ("allow_payload_hosts = 1", "allow_payload_hosts", "integer"),
        ("refresh_interval = true", "refresh_interval", "boolean"),
        ("random_delay = [1]", "random_delay", "array"),
        ("max_catalog_size = \"64MiB\"", "max_catalog_size", "string"),
    ];
    for (extra, expected_key, expected_found) in cases {
        let (key, problem) = key_problem(extra);
        assert_eq!(key, expected_key, "{extra}");
        let ConfigProblem::WrongType { found, .. } = problem else {
            panic!("{extra}: expected a wrong type, got {problem:?}");
        };
        assert_eq!(found, expected_found, "{extra}");
    }
}

#[test]
fn parse_rejects_missing_url() {
    let (key, problem) = problem(&format!("public_keys = [\"{}\"]", key_line()));

    assert_eq!(key.as_deref(), Some("url"));
    assert!(matches!(problem, ConfigProblem::Missing { .. }));
}

#[test]
fn parse_rejects_bad_urls() {
    let cases = [
        "",
        "relative/path",
        "ftp://example.com/catalog.json",
        "https://user:secret@example.com/catalog.json",
        "https://example.com/catalog.json?token=1",
        "https://example.com/catalog.json#top",
        "https:///catalog.json",
        "https://exa mple.com/",
        "file://otherhost/srv/catalog.json",
        "file:relative",
        "/srv/hwupd\u{7}",
    ];
    for url in cases {
        let quoted = toml::Value::String(url.to_owned());
        let text = format!("url = {quoted}\npublic_keys = [\"{}\"]", key_line());
        let (key, problem) = problem(&text);
        assert_eq!(key.as_deref(), Some("url"), "{url}");
        assert!(
            matches!(problem, ConfigProblem::InvalidUrl { .. }),
            "{url}: {problem:?}"
        );
    }
}

#[test]
fn parse_rejects_url_of_wrong_type() {
    let text = format!("url = 80\npublic_keys = [\"{}\"]", key_line());

    let (key, problem) = problem(&text);

    assert_eq!(key.as_deref(), Some("url"));
    assert!(matches!(problem, ConfigProblem::WrongType { .. }));
}

#[test]
fn parse_rejects_bad_public_keys() {
    let url = "url = \"https://example.com/catalog.json\"\n";
    let cases = [
        ("", "missing"),
        ("public_keys = \"RWQ\"", "wrong type"),
        ("public_keys = []", "no keys"),
        ("public_keys = [7]", "wrong type"),
        ("public_keys = [\"not a key\"]", "invalid"),
        (
            "public_keys = [\"RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GF\"]",
            "invalid",
        ),
    ];
    for (line, expected) in cases {
        let (key, problem) = problem(&format!("{url}{line}"));
        assert_eq!(key.as_deref(), Some("public_keys"), "{line}");
        let found = match problem {
            ConfigProblem::Missing { .. } => "missing",
            ConfigProblem::WrongType { .. } => "wrong type",
            ConfigProblem::NoKeys => "no keys",
            ConfigProblem::InvalidKey { index: 0, .. } => "invalid",
            other => panic!("{line}: unexpected {other:?}"),
        };
        assert_eq!(found, expected, "{line}");
    }
}

#[test]
fn parse_names_index_of_bad_key() {
    let extra = format!("public_keys = [\"{}\", \"RWQ=\"]", key_line());
    let text = format!("url = \"/srv/hwupd\"\n{extra}");

    let (_, problem) = problem(&text);

    assert!(matches!(
        problem,
        ConfigProblem::InvalidKey { index: 1, .. }
    ));
}

#[test]
fn parse_rejects_bad_durations() {
    let cases = [
        ("refresh_interval = \"6x\"", "refresh_interval", "invalid"),
        ("refresh_interval = 30", "refresh_interval", "range"),
        ("refresh_interval = \"59s\"", "refresh_interval", "range"),
        ("refresh_interval = \"366d\"", "refresh_interval", "range"),
        ("refresh_interval = -5", "refresh_interval", "range"),
        ("random_delay = \"soon\"", "random_delay", "invalid"),
        ("random_delay = \"400d\"", "random_delay", "range"),
        ("random_delay = -1", "random_delay", "range"),
    ];
    for (extra, expected_key, expected) in cases {
        let (key, problem) = key_problem(extra);
        assert_eq!(key, expected_key, "{extra}");
        let found = match problem {
            ConfigProblem::InvalidDuration { .. } => "invalid",
            ConfigProblem::DurationOutOfRange { .. } => "range",
            other => panic!("{extra}: unexpected {other:?}"),
        };
        assert_eq!(found, expected, "{extra}");
    }
}

#[test]
fn parse_accepts_zero_random_delay() {
    let config = parse(&minimal("random_delay = \"0\"")).unwrap();

    assert_eq!(config.random_delay, Duration::ZERO);
}

#[test]
fn parse_rejects_bad_sizes() {
    for extra in ["max_catalog_size = 0", "max_catalog_size = -1"] {
        let (key, problem) = key_problem(extra);
        assert_eq!(key, "max_catalog_size", "{extra}");
        assert!(
            matches!(problem, ConfigProblem::InvalidSize { .. }),
            "{extra}"
        );
    }
}

#[test]
fn parse_caps_large_size() {
    let config = parse(&minimal("max_catalog_size = 9223372036854775807")).unwrap();

    assert_eq!(config.max_catalog_size, MAX_CATALOG_SIZE as u64);
}

#[test]
fn error_message_names_file_key_and_fix() {
    let error = parse(&minimal("enabled = \"yes\"")).unwrap_err();

    let message = error.to_string();

    assert!(
        message.contains("/etc/hwupd/remotes.d/lab.toml"),
        "{message}"
    );
    assert!(message.contains("key `enabled`"), "{message}");
    assert!(message.contains("enabled = false"), "{message}");
}

#[test]
fn load_rejects_oversized_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.toml");
    let padding = "#".repeat(MAX_CONFIG_FILE as usize);
    fs::write(&path, format!("{}\n{padding}", minimal(""))).unwrap();

    let error = RemoteConfig::load(&path).unwrap_err();

    assert!(matches!(error.problem, ConfigProblem::TooLarge { .. }));
}

#[test]
fn load_remotes_reads_folder() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
    write("b-lab.toml", &minimal("enabled = false"));
    write("a-fleet.toml", &minimal(""));
    write("broken.toml", "url = ");
    write("copy.toml", &minimal("id = \"a-fleet\""));
    write(".hidden.toml", "garbage");
    write("notes.txt", "garbage");
    fs::create_dir(dir.path().join("folder.toml")).unwrap();

    let list = load_remotes(dir.path()).unwrap();

    let ids: Vec<&str> = list
        .remotes
        .iter()
        .map(|remote| remote.id.as_str())
        .collect();
    assert_eq!(ids, ["a-fleet", "b-lab"]);
    assert!(!list.remotes[1].enabled);
    let failed: Vec<PathBuf> = list.errors.iter().map(|error| error.path.clone()).collect();
    assert_eq!(
        failed,
        [
            dir.path().join("broken.toml"),
            dir.path().join("copy.toml"),
            dir.path().join("folder.toml")
        ]
    );
    assert!(matches!(
        list.errors[1].problem,
        ConfigProblem::DuplicateId { .. }
    ));
}

#[test]
fn load_remotes_accepts_missing_folder() {
    let dir = tempfile::tempdir().unwrap();

    let list = load_remotes(&dir.path().join("remotes.d")).unwrap();

    assert!(list.remotes.is_empty());
    assert!(list.errors.is_empty());
}

#[test]
fn valid_remote_ids() {
    for id in ["a", "0", "lab", "acme-fleet.eu_1", "9z"] {
        assert!(is_valid_remote_id(id), "{id}");
    }
    for id in ["", "A", "-a", "_a", ".", "..", "a/b", "a+b", "é"] {
        assert!(!is_valid_remote_id(id), "{id}");
    }
}

/// Builds config text from arbitrary values for the known keys and some unknown ones.
fn config_text() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "id",
        "url",
        "public_keys",
        "refresh_interval",
        "random_delay",
        "enabled",
        "allow_payload_hosts",
        "max_catalog_size",
        "other",
    ]);
    let value = prop_oneof![
        any::<i64>().prop_map(|number| number.to_string()),
        "\\PC{0,40}".prop_map(|text| toml::Value::String(text).to_string()),
        any::<bool>().prop_map(|value| value.to_string()),
        prop::collection::vec("\\PC{0,60}", 0..3).prop_map(|items| {
            let items = items.into_iter().map(toml::Value::String).collect();
            toml::Value::Array(items).to_string()
        }),
        Just("1.5".to_owned()),
        Just("{ a = 1 }".to_owned()),
    ];
    prop::collection::vec((key, value), 0..8).prop_map(|lines| {
        lines
            .iter()
            .map(|(key, value)| format!("{key} = {value}\n"))
            .collect()
    })
}

proptest! {
    #[test]
    fn parse_never_panics_on_text(text in "\\PC{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_keys(text in config_text()) {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_urls(url in "(https?://|file://|/)?\\PC{0,60}") {
        let quoted = toml::Value::String(url);
        let text = format!("url = {quoted}\npublic_keys = [\"{}\"]", key_line());
        let _ = parse(&text);
    }
}

#[test]
fn folder_and_dangling_link_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("lab.toml"), minimal("")).unwrap();
    fs::create_dir(dir.path().join("folder.toml")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/x.toml", dir.path().join("gone.toml")).unwrap();

    let list = load_remotes(dir.path()).unwrap();

    assert_eq!(list.remotes.len(), 1);
    assert_eq!(list.errors.len(), 2, "{:?}", list.errors);
    let paths: Vec<String> = list
        .errors
        .iter()
        .map(|e| e.path.display().to_string())
        .collect();
    assert!(paths[0].ends_with("folder.toml"), "{paths:?}");
    assert!(paths[1].ends_with("gone.toml"), "{paths:?}");
    for error in &list.errors {
        assert!(
            matches!(error.problem, ConfigProblem::Read { .. }),
            "{error}"
        );
    }
}
