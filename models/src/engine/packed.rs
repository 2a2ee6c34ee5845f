//! `Q4_K` weights regrouped 16 rows at a time for the AVX-512 kernel.
//!
//! In the file, each row's blocks lie one after another, so a SIMD register holds many values of
//! one row and every dot product ends in a horizontal sum. Here one 512-bit register holds four
//! consecutive values of each of 16 rows: a VNNI dot-product instruction against four activation
//! bytes broadcast to every lane adds to 16 rows' sums at once, each in its own lane. The decoded
//! weights are reused by every activation row of a tile, and the results come out as 16
//! consecutive outputs, with nothing to sum across lanes and nothing to transpose.
//!
//! The regrouped copy replaces the file's layout (it holds the same numbers, with the 6-bit scales
//! unpacked: 2.8 % more bytes). Rows are padded with zeros to a multiple of 16.

use super::kernels::{q4k_scales, Q4K_BYTES, QK_K};

/// Rows per group: the 32-bit lanes of a 512-bit register.
pub const LANES: usize = 16;
/// One group's share of one 256-value block: scales, mins and 16 × 256 four-bit values.
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

/// The file's `Q4_K` rows (`rows × cols`, `cols` a multiple of 256) regrouped.
pub fn pack_q4k(data: &[u8], rows: usize, cols: usize) -> Vec<u8> {
    let blocks = cols / QK_K;
    let row_bytes = blocks * Q4K_BYTES;
    let mut out = vec![0u8; groups(rows) * blocks * GROUP_BLOCK_BYTES];
    for (g, group) in out.chunks_exact_mut(blocks * GROUP_BLOCK_BYTES).enumerate() {
        for (i, dst) in group.chunks_exact_mut(GROUP_BLOCK_BYTES).enumerate() {
            for lane in 0..LANES.min(rows - g * LANES) {
                let row = g * LANES + lane;
                let b = &data[row * row_bytes + i * Q4K_BYTES..][..Q4K_BYTES];
                dst[D + 2 * lane..D + 2 * lane + 2].copy_from_slice(&b[0..2]);
                dst[DMIN + 2 * lane..DMIN + 2 * lane + 2].copy_from_slice(&b[2..4]);
                let (sc, mn) = q4k_scales(&b[4..16]);
                for s in 0..8 {
                    dst[SCALES + LANES * s + lane] = sc[s];
                    dst[MINS + 2 * LANES * (s / 2) + 2 * lane + s % 2] = mn[s];
                }
                for k in 0..QK_K {
                    dst[quant_at(lane, k)] |= file_value(b, k) << nibble_shift(k);
                }
            }
        }
    }
    out
}

/// Value `k` (0..256) of a block in the file's layout: 64-value chunks, the low nibbles of 32
/// bytes then their high nibbles.
fn file_value(b: &[u8], k: usize) -> u8 {
    let byte = b[16 + 32 * (k / 64) + k % 32];
    if k % 64 < 32 {
        byte & 0xF
    } else {
        byte >> 4
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

/// Row `row` of a regrouped matrix of `cols` columns as floats, as candle dequantizes `Q4_K`.
pub fn dequantize_row(packed: &[u8], cols: usize, row: usize, out: &mut [f32]) {
    let blocks = cols / QK_K;
    let (g, lane) = (row / LANES, row % LANES);
    let group = &packed[g * blocks * GROUP_BLOCK_BYTES..][..blocks * GROUP_BLOCK_BYTES];
    for (b, y) in group
        .chunks_exact(GROUP_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(QK_K))
    {
        let f16_at = |at: usize| half::f16::from_le_bytes([b[at], b[at + 1]]).to_f32();
        let (d, dmin) = (f16_at(D + 2 * lane), f16_at(DMIN + 2 * lane));
        for (k, v) in y.iter_mut().enumerate() {
            let s = k / 32;
            let scale = d * f32::from(b[SCALES + LANES * s + lane]);
            let min = dmin * f32::from(b[MINS + 2 * LANES * (s / 2) + 2 * lane + s % 2]);
            let q = (b[quant_at(lane, k)] >> nibble_shift(k)) & 0xF;
            *v = scale * f32::from(q) - min;
        }
    }
}
