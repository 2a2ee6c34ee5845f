//! Measuring Passerelle: the benchmark's fixed article and statistics, the evaluation's metrics
//! and per-line checks.

pub mod checks;
pub mod metrics;
pub mod pairing;
pub mod stats;

/// The benchmark's article: written for Passerelle, about 400 words in 7 paragraphs, with
/// numbers, names and quotes.
pub const BENCH_ARTICLE: &str = include_str!("bench-article-fr.txt");
