#!/usr/bin/env bash
# Builds the node (release, with the wasm runtime inside). Prints where the binary is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"
cargo build --locked --release -p citychain-node
echo "$CARGO_TARGET_DIR/release/citychain-node"
