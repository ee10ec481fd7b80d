//! The Python fallback: any `python_function` model, scored by worker
//! processes that run the real `mlflow` (its own `scoring_server.invocations`,
//! so parsing, schema enforcement, params and output encoding are MLflow's).
//!
//! The supervisor here starts the workers, forwards their output into
//! `tracing`, hands them batches of raw requests over pipes, and replaces a
//! worker that crashes or overruns its deadline. HTTP stays in mlflowrs.

mod env;
mod error;
mod pool;
mod process;

pub use env::{find_python, model_python_version, prepare_python, EnvManager, PythonEnv};
pub use error::PyfuncError;
pub use pool::{Batching, Pool, PoolConfig};
pub use process::{kill_all, CallError, RawReply, RawRequest};
