//! The basic-auth app's own REST endpoints: users (`/api/2.0/mlflow/users/…`),
//! per-user grants and permission listings (`/api/3.0/mlflow/users/…`) and
//! roles (`/api/3.0/mlflow/roles/…`), each with the check MLflow makes of a
//! caller who is not an admin.

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value as Json};

use super::permissions::{self, Grants, Permission};
use super::policy::Params;
use super::store::{self, User};
use super::{forbidden, html, validate_password, Auth, Caller};
use crate::tracking::db::Tx;
use crate::tracking::ApiError;

fn ok(value: Json) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{value}\n"),
    )
        .into_response()
}

/// Whether `endpoint` (under API `version`) is one of the auth app's own:
/// each exists under the one version MLflow registers it with.
pub fn is_endpoint(method: &Method, version: &str, endpoint: &str) -> bool {
    let v2 = version == "2.0";
    let m = method.as_str();
    match endpoint {
        "users/create" => v2 && m == "POST",
        "users/get" | "users/current" | "users/list" => v2 && m == "GET",
        "users/update-password" | "users/update-admin" => v2 && m == "PATCH",
        "users/delete" => v2 && m == "DELETE",
        "users/current/permissions"
        | "users/permissions/list"
        | "users/permissions/get"
        | "users/roles/list" => !v2 && m == "GET",
        "users/permissions/grant" | "users/permissions/revoke" => !v2 && m == "POST",
        ep if ep.starts_with("roles/") => !v2,
        _ => false,
    }
}

/// The answer to an auth endpoint (see [`is_endpoint`]). Runs on a
/// blocking thread.
pub fn route(
    auth: &Auth,
    caller: &Caller,
    method: &Method,
    endpoint: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let params = Params::read(method, query, headers, body);
    let grants = &caller.grants;
    let caller = &caller.user;
    let answer = (|| -> Result<Response, ApiError> {
        let admin = caller.is_admin;
        let ws_admin = admin || grants.workspace_admin();
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.split(';').next().unwrap_or("").trim() == "application/json");
        match endpoint {
            "users/create" => {
                if !ws_admin {
                    return Ok(forbidden());
                }
                if !is_json {
                    return Ok(html(
                        StatusCode::BAD_REQUEST,
                        "Invalid content type. Must be application/json",
                    ));
                }
                let username = params.get("username")?;
                let password = params.get("password")?;
                if username.is_empty() || password.is_empty() {
                    return Ok(html(
                        StatusCode::BAD_REQUEST,
                        "Username and password cannot be empty.",
                    ));
                }
                validate_password(&password)?;
                let hash = auth.hash(&password)?;
                let user = auth
                    .db
                    .transaction(|tx| store::create_user(tx, &username, &hash, false))?;
                Ok(ok(json!({"user": user.to_json()})))
            }
            "users/get" => {
                let username = params.get("username")?;
                if !admin && username != caller.username {
                    return Ok(forbidden());
                }
                let user = auth
                    .db
                    .transaction(|tx| store::user_or_404(tx, &username))?;
                Ok(ok(json!({"user": user.to_json()})))
            }
            "users/current" => Ok(ok(json!({"is_basic_auth": true, "user": caller.to_json()}))),
            "users/list" => {
                let users = auth.db.transaction(|tx| {
                    let mut out = Vec::new();
                    for u in store::users(tx)? {
                        // Others' roles show only to admins and to admins of
                        // their workspace ("default", without workspaces).
                        let visible = admin || ws_admin || u.id == caller.id;
                        let roles = if visible {
                            store::user_roles(tx, u.id)?
                        } else {
                            Vec::new()
                        };
                        let mut roles_json = Vec::new();
                        for r in &roles {
                            roles_json.push(store::role_json(tx, r)?);
                        }
                        let mut j = u.to_json();
                        j["roles"] = Json::Array(roles_json);
                        out.push(j);
                    }
                    Ok(out)
                })?;
                Ok(ok(json!({"users": users})))
            }
            "users/update-password" => {
                let username = params.get("username")?;
                if !admin && username != caller.username {
                    return Ok(forbidden());
                }
                let new = params.get("password")?;
                let user = auth
                    .db
                    .transaction(|tx| store::user_or_404(tx, &username))?;
                if username == caller.username {
                    let current = params
                        .opt("current_password")
                        .and_then(Json::as_str)
                        .unwrap_or("");
                    if current.is_empty() {
                        return Err(ApiError::invalid_parameter(
                            "Current password is required when changing your own password.",
                        ));
                    }
                    if !auth.verify(&user, current) {
                        return Err(ApiError::invalid_parameter(
                            "Current password does not match.",
                        ));
                    }
                    if new == current {
                        return Err(ApiError::invalid_parameter(
                            "New password must differ from the current password.",
                        ));
                    }
                }
                validate_password(&new)?;
                let hash = auth.hash(&new)?;
                auth.db
                    .transaction(|tx| store::set_password(tx, user.id, &hash))?;
                auth.forget(&username);
                Ok(ok(json!({})))
            }
            "users/update-admin" => {
                if !admin {
                    return Ok(forbidden());
                }
                let username = params.get("username")?;
                let raw = params.opt("is_admin").cloned();
                let Some(raw) = raw else {
                    return Err(crate::tracking::error::missing("is_admin"));
                };
                let is_admin = match raw {
                    Json::Bool(b) => b,
                    Json::Number(n) if n.as_i64().is_some_and(|i| i == 0 || i == 1) => {
                        n.as_i64() == Some(1)
                    }
                    Json::String(s) if s == "true" || s == "false" => s == "true",
                    other => {
                        return Err(ApiError::new(
                            crate::scoring::error::ErrorCode::BadRequest,
                            format!("Not a boolean value: {other}"),
                        ))
                    }
                };
                let user = auth
                    .db
                    .transaction(|tx| store::user_or_404(tx, &username))?;
                auth.db
                    .transaction(|tx| store::set_admin(tx, user.id, is_admin))?;
                auth.forget(&username);
                Ok(ok(json!({})))
            }
            "users/delete" => {
                if !admin {
                    return Ok(forbidden());
                }
                let username = params.get("username")?;
                if username == caller.username {
                    return Err(ApiError::new(
                        crate::scoring::error::ErrorCode::BadRequest,
                        "Users cannot delete their own account. Ask another admin to delete this user instead.",
                    ));
                }
                auth.db.transaction(|tx| {
                    let user = store::user_or_404(tx, &username)?;
                    store::delete_user(tx, &user)
                })?;
                auth.forget(&username);
                Ok(ok(json!({})))
            }
            "users/current/permissions" => {
                let rows = auth.db.transaction(|tx| permission_rows(tx, caller.id))?;
                Ok(ok(
                    json!({"is_admin": caller.is_admin, "permissions": rows}),
                ))
            }
            "users/permissions/list" => {
                let username = params.get("username")?;
                if !ws_admin && username != caller.username {
                    return Ok(forbidden());
                }
                let (user, rows) = auth.db.transaction(|tx| {
                    let user = store::user_or_404(tx, &username)?;
                    let rows = permission_rows(tx, user.id)?;
                    Ok((user, rows))
                })?;
                Ok(ok(json!({"is_admin": user.is_admin, "permissions": rows})))
            }
            "users/roles/list" => {
                let username = params.get("username")?;
                if !ws_admin && username != caller.username {
                    return Ok(forbidden());
                }
                let roles = auth.db.transaction(|tx| {
                    let user = store::user_or_404(tx, &username)?;
                    let mut out = Vec::new();
                    for r in store::user_roles(tx, user.id)? {
                        out.push(store::role_json(tx, &r)?);
                    }
                    Ok(out)
                })?;
                Ok(ok(json!({"roles": roles})))
            }
            "users/permissions/grant" | "users/permissions/revoke" => {
                let kind = params.get("resource_type")?;
                let id = params.get("resource_id")?;
                if !admin {
                    reject_workspace(&kind)?;
                    validate_type(&kind)?;
                    let allowed = if id == "*" {
                        ws_admin
                    } else {
                        grants
                            .permission(&kind, &id)
                            .allows(permissions::Action::Manage)
                    };
                    if !allowed {
                        return Ok(forbidden());
                    }
                }
                let username = params.get("username")?;
                let grant = endpoint.ends_with("grant");
                let permission = if grant {
                    Some(params.get("permission")?)
                } else {
                    None
                };
                auth.db.transaction(|tx| {
                    let user = store::user_or_404(tx, &username)?;
                    reject_workspace(&kind)?;
                    validate_pattern(&kind, &id)?;
                    match &permission {
                        Some(p) => {
                            let perm = validate_grantable(p, &kind)?;
                            store::grant(tx, &user, &kind, &id, perm, false)
                        }
                        None => store::revoke(tx, &user, &kind, &id),
                    }
                })?;
                Ok(ok(json!({})))
            }
            "users/permissions/get" => {
                let username = params.get("username")?;
                let kind = params.get("resource_type")?;
                let id = params.get("resource_id")?;
                if !ws_admin && username != caller.username {
                    return Ok(forbidden());
                }
                let user = auth
                    .db
                    .transaction(|tx| store::user_or_404(tx, &username))?;
                reject_workspace(&kind)?;
                validate_type(&kind)?;
                let permission = if user.is_admin {
                    Permission::Manage
                } else {
                    auth.grants(&user)?.permission(&kind, &id)
                };
                Ok(ok(json!({
                    "allowed": permission.allows(permissions::Action::Use),
                    "permission": permission.name(),
                })))
            }
            ep => roles(auth, caller, grants, ws_admin, method, ep, &params),
        }
    })();
    answer.unwrap_or_else(IntoResponse::into_response)
}

fn permission_rows(tx: &mut dyn Tx, user_id: i64) -> Result<Vec<Json>, ApiError> {
    Ok(tx
        .query(
            "SELECT rp.permission, rp.resource_pattern, rp.resource_type, r.id, r.name, r.workspace \
             FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
             JOIN user_role_assignments a ON a.role_id = r.id WHERE a.user_id = $1 ORDER BY r.id, rp.id",
            &[crate::tracking::db::Value::Int(user_id)],
        )?
        .iter()
        .map(|r| {
            json!({
                "permission": r.text(0),
                "resource_pattern": r.text(1),
                "resource_type": r.text(2),
                "role_id": r.int(3),
                "role_name": r.text(4),
                "workspace": r.text(5),
            })
        })
        .collect())
}

fn py_tuple(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("({})", quoted.join(", "))
}

fn reject_workspace(kind: &str) -> Result<(), ApiError> {
    if kind == "workspace" {
        return Err(ApiError::invalid_parameter(
            "resource_type 'workspace' is not supported by the per-user permission convenience APIs. Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.",
        ));
    }
    Ok(())
}

fn validate_type(kind: &str) -> Result<(), ApiError> {
    if !permissions::RESOURCE_TYPES.contains(&kind) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid resource type '{kind}'. Valid resource types are: {}",
            py_tuple(permissions::RESOURCE_TYPES)
        )));
    }
    Ok(())
}

fn validate_pattern(kind: &str, pattern: &str) -> Result<(), ApiError> {
    validate_type(kind)?;
    if pattern != "*" && !permissions::per_id(kind) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid resource_pattern '{pattern}' for resource_type='{kind}'. This resource type supports only wildcard ('*') grants."
        )));
    }
    if kind == "scorer" && pattern != "*" && !pattern.contains('/') {
        return Err(ApiError::invalid_parameter(
            "Invalid scorer resource_id. Expected '<experiment_id>/<scorer_name>'.",
        ));
    }
    Ok(())
}

fn validate_grantable(permission: &str, kind: &str) -> Result<Permission, ApiError> {
    let Some(p) = Permission::parse(permission) else {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid permission '{permission}'. Valid permissions are: {}",
            py_tuple(permissions::ALL)
        )));
    };
    validate_type(kind)?;
    if kind == "workspace" {
        if !matches!(p, Permission::Use | Permission::Manage) {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid permission '{permission}' for resource_type='workspace'. Workspace-wide grants accept only: ('MANAGE', 'USE')."
            )));
        }
    } else if p == Permission::NoPermissions {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid permission '{permission}' for resource_type='{kind}'. Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE')."
        )));
    }
    Ok(p)
}

fn int_param(params: &Params, name: &str) -> Result<i64, ApiError> {
    let raw = params.opt(name).cloned();
    let value = params.get(name)?;
    value.trim().parse::<i64>().map_err(|_| {
        let repr = match raw {
            Some(Json::String(s)) => format!("'{s}'"),
            Some(Json::Null) => "None".into(),
            Some(other) => other.to_string(),
            None => "None".into(),
        };
        ApiError::invalid_parameter(format!(
            "Parameter '{name}' must be an integer. Got: {repr}"
        ))
    })
}

fn roles(
    auth: &Auth,
    caller: &User,
    grants: &Grants,
    ws_admin: bool,
    method: &Method,
    endpoint: &str,
    params: &Params,
) -> Result<Response, ApiError> {
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
            crate::tracking::routes::not_found_page()
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
                return Err(ApiError::invalid_parameter("Role name cannot be empty."));
            }
            if workspace.trim().is_empty() {
                return Err(ApiError::invalid_parameter("Workspace cannot be empty."));
            }
            if name.starts_with("__user_") {
                return Err(ApiError::invalid_parameter(format!(
                    "Role name '{name}' uses the reserved '__user_' prefix, which is held for the per-user permission representation. Choose a different name."
                )));
            }
            let description = match params.opt("description") {
                None | Some(Json::Null) => None,
                Some(Json::String(s)) => Some(s.clone()),
                Some(_) => {
                    return Err(ApiError::invalid_parameter(
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
                return Err(ApiError::invalid_parameter(
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
                return Err(ApiError::invalid_parameter(
                    "At least one of 'name' or 'description' must be provided to update a role.",
                ));
            }
            let name = match name {
                Some(Json::String(s)) if !s.trim().is_empty() => Some(s),
                Some(_) => return Err(ApiError::invalid_parameter("Role name cannot be empty.")),
                None => None,
            };
            let description = match description {
                Some(Json::String(s)) => Some(s),
                Some(_) => {
                    return Err(ApiError::invalid_parameter(
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
                    &[crate::tracking::db::Value::Int(id)],
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
                    &[p.name().into(), crate::tracking::db::Value::Int(id)],
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
