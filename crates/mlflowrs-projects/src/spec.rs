//! The MLproject file as MLflow's `_project_spec.load_project` reads it:
//! the environment, the entry points and their typed parameters, with
//! MLflow's validation messages word for word.

use std::path::{Path, PathBuf};

use crate::error::ProjectError;
use crate::py_value::PyValue;
use crate::template;

const ENV_KEYS: [&str; 3] = ["docker_env", "python_env", "conda_env"];

#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    /// `name:` (needed to tag Docker images).
    pub name: Option<PyValue>,
    pub env: ProjectEnv,
    entry_points: Vec<EntryPoint>,
}

#[derive(Debug, Clone)]
pub enum ProjectEnv {
    Docker(DockerEnv),
    /// `python_env:` or a `python_env.yaml` beside the MLproject; `None`:
    /// no environment file at all (which MLflow also treats as Python).
    Python(Option<PathBuf>),
    Conda(PathBuf),
}

#[derive(Debug, Clone)]
pub struct DockerEnv {
    pub image: String,
    pub volumes: Vec<String>,
    pub environment: Vec<DockerEnvVar>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DockerEnvVar {
    /// A name copied from the host's environment.
    Copy(String),
    /// `[NAME, value]`.
    Set(String, String),
}

#[derive(Debug, Clone)]
pub struct EntryPoint {
    pub name: String,
    pub parameters: Vec<Parameter>,
    pub command: Option<PyValue>,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    /// Free text; only `path` and `uri` mean anything to MLflow.
    pub kind: PyValue,
    /// `None` (absent or `null`): the parameter is required.
    pub default: Option<PyValue>,
}

/// The first entry of the directory whose lower-cased name is `mlproject`.
fn find_mlproject(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().to_lowercase() == "mlproject")
        .map(|e| e.path())
}

fn attribute_error(on: &PyValue, attr: &str) -> ProjectError {
    ProjectError::uncaught(
        "AttributeError",
        format!("'{}' object has no attribute '{attr}'", on.type_name()),
    )
}

/// Reads the project at `dir` as MLflow does.
pub fn load_project(dir: &Path) -> Result<Project, ProjectError> {
    match find_mlproject(dir) {
        None => project_from(PyValue::Dict(Vec::new()), dir),
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| ProjectError::os(&e, &path))?;
            parse_project(&text, dir)
        }
    }
}

/// The project an MLproject file's text describes, its files in `dir`.
pub fn parse_project(text: &str, dir: &Path) -> Result<Project, ProjectError> {
    let doc = crate::yaml11::load(text).map_err(|e| {
        ProjectError::uncaught(
            "yaml.YAMLError",
            format!("the MLproject file is not valid YAML: {e}"),
        )
    })?;
    project_from(doc, dir)
}

fn project_from(doc: PyValue, dir: &Path) -> Result<Project, ProjectError> {
    let PyValue::Dict(entries) = &doc else {
        return Err(attribute_error(&doc, "keys"));
    };
    let present: Vec<&str> = ENV_KEYS
        .iter()
        .copied()
        .filter(|k| entries.iter().any(|(key, _)| key.as_str() == Some(k)))
        .collect();
    if present.len() > 1 {
        // MLflow prints a Python set, whose order depends on the hash
        // seed; this prints the names sorted.
        let mut names: Vec<String> = present
            .iter()
            .map(|k| crate::py_value::str_repr(k))
            .collect();
        names.sort();
        return Err(ProjectError::execution(format!(
            "Project cannot contain multiple environment fields: {{{}}}",
            names.join(", ")
        )));
    }
    let name = doc.get("name").cloned().filter(|n| *n != PyValue::None);
    let entry_points = match doc.get("entry_points") {
        None => Vec::new(),
        Some(PyValue::Dict(eps)) => eps
            .iter()
            .map(|(k, v)| entry_point(&k.py_str(), v))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(attribute_error(other, "items")),
    };
    if doc
        .get("databricks_spark_job")
        .is_some_and(|v| *v != PyValue::None)
    {
        return Err(ProjectError::execution(
            "databricks_spark_job projects run only on Databricks (`-b databricks`), which mlflowrs does not support",
        ));
    }
    let env = if let Some(docker) = doc.get("docker_env").filter(|d| d.truthy()) {
        ProjectEnv::Docker(docker_env(docker)?)
    } else if let Some(file) = doc.get("python_env").filter(|d| d.truthy()) {
        let path = dir.join(file.py_str());
        if !path.exists() {
            return Err(ProjectError::execution(format!(
                "Project specified python_env file {}, but no such file was found.",
                path.display()
            )));
        }
        ProjectEnv::Python(Some(path))
    } else if let Some(file) = doc.get("conda_env").filter(|d| d.truthy()) {
        let path = dir.join(file.py_str());
        if !path.exists() {
            return Err(ProjectError::execution(format!(
                "Project specified conda environment file {}, but no such file was found.",
                path.display()
            )));
        }
        ProjectEnv::Conda(path)
    } else if dir.join("python_env.yaml").exists() {
        ProjectEnv::Python(Some(dir.join("python_env.yaml")))
    } else if dir.join("conda.yaml").exists() {
        ProjectEnv::Conda(dir.join("conda.yaml"))
    } else {
        ProjectEnv::Python(None)
    };
    Ok(Project {
        dir: dir.to_path_buf(),
        name,
        env,
        entry_points,
    })
}

const INVALID: &str = "Project configuration (MLproject file) was invalid: ";

fn docker_env(docker: &PyValue) -> Result<DockerEnv, ProjectError> {
    if !matches!(docker, PyValue::Dict(_)) {
        return Err(attribute_error(docker, "get"));
    }
    let image = match docker.get("image").filter(|i| i.truthy()) {
        Some(i) => i.py_str(),
        None => {
            return Err(ProjectError::execution(format!(
                "{INVALID}Docker environment specified but no image attribute found."
            )))
        }
    };
    let mut volumes = Vec::new();
    if let Some(v) = docker.get("volumes").filter(|v| v.truthy()) {
        match v {
            PyValue::List(items) if items.iter().all(|i| matches!(i, PyValue::Str(_))) => {
                volumes = items.iter().map(PyValue::py_str).collect();
            }
            _ => {
                return Err(ProjectError::execution(format!(
                    "{INVALID}Docker volumes must be a list of strings, e.g.: '[\"/path1/:/path1\", \"/path2/:/path2\"])"
                )))
            }
        }
    }
    let mut environment = Vec::new();
    if let Some(e) = docker.get("environment").filter(|e| e.truthy()) {
        let bad = || {
            ProjectError::execution(format!(
                "{INVALID}environment must be a list containing either strings (to copy environment variables from host system) or lists of string pairs (to define new environment variables).E.g.: '[[\"NEW_VAR\", \"new_value\"], \"VAR_TO_COPY_FROM_HOST\"])"
            ))
        };
        let PyValue::List(items) = e else {
            return Err(bad());
        };
        for item in items {
            environment.push(match item {
                PyValue::Str(s) => DockerEnvVar::Copy(s.clone()),
                // MLflow takes a list's first two items as name and value.
                PyValue::List(pair) if pair.len() >= 2 => {
                    DockerEnvVar::Set(pair[0].py_str(), pair[1].py_str())
                }
                PyValue::List(pair) => {
                    return Err(ProjectError::uncaught(
                        "IndexError",
                        format!(
                            "list index out of range (environment entry {})",
                            PyValue::List(pair.clone()).py_repr()
                        ),
                    ))
                }
                _ => return Err(bad()),
            });
        }
    }
    Ok(DockerEnv {
        image,
        volumes,
        environment,
    })
}

fn entry_point(name: &str, yaml: &PyValue) -> Result<EntryPoint, ProjectError> {
    if !matches!(yaml, PyValue::Dict(_)) {
        return Err(attribute_error(yaml, "get"));
    }
    let parameters = match yaml.get("parameters") {
        None => Vec::new(),
        Some(PyValue::Dict(params)) => params
            .iter()
            .map(|(k, v)| parameter(&k.py_str(), v))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(attribute_error(other, "items")),
    };
    Ok(EntryPoint {
        name: name.to_string(),
        parameters,
        command: yaml.get("command").cloned(),
    })
}

fn parameter(name: &str, yaml: &PyValue) -> Result<Parameter, ProjectError> {
    match yaml {
        PyValue::Str(kind) => Ok(Parameter {
            name: name.to_string(),
            kind: PyValue::Str(kind.clone()),
            default: None,
        }),
        PyValue::Dict(_) => Ok(Parameter {
            name: name.to_string(),
            kind: yaml
                .get("type")
                .cloned()
                .unwrap_or_else(|| PyValue::Str("string".into())),
            default: yaml.get("default").cloned().filter(|d| *d != PyValue::None),
        }),
        other => Err(attribute_error(other, "get")),
    }
}

/// Python's `os.path.splitext(name)[1]`.
fn extension(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem_start = base.len() - base.trim_start_matches('.').len();
    match base[stem_start..].rfind('.') {
        Some(i) => &base[stem_start + i..],
        None => "",
    }
}

impl Project {
    /// The entry point `name`: a declared one, else a `.py` / `.sh` / `.R`
    /// file run as a script (MLflow does not check that it exists).
    pub fn entry_point(&self, name: &str) -> Result<EntryPoint, ProjectError> {
        if let Some(ep) = self.entry_points.iter().find(|e| e.name == name) {
            return Ok(ep.clone());
        }
        let shell = std::env::var(mlflowrs_env::EnvVars::SHELL).unwrap_or_else(|_| "bash".into());
        let command = match extension(name) {
            ".py" => format!("python {}", template::shell_quote(name)),
            ".sh" => format!("{shell} {}", template::shell_quote(name)),
            ".R" => format!(
                "Rscript -e \"mlflow::mlflow_source('{}')\" --args",
                template::shell_quote(name)
            ),
            _ => {
                let names: Vec<String> = self
                    .entry_points
                    .iter()
                    .map(|e| crate::py_value::str_repr(&e.name))
                    .collect();
                return Err(ProjectError::execution(format!(
                    "Could not find {name} among entry points [{}] or interpret {name} as a runnable script. Supported script file extensions: ['.py', '.sh']",
                    names.join(", ")
                )));
            }
        };
        Ok(EntryPoint {
            name: name.to_string(),
            parameters: Vec::new(),
            command: Some(PyValue::Str(command)),
        })
    }
}

/// Where a `path` parameter's value lives once resolved.
pub trait PathResolver {
    /// Downloads a non-local `uri` into `dir`, returning the local path.
    fn download(&self, uri: &str, dir: &Path) -> Result<String, ProjectError>;
}

/// The parameters of one invocation: declared ones in file order (the
/// user's value, else the default), then the user's undeclared ones in the
/// order given, each shell-quoted as MLflow quotes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComputedParams {
    pub declared: Vec<(String, String)>,
    pub extra: Vec<(String, String)>,
}

impl ComputedParams {
    /// In the order MLflow logs them.
    pub fn all(&self) -> impl Iterator<Item = &(String, String)> {
        self.declared.iter().chain(self.extra.iter())
    }
}

/// Python's `urllib.parse.urlparse(v).scheme`.
pub fn url_scheme(v: &str) -> &str {
    let Some(i) = v.find(':') else { return "" };
    let head = &v[..i];
    let ok = head.starts_with(|c: char| c.is_ascii_alphabetic())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if ok {
        head
    } else {
        ""
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Python's `os.path.abspath`: joined to the cwd and normalised, without
/// resolving symlinks.
pub fn abspath(p: &str) -> String {
    let joined = if p.starts_with('/') {
        PathBuf::from(p)
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut parts: Vec<String> = Vec::new();
    for c in joined.to_string_lossy().split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c.to_string()),
        }
    }
    format!("/{}", parts.join("/"))
}

impl EntryPoint {
    /// MLflow's `_validate_parameters`.
    pub fn check_missing(&self, user: &[(String, String)]) -> Result<(), ProjectError> {
        let missing: Vec<String> = self
            .parameters
            .iter()
            .filter(|p| p.default.is_none() && !user.iter().any(|(k, _)| *k == p.name))
            .map(|p| format!("'{}'", p.name))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ProjectError::execution(format!(
            "No value given for missing parameters: {}",
            missing.join(", ")
        )))
    }

    /// MLflow's `compute_parameters`. With `storage_dir` (when building the
    /// command) `path` values are checked and made absolute, or downloaded;
    /// without it (when logging) they stay as given.
    pub fn compute_parameters(
        &self,
        user: &[(String, String)],
        storage_dir: Option<(&Path, &dyn PathResolver)>,
    ) -> Result<ComputedParams, ProjectError> {
        self.check_missing(user)?;
        let mut computed = ComputedParams::default();
        for (position, p) in self.parameters.iter().enumerate() {
            let value = match user.iter().find(|(k, _)| *k == p.name) {
                Some((_, v)) => v.clone(),
                None => p.default.as_ref().map(PyValue::py_str).unwrap_or_default(),
            };
            let kind = p.kind.as_str().unwrap_or("");
            let value = match (storage_dir, kind) {
                (Some((dir, resolver)), "path") => path_value(p, &value, dir, position, resolver)?,
                (_, "uri") => {
                    if url_scheme(&value).is_empty() {
                        return Err(ProjectError::execution(format!(
                            "Expected URI for parameter {} but got {value}",
                            p.name
                        )));
                    }
                    value
                }
                _ => value,
            };
            computed
                .declared
                .push((p.name.clone(), template::shell_quote(&value)));
        }
        for (k, v) in user {
            if !self.parameters.iter().any(|p| p.name == *k) {
                computed
                    .extra
                    .push((template::shell_quote(k), template::shell_quote(v)));
            }
        }
        Ok(computed)
    }

    /// MLflow's `compute_command`: the template filled, then ` --key value`
    /// for each undeclared parameter.
    pub fn compute_command(
        &self,
        user: &[(String, String)],
        storage_dir: &Path,
        resolver: &dyn PathResolver,
    ) -> Result<String, ProjectError> {
        let params = self.compute_parameters(user, Some((storage_dir, resolver)))?;
        let template_text = match &self.command {
            Some(PyValue::Str(s)) => s.clone(),
            Some(other) => return Err(attribute_error(other, "format")),
            None => return Err(attribute_error(&PyValue::None, "format")),
        };
        let filled = template::format(&template_text, &params.declared)
            .map_err(|e| ProjectError::uncaught(e.exception, e.message))?;
        let mut parts = vec![filled];
        parts.extend(params.extra.iter().map(|(k, v)| format!("--{k} {v}")));
        Ok(parts.join(" "))
    }
}

fn path_value(
    p: &Parameter,
    value: &str,
    storage_dir: &Path,
    position: usize,
    resolver: &dyn PathResolver,
) -> Result<String, ProjectError> {
    let scheme = url_scheme(value);
    let local = if scheme.is_empty() {
        Some(percent_decode(value))
    } else if scheme == "file" {
        let rest = &value[5..];
        match rest.strip_prefix("//") {
            Some(after) if !after.starts_with('/') && !after.is_empty() => None,
            Some(after) => Some(percent_decode(after)),
            None => Some(percent_decode(rest)),
        }
    } else {
        None
    };
    match local {
        Some(path) => {
            if !Path::new(&path).exists() {
                return Err(ProjectError::execution(format!(
                    "Got value {value} for parameter {}, but no such file or directory was found.",
                    p.name
                )));
            }
            Ok(abspath(&path))
        }
        None => {
            let dir = storage_dir.join(format!("param_{position}"));
            std::fs::create_dir(&dir).map_err(|e| ProjectError::os(&e, &dir))?;
            resolver.download(value, &dir)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_as_splitext() {
        assert_eq!(extension("train.py"), ".py");
        assert_eq!(extension("a/b.sh"), ".sh");
        assert_eq!(extension(".py"), "");
        assert_eq!(extension("main"), "");
        assert_eq!(extension("x.tar.gz"), ".gz");
    }

    #[test]
    fn schemes_as_urlparse() {
        assert_eq!(url_scheme("s3://b/k"), "s3");
        assert_eq!(url_scheme("c:/x"), "c");
        assert_eq!(url_scheme("no-scheme"), "");
        assert_eq!(url_scheme("1a:b"), "");
        assert_eq!(abspath("/a/./b/../c"), "/a/c");
    }
}
