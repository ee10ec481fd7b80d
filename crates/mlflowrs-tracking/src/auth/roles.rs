//! The role endpoints (`/api/3.0/mlflow/roles/…`): roles, their grants and
//! who holds them, with the check MLflow makes of a caller who is not an
//! admin. Without workspaces every role is in "default".

use axum::http::Method;
use axum::response::Response;
use serde_json::{json, Value as Json};

use super::params::Params;
use super::permissions::{validate_grantable, validate_pattern, Grants};
use super::store::{self, User};
use super::{forbidden, ok, Auth};
use crate::MlflowError;

fn int_param(params: &Params, name: &str) -> Result<i64, MlflowError> {
    let raw = params.opt(name).cloned();
    let value = params.get(name)?;
    value.trim().parse::<i64>().map_err(|_| {
        let repr = match raw {
            Some(Json::String(s)) => format!("'{s}'"),
            Some(Json::Null) => "None".into(),
            Some(other) => other.to_string(),
            None => "None".into(),
        };
        MlflowError::invalid_parameter(format!(
            "Parameter '{name}' must be an integer. Got: {repr}"
        ))
    })
}

pub fn route(
    auth: &Auth,
    caller: &User,
    grants: &Grants,
    ws_admin: bool,
    method: &Method,
    endpoint: &str,
    params: &Params,
) -> Result<Response, MlflowError> {
    let m = method.as_str();
    // Without workspaces every role is in "default": a workspace admin
    // manages them all, and any member may read them.
    let member = caller.is_admin || !grants.rows.is_empty();
    let (allowed, exists) = match (m, endpoint) {
        ("POST", "roles/create" | "roles/permissions/add" | "roles/assign")
        | ("PATCH", "roles/update" | "roles/permissions/update")
        | ("DELETE", "roles/delete" | "roles/permissions/remove" | "roles/unassign")
        | ("GET", "roles/users/list") => (ws_admin, true),
        ("GET", "roles/get" | "roles/permissions/list") => (member, true),
        ("GET", "roles/list") => (
            caller.is_admin || (params.opt("workspace").is_some() && member),
            true,
        ),
        _ => (false, false),
    };
    if !exists {
        return Ok(if caller.is_admin {
            crate::responses::not_found_page()
        } else {
            forbidden()
        });
    }
    if !allowed {
        return Ok(forbidden());
    }
    let db = &auth.db;
    match endpoint {
        "roles/create" => {
            let name = params.get("name")?;
            let workspace = params.get("workspace")?;
            if name.trim().is_empty() {
                return Err(MlflowError::invalid_parameter("Role name cannot be empty."));
            }
            if workspace.trim().is_empty() {
                return Err(MlflowError::invalid_parameter("Workspace cannot be empty."));
            }
            if name.starts_with("__user_") {
                return Err(MlflowError::invalid_parameter(format!(
                    "Role name '{name}' uses the reserved '__user_' prefix, which is held for the per-user permission representation. Choose a different name."
                )));
            }
            let description = match params.opt("description") {
                None | Some(Json::Null) => None,
                Some(Json::String(s)) => Some(s.clone()),
                Some(_) => {
                    return Err(MlflowError::invalid_parameter(
                        "Role description must be a string or null.",
                    ))
                }
            };
            let role = db.transaction(|tx| {
                let r = store::create_role(tx, &name, &workspace, description.as_deref())?;
                store::role_json(tx, &r)
            })?;
            Ok(ok(json!({"role": role})))
        }
        "roles/get" => {
            let id = int_param(params, "role_id")?;
            let role = db.transaction(|tx| {
                let r = store::role(tx, id)?;
                store::role_json(tx, &r)
            })?;
            Ok(ok(json!({"role": role})))
        }
        "roles/list" => {
            let workspaces: Vec<String> = params
                .opt("workspace")
                .and_then(Json::as_str)
                .map(|w| vec![w.to_string()])
                .unwrap_or_default();
            if workspaces.iter().any(|w| w.trim().is_empty()) {
                return Err(MlflowError::invalid_parameter(
                    "Parameter 'workspace' must be a non-empty string when provided.",
                ));
            }
            let roles = db.transaction(|tx| {
                let mut out = Vec::new();
                for r in store::roles(tx, &workspaces)? {
                    out.push(store::role_json(tx, &r)?);
                }
                Ok(out)
            })?;
            Ok(ok(json!({"roles": roles})))
        }
        "roles/update" => {
            let id = int_param(params, "role_id")?;
            let name = params.opt("name").cloned().filter(|v| !v.is_null());
            let description = params.opt("description").cloned().filter(|v| !v.is_null());
            if name.is_none() && description.is_none() {
                return Err(MlflowError::invalid_parameter(
                    "At least one of 'name' or 'description' must be provided to update a role.",
                ));
            }
            let name = match name {
                Some(Json::String(s)) if !s.trim().is_empty() => Some(s),
                Some(_) => {
                    return Err(MlflowError::invalid_parameter("Role name cannot be empty."))
                }
                None => None,
            };
            let description = match description {
                Some(Json::String(s)) => Some(s),
                Some(_) => {
                    return Err(MlflowError::invalid_parameter(
                        "Role description must be a string.",
                    ))
                }
                None => None,
            };
            let role = db.transaction(|tx| {
                let r = store::update_role(tx, id, name.as_deref(), description.as_deref())?;
                store::role_json(tx, &r)
            })?;
            Ok(ok(json!({"role": role})))
        }
        "roles/delete" => {
            let id = int_param(params, "role_id")?;
            db.transaction(|tx| store::delete_role(tx, id))?;
            Ok(ok(json!({})))
        }
        "roles/permissions/add" => {
            let id = int_param(params, "role_id")?;
            let kind = params.get("resource_type")?;
            let pattern = params.get("resource_pattern")?;
            let permission = params.get("permission")?;
            validate_pattern(&kind, &pattern)?;
            let p = validate_grantable(&permission, &kind)?;
            let rp =
                db.transaction(|tx| store::add_role_permission(tx, id, &kind, &pattern, p.name()))?;
            Ok(ok(json!({"role_permission": rp})))
        }
        "roles/permissions/remove" => {
            let id = int_param(params, "role_permission_id")?;
            db.transaction(|tx| {
                store::role_permission(tx, id)?;
                tx.execute(
                    "DELETE FROM role_permissions WHERE id = $1",
                    &[crate::db::Value::Int(id)],
                )
            })?;
            Ok(ok(json!({})))
        }
        "roles/permissions/list" => {
            let id = int_param(params, "role_id")?;
            let rps = db.transaction(|tx| {
                store::role(tx, id)?;
                store::role_permissions(tx, id)
            })?;
            Ok(ok(json!({"role_permissions": rps})))
        }
        "roles/permissions/update" => {
            let id = int_param(params, "role_permission_id")?;
            let permission = params.get("permission")?;
            let rp = db.transaction(|tx| {
                let row = store::role_permission(tx, id)?;
                let p = validate_grantable(&permission, &row.text(2))?;
                tx.execute(
                    "UPDATE role_permissions SET permission = $1 WHERE id = $2",
                    &[p.name().into(), crate::db::Value::Int(id)],
                )?;
                Ok(store::role_permission_json(&store::role_permission(
                    tx, id,
                )?))
            })?;
            Ok(ok(json!({"role_permission": rp})))
        }
        "roles/assign" | "roles/unassign" => {
            let username = params.get("username")?;
            let id = int_param(params, "role_id")?;
            let assign = endpoint == "roles/assign";
            let answer = db.transaction(|tx| {
                let user = store::user_or_404(tx, &username)?;
                if assign {
                    Ok(json!({"assignment": store::assign(tx, &user, id)?}))
                } else {
                    store::unassign(tx, &user, id)?;
                    Ok(json!({}))
                }
            })?;
            Ok(ok(answer))
        }
        "roles/users/list" => {
            let id = int_param(params, "role_id")?;
            let list = db.transaction(|tx| {
                store::role(tx, id)?;
                store::assignments(tx, id)
            })?;
            Ok(ok(json!({"assignments": list})))
        }
        _ => Ok(forbidden()),
    }
}
