#!/usr/bin/env bash
# Full lint, node included (checks the whole client stack: slow on a cold cache).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"
cargo fmt --all -- --check
SKIP_WASM_BUILD=1 cargo clippy --locked --release --workspace --all-targets -- -D warnings
