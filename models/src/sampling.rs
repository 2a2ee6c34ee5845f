//! The engine's vocabulary, shared by the engine and its callers: how the next token is chosen,
//! why a sequence ended, how a caller stops it, and when an output has gone round in circles.
//! It depends on nothing else in the crate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Sampling {
    /// Always the most likely token: the same input gives the same output, which translation needs.
    #[default]
    Greedy,
    Temperature {
        temperature: f64,
        top_p: f64,
        seed: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The model ended its turn.
    Stop,
    /// The token budget ran out.
    Budget,
    Cancelled,
    /// The output started repeating itself; the repeats were cut.
    Repetition,
}

/// Shared flag that stops a generation at the next token. Cloning shares the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// If the output ends in one span repeated enough times to cover `MIN_SPAN_TOKENS` (and never
/// fewer than `MIN_REPEATS` times), returns how many tokens to keep so that one copy remains.
/// Greedy decoding of small models falls into such loops. The items are token ids for the
/// built-in engine, and the streamed pieces of text for a remote one.
pub fn degenerate_tail<T: PartialEq>(ids: &[T]) -> Option<usize> {
    const MIN_REPEATS: usize = 3;
    const MIN_SPAN_TOKENS: usize = 24;
    const MAX_PERIOD: usize = 48;
    for period in 1..=MAX_PERIOD {
        let needed = MIN_SPAN_TOKENS.div_ceil(period).max(MIN_REPEATS);
        if period * needed > ids.len() {
            continue;
        }
        let tail = &ids[ids.len() - period..];
        let repeated = (1..needed).all(|k| {
            let end = ids.len() - k * period;
            ids[end - period..end] == *tail
        });
        if repeated {
            let mut copies = needed;
            while copies * period + period <= ids.len() {
                let end = ids.len() - copies * period;
                if ids[end - period..end] != *tail {
                    break;
                }
                copies += 1;
            }
            return Some(ids.len() - period * (copies - 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_is_found_and_one_copy_kept() {
        let mut ids: Vec<u32> = vec![1, 2, 3];
        for _ in 0..8 {
            ids.extend([7, 8, 9, 10]);
        }
        let keep = degenerate_tail(&ids).expect("a loop of period 4");
        assert_eq!(&ids[..keep], &[1, 2, 3, 7, 8, 9, 10]);
    }

    #[test]
    fn varied_text_is_not_taken_for_repetition() {
        let ids: Vec<u32> = (0..200).map(|i| (i * 7919 % 257) as u32).collect();
        assert_eq!(degenerate_tail(&ids), None);
        // Two or three short repeats ("très, très") are language, not a loop.
        assert_eq!(degenerate_tail(&[5, 6, 5, 6, 5, 6]), None);
    }
}
