#!/usr/bin/env bash
# Installs everything timeshard needs to build and test, on a fresh machine of our CI kind.
# Idempotent: every step checks first and is skipped when its tool is already there.
#   - the wasm32 target, wasm-pack and wasm-bindgen-cli (same exact version as Cargo.toml pins)
#   - Node 24 (the action's runtime) from the npm package `node`, into .tools/node24
#   - the npm dependencies (npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # keep equal to the `wasm-bindgen = "=…"` pin in Cargo.toml
WASM_PACK_VERSION=0.15.1
NODE24_VERSION=24.9.0

say() { printf '[setup] %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-pack --version 2>/dev/null | grep -q "$WASM_PACK_VERSION"; then
  say "installing wasm-pack $WASM_PACK_VERSION (a few minutes on a cold machine)"
  cargo install wasm-pack --version "=$WASM_PACK_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes on a cold machine)"
  # --locked first (the tool's own lock file); some registry mirrors lack a crate version that lock names, and then
  # the unlocked resolution (same wasm-bindgen-cli version, newest compatible dependencies) is the fallback.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --locked --force \
    || cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi

NODE24=".tools/node24/node_modules/node/bin/node"
if ! "$NODE24" --version 2>/dev/null | grep -q "^v24\."; then
  say "installing Node $NODE24_VERSION into .tools/node24"
  mkdir -p .tools/node24
  npm install --prefix .tools/node24 --no-save --no-audit --no-fund "node@$NODE24_VERSION" >/dev/null
fi
"$NODE24" --version >/dev/null

if [ -f package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi
say "ok: $(wasm-pack --version), $(wasm-bindgen --version), node $("$NODE24" --version)"
