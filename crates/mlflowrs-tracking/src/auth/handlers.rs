//! The basic-auth app's own REST endpoints: users (`/api/2.0/mlflow/users/…`)
//! and per-user grants and permission listings (`/api/3.0/mlflow/users/…`),
//! each with the check MLflow makes of a caller who is not an admin; the
//! role endpoints are in `roles`.

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value as Json};

use super::params::Params;
use super::permissions::{
    self, reject_workspace, validate_grantable, validate_pattern, validate_type, Permission,
};
use super::store;
use super::{forbidden, html, ok, validate_password, Auth, Caller};
use crate::db::Tx;
use crate::MlflowError;

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
    let answer = (|| -> Result<Response, MlflowError> {
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
                        return Err(MlflowError::invalid_parameter(
                            "Current password is required when changing your own password.",
                        ));
                    }
                    if !auth.verify(&user, current) {
                        return Err(MlflowError::invalid_parameter(
                            "Current password does not match.",
                        ));
                    }
                    if new == current {
                        return Err(MlflowError::invalid_parameter(
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
                    return Err(crate::error::missing("is_admin"));
                };
                let is_admin = match raw {
                    Json::Bool(b) => b,
                    Json::Number(n) if n.as_i64().is_some_and(|i| i == 0 || i == 1) => {
                        n.as_i64() == Some(1)
                    }
                    Json::String(s) if s == "true" || s == "false" => s == "true",
                    other => {
                        return Err(MlflowError::new(
                            mlflowrs_protocol::ErrorCode::BadRequest,
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
                    return Err(MlflowError::new(
                        mlflowrs_protocol::ErrorCode::BadRequest,
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
            ep => super::roles::route(auth, caller, grants, ws_admin, method, ep, &params),
        }
    })();
    answer.unwrap_or_else(IntoResponse::into_response)
}

fn permission_rows(tx: &mut dyn Tx, user_id: i64) -> Result<Vec<Json>, MlflowError> {
    Ok(tx
        .query(
            "SELECT rp.permission, rp.resource_pattern, rp.resource_type, r.id, r.name, r.workspace \
             FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
             JOIN user_role_assignments a ON a.role_id = r.id WHERE a.user_id = $1 ORDER BY r.id, rp.id",
            &[crate::db::Value::Int(user_id)],
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
