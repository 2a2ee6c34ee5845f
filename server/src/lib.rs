//! The `passerelle` binary's library: everything but `main`, so tests can drive it.
//!
//! The path of an article: [`clean`] (normalize, drop what is not article text, split
//! paragraphs and [`segment`] sentences) → [`jobs`] (a job, its queue place and event log) →
//! [`worker`] (the model thread, running [`pipeline`]) → events → [`http`] (JSON and SSE).
//! Files and links come in before the cleaning: [`documents`] reads a file's text, [`links`]
//! fetches the page behind a link. With history on, [`history`] keeps every job's events on disk as they happen.

pub mod clean;
pub mod cli;
pub mod commands;
pub mod config;
pub mod consensus;
pub mod documents;
pub mod fetch;
pub mod glossary;
pub mod history;
pub mod http;
pub mod jobs;
pub mod language;
pub mod links;
pub mod measure;
pub mod memory;
pub mod pipeline;
pub mod queue;
pub mod repair;
pub mod segment;
pub mod service;
pub mod worker;
