//! The `passerelle` binary's library: everything but `main`, so tests can drive it.
//!
//! The path of an article, one folder a step, each using only the steps before it:
//! 1. [`intake`]: a paste, a file or a link becomes cleaned paragraphs and their sentences;
//! 2. [`article`]: the paragraphs become checked English and a summary, through the engine (the
//!    `models` crate) and the checks (the `checks` crate);
//! 3. [`history`]: every event of a job kept in SQLite, the translation memory, exports;
//! 4. [`service`]: jobs shared by many readers, the queue, the model's worker thread, the
//!    reader's glossary;
//! 5. [`http`]: the API and the page; [`commands`]: the command line's subcommands.
//!
//! Beside the path: [`cli`] (flags and where things are), [`model_file`] (fetching the default
//! model), [`measure`] (the benchmark's and the evaluation's tools).

pub mod article;
pub mod cli;
pub mod commands;
pub mod history;
pub mod http;
pub mod intake;
pub mod machine_pace;
pub mod measure;
pub mod model_file;
pub mod service;
