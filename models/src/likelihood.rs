//! How likely the model found one token, read from the row of logits it was chosen or scored
//! from: its log-probability, and two readings of the whole distribution that the published
//! confidence measures use (`shared/notes/confidence.md`): the entropy (Fomicheva et al. 2020)
//! and the boosted probability (Dinh & Niehues 2025, "BoostedProb"). Where several tokens are
//! each a fine way to go on ("said" and "stated"), each has a middling probability although the
//! model is sure of the meaning; the boosted probability gives a token that is among those
//! dominant few the mass of all of them.

/// A token's likelihood under one row of logits (before any temperature or refusal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Likelihood {
    /// The token's log-probability.
    pub logprob: f32,
    /// The log of the boosted probability: the summed probability of the dominant tokens when
    /// the token is one of them ([`dominant`]), its own probability otherwise.
    pub boosted: f32,
    /// The distribution's entropy, in nats.
    pub entropy: f32,
}

/// In the sorted probabilities, a drop after a token counts as the end of the dominant tokens
/// when it is more than this share of the token's probability...
const JUMP: f32 = 0.3;
/// ...and more than this much probability: the published method's defaults (`p_jump` 0.3,
/// `epsilon` 0.005).
const LEAST_DROP: f32 = 0.005;

/// `token`'s [`Likelihood`] under the softmax of `logits`. A token outside the row has a
/// log-probability of minus infinity.
pub fn of(logits: &[f32], token: u32) -> Likelihood {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    // One pass for the normalizer and the entropy: H = ln Z - sum(e^x x) / Z, x = logit - max.
    let (mut z, mut weighted) = (0f32, 0f32);
    for &v in logits {
        let x = v - max;
        let e = x.exp();
        z += e;
        weighted += e * x;
    }
    let log_z = z.ln();
    let logprob = logits
        .get(token as usize)
        .map_or(f32::NEG_INFINITY, |&v| v - max - log_z);
    let probability = |v: f32| (v - max - log_z).exp();
    // Only tokens above the least drop can end the dominant ones; the largest probability
    // below it is the drop after the last of them.
    let floor = max + log_z + LEAST_DROP.ln();
    let mut above: Vec<(f32, u32)> = logits
        .iter()
        .enumerate()
        .filter(|(_, &v)| v > floor)
        .map(|(i, &v)| (probability(v), i as u32))
        .collect();
    // Kept free of branches: with an `Option` in the loop this pass took as long as the
    // normalizer's. With no token below, the maximum is minus infinity and not used.
    let below = logits
        .iter()
        .map(|&v| if v > floor { f32::NEG_INFINITY } else { v })
        .fold(f32::NEG_INFINITY, f32::max);
    let below = (above.len() < logits.len()).then(|| probability(below));
    above.sort_by(|a, b| b.0.total_cmp(&a.0));
    let dominant = dominant(&above.iter().map(|a| a.0).collect::<Vec<_>>(), below);
    let dominant = &above[..dominant];
    let boosted = if dominant.iter().any(|a| a.1 == token) {
        dominant.iter().map(|a| a.0).sum::<f32>().ln()
    } else {
        logprob
    };
    Likelihood {
        logprob,
        boosted: boosted.min(0.0),
        entropy: log_z - weighted / z,
    }
}

/// How many of the largest probabilities (`sorted`, largest first; `next` the largest of the
/// rest, if any) are dominant: those before the last drop that is both more than [`JUMP`] of
/// the probability before it and more than [`LEAST_DROP`]. None where there is no such drop.
fn dominant(sorted: &[f32], next: Option<f32>) -> usize {
    (0..sorted.len())
        .rev()
        .find(|&i| {
            let Some(after) = sorted.get(i + 1).copied().or(next) else {
                return false;
            };
            let drop = sorted[i] - after;
            drop > JUMP * sorted[i] && drop > LEAST_DROP
        })
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits(probabilities: &[f32]) -> Vec<f32> {
        probabilities.iter().map(|p| p.ln()).collect()
    }

    #[test]
    fn a_token_among_the_dominant_few_gets_their_mass() {
        // The published method's own example: 0.5 and 0.4 dominate, the two 0.05 do not.
        let row = logits(&[0.5, 0.4, 0.05, 0.05]);
        let second = of(&row, 1);
        assert!((second.logprob - 0.4f32.ln()).abs() < 1e-5);
        assert!((second.boosted - 0.9f32.ln()).abs() < 1e-5);
        let third = of(&row, 2);
        assert!((third.boosted - 0.05f32.ln()).abs() < 1e-5);
        assert!((third.boosted - third.logprob).abs() < 1e-6);
    }

    #[test]
    fn a_flat_distribution_has_no_dominant_token_and_the_most_entropy() {
        let flat = logits(&[0.25; 4]);
        let any = of(&flat, 3);
        assert!((any.boosted - any.logprob).abs() < 1e-6);
        assert!((any.entropy - 4f32.ln()).abs() < 1e-5);
        let sure = of(&logits(&[0.97, 0.01, 0.01, 0.01]), 0);
        assert!(sure.entropy < 0.2, "{}", sure.entropy);
        assert!((sure.boosted - 0.97f32.ln()).abs() < 1e-5);
    }

    #[test]
    fn the_drop_after_the_last_dominant_token_may_be_to_a_token_below_the_least_drop() {
        // 0.006 then 0.004: a drop of 0.002, too small; the drop from 0.49 to 0.006 ends them.
        let row = logits(&[0.5, 0.49, 0.006, 0.004]);
        assert!((of(&row, 1).boosted - 0.99f32.ln()).abs() < 1e-4);
        assert_eq!(dominant(&[0.5, 0.49], Some(0.0)), 2);
        assert_eq!(dominant(&[0.5, 0.49], Some(0.45)), 0);
        // The row's last token has no drop after it.
        assert_eq!(dominant(&[0.5, 0.49], None), 0);
        assert_eq!(dominant(&[], Some(0.001)), 0);
    }

    #[test]
    fn a_token_outside_the_row_is_impossible() {
        let row = logits(&[0.5, 0.5]);
        let outside = of(&row, 7);
        assert_eq!(outside.logprob, f32::NEG_INFINITY);
        assert_eq!(outside.boosted, f32::NEG_INFINITY);
    }
}
