//! Search answers filtered to what the caller may read, as MLflow's
//! after-request filters do: unreadable rows removed, and a page with room
//! left refilled from the following pages.

use serde_json::Value as Json;

use super::policy::Filter;
use crate::auth::permissions::{Action, Grants, Requirement};
use crate::request::Request;
use crate::search::{decode_page_token, encode_page_token};
use crate::{experiments, logged_models, model_versions, registry, MlflowError, Server};

/// Removes from a search answer what the caller may not read, re-querying
/// (as MLflow does) to fill a page that has room left.
pub fn filter(
    server: &Server,
    grants: &Grants,
    kind: Filter,
    request: &Request,
    mut answer: Json,
) -> Result<Json, MlflowError> {
    let version_tier = Requirement::on("registered_model_version", "*", Action::NotDenied);
    let (list_key, default_max): (&str, i64) = match kind {
        Filter::Experiments => ("experiments", 0),
        Filter::RegisteredModels => ("registered_models", 100),
        Filter::ModelVersions => ("model_versions", 200_000),
        Filter::LoggedModels => ("models", 0),
    };
    let readable = |item: &Json| -> bool {
        match kind {
            Filter::Experiments => item["experiment_id"]
                .as_str()
                .is_some_and(|id| grants.reads_experiment(id)),
            Filter::RegisteredModels => {
                let name = item["name"].as_str().unwrap_or_default();
                let prompt = item["tags"].as_array().is_some_and(|t| {
                    t.iter()
                        .any(|t| t["key"] == "mlflow.prompt.is_prompt" && t["value"] == "true")
                });
                let ns = if prompt { "prompt" } else { "registered_model" };
                grants.permission(ns, name).allows(Action::Read)
            }
            Filter::ModelVersions => {
                grants.lists_versions_of(item["name"].as_str().unwrap_or_default())
            }
            Filter::LoggedModels => {
                item["info"]["experiment_id"]
                    .as_str()
                    .is_some_and(|id| grants.reads_experiment(id))
                    && grants.satisfies(&Requirement::on("logged_model", "*", Action::NotDenied))
            }
        }
    };
    let Some(obj) = answer.as_object_mut() else {
        return Ok(answer);
    };
    let mut items: Vec<Json> = match obj.remove(list_key) {
        Some(Json::Array(items)) => items.into_iter().filter(|i| readable(i)).collect(),
        _ => Vec::new(),
    };
    let max = request
        .fields
        .get("max_results")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(default_max)
        .max(0) as usize;
    let mut token = obj
        .remove("next_page_token")
        .and_then(|t| t.as_str().map(str::to_string))
        .unwrap_or_default();
    // Logged models page by their own token; their pages are only filtered.
    let refill = !matches!(kind, Filter::LoggedModels);
    while refill && items.len() < max && !token.is_empty() {
        let mut fields = request.fields.clone();
        fields.insert("page_token".into(), Json::String(token.clone()));
        let again = Request { fields };
        let page = server.db.transaction(|tx| match kind {
            Filter::Experiments => experiments::search(tx, &again),
            Filter::RegisteredModels => registry::search_models(tx, &again),
            Filter::ModelVersions => model_versions::search_versions(tx, &again),
            Filter::LoggedModels => logged_models::search(tx, &again),
        })?;
        let mut fetched = match page.get(list_key) {
            Some(Json::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        fetched.truncate(max - items.len());
        if fetched.is_empty() {
            // MLflow sets the (proto2, so present) token to "" here.
            obj.insert("next_page_token".into(), Json::String(String::new()));
            token.clear();
            break;
        }
        let start = decode_page_token(Some(&token))?;
        let n = fetched.len();
        items.extend(fetched.into_iter().filter(|i| readable(i)));
        token = encode_page_token(start + n);
    }
    if matches!(kind, Filter::RegisteredModels) && !grants.satisfies(&version_tier) {
        for item in &mut items {
            if let Some(o) = item.as_object_mut() {
                o.remove("latest_versions");
            }
        }
    }
    if !items.is_empty() {
        obj.insert(list_key.into(), Json::Array(items));
    }
    if !token.is_empty() {
        obj.insert("next_page_token".into(), Json::String(token));
    }
    Ok(answer)
}
