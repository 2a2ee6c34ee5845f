#!/usr/bin/env bash
# Passerelle's set-up command: installs what a fresh machine lacks, builds in release mode,
# fetches the default model, then serves on http://127.0.0.1:3000.
#   ./setup.sh              set up and serve
#   ./setup.sh --no-serve   set up only
#   ./setup.sh --for-tests  what the test command needs: the tests built too (in the same one
#                           build), Chromium for the browser tests, llama.cpp's llama-server
#                           for the remote engine's tests, and the official LibreTranslate,
#                           DeepL and OpenAI Python clients for the protocol tests; implies
#                           --no-serve
set -euo pipefail
cd "$(dirname "$0")"
# Where `cargo install` puts wasm-bindgen, whether or not the shell's profile added it.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

serve=1
for_tests=0
for arg in "$@"; do
  case "$arg" in
    --no-serve) serve=0 ;;
    --for-tests) for_tests=1; serve=0 ;;
    *) echo "usage: $0 [--no-serve] [--for-tests]" >&2; exit 2 ;;
  esac
done

# Each step says how long it took, and the end sums them up (the README quotes these).
started=$SECONDS
step_started=$SECONDS
step_key=""
timings=""
end_step() {
  if [ -n "$step_key" ]; then timings="$timings${timings:+, }$step_key $((SECONDS - step_started)) s"; fi
  step_key=""
}
# step KEY MESSAGE: KEY names the step in the summary, MESSAGE is shown as it starts.
step() {
  end_step
  step_key="$1"
  step_started=$SECONDS
  printf '\n==> %s\n' "$2" >&2
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step tools "Checking tools"
if ! command -v cargo >/dev/null; then
  echo "Rust is needed: install it with rustup, then run $0 again." >&2
  exit 1
fi
# The checks tell ordinary French words from names with Debian's French word list, and know
# the English names of countries and cities from the Unicode CLDR's locale data (Debian's
# unicode-cldr-core); both are read into the binary when it is built (checks/build.rs), and
# installed in one apt call, before apt is busy with Chromium.
check_data=()
if [ ! -s /usr/share/dict/french ] && [ -z "${PASSERELLE_FRENCH_WORDS:-}" ]; then
  check_data+=(wfrench)
fi
if [ ! -s /usr/share/unicode/cldr/common/main/fr.xml ] && [ -z "${PASSERELLE_CLDR_MAIN:-}" ]; then
  check_data+=(unicode-cldr-core)
fi
if [ ${#check_data[@]} -gt 0 ]; then
  echo "installing ${check_data[*]} (the word list and place names the checks build in)" >&2
  apt_install "${check_data[@]}"
fi
# Chromium is only for the browser tests. It is installed in the background while the rest is
# built (apt mostly waits on the network and the disk); the end of this script waits for it.
apt_log=target/setup-apt.log
apt_pid=""
mkdir -p target
if [ "$for_tests" = 1 ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  echo "installing chromium and chromium-driver in the background (for the browser tests; log in $apt_log)" >&2
  apt_install chromium chromium-driver >"$apt_log" 2>&1 &
  apt_pid=$!
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  if [ -n "$apt_pid" ]; then wait "$apt_pid" || { cat "$apt_log" >&2; exit 1; }; apt_pid=""; fi
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
  # Built as cargo builds any tool, not linted as the test command lints Passerelle's crates.
  env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS cargo install --quiet wasm-bindgen-cli --version "$wasm_bindgen_version"
fi

step page "Building the page (WebAssembly)"
cargo build --locked -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir target/site/pkg --out-name app \
  target/wasm32-unknown-unknown/wasm-release/app.wasm

if [ "$for_tests" = 1 ]; then
  # One build for the binary and every test: the test command then compiles nothing again.
  # (The workspace-hack crate makes a build of the server alone resolve the same features,
  # so a later `./setup.sh` reuses all of it too.)
  step build "Building Passerelle and its tests (release; about 10 minutes cold on 2 cores)"
  cargo build --release --locked --workspace --all-targets
else
  # The binary alone: no test, no test helper in it.
  step build "Building Passerelle (release; about 10 minutes cold on 2 cores)"
  cargo build --release --locked -p server --bin passerelle
fi

step model "Fetching the default model (about 1.1 GB, once)"
./target/release/passerelle models fetch

if [ "$for_tests" = 1 ]; then
  step clients "Installing the protocol tests' client libraries (Python, into target/pyclients)"
  [ -x target/pyclients/bin/python ] || python3 -m venv target/pyclients
  target/pyclients/bin/pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
  step llama "Building llama.cpp's llama-server for the remote engine's tests (about 7 minutes, once)"
  tools/llama-server.sh >/dev/null
fi

if [ -n "$apt_pid" ]; then
  step chromium "Waiting for chromium and chromium-driver"
  wait "$apt_pid" || { cat "$apt_log" >&2; echo "installing chromium failed (log above)" >&2; exit 1; }
fi
end_step
printf '\n==> Set up in %s s (%s)\n' "$((SECONDS - started))" "$timings" >&2

if [ "$serve" = 1 ]; then
  printf '\n==> %s\n' "Serving on http://127.0.0.1:3000 (Ctrl-C stops)" >&2
  exec ./target/release/passerelle serve
fi
