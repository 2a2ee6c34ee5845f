//! Passerelle from outside: the HTTP API on a real server with tiny test models, and the real
//! default model.

// A test fails by panicking; its helpers do the same.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod browser;
mod documents;
mod features;
mod glossary;
mod history;
mod http_api;
mod layers;
mod links;
mod llama;
mod method;
mod protocols;
mod real_model;
mod remote;
mod repair;
mod support;
