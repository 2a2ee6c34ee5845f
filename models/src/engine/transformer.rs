//! The decoder-only transformer of the qwen2 and llama GGUF families, batched over sequences.
//!
//! Key characteristics:
//! - one step takes rows from many sequences (prompt chunks of some, the next token of others)
//!   as one matrix, so each weight matrix is read once per step for all of them;
//! - grouped-query attention, per sequence over its own preallocated KV cache, causal by
//!   position;
//! - RMS norm, rotary embeddings (NeoX halves for qwen2, interleaved pairs for llama), SwiGLU;
//! - the token embedding stays quantized and only the rows looked up are dequantized; a file
//!   without `output.weight` ties the output layer to the embedding, one copy serving both.
//!
//! Reference: candle-transformers' `quantized_qwen2` and `quantized_llama`, which the tests hold
//! this forward to.

use super::kernels;
use super::kv::SeqCache;
use super::matmul::{products, Matrix};
use crate::{Family, ModelError};
use candle_core::quantized::gguf_file;
use candle_core::Device;
use rayon::prelude::*;
use std::io::{Read, Seek};
use std::ops::Range;
use std::sync::Arc;

/// Shapes and constants read from the file's metadata.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) hidden: usize,
    pub(crate) heads: usize,
    pub(crate) kv_heads: usize,
    pub(crate) head_dim: usize,
    pub(crate) layers: usize,
    pub(crate) eps: f32,
    rope_base: f32,
    /// Rotate the two halves of a head (qwen2) rather than neighbouring pairs (llama).
    rope_halves: bool,
}

impl Config {
    /// Floats one position takes in the KV cache of one layer (keys and values).
    pub(crate) fn kv_width(&self) -> usize {
        self.kv_heads * self.head_dim
    }
}

struct Layer {
    attn_norm: Vec<f32>,
    q: Matrix,
    k: Matrix,
    v: Matrix,
    /// qwen2 adds biases to the three projections; llama has none.
    biases: Option<[Vec<f32>; 3]>,
    o: Matrix,
    ffn_norm: Vec<f32>,
    gate: Matrix,
    up: Matrix,
    down: Matrix,
}

pub(crate) struct Transformer {
    pub(crate) config: Config,
    embedding: Arc<Matrix>,
    layers: Vec<Layer>,
    norm: Vec<f32>,
    output: Arc<Matrix>,
    /// `cos, sin` per position and frequency, filled for the whole context at load.
    rope: Vec<(f32, f32)>,
    context: usize,
}

/// One row of a step: a token of a sequence at a position.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// Index of the sequence's cache in the slice given to [`Transformer::forward`].
    pub(crate) seq: usize,
    pub(crate) token: u32,
    pub(crate) pos: usize,
}

/// Scratch buffers of one step, kept between steps.
#[derive(Default)]
pub(crate) struct Scratch {
    x: Vec<f32>,
    h: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    att: Vec<f32>,
    o: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    picked: Vec<f32>,
}

impl Config {
    /// The shape of the network, from the file's metadata.
    fn read(family: Family, content: &gguf_file::Content) -> Result<Self, ModelError> {
        let arch = family.name();
        let md_u32 = |key: &str| -> Result<usize, ModelError> {
            content
                .metadata
                .get(&format!("{arch}.{key}"))
                .and_then(|v| v.to_u32().ok())
                .map(|v| v as usize)
                .ok_or_else(|| ModelError::Weights(format!("no `{arch}.{key}` in the metadata")))
        };
        let md_f32 = |key: &str, default: f32| {
            content
                .metadata
                .get(&format!("{arch}.{key}"))
                .and_then(|v| v.to_f32().ok())
                .unwrap_or(default)
        };
        let hidden = md_u32("embedding_length")?;
        let heads = md_u32("attention.head_count")?;
        let kv_heads = md_u32("attention.head_count_kv").unwrap_or(heads);
        let layers = md_u32("block_count")?;
        if heads == 0 || kv_heads == 0 || hidden % heads != 0 || heads % kv_heads != 0 {
            return Err(ModelError::Weights(format!(
                "{heads} heads and {kv_heads} key-value heads over {hidden} dimensions"
            )));
        }
        Ok(Self {
            hidden,
            heads,
            kv_heads,
            head_dim: hidden / heads,
            layers,
            eps: md_f32("attention.layer_norm_rms_epsilon", 1e-6),
            rope_base: md_f32("rope.freq_base", 10_000.0),
            rope_halves: family == Family::Qwen2,
        })
    }
}

impl Layer {
    /// Block `i`'s weights.
    fn load<R: Read + Seek>(
        family: Family,
        config: &Config,
        content: &gguf_file::Content,
        reader: &mut R,
        i: usize,
    ) -> Result<Self, ModelError> {
        let (hidden, kv) = (config.hidden, config.kv_width());
        let p = format!("blk.{i}");
        let biases = match family {
            Family::Qwen2 => Some([
                vector(content, reader, &format!("{p}.attn_q.bias"), hidden)?,
                vector(content, reader, &format!("{p}.attn_k.bias"), kv)?,
                vector(content, reader, &format!("{p}.attn_v.bias"), kv)?,
            ]),
            Family::Llama => None,
        };
        let mut weight = |name: &str, shape: (usize, usize)| {
            matrix(content, reader, &format!("{p}.{name}.weight"), shape)
        };
        Ok(Self {
            biases,
            q: weight("attn_q", (hidden, hidden))?,
            k: weight("attn_k", (kv, hidden))?,
            v: weight("attn_v", (kv, hidden))?,
            o: weight("attn_output", (hidden, hidden))?,
            gate: weight("ffn_gate", (0, hidden))?,
            up: weight("ffn_up", (0, hidden))?,
            down: weight("ffn_down", (hidden, 0))?,
            attn_norm: vector(content, reader, &format!("{p}.attn_norm.weight"), hidden)?,
            ffn_norm: vector(content, reader, &format!("{p}.ffn_norm.weight"), hidden)?,
        })
    }
}

impl Transformer {
    pub(crate) fn load<R: Read + Seek>(
        family: Family,
        content: &gguf_file::Content,
        reader: &mut R,
        context: usize,
    ) -> Result<Self, ModelError> {
        let config = Config::read(family, content)?;
        let layers = (0..config.layers)
            .map(|i| Layer::load(family, &config, content, reader, i))
            .collect::<Result<Vec<_>, _>>()?;
        let hidden = config.hidden;
        let norm = vector(content, reader, "output_norm.weight", hidden)?;
        let embedding = Arc::new(load_matrix(content, reader, "token_embd.weight", true)?);
        if embedding.cols() != hidden {
            return Err(ModelError::Weights(format!(
                "the embedding is {} wide, not {hidden}",
                embedding.cols()
            )));
        }
        let output = if content.tensor_infos.contains_key("output.weight") {
            Arc::new(matrix(content, reader, "output.weight", (0, hidden))?)
        } else {
            Arc::clone(&embedding)
        };
        let rope = rope_table(&config, context);
        Ok(Self {
            config,
            embedding,
            layers,
            norm,
            output,
            rope,
            context,
        })
    }

    /// Positions the model was trained for (and its rotation table holds).
    pub(crate) fn context(&self) -> usize {
        self.context
    }

    pub(crate) fn vocab(&self) -> usize {
        self.output.rows()
    }

    /// Runs one step over `rows`, writing each row's keys and values into its sequence's cache,
    /// and returns the logits of the rows listed in `logits_for` (indices into `rows`), one
    /// `vocab`-long run each, in that order.
    pub(crate) fn forward(
        &self,
        rows: &[Row],
        caches: &mut [&mut SeqCache],
        logits_for: &[usize],
        s: &mut Scratch,
    ) -> Result<Vec<f32>, ModelError> {
        let c = &self.config;
        let m = rows.len();
        let (hd, kv) = (c.hidden, c.kv_width());
        for row in rows {
            if row.pos >= self.context || row.pos >= caches[row.seq].capacity() {
                return Err(ModelError::PromptTooLong {
                    tokens: row.pos + 1,
                    limit: self.context.min(caches[row.seq].capacity()),
                });
            }
        }
        s.x.resize(m * hd, 0.0);
        for (row, x) in rows.iter().zip(s.x.chunks_exact_mut(hd)) {
            if row.token as usize >= self.embedding.rows() {
                return Err(ModelError::Weights(format!(
                    "token {} is outside the {}-token embedding",
                    row.token,
                    self.embedding.rows()
                )));
            }
            self.embedding.row_into(row.token as usize, x)?;
        }
        for (li, layer) in self.layers.iter().enumerate() {
            s.h.resize(m * hd, 0.0);
            rms_norm(&s.x, &layer.attn_norm, c.eps, &mut s.h);
            s.q.resize(m * hd, 0.0);
            s.k.resize(m * kv, 0.0);
            s.v.resize(m * kv, 0.0);
            products(
                &s.h,
                m,
                &mut [
                    (&layer.q, &mut s.q[..]),
                    (&layer.k, &mut s.k[..]),
                    (&layer.v, &mut s.v[..]),
                ],
            )?;
            if let Some([bq, bk, bv]) = &layer.biases {
                add_rows(&mut s.q, bq);
                add_rows(&mut s.k, bk);
                add_rows(&mut s.v, bv);
            }
            for (i, row) in rows.iter().enumerate() {
                self.rotate(&mut s.q[i * hd..(i + 1) * hd], row.pos);
                self.rotate(&mut s.k[i * kv..(i + 1) * kv], row.pos);
                caches[row.seq].write(
                    li,
                    row.pos,
                    &s.k[i * kv..(i + 1) * kv],
                    &s.v[i * kv..(i + 1) * kv],
                );
            }
            s.att.resize(m * hd, 0.0);
            self.attend(li, rows, caches, &s.q, &mut s.att);
            s.o.resize(m * hd, 0.0);
            layer.o.matmul(&s.att, m, &mut s.o)?;
            add(&mut s.x, &s.o);

            rms_norm(&s.x, &layer.ffn_norm, c.eps, &mut s.h);
            let ff = layer.gate.rows();
            s.gate.resize(m * ff, 0.0);
            s.up.resize(m * ff, 0.0);
            products(
                &s.h,
                m,
                &mut [(&layer.gate, &mut s.gate[..]), (&layer.up, &mut s.up[..])],
            )?;
            // An exponential a value: on one thread, a few percent of a step while the other
            // cores waited.
            s.gate
                .par_chunks_mut(SILU_CHUNK)
                .zip(s.up.par_chunks(SILU_CHUNK))
                .for_each(|(gate, up)| {
                    for (g, u) in gate.iter_mut().zip(up) {
                        *g = *g / (1.0 + (-*g).exp()) * u;
                    }
                });
            layer.down.matmul(&s.gate, m, &mut s.o)?;
            add(&mut s.x, &s.o);
        }
        // Only the rows whose next token is wanted go through the (vocabulary-sized) output.
        let n = logits_for.len();
        s.picked.resize(n * hd, 0.0);
        s.h.resize(n * hd, 0.0);
        for (dst, &i) in s.picked.chunks_exact_mut(hd).zip(logits_for) {
            dst.copy_from_slice(&s.x[i * hd..(i + 1) * hd]);
        }
        rms_norm(&s.picked, &self.norm, c.eps, &mut s.h[..n * hd]);
        let mut logits = vec![0f32; n * self.vocab()];
        if n > 0 {
            self.output.matmul(&s.h[..n * hd], n, &mut logits)?;
        }
        Ok(logits)
    }

    fn rotate(&self, x: &mut [f32], pos: usize) {
        self.turn(x, pos, 1.0);
    }

    /// Rotates each head of `x` by the angles of position `pos`: forward (`direction` 1) or
    /// back (-1).
    fn turn(&self, x: &mut [f32], pos: usize, direction: f32) {
        let d = self.config.head_dim;
        let table = &self.rope[pos * d / 2..(pos + 1) * d / 2];
        for head in x.chunks_exact_mut(d) {
            if self.config.rope_halves {
                let (a, b) = head.split_at_mut(d / 2);
                for ((x1, x2), &(cos, sin)) in a.iter_mut().zip(b.iter_mut()).zip(table) {
                    let (u, v, sin) = (*x1, *x2, sin * direction);
                    *x1 = u * cos - v * sin;
                    *x2 = v * cos + u * sin;
                }
            } else {
                for (pair, &(cos, sin)) in head.chunks_exact_mut(2).zip(table) {
                    let (u, v, sin) = (pair[0], pair[1], sin * direction);
                    pair[0] = u * cos - v * sin;
                    pair[1] = v * cos + u * sin;
                }
            }
        }
    }

    /// Writes positions `from` of `source` at `to` and after in `cache`, earlier than they were:
    /// a key holds its position only as its rotation, so each is turned back by the distance
    /// moved and attends as if computed there (llama.cpp shifts its cache the same way). What
    /// each position took from the positions before it, in the deeper layers, stays as it was.
    pub(crate) fn move_positions(
        &self,
        cache: &mut SeqCache,
        source: &SeqCache,
        from: Range<usize>,
        to: usize,
    ) {
        debug_assert!(from.start >= to, "positions move earlier only");
        let len = from.len();
        let back = from.start - to;
        cache.copy_range(source, from, to);
        for layer in 0..self.config.layers {
            for pos in to..to + len {
                for head in 0..self.config.kv_heads {
                    self.turn(cache.key_mut(layer, pos, head), back, -1.0);
                }
            }
        }
    }

    /// Attention of every row and head over its own sequence's cache, up to its own position.
    fn attend(
        &self,
        layer: usize,
        rows: &[Row],
        caches: &[&mut SeqCache],
        q: &[f32],
        out: &mut [f32],
    ) {
        let c = &self.config;
        let (d, group) = (c.head_dim, c.heads / c.kv_heads);
        let scale = 1.0 / (d as f32).sqrt();
        out.par_chunks_mut(d)
            .enumerate()
            .with_min_len(4)
            .for_each(|(at, o)| {
                let (i, head) = (at / c.heads, at % c.heads);
                let row = rows[i];
                let cache = &*caches[row.seq];
                let qh = &q[i * c.hidden + head * d..i * c.hidden + (head + 1) * d];
                let kvh = head / group;
                let len = row.pos + 1;
                kernels::attend_head(
                    qh,
                    cache.keys(layer, kvh, len),
                    cache.values(layer, kvh, len),
                    scale,
                    o,
                );
            });
    }
}

fn load_matrix<R: Read + Seek>(
    content: &gguf_file::Content,
    reader: &mut R,
    name: &str,
    embedding: bool,
) -> Result<Matrix, ModelError> {
    let t = content
        .tensor(reader, name, &Device::Cpu)
        .map_err(|e| ModelError::Weights(format!("tensor `{name}`: {e}")))?;
    Matrix::from_qtensor(t, embedding)
}

/// A matrix of `shape` (rows, cols); a 0 in either place takes whatever the file has.
fn matrix<R: Read + Seek>(
    content: &gguf_file::Content,
    reader: &mut R,
    name: &str,
    (rows, cols): (usize, usize),
) -> Result<Matrix, ModelError> {
    let m = load_matrix(content, reader, name, false)?;
    if (rows != 0 && m.rows() != rows) || (cols != 0 && m.cols() != cols) {
        return Err(ModelError::Weights(format!(
            "`{name}` is {}×{}, not {rows}×{cols}",
            m.rows(),
            m.cols()
        )));
    }
    Ok(m)
}

/// A one-dimensional tensor of `len` floats (norm weights, biases).
fn vector<R: Read + Seek>(
    content: &gguf_file::Content,
    reader: &mut R,
    name: &str,
    len: usize,
) -> Result<Vec<f32>, ModelError> {
    let v = content
        .tensor(reader, name, &Device::Cpu)
        .map_err(|e| ModelError::Weights(format!("tensor `{name}`: {e}")))?
        .dequantize(&Device::Cpu)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    if v.len() != len {
        return Err(ModelError::Weights(format!(
            "`{name}` has {} values, not {len}",
            v.len()
        )));
    }
    Ok(v)
}

fn rope_table(c: &Config, context: usize) -> Vec<(f32, f32)> {
    let d = c.head_dim;
    let freqs: Vec<f32> = (0..d)
        .step_by(2)
        .map(|i| 1.0 / c.rope_base.powf(i as f32 / d as f32))
        .collect();
    (0..context)
        .flat_map(|p| {
            freqs.iter().map(move |f| {
                let a = p as f32 * f;
                (a.cos(), a.sin())
            })
        })
        .collect()
}

/// Values of the feed-forward's gate per task (a row of the default model has 8,960).
const SILU_CHUNK: usize = 4096;

fn rms_norm(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) {
    let d = weight.len();
    for (row, o) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let mean = row.iter().map(|v| v * v).sum::<f32>() / d as f32;
        let inv = 1.0 / (mean + eps).sqrt();
        for ((o, v), w) in o.iter_mut().zip(row).zip(weight) {
            *o = v * inv * w;
        }
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

fn add_rows(x: &mut [f32], bias: &[f32]) {
    for row in x.chunks_exact_mut(bias.len()) {
        add(row, bias);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::TinyModel;
    use crate::reference;

    fn load(model: TinyModel, dir: &std::path::Path) -> Transformer {
        let path = dir.join("tiny.gguf");
        model.write(&path).expect("write");
        reference::engine_transformer(&path, 256).expect("load")
    }

    fn read(model: &Transformer, ids: &[u32]) -> SeqCache {
        let mut cache = SeqCache::new(&model.config, ids.len());
        model
            .forward(
                &reference::prompt_rows(ids),
                &mut [&mut cache],
                &[],
                &mut Scratch::default(),
            )
            .expect("forward");
        cache
    }

    /// The first layer's keys and values of a token depend only on the token and its position,
    /// so positions moved from one cache must hold there what reading the shorter text gives.
    #[test]
    fn moved_positions_hold_in_the_first_layer_what_reading_them_there_gives() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, tiny) in [
            ("qwen2", TinyModel::qwen2().unquantized()),
            ("llama", TinyModel::llama().unquantized()),
        ] {
            let model = load(tiny, dir.path());
            let token = |i: usize| (i * 37 % 251) as u32;
            let (a, b, c) = (6, 9, 12);
            let long: Vec<u32> = (0..a + b + c).map(token).collect();
            let short: Vec<u32> = long[..a].iter().chain(&long[a + b..]).copied().collect();
            let (long_cache, short_cache) = (read(&model, &long), read(&model, &short));
            let mut moved = SeqCache::new(&model.config, a + c);
            moved.copy_prefix(&long_cache, a);
            model.move_positions(&mut moved, &long_cache, a + b..a + b + c, a);
            let mut unturned = SeqCache::new(&model.config, a + c);
            unturned.copy_range(&long_cache, a + b..a + b + c, a);
            let (mut worst, mut unturned_worst) = (0f32, 0f32);
            for pos in a..a + c {
                for head in 0..model.config.kv_heads {
                    let fresh = short_cache.key(0, pos, head);
                    for (x, y) in moved.key(0, pos, head).iter().zip(fresh) {
                        worst = worst.max((x - y).abs());
                    }
                    for (x, y) in unturned.key(0, pos, head).iter().zip(fresh) {
                        unturned_worst = unturned_worst.max((x - y).abs());
                    }
                    assert_eq!(
                        moved.value(0, pos, head),
                        short_cache.value(0, pos, head),
                        "{name}"
                    );
                }
            }
            assert!(worst < 1e-4, "{name}: keys differ by {worst}");
            // Without turning the keys back they would hold their old positions.
            assert!(unturned_worst > 1e-2, "{name}: {unturned_worst}");
        }
    }
}
