//! MLflow's file store (`./mlruns`) read directly: experiments, runs and
//! logged models as `meta.yaml` files, the registry under `models/`.

use std::path::{Path, PathBuf};

use serde_norway::Value;

use super::records::{LoggedModelRecord, RunRecord, VersionRecord};
use crate::resolve::uri::local_path;
use crate::resolve::ResolveError;

pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub fn new(uri: &str) -> Result<FileStore, ResolveError> {
        let root = local_path(uri).ok_or_else(|| {
            ResolveError::InvalidUri(format!("'{uri}' is not a file store location"))
        })?;
        Ok(FileStore { root })
    }

    pub fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn check_root(&self) -> Result<(), ResolveError> {
        if self.root.is_dir() {
            Ok(())
        } else {
            Err(ResolveError::unreachable(
                &self.describe(),
                "no file store (mlruns directory) there",
            ))
        }
    }

    fn model_dir(&self, name: &str) -> Result<PathBuf, ResolveError> {
        self.check_root()?;
        // A name is one path segment; anything else cannot be a model here.
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(ResolveError::UnknownModel(name.into()));
        }
        let dir = self.root.join("models").join(name);
        if dir.join("meta.yaml").is_file() {
            Ok(dir)
        } else {
            Err(ResolveError::UnknownModel(name.into()))
        }
    }

    pub fn check_registered_model(&self, name: &str) -> Result<(), ResolveError> {
        self.model_dir(name).map(|_| ())
    }

    pub fn model_version(&self, name: &str, version: &str) -> Result<VersionRecord, ResolveError> {
        let unknown = || ResolveError::UnknownVersion {
            name: name.into(),
            version: version.into(),
        };
        let number: u64 = version.parse().map_err(|_| unknown())?;
        let dir = self.model_dir(name)?.join(format!("version-{number}"));
        let meta = read_yaml(&dir.join("meta.yaml"), &self.describe())?.ok_or_else(unknown)?;
        let record = version_record(&meta);
        if record.stage == "Deleted_Internal" {
            return Err(unknown());
        }
        Ok(record)
    }

    pub fn versions(&self, name: &str) -> Result<Vec<VersionRecord>, ResolveError> {
        let dir = self.model_dir(name)?;
        let mut out = Vec::new();
        for entry in read_dir(&dir, &self.describe())? {
            let is_version = entry
                .file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("version-"))
                .is_some_and(|n| n.parse::<u64>().is_ok());
            if is_version {
                if let Some(meta) = read_yaml(&entry.path().join("meta.yaml"), &self.describe())? {
                    out.push(version_record(&meta));
                }
            }
        }
        Ok(out)
    }

    pub fn alias_version(&self, name: &str, alias: &str) -> Result<String, ResolveError> {
        let dir = self.model_dir(name)?;
        let unknown = || ResolveError::UnknownAlias {
            name: name.into(),
            alias: alias.into(),
        };
        if alias.contains(['/', '\\']) || alias == "." || alias == ".." {
            return Err(unknown());
        }
        if let Ok(text) = std::fs::read_to_string(dir.join("aliases").join(alias)) {
            return Ok(text.trim().to_string());
        }
        // Older writers kept aliases only in the model's meta.yaml.
        let meta = read_yaml(&dir.join("meta.yaml"), &self.describe())?.ok_or_else(unknown)?;
        match &meta["aliases"][alias] {
            Value::String(v) => Ok(v.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(unknown()),
        }
    }

    /// Experiment directories: every numbered child of the root.
    fn experiments(&self) -> Result<Vec<PathBuf>, ResolveError> {
        self.check_root()?;
        Ok(read_dir(&self.root, &self.describe())?
            .into_iter()
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                    && e.path().join("meta.yaml").is_file()
            })
            .map(|e| e.path())
            .collect())
    }

    pub fn logged_model(&self, model_id: &str) -> Result<LoggedModelRecord, ResolveError> {
        let unknown = || ResolveError::UnknownLoggedModel(model_id.into());
        if model_id.contains(['/', '\\']) || model_id.starts_with('.') {
            return Err(unknown());
        }
        for exp in self.experiments()? {
            let meta_path = exp.join("models").join(model_id).join("meta.yaml");
            if let Some(meta) = read_yaml(&meta_path, &self.describe())? {
                return logged_model_record(&meta, &exp).ok_or_else(unknown);
            }
        }
        Err(unknown())
    }

    pub fn run(&self, run_id: &str) -> Result<RunRecord, ResolveError> {
        let unknown = || ResolveError::UnknownRun(run_id.into());
        if run_id.contains(['/', '\\']) || run_id.starts_with('.') || run_id == "models" {
            return Err(unknown());
        }
        for exp in self.experiments()? {
            if let Some(meta) = read_yaml(&exp.join(run_id).join("meta.yaml"), &self.describe())? {
                return Ok(RunRecord {
                    experiment_id: text(&meta["experiment_id"]).unwrap_or_default(),
                    artifact_uri: text(&meta["artifact_uri"]).ok_or_else(unknown)?,
                });
            }
        }
        Err(unknown())
    }

    pub fn find_logged_model(
        &self,
        experiment_id: &str,
        name: &str,
        run_id: &str,
    ) -> Result<Option<LoggedModelRecord>, ResolveError> {
        let exp = self.root.join(experiment_id);
        let models = exp.join("models");
        if !models.is_dir() {
            return Ok(None);
        }
        let mut best: Option<(i64, LoggedModelRecord)> = None;
        for entry in read_dir(&models, &self.describe())? {
            let Some(meta) = read_yaml(&entry.path().join("meta.yaml"), &self.describe())? else {
                continue;
            };
            let matches = text(&meta["name"]).as_deref() == Some(name)
                && text(&meta["source_run_id"]).as_deref() == Some(run_id);
            if !matches {
                continue;
            }
            let created = meta["creation_timestamp"].as_i64().unwrap_or(0);
            if let Some(record) = logged_model_record(&meta, &exp) {
                if best.as_ref().is_none_or(|(t, _)| created > *t) {
                    best = Some((created, record));
                }
            }
        }
        Ok(best.map(|(_, r)| r))
    }
}

fn read_dir(dir: &Path, store: &str) -> Result<Vec<std::fs::DirEntry>, ResolveError> {
    std::fs::read_dir(dir)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ResolveError::store(store, format!("{}: {e}", dir.display())))
}

/// `Ok(None)` when the file does not exist.
fn read_yaml(path: &Path, store: &str) -> Result<Option<Value>, ResolveError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(ResolveError::PermissionDenied {
                store: store.into(),
                reason: format!("{}: {e}", path.display()),
            })
        }
        Err(e) => {
            return Err(ResolveError::store(
                store,
                format!("{}: {e}", path.display()),
            ))
        }
    };
    serde_norway::from_str(&text)
        .map(Some)
        .map_err(|e| ResolveError::store(store, format!("{}: {e}", path.display())))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn version_record(meta: &Value) -> VersionRecord {
    VersionRecord {
        version: text(&meta["version"]).unwrap_or_default(),
        stage: text(&meta["current_stage"]).unwrap_or_else(|| "None".into()),
        source: text(&meta["source"]).unwrap_or_default(),
        storage_location: text(&meta["storage_location"]),
        run_id: text(&meta["run_id"]).filter(|r| !r.is_empty()),
    }
}

fn logged_model_record(meta: &Value, experiment_dir: &Path) -> Option<LoggedModelRecord> {
    let model_id = text(&meta["model_id"])?;
    Some(LoggedModelRecord {
        artifact_uri: text(&meta["artifact_location"]).unwrap_or_else(|| {
            experiment_dir
                .join("models")
                .join(&model_id)
                .join("artifacts")
                .display()
                .to_string()
        }),
        model_id,
        experiment_id: text(&meta["experiment_id"]).unwrap_or_default(),
        source_run_id: text(&meta["source_run_id"]),
    })
}
