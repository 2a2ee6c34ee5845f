//! A quantized weight matrix and the batched product `y = x · Wᵀ` over many activation rows.
//!
//! Each weight row is read from memory once per step and dotted with every activation row while
//! it sits in cache, so a step with 16 sequences costs little more memory traffic than one.
//! Formats without a kernel here go through candle's `QMatMul`.

use super::kernels::{self, Format, Level, QuantRows};
use super::packed;
use crate::ModelError;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use rayon::prelude::*;
use std::cell::RefCell;

/// A 2-D weight `(rows, cols)` as stored in the file.
pub(crate) enum Matrix {
    Blocks(BlockMatrix),
    /// A format without a kernel of ours.
    Candle {
        inner: QMatMul,
        /// Kept for embedding lookups, dequantized once.
        dense: Option<Vec<f32>>,
        rows: usize,
        cols: usize,
    },
}

pub(crate) struct BlockMatrix {
    pub(crate) format: Format,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// The kernels' instruction set, chosen when the matrix is made: it decides the layout.
    level: Level,
    layout: Layout,
    data: Vec<u8>,
    row_bytes: usize,
}

/// How the blocks lie in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// As in the file: each row's blocks one after another.
    Rows,
    /// `Q4_K` or `Q6_K` regrouped 16 rows at a time for the AVX-512 and AVX2 kernels (see
    /// [`packed`]).
    Grouped,
}

/// Weight rows kept in L1 together (16 rows of 1536 values in Q4_K: 14 KB).
const WEIGHT_BLOCK: usize = 16;

thread_local! {
    /// Quantized activations in the two block sizes (32 values, 256 values), reused between
    /// calls to avoid an allocation per product.
    static QUANT: RefCell<[QuantRows; 2]> = RefCell::new(Default::default());
    static TRANSPOSED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

impl BlockMatrix {
    /// The file's blocks (`rows × cols` of `format`) for the kernels of `level`.
    pub(crate) fn new(
        format: Format,
        rows: usize,
        cols: usize,
        data: &[u8],
        level: Level,
    ) -> Result<Self, ModelError> {
        let block = format.block_values();
        let row_bytes = cols / block * format.block_bytes();
        if !cols.is_multiple_of(block) || data.len() != rows * row_bytes {
            return Err(ModelError::Weights(format!(
                "a {format:?} matrix of {rows}×{cols} cannot hold {} bytes",
                data.len()
            )));
        }
        let (layout, data) = if level >= Level::Avx2 && packed::has_layout(format) {
            (Layout::Grouped, packed::pack(format, data, rows, cols))
        } else {
            (Layout::Rows, data.to_vec())
        };
        Ok(Self {
            format,
            rows,
            cols,
            level,
            layout,
            data,
            row_bytes,
        })
    }

    /// Row `r` as floats.
    fn dequantize_row(&self, r: usize, out: &mut [f32]) {
        match self.layout {
            Layout::Rows => kernels::dequantize_row(
                self.format,
                &self.data[r * self.row_bytes..(r + 1) * self.row_bytes],
                out,
            ),
            Layout::Grouped => packed::dequantize_row(self.format, &self.data, self.cols, r, out),
        }
    }

    /// `out[i * rows + j] = x[i] · W[j]` for the `m` rows of `x`.
    #[cfg(test)]
    pub(crate) fn matmul_quantizing(&self, x: &[f32], m: usize, out: &mut [f32]) {
        let mut act = QuantRows::default();
        act.quantize(x, m, self.cols, self.format);
        self.product(&act, out);
    }

    /// `out[i * rows + j] = x[i] · W[j]` for the rows of `act`, quantized for this format.
    fn product(&self, act: &QuantRows, out: &mut [f32]) {
        match self.layout {
            Layout::Rows => self.rows_product(act, out),
            Layout::Grouped => self.grouped_product(act, out),
        }
    }

    /// [`Self::product`] on the file's layout.
    fn rows_product(&self, act: &QuantRows, out: &mut [f32]) {
        let level = self.level;
        let m = act.rows;
        debug_assert_eq!(act.cols, self.cols);
        debug_assert_eq!(out.len(), m * self.rows);
        let act_rows = act.rows();
        let act_rows = &act_rows[..];
        let chunk = rows_per_task(self.rows, m);
        // A few weight rows stay in L1 while every tile of activation rows passes over them,
        // so the activations are read from L2 once per block rather than once per row.
        let work = |(c, dst): (usize, &mut [f32])| {
            for (b, block) in dst.chunks_mut(WEIGHT_BLOCK * m).enumerate() {
                let first = c * chunk + b * WEIGHT_BLOCK;
                let count = block.len() / m;
                let weights = &self.data[first * self.row_bytes..(first + count) * self.row_bytes];
                for t in (0..m).step_by(level.tile()) {
                    let end = (t + level.tile()).min(m);
                    kernels::dot_rows(
                        self.format,
                        level,
                        weights,
                        self.row_bytes,
                        &act_rows[t..end],
                        &mut block[t..],
                        m,
                    );
                }
            }
        };
        if m == 1 {
            out.par_chunks_mut(chunk).enumerate().for_each(work);
            return;
        }
        // Weight-row major, so each task writes one contiguous run; turned round after.
        TRANSPOSED.with_borrow_mut(|t| {
            t.resize(m * self.rows, 0.0);
            t.par_chunks_mut(chunk * m).enumerate().for_each(work);
            for (j, col) in t.chunks_exact(m).enumerate() {
                for (i, &v) in col.iter().enumerate() {
                    out[i * self.rows + j] = v;
                }
            }
        });
    }

    /// [`Self::product`] on the regrouped layout: each task takes whole groups of 16 rows, and
    /// every tile of activation rows passes over a group while it sits in cache.
    fn grouped_product(&self, act: &QuantRows, out: &mut [f32]) {
        let m = act.rows;
        debug_assert_eq!(act.cols, self.cols);
        debug_assert_eq!(out.len(), m * self.rows);
        let act_rows = act.rows();
        let act_rows = &act_rows[..];
        let groups = packed::groups(self.rows);
        let group_bytes = self.data.len() / groups;
        let per_task = rows_per_task(self.rows, m).div_ceil(packed::LANES);
        // The kernel writes each activation row's 16 results together: `[group][row][16]`.
        let work = |(c, dst): (usize, &mut [f32])| {
            for (k, results) in dst.chunks_mut(packed::LANES * m).enumerate() {
                let g = c * per_task + k;
                let weights = &self.data[g * group_bytes..(g + 1) * group_bytes];
                for t in (0..m).step_by(kernels::TILE) {
                    let end = (t + kernels::TILE).min(m);
                    kernels::dot_grouped(
                        self.format,
                        self.level,
                        weights,
                        &act_rows[t..end],
                        &mut results[t * packed::LANES..end * packed::LANES],
                    );
                }
            }
        };
        let chunk = per_task * packed::LANES * m;
        if m == 1 && self.rows == groups * packed::LANES {
            // One activation row: `[group][16]` is already the output's order.
            out.par_chunks_mut(chunk).enumerate().for_each(work);
            return;
        }
        TRANSPOSED.with_borrow_mut(|t| {
            t.resize(groups * packed::LANES * m, 0.0);
            t.par_chunks_mut(chunk).enumerate().for_each(work);
            for (g, results) in t.chunks_exact(packed::LANES * m).enumerate() {
                let first = g * packed::LANES;
                let n = packed::LANES.min(self.rows - first);
                for (i, sixteen) in results.chunks_exact(packed::LANES).enumerate() {
                    out[i * self.rows + first..][..n].copy_from_slice(&sixteen[..n]);
                }
            }
        });
    }
}

/// The products of one input `x` (`m` rows) with several matrices of its width, each into its
/// own output: the input is quantized once for each block size the matrices need, not once per
/// matrix (queries, keys and values share one input; so do the gate and the up projection).
pub(crate) fn products(
    x: &[f32],
    m: usize,
    jobs: &mut [(&Matrix, &mut [f32])],
) -> Result<(), ModelError> {
    QUANT.with_borrow_mut(|quantized| {
        let mut ready = [false; 2];
        for (matrix, out) in jobs.iter_mut() {
            match matrix {
                Matrix::Blocks(b) => {
                    let kind = usize::from(b.format.wants_k_activations());
                    if !ready[kind] {
                        quantized[kind].quantize(x, m, b.cols, b.format);
                        ready[kind] = true;
                    }
                    b.product(&quantized[kind], out);
                }
                Matrix::Candle { inner, cols, .. } => {
                    let input = Tensor::from_slice(x, (m, *cols), &Device::Cpu)?;
                    let y = inner.forward(&input)?.flatten_all()?.to_vec1::<f32>()?;
                    out.copy_from_slice(&y);
                }
            }
        }
        Ok(())
    })
}

/// Enough tasks for the threads to share the rows evenly, few enough that scheduling is cheap.
fn rows_per_task(rows: usize, m: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let tasks = threads * if m == 1 { 8 } else { 16 };
    rows.div_ceil(tasks).clamp(4, 256)
}

impl Matrix {
    /// Takes a 2-D tensor from the file: its blocks as they are where a kernel exists, candle's
    /// `QMatMul` otherwise.
    pub(crate) fn from_qtensor(t: QTensor, embedding: bool) -> Result<Self, ModelError> {
        let (rows, cols) = t.shape().dims2()?;
        let format = match t.dtype() {
            GgmlDType::Q4K => Some(Format::Q4K),
            GgmlDType::Q6K => Some(Format::Q6K),
            GgmlDType::Q8_0 => Some(Format::Q8_0),
            _ => None,
        };
        if let Some(format) = format {
            if cols % format.block_values() == 0 {
                return Ok(Self::Blocks(BlockMatrix::new(
                    format,
                    rows,
                    cols,
                    &t.data()?,
                    kernels::level(),
                )?));
            }
        }
        let dense = if embedding {
            Some(
                t.dequantize(&Device::Cpu)?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            )
        } else {
            None
        };
        Ok(Self::Candle {
            inner: QMatMul::from_qtensor(t)?,
            dense,
            rows,
            cols,
        })
    }

    pub(crate) fn rows(&self) -> usize {
        match self {
            Self::Blocks(b) => b.rows,
            Self::Candle { rows, .. } => *rows,
        }
    }

    pub(crate) fn cols(&self) -> usize {
        match self {
            Self::Blocks(b) => b.cols,
            Self::Candle { cols, .. } => *cols,
        }
    }

    /// `out (m × rows) = x (m × cols) · Wᵀ`.
    pub(crate) fn matmul(&self, x: &[f32], m: usize, out: &mut [f32]) -> Result<(), ModelError> {
        products(x, m, &mut [(self, out)])
    }

    /// Row `r` as floats: the embedding lookup, which dequantizes only the rows asked for.
    pub(crate) fn row_into(&self, r: usize, out: &mut [f32]) -> Result<(), ModelError> {
        match self {
            Self::Blocks(b) => b.dequantize_row(r, out),
            Self::Candle { dense, cols, .. } => match dense {
                Some(d) => out.copy_from_slice(&d[r * cols..(r + 1) * cols]),
                None => {
                    return Err(ModelError::Weights(
                        "this matrix was not loaded as an embedding".into(),
                    ))
                }
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values; seeds under 100 add some large outliers, as real activations have.
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|i| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = ((s >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0;
                if i % 97 == 0 && seed < 100 {
                    v * 8.0
                } else {
                    v
                }
            })
            .collect()
    }

    fn candle_product(t: QTensor, x: &[f32], m: usize, k: usize) -> Vec<f32> {
        let qmm = QMatMul::from_qtensor(t).expect("qmatmul");
        let input = Tensor::from_slice(x, (m, k), &Device::Cpu).expect("input");
        qmm.forward(&input)
            .expect("forward")
            .flatten_all()
            .expect("flatten")
            .to_vec1::<f32>()
            .expect("vec")
    }

    fn quantized(dtype: GgmlDType, rows: usize, cols: usize) -> QTensor {
        let w = Tensor::from_vec(values(rows * cols, 7), (rows, cols), &Device::Cpu).expect("w");
        QTensor::quantize(&w, dtype).expect("quantize")
    }

    /// The formats with a kernel here: the default model's and the fixtures' `Q8_0`.
    const FORMATS: [(GgmlDType, Format); 3] = [
        (GgmlDType::Q4K, Format::Q4K),
        (GgmlDType::Q6K, Format::Q6K),
        (GgmlDType::Q8_0, Format::Q8_0),
    ];

    /// A matrix for the kernels of `level`, in the layout that level takes.
    fn block_matrix(
        dtype: GgmlDType,
        format: Format,
        rows: usize,
        cols: usize,
        level: Level,
    ) -> BlockMatrix {
        let t = quantized(dtype, rows, cols);
        BlockMatrix::new(format, rows, cols, &t.data().expect("data"), level).expect("matrix")
    }

    /// Every format the default model uses (and the fixtures' Q8_0), on every level this CPU
    /// has, in the layout of each level. The integer kernels must give the exact product of
    /// candle's dequantized weights with the quantized activations, and the whole product must
    /// agree with candle's own `QMatMul`. 40 rows: not a whole number of 16-row groups.
    #[test]
    fn products_match_candle_on_every_format_and_level() {
        let (rows, cols) = (40, 512);
        for (dtype, format) in FORMATS {
            let weights = quantized(dtype, rows, cols)
                .dequantize(&Device::Cpu)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1::<f32>())
                .expect("dequantize");
            for m in [1, 2, 3, 6, 8, 13] {
                let x = values(m * cols, 11 + m as u64);
                let mut act = QuantRows::default();
                act.quantize(&x, m, cols, format);
                // Without outliers, for the comparison with candle's different activation rounding.
                let smooth = values(m * cols, 100 + m as u64);
                let candle = candle_product(quantized(dtype, rows, cols), &smooth, m, cols);
                let scale = candle.iter().fold(0f32, |a, v| a.max(v.abs()));
                for level in kernels::available_levels() {
                    let mat = block_matrix(dtype, format, rows, cols, level);
                    let mut got = vec![0f32; m * rows];
                    mat.matmul_quantizing(&x, m, &mut got);
                    let mut ours = vec![0f32; m * rows];
                    mat.matmul_quantizing(&smooth, m, &mut ours);
                    for i in 0..m {
                        let xq = act.dequantized(i);
                        for j in 0..rows {
                            let exact: f64 = (0..cols)
                                .map(|c| f64::from(weights[j * cols + c]) * f64::from(xq[c]))
                                .sum();
                            let g = got[i * rows + j];
                            assert!(
                                (f64::from(g) - exact).abs() <= 1e-5 * f64::from(scale),
                                "{dtype:?} {level:?} m={m} ({i},{j}): {g} vs exact {exact}"
                            );
                            // The same activation rounding as candle for the K formats: equal up
                            // to float rounding. For Q8_0 candle rounds activations in
                            // 256-value blocks on some CPUs, the engine in 32-value ones.
                            let (o, c) = (ours[i * rows + j], candle[i * rows + j]);
                            let tolerance = if dtype == GgmlDType::Q8_0 { 0.01 } else { 1e-5 };
                            assert!(
                                (o - c).abs() <= tolerance * scale,
                                "{dtype:?} {level:?} m={m} ({i},{j}): {o} vs candle {c}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// A row's result does not depend on the other rows of the batch, on any level: greedy
    /// output stays the same alone and in a batch. 11 rows: a whole tile and a part of one.
    #[test]
    fn a_row_gives_the_same_bits_alone_and_in_a_batch() {
        let (rows, cols, m) = (40, 256, 11);
        for (dtype, format) in FORMATS {
            for level in kernels::available_levels() {
                let mat = block_matrix(dtype, format, rows, cols, level);
                let batch = values(m * cols, 3);
                let mut all = vec![0f32; m * rows];
                mat.matmul_quantizing(&batch, m, &mut all);
                for i in 0..m {
                    let mut one = vec![0f32; rows];
                    mat.matmul_quantizing(&batch[i * cols..(i + 1) * cols], 1, &mut one);
                    assert_eq!(
                        one,
                        all[i * rows..(i + 1) * rows],
                        "{dtype:?} {level:?} row {i}"
                    );
                }
            }
        }
    }

    /// One input quantized once for several matrices (of both block sizes) gives the same bits
    /// as a product per matrix.
    #[test]
    fn products_sharing_an_input_equal_separate_products() {
        let (rows, cols, m) = (24, 512, 3);
        let x = values(m * cols, 9);
        let dtypes = [GgmlDType::Q4K, GgmlDType::Q8_0, GgmlDType::Q6K];
        let mats: Vec<Matrix> = dtypes
            .iter()
            .map(|&d| Matrix::from_qtensor(quantized(d, rows, cols), false).expect("matrix"))
            .collect();
        let mut shared = vec![vec![0f32; m * rows]; 3];
        {
            let [a, b, c] = &mut shared[..] else {
                panic!("three outputs");
            };
            products(
                &x,
                m,
                &mut [
                    (&mats[0], &mut a[..]),
                    (&mats[1], &mut b[..]),
                    (&mats[2], &mut c[..]),
                ],
            )
            .expect("products");
        }
        for (mat, got) in mats.iter().zip(&shared) {
            let mut alone = vec![0f32; m * rows];
            mat.matmul(&x, m, &mut alone).expect("product");
            assert_eq!(&alone, got);
        }
    }

    /// Embedding lookups, in every level's layout.
    #[test]
    fn rows_dequantize_as_candle_does() {
        let (rows, cols) = (18, 512);
        for (dtype, format) in FORMATS {
            let want = quantized(dtype, rows, cols)
                .dequantize(&Device::Cpu)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1::<f32>())
                .expect("dequantize");
            for level in kernels::available_levels() {
                let mat = Matrix::Blocks(block_matrix(dtype, format, rows, cols, level));
                for r in 0..rows {
                    let mut got = vec![0f32; cols];
                    mat.row_into(r, &mut got).expect("row");
                    assert_eq!(
                        got,
                        want[r * cols..(r + 1) * cols],
                        "{dtype:?} {level:?} row {r}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_format_without_kernel_goes_through_candle() {
        let x = values(2 * 64, 5);
        let want = candle_product(quantized(GgmlDType::Q5_0, 8, 64), &x, 2, 64);
        let mat = Matrix::from_qtensor(quantized(GgmlDType::Q5_0, 8, 64), true).expect("matrix");
        assert!(matches!(mat, Matrix::Candle { .. }));
        let mut got = vec![0f32; 2 * 8];
        mat.matmul(&x, 2, &mut got).expect("product");
        assert_eq!(got, want);
        let mut row = vec![0f32; 64];
        mat.row_into(3, &mut row).expect("row");
    }
}
