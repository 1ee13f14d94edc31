#!/usr/bin/env bash
# The one test command: installs what it needs (scripts/setup.sh), then runs every test.
#   1. Rust core: unit, integration and property tests (native).
#   2. Builds the wasm (wasm-pack) and the bundle (esbuild) and checks that the committed dist/ is up to date.
#   3. JavaScript tests on Node 24 against the built dist/ (action, CLI, cache client over a loopback cache server).
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

step "build: wasm + bundle"
npm run --silent build

step "check-dist: the committed dist/ matches a fresh build"
if ! git diff --quiet -- dist; then
  git --no-pager diff --stat -- dist
  echo "dist/ is out of date: run 'npm run build' and commit dist/" >&2
  exit 1
fi
if [ -n "$(git ls-files --others --exclude-standard -- dist)" ]; then
  git ls-files --others --exclude-standard -- dist
  echo "dist/ has files that are not committed: run 'npm run build' and commit dist/" >&2
  exit 1
fi

step "js: node --test on Node 24"
NODE24="$PWD/.tools/node24/node_modules/node/bin/node"
"$NODE24" --test --test-concurrency=1 'tests/js/*.test.js'
