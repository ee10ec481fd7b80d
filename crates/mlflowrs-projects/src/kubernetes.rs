//! The Kubernetes Job of `-b kubernetes`, rendered from the user's job
//! template exactly as MLflow's `_get_kubernetes_job_definition` renders
//! it: the name `<project>-<timestamp>`, the first container's name, image
//! (`tag@digest`), command (each word of the entry command shell-quoted)
//! and the run's environment appended to its `env`.

use crate::error::ProjectError;
use crate::py_value::PyValue;
use crate::template::shell_quote;

/// What `-c` names for the kubernetes backend (MLflow's keys).
#[derive(Debug, Clone)]
pub struct KubeConfig {
    pub job_template: PyValue,
    pub repository_uri: String,
    pub kube_context: Option<String>,
}

/// MLflow's `_parse_kubernetes_config`, word for word in its errors.
pub fn parse_config(config: &serde_json::Value) -> Result<KubeConfig, ProjectError> {
    let obj = config
        .as_object()
        .ok_or_else(|| ProjectError::execution("Backend_config file not found."))?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let Some(path) = obj.get("kube-job-template-path").map(text) else {
        return Err(ProjectError::execution(
            "'kube-job-template-path' attribute must be specified in backend_config.",
        ));
    };
    if !std::path::Path::new(&path).exists() {
        return Err(ProjectError::execution(format!(
            "Could not find 'kube-job-template-path': {path}"
        )));
    }
    let yaml = std::fs::read_to_string(&path)
        .map_err(|e| ProjectError::os(&e, std::path::Path::new(&path)))?;
    let job_template = crate::yaml11::load(&yaml)
        .map_err(|e| ProjectError::uncaught("yaml.YAMLError", format!("{path}: {e}")))?;
    let Some(repository_uri) = obj.get("repository-uri").map(text) else {
        return Err(ProjectError::execution(
            "Could not find 'repository-uri' in backend_config.",
        ));
    };
    Ok(KubeConfig {
        job_template,
        repository_uri,
        kube_context: obj.get("kube-context").map(text),
    })
}

/// Python's `shlex.split` (POSIX mode, no comments).
pub fn shell_split(s: &str) -> Result<Vec<String>, ProjectError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => {
                            return Err(ProjectError::uncaught(
                                "ValueError",
                                "No closing quotation",
                            ))
                        }
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('\\' | '"' | '$' | '`' | '\n')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => {
                                return Err(ProjectError::uncaught(
                                    "ValueError",
                                    "No closing quotation",
                                ))
                            }
                        },
                        Some(c) => word.push(c),
                        None => {
                            return Err(ProjectError::uncaught(
                                "ValueError",
                                "No closing quotation",
                            ))
                        }
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => {
                        return Err(ProjectError::uncaught("ValueError", "No escaped character"))
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// MLflow's `_get_run_command`.
pub fn run_command(entry_command: &str) -> Result<Vec<String>, ProjectError> {
    Ok(shell_split(entry_command)?
        .iter()
        .map(|w| shell_quote(w))
        .collect())
}

fn template_error(what: &str) -> ProjectError {
    ProjectError::uncaught(
        "KeyError",
        format!("the job template has no {what} (MLflow indexes it)"),
    )
}

fn dict_mut<'a>(v: &'a mut PyValue, key: &str) -> Option<&'a mut PyValue> {
    match v {
        PyValue::Dict(entries) => entries
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn set(v: &mut PyValue, key: &str, value: PyValue) {
    if let PyValue::Dict(entries) = v {
        match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
            Some(slot) => slot.1 = value,
            None => entries.push((PyValue::Str(key.into()), value)),
        }
    }
}

/// MLflow's `_get_kubernetes_job_definition`. `timestamp` is
/// `%Y-%m-%d-%H-%M-%S-%f` of now; `env` the run's variables in order.
pub fn job_definition(
    project_name: &str,
    image_tag: &str,
    image_digest: &str,
    command: &[String],
    env: &[(String, String)],
    template: &PyValue,
    timestamp: &str,
) -> Result<PyValue, ProjectError> {
    let mut job = template.clone();
    let name = format!("{project_name}-{timestamp}");
    dict_mut(&mut job, "metadata").ok_or_else(|| template_error("metadata"))?;
    set(
        dict_mut(&mut job, "metadata").expect("checked"),
        "name",
        PyValue::Str(name),
    );
    let container = dict_mut(&mut job, "spec")
        .and_then(|s| dict_mut(s, "template"))
        .and_then(|t| dict_mut(t, "spec"))
        .and_then(|s| dict_mut(s, "containers"))
        .and_then(|c| match c {
            PyValue::List(l) => l.first_mut(),
            _ => None,
        })
        .ok_or_else(|| template_error("spec.template.spec.containers[0]"))?;
    set(container, "name", PyValue::Str(project_name.into()));
    set(
        container,
        "image",
        PyValue::Str(format!("{image_tag}@{image_digest}")),
    );
    set(
        container,
        "command",
        PyValue::List(command.iter().map(|c| PyValue::Str(c.clone())).collect()),
    );
    let mut vars = match container.get("env") {
        Some(PyValue::List(l)) => l.clone(),
        _ => Vec::new(),
    };
    for (k, v) in env {
        vars.push(PyValue::Dict(vec![
            (PyValue::Str("name".into()), PyValue::Str(k.clone())),
            (PyValue::Str("value".into()), PyValue::Str(v.clone())),
        ]));
    }
    set(container, "env", PyValue::List(vars));
    Ok(job)
}

/// The job as JSON for the Kubernetes API (and for comparing with MLflow's).
pub fn to_json(v: &PyValue) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        PyValue::None => J::Null,
        PyValue::Bool(b) => J::Bool(*b),
        PyValue::Int(i) => i64::try_from(*i)
            .map(J::from)
            .unwrap_or_else(|_| J::String(i.to_string())),
        PyValue::BigInt(s) | PyValue::Date(s) | PyValue::Str(s) => J::String(s.clone()),
        PyValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        PyValue::List(l) => J::Array(l.iter().map(to_json).collect()),
        PyValue::Dict(d) => J::Object(d.iter().map(|(k, v)| (k.py_str(), to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_shlex() {
        assert_eq!(
            shell_split("python train.py --alpha 'a b' \"c\\\"d\" e\\ f").unwrap(),
            vec!["python", "train.py", "--alpha", "a b", "c\"d", "e f"]
        );
        assert_eq!(
            run_command("python t.py 'a b'").unwrap(),
            vec!["python", "t.py", "'a b'"]
        );
    }
}
