#!/usr/bin/env bash
# Ride settlement benchmark: rides settled per second, request to settlement (5 transactions a
# ride: request, accept, start, complete with the vehicle's signed summary, confirm), side by
# side with balance transfers in the same run. Prints figures and leaves the JSON reports in
# .local/bench-rides/.
#
#   scripts/bench-rides.sh              # the 4-validator local network (alice..dave)
#   scripts/bench-rides.sh --dev        # a dev node (one validator)
#   DRIVERS=200 ROUNDS=3 DISTANCE=600 TRANSFERS=2000 scripts/bench-rides.sh
#
# Each of DRIVERS drivers (and as many riders) takes one ride per round; a round's steps go in
# together, each step finalized before the next (a driver has one open ride at a time).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"

DRIVERS="${DRIVERS:-200}"
ROUNDS="${ROUNDS:-3}"
# Short trips, so that the figure measures the chain, not the wait for a trip to be long
# enough for its distance (60 m/s at most: 600 m take 10 s, less than a step's finality).
DISTANCE="${DISTANCE:-600}"
TRANSFERS="${TRANSFERS:-2000}"   # transfers per sender (4 senders)
IN_FLIGHT="${IN_FLIGHT:-8000}"
RPC_PORT="${RPC_PORT:-19960}"
MODE=local
case "${1:-}" in
	--dev) MODE=dev ;;
	--local | "") ;;
	*) echo "usage: $0 [--local|--dev]" >&2; exit 2 ;;
esac

cargo build --release --locked -p citychain-node -p city-sim
BIN="$CARGO_TARGET_DIR/release"
OUT="$ROOT/.local/bench-rides"
rm -rf "$OUT"
mkdir -p "$OUT"
source "$ROOT/scripts/bench-network.sh"
start_network "$MODE"
echo "== $MODE network ready"

sim() {
	"$BIN/city-sim" --url "ws://127.0.0.1:$RPC_PORT" --max-in-flight "$IN_FLIGHT" --timeout 3600 "$@"
}
echo "== transfers: 4 senders x $TRANSFERS"
sim transfers --per-sender "$TRANSFERS" >"$OUT/transfers.json"
echo "== rides: $DRIVERS drivers x $ROUNDS rounds"
sim rides --drivers "$DRIVERS" --rounds "$ROUNDS" --distance-m "$DISTANCE" >"$OUT/rides.json"

python3 - "$OUT" "$MODE" <<'PY'
import json, sys, os
out, mode = sys.argv[1], sys.argv[2]
t = json.load(open(os.path.join(out, "transfers.json")))
rounds = [json.loads(line) for line in open(os.path.join(out, "rides.json")) if line.strip()]
summary = rounds[-1]
print(f"\n{mode} network")
print(f"transfers: {t['finalized']}/{t['submitted']} finalized, {t['perSecond']}/s end to end, "
      f"{t.get('inBlocksPerSecond', 0)}/s in blocks, finality lag p95/max "
      f"{t.get('finalityLagP95', '-')}/{t.get('finalityLagMax', '-')}")
print(f"rides: {summary['settled']} settled in {summary['seconds']} s: "
      f"{summary['ridesSettledPerSecond']} rides/s, {summary['transactions']} transactions "
      f"({summary['transactionsPerSecond']}/s), every one finalized")
PY
