//! Every error the API answers with: `{"error": {"code", "message"}}` and the right status.

use crate::history::StoreError;
use crate::intake::documents::DocumentError;
use crate::intake::links::LinkError;
use crate::service::glossary::GlossaryError;
use crate::service::jobs::SubmitError;
use crate::service::keys::KeyRefusal;
use crate::service::queue::QueueError;
use app::api::{ErrorBody, ErrorDetail};
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("The text is empty. Paste a French article and try again.")]
    EmptyText,
    #[error("The text is {chars} characters long; the limit is {max}. Paste a shorter article, or split it.")]
    TooLong { chars: usize, max: usize },
    #[error("The request body is too large; the limit is {max} characters of text.")]
    BodyTooLarge { max: usize },
    #[error("The request body is not valid JSON of the form {{\"text\": \"...\"}}: {0}")]
    InvalidJson(String),
    #[error("Send the request body as JSON, with the header Content-Type: application/json.")]
    UnsupportedMediaType,
    #[error("Nothing is left to translate: everything in the paste looks like site navigation, photo credits or repeats ({removed} lines).")]
    NothingToTranslate { removed: usize },
    #[error("There is no article {0}: it was deleted, or (with history off) it finished more than the keeping time ago.")]
    JobNotFound(String),
    #[error("History is off (the server runs with --no-history): nothing is kept, so there is nothing to list or delete.")]
    HistoryOff,
    #[error("Unknown export format {0:?}; use md, html or txt.")]
    ExportFormat(String),
    #[error("The history could not be used: {0}.")]
    Storage(#[from] StoreError),
    #[error("Something went wrong inside the server; it is still running, try again.")]
    Internal,
    #[error("{0}")]
    Document(#[from] crate::intake::documents::DocumentError),
    #[error(transparent)]
    Link(#[from] crate::intake::links::LinkError),
    #[error(transparent)]
    Glossary(#[from] GlossaryError),
    #[error("The upload could not be read: {0}. Send the file as multipart/form-data in a field named \"file\".")]
    BadUpload(String),
    #[error("The file is over the limit of {max_mb} MB. Bring a smaller file, or paste the article's text.")]
    FileTooLarge { max_mb: usize },
    #[error("There is no such address in the API.")]
    NotFound,
    #[error("This address does not take that method.")]
    MethodNotAllowed,
    #[error("{0} articles are already waiting for the model. Try again in a minute.")]
    QueueFull(usize),
    #[error("The server is shutting down.")]
    ShuttingDown,
    #[error("The model is still loading; try again in a few seconds.")]
    ModelLoading,
    #[error("The model could not be loaded: {0}")]
    ModelUnavailable(String),
    #[error(transparent)]
    Key(#[from] KeyRefusal),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::EmptyText => (StatusCode::BAD_REQUEST, "empty_text"),
            Self::TooLong { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "text_too_long"),
            Self::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::NothingToTranslate { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_translate")
            }
            Self::JobNotFound(_) => (StatusCode::NOT_FOUND, "job_not_found"),
            Self::HistoryOff => (StatusCode::NOT_FOUND, "history_off"),
            Self::ExportFormat(_) => (StatusCode::BAD_REQUEST, "unknown_format"),
            Self::Storage(StoreError::Full { .. }) => {
                (StatusCode::INSUFFICIENT_STORAGE, "disk_full")
            }
            Self::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage"),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            Self::Document(DocumentError::Empty) => (StatusCode::BAD_REQUEST, "empty_document"),
            Self::Document(DocumentError::Damaged(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "damaged_document")
            }
            Self::Document(DocumentError::ScannedPdf) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "scanned_pdf")
            }
            Self::Document(DocumentError::NoArticle) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "no_article")
            }
            Self::Document(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_document"),
            Self::Link(err) => link_status(err),
            Self::Glossary(GlossaryError::Storage(StoreError::Full { .. })) => {
                (StatusCode::INSUFFICIENT_STORAGE, "disk_full")
            }
            Self::Glossary(GlossaryError::Storage(_)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "storage")
            }
            Self::Glossary(_) => (StatusCode::BAD_REQUEST, "bad_glossary"),
            Self::BadUpload(_) => (StatusCode::BAD_REQUEST, "bad_upload"),
            Self::FileTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::QueueFull(_) => (StatusCode::TOO_MANY_REQUESTS, "queue_full"),
            Self::ShuttingDown => (StatusCode::SERVICE_UNAVAILABLE, "shutting_down"),
            Self::ModelLoading => (StatusCode::SERVICE_UNAVAILABLE, "model_loading"),
            Self::ModelUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "model_unavailable"),
            Self::Key(KeyRefusal::Missing) => (StatusCode::UNAUTHORIZED, "key_missing"),
            Self::Key(KeyRefusal::Wrong) => (StatusCode::FORBIDDEN, "key_wrong"),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.status_and_code().1.to_string(),
                message: self.to_string(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if status.is_server_error() {
            tracing::warn!(error = %self, "request refused");
        }
        (status, Json(self.body())).into_response()
    }
}

impl From<SubmitError> for ApiError {
    fn from(err: SubmitError) -> Self {
        match err {
            SubmitError::Queue(err) => err.into(),
            SubmitError::Storage(err) => err.into(),
            SubmitError::Glossary(err) => err.into(),
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(err: QueueError) -> Self {
        match err {
            QueueError::Full(n) => Self::QueueFull(n),
            QueueError::Closed => Self::ShuttingDown,
        }
    }
}

/// Maps axum's JSON extraction failures onto the API's errors. `max` is the text limit, for the
/// message when the body is over the byte limit.
pub fn json_rejection(rejection: JsonRejection, max: usize) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::BodyTooLarge { max }
        }
        other => ApiError::InvalidJson(other.body_text()),
    }
}

fn link_status(err: &LinkError) -> (StatusCode, &'static str) {
    match err {
        LinkError::NotAnAddress(_) | LinkError::Scheme(_) => (StatusCode::BAD_REQUEST, "bad_url"),
        LinkError::Private { .. } => (StatusCode::FORBIDDEN, "private_address"),
        LinkError::NoNetwork { .. } => (StatusCode::BAD_GATEWAY, "no_network"),
        LinkError::Unreachable { .. } | LinkError::Status(_) | LinkError::TooManyRedirects => {
            (StatusCode::BAD_GATEWAY, "link_failed")
        }
        LinkError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "link_timeout"),
        LinkError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "page_too_large"),
    }
}
