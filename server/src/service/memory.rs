//! The translation memory as the worker needs it: the English a model wrote before for the same
//! French with the same prompts. Kept in the history database ([`Store`]); `--no-history` has
//! none, and tests may keep one in memory.

use crate::history::{Store, StoreError, Writer};
use app::api::Flag;

pub trait TranslationMemory: Send + Sync {
    /// Records which model file and prompts write job `id`, so its English is filed under them.
    fn started(&self, id: &str, writer: &Writer) -> Result<(), StoreError>;
    /// The English and flags written before for the French `key` (see
    /// [`crate::history::memory_key`]) by the same model file and prompts, if any.
    fn recall(&self, key: &str, writer: &Writer)
        -> Result<Option<(String, Vec<Flag>)>, StoreError>;
}

impl TranslationMemory for Store {
    fn started(&self, id: &str, writer: &Writer) -> Result<(), StoreError> {
        Store::started(self, id, writer)
    }

    fn recall(
        &self,
        key: &str,
        writer: &Writer,
    ) -> Result<Option<(String, Vec<Flag>)>, StoreError> {
        Store::recall(self, key, writer)
    }
}
