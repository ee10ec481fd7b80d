//! The lines `mlflow run` writes to stderr, in MLflow's logging format
//! (`2026/12/06 12:00:00 INFO mlflow.projects.utils: === ... ===`), so
//! scripts that read them keep working.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// The logger names MLflow's lines carry.
pub const PROJECTS: &str = "mlflow.projects";
pub const UTILS: &str = "mlflow.projects.utils";
pub const LOCAL_BACKEND: &str = "mlflow.projects.backend.local";
pub const DOCKER: &str = "mlflow.projects.docker";
pub const KUBERNETES: &str = "mlflow.projects.kubernetes";
pub const CLI: &str = "mlflow.cli";
pub const BACKEND_LOADER: &str = "mlflow.projects.backend.loader";

pub fn info(logger: &str, message: &str) {
    line("INFO", logger, message);
}

pub fn warning(logger: &str, message: &str) {
    line("WARNING", logger, message);
}

pub fn error(logger: &str, message: &str) {
    line("ERROR", logger, message);
}

fn line(level: &str, logger: &str, message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{} {level} {logger}: {message}", timestamp());
}

/// Now in UTC as (year, month, day, hour, minute, second, microsecond).
pub fn utc_now() -> (i64, i64, i64, i64, i64, i64, u32) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_micros(),
    )
}

/// `%Y/%m/%d %H:%M:%S` in UTC.
fn timestamp() -> String {
    let (y, m, d, h, mi, s, _) = utc_now();
    format!("{y:04}/{m:02}/{d:02} {h:02}:{mi:02}:{s:02}")
}
