//! Log output: tracing to stderr, without timestamps when journald adds them.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// Installs the global subscriber. `HWUPD_LOG` takes a level (`debug`) or a
/// list of `target=level` directives (`info,hwupd=trace,zbus=warn`); the
/// default is `info`. An invalid value is reported and the default used.
pub fn init() {
    let (filter, invalid) = filter_from_env();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);

    // systemd sets JOURNAL_STREAM when stderr goes to the journal, which stamps every line.
    let registry = tracing_subscriber::registry().with(filter);
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        registry.with(layer.without_time().with_ansi(false)).init();
    } else {
        registry.with(layer).init();
    }
    if let Some((value, error)) = invalid {
        tracing::warn!(%value, %error, "HWUPD_LOG is invalid, so logging uses the level info. Set a level such as debug or directives such as hwupd=debug,zbus=warn");
    }
}

/// Reads `HWUPD_LOG`, and returns the value and error when it does not parse.
fn filter_from_env() -> (Targets, Option<(String, String)>) {
    let default = Targets::new().with_default(LevelFilter::INFO);
    let Ok(value) = std::env::var("HWUPD_LOG") else {
        return (default, None);
    };
    match parse_filter(&value) {
        Ok(filter) => (filter, None),
        Err(error) => (default, Some((value, error))),
    }
}

/// Parses a level or `target=level` directives. A bare level sets the default.
fn parse_filter(value: &str) -> Result<Targets, String> {
    value.trim().parse::<Targets>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn bare_level_sets_default() {
        let filter = parse_filter("debug").unwrap();
        assert!(filter.would_enable("zbus::connection", &Level::DEBUG));
        assert!(!filter.would_enable("zbus::connection", &Level::TRACE));
    }

    #[test]
    fn directives_set_levels_per_target() {
        let filter = parse_filter("info,hwupd=trace,zbus=warn").unwrap();
        assert!(filter.would_enable("hwupd::engine", &Level::TRACE));
        assert!(!filter.would_enable("zbus::proxy", &Level::INFO));
        assert!(filter.would_enable("tokio", &Level::INFO));
    }

    #[test]
    fn invalid_level_is_an_error() {
        assert!(parse_filter("hwupd=loud").is_err());
    }
}
