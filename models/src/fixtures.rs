//! Tiny GGUF models with random weights and the real tensor layout and metadata of each family,
//! written by tests so that loading, tokenizing and generating run in milliseconds without the
//! real model. The tokenizer is a real byte-level BPE (all 256 bytes, a few merges, the family's
//! special tokens), so any text encodes.

use crate::{Family, ModelError};
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use std::io::Cursor;
use std::path::Path;

const HIDDEN: usize = 256;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const HEAD_DIM: usize = HIDDEN / HEADS;
const FEED_FORWARD: usize = 128;
const LAYERS: usize = 2;
const CONTEXT: u32 = 2048;

const MERGES: &[(&str, &str)] = &[
    ("Ġ", "t"),
    ("h", "e"),
    ("Ġt", "he"),
    ("i", "n"),
    ("e", "r"),
    ("o", "n"),
    ("Ġ", "a"),
    ("e", "s"),
    ("r", "e"),
    ("Ã", "©"),
];

/// A recipe for a tiny model; [`TinyModel::write`] makes the file.
#[derive(Debug, Clone)]
pub struct TinyModel {
    family: Family,
    behaviour: Behaviour,
    /// No `output.weight`: the output layer is the embedding, as in many small models.
    tied: bool,
    /// How the 2-D weights are stored.
    matrices: GgmlDType,
}

#[derive(Debug, Clone, PartialEq)]
enum Behaviour {
    /// Random weights: deterministic gibberish.
    Random,
    /// Always the same token.
    Favouring(String),
    /// Each byte token is followed by the next in one fixed cycle through all 256 of them, so
    /// output never stops by itself and never repeats within the repetition guard's reach.
    Cycling,
}

impl TinyModel {
    pub fn qwen2() -> Self {
        Self::of(Family::Qwen2)
    }

    pub fn llama() -> Self {
        Self::of(Family::Llama)
    }

    pub fn of(family: Family) -> Self {
        Self {
            family,
            behaviour: Behaviour::Random,
            tied: false,
            matrices: GgmlDType::Q8_0,
        }
    }

    /// Makes greedy decoding pick `token` (as written in the vocabulary) at every step, whatever
    /// the input: the embeddings share one large component that only this token's output row
    /// reads, and the layers are too weak to move it.
    pub fn favouring(mut self, token: &str) -> Self {
        self.behaviour = Behaviour::Favouring(token.to_string());
        self
    }

    /// Makes greedy decoding run until its token budget, through a 256-token cycle: for tests
    /// that need work long enough to cancel or to queue behind. Each byte token's embedding is a
    /// random ±1 vector and the output row of its successor is the same vector, so the
    /// successor's logit (about 256) towers over every other (about ±16).
    pub fn cycling(mut self) -> Self {
        self.behaviour = Behaviour::Cycling;
        self
    }

    /// Leaves out `output.weight`, so the file ties the output layer to the embedding.
    pub fn tied(mut self) -> Self {
        self.tied = true;
        self
    }

    /// Stores the matrices unquantized, so that a forward pass can be compared with another
    /// without rounding in between.
    pub fn unquantized(mut self) -> Self {
        self.matrices = GgmlDType::F32;
        self
    }

    pub fn write(&self, path: &Path) -> Result<(), ModelError> {
        let bytes = self.to_bytes()?;
        std::fs::write(path, bytes).map_err(|source| ModelError::Open {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The model written to a temporary folder and loaded with `config`, for this crate's tests;
    /// the folder lasts as long as the returned guard.
    #[cfg(test)]
    #[allow(clippy::expect_used)]
    pub(crate) fn loaded_with(
        &self,
        config: crate::EngineConfig,
    ) -> (tempfile::TempDir, crate::Model) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tiny.gguf");
        self.write(&path).expect("write fixture");
        let model = crate::Model::load_with(&path, config).expect("load fixture");
        (dir, model)
    }

    /// [`Self::loaded_with`] the default engine.
    #[cfg(test)]
    pub(crate) fn loaded(&self) -> (tempfile::TempDir, crate::Model) {
        self.loaded_with(crate::EngineConfig::default())
    }

    /// The file's header, read back as the loader reads it.
    pub fn gguf_content(&self) -> Result<gguf_file::Content, ModelError> {
        let bytes = self.to_bytes()?;
        Ok(gguf_file::Content::read(&mut Cursor::new(bytes))?)
    }

    fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        let tokens = vocabulary(self.family);
        let output = match &self.behaviour {
            Behaviour::Random => Output::Random,
            Behaviour::Favouring(t) => {
                Output::Favouring(tokens.iter().position(|v| v == t).ok_or_else(|| {
                    ModelError::Tokenizer(format!("the tiny vocabulary has no token `{t}`"))
                })?)
            }
            Behaviour::Cycling => Output::Cycling,
        };
        let metadata = metadata(self.family, &tokens, self.matrices);
        let mut tensors = tensors(self.family, tokens.len(), output, self.matrices)?;
        if self.tied {
            tensors.retain(|(name, _)| name != "output.weight");
        }
        let metadata: Vec<(&str, &gguf_file::Value)> =
            metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut out = Cursor::new(Vec::new());
        gguf_file::write(&mut out, &metadata, &tensors)?;
        Ok(out.into_inner())
    }
}

fn special_tokens(family: Family) -> &'static [&'static str] {
    match family {
        Family::Qwen2 => &["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        Family::Llama => &[
            "<|begin_of_text|>",
            "<|end_of_text|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|eot_id|>",
        ],
    }
}

/// GPT-2's reversible map from bytes to printable characters, which byte-level BPE vocabularies
/// are written in.
fn byte_tokens() -> Vec<String> {
    let printable =
        |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let mut shifted = 0;
    (0u32..256)
        .map(|b| {
            let c = if printable(b) {
                b
            } else {
                shifted += 1;
                255 + shifted
            };
            char::from_u32(c).map(String::from).unwrap_or_default()
        })
        .collect()
}

fn vocabulary(family: Family) -> Vec<String> {
    let mut tokens = byte_tokens();
    tokens.extend(MERGES.iter().map(|(a, b)| format!("{a}{b}")));
    tokens.extend(special_tokens(family).iter().map(|s| s.to_string()));
    tokens
}

fn metadata(
    family: Family,
    tokens: &[String],
    matrices: GgmlDType,
) -> Vec<(String, gguf_file::Value)> {
    // llama.cpp's `general.file_type` numbers.
    let file_type = if matrices == GgmlDType::F32 { 0 } else { 7 };
    use gguf_file::Value as V;
    let arch = family.name();
    let specials = special_tokens(family);
    let id = |t: &str| tokens.iter().position(|v| v == t).unwrap_or(0) as u32;
    let (pre, eos, bos) = match family {
        Family::Qwen2 => ("qwen2", "<|im_end|>", "<|endoftext|>"),
        Family::Llama => ("llama-bpe", "<|eot_id|>", "<|begin_of_text|>"),
    };
    let mut md = vec![
        (
            "general.architecture".to_string(),
            V::String(arch.to_string()),
        ),
        (
            "general.name".to_string(),
            V::String(format!("tiny random {arch}")),
        ),
        ("general.file_type".to_string(), V::U32(file_type)),
        (format!("{arch}.block_count"), V::U32(LAYERS as u32)),
        (format!("{arch}.context_length"), V::U32(CONTEXT)),
        (format!("{arch}.embedding_length"), V::U32(HIDDEN as u32)),
        (
            format!("{arch}.feed_forward_length"),
            V::U32(FEED_FORWARD as u32),
        ),
        (format!("{arch}.attention.head_count"), V::U32(HEADS as u32)),
        (
            format!("{arch}.attention.head_count_kv"),
            V::U32(KV_HEADS as u32),
        ),
        (
            format!("{arch}.attention.layer_norm_rms_epsilon"),
            V::F32(1e-6),
        ),
        (format!("{arch}.rope.freq_base"), V::F32(10000.0)),
        (
            "tokenizer.ggml.model".to_string(),
            V::String("gpt2".to_string()),
        ),
        ("tokenizer.ggml.pre".to_string(), V::String(pre.to_string())),
        (
            "tokenizer.ggml.tokens".to_string(),
            V::Array(tokens.iter().cloned().map(V::String).collect()),
        ),
        (
            "tokenizer.ggml.token_type".to_string(),
            V::Array(
                tokens
                    .iter()
                    .map(|t| V::I32(if specials.contains(&t.as_str()) { 3 } else { 1 }))
                    .collect(),
            ),
        ),
        (
            "tokenizer.ggml.merges".to_string(),
            V::Array(
                MERGES
                    .iter()
                    .map(|(a, b)| V::String(format!("{a} {b}")))
                    .collect(),
            ),
        ),
        ("tokenizer.ggml.eos_token_id".to_string(), V::U32(id(eos))),
        ("tokenizer.ggml.bos_token_id".to_string(), V::U32(id(bos))),
        ("tokenizer.ggml.add_bos_token".to_string(), V::Bool(false)),
    ];
    match family {
        Family::Qwen2 => {}
        Family::Llama => md.push((
            format!("{arch}.rope.dimension_count"),
            V::U32(HEAD_DIM as u32),
        )),
    }
    md
}

/// SplitMix64: deterministic weights without a random-number crate.
struct Noise(u64);

impl Noise {
    fn next(&mut self, scale: f32) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
    }

    fn fill(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.next(scale)).collect()
    }
}

/// How the embeddings and output rows are set, resolved to token ids.
enum Output {
    Random,
    Favouring(usize),
    Cycling,
}

fn tensors(
    family: Family,
    vocab: usize,
    output_kind: Output,
    matrices: GgmlDType,
) -> Result<Vec<(String, QTensor)>, ModelError> {
    let mut noise = Noise(0x5EED);
    let layer_scale = match output_kind {
        Output::Random => 0.3,
        Output::Favouring(_) | Output::Cycling => 0.01,
    };
    let mut out = Vec::new();
    let mut push = |name: String, shape: &[usize], data: Vec<f32>| -> Result<(), ModelError> {
        let tensor = Tensor::from_vec(data, shape, &Device::Cpu)?;
        // Matrices go through a real quantized type, as in the files people download.
        let dtype = if shape.len() == 2 {
            matrices
        } else {
            GgmlDType::F32
        };
        out.push((name, QTensor::quantize(&tensor, dtype)?));
        Ok(())
    };

    let (embeddings, output) = embeddings_and_output(&mut noise, vocab, output_kind);
    push("token_embd.weight".into(), &[vocab, HIDDEN], embeddings)?;
    push("output.weight".into(), &[vocab, HIDDEN], output)?;
    push("output_norm.weight".into(), &[HIDDEN], vec![1.0; HIDDEN])?;

    let q_dim = HEADS * HEAD_DIM;
    let kv_dim = KV_HEADS * HEAD_DIM;
    // In the order their random values are drawn: the same seed gives the same model.
    let mut per_layer = vec![
        ("attn_q.weight", vec![q_dim, HIDDEN]),
        ("attn_k.weight", vec![kv_dim, HIDDEN]),
        ("attn_v.weight", vec![kv_dim, HIDDEN]),
        ("attn_output.weight", vec![HIDDEN, q_dim]),
        ("ffn_gate.weight", vec![FEED_FORWARD, HIDDEN]),
        ("ffn_up.weight", vec![FEED_FORWARD, HIDDEN]),
        ("ffn_down.weight", vec![HIDDEN, FEED_FORWARD]),
    ];
    if family == Family::Qwen2 {
        per_layer.extend([
            ("attn_q.bias", vec![q_dim]),
            ("attn_k.bias", vec![kv_dim]),
            ("attn_v.bias", vec![kv_dim]),
        ]);
    }
    for layer in 0..LAYERS {
        let p = format!("blk.{layer}");
        push(
            format!("{p}.attn_norm.weight"),
            &[HIDDEN],
            vec![1.0; HIDDEN],
        )?;
        push(format!("{p}.ffn_norm.weight"), &[HIDDEN], vec![1.0; HIDDEN])?;
        for (name, shape) in &per_layer {
            let values = noise.fill(shape.iter().product(), layer_scale);
            push(format!("{p}.{name}"), shape, values)?;
        }
    }
    Ok(out)
}

/// The token embeddings and the output rows, set as `kind` asks.
fn embeddings_and_output(noise: &mut Noise, vocab: usize, kind: Output) -> (Vec<f32>, Vec<f32>) {
    let mut embeddings = noise.fill(vocab * HIDDEN, 0.5);
    let mut output = noise.fill(vocab * HIDDEN, 0.5);
    match kind {
        Output::Random => {}
        Output::Favouring(fav) => {
            for row in 0..vocab {
                embeddings[row * HIDDEN] = 4.0;
                for col in 0..HIDDEN {
                    output[row * HIDDEN + col] = if row == fav {
                        f32::from(col == 0)
                    } else if col == 0 {
                        0.0
                    } else {
                        output[row * HIDDEN + col] * 0.2
                    };
                }
            }
        }
        Output::Cycling => {
            output.iter_mut().for_each(|v| *v = 0.0);
            for v in embeddings.iter_mut() {
                *v = if *v >= 0.0 { 1.0 } else { -1.0 };
            }
            // Byte tokens in one cycle: a step coprime to 256 visits them all.
            const STEP: usize = 97;
            for token in 0..256 {
                let next = (token + STEP) % 256;
                output[next * HIDDEN..(next + 1) * HIDDEN]
                    .copy_from_slice(&embeddings[token * HIDDEN..(token + 1) * HIDDEN]);
            }
        }
    }
    (embeddings, output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CancelToken, GenerationParams, Model};

    #[test]
    fn byte_tokens_cover_every_byte_once() {
        let tokens = byte_tokens();
        assert_eq!(tokens.len(), 256);
        let unique: std::collections::HashSet<_> = tokens.iter().collect();
        assert_eq!(unique.len(), 256);
        assert_eq!(tokens[b' ' as usize], "Ġ");
        assert_eq!(tokens[b'\n' as usize], "Ċ");
    }

    #[test]
    fn a_cycling_model_runs_to_its_budget() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cycling.gguf");
        TinyModel::qwen2().cycling().write(&path).expect("write");
        let model = Model::load(&path).expect("load");
        let prompt = Family::Qwen2.chat_prompt("Translate.", "Le chat dort.");
        let params = GenerationParams {
            max_tokens: 300,
            ..Default::default()
        };
        let out = model
            .generate(&prompt, &params, &CancelToken::new(), &mut |_| {})
            .expect("generate");
        assert_eq!(out.finish, crate::FinishReason::Budget);
        assert_eq!(out.generated_tokens, 300);
    }

    #[test]
    fn every_family_loads_and_generates() {
        let dir = tempfile::tempdir().expect("temp dir");
        for family in [Family::Qwen2, Family::Llama] {
            let path = dir.path().join(format!("{}.gguf", family.name()));
            TinyModel::of(family).write(&path).expect("write");
            let model = Model::load(&path).unwrap_or_else(|e| panic!("{family:?}: {e}"));
            assert_eq!(model.family(), family);
            assert!(
                matches!(&model.info().source, crate::Source::File { quantization, .. } if quantization == "Q8_0"),
                "{:?}",
                model.info().source
            );
            assert_eq!(model.info().context_limit, CONTEXT as usize);
            let prompt = family.chat_prompt("Translate.", "Le chat dort.");
            let params = GenerationParams {
                max_tokens: 5,
                repetition_guard: false,
                ..Default::default()
            };
            let out = model
                .generate(&prompt, &params, &CancelToken::new(), &mut |_| {})
                .unwrap_or_else(|e| panic!("{family:?}: {e}"));
            assert!(out.generated_tokens <= 5);
            assert!(out.prompt_tokens > 5);
        }
    }
}
