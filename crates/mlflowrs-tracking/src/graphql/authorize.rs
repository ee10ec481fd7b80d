//! MLflow's GraphQL authorization middleware, for a basic-auth caller who
//! is not an admin: a root field asking for what they may not read
//! resolves to null without an error; searches drop the experiments they
//! may not read; model versions they may not see are removed.

use serde_json::{Map, Value as Json};

use super::document::id_text;
use crate::auth::permissions::Grants;
use crate::db::Tx;

/// Whether the root field may run with `input` (its REST field names),
/// narrowing a search's `experiment_ids` to the readable ones.
pub(super) fn admits(
    tx: &mut dyn Tx,
    grants: &Grants,
    root: &str,
    input: &mut Map<String, Json>,
) -> bool {
    let text = |input: &Map<String, Json>, key: &str| {
        input.get(key).map(id_text).filter(|s| !s.is_empty())
    };
    match root {
        "mlflowGetExperiment" => match text(input, "experiment_id") {
            Some(id) => grants.reads_experiment(&id),
            None => true,
        },
        "mlflowGetRun" | "mlflowListArtifacts" => {
            match text(input, "run_id").or_else(|| text(input, "run_uuid")) {
                Some(id) => reads_run(tx, grants, &id),
                None => true,
            }
        }
        "mlflowGetMetricHistoryBulkInterval" => match input.get("run_ids") {
            Some(Json::Array(ids)) => ids.iter().all(|id| reads_run(tx, grants, &id_text(id))),
            None => true,
            Some(_) => false,
        },
        "mlflowSearchRuns" | "mlflowSearchDatasets" => {
            let runs = root == "mlflowSearchRuns";
            match input.get("experiment_ids") {
                None => true,
                Some(Json::Array(ids)) => {
                    let kept: Vec<Json> = ids
                        .iter()
                        .filter(|id| {
                            let id = id_text(id);
                            if runs {
                                grants.searches_runs_of(&id)
                            } else {
                                grants.reads_experiment(&id)
                            }
                        })
                        .cloned()
                        .collect();
                    let admitted = ids.is_empty() || !kept.is_empty();
                    input.insert("experiment_ids".into(), Json::Array(kept));
                    admitted
                }
                Some(_) => false,
            }
        }
        _ => true,
    }
}

fn reads_run(tx: &mut dyn Tx, grants: &Grants, run_id: &str) -> bool {
    let experiment = tx
        .one(
            "SELECT experiment_id FROM runs WHERE run_uuid = $1",
            &[run_id.into()],
        )
        .ok()
        .flatten()
        .map(|r| r.text(0));
    experiment.is_some_and(|e| grants.reads_run_in(&e))
}

/// A model-version search answer without the versions the caller may not see.
pub(super) fn readable_versions(grants: Option<&Grants>, mut answer: Json) -> Json {
    if let (Some(grants), Some(Json::Array(versions))) = (grants, answer.get_mut("model_versions"))
    {
        versions.retain(|v| grants.lists_versions_of(v["name"].as_str().unwrap_or_default()));
    }
    answer
}
