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

    /// An I/O failure on `path` as Python raises it:
    /// `FileNotFoundError: [Errno 2] No such file or directory: 'x.json'`.
    pub fn os(e: &std::io::Error, path: &std::path::Path) -> ProjectError {
        let exception = match e.kind() {
            std::io::ErrorKind::NotFound => "FileNotFoundError",
            std::io::ErrorKind::PermissionDenied => "PermissionError",
            std::io::ErrorKind::IsADirectory => "IsADirectoryError",
            _ => "OSError",
        };
        let text = e.to_string();
        let text = text.split(" (os error").next().unwrap_or(&text);
        let errno = e.raw_os_error().unwrap_or(0);
        ProjectError::uncaught(
            exception,
            format!(
                "[Errno {errno}] {text}: {}",
                crate::py_value::str_repr(&path.to_string_lossy())
            ),
        )
    }
}
