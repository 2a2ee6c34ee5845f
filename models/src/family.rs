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
        self.chat_prompt_after(system, &[], user)
    }

    /// The same, after earlier turns (user message, assistant reply) that the model reads as
    /// its own past answers.
    pub fn chat_prompt_after(
        self,
        system: &str,
        earlier: &[(String, String)],
        user: &str,
    ) -> String {
        let mut out = String::new();
        match self {
            Self::Qwen2 => {
                out.push_str(&format!("<|im_start|>system\n{system}<|im_end|>\n"));
                for (asked, answered) in earlier {
                    out.push_str(&format!(
                        "<|im_start|>user\n{asked}<|im_end|>\n<|im_start|>assistant\n{answered}<|im_end|>\n"
                    ));
                }
                out.push_str(&format!(
                    "<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
                ));
            }
            Self::Llama => {
                let turn = |role: &str, text: &str| {
                    format!("<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>")
                };
                out.push_str("<|begin_of_text|>");
                out.push_str(&turn("system", system));
                for (asked, answered) in earlier {
                    out.push_str(&turn("user", asked));
                    out.push_str(&turn("assistant", answered));
                }
                out.push_str(&turn("user", user));
                out.push_str("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
        }
        out
    }

    /// The chat prompt up to where the user's text starts: the part every prompt with this
    /// instruction shares.
    pub fn prompt_prefix(self, system: &str) -> String {
        self.open_prompt(system, &[], "")
    }

    /// The prompt up to the end of `user`, its turn left open: the beginning of every prompt
    /// whose user message starts with `user`.
    pub fn open_prompt(self, system: &str, earlier: &[(String, String)], user: &str) -> String {
        const MARK: char = '\u{1}';
        let full = self.chat_prompt_after(system, earlier, &format!("{user}{MARK}"));
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
    fn earlier_turns_come_between_the_instruction_and_the_question() {
        for family in [Family::Qwen2, Family::Llama] {
            let earlier = [("Bonjour".to_string(), "Hello".to_string())];
            let p = family.chat_prompt_after("Translate.", &earlier, "Merci");
            let at = |s: &str| p.find(s).unwrap_or(usize::MAX);
            assert!(at("Translate.") < at("Bonjour"));
            assert!(at("Bonjour") < at("Hello"));
            assert!(at("Hello") < at("Merci"));
            assert!(p.starts_with(&family.prompt_prefix("Translate.")));
            let one = family.chat_prompt("Translate.", "Merci");
            let question = one.find("Merci").expect("the question is in the prompt");
            assert!(p.ends_with(&one[question..]));
        }
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
