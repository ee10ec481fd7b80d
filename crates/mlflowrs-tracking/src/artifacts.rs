//! The artifact proxy (`mlflow-artifacts:/…`), backed by a local directory
//! (`--artifacts-destination`): upload (PUT, streamed to a temporary file
//! and renamed into place), download, list and delete.

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::MlflowError;
use super::json::object;
use super::responses::{content_disposition, python_mime_type};

/// `rel` (a path as the client sent it, decoded once) joined under `root`,
/// refusing anything that could leave it, as MLflow's `validate_path_is_safe`
/// and `validate_path_within_directory` do: the text is checked after
/// decoding until it stops changing (so `%252e%252e` is `..`), and a
/// symlink under the root may not lead out of it. mlflowrs also refuses
/// backslashes and control characters, which MLflow escapes into names.
pub fn safe_join(root: &Path, rel: &str) -> Result<PathBuf, MlflowError> {
    let invalid = || MlflowError::invalid_parameter("Invalid path");
    let fully = decode_until_stable(rel).ok_or_else(invalid)?;
    let windows_absolute = fully.starts_with("//")
        || (fully.len() >= 2
            && fully.as_bytes()[1] == b':'
            && fully.as_bytes()[0].is_ascii_alphabetic());
    let bad = fully.contains('#')
        || fully.contains('\\')
        || fully.chars().any(|c| c.is_control())
        || windows_absolute
        || Path::new(&fully)
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        || Path::new(rel)
            .components()
            .any(|c| !matches!(c, Component::Normal(_)));
    if bad {
        return Err(invalid());
    }
    let path = root.join(rel);
    if !inside_after_links(root, &path) {
        return Err(MlflowError::invalid_parameter(
            "Invalid path: resolved path is outside the artifact directory",
        ));
    }
    Ok(path)
}

/// Percent-decoding repeated until the text stops changing (at most 10
/// rounds, as MLflow's `_decode`); `None` when it never settles.
fn decode_until_stable(text: &str) -> Option<String> {
    let mut current = text.to_string();
    for _ in 0..10 {
        let next = super::request::percent_decode_path(&current);
        if next == current {
            return Some(current);
        }
        current = next;
    }
    None
}

/// Whether `path`, with every symlink resolved, is still under `root`. The
/// deepest part of it that exists is resolved, so that a directory created
/// later for an upload cannot be reached through a link either.
fn inside_after_links(root: &Path, path: &Path) -> bool {
    let Ok(real_root) = root.canonicalize() else {
        // No root yet: nothing under it can be a link.
        return true;
    };
    let mut existing = path;
    loop {
        if existing.symlink_metadata().is_ok() {
            return existing
                .canonicalize()
                .is_ok_and(|real| real.starts_with(&real_root));
        }
        match existing.parent() {
            Some(parent) => existing = parent,
            None => return false,
        }
    }
}

pub async fn upload(root: &Path, rel: &str, body: Body) -> Result<Response, MlflowError> {
    let path = safe_join(root, rel)?;
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(|e| {
            MlflowError::internal(format!("cannot create {}: {e}", parent.display()))
        })?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.upload-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("artifact"),
        super::json::new_id()
    ));
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(std::io::Error::other)?;
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        tokio::fs::rename(&tmp, &path).await
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(MlflowError::internal(format!(
            "cannot write artifact {rel}: {e}"
        )));
    }
    Ok(StatusCode::OK.into_response())
}

/// MLflow's `_guess_mime_type`: its text extensions (and `MLmodel`,
/// `mlproject`) as text/plain, else Python's `mimetypes`, else binary.
fn content_type(name: &str) -> &'static str {
    const TEXT: &[&str] = &[
        "txt",
        "log",
        "err",
        "cfg",
        "conf",
        "cnf",
        "cf",
        "ini",
        "properties",
        "prop",
        "hocon",
        "toml",
        "yaml",
        "yml",
        "xml",
        "json",
        "js",
        "py",
        "py3",
        "csv",
        "tsv",
        "md",
        "rst",
        "ipynb",
        "MLmodel",
        "mlproject",
    ];
    // os.path.splitext: a leading dot does not start an extension.
    let ext = match name.trim_start_matches('.').rsplit_once('.') {
        Some((_, e)) => e,
        None => name,
    };
    if TEXT.contains(&ext) {
        return "text/plain";
    }
    python_mime_type(name).unwrap_or("application/octet-stream")
}

pub async fn download(root: &Path, rel: &str) -> Result<Response, MlflowError> {
    let path = safe_join(root, rel)?;
    let missing = || MlflowError::not_found(format!("No such artifact: '{rel}'"));
    let meta = tokio::fs::metadata(&path).await.map_err(|_| missing())?;
    if !meta.is_file() {
        return Err(missing());
    }
    let file = tokio::fs::File::open(&path).await.map_err(|_| missing())?;
    // Streamed in chunks: a model file of gigabytes never sits in memory whole.
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("artifact")
        .to_string();
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type(&name).to_string()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition("attachment", &name),
            ),
            (header::CONTENT_LENGTH, meta.len().to_string()),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

pub async fn delete(root: &Path, rel: &str) -> Result<Json, MlflowError> {
    let path = safe_join(root, rel)?;
    let meta = tokio::fs::metadata(&path)
        .await
        .map_err(|_| MlflowError::not_found(format!("No such artifact: '{rel}'")))?;
    let removed = if meta.is_dir() {
        tokio::fs::remove_dir_all(&path).await
    } else {
        tokio::fs::remove_file(&path).await
    };
    removed.map_err(|e| MlflowError::internal(format!("cannot delete {rel}: {e}")))?;
    Ok(json!({}))
}

/// The entries of a directory as `{path, is_dir, file_size}`, paths relative
/// to `prefix`; a missing directory lists as empty.
pub fn list_dir(dir: &Path, prefix: &str) -> Vec<Json> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Json)> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().contains(".upload-"))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if prefix.is_empty() { name.clone() } else { format!("{}/{name}", prefix.trim_end_matches('/')) };
            let meta = e.metadata().ok();
            let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
            let entry = if is_dir {
                json!({"path": path, "is_dir": true})
            } else {
                json!({"path": path, "is_dir": false, "file_size": meta.map(|m| m.len()).unwrap_or(0)})
            };
            (name, entry)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, e)| e).collect()
}

pub fn list(root: &Path, rel: &str) -> Result<Json, MlflowError> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        safe_join(root, rel)?
    };
    Ok(object(vec![("files", Json::Array(list_dir(&dir, "")))]))
}

/// `{root_uri, files}`: the directory `path` under an artifact root, listed
/// when the root is one this server can read (else no files, as MLflow
/// answers for a root it cannot list).
pub fn listing(destination: &Path, root_uri: &str, path: &str) -> Result<Json, MlflowError> {
    let files = match local_dir(destination, root_uri)? {
        Some(dir) => {
            let dir = if path.is_empty() {
                dir
            } else {
                safe_join(&dir, path)?
            };
            list_dir(&dir, path)
        }
        None => Vec::new(),
    };
    Ok(object(vec![
        ("root_uri", Json::String(root_uri.to_string())),
        ("files", Json::Array(files)),
    ]))
}

/// The path under --artifacts-destination that a proxied artifact URI
/// names: `mlflow-artifacts:/x` and `mlflow-artifacts://host:port/x`, or an
/// http(s) URL of this kind of server's artifact route (the path after
/// `/api/2.0/mlflow-artifacts/artifacts/`), as MLflow resolves them.
pub fn proxied_path(uri: &str) -> Option<String> {
    if let Some(rest) = uri.strip_prefix("mlflow-artifacts:") {
        let rest = rest
            .strip_prefix("//")
            .map(|r| r.split_once('/').map(|(_, p)| p).unwrap_or(""))
            .unwrap_or(rest);
        return Some(rest.trim_start_matches('/').to_string());
    }
    if uri.starts_with("http://") || uri.starts_with("https://") {
        const ANCHOR: &str = "/api/2.0/mlflow-artifacts/artifacts/";
        let path = uri.split(['?', '#']).next().unwrap_or("");
        return path
            .split_once(ANCHOR)
            .map(|(_, rest)| rest.trim_start_matches('/').to_string());
    }
    None
}

/// The local directory behind an artifact URI: `mlflow-artifacts:/x` under
/// the destination, `file:` and plain paths as themselves.
pub fn local_dir(destination: &Path, uri: &str) -> Result<Option<PathBuf>, MlflowError> {
    if let Some(rest) = proxied_path(uri) {
        return safe_join(destination, &rest).map(Some);
    }
    if uri.starts_with("http://") || uri.starts_with("https://") {
        return Ok(None);
    }
    if let Some(rest) = uri.strip_prefix("file://") {
        return Ok(Some(PathBuf::from(rest)));
    }
    if !uri.contains(':') {
        return Ok(Some(PathBuf::from(uri)));
    }
    Ok(None)
}
