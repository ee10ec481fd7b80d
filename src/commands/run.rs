//! `mlflowrs run`: an MLflow project run in the order `mlflow run` runs it,
//! so the same failures leave the same traces: experiment, fetch and
//! validate (no run yet), create the run with its tags and parameters,
//! prepare the environment (a failure leaves the run RUNNING, as MLflow
//! leaves it), start the command with MLFLOW_RUN_ID set, wait, end the run.
//! Returns the process's exit code.

use mlflowrs_env::EnvVars;
use mlflowrs_projects::log;
use mlflowrs_projects::python_env::{self, PythonEnvSpec};
use mlflowrs_projects::source;
use mlflowrs_projects::spec::{Project, ProjectEnv};
use mlflowrs_projects::{git, ProjectError};

use crate::projects::lifecycle::{entry_command, finish, run_env, HttpDownloads, Outcome};
use crate::projects::tracking_client::{CreatedRun, TrackingClient};
use crate::projects::{child, conda, docker_backend, kubernetes_backend};
use crate::settings::{Backend, BackendConfig, RunSettings};

pub async fn run(settings: RunSettings) -> u8 {
    match execute(&settings).await {
        Ok(()) => 0,
        Err(Outcome::Interrupted) => 130,
        Err(Outcome::Failed(ProjectError::Execution(message))) => {
            log::error(log::CLI, &format!("=== {message} ==="));
            1
        }
        Err(Outcome::Failed(ProjectError::Uncaught { exception, message })) => {
            // MLflow lets this escape as a traceback; its last line is kept
            // so scripts that grep for it still find it.
            // MLflow lets this escape as a Python traceback. Its header and
            // last line are kept, so what scripts look for is still there.
            eprintln!("Traceback (most recent call last):");
            eprintln!("  (mlflowrs run: mlflow run raises this exception at this point)");
            eprintln!("{exception}: {message}");
            1
        }
    }
}

/// Python's `getpass.getuser()`.
fn user_name() -> String {
    for var in [
        EnvVars::LOGNAME,
        EnvVars::USER,
        EnvVars::LNAME,
        EnvVars::USERNAME,
    ] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return v;
            }
        }
    }
    passwd_name().unwrap_or_else(|| "unknown".into())
}

fn passwd_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
    })
}

fn load_backend_config(settings: &RunSettings) -> Result<serde_json::Value, ProjectError> {
    match &settings.backend_config {
        None => Ok(serde_json::json!({})),
        Some(BackendConfig::Inline(v)) => Ok(v.clone()),
        Some(BackendConfig::File(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| ProjectError::os(&e, path))?;
            let parsed = mlflowrs_protocol::pyjson::parse(text.as_bytes()).map_err(|e| {
                log::error(
                    log::PROJECTS,
                    &format!(
                        "Error when attempting to load and parse JSON cluster spec from file {}",
                        path.display()
                    ),
                );
                ProjectError::uncaught("json.decoder.JSONDecodeError", e.message)
            })?;
            Ok(
                serde_json::from_str(&mlflowrs_protocol::pyjson::to_string(&parsed))
                    .unwrap_or_default(),
            )
        }
    }
}

/// MLflow's `before_run_validations` for `-b databricks`, so a misuse is
/// reported as MLflow reports it before saying the backend is not supported.
fn databricks_checks(settings: &RunSettings) -> Result<(), ProjectError> {
    let has_existing_cluster =
        match &settings.backend_config {
            None => return Err(ProjectError::execution(
                "Backend spec must be provided when launching MLflow project runs on Databricks.",
            )),
            Some(BackendConfig::Inline(v)) => v.get("existing_cluster_id").is_some(),
            Some(BackendConfig::File(p)) => p.to_string_lossy().contains("existing_cluster_id"),
        };
    if has_existing_cluster {
        return Err(ProjectError::mlflow("MLflow Project runs on Databricks must provide a *new cluster* specification. Project execution against existing clusters is not currently supported. For more information, see https://mlflow.org/docs/latest/projects.html#run-an-mlflow-project-on-databricks"));
    }
    let scheme = mlflowrs_projects::spec::url_scheme(&settings.tracking_uri).to_ascii_lowercase();
    let remote = settings.tracking_uri == "databricks"
        || matches!(scheme.as_str(), "databricks" | "http" | "https");
    if !remote {
        return Err(ProjectError::execution(format!(
            "When running on Databricks, the MLflow tracking URI must be of the form 'databricks' or 'databricks://profile', or a remote HTTP URI accessible to both the current client and code running on Databricks. Got local tracking URI {}. Please specify a valid tracking URI via mlflow.set_tracking_uri or by setting the MLFLOW_TRACKING_URI environment variable.",
            settings.tracking_uri
        )));
    }
    Ok(())
}

/// MLflow's `_resolve_experiment_id`.
async fn experiment_id(
    settings: &RunSettings,
    client: &TrackingClient,
) -> Result<String, ProjectError> {
    if let Some(id) = settings.experiment_id.as_deref().filter(|i| !i.is_empty()) {
        return Ok(id.to_string());
    }
    if let Some(name) = settings
        .experiment_name
        .as_deref()
        .filter(|n| !n.is_empty())
    {
        if let Some(id) = client.experiment_id_by_name(name).await? {
            return Ok(id);
        }
        log::info(
            log::PROJECTS,
            &format!("'{name}' does not exist. Creating a new experiment"),
        );
        return client.create_experiment(name).await;
    }
    Ok("0".into())
}

/// MLflow's `fetch_and_validate_project` then `load_project`.
fn fetch_and_validate(settings: &RunSettings) -> Result<(source::Fetched, Project), ProjectError> {
    let fetched = source::fetch(&settings.uri, settings.version.as_deref(), &HttpDownloads)?;
    let project = mlflowrs_projects::load_project(&fetched.work_dir)?;
    project
        .entry_point(&settings.entry_point)?
        .check_missing(&settings.params)?;
    Ok((fetched, project))
}

/// MLflow's `_create_run`: tags at creation, then the parameters (whose
/// `uri` check can fail here, leaving the run RUNNING).
async fn create_run(
    settings: &RunSettings,
    client: &TrackingClient,
    experiment_id: &str,
    fetched: &source::Fetched,
    project: &Project,
) -> Result<CreatedRun, ProjectError> {
    if let Some(run_id) = &settings.run_id {
        return client.get_run(run_id).await;
    }
    let source_name = if source::is_local_uri(&settings.uri) {
        git::url_if_present(&mlflowrs_projects::spec::abspath(&settings.uri))
    } else {
        settings.uri.clone()
    };
    let mut tags = vec![
        ("mlflow.user".to_string(), user_name()),
        ("mlflow.source.name".to_string(), source_name),
        ("mlflow.source.type".to_string(), "PROJECT".to_string()),
        (
            "mlflow.project.entryPoint".to_string(),
            settings.entry_point.clone(),
        ),
    ];
    if let Some(commit) = git::commit(&fetched.work_dir) {
        tags.push(("mlflow.source.git.commit".into(), commit));
    }
    let url_repo = if fetched.tag_repo == fetched.work_dir {
        git::repo_url(&fetched.work_dir)
    } else {
        // A local repository run at a version: MLflow fetches in the user's
        // own checkout, whose first remote (or `origin`, the path itself,
        // which it adds when there is none) the run records.
        git::repo_url(&fetched.tag_repo).or_else(|| {
            Some(source::parse_file_uri(
                &source::parse_subdirectory(&settings.uri)
                    .map(|(p, _)| p)
                    .unwrap_or_default(),
            ))
        })
    };
    if let Some(url) = url_repo {
        tags.push(("mlflow.source.git.repoURL".into(), url));
    }
    if let Some(v) = &settings.version {
        if git::is_branch(&fetched.tag_repo, v) {
            tags.push(("mlflow.source.git.branch".into(), v.clone()));
        }
    }
    let run = client.create_run(experiment_id, &tags).await?;
    let entry = project.entry_point(&settings.entry_point)?;
    let params = entry.compute_parameters(&settings.params, None)?;
    let all: Vec<(String, String)> = params.all().cloned().collect();
    client.log_params(&run.run_id, &all).await?;
    Ok(run)
}

async fn execute(settings: &RunSettings) -> Result<(), Outcome> {
    let backend_config = load_backend_config(settings)?;
    if let Some(m) = &settings.env_manager {
        if !matches!(m.as_str(), "local" | "conda" | "virtualenv" | "uv") {
            return Err(ProjectError::mlflow(format!(
                "Invalid value for `env_manager`: {m}. Must be one of ['local', 'conda', 'virtualenv', 'uv']"
            ))
            .into());
        }
    }
    if settings.backend == Backend::Databricks {
        databricks_checks(settings)?;
        return Err(ProjectError::mlflow(
            "mlflowrs run does not run projects on Databricks: use `mlflow run -b databricks`",
        )
        .into());
    }
    let client = TrackingClient::open(&settings.tracking_uri)?;
    let experiment_id = experiment_id(settings, &client).await?;
    if let Backend::Other(name) = &settings.backend {
        log::warning(
            log::BACKEND_LOADER,
            &format!("Backend '{name}' is not available. Available plugins are ['local']"),
        );
    }
    let (fetched, project) = fetch_and_validate(settings)?;
    let run = create_run(settings, &client, &experiment_id, &fetched, &project).await?;
    match &settings.backend {
        Backend::Local => {}
        Backend::Kubernetes => {
            if let Some(name) = &settings.run_name {
                client.set_tag(&run.run_id, "mlflow.runName", name).await?;
            }
            return kubernetes_backend::run(
                settings,
                &client,
                &run,
                &project,
                &fetched.work_dir,
                &backend_config,
            )
            .await;
        }
        Backend::Other(name) => {
            if let Some(n) = &settings.run_name {
                client.set_tag(&run.run_id, "mlflow.runName", n).await?;
            }
            return Err(ProjectError::execution(format!(
                "Got unsupported execution mode {name}. Supported values: ['databricks', 'kubernetes', 'local']"
            ))
            .into());
        }
        Backend::Databricks => unreachable!("refused before the run"),
    }
    // LocalBackend.run
    let env_manager = match (&settings.env_manager, &project.env) {
        (Some(m), ProjectEnv::Python(_)) if m == "conda" => {
            return Err(ProjectError::mlflow(
                "python_env project cannot be executed using conda. Set `--env-manager` to 'virtualenv' or 'local' to execute this project.",
            )
            .into());
        }
        (Some(m), _) => m.clone(),
        (None, ProjectEnv::Conda(_)) => "conda".into(),
        (None, ProjectEnv::Python(_)) => "virtualenv".into(),
        (None, ProjectEnv::Docker(_)) => "local".into(),
    };
    let mut prefix: Vec<String> = Vec::new();
    let mut separator = " ";
    let mut docker_run = None;
    if let ProjectEnv::Docker(docker_env) = &project.env {
        client
            .set_tag(&run.run_id, "mlflow.project.env", "docker")
            .await?;
        let image = docker_backend::prepare_image(
            settings,
            &client,
            &run,
            &project,
            docker_env,
            &fetched.work_dir,
        )
        .await?;
        docker_run = Some(docker_backend::container_spec(
            settings,
            &run,
            &experiment_id,
            docker_env,
            &image,
        )?);
    } else if env_manager == "virtualenv" || env_manager == "uv" {
        client
            .set_tag(&run.run_id, "mlflow.project.env", &env_manager)
            .await?;
        separator = " && ";
        let spec = match &project.env {
            ProjectEnv::Conda(path) => PythonEnvSpec::from_conda_yaml(path)?,
            ProjectEnv::Python(Some(path)) => PythonEnvSpec::from_python_env_yaml(path)?,
            _ => PythonEnvSpec {
                python: python_env::current_python_version()?,
                build_dependencies: Vec::new(),
                dependencies: Vec::new(),
            },
        };
        let env_dir = python_env::env_root().join(spec.env_name(&fetched.work_dir));
        let builder = if env_manager == "uv" {
            python_env::Builder::Uv
        } else {
            python_env::Builder::Virtualenv
        };
        let work_dir = fetched.work_dir.clone();
        let activate = tokio::task::spawn_blocking(move || {
            python_env::ensure(builder, &spec, &work_dir, &env_dir)
        })
        .await
        .map_err(|e| ProjectError::mlflow(e.to_string()))??;
        prefix.push(activate);
    } else if env_manager == "conda" {
        client
            .set_tag(&run.run_id, "mlflow.project.env", "conda")
            .await?;
        separator = " && ";
        if let ProjectEnv::Conda(path) = &project.env {
            prefix.push(conda::activate_command(path)?);
        }
    }
    let command = entry_command(settings, &project)?;
    let status = match docker_run {
        Some(spec) => {
            docker_backend::run_container(
                &client,
                &run,
                spec,
                &command,
                settings.run_name.as_deref(),
            )
            .await?
        }
        None => {
            prefix.push(command);
            let full = prefix.join(separator);
            log::info(
                log::LOCAL_BACKEND,
                &format!(
                    "=== Running command '{full}' in run with ID '{}' === ",
                    run.run_id
                ),
            );
            let env = run_env(&run.run_id, &settings.tracking_uri, &experiment_id);
            let spawned = child::spawn(&full, &fetched.work_dir, &env)?;
            client
                .set_tag(&run.run_id, "mlflow.project.backend", "local")
                .await?;
            if let Some(name) = &settings.run_name {
                client.set_tag(&run.run_id, "mlflow.runName", name).await?;
            }
            spawned.wait().await
        }
    };
    finish(&client, &run.run_id, status).await
}
