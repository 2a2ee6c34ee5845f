//! Which architecture a GGUF file holds, and the chat template and stop tokens that go with it.
//!
//! One enum for every supported family, so a new family is one more arm here and in
//! `weights.rs`, not a copy of the loading or generation code.

use crate::ModelError;
use candle_core::quantized::gguf_file;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Qwen2 and Qwen2.5 (ChatML template).
    Qwen2,
    /// Llama 3 style models with a byte-level BPE tokenizer.
    Llama,
    /// Gemma 3.
    Gemma3,
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
            "gemma3" => Ok(Self::Gemma3),
            other => Err(ModelError::UnsupportedArchitecture(other.to_string())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Qwen2 => "qwen2",
            Self::Llama => "llama",
            Self::Gemma3 => "gemma3",
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
            // Gemma has no system role: its own template puts the instruction in the user turn.
            Self::Gemma3 => format!(
                "<bos><start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n<start_of_turn>model\n"
            ),
        }
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
            Self::Gemma3 => &["<bos>", "<start_of_turn>", "<end_of_turn>"],
        }
    }

    /// Tokens that end the assistant's turn. The GGUF's own `eos_token_id` is added at load time.
    pub fn stop_tokens(self) -> &'static [&'static str] {
        match self {
            Self::Qwen2 => &["<|im_end|>", "<|endoftext|>"],
            Self::Llama => &["<|eot_id|>", "<|end_of_text|>"],
            Self::Gemma3 => &["<end_of_turn>", "<eos>"],
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
    fn the_token_that_closes_a_turn_stops_generation() {
        for (family, close) in [
            (Family::Qwen2, "<|im_end|>"),
            (Family::Llama, "<|eot_id|>"),
            (Family::Gemma3, "<end_of_turn>"),
        ] {
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
