//! The download cache. An entry is named by the SHA-256 of the remote
//! location it was fetched from (the tracking server's URL included), which
//! stands for its content: MLflow never rewrites the files of a logged
//! model or model version. Entries are filled in a temporary directory and
//! renamed into place, so a crash never leaves a half model that a later
//! start trusts; the manifest written last is checked on every reuse.

use std::path::{Path, PathBuf};

use mlflowrs_env::EnvVars;
use sha2::{Digest, Sha256};

use super::ResolveError;

const MANIFEST: &str = ".mlflowrs-cache.json";

pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    /// `$XDG_CACHE_HOME/mlflowrs/models`, else `~/.cache/mlflowrs/models`.
    pub fn default_dir() -> PathBuf {
        Self::base_dir().join("models")
    }

    /// `$XDG_CACHE_HOME/mlflowrs`, else `~/.cache/mlflowrs`: the root of
    /// every cache mlflowrs keeps.
    pub fn base_dir() -> PathBuf {
        std::env::var_os(EnvVars::XDG_CACHE_HOME)
            .map(PathBuf::from)
            .or_else(|| std::env::var_os(EnvVars::HOME).map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("mlflowrs")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn entry(&self, location: &str) -> PathBuf {
        let digest = Sha256::digest(location.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.root.join(hex)
    }

    /// The entry for `location` if it is complete and intact.
    pub fn lookup(&self, location: &str) -> Option<PathBuf> {
        let dir = self.entry(location);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(MANIFEST)).ok()?).ok()?;
        if manifest["location"].as_str() != Some(location) {
            return None;
        }
        let intact = manifest["files"].as_array()?.iter().all(|f| {
            let (Some(path), Some(size)) = (f["path"].as_str(), f["size"].as_u64()) else {
                return false;
            };
            std::fs::metadata(dir.join(path)).is_ok_and(|m| m.len() == size)
        });
        intact.then_some(dir)
    }

    /// A fresh temporary directory inside the cache, for `fill` to download into.
    pub fn staging_dir(&self) -> Result<PathBuf, ResolveError> {
        let tmp = self.root.join(".tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| cache_error(&tmp, e))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = tmp.join(format!("{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| cache_error(&dir, e))?;
        Ok(dir)
    }

    /// Seals a filled staging directory and moves it into place.
    pub fn commit(&self, location: &str, staged: &Path) -> Result<PathBuf, ResolveError> {
        let mut files = Vec::new();
        list_files(staged, staged, &mut files).map_err(|e| cache_error(staged, e))?;
        let manifest = serde_json::json!({
            "location": location,
            "files": files
                .iter()
                .map(|(p, size)| serde_json::json!({"path": p, "size": size}))
                .collect::<Vec<_>>(),
        });
        let manifest_path = staged.join(MANIFEST);
        std::fs::write(&manifest_path, manifest.to_string())
            .and_then(|_| std::fs::File::open(&manifest_path)?.sync_all())
            .map_err(|e| cache_error(&manifest_path, e))?;
        let dest = self.entry(location);
        if dest.exists() {
            // A broken entry (failed check) or another process won the race.
            if self.lookup(location).is_some() {
                let _ = std::fs::remove_dir_all(staged);
                return Ok(dest);
            }
            std::fs::remove_dir_all(&dest).map_err(|e| cache_error(&dest, e))?;
        }
        match std::fs::rename(staged, &dest) {
            Ok(()) => Ok(dest),
            Err(_) if self.lookup(location).is_some() => {
                let _ = std::fs::remove_dir_all(staged);
                Ok(dest)
            }
            Err(e) => Err(cache_error(&dest, e)),
        }
    }
}

fn cache_error(path: &Path, e: std::io::Error) -> ResolveError {
    ResolveError::Cache(format!("{}: {e}", path.display()))
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<(String, u64)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            list_files(root, &entry.path(), out)?;
        } else if entry.file_name() != MANIFEST {
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(&entry.path())
                .to_path_buf();
            out.push((rel.to_string_lossy().into_owned(), meta.len()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_trusted_only_when_complete_and_intact() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::new(tmp.path().join("c"));
        let loc = "s3://bucket/model";
        assert!(cache.lookup(loc).is_none());
        let staged = cache.staging_dir().unwrap();
        std::fs::create_dir(staged.join("sub")).unwrap();
        std::fs::write(staged.join("MLmodel"), "flavors: {}\n").unwrap();
        std::fs::write(staged.join("sub/model.onnx"), vec![7u8; 100]).unwrap();
        // A staging directory is not an entry: a crash here leaves nothing trusted.
        assert!(cache.lookup(loc).is_none());
        let dir = cache.commit(loc, &staged).unwrap();
        assert_eq!(cache.lookup(loc).as_deref(), Some(dir.as_path()));
        assert!(!staged.exists());
        assert!(cache.lookup("s3://bucket/other").is_none());
        // A truncated file makes the entry untrusted.
        std::fs::write(dir.join("sub/model.onnx"), vec![7u8; 10]).unwrap();
        assert!(cache.lookup(loc).is_none());
        // And a new fill replaces it.
        let staged = cache.staging_dir().unwrap();
        std::fs::write(staged.join("MLmodel"), "x").unwrap();
        let again = cache.commit(loc, &staged).unwrap();
        assert_eq!(again, dir);
        assert!(cache.lookup(loc).is_some());
        assert!(!dir.join("sub").exists());
    }
}
