#!/usr/bin/env bash
# The one test command (CI's .ci/run calls it): formatting, pallet and runtime unit tests (dev
# profile: debug assertions and overflow checks on), then the node's unit tests (the RPC
# parsers' property tests) and end-to-end tests (release profile, the same build as
# scripts/run.sh: the client stack is compiled once). Clippy runs inside those builds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "rustfmt"
cargo fmt --all -- --check

step "unit tests: runtime, pallets, device SDK (dev profile; clippy on every crate of ours)"
# Native only: the runtime's wasm (feature `build-wasm`) is built once, by the node's release
# build below. setup.sh routes our crates through clippy-driver (scripts/clippy-wrapper.sh),
# so these builds are also the clippy pass, `-D warnings`, tests included. The simulator
# (a client: subxt, tokio) is tested with the node, in the release profile only, so the
# client stack is compiled once.
cargo test --locked --workspace --exclude citychain-node --exclude city-sim
# The storage migrations under try-runtime's own driver (pre_upgrade, migration, post_upgrade
# with try_state), as docs/upgrades.md's check runs them.
cargo test --locked -p pallet-ride-settlement --features try-runtime migration

step "node and simulator build, RPC parser fuzzing and end-to-end tests (release profile)"
# The runtime-upgrade scenario runs a polkadot.js client (scripts/pjs-check/upgrade-client.mjs).
citychain_pjs_deps
# The e2e harness runs one scenario at a time by itself (common::serial).
cargo test --locked --release -p citychain-node -p city-sim -- --nocapture

step "polkadot.js check (@polkadot/api against a dev node, no custom types)"
scripts/pjs-check.sh

step "done"
