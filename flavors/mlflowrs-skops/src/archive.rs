//! Opening a skops archive: zip -> schema.json -> node tree.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Result, SkopsError};
use crate::members::Members;
use crate::node::{Loader, Node};
use crate::raw::{self, Raw};
use crate::schema::{Builder, PROTOCOL};
use crate::{audit, Limits};

/// A parsed skops archive. Immutable and `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Archive {
    root: Arc<Node>,
    protocol: i64,
    skops_version: Option<String>,
}

/// One type named in an archive, with the loader that names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeRef {
    pub loader: Loader,
    /// `module.class` (for a `FunctionNode`, `module.function`).
    pub type_name: String,
}

impl Archive {
    /// Reads an archive from memory with [`Limits::default`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Archive> {
        Archive::from_bytes_with_limits(bytes, &Limits::default())
    }

    /// Reads an archive from memory.
    pub fn from_bytes_with_limits(bytes: &[u8], limits: &Limits) -> Result<Archive> {
        let mut members = Members::open(bytes, limits)?;
        let mut total = 0u64;
        let schema_bytes = members.read("schema.json", &mut total)?;
        let schema = raw::parse(&schema_bytes)
            .map_err(|e| SkopsError::Schema(format!("schema.json is not JSON: {e}")))?;
        drop(schema_bytes);
        let protocol = match schema.get("protocol") {
            Some(Raw::Int(p)) => *p,
            other => {
                return Err(SkopsError::Schema(format!(
                    "invalid skops protocol {}, expected an integer",
                    other.map_or("(missing)", Raw::kind)
                )))
            }
        };
        if protocol > PROTOCOL {
            return Err(SkopsError::Unsupported(format!(
                "the file was saved with skops protocol {protocol}, this reader supports up to {PROTOCOL}"
            )));
        }
        if protocol < 0 {
            return Err(SkopsError::Schema(format!(
                "invalid skops protocol {protocol}"
            )));
        }
        let skops_version = schema
            .get("_skops_version")
            .and_then(Raw::as_str)
            .map(str::to_owned);
        let mut builder = Builder::new(&mut members, protocol);
        builder.total = total;
        let root = builder.build(&schema)?;
        Ok(Archive {
            root,
            protocol,
            skops_version,
        })
    }

    /// Reads an archive from a file (at most `limits.max_total_bytes` long).
    pub fn open(path: &Path, limits: &Limits) -> Result<Archive> {
        let meta = std::fs::metadata(path)
            .map_err(|e| SkopsError::Zip(format!("{}: {e}", path.display())))?;
        if meta.len() > limits.max_total_bytes {
            return Err(SkopsError::Limit(format!(
                "{} is {} bytes (limit {})",
                path.display(),
                meta.len(),
                limits.max_total_bytes
            )));
        }
        let bytes =
            std::fs::read(path).map_err(|e| SkopsError::Zip(format!("{}: {e}", path.display())))?;
        Archive::from_bytes_with_limits(&bytes, limits)
    }

    /// The saved object (usually the estimator).
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The shared handle of the root node.
    pub fn root_arc(&self) -> &Arc<Node> {
        &self.root
    }

    /// The skops protocol recorded in schema.json (0..=2).
    pub fn protocol(&self) -> i64 {
        self.protocol
    }

    /// `_skops_version` from schema.json, if present.
    pub fn skops_version(&self) -> Option<&str> {
        self.skops_version.as_deref()
    }

    /// Every distinct (loader, type) in the archive, in pre-order of first
    /// appearance, so a caller with an allow-list can name the first type it
    /// does not implement.
    pub fn types(&self) -> Vec<TypeRef> {
        audit::types(&self.root)
            .into_iter()
            .map(|(loader, type_name)| TypeRef { loader, type_name })
            .collect()
    }

    /// The types `skops.io.load(file, trusted=trusted)` (skops 0.16) would
    /// refuse as untrusted, sorted like `skops.io.get_untrusted_types`; empty
    /// when skops would load the file. MLflow passes the MLmodel's
    /// `skops_trusted_types` (or `None`, i.e. an empty list) as `trusted`.
    pub fn untrusted_types(&self, trusted: &[String]) -> Vec<String> {
        audit::untrusted(&self.root, trusted)
    }
}
