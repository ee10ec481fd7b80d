//! One HTTP answer as the scoring protocol builds it, before axum sees it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::MlflowError;

pub const CONTENT_TYPE_JSON: &str = "application/json";
pub const CONTENT_TYPE_CSV: &str = "text/csv";
pub const CONTENT_TYPE_PARQUET: &str = "application/vnd.apache.parquet";
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// One HTTP answer: status, media type and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: String) -> Reply {
        Reply {
            status,
            content_type: CONTENT_TYPE_JSON,
            body: body.into_bytes(),
        }
    }

    pub fn text(status: u16, body: String) -> Reply {
        Reply {
            status,
            content_type: TEXT_PLAIN,
            body: body.into_bytes(),
        }
    }

    pub fn error(e: &MlflowError) -> Reply {
        Reply::json(e.status(), e.to_json())
    }
}

impl IntoResponse for MlflowError {
    fn into_response(self) -> Response {
        if self.code == crate::ErrorCode::InternalError {
            tracing::error!(message = %self.message, "server error");
        }
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(CONTENT_TYPE_JSON),
            )],
            self.to_json(),
        )
            .into_response()
    }
}
