//! The interface between mlflowrs's serving core and its flavors.
//!
//! A flavor sees only named tensors: MLflow's request formats, pandas-like
//! frames and schema enforcement live in the core, so every backend (ONNX
//! Runtime, tract, candle, the Python fallback) answers the same way.

mod tensor;

pub use tensor::{shape_repr, DType, Tensor, TensorData};

/// A DataFrame column of Python objects (strings mixed with None, NaN or
/// numbers: what pandas holds as `object`) has no tensor dtype: it travels
/// as a `Str` tensor whose feed name is the column label followed by this
/// suffix, each cell the JSON text of its value (`"a"`, `null`, `NaN`, `7`).
/// Tabular flavors that take object columns (scikit-learn's encoders and
/// imputers) read it back; for the others it is a column of the wrong dtype.
pub const OBJECT_COLUMN_SUFFIX: &str = "\u{0}object";

/// The column label of an object-column feed ([`OBJECT_COLUMN_SUFFIX`]).
pub fn object_column_label(feed_name: &str) -> Option<&str> {
    feed_name.strip_suffix(OBJECT_COLUMN_SUFFIX)
}

/// One named tensor fed to or produced by a model.
pub type Named = (String, Tensor);

/// The inputs of one model call: tensors by graph input name.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub feeds: Vec<Named>,
}

/// What a flavor declares about one of its graph inputs or outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct IoSpec {
    pub name: String,
    /// `None` when the graph input is not a tensor (sequences, maps).
    pub dtype: Option<DType>,
    /// `-1` for a symbolic dimension.
    pub shape: Vec<i64>,
}

/// Errors a flavor reports. Cloneable so that one failed batch can be
/// answered to every request that shared it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FlavorError {
    /// The model could not be loaded; start-up must fail with this text.
    #[error("failed to load model: {0}")]
    Load(String),
    /// The runtime refused the inputs (wrong dtype, shape, missing feed).
    /// MLflow answers these as an unexpected evaluation error (HTTP 400).
    #[error("{0}")]
    Inference(String),
    /// The inputs cannot be mapped to the model at all; MLflow raises an
    /// `MlflowException` for these, so it is reported with its own message.
    #[error("{0}")]
    InvalidInput(String),
    /// Something broke inside mlflowrs or the runtime.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A loaded model that can run batches. Implementations must be usable from
/// several threads at once without one global lock.
pub trait Flavor: Send + Sync {
    /// A short name for logs and metrics (`onnx-ort`, `onnx-tract`, ...).
    fn backend_name(&self) -> &'static str;
    fn inputs(&self) -> &[IoSpec];
    fn outputs(&self) -> &[IoSpec];
    /// Runs the model; returns outputs in the order of [`Flavor::outputs`].
    fn predict(&self, batch: Batch) -> Result<Vec<Named>, FlavorError>;
}
