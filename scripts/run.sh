#!/usr/bin/env bash
# Runs CityChain on this machine.
#
#   scripts/run.sh            a single-validator dev node (Alice), fresh state each start
#   scripts/run.sh --local    the 4-validator local network (Alice, Bob, Charlie, Dave) on 127.0.0.1
#   scripts/run.sh --local --keep   ... keeping the databases of the previous run
#
# Installs what is missing, builds the node, starts it, prints the RPC endpoints and the
# polkadot.js apps link, and stops every node on Ctrl-C. Logs go to .local/logs/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

MODE=dev
KEEP=0
for arg in "$@"; do
	case "$arg" in
		--local) MODE=local ;;
		--dev) MODE=dev ;;
		--keep) KEEP=1 ;;
		-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
		*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done

citychain_setup
cd "$ROOT"
cargo build --locked --release -p citychain-node -p city-sim
NODE="$CARGO_TARGET_DIR/release/citychain-node"

DATA="$ROOT/.local"
LOGS="$DATA/logs"
mkdir -p "$LOGS"
PIDS=()

cleanup() {
	trap - INT TERM EXIT
	echo
	echo "stopping ${#PIDS[@]} node(s)"
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup INT TERM EXIT

apps_link() {
	echo "https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A$1#/explorer"
}

if [ "$MODE" = dev ]; then
	"$NODE" --dev --tmp --rpc-port 9944 --rpc-cors all >"$LOGS/dev.log" 2>&1 &
	PIDS+=($!)
	echo "dev node (Alice) started, log: $LOGS/dev.log"
	echo "  RPC:  http://127.0.0.1:9944  ws://127.0.0.1:9944"
	echo "  apps: $(apps_link 9944)"
else
	NAMES=(alice bob charlie dave)
	# Fixed node keys for the local network only, so peers find each other through Alice.
	# A real city network generates its own: see README, "Running a city network".
	key_of() { printf '%064x' $((0xC17C000 + $1 + 1)); }
	[ "$KEEP" = 1 ] || rm -rf "$DATA/local"
	mkdir -p "$DATA/local"
	key_of 0 >"$DATA/local/alice.key"
	BOOT_ID="$("$NODE" key inspect-node-key --file "$DATA/local/alice.key")"
	BOOTNODE="/ip4/127.0.0.1/tcp/30333/p2p/$BOOT_ID"
	for i in 0 1 2 3; do
		name="${NAMES[$i]}"
		"$NODE" --chain local --"$name" \
			--base-path "$DATA/local/$name" \
			--node-key "$(key_of "$i")" \
			--listen-addr "/ip4/127.0.0.1/tcp/$((30333 + i))" \
			--rpc-port $((9944 + i)) --rpc-cors all \
			--prometheus-port $((9615 + i)) \
			--bootnodes "$BOOTNODE" \
			>"$LOGS/$name.log" 2>&1 &
		PIDS+=($!)
		echo "$name: RPC ws://127.0.0.1:$((9944 + i))  p2p $((30333 + i))  prometheus $((9615 + i))  log $LOGS/$name.log"
	done
	echo "  apps: $(apps_link 9944)"
fi
echo "Ctrl-C stops every node."
wait -n "${PIDS[@]}" || true
echo "a node exited; see $LOGS"
