#!/usr/bin/env bash
# Starts a dev node and connects @polkadot/api to it with no custom types (what polkadot.js apps
# does), checking chain properties, metadata docs, balances and a JS-signed transfer; and checks
# the node's city_* methods against docs/rpc/openrpc.json (openrpc.mjs).
# Needs node.js and npm (setup.sh installs them if missing); installs @polkadot/api into
# scripts/pjs-check. Fails (never skips) when node.js cannot be had: CI must not go green
# without this check.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_pjs_deps
cd "$ROOT"
NODE_BIN="$CARGO_TARGET_DIR/release/citychain-node"
[ -x "$NODE_BIN" ] || { echo "build the node first (scripts/build.sh)"; exit 1; }
# Free ports, picked by the OS.
read -r PORT P2P_PORT < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
LOG="$CARGO_TARGET_DIR/pjs-check-node.log"
"$NODE_BIN" --dev --tmp --rpc-port "$PORT" --listen-addr "/ip4/127.0.0.1/tcp/$P2P_PORT" --no-prometheus --no-telemetry >"$LOG" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
UP=0
for _ in $(seq 1 60); do
	if curl -s --max-time 2 -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}' \
		"http://127.0.0.1:$PORT" >/dev/null 2>&1; then
		UP=1
		break
	fi
	sleep 1
done
if [ "$UP" != 1 ]; then
	echo "the dev node did not answer within 60 s; its log ends:" >&2
	tail -n 30 "$LOG" >&2
	exit 1
fi
# The OpenRPC conformance check first: its examples assume a fresh chain (devices 0 and 1).
node scripts/pjs-check/openrpc.mjs "ws://127.0.0.1:$PORT"
node scripts/pjs-check/check.mjs "ws://127.0.0.1:$PORT"
