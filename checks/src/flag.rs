//! What a check reports: one thing the English says that the French does not, or the other way
//! round.

/// What kind of mismatch a flag reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagKind {
    Number,
    Date,
    Name,
    Missing,
    Untranslated,
    /// A term of the reader's glossary not rendered as the reader asked.
    Glossary,
    /// A sentence the model is unsure of, by its own probabilities (set by the pipeline, not
    /// by a text check).
    Unsure,
}

/// One thing the English says that the French does not, or the other way round.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub kind: FlagKind,
    /// The French text concerned; empty when the English added something the French lacks.
    pub source: String,
    /// Character offsets `[start, end)` of the English concerned; `None` when it is missing.
    pub english: Option<(usize, usize)>,
    /// One sentence for the reader.
    pub message: String,
}
