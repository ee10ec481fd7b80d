//! Model URIs parsed the way MLflow parses them
//! (`mlflow/store/artifact/utils/models.py`, `runs_artifact_repo.py`).

use std::path::PathBuf;

use super::ResolveError;

/// Which version of a registered model a `models:/` URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Version(String),
    /// As written; matched case-insensitively against the four stages.
    Stage(String),
    Latest,
    Alias(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelUri {
    Local(PathBuf),
    Registered {
        name: String,
        selector: Selector,
        /// A path inside the model's artifacts ("" for the model itself).
        sub_path: String,
    },
    /// MLflow 3 `models:/m-…`.
    LoggedModel {
        model_id: String,
        sub_path: String,
    },
    Run {
        run_id: String,
        path: String,
    },
    /// A concrete artifact location: `mlflow-artifacts:`, `s3:`, …
    Remote(String),
}

/// The scheme as Python's `urlparse` sees it, lower-cased; "" for a path.
pub fn scheme(uri: &str) -> String {
    match uri.split_once(':') {
        Some((s, _))
            if s.len() > 1
                && s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            s.to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

/// `(netloc, path)` of `scheme:[//netloc]path`.
fn netloc_and_path(uri: &str) -> (&str, &str) {
    let rest = uri.split_once(':').map(|(_, r)| r).unwrap_or(uri);
    match rest.strip_prefix("//") {
        Some(r) => match r.find('/') {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, ""),
        },
        None => ("", rest),
    }
}

fn improper_models_uri(uri: &str) -> ResolveError {
    ResolveError::InvalidUri(format!(
        "Not a proper models:/ URI: {uri}. Models URIs must be of the form 'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time."
    ))
}

fn improper_runs_uri(uri: &str) -> ResolveError {
    ResolveError::InvalidUri(format!(
        "Not a proper runs:/ URI: {uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'"
    ))
}

/// A `file:` URI or a plain path as a local path.
pub fn local_path(uri: &str) -> Option<PathBuf> {
    match scheme(uri).as_str() {
        "" => Some(PathBuf::from(uri)),
        "file" => {
            let (_, path) = netloc_and_path(uri);
            Some(PathBuf::from(percent_decode(path)))
        }
        _ => None,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse(uri: &str) -> Result<ModelUri, ResolveError> {
    if let Some(path) = local_path(uri) {
        return Ok(ModelUri::Local(path));
    }
    match scheme(uri).as_str() {
        "models" => parse_models(uri),
        "runs" => parse_runs(uri),
        "mlflow-artifacts" | "s3" | "http" | "https" => Ok(ModelUri::Remote(uri.to_string())),
        other => Err(ResolveError::Unsupported(format!(
            "model URI '{uri}': the '{other}' scheme is not supported (supported: paths, file:, models:, runs:, mlflow-artifacts:, s3:)"
        ))),
    }
}

/// `models:/<name>/<v>/sub/path` into (`models:/<name>/<v>`, `sub/path`), as
/// `ModelsArtifactRepository.split_models_uri`.
fn split_models_uri(uri: &str) -> (String, String) {
    let uri = uri.trim_end_matches('/');
    let (netloc, path) = netloc_and_path(uri);
    if path.matches('/').count() >= 2 && !path.ends_with('/') {
        let splits: Vec<&str> = path.splitn(4, '/').collect();
        let cut = if splits[1].contains('@') { 2 } else { 3 };
        let base = if netloc.is_empty() {
            "models:".to_string()
        } else {
            format!("models://{netloc}")
        };
        let cut = cut.min(splits.len());
        return (base + &splits[..cut].join("/"), splits[cut..].join("/"));
    }
    (uri.to_string(), String::new())
}

fn parse_models(uri: &str) -> Result<ModelUri, ResolveError> {
    let (base, sub_path) = split_models_uri(uri);
    let (netloc, path) = netloc_and_path(&base);
    if !netloc.is_empty() {
        return Err(ResolveError::Unsupported(format!(
            "model URI '{uri}': models URIs with a registry profile (models://{netloc}/…) are not supported"
        )));
    }
    if !path.starts_with('/') || path.len() <= 1 {
        return Err(improper_models_uri(uri));
    }
    let parts: Vec<&str> = path[1..].split('/').collect();
    if parts.len() > 2 || parts[0].trim().is_empty() {
        return Err(improper_models_uri(uri));
    }
    if let [name, suffix] = parts[..] {
        if suffix.trim().is_empty() {
            return Err(improper_models_uri(uri));
        }
        let selector = if suffix.chars().all(|c| c.is_ascii_digit()) {
            Selector::Version(suffix.to_string())
        } else if suffix.eq_ignore_ascii_case("latest") {
            Selector::Latest
        } else {
            Selector::Stage(suffix.to_string())
        };
        return Ok(ModelUri::Registered {
            name: name.to_string(),
            selector,
            sub_path,
        });
    }
    if let Some((name, alias)) = parts[0].rsplit_once('@') {
        if alias.trim().is_empty() {
            return Err(improper_models_uri(uri));
        }
        return Ok(ModelUri::Registered {
            name: name.to_string(),
            selector: Selector::Alias(alias.to_string()),
            sub_path,
        });
    }
    Ok(ModelUri::LoggedModel {
        model_id: parts[0].to_string(),
        sub_path,
    })
}

fn parse_runs(uri: &str) -> Result<ModelUri, ResolveError> {
    let (_, path) = netloc_and_path(uri);
    if !path.starts_with('/') || path.len() <= 1 {
        return Err(improper_runs_uri(uri));
    }
    let (run_id, rest) = path[1..].split_once('/').unwrap_or((&path[1..], ""));
    if run_id.is_empty() {
        return Err(improper_runs_uri(uri));
    }
    Ok(ModelUri::Run {
        run_id: run_id.to_string(),
        path: rest.trim_matches('/').to_string(),
    })
}

/// The canonical spelling of a stage, matched case-insensitively.
pub fn canonical_stage(stage: &str) -> Result<&'static str, ResolveError> {
    ["None", "Staging", "Production", "Archived"]
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(stage))
        .ok_or_else(|| ResolveError::InvalidStage(stage.to_string()))
}

/// `base` + `/` + `sub`, for artifact URIs.
pub fn join(base: &str, sub: &str) -> String {
    let sub = sub.trim_matches('/');
    if sub.is_empty() {
        base.to_string()
    } else {
        format!("{}/{sub}", base.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(name: &str, selector: Selector, sub: &str) -> ModelUri {
        ModelUri::Registered {
            name: name.into(),
            selector,
            sub_path: sub.into(),
        }
    }

    #[test]
    fn models_uris_parse_as_mlflow_parses_them() {
        let v = |s: &str| Selector::Version(s.into());
        assert_eq!(
            parse("models:/iris/1").unwrap(),
            registered("iris", v("1"), "")
        );
        assert_eq!(
            parse("models:/iris/12/").unwrap(),
            registered("iris", v("12"), "")
        );
        assert_eq!(
            parse("models:/iris/LATEST").unwrap(),
            registered("iris", Selector::Latest, "")
        );
        assert_eq!(
            parse("models:/iris/production").unwrap(),
            registered("iris", Selector::Stage("production".into()), "")
        );
        assert_eq!(
            parse("models:/iris@champion").unwrap(),
            registered("iris", Selector::Alias("champion".into()), "")
        );
        assert_eq!(
            parse("models:/a@b@c").unwrap(),
            registered("a@b", Selector::Alias("c".into()), "")
        );
        assert_eq!(
            parse("models:/iris/1/sub/dir").unwrap(),
            registered("iris", v("1"), "sub/dir")
        );
        assert_eq!(
            parse("models:/iris@prod/sub").unwrap(),
            registered("iris", Selector::Alias("prod".into()), "sub")
        );
        assert_eq!(
            parse("models:/m-0123abc").unwrap(),
            ModelUri::LoggedModel {
                model_id: "m-0123abc".into(),
                sub_path: "".into()
            }
        );
        for bad in [
            "models:/",
            "models:",
            "models:/iris@",
            "models:iris/1",
            "models:/ /1",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(matches!(e, ResolveError::InvalidUri(_)), "{bad}: {e}");
            assert!(
                e.to_string().starts_with("Not a proper models:/ URI"),
                "{e}"
            );
        }
        assert!(matches!(
            parse("models://prof@databricks/x/1"),
            Err(ResolveError::Unsupported(_))
        ));
    }

    #[test]
    fn runs_and_other_uris() {
        assert_eq!(
            parse("runs:/abc/model").unwrap(),
            ModelUri::Run {
                run_id: "abc".into(),
                path: "model".into()
            }
        );
        assert_eq!(
            parse("runs:/abc/a/b/").unwrap(),
            ModelUri::Run {
                run_id: "abc".into(),
                path: "a/b".into()
            }
        );
        assert_eq!(
            parse("runs:/abc").unwrap(),
            ModelUri::Run {
                run_id: "abc".into(),
                path: "".into()
            }
        );
        for bad in ["runs:", "runs:/", "runs://x"] {
            assert!(
                matches!(parse(bad), Err(ResolveError::InvalidUri(_))),
                "{bad}"
            );
        }
        assert_eq!(parse("/a/b").unwrap(), ModelUri::Local("/a/b".into()));
        assert_eq!(parse("rel/m").unwrap(), ModelUri::Local("rel/m".into()));
        assert_eq!(
            parse("file:///a/b%20c").unwrap(),
            ModelUri::Local("/a/b c".into())
        );
        assert_eq!(parse("file:/a/b").unwrap(), ModelUri::Local("/a/b".into()));
        assert_eq!(
            parse("s3://b/k").unwrap(),
            ModelUri::Remote("s3://b/k".into())
        );
        assert!(matches!(
            parse("gs://b/k"),
            Err(ResolveError::Unsupported(_))
        ));
    }

    #[test]
    fn stages_are_case_insensitive() {
        assert_eq!(canonical_stage("PRODUCTION").unwrap(), "Production");
        assert_eq!(canonical_stage("none").unwrap(), "None");
        assert_eq!(
            canonical_stage("Foo").unwrap_err().to_string(),
            "Invalid Model Version stage: Foo. Value must be one of None, Staging, Production, Archived."
        );
    }
}
