#!/usr/bin/env bash
# Energy market benchmarks. Prints figures and leaves the JSON reports in .local/bench-energy/.
#
#   scripts/bench-energy.sh            # the 4-validator local network (alice..dave)
#   scripts/bench-energy.sh --dev      # a dev node (one validator)
#   SLOTS=40 METERS=8 TRANSFERS=2000 scripts/bench-energy.sh
#
# 1. Clearing and settling a market of 10,000 orders, in the native runtime
#    (`cargo bench -p citychain-runtime --bench energy_market`): the clearing's weight as a
#    share of a block and its wall time; blocks and weight per order to settle all of them.
# 2. On a fresh network, with the simulator (city-sim): balance transfers (4 senders x
#    TRANSFERS, the baseline), then order placement (4 traders x METERS meters x SLOTS slots,
#    asks at the floor), both finalized per second in the same run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"

SLOTS="${SLOTS:-40}"             # slots each meter offers in (at most 96 ahead)
METERS="${METERS:-8}"            # meters per trader (8 orders per account and slot)
TRANSFERS="${TRANSFERS:-2000}"   # transfers per sender (4 senders)
IN_FLIGHT="${IN_FLIGHT:-8000}"
RPC_PORT="${RPC_PORT:-19950}"
MODE=local
case "${1:-}" in
	--dev) MODE=dev ;;
	--local | "") ;;
	*) echo "usage: $0 [--local|--dev]" >&2; exit 2 ;;
esac

echo "== clearing and settling 10,000 orders (native runtime, bench profile)"
cargo bench --locked -p citychain-runtime --bench energy_market

cargo build --release --locked -p citychain-node -p city-sim
BIN="$CARGO_TARGET_DIR/release"
OUT="$ROOT/.local/bench-energy"
rm -rf "$OUT"
mkdir -p "$OUT"
source "$ROOT/scripts/bench-network.sh"
start_network "$MODE"
echo "== $MODE network ready"

sim() {
	"$BIN/city-sim" --url "ws://127.0.0.1:$RPC_PORT" --max-in-flight "$IN_FLIGHT" "$@"
}
echo "== transfers: 4 senders x $TRANSFERS"
sim transfers --per-sender "$TRANSFERS" >"$OUT/transfers.json"
echo "== orders: 4 traders x $METERS meters x $SLOTS slots"
sim orders --meters-per-trader "$METERS" --slots "$SLOTS" >"$OUT/orders.json"

python3 - "$OUT" "$MODE" <<'PY'
import json, sys, os
out, mode = sys.argv[1], sys.argv[2]
print(f"\n{mode} network")
print(f"{'load':<11}{'submitted':>10}{'finalized':>10}{'rejected':>9}{'end to end/s':>14}{'in blocks/s':>13}{'peak block/s':>14}{'lag p95/max':>13}")
for name in ("transfers", "orders"):
    r = json.load(open(os.path.join(out, f"{name}.json")))
    lag = f"{r.get('finalityLagP95', '-')}/{r.get('finalityLagMax', '-')}"
    print(f"{name:<11}{r['submitted']:>10}{r['finalized']:>10}{r['rejected']:>9}{r['perSecond']:>14}"
          f"{r.get('inBlocksPerSecond', 0):>13}{r.get('peakBlockPerSecond', 0):>14}{lag:>13}")
PY
