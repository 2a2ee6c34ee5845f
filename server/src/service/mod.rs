//! The fourth step, after the engine: articles as jobs that many readers share. [`jobs`] holds
//! each job's event log (written to the history first, when there is one), [`queue`] orders the
//! jobs waiting for the model, [`worker`] loads the model and runs jobs through the article
//! pipeline, asking the translation memory ([`memory`]) for English written before,
//! [`glossary`] keeps the reader's terms. Both stores sit behind a trait: SQLite when articles
//! are kept, memory (or nothing) with `--no-history`.

pub mod glossary;
pub mod jobs;
pub mod keys;
pub mod memory;
pub mod queue;
pub mod worker;
