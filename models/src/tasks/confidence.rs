//! How sure the model is of an English sentence it wrote, read from the model itself (no second
//! model; the published measures are in `shared/notes/confidence.md`), all in prompt passes:
//! - the log-probabilities of the sentence's tokens as they were written (mean and minimum),
//!   read again from the chat they were written from;
//! - a scored round trip: the probability of the French given the English, read with a
//!   "translate into French" instruction. English that says something the French does not makes
//!   the French unlikely, which writing probabilities alone do not show;
//! - the French alone, as news with nothing to translate: hard French is where translations go
//!   wrong. (The English alone was read too until 2026-12-05: it weighed next to nothing beside
//!   the others, and cost a prompt pass a sentence.)
//!
//! They are combined into one score per sentence ([`Signals::unsure_score`]), whose weights and
//! threshold are fitted by `passerelle eval --confidence-from` on the dev set against the worst
//! tenth of sentences by chrF. A summary sentence is scored by how much likelier the article
//! made it ([`support`]).

use super::{summarize, translate};
use crate::{Backend, CancelToken, Chat, ModelError, Spread, TokenLogprob};

/// The instructions of the round trip: the reverse of the translation's own.
pub(crate) const BACK_SYSTEM: &str =
    "You are a professional translator of news articles from English into French. \
Translate the English text the user sends into natural French. Reply with the French \
translation only.";

/// What the model says of one English sentence. Any signal may be missing: an engine that
/// gives no probabilities, a sentence not found in what was written.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Signals {
    /// Mean log-probability of the sentence's tokens as they were written.
    pub written_mean: Option<f32>,
    /// The least likely token's log-probability.
    pub written_min: Option<f32>,
    /// Mean log-probability per token of the French sentence(s) given this English.
    pub back_mean: Option<f32>,
    /// Mean log-probability per token of the same French alone ([`french_alone`]).
    pub french_alone: Option<f32>,
    /// Mean boosted log-probability of the sentence's tokens as written ([`Likelihood`]).
    ///
    /// [`Likelihood`]: crate::likelihood::Likelihood
    pub written_boosted: Option<f32>,
    /// Mean entropy of the distributions the sentence's tokens were written from.
    pub written_entropy: Option<f32>,
    /// Mean boosted log-probability per token of the round trip's French.
    pub back_boosted: Option<f32>,
}

/// The names of [`Signals::features`], in order.
pub const FEATURES: [&str; 4] = ["written mean", "written min", "round trip", "French alone"];

/// A logistic score over standardized signals, fitted by `passerelle eval --confidence-from`
/// on the dev set's even documents against the worst tenth of sentences by chrF: above
/// `threshold`, the most sentences marked on the fit half with at least 40% of them in the
/// worst tenth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub means: &'static [f64],
    pub spreads: &'static [f64],
    pub weights: &'static [f64],
    pub bias: f64,
    pub threshold: f64,
}

impl Fit {
    /// The log-odds that a sentence with these signals is among the worst tenth.
    pub fn score(&self, signals: &[f64]) -> f64 {
        self.bias
            + signals
                .iter()
                .zip(self.means)
                .zip(self.spreads)
                .zip(self.weights)
                .map(|(((x, m), s), w)| w * (x - m) / s)
                .sum::<f64>()
    }
}

/// Every signal ([`FEATURES`]): the built-in engine's score. Fitted by `passerelle eval --docs
/// 26 --confidence-from` on the default pipeline's paragraph output (context `article`,
/// repaired; signals read 2026-12-04, fitted 2026-12-05), no weight above 0: AUC 0.683 on the
/// fit half, 0.809 held out; at the threshold 16 held-out sentences marked, 6 of them in the
/// worst tenth (README, "Translation quality"). The minimum tells nothing beside the mean
/// (weight 0).
pub const UNSURE: Fit = Fit {
    means: &[-0.29083, -1.50609, -1.16994, -3.41972],
    spreads: &[0.13751, 0.96465, 0.48106, 0.77010],
    weights: &[-0.16337, 0.0, -0.35946, -0.33720],
    bias: -2.18565,
    threshold: -1.21296,
};

/// Written mean and minimum only: engines that cannot score a given text (remote servers give
/// probabilities only of what they write). The same run: AUC 0.644 fit, 0.747 held out; its
/// threshold marks only the least sure few (none of the held-out half).
pub const UNSURE_WRITTEN: Fit = Fit {
    means: &[-0.29354, -1.50520],
    spreads: &[0.15483, 1.05126],
    weights: &[-0.41251, 0.0],
    bias: -2.04794,
    threshold: 0.19081,
};

/// The written mean log-probability at and above which a sentence is not read again for the
/// round trip or its French alone (a cascade: those passes are most of the confidence step's
/// cost). Chosen with `passerelle eval --docs 26 --confidence-from` (2026-12-05, the table of
/// 2026-12-04): on the fit half no sentence that sure was both marked by [`UNSURE`] and in the
/// worst tenth (the surest such had -0.263); of those sentences, the marks were false alarms
/// (a one-word sentence, "It was a super experience."). It skips 41% of the fit half's
/// sentences, 46% of the held-out half's, whose marks go from 16 (6 in the worst tenth) to 14
/// (6). A sentence so sure is never marked by the written signals alone either
/// ([`UNSURE_WRITTEN`] needs a mean below about -1.1).
pub const SURE_AS_WRITTEN: f32 = -0.25;

/// Whether a sentence written with this mean log-probability is read no further
/// ([`SURE_AS_WRITTEN`]).
pub fn written_surely(mean: f32) -> bool {
    mean >= SURE_AS_WRITTEN
}

impl Signals {
    /// Whether the sentence was written surely enough to be read no further
    /// ([`SURE_AS_WRITTEN`]).
    pub fn sure_as_written(&self) -> bool {
        self.written_mean.is_some_and(written_surely)
    }

    /// What the score reads, in the order of [`FEATURES`]: every signal, each a
    /// log-probability, so that a lower one never makes a sentence surer (French unlikely by
    /// itself is hard French). `None` unless every signal was read.
    pub fn features(&self) -> Option<[f64; 4]> {
        Some(
            [
                self.written_mean?,
                self.written_min?,
                self.back_mean?,
                self.french_alone?,
            ]
            .map(f64::from),
        )
    }

    /// The written signals alone: what an engine that cannot score a given text gives.
    pub fn written_features(&self) -> Option<[f64; 2]> {
        Some([self.written_mean?, self.written_min?].map(f64::from))
    }

    /// How far the sentence is past the unsure threshold (above 0: unsure), with the round
    /// trip where it was read; `None` without the written signals.
    pub fn unsure_score(&self) -> Option<f64> {
        match self.features() {
            Some(all) => Some(UNSURE.score(&all) - UNSURE.threshold),
            None => self
                .written_features()
                .map(|w| UNSURE_WRITTEN.score(&w) - UNSURE_WRITTEN.threshold),
        }
    }

    pub fn is_unsure(&self) -> bool {
        self.unsure_score().is_some_and(|s| s > 0.0)
    }
}

/// Whether a sentence is scored at all: one with no letter in it (a closing quotation mark or
/// a dash the sentence split left alone) says nothing, and its few tokens' probabilities are
/// noise.
pub fn scorable(sentence: &str) -> bool {
    sentence.chars().any(char::is_alphabetic)
}

/// What a sentence's tokens say, from the tokens as written or scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenStats {
    /// Mean log-probability.
    pub mean: f32,
    /// The least likely token's log-probability.
    pub min: f32,
    /// Mean boosted log-probability, where the engine gives the distribution.
    pub boosted: Option<f32>,
    /// Mean entropy of the distributions, where the engine gives them.
    pub entropy: Option<f32>,
}

impl TokenStats {
    /// `None` for no tokens.
    fn of(tokens: &[&TokenLogprob]) -> Option<Self> {
        if tokens.is_empty() {
            return None;
        }
        let n = tokens.len() as f32;
        let spread_mean = |part: fn(&Spread) -> f32| -> Option<f32> {
            let values: Option<Vec<f32>> =
                tokens.iter().map(|t| t.spread.as_ref().map(part)).collect();
            values.map(|v| v.iter().sum::<f32>() / n)
        };
        Some(Self {
            mean: tokens.iter().map(|t| t.logprob).sum::<f32>() / n,
            min: tokens
                .iter()
                .map(|t| t.logprob)
                .fold(f32::INFINITY, f32::min),
            boosted: spread_mean(|s| s.boosted),
            entropy: spread_mean(|s| s.entropy),
        })
    }
}

/// The written tokens' signals for each sentence of the English, in order: each sentence is
/// found in the text the tokens spell (from where the previous one ended), and the tokens that
/// overlap it are its tokens. `None` for a sentence not found there (the clean-up changed it).
pub fn written(tokens: &[TokenLogprob], sentences: &[&str]) -> Vec<Option<TokenStats>> {
    let mut spans = Vec::with_capacity(tokens.len());
    let mut text = String::new();
    for t in tokens {
        let start = text.len();
        text.push_str(&t.token);
        spans.push((start, text.len(), t));
    }
    let mut from = 0;
    sentences
        .iter()
        .map(|sentence| {
            let wanted = sentence.trim();
            if wanted.is_empty() {
                return None;
            }
            let at = from + text.get(from..)?.find(wanted)?;
            let end = at + wanted.len();
            from = end;
            let inside: Vec<&TokenLogprob> = spans
                .iter()
                .filter(|(s, e, _)| *s < end && *e > at)
                .map(|(_, _, t)| *t)
                .collect();
            TokenStats::of(&inside)
        })
        .collect()
}

/// The tokens `english` would have had if the model had written it as the translation of
/// `french` from the chat `ask` makes (instructions, terms, the previous paragraph), in one
/// prompt pass: the written signals of an English that went through repairs, or that was not
/// written here (the evaluation's stored translations). `None` where the engine cannot score.
pub fn reread(
    model: &Backend,
    french: &str,
    english: &str,
    ask: &translate::Ask<'_>,
    cancel: &CancelToken,
) -> Result<Option<Vec<TokenLogprob>>, ModelError> {
    let Some(chat) = without_room(translate::written_chat(model, french, ask, english).map(Some))?
    else {
        return Ok(None);
    };
    without_room(model.score(&chat, english, cancel))
}

/// Confidence is a help, never a reason to fail: a text too long to score with its French (the
/// model's window, the engine's memory budget), with nothing in it, or that the tokenizer
/// cannot read back is scored by nothing.
fn without_room<T>(scored: Result<Option<T>, ModelError>) -> Result<Option<T>, ModelError> {
    match scored {
        Err(
            ModelError::PromptTooLong { .. }
            | ModelError::KvBudget { .. }
            | ModelError::EmptyPrompt
            | ModelError::RoundTrip { .. },
        ) => Ok(None),
        other => other,
    }
}

/// Instructions under which a French sentence is scored with nothing to translate: how likely
/// the model finds it as news by itself; and a summary with no article ([`support`]).
pub(crate) const FRENCH_ALONE_SYSTEM: &str =
    "You are a journalist who writes news articles in French.";
pub(crate) const ENGLISH_ALONE_SYSTEM: &str =
    "You are a journalist who writes news articles in English.";
pub(crate) const ALONE_ASK: &str = "Write one sentence of a news article.";

/// Mean log-probability per token of `french` as a sentence of French news, with nothing to
/// translate: how hard the model finds it by itself.
pub fn french_alone(
    model: &Backend,
    french: &str,
    cancel: &CancelToken,
) -> Result<Option<f32>, ModelError> {
    mean_logprob(
        model,
        &Chat::new(FRENCH_ALONE_SYSTEM, ALONE_ASK),
        french,
        cancel,
    )
}

fn mean_logprob(
    model: &Backend,
    chat: &Chat,
    text: &str,
    cancel: &CancelToken,
) -> Result<Option<f32>, ModelError> {
    Ok(scored(model, chat, text, cancel)?.map(|stats| stats.mean))
}

/// What `text`'s tokens say as the answer to `chat`, in one prompt pass.
fn scored(
    model: &Backend,
    chat: &Chat,
    text: &str,
    cancel: &CancelToken,
) -> Result<Option<TokenStats>, ModelError> {
    Ok(
        without_room(model.score(chat, text.trim(), cancel))?.and_then(|tokens| {
            let tokens: Vec<&TokenLogprob> = tokens.iter().collect();
            TokenStats::of(&tokens)
        }),
    )
}

/// Instructions under which a summary is scored with no article: how likely it is as a
/// summary of any news.
pub(crate) const SUMMARY_ALONE_ASK: &str = "Write a summary of a news article in one paragraph.";

/// How much reading `article` made each sentence of its `summary` more likely: per sentence,
/// the mean log-probability of its tokens in the summary as written from the article, less
/// the same with no article ([`ENGLISH_ALONE_SYSTEM`]). A sentence the article does not
/// support gains little or nothing from it. `None` for a sentence not found in the summary, or
/// for every one where the engine cannot score. `as_written`: the tokens the summary's
/// sentences were written as, each from a request that held the article: where every sentence
/// is found among them (nothing changed since), they give its probability from the article
/// (the engine reports each token's probability from the raw logits, before anything is
/// refused), and the summary is not read again from the article.
pub fn support(
    model: &Backend,
    article: &str,
    summary: &str,
    sentences: &[&str],
    as_written: Option<&[TokenLogprob]>,
    cancel: &CancelToken,
) -> Result<Vec<Option<f32>>, ModelError> {
    let nothing = || vec![None; sentences.len()];
    let as_written = as_written
        .map(|tokens| written(tokens, sentences))
        .filter(|found| found.iter().all(Option::is_some));
    let given = match as_written {
        Some(found) => found,
        None => {
            let Some(chat) = without_room(summarize::written_chat(model, article).map(Some))?
            else {
                return Ok(nothing());
            };
            let Some(given) = without_room(model.score(&chat, summary, cancel))? else {
                return Ok(nothing());
            };
            written(&given, sentences)
        }
    };
    let no_article = Chat::new(ENGLISH_ALONE_SYSTEM, SUMMARY_ALONE_ASK);
    let Some(alone) = without_room(model.score(&no_article, summary, cancel))? else {
        return Ok(nothing());
    };
    Ok(given
        .into_iter()
        .zip(written(&alone, sentences))
        .map(|(given, alone)| Some(given?.mean - alone?.mean))
        .collect())
}

/// The least gain in likelihood ([`support`], nats per token) a summary sentence may have
/// before it is marked as unsupported by the article. Chosen by `passerelle eval --docs 26
/// --summary-support` on the default pipeline's English (2026-12-03) as the highest that marks
/// at most one in twenty of the model's own sentences on the even documents: held out, it
/// marks 2 of 51 own sentences and all 13 sentences taken from another article's summary
/// (which gained 0.78 at most; the model's own, 1.19 at least).
pub const SUMMARY_SUPPORT: f64 = 1.777;

/// The round trip: what the tokens of `french` say as the model's French for `english`.
/// `None` where the engine cannot score.
pub fn back(
    model: &Backend,
    english: &str,
    french: &str,
    cancel: &CancelToken,
) -> Result<Option<TokenStats>, ModelError> {
    scored(
        model,
        &Chat::new(BACK_SYSTEM, english.trim()),
        french,
        cancel,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_with_its_written_tokens_gains_the_same_without_a_pass_from_the_article() {
        let (_dir, model) = crate::fixtures::TinyModel::qwen2().loaded();
        let model = Backend::built_in(model);
        let read = || model.model().expect("built in").engine_stats().prompt_read;
        let (article, summary) = ("The mayor spoke. The council voted.", "The mayor spoke.");
        let sentences = [summary];
        let cancel = CancelToken::new();
        let chat = summarize::written_chat(&model, article).expect("chat");
        let written = model
            .score(&chat, summary, &cancel)
            .expect("score")
            .expect("the built-in engine scores");
        let before = read();
        let again = support(&model, article, summary, &sentences, None, &cancel).expect("support");
        let read_again = read() - before;
        let before = read();
        let kept = support(
            &model,
            article,
            summary,
            &sentences,
            Some(&written),
            &cancel,
        )
        .expect("support");
        let read_kept = read() - before;
        assert!(again[0].is_some());
        assert_eq!(again, kept);
        // The pass from the article is the one not read: scoring reads at least the summary
        // (every one of its tokens needs its logits), whatever of the chat it can reuse.
        let answer = model.count_tokens(summary).expect("count") as u64;
        assert!(
            read_kept + answer <= read_again,
            "read {read_kept} with the written tokens, {read_again} without"
        );
    }

    fn tokens(parts: &[(&str, f32)]) -> Vec<TokenLogprob> {
        parts
            .iter()
            .map(|(t, lp)| TokenLogprob {
                token: t.to_string(),
                logprob: *lp,
                spread: None,
            })
            .collect()
    }

    #[test]
    fn each_sentence_gets_the_tokens_that_wrote_it() {
        let written_tokens = tokens(&[
            ("He", -0.1),
            (" left", -0.3),
            (".", -0.2),
            (" She", -1.0),
            (" stayed", -3.0),
            (".", -2.0),
        ]);
        let got = written(&written_tokens, &["He left.", "She stayed.", "Nowhere."]);
        let first = got[0].expect("first found");
        assert!((first.mean - (-0.2)).abs() < 1e-6 && (first.min - (-0.3)).abs() < 1e-6);
        let second = got[1].expect("second found");
        assert!((second.mean - (-2.0)).abs() < 1e-6 && (second.min - (-3.0)).abs() < 1e-6);
        // No distribution came with these tokens (as from a remote server).
        assert_eq!((second.boosted, second.entropy), (None, None));
        assert_eq!(got[2], None);
    }

    #[test]
    fn a_sentence_reads_its_tokens_distributions_only_where_every_token_has_one() {
        let spread = |boosted: f32, entropy: f32| Some(Spread { boosted, entropy });
        let mut written_tokens = tokens(&[("He", -1.0), (" left", -3.0), (".", -0.5)]);
        written_tokens[0].spread = spread(-0.5, 1.0);
        written_tokens[1].spread = spread(-0.5, 3.0);
        let got = written(&written_tokens, &["He left."])[0].expect("found");
        assert_eq!(got.boosted, None, "the full stop came without one");
        written_tokens[2].spread = spread(-0.2, 2.0);
        let got = written(&written_tokens, &["He left."])[0].expect("found");
        assert!((got.boosted.expect("boosted") - (-0.4)).abs() < 1e-6);
        assert!((got.entropy.expect("entropy") - 2.0).abs() < 1e-6);
        assert!((got.mean - (-1.5)).abs() < 1e-6);
    }
}
