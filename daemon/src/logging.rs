//! Log output: tracing to stderr, without timestamps when journald adds them.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `HWUPD_LOG` takes tracing's filter syntax
/// (`debug`, `hwupd=trace`); the default is `info`.
pub fn init() {
    let filter = EnvFilter::try_from_env("HWUPD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);

    // systemd sets JOURNAL_STREAM when stderr goes to the journal, which stamps every line.
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.init();
    }
}
