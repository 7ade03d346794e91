//! End-to-end: the single-validator dev node (`--dev`, embedded chain spec, no files).
//!
//! Checks what polkadot.js apps and wallets read on connect (chain properties, metadata,
//! runtime version), that the first block comes quickly, and that a transfer's fee lands in
//! the city treasury. Prints the time to the first block.

use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

#[test]
fn dev_node_serves_wallets_and_routes_fees_to_the_treasury() {
	let _serial = serial();
	let [rpc_port, p2p_port] = free_ports(2)[..] else { unreachable!() };
	let dir = test_dir("dev-node");
	let mut node = Node::new("dev", &dir, rpc_port, p2p_port, &["--dev".to_string()]);
	let started = Instant::now();
	node.start();
	wait_for("first block", Duration::from_secs(60), || best_number(rpc_port).filter(|n| *n >= 1));
	println!("FIGURE dev node: first block {:.1} s after start", started.elapsed().as_secs_f64());

	// What polkadot.js apps reads on connect.
	let properties = rpc(rpc_port, "system_properties", json!([])).unwrap();
	assert_eq!(properties["tokenSymbol"], json!(citychain_runtime::TOKEN_SYMBOL));
	assert_eq!(properties["tokenDecimals"], json!(citychain_runtime::TOKEN_DECIMALS));
	assert_eq!(properties["ss58Format"], json!(citychain_runtime::SS58_PREFIX));
	assert_eq!(rpc(rpc_port, "system_chain", json!([])).unwrap(), json!("CityChain Development"));
	let version = rpc(rpc_port, "state_getRuntimeVersion", json!([])).unwrap();
	assert_eq!(version["specName"], json!("citychain"));
	assert_eq!(version["specVersion"], json!(citychain_runtime::VERSION.spec_version));
	let metadata = rpc(rpc_port, "state_getMetadata", json!([])).unwrap();
	let metadata = hex_decode(metadata.as_str().unwrap());
	assert_eq!(&metadata[..4], b"meta", "metadata magic");
	// Call docs reach the metadata (polkadot.js apps shows them next to each call).
	let text = String::from_utf8_lossy(&metadata);
	assert!(
		text.contains("Transfer some liquid free balance to another account"),
		"call docs are in the metadata"
	);
	let versions =
		rpc(rpc_port, "state_call", json!(["Metadata_metadata_versions", "0x"])).unwrap();
	let versions: Vec<u32> =
		codec::Decode::decode(&mut &hex_decode(versions.as_str().unwrap())[..]).unwrap();
	assert!(versions.contains(&16), "metadata v16 is offered: {versions:?}");

	// A transfer: the receiver gets the amount, the treasury gets the fee.
	let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
	let receiver: citychain_runtime::AccountId =
		sr25519::Pair::from_string("//DevReceiver", None).unwrap().public().into();
	let treasury = citychain_runtime::configs::CityTreasuryAccount::get();
	let (head, _) = wait_for("finalized head", Duration::from_secs(30), || finalized(rpc_port));
	let treasury_before = free_balance(rpc_port, &treasury, head);
	let amount = 3 * citychain_runtime::UNIT;
	let xt = signed_transfer(rpc_port, &alice, receiver.clone(), amount);
	rpc(rpc_port, "author_submitExtrinsic", json!([hex_encode(&xt)])).expect("accepted");
	let head = wait_for("transfer finalized", Duration::from_secs(60), || {
		let (head, _) = finalized(rpc_port)?;
		(free_balance(rpc_port, &receiver, head) == amount).then_some(head)
	});
	assert!(
		free_balance(rpc_port, &treasury, head) > treasury_before,
		"the transfer's fee went to the city treasury"
	);
	node.stop();
}
