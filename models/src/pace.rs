//! How fast the engine writes when several sequences write at once, on this machine: what the
//! article pipeline weighs when it decides how many of an article's paragraphs to write side by
//! side. Batching gains much on one machine (memory-bound decoding, where eight sequences cost
//! little more than one) and little on another (compute-bound), so the figures are measured,
//! not assumed: [`crate::Model::measure_pace`].

/// Sequences written together at which the pace is measured.
pub const SEQUENCES: [usize; 4] = [1, 2, 4, 8];

/// Decode tokens per second, summed over the sequences, with [`SEQUENCES`] sequences writing
/// together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    pub decode: [f64; 4],
}

#[derive(Debug, thiserror::Error)]
#[error("a measured pace must be positive and finite for every sequence count, got {decode:?}")]
pub struct BadPace {
    pub decode: [f64; 4],
}

impl Pace {
    /// This engine on the machine the README's first speed table was measured on (2-core AMD
    /// EPYC, the default model; `passerelle bench`, 2026-11-24): where nothing was measured
    /// (a remote server, or `--pace typical`).
    pub const TYPICAL: Self = Self {
        decode: [37.1, 64.8, 106.1, 158.3],
    };

    /// A pace from measured figures, refused unless every one is a positive, finite rate.
    pub fn new(decode: [f64; 4]) -> Result<Self, BadPace> {
        if decode.iter().all(|v| v.is_finite() && *v > 0.0) {
            Ok(Self { decode })
        } else {
            Err(BadPace { decode })
        }
    }

    /// Tokens per second each of `n` sequences writes when they write together: the summed
    /// rate, interpolated between the measured counts (held at the largest past it), shared by
    /// the `n`.
    pub fn per_sequence(&self, n: usize) -> f64 {
        let n = n.max(1);
        let summed = match SEQUENCES.iter().position(|&s| s >= n) {
            Some(0) => self.decode[0],
            Some(i) => {
                let (low, high) = (SEQUENCES[i - 1] as f64, SEQUENCES[i] as f64);
                let share = (n as f64 - low) / (high - low);
                self.decode[i - 1] + share * (self.decode[i] - self.decode[i - 1])
            }
            None => self.decode[SEQUENCES.len() - 1],
        };
        summed / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sequence_gets_its_share_of_the_interpolated_rate() {
        let pace = Pace::new([10.0, 16.0, 24.0, 40.0]).expect("a valid pace");
        assert_eq!(pace.per_sequence(0), 10.0);
        assert_eq!(pace.per_sequence(1), 10.0);
        assert_eq!(pace.per_sequence(2), 8.0);
        assert_eq!(pace.per_sequence(3), 20.0 / 3.0);
        assert_eq!(pace.per_sequence(4), 6.0);
        assert_eq!(pace.per_sequence(6), 32.0 / 6.0);
        assert_eq!(pace.per_sequence(8), 5.0);
        assert_eq!(pace.per_sequence(16), 2.5);
    }

    #[test]
    fn a_pace_with_a_rate_that_is_not_a_rate_is_refused() {
        assert!(Pace::new([10.0, 0.0, 24.0, 40.0]).is_err());
        assert!(Pace::new([10.0, f64::NAN, 24.0, 40.0]).is_err());
        assert!(Pace::new([10.0, 16.0, f64::INFINITY, 40.0]).is_err());
        assert!(Pace::new([-1.0, 16.0, 24.0, 40.0]).is_err());
        assert!(Pace::new(Pace::TYPICAL.decode).is_ok());
    }
}
