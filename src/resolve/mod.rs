//! From a model URI to a local model directory, as MLflow resolves it:
//! `models:/` against the registry, `runs:/` and `models:/m-…` against the
//! tracking store, artifact locations fetched into the cache (local ones
//! are used in place).

mod artifacts;
mod cache;
mod error;
mod local;
pub mod store;
pub mod uri;

use std::path::PathBuf;

pub use cache::Cache;
pub use error::ResolveError;
pub use local::LocalOnly;
pub use store::HttpSettings;

use artifacts::{locate, Fetcher, Location};
use store::Store;
use uri::{ModelUri, Selector};

/// Where the stores are and where downloads go.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub tracking_uri: String,
    pub registry_uri: String,
    pub cache_dir: PathBuf,
    pub http: HttpSettings,
}

impl StoreConfig {
    /// MLflow's default tracking URI (3.7+): `./mlruns` when it already holds
    /// experiments, else `sqlite:///mlflow.db`.
    pub fn default_tracking_uri() -> String {
        let mlruns = std::path::Path::new("mlruns");
        let has_experiments = std::fs::read_dir(mlruns)
            .is_ok_and(|mut it| it.any(|e| e.is_ok_and(|e| e.path().join("meta.yaml").is_file())));
        if has_experiments {
            "mlruns".into()
        } else {
            "sqlite:///mlflow.db".into()
        }
    }
}

/// How the served files were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// A local directory, used where it is.
    InPlace,
    CacheHit,
    Downloaded,
}

impl Fetch {
    pub fn as_str(self) -> &'static str {
        match self {
            Fetch::InPlace => "in_place",
            Fetch::CacheHit => "cache_hit",
            Fetch::Downloaded => "downloaded",
        }
    }
}

/// What a model URI resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub uri: String,
    /// The model directory to load.
    pub dir: PathBuf,
    pub name: Option<String>,
    pub version: Option<String>,
    pub alias: Option<String>,
    /// The version's stage, for registry URIs.
    pub stage: Option<String>,
    pub model_id: Option<String>,
    pub run_id: Option<String>,
    /// The concrete artifact location the files came from.
    pub source: String,
    pub fetch: Fetch,
}

impl Resolved {
    /// `uri`, before anything about it is known.
    fn of(uri: &str) -> Resolved {
        Resolved {
            uri: uri.to_string(),
            dir: PathBuf::new(),
            name: None,
            version: None,
            alias: None,
            stage: None,
            model_id: None,
            run_id: None,
            source: String::new(),
            fetch: Fetch::InPlace,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "uri": self.uri,
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "stage": self.stage,
            "model_id": self.model_id,
            "run_id": self.run_id,
            "source": self.source,
            "local_path": self.dir.display().to_string(),
            "fetch": self.fetch.as_str(),
        })
    }
}

/// What turns `models serve`'s model URIs into directories: `Resolver`
/// reaches every store, `LocalOnly` (image binaries) none, so that a binary
/// links only the stores it is handed.
pub trait ResolveModel: Send + Sync {
    fn resolve<'a>(
        &'a self,
        model_uri: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<Resolved, ResolveError>>;
}

impl ResolveModel for Resolver {
    fn resolve<'a>(
        &'a self,
        model_uri: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<Resolved, ResolveError>> {
        Box::pin(Resolver::resolve(self, model_uri))
    }
}

pub struct Resolver {
    config: StoreConfig,
    cache: Cache,
}

/// Registry sources may point at other URIs (`models:/m-…`, `runs:/…`,
/// another version); a loop ends here.
const MAX_HOPS: usize = 8;

impl Resolver {
    pub fn new(config: StoreConfig) -> Resolver {
        let cache = Cache::new(config.cache_dir.clone());
        Resolver { config, cache }
    }

    fn tracking(&self) -> Result<Store, ResolveError> {
        Store::open(&self.config.tracking_uri, &self.config.http)
    }

    fn registry(&self) -> Result<Store, ResolveError> {
        Store::open(&self.config.registry_uri, &self.config.http)
    }

    pub async fn resolve(&self, uri: &str) -> Result<Resolved, ResolveError> {
        let mut out = Resolved::of(uri);
        let mut current = uri.to_string();
        for _ in 0..MAX_HOPS {
            match self.step(&current, &mut out).await? {
                Step::Next(next) => current = next,
                Step::Artifacts(location_uri) => {
                    let tracking = self.tracking()?;
                    let location = locate(&location_uri, &tracking)?;
                    out.source = location_uri;
                    let fetcher = Fetcher {
                        http: &self.config.http,
                    };
                    let (dir, fetch) = self.materialize(&fetcher, &location).await?;
                    out.dir = dir;
                    out.fetch = fetch;
                    if !out.dir.join("MLmodel").is_file() {
                        return Err(ResolveError::ArtifactMissing(format!(
                            "'{}' ({}) holds no MLmodel file",
                            uri, out.source
                        )));
                    }
                    tracing::info!(
                        uri,
                        name = out.name.as_deref(),
                        version = out.version.as_deref(),
                        alias = out.alias.as_deref(),
                        model_id = out.model_id.as_deref(),
                        source = %out.source,
                        fetch = out.fetch.as_str(),
                        dir = %out.dir.display(),
                        "resolved model"
                    );
                    return Ok(out);
                }
            }
        }
        Err(ResolveError::InvalidUri(format!(
            "'{uri}' did not resolve to artifacts within {MAX_HOPS} steps (a registry source that points at itself?)"
        )))
    }

    async fn step(&self, current: &str, out: &mut Resolved) -> Result<Step, ResolveError> {
        match uri::parse(current)? {
            ModelUri::Local(_) | ModelUri::Remote(_) => Ok(Step::Artifacts(current.to_string())),
            ModelUri::Registered {
                name,
                selector,
                sub_path,
            } => {
                let registry = self.registry()?;
                registry.check_registered_model(&name).await?;
                let version = match &selector {
                    Selector::Version(v) => v.clone(),
                    Selector::Alias(a) => registry.alias_version(&name, a).await?,
                    Selector::Latest => registry.latest_version(&name, None).await?,
                    Selector::Stage(s) => {
                        let stage = uri::canonical_stage(s)?;
                        registry.latest_version(&name, Some(stage)).await?
                    }
                };
                let record = registry.model_version(&name, &version).await?;
                if out.name.is_none() {
                    out.name = Some(name);
                    out.version = Some(record.version.clone());
                    out.stage = Some(record.stage.clone());
                    if let Selector::Alias(a) = selector {
                        out.alias = Some(a);
                    }
                }
                out.run_id = out.run_id.take().or(record.run_id.clone());
                let download = record.download_uri().to_string();
                if let Some(id) = record
                    .source
                    .strip_prefix("models:/")
                    .filter(|s| s.starts_with("m-"))
                {
                    out.model_id
                        .get_or_insert_with(|| id.trim_end_matches('/').to_string());
                }
                Ok(Step::Next(uri::join(&download, &sub_path)))
            }
            ModelUri::LoggedModel { model_id, sub_path } => {
                let model = self.tracking()?.logged_model(&model_id).await?;
                out.model_id.get_or_insert(model.model_id);
                if out.run_id.is_none() {
                    out.run_id = model.source_run_id;
                }
                Ok(Step::Next(uri::join(&model.artifact_uri, &sub_path)))
            }
            ModelUri::Run { run_id, path } => {
                let tracking = self.tracking()?;
                let run = tracking.run(&run_id).await?;
                out.run_id.get_or_insert(run_id.clone());
                let in_run = uri::join(&run.artifact_uri, &path);
                let fetcher = Fetcher {
                    http: &self.config.http,
                };
                if fetcher.has_mlmodel(&locate(&in_run, &tracking)?).await? {
                    return Ok(Step::Artifacts(in_run));
                }
                // MLflow 3 logs models outside the run: runs:/<run>/<name>
                // names the logged model <name> that the run produced.
                let (first, rest) = path.split_once('/').unwrap_or((&path, ""));
                match tracking
                    .find_logged_model(&run.experiment_id, first, &run_id)
                    .await?
                {
                    Some(model) if !first.is_empty() => {
                        out.model_id.get_or_insert(model.model_id);
                        Ok(Step::Artifacts(uri::join(&model.artifact_uri, rest)))
                    }
                    _ => Err(ResolveError::ArtifactMissing(format!(
                        "no model at '{current}': run {run_id} has no MLmodel under '{path}' and logged no model named '{first}'"
                    ))),
                }
            }
        }
    }

    async fn materialize(
        &self,
        fetcher: &Fetcher<'_>,
        location: &Location,
    ) -> Result<(PathBuf, Fetch), ResolveError> {
        if let Location::Local(path) = location {
            if !path.exists() {
                return Err(ResolveError::ArtifactMissing(format!(
                    "model path '{}' does not exist",
                    path.display()
                )));
            }
            return Ok((path.clone(), Fetch::InPlace));
        }
        let id = location.id();
        if let Some(dir) = self.cache.lookup(&id) {
            return Ok((dir, Fetch::CacheHit));
        }
        let staged = self.cache.staging_dir()?;
        let result = fetcher.download(location, &staged).await;
        match result {
            Ok(0) => {
                let _ = std::fs::remove_dir_all(&staged);
                Err(ResolveError::ArtifactMissing(format!(
                    "no artifacts at {id}"
                )))
            }
            Ok(files) => {
                tracing::info!(location = %id, files, "downloaded model artifacts");
                Ok((self.cache.commit(&id, &staged)?, Fetch::Downloaded))
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staged);
                Err(e)
            }
        }
    }
}

enum Step {
    /// Another URI to resolve.
    Next(String),
    /// A concrete artifact location.
    Artifacts(String),
}
