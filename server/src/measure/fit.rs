//! Fitting and judging a score that should rank bad sentences first: the area under the ROC
//! curve, and a logistic regression over a few signals. Written here rather than taken from a
//! crate: both are a few lines, and the statistics crates bring far more than this needs.

/// The area under the ROC curve of `scores` (higher meaning "more likely bad") against
/// `labels` (true = bad): the chance that a bad item scores above a good one, ties counting
/// half. `None` when either class is empty.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mann–Whitney U with mid-ranks for ties.
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mid;
        }
        i = j + 1;
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(labels)
        .filter(|(_, &l)| l)
        .map(|(r, _)| r)
        .sum();
    let u = rank_sum - (positives * (positives + 1)) as f64 / 2.0;
    Some(u / (positives * negatives) as f64)
}

/// A logistic model over standardized signals: `score = bias + Σ weight·(x − mean)/spread`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Logistic {
    pub means: Vec<f64>,
    pub spreads: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
}

impl Logistic {
    /// Fits by gradient descent on the log-loss, with a little L2 so that signals that say the
    /// same thing share the weight. With `nonpositive`, no weight may rise above 0: for
    /// signals where less is worse (log-probabilities), a fit on noisy labels must not learn
    /// that a less likely text is a safer one (the minimum token's weight came out positive,
    /// beside the correlated mean, and a sentence with a token at -13 scored as sure).
    pub fn fit(rows: &[Vec<f64>], labels: &[bool], nonpositive: bool) -> Option<Self> {
        let n = rows.len();
        let d = rows.first()?.len();
        if n < 10 {
            return None;
        }
        let means: Vec<f64> = (0..d)
            .map(|k| rows.iter().map(|r| r[k]).sum::<f64>() / n as f64)
            .collect();
        let spreads: Vec<f64> = (0..d)
            .map(|k| {
                let var = rows.iter().map(|r| (r[k] - means[k]).powi(2)).sum::<f64>() / n as f64;
                var.sqrt().max(1e-9)
            })
            .collect();
        let x: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| (0..d).map(|k| (r[k] - means[k]) / spreads[k]).collect())
            .collect();
        let (mut w, mut b) = (vec![0.0; d], 0.0);
        let (rate, l2) = (0.5, 1e-3);
        for _ in 0..3000 {
            let mut gw = vec![0.0; d];
            let mut gb = 0.0;
            for (xi, &yi) in x.iter().zip(labels) {
                let z = b + xi.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>();
                let err = 1.0 / (1.0 + (-z).exp()) - f64::from(u8::from(yi));
                gb += err;
                for k in 0..d {
                    gw[k] += err * xi[k];
                }
            }
            b -= rate * gb / n as f64;
            for k in 0..d {
                w[k] -= rate * (gw[k] / n as f64 + l2 * w[k]);
                if nonpositive {
                    w[k] = w[k].min(0.0);
                }
            }
        }
        Some(Self {
            means,
            spreads,
            weights: w,
            bias: b,
        })
    }

    pub fn score(&self, row: &[f64]) -> f64 {
        self.bias
            + row
                .iter()
                .zip(&self.means)
                .zip(&self.spreads)
                .zip(&self.weights)
                .map(|(((x, m), s), w)| w * (x - m) / s)
                .sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_ranked_right() {
        assert_eq!(
            auc(&[3.0, 2.0, 1.0, 0.0], &[true, true, false, false]),
            Some(1.0)
        );
        assert_eq!(
            auc(&[0.0, 1.0, 2.0, 3.0], &[true, true, false, false]),
            Some(0.0)
        );
        assert_eq!(auc(&[1.0, 1.0], &[true, false]), Some(0.5));
        assert_eq!(auc(&[2.0, 1.0, 3.0], &[true, false, false]), Some(0.5));
        assert_eq!(auc(&[1.0, 2.0], &[false, false]), None);
    }

    #[test]
    fn a_fitted_model_ranks_by_the_signal_that_tells() {
        // The label follows the first signal; the second is noise.
        let rows: Vec<Vec<f64>> = (0..200)
            .map(|i| vec![i as f64, ((i * 7919) % 13) as f64])
            .collect();
        let labels: Vec<bool> = (0..200).map(|i| i < 40).collect();
        let model = Logistic::fit(&rows, &labels, false).expect("fit");
        assert!(model.weights[0] < 0.0, "{model:?}");
        assert!(
            model.weights[0].abs() > 5.0 * model.weights[1].abs(),
            "{model:?}"
        );
        let scores: Vec<f64> = rows.iter().map(|r| model.score(r)).collect();
        assert!(auc(&scores, &labels).expect("auc") > 0.99);
        // A signal whose higher values go with the label gets no weight when weights must not
        // be positive.
        let rising: Vec<bool> = (0..200).map(|i| i >= 160).collect();
        let constrained = Logistic::fit(&rows, &rising, true).expect("fit");
        assert!(
            constrained.weights.iter().all(|&w| w <= 0.0),
            "{constrained:?}"
        );
        assert_eq!(constrained.weights[0], 0.0);
    }
}
