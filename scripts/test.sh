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
# The runtime's wasm is built once, by the release build below; unit tests run natively.
SKIP_WASM_BUILD=1 cargo test --locked --workspace --exclude citychain-node

step "node build and end-to-end tests (release profile)"
cargo test --locked --release -p citychain-node -- --test-threads=1 --nocapture

step "clippy (release profile, reuses the build above)"
cargo clippy --locked --release --workspace --all-targets -- -D warnings

step "done"
