//! Every environment variable mlflowrs reads, in one place (as uv's
//! `EnvVars`). Flags name their variable through these constants, and
//! code that reads the environment directly uses them too, so a search
//! for a variable's name lands here. `docs/environment-variables.md` lists
//! the same names; a test keeps the two in step.

/// The registry: one constant per variable, named as the variable.
pub struct EnvVars;

impl EnvVars {
    /// S3 region when `AWS_REGION` is unset.
    pub const AWS_DEFAULT_REGION: &'static str = "AWS_DEFAULT_REGION";

    /// S3 region (else `AWS_DEFAULT_REGION`; `us-east-1` when neither is set). The other standard `AWS_*` credentials are read by the S3 client.
    pub const AWS_REGION: &'static str = "AWS_REGION";

    /// Base of the default caches when `XDG_CACHE_HOME` is unset (`~/.cache/mlflowrs/...`).
    pub const HOME: &'static str = "HOME";

    /// `--api-key`: Require `Authorization: Bearer <KEY>` on every route but the health checks (`/ping`, `/health`, `/v2/health/*`). Prefer the environment variable: a flag shows in the process list.
    pub const MLFLOWRS_API_KEY: &'static str = "MLFLOWRS_API_KEY";

    /// `--app-name`: `basic-auth`: require credentials and enforce permissions as `mlflow server --app-name basic-auth` does (MLflow's auth tables, users, grants and roles).
    pub const MLFLOWRS_APP_NAME: &'static str = "MLFLOWRS_APP_NAME";

    /// `--artifacts-destination`: The local directory behind mlflow-artifacts:/ URIs.
    pub const MLFLOWRS_ARTIFACTS_DESTINATION: &'static str = "MLFLOWRS_ARTIFACTS_DESTINATION";

    /// `--auth-database-uri`: Where users and grants are stored (overrides the INI's database_uri; default sqlite:///basic_auth.db).
    pub const MLFLOWRS_AUTH_DATABASE_URI: &'static str = "MLFLOWRS_AUTH_DATABASE_URI";

    /// `--auth-default-permission`: Permission of users on resources they hold no grant for: READ, USE, EDIT, MANAGE or NO_PERMISSIONS (overrides the INI; default READ).
    pub const MLFLOWRS_AUTH_DEFAULT_PERMISSION: &'static str = "MLFLOWRS_AUTH_DEFAULT_PERMISSION";

    /// `--backend-store-uri`: Where runs, models and the registry are stored: sqlite:///path.db or postgresql://user:password@host:port/database (MLflow's own schema).
    pub const MLFLOWRS_BACKEND_STORE_URI: &'static str = "MLFLOWRS_BACKEND_STORE_URI";

    /// `--base-image`: Base image: default `scratch` for native flavors, `python:<python_env.yaml's version>-slim` for Python models (MLflow's choice).
    pub const MLFLOWRS_BASE_IMAGE: &'static str = "MLFLOWRS_BASE_IMAGE";

    /// `--content-type`: Input format.
    pub const MLFLOWRS_CONTENT_TYPE: &'static str = "MLFLOWRS_CONTENT_TYPE";

    /// `--default-artifact-root`: Artifact root of new experiments. Default: mlflow-artifacts:/ when serving artifacts, else ./mlruns.
    pub const MLFLOWRS_DEFAULT_ARTIFACT_ROOT: &'static str = "MLFLOWRS_DEFAULT_ARTIFACT_ROOT";

    /// `--embedding-batch-size`: Sentences a `sentence_transformers` model (candle) encodes per forward pass; a request with more runs in several passes.
    pub const MLFLOWRS_EMBEDDING_BATCH_SIZE: &'static str = "MLFLOWRS_EMBEDDING_BATCH_SIZE";

    /// `--env-cache-dir`: Where `virtualenv`/`uv` environments are cached (default: ~/.cache/mlflowrs/envs).
    pub const MLFLOWRS_ENV_CACHE_DIR: &'static str = "MLFLOWRS_ENV_CACHE_DIR";

    /// `--env-manager`: Python environment for models only Python can run: `local` uses --python (or the active virtualenv, ./.venv, python3 on PATH); `virtualenv` and `uv` build a cached environment from the model's python_env.yaml and requirements.txt once. Native flavors need none.
    pub const MLFLOWRS_ENV_MANAGER: &'static str = "MLFLOWRS_ENV_MANAGER";

    /// `--grpc-port`: Also serve the Open Inference Protocol over gRPC (`inference.GRPCInferenceService`, as Triton's clients speak it) on this port of --host. Off unless given.
    pub const MLFLOWRS_GRPC_PORT: &'static str = "MLFLOWRS_GRPC_PORT";

    /// `--header-timeout`: Seconds a client may take to send a request's headers, and an idle keep-alive connection may wait for its next request; then the connection is closed.
    pub const MLFLOWRS_HEADER_TIMEOUT: &'static str = "MLFLOWRS_HEADER_TIMEOUT";

    /// `--url`: An http:// URL.
    pub const MLFLOWRS_HEALTHCHECK_URL: &'static str = "MLFLOWRS_HEALTHCHECK_URL";

    /// `--name`: Image name and tag.
    pub const MLFLOWRS_IMAGE_NAME: &'static str = "MLFLOWRS_IMAGE_NAME";

    /// `--input-path`: Input file (default: standard input).
    pub const MLFLOWRS_INPUT_PATH: &'static str = "MLFLOWRS_INPUT_PATH";

    /// `--install-mlflow`: Accepted for MLflow compatibility; native flavors do not use Python.
    pub const MLFLOWRS_INSTALL_MLFLOW: &'static str = "MLFLOWRS_INSTALL_MLFLOW";

    /// `--intra-op-threads`: ONNX Runtime intra-op threads per session (default: cores / workers, at least 1).
    pub const MLFLOWRS_INTRA_OP_THREADS: &'static str = "MLFLOWRS_INTRA_OP_THREADS";

    /// `--log`: Log filter, as RUST_LOG (e.g. `info`, `mlflowrs=debug`).
    pub const MLFLOWRS_LOG: &'static str = "MLFLOWRS_LOG";

    /// `--max-batch-delay-ms`: Milliseconds to wait for more requests to batch once one arrived (0: never wait).
    pub const MLFLOWRS_MAX_BATCH_DELAY_MS: &'static str = "MLFLOWRS_MAX_BATCH_DELAY_MS";

    /// `--max-batch-rows`: Rows one model call may carry when queued requests are batched; 1 turns batching off.
    pub const MLFLOWRS_MAX_BATCH_ROWS: &'static str = "MLFLOWRS_MAX_BATCH_ROWS";

    /// `--max-body-bytes`: Largest request body accepted, in bytes; larger ones get 413.
    pub const MLFLOWRS_MAX_BODY_BYTES: &'static str = "MLFLOWRS_MAX_BODY_BYTES";

    /// `--max-concurrent-requests`: Requests handled at once; more get 429 (REQUEST_LIMIT_EXCEEDED).
    pub const MLFLOWRS_MAX_CONCURRENT_REQUESTS: &'static str = "MLFLOWRS_MAX_CONCURRENT_REQUESTS";

    /// `--max-drain-bytes`: The most of a request body left unread by an early answer (429, 413, 401, 404) that is read and discarded to keep the keep-alive connection open; past it the answer says `Connection: close`.
    pub const MLFLOWRS_MAX_DRAIN_BYTES: &'static str = "MLFLOWRS_MAX_DRAIN_BYTES";

    /// `--max-db-connections`: Database connections open at once (MLflow's SQLAlchemy pool: 5 + 10 overflow); further requests wait for a free one.
    pub const MLFLOWRS_MAX_DB_CONNECTIONS: &'static str = "MLFLOWRS_MAX_DB_CONNECTIONS";

    /// `--max-queue`: Requests that may wait for a free inference thread; more wait for room.
    pub const MLFLOWRS_MAX_QUEUE: &'static str = "MLFLOWRS_MAX_QUEUE";

    /// `--max-request-bytes`: Largest REST request body, in bytes (artifact uploads are streamed and not bounded by it).
    pub const MLFLOWRS_MAX_REQUEST_BYTES: &'static str = "MLFLOWRS_MAX_REQUEST_BYTES";

    /// `--max-rows`: Rows one request may carry; more get 400. 0: no limit (as MLflow).
    pub const MLFLOWRS_MAX_ROWS: &'static str = "MLFLOWRS_MAX_ROWS";

    /// `--metrics-port`: Serve `/metrics` on this port of --host instead of the scoring port.
    pub const MLFLOWRS_METRICS_PORT: &'static str = "MLFLOWRS_METRICS_PORT";

    /// `--model-cache-dir`: Directory for models downloaded from S3 or a tracking server (default: $XDG_CACHE_HOME/mlflowrs/models or ~/.cache/mlflowrs/models).
    pub const MLFLOWRS_MODEL_CACHE_DIR: &'static str = "MLFLOWRS_MODEL_CACHE_DIR";

    /// `--model-uri`: Model URI: a directory holding an MLmodel file, file://, models:/name/version, models:/name@alias, models:/name/stage, models:/name/latest, models:/m-…, runs:/run_id/path, mlflow-artifacts:/… or s3://…. `serve` takes several, each as `NAME=URI` or `URI` (named after the registered model or directory).
    pub const MLFLOWRS_MODEL_URI: &'static str = "MLFLOWRS_MODEL_URI";

    /// `--no-conda`: Same as `--env-manager local` (accepted for MLflow compatibility).
    pub const MLFLOWRS_NO_CONDA: &'static str = "MLFLOWRS_NO_CONDA";

    /// `--no-serve-artifacts`: Do not serve the artifact proxy.
    pub const MLFLOWRS_NO_SERVE_ARTIFACTS: &'static str = "MLFLOWRS_NO_SERVE_ARTIFACTS";

    /// `--onnx-backend`: What runs `onnx` models: `ort` (ONNX Runtime), `tract` (pure Rust), or `auto` (ONNX Runtime when its library is found, else tract).
    pub const MLFLOWRS_ONNX_BACKEND: &'static str = "MLFLOWRS_ONNX_BACKEND";

    /// `--output-directory`: Directory for the Dockerfile and its context.
    pub const MLFLOWRS_OUTPUT_DIRECTORY: &'static str = "MLFLOWRS_OUTPUT_DIRECTORY";

    /// `--output-path`: Output file (default: standard output).
    pub const MLFLOWRS_OUTPUT_PATH: &'static str = "MLFLOWRS_OUTPUT_PATH";

    /// `--pyfunc-batching`: Whether a Python worker may answer several queued requests with one predict call: `auto` for row-wise flavors (sklearn, xgboost, lightgbm, catboost, onnx) and plain DataFrame requests without params; `always` for every model; `off`.
    pub const MLFLOWRS_PYFUNC_BATCHING: &'static str = "MLFLOWRS_PYFUNC_BATCHING";

    /// `--python`: Python interpreter for Python models under `--env-manager local`, and the base interpreter for `virtualenv`.
    pub const MLFLOWRS_PYTHON: &'static str = "MLFLOWRS_PYTHON";

    /// `--host`: Address to listen on.
    pub const MLFLOWRS_SERVER_HOST: &'static str = "MLFLOWRS_SERVER_HOST";

    /// `--port`: Port to listen on.
    pub const MLFLOWRS_SERVER_PORT: &'static str = "MLFLOWRS_SERVER_PORT";

    /// `--serve-artifacts`: Serve the artifact proxy (/api/2.0/mlflow-artifacts/…); the default.
    pub const MLFLOWRS_SERVE_ARTIFACTS: &'static str = "MLFLOWRS_SERVE_ARTIFACTS";

    /// `--ui-bundle`: MLflow's web UI to serve: an `mlflow` wheel file, an `mlflow` package directory or its `server/js/build` directory (default: the installed `mlflow` of python3 on PATH, `$VIRTUAL_ENV` or `./.venv`, else the wheel `mlflowrs ui fetch` cached).
    pub const MLFLOWRS_UI_BUNDLE: &'static str = "MLFLOWRS_UI_BUNDLE";

    /// `--shutdown-timeout`: Seconds in-flight requests may take to finish after SIGTERM/SIGINT.
    pub const MLFLOWRS_SHUTDOWN_TIMEOUT: &'static str = "MLFLOWRS_SHUTDOWN_TIMEOUT";

    /// `--split`: Route `/invocations` between served models by weight, e.g. `a=90,b=10`.
    pub const MLFLOWRS_SPLIT: &'static str = "MLFLOWRS_SPLIT";

    /// `--split-header`: Requests with this header go to the same model every time (sticky A/B).
    pub const MLFLOWRS_SPLIT_HEADER: &'static str = "MLFLOWRS_SPLIT_HEADER";

    /// `--watch-interval`: Seconds between re-resolving model URIs; a moved alias or stage is then served without a restart (0: resolve once, at start). `--watch` alone means every 10 seconds.
    pub const MLFLOWRS_WATCH_INTERVAL: &'static str = "MLFLOWRS_WATCH_INTERVAL";

    /// `--auth-admin-password`: The admin's password, at least 12 characters; needed only to create the admin.
    pub const MLFLOW_AUTH_ADMIN_PASSWORD: &'static str = "MLFLOW_AUTH_ADMIN_PASSWORD";

    /// `--auth-admin-username`: The admin user created at first start (default admin).
    pub const MLFLOW_AUTH_ADMIN_USERNAME: &'static str = "MLFLOW_AUTH_ADMIN_USERNAME";

    /// `--auth-config`: The auth app's INI file (MLflow's format, section [mlflow]: default_permission, database_uri, admin_username, admin_password).
    pub const MLFLOW_AUTH_CONFIG_PATH: &'static str = "MLFLOW_AUTH_CONFIG_PATH";

    /// `--model-version-source-regex`: Model version sources must match this regular expression (`re.search`), as in `mlflow server`.
    pub const MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX: &'static str =
        "MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX";

    /// `--host`: Address to bind.
    pub const MLFLOW_HOST: &'static str = "MLFLOW_HOST";

    /// Seconds one request to the tracking server may take (default 120).
    pub const MLFLOW_HTTP_REQUEST_TIMEOUT: &'static str = "MLFLOW_HTTP_REQUEST_TIMEOUT";

    /// `--workers`: Concurrent inference sessions (default: the number of CPU cores).
    pub const MLFLOW_MODELS_WORKERS: &'static str = "MLFLOW_MODELS_WORKERS";

    /// `--port`: Port to listen on.
    pub const MLFLOW_PORT: &'static str = "MLFLOW_PORT";

    /// `--registry-uri`: Model registry for `models:/` URIs (default: the tracking URI).
    pub const MLFLOW_REGISTRY_URI: &'static str = "MLFLOW_REGISTRY_URI";

    /// `--graphql-max-aliases`: Most aliases one `/graphql` selection set may hold (MLflow's limit, default 10).
    pub const MLFLOW_SERVER_GRAPHQL_MAX_ALIASES: &'static str = "MLFLOW_SERVER_GRAPHQL_MAX_ALIASES";

    /// `--graphql-max-root-fields`: Most root fields one `/graphql` query may select (MLflow's limit, default 10).
    pub const MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS: &'static str =
        "MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS";

    /// `--static-prefix`: Serve every route under this path prefix (e.g. `/mlflow`), as `mlflow server --static-prefix`.
    pub const MLFLOW_STATIC_PREFIX: &'static str = "MLFLOW_STATIC_PREFIX";

    /// Endpoint of an S3-compatible server for `s3://` artifacts (as MLflow).
    pub const MLFLOW_S3_ENDPOINT_URL: &'static str = "MLFLOW_S3_ENDPOINT_URL";

    /// `true`: do not verify the S3 endpoint's TLS certificate.
    pub const MLFLOW_S3_IGNORE_TLS: &'static str = "MLFLOW_S3_IGNORE_TLS";

    /// `--timeout`: Seconds a request may take before it is answered with 504.
    pub const MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT: &'static str =
        "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT";

    /// `true` or `1`: do not verify the tracking server's TLS certificate.
    pub const MLFLOW_TRACKING_INSECURE_TLS: &'static str = "MLFLOW_TRACKING_INSECURE_TLS";

    /// Basic-auth password for that tracking server.
    pub const MLFLOW_TRACKING_PASSWORD: &'static str = "MLFLOW_TRACKING_PASSWORD";

    /// CA bundle (PEM) that verifies the tracking server's certificate.
    pub const MLFLOW_TRACKING_SERVER_CERT_PATH: &'static str = "MLFLOW_TRACKING_SERVER_CERT_PATH";

    /// Bearer token for that tracking server.
    pub const MLFLOW_TRACKING_TOKEN: &'static str = "MLFLOW_TRACKING_TOKEN";

    /// `--tracking-uri`: Tracking store: http(s)://server, sqlite:///mlflow.db, postgresql://…, or a file store path (default: ./mlruns if it holds experiments, else sqlite:///mlflow.db).
    pub const MLFLOW_TRACKING_URI: &'static str = "MLFLOW_TRACKING_URI";

    /// Basic-auth user for a tracking server that model URIs resolve against (as the `mlflow` client).
    pub const MLFLOW_TRACKING_USERNAME: &'static str = "MLFLOW_TRACKING_USERNAME";

    /// `--ort-library`: Path of libonnxruntime (default: beside the binary, ./.venv, or python3's onnxruntime).
    pub const ORT_DYLIB_PATH: &'static str = "ORT_DYLIB_PATH";

    /// `--index-url` of `mlflowrs ui fetch`: The Python package index to download MLflow's wheel from (default https://pypi.org/simple), as pip reads it.
    pub const PIP_INDEX_URL: &'static str = "PIP_INDEX_URL";

    /// Where `python3` / `python` are looked for when no `--python` is given.
    pub const PATH: &'static str = "PATH";

    /// An active virtualenv: its Python runs Python models under `--env-manager local`, and its `onnxruntime` package supplies ONNX Runtime.
    pub const VIRTUAL_ENV: &'static str = "VIRTUAL_ENV";

    /// `mlflowrs run -b kubernetes`: the tracking URI the Job's container gets instead of MLFLOW_TRACKING_URI (as MLflow).
    pub const KUBE_MLFLOW_TRACKING_URI: &'static str = "KUBE_MLFLOW_TRACKING_URI";

    /// The user a project run records (`mlflow.user`), first of LOGNAME, USER, LNAME, USERNAME, as Python's getpass.getuser().
    pub const LOGNAME: &'static str = "LOGNAME";

    /// The user a project run records when LOGNAME and USER are unset.
    pub const LNAME: &'static str = "LNAME";

    /// Where `mlflowrs run` keeps `virtualenv`/`uv` project environments (default ~/.mlflow/envs, MLflow's root and naming, so both tools reuse each other's).
    pub const MLFLOW_ENV_ROOT: &'static str = "MLFLOW_ENV_ROOT";

    /// `--experiment-id` of `mlflowrs run`: the experiment a project run goes to.
    pub const MLFLOW_EXPERIMENT_ID: &'static str = "MLFLOW_EXPERIMENT_ID";

    /// `--experiment-name` of `mlflowrs run`: the experiment a project run goes to, created when missing.
    pub const MLFLOW_EXPERIMENT_NAME: &'static str = "MLFLOW_EXPERIMENT_NAME";

    /// `--storage-dir` of `mlflowrs run`: parent of the per-run directory that downloads of `path` parameters go to.
    pub const MLFLOW_TMP_DIR: &'static str = "MLFLOW_TMP_DIR";

    /// The shell `mlflowrs run` runs a `.sh` entry point with (default bash), as MLflow.
    pub const SHELL: &'static str = "SHELL";

    /// The user a project run records when LOGNAME is unset.
    pub const USER: &'static str = "USER";

    /// The user a project run records when LOGNAME, USER and LNAME are unset.
    pub const USERNAME: &'static str = "USERNAME";

    /// Where conda is, when MLFLOW_CONDA_HOME is unset (`mlflowrs run` with conda environments, as MLflow).
    pub const CONDA_EXE: &'static str = "CONDA_EXE";

    /// The conda installation `mlflowrs run` uses for conda environments (its `bin/conda`), as MLflow.
    pub const MLFLOW_CONDA_HOME: &'static str = "MLFLOW_CONDA_HOME";

    /// The command that creates conda environments for `mlflowrs run` (default conda; e.g. mamba), as MLflow.
    pub const MLFLOW_CONDA_CREATE_ENV_CMD: &'static str = "MLFLOW_CONDA_CREATE_ENV_CMD";

    /// `true`: `mlflowrs run` does not print the run's and experiment's UI links after a run tracked on a server (as the MLflow client).
    pub const MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT: &'static str =
        "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT";

    /// Base of the default model cache (`$XDG_CACHE_HOME/mlflowrs/models`).
    pub const XDG_CACHE_HOME: &'static str = "XDG_CACHE_HOME";
}

/// Every variable in the registry, for the documentation check.
pub const ALL: &[&str] = &[
    EnvVars::MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT,
    EnvVars::MLFLOW_CONDA_CREATE_ENV_CMD,
    EnvVars::MLFLOW_CONDA_HOME,
    EnvVars::CONDA_EXE,
    EnvVars::USERNAME,
    EnvVars::USER,
    EnvVars::SHELL,
    EnvVars::MLFLOW_TMP_DIR,
    EnvVars::MLFLOW_EXPERIMENT_NAME,
    EnvVars::MLFLOW_EXPERIMENT_ID,
    EnvVars::MLFLOW_ENV_ROOT,
    EnvVars::LNAME,
    EnvVars::LOGNAME,
    EnvVars::KUBE_MLFLOW_TRACKING_URI,
    EnvVars::AWS_DEFAULT_REGION,
    EnvVars::AWS_REGION,
    EnvVars::HOME,
    EnvVars::MLFLOWRS_API_KEY,
    EnvVars::MLFLOWRS_APP_NAME,
    EnvVars::MLFLOWRS_ARTIFACTS_DESTINATION,
    EnvVars::MLFLOWRS_AUTH_DATABASE_URI,
    EnvVars::MLFLOWRS_AUTH_DEFAULT_PERMISSION,
    EnvVars::MLFLOWRS_BACKEND_STORE_URI,
    EnvVars::MLFLOWRS_BASE_IMAGE,
    EnvVars::MLFLOWRS_CONTENT_TYPE,
    EnvVars::MLFLOWRS_DEFAULT_ARTIFACT_ROOT,
    EnvVars::MLFLOWRS_EMBEDDING_BATCH_SIZE,
    EnvVars::MLFLOWRS_ENV_CACHE_DIR,
    EnvVars::MLFLOWRS_ENV_MANAGER,
    EnvVars::MLFLOWRS_GRPC_PORT,
    EnvVars::MLFLOWRS_HEADER_TIMEOUT,
    EnvVars::MLFLOWRS_HEALTHCHECK_URL,
    EnvVars::MLFLOWRS_IMAGE_NAME,
    EnvVars::MLFLOWRS_INPUT_PATH,
    EnvVars::MLFLOWRS_INSTALL_MLFLOW,
    EnvVars::MLFLOWRS_INTRA_OP_THREADS,
    EnvVars::MLFLOWRS_LOG,
    EnvVars::MLFLOWRS_MAX_BATCH_DELAY_MS,
    EnvVars::MLFLOWRS_MAX_BATCH_ROWS,
    EnvVars::MLFLOWRS_MAX_BODY_BYTES,
    EnvVars::MLFLOWRS_MAX_CONCURRENT_REQUESTS,
    EnvVars::MLFLOWRS_MAX_DB_CONNECTIONS,
    EnvVars::MLFLOWRS_MAX_DRAIN_BYTES,
    EnvVars::MLFLOWRS_MAX_QUEUE,
    EnvVars::MLFLOWRS_MAX_REQUEST_BYTES,
    EnvVars::MLFLOWRS_MAX_ROWS,
    EnvVars::MLFLOWRS_METRICS_PORT,
    EnvVars::MLFLOWRS_MODEL_CACHE_DIR,
    EnvVars::MLFLOWRS_MODEL_URI,
    EnvVars::MLFLOWRS_NO_CONDA,
    EnvVars::MLFLOWRS_NO_SERVE_ARTIFACTS,
    EnvVars::MLFLOWRS_ONNX_BACKEND,
    EnvVars::MLFLOWRS_OUTPUT_DIRECTORY,
    EnvVars::MLFLOWRS_OUTPUT_PATH,
    EnvVars::MLFLOWRS_PYFUNC_BATCHING,
    EnvVars::MLFLOWRS_PYTHON,
    EnvVars::MLFLOWRS_SERVER_HOST,
    EnvVars::MLFLOWRS_SERVER_PORT,
    EnvVars::MLFLOWRS_SERVE_ARTIFACTS,
    EnvVars::MLFLOWRS_SHUTDOWN_TIMEOUT,
    EnvVars::MLFLOWRS_UI_BUNDLE,
    EnvVars::MLFLOWRS_SPLIT,
    EnvVars::MLFLOWRS_SPLIT_HEADER,
    EnvVars::MLFLOWRS_WATCH_INTERVAL,
    EnvVars::MLFLOW_AUTH_ADMIN_PASSWORD,
    EnvVars::MLFLOW_AUTH_ADMIN_USERNAME,
    EnvVars::MLFLOW_AUTH_CONFIG_PATH,
    EnvVars::MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX,
    EnvVars::MLFLOW_HOST,
    EnvVars::MLFLOW_HTTP_REQUEST_TIMEOUT,
    EnvVars::MLFLOW_MODELS_WORKERS,
    EnvVars::MLFLOW_PORT,
    EnvVars::MLFLOW_REGISTRY_URI,
    EnvVars::MLFLOW_S3_ENDPOINT_URL,
    EnvVars::MLFLOW_SERVER_GRAPHQL_MAX_ALIASES,
    EnvVars::MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS,
    EnvVars::MLFLOW_STATIC_PREFIX,
    EnvVars::MLFLOW_S3_IGNORE_TLS,
    EnvVars::MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT,
    EnvVars::MLFLOW_TRACKING_INSECURE_TLS,
    EnvVars::MLFLOW_TRACKING_PASSWORD,
    EnvVars::MLFLOW_TRACKING_SERVER_CERT_PATH,
    EnvVars::MLFLOW_TRACKING_TOKEN,
    EnvVars::MLFLOW_TRACKING_URI,
    EnvVars::MLFLOW_TRACKING_USERNAME,
    EnvVars::ORT_DYLIB_PATH,
    EnvVars::PATH,
    EnvVars::PIP_INDEX_URL,
    EnvVars::VIRTUAL_ENV,
    EnvVars::XDG_CACHE_HOME,
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    const DOC: &str = include_str!("../../../docs/environment-variables.md");

    #[test]
    fn documentation_lists_exactly_the_registry() {
        let documented: BTreeSet<&str> = DOC
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let registry: BTreeSet<&str> = super::ALL.iter().copied().collect();
        assert_eq!(
            registry.len(),
            super::ALL.len(),
            "a variable is listed twice"
        );
        let missing: Vec<_> = registry.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&registry).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "docs/environment-variables.md and EnvVars disagree: undocumented {missing:?}, not in the registry {extra:?}"
        );
    }

    #[test]
    fn every_constant_is_in_all() {
        let source = include_str!("lib.rs");
        let declared: BTreeSet<&str> = source
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub const "))
            .filter_map(|l| l.split(':').next())
            .filter(|name| *name != "ALL")
            .collect();
        let all: BTreeSet<&str> = super::ALL.iter().copied().collect();
        assert_eq!(declared, all);
    }

    /// Code names a variable through the registry, never as a literal, so
    /// that the registry stays the one place to look.
    #[test]
    fn no_source_reads_a_variable_by_literal() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut offenders = Vec::new();
        for dir in ["src", "crates", "flavors"] {
            scan(&root.join(dir), &mut offenders);
        }
        assert!(
            offenders.is_empty(),
            "literal variable names: {offenders:#?}"
        );
    }

    fn scan(dir: &Path, offenders: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                scan(&path, offenders);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for (i, line) in text.lines().enumerate() {
                    // `target_env = "gnu"` in a cfg is not a variable.
                    let line = line.replace("target_env = \"", "");
                    let literal = ["env::var(\"", "env::var_os(\"", "env = \""]
                        .iter()
                        .any(|p| line.contains(p));
                    if literal && !line.trim_start().starts_with("//") {
                        offenders.push(format!("{}:{}", path.display(), i + 1));
                    }
                }
            }
        }
    }
}
