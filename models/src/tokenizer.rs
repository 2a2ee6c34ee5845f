//! The tokenizer, built from the GGUF metadata, and a decoder that turns generated tokens into
//! text deltas without ever splitting a multi-byte character.

use crate::sampling::{Joins, QuotationTokens};
use crate::ModelError;
use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use std::sync::{Arc, OnceLock};
use tokenizers::{NormalizedString, Normalizer, Tokenizer};

/// Pre-tokenizer names that llama.cpp writes for a scheme candle knows under another name.
const PRE_TOKENIZER_ALIASES: &[(&str, &str)] = &[("llama-bpe", "llama3")];

pub struct TextTokenizer {
    inner: Tokenizer,
    /// What the copy ban reads of every token, worked out the first time it is asked.
    shapes: OnceLock<Shapes>,
}

/// Tokens that write letters outside ASCII, each with those letters in lower case.
pub type UnusualLetters = Arc<[(u32, Box<[char]>)]>;

/// Of every token: how it meets the text before it, and the letters outside ASCII it writes.
struct Shapes {
    joins: Arc<[Joins]>,
    unusual_letters: UnusualLetters,
    quotation: Arc<QuotationTokens>,
}

impl TextTokenizer {
    pub fn from_gguf(content: &mut gguf_file::Content) -> Result<Self, ModelError> {
        if let Some(gguf_file::Value::String(pre)) = content.metadata.get_mut("tokenizer.ggml.pre")
        {
            if let Some((_, known)) = PRE_TOKENIZER_ALIASES.iter().find(|(alias, _)| alias == pre) {
                *pre = (*known).to_string();
            }
        }
        let inner =
            Tokenizer::from_gguf(content).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(Self {
            inner,
            shapes: OnceLock::new(),
        })
    }

    /// Encodes text in which special tokens are written out (`<|im_start|>`); they become single
    /// tokens. Nothing is added around the text: chat templates write their own markers.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Encodes and checks that decoding gives the same text back, so a damaged or mismatched
    /// tokenizer fails loudly instead of feeding the model garbage. The text is compared as the
    /// tokenizer's own normalizer leaves it (NFC for Qwen2): a prompt that quotes model-written
    /// text with a combining accent is read as the model would read it, not refused.
    pub fn encode_checked(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        let ids = self.encode(text)?;
        let back = self.decode(&ids, false)?;
        let expected = self.normalized(text)?;
        if back != expected {
            let at = back
                .bytes()
                .zip(expected.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(back.len().min(expected.len()));
            return Err(ModelError::RoundTrip { at });
        }
        Ok(ids)
    }

    /// The text as the tokenizer's normalizer leaves it before splitting it into tokens.
    fn normalized<'a>(&self, text: &'a str) -> Result<std::borrow::Cow<'a, str>, ModelError> {
        let Some(normalizer) = self.inner.get_normalizer() else {
            return Ok(text.into());
        };
        let mut normalized = NormalizedString::from(text);
        normalizer
            .normalize(&mut normalized)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(normalized.get().to_owned().into())
    }

    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String, ModelError> {
        self.inner
            .decode(ids, skip_special)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))
    }

    /// The id of a token written exactly as in the vocabulary (`<|im_end|>`).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// By token id, how the token's text meets the text before it.
    pub fn joins(&self) -> Result<Arc<[Joins]>, ModelError> {
        Ok(self.shapes()?.joins.clone())
    }

    /// The tokens that write a letter outside ASCII, each with those letters in lower case.
    pub fn unusual_letters(&self) -> Result<UnusualLetters, ModelError> {
        Ok(self.shapes()?.unusual_letters.clone())
    }

    /// What the rules of a quoted source read of every token ([`QuotationTokens`]).
    pub fn quotation_tokens(&self) -> Result<Arc<QuotationTokens>, ModelError> {
        Ok(self.shapes()?.quotation.clone())
    }

    /// Works out what the bans and the quotation rules read of every token now, rather than
    /// at the first request that needs it.
    pub(crate) fn read_shapes(&self) -> Result<(), ModelError> {
        self.shapes().map(|_| ())
    }

    fn shapes(&self) -> Result<&Shapes, ModelError> {
        if let Some(shapes) = self.shapes.get() {
            return Ok(shapes);
        }
        let mut joins = Vec::with_capacity(self.vocab_size());
        let mut unusual_letters = Vec::new();
        let mut texts = Vec::with_capacity(self.vocab_size());
        for id in 0..self.vocab_size() as u32 {
            let text = self.decode(&[id], true)?;
            joins.push(Joins::of(&text));
            let letters: Box<[char]> = text
                .chars()
                .filter(|c| c.is_alphabetic() && !c.is_ascii())
                .flat_map(char::to_lowercase)
                .collect();
            if !letters.is_empty() {
                unusual_letters.push((id, letters));
            }
            texts.push(text);
        }
        Ok(self.shapes.get_or_init(|| Shapes {
            joins: joins.into(),
            unusual_letters: unusual_letters.into(),
            quotation: Arc::new(QuotationTokens::of(texts.iter().map(String::as_str))),
        }))
    }
}

/// Byte-level BPE can put one character's bytes in several tokens; the tokens of an incomplete
/// character decode to U+FFFD. Holding them until the character is complete keeps every delta
/// valid text that the reader can see grow.
pub struct TokenDecoder<'a> {
    tokenizer: &'a TextTokenizer,
    pending: Vec<u32>,
}

/// The most tokens one UTF-8 character can span (one byte each).
const MAX_CHAR_TOKENS: usize = 4;

impl<'a> TokenDecoder<'a> {
    pub fn new(tokenizer: &'a TextTokenizer) -> Self {
        Self {
            tokenizer,
            pending: Vec::new(),
        }
    }

    /// Adds one generated token; returns the text it completes, if any.
    pub fn push(&mut self, id: u32) -> Result<Option<String>, ModelError> {
        self.pending.push(id);
        let text = self.tokenizer.decode(&self.pending, true)?;
        if text.ends_with('\u{FFFD}') && self.pending.len() < MAX_CHAR_TOKENS {
            return Ok(None);
        }
        self.pending.clear();
        Ok((!text.is_empty()).then_some(text))
    }

    /// Text still held at the end of generation (bytes that never formed a character).
    pub fn finish(&mut self) -> Result<Option<String>, ModelError> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        let text = self.tokenizer.decode(&self.pending, true)?;
        self.pending.clear();
        Ok((!text.is_empty()).then_some(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::TinyModel;

    fn tokenizer() -> TextTokenizer {
        let mut content = TinyModel::qwen2().gguf_content().expect("fixture content");
        TextTokenizer::from_gguf(&mut content).expect("tokenizer")
    }

    #[test]
    fn prompt_with_special_tokens_round_trips() {
        let tok = tokenizer();
        let prompt = crate::Family::Qwen2.chat_prompt(
            "Translate into English.",
            "« Le président a déclaré : 3 000 € ! » — c'est l'été.",
        );
        let ids = tok.encode_checked(&prompt).expect("round trip");
        let im_start = tok.token_id("<|im_start|>").expect("special token");
        assert_eq!(ids[0], im_start, "the special token must be one token");
        assert_eq!(ids.iter().filter(|&&id| id == im_start).count(), 3);
    }

    #[test]
    fn a_prompt_with_a_combining_accent_is_read_as_the_tokenizer_normalizes_it() {
        let tok = tokenizer();
        let ids = tok
            .encode_checked("Le mode\u{300}le a e\u{301}crit")
            .expect("text the normalizer composes still round-trips");
        assert_eq!(
            tok.decode(&ids, false).expect("decode"),
            "Le modèle a écrit",
            "the tokens read the composed letters"
        );
    }

    #[test]
    fn decoder_never_splits_a_character() {
        let tok = tokenizer();
        let text = "café « été » — 東京 🎉 fin";
        let ids = tok.encode(text).expect("encode");
        assert!(
            ids.len() > text.chars().count(),
            "multi-byte characters should span several tokens"
        );
        let mut decoder = TokenDecoder::new(&tok);
        let mut deltas = Vec::new();
        for id in ids {
            if let Some(delta) = decoder.push(id).expect("decode") {
                deltas.push(delta);
            }
        }
        deltas.extend(decoder.finish().expect("finish"));
        assert!(deltas.iter().all(|d| !d.contains('\u{FFFD}')), "{deltas:?}");
        assert_eq!(deltas.concat(), text);
    }

    #[test]
    fn special_tokens_are_not_shown_in_deltas() {
        let tok = tokenizer();
        let end = tok.token_id("<|im_end|>").expect("special token");
        let mut decoder = TokenDecoder::new(&tok);
        assert_eq!(decoder.push(end).expect("decode"), None);
    }
}
