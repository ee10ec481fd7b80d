//! Command-line definitions only; the commands themselves live in `commands`.
//! Flag names and meanings follow `mlflow models serve` / `predict`; every
//! flag can also be set through the environment variable it names.

use std::path::PathBuf;

use crate::serving::model_load::OnnxBackend;
use clap::{Args, Parser, Subcommand, ValueEnum};
use mlflowrs_env::EnvVars;

#[derive(Debug, Parser)]
#[command(
    name = "mlflowrs",
    version,
    about = "MLflow-compatible model serving runtime"
)]
pub struct Cli {
    #[command(flatten)]
    pub logging: LogArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The option every command takes (the image binaries' CLI takes it too).
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log filter, as RUST_LOG (e.g. `info`, `mlflowrs=debug`).
    #[arg(long, env = EnvVars::MLFLOWRS_LOG, default_value = "info", global = true)]
    pub log: String,
}

// Parsed once per process; boxing the big variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with MLflow models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Exit 0 when a URL answers 200 (the images' HEALTHCHECK; they have no curl).
    Healthcheck(HealthcheckArgs),
    /// Run a tracking and model-registry server speaking MLflow's REST API
    /// (the `mlflow` client works against it), as `mlflow server` does.
    #[command(disable_help_flag = true)]
    Server(ServerArgs),
    /// MLflow's web UI, which `mlflowrs server` serves.
    #[command(subcommand)]
    Ui(UiCommand),
    /// Run an MLflow project (a directory, git repository or zip with an
    /// MLproject file) as `mlflow run` does: a tracking run is created and
    /// the entry point's command runs in the project's environment.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The project: a local directory, a git repository URI, or a zip
    /// archive; `URI#subdirectory` runs a project inside it.
    pub uri: String,
    /// Entry point within the project; an undeclared `x.py` or `x.sh` runs
    /// that script.
    #[arg(short = 'e', long, value_name = "NAME", default_value = "main")]
    pub entry_point: String,
    /// Version of a git project: a commit, branch or tag.
    #[arg(short = 'v', long, value_name = "VERSION")]
    pub version: Option<String>,
    /// A parameter, `-P name=value` (repeatable); undeclared ones are passed
    /// to the command as `--name value`.
    #[arg(short = 'P', long = "param-list", value_name = "NAME=VALUE")]
    pub param_list: Vec<String>,
    /// A `docker run` argument, `-A name=value` or `-A flag` (repeatable).
    #[arg(short = 'A', long = "docker-args", value_name = "NAME=VALUE")]
    pub docker_args: Vec<String>,
    /// Experiment to run in, created when missing.
    #[arg(long, env = EnvVars::MLFLOW_EXPERIMENT_NAME)]
    pub experiment_name: Option<String>,
    /// Experiment id to run in.
    #[arg(long, env = EnvVars::MLFLOW_EXPERIMENT_ID)]
    pub experiment_id: Option<String>,
    /// Execution backend: `local` or `kubernetes`.
    #[arg(short = 'b', long, value_name = "BACKEND", default_value = "local")]
    pub backend: String,
    /// Backend configuration: a path ending in `.json`, or inline JSON.
    #[arg(short = 'c', long, value_name = "FILE")]
    pub backend_config: Option<String>,
    /// Environment manager: `local`, `virtualenv`, `uv` or `conda`
    /// (default: from the project's environment file).
    #[arg(long)]
    pub env_manager: Option<String>,
    /// Parent directory of the per-run directory that remote `path`
    /// parameters are downloaded into.
    #[arg(long, env = EnvVars::MLFLOW_TMP_DIR)]
    pub storage_dir: Option<PathBuf>,
    /// Reuse this existing run instead of creating one (as MLflow's
    /// asynchronous launches do); no tags or parameters are logged.
    #[arg(long, value_name = "RUN_ID")]
    pub run_id: Option<String>,
    /// Name of the run.
    #[arg(long, value_name = "RUN_NAME")]
    pub run_name: Option<String>,
    /// Docker projects: build an image from the project's image with the
    /// project's files in it.
    #[arg(long)]
    pub build_image: bool,
}

#[derive(Debug, Subcommand)]
pub enum UiCommand {
    /// Download the pinned `mlflow` wheel (its prebuilt UI) into mlflowrs's
    /// cache, checking its sha256, for `mlflowrs server` to serve.
    Fetch(UiFetchArgs),
}

#[derive(Debug, Args)]
pub struct UiFetchArgs {
    /// The Python package index (PEP 503 simple API) to download from.
    #[arg(
        long,
        env = EnvVars::PIP_INDEX_URL,
        default_value = "https://pypi.org/simple"
    )]
    pub index_url: String,
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Where runs, models and the registry are stored: sqlite:///path.db or
    /// postgresql://user:password@host:port/database (MLflow's own schema).
    #[arg(
        long,
        env = EnvVars::MLFLOWRS_BACKEND_STORE_URI,
        default_value = "sqlite:///mlflow.db"
    )]
    pub backend_store_uri: String,
    /// Artifact root of new experiments. Default: mlflow-artifacts:/ when
    /// serving artifacts, else ./mlruns.
    #[arg(long, env = EnvVars::MLFLOWRS_DEFAULT_ARTIFACT_ROOT)]
    pub default_artifact_root: Option<String>,
    /// The local directory behind mlflow-artifacts:/ URIs.
    #[arg(
        long,
        env = EnvVars::MLFLOWRS_ARTIFACTS_DESTINATION,
        default_value = "./mlartifacts"
    )]
    pub artifacts_destination: PathBuf,
    /// Serve the artifact proxy (/api/2.0/mlflow-artifacts/…); the default.
    #[arg(
        long,
        env = EnvVars::MLFLOWRS_SERVE_ARTIFACTS,
        overrides_with = "no_serve_artifacts"
    )]
    pub serve_artifacts: bool,
    /// Do not serve the artifact proxy.
    #[arg(long, env = EnvVars::MLFLOWRS_NO_SERVE_ARTIFACTS)]
    pub no_serve_artifacts: bool,
    /// Address to listen on.
    #[arg(
        short = 'h',
        long,
        env = EnvVars::MLFLOWRS_SERVER_HOST,
        default_value = "127.0.0.1"
    )]
    pub host: String,
    /// Port to listen on.
    #[arg(
        short = 'p',
        long,
        env = EnvVars::MLFLOWRS_SERVER_PORT,
        default_value_t = 5000
    )]
    pub port: u16,
    /// Largest REST request body, in bytes (artifact uploads are streamed and not bounded by it).
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_REQUEST_BYTES, default_value_t = 64 * 1024 * 1024)]
    pub max_request_bytes: usize,
    /// Database connections open at once (MLflow's SQLAlchemy pool: 5 + 10
    /// overflow); further requests wait for a free one.
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_DB_CONNECTIONS, default_value_t = 15)]
    pub max_db_connections: usize,
    /// Requests handled at once; more get 429 (REQUEST_LIMIT_EXCEEDED).
    /// `/health` and `/version` are always answered.
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_CONCURRENT_REQUESTS, default_value_t = 512)]
    pub max_concurrent_requests: usize,
    /// Bytes of a request body left unread by an early answer (429, 413,
    /// 401, 404) read and discarded to keep the connection open; past it
    /// the answer says `Connection: close`.
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_DRAIN_BYTES, default_value_t = 65_536)]
    pub max_drain_bytes: usize,
    /// Seconds a client may take to send a request's headers, and an idle
    /// keep-alive connection may wait for its next request.
    #[arg(long, env = EnvVars::MLFLOWRS_HEADER_TIMEOUT, default_value_t = 30)]
    pub header_timeout: u64,
    /// Model version sources must match this regular expression
    /// (searched anywhere in the source, as Python's `re.search`).
    #[arg(long, env = EnvVars::MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX)]
    pub model_version_source_regex: Option<String>,
    /// `basic-auth`: require credentials and enforce permissions as
    /// `mlflow server --app-name basic-auth` does (MLflow's auth tables,
    /// users, grants and roles).
    #[arg(long, env = EnvVars::MLFLOWRS_APP_NAME, value_parser = ["basic-auth"])]
    pub app_name: Option<String>,
    /// The auth app's INI file (MLflow's format, section [mlflow]:
    /// default_permission, database_uri, admin_username, admin_password).
    #[arg(long, env = EnvVars::MLFLOW_AUTH_CONFIG_PATH)]
    pub auth_config: Option<PathBuf>,
    /// Where users and grants are stored (overrides the INI's database_uri;
    /// default sqlite:///basic_auth.db).
    #[arg(long, env = EnvVars::MLFLOWRS_AUTH_DATABASE_URI)]
    pub auth_database_uri: Option<String>,
    /// Permission of users on resources they hold no grant for: READ, USE,
    /// EDIT, MANAGE or NO_PERMISSIONS (overrides the INI; default READ).
    #[arg(long, env = EnvVars::MLFLOWRS_AUTH_DEFAULT_PERMISSION)]
    pub auth_default_permission: Option<String>,
    /// The admin user created at first start (default admin).
    #[arg(long, env = EnvVars::MLFLOW_AUTH_ADMIN_USERNAME)]
    pub auth_admin_username: Option<String>,
    /// The admin's password, at least 12 characters; needed only to create
    /// the admin.
    #[arg(long, env = EnvVars::MLFLOW_AUTH_ADMIN_PASSWORD, hide_env_values = true)]
    pub auth_admin_password: Option<mlflowrs_tracking::auth::config::Secret>,
    /// MLflow's web UI to serve: an `mlflow` wheel file, an `mlflow` package
    /// directory or its `server/js/build` directory (default: the installed
    /// `mlflow` of python3 on PATH, `$VIRTUAL_ENV` or `./.venv`, else the
    /// wheel `mlflowrs ui fetch` cached).
    #[arg(long, env = EnvVars::MLFLOWRS_UI_BUNDLE)]
    pub ui_bundle: Option<PathBuf>,
    /// Serve every route under this path prefix (e.g. /mlflow), as `mlflow
    /// server --static-prefix`.
    #[arg(long, env = EnvVars::MLFLOW_STATIC_PREFIX)]
    pub static_prefix: Option<String>,
    /// Most root fields one /graphql query may select (MLflow's limit).
    #[arg(long, env = EnvVars::MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS, default_value_t = 10)]
    pub graphql_max_root_fields: usize,
    /// Most aliases one /graphql selection set may hold (MLflow's limit).
    #[arg(long, env = EnvVars::MLFLOW_SERVER_GRAPHQL_MAX_ALIASES, default_value_t = 10)]
    pub graphql_max_aliases: usize,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// An http:// URL.
    #[arg(
        long,
        env = EnvVars::MLFLOWRS_HEALTHCHECK_URL,
        default_value = "http://127.0.0.1:8080/ping"
    )]
    pub url: String,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Serve a model over MLflow's scoring protocol (/ping, /health, /version, /invocations).
    #[command(disable_help_flag = true)]
    Serve(ServeArgs),
    /// Score a local file, as `mlflow models predict` does.
    Predict(PredictArgs),
    /// Resolve a model URI (downloading it into the cache if remote) and
    /// print what it resolved to as JSON.
    Resolve(ResolveArgs),
    /// Build a Docker image serving the model on port 8080, through the Docker Engine API.
    BuildDocker(BuildDockerArgs),
    /// Write the Dockerfile and context `build-docker` uses (`docker build DIR` builds it).
    GenerateDockerfile(GenerateDockerfileArgs),
}

/// What goes into a model image.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// Model URI (any form `serve` takes).
    #[arg(short = 'm', long = "model-uri", env = EnvVars::MLFLOWRS_MODEL_URI)]
    pub model_uri: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Base image: default `scratch` for native flavors, `python:<python_env.yaml's version>-slim`
    /// for Python models (MLflow's choice).
    #[arg(long, env = EnvVars::MLFLOWRS_BASE_IMAGE)]
    pub base_image: Option<String>,
    /// Accepted for MLflow compatibility: a Python model's requirements are
    /// always installed into the image with pip.
    #[arg(
        long,
        value_enum,
        env = EnvVars::MLFLOWRS_ENV_MANAGER,
        default_value = "local"
    )]
    pub env_manager: EnvManager,
    /// Accepted for MLflow compatibility (mlflow comes from the model's requirements.txt).
    #[arg(long, env = EnvVars::MLFLOWRS_INSTALL_MLFLOW)]
    pub install_mlflow: bool,
    /// ONNX Runtime library to put into the image (default: found as `serve` finds it).
    #[arg(long, env = EnvVars::ORT_DYLIB_PATH)]
    pub ort_library: Option<PathBuf>,
    /// Python (with pip, the base image's minor version) that installs a Python model's requirements.
    #[arg(long, env = EnvVars::MLFLOWRS_PYTHON)]
    pub python: Option<PathBuf>,
    /// What serves an ONNX model in the image: `ort` (ONNX Runtime's
    /// library goes into the image) or `tract` (no ONNX Runtime; needs a
    /// build with tract).
    #[arg(
        long,
        value_enum,
        env = EnvVars::MLFLOWRS_ONNX_BACKEND,
        default_value = "ort"
    )]
    pub onnx_backend: crate::docker::context::ImageOnnxBackend,
}

#[derive(Debug, Args)]
pub struct BuildDockerArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Image name and tag.
    #[arg(
        short = 'n',
        long = "name",
        env = EnvVars::MLFLOWRS_IMAGE_NAME,
        default_value = "mlflow-pyfunc-servable"
    )]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct GenerateDockerfileArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Directory for the Dockerfile and its context.
    #[arg(
        short = 'd',
        long = "output-directory",
        env = EnvVars::MLFLOWRS_OUTPUT_DIRECTORY,
        default_value = "mlflow-dockerfile"
    )]
    pub output_directory: PathBuf,
}

/// Where `models:/` and `runs:/` URIs are looked up, as MLflow's client
/// finds its stores.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Tracking store: http(s)://server, sqlite:///mlflow.db, postgresql://…,
    /// or a file store path (default: ./mlruns if it holds experiments, else sqlite:///mlflow.db).
    #[arg(long, env = EnvVars::MLFLOW_TRACKING_URI)]
    pub tracking_uri: Option<String>,
    /// Model registry for `models:/` URIs (default: the tracking URI).
    #[arg(long, env = EnvVars::MLFLOW_REGISTRY_URI)]
    pub registry_uri: Option<String>,
    /// Directory for models downloaded from S3 or a tracking server
    /// (default: $XDG_CACHE_HOME/mlflowrs/models or ~/.cache/mlflowrs/models).
    #[arg(long, env = EnvVars::MLFLOWRS_MODEL_CACHE_DIR)]
    pub model_cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The model URI: a path, file://, models:/, runs:/, mlflow-artifacts:/ or s3:// URI.
    #[arg(short = 'm', long = "model-uri", env = EnvVars::MLFLOWRS_MODEL_URI)]
    pub model_uri: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvManager {
    Local,
    Virtualenv,
    Uv,
    Conda,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PyfuncBatching {
    Auto,
    Always,
    Off,
}

/// Options shared by every command that loads a model.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Model URI: a directory holding an MLmodel file, file://, models:/name/version,
    /// models:/name@alias, models:/name/stage, models:/name/latest, models:/m-…,
    /// runs:/run_id/path, mlflow-artifacts:/… or s3://…. `serve` takes several,
    /// each as `NAME=URI` or `URI` (named after the registered model or directory).
    #[arg(
        short = 'm',
        long = "model-uri",
        env = EnvVars::MLFLOWRS_MODEL_URI,
        value_delimiter = ',',
        required = true
    )]
    pub model_uri: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Python environment for models only Python can run: `local` uses --python
    /// (or the active virtualenv, ./.venv, python3 on PATH); `virtualenv` and
    /// `uv` build a cached environment from the model's python_env.yaml and
    /// requirements.txt once. Native flavors need none.
    #[arg(
        long,
        value_enum,
        env = EnvVars::MLFLOWRS_ENV_MANAGER,
        default_value = "local"
    )]
    pub env_manager: EnvManager,
    /// Same as `--env-manager local` (accepted for MLflow compatibility).
    #[arg(long, env = EnvVars::MLFLOWRS_NO_CONDA)]
    pub no_conda: bool,
    /// Accepted for MLflow compatibility; native flavors do not use Python.
    #[arg(long, env = EnvVars::MLFLOWRS_INSTALL_MLFLOW)]
    pub install_mlflow: bool,
    /// Python interpreter for Python models under `--env-manager local`, and the
    /// base interpreter for `virtualenv`.
    #[arg(long, env = EnvVars::MLFLOWRS_PYTHON)]
    pub python: Option<PathBuf>,
    /// Whether a Python worker may answer several queued requests with one
    /// predict call: `auto` for row-wise flavors (sklearn, xgboost, lightgbm,
    /// catboost, onnx) and plain DataFrame requests without params; `always`
    /// for every model; `off`.
    #[arg(
        long,
        value_enum,
        env = EnvVars::MLFLOWRS_PYFUNC_BATCHING,
        default_value = "auto"
    )]
    pub pyfunc_batching: PyfuncBatching,
    /// Where `virtualenv`/`uv` environments are cached (default: ~/.cache/mlflowrs/envs).
    #[arg(long, env = EnvVars::MLFLOWRS_ENV_CACHE_DIR)]
    pub env_cache_dir: Option<PathBuf>,
    /// Path of libonnxruntime (default: beside the binary, ./.venv, or python3's onnxruntime).
    #[arg(long, env = EnvVars::ORT_DYLIB_PATH)]
    pub ort_library: Option<PathBuf>,
    /// ONNX Runtime intra-op threads per session (default: cores / workers, at least 1).
    #[arg(long, env = EnvVars::MLFLOWRS_INTRA_OP_THREADS)]
    pub intra_op_threads: Option<usize>,
    /// What runs `onnx` models: `ort` (ONNX Runtime), `tract` (pure Rust), or
    /// `auto` (ONNX Runtime when its library is found, else tract).
    #[arg(
        long,
        value_enum,
        env = EnvVars::MLFLOWRS_ONNX_BACKEND,
        default_value = "auto"
    )]
    pub onnx_backend: OnnxBackend,
    /// Sentences a `sentence_transformers` model (candle) encodes per forward
    /// pass; a request with more runs in several passes.
    #[arg(long, env = EnvVars::MLFLOWRS_EMBEDDING_BATCH_SIZE, default_value_t = 32)]
    pub embedding_batch_size: usize,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Port to listen on.
    #[arg(short = 'p', long, env = EnvVars::MLFLOW_PORT, default_value_t = 5000)]
    pub port: u16,
    /// Address to bind.
    #[arg(short = 'h', long, env = EnvVars::MLFLOW_HOST, default_value = "127.0.0.1")]
    pub host: String,
    /// Concurrent inference sessions (default: the number of CPU cores).
    #[arg(short = 'w', long, env = EnvVars::MLFLOW_MODELS_WORKERS)]
    pub workers: Option<usize>,
    /// Seconds a request may take before it is answered with 504.
    #[arg(
        short = 't',
        long,
        env = EnvVars::MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT,
        default_value_t = 60
    )]
    pub timeout: u64,
    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_BODY_BYTES, default_value_t = 104_857_600)]
    pub max_body_bytes: usize,
    /// Requests handled at once; more get 429 (REQUEST_LIMIT_EXCEEDED).
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_CONCURRENT_REQUESTS, default_value_t = 512)]
    pub max_concurrent_requests: usize,
    /// Bytes of a request body left unread by an early answer (429, 413,
    /// 401, 404) read and discarded to keep the connection open; past it
    /// the answer says `Connection: close`.
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_DRAIN_BYTES, default_value_t = 65_536)]
    pub max_drain_bytes: usize,
    /// Rows one request may carry; more get 400. 0: no limit (as MLflow).
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_ROWS, default_value_t = 0)]
    pub max_rows: usize,
    /// Seconds in-flight requests may take to finish after SIGTERM/SIGINT.
    #[arg(long, env = EnvVars::MLFLOWRS_SHUTDOWN_TIMEOUT, default_value_t = 30)]
    pub shutdown_timeout: u64,
    /// Seconds a client may take to send a request's headers, and an idle
    /// keep-alive connection may wait for its next request; then the
    /// connection is closed.
    #[arg(long, env = EnvVars::MLFLOWRS_HEADER_TIMEOUT, default_value_t = 30)]
    pub header_timeout: u64,
    /// Route `/invocations` between served models by weight, e.g. `a=90,b=10`.
    #[arg(long, env = EnvVars::MLFLOWRS_SPLIT)]
    pub split: Option<String>,
    /// Requests with this header go to the same model every time (sticky A/B).
    #[arg(
        long,
        env = EnvVars::MLFLOWRS_SPLIT_HEADER,
        default_value = "x-mlflowrs-route-key"
    )]
    pub split_header: String,
    /// Rows one model call may carry when queued requests are batched; 1 turns batching off.
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_BATCH_ROWS, default_value_t = 1024)]
    pub max_batch_rows: usize,
    /// Milliseconds to wait for more requests to batch once one arrived (0: never wait).
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_BATCH_DELAY_MS, default_value_t = 0)]
    pub max_batch_delay_ms: u64,
    /// Requests that may wait for a free inference thread; more wait for room.
    #[arg(long, env = EnvVars::MLFLOWRS_MAX_QUEUE, default_value_t = 1024)]
    pub max_queue: usize,
    /// Seconds between re-resolving model URIs; a moved alias or stage is
    /// then served without a restart (0: resolve once, at start). `--watch`
    /// alone means every 10 seconds.
    #[arg(
        long,
        visible_alias = "watch",
        env = EnvVars::MLFLOWRS_WATCH_INTERVAL,
        default_value_t = 0,
        num_args = 0..=1,
        default_missing_value = "10"
    )]
    pub watch_interval: u64,
    /// Serve `/metrics` on this port of --host instead of the scoring port.
    #[arg(long, env = EnvVars::MLFLOWRS_METRICS_PORT)]
    pub metrics_port: Option<u16>,
    /// Also serve the Open Inference Protocol over gRPC
    /// (`inference.GRPCInferenceService`, as Triton's clients speak it) on
    /// this port of --host. Off unless given.
    #[arg(long, env = EnvVars::MLFLOWRS_GRPC_PORT)]
    pub grpc_port: Option<u16>,
    /// Require `Authorization: Bearer <KEY>` on every route but the health
    /// checks (`/ping`, `/health`, `/v2/health/*`). Prefer the environment
    /// variable: a flag shows in the process list.
    #[arg(long, env = EnvVars::MLFLOWRS_API_KEY, hide_env_values = true)]
    pub api_key: Option<String>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputType {
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Input file (default: standard input).
    #[arg(short = 'i', long = "input-path", env = EnvVars::MLFLOWRS_INPUT_PATH)]
    pub input_path: Option<PathBuf>,
    /// Output file (default: standard output).
    #[arg(short = 'o', long = "output-path", env = EnvVars::MLFLOWRS_OUTPUT_PATH)]
    pub output_path: Option<PathBuf>,
    /// Input format.
    #[arg(
        short = 't',
        long = "content-type",
        value_enum,
        env = EnvVars::MLFLOWRS_CONTENT_TYPE,
        default_value = "json"
    )]
    pub content_type: InputType,
}
