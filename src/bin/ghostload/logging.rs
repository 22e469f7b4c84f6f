//! The CLI's tracing subscriber: `YYYY-MM-DD HH:MM:SS - LEVEL - message`
//! lines to stderr and to the run's log file.
//!
//! The library only emits events. The CLI's own progress lines (target
//! `ghostload::cli`) are shown at INFO; the library's INFO events repeat them
//! in less friendly words, so they are shown only with `-v`. Warnings and
//! errors are always shown. Timestamps are wall-clock UTC: they appear in the
//! log only, never in a data file.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use indicatif::ProgressBar;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Target of the CLI's own progress events.
pub const CLI_TARGET: &str = "ghostload::cli";

/// How much to print on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Progress lines, warnings and errors.
    Normal,
    /// Everything, including the library's debug events.
    Verbose,
}

/// The progress bar currently drawn on stderr, if any: log lines are printed around it.
pub fn progress_slot() -> &'static Mutex<Option<ProgressBar>> {
    static SLOT: OnceLock<Mutex<Option<ProgressBar>>> = OnceLock::new();
    SLOT.get_or_init(|| Mutex::new(None))
}

struct LineLayer {
    verbosity: Verbosity,
    file: Option<Mutex<File>>,
}

#[derive(Default)]
struct Message {
    text: String,
    fields: String,
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.text, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.text.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

/// Shown on stderr / written to the log file?
fn wanted(verbosity: Verbosity, level: Level, target: &str, for_file: bool) -> bool {
    let is_cli = target.starts_with(CLI_TARGET);
    match level {
        Level::ERROR | Level::WARN => for_file || verbosity != Verbosity::Quiet,
        Level::INFO if is_cli => for_file || verbosity != Verbosity::Quiet,
        _ => verbosity == Verbosity::Verbose,
    }
}

impl<S: Subscriber> Layer<S> for LineLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = *meta.level();
        let to_stderr = wanted(self.verbosity, level, meta.target(), false);
        let to_file = self.file.is_some() && wanted(self.verbosity, level, meta.target(), true);
        if !to_stderr && !to_file {
            return;
        }
        let mut msg = Message::default();
        event.record(&mut msg);
        let level_name = match level {
            Level::WARN => "WARNING",
            other => other.as_str(),
        };
        let line = format!(
            "{} - {level_name} - {}{}\n",
            timestamp(SystemTime::now()),
            msg.text,
            msg.fields
        );
        if let (true, Some(file)) = (to_file, &self.file) {
            if let Ok(mut f) = file.lock() {
                let _ = f.write_all(line.as_bytes());
            }
        }
        if to_stderr {
            let bar = progress_slot().lock().ok().and_then(|g| g.clone());
            match bar {
                Some(bar) => bar.suspend(|| eprint!("{line}")),
                None => eprint!("{line}"),
            }
        }
    }
}

/// Installs the subscriber for the whole process.
pub fn install(verbosity: Verbosity, log_file: Option<File>) {
    let layer = LineLayer {
        verbosity,
        file: log_file.map(Mutex::new),
    };
    let _ = tracing::subscriber::set_global_default(Registry::default().with(layer));
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
pub fn timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_civil_utc() {
        let t = UNIX_EPOCH + Duration::from_secs(1_763_043_781);
        assert_eq!(timestamp(t), "2025-11-13 14:23:01");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01 00:00:00");
    }

    #[test]
    fn library_info_is_verbose_only() {
        assert!(!wanted(Verbosity::Normal, Level::INFO, "ghostload::pipeline", false));
        assert!(wanted(Verbosity::Normal, Level::INFO, CLI_TARGET, false));
        assert!(!wanted(Verbosity::Quiet, Level::INFO, CLI_TARGET, false));
        assert!(wanted(Verbosity::Quiet, Level::INFO, CLI_TARGET, true));
    }
}
