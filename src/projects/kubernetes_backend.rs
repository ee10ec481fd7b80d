//! `-b kubernetes`: the project's Docker image pushed to `repository-uri`,
//! the Job rendered from the user's template as MLflow renders it
//! (`mlflowrs_projects::kubernetes`), submitted with the `kube` client
//! (cargo feature `kubernetes`) and polled every 5 seconds until it
//! completes or fails, as MLflow polls it. No cluster runs on the machines
//! that test mlflowrs: the rendering is tested against MLflow's own
//! function, the submission is not.

use std::path::Path;

use futures_util::StreamExt;

use mlflowrs_projects::kubernetes::{job_definition, parse_config, run_command};
use mlflowrs_projects::spec::{Project, ProjectEnv};
use mlflowrs_projects::{log, ProjectError};

use super::child::Exit;
use super::docker_backend;
use super::lifecycle::{entry_command, finish, run_env, Outcome};
use super::tracking_client::{CreatedRun, TrackingClient};
use crate::settings::RunSettings;

/// `%Y-%m-%d-%H-%M-%S-%f` of now (UTC), the Job name's suffix.
fn job_timestamp() -> String {
    let (y, m, d, h, mi, s, us) = log::utc_now();
    format!("{y:04}-{m:02}-{d:02}-{h:02}-{mi:02}-{s:02}-{us:06}")
}

pub async fn run(
    settings: &RunSettings,
    client: &TrackingClient,
    run: &CreatedRun,
    project: &Project,
    work_dir: &Path,
    backend_config: &serde_json::Value,
) -> Result<(), Outcome> {
    client
        .set_tag(&run.run_id, "mlflow.project.env", "docker")
        .await?;
    client
        .set_tag(&run.run_id, "mlflow.project.backend", "kubernetes")
        .await?;
    // MLflow's validate_docker_env: the name first, then the image, read
    // from a docker_env that is None for other projects.
    let name = docker_backend::image_name(project)?;
    let ProjectEnv::Docker(docker_env) = &project.env else {
        return Err(ProjectError::uncaught(
            "AttributeError",
            "'NoneType' object has no attribute 'get'",
        )
        .into());
    };
    docker_backend::connect().await?;
    let config = parse_config(backend_config)?;
    let (tag, image_id) = docker_backend::build_or_find(
        settings.build_image,
        &config.repository_uri,
        &docker_env.image,
        work_dir,
    )
    .await?;
    client
        .set_tag(&run.run_id, "mlflow.docker.image.uri", &tag)
        .await?;
    client
        .set_tag(&run.run_id, "mlflow.docker.image.id", &image_id)
        .await?;
    let digest = push(&tag).await?;
    client
        .set_tag(&run.run_id, "mlflow.docker.image.id", &digest)
        .await?;
    let command = entry_command(settings, project)?;
    let mut env = run_env(&run.run_id, &settings.tracking_uri, &run.experiment_id);
    if let Ok(uri) = std::env::var(mlflowrs_env::EnvVars::KUBE_MLFLOW_TRACKING_URI) {
        env[1].1 = uri;
    }
    let timestamp = job_timestamp();
    let job = job_definition(
        &name,
        &tag,
        &digest,
        &run_command(&command)?,
        &env,
        &config.job_template,
        &timestamp,
    )?;
    log::info(
        log::KUBERNETES,
        &format!("=== Creating Job {name}-{timestamp} ==="),
    );
    let job = mlflowrs_projects::kubernetes::to_json(&job);
    let status = submit_and_wait(&job, config.kube_context.as_deref()).await?;
    finish(client, &run.run_id, status).await
}

/// `docker push` through the engine, then the registry's digest of the tag.
async fn push(tag: &str) -> Result<String, ProjectError> {
    use bollard::query_parameters::PushImageOptionsBuilder;
    let docker = docker_backend::connect().await?;
    log::info(
        log::KUBERNETES,
        &format!("=== Pushing docker image {tag} ==="),
    );
    let (repo, version) = match tag.rsplit_once(':').filter(|(_, v)| !v.contains('/')) {
        Some((r, v)) => (r, v),
        None => (tag, "latest"),
    };
    let mut stream = docker.push_image(
        repo,
        Some(PushImageOptionsBuilder::default().tag(version).build()),
        None,
    );
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| {
            ProjectError::execution(format!("Error while pushing to docker registry: {e}"))
        })?;
        if let Some(error) = info.error_detail.and_then(|d| d.message) {
            return Err(ProjectError::execution(format!(
                "Error while pushing to docker registry: {error}"
            )));
        }
    }
    let inspected = docker
        .inspect_registry_image(tag, None)
        .await
        .map_err(|e| ProjectError::mlflow(format!("registry digest of {tag}: {e}")))?;
    Ok(inspected.descriptor.digest.unwrap_or_default())
}

#[cfg(feature = "kubernetes")]
async fn submit_and_wait(
    job: &serde_json::Value,
    context: Option<&str>,
) -> Result<Exit, ProjectError> {
    use k8s_openapi::api::batch::v1::Job;
    use kube::api::{Api, DeleteParams, PostParams};

    let fail = |e: &dyn std::fmt::Display| ProjectError::mlflow(format!("kubernetes: {e}"));
    let job: Job = serde_json::from_value(job.clone()).map_err(|e| fail(&e))?;
    let name = job.metadata.name.clone().unwrap_or_default();
    let namespace = job
        .metadata
        .namespace
        .clone()
        .ok_or_else(|| ProjectError::uncaught("KeyError", "'namespace'"))?;
    let config = match kube::Config::from_kubeconfig(&kube::config::KubeConfigOptions {
        context: context.map(str::to_string),
        ..Default::default()
    })
    .await
    {
        Ok(c) => c,
        Err(_) => {
            log::info(
                log::KUBERNETES,
                "No valid kube config found, using in-cluster configuration",
            );
            kube::Config::incluster().map_err(|e| fail(&e))?
        }
    };
    let client = kube::Client::try_from(config).map_err(|e| fail(&e))?;
    let api: Api<Job> = Api::namespaced(client, &namespace);
    api.create(&PostParams::default(), &job)
        .await
        .map_err(|e| fail(&e))?;
    let mut started = false;
    loop {
        let polled = tokio::select! {
            j = api.get_status(&name) => j.map_err(|e| fail(&e))?,
            _ = tokio::signal::ctrl_c() => {
                log::info(log::KUBERNETES, "Cancelling job.");
                let _ = api.delete(&name, &DeleteParams::default()).await;
                log::info(log::KUBERNETES, "Job cancelled.");
                return Ok(Exit::Interrupted);
            }
        };
        let status = polled.status.unwrap_or_default();
        if !started {
            if status.start_time.is_none() {
                log::info(log::KUBERNETES, "Waiting for Job to start");
            } else {
                log::info(log::KUBERNETES, "Job started.");
                started = true;
            }
        }
        for condition in status.conditions.unwrap_or_default() {
            if condition.status == "True" {
                log::info(log::KUBERNETES, condition.message.as_deref().unwrap_or(""));
                match condition.type_.as_str() {
                    "Failed" => return Ok(Exit::Failure),
                    "Complete" => return Ok(Exit::Success),
                    _ => {}
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

#[cfg(not(feature = "kubernetes"))]
async fn submit_and_wait(
    _job: &serde_json::Value,
    _context: Option<&str>,
) -> Result<Exit, ProjectError> {
    Err(ProjectError::execution(
        "this mlflowrs was built without its Kubernetes client: build it with `--features kubernetes` to submit Jobs",
    ))
}
