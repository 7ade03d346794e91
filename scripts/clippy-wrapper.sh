#!/usr/bin/env bash
# RUSTC_WORKSPACE_WRAPPER (set by setup.sh): cargo compiles CityChain's own crates through
# clippy-driver, so every build of them is also a clippy pass with `-D warnings` (CLIPPY_ARGS).
# Dependencies are compiled by plain rustc and are unaffected. This is how CI lints the node
# and the simulator without a second compilation of the client stack (a `cargo clippy` of the
# node would check all of sc-*, wasmtime and libp2p again, about 10 minutes on 2 cores).
# The runtime's wasm build (a nested cargo for wasm32) is compiled by plain rustc: the runtime
# is linted in its native build, and the wasm that runs on chain is a plain rustc build.
# clippy-driver compiles with MIR optimisations off; LLVM still optimises (opt-level 3), and it
# only concerns our crates in the node binary (service set-up and the RPC layer), never the
# runtime that executes blocks.
rustc="$1"
shift
case " $* " in
*" --target wasm32"* | *" --target=wasm32"*) exec "$rustc" "$@" ;;
esac
exec clippy-driver "$rustc" "$@"
