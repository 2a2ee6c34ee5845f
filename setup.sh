#!/usr/bin/env bash
# Passerelle's set-up command: installs what a fresh machine lacks, builds in release mode,
# fetches the default model, then serves on http://127.0.0.1:3000.
#   ./setup.sh              set up and serve
#   ./setup.sh --no-serve   set up only (the test command uses this)
set -euo pipefail
cd "$(dirname "$0")"
# Where `cargo install` puts wasm-bindgen, whether or not the shell's profile added it.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

serve=1
for arg in "$@"; do
  case "$arg" in
    --no-serve) serve=0 ;;
    *) echo "usage: $0 [--no-serve]" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step "Checking tools"
if ! command -v cargo >/dev/null; then
  echo "Rust is needed: install it with rustup, then run $0 again." >&2
  exit 1
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "pip is missing (it downloads the model): installing python3-pip" >&2
  apt_install python3-pip
fi
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
# The command-line tool must be the very version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wasm_bindgen_version" ]; then
  echo "installing wasm-bindgen-cli $wasm_bindgen_version (a few minutes, once)" >&2
  cargo install --quiet wasm-bindgen-cli --version "$wasm_bindgen_version"
fi
# Headless Chromium and its driver, for the browser test.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing chromium and chromium-driver (for the browser test)" >&2
  apt_install chromium chromium-driver
fi

step "Building the page (WebAssembly)"
cargo build --locked -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir target/site/pkg --out-name app \
  target/wasm32-unknown-unknown/wasm-release/app.wasm

# The whole workspace with its tests, in one build: the test command then compiles nothing
# again. Building only the server would resolve some shared dependencies' features differently
# (the browser test's WebDriver client turns on parts of syn and time), and the tests would then
# rebuild nearly every crate.
step "Building Passerelle and its tests (release; the first build takes about 7 minutes on 2 cores)"
cargo build --release --locked --workspace --all-targets

step "Fetching the default model (about 1.1 GB, once)"
./target/release/passerelle models fetch

if [ "$serve" = 1 ]; then
  step "Serving on http://127.0.0.1:3000 (Ctrl-C stops)"
  exec ./target/release/passerelle serve
fi
