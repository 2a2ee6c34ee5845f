//! Choosing one English among several candidates of the same paragraph: by the model's own
//! confidence ([`choose_by_confidence`]), or by their agreement (minimum-Bayes-risk selection
//! with chrF as the utility: the candidate that shares the most with the others is the one
//! least likely to hold a candidate's own slip). Faithfulness comes first: only the candidates
//! with the fewest checker flags compete.

use checks::check_translation_after;
use checks::metrics::chrf;
use models::tasks::{self, TaskOutput};
use models::{Backend, CancelToken, ModelError, Sampling};

/// How varied sampled candidates are (the extra candidates, the rewrites of unsure
/// sentences): enough to differ where the model hesitates, not so much that they wander from
/// the French.
const CANDIDATE_TEMPERATURE: f64 = 0.6;
const CANDIDATE_TOP_P: f64 = 0.9;

/// How the `k`-th candidate of a choice is written: the first greedy (the English the reader
/// sees first), the others sampled with `seed`.
pub fn candidate_sampling(k: usize, seed: u64) -> Sampling {
    if k == 0 {
        Sampling::Greedy
    } else {
        Sampling::Temperature {
            temperature: CANDIDATE_TEMPERATURE,
            top_p: CANDIDATE_TOP_P,
            seed,
        }
    }
}

/// The candidates `ks` of `french`, each asked as `ask` but written as the `k`-th candidate is
/// ([`candidate_sampling`], with `seed(k)`), written at once so that the engine batches them;
/// `what` names them should a thread panic.
pub fn written(
    model: &Backend,
    french: &str,
    ask: &tasks::Ask<'_>,
    ks: std::ops::Range<usize>,
    seed: impl Fn(usize) -> u64 + Sync,
    what: &str,
    cancel: &CancelToken,
) -> Result<Vec<TaskOutput>, ModelError> {
    std::thread::scope(|scope| {
        let threads: Vec<_> = ks
            .map(|k| {
                let ask = tasks::Ask {
                    sampling: candidate_sampling(k, seed(k)),
                    ..ask.clone()
                };
                scope.spawn(move || tasks::translate(model, french, &ask, cancel, &mut |_| {}))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| super::joined(t, what))
            .collect()
    })
}

/// The index of the chosen candidate; on a tie, the earliest (the greedy one, which the reader
/// has already seen, comes first). `shown`: the French the model was shown before the
/// paragraph, whose names the English may take.
pub fn choose(shown: &str, french: &str, candidates: &[String]) -> usize {
    // Alone, a candidate is chosen unchecked: the repair step checks it right after.
    if candidates.len() < 2 {
        return 0;
    }
    let agreement = |i: usize| -> f64 {
        let mine = [candidates[i].clone()];
        (0..candidates.len())
            .filter(|&j| j != i)
            .map(|j| chrf(&mine, std::slice::from_ref(&candidates[j])))
            .sum()
    };
    best_of(&faithful(shown, french, candidates), agreement)
}

/// Like [`choose`], by the model's confidence instead of agreement: among the candidates with
/// the fewest flags, the least unsure (`unsure`: each candidate's mean unsure score, `None`
/// where it could not be scored). By agreement when none could be.
pub fn choose_by_confidence(
    shown: &str,
    french: &str,
    candidates: &[String],
    unsure: &[Option<f64>],
) -> usize {
    if candidates.len() < 2 {
        return 0;
    }
    if unsure.iter().all(Option::is_none) {
        return choose(shown, french, candidates);
    }
    let sure = |i: usize| -unsure.get(i).copied().flatten().unwrap_or(f64::INFINITY);
    best_of(&faithful(shown, french, candidates), sure)
}

/// The candidates with the fewest checker flags (an empty one is never among them unless all
/// are empty).
fn faithful(shown: &str, french: &str, candidates: &[String]) -> Vec<usize> {
    let flags: Vec<usize> = candidates
        .iter()
        .map(|c| {
            if c.trim().is_empty() {
                usize::MAX
            } else {
                check_translation_after(shown, french, c).len()
            }
        })
        .collect();
    let fewest = flags.iter().copied().min().unwrap_or(0);
    (0..candidates.len())
        .filter(|&i| flags[i] == fewest)
        .collect()
}

/// The one of `among` with the highest `score`; the earliest on a tie.
fn best_of(among: &[usize], score: impl Fn(usize) -> f64) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for &i in among {
        let s = score(i);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
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
        assert_eq!(choose("", french, &candidates), 1);
    }

    #[test]
    fn a_flagged_candidate_loses_to_a_faithful_one_however_common() {
        let french = "Il coûte 600 000 euros.";
        let candidates = texts(&[
            "It costs 6 million euros.",
            "It costs 6 million euros in all.",
            "It costs 600,000 euros.",
        ]);
        assert_eq!(choose("", french, &candidates), 2);
    }

    #[test]
    fn a_name_the_english_takes_from_the_french_shown_before_does_not_count_against_it() {
        let shown = "L'Organisation pour la sécurité et la coopération en Europe (OSCE) se réunit.";
        let french = "L'Organisation espère attirer de nouveaux membres.";
        // The first names the organisation as the paragraph before did; the second invents one.
        let candidates = texts(&[
            "The OSCE hopes to attract new members.",
            "The OECD hopes to attract new members.",
        ]);
        assert_eq!(choose(shown, french, &candidates), 0);
        // Alone, both add an acronym the French lacks, and the tie keeps the first.
        assert_eq!(faithful("", french, &candidates), vec![0, 1]);
        assert_eq!(faithful(shown, french, &candidates), vec![0]);
    }

    #[test]
    fn ties_and_empty_candidates_keep_the_first() {
        let french = "Bonjour.";
        assert_eq!(choose("", french, &texts(&["Hello.", "Hello."])), 0);
        assert_eq!(choose("", french, &texts(&["", "Hello."])), 1);
        assert_eq!(choose("", french, &[]), 0);
    }

    #[test]
    fn by_confidence_the_least_unsure_faithful_candidate_wins() {
        let french = "Il coûte 600 000 euros.";
        let candidates = texts(&[
            "It costs 600,000 euros.",
            "It costs 6 million euros.",
            "The cost is 600,000 euros.",
        ]);
        // The second is surest but loses a number; of the two faithful ones the third is surer.
        let unsure = [Some(0.5), Some(-3.0), Some(-1.0)];
        assert_eq!(choose_by_confidence("", french, &candidates, &unsure), 2);
        // A candidate that could not be scored is not chosen over one that was.
        let unsure = [None, Some(-3.0), Some(2.0)];
        assert_eq!(choose_by_confidence("", french, &candidates, &unsure), 2);
        // With no scores at all, agreement chooses, as `choose` does.
        assert_eq!(
            choose_by_confidence("", french, &candidates, &[None, None, None]),
            choose("", french, &candidates)
        );
    }
}
