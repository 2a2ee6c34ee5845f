//! Checks of what the model wrote, as plain text work: no model, no candle. A paragraph's English
//! is compared with its French ([`check_translation`]): numbers with their scale, in digits or
//! in words ([`numbers`]), the currencies of amounts ([`currencies`]), month and weekday names
//! ([`calendar`]), names and acronyms ([`names`], which leaves out
//! ordinary French words by the [`lexicon`], and knows the English of [`places`]), the reader's
//! terms ([`glossary`]), content gone missing and French left in ([`language`]); a summary with its
//! article ([`check_summary`]). Each mismatch is a [`Flag`]. [`metrics`] scores English against
//! English (chrF, BLEU), for choosing among candidates and for the evaluation; [`words`] are the
//! word sets a summary is matched with its article by.
//!
//! The engine does not depend on these rules, so changing one rebuilds only this crate and
//! what uses it.

pub mod calendar;
mod cldr;
mod compare;
pub mod currencies;
mod flag;
pub mod glossary;
pub mod language;
pub mod lexicon;
pub mod metrics;
pub mod names;
pub mod numbers;
pub mod places;
pub mod quotes;
pub mod words;

pub use compare::{
    check_summary, check_translation, check_translation_after, facts, summary_mended,
    translation_mended,
};
pub use flag::{Flag, FlagKind};
