//! The second step: an article's cleaned paragraphs become English. [`pipeline`] runs each
//! paragraph through the model with the context the method asks for, [`repair`] checks the
//! English against the French and writes again what fails, [`consensus`] chooses among
//! candidates, [`glossary`] holds the rules for the reader's terms, and the summary comes last.
//! Nothing here knows where articles are kept: what is already known comes in as arguments.

pub mod consensus;
pub mod glossary;
pub mod pipeline;
pub mod repair;
pub mod unsure;

use models::ModelError;
use std::thread::ScopedJoinHandle;

/// What a `what` thread of the article's work returned ("translation", "repair"); one that
/// panicked is an engine error, so the article fails with a message instead of taking the server
/// down.
fn joined<T>(
    thread: ScopedJoinHandle<'_, Result<T, ModelError>>,
    what: &str,
) -> Result<T, ModelError> {
    thread
        .join()
        .unwrap_or_else(|_| Err(ModelError::Engine(format!("a {what} thread panicked"))))
}
