//! Model URIs as image binaries resolve them: local directories only. The
//! model of an image is in the image, and a binary that never names the
//! store clients (S3, HTTP, SQLite, PostgreSQL) does not link them.

use futures_util::future::BoxFuture;

use super::uri::{self, ModelUri};
use super::{ResolveError, ResolveModel, Resolved};

/// Resolves `file:` URIs and paths, refuses every other kind.
pub struct LocalOnly;

impl ResolveModel for LocalOnly {
    fn resolve<'a>(&'a self, model_uri: &'a str) -> BoxFuture<'a, Result<Resolved, ResolveError>> {
        Box::pin(async move { local(model_uri) })
    }
}

fn local(model_uri: &str) -> Result<Resolved, ResolveError> {
    let ModelUri::Local(dir) = uri::parse(model_uri)? else {
        return Err(ResolveError::Unsupported(format!(
            "'{model_uri}': this mlflowrs serves local model directories only (an image's model is in the image)"
        )));
    };
    if !dir.join("MLmodel").is_file() {
        return Err(ResolveError::ArtifactMissing(format!(
            "'{model_uri}' holds no MLmodel file"
        )));
    }
    Ok(Resolved {
        source: model_uri.to_string(),
        dir,
        ..Resolved::of(model_uri)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Fetch;

    #[test]
    fn a_local_model_directory_resolves_in_place_and_a_registry_uri_is_refused() {
        let dir = std::env::temp_dir().join(format!("mlflowrs-local-only-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.display().to_string();
        assert!(matches!(
            local(&path),
            Err(ResolveError::ArtifactMissing(_))
        ));
        std::fs::write(dir.join("MLmodel"), "flavors: {}\n").unwrap();
        let resolved = local(&path).unwrap();
        assert_eq!(resolved.dir, dir);
        assert_eq!(resolved.fetch, Fetch::InPlace);
        let refused = local("models:/iris/1").unwrap_err().to_string();
        assert!(
            refused.contains("local model directories only"),
            "{refused}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
