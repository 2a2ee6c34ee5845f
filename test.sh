#!/usr/bin/env bash
# Passerelle's test command: sets up what the tests need (./setup.sh --for-tests: the binary and
# every test in one build, Chromium, the model), checks formatting and lints, then runs every
# test, the real-model ones included.
set -euo pipefail
cd "$(dirname "$0")"
started=$SECONDS

./setup.sh --for-tests

step_started=$SECONDS
printf '\n==> %s\n' "Formatting and lints" >&2
cargo fmt --all --check
cargo clippy --release --locked --workspace --all-targets -- -D warnings
cargo clippy --locked -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile wasm-release -- -D warnings
lints=$((SECONDS - step_started))

step_started=$SECONDS
printf '\n==> %s\n' "Tests" >&2
cargo test --release --locked --workspace
printf '\n==> Tested in %s s (lints %s s, tests %s s, set-up included)\n' \
  "$((SECONDS - started))" "$lints" "$((SECONDS - step_started))" >&2
