//! Choosing one English among several candidates of the same paragraph by their agreement
//! (minimum-Bayes-risk selection with chrF as the utility): the candidate that shares the most
//! with the others is the one least likely to hold a candidate's own slip. Faithfulness comes
//! first: only the candidates with the fewest checker flags compete.

use checks::check_translation;
use checks::metrics::chrf;

/// How varied sampled candidates are (the extra candidates, the rewrites of unsure
/// sentences): enough to differ where the model hesitates, not so much that they wander from
/// the French.
pub const CANDIDATE_TEMPERATURE: f64 = 0.6;
pub const CANDIDATE_TOP_P: f64 = 0.9;

/// The index of the chosen candidate; on a tie, the earliest (the greedy one, which the reader
/// has already seen, comes first).
pub fn choose(french: &str, candidates: &[String]) -> usize {
    // Alone, a candidate is chosen unchecked: the repair step checks it right after.
    if candidates.len() < 2 {
        return 0;
    }
    let flags: Vec<usize> = candidates
        .iter()
        .map(|c| {
            if c.trim().is_empty() {
                usize::MAX
            } else {
                check_translation(french, c).len()
            }
        })
        .collect();
    let Some(&fewest) = flags.iter().min() else {
        return 0;
    };
    let agreement = |i: usize| -> f64 {
        let mine = [candidates[i].clone()];
        (0..candidates.len())
            .filter(|&j| j != i)
            .map(|j| chrf(&mine, std::slice::from_ref(&candidates[j])))
            .sum()
    };
    let mut best: Option<(usize, f64)> = None;
    for i in (0..candidates.len()).filter(|&i| flags[i] == fewest) {
        let score = agreement(i);
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((i, score));
        }
    }
    best.map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_candidate_closest_to_the_others_wins() {
        let french = "Le maire a inauguré le nouveau pont samedi.";
        let candidates = texts(&[
            "The mayor opened the bridge on Saturday.",
            "The mayor inaugurated the new bridge on Saturday.",
            "The mayor inaugurated a new bridge on Saturday.",
            "On Saturday the mayor inaugurated the new bridge.",
        ]);
        assert_eq!(choose(french, &candidates), 1);
    }

    #[test]
    fn a_flagged_candidate_loses_to_a_faithful_one_however_common() {
        let french = "Il coûte 600 000 euros.";
        let candidates = texts(&[
            "It costs 6 million euros.",
            "It costs 6 million euros in all.",
            "It costs 600,000 euros.",
        ]);
        assert_eq!(choose(french, &candidates), 2);
    }

    #[test]
    fn ties_and_empty_candidates_keep_the_first() {
        let french = "Bonjour.";
        assert_eq!(choose(french, &texts(&["Hello.", "Hello."])), 0);
        assert_eq!(choose(french, &texts(&["", "Hello."])), 1);
        assert_eq!(choose(french, &[]), 0);
    }
}
