#!/usr/bin/env bash
# Load benchmark of sensor attestation on a fresh dev node, with the device simulator
# (city-sim): balance transfers (the baseline), single fee-less readings, and readings anchored
# in Merkle batches. Prints a table and leaves the JSON reports in .local/bench/.
#
#   scripts/bench-attestation.sh                   # a dev node (one validator), defaults below
#   scripts/bench-attestation.sh --local           # a 4-validator local network (alice..dave)
#   DEVICES=100 READINGS=20 scripts/bench-attestation.sh
#   scripts/bench-attestation.sh --flood           # only the flood test (dev node)
#
# The flood test: transfers on an idle chain, then the same transfers while FLOOD_DEVICES
# certified devices flood free readings: paid throughput and latency side by side.
#
# The simulator talks to the first node (alice on --local). Figures per kind of load (see
# city-sim's print_report), plus the finality lag (best - finalized) sampled every second:
#   end to end   first submission -> last finalization seen (includes ~3 blocks of latency);
#   in blocks    over the blocks that carried the load (first..last x block time);
#   peak block   the busiest block / block time: what one block takes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"

DEVICES="${DEVICES:-400}"          # simulated devices (registered once, owned by 4 accounts)
READINGS="${READINGS:-50}"         # single readings per device
TRANSFERS="${TRANSFERS:-5000}"     # transfers per sender (4 senders)
BATCHES="${BATCHES:-10}"           # batches per device
BATCH_SIZE="${BATCH_SIZE:-1000}"   # readings per batch
IN_FLIGHT="${IN_FLIGHT:-8000}"     # under the pool's default 8,192 ready transactions
FLOOD_DEVICES="${FLOOD_DEVICES:-400}"      # devices flooding free readings
FLOOD_READINGS="${FLOOD_READINGS:-100}"    # free readings per flooding device
FLOOD_TRANSFERS="${FLOOD_TRANSFERS:-2500}" # transfers per sender (4 senders), idle and flooded
RPC_PORT="${RPC_PORT:-19900}"
MODE=dev
ONLY_FLOOD=0
case "${1:-}" in
	--local) MODE=local ;;
	--flood) ONLY_FLOOD=1 ;;
	--dev | "") ;;
	*) echo "usage: $0 [--dev|--local|--flood]" >&2; exit 2 ;;
esac

cargo build --release --locked -p citychain-node -p city-sim
BIN="$CARGO_TARGET_DIR/release"
OUT="$ROOT/.local/bench"
rm -rf "$OUT"
mkdir -p "$OUT"

source "$ROOT/scripts/bench-network.sh"
start_network "$MODE"
echo "== $MODE network ready"

sim() {
	"$BIN/city-sim" --url "ws://127.0.0.1:$RPC_PORT" --max-in-flight "$IN_FLIGHT" "$@"
}
OWNERS=(--owner //Alice --owner //Bob --owner //Charlie --owner //Dave)

flood() {
	echo "== flood: transfers (4 senders x $FLOOD_TRANSFERS) idle, then during $FLOOD_DEVICES devices x $FLOOD_READINGS free readings"
	sim flood --seed flood --devices "$FLOOD_DEVICES" --per-device "$FLOOD_READINGS" \
		--per-sender "$FLOOD_TRANSFERS" "${OWNERS[@]}" >"$OUT/flood.json"
	python3 - "$OUT/flood.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"\n{'transfers':<10}{'finalized':>10}{'per s':>8}{'latency p50 s':>15}{'p95 s':>8}{'lag p95':>9}")
for name in ("idle", "flooded"):
    t = r[f"{name}Transfers"]
    print(f"{name:<10}{t['finalized']:>10}{t['perSecond']:>8}{t['latencyP50Seconds']:>15}{t['latencyP95Seconds']:>8}{t['finalityLagP95']:>9}")
f = r["floodReadings"]
print(f"flood readings: {f['finalized']}/{f['submitted']} finalized, {f['perSecond']}/s, rejected {f['rejected']}")
print(f"flooded transfers: {r['transfersPerSecondPercentOfIdle']}% of idle throughput, "
      f"latency p50 {r['transferLatencyP50PercentOfIdle']}% / p95 {r['transferLatencyP95PercentOfIdle']}% of idle")
EOF
}
if [ "$ONLY_FLOOD" = 1 ]; then
	flood
	exit 0
fi

echo "== registering $DEVICES devices"
sim register --devices "$DEVICES" "${OWNERS[@]}" >"$OUT/register.json"
echo "== transfers: 4 senders x $TRANSFERS"
sim transfers --per-sender "$TRANSFERS" >"$OUT/transfers.json"
echo "== single readings: $DEVICES devices x $READINGS"
sim readings --devices "$DEVICES" --per-device "$READINGS" "${OWNERS[@]}" >"$OUT/readings.json"
echo "== batches: $DEVICES devices x $BATCHES batches x $BATCH_SIZE readings"
sim batches --devices "$DEVICES" --batches "$BATCHES" --size "$BATCH_SIZE" --prove 500 \
	"${OWNERS[@]}" >"$OUT/batches.json"

echo "== $MODE network"
python3 - "$OUT" <<'EOF'
import json, sys, os
out = sys.argv[1]
rows = [("transfers", "transfers.json", "transfers"), ("single readings", "readings.json", "readings"),
        ("batched readings", "batches.json", "readings")]
print(f"\n{'load':<18}{'submitted':>10}{'finalized':>10}{'resubmit':>9}{'rejected':>9}"
      f"{'end to end/s':>14}{'in blocks/s':>13}{'peak block/s':>14}{'lag p95/max':>13}  unit")
for name, file, unit in rows:
    r = json.load(open(os.path.join(out, file)))
    lag = f"{r.get('finalityLagP95', '-')}/{r.get('finalityLagMax', '-')}"
    print(f"{name:<18}{r['submitted']:>10}{r['finalized']:>10}{r['resubmitted']:>9}{r['rejected']:>9}"
          f"{r['perSecond']:>14}{r.get('inBlocksPerSecond', 0):>13}{r.get('peakBlockPerSecond', 0):>14}{lag:>13}  {unit}")
b = json.load(open(os.path.join(out, "batches.json")))
print(f"\nbatch proof of reading 500 (city_verifyReading): valid={b.get('proof', {}).get('valid')}")
EOF
flood
