#!/usr/bin/env bash
# Passerelle's test command: sets up what the tests need (./setup.sh --no-serve), checks
# formatting and lints, then runs every test, the real-model ones included.
set -euo pipefail
cd "$(dirname "$0")"

./setup.sh --no-serve

printf '\n==> %s\n' "Formatting and lints" >&2
cargo fmt --all --check
cargo clippy --release --locked --workspace --all-targets -- -D warnings
cargo clippy --locked -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile wasm-release -- -D warnings

printf '\n==> %s\n' "Tests" >&2
cargo test --release --locked --workspace
