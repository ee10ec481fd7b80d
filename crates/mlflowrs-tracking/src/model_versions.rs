//! Model versions: create (with MLflow's checks of where the source lies),
//! get, update, stage transitions, delete (kept as a tombstone), tags,
//! download URIs and search.

use serde_json::{json, Value as Json};

use super::db::{find_key, Row, Tx, Value};
use super::error::MlflowError;
use super::json::{key_values, now_ms, object, opt_int, opt_str};
use super::logged_models;
use super::registered_model_rows::{check_model, touch_model};
use super::request::Request;
use super::runs;
use super::search::{self, Field, Searchable};
use super::Settings;

const DELETED: &str = "Deleted_Internal";

const STAGES: [&str; 4] = ["None", "Staging", "Production", "Archived"];

const MV_COLUMNS: &str = "name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status, status_message, run_link, storage_location";

fn version_not_found(name: &str, version: i64) -> MlflowError {
    MlflowError::not_found(format!(
        "Model Version (name={name}, version={version}) not found"
    ))
}

/// `staging` → `Staging`; anything else is MLflow's stage error.
pub(super) fn canonical_stage(text: &str) -> Result<&'static str, MlflowError> {
    STAGES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(text))
        .copied()
        .ok_or_else(|| {
            MlflowError::invalid_parameter(format!(
                "Invalid Model Version stage: {text}. Value must be one of None, Staging, Production, Archived."
            ))
        })
}

pub(super) fn parse_version(text: &str) -> Result<i64, MlflowError> {
    text.trim().parse().map_err(|_| {
        MlflowError::invalid_parameter(format!(
            "Parameter 'version' must be an integer, got '{text}'."
        ))
    })
}

pub(super) struct Version {
    row: Row,
    tags: Vec<Row>,
    aliases: Vec<String>,
}

impl Version {
    fn number(&self) -> i64 {
        self.row.int(1)
    }
    fn stage(&self) -> String {
        self.row.opt_text(6).unwrap_or_else(|| "None".into())
    }

    pub(super) fn to_json(&self, with_aliases: bool) -> Json {
        let r = &self.row;
        let mut fields = vec![
            ("name", json!(r.text(0))),
            ("version", json!(r.int(1).to_string())),
            ("creation_timestamp", opt_int(r.opt_int(2))),
            ("last_updated_timestamp", opt_int(r.opt_int(3))),
            ("user_id", opt_str(r.opt_text(5).filter(|s| !s.is_empty()))),
            ("current_stage", json!(self.stage())),
            ("description", json!(r.text(4))),
            ("source", json!(r.text(7))),
            ("run_id", json!(r.text(8))),
            (
                "status",
                json!(r.opt_text(9).unwrap_or_else(|| "READY".into())),
            ),
            ("status_message", opt_str(r.opt_text(10))),
            ("tags", key_values(&self.tags)),
            ("run_link", json!(r.text(11))),
        ];
        if with_aliases {
            fields.push(("aliases", json!(self.aliases)));
        }
        object(fields)
    }

    fn download_uri(&self) -> String {
        self.row
            .opt_text(12)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| self.row.text(7))
    }
}

impl Searchable for Version {
    fn field(&self, kind: &str, key: &str) -> Option<Field> {
        match (kind, key) {
            ("tag", k) => find_key(&self.tags, k).map(|t| Field::Str(t.text(1))),
            (_, "name") => Some(Field::Str(self.row.text(0))),
            (_, "version_number" | "version") => Some(Field::Num(self.number() as f64)),
            (_, "run_id") => Some(Field::Str(self.row.text(8))),
            (_, "source_path" | "source") => Some(Field::Str(self.row.text(7))),
            (_, "current_stage") => Some(Field::Str(self.stage())),
            (_, "creation_timestamp") => self.row.opt_int(2).map(|t| Field::Num(t as f64)),
            (_, "last_updated_timestamp") => self.row.opt_int(3).map(|t| Field::Num(t as f64)),
            _ => None,
        }
    }
}

pub(super) fn load_versions(
    tx: &mut dyn Tx,
    where_sql: &str,
    params: &[Value],
) -> Result<Vec<Version>, MlflowError> {
    let rows = tx.query(
        &format!("SELECT {MV_COLUMNS} FROM model_versions WHERE workspace = 'default' AND (current_stage IS NULL OR current_stage <> '{DELETED}') AND {where_sql} ORDER BY name, version"),
        params,
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let key = [Value::Text(row.text(0)), Value::Int(row.int(1))];
        let tags = tx.query("SELECT key, value FROM model_version_tags WHERE workspace = 'default' AND name = $1 AND version = $2", &key)?;
        let aliases = tx
            .query("SELECT alias FROM registered_model_aliases WHERE workspace = 'default' AND name = $1 AND version = $2 ORDER BY alias", &key)?
            .iter()
            .map(|r| r.text(0))
            .collect();
        out.push(Version { row, tags, aliases });
    }
    Ok(out)
}

pub(super) fn load_version(
    tx: &mut dyn Tx,
    name: &str,
    version: i64,
) -> Result<Version, MlflowError> {
    load_versions(
        tx,
        "name = $1 AND version = $2",
        &[Value::from(name), Value::Int(version)],
    )?
    .into_iter()
    .next()
    .ok_or_else(|| version_not_found(name, version))
}

/// The newest version in each stage, as `latest_versions` lists them.
pub(super) fn latest_per_stage(versions: &[Version], stages: &[String]) -> Vec<usize> {
    let mut best: Vec<(String, usize)> = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let stage = v.stage();
        if !stages.is_empty() && !stages.iter().any(|s| s.eq_ignore_ascii_case(&stage)) {
            continue;
        }
        match best.iter_mut().find(|(s, _)| *s == stage) {
            Some((_, j)) if versions[*j].number() < v.number() => *j = i,
            Some(_) => {}
            None => best.push((stage, i)),
        }
    }
    let mut idx: Vec<usize> = best.into_iter().map(|(_, i)| i).collect();
    idx.sort_by_key(|&i| versions[i].number());
    idx
}

fn is_local(source: &str) -> bool {
    let scheme = source.split_once(':').map(|(s, _)| s).unwrap_or("");
    scheme.is_empty()
        || scheme == "file"
        || (scheme.len() == 1 && scheme.chars().all(|c| c.is_ascii_alphabetic()))
}

/// A local path or `file:` source: MLflow accepts it only inside the local
/// artifact directory of the run (or logged model) the request names.
fn local_source(
    tx: &mut dyn Tx,
    source: &str,
    run_id: &str,
    model_id: &str,
) -> Result<(Option<String>, Option<String>), MlflowError> {
    let resolved = resolve_local(source);
    let (id_name, root, run) = if !model_id.is_empty() {
        let model = logged_models::load(tx, model_id)?;
        let run = Some(run_id.to_string())
            .filter(|r| !r.is_empty())
            .or(model.source_run_id.clone());
        ("model_id", Some(model.artifact_location), run)
    } else if !run_id.is_empty() {
        let run = runs::load(tx, run_id)?;
        ("run_id", Some(run.artifact_uri), Some(run_id.to_string()))
    } else {
        ("run_id", None, None)
    };
    if let Some(root) = root.filter(|r| is_local(r)) {
        if resolved.starts_with(resolve_local(&root)) {
            return Ok((Some(source.to_string()), run));
        }
    }
    // MLflow's wording, "run" for both.
    Err(MlflowError::invalid_parameter(format!(
        "Invalid model version source: '{}'. To use a local path as a model version source, the {id_name} request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the {id_name}.",
        resolved.display()
    )))
}

/// `pathlib.Path(local_file_uri_to_path(uri)).resolve()`.
fn resolve_local(uri: &str) -> std::path::PathBuf {
    let path = match uri.strip_prefix("file:") {
        Some(rest) => {
            let rest = rest
                .strip_prefix("//")
                .map_or(rest, |r| r.find('/').map_or("", |i| &r[i..]));
            super::request::percent_decode_path(rest.split(['?', '#']).next().unwrap_or(""))
        }
        None => uri.to_string(),
    };
    let absolute = std::env::current_dir().unwrap_or_default().join(path);
    if let Ok(real) = std::fs::canonicalize(&absolute) {
        return real;
    }
    // Not there (yet): resolve `.` and `..` by their names.
    let mut out = std::path::PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn invalid_source(source: &str, id_name: &str) -> MlflowError {
    MlflowError::invalid_parameter(format!(
        "Invalid model version source: '{source}'. The {id_name} request parameter must identify the resource that contains the source."
    ))
}

fn uri_parts(uri: &str) -> (String, String, Vec<String>) {
    let (scheme, rest) = uri.split_once(':').unwrap_or(("", uri));
    let rest = rest
        .strip_prefix("//")
        .map(|r| {
            r.split_once('/')
                .map(|(a, p)| (a.to_string(), p.to_string()))
                .unwrap_or((r.to_string(), String::new()))
        })
        .unwrap_or((String::new(), rest.to_string()));
    let parts = rest
        .1
        .split('/')
        .filter(|p| !p.is_empty())
        .map(super::request::percent_decode)
        .collect();
    (
        scheme.to_ascii_lowercase(),
        rest.0.to_ascii_lowercase(),
        parts,
    )
}

fn within(source: &str, root: &str) -> bool {
    let (s1, a1, p1) = uri_parts(source);
    let (s2, a2, p2) = uri_parts(root);
    s1 == s2 && a1 == a2 && !p2.is_empty() && p1.len() >= p2.len() && p1[..p2.len()] == p2[..]
}

/// MLflow's checks that a version's source lies inside the run or logged
/// model it names, and the storage location it records.
fn resolve_source(
    tx: &mut dyn Tx,
    source: &str,
    run_id: &str,
    model_id: &str,
) -> Result<(Option<String>, Option<String>), MlflowError> {
    if let Some(host) = source
        .strip_prefix("file://")
        .map(|rest| rest.split('/').next().unwrap_or(""))
    {
        // MLflow's is_local_uri raises (a 500) for a file URI naming another host.
        let hostname = host
            .rsplit('@')
            .next()
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap_or("");
        let local = hostname.is_empty()
            || hostname == "."
            || hostname.to_ascii_lowercase().starts_with("localhost")
            || hostname.starts_with("127.0.0.1");
        if !local {
            return Err(MlflowError::internal(format!(
                "{source} is not a valid remote uri. For remote access on windows, please consider using a different scheme such as SMB (e.g. smb://<hostname>/<path>)."
            )));
        }
    }
    if is_local(source) {
        return local_source(tx, source, run_id, model_id);
    }
    if source.split('/').any(|p| p == "..") || source.contains('\0') {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid model version source: '{source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path."
        )));
    }
    let scheme = source
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    if !model_id.is_empty() {
        let model =
            logged_models::load(tx, model_id).map_err(|_| invalid_source(source, "model_id"))?;
        let ok = if scheme == "models" {
            source.trim_start_matches("models:/").trim_end_matches('/') == model_id
        } else if scheme == "mlflow-artifacts" {
            within(source, &model.artifact_location)
        } else {
            !is_local(source) && scheme != "runs"
        };
        if !ok {
            return Err(invalid_source(source, "model_id"));
        }
        let storage = if scheme == "models" {
            model.artifact_location.clone()
        } else {
            source.to_string()
        };
        let run = if run_id.is_empty() {
            model.source_run_id.clone()
        } else {
            Some(run_id.to_string())
        };
        return Ok((Some(storage), run));
    }
    if scheme == "models" {
        let id = source.trim_start_matches("models:/").trim_end_matches('/');
        if !id.contains('/') {
            let model =
                logged_models::load(tx, id).map_err(|_| invalid_source(source, "model_id"))?;
            let run = if run_id.is_empty() {
                model.source_run_id.clone()
            } else {
                Some(run_id.to_string())
            };
            return Ok((Some(model.artifact_location), run));
        }
        // models:/<name>/<version>: stored as that version's download URI.
        let (name, version) = id.rsplit_once('/').unwrap_or((id, ""));
        let v = load_version(tx, name, parse_version(version)?)?;
        // The new version inherits the source version's run, as in MLflow.
        let run = if run_id.is_empty() {
            v.row.opt_text(8).filter(|r| !r.is_empty())
        } else {
            Some(run_id.to_string())
        };
        return Ok((Some(v.download_uri()), run));
    }
    let run = Some(run_id.to_string()).filter(|r| !r.is_empty());
    if scheme == "runs" {
        let source_run = source
            .trim_start_matches("runs:/")
            .split('/')
            .next()
            .unwrap_or("");
        if run_id.is_empty() || source_run != run_id {
            return Err(invalid_source(source, "run_id"));
        }
    }
    if scheme == "mlflow-artifacts" {
        let r = if run_id.is_empty() {
            None
        } else {
            runs::load(tx, run_id).ok()
        };
        match r {
            Some(r) if within(source, &r.artifact_uri) => {}
            _ => return Err(invalid_source(source, "run_id")),
        }
    }
    Ok((Some(source.to_string()), run))
}

pub fn create_version(
    tx: &mut dyn Tx,
    settings: &Settings,
    req: &Request,
) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    let source = req.str("source")?;
    if let Some(pattern) = &settings.model_version_source_regex {
        if !pattern.is_match(&source) {
            return Err(MlflowError::invalid_parameter(format!(
                "Invalid model version source: '{source}'."
            )));
        }
    }
    let run_id = req.opt_str("run_id")?.unwrap_or_default();
    let model_id = req.opt_str("model_id")?.unwrap_or_default();
    let (storage, run) = resolve_source(tx, &source, &run_id, &model_id)?;
    check_model(tx, &name)?;
    let next = tx
        .one(
            "SELECT MAX(version) FROM model_versions WHERE workspace = 'default' AND name = $1",
            &[Value::from(&name)],
        )?
        .and_then(|r| r.opt_int(0))
        .unwrap_or(0)
        + 1;
    let now = now_ms();
    tx.execute(
        "INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status, status_message, run_link, storage_location, workspace) VALUES ($1, $2, $3, $3, $4, NULL, 'None', $5, $6, 'READY', NULL, $7, $8, 'default')",
        &[Value::from(&name), Value::Int(next), Value::Int(now), Value::from(req.opt_str("description")?), Value::from(&source), Value::from(run), Value::from(req.opt_str("run_link")?), Value::from(storage)],
    )?;
    for (k, v) in req.key_values("tags")? {
        set_version_tag_row(tx, &name, next, &k, &v)?;
    }
    touch_model(tx, &name, now)?;
    if !model_id.is_empty() {
        logged_models::add_model_version_tag(tx, &model_id, &name, next)?;
    }
    Ok(json!({"model_version": load_version(tx, &name, next)?.to_json(false)}))
}

fn set_version_tag_row(
    tx: &mut dyn Tx,
    name: &str,
    version: i64,
    key: &str,
    value: &str,
) -> Result<(), MlflowError> {
    tx.execute("DELETE FROM model_version_tags WHERE workspace = 'default' AND name = $1 AND version = $2 AND key = $3", &[Value::from(name), Value::Int(version), Value::from(key)])?;
    tx.execute("INSERT INTO model_version_tags (key, value, name, version, workspace) VALUES ($1, $2, $3, $4, 'default')", &[Value::from(key), Value::from(value), Value::from(name), Value::Int(version)])?;
    Ok(())
}

fn name_version(req: &Request) -> Result<(String, i64), MlflowError> {
    let name = req.str("name")?;
    let version = parse_version(&req.str("version")?)?;
    Ok((name, version))
}

pub fn get_version(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let (name, version) = name_version(req)?;
    Ok(json!({"model_version": load_version(tx, &name, version)?.to_json(true)}))
}

pub fn update_version(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let (name, version) = name_version(req)?;
    load_version(tx, &name, version)?;
    if let Some(d) = req.opt_str("description")? {
        tx.execute("UPDATE model_versions SET description = $1, last_updated_time = $2 WHERE workspace = 'default' AND name = $3 AND version = $4", &[Value::from(d), Value::Int(now_ms()), Value::from(&name), Value::Int(version)])?;
    }
    Ok(json!({"model_version": load_version(tx, &name, version)?.to_json(true)}))
}

pub fn transition_stage(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let (name, version) = name_version(req)?;
    let stage_text = req.str("stage")?;
    let stage = canonical_stage(&stage_text)?;

    let archive = req.opt_bool("archive_existing_versions")?.unwrap_or(false);
    if archive && !["Staging", "Production"].contains(&stage) {
        // MLflow raises this as an unclassified exception: 500 INTERNAL_ERROR.
        return Err(MlflowError::internal(format!(
            "Model version transition cannot archive existing model versions because '{stage}' is not an Active stage. Valid stages are ['Staging', 'Production']"
        )));
    }
    load_version(tx, &name, version)?;
    let now = now_ms();
    if archive {
        tx.execute(
            "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = $1 WHERE workspace = 'default' AND name = $2 AND version <> $3 AND current_stage = $4",
            &[Value::Int(now), Value::from(&name), Value::Int(version), Value::from(stage)],
        )?;
    }
    tx.execute(
        "UPDATE model_versions SET current_stage = $1, last_updated_time = $2 WHERE workspace = 'default' AND name = $3 AND version = $4",
        &[Value::from(stage), Value::Int(now), Value::from(&name), Value::Int(version)],
    )?;
    touch_model(tx, &name, now)?;
    Ok(json!({"model_version": load_version(tx, &name, version)?.to_json(false)}))
}

pub fn delete_version(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let (name, version) = name_version(req)?;
    load_version(tx, &name, version)?;
    let key = [Value::from(&name), Value::Int(version)];
    tx.execute("DELETE FROM registered_model_aliases WHERE workspace = 'default' AND name = $1 AND version = $2", &key)?;
    tx.execute(
        "DELETE FROM model_version_tags WHERE workspace = 'default' AND name = $1 AND version = $2",
        &key,
    )?;
    // Kept as a tombstone, so version numbers are never reused (MLflow's SQL store).
    tx.execute(
        "UPDATE model_versions SET current_stage = 'Deleted_Internal', description = NULL, user_id = NULL, source = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', status_message = NULL, last_updated_time = $3 WHERE workspace = 'default' AND name = $1 AND version = $2",
        &[Value::from(&name), Value::Int(version), Value::Int(now_ms())],
    )?;
    touch_model(tx, &name, now_ms())?;
    Ok(json!({}))
}

pub fn set_version_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let (name, version) = name_version(req)?;
    let key = req.str("key")?;
    let value = req.opt_str("value")?.unwrap_or_default();
    load_version(tx, &name, version)?;
    set_version_tag_row(tx, &name, version, &key, &value)?;
    Ok(json!({}))
}

pub fn delete_version_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let (name, version) = name_version(req)?;
    let key = req.str("key")?;
    load_version(tx, &name, version)?;
    tx.execute("DELETE FROM model_version_tags WHERE workspace = 'default' AND name = $1 AND version = $2 AND key = $3", &[Value::from(&name), Value::Int(version), Value::from(&key)])?;
    Ok(json!({}))
}

pub fn download_uri(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let (name, version) = name_version(req)?;
    Ok(json!({"artifact_uri": load_version(tx, &name, version)?.download_uri()}))
}

pub fn search_versions(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let max = req.max_results(10000, 200000)?;
    let filter = req.opt_str("filter")?;
    let clauses = search::parse_filter(filter.as_deref()).map_err(|_| {
        MlflowError::invalid_parameter(format!(
            "Invalid clause(s) in filter string: {}",
            search::tokens_text(filter.as_deref().unwrap_or(""))
        ))
    })?;
    let order = search::parse_order_by(&req.str_list("order_by")?)?;
    let found = search::filter_and_sort(
        load_versions(tx, "1 = 1", &[])?,
        &clauses,
        &order,
        // MLflow's default order is last update DESC, name, version DESC;
        // any order_by given is followed by name ASC, version DESC only.
        |a, b| {
            let updated = if order.is_empty() {
                b.row.opt_int(3).cmp(&a.row.opt_int(3))
            } else {
                std::cmp::Ordering::Equal
            };
            updated
                .then(a.row.text(0).cmp(&b.row.text(0)))
                .then(b.number().cmp(&a.number()))
        },
    );
    let (page, next) = search::paginate(found, req.opt_str("page_token")?.as_deref(), max)?;
    Ok(object(vec![
        (
            "model_versions",
            Json::Array(page.iter().map(|v| v.to_json(false)).collect()),
        ),
        ("next_page_token", opt_str(next)),
    ]))
}
