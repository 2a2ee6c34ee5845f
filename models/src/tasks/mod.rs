//! The two jobs Passerelle asks of the model, each a prompt plus a clean-up of what came back.
//!
//! Small instruct models like to wrap their answer ("Here is the translation:", "Note: …").
//! [`MetaFilter`] holds back any line that may be such wrapping until it can tell, so the reader
//! never sees a preface flash on screen, and the final text is the streamed text.

pub mod confidence;
mod meta;
mod summarize;
mod translate;

pub use meta::{classify_line, clean_text, LineKind, MetaFilter};
pub use summarize::{
    added_name_in_its_place, read_ahead as read_ahead_summary, summarize, summarize_avoiding,
    Rewrite, Summary, SUMMARY_MAX_SENTENCES,
};
#[cfg(test)]
pub(crate) use translate::SYSTEM as TRANSLATE_SYSTEM;
pub use translate::{translate, Ask};

use crate::{Beginning, Generation, TokenLogprob};

/// The fixed beginnings of the tasks' prompts: an engine given them
/// ([`crate::EngineConfig::shared_instructions`]) reads each once, at load. The passes that
/// score a text with nothing to translate always ask the same, so their whole chat is shared:
/// a French sentence alone then reads only itself.
pub const INSTRUCTIONS: &[Beginning] = &[
    Beginning::instructions(translate::SYSTEM),
    Beginning::instructions(summarize::SYSTEM),
    Beginning::instructions(summarize::PART_SYSTEM),
    Beginning::instructions(confidence::BACK_SYSTEM),
    Beginning::asking(confidence::FRENCH_ALONE_SYSTEM, confidence::ALONE_ASK),
    Beginning::asking(
        confidence::ENGLISH_ALONE_SYSTEM,
        confidence::SUMMARY_ALONE_ASK,
    ),
];

/// The cleaned text of a task and the generation(s) that made it.
#[derive(Debug, Clone)]
pub struct TaskOutput {
    pub text: String,
    /// One per attempt; a second attempt is made when the first left nothing usable.
    pub attempts: Vec<Generation>,
}

impl TaskOutput {
    pub fn generated_tokens(&self) -> usize {
        self.attempts.iter().map(|g| g.generated_tokens).sum()
    }

    pub fn prompt_tokens(&self) -> usize {
        self.attempts.iter().map(|g| g.prompt_tokens).sum()
    }

    pub fn last(&self) -> Option<&Generation> {
        self.attempts.last()
    }

    /// Every written token with its log-probability, attempt after attempt: what the confidence
    /// step reads the English's written signals from.
    pub fn logprobs(&self) -> Vec<TokenLogprob> {
        self.attempts
            .iter()
            .flat_map(|g| g.logprobs.iter().cloned())
            .collect()
    }
}
