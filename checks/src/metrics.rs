//! chrF and BLEU exactly as sacreBLEU 2 computes them with its defaults (chrF: character 6-grams,
//! beta 2, whitespace removed; BLEU: corpus level, `13a` tokenization, 4-grams, `exp`
//! smoothing), over line-aligned hypotheses and references.
//!
//! Written here rather than taken from a crate: no Rust crate reproduces sacreBLEU's numbers,
//! and these are checked against sacreBLEU's own output in the tests below.

use regex::Regex;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::LazyLock;

const CHAR_ORDER: usize = 6;
const BETA: f64 = 2.0;
const BLEU_ORDER: usize = 4;

fn counts<T: Hash + Eq>(items: impl Iterator<Item = T>) -> HashMap<T, usize> {
    let mut map = HashMap::new();
    for item in items {
        *map.entry(item).or_insert(0) += 1;
    }
    map
}

/// `[hyp, ref, match]` counts, clipped as sacreBLEU clips them.
fn match_stats<T: Hash + Eq>(hyp: &HashMap<T, usize>, reference: &HashMap<T, usize>) -> [usize; 3] {
    let mut matched = 0;
    let mut hyp_total = 0;
    for (ngram, n) in hyp {
        hyp_total += n;
        if let Some(r) = reference.get(ngram) {
            matched += (*n).min(*r);
        }
    }
    let hyp_total = if reference.is_empty() { 0 } else { hyp_total };
    [hyp_total, reference.values().sum(), matched]
}

/// Corpus chrF, 0 to 100.
pub fn chrf(hyps: &[String], refs: &[String]) -> f64 {
    let mut stats = [[0usize; 3]; CHAR_ORDER];
    for (hyp, reference) in hyps.iter().zip(refs) {
        let h: Vec<char> = hyp.chars().filter(|c| !c.is_whitespace()).collect();
        let r: Vec<char> = reference.chars().filter(|c| !c.is_whitespace()).collect();
        for (n, total) in stats.iter_mut().enumerate() {
            let order = n + 1;
            let s = match_stats(&counts(h.windows(order)), &counts(r.windows(order)));
            for k in 0..3 {
                total[k] += s[k];
            }
        }
    }
    let factor = BETA * BETA;
    let (mut avg_prec, mut avg_rec, mut effective) = (0.0, 0.0, 0usize);
    for [n_hyp, n_ref, n_match] in stats {
        if n_hyp > 0 && n_ref > 0 {
            avg_prec += n_match as f64 / n_hyp as f64;
            avg_rec += n_match as f64 / n_ref as f64;
            effective += 1;
        }
    }
    if effective == 0 {
        return 0.0;
    }
    avg_prec /= effective as f64;
    avg_rec /= effective as f64;
    if avg_prec + avg_rec == 0.0 {
        return 0.0;
    }
    100.0 * (1.0 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec)
}

static TOKEN_RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"([\{-~\[-` -&\(-\+:-@/])", " $1 "),
        (r"([^0-9])([\.,])", "$1 $2 "),
        (r"([\.,])([^0-9])", " $1 $2"),
        (r"([0-9])(-)", "$1 $2 "),
    ]
    .into_iter()
    .filter_map(|(pattern, replacement)| Regex::new(pattern).ok().map(|re| (re, replacement)))
    .collect()
});

/// sacreBLEU's `13a` tokenizer (mteval-v13a).
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    let mut line = format!(" {line} ");
    for (re, replacement) in TOKEN_RULES.iter() {
        line = re.replace_all(&line, *replacement).into_owned();
    }
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Corpus BLEU, 0 to 100.
pub fn bleu(hyps: &[String], refs: &[String]) -> f64 {
    let mut correct = [0usize; BLEU_ORDER];
    let mut total = [0usize; BLEU_ORDER];
    let (mut sys_len, mut ref_len) = (0usize, 0usize);
    for (hyp, reference) in hyps.iter().zip(refs) {
        let h = tokenize_13a(hyp);
        let r = tokenize_13a(reference);
        let h: Vec<&str> = h.split_whitespace().collect();
        let r: Vec<&str> = r.split_whitespace().collect();
        sys_len += h.len();
        ref_len += r.len();
        for n in 0..BLEU_ORDER {
            let s = match_stats(&counts(h.windows(n + 1)), &counts(r.windows(n + 1)));
            // BLEU counts every hypothesis n-gram, whether or not the reference has any.
            total[n] += h.len().saturating_sub(n);
            correct[n] += s[2];
        }
    }
    if correct.iter().all(|&c| c == 0) {
        return 0.0;
    }
    let brevity = if sys_len < ref_len {
        if sys_len > 0 {
            (1.0 - ref_len as f64 / sys_len as f64).exp()
        } else {
            0.0
        }
    } else {
        1.0
    };
    let mut precisions = [0.0f64; BLEU_ORDER];
    let mut smooth = 1.0;
    for n in 0..BLEU_ORDER {
        if total[n] == 0 {
            break;
        }
        precisions[n] = if correct[n] == 0 {
            smooth *= 2.0;
            100.0 / (smooth * total[n] as f64)
        } else {
            100.0 * correct[n] as f64 / total[n] as f64
        };
    }
    let log = |p: f64| if p == 0.0 { -9_999_999_999.0 } else { p.ln() };
    brevity * (precisions.iter().map(|&p| log(p)).sum::<f64>() / BLEU_ORDER as f64).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    // Expected values printed by sacreBLEU 2.6.0 (pip install sacrebleu):
    //   sacrebleu.corpus_chrf(hyps, [refs]).score, sacrebleu.corpus_bleu(hyps, [refs]).score
    const HYPS: &[&str] = &[
        "The mayor of Lyon announced on Tuesday the construction of three new schools.",
        "Work will begin in spring and cost 25 million euros.",
        "\"We will not give up,\" said the minister - at 10:30 p.m.",
        "It's 3,000 people, or 2.5% more!",
    ];
    const REFS: &[&str] = &[
        "On Tuesday, the mayor of Lyon announced that three new schools would be built.",
        "The work will start in the spring and will cost EUR 25 million.",
        "\"We will never give up\", the minister said at 10.30pm.",
        "That is 3,000 people, 2.5 % more.",
    ];

    #[test]
    fn chrf_matches_sacrebleu() {
        let score = chrf(&lines(HYPS), &lines(REFS));
        assert!((score - CHRF_EXPECTED).abs() < 1e-6, "{score}");
        assert_eq!(chrf(&lines(REFS), &lines(REFS)), 100.0);
    }

    #[test]
    fn bleu_matches_sacrebleu() {
        let score = bleu(&lines(HYPS), &lines(REFS));
        assert!((score - BLEU_EXPECTED).abs() < 1e-6, "{score}");
        assert!((bleu(&lines(REFS), &lines(REFS)) - 100.0).abs() < 1e-9);
        assert_eq!(bleu(&lines(&["x"]), &lines(&["y"])), 0.0);
    }

    #[test]
    fn tokenization_matches_13a() {
        assert_eq!(tokenize_13a(HYPS[2]), TOKENS_EXPECTED);
        assert_eq!(tokenize_13a(HYPS[3]), "It's 3,000 people , or 2.5 % more !");
    }

    const CHRF_EXPECTED: f64 = 55.543067653924496;
    const BLEU_EXPECTED: f64 = 15.786779061594974;
    const TOKENS_EXPECTED: &str =
        "\" We will not give up , \" said the minister - at 10 : 30 p . m .";
}
