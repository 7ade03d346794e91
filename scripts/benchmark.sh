#!/usr/bin/env bash
# Runs the pallets' benchmarks (v2) in the wasm runtime and regenerates their weights.rs.
# The template (scripts/weight-template.hbs) writes the pallet-side file: the `WeightInfo`
# trait, `SubstrateWeight<T>` and the `()` impl for tests.
# Builds the node with `--features runtime-benchmarks` (not part of the default build: the
# benchmarking CLI pulls in many more crates).
#
#   scripts/benchmark.sh                  every city pallet
#   scripts/benchmark.sh device-registry  one pallet
#   STEPS=20 REPEAT=10 scripts/benchmark.sh energy-market   fewer samples (faster)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"
# frame-benchmarking-cli's storage-access test runtime finds itself in `cargo metadata` only when
# the optional CLI is part of the default resolve, which it is not here; `benchmark pallet`
# does not use that runtime, so its wasm is skipped.
SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1 \
	cargo build --locked --release -p citychain-node -p city-sim --features citychain-node/runtime-benchmarks
NODE="$CARGO_TARGET_DIR/release/citychain-node"

PALLETS=("${@:-device-registry validator-set sensor-attestation}")
for pallet in ${PALLETS[@]}; do
	name="pallet_${pallet//-/_}"
	echo "== $name"
	"$NODE" benchmark pallet \
		--runtime "$CARGO_TARGET_DIR/release/wbuild/citychain-runtime/citychain_runtime.compact.compressed.wasm" \
		--genesis-builder=runtime --genesis-builder-preset=development \
		--pallet "$name" --extrinsic '*' \
		--steps "${STEPS:-50}" --repeat "${REPEAT:-20}" --heap-pages 4096 \
		--output "pallets/$pallet/src/weights.rs" \
		--template scripts/weight-template.hbs \
		--header scripts/weights-header.txt
done
# The benchmarking build replaced the node binary; rebuild the default one.
cargo build --locked --release -p citychain-node -p city-sim
