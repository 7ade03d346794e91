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
# Every build of CityChain's own crates is also a clippy pass (scripts/clippy-wrapper.sh):
# lints fail the build. Set the same two variables in your shell, or builds made from it and
# from the scripts will rebuild each other's workspace crates.
export RUSTC_WORKSPACE_WRAPPER="$ROOT/scripts/clippy-wrapper.sh"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

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

# Node.js and npm for the polkadot.js check (scripts/pjs-check.sh): installed from Debian's
# packages if missing; an error if that is impossible.
citychain_setup_nodejs() {
	if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
		citychain_check_nodejs_version
		return
	fi
	echo "installing nodejs and npm (the polkadot.js check needs them)"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		echo "node.js and npm are required for the polkadot.js check" >&2
		return 1
	fi
	citychain_check_nodejs_version
}

# @polkadot/api (and Ajv) into scripts/pjs-check: the polkadot.js check and the runtime-upgrade
# e2e scenario (a polkadot.js client living through the upgrade) use them.
citychain_pjs_deps() {
	citychain_setup_nodejs
	(cd "$ROOT/scripts/pjs-check" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
}

# @polkadot/api 16 needs Node.js 18 or later.
citychain_check_nodejs_version() {
	local major
	major="$(node -p 'process.versions.node.split(".")[0]')"
	if [ "$major" -lt 18 ]; then
		echo "node.js $(node -v) is too old for @polkadot/api: 18 or later is needed" >&2
		return 1
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	citychain_setup
fi
