//! The basic-auth app's tables (MLflow's own schema: `users`, `roles`,
//! `role_permissions`, `user_role_assignments`), read and written in one
//! transaction per call. Per-user grants live on a hidden role
//! `__user_<id>__` in the "default" workspace, where MLflow puts them.

use serde_json::{json, Value as Json};

use super::permissions::{Grant, Permission};
use crate::db::{Row, Tx, Value};
use crate::MlflowError;

pub const WORKSPACE: &str = "default";

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub is_admin: bool,
}

impl User {
    pub fn to_json(&self) -> Json {
        json!({"id": self.id, "is_admin": self.is_admin, "username": self.username})
    }
}

fn user_from(row: &Row) -> User {
    User {
        id: row.int(0),
        username: row.text(1),
        password_hash: row.text(2),
        is_admin: row.bool(3),
    }
}

pub fn user(tx: &mut dyn Tx, username: &str) -> Result<Option<User>, MlflowError> {
    Ok(tx
        .one(
            "SELECT id, username, password_hash, is_admin FROM users WHERE username = $1",
            &[username.into()],
        )?
        .map(|r| user_from(&r)))
}

pub fn user_or_404(tx: &mut dyn Tx, username: &str) -> Result<User, MlflowError> {
    user(tx, username)?
        .ok_or_else(|| MlflowError::not_found(format!("User with username={username} not found")))
}

pub fn users(tx: &mut dyn Tx) -> Result<Vec<User>, MlflowError> {
    Ok(tx
        .query(
            "SELECT id, username, password_hash, is_admin FROM users ORDER BY id",
            &[],
        )?
        .iter()
        .map(user_from)
        .collect())
}

fn inserted_id(tx: &mut dyn Tx, sql: &str, params: &[Value]) -> Result<i64, MlflowError> {
    if tx.is_postgres() {
        let row = tx.one(&format!("{sql} RETURNING id"), params)?;
        Ok(row.map(|r| r.int(0)).unwrap_or_default())
    } else {
        tx.execute(sql, params)?;
        Ok(tx
            .one("SELECT last_insert_rowid()", &[])?
            .map(|r| r.int(0))
            .unwrap_or_default())
    }
}

pub fn create_user(
    tx: &mut dyn Tx,
    username: &str,
    password_hash: &str,
    is_admin: bool,
) -> Result<User, MlflowError> {
    if user(tx, username)?.is_some() {
        return Err(MlflowError::already_exists(format!(
            "User (username={username}) already exists. Error: (UNIQUE constraint failed: users.username)"
        )));
    }
    let id = inserted_id(
        tx,
        "INSERT INTO users (username, password_hash, is_admin) VALUES ($1, $2, $3)",
        &[username.into(), password_hash.into(), Value::Bool(is_admin)],
    )?;
    Ok(User {
        id,
        username: username.to_string(),
        password_hash: password_hash.to_string(),
        is_admin,
    })
}

pub fn set_password(tx: &mut dyn Tx, user_id: i64, hash: &str) -> Result<(), MlflowError> {
    tx.execute(
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        &[hash.into(), Value::Int(user_id)],
    )?;
    Ok(())
}

pub fn set_admin(tx: &mut dyn Tx, user_id: i64, is_admin: bool) -> Result<(), MlflowError> {
    tx.execute(
        "UPDATE users SET is_admin = $1 WHERE id = $2",
        &[Value::Bool(is_admin), Value::Int(user_id)],
    )?;
    Ok(())
}

/// Removes the user, their hidden grant role and every row of the legacy
/// permission tables, as MLflow's delete_user does.
pub fn delete_user(tx: &mut dyn Tx, user: &User) -> Result<(), MlflowError> {
    let uid = Value::Int(user.id);
    let synthetic = synthetic_name(user.id);
    tx.execute(
        "DELETE FROM role_permissions WHERE role_id IN (SELECT id FROM roles WHERE name = $1)",
        &[synthetic.as_str().into()],
    )?;
    tx.execute(
        "DELETE FROM user_role_assignments WHERE user_id = $1",
        std::slice::from_ref(&uid),
    )?;
    tx.execute(
        "DELETE FROM roles WHERE name = $1",
        &[synthetic.as_str().into()],
    )?;
    for table in [
        "experiment_permissions",
        "registered_model_permissions",
        "scorer_permissions",
        "gateway_secret_permissions",
        "gateway_endpoint_permissions",
        "gateway_model_definition_permissions",
        "workspace_permissions",
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE user_id = $1"),
            std::slice::from_ref(&uid),
        )?;
    }
    tx.execute("DELETE FROM users WHERE id = $1", &[uid])?;
    Ok(())
}

pub fn synthetic_name(user_id: i64) -> String {
    format!("__user_{user_id}__")
}

/// Every grant of every role the user holds in the default workspace.
pub fn grants(tx: &mut dyn Tx, user_id: i64) -> Result<Vec<Grant>, MlflowError> {
    Ok(tx
        .query(
            "SELECT rp.resource_type, rp.resource_pattern, rp.permission FROM role_permissions rp \
             JOIN user_role_assignments a ON a.role_id = rp.role_id \
             JOIN roles r ON r.id = rp.role_id \
             WHERE a.user_id = $1 AND r.workspace = $2",
            &[Value::Int(user_id), WORKSPACE.into()],
        )?
        .iter()
        .filter_map(|r| {
            Some(Grant {
                resource_type: r.text(0),
                pattern: r.text(1),
                permission: Permission::parse(&r.text(2))?,
            })
        })
        .collect())
}

fn synthetic_role(tx: &mut dyn Tx, user_id: i64) -> Result<i64, MlflowError> {
    let name = synthetic_name(user_id);
    let role = match tx.one(
        "SELECT id FROM roles WHERE name = $1 AND workspace = $2",
        &[name.as_str().into(), WORKSPACE.into()],
    )? {
        Some(r) => r.int(0),
        None => inserted_id(
            tx,
            "INSERT INTO roles (name, workspace, description) VALUES ($1, $2, NULL)",
            &[name.as_str().into(), WORKSPACE.into()],
        )?,
    };
    if tx
        .one(
            "SELECT 1 FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
            &[Value::Int(user_id), Value::Int(role)],
        )?
        .is_none()
    {
        tx.execute(
            "INSERT INTO user_role_assignments (user_id, role_id) VALUES ($1, $2)",
            &[Value::Int(user_id), Value::Int(role)],
        )?;
    }
    Ok(role)
}

/// The user's own grant on one resource, if any.
pub fn own_grant(
    tx: &mut dyn Tx,
    user_id: i64,
    kind: &str,
    pattern: &str,
) -> Result<Option<(i64, String)>, MlflowError> {
    Ok(tx
        .one(
            "SELECT rp.id, rp.permission FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
             WHERE r.name = $1 AND r.workspace = $2 AND rp.resource_type = $3 AND rp.resource_pattern = $4",
            &[
                synthetic_name(user_id).as_str().into(),
                WORKSPACE.into(),
                kind.into(),
                pattern.into(),
            ],
        )?
        .map(|r| (r.int(0), r.text(1))))
}

/// Adds a grant to the user's hidden role; `replace` updates an existing
/// one (the creator's MANAGE), otherwise an existing one is an error.
pub fn grant(
    tx: &mut dyn Tx,
    user: &User,
    kind: &str,
    pattern: &str,
    permission: Permission,
    replace: bool,
) -> Result<(), MlflowError> {
    if let Some((id, _)) = own_grant(tx, user.id, kind, pattern)? {
        if !replace {
            return Err(MlflowError::already_exists(format!(
                "Permission for user={} on resource_type={kind}, resource_id={pattern} already exists.",
                user.username
            )));
        }
        tx.execute(
            "UPDATE role_permissions SET permission = $1 WHERE id = $2",
            &[permission.name().into(), Value::Int(id)],
        )?;
        return Ok(());
    }
    let role = synthetic_role(tx, user.id)?;
    tx.execute(
        "INSERT INTO role_permissions (role_id, resource_type, resource_pattern, permission) VALUES ($1, $2, $3, $4)",
        &[Value::Int(role), kind.into(), pattern.into(), permission.name().into()],
    )?;
    Ok(())
}

pub fn revoke(tx: &mut dyn Tx, user: &User, kind: &str, pattern: &str) -> Result<(), MlflowError> {
    let Some((id, _)) = own_grant(tx, user.id, kind, pattern)? else {
        return Err(MlflowError::not_found(format!(
            "Permission for user={} on resource_type={kind}, resource_id={pattern} not found.",
            user.username
        )));
    };
    tx.execute(
        "DELETE FROM role_permissions WHERE id = $1",
        &[Value::Int(id)],
    )?;
    Ok(())
}

/// Every user's hidden-role grants on `(kinds, name)`: deleted with the
/// registered model, or moved to its new name.
pub fn sweep_synthetic(
    tx: &mut dyn Tx,
    kinds: &[&str],
    name: &str,
    new_name: Option<&str>,
) -> Result<(), MlflowError> {
    for kind in kinds {
        let scope = "role_id IN (SELECT id FROM roles WHERE name LIKE '\\_\\_user\\_%' ESCAPE '\\' AND workspace = $1) \
                     AND resource_type = $2 AND resource_pattern = $3";
        match new_name {
            Some(new) => tx.execute(
                &format!("UPDATE role_permissions SET resource_pattern = $4 WHERE {scope}"),
                &[WORKSPACE.into(), (*kind).into(), name.into(), new.into()],
            )?,
            None => tx.execute(
                &format!("DELETE FROM role_permissions WHERE {scope}"),
                &[WORKSPACE.into(), (*kind).into(), name.into()],
            )?,
        };
    }
    Ok(())
}

// ---- roles ----

pub fn role_permission_json(r: &Row) -> Json {
    json!({
        "id": r.int(0),
        "role_id": r.int(1),
        "resource_type": r.text(2),
        "resource_pattern": r.text(3),
        "permission": r.text(4),
    })
}

const RP_COLUMNS: &str = "id, role_id, resource_type, resource_pattern, permission";

pub fn role_permissions(tx: &mut dyn Tx, role_id: i64) -> Result<Vec<Json>, MlflowError> {
    Ok(tx
        .query(
            &format!("SELECT {RP_COLUMNS} FROM role_permissions WHERE role_id = $1 ORDER BY id"),
            &[Value::Int(role_id)],
        )?
        .iter()
        .map(role_permission_json)
        .collect())
}

pub fn role_permission(tx: &mut dyn Tx, id: i64) -> Result<Row, MlflowError> {
    tx.one(
        &format!("SELECT {RP_COLUMNS} FROM role_permissions WHERE id = $1"),
        &[Value::Int(id)],
    )?
    .ok_or_else(|| MlflowError::not_found(format!("Role permission with id={id} not found")))
}

pub struct Role {
    pub id: i64,
    pub name: String,
    pub workspace: String,
    pub description: Option<String>,
}

fn role_from(r: &Row) -> Role {
    Role {
        id: r.int(0),
        name: r.text(1),
        workspace: r.text(2),
        description: r.opt_text(3),
    }
}

pub fn role(tx: &mut dyn Tx, id: i64) -> Result<Role, MlflowError> {
    tx.one(
        "SELECT id, name, workspace, description FROM roles WHERE id = $1",
        &[Value::Int(id)],
    )?
    .map(|r| role_from(&r))
    .ok_or_else(|| MlflowError::not_found(format!("Role with id={id} not found")))
}

pub fn role_json(tx: &mut dyn Tx, role: &Role) -> Result<Json, MlflowError> {
    Ok(json!({
        "id": role.id,
        "name": role.name,
        "workspace": role.workspace,
        "description": role.description,
        "permissions": role_permissions(tx, role.id)?,
    }))
}

pub fn roles(tx: &mut dyn Tx, workspaces: &[String]) -> Result<Vec<Role>, MlflowError> {
    let rows = tx.query(
        "SELECT id, name, workspace, description FROM roles ORDER BY id",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(role_from)
        .filter(|r| workspaces.is_empty() || workspaces.contains(&r.workspace))
        .collect())
}

pub fn user_roles(tx: &mut dyn Tx, user_id: i64) -> Result<Vec<Role>, MlflowError> {
    Ok(tx
        .query(
            "SELECT r.id, r.name, r.workspace, r.description FROM roles r \
             JOIN user_role_assignments a ON a.role_id = r.id WHERE a.user_id = $1 ORDER BY r.id",
            &[Value::Int(user_id)],
        )?
        .iter()
        .map(role_from)
        .collect())
}

pub fn create_role(
    tx: &mut dyn Tx,
    name: &str,
    workspace: &str,
    description: Option<&str>,
) -> Result<Role, MlflowError> {
    if tx
        .one(
            "SELECT 1 FROM roles WHERE name = $1 AND workspace = $2",
            &[name.into(), workspace.into()],
        )?
        .is_some()
    {
        return Err(MlflowError::already_exists(format!(
            "Role (name={name}, workspace={workspace}) already exists. Error: (UNIQUE constraint failed: roles.workspace, roles.name)"
        )));
    }
    let id = inserted_id(
        tx,
        "INSERT INTO roles (name, workspace, description) VALUES ($1, $2, $3)",
        &[
            name.into(),
            workspace.into(),
            description.map(Value::from).unwrap_or(Value::Null),
        ],
    )?;
    role(tx, id)
}

pub fn update_role(
    tx: &mut dyn Tx,
    id: i64,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Role, MlflowError> {
    let current = role(tx, id)?;
    if let Some(n) = name {
        if n != current.name
            && tx
                .one(
                    "SELECT 1 FROM roles WHERE name = $1 AND workspace = $2",
                    &[n.into(), current.workspace.as_str().into()],
                )?
                .is_some()
        {
            return Err(MlflowError::already_exists(format!(
                "Role (name={n}, workspace={}) already exists.",
                current.workspace
            )));
        }
        tx.execute(
            "UPDATE roles SET name = $1 WHERE id = $2",
            &[n.into(), Value::Int(id)],
        )?;
    }
    if let Some(d) = description {
        tx.execute(
            "UPDATE roles SET description = $1 WHERE id = $2",
            &[d.into(), Value::Int(id)],
        )?;
    }
    role(tx, id)
}

pub fn delete_role(tx: &mut dyn Tx, id: i64) -> Result<(), MlflowError> {
    role(tx, id)?;
    for sql in [
        "DELETE FROM role_permissions WHERE role_id = $1",
        "DELETE FROM user_role_assignments WHERE role_id = $1",
        "DELETE FROM roles WHERE id = $1",
    ] {
        tx.execute(sql, &[Value::Int(id)])?;
    }
    Ok(())
}

pub fn add_role_permission(
    tx: &mut dyn Tx,
    role_id: i64,
    kind: &str,
    pattern: &str,
    permission: &str,
) -> Result<Json, MlflowError> {
    role(tx, role_id)?;
    if tx
        .one(
            "SELECT 1 FROM role_permissions WHERE role_id = $1 AND resource_type = $2 AND resource_pattern = $3",
            &[Value::Int(role_id), kind.into(), pattern.into()],
        )?
        .is_some()
    {
        return Err(MlflowError::already_exists(format!(
            "Role permission (role_id={role_id}, resource_type={kind}, resource_pattern={pattern}) already exists."
        )));
    }
    let id = inserted_id(
        tx,
        "INSERT INTO role_permissions (role_id, resource_type, resource_pattern, permission) VALUES ($1, $2, $3, $4)",
        &[Value::Int(role_id), kind.into(), pattern.into(), permission.into()],
    )?;
    Ok(role_permission_json(&role_permission(tx, id)?))
}

pub fn assignments(tx: &mut dyn Tx, role_id: i64) -> Result<Vec<Json>, MlflowError> {
    Ok(tx
        .query(
            "SELECT id, user_id, role_id FROM user_role_assignments WHERE role_id = $1 ORDER BY id",
            &[Value::Int(role_id)],
        )?
        .iter()
        .map(|r| json!({"id": r.int(0), "user_id": r.int(1), "role_id": r.int(2)}))
        .collect())
}

pub fn assign(tx: &mut dyn Tx, user: &User, role_id: i64) -> Result<Json, MlflowError> {
    role(tx, role_id)?;
    if tx
        .one(
            "SELECT 1 FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
            &[Value::Int(user.id), Value::Int(role_id)],
        )?
        .is_some()
    {
        return Err(MlflowError::already_exists(format!(
            "User role assignment (user_id={}, role_id={role_id}) already exists",
            user.id
        )));
    }
    let id = inserted_id(
        tx,
        "INSERT INTO user_role_assignments (user_id, role_id) VALUES ($1, $2)",
        &[Value::Int(user.id), Value::Int(role_id)],
    )?;
    Ok(json!({"id": id, "user_id": user.id, "role_id": role_id}))
}

pub fn unassign(tx: &mut dyn Tx, user: &User, role_id: i64) -> Result<(), MlflowError> {
    let n = tx.execute(
        "DELETE FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
        &[Value::Int(user.id), Value::Int(role_id)],
    )?;
    if n == 0 {
        return Err(MlflowError::not_found(format!(
            "User role assignment (user_id={}, role_id={role_id}) not found",
            user.id
        )));
    }
    Ok(())
}
