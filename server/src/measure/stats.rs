//! Small statistics for the benchmark: median, nearest-rank percentiles, spread.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub median: f64,
    pub p95: f64,
    pub min: f64,
    pub max: f64,
    /// (max - min) / median: how far repeated runs stray, 0.02 being 2 %.
    pub spread: f64,
}

pub fn summarize(values: &[f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = percentile(&sorted, 50.0);
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    Some(Summary {
        median,
        p95: percentile(&sorted, 95.0),
        min,
        max,
        spread: if median > 0.0 {
            (max - min) / median
        } else {
            0.0
        },
    })
}

/// Nearest-rank percentile of sorted values (the median of an even count is the mean of the
/// middle two).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if p == 50.0 && n.is_multiple_of(2) {
        return (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
    let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
    sorted[rank.min(n) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        let s = summarize(&[3.0, 1.0, 2.0]).expect("values");
        assert_eq!((s.median, s.p95, s.min, s.max), (2.0, 3.0, 1.0, 3.0));
        assert_eq!(s.spread, 1.0);
        assert_eq!(
            summarize(&[4.0, 1.0, 2.0, 3.0]).expect("values").median,
            2.5
        );
        let many: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(summarize(&many).expect("values").p95, 95.0);
        assert!(summarize(&[]).is_none());
    }
}
