#!/usr/bin/env bash
# Builds the node (release, with the wasm runtime inside) and the gateway simulator together
# (one feature set for the shared client crates, so neither build undoes the other). Prints
# where the node binary is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"
cargo build --locked --release -p citychain-node -p city-sim
echo "$CARGO_TARGET_DIR/release/citychain-node"
