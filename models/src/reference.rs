//! candle-transformers' own quantized models, kept as the reference that the engine's forward
//! pass must match. Only the tests use this: the engine never runs them.

use crate::engine::kv::SeqCache;
use crate::engine::transformer::{Row, Scratch, Transformer};
use crate::{Family, ModelError};
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// How the engine's logits for the last prompt position compare with candle's.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitsCheck {
    /// Largest difference over the vocabulary.
    pub max_abs_diff: f32,
    /// Mean difference over the vocabulary.
    pub mean_abs_diff: f32,
    /// How many of candle's five most likely tokens are among the engine's ten.
    pub top5_in_top10: usize,
    /// Largest logit magnitude, to judge the difference against.
    pub max_abs: f32,
    /// Both pick the same next token.
    pub same_argmax: bool,
}

/// The GGUF file at `path`: its header, and the reader placed after it.
fn open(path: &Path) -> Result<(gguf_file::Content, BufReader<File>), ModelError> {
    let file = File::open(path).map_err(|source| ModelError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let content = gguf_file::Content::read(&mut reader)?;
    Ok((content, reader))
}

/// The engine's transformer of the GGUF file at `path`, for `context` positions.
pub(crate) fn engine_transformer(path: &Path, context: usize) -> Result<Transformer, ModelError> {
    let (content, mut reader) = open(path)?;
    let family = Family::detect(&content)?;
    Transformer::load(family, &content, &mut reader, context)
}

/// One sequence's prompt as the rows of a step, from position 0.
pub(crate) fn prompt_rows(ids: &[u32]) -> Vec<Row> {
    ids.iter()
        .enumerate()
        .map(|(pos, &token)| Row { seq: 0, token, pos })
        .collect()
}

/// Runs `ids` through the engine's transformer and through candle's model of the same family,
/// both loaded from `path`, and compares the logits of the last position.
pub fn compare_last_logits(path: &Path, ids: &[u32]) -> Result<LogitsCheck, ModelError> {
    if ids.is_empty() {
        return Err(ModelError::EmptyPrompt);
    }
    let ours = engine_transformer(path, ids.len() + 1)?;
    let mut cache = SeqCache::new(&ours.config, ids.len());
    let mine = ours.forward(
        &prompt_rows(ids),
        &mut [&mut cache],
        &[ids.len() - 1],
        &mut Scratch::default(),
    )?;
    drop(ours);

    let (content, mut reader) = open(path)?;
    let family = Family::detect(&content)?;
    let input = Tensor::new(ids, &Device::Cpu)?.unsqueeze(0)?;
    let theirs = match family {
        Family::Qwen2 => {
            quantized_qwen2::ModelWeights::from_gguf(content, &mut reader, &Device::Cpu)?
                .forward(&input, 0)?
        }
        Family::Llama => {
            quantized_llama::ModelWeights::from_gguf(content, &mut reader, &Device::Cpu)?
                .forward(&input, 0)?
        }
    };
    let theirs = theirs.flatten_all()?.to_vec1::<f32>()?;
    let argmax = |v: &[f32]| {
        v.iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |b, (i, &x)| if x > b.1 { (i, x) } else { b },
            )
            .0
    };
    let top = |v: &[f32], n: usize| {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
        order.truncate(n);
        order
    };
    let ours_top10 = top(&mine, 10);
    Ok(LogitsCheck {
        mean_abs_diff: mine
            .iter()
            .zip(&theirs)
            .map(|(x, y)| (x - y).abs())
            .sum::<f32>()
            / theirs.len().max(1) as f32,
        top5_in_top10: top(&theirs, 5)
            .iter()
            .filter(|t| ours_top10.contains(t))
            .count(),
        max_abs_diff: mine
            .iter()
            .zip(&theirs)
            .fold(0f32, |a, (x, y)| a.max((x - y).abs())),
        max_abs: theirs.iter().fold(0f32, |a, x| a.max(x.abs())),
        same_argmax: argmax(&mine) == argmax(&theirs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::TinyModel;

    /// With unquantized matrices both sides compute the same products, so the rest of the
    /// forward (embedding, norms, rotary positions, attention, SwiGLU, tied output) must agree
    /// to float rounding. With Q8_0 matrices the activations are rounded differently (candle
    /// uses 256-value blocks on some CPUs, the engine 32-value blocks), and random tiny weights
    /// leave near-ties in the logits, so only a looser bound is held there.
    #[test]
    fn the_engine_forward_matches_candle_on_every_tiny_family() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A prompt long enough for attention and rotary positions to matter.
        let ids: Vec<u32> = (0..40).map(|i| (i * 37 % 256) as u32).collect();
        for (name, model, tolerance) in [
            ("qwen2-f32", TinyModel::qwen2().unquantized(), 1e-4),
            (
                "qwen2-f32-tied",
                TinyModel::qwen2().unquantized().tied(),
                1e-4,
            ),
            ("llama-f32", TinyModel::llama().unquantized(), 1e-4),
            ("qwen2", TinyModel::qwen2(), 0.1),
            ("qwen2-tied", TinyModel::qwen2().tied(), 0.1),
            ("llama", TinyModel::llama(), 0.1),
        ] {
            let path = dir.path().join(format!("{name}.gguf"));
            model.write(&path).expect("write");
            let check = compare_last_logits(&path, &ids).expect("compare");
            assert!(
                check.max_abs_diff <= tolerance * check.max_abs.max(1.0),
                "{name}: {check:?}"
            );
            if tolerance < 1e-3 {
                assert!(check.same_argmax, "{name}: {check:?}");
            }
        }
    }
}
