//! Where the UI comes from, first found wins: the path the user named; an
//! installed `mlflow` (the Python on PATH, `$VIRTUAL_ENV`, `./.venv`),
//! found without importing it; the wheel `mlflowrs ui fetch` cached.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::pinned::WHEEL_FILE;
use crate::{Bundle, UiError};

/// How the bundle was found, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--ui-bundle` / `MLFLOWRS_UI_BUNDLE`.
    Named,
    /// The `mlflow` package of this Python (`python3` on PATH, or a virtualenv's).
    Installed(String),
    /// The wheel `mlflowrs ui fetch` downloaded.
    Cache,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Named => f.write_str("--ui-bundle"),
            Origin::Installed(python) => write!(f, "the mlflow package of {python}"),
            Origin::Cache => f.write_str("the cache of `mlflowrs ui fetch`"),
        }
    }
}

pub struct Located {
    pub bundle: Bundle,
    pub origin: Origin,
}

/// Where `mlflowrs ui fetch` keeps the wheel.
pub fn cached_wheel(cache_dir: &Path) -> PathBuf {
    cache_dir.join(WHEEL_FILE)
}

/// The first bundle found, or `None` when there is none anywhere. A path the
/// user named must hold one: it is an error otherwise. An installed package
/// or a cached wheel that cannot be read is skipped with a warning.
pub fn locate(
    named: Option<&Path>,
    virtual_env: Option<&Path>,
    cache_dir: &Path,
) -> Result<Option<Located>, UiError> {
    if let Some(path) = named {
        return Bundle::open(path).map(|bundle| {
            Some(Located {
                bundle,
                origin: Origin::Named,
            })
        });
    }
    let mut candidates: Vec<(PathBuf, Origin)> = Vec::new();
    for python in ["python3", "python"] {
        if let Some(package) = package_of(python) {
            candidates.push((package, Origin::Installed(python.to_string())));
            break;
        }
    }
    for (env, name) in [
        (virtual_env.map(Path::to_path_buf), "$VIRTUAL_ENV"),
        (Some(PathBuf::from(".venv")), "./.venv"),
    ] {
        if let Some(package) = env.as_deref().and_then(package_in_venv) {
            candidates.push((package, Origin::Installed(format!("{name}/bin/python"))));
        }
    }
    candidates.push((cached_wheel(cache_dir), Origin::Cache));
    for (path, origin) in candidates {
        if !path.exists() {
            continue;
        }
        match Bundle::open(&path) {
            Ok(bundle) => return Ok(Some(Located { bundle, origin })),
            Err(e) => tracing::warn!(error = %e, "skipping an MLflow UI that cannot be read"),
        }
    }
    Ok(None)
}

/// The `mlflow` package directory this Python would import, found with
/// `importlib.util.find_spec`, which locates a package without running it.
/// The working directory is dropped from `sys.path` (`-c` puts it first),
/// so a stray `./mlflow` folder is not taken for the package; a Python
/// that does not answer within a few seconds is skipped.
fn package_of(python: &str) -> Option<PathBuf> {
    const FIND: &str = "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; import importlib.util as u; s = u.find_spec('mlflow'); print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')";
    let mut child = std::process::Command::new(python)
        .args(["-c", FIND])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + PYTHON_TIMEOUT;
    let status = loop {
        match child.try_wait().ok()? {
            Some(status) => break status,
            None if std::time::Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                tracing::warn!(python, "{python} did not say where mlflow is installed within {PYTHON_TIMEOUT:?}; skipped");
                return None;
            }
            None => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    };
    let mut text = String::new();
    child.stdout.take()?.read_to_string(&mut text).ok()?;
    let dir = text.trim();
    (status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

const PYTHON_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `<venv>/lib/python3.X/site-packages/mlflow`, the newest Python's when
/// there are several.
fn package_in_venv(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let minor: u32 = name.strip_prefix("python3.")?.parse().ok()?;
            let package = e.path().join("site-packages/mlflow");
            package.is_dir().then_some((minor, package))
        })
        .max_by_key(|(minor, _)| *minor)
        .map(|(_, package)| package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_path_must_hold_a_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.whl");
        assert!(matches!(
            locate(Some(&missing), None, dir.path()),
            Err(UiError::Io { .. })
        ));
    }

    #[test]
    fn a_virtualenv_package_is_found_by_its_layout() {
        let dir = tempfile::tempdir().unwrap();
        let build = dir
            .path()
            .join("lib/python3.11/site-packages/mlflow/server/js/build");
        std::fs::create_dir_all(&build).unwrap();
        std::fs::write(build.join("index.html"), "<html>").unwrap();
        let package = package_in_venv(dir.path()).unwrap();
        assert!(Bundle::open(&package).is_ok());
    }
}
