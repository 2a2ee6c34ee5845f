//! Which English sentence translates which French sentence, so the page can light up a
//! sentence's counterpart. The model writes a paragraph's English as a whole, with no marks
//! kept from the French, so the pairs are found afterwards from the two texts alone: a
//! length-based alignment in the manner of Gale and Church (1993), a dynamic programme over
//! one-to-one, one-to-two, two-to-one, one-to-none and none-to-one pairs, where the cost of a
//! pair is how unlikely its English length is for its French length, plus a penalty for each
//! number that sits in the pair on one side and elsewhere in the paragraph on the other.

use std::collections::HashSet;
use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// The English of a paragraph cut into sentences, each with the French sentences it translates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Alignment {
    /// Byte ranges of the English sentences in the English text, in order.
    pub english: Vec<Range<usize>>,
    /// For each English sentence, the indices of its French sentences (none when the English
    /// has no counterpart, such as a sentence the model added).
    pub french_of: Vec<Vec<usize>>,
}

impl Alignment {
    /// The English sentences that translate French sentence `k`.
    pub fn english_of(&self, k: usize) -> Vec<usize> {
        (0..self.french_of.len())
            .filter(|&j| self.french_of[j].contains(&k))
            .collect()
    }
}

/// Pairs the English `english` with the French paragraph's `french` sentences.
pub fn align(french: &[String], english: &str) -> Alignment {
    let ranges = english_sentences(english);
    let en: Vec<&str> = ranges.iter().map(|r| &english[r.clone()]).collect();
    let beads = beads(french, &en);
    let mut french_of = vec![Vec::new(); en.len()];
    for bead in beads {
        for j in bead.english {
            french_of[j] = bead.french.clone().collect();
        }
    }
    Alignment {
        english: ranges,
        french_of,
    }
}

/// Abbreviations after which English goes on with a capitalised word.
const ABBREVIATIONS: &[&str] = &[
    "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Mt.", "Gen.", "Col.", "Lt.", "Sgt.", "Capt.",
    "Sen.", "Rep.", "Gov.", "Jr.", "Sr.", "No.", "vs.", "Inc.", "Co.", "Corp.", "Ltd.", "approx.",
];

/// The sentences of an English paragraph as byte ranges, trimmed: Unicode's sentence
/// boundaries (UAX #29), joined again after an abbreviation or an initial.
pub fn english_sentences(text: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for (start, piece) in text.split_sentence_bound_indices() {
        let trimmed = piece.trim();
        if trimmed.is_empty() {
            continue;
        }
        let lead = piece.len() - piece.trim_start().len();
        let range = start + lead..start + lead + trimmed.len();
        match out.last_mut() {
            Some(prev) if ends_with_abbreviation(&text[prev.clone()]) => prev.end = range.end,
            _ => out.push(range),
        }
    }
    out
}

fn ends_with_abbreviation(sentence: &str) -> bool {
    let Some(word) = sentence.split_whitespace().last() else {
        return false;
    };
    let word = word.trim_start_matches(['(', '"', '“']);
    let initial = {
        let mut chars = word.chars();
        matches!((chars.next(), chars.next(), chars.next()), (Some(c), Some('.'), None) if c.is_uppercase())
    };
    initial || ABBREVIATIONS.contains(&word)
}

/// One step of the alignment: French sentences `french` translated by English `english`.
#[derive(Debug, Clone, PartialEq)]
struct Bead {
    french: Range<usize>,
    english: Range<usize>,
}

/// The pairings tried, as (French sentences, English sentences, prior probability): Gale and
/// Church's figures, most pairs being one-to-one.
const SHAPES: [(usize, usize, f64); 5] = [
    (1, 1, 0.89),
    (1, 2, 0.045),
    (2, 1, 0.045),
    (1, 0, 0.01),
    (0, 1, 0.01),
];

/// Variance of English length around French length times the paragraph's ratio, per character
/// (Gale and Church's 6.8).
const VARIANCE: f64 = 6.8;

/// Cost, in nats, of a number found on one side of a pair and elsewhere on the other.
const MISPLACED_ANCHOR: f64 = 3.0;

fn beads(french: &[String], english: &[&str]) -> Vec<Bead> {
    let (n, m) = (french.len(), english.len());
    let fr_len: Vec<f64> = french.iter().map(|s| s.chars().count() as f64).collect();
    let en_len: Vec<f64> = english.iter().map(|s| s.chars().count() as f64).collect();
    // English runs shorter or longer than French by the paragraph's own ratio.
    let ratio = match (fr_len.iter().sum::<f64>(), en_len.iter().sum::<f64>()) {
        (f, e) if f > 0.0 && e > 0.0 => e / f,
        _ => 1.0,
    };
    let fr_anchors: Vec<HashSet<String>> = french.iter().map(|s| anchors(s)).collect();
    let en_anchors: Vec<HashSet<String>> = english.iter().map(|s| anchors(s)).collect();
    let all_fr: HashSet<&String> = fr_anchors.iter().flatten().collect();
    let all_en: HashSet<&String> = en_anchors.iter().flatten().collect();

    let mut cost = vec![vec![f64::INFINITY; m + 1]; n + 1];
    let mut back: Vec<Vec<Option<(usize, usize)>>> = vec![vec![None; m + 1]; n + 1];
    cost[0][0] = 0.0;
    for i in 0..=n {
        for j in 0..=m {
            if cost[i][j].is_infinite() {
                continue;
            }
            for (di, dj, prior) in SHAPES {
                let (fi, ej) = (i + di, j + dj);
                if fi > n || ej > m {
                    continue;
                }
                let lf: f64 = fr_len[i..fi].iter().sum();
                let le: f64 = en_len[j..ej].iter().sum();
                let fr_side: HashSet<&String> = fr_anchors[i..fi].iter().flatten().collect();
                let en_side: HashSet<&String> = en_anchors[j..ej].iter().flatten().collect();
                let misplaced = fr_side
                    .iter()
                    .filter(|a| !en_side.contains(*a) && all_en.contains(*a))
                    .count()
                    + en_side
                        .iter()
                        .filter(|a| !fr_side.contains(*a) && all_fr.contains(*a))
                        .count();
                let step =
                    -prior.ln() + length_cost(lf, le, ratio) + MISPLACED_ANCHOR * misplaced as f64;
                if cost[i][j] + step < cost[fi][ej] {
                    cost[fi][ej] = cost[i][j] + step;
                    back[fi][ej] = Some((i, j));
                }
            }
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (n, m);
    while let Some((pi, pj)) = back[i][j] {
        out.push(Bead {
            french: pi..i,
            english: pj..j,
        });
        (i, j) = (pi, pj);
    }
    out.reverse();
    out
}

/// How unlikely `english` characters are as the translation of `french` characters:
/// -ln P(|δ| or more), δ the length difference in standard deviations.
fn length_cost(french: f64, english: f64, ratio: f64) -> f64 {
    if french == 0.0 && english == 0.0 {
        return 0.0;
    }
    let mean = (french + english / ratio) / 2.0;
    let delta = (english - french * ratio) / (mean * VARIANCE).sqrt();
    let tail = erfc(delta.abs() / std::f64::consts::SQRT_2);
    -(tail.max(1e-12)).ln()
}

/// The complementary error function (Numerical Recipes' `erfcc`, error below 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// What a translation keeps as it is: numbers, as their digit groups, so "1,5" and "1.5" or
/// "700 000" and "700,000" agree. Names would seem to belong here too, but the model moves
/// them across sentences with the attribution of a quote ("…», estime Michael Schubert" becomes
/// "Michael Schubert said" in the quote's first sentence); on the test set, anchoring on names
/// cost 0.4 points of pairing accuracy, so they are left to the lengths.
fn anchors(sentence: &str) -> HashSet<String> {
    sentence
        .split(|c: char| !c.is_ascii_digit())
        .filter(|group| !group.is_empty())
        .map(|group| match group.trim_start_matches('0') {
            "" => "0".to_string(),
            digits => digits.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| s.to_string()).collect()
    }

    fn french_of(french: &[&str], english: &str) -> Vec<Vec<usize>> {
        align(&sentences(french), english).french_of
    }

    #[test]
    fn english_sentences_are_cut_after_their_end_not_after_an_abbreviation() {
        let text = "Mr. Smith met Dr. J. Brown in the U.S. capital.  He left at 5 p.m. on Friday. \"Done,\" he said!";
        let cut: Vec<&str> = english_sentences(text)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(
            cut,
            [
                "Mr. Smith met Dr. J. Brown in the U.S. capital.",
                "He left at 5 p.m. on Friday.",
                "\"Done,\" he said!"
            ]
        );
    }

    #[test]
    fn equal_counts_pair_one_to_one() {
        let pairs = french_of(
            &[
                "Le gouvernement a annoncé mardi un plan de 2 milliards d'euros.",
                "Les syndicats ont dénoncé une mesure insuffisante.",
                "La grève continue à Marseille.",
            ],
            "The government announced a 2 billion euro plan on Tuesday. The unions denounced an insufficient measure. The strike continues in Marseille.",
        );
        assert_eq!(pairs, [vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn a_french_sentence_split_in_two_is_one_to_two() {
        let pairs = french_of(
            &[
                "Quatorze personnes ont été arrêtées mercredi à Sherbrooke, où la police a saisi 750 plants de cannabis et quatre kilos de haschich dans trois maisons.",
                "Elles comparaîtront jeudi.",
            ],
            "Fourteen people were arrested on Wednesday in Sherbrooke. The police seized 750 cannabis plants and four kilos of hashish in three houses. They will appear in court on Thursday.",
        );
        assert_eq!(pairs, [vec![0], vec![0], vec![1]]);
    }

    #[test]
    fn two_french_sentences_merged_are_two_to_one() {
        let pairs = french_of(
            &[
                "M. Ruel est porte-parole.",
                "Il travaille à la Sûreté du Québec depuis 2004.",
                "Selon lui, l'enquête a duré huit mois à Orford et à Magog.",
            ],
            "Mr. Ruel, a spokesman, has worked for the Quebec police since 2004. According to him, the investigation lasted eight months in Orford and Magog.",
        );
        assert_eq!(pairs, [vec![0, 1], vec![2]]);
    }

    #[test]
    fn an_added_english_sentence_does_not_shift_the_pairs_after_it() {
        let alignment = align(
            &sentences(&[
                "Le maire de Lyon a inauguré lundi le nouveau pont sur le Rhône.",
                "Les travaux ont coûté 45 millions d'euros.",
            ]),
            "The mayor of Lyon inaugurated the new bridge over the Rhône on Monday. Here is the translation of the text you gave me, as requested by you. The work cost 45 million euros.",
        );
        assert_eq!(alignment.french_of[0], [0]);
        assert_eq!(alignment.french_of[2], [1]);
        assert!(alignment.english_of(1).contains(&2));
    }

    #[test]
    fn numbers_are_anchors_whatever_their_separators() {
        let mut found: Vec<String> = anchors("En 2015, 700 000 euros et 1,5 %")
            .into_iter()
            .collect();
        found.sort();
        assert_eq!(found, ["0", "1", "2015", "5", "700"]);
        assert_eq!(
            anchors("700,000 euros, 1.5% in 2015"),
            anchors("En 2015, 700 000 euros et 1,5 %")
        );
    }

    #[test]
    fn the_error_function_is_right_where_it_matters() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-6);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-6);
    }
}
