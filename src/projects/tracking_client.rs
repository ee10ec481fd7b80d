//! The tracking calls `mlflow run` makes (`MlflowClient`): find or create
//! the experiment, create the run with its tags, log its parameters, tag
//! it, read its status, end it. One set of REST calls for every store: an
//! `http(s)` tracking server over the network, or a SQL store (SQLite,
//! PostgreSQL, in MLflow's schema) through the tracking server's own
//! handlers in process, so a run is written exactly as `mlflowrs server`
//! writes it.

use std::sync::Arc;

use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{json, Value as Json};
use tower::ServiceExt;

use mlflowrs_projects::ProjectError;

use crate::resolve::store::HttpSettings;

pub enum TrackingClient {
    /// Opened on first use, as MLflow's client touches the store only then
    /// (a run that fails before needing it leaves no database behind).
    InProcess {
        settings: Box<mlflowrs_tracking::Settings>,
        router: tokio::sync::OnceCell<axum::Router>,
    },
    Remote {
        base: String,
        client: reqwest::Client,
        http: HttpSettings,
    },
}

/// What the run's creation returns that later steps use.
#[derive(Debug, Clone)]
pub struct CreatedRun {
    pub run_id: String,
    pub experiment_id: String,
    pub artifact_uri: String,
}

impl TrackingClient {
    /// The client for `tracking_uri` (as MLflow reads MLFLOW_TRACKING_URI).
    pub fn open(tracking_uri: &str) -> Result<TrackingClient, ProjectError> {
        let scheme = mlflowrs_projects::spec::url_scheme(tracking_uri).to_ascii_lowercase();
        // SQLAlchemy's `dialect+driver`: postgresql+psycopg2:// is PostgreSQL.
        let dialect = scheme.split('+').next().unwrap_or("");
        match dialect {
            "http" | "https" => {
                let http = HttpSettings::from_env();
                let client = http
                    .client()
                    .map_err(|e| ProjectError::mlflow(e.to_string()))?;
                Ok(TrackingClient::Remote {
                    base: tracking_uri.trim_end_matches('/').to_string(),
                    client,
                    http,
                })
            }
            "sqlite" | "postgresql" | "postgres" => {
                let root = std::env::current_dir()
                    .map(|d| d.join("mlruns").display().to_string())
                    .unwrap_or_else(|_| "./mlruns".into());
                let settings = mlflowrs_tracking::Settings {
                    backend_store_uri: tracking_uri.to_string(),
                    default_artifact_root: root,
                    artifacts_destination: "./mlartifacts".into(),
                    serve_artifacts: false,
                    max_request_bytes: 64 * 1024 * 1024,
                    max_db_connections: 2,
                    auth: None,
                    max_concurrent_requests: 512,
                    model_version_source_regex: None,
                    ui: None,
                    static_prefix: String::new(),
                    graphql_limits: mlflowrs_tracking::GraphqlLimits {
                        max_root_fields: 10,
                        max_aliases: 10,
                    },
                };
                Ok(TrackingClient::InProcess {
                    settings: Box::new(settings),
                    router: tokio::sync::OnceCell::new(),
                })
            }
            "" | "file" => Err(ProjectError::mlflow(format!(
                "the tracking URI {tracking_uri} is a file store (./mlruns), which mlflowrs run does not write: set MLFLOW_TRACKING_URI to sqlite:///mlflow.db, a postgresql:// database or an http(s):// tracking server (`mlflow migrate-filestore` moves an mlruns directory into SQLite)"
            ))),
            other => Err(ProjectError::mlflow(format!(
                "mlflowrs run cannot track to a '{other}' store ({tracking_uri}): use sqlite://, postgresql:// or an http(s):// tracking server"
            ))),
        }
    }

    /// One REST call; MLflow's error answer becomes the exception the
    /// MLflow client would raise.
    async fn call(&self, method: &str, endpoint: &str, body: Json) -> Result<Json, ProjectError> {
        self.call_or_code(method, endpoint, body)
            .await?
            .map_err(|(_, e)| e)
    }

    /// The call, with an error answer's `error_code` beside the error.
    async fn call_or_code(
        &self,
        method: &str,
        endpoint: &str,
        body: Json,
    ) -> Result<Result<Json, (String, ProjectError)>, ProjectError> {
        let path = format!("/api/2.0/mlflow/{endpoint}");
        let (status, text) = match self {
            TrackingClient::InProcess { settings, router } => {
                let router = router
                    .get_or_try_init(|| async {
                        // The store's calls block (`Db` runs on blocking threads).
                        let settings = (**settings).clone();
                        let handle = tokio::runtime::Handle::current();
                        tokio::task::spawn_blocking(move || {
                            mlflowrs_tracking::Server::open(settings, handle)
                        })
                        .await
                        .map_err(|e| ProjectError::mlflow(e.to_string()))?
                        .map(|server| mlflowrs_tracking::router(Arc::new(server)))
                        .map_err(|e| ProjectError::mlflow(e.to_string()))
                    })
                    .await?;
                let (uri, payload) = if method == "GET" {
                    (format!("{path}?{}", query_string(&body)), Body::empty())
                } else {
                    (path.clone(), Body::from(body.to_string()))
                };
                let request = axum::http::Request::builder()
                    .method(method)
                    .uri(uri)
                    .header("content-type", "application/json")
                    .body(payload)
                    .map_err(|e| ProjectError::mlflow(e.to_string()))?;
                let response = router
                    .clone()
                    .oneshot(request)
                    .await
                    .map_err(|e| ProjectError::mlflow(e.to_string()))?;
                let status = response.status().as_u16();
                let bytes = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| ProjectError::mlflow(e.to_string()))?
                    .to_bytes();
                (status, String::from_utf8_lossy(&bytes).into_owned())
            }
            TrackingClient::Remote { base, client, http } => {
                let url = format!("{base}{path}");
                let req = if method == "GET" {
                    client.get(format!("{url}?{}", query_string(&body)))
                } else {
                    client.post(url).json(&body)
                };
                let response = http.authorize(req).send().await.map_err(|e| {
                    ProjectError::uncaught(
                        "mlflow.exceptions.MlflowException",
                        format!("API request to {base}{path} failed: {e}"),
                    )
                })?;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                (status, text)
            }
        };
        let parsed: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        if (200..300).contains(&status) {
            return Ok(Ok(parsed));
        }
        let message = parsed
            .get("message")
            .and_then(Json::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{status}: {text}"));
        let code = parsed
            .get("error_code")
            .and_then(Json::as_str)
            .unwrap_or("INTERNAL_ERROR");
        let error = match self {
            TrackingClient::InProcess { .. } => ProjectError::mlflow(message),
            TrackingClient::Remote { .. } => ProjectError::uncaught(
                "mlflow.exceptions.RestException",
                format!("{code}: {message}"),
            ),
        };
        Ok(Err((code.to_string(), error)))
    }

    /// `get_experiment_by_name`: `None` when there is none.
    pub async fn experiment_id_by_name(&self, name: &str) -> Result<Option<String>, ProjectError> {
        match self
            .call_or_code(
                "GET",
                "experiments/get-by-name",
                json!({ "experiment_name": name }),
            )
            .await?
        {
            Ok(v) => Ok(v["experiment"]["experiment_id"]
                .as_str()
                .map(str::to_string)),
            Err((code, _)) if code == "RESOURCE_DOES_NOT_EXIST" => Ok(None),
            Err((_, e)) => Err(e),
        }
    }

    pub async fn create_experiment(&self, name: &str) -> Result<String, ProjectError> {
        let v = self
            .call("POST", "experiments/create", json!({ "name": name }))
            .await?;
        Ok(v["experiment_id"].as_str().unwrap_or_default().to_string())
    }

    /// `create_run(experiment_id, tags)`: the user is the `mlflow.user` tag.
    pub async fn create_run(
        &self,
        experiment_id: &str,
        tags: &[(String, String)],
    ) -> Result<CreatedRun, ProjectError> {
        let user = tags
            .iter()
            .find(|(k, _)| k == "mlflow.user")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "unknown".into());
        let tag_list: Vec<Json> = tags
            .iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect();
        let v = self
            .call(
                "POST",
                "runs/create",
                json!({
                    "experiment_id": experiment_id,
                    "user_id": user,
                    "start_time": now_ms(),
                    "tags": tag_list,
                }),
            )
            .await?;
        let info = &v["run"]["info"];
        Ok(CreatedRun {
            run_id: info["run_id"].as_str().unwrap_or_default().to_string(),
            experiment_id: info["experiment_id"]
                .as_str()
                .unwrap_or(experiment_id)
                .to_string(),
            artifact_uri: info["artifact_uri"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// `get_run(run_id)`, for `--run-id`.
    pub async fn get_run(&self, run_id: &str) -> Result<CreatedRun, ProjectError> {
        let v = self
            .call("GET", "runs/get", json!({ "run_id": run_id }))
            .await?;
        let info = &v["run"]["info"];
        Ok(CreatedRun {
            run_id: run_id.to_string(),
            experiment_id: info["experiment_id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            artifact_uri: info["artifact_uri"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
    }

    pub async fn log_params(
        &self,
        run_id: &str,
        params: &[(String, String)],
    ) -> Result<(), ProjectError> {
        // The client sends at most 100 parameters per log-batch call.
        for chunk in params.chunks(100) {
            let list: Vec<Json> = chunk
                .iter()
                .map(|(k, v)| json!({ "key": k, "value": v }))
                .collect();
            self.call(
                "POST",
                "runs/log-batch",
                json!({ "run_id": run_id, "params": list, "metrics": [], "tags": [] }),
            )
            .await?;
        }
        Ok(())
    }

    pub async fn set_tag(&self, run_id: &str, key: &str, value: &str) -> Result<(), ProjectError> {
        self.call(
            "POST",
            "runs/set-tag",
            json!({ "run_id": run_id, "key": key, "value": value }),
        )
        .await
        .map(|_| ())
    }

    pub async fn run_status(&self, run_id: &str) -> Result<String, ProjectError> {
        let v = self
            .call("GET", "runs/get", json!({ "run_id": run_id }))
            .await?;
        Ok(v["run"]["info"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// `set_terminated(run_id, status)`. Against a tracking server the
    /// MLflow client then prints the run's and experiment's UI links on
    /// stdout (unless MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT): so does this.
    pub async fn end_run(&self, run_id: &str, status: &str) -> Result<(), ProjectError> {
        self.call(
            "POST",
            "runs/update",
            json!({ "run_id": run_id, "status": status, "end_time": now_ms() }),
        )
        .await?;
        let TrackingClient::Remote { base, .. } = self else {
            return Ok(());
        };
        let suppressed =
            std::env::var(mlflowrs_env::EnvVars::MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT)
                .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1"));
        if suppressed {
            return Ok(());
        }
        let run = self
            .call("GET", "runs/get", json!({ "run_id": run_id }))
            .await?;
        let info = &run["run"]["info"];
        let experiment = info["experiment_id"].as_str().unwrap_or_default();
        let name = info["run_name"].as_str().unwrap_or_default();
        let experiment_url = format!("{base}/#/experiments/{experiment}");
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = write!(
            out,
            "\u{1f3c3} View run {name} at: {experiment_url}/runs/{run_id}\n\u{1f9ea} View experiment at: {experiment_url}\n"
        );
        let _ = out.flush();
        Ok(())
    }

    /// MLflow's `_maybe_set_run_terminated`. It means to keep a status the
    /// command set itself, but in MLflow 3.17.2 `RunStatus.is_terminated`
    /// is handed the status as a string and never matches, so the run always
    /// ends with the command's outcome: so does it here.
    pub async fn end_run_after_command(
        &self,
        run_id: &str,
        status: &str,
    ) -> Result<(), ProjectError> {
        self.run_status(run_id).await?;
        self.end_run(run_id, status).await
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn query_string(body: &Json) -> String {
    let Some(obj) = body.as_object() else {
        return String::new();
    };
    obj.iter()
        .map(|(k, v)| {
            let v = match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{}={}", encode(k), encode(&v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
