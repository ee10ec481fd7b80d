//! The basic-auth app's settings, read as MLflow reads them: the
//! `[mlflow]` section of the INI file named by `MLFLOW_AUTH_CONFIG_PATH`,
//! with the admin's name and password from `MLFLOW_AUTH_ADMIN_USERNAME` /
//! `MLFLOW_AUTH_ADMIN_PASSWORD` taking precedence, and MLflow's shipped
//! defaults (`default_permission = READ`, `sqlite:///basic_auth.db`,
//! admin `admin`) for what neither sets.

use std::path::Path;

use super::permissions::Permission;

/// A password that never prints: `Debug` shows `***`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret::new(s))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub database_uri: String,
    pub default_permission: Permission,
    pub admin_username: Option<String>,
    pub admin_password: Option<Secret>,
    pub max_db_connections: usize,
}

/// What the command line and environment gave; `None` is "not set".
#[derive(Debug, Default)]
pub struct AuthInputs<'a> {
    pub config_path: Option<&'a Path>,
    pub database_uri: Option<&'a str>,
    pub default_permission: Option<&'a str>,
    pub admin_username: Option<&'a str>,
    pub admin_password: Option<&'a str>,
    pub max_db_connections: usize,
}

pub fn settings(inputs: &AuthInputs) -> Result<AuthSettings, String> {
    let ini = match inputs.config_path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("auth config {}: {e}", path.display()))?;
            mlflow_section(&text)
        }
        None => Vec::new(),
    };
    let from_ini = |key: &str| ini.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let permission = inputs
        .default_permission
        .map(str::to_string)
        .or_else(|| from_ini("default_permission"))
        .unwrap_or_else(|| "READ".into());
    let default_permission = Permission::parse(&permission).ok_or_else(|| {
        format!(
            "default_permission '{permission}' is not one of {}",
            super::permissions::ALL.join(", ")
        )
    })?;
    let database_uri = inputs
        .database_uri
        .map(str::to_string)
        .or_else(|| from_ini("database_uri"))
        .unwrap_or_else(|| "sqlite:///basic_auth.db".into());
    // As MLflow: a set variable wins even when empty, and empty means none.
    let admin_username = inputs
        .admin_username
        .map(str::to_string)
        .or_else(|| from_ini("admin_username"))
        .or_else(|| (inputs.config_path.is_none()).then(|| "admin".into()))
        .filter(|u| !u.is_empty());
    let admin_password = inputs
        .admin_password
        .map(str::to_string)
        .or_else(|| from_ini("admin_password"))
        .filter(|p| !p.is_empty())
        .map(Secret::new);
    Ok(AuthSettings {
        database_uri,
        default_permission,
        admin_username,
        admin_password,
        max_db_connections: inputs.max_db_connections,
    })
}

/// `key = value` pairs of the `[mlflow]` section, as configparser reads
/// them: `#` and `;` start comment lines, `:` also separates.
fn mlflow_section(text: &str) -> Vec<(String, String)> {
    let mut in_section = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            in_section = name.trim() == "mlflow";
            continue;
        }
        if !in_section {
            continue;
        }
        let split = trimmed.find(['=', ':']);
        if let Some(i) = split {
            out.push((
                trimmed[..i].trim().to_lowercase(),
                trimmed[i + 1..].trim().to_string(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mlflows_ini_with_the_environment_winning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.ini");
        std::fs::write(
            &path,
            "[other]\ndefault_permission = EDIT\n[mlflow]\n# comment\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = sqlite:///x.db\nadmin_username = root\nadmin_password = from-the-file-1\n",
        )
        .unwrap();
        let s = settings(&AuthInputs {
            config_path: Some(&path),
            admin_password: Some("from-the-env-12"),
            max_db_connections: 3,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.default_permission, Permission::NoPermissions);
        assert_eq!(s.database_uri, "sqlite:///x.db");
        assert_eq!(s.admin_username.as_deref(), Some("root"));
        assert_eq!(
            s.admin_password.as_ref().unwrap().expose(),
            "from-the-env-12"
        );
        assert!(!format!("{s:?}").contains("from-the"), "{s:?}");
        let bad = settings(&AuthInputs {
            default_permission: Some("WRITE"),
            ..Default::default()
        });
        assert!(bad.unwrap_err().contains("WRITE"));
    }
}
