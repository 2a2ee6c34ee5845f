//! The network itself: one arm per supported family, each a candle-transformers model file.

use crate::{Family, ModelError};
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_gemma3, quantized_llama, quantized_qwen2};
use std::io::{Read, Seek};

pub(crate) enum Weights {
    Qwen2(quantized_qwen2::ModelWeights),
    Llama(quantized_llama::ModelWeights),
    Gemma3(quantized_gemma3::ModelWeights),
}

impl Weights {
    pub(crate) fn load<R: Read + Seek>(
        family: Family,
        content: gguf_file::Content,
        reader: &mut R,
        device: &Device,
    ) -> Result<Self, ModelError> {
        Ok(match family {
            Family::Qwen2 => Self::Qwen2(quantized_qwen2::ModelWeights::from_gguf(
                content, reader, device,
            )?),
            Family::Llama => Self::Llama(quantized_llama::ModelWeights::from_gguf(
                content, reader, device,
            )?),
            Family::Gemma3 => Self::Gemma3(quantized_gemma3::ModelWeights::from_gguf(
                content, reader, device,
            )?),
        })
    }

    /// Logits for the last position of `input` (shape `(1, seq_len)`), whose first token sits at
    /// `index_pos`. Position 0 starts a new sequence: every family drops its KV cache there.
    pub(crate) fn forward(
        &mut self,
        input: &Tensor,
        index_pos: usize,
    ) -> candle_core::Result<Tensor> {
        match self {
            Self::Qwen2(m) => m.forward(input, index_pos),
            Self::Llama(m) => m.forward(input, index_pos),
            Self::Gemma3(m) => m.forward(input, index_pos),
        }
    }
}

impl Weights {
    /// Prompt tokens read in one forward pass. Reading long prompts in chunks bounds the
    /// attention scores' memory; gemma3's mask in candle assumes the whole prompt at once.
    pub(crate) fn prefill_chunk(&self) -> usize {
        match self {
            Self::Gemma3(_) => usize::MAX,
            Self::Qwen2(_) | Self::Llama(_) => 512,
        }
    }
}

/// How many positions the loaded network can attend to: the file's own context length, capped
/// where candle precomputes rotary tables for fewer positions.
pub(crate) fn context_limit(family: Family, content: &gguf_file::Content) -> usize {
    let declared = content
        .metadata
        .get(&format!("{}.context_length", family.name()))
        .and_then(|v| v.to_u32().ok())
        .map(|v| v as usize);
    let table = match family {
        Family::Qwen2 => declared.unwrap_or(quantized_llama::MAX_SEQ_LEN),
        Family::Llama => quantized_llama::MAX_SEQ_LEN,
        Family::Gemma3 => quantized_gemma3::MAX_SEQ_LEN,
    };
    declared.map_or(table, |d| d.min(table))
}
