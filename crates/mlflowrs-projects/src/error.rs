//! The crate's one error type. Its two kinds are the two ways `mlflow run`
//! fails: an `ExecutionException` (printed as `=== message ===`, exit 1)
//! and an exception MLflow lets escape as a traceback (exit 1), whose
//! last line mlflowrs prints after a plain explanation.

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// MLflow's `ExecutionException`, word for word.
    #[error("{0}")]
    Execution(String),
    /// An exception MLflow does not catch: `exception` is its qualified
    /// name as the traceback's last line shows it (`KeyError`,
    /// `mlflow.exceptions.MlflowException`), `message` its text.
    #[error("{exception}: {message}")]
    Uncaught { exception: String, message: String },
}

impl ProjectError {
    pub fn execution(message: impl Into<String>) -> ProjectError {
        ProjectError::Execution(message.into())
    }

    pub fn mlflow(message: impl Into<String>) -> ProjectError {
        ProjectError::Uncaught {
            exception: "mlflow.exceptions.MlflowException".into(),
            message: message.into(),
        }
    }

    pub fn uncaught(exception: &str, message: impl Into<String>) -> ProjectError {
        ProjectError::Uncaught {
            exception: exception.into(),
            message: message.into(),
        }
    }
}
