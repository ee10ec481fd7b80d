//! Concrete artifact locations: local directories (used in place), a
//! tracking server's artifact proxy (`mlflow-artifacts:`) and S3.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use mlflowrs_env::EnvVars;
use mlflowrs_protocol::display::error_chain;

use super::store::rest::send_json;
use super::store::{HttpSettings, Store};
use super::uri::{local_path, scheme};
use super::ResolveError;

/// Where a model's files are.
#[derive(Debug, Clone)]
pub enum Location {
    Local(PathBuf),
    /// `base` is the tracking server (`http://host:port`), `path` relative
    /// to its artifact root.
    Proxy {
        base: String,
        path: String,
    },
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl Location {
    /// Names the location for the cache: the same path on two servers is
    /// two different models.
    pub fn id(&self) -> String {
        match self {
            Location::Local(p) => format!("file://{}", p.display()),
            Location::Proxy { base, path } => {
                format!("{base}/api/2.0/mlflow-artifacts/artifacts/{path}")
            }
            Location::S3 { bucket, prefix } => {
                let endpoint = std::env::var(EnvVars::MLFLOW_S3_ENDPOINT_URL).unwrap_or_default();
                format!("s3://{bucket}/{prefix} at {endpoint}")
            }
        }
    }
}

/// Where `uri` points, with `mlflow-artifacts:` resolved against the tracking server.
pub fn locate(uri: &str, tracking: &Store) -> Result<Location, ResolveError> {
    if let Some(path) = local_path(uri) {
        return Ok(Location::Local(path));
    }
    match scheme(uri).as_str() {
        "mlflow-artifacts" => {
            let rest = &uri["mlflow-artifacts:".len()..];
            let Some(server) = tracking.http_base() else {
                return Err(ResolveError::Unsupported(format!(
                    "'{uri}' is served by a tracking server's artifact proxy, but the tracking URI ({}) is not http(s); set MLFLOW_TRACKING_URI to the server",
                    tracking.describe()
                )));
            };
            let (base, path) = match rest.strip_prefix("//") {
                Some(r) => {
                    let (netloc, path) = r.split_once('/').unwrap_or((r, ""));
                    let server_scheme = server.base().split("://").next().unwrap_or("http");
                    (format!("{server_scheme}://{netloc}"), path)
                }
                None => (server.base().to_string(), rest),
            };
            Ok(Location::Proxy {
                base,
                path: path.trim_matches('/').to_string(),
            })
        }
        "s3" => {
            let rest = &uri["s3://".len().min(uri.len())..];
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if !uri.starts_with("s3://") || bucket.is_empty() {
                return Err(ResolveError::InvalidUri(format!(
                    "'{uri}' is not an s3://bucket/key URI"
                )));
            }
            Ok(Location::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            })
        }
        s => Err(ResolveError::Unsupported(format!(
            "artifact location '{uri}': the '{s}' scheme is not supported (local paths, file:, mlflow-artifacts: and s3: are)"
        ))),
    }
}

/// A path from a listing that stays inside the directory it was listed in.
fn safe_relative(path: &str) -> Option<&str> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
    ok.then_some(path)
}

pub struct Fetcher<'a> {
    pub http: &'a HttpSettings,
}

impl Fetcher<'_> {
    /// Whether `loc` holds an MLmodel file (a model directory).
    pub async fn has_mlmodel(&self, loc: &Location) -> Result<bool, ResolveError> {
        match loc {
            Location::Local(p) => Ok(p.join("MLmodel").is_file()),
            Location::Proxy { base, path } => Ok(self
                .list_proxy(base, path)
                .await?
                .iter()
                .any(|(name, is_dir)| name == "MLmodel" && !is_dir)),
            Location::S3 { bucket, prefix } => {
                let store = s3_store(bucket)?;
                let key = object_store::path::Path::from(super::uri::join(prefix, "MLmodel"));
                match object_store::ObjectStore::head(&store, &key).await {
                    Ok(_) => Ok(true),
                    Err(object_store::Error::NotFound { .. }) => Ok(false),
                    Err(e) => Err(s3_error(bucket, e)),
                }
            }
        }
    }

    /// Copies every file under `loc` into `dest` (an empty directory).
    pub async fn download(&self, loc: &Location, dest: &Path) -> Result<u64, ResolveError> {
        match loc {
            Location::Local(p) => Ok(p.exists() as u64),
            Location::Proxy { base, path } => self.download_proxy(base, path, dest).await,
            Location::S3 { bucket, prefix } => download_s3(bucket, prefix, dest).await,
        }
    }

    fn proxy_url(base: &str, path: &str) -> Result<reqwest::Url, ResolveError> {
        let mut url = reqwest::Url::parse(&format!("{base}/api/2.0/mlflow-artifacts/artifacts"))
            .map_err(|e| ResolveError::InvalidUri(format!("{base}: {e}")))?;
        if !path.is_empty() {
            url.path_segments_mut()
                .map_err(|_| ResolveError::InvalidUri(base.to_string()))?
                .extend(path.split('/'));
        }
        Ok(url)
    }

    /// `(name, is_dir)` of the entries directly under `path`.
    async fn list_proxy(
        &self,
        base: &str,
        path: &str,
    ) -> Result<Vec<(String, bool)>, ResolveError> {
        let url = Self::proxy_url(base, "")?;
        let client = self.http.client()?;
        let req = self
            .http
            .authorize(client.get(url).query(&[("path", path)]));
        let answer = send_json(base, req).await?.map_err(|f| {
            ResolveError::store(
                base,
                format!("listing '{path}': HTTP {}: {}", f.status, f.message),
            )
        })?;
        let mut out = Vec::new();
        for f in answer["files"].as_array().into_iter().flatten() {
            let name = f["path"].as_str().unwrap_or_default();
            let name = safe_relative(name).ok_or_else(|| {
                ResolveError::store(
                    base,
                    format!("the artifact listing of '{path}' names an unsafe path '{name}'"),
                )
            })?;
            out.push((name.to_string(), f["is_dir"].as_bool().unwrap_or(false)));
        }
        Ok(out)
    }

    async fn download_proxy(
        &self,
        base: &str,
        root: &str,
        dest: &Path,
    ) -> Result<u64, ResolveError> {
        let client = self.http.client()?;
        let mut pending = vec![String::new()];
        let mut count = 0;
        while let Some(rel) = pending.pop() {
            let dir = super::uri::join(root, &rel);
            for (name, is_dir) in self.list_proxy(base, &dir).await? {
                let child = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                if is_dir {
                    pending.push(child);
                    continue;
                }
                let url = Self::proxy_url(base, &super::uri::join(root, &child))?;
                let resp = self
                    .http
                    .authorize(client.get(url))
                    .send()
                    .await
                    .map_err(|e| ResolveError::unreachable(base, error_chain(&e)))?;
                match resp.status().as_u16() {
                    200 => {}
                    401 | 403 => {
                        return Err(ResolveError::PermissionDenied {
                            store: base.into(),
                            reason: format!("downloading '{child}': HTTP {}", resp.status()),
                        })
                    }
                    404 => {
                        return Err(ResolveError::ArtifactMissing(format!(
                            "artifact '{}' is listed but missing on {base}",
                            super::uri::join(root, &child)
                        )))
                    }
                    s => {
                        return Err(ResolveError::store(
                            base,
                            format!("downloading '{child}': HTTP {s}"),
                        ))
                    }
                }
                let chunks = futures_util::stream::unfold(resp, |mut resp| async move {
                    let chunk = resp.chunk().await.transpose()?;
                    Some((chunk, resp))
                })
                .map(|c| c.map_err(|e| ResolveError::unreachable(base, error_chain(&e))));
                save_chunks(&dest.join(&child), chunks).await?;
                count += 1;
            }
        }
        Ok(count)
    }
}

/// Writes `chunks` to a new file at `path`, and syncs it before the
/// download counts as done.
async fn save_chunks(
    path: &Path,
    chunks: impl futures_util::Stream<Item = Result<bytes::Bytes, ResolveError>>,
) -> Result<(), ResolveError> {
    let mut file = create_file(path).await?;
    let mut chunks = std::pin::pin!(chunks);
    while let Some(chunk) = chunks.next().await.transpose()? {
        file.write_all(&chunk)
            .await
            .map_err(|e| write_error(path, e))?;
    }
    file.sync_all().await.map_err(|e| write_error(path, e))
}

async fn create_file(path: &Path) -> Result<tokio::fs::File, ResolveError> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| write_error(parent, e))?;
    }
    tokio::fs::File::create(path)
        .await
        .map_err(|e| write_error(path, e))
}

fn write_error(path: &Path, e: std::io::Error) -> ResolveError {
    ResolveError::Cache(format!("{}: {e}", path.display()))
}

/// An S3 client from the standard AWS environment, with MLflow's
/// `MLFLOW_S3_ENDPOINT_URL` for S3-compatible servers.
fn s3_store(bucket: &str) -> Result<object_store::aws::AmazonS3, ResolveError> {
    let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
    if std::env::var(EnvVars::AWS_DEFAULT_REGION).is_err()
        && std::env::var(EnvVars::AWS_REGION).is_err()
    {
        builder = builder.with_region("us-east-1");
    }
    if let Ok(endpoint) = std::env::var(EnvVars::MLFLOW_S3_ENDPOINT_URL) {
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint);
    }
    if std::env::var(EnvVars::MLFLOW_S3_IGNORE_TLS).is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
        builder = builder.with_client_options(
            object_store::ClientOptions::new().with_allow_invalid_certificates(true),
        );
    }
    builder
        .build()
        .map_err(|e| ResolveError::store(&format!("s3://{bucket}"), e))
}

fn s3_error(bucket: &str, e: object_store::Error) -> ResolveError {
    let store = format!("s3://{bucket}");
    let text = error_chain(&e);
    match &e {
        object_store::Error::NotFound { .. } => ResolveError::ArtifactMissing(text),
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => ResolveError::PermissionDenied {
            store,
            reason: text,
        },
        _ if text.contains("403")
            || text.contains("AccessDenied")
            || text.contains("InvalidAccessKeyId") =>
        {
            ResolveError::PermissionDenied {
                store,
                reason: text,
            }
        }
        _ if text.contains("error sending request") || text.contains("connect") => {
            ResolveError::unreachable(&store, text)
        }
        _ => ResolveError::store(&store, text),
    }
}

async fn download_s3(bucket: &str, prefix: &str, dest: &Path) -> Result<u64, ResolveError> {
    use object_store::ObjectStore;
    let store = s3_store(bucket)?;
    let root = object_store::path::Path::from(prefix);
    let mut listing = store.list(Some(&root));
    let mut count = 0;
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(|e| s3_error(bucket, e))?;
        let key = meta.location.as_ref();
        let rel = key
            .strip_prefix(prefix)
            .map(|r| r.trim_start_matches('/'))
            .and_then(safe_relative)
            .ok_or_else(|| {
                ResolveError::store(
                    &format!("s3://{bucket}"),
                    format!("unexpected key '{key}' under '{prefix}'"),
                )
            })?;
        let body = store
            .get(&meta.location)
            .await
            .map_err(|e| s3_error(bucket, e))?
            .into_stream();
        save_chunks(
            &dest.join(rel),
            body.map(|c| c.map_err(|e| s3_error(bucket, e))),
        )
        .await?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::safe_relative;

    #[test]
    fn listed_paths_must_stay_inside() {
        assert_eq!(safe_relative("MLmodel"), Some("MLmodel"));
        assert_eq!(safe_relative("a/b.onnx"), Some("a/b.onnx"));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\\b",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }
}
