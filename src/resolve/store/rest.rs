//! A tracking server's REST API (`/api/2.0/mlflow/…`), as the Python
//! client calls it.

use std::time::Duration;

use serde_json::Value;

use mlflowrs_env::EnvVars;
use mlflowrs_protocol::display::{error_chain, redact};

use super::records::{LoggedModelRecord, RunRecord, VersionRecord};
use crate::resolve::ResolveError;

/// How to talk to a tracking server: MLflow's client environment.
#[derive(Clone, Default)]
pub struct HttpSettings {
    pub username: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub insecure_tls: bool,
    /// A CA bundle (PEM) to trust, for servers with private certificates.
    pub server_cert_path: Option<std::path::PathBuf>,
    pub timeout: Duration,
}

/// Secrets print as `***`, so that a settings dump in a log or an error
/// never carries them.
impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "***");
        f.debug_struct("HttpSettings")
            .field("username", &self.username)
            .field("password", &hidden(&self.password))
            .field("token", &hidden(&self.token))
            .field("insecure_tls", &self.insecure_tls)
            .field("server_cert_path", &self.server_cert_path)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl HttpSettings {
    /// Reads `MLFLOW_TRACKING_USERNAME` / `_PASSWORD` / `_TOKEN`,
    /// `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH` and
    /// `MLFLOW_HTTP_REQUEST_TIMEOUT`.
    pub fn from_env() -> HttpSettings {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        HttpSettings {
            username: var(EnvVars::MLFLOW_TRACKING_USERNAME),
            password: var(EnvVars::MLFLOW_TRACKING_PASSWORD),
            token: var(EnvVars::MLFLOW_TRACKING_TOKEN),
            insecure_tls: var(EnvVars::MLFLOW_TRACKING_INSECURE_TLS)
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1"),
            server_cert_path: var(EnvVars::MLFLOW_TRACKING_SERVER_CERT_PATH).map(Into::into),
            timeout: Duration::from_secs(
                var(EnvVars::MLFLOW_HTTP_REQUEST_TIMEOUT)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(120),
            ),
        }
    }

    pub fn client(&self) -> Result<reqwest::Client, ResolveError> {
        let mut builder = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(Duration::from_secs(10))
            .danger_accept_invalid_certs(self.insecure_tls);
        if let Some(path) = &self.server_cert_path {
            let bad = |e: &dyn std::fmt::Display| {
                ResolveError::InvalidUri(format!(
                    "MLFLOW_TRACKING_SERVER_CERT_PATH={}: {e}",
                    path.display()
                ))
            };
            let pem = std::fs::read(path).map_err(|e| bad(&e))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(&e))? {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder
            .build()
            .map_err(|e| ResolveError::store("http client", e))
    }

    pub fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(token) = &self.token {
            req.bearer_auth(token)
        } else if let Some(user) = &self.username {
            req.basic_auth(user, self.password.as_deref())
        } else {
            req
        }
    }
}

pub struct RestStore {
    base: String,
    client: reqwest::Client,
    settings: HttpSettings,
}

/// A non-200 answer: status, MLflow error code and message.
pub(crate) struct Failure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl RestStore {
    pub fn new(uri: &str, settings: &HttpSettings) -> Result<RestStore, ResolveError> {
        Ok(RestStore {
            base: uri.trim_end_matches('/').to_string(),
            client: settings.client()?,
            settings: settings.clone(),
        })
    }

    pub fn describe(&self) -> String {
        redact(&self.base)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// Sends a request and maps transport and auth failures; other non-200
    /// answers come back as `Err(Ok(failure))` for the caller to name.
    async fn send(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<Result<Value, Failure>, ResolveError> {
        send_json(&self.describe(), self.settings.authorize(req)).await
    }

    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Result<Value, Failure>, ResolveError> {
        let url = format!("{}/api/2.0/mlflow/{path}", self.base);
        self.send(self.client.get(url).query(query)).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Result<Value, Failure>, ResolveError> {
        let url = format!("{}/api/2.0/mlflow/{path}", self.base);
        self.send(self.client.post(url).json(&body)).await
    }

    fn unexpected(&self, f: Failure) -> ResolveError {
        ResolveError::store(
            &self.describe(),
            format!("{} {}: {}", f.status, f.code, f.message),
        )
    }

    pub async fn check_registered_model(&self, name: &str) -> Result<(), ResolveError> {
        match self.get("registered-models/get", &[("name", name)]).await? {
            Ok(_) => Ok(()),
            Err(f) if f.code == "RESOURCE_DOES_NOT_EXIST" => {
                Err(ResolveError::UnknownModel(name.into()))
            }
            Err(f) => Err(self.unexpected(f)),
        }
    }

    pub async fn model_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<VersionRecord, ResolveError> {
        let q = [("name", name), ("version", version)];
        let unknown = || ResolveError::UnknownVersion {
            name: name.into(),
            version: version.into(),
        };
        let mv = match self.get("model-versions/get", &q).await? {
            Ok(v) => v,
            Err(f) if f.code == "RESOURCE_DOES_NOT_EXIST" => return Err(unknown()),
            Err(f) => return Err(self.unexpected(f)),
        };
        let mut record = version_record(&mv["model_version"]);
        match self.get("model-versions/get-download-uri", &q).await? {
            Ok(v) => record.storage_location = str_field(&v, "artifact_uri"),
            Err(f) if f.code == "RESOURCE_DOES_NOT_EXIST" => return Err(unknown()),
            Err(f) => return Err(self.unexpected(f)),
        }
        Ok(record)
    }

    pub async fn alias_version(&self, name: &str, alias: &str) -> Result<String, ResolveError> {
        match self
            .get(
                "registered-models/alias",
                &[("name", name), ("alias", alias)],
            )
            .await?
        {
            Ok(v) => str_field(&v["model_version"], "version").ok_or_else(|| {
                ResolveError::store(&self.describe(), "alias answer without a version")
            }),
            Err(f)
                if f.code == "RESOURCE_DOES_NOT_EXIST"
                    && f.message.contains("Registered Model") =>
            {
                Err(ResolveError::UnknownModel(name.into()))
            }
            Err(f)
                if f.code == "INVALID_PARAMETER_VALUE" || f.code == "RESOURCE_DOES_NOT_EXIST" =>
            {
                Err(ResolveError::UnknownAlias {
                    name: name.into(),
                    alias: alias.into(),
                })
            }
            Err(f) => Err(self.unexpected(f)),
        }
    }

    pub async fn latest_versions(
        &self,
        name: &str,
        stage: Option<&str>,
    ) -> Result<Vec<VersionRecord>, ResolveError> {
        let mut body = serde_json::json!({ "name": name });
        if let Some(s) = stage {
            body["stages"] = serde_json::json!([s]);
        }
        match self
            .post("registered-models/get-latest-versions", body)
            .await?
        {
            Ok(v) => Ok(v["model_versions"]
                .as_array()
                .map(|a| a.iter().map(version_record).collect())
                .unwrap_or_default()),
            Err(f) if f.code == "RESOURCE_DOES_NOT_EXIST" => {
                Err(ResolveError::UnknownModel(name.into()))
            }
            Err(f) => Err(self.unexpected(f)),
        }
    }

    pub async fn logged_model(&self, model_id: &str) -> Result<LoggedModelRecord, ResolveError> {
        match self.get(&format!("logged-models/{model_id}"), &[]).await? {
            Ok(v) => logged_model_record(&v["model"]["info"]).ok_or_else(|| {
                ResolveError::store(&self.describe(), "logged model without an artifact_uri")
            }),
            Err(f) if f.code == "RESOURCE_DOES_NOT_EXIST" || f.status == 404 => {
                Err(ResolveError::UnknownLoggedModel(model_id.into()))
            }
            Err(f) => Err(self.unexpected(f)),
        }
    }

    pub async fn run(&self, run_id: &str) -> Result<RunRecord, ResolveError> {
        match self.get("runs/get", &[("run_id", run_id)]).await? {
            Ok(v) => {
                let info = &v["run"]["info"];
                Ok(RunRecord {
                    experiment_id: str_field(info, "experiment_id").unwrap_or_default(),
                    artifact_uri: str_field(info, "artifact_uri").ok_or_else(|| {
                        ResolveError::store(&self.describe(), "run without an artifact_uri")
                    })?,
                })
            }
            Err(f) if f.code == "RESOURCE_DOES_NOT_EXIST" => {
                Err(ResolveError::UnknownRun(run_id.into()))
            }
            Err(f) => Err(self.unexpected(f)),
        }
    }

    pub async fn find_logged_model(
        &self,
        experiment_id: &str,
        name: &str,
        run_id: &str,
    ) -> Result<Option<LoggedModelRecord>, ResolveError> {
        let body = serde_json::json!({
            "experiment_ids": [experiment_id],
            "filter": format!("name = '{}'", name.replace('\'', "\\'")),
        });
        match self.post("logged-models/search", body).await? {
            Ok(v) => Ok(v["models"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| logged_model_record(&m["info"]))
                .find(|m| m.source_run_id.as_deref() == Some(run_id))),
            // A 2.x server has no logged models.
            Err(f) if f.status == 404 => Ok(None),
            Err(f) => Err(self.unexpected(f)),
        }
    }
}

/// Sends `req`; a 401/403 is a permission error, a transport error means
/// the store is unreachable, any other non-200 is returned for the caller.
pub(crate) async fn send_json(
    store: &str,
    req: reqwest::RequestBuilder,
) -> Result<Result<Value, Failure>, ResolveError> {
    let resp = req
        .send()
        .await
        .map_err(|e| ResolveError::unreachable(store, error_chain(&e)))?;
    let status = resp.status().as_u16();
    let text = resp
        .text()
        .await
        .map_err(|e| ResolveError::unreachable(store, error_chain(&e)))?;
    let json: Option<Value> = serde_json::from_str(&text).ok();
    if status == 200 {
        return Ok(Ok(json.unwrap_or(Value::Object(Default::default()))));
    }
    let code = json
        .as_ref()
        .and_then(|j| str_field(j, "error_code"))
        .unwrap_or_default();
    let message = json
        .as_ref()
        .and_then(|j| str_field(j, "message"))
        .unwrap_or_else(|| text.chars().take(300).collect());
    if status == 401 || status == 403 || code == "PERMISSION_DENIED" || code == "UNAUTHENTICATED" {
        return Err(ResolveError::PermissionDenied {
            store: store.into(),
            reason: format!("HTTP {status}: {}", message.trim()),
        });
    }
    Ok(Err(Failure {
        status,
        code,
        message,
    }))
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    match &v[key] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn version_record(mv: &Value) -> VersionRecord {
    VersionRecord {
        version: str_field(mv, "version").unwrap_or_default(),
        stage: str_field(mv, "current_stage").unwrap_or_else(|| "None".into()),
        source: str_field(mv, "source").unwrap_or_default(),
        storage_location: None,
        run_id: str_field(mv, "run_id").filter(|r| !r.is_empty()),
    }
}

fn logged_model_record(info: &Value) -> Option<LoggedModelRecord> {
    Some(LoggedModelRecord {
        model_id: str_field(info, "model_id")?,
        experiment_id: str_field(info, "experiment_id").unwrap_or_default(),
        artifact_uri: str_field(info, "artifact_uri")?,
        source_run_id: str_field(info, "source_run_id").filter(|r| !r.is_empty()),
    })
}
