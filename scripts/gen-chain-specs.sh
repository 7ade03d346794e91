#!/usr/bin/env bash
# Regenerates the committed chain specs from the runtime's genesis presets:
#   chain-specs/local.json          the 4-validator local testnet (plain, human-readable)
#   chain-specs/city-template.json  the starting point of a real city network: same runtime,
#                                   placeholders for the city's own validators, keys and council
#                                   (add one entry per validator; at least 4 in production).
# A test (node/tests/chain_spec.rs) fails when local.json no longer matches the node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
citychain_setup
cd "$ROOT"
cargo build --locked --release -p citychain-node -p city-sim
NODE="$CARGO_TARGET_DIR/release/citychain-node"
"$NODE" export-chain-spec --chain local >chain-specs/local.json
python3 - "$ROOT/chain-specs/local.json" "$ROOT/chain-specs/city-template.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["name"] = "CityChain City Network (template)"
spec["id"] = "citychain_city"
spec["chainType"] = "Live"
spec["bootNodes"] = ["/dns/validator-1.city.example/tcp/30333/p2p/REPLACE_WITH_PEER_ID"]
patch = spec["genesis"]["runtimeGenesis"]["patch"]
validator = "REPLACE_WITH_VALIDATOR_1_ACCOUNT_SS58"
# Sessions of one hour (runtime: configs::consensus::CITY_SESSION_PERIOD): every rotation costs
# a block's weight, so a city network rotates rarely; the test presets use 10 blocks.
patch["validatorSet"] = {"initialValidators": [validator], "minValidators": 1, "sessionLength": 600}
patch["session"]["keys"] = [[validator, validator, {
    "aura": "REPLACE_WITH_VALIDATOR_1_AURA_SR25519_SS58",
    "grandpa": "REPLACE_WITH_VALIDATOR_1_GRANDPA_ED25519_SS58",
}]]
# No sudo key: the city's council governs (runtime: configs::governance). Its genesis members
# are the city's council members: five placeholders (two thirds of the council is root for any
# call, and on smaller councils "more than half" and "two thirds" meet; the runtime refuses
# fewer than three).
patch["sudo"] = {"key": None}
members = [f"REPLACE_WITH_COUNCIL_MEMBER_{i}_SS58" for i in range(1, 6)]
patch["councilMembership"]["members"] = members
# Energy auctions of 15 minutes (150 blocks), orders closing 1.5 minutes (15 blocks) before a
# slot, meter readings accepted up to an hour (600 blocks) after it; prices and fees as in the
# test presets (runtime: genesis_config_presets::test_market_params).
patch["energyMarket"]["params"].update(
    {"slotBlocks": 150, "gateClosureBlocks": 15, "settlementDeadlineBlocks": 600})
# Rides: the dispute window of a day (14,400 blocks) and a week (100,800) for the arbiter; fares
# and fees as in the test presets (runtime: genesis_config_presets::test_ride_tariff).
patch["rideSettlement"]["tariff"].update({"disputeWindow": 14400, "arbitrationTimeout": 100800})
# Civic credits: data-sharing reward periods of a day (14,400 blocks); expiry, quotas and
# consent as in the test presets (runtime: genesis_config_presets::test_credit_params).
patch["civicCredits"]["params"].update({"rewardPeriodBlocks": 14400})
# The treasury keeps its existential deposit; the council members and each validator need
# funds (validators hold the session key deposit; members pay for motions and votes).
treasury = patch["balances"]["balances"][-1]
patch["balances"]["balances"] = [
    treasury,
    *[[member, 10000000000000] for member in members],
    [validator, 10000000000000],
]
json.dump(spec, open(sys.argv[2], "w"), indent=2)
open(sys.argv[2], "a").write("\n")
PY
echo "wrote chain-specs/local.json and chain-specs/city-template.json"
