#!/usr/bin/env bash
# The one test command: installs what it needs (scripts/setup.sh), then runs every test.
#   1. Rust core: unit, integration and property tests (native).
#   2. Builds the wasm (wasm-pack) and checks that the committed dist/ is what a fresh bundle of it gives (the
#      compressed wasm by content: brotli encoders of different Node versions may pick other bytes).
#   3. JavaScript tests on Node 24 against the committed dist/ (action, CLI, cache client over a loopback cache
#      server).
#   4. The benchmark harness's own tests (bench/test_bench.py, in the bench venv with the pinned pytest-split).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# A RUSTFLAGS from the environment would replace the wasm target's flags in .cargo/config.toml (simd128), and the
# built dist/ would then differ from the committed one.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS

step() { printf '\n=== %s ===\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "rust: cargo test"
cargo test --release --all-targets

step "build: wasm"
npm run --silent build:wasm

step "check-dist: the committed dist/ matches a fresh bundle"
if [ -n "$(git ls-files --others --exclude-standard -- dist)" ]; then
  git ls-files --others --exclude-standard -- dist
  echo "dist/ has files that are not committed: run 'npm run build' and commit dist/" >&2
  exit 1
fi
node scripts/bundle.mjs --check

step "js: node --test on Node 24"
NODE24="$PWD/.tools/node24/node_modules/node/bin/node"
"$NODE24" --test --test-concurrency=1 'tests/js/*.test.js'

step "bench: harness tests"
python3 -c 'import sys; sys.path.insert(0, "bench"); import run; run.ensure_venv()'
.tools/bench-venv/bin/python -m pytest -q bench/test_bench.py
