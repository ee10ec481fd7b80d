//! MLflow 3.17.2's permission levels and how grants fold into one
//! effective permission (mlflow/server/auth/permissions.py and
//! requirements.py), with workspaces disabled: every grant lives in the
//! "default" workspace.

use std::cmp::Ordering;

use crate::MlflowError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Deny,
    NoPermissions,
    Read,
    Use,
    Edit,
    Manage,
}

/// The order MLflow lists them in its error messages.
pub const ALL: &[&str] = &["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS", "DENY"];

impl Permission {
    pub fn parse(name: &str) -> Option<Permission> {
        Some(match name {
            "READ" => Permission::Read,
            "USE" => Permission::Use,
            "EDIT" => Permission::Edit,
            "MANAGE" => Permission::Manage,
            "NO_PERMISSIONS" => Permission::NoPermissions,
            "DENY" => Permission::Deny,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Use => "USE",
            Permission::Edit => "EDIT",
            Permission::Manage => "MANAGE",
            Permission::NoPermissions => "NO_PERMISSIONS",
            Permission::Deny => "DENY",
        }
    }

    fn priority(self) -> i8 {
        match self {
            Permission::Deny => -1,
            Permission::NoPermissions => 0,
            Permission::Read => 1,
            Permission::Use => 2,
            Permission::Edit => 3,
            Permission::Manage => 4,
        }
    }

    pub fn allows(self, action: Action) -> bool {
        let p = self.priority();
        match action {
            Action::Read => p >= 1,
            Action::Use => p >= 2,
            Action::Update => p >= 3,
            Action::Delete | Action::Manage => p >= 4,
            Action::NotDenied => self != Permission::Deny,
        }
    }

    /// A positive grant never falls below the default permission.
    fn floored(self, default: Permission) -> Permission {
        match self {
            Permission::Deny | Permission::NoPermissions => self,
            p if p.priority() < default.priority() => default,
            p => p,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Use,
    Update,
    Delete,
    Manage,
    NotDenied,
}

/// Every resource type a grant may name, sorted as MLflow prints them.
pub const RESOURCE_TYPES: &[&str] = &[
    "assessment",
    "experiment",
    "gateway_endpoint",
    "gateway_model_definition",
    "gateway_secret",
    "logged_model",
    "mcp_server",
    "mcp_server_version",
    "prompt",
    "prompt_version",
    "registered_model",
    "registered_model_version",
    "review_queue",
    "run",
    "scorer",
    "scorer_version",
    "trace",
    "workspace",
];

/// Types whose grants may name one resource; the others take `*` only.
pub fn per_id(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "experiment"
            | "registered_model"
            | "prompt"
            | "scorer"
            | "gateway_secret"
            | "gateway_endpoint"
            | "gateway_model_definition"
            | "mcp_server"
    )
}

/// One role_permissions row held by the caller.
#[derive(Debug, Clone)]
pub struct Grant {
    pub resource_type: String,
    pub pattern: String,
    pub permission: Permission,
}

/// A check a request must pass: `action` on `(kind, id)`, judged by the
/// first of the resource and its fallbacks that has a grant.
pub struct Requirement {
    pub kind: &'static str,
    pub id: String,
    pub action: Action,
    pub fallback: Vec<(&'static str, String)>,
}

impl Requirement {
    pub fn on(kind: &'static str, id: impl Into<String>, action: Action) -> Requirement {
        Requirement {
            kind,
            id: id.into(),
            action,
            fallback: Vec::new(),
        }
    }

    /// A sub-resource tier (`run`, `registered_model_version`, …) judged by
    /// its parent when it has no grant of its own.
    pub fn tier(kind: &'static str, action: Action, parent: (&'static str, &str)) -> Requirement {
        Requirement {
            kind,
            id: "*".into(),
            action,
            fallback: vec![(parent.0, parent.1.to_string())],
        }
    }
}

/// The caller's grants and the server's default, folded as MLflow folds them.
pub struct Grants {
    pub rows: Vec<Grant>,
    pub default: Permission,
}

impl Grants {
    /// `(workspace, *, MANAGE)`: a workspace admin, who cannot be restricted.
    pub fn workspace_admin(&self) -> bool {
        self.rows.iter().any(|g| {
            g.resource_type == "workspace" && g.pattern == "*" && g.permission == Permission::Manage
        })
    }

    fn fold(&self, kind: &str, id: &str) -> Option<Permission> {
        let mut best: Option<Permission> = None;
        for g in &self.rows {
            if g.resource_type != kind {
                continue;
            }
            if !(g.pattern == "*" || (per_id(kind) && g.pattern == id)) {
                continue;
            }
            if g.permission == Permission::Deny {
                return Some(Permission::Deny);
            }
            best = match best {
                Some(b) if b.priority().cmp(&g.permission.priority()) != Ordering::Less => Some(b),
                _ => Some(g.permission),
            };
        }
        best
    }

    /// The effective permission on one resource: its grants, floored by the
    /// default, or the default when nothing matches.
    pub fn permission(&self, kind: &str, id: &str) -> Permission {
        if self.workspace_admin() {
            return Permission::Manage;
        }
        match self.fold(kind, id) {
            Some(p) => p.floored(self.default),
            None => self.default,
        }
    }

    /// May read the experiment.
    pub fn reads_experiment(&self, id: &str) -> bool {
        self.permission("experiment", id).allows(Action::Read)
    }

    /// May search the experiment's runs: read on it, and runs not denied.
    pub fn searches_runs_of(&self, experiment: &str) -> bool {
        self.reads_experiment(experiment)
            && self.satisfies(&Requirement::on("run", "*", Action::NotDenied))
    }

    /// May read a run of the experiment: read on it, and on its runs.
    pub fn reads_run_in(&self, experiment: &str) -> bool {
        self.reads_experiment(experiment)
            && self.satisfies(&Requirement::tier(
                "run",
                Action::Read,
                ("experiment", experiment),
            ))
    }

    /// May see the registered model's versions in a search: read on the
    /// model, and versions not denied.
    pub fn lists_versions_of(&self, model: &str) -> bool {
        self.permission("registered_model", model)
            .allows(Action::Read)
            && self.satisfies(&Requirement::on(
                "registered_model_version",
                "*",
                Action::NotDenied,
            ))
    }

    pub fn satisfies(&self, req: &Requirement) -> bool {
        if self.workspace_admin() {
            return true;
        }
        let rungs = std::iter::once((req.kind, req.id.as_str()))
            .chain(req.fallback.iter().map(|(k, i)| (*k, i.as_str())));
        for (kind, id) in rungs {
            if let Some(p) = self.fold(kind, id) {
                return p.floored(self.default).allows(req.action);
            }
        }
        self.default.allows(req.action)
    }
}

// ---- validation of grants, with MLflow's messages ----

fn py_tuple(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("({})", quoted.join(", "))
}

pub fn reject_workspace(kind: &str) -> Result<(), MlflowError> {
    if kind == "workspace" {
        return Err(MlflowError::invalid_parameter(
            "resource_type 'workspace' is not supported by the per-user permission convenience APIs. Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.",
        ));
    }
    Ok(())
}

pub fn validate_type(kind: &str) -> Result<(), MlflowError> {
    if !RESOURCE_TYPES.contains(&kind) {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid resource type '{kind}'. Valid resource types are: {}",
            py_tuple(RESOURCE_TYPES)
        )));
    }
    Ok(())
}

pub fn validate_pattern(kind: &str, pattern: &str) -> Result<(), MlflowError> {
    validate_type(kind)?;
    if pattern != "*" && !per_id(kind) {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid resource_pattern '{pattern}' for resource_type='{kind}'. This resource type supports only wildcard ('*') grants."
        )));
    }
    if kind == "scorer" && pattern != "*" && !pattern.contains('/') {
        return Err(MlflowError::invalid_parameter(
            "Invalid scorer resource_id. Expected '<experiment_id>/<scorer_name>'.",
        ));
    }
    Ok(())
}

pub fn validate_grantable(permission: &str, kind: &str) -> Result<Permission, MlflowError> {
    let Some(p) = Permission::parse(permission) else {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid permission '{permission}'. Valid permissions are: {}",
            py_tuple(ALL)
        )));
    };
    validate_type(kind)?;
    if kind == "workspace" {
        if !matches!(p, Permission::Use | Permission::Manage) {
            return Err(MlflowError::invalid_parameter(format!(
                "Invalid permission '{permission}' for resource_type='workspace'. Workspace-wide grants accept only: ('MANAGE', 'USE')."
            )));
        }
    } else if p == Permission::NoPermissions {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid permission '{permission}' for resource_type='{kind}'. Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE')."
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(rows: &[(&str, &str, Permission)], default: Permission) -> Grants {
        Grants {
            rows: rows
                .iter()
                .map(|(t, p, perm)| Grant {
                    resource_type: t.to_string(),
                    pattern: p.to_string(),
                    permission: *perm,
                })
                .collect(),
            default,
        }
    }

    #[test]
    fn grants_fold_with_deny_winning_and_the_default_as_floor() {
        use Permission::*;
        let g = grants(
            &[
                ("experiment", "1", Read),
                ("experiment", "*", Edit),
                ("experiment", "2", Deny),
            ],
            Read,
        );
        assert_eq!(g.permission("experiment", "1"), Edit);
        assert_eq!(g.permission("experiment", "2"), Deny);
        assert_eq!(g.permission("registered_model", "m"), Read);
        let g = grants(&[("experiment", "1", Read)], Edit);
        assert_eq!(g.permission("experiment", "1"), Edit);
        let g = grants(&[("run", "abc", Manage)], NoPermissions);
        assert_eq!(
            g.permission("run", "abc"),
            NoPermissions,
            "run takes * only"
        );
        let g = grants(
            &[("workspace", "*", Manage), ("experiment", "1", Deny)],
            Read,
        );
        assert_eq!(g.permission("experiment", "1"), Manage);
    }

    #[test]
    fn a_tier_without_grants_is_judged_by_its_parent() {
        use Permission::*;
        let g = grants(&[("experiment", "1", Edit)], Read);
        let req = Requirement::tier("run", Action::Update, ("experiment", "1"));
        assert!(g.satisfies(&req));
        let req = Requirement::tier("run", Action::Delete, ("experiment", "1"));
        assert!(!g.satisfies(&req));
        let g = grants(&[("experiment", "1", Manage), ("run", "*", Read)], Read);
        assert!(!g.satisfies(&Requirement::tier(
            "run",
            Action::Delete,
            ("experiment", "1")
        )));
    }
}
