#!/usr/bin/env bash
# The one test command (CI's .ci/run calls it): formatting, lints, pallet and runtime unit tests
# (dev profile: debug assertions and overflow checks on), then the node's end-to-end tests
# (release profile, the same build as scripts/run.sh: the client stack is compiled once).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "rustfmt"
cargo fmt --all -- --check

step "unit tests: runtime and pallets (dev profile)"
# Native only: the runtime's wasm (feature `build-wasm`) is built once, by the node's release
# build below.
cargo test --locked --workspace --exclude citychain-node

step "node build and end-to-end tests (release profile)"
cargo test --locked --release -p citychain-node -- --test-threads=1 --nocapture

step "polkadot.js check (@polkadot/api against a dev node, no custom types)"
scripts/pjs-check.sh

# The node is linted by developers (scripts/lint.sh): a clippy pass over the client stack
# would cost CI a third compilation of it.
step "clippy: runtime, pallets, primitives"
cargo clippy --locked --workspace --exclude citychain-node --all-targets -- -D warnings

step "done"
