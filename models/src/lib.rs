//! Everything candle: loading a GGUF chat model, its tokenizer, the generation loop, and the
//! two tasks Passerelle needs on top of it (translate a French paragraph, summarize English).
//!
//! A paragraph's way through this crate: [`tasks::translate`] builds its chat and asks the
//! engine seam ([`Backend`], over a [`ChatEngine`]). The built-in engine is a loaded
//! [`Model`]: it renders the chat with its family's template, tokenizes it and sends it to the
//! engine thread (`engine`: the batched forward pass and its scheduler, running every caller's
//! sequences in the same steps); the tokens come back one by one, are decoded and streamed
//! (`generate`), and the task cleans what the model wrote. The other engine, inference servers
//! over HTTP, is the `remote` crate's. [`Model::load`] reads the file first ([`family`] decides
//! the architecture and chat template, [`tokenizer`] builds the tokenizer from the metadata)
//! and starts the engine thread. The modules depend one way: `sampling` (the engine's
//! vocabulary) ← `engine` ← `generate` ← `backend` (the seam) ← `model` ← [`tasks`].

pub mod backend;
mod engine;
mod error;
pub mod family;
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
mod generate;
pub mod likelihood;
mod model;
pub mod pace;
#[cfg(any(test, feature = "test-support"))]
pub mod reference;
mod sampling;
pub mod tasks;
pub mod tokenizer;

pub use backend::{Backend, BackendState, Chat, ChatEngine, ModelInfo, Source};
pub use engine::{Beginning, EngineConfig, EngineStats};
pub use error::ModelError;
pub use family::Family;
pub use generate::{Generation, GenerationParams, Route, Spread, TokenLogprob};
pub use model::Model;
pub use pace::Pace;
pub use sampling::{degenerate_tail, CancelToken, FinishReason, Quotation, Sampling};

/// The built-in engine's kernels on this CPU (their instruction set and revision): what the
/// engine's speed depends on besides the CPU, so a speed kept on disk is measured again when
/// they change.
pub fn engine_kernels() -> String {
    engine::kernels::description()
}

/// CPU threads candle computes with (`RAYON_NUM_THREADS`, or every core).
pub fn cpu_threads() -> usize {
    candle_core::utils::get_num_threads()
}
