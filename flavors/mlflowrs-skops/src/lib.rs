//! Reads skops archives — scikit-learn's "safe" persistence format, what
//! `mlflow.sklearn.save_model` writes by default — without executing code.
//!
//! An archive is a zip holding `schema.json` (a tree of states, each naming a
//! skops loader, a Python module and class) and `.npy`/`.npz`/`.bin` members
//! for arrays and bytes. [`Archive::from_bytes`] parses it into a [`Node`]
//! tree; class names stay data: deciding which classes to honour is the
//! caller's job ([`Archive::types`] lists them all, and
//! [`Archive::untrusted_types`] reproduces skops's own trust audit).
//!
//! Everything read from the file is bounded by [`Limits`]; a malformed or
//! hostile archive is an `Err`, never a panic or an unbounded allocation.
//!
//! ```no_run
//! # fn main() -> Result<(), mlflowrs_skops::SkopsError> {
//! let bytes = std::fs::read("model.skops").unwrap();
//! let archive = mlflowrs_skops::Archive::from_bytes(&bytes)?;
//! let est = archive.root();
//! assert_eq!(est.class(), "LogisticRegression");
//! let coef = est.attr("coef_")?.array()?.to_f64()?;
//! let names = est.attr("feature_names_in_")?.str_list()?;
//! # let _ = (coef, names); Ok(()) }
//! ```

mod archive;
mod array;
mod audit;
mod error;
mod limits;
mod members;
mod node;
mod npy;
mod pylit;
mod raw;
mod schema;
mod trusted_defaults;

pub use archive::{Archive, TypeRef};
pub use array::{ArrayDType, ArrayData, Field, NdArray, ScalarType};
pub use error::{Result, SkopsError};
pub use limits::Limits;
pub use node::{DictKey, JsonValue, Loader, Node, NodeKind, SparseMatrix};
pub use npy::parse_npy;
