//! The Python a model runs in: found (`local`) or built once from the
//! model's `python_env.yaml` + `requirements.txt` and cached (`virtualenv`,
//! `uv`). Interpreters are never compiled: a version that is not installed
//! is replaced by the closest one found, with a warning.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mlflowrs_env::EnvVars;
use sha2::{Digest, Sha256};

use crate::error::PyfuncError;

const PREFLIGHT_PY: &str = include_str!("preflight.py");
/// Written into a finished environment; a directory without it is a build
/// that was interrupted and is started again.
const COMPLETE_MARKER: &str = ".mlflowrs-env-complete";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvManager {
    Local,
    Virtualenv,
    Uv,
}

/// A Python ready to run the model's workers.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    pub python: PathBuf,
    pub mlflow_version: String,
}

#[derive(serde::Deserialize)]
struct Preflight {
    python: String,
    mlflow: Option<String>,
    mlflow_error: Option<String>,
    missing: Vec<String>,
    mismatched: Vec<(String, String)>,
}

/// `--python`, else the first of the active virtualenv, `./.venv`, python3
/// and python on PATH that exists.
pub fn find_python(explicit: Option<&Path>) -> Result<PathBuf, PyfuncError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    candidates().into_iter().next().ok_or(PyfuncError::NoPython)
}

/// The interpreters `find_python` considers, in its order, that exist.
fn candidates() -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Some(venv) = std::env::var_os(EnvVars::VIRTUAL_ENV) {
        found.push(PathBuf::from(venv).join("bin/python"));
    }
    found.push(PathBuf::from(".venv/bin/python"));
    found.retain(|p| p.is_file());
    let mut found: Vec<PathBuf> = found
        .into_iter()
        .map(|p| std::path::absolute(&p).unwrap_or(p))
        .collect();
    found.extend(["python3", "python"].iter().filter_map(|n| on_path(n)));
    found.dedup();
    found
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os(EnvVars::PATH)?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The Python for `model_dir` under `manager`, checked: mlflow imports and
/// (under `local`) every package of the model's requirements.txt is there.
pub fn prepare_python(
    manager: EnvManager,
    model_dir: &Path,
    explicit: Option<&Path>,
    cache_root: &Path,
) -> Result<PythonEnv, PyfuncError> {
    let base = find_python(explicit)?;
    let requirements = model_dir.join("requirements.txt");
    let (python, report) = match manager {
        // Without --python, the first interpreter that has mlflow (a
        // python3 on PATH without it should not hide ./.venv's or the
        // active virtualenv's, whichever comes first).
        EnvManager::Local if explicit.is_none() => {
            let mut first = None;
            let mut chosen = None;
            for candidate in candidates() {
                let Ok(report) = preflight(&candidate, &requirements) else {
                    continue;
                };
                if report.mlflow.is_some() {
                    chosen = Some((candidate, report));
                    break;
                }
                first.get_or_insert((candidate, report));
            }
            match chosen.or(first) {
                Some(c) => c,
                None => {
                    let report = preflight(&base, &requirements)?;
                    (base, report)
                }
            }
        }
        EnvManager::Local => {
            let report = preflight(&base, &requirements)?;
            (base, report)
        }
        EnvManager::Virtualenv | EnvManager::Uv => {
            let python = build_env(manager, model_dir, explicit.is_some(), &base, cache_root)?;
            let report = preflight(&python, &requirements)?;
            (python, report)
        }
    };
    let Some(mlflow_version) = report.mlflow else {
        return Err(PyfuncError::MlflowMissing {
            python,
            detail: report.mlflow_error.unwrap_or_default(),
        });
    };
    if !report.missing.is_empty() {
        return Err(PyfuncError::MissingRequirements {
            python,
            packages: report.missing.join(", "),
            requirements,
        });
    }
    for (wanted, installed) in &report.mismatched {
        tracing::warn!(requirement = %wanted, installed = %installed, "the model was logged with another version of this package");
    }
    tracing::info!(python = %python.display(), python_version = %report.python, mlflow = %mlflow_version, "python environment ready");
    Ok(PythonEnv {
        python,
        mlflow_version,
    })
}

fn preflight(python: &Path, requirements: &Path) -> Result<Preflight, PyfuncError> {
    let out = Command::new(python)
        .arg("-c")
        .arg(PREFLIGHT_PY)
        .arg(requirements)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PyfuncError::BadPython {
            python: python.to_path_buf(),
            detail: format!("could not run it: {e}"),
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|_| PyfuncError::BadPython {
        python: python.to_path_buf(),
        detail: format!(
            "it did not run the environment check ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    })
}

/// The Python version `python_env.yaml` asks for (`python: 3.11.9`).
/// The Python version a model's `python_env.yaml` names, if any.
pub fn model_python_version(model_dir: &Path) -> Option<String> {
    wanted_python(model_dir).0
}

fn wanted_python(model_dir: &Path) -> (Option<String>, Vec<String>) {
    let Ok(text) = std::fs::read_to_string(model_dir.join("python_env.yaml")) else {
        return (None, Vec::new());
    };
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap_or_default();
    let version = doc
        .get("python")
        .map(|v| match v {
            serde_norway::Value::String(s) => s.clone(),
            other => serde_norway::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        })
        .filter(|s| !s.is_empty());
    let build = doc
        .get("build_dependencies")
        .and_then(|b| b.as_sequence())
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (version, build)
}

fn python_version(python: &Path) -> Option<String> {
    let out = Command::new(python)
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Builds (once) and returns the python of the model's cached environment.
fn build_env(
    manager: EnvManager,
    model_dir: &Path,
    explicit_base: bool,
    base: &Path,
    cache_root: &Path,
) -> Result<PathBuf, PyfuncError> {
    let (wanted, build_deps) = wanted_python(model_dir);
    let requirements = std::fs::read(model_dir.join("requirements.txt")).unwrap_or_default();
    // The interpreter: python3.X on PATH when the model asks for 3.X.
    let base = match (&wanted, explicit_base) {
        (Some(w), false) => on_path(&format!("python{}", major_minor(w)))
            .filter(|p| python_version(p).is_some())
            .unwrap_or_else(|| base.to_path_buf()),
        _ => base.to_path_buf(),
    };
    let have = python_version(&base).ok_or_else(|| PyfuncError::BadPython {
        python: base.clone(),
        detail: "it does not run".into(),
    })?;
    if let Some(w) = &wanted {
        if major_minor(w) != major_minor(&have) {
            tracing::warn!(wanted = %w, using = %have, python = %base.display(), "the model asks for another Python version; mlflowrs does not build interpreters, so it uses the closest one it found");
        }
    }
    let mut key = Sha256::new();
    key.update(major_minor(&have).as_bytes());
    key.update([0]);
    key.update(build_deps.join("\n").as_bytes());
    key.update([0]);
    key.update(&requirements);
    let digest = key.finalize();
    let id: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let dir = cache_root.join(format!("py{}-{id}", major_minor(&have)));
    let python = dir.join("bin/python");
    if dir.join(COMPLETE_MARKER).is_file() && python.is_file() {
        tracing::info!(env = %dir.display(), "reusing the cached model environment");
        return Ok(python);
    }
    let fail = |detail: String| PyfuncError::EnvBuild {
        dir: dir.clone(),
        detail,
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| fail(e.to_string()))?;
    }
    std::fs::create_dir_all(cache_root).map_err(|e| fail(e.to_string()))?;
    tracing::info!(env = %dir.display(), python = %have, "building the model environment (once; later starts reuse it)");
    let uv = on_path("uv");
    let use_uv = manager == EnvManager::Uv && uv.is_some();
    if manager == EnvManager::Uv && !use_uv {
        tracing::warn!("uv is not on PATH; building the environment with venv and pip");
    }
    let req_path = model_dir.join("requirements.txt");
    if let (true, Some(uv)) = (use_uv, &uv) {
        run_logged(
            Command::new(uv)
                .arg("venv")
                .arg("--python")
                .arg(&base)
                .arg(&dir),
            &fail,
        )?;
        let mut install = Command::new(uv);
        install.args(["pip", "install", "--python"]).arg(&python);
        if req_path.is_file() {
            install.arg("-r").arg(&req_path);
        }
        install.args(&build_deps);
        run_logged(&mut install, &fail)?;
    } else {
        run_logged(Command::new(&base).args(["-m", "venv"]).arg(&dir), &fail)?;
        if !build_deps.is_empty() {
            run_logged(
                Command::new(&python)
                    .args(["-m", "pip", "install", "--upgrade"])
                    .args(&build_deps),
                &fail,
            )?;
        }
        if req_path.is_file() {
            run_logged(
                Command::new(&python)
                    .args(["-m", "pip", "install", "-r"])
                    .arg(&req_path),
                &fail,
            )?;
        }
    }
    std::fs::write(dir.join(COMPLETE_MARKER), b"").map_err(|e| fail(e.to_string()))?;
    tracing::info!(env = %dir.display(), "model environment built");
    Ok(python)
}

/// Runs a build step with its output shown as progress in the log.
fn run_logged(cmd: &mut Command, fail: &dyn Fn(String) -> PyfuncError) -> Result<(), PyfuncError> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("{shown}: {e}")))?;
    let err = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || {
        let mut kept = Vec::new();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            tracing::warn!(target: "mlflowrs::env", "{line}");
            kept.push(line);
        }
        kept
    });
    for line in BufReader::new(child.stdout.take().expect("piped"))
        .lines()
        .map_while(Result::ok)
    {
        tracing::info!(target: "mlflowrs::env", "{line}");
    }
    let status = child.wait().map_err(|e| fail(e.to_string()))?;
    let kept = errors.join().unwrap_or_default();
    if !status.success() {
        let tail = kept[kept.len().saturating_sub(20)..].join("\n");
        return Err(fail(format!("{shown} failed ({status}):\n{tail}")));
    }
    Ok(())
}
