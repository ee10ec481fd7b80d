//! Which permission each tracking and registry request needs from a
//! caller who is not an admin (MLflow's `BEFORE_REQUEST_VALIDATORS`), the
//! grants made and moved after a successful request (`_after_request`). A
//! path no rule covers is refused, as MLflow's fail-closed default does;
//! searches are filtered afterwards (`search_filter`).

use axum::http::Method;
use serde_json::{Map, Value as Json};

use crate::auth::permissions::{Action, Grants, Permission, Requirement};
use crate::auth::store::{self, User};
use crate::auth::Params;
use crate::db::Tx;
use crate::{MlflowError, Server};

/// Which search answer `search_filter` trims to what the caller may read.
#[derive(Clone, Copy)]
pub enum Filter {
    Experiments,
    RegisteredModels,
    ModelVersions,
    LoggedModels,
}

pub enum Decision {
    Allow,
    Deny,
    /// An answer the check itself gives (a missing parameter, an unknown
    /// experiment name, a search over nothing readable).
    Answer(Result<Json, MlflowError>),
    /// Allowed; the answer is then filtered.
    Filter(Filter),
    /// Allowed with this JSON body instead of the caller's.
    Rewrite(Json),
}

const EXPERIMENT_TIERS: &[&str] = &[
    "run",
    "trace",
    "logged_model",
    "assessment",
    "review_queue",
    "scorer",
    "scorer_version",
];

fn exp(id: &str, action: Action) -> Requirement {
    Requirement::on("experiment", id, action)
}

/// The registered model's grant namespace: prompts are registered models
/// tagged `mlflow.prompt.is_prompt = true`. `None` when it does not exist.
fn model_kind(
    tx: &mut dyn Tx,
    name: &str,
) -> Result<Option<(&'static str, &'static str)>, MlflowError> {
    if tx
        .one(
            "SELECT 1 FROM registered_models WHERE name = $1",
            &[name.into()],
        )?
        .is_none()
    {
        return Ok(None);
    }
    let prompt = tx
        .one(
            "SELECT value FROM registered_model_tags WHERE name = $1 AND key = 'mlflow.prompt.is_prompt'",
            &[name.into()],
        )?
        .is_some_and(|r| r.text(0).eq_ignore_ascii_case("true"));
    Ok(Some(if prompt {
        ("prompt", "prompt_version")
    } else {
        ("registered_model", "registered_model_version")
    }))
}

fn run_experiment(tx: &mut dyn Tx, run_id: &str) -> Result<Option<String>, MlflowError> {
    Ok(tx
        .one(
            "SELECT experiment_id FROM runs WHERE run_uuid = $1",
            &[run_id.into()],
        )?
        .map(|r| r.text(0)))
}

fn run_reqs(
    tx: &mut dyn Tx,
    run_id: &str,
    action: Action,
) -> Result<Option<Vec<Requirement>>, MlflowError> {
    Ok(run_experiment(tx, run_id)?.map(|e| {
        vec![
            exp(&e, Action::Read),
            Requirement::tier("run", action, ("experiment", &e)),
        ]
    }))
}

/// A version route: the model must exist (else 403, as MLflow), then
/// `model_action` on it and `tier_action` on its versions.
fn version_reqs(
    tx: &mut dyn Tx,
    name: &str,
    model_action: Action,
    tier_action: Action,
    tier_falls_back: bool,
) -> Result<Option<Vec<Requirement>>, MlflowError> {
    let Some((kind, tier)) = model_kind(tx, name)? else {
        return Ok(None);
    };
    let tier_req = if tier_falls_back {
        Requirement::tier(tier, tier_action, (kind, name))
    } else {
        Requirement::on(tier, "*", tier_action)
    };
    Ok(Some(vec![
        Requirement::on(kind, name, model_action),
        tier_req,
    ]))
}

/// What a non-admin's request to `endpoint` (the path after
/// `/api/2.0/mlflow/`) needs. Runs on a blocking thread.
pub fn before(
    server: &Server,
    grants: &Grants,
    method: &Method,
    endpoint: &str,
    params: &Params,
) -> Decision {
    match decide(server, grants, method, endpoint, params) {
        Ok(d) => d,
        Err(e) => Decision::Answer(Err(e)),
    }
}

fn decide(
    server: &Server,
    grants: &Grants,
    method: &Method,
    endpoint: &str,
    p: &Params,
) -> Result<Decision, MlflowError> {
    use Action::*;
    let m = method.as_str();
    let reqs: Option<Vec<Requirement>> = match (m, endpoint) {
        ("POST", "experiments/create") => Some(vec![exp("*", NotDenied)]),
        ("GET", "experiments/get") => Some(vec![exp(&p.get("experiment_id")?, Read)]),
        ("GET", "experiments/get-by-name") => {
            let name = p.get("experiment_name")?;
            let id = server.db.transaction(|tx| {
                Ok(tx
                    .one(
                        "SELECT experiment_id FROM experiments WHERE name = $1",
                        &[name.as_str().into()],
                    )?
                    .map(|r| r.text(0)))
            })?;
            let Some(id) = id else {
                return Ok(Decision::Answer(Err(MlflowError::not_found(format!(
                    "Could not find experiment with name {name}"
                )))));
            };
            Some(vec![exp(&id, Read)])
        }
        (
            "POST",
            "experiments/update"
            | "experiments/set-experiment-tag"
            | "experiments/delete-experiment-tag",
        ) => Some(vec![exp(&p.get("experiment_id")?, Update)]),
        ("POST", "experiments/delete" | "experiments/restore") => {
            let id = p.get("experiment_id")?;
            let mut reqs = vec![exp(&id, Delete)];
            reqs.extend(
                EXPERIMENT_TIERS
                    .iter()
                    .map(|t| Requirement::tier(t, Delete, ("experiment", &id))),
            );
            Some(reqs)
        }
        ("GET" | "POST", "experiments/search") => return Ok(Decision::Filter(Filter::Experiments)),
        ("POST", "runs/create") => Some(vec![
            exp(&p.get("experiment_id")?, Update),
            Requirement::on("run", "*", NotDenied),
        ]),
        ("POST", "experiments/search-datasets") => {
            let ids: Vec<String> = p
                .opt("experiment_ids")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if ids.is_empty() {
                return Ok(Decision::Answer(Err(MlflowError::invalid_parameter(
                    "SearchDatasets request must specify at least one experiment_id.",
                ))));
            }
            Some(ids.iter().map(|id| exp(id, Read)).collect())
        }
        ("GET", "metrics/get-history-bulk" | "metrics/get-history-bulk-interval") => {
            let interval = endpoint.ends_with("interval");
            let runs = p.query_all(if interval { "run_ids" } else { "run_id" });
            if runs.is_empty() {
                let name = if interval {
                    "GetMetricHistoryBulkInterval"
                } else {
                    "GetMetricHistoryBulk"
                };
                return Ok(Decision::Answer(Err(MlflowError::invalid_parameter(
                    format!("{name} request must specify at least one run_id."),
                ))));
            }
            let mut reqs = Vec::new();
            for run in runs {
                // A missing run is an error here, not a denial, as in MLflow.
                match server.db.transaction(|tx| run_reqs(tx, &run, Read))? {
                    Some(r) => reqs.extend(r),
                    None => {
                        return Ok(Decision::Answer(Err(MlflowError::not_found(format!(
                            "Run with id={run} not found"
                        )))))
                    }
                }
            }
            Some(reqs)
        }
        ("POST", "upload-artifact") => {
            let run = p
                .query_all("run_uuid")
                .into_iter()
                .next()
                .unwrap_or_default();
            server.db.transaction(|tx| run_reqs(tx, &run, Update))?
        }
        ("GET", "get-artifact") => {
            let run = p
                .query_all("run_id")
                .into_iter()
                .chain(p.query_all("run_uuid"))
                .find(|r| !r.is_empty())
                .unwrap_or_default();
            server.db.transaction(|tx| run_reqs(tx, &run, Read))?
        }
        ("GET", "runs/get" | "metrics/get-history" | "artifacts/list") => {
            let run = p.get("run_id")?;
            server.db.transaction(|tx| run_reqs(tx, &run, Read))?
        }
        (
            "POST",
            "runs/update" | "runs/set-tag" | "runs/delete-tag" | "runs/log-parameter"
            | "runs/log-model" | "runs/log-metric" | "runs/log-batch" | "runs/log-inputs"
            | "runs/outputs",
        ) => {
            let run = p.get("run_id")?;
            server.db.transaction(|tx| run_reqs(tx, &run, Update))?
        }
        ("POST", "runs/delete" | "runs/restore") => {
            let run = p.get("run_id")?;
            server.db.transaction(|tx| run_reqs(tx, &run, Delete))?
        }
        // MLflow serves run searches by POST only; a GET (which mlflowrs
        // also answers) would carry the experiments unfiltered.
        ("POST", "runs/search") => return runs_search(grants, p),
        ("POST", "registered-models/create") => {
            let name = p.get("name")?;
            let kind = if is_prompt_request(p) {
                "prompt"
            } else {
                "registered_model"
            };
            Some(vec![Requirement::on(kind, name, NotDenied)])
        }
        ("GET", "registered-models/get" | "model-versions/get-artifact") => {
            Some(vec![Requirement::on(
                "registered_model",
                p.get("name")?,
                Read,
            )])
        }
        ("POST", "registered-models/rename" | "registered-models/set-tag")
        | ("PATCH", "registered-models/update")
        | ("DELETE", "registered-models/delete-tag") => Some(vec![Requirement::on(
            "registered_model",
            p.get("name")?,
            Update,
        )]),
        ("DELETE", "registered-models/delete") => {
            let name = p.get("name")?;
            server
                .db
                .transaction(|tx| version_reqs(tx, &name, Delete, Delete, true))?
        }
        ("POST", "registered-models/alias") => {
            let name = p.get("name")?;
            server
                .db
                .transaction(|tx| version_reqs(tx, &name, Update, Read, true))?
        }
        ("DELETE", "registered-models/alias") => {
            let name = p.get("name")?;
            server
                .db
                .transaction(|tx| version_reqs(tx, &name, Delete, Read, true))?
        }
        (
            "GET",
            "registered-models/alias" | "model-versions/get" | "model-versions/get-download-uri",
        )
        | ("GET" | "POST", "registered-models/get-latest-versions") => {
            let name = p.get("name")?;
            server
                .db
                .transaction(|tx| version_reqs(tx, &name, Read, NotDenied, false))?
        }
        ("POST", "model-versions/create") => {
            let name = p.get("name")?;
            let run = p
                .opt("run_id")
                .and_then(Json::as_str)
                .filter(|r| !r.is_empty())
                .map(str::to_string);
            server.db.transaction(|tx| {
                let Some(mut reqs) = version_reqs(tx, &name, Update, NotDenied, false)? else {
                    return Ok(None);
                };
                if let Some(run) = run {
                    match run_reqs(tx, &run, Read)? {
                        Some(r) => reqs.extend(r),
                        None => return Ok(None),
                    }
                }
                Ok(Some(reqs))
            })?
        }
        ("PATCH", "model-versions/update")
        | ("POST", "model-versions/transition-stage" | "model-versions/set-tag") => {
            let name = p.get("name")?;
            server
                .db
                .transaction(|tx| version_reqs(tx, &name, Read, Update, true))?
        }
        ("DELETE", "model-versions/delete" | "model-versions/delete-tag") => {
            let name = p.get("name")?;
            server
                .db
                .transaction(|tx| version_reqs(tx, &name, Read, Delete, true))?
        }
        ("GET", "registered-models/search") => {
            return Ok(Decision::Filter(Filter::RegisteredModels))
        }
        ("GET", "model-versions/search") => return Ok(Decision::Filter(Filter::ModelVersions)),
        ("POST", "logged-models") => {
            let id = p.get("experiment_id")?;
            Some(vec![
                exp(&id, Update),
                Requirement::on("logged_model", "*", NotDenied),
            ])
        }
        ("POST", "logged-models/search") => return Ok(Decision::Filter(Filter::LoggedModels)),
        (_, ep) if ep.starts_with("logged-models/") => {
            let rest = &ep["logged-models/".len()..];
            let id = crate::request::percent_decode(rest.split('/').next().unwrap_or(""));
            let action = match m {
                "GET" => Read,
                "PATCH" | "POST" => Update,
                _ => Delete,
            };
            server.db.transaction(|tx| {
                Ok(tx
                    .one(
                        "SELECT experiment_id FROM logged_models WHERE model_id = $1",
                        &[id.as_str().into()],
                    )?
                    .map(|r| {
                        let e = r.text(0);
                        vec![
                            exp(&e, Read),
                            Requirement::tier("logged_model", action, ("experiment", &e)),
                        ]
                    }))
            })?
        }
        _ => return Ok(Decision::Deny),
    };
    Ok(match reqs {
        Some(reqs) if reqs.iter().all(|r| grants.satisfies(r)) => Decision::Allow,
        _ => Decision::Deny,
    })
}

fn is_prompt_request(p: &Params) -> bool {
    p.opt("tags").and_then(Json::as_array).is_some_and(|tags| {
        tags.iter().any(|t| {
            t["key"] == "mlflow.prompt.is_prompt"
                && t["value"]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        })
    })
}

/// Unreadable experiments are dropped from the search before it runs.
fn runs_search(grants: &Grants, p: &Params) -> Result<Decision, MlflowError> {
    let mut body = p.fields().clone();
    let Some(Json::Array(ids)) = body.get("experiment_ids").cloned() else {
        return Ok(Decision::Allow);
    };
    let kept: Vec<Json> = ids
        .into_iter()
        .filter(|id| {
            let id = id
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| id.to_string());
            grants.searches_runs_of(&id)
        })
        .collect();
    if kept.is_empty() {
        return Ok(Decision::Answer(Ok(Json::Object(Map::new()))));
    }
    body.insert("experiment_ids".into(), Json::Array(kept));
    Ok(Decision::Rewrite(Json::Object(body)))
}

/// The artifact proxy: the experiment is the path's first segment, and a
/// path under a run, logged model or trace is judged by that tier too.
pub fn artifact_proxy(grants: &Grants, method: &Method, rel: &str) -> bool {
    let action = match *method {
        Method::GET => Action::Read,
        Method::PUT | Method::POST => Action::Update,
        _ => Action::Manage,
    };
    let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    let Some(exp_id) = segments
        .first()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
    else {
        return grants.default.allows(action);
    };
    let rest = &segments[1..];
    let recursive = *method == Method::DELETE;
    let tiers: Vec<&'static str> = match rest.first() {
        None if recursive => vec!["run", "trace", "logged_model"],
        None => vec![],
        Some(&"models") => vec!["logged_model"],
        Some(&"traces") => vec!["trace"],
        Some(_) if rest.get(1) == Some(&"artifacts") => vec!["run"],
        Some(s)
            if s.len() == 32
                && s.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) =>
        {
            vec!["run"]
        }
        Some(_) if recursive => vec!["run"],
        Some(_) => vec![],
    };
    grants.satisfies(&exp(exp_id, action))
        && tiers
            .iter()
            .all(|t| grants.satisfies(&Requirement::tier(t, action, ("experiment", exp_id))))
}

/// Grants made or moved by a successful request, for every caller: the
/// creator of an experiment or registered model may manage it, a deleted
/// model's grants go with it, a renamed model's follow it.
pub fn after(
    auth: &crate::auth::Auth,
    user: &User,
    endpoint: &str,
    params: &Params,
    answer: &Json,
) -> Result<(), MlflowError> {
    match endpoint {
        "experiments/create" => {
            if let Some(id) = answer.get("experiment_id").and_then(Json::as_str) {
                auth.db.transaction(|tx| {
                    store::grant(tx, user, "experiment", id, Permission::Manage, true)
                })?;
            }
        }
        "registered-models/create" => {
            let name = params.get("name")?;
            let kind = if is_prompt_request(params) {
                "prompt"
            } else {
                "registered_model"
            };
            auth.db
                .transaction(|tx| store::grant(tx, user, kind, &name, Permission::Manage, true))?;
        }
        "registered-models/delete" => {
            let name = params.get("name")?;
            auth.db.transaction(|tx| {
                store::sweep_synthetic(tx, &["registered_model", "prompt"], &name, None)
            })?;
        }
        "registered-models/rename" => {
            let (name, new_name) = (params.get("name")?, params.get("new_name")?);
            auth.db.transaction(|tx| {
                store::sweep_synthetic(tx, &["registered_model", "prompt"], &name, Some(&new_name))
            })?;
        }
        _ => {}
    }
    Ok(())
}
