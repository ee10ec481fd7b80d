//! The Python environment of a `python_env` (or converted `conda_env`)
//! project under `--env-manager virtualenv|uv`: its spec, its name
//! (MLflow's: `mlflow-<sha1>` of the same text MLflow hashes, so both tools
//! find each other's environments under `$MLFLOW_ENV_ROOT`), and building
//! it once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha1::{Digest, Sha1};

use crate::error::ProjectError;
use crate::log;
use crate::py_value::{str_repr, PyValue};

/// MLflow's `_PythonEnv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PythonEnvSpec {
    pub python: String,
    pub build_dependencies: Vec<String>,
    pub dependencies: Vec<String>,
}

/// The version of the Python on PATH (`python`, else `python3`), which is
/// what MLflow's own interpreter usually is: the default when a spec names none.
pub fn current_python_version() -> Result<String, ProjectError> {
    for name in ["python", "python3"] {
        if let Ok(out) = Command::new(name)
            .args(["-c", "import platform; print(platform.python_version())"])
            .stdin(Stdio::null())
            .output()
        {
            if out.status.success() {
                return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
            }
        }
    }
    Err(ProjectError::mlflow(
        "no python on PATH to take the default Python version from; name one in python_env.yaml",
    ))
}

fn string_list(v: Option<&PyValue>, field: &str) -> Result<Vec<String>, ProjectError> {
    match v {
        None | Some(PyValue::None) => Ok(Vec::new()),
        Some(PyValue::List(items)) => Ok(items.iter().map(PyValue::py_str).collect()),
        Some(other) => Err(ProjectError::uncaught(
            "TypeError",
            format!(
                "`{field}` must be a list but got <class '{}'>",
                other.type_name()
            ),
        )),
    }
}

fn read_yaml(path: &Path) -> Result<PyValue, ProjectError> {
    let text = std::fs::read_to_string(path).map_err(|e| ProjectError::os(&e, path))?;
    crate::yaml11::load(&text).map_err(|e| {
        ProjectError::uncaught(
            "yaml.YAMLError",
            format!("{} is not valid YAML: {e}", path.display()),
        )
    })
}

impl PythonEnvSpec {
    /// `_PythonEnv.from_yaml`.
    pub fn from_python_env_yaml(path: &Path) -> Result<PythonEnvSpec, ProjectError> {
        let doc = read_yaml(path)?;
        let python = match doc.get("python") {
            None | Some(PyValue::None) => current_python_version()?,
            Some(PyValue::Str(s)) if s.is_empty() => current_python_version()?,
            Some(PyValue::Str(s)) => s.clone(),
            Some(other) => {
                return Err(ProjectError::uncaught(
                    "TypeError",
                    format!(
                        "`python` must be a string but got <class '{}'>",
                        other.type_name()
                    ),
                ))
            }
        };
        Ok(PythonEnvSpec {
            python,
            build_dependencies: string_list(doc.get("build_dependencies"), "build_dependencies")?,
            dependencies: string_list(doc.get("dependencies"), "dependencies")?,
        })
    }

    /// `_PythonEnv.from_conda_yaml`: python/pip/setuptools/wheel pins become
    /// the Python version and build dependencies, a `pip:` list the
    /// dependencies; other conda packages are not installed (a warning).
    pub fn from_conda_yaml(path: &Path) -> Result<PythonEnvSpec, ProjectError> {
        let doc = read_yaml(path)?;
        let mut python = None;
        let mut build = Vec::new();
        let mut deps = Vec::new();
        let mut unmatched = Vec::new();
        let items = match doc.get("dependencies") {
            Some(PyValue::List(l)) => l.clone(),
            _ => Vec::new(),
        };
        for dep in items {
            match &dep {
                PyValue::Str(s) => match conda_dependency(s) {
                    None => unmatched.push(s.clone()),
                    Some((package, op, version)) => {
                        if python.is_none() && package == "python" {
                            match op.as_deref() {
                                None => return Err(ProjectError::mlflow(format!("Invalid dependency for python: {s}. It must be pinned (e.g. python=3.8.13)."))),
                                Some("<") | Some(">") | Some("!=") => return Err(ProjectError::mlflow(format!("Invalid version comparator for python: '{}'. Must be one of ['<=', '>=', '=', '=='].", op.unwrap_or_default()))),
                                _ => {}
                            }
                            python = Some(version.unwrap_or_default());
                            continue;
                        }
                        let op = match op.as_deref() {
                            Some("=") => "==".to_string(),
                            other => other.unwrap_or("").to_string(),
                        };
                        build.push(format!("{package}{op}{}", version.unwrap_or_default()));
                    }
                },
                PyValue::Dict(_) if dep.get("pip").is_some() => {
                    deps = string_list(dep.get("pip"), "dependencies")?;
                }
                other => {
                    return Err(ProjectError::mlflow(format!(
                        "Invalid conda dependency: {}. Must be str or dict in the form of {{\"pip\": [...]}}",
                        other.py_str()
                    )))
                }
            }
        }
        let python = match python {
            Some(p) => p,
            None => {
                let current = current_python_version()?;
                log::warning(
                    "mlflow.utils.environment",
                    &format!(
                        "{} does not include a python version specification. Using the current python version {current}.",
                        path.display()
                    ),
                );
                current
            }
        };
        if !unmatched.is_empty() {
            let list: Vec<String> = unmatched.iter().map(|u| str_repr(u)).collect();
            log::warning(
                "mlflow.utils.environment",
                &format!(
                    "The following conda dependencies will not be installed in the resulting environment: [{}]",
                    list.join(", ")
                ),
            );
        }
        Ok(PythonEnvSpec {
            python,
            build_dependencies: build,
            dependencies: deps,
        })
    }

    /// `str(env.to_dict())`.
    fn dict_repr(&self) -> String {
        let list = |l: &[String]| {
            let items: Vec<String> = l.iter().map(|s| str_repr(s)).collect();
            format!("[{}]", items.join(", "))
        };
        format!(
            "{{'python': {}, 'build_dependencies': {}, 'dependencies': {}}}",
            str_repr(&self.python),
            list(&self.build_dependencies),
            list(&self.dependencies)
        )
    }

    /// MLflow's `_get_virtualenv_name`.
    pub fn env_name(&self, work_dir: &Path) -> String {
        let mut reqs = Vec::new();
        parse_requirements(&self.dependencies, false, work_dir, &mut reqs);
        reqs.sort();
        let mut text = self.dict_repr();
        for (req, constraint) in reqs {
            text.push_str(&format!(
                "_Requirement(req_str={}, is_constraint={})",
                str_repr(&req),
                if constraint { "True" } else { "False" }
            ));
        }
        format!("mlflow-{}", sha1_hex(text.as_bytes()))
    }
}

/// The lower-case hex sha1 MLflow names environments by.
pub fn sha1_hex(bytes: &[u8]) -> String {
    Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `^(python|pip|setuptools|wheel)(<|>|<=|>=|=|==|!=)?([\d.]+)?$`
fn conda_dependency(s: &str) -> Option<(String, Option<String>, Option<String>)> {
    let package = ["python", "pip", "setuptools", "wheel"]
        .into_iter()
        .find(|p| s.starts_with(p))?;
    let rest = &s[package.len()..];
    let op_len = ["<=", ">=", "==", "!=", "<", ">", "="]
        .iter()
        .find(|o| rest.starts_with(*o))
        .map_or(0, |o| o.len());
    let (op, version) = rest.split_at(op_len);
    if !version.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    Some((
        package.to_string(),
        (!op.is_empty()).then(|| op.to_string()),
        (!version.is_empty()).then(|| version.to_string()),
    ))
}

/// MLflow's `_parse_requirements`: comments and blank lines dropped,
/// continued lines joined, `-r`/`-c` files followed.
fn parse_requirements(
    lines: &[String],
    constraint: bool,
    base_dir: &Path,
    out: &mut Vec<(String, bool)>,
) {
    let mut joined: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in lines {
        let line = line.trim();
        let line = match line.find(" #") {
            Some(i) => line[..i].trim_end(),
            None => line,
        };
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        joined.push(std::mem::take(&mut pending));
    }
    if !pending.is_empty() {
        joined.push(pending);
    }
    for line in joined {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let file_ref = |flags: [&str; 2]| {
            flags
                .iter()
                .find(|f| line.starts_with(&format!("{f} ")))
                .map(|_| line.split_once(' ').map(|(_, r)| r.trim().to_string()))
        };
        if let Some(Some(file)) = file_ref(["-r", "--requirement"]) {
            let path = base_dir.join(&file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let sub: Vec<String> = text.lines().map(str::to_string).collect();
            parse_requirements(&sub, false, path.parent().unwrap_or(base_dir), out);
        } else if let Some(Some(file)) = file_ref(["-c", "--constraint"]) {
            let path = base_dir.join(&file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let sub: Vec<String> = text.lines().map(str::to_string).collect();
            parse_requirements(&sub, true, path.parent().unwrap_or(base_dir), out);
        } else {
            out.push((line, constraint));
        }
    }
}

/// `virtualenv` or `uv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    Virtualenv,
    Uv,
}

/// MLflow's environment root: `$MLFLOW_ENV_ROOT`, else `~/.mlflow/envs`.
pub fn env_root() -> PathBuf {
    if let Some(root) = std::env::var_os(mlflowrs_env::EnvVars::MLFLOW_ENV_ROOT) {
        return PathBuf::from(root);
    }
    let home = std::env::var_os(mlflowrs_env::EnvVars::HOME).unwrap_or_default();
    PathBuf::from(home).join(".mlflow").join("envs")
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os(mlflowrs_env::EnvVars::PATH)?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn run_step(cmd: &mut Command, what: &str) -> Result<(), ProjectError> {
    // The tools' own progress (pip's, uv's) goes to the terminal as it
    // does under `mlflow run`.
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| ProjectError::mlflow(format!("{what}: cannot start: {e}")))?;
    if !status.success() {
        return Err(ProjectError::mlflow(format!(
            "{what} failed ({status}); see its output above"
        )));
    }
    Ok(())
}

/// The interpreter `virtualenv` builds from: pyenv's install of the exact
/// version when pyenv is there (as MLflow), else a `pythonX.Y` on PATH
/// whose version matches.
fn base_interpreter(version: &str) -> Result<PathBuf, ProjectError> {
    let matches = |p: &Path| {
        Command::new(p)
            .args(["-c", "import platform; print(platform.python_version())"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .is_some_and(|v| v == version || v.starts_with(&format!("{version}.")))
    };
    if let Some(pyenv) = on_path("pyenv") {
        if let Ok(out) = Command::new(&pyenv).arg("root").output() {
            let root = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let bin = Path::new(&root)
                .join("versions")
                .join(version)
                .join("bin/python");
            if !bin.is_file() {
                log::info(
                    "mlflow.utils.virtualenv",
                    &format!("Installing python {version} if it does not exist"),
                );
                run_step(
                    Command::new(&pyenv).args(["install", "--skip-existing", version]),
                    "pyenv install",
                )?;
            }
            if bin.is_file() {
                return Ok(bin);
            }
        }
    }
    let mm: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    for name in [format!("python{mm}"), "python3".into(), "python".into()] {
        if let Some(p) = on_path(&name).filter(|p| matches(p)) {
            return Ok(p);
        }
    }
    Err(ProjectError::mlflow(format!(
        "no Python {version} found (neither pyenv nor a python{mm} of that version on PATH); install it, or run with --env-manager uv or local"
    )))
}

/// Builds the environment at `env_dir` unless it exists (MLflow reuses an
/// existing directory as is), and returns the activation command.
pub fn ensure(
    builder: Builder,
    spec: &PythonEnvSpec,
    work_dir: &Path,
    env_dir: &Path,
) -> Result<String, ProjectError> {
    let activate = format!("source {}", env_dir.join("bin").join("activate").display());
    const LOGGER: &str = "mlflow.utils.virtualenv";
    if env_dir.exists() {
        log::info(
            LOGGER,
            &format!("Environment {} already exists", env_dir.display()),
        );
        return Ok(activate);
    }
    let result = build(builder, spec, work_dir, env_dir, &activate);
    if let Err(e) = &result {
        log::warning(LOGGER, &format!("Encountered an unexpected error: {e} while creating a virtualenv environment in {}, removing the environment directory...", env_dir.display()));
        let _ = std::fs::remove_dir_all(env_dir);
    }
    result.map(|()| activate)
}

fn build(
    builder: Builder,
    spec: &PythonEnvSpec,
    work_dir: &Path,
    env_dir: &Path,
    activate: &str,
) -> Result<(), ProjectError> {
    const LOGGER: &str = "mlflow.utils.virtualenv";
    if let Some(parent) = env_dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| ProjectError::mlflow(format!("{}: {e}", parent.display())))?;
    }
    let installer = match builder {
        Builder::Virtualenv => {
            let python = base_interpreter(&spec.python)?;
            log::info(
                LOGGER,
                &format!(
                    "Creating a new environment in {} with {}",
                    env_dir.display(),
                    python.display()
                ),
            );
            run_step(
                Command::new(&python).args(["-m", "venv"]).arg(env_dir),
                "python -m venv",
            )?;
            "python -m pip install"
        }
        Builder::Uv => {
            let uv = on_path("uv").ok_or_else(|| {
                ProjectError::mlflow(
                    "uv is not on PATH: install it (`pip install uv`) or use --env-manager virtualenv",
                )
            })?;
            log::info(
                LOGGER,
                &format!(
                    "Creating a new environment in {} with python version {} using uv",
                    env_dir.display(),
                    spec.python
                ),
            );
            run_step(
                Command::new(uv)
                    .arg("venv")
                    .arg(env_dir)
                    .arg(format!("--python={}", spec.python)),
                "uv venv",
            )?;
            "uv pip install"
        }
    };
    log::info(LOGGER, "Installing dependencies");
    for deps in [&spec.build_dependencies, &spec.dependencies] {
        if deps.is_empty() {
            continue;
        }
        // Relative `-r` references resolve against the project: the
        // requirements file sits in a directory of links to its files.
        let tmp = tempfile::tempdir()
            .map_err(|e| ProjectError::mlflow(format!("temporary directory: {e}")))?;
        if let Ok(entries) = std::fs::read_dir(work_dir) {
            for entry in entries.flatten() {
                let _ =
                    std::os::unix::fs::symlink(entry.path(), tmp.path().join(entry.file_name()));
            }
        }
        let name = format!("requirements.{}.txt", random_hex());
        std::fs::write(tmp.path().join(&name), deps.join("\n"))
            .map_err(|e| ProjectError::mlflow(format!("writing {name}: {e}")))?;
        run_step(
            Command::new("bash")
                .arg("-c")
                .arg(format!("{activate} && {installer} -r {name}"))
                .current_dir(tmp.path()),
            installer,
        )?;
    }
    Ok(())
}

fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A few bytes of randomness without another dependency: the kernel's.
fn getrandom(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hash_what_mlflow_hashes() {
        // sha1 of "{'python': '3.11.9', 'build_dependencies': [], 'dependencies': []}"
        let spec = PythonEnvSpec {
            python: "3.11.9".into(),
            build_dependencies: vec![],
            dependencies: vec![],
        };
        let want = {
            let d =
                Sha1::digest(b"{'python': '3.11.9', 'build_dependencies': [], 'dependencies': []}");
            let h: String = d.iter().map(|b| format!("{b:02x}")).collect();
            format!("mlflow-{h}")
        };
        assert_eq!(spec.env_name(Path::new("/nonexistent")), want);
        assert_eq!(
            conda_dependency("python=3.11"),
            Some(("python".into(), Some("=".into()), Some("3.11".into())))
        );
        assert_eq!(conda_dependency("numpy"), None);
    }
}
