//! Quantized dot products: one weight row of a GGUF block format against one row of activations
//! quantized to 8 bits; and the rest of a step's work that needs the CPU's vector width (the
//! activations' quantization, a head's attention), compiled for it at run time. This is the one
//! module of the workspace allowed `unsafe`, for the x86 SIMD intrinsics and target features;
//! everything else reaches it through safe functions.
//!
//! Why our own: candle's CPU matmul takes different code paths for one row and for many, so a
//! paragraph's greedy output could change with the batch it runs in; here every (weight row,
//! activation row) pair is computed the same way whatever the batch. The formats follow ggml's
//! (`Q4_K`, `Q6_K`, `Q8_0` weights against `Q8_K` or `Q8_0` activations); the AVX2 paths are
//! chosen at run time and a portable path gives the same sums elsewhere.

use half::f16;
use rayon::prelude::*;
use std::sync::OnceLock;

/// Values in one K-quant super-block.
pub const QK_K: usize = 256;
/// Values in one `Q8_0` block.
pub const QK8_0: usize = 32;
pub const Q4K_BYTES: usize = 144;
pub const Q6K_BYTES: usize = 210;
pub const Q8_0_BYTES: usize = 34;

/// The weight formats with a kernel here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Q4K,
    Q6K,
    Q8_0,
}

impl Format {
    /// Values per block.
    pub fn block_values(self) -> usize {
        match self {
            Self::Q4K | Self::Q6K => QK_K,
            Self::Q8_0 => QK8_0,
        }
    }

    pub fn block_bytes(self) -> usize {
        match self {
            Self::Q4K => Q4K_BYTES,
            Self::Q6K => Q6K_BYTES,
            Self::Q8_0 => Q8_0_BYTES,
        }
    }

    /// Whether activations are quantized in 256-value blocks with 16-value sums (`Q8_K`) or in
    /// 32-value blocks (`Q8_0`).
    pub fn wants_k_activations(self) -> bool {
        matches!(self, Self::Q4K | Self::Q6K)
    }
}

/// Which instruction set the kernels use on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Portable,
    /// AVX2, FMA and F16C.
    Avx2,
    /// The above plus AVX-512 F, BW and VNNI: twice the width, and the scale multiply folded
    /// into the accumulation.
    Avx512,
}

/// The best level this CPU has, detected once.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        available_levels()
            .into_iter()
            .max()
            .unwrap_or(Level::Portable)
    })
}

/// Raised when a change of the kernels changes the engine's speed. 2: AVX2 reads `Q4_K` and
/// `Q6_K` regrouped (2026-12-08: prompts read 1.9 times as fast on a 2-core AMD EPYC).
const REVISION: u32 = 2;

/// This CPU's level and the kernels' revision, as people read it.
pub fn description() -> String {
    format!("{:?} kernels, revision {REVISION}", level())
}

/// Every level this CPU can run, the portable one first.
pub fn available_levels() -> Vec<Level> {
    let mut levels = vec![Level::Portable];
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("f16c")
        {
            levels.push(Level::Avx2);
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vnni")
            {
                levels.push(Level::Avx512);
            }
        }
    }
    levels
}

/// Rows of activations quantized to 8 bits, in the block size a weight format wants.
#[derive(Debug, Default, Clone)]
pub struct QuantRows {
    pub cols: usize,
    pub rows: usize,
    k_blocks: bool,
    /// One scale per block.
    scales: Vec<f32>,
    quants: Vec<i8>,
    /// Sums of each 16 quants (K blocks only): the weight formats' offsets are applied through them.
    sums: Vec<i16>,
    /// Sums of each 32 quants (K blocks only), for the regrouped `Q4_K` kernel's mins.
    sums32: Vec<i16>,
}

impl QuantRows {
    /// Quantizes `rows` rows of `cols` values (`x.len() == rows * cols`) for weights of
    /// `format`; `cols` must be a whole number of the format's blocks. Many blocks are shared
    /// among the threads: on the calling thread alone, this was about a twelfth of a prompt
    /// pass's time while the other cores waited (`perf`, 2026-12-07).
    pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize, format: Format) {
        debug_assert_eq!(x.len(), rows * cols);
        let block = format.block_values();
        debug_assert_eq!(cols % block, 0);
        self.cols = cols;
        self.rows = rows;
        self.k_blocks = format.wants_k_activations();
        let blocks = rows * cols / block;
        self.scales.resize(blocks, 0.0);
        self.quants.resize(rows * cols, 0);
        let level = level();
        // Fewer values than this to a task: one decode row's input stays on this thread.
        let per_task = VALUES_PER_TASK / block;
        if self.k_blocks {
            self.sums.resize(rows * cols / 16, 0);
            self.sums32.resize(rows * cols / 32, 0);
            self.quants
                .par_chunks_mut(QK_K)
                .zip(self.sums.par_chunks_mut(16))
                .zip(self.sums32.par_chunks_mut(8))
                .zip(self.scales.par_iter_mut().zip(x.par_chunks_exact(QK_K)))
                .with_min_len(per_task)
                .for_each(|(((q, s), s32), (scale, chunk))| {
                    *scale = quantize_q8k(level, chunk, q, s);
                    for (pair, s32) in s.chunks_exact(2).zip(s32) {
                        *s32 = pair[0] + pair[1];
                    }
                });
        } else {
            self.quants
                .par_chunks_mut(QK8_0)
                .zip(self.scales.par_iter_mut().zip(x.par_chunks_exact(QK8_0)))
                .with_min_len(per_task)
                .for_each(|(q, (scale, chunk))| *scale = quantize_q8_0(level, chunk, q));
        }
    }

    /// Row `r` as the values its quantized form stands for.
    #[cfg(test)]
    pub fn dequantized(&self, r: usize) -> Vec<f32> {
        let block = if self.k_blocks { QK_K } else { QK8_0 };
        let row = self.row(r, block);
        row.quants
            .iter()
            .enumerate()
            .map(|(i, &q)| row.scales[i / block] * f32::from(q))
            .collect()
    }

    /// Views of every row, made once per product.
    pub fn rows(&self) -> Vec<ActRow<'_>> {
        let block = if self.k_blocks { QK_K } else { QK8_0 };
        (0..self.rows).map(|r| self.row(r, block)).collect()
    }

    #[inline(always)]
    fn row(&self, r: usize, block: usize) -> ActRow<'_> {
        let blocks = self.cols / block;
        ActRow {
            scales: &self.scales[r * blocks..(r + 1) * blocks],
            quants: &self.quants[r * self.cols..(r + 1) * self.cols],
            sums: if self.k_blocks {
                &self.sums[r * self.cols / 16..(r + 1) * self.cols / 16]
            } else {
                &[]
            },
            sums32: if self.k_blocks {
                &self.sums32[r * self.cols / 32..(r + 1) * self.cols / 32]
            } else {
                &[]
            },
        }
    }
}

/// One quantized activation row.
pub struct ActRow<'a> {
    scales: &'a [f32],
    quants: &'a [i8],
    sums: &'a [i16],
    sums32: &'a [i16],
}

/// Values quantized per task at least when the blocks are shared among the threads: one
/// decode row's input (1,536 values) is quicker on one thread than handed out.
const VALUES_PER_TASK: usize = 8 * QK_K;

/// `Q8_K` as candle quantizes it: the value of largest magnitude maps to ∓127, so no quant is
/// -128 and the products stay clear of `maddubs` saturation. Every level gives the same quants
/// and scale (or both negated, [`largest`]); the SIMD ones only let the compiler use the width.
fn quantize_q8k(level: Level, x: &[f32], q: &mut [i8], sums: &mut [i16]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        // SAFETY: the level was detected on this CPU by `available_levels`.
        return unsafe { avx2::quantize_q8k(x, q, sums) };
    }
    let _ = level;
    q8k_block(x, q, sums)
}

/// The value of largest magnitude, kept in 16 lanes so that the loop vectorizes. Where two
/// values of opposite signs tie, either may be taken: the quants and scale then both change
/// sign, and every product (and its rounding) stays the same.
#[inline(always)]
fn largest(x: &[f32]) -> (f32, f32) {
    let (mut amax, mut max) = ([0f32; 16], [0f32; 16]);
    for chunk in x.chunks_exact(16) {
        for l in 0..16 {
            let a = chunk[l].abs();
            if a > amax[l] {
                amax[l] = a;
                max[l] = chunk[l];
            }
        }
    }
    let mut best = 0;
    for l in 1..16 {
        if amax[l] > amax[best] {
            best = l;
        }
    }
    (amax[best], max[best])
}

/// 1.5 × 2^23: a float whose last mantissa bit is worth 1.
const MAGIC: f32 = 12_582_912.0;

#[inline(always)]
fn q8k_block(x: &[f32], q: &mut [i8], sums: &mut [i16]) -> f32 {
    let (amax, max) = largest(x);
    if amax == 0.0 {
        q.fill(0);
        sums.fill(0);
        return 0.0;
    }
    let iscale = -127.0 / max;
    for (o, &v) in q.iter_mut().zip(x) {
        let r = (iscale * v).round().clamp(-128.0, 127.0);
        // Adding 1.5 × 2^23 leaves the whole number in the low bits: the saturating casts
        // would not vectorize, and the clamp leaves nothing for them to saturate (NaN still
        // gives 0, as the cast did).
        *o = (r + MAGIC).to_bits().wrapping_sub(MAGIC.to_bits()) as i8;
    }
    for (s, group) in sums.iter_mut().zip(q.chunks_exact(16)) {
        *s = group.iter().map(|&v| i16::from(v)).sum();
    }
    1.0 / iscale
}

/// ggml's `Q8_0`, its scale rounded through f16 as the format stores it.
fn quantize_q8_0(level: Level, x: &[f32], q: &mut [i8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        // SAFETY: the level was detected on this CPU by `available_levels`.
        return unsafe { avx2::quantize_q8_0(x, q) };
    }
    let _ = level;
    q8_0_block(x, q)
}

#[inline(always)]
fn q8_0_block(x: &[f32], q: &mut [i8]) -> f32 {
    let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
    let d = f16::from_f32(amax / 127.0).to_f32();
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    for (o, &v) in q.iter_mut().zip(x) {
        *o = (v * id).round() as i8;
    }
    d
}

/// One query head's attention over `keys` and `values` (`[position][head_dim]` each, the
/// positions it may see), written to `out` (`head_dim` long). Every level does the same
/// arithmetic in the same order, so the bits are the same; the AVX2 one lets the compiler take
/// eight lanes where the baseline takes four, the AVX-512 one sixteen for the outputs.
pub fn attend_head(q: &[f32], keys: &[f32], values: &[f32], scale: f32, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        let level = level();
        // SAFETY (both): the level was detected on this CPU by `available_levels`.
        if level == Level::Avx512 {
            return unsafe { avx512::attend_head(q, keys, values, scale, out) };
        }
        if level == Level::Avx2 {
            return unsafe { avx2::attend_head(q, keys, values, scale, out) };
        }
    }
    head_attention(q, keys, values, scale, out);
}

#[inline(always)]
fn head_attention(q: &[f32], keys: &[f32], values: &[f32], scale: f32, out: &mut [f32]) {
    let d = q.len();
    // Loops, not iterator adapters: a closure compiled apart from this function would not get
    // its target features.
    let mut scores = Vec::with_capacity(keys.len() / d);
    // Four keys at a time: four chains of additions side by side, where one would wait on
    // each addition before the next. Each key's sum keeps its own order, so its bits.
    let mut fours = keys.chunks_exact(4 * d);
    for four in &mut fours {
        let mut acc = [[0f32; 8]; 4];
        for (c, x) in q.chunks_exact(8).enumerate() {
            for (j, a) in acc.iter_mut().enumerate() {
                let y = &four[j * d + 8 * c..j * d + 8 * c + 8];
                for k in 0..8 {
                    a[k] += x[k] * y[k];
                }
            }
        }
        for (j, a) in acc.iter().enumerate() {
            scores.push(dot_end(a, q, &four[j * d..(j + 1) * d]) * scale);
        }
    }
    for key in fours.remainder().chunks_exact(d) {
        scores.push(dot_f32(q, key) * scale);
    }
    let max = scores.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
    let mut total = 0f32;
    for v in scores.iter_mut() {
        *v = (*v - max).exp();
        total += *v;
    }
    for p in scores.iter_mut() {
        *p /= total;
    }
    // Sixty-four outputs at a time stay in registers over every position, where the whole
    // head would go to memory and back at each. Each output adds the same terms in the same
    // order.
    for (c, o) in out.chunks_mut(VALUE_RUN).enumerate() {
        let at = c * VALUE_RUN;
        if o.len() == VALUE_RUN {
            let mut acc = [0f32; VALUE_RUN];
            for (w, value) in scores.iter().zip(values.chunks_exact(d)) {
                let v = &value[at..at + VALUE_RUN];
                for k in 0..VALUE_RUN {
                    acc[k] += w * v[k];
                }
            }
            o.copy_from_slice(&acc);
        } else {
            o.fill(0.0);
            for (w, value) in scores.iter().zip(values.chunks_exact(d)) {
                for (acc, v) in o.iter_mut().zip(&value[at..]) {
                    *acc += w * v;
                }
            }
        }
    }
}

/// Outputs of a head's attention summed together in registers.
const VALUE_RUN: usize = 64;

/// Eight running sums, so the compiler can keep them in vector registers.
#[inline(always)]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    dot_end(&acc, a, b)
}

/// A dot product's eight running sums added up, with the values past the last whole eight.
#[inline(always)]
fn dot_end(acc: &[f32; 8], a: &[f32], b: &[f32]) -> f32 {
    let whole = a.len() / 8 * 8;
    // From -0.0, as `Sum` adds up floats.
    let mut tail = -0.0f32;
    for (x, y) in a[whole..].iter().zip(&b[whole..]) {
        tail += x * y;
    }
    let mut sum = -0.0f32;
    for v in acc {
        sum += v;
    }
    sum + tail
}

/// Activation rows dotted with the weight rows per kernel call at most: the weight blocks are
/// decoded once per tile, and the tile's sums stay in registers.
pub const TILE: usize = 8;

impl Level {
    /// Rows per tile at this level.
    pub fn tile(self) -> usize {
        match self {
            Self::Avx512 | Self::Avx2 => TILE,
            Self::Portable => 4,
        }
    }
}

/// `$name`: the plain function `$plain` compiled for the instruction sets `$features`, the same
/// arithmetic in the same order, in lanes as wide as they allow (the compiler vectorizes what
/// `$plain` inlines, so it must be `#[inline(always)]`). Calling it is unsafe: only on a CPU
/// with `$features`.
#[cfg(target_arch = "x86_64")]
macro_rules! compiled_for {
    ($features:literal: fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $plain:path) => {
        #[doc = concat!("[`", stringify!($plain), "`] compiled for ", $features, ".")]
        ///
        /// # Safety
        /// The CPU must have these instruction sets.
        #[target_feature(enable = $features)]
        pub(super) unsafe fn $name($($arg: $ty),*) -> $ret {
            $plain($($arg),*)
        }
    };
}

/// `$module::$kernel::<N>(args)` with the const `N` equal to the run-time tile size `$n` (1 to
/// [`TILE`]): the kernels keep a tile's sums in registers, so its size must be a constant.
#[cfg(target_arch = "x86_64")]
macro_rules! with_tile {
    ($n:expr, $module:ident :: $kernel:ident ($($arg:expr),*)) => {
        match $n {
            1 => $module::$kernel::<1>($($arg),*),
            2 => $module::$kernel::<2>($($arg),*),
            3 => $module::$kernel::<3>($($arg),*),
            4 => $module::$kernel::<4>($($arg),*),
            5 => $module::$kernel::<5>($($arg),*),
            6 => $module::$kernel::<6>($($arg),*),
            7 => $module::$kernel::<7>($($arg),*),
            _ => $module::$kernel::<8>($($arg),*),
        }
    };
}

/// Dots each weight row of `weights` (whole rows of `format` blocks, `row_bytes` each) with the
/// activation rows `x` (at most the level's tile), writing row `j`'s results at
/// `out[j * stride..][..x.len()]`. Each result is computed the same way whatever the tile and
/// the block: a row gives the same bits alone and in a batch. `Q4_K` and `Q6_K` come here only
/// on the portable level: with AVX2 they are regrouped ([`dot_grouped`]).
pub fn dot_rows(
    format: Format,
    level: Level,
    weights: &[u8],
    row_bytes: usize,
    x: &[ActRow<'_>],
    out: &mut [f32],
    stride: usize,
) {
    let n = x.len().min(level.tile());
    let x = &x[..n];
    let count = weights.len() / row_bytes;
    assert!(n > 0 && count > 0 && out.len() >= (count - 1) * stride + n);
    // SAFETY (every call below): the level was detected on this CPU by `available_levels`, and
    // the kernels check the lengths they read.
    #[cfg(target_arch = "x86_64")]
    macro_rules! tile {
        ($module:ident :: $kernel:ident) => {
            for (j, w) in weights.chunks_exact(row_bytes).enumerate() {
                let o = &mut out[j * stride..j * stride + n];
                unsafe { with_tile!(n, $module::$kernel(w, x, o)) }
            }
        };
    }
    match (level, format) {
        // 32-value blocks gain nothing from AVX-512's width.
        #[cfg(target_arch = "x86_64")]
        (Level::Avx512 | Level::Avx2, Format::Q8_0) => tile!(avx2::q8_0),
        #[cfg(target_arch = "x86_64")]
        (Level::Avx512 | Level::Avx2, _) => {
            unreachable!("{format:?} is regrouped at {level:?} (`packed::has_layout`)")
        }
        _ => {
            for (j, w) in weights.chunks_exact(row_bytes).enumerate() {
                for (row, o) in x.iter().zip(out[j * stride..].iter_mut()) {
                    *o = match format {
                        Format::Q4K => portable::dot_q4k(w, row),
                        Format::Q6K => portable::dot_q6k(w, row),
                        Format::Q8_0 => portable::dot_q8_0(w, row),
                    };
                }
            }
        }
    }
}

/// Dots one group of 16 regrouped rows of `format` (see [`super::packed`]) with the activation
/// rows `x` (at most [`TILE`]), writing activation row `r`'s 16 results at `out[16 r..16 r + 16]`.
/// Each result is computed the same way whatever the tile: a row gives the same bits alone and in
/// a batch. The AVX-512 and AVX2 levels have this layout.
pub fn dot_grouped(format: Format, level: Level, group: &[u8], x: &[ActRow<'_>], out: &mut [f32]) {
    use super::packed::LANES;
    let n = x.len().min(TILE);
    let (x, out) = (&x[..n], &mut out[..n * LANES]);
    assert!(
        n > 0 && level >= Level::Avx2 && level <= self::level(),
        "the grouped layout needs AVX2, and {level:?} on this CPU"
    );
    #[cfg(target_arch = "x86_64")]
    macro_rules! tile {
        ($module:ident :: $kernel:ident) => {
            // SAFETY: the level was detected on this CPU (asserted above), and the kernel checks
            // the lengths it reads.
            unsafe { with_tile!(n, $module::$kernel(group, x, out)) }
        };
    }
    match (level, format) {
        #[cfg(target_arch = "x86_64")]
        (Level::Avx512, Format::Q4K) => tile!(avx512::q4k_grouped),
        #[cfg(target_arch = "x86_64")]
        (Level::Avx512, Format::Q6K) => tile!(avx512::q6k_grouped),
        #[cfg(target_arch = "x86_64")]
        (_, Format::Q4K) => tile!(avx2::q4k_grouped),
        #[cfg(target_arch = "x86_64")]
        (_, Format::Q6K) => tile!(avx2::q6k_grouped),
        _ => unreachable!("{format:?} has no grouped layout"),
    }
}

/// Writes the values of one row of `format` blocks into `out`.
pub fn dequantize_row(format: Format, weights: &[u8], out: &mut [f32]) {
    match format {
        Format::Q4K => {
            for (b, y) in weights
                .chunks_exact(Q4K_BYTES)
                .zip(out.chunks_exact_mut(QK_K))
            {
                let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
                let (sc, mn) = q4k_scales(&b[4..16]);
                for c in 0..4 {
                    let q = &b[16 + 32 * c..16 + 32 * (c + 1)];
                    let (d1, m1) = (d * f32::from(sc[2 * c]), dmin * f32::from(mn[2 * c]));
                    let (d2, m2) = (
                        d * f32::from(sc[2 * c + 1]),
                        dmin * f32::from(mn[2 * c + 1]),
                    );
                    for l in 0..32 {
                        y[64 * c + l] = d1 * f32::from(q[l] & 0xF) - m1;
                        y[64 * c + 32 + l] = d2 * f32::from(q[l] >> 4) - m2;
                    }
                }
            }
        }
        Format::Q6K => {
            for (b, y) in weights
                .chunks_exact(Q6K_BYTES)
                .zip(out.chunks_exact_mut(QK_K))
            {
                let d = f16_at(b, 208);
                for half in 0..2 {
                    let (ql, qh) = (&b[64 * half..], &b[128 + 32 * half..]);
                    for l in 0..32 {
                        for (k, q) in q6k_values(ql, qh, l).into_iter().enumerate() {
                            let scale = f32::from(b[192 + 8 * half + 2 * k + l / 16] as i8);
                            y[128 * half + 32 * k + l] = d * scale * f32::from(q - 32);
                        }
                    }
                }
            }
        }
        Format::Q8_0 => {
            for (b, y) in weights
                .chunks_exact(Q8_0_BYTES)
                .zip(out.chunks_exact_mut(QK8_0))
            {
                let d = f16_at(b, 0);
                for (o, &q) in y.iter_mut().zip(&b[2..]) {
                    *o = d * f32::from(q as i8);
                }
            }
        }
    }
}

#[inline(always)]
fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

/// The eight 6-bit scales and mins of a `Q4_K` block, as ggml packs them in 12 bytes.
#[inline(always)]
pub(crate) fn q4k_scales(s: &[u8]) -> ([u8; 8], [u8; 8]) {
    let (mut sc, mut mn) = ([0u8; 8], [0u8; 8]);
    for j in 0..8 {
        if j < 4 {
            sc[j] = s[j] & 63;
            mn[j] = s[j + 4] & 63;
        } else {
            sc[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
            mn[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
        }
    }
    (sc, mn)
}

/// The four 6-bit values (0..64) at `l`, `l+32`, `l+64`, `l+96` of one 128-value half of `Q6_K`.
pub(crate) fn q6k_values(ql: &[u8], qh: &[u8], l: usize) -> [i16; 4] {
    let h = qh[l];
    [
        i16::from((ql[l] & 0xF) | ((h & 3) << 4)),
        i16::from((ql[l + 32] & 0xF) | (((h >> 2) & 3) << 4)),
        i16::from((ql[l] >> 4) | (((h >> 4) & 3) << 4)),
        i16::from((ql[l + 32] >> 4) | (((h >> 6) & 3) << 4)),
    ]
}

/// Integer sums in the same blocks as the SIMD paths, in plain Rust.
mod portable {
    use super::*;

    pub(super) fn dot_q4k(w: &[u8], x: &ActRow<'_>) -> f32 {
        let mut total = 0f32;
        for (i, b) in w.chunks_exact(Q4K_BYTES).enumerate() {
            let (sc, mn) = q4k_scales(&b[4..16]);
            let q8 = &x.quants[i * QK_K..(i + 1) * QK_K];
            let sums = &x.sums[i * 16..(i + 1) * 16];
            let mut sumi = 0i32;
            let mut mins = 0i32;
            for c in 0..4 {
                let q = &b[16 + 32 * c..16 + 32 * (c + 1)];
                let (lo, hi) = (&q8[64 * c..64 * c + 32], &q8[64 * c + 32..64 * c + 64]);
                let mut s_lo = 0i32;
                let mut s_hi = 0i32;
                for l in 0..32 {
                    s_lo += i32::from(q[l] & 0xF) * i32::from(lo[l]);
                    s_hi += i32::from(q[l] >> 4) * i32::from(hi[l]);
                }
                sumi += s_lo * i32::from(sc[2 * c]) + s_hi * i32::from(sc[2 * c + 1]);
            }
            for j in 0..8 {
                mins += i32::from(mn[j]) * (i32::from(sums[2 * j]) + i32::from(sums[2 * j + 1]));
            }
            let d = x.scales[i] * f16_at(b, 0);
            let dmin = x.scales[i] * f16_at(b, 2);
            total += d * sumi as f32 - dmin * mins as f32;
        }
        total
    }

    pub(super) fn dot_q6k(w: &[u8], x: &ActRow<'_>) -> f32 {
        let mut total = 0f32;
        for (i, b) in w.chunks_exact(Q6K_BYTES).enumerate() {
            let q8 = &x.quants[i * QK_K..(i + 1) * QK_K];
            let sums = &x.sums[i * 16..(i + 1) * 16];
            let mut group = [0i32; 16];
            for half in 0..2 {
                let (ql, qh) = (&b[64 * half..], &b[128 + 32 * half..]);
                for l in 0..32 {
                    for (k, q) in q6k_values(ql, qh, l).into_iter().enumerate() {
                        let at = 128 * half + 32 * k + l;
                        group[at / 16] += i32::from(q) * i32::from(q8[at]);
                    }
                }
            }
            let mut sumi = 0i32;
            for g in 0..16 {
                let scale = i32::from(b[192 + g] as i8);
                sumi += scale * (group[g] - 32 * i32::from(sums[g]));
            }
            total += x.scales[i] * f16_at(b, 208) * sumi as f32;
        }
        total
    }

    pub(super) fn dot_q8_0(w: &[u8], x: &ActRow<'_>) -> f32 {
        let mut total = 0f32;
        for (i, b) in w.chunks_exact(Q8_0_BYTES).enumerate() {
            let q8 = &x.quants[i * QK8_0..(i + 1) * QK8_0];
            let sumi: i32 = b[2..]
                .iter()
                .zip(q8)
                .map(|(&a, &v)| i32::from(a as i8) * i32::from(v))
                .sum();
            total += x.scales[i] * f16_at(b, 0) * sumi as f32;
        }
        total
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;
    use std::arch::x86_64::*;

    compiled_for!("avx2,fma,f16c":
        fn quantize_q8k(x: &[f32], q: &mut [i8], sums: &mut [i16]) -> f32 = super::q8k_block);
    compiled_for!("avx2,fma,f16c":
        fn quantize_q8_0(x: &[f32], q: &mut [i8]) -> f32 = super::q8_0_block);
    compiled_for!("avx2,fma,f16c":
        fn attend_head(q: &[f32], keys: &[f32], values: &[f32], scale: f32, out: &mut [f32])
            -> () = super::head_attention);

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn hsum(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }

    /// Two f16 (little-endian at `p`, `p + 2`) as f32.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn f16_pair(p: *const u8) -> (f32, f32) {
        let v = _mm_cvtph_ps(_mm_cvtsi32_si128(p.cast::<i32>().read_unaligned()));
        (_mm_cvtss_f32(v), _mm_cvtss_f32(_mm_movehdup_ps(v)))
    }

    pub(super) fn check<const R: usize>(
        blocks: usize,
        x: &[ActRow<'_>],
        out: &[f32],
        values: usize,
    ) {
        assert!(x.len() == R && out.len() == R);
        for row in x {
            assert!(row.quants.len() >= blocks * values && row.scales.len() >= blocks);
            assert!(values == QK8_0 || row.sums.len() >= blocks * 16);
        }
    }

    /// # Safety
    /// The CPU must have AVX2, FMA and F16C.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn q8_0<const R: usize>(w: &[u8], x: &[ActRow<'_>], out: &mut [f32]) {
        let blocks = w.len() / Q8_0_BYTES;
        check::<R>(blocks, x, out, QK8_0);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); R];
        for i in 0..blocks {
            let b = w.as_ptr().add(i * Q8_0_BYTES);
            let d = f16_pair(b).0;
            let wq = _mm256_loadu_si256(b.add(2).cast());
            // maddubs wants one unsigned side: |w| against x carrying w's sign.
            let aw = _mm256_sign_epi8(wq, wq);
            for r in 0..R {
                let xq = _mm256_loadu_si256(x[r].quants.as_ptr().add(i * QK8_0).cast());
                let p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(xq, wq));
                let p = _mm256_madd_epi16(p, ones);
                let dx = x[r].scales[i];
                acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * dx), _mm256_cvtepi32_ps(p), acc[r]);
            }
        }
        for r in 0..R {
            out[r] = hsum(acc[r]);
        }
    }

    /// The regrouped `Q4_K` layout (see [`super::super::packed`]) on AVX2, which has no VNNI:
    /// a 256-bit register holds four consecutive values of eight rows, so the group's 16 rows are
    /// taken as two halves of eight. Against four activation bytes broadcast to every lane,
    /// `maddubs` gives each row two 16-bit sums of two products; the eight such products of a
    /// 32-value sub-block are added in 16 bits (each at most 2 × 15 × 127, eight of them under
    /// 2^15, so nothing saturates: no activation quant is -128) before one `madd` with the rows'
    /// scales. That is nine multiplies for the 256 products of eight rows, where the file's
    /// layout needs two for each 32 products of one row (sixteen), and the multiplies are what
    /// bound the row kernels. The integer sums are exact, and each row's result is computed
    /// the same way whatever the tile.
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA and F16C.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn q4k_grouped<const R: usize>(w: &[u8], x: &[ActRow<'_>], out: &mut [f32]) {
        use super::super::packed::{D, DMIN, GROUP_BLOCK_BYTES, LANES, MINS, QUANTS, SCALES};
        let blocks = w.len() / GROUP_BLOCK_BYTES;
        check_grouped::<R>(blocks, x, out);
        let mut acc = [[_mm256_setzero_ps(); R]; 2];
        for i in 0..blocks {
            let b = w.as_ptr().add(i * GROUP_BLOCK_BYTES);
            for (half, acc) in acc.iter_mut().enumerate() {
                let rows = 8 * half;
                let mut sumi = [_mm256_setzero_si256(); R];
                for s in 0..8 {
                    let q = nibbles(b.add(QUANTS + 256 * s + 32 * half));
                    let scales = twice(b.add(SCALES + LANES * s + rows));
                    for r in 0..R {
                        let xs = x[r].quants.as_ptr().add(i * QK_K + 32 * s).cast::<i32>();
                        let mut dot = _mm256_setzero_si256();
                        for (t, &qt) in q.iter().enumerate() {
                            let four = _mm256_set1_epi32(xs.add(t).read_unaligned());
                            dot = _mm256_add_epi16(dot, _mm256_maddubs_epi16(qt, four));
                        }
                        sumi[r] = _mm256_add_epi32(sumi[r], _mm256_madd_epi16(dot, scales));
                    }
                }
                let d = _mm256_cvtph_ps(_mm_loadu_si128(b.add(D + 2 * rows).cast()));
                let dmin = _mm256_cvtph_ps(_mm_loadu_si128(b.add(DMIN + 2 * rows).cast()));
                // Each row's two neighbouring mins side by side, against two 32-value sums.
                let mins: [__m256i; 4] = std::array::from_fn(|p| {
                    _mm256_cvtepu8_epi16(_mm_loadu_si128(b.add(MINS + 32 * p + 2 * rows).cast()))
                });
                for r in 0..R {
                    let pairs = x[r].sums32.as_ptr().add(8 * i).cast::<i32>();
                    let mut m = _mm256_setzero_si256();
                    for (p, &mp) in mins.iter().enumerate() {
                        let two = _mm256_set1_epi32(pairs.add(p).read_unaligned());
                        m = _mm256_add_epi32(m, _mm256_madd_epi16(mp, two));
                    }
                    let dx = _mm256_set1_ps(x[r].scales[i]);
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi[r]), _mm256_mul_ps(d, dx), acc[r]);
                    acc[r] =
                        _mm256_fnmadd_ps(_mm256_cvtepi32_ps(m), _mm256_mul_ps(dmin, dx), acc[r]);
                }
            }
        }
        for (half, acc) in acc.iter().enumerate() {
            for (r, a) in acc.iter().enumerate() {
                _mm256_storeu_ps(out.as_mut_ptr().add(LANES * r + 8 * half), *a);
            }
        }
    }

    /// The regrouped `Q6_K` layout (see [`super::super::packed::q6k`]) on AVX2, as
    /// [`q4k_grouped`]. The values go up to 63, so only two `maddubs` results are added in 16
    /// bits (2 × 2 × 63 × 127, under 2^15) before each `madd` with the 16-value part's scales:
    /// twelve multiplies for the 256 products of eight rows, against sixteen in the file's
    /// layout.
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA and F16C.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn q6k_grouped<const R: usize>(w: &[u8], x: &[ActRow<'_>], out: &mut [f32]) {
        use super::super::packed::q6k::{D, GROUP_BLOCK_BYTES, HIGH, LOW, SCALES};
        use super::super::packed::LANES;
        let blocks = w.len() / GROUP_BLOCK_BYTES;
        check_grouped::<R>(blocks, x, out);
        let high = _mm256_set1_epi8(0x30);
        let mut acc = [[_mm256_setzero_ps(); R]; 2];
        for i in 0..blocks {
            let b = w.as_ptr().add(i * GROUP_BLOCK_BYTES);
            for (half, acc) in acc.iter_mut().enumerate() {
                let rows = 8 * half;
                let mut sumi = [_mm256_setzero_si256(); R];
                for sp in 0..8 {
                    let mut q = nibbles(b.add(LOW + 256 * sp + 32 * half));
                    for h in 0..2 {
                        let at = b.add(HIGH + 128 * sp + 64 * h + 32 * half);
                        let bits = _mm256_loadu_si256(at.cast());
                        // Bits 2u..2u + 2 to bits 4..6.
                        let up = [
                            _mm256_slli_epi16(bits, 4),
                            _mm256_slli_epi16(bits, 2),
                            bits,
                            _mm256_srli_epi16(bits, 2),
                        ];
                        for (u, v) in up.into_iter().enumerate() {
                            let t = 4 * h + u;
                            q[t] = _mm256_or_si256(q[t], _mm256_and_si256(v, high));
                        }
                    }
                    let first = b.add(SCALES + LANES * 2 * sp + rows);
                    let second = b.add(SCALES + LANES * (2 * sp + 1) + rows);
                    let scales = [twice_signed(first), twice_signed(second)];
                    // Each row's two scales side by side, against the parts' two 16-value sums:
                    // the values are stored 32 over, so 32 times that comes off.
                    let offsets = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(
                        _mm_loadl_epi64(first.cast()),
                        _mm_loadl_epi64(second.cast()),
                    ));
                    for r in 0..R {
                        let xs = x[r].quants.as_ptr().add(i * QK_K + 32 * sp).cast::<i32>();
                        let sums = x[r].sums.as_ptr().add(16 * i + 2 * sp).cast::<i32>();
                        let two = _mm256_set1_epi32(sums.read_unaligned());
                        let offset = _mm256_slli_epi32(_mm256_madd_epi16(offsets, two), 5);
                        let mut sum = _mm256_sub_epi32(sumi[r], offset);
                        for (pair, qs) in q.chunks_exact(2).enumerate() {
                            let p = |k: usize| {
                                let four = _mm256_set1_epi32(xs.add(2 * pair + k).read_unaligned());
                                _mm256_maddubs_epi16(qs[k], four)
                            };
                            let dot = _mm256_add_epi16(p(0), p(1));
                            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(dot, scales[pair / 2]));
                        }
                        sumi[r] = sum;
                    }
                }
                let d = _mm256_cvtph_ps(_mm_loadu_si128(b.add(D + 2 * rows).cast()));
                for r in 0..R {
                    let dx = _mm256_set1_ps(x[r].scales[i]);
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi[r]), _mm256_mul_ps(d, dx), acc[r]);
                }
            }
        }
        for (half, acc) in acc.iter().enumerate() {
            for (r, a) in acc.iter().enumerate() {
                _mm256_storeu_ps(out.as_mut_ptr().add(LANES * r + 8 * half), *a);
            }
        }
    }

    /// Eight rows' values of one sub-block's four packed registers at `p` (the 32 bytes of the
    /// half being read, 64 bytes apart), one byte each: register `2k` from the low nibbles of
    /// packed register `k`, `2k + 1` from its high ones.
    ///
    /// # Safety
    /// `p` must be valid for 3 × 64 + 32 bytes, and the CPU must have AVX2.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn nibbles(p: *const u8) -> [__m256i; 8] {
        let low = _mm256_set1_epi8(0xF);
        let mut q = [_mm256_setzero_si256(); 8];
        for k in 0..4 {
            let packed = _mm256_loadu_si256(p.add(64 * k).cast());
            q[2 * k] = _mm256_and_si256(packed, low);
            q[2 * k + 1] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low);
        }
        q
    }

    /// Eight unsigned bytes at `p` as 16-bit lanes, each twice: one row's scale over both 16-bit
    /// sums of its lane.
    ///
    /// # Safety
    /// `p` must be valid for 8 bytes, and the CPU must have AVX2.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn twice(p: *const u8) -> __m256i {
        let v = _mm_loadl_epi64(p.cast());
        _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(v, v))
    }

    /// [`twice`] for signed bytes.
    ///
    /// # Safety
    /// As [`twice`].
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn twice_signed(p: *const u8) -> __m256i {
        let v = _mm_loadl_epi64(p.cast());
        _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(v, v))
    }

    pub(super) fn check_grouped<const R: usize>(blocks: usize, x: &[ActRow<'_>], out: &[f32]) {
        assert!(x.len() == R && out.len() == R * super::super::packed::LANES);
        for row in x {
            assert!(row.quants.len() >= blocks * QK_K && row.scales.len() >= blocks);
            assert!(row.sums.len() >= blocks * 16 && row.sums32.len() >= blocks * 8);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::avx2::check_grouped;
    use super::*;
    use std::arch::x86_64::*;

    compiled_for!("avx2,fma,f16c,avx512f":
        fn attend_head(q: &[f32], keys: &[f32], values: &[f32], scale: f32, out: &mut [f32])
            -> () = super::head_attention);

    /// The regrouped `Q4_K` layout (see [`super::super::packed`]): 16 weight rows per register,
    /// one in each 32-bit lane, so `vpdpbusd` against four broadcast activation bytes adds to 16
    /// rows' sums at once.
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA, F16C and AVX-512 F, BW and VNNI.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn q4k_grouped<const R: usize>(w: &[u8], x: &[ActRow<'_>], out: &mut [f32]) {
        use super::super::packed::{D, DMIN, GROUP_BLOCK_BYTES, LANES, MINS, QUANTS, SCALES};
        check_grouped::<R>(w.len() / GROUP_BLOCK_BYTES, x, out);
        let blocks = w.len() / GROUP_BLOCK_BYTES;
        let mut acc = [_mm512_setzero_ps(); R];
        for i in 0..blocks {
            let b = w.as_ptr().add(i * GROUP_BLOCK_BYTES);
            // The block's sums, whole numbers held in floats: each sub-block's term (at most
            // 32 × 15 × 127 × 63, under 2^24) is exact, and so is their sum while it stays under
            // 2^24, far above what activations give. The integer multiply it replaces is slow
            // beside the dot products (README, "The engine").
            let mut sumf = [_mm512_setzero_ps(); R];
            for s in 0..8 {
                prefetch_next(b.wrapping_add(4 * GROUP_BLOCK_BYTES), s, GROUP_BLOCK_BYTES);
                let scales = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(
                    b.add(SCALES + LANES * s).cast(),
                )));
                let q = nibbles(b.add(QUANTS + 256 * s));
                for r in 0..R {
                    let xs = x[r].quants.as_ptr().add(i * QK_K + 32 * s).cast::<i32>();
                    let mut dot = _mm512_setzero_si512();
                    for (t, &qt) in q.iter().enumerate() {
                        let four = _mm512_set1_epi32(xs.add(t).read_unaligned());
                        dot = _mm512_dpbusd_epi32(dot, qt, four);
                    }
                    sumf[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scales, sumf[r]);
                }
            }
            let d = _mm512_cvtph_ps(_mm256_loadu_si256(b.add(D).cast()));
            let dmin = _mm512_cvtph_ps(_mm256_loadu_si256(b.add(DMIN).cast()));
            let mins: [__m512i; 4] = std::array::from_fn(|p| {
                _mm512_cvtepu8_epi16(_mm256_loadu_si256(b.add(MINS + 32 * p).cast()))
            });
            for r in 0..R {
                let pairs = x[r].sums32.as_ptr().add(8 * i).cast::<i32>();
                let mut m = _mm512_setzero_si512();
                for (p, &mp) in mins.iter().enumerate() {
                    let two = _mm512_set1_epi32(pairs.add(p).read_unaligned());
                    m = _mm512_dpwssd_epi32(m, mp, two);
                }
                let dx = _mm512_set1_ps(x[r].scales[i]);
                acc[r] = _mm512_fmadd_ps(sumf[r], _mm512_mul_ps(d, dx), acc[r]);
                acc[r] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(m), _mm512_mul_ps(dmin, dx), acc[r]);
            }
        }
        for (r, a) in acc.iter().enumerate() {
            _mm512_storeu_ps(out.as_mut_ptr().add(LANES * r), *a);
        }
    }

    /// Asks for the eighth `part` of the group block at `next` (which may lie past the matrix:
    /// prefetching never faults), so that one activation row alone does not wait on memory.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vnni")]
    fn prefetch_next(next: *const u8, part: usize, bytes: usize) {
        let (from, to) = (bytes * part / 8, bytes * (part + 1) / 8);
        for at in (from..to).step_by(64) {
            _mm_prefetch::<_MM_HINT_T0>(next.wrapping_add(at).cast());
        }
    }

    /// The 32 values × 16 rows of one sub-block's four packed registers at `p`, one byte each:
    /// register `2k` from the low nibbles of packed register `k`, `2k + 1` from its high ones
    /// (see [`super::super::packed`]).
    ///
    /// # Safety
    /// `p` must be valid for 256 bytes, and the CPU must have AVX-512 F and BW.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vnni")]
    unsafe fn nibbles(p: *const u8) -> [__m512i; 8] {
        let low = _mm512_set1_epi8(0xF);
        let mut q = [_mm512_setzero_si512(); 8];
        for k in 0..4 {
            let packed = _mm512_loadu_si512(p.add(64 * k).cast());
            q[2 * k] = _mm512_and_si512(packed, low);
            q[2 * k + 1] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low);
        }
        q
    }

    /// The regrouped `Q6_K` layout (see [`super::super::packed::q6k`]), as [`q4k_grouped`].
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA, F16C and AVX-512 F, BW and VNNI.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn q6k_grouped<const R: usize>(w: &[u8], x: &[ActRow<'_>], out: &mut [f32]) {
        use super::super::packed::q6k::{D, GROUP_BLOCK_BYTES, HIGH, LOW, SCALES};
        use super::super::packed::LANES;
        let blocks = w.len() / GROUP_BLOCK_BYTES;
        check_grouped::<R>(blocks, x, out);
        let high = _mm512_set1_epi8(0x30);
        let mut acc = [_mm512_setzero_ps(); R];
        for i in 0..blocks {
            let b = w.as_ptr().add(i * GROUP_BLOCK_BYTES);
            // The block's sums, whole numbers held in floats as in `q4k_grouped` (each term at
            // most 16 × 32 × 127 × 128, under 2^24).
            let mut sumf = [_mm512_setzero_ps(); R];
            for sp in 0..8 {
                prefetch_next(b.wrapping_add(4 * GROUP_BLOCK_BYTES), sp, GROUP_BLOCK_BYTES);
                let mut q = nibbles(b.add(LOW + 256 * sp));
                for h in 0..2 {
                    let bits = _mm512_loadu_si512(b.add(HIGH + 128 * sp + 64 * h).cast());
                    // Bits 2u..2u + 2 to bits 4..6.
                    let up = [
                        _mm512_slli_epi16(bits, 4),
                        _mm512_slli_epi16(bits, 2),
                        bits,
                        _mm512_srli_epi16(bits, 2),
                    ];
                    for (u, v) in up.into_iter().enumerate() {
                        let t = 4 * h + u;
                        q[t] = _mm512_or_si512(q[t], _mm512_and_si512(v, high));
                    }
                }
                let scales: [__m512; 2] = std::array::from_fn(|half| {
                    let at = b.add(SCALES + LANES * (2 * sp + half));
                    _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(at.cast())))
                });
                for r in 0..R {
                    let xs = x[r].quants.as_ptr().add(i * QK_K + 32 * sp).cast::<i32>();
                    let sums = x[r].sums.as_ptr().add(16 * i + 2 * sp);
                    for (half, &scale) in scales.iter().enumerate() {
                        // The stored values are offset by 32: start from -32 × the sum of the
                        // 16 activations.
                        let mut dot = _mm512_set1_epi32(-32 * i32::from(*sums.add(half)));
                        for (t, &qt) in q.iter().enumerate().skip(4 * half).take(4) {
                            let four = _mm512_set1_epi32(xs.add(t).read_unaligned());
                            dot = _mm512_dpbusd_epi32(dot, qt, four);
                        }
                        sumf[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, sumf[r]);
                    }
                }
            }
            let d = _mm512_cvtph_ps(_mm256_loadu_si256(b.add(D).cast()));
            for r in 0..R {
                let dx = _mm512_set1_ps(x[r].scales[i]);
                acc[r] = _mm512_fmadd_ps(sumf[r], _mm512_mul_ps(d, dx), acc[r]);
            }
        }
        for (r, a) in acc.iter().enumerate() {
            _mm512_storeu_ps(out.as_mut_ptr().add(LANES * r), *a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scalar `Q8_K` quantization as written before the lanes: the first value of largest
    /// magnitude sets the sign.
    fn first_largest(x: &[f32]) -> (f32, Vec<i8>) {
        let (mut max, mut amax) = (0f32, 0f32);
        for &v in x {
            if v.abs() > amax {
                amax = v.abs();
                max = v;
            }
        }
        if amax == 0.0 {
            return (0.0, vec![0; x.len()]);
        }
        let iscale = -127.0 / max;
        let q = x
            .iter()
            .map(|&v| (iscale * v).round().clamp(-128.0, 127.0) as i8)
            .collect();
        (1.0 / iscale, q)
    }

    fn block(seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..QK_K)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                // Halves land exactly between two quants: the rounding direction is tested.
                f32::from((s >> 20) as u16) / 8.0 - 256.0
            })
            .collect()
    }

    #[test]
    fn every_level_quantizes_as_the_scalar_code_did() {
        let mut blocks: Vec<Vec<f32>> = (1..40).map(block).collect();
        blocks.push(vec![0.0; QK_K]);
        // Two values of the largest magnitude with opposite signs, the negative one first.
        let mut tie = block(99);
        tie.iter_mut().for_each(|v| *v = v.clamp(-100.0, 100.0));
        tie[3] = -300.0;
        tie[200] = 300.0;
        blocks.push(tie);
        for level in available_levels() {
            for x in &blocks {
                let (scale, q) = first_largest(x);
                let (mut got, mut sums) = (vec![0i8; QK_K], vec![0i16; 16]);
                let got_scale = quantize_q8k(level, x, &mut got, &mut sums);
                // Either the same, or both negated: every product is then the same.
                let sign = if got_scale == scale { 1 } else { -1 };
                assert_eq!(got_scale, scale * sign as f32, "{level:?}");
                let want: Vec<i8> = q.iter().map(|&v| v * sign).collect();
                assert_eq!(got, want, "{level:?}");
                for (s, group) in sums.iter().zip(got.chunks_exact(16)) {
                    assert_eq!(*s, group.iter().map(|&v| i16::from(v)).sum::<i16>());
                }
                let mut got0 = vec![0i8; QK8_0];
                let d = quantize_q8_0(level, &x[..QK8_0], &mut got0);
                let mut want0 = vec![0i8; QK8_0];
                assert_eq!(d, q8_0_block(&x[..QK8_0], &mut want0), "{level:?}");
                assert_eq!(got0, want0, "{level:?}");
            }
        }
    }

    /// The head's attention as the transformer computed it before it moved here.
    fn attention_as_before(q: &[f32], keys: &[f32], values: &[f32], scale: f32, o: &mut [f32]) {
        fn dot(a: &[f32], b: &[f32]) -> f32 {
            let mut acc = [0f32; 8];
            let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
            let (ra, rb) = (ca.remainder(), cb.remainder());
            for (x, y) in ca.zip(cb) {
                for k in 0..8 {
                    acc[k] += x[k] * y[k];
                }
            }
            let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
            acc.iter().sum::<f32>() + tail
        }
        let d = q.len();
        let mut scores: Vec<f32> = keys.chunks_exact(d).map(|k| dot(q, k) * scale).collect();
        let max = scores.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
        let mut total = 0f32;
        for v in scores.iter_mut() {
            *v = (*v - max).exp();
            total += *v;
        }
        o.fill(0.0);
        for (p, value) in scores.iter().zip(values.chunks_exact(d)) {
            let w = p / total;
            for (acc, v) in o.iter_mut().zip(value) {
                *acc += w * v;
            }
        }
    }

    #[test]
    fn a_head_attends_to_the_same_bits_at_every_level() {
        // A head of 12 leaves four values past the last whole eight.
        for (d, len) in [(128, 1), (128, 7), (128, 40), (12, 9)] {
            let all: Vec<f32> = (0..(2 * len + 1) as u32)
                .flat_map(|s| block(s + 3).into_iter().take(d).map(|v| v / 64.0))
                .collect();
            let (q, keys, values) = (
                &all[..d],
                &all[d..(len + 1) * d],
                &all[(len + 1) * d..(2 * len + 1) * d],
            );
            let mut want = vec![0f32; d];
            attention_as_before(q, keys, values, 0.088, &mut want);
            assert!(want.iter().any(|&v| v != 0.0));
            let mut got = vec![1f32; d];
            attend_head(q, keys, values, 0.088, &mut got);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{d} × {len} at {:?}", level());
        }
    }

    #[test]
    fn many_rows_quantize_alike_in_one_task_and_shared() {
        let cols = 4 * QK_K;
        let x: Vec<f32> = (1..=16).flat_map(|s| block(s * 7)).collect();
        for format in [Format::Q4K, Format::Q8_0] {
            let mut shared = QuantRows::default();
            shared.quantize(&x, 4, cols, format);
            assert!(
                4 * cols >= 2 * VALUES_PER_TASK,
                "shared among two tasks at least"
            );
            for r in 0..4 {
                let mut alone = QuantRows::default();
                // One row is a single task.
                alone.quantize(&x[r * cols..(r + 1) * cols], 1, cols, format);
                assert!(cols < 2 * VALUES_PER_TASK);
                let (a, b) = (
                    alone.row(0, format.block_values()),
                    shared.row(r, format.block_values()),
                );
                assert_eq!(a.scales, b.scales);
                assert_eq!(a.quants, b.quants);
                assert_eq!(a.sums, b.sums);
                assert_eq!(a.sums32, b.sums32);
            }
        }
    }
}
