//! One sequence's keys and values, every layer, allocated once for the positions the sequence
//! may reach (its prompt plus its token budget) and written in place: nothing is concatenated
//! per token. The allocation is zeroed memory the system hands out lazily, so positions never
//! reached cost address space, not resident memory.

use super::transformer::Config;
use std::ops::Range;

pub(crate) struct SeqCache {
    capacity: usize,
    head_dim: usize,
    kv_heads: usize,
    /// Per layer: `[kv_head][position][head_dim]`, keys then values.
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
}

impl SeqCache {
    pub(crate) fn new(config: &Config, capacity: usize) -> Self {
        let per_layer = config.kv_width() * capacity;
        Self {
            capacity,
            head_dim: config.head_dim,
            kv_heads: config.kv_heads,
            keys: (0..config.layers).map(|_| vec![0f32; per_layer]).collect(),
            values: (0..config.layers).map(|_| vec![0f32; per_layer]).collect(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Copies the first `len` positions of `other` (a cached prompt prefix) into this cache.
    pub(crate) fn copy_prefix(&mut self, other: &SeqCache, len: usize) {
        self.copy_range(other, 0..len, 0);
    }

    /// Copies positions `from` of `other` into this cache's positions from `to` on, as they
    /// are: keys that land elsewhere must be turned to their new place
    /// ([`super::transformer::Transformer::move_positions`]).
    pub(crate) fn copy_range(&mut self, other: &SeqCache, from: Range<usize>, to: usize) {
        let d = self.head_dim;
        let len = from.len();
        for (dst, src) in self
            .keys
            .iter_mut()
            .chain(self.values.iter_mut())
            .zip(other.keys.iter().chain(other.values.iter()))
        {
            for h in 0..self.kv_heads {
                let at = (h * self.capacity + to) * d;
                let start = (h * other.capacity + from.start) * d;
                dst[at..at + len * d].copy_from_slice(&src[start..start + len * d]);
            }
        }
    }

    /// `k` and `v` hold every key-value head of one position, head after head.
    pub(crate) fn write(&mut self, layer: usize, pos: usize, k: &[f32], v: &[f32]) {
        let d = self.head_dim;
        for h in 0..self.kv_heads {
            let at = (h * self.capacity + pos) * d;
            self.keys[layer][at..at + d].copy_from_slice(&k[h * d..(h + 1) * d]);
            self.values[layer][at..at + d].copy_from_slice(&v[h * d..(h + 1) * d]);
        }
    }

    #[cfg(test)]
    pub(crate) fn key(&self, layer: usize, pos: usize, head: usize) -> &[f32] {
        let at = (head * self.capacity + pos) * self.head_dim;
        &self.keys[layer][at..at + self.head_dim]
    }

    pub(crate) fn key_mut(&mut self, layer: usize, pos: usize, head: usize) -> &mut [f32] {
        let at = (head * self.capacity + pos) * self.head_dim;
        &mut self.keys[layer][at..at + self.head_dim]
    }

    /// Head `head`'s keys of positions `0..len`, one after another.
    pub(crate) fn keys(&self, layer: usize, head: usize, len: usize) -> &[f32] {
        let at = head * self.capacity * self.head_dim;
        &self.keys[layer][at..at + len * self.head_dim]
    }

    /// Head `head`'s values of positions `0..len`, one after another.
    pub(crate) fn values(&self, layer: usize, head: usize, len: usize) -> &[f32] {
        let at = head * self.capacity * self.head_dim;
        &self.values[layer][at..at + len * self.head_dim]
    }

    #[cfg(test)]
    pub(crate) fn value(&self, layer: usize, pos: usize, head: usize) -> &[f32] {
        let at = (head * self.capacity + pos) * self.head_dim;
        &self.values[layer][at..at + self.head_dim]
    }
}
