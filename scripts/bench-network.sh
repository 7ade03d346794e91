#!/usr/bin/env bash
# Shared by the load benchmarks (bench-attestation.sh, bench-energy.sh): starts a fresh dev node
# (one validator) or 4-validator local network (alice..dave) from "$BIN" in "$OUT", the first
# node's RPC on $RPC_PORT, and waits until a block is finalized. Stops the nodes on exit.
#
#   source scripts/bench-network.sh; start_network dev|local
start_network() {
	local MODE="$1"
	PIDS=()
	trap 'kill ${PIDS[*]} 2>/dev/null; wait ${PIDS[*]} 2>/dev/null || true' EXIT
	COMMON=(--no-prometheus --no-telemetry --no-mdns)
	if [ "$MODE" = dev ]; then
		"$BIN/citychain-node" --dev --base-path "$OUT/db" --rpc-port "$RPC_PORT" --port 40900 \
			"${COMMON[@]}" >"$OUT/node.log" 2>&1 &
		PIDS+=($!)
	else
		NAMES=(alice bob charlie dave)
		key_of() { printf '%064x' $((0xBE7C000 + $1 + 1)); }
		key_of 0 >"$OUT/alice.key"
		BOOTNODE="/ip4/127.0.0.1/tcp/40900/p2p/$("$BIN/citychain-node" key inspect-node-key --file "$OUT/alice.key")"
		for i in 0 1 2 3; do
			"$BIN/citychain-node" --chain local --"${NAMES[$i]}" --base-path "$OUT/${NAMES[$i]}" \
				--node-key "$(key_of "$i")" --listen-addr "/ip4/127.0.0.1/tcp/$((40900 + i))" \
				--rpc-port $((RPC_PORT + i)) --bootnodes "$BOOTNODE" "${COMMON[@]}" \
				>"$OUT/${NAMES[$i]}.log" 2>&1 &
			PIDS+=($!)
		done
	fi
	# Ready when a block is finalized (on --local: the four validators found each other).
	python3 - "$RPC_PORT" <<'EOF'
import json, sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}"
def call(method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=5))["result"]
for _ in range(180):
    try:
        if int(call("chain_getHeader", [call("chain_getFinalizedHead", [])])["number"], 16) >= 1:
            sys.exit(0)
    except Exception:
        pass
    time.sleep(1)
sys.exit("no finalized block after 180 s")
EOF
}
