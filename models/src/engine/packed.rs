//! `Q4_K` and `Q6_K` weights regrouped 16 rows at a time for the AVX-512 and AVX2 kernels.
//!
//! In the file, each row's blocks lie one after another, so a SIMD register holds many values of
//! one row and every dot product ends in a horizontal sum. Here one 512-bit register holds four
//! consecutive values of each of 16 rows: a VNNI dot-product instruction against four activation
//! bytes broadcast to every lane adds to 16 rows' sums at once, each in its own lane. The decoded
//! weights are reused by every activation row of a tile, and the results come out as 16
//! consecutive outputs, with nothing to sum across lanes and nothing to transpose. AVX2 reads
//! each 512-bit register as two 256-bit halves of eight rows.
//!
//! The regrouped copy replaces the file's layout. It holds the same numbers: `Q6_K` in the same
//! bytes, `Q4_K` with its 6-bit scales unpacked (2.8 % more). Rows are padded with zeros to a
//! multiple of 16.

use super::kernels::{q4k_scales, q6k_values, Format, QK_K};
use rayon::prelude::*;

/// Rows per group: the 32-bit lanes of a 512-bit register.
pub const LANES: usize = 16;

/// One group's share of one 256-value block.
pub fn group_block_bytes(format: Format) -> usize {
    match format {
        Format::Q4K => GROUP_BLOCK_BYTES,
        Format::Q6K => q6k::GROUP_BLOCK_BYTES,
        Format::Q8_0 => unreachable!("Q8_0 keeps the file's layout"),
    }
}

/// The formats regrouped for the AVX-512 and AVX2 kernels.
pub fn has_layout(format: Format) -> bool {
    matches!(format, Format::Q4K | Format::Q6K)
}

/// `Q4_K`: scales, mins and 16 × 256 four-bit values.
pub const GROUP_BLOCK_BYTES: usize = QUANTS + LANES * QK_K / 2;
/// 16 × f16: each row's scale of the block.
pub const D: usize = 0;
/// 16 × f16: each row's scale of the mins.
pub const DMIN: usize = 32;
/// 8 sub-blocks × 16 rows, one byte each: the 6-bit scales.
pub const SCALES: usize = 64;
/// 4 pairs of sub-blocks × 16 rows × 2 bytes: the 6-bit mins, two neighbouring sub-blocks side
/// by side so that they widen into the 16-bit pairs a `vpdpwssd` takes.
pub const MINS: usize = 192;
/// 8 sub-blocks × 256 bytes. Within a sub-block (32 values of each row), packed register `p`
/// (0..4) holds at byte `4·row + e` the value `8p + e` in its low nibble and `8p + 4 + e` in its
/// high nibble.
pub const QUANTS: usize = 320;

/// Groups of 16 rows for `rows` rows.
pub fn groups(rows: usize) -> usize {
    rows.div_ceil(LANES)
}

/// The file's rows (`rows × cols` of `format`, `cols` a multiple of 256) regrouped.
pub fn pack(format: Format, data: &[u8], rows: usize, cols: usize) -> Vec<u8> {
    let blocks = cols / QK_K;
    let block_bytes = format.block_bytes();
    let row_bytes = blocks * block_bytes;
    let group_block = group_block_bytes(format);
    let mut out = vec![0u8; groups(rows) * blocks * group_block];
    out.par_chunks_exact_mut(blocks * group_block)
        .enumerate()
        .for_each(|(g, group)| {
            for (i, dst) in group.chunks_exact_mut(group_block).enumerate() {
                for lane in 0..LANES.min(rows - g * LANES) {
                    let row = g * LANES + lane;
                    let b = &data[row * row_bytes + i * block_bytes..][..block_bytes];
                    match format {
                        Format::Q4K => pack_q4k_block(b, lane, dst),
                        Format::Q6K => q6k::pack_block(b, lane, dst),
                        Format::Q8_0 => unreachable!("Q8_0 keeps the file's layout"),
                    }
                }
            }
        });
    out
}

/// One row's `Q4_K` block into lane `lane` of its group's block.
fn pack_q4k_block(b: &[u8], lane: usize, dst: &mut [u8]) {
    dst[D + 2 * lane..D + 2 * lane + 2].copy_from_slice(&b[0..2]);
    dst[DMIN + 2 * lane..DMIN + 2 * lane + 2].copy_from_slice(&b[2..4]);
    let (sc, mn) = q4k_scales(&b[4..16]);
    for s in 0..8 {
        dst[SCALES + LANES * s + lane] = sc[s];
        dst[MINS + 2 * LANES * (s / 2) + 2 * lane + s % 2] = mn[s];
    }
    let mut values = [0u8; QK_K];
    for (k, v) in values.iter_mut().enumerate() {
        // The file's layout: 64-value chunks, the low nibbles of 32 bytes then their high ones.
        let byte = b[16 + 32 * (k / 64) + k % 32];
        *v = if k % 64 < 32 { byte & 0xF } else { byte >> 4 };
    }
    write_nibbles(&values, lane, &mut dst[QUANTS..]);
}

/// The low four bits of a block's 256 values into lane `lane` of the packed registers at `dst`.
fn write_nibbles(values: &[u8; QK_K], lane: usize, dst: &mut [u8]) {
    for (s, sub) in values.chunks_exact(32).enumerate() {
        for p in 0..4 {
            for e in 0..4 {
                let (lo, hi) = (sub[8 * p + e] & 0xF, sub[8 * p + 4 + e] & 0xF);
                dst[256 * s + 64 * p + 4 * lane + e] = lo | hi << 4;
            }
        }
    }
}

/// Where value `k` of a block sits for row `lane` of its group.
fn quant_at(lane: usize, k: usize) -> usize {
    let (s, within) = (k / 32, k % 32);
    QUANTS + 256 * s + 64 * (within / 8) + 4 * lane + within % 4
}

fn nibble_shift(k: usize) -> u8 {
    if k % 8 < 4 {
        0
    } else {
        4
    }
}

/// Row `row` of a regrouped matrix of `cols` columns as floats, as candle dequantizes it.
pub fn dequantize_row(format: Format, packed: &[u8], cols: usize, row: usize, out: &mut [f32]) {
    let blocks = cols / QK_K;
    let group_block = group_block_bytes(format);
    let (g, lane) = (row / LANES, row % LANES);
    let group = &packed[g * blocks * group_block..][..blocks * group_block];
    for (b, y) in group
        .chunks_exact(group_block)
        .zip(out.chunks_exact_mut(QK_K))
    {
        match format {
            Format::Q4K => dequantize_q4k_block(b, lane, y),
            Format::Q6K => q6k::dequantize_block(b, lane, y),
            Format::Q8_0 => unreachable!("Q8_0 keeps the file's layout"),
        }
    }
}

fn f16_at(b: &[u8], at: usize) -> f32 {
    half::f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

fn dequantize_q4k_block(b: &[u8], lane: usize, y: &mut [f32]) {
    let (d, dmin) = (f16_at(b, D + 2 * lane), f16_at(b, DMIN + 2 * lane));
    for (k, v) in y.iter_mut().enumerate() {
        let s = k / 32;
        let scale = d * f32::from(b[SCALES + LANES * s + lane]);
        let min = dmin * f32::from(b[MINS + 2 * LANES * (s / 2) + 2 * lane + s % 2]);
        let q = (b[quant_at(lane, k)] >> nibble_shift(k)) & 0xF;
        *v = scale * f32::from(q) - min;
    }
}

/// `Q6_K`: each row's scale, then per 32 values of 16 rows the low four bits as in `Q4_K`'s
/// layout and the high two bits, four values to a byte.
pub mod q6k {
    use super::*;

    pub const GROUP_BLOCK_BYTES: usize = LOW + LANES * QK_K / 2 + LANES * QK_K / 4;
    /// 16 × f16.
    pub const D: usize = 0;
    /// 16 sub-blocks of 16 values × 16 rows, one signed byte each.
    pub const SCALES: usize = 32;
    /// 8 × 32 values: four packed registers each, as `Q4_K`'s quants.
    pub const LOW: usize = 288;
    /// 8 × 32 values: two packed registers each. Register `h` holds at byte `4·row + e`, in
    /// bits `2u..2u + 2`, the high bits of value `4(4h + u) + e`.
    pub const HIGH: usize = LOW + LANES * QK_K / 2;

    pub(super) fn pack_block(b: &[u8], lane: usize, dst: &mut [u8]) {
        dst[D + 2 * lane..D + 2 * lane + 2].copy_from_slice(&b[208..210]);
        for s in 0..16 {
            dst[SCALES + LANES * s + lane] = b[192 + s];
        }
        let mut values = [0u8; QK_K];
        for half in 0..2 {
            for l in 0..32 {
                let four = q6k_values(&b[64 * half..], &b[128 + 32 * half..], l);
                for (j, v) in four.into_iter().enumerate() {
                    values[128 * half + 32 * j + l] = v as u8;
                }
            }
        }
        write_nibbles(&values, lane, &mut dst[LOW..]);
        for (sp, sub) in values.chunks_exact(32).enumerate() {
            for h in 0..2 {
                for e in 0..4 {
                    let bits =
                        (0..4).fold(0u8, |a, u| a | (sub[4 * (4 * h + u) + e] >> 4) << (2 * u));
                    dst[HIGH + 128 * sp + 64 * h + 4 * lane + e] = bits;
                }
            }
        }
    }

    fn low_at(lane: usize, k: usize) -> usize {
        LOW + quant_at(lane, k) - QUANTS
    }

    /// The byte and bit of value `k`'s high bits.
    fn high_at(lane: usize, k: usize) -> (usize, u8) {
        let (sp, within) = (k / 32, k % 32);
        let t = within / 4;
        (
            HIGH + 128 * sp + 64 * (t / 4) + 4 * lane + within % 4,
            2 * (t % 4) as u8,
        )
    }

    pub(super) fn dequantize_block(b: &[u8], lane: usize, y: &mut [f32]) {
        let d = f16_at(b, D + 2 * lane);
        for (k, v) in y.iter_mut().enumerate() {
            let scale = f32::from(b[SCALES + LANES * (k / 16) + lane] as i8);
            let (at, shift) = high_at(lane, k);
            let q = ((b[low_at(lane, k)] >> nibble_shift(k)) & 0xF) | (((b[at] >> shift) & 3) << 4);
            *v = d * scale * f32::from(i16::from(q) - 32);
        }
    }
}
