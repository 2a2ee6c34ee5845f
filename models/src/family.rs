//! Which architecture a GGUF file holds, and the chat template and stop tokens that go with it.
//!
//! One enum for every supported family, so a new family is one more arm here and in the
//! engine's `transformer.rs`, not a copy of the loading or generation code. Gemma 3 is not
//! supported: candle cannot build its SentencePiece tokenizer from GGUF.

use crate::ModelError;
use candle_core::quantized::gguf_file;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Qwen2 and Qwen2.5 (ChatML template).
    Qwen2,
    /// Llama 3 style models with a byte-level BPE tokenizer.
    Llama,
}

impl Family {
    /// Reads `general.architecture`.
    pub fn detect(content: &gguf_file::Content) -> Result<Self, ModelError> {
        let arch = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .ok_or(ModelError::MissingMetadata("general.architecture"))?;
        match arch.as_str() {
            "qwen2" => Ok(Self::Qwen2),
            "llama" => Ok(Self::Llama),
            other => Err(ModelError::UnsupportedArchitecture(other.to_string())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Qwen2 => "qwen2",
            Self::Llama => "llama",
        }
    }

    /// Renders a one-turn conversation (system instruction, user message) up to the point where
    /// the assistant starts writing.
    pub fn chat_prompt(self, system: &str, user: &str) -> String {
        match self {
            Self::Qwen2 => format!(
                "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
            ),
            Self::Llama => format!(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
            ),
        }
    }

    /// The chat prompt up to where the user's text starts: the part every prompt with this
    /// instruction shares.
    pub fn prompt_prefix(self, system: &str) -> String {
        const MARK: char = '\u{1}';
        let full = self.chat_prompt(system, &MARK.to_string());
        full.split(MARK).next().unwrap_or_default().to_string()
    }

    /// Special tokens the template writes; each must be one token of the vocabulary.
    pub fn template_tokens(self) -> &'static [&'static str] {
        match self {
            Self::Qwen2 => &["<|im_start|>", "<|im_end|>"],
            Self::Llama => &[
                "<|begin_of_text|>",
                "<|start_header_id|>",
                "<|end_header_id|>",
                "<|eot_id|>",
            ],
        }
    }

    /// Tokens that end the assistant's turn. The GGUF's own `eos_token_id` is added at load time.
    pub fn stop_tokens(self) -> &'static [&'static str] {
        match self {
            Self::Qwen2 => &["<|im_end|>", "<|endoftext|>"],
            Self::Llama => &["<|eot_id|>", "<|end_of_text|>"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_prompt_ends_where_the_assistant_writes() {
        let p = Family::Qwen2.chat_prompt("Translate.", "Bonjour");
        assert!(p.starts_with("<|im_start|>system\nTranslate.<|im_end|>\n"));
        assert!(p.contains("<|im_start|>user\nBonjour<|im_end|>\n"));
        assert!(p.ends_with("<|im_start|>assistant\n"));
    }

    #[test]
    fn the_prefix_is_where_the_user_text_starts() {
        for family in [Family::Qwen2, Family::Llama] {
            let prefix = family.prompt_prefix("Translate.");
            assert!(family
                .chat_prompt("Translate.", "Bonjour")
                .starts_with(&prefix));
            assert!(prefix.ends_with('\n'), "{prefix:?}");
            assert!(!prefix.contains("Bonjour"));
        }
    }

    #[test]
    fn the_token_that_closes_a_turn_stops_generation() {
        for (family, close) in [(Family::Qwen2, "<|im_end|>"), (Family::Llama, "<|eot_id|>")] {
            let p = family.chat_prompt("S", "U");
            assert!(
                p.contains(close),
                "{family:?} template does not close turns with {close}"
            );
            assert!(family.template_tokens().contains(&close));
            assert!(family.stop_tokens().contains(&close));
        }
    }
}
