#!/usr/bin/env bash
# Passerelle's test command: sets up what the tests need (./setup.sh --for-tests: the binary and
# every test in one build, Chromium, the model), linting the workspace's own crates while they
# are built, checks formatting, then runs every test, the real-model ones included.
set -euo pipefail
cd "$(dirname "$0")"
started=$SECONDS

# The lints run inside the build: cargo runs clippy-driver in place of rustc for the workspace's
# own crates (RUSTC_WORKSPACE_WRAPPER, the page's WebAssembly included), handing it `-D warnings`
# the way `cargo clippy -- -D warnings` does (CLIPPY_ARGS, cargo-clippy's own channel). A
# separate `cargo clippy` would compile every dependency a second time, in check mode. Both
# stay set for `cargo test`, so that it reuses this very build.
export RUSTC_WORKSPACE_WRAPPER=clippy-driver
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
mkdir -p target
./setup.sh --for-tests 2>&1 | tee target/setup-for-tests.log
# Were the lints to stop being errors (a toolchain that reads CLIPPY_ARGS no more), they would
# show here as warnings: that fails too.
if grep -E '^warning(\[|:)' target/setup-for-tests.log; then
  echo "the build has warnings (above): mend them" >&2
  exit 1
fi

step_started=$SECONDS
printf '\n==> %s\n' "Formatting, and the page's lints" >&2
cargo fmt --all --check
# The page's WebAssembly is linted on its own: a page built earlier without the wrapper is not
# built again, so the wrapper alone would not always see it.
cargo clippy --locked -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile wasm-release -- -D warnings
lints=$((SECONDS - step_started))

step_started=$SECONDS
printf '\n==> %s\n' "Tests" >&2
cargo test --release --locked --workspace
printf '\n==> Tested in %s s (formatting and the page lints %s s, tests %s s; the set-up and its linted build before them)\n' \
  "$((SECONDS - started))" "$lints" "$((SECONDS - step_started))" >&2
