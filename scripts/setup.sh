#!/usr/bin/env bash
# Installs what a fresh machine needs to build CityChain, and nothing it already has:
# the wasm32v1-none target and rust-src (runtime wasm), and protoc (litep2p's build).
# Sourced by run.sh and test.sh; safe to run again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One target directory outside the clone, shared by your shell, the scripts and CI, so a clean
# clone reuses compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/citychain/target}"
mkdir -p "$CARGO_TARGET_DIR"

citychain_setup() {
	local toolchain
	toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$ROOT/rust-toolchain.toml")"
	if ! command -v rustup >/dev/null 2>&1; then
		echo "rustup is required (https://rustup.rs); install it first" >&2
		return 1
	fi
	if ! rustup toolchain list | grep -q "^$toolchain"; then
		rustup toolchain install "$toolchain" --profile minimal
	fi
	if ! rustup +"$toolchain" target list --installed | grep -qx wasm32v1-none; then
		rustup +"$toolchain" target add wasm32v1-none
	fi
	if ! rustup +"$toolchain" component list --installed | grep -q '^rust-src'; then
		rustup +"$toolchain" component add rust-src
	fi
	for component in rustfmt clippy; do
		if ! rustup +"$toolchain" component list --installed | grep -q "^$component"; then
			rustup +"$toolchain" component add "$component"
		fi
	done
	if ! command -v protoc >/dev/null 2>&1; then
		echo "installing protobuf-compiler (needed by litep2p's build)"
		local sudo=""
		[ "$(id -u)" -ne 0 ] && sudo="sudo"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq protobuf-compiler
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	citychain_setup
fi
