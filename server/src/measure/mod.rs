//! Measuring Passerelle: the benchmark's fixed article and statistics, the evaluation's
//! per-line checks, the precision of its marks, what a summary draws on and the sentence-pair score (chrF and BLEU are in the `checks` crate, since the
//! candidate choice uses chrF too).

pub mod checks;
pub mod coverage;
pub mod fit;
pub mod marks;
pub mod pairing;
pub mod report;
pub mod resident;
pub mod stats;

/// The benchmark's article: written for Passerelle, about 400 words in 7 paragraphs, with
/// numbers, names and quotes.
pub const BENCH_ARTICLE: &str = include_str!("bench-article-fr.txt");
