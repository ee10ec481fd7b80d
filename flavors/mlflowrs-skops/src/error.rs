//! The one error type of this crate.

/// Why an archive could not be read, or why a value is not what the caller
/// asked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SkopsError {
    /// The bytes are not a readable zip archive, or a member is corrupt.
    #[error("invalid skops archive: {0}")]
    Zip(String),
    /// A member named by schema.json (or schema.json itself) is absent.
    #[error("invalid skops archive: member {0:?} is missing")]
    MissingMember(String),
    /// A member, an array or the whole archive exceeds a [`crate::Limits`] bound.
    #[error("skops archive exceeds a limit: {0}")]
    Limit(String),
    /// schema.json is malformed (bad JSON, missing keys, unknown loader, ...).
    #[error("invalid skops schema: {0}")]
    Schema(String),
    /// A .npy/.npz member is malformed.
    #[error("invalid numpy array {file:?}: {reason}")]
    Npy { file: String, reason: String },
    /// Well-formed content this reader does not implement (complex or
    /// datetime dtypes, object .npy, ...). Callers may fall back to Python.
    #[error("unsupported skops content: {0}")]
    Unsupported(String),
    /// An accessor found a value of another shape or type than requested.
    #[error("{0}")]
    Access(String),
}

pub type Result<T> = std::result::Result<T, SkopsError>;
