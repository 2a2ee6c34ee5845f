//! `passerelle eval`: translation quality on a French news test set ([`testset`]), the plain
//! pipeline against the server's ([`translations`]), or the two ways of making the summary
//! ([`summaries`], with `--summaries`), or how well the model's confidence finds its bad
//! sentences ([`confidence`], with `--confidence-from`), or how well the summary's support score
//! finds sentences the article does not support ([`support`], with `--summary-support`), or which
//! rule chooses best among candidates ([`choices`], with `--choices`).

mod choices;
mod confidence;
mod parallel;
mod summaries;
mod support;
mod testset;
mod translations;

use crate::cli::{EvalArgs, GlobalArgs};
use std::process::ExitCode;
use testset::{Document, TestSet};

pub fn run(global: &GlobalArgs, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let set = TestSet::read(args.data.clone().unwrap_or_else(testset::default_data_dir))?;
    let chosen: Vec<&Document> = set.docs.iter().take(args.docs).collect();
    if let Some(hyps) = &args.confidence_from {
        if hyps.extension().is_some_and(|e| e == "tsv") {
            return confidence::run_again(args, hyps);
        }
        let model = crate::commands::load_backend(global)?;
        confidence::run(&model, args, &set, &chosen, hyps)
    } else if let Some(hyps) = &args.summary_support {
        let model = crate::commands::load_backend(global)?;
        support::run(&model, args, &set, &chosen, hyps)
    } else if let Some(ways) = args.choices {
        let model = crate::commands::load_backend(global)?;
        choices::run(&model, args, &set, &chosen, ways)
    } else if args.summaries {
        summaries::run(global, args, &set, &chosen)
    } else {
        translations::run(global, args, &set, &chosen)
    }
}
