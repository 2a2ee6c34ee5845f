//! Everything candle: loading a GGUF chat model, its tokenizer, the generation loop, and the
//! two tasks Passerelle needs on top of it (translate a French paragraph, summarize English).
//!
//! The flow inside this crate is one way: [`Model::load`] reads the file ([`family`] decides the
//! architecture and chat template, [`tokenizer`] builds the tokenizer from the metadata) and
//! starts the engine thread ([`engine`]: the batched forward pass and its scheduler); then
//! [`Model::generate`], from any number of threads at once, turns a prompt into streamed text
//! ([`generate`]), and [`tasks`] build the prompts and clean what the model wrote.

mod engine;
mod error;
pub mod family;
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
mod generate;
mod model;
#[cfg(any(test, feature = "test-support"))]
pub mod reference;
mod sampling;
pub mod tasks;
pub mod tokenizer;

pub use engine::{EngineConfig, EngineStats};
pub use error::ModelError;
pub use family::Family;
pub use generate::{Generation, GenerationParams};
pub use model::{Model, ModelInfo};
pub use sampling::{CancelToken, FinishReason, Sampling};

/// CPU threads candle computes with (`RAYON_NUM_THREADS`, or every core).
pub fn cpu_threads() -> usize {
    candle_core::utils::get_num_threads()
}
