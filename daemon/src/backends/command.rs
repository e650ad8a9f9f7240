//! Running the configured depmod and module loader commands, with a time limit.

use std::io::{Read, Seek, SeekFrom};
use std::process::{Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::config::CommandTemplate;
use super::BackendError;

/// Most bytes of a command's output kept for its error message.
const MAX_OUTPUT_BYTES: u64 = 2048;

/// How often a running command is polled for its exit.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Runs `template` with its placeholders replaced by `value`, failing on a non-zero
/// exit or when it runs longer than `timeout`. Output goes to a temporary file, so a
/// chatty command cannot block on a full pipe.
pub fn run(
    template: &CommandTemplate,
    value: impl Fn(&str) -> Option<String>,
    timeout: Duration,
) -> Result<(), BackendError> {
    let args = template
        .expand(value)
        .map_err(|detail| BackendError::Command {
            command: template.args().join(" "),
            detail,
            state_changed: false,
        })?;
    let command_line = args.join(" ");
    let failed = |detail: String| BackendError::Command {
        command: command_line.clone(),
        detail,
        state_changed: false,
    };

    let mut output = tempfile::tempfile().map_err(|e| failed(format!("no output file: {e}")))?;
    let status = spawn_and_wait(&args, &output, timeout).map_err(&failed)?;
    if status.success() {
        tracing::debug!(command = %command_line, "command finished");
        return Ok(());
    }
    Err(failed(format!("{status}; output: {}", tail(&mut output))))
}

fn spawn_and_wait(
    args: &[String],
    output: &std::fs::File,
    timeout: Duration,
) -> Result<ExitStatus, String> {
    let stdout = output.try_clone().map_err(|e| e.to_string())?;
    let stderr = output.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(&args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", args[0]))?;

    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "timed out after {} s and was killed",
                timeout.as_secs()
            ));
        }
        sleep(POLL_INTERVAL);
    }
}

/// Returns the last bytes of the output file as trimmed text.
fn tail(output: &mut std::fs::File) -> String {
    let length = output.seek(SeekFrom::End(0)).unwrap_or(0);
    let start = length.saturating_sub(MAX_OUTPUT_BYTES);
    let mut bytes = Vec::new();
    let read = output
        .seek(SeekFrom::Start(start))
        .and_then(|_| output.read_to_end(&mut bytes));
    match read {
        Ok(_) if bytes.is_empty() => "(none)".to_string(),
        Ok(_) => String::from_utf8_lossy(&bytes).trim().replace('\n', " | "),
        Err(e) => format!("(unreadable: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(args: &[&str]) -> CommandTemplate {
        CommandTemplate::try_from(args.iter().map(|a| a.to_string()).collect::<Vec<_>>()).unwrap()
    }

    const LONG: Duration = Duration::from_secs(60);

    #[test]
    fn run_passes_placeholders() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let script = format!("echo \"$0\" > {}", target.display());
        let command = template(&["sh", "-c", &script, "{module}"]);
        run(&command, |_| Some("nvme".to_string()), LONG).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "nvme\n");
    }

    #[test]
    fn failure_reports_status_and_output() {
        let command = template(&["sh", "-c", "echo broken module >&2; exit 3"]);
        let error = run(&command, |_| None, LONG).unwrap_err().to_string();
        assert!(error.contains("exit status: 3"), "{error}");
        assert!(error.contains("broken module"), "{error}");
    }

    #[test]
    fn missing_program_is_reported() {
        let command = template(&["/nonexistent/hwupd-test-program"]);
        let error = run(&command, |_| None, LONG).unwrap_err().to_string();
        assert!(error.contains("could not start"), "{error}");
    }

    #[test]
    fn slow_command_is_killed() {
        let command = template(&["sleep", "30"]);
        let error = run(&command, |_| None, Duration::ZERO)
            .unwrap_err()
            .to_string();
        assert!(error.contains("timed out"), "{error}");
    }
}
