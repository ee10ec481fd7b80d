//! MLflow's error payload (`MlflowException.serialize_as_json`) and the
//! HTTP status each error code maps to.

use crate::pyjson::{self, Json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    InvalidParameterValue,
    ResourceDoesNotExist,
    ResourceAlreadyExists,
    InvalidState,
    InternalError,
    RequestLimitExceeded,
    DeadlineExceeded,
    TemporarilyUnavailable,
}

impl ErrorCode {
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
            ErrorCode::ResourceDoesNotExist => "RESOURCE_DOES_NOT_EXIST",
            ErrorCode::ResourceAlreadyExists => "RESOURCE_ALREADY_EXISTS",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::RequestLimitExceeded => "REQUEST_LIMIT_EXCEEDED",
            ErrorCode::DeadlineExceeded => "DEADLINE_EXCEEDED",
            ErrorCode::TemporarilyUnavailable => "TEMPORARILY_UNAVAILABLE",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::InvalidParameterValue
            | ErrorCode::ResourceAlreadyExists => 400,
            ErrorCode::ResourceDoesNotExist => 404,
            ErrorCode::RequestLimitExceeded => 429,
            ErrorCode::InternalError | ErrorCode::InvalidState => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::DeadlineExceeded => 504,
        }
    }

    /// (sqlstate, error_class) as MLflow >= 3.12 adds them.
    fn classification(self) -> Option<(&'static str, &'static str)> {
        match self {
            ErrorCode::BadRequest | ErrorCode::InvalidParameterValue => {
                Some(("KAM00", "INVALID_PARAMETER_VALUE"))
            }
            ErrorCode::ResourceDoesNotExist => Some(("KAM00", "RESOURCE_NOT_FOUND")),
            ErrorCode::ResourceAlreadyExists => Some(("KAM00", "RESOURCE_ALREADY_EXISTS")),
            ErrorCode::InternalError
            | ErrorCode::InvalidState
            | ErrorCode::TemporarilyUnavailable => Some(("XXM00", "CLIENT_INTERNAL_ERROR")),
            ErrorCode::RequestLimitExceeded | ErrorCode::DeadlineExceeded => None,
        }
    }
}

/// An `MlflowException` as MLflow's servers serialise it. Its `Display` is
/// the message alone, as `str(MlflowException)` is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct MlflowError {
    pub code: ErrorCode,
    pub message: String,
    pub stack_trace: Option<String>,
    /// Schema enforcement failures carry their own class (KAM01).
    pub schema_enforcement: bool,
}

impl MlflowError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> MlflowError {
        MlflowError {
            code,
            message: message.into(),
            stack_trace: None,
            schema_enforcement: false,
        }
    }

    /// `MlflowInvalidInputException`: BAD_REQUEST with the "Invalid input. " prefix.
    pub fn invalid_input(message: impl AsRef<str>) -> MlflowError {
        MlflowError::new(
            ErrorCode::BadRequest,
            format!("Invalid input. {}", message.as_ref()),
        )
    }

    pub fn invalid_parameter(message: impl Into<String>) -> MlflowError {
        MlflowError::new(ErrorCode::InvalidParameterValue, message)
    }

    pub fn not_found(message: impl Into<String>) -> MlflowError {
        MlflowError::new(ErrorCode::ResourceDoesNotExist, message)
    }

    pub fn already_exists(message: impl Into<String>) -> MlflowError {
        MlflowError::new(ErrorCode::ResourceAlreadyExists, message)
    }

    pub fn internal(message: impl Into<String>) -> MlflowError {
        MlflowError::new(ErrorCode::InternalError, message)
    }

    pub fn with_stack_trace(mut self, trace: impl Into<String>) -> MlflowError {
        self.stack_trace = Some(trace.into());
        self
    }

    pub fn status(&self) -> u16 {
        self.code.http_status()
    }

    pub fn to_json(&self) -> String {
        let mut items = vec![
            ("error_code".to_string(), Json::Str(self.code.name().into())),
            ("message".to_string(), Json::Str(self.message.clone())),
        ];
        let class = if self.schema_enforcement {
            Some(("KAM01", "SCHEMA_ENFORCEMENT_FAILED"))
        } else {
            self.code.classification()
        };
        if let Some((sqlstate, class)) = class {
            items.push(("sqlstate".into(), Json::Str(sqlstate.into())));
            items.push(("error_class".into(), Json::Str(class.into())));
        }
        if let Some(trace) = &self.stack_trace {
            items.push(("stack_trace".into(), Json::Str(trace.clone())));
        }
        pyjson::to_string(&Json::Dict(items))
    }
}

/// The stack trace mlflowrs sends where MLflow sends a Python traceback:
/// there is no Python frame to show, so it names where the error arose.
pub fn trace(origin: &str, detail: &str) -> String {
    format!("Traceback (mlflowrs):\n  in {origin}\n{detail}\n")
}
