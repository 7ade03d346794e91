//! The committed `chain-specs/local.json` must be what the node generates from the runtime's
//! `local_testnet` preset (`scripts/gen-chain-specs.sh` regenerates it).
//!
//! The runtime code blob is compared by presence only: the wasm embeds source paths, so two
//! clones in different folders build different bytes from the same source.

use std::process::Command;

use crate::common::NODE_BIN;
use serde_json::Value;

fn without_code(mut spec: Value) -> Value {
	let code = spec["genesis"]["runtimeGenesis"]
		.as_object_mut()
		.and_then(|genesis| genesis.remove("code"))
		.expect("a plain spec carries the runtime code");
	assert!(code.as_str().is_some_and(|c| c.starts_with("0x") && c.len() > 1000));
	spec
}

#[test]
fn committed_local_spec_matches_the_node() {
	let out = Command::new(NODE_BIN)
		.args(["export-chain-spec", "--chain", "local"])
		.output()
		.expect("run export-chain-spec");
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let generated: Value = serde_json::from_slice(&out.stdout).unwrap();
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../chain-specs/local.json");
	let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
	assert_eq!(
		without_code(committed),
		without_code(generated),
		"chain-specs/local.json is stale: run scripts/gen-chain-specs.sh"
	);
}

#[test]
fn committed_spec_starts_a_node_that_reports_its_properties() {
	let out = Command::new(NODE_BIN)
		.args(["export-chain-spec", "--chain"])
		.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../chain-specs/local.json"))
		.arg("--raw")
		.output()
		.expect("run export-chain-spec");
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let raw: Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(raw["properties"]["tokenSymbol"], "CITY");
	assert_eq!(raw["properties"]["tokenDecimals"], 12);
	assert_eq!(raw["properties"]["ss58Format"], citychain_runtime::SS58_PREFIX);
	assert!(raw["genesis"]["raw"]["top"].as_object().is_some_and(|top| top.len() > 10));
}
