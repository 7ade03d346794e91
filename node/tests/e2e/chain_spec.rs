//! The committed `chain-specs/local.json` must be what the node generates from the runtime's
//! `local_testnet` preset (`scripts/gen-chain-specs.sh` regenerates it).
//!
//! The runtime code blob is not compared byte for byte (the wasm embeds source paths, so two
//! clones in different folders build different bytes from the same source): a node started
//! from the committed spec must instead serve exactly this source's metadata and version.

use std::process::Command;

use crate::common::*;
use serde_json::{json, Value};

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

/// A node started from the committed `chain-specs/local.json` runs the runtime this source
/// builds: the runtime code in the spec must give the same metadata and version as the runtime
/// compiled into this test (a spec with stale code fails here), and the chain's properties are
/// what wallets need.
#[test]
fn committed_spec_starts_a_node_with_this_runtime_and_its_properties() {
	let _serial = serial();
	let dir = test_dir("chain-spec");
	let [rpc_port, p2p_port] = free_ports(2)[..] else { unreachable!() };
	let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../chain-specs/local.json");
	let mut node =
		Node::new("from-spec", &dir, rpc_port, p2p_port, &["--chain".into(), spec.into()]);
	node.start();
	let properties = rpc(rpc_port, "system_properties", json!([])).unwrap();
	assert_eq!(properties["tokenSymbol"], json!(citychain_runtime::TOKEN_SYMBOL));
	assert_eq!(properties["tokenDecimals"], json!(citychain_runtime::TOKEN_DECIMALS));
	assert_eq!(properties["ss58Format"], json!(citychain_runtime::SS58_PREFIX));
	let version = rpc(rpc_port, "state_getRuntimeVersion", json!([])).unwrap();
	assert_eq!(version["specVersion"], json!(citychain_runtime::VERSION.spec_version));
	assert_eq!(
		version["transactionVersion"],
		json!(citychain_runtime::VERSION.transaction_version)
	);
	let metadata = rpc(rpc_port, "state_getMetadata", json!([])).unwrap();
	let expected: Vec<u8> = citychain_runtime::Runtime::metadata().into();
	assert!(
		hex_decode(metadata.as_str().unwrap()) == expected,
		"chain-specs/local.json carries another runtime: run scripts/gen-chain-specs.sh"
	);
	node.stop();
}

/// The city template rotates sessions hourly (every rotation costs a block's weight), the test
/// presets every minute.
#[test]
fn the_city_template_uses_hour_long_sessions() {
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../chain-specs/city-template.json");
	let template: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
	let patch = &template["genesis"]["runtimeGenesis"]["patch"];
	assert_eq!(
		patch["validatorSet"]["sessionLength"],
		json!(citychain_runtime::configs::consensus::CITY_SESSION_PERIOD)
	);
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../chain-specs/local.json");
	let local: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
	assert_eq!(
		local["genesis"]["runtimeGenesis"]["patch"]["validatorSet"]["sessionLength"],
		json!(citychain_runtime::configs::consensus::TEST_SESSION_PERIOD)
	);
}
