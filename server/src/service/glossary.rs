//! Where the reader's glossary is kept: the history database, or memory with `--no-history`.
//! Both sit behind [`TermStore`]; [`Glossary`] checks a new glossary
//! ([`crate::article::glossary::validate`]) before it replaces the kept one.

use crate::article::glossary::{validate, InvalidGlossary};
use crate::history::{Store, StoreError};
use app::api::Term;
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum GlossaryError {
    #[error(transparent)]
    Invalid(#[from] InvalidGlossary),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// Keeps the reader's terms, in the reader's order. Calls may block on a disk.
pub trait TermStore: Send + Sync {
    fn load(&self) -> Result<Vec<Term>, StoreError>;
    fn save(&self, terms: &[Term]) -> Result<(), StoreError>;
}

impl TermStore for Store {
    fn load(&self) -> Result<Vec<Term>, StoreError> {
        self.glossary()
    }

    fn save(&self, terms: &[Term]) -> Result<(), StoreError> {
        self.set_glossary(terms)
    }
}

/// Terms kept for as long as the server runs.
#[derive(Debug, Default)]
pub struct TermsInMemory(Mutex<Vec<Term>>);

impl TermStore for TermsInMemory {
    fn load(&self) -> Result<Vec<Term>, StoreError> {
        Ok(self.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    fn save(&self, terms: &[Term]) -> Result<(), StoreError> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = terms.to_vec();
        Ok(())
    }
}

/// The reader's glossary, wherever it is kept.
pub struct Glossary {
    store: Arc<dyn TermStore>,
}

impl Glossary {
    /// Kept in `history`, or in memory when there is none.
    pub fn new(history: Option<Arc<Store>>) -> Self {
        let store: Arc<dyn TermStore> = match history {
            Some(store) => store,
            None => Arc::new(TermsInMemory::default()),
        };
        Self { store }
    }

    /// The terms, in the reader's order. Blocks on the database: call it off the executor.
    pub fn terms(&self) -> Result<Vec<Term>, GlossaryError> {
        Ok(self.store.load()?)
    }

    /// Replaces the glossary by `terms`, trimmed and checked; returns what was kept. A refused
    /// glossary leaves the one before it.
    pub fn replace(&self, terms: Vec<Term>) -> Result<Vec<Term>, GlossaryError> {
        let terms = validate(terms)?;
        self.store.save(&terms)?;
        Ok(terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_glossary_leaves_the_one_before_it() {
        let glossary = Glossary::new(None);
        let otsc = Term {
            french: " OTSC ".into(),
            english: "CSTO".into(),
        };
        let kept = glossary.replace(vec![otsc]).expect("a good glossary");
        assert_eq!(kept[0].french, "OTSC");
        assert_eq!(glossary.terms().expect("terms"), kept);
        let empty = Term {
            french: "BCE".into(),
            english: " ".into(),
        };
        assert!(matches!(
            glossary.replace(vec![kept[0].clone(), empty]),
            Err(GlossaryError::Invalid(InvalidGlossary::Empty(2)))
        ));
        assert_eq!(glossary.terms().expect("terms"), kept);
    }
}
