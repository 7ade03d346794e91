//! End-to-end: the four-validator local network on loopback.
//!
//! One scenario, in order (each step depends on the previous one):
//! 1. start Alice, Bob, Charlie and Dave (`--chain local`); all reach finalized block >= 5;
//! 2. a balance transfer submitted over JSON-RPC is finalized and visible on every node;
//! 3. bad JSON-RPC input (malformed extrinsic, wrong params, broken JSON) gets an error, and
//!    the nodes keep going;
//! 4. `kill -9` one validator: finality keeps advancing on the other three; restart it: it
//!    catches up to the same finalized hash;
//! 5. stop all four and start them again from their databases: no finalized block is lost and
//!    finality resumes.
//!
//! It also prints the finality lag (best - finalized) seen while the network runs.

use std::time::Duration;

use crate::common::*;
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

const NAMES: [&str; 4] = ["alice", "bob", "charlie", "dave"];

fn start_network(dir: &std::path::Path) -> Vec<Node> {
	let ports = free_ports(2 * NAMES.len());
	let (rpc_ports, p2p_ports) = ports.split_at(NAMES.len());
	let boot_peer = peer_id_of(&node_key(0), dir);
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{boot_peer}", p2p_ports[0]);
	let mut nodes: Vec<Node> = NAMES
		.iter()
		.enumerate()
		.map(|(i, name)| {
			let mut extra = vec![
				"--chain".to_string(),
				"local".to_string(),
				format!("--{name}"),
				"--node-key".to_string(),
				node_key(i),
			];
			if i != 0 {
				extra.push("--bootnodes".into());
				extra.push(bootnode.clone());
			}
			Node::new(name, dir, rpc_ports[i], p2p_ports[i], &extra)
		})
		.collect();
	for node in nodes.iter_mut() {
		node.start();
	}
	nodes
}

/// Waits until every node in `ports` has finalized at least block `number`.
fn wait_all_finalized(ports: &[u16], number: u32, timeout: Duration) {
	for &port in ports {
		wait_for(&format!("node on {port} finalizing #{number}"), timeout, || {
			finalized(port).filter(|(_, n)| *n >= number)
		});
	}
}

#[test]
fn four_validators_finalize_survive_crashes_and_restart() {
	let _serial = serial();
	let dir = test_dir("local-network");
	let mut nodes = start_network(&dir);
	let ports: Vec<u16> = nodes.iter().map(|n| n.rpc_port).collect();

	// 1. Finality on all four.
	wait_all_finalized(&ports, 5, Duration::from_secs(180));
	let mut lags = Vec::new();
	for &port in &ports {
		let best = best_number(port).unwrap();
		let (_, fin) = finalized(port).unwrap();
		lags.push(best.saturating_sub(fin));
	}

	// 2. A transfer over JSON-RPC, finalized and visible on every node.
	let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
	let receiver_pair = sr25519::Pair::from_string("//CityE2EReceiver", None).unwrap();
	let receiver: citychain_runtime::AccountId = receiver_pair.public().into();
	let amount = 5 * citychain_runtime::UNIT;
	let xt = signed_transfer(ports[1], &alice, receiver.clone(), amount);
	let tx_hash = rpc(ports[1], "author_submitExtrinsic", json!([hex_encode(&xt)]))
		.expect("transfer accepted by the pool");
	assert!(tx_hash.as_str().unwrap().starts_with("0x"));
	for &port in &ports {
		wait_for(&format!("transfer finalized on {port}"), Duration::from_secs(90), || {
			let (head, _) = finalized(port)?;
			(free_balance(port, &receiver, head) == amount).then_some(())
		});
	}

	// 3. Bad input: each gets a JSON-RPC error, never a crash.
	let bad_calls = [
		("author_submitExtrinsic", json!(["0xdeadbeef"])),
		("author_submitExtrinsic", json!(["not hex"])),
		("author_submitExtrinsic", json!([])),
		("chain_getBlockHash", json!(["not a number"])),
		("state_getStorage", json!([12345])),
		("no_suchMethod", json!([])),
	];
	for (method, params) in bad_calls {
		match rpc(ports[2], method, params.clone()) {
			Err(RpcError::Rpc { code, message, .. }) => {
				assert!(code != 0 && !message.is_empty(), "{method}{params}: {code} {message}")
			}
			other => panic!("{method}{params} should fail with an RPC error, got {other:?}"),
		}
	}
	// A replayed (already included) transfer is refused too.
	match rpc(ports[2], "author_submitExtrinsic", json!([hex_encode(&xt)])) {
		Err(RpcError::Rpc { .. }) => {}
		other => panic!("replayed transfer should be refused, got {other:?}"),
	}
	let broken = http_post(ports[2], "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ").unwrap();
	assert!(broken.contains("\"error\""), "broken JSON should get a parse error: {broken}");
	assert!(nodes[2].is_running(), "charlie died on bad input");
	assert!(rpc(ports[2], "system_health", json!([])).is_ok());

	// 4. Crash one validator: the other three keep finalizing.
	let (_, before_kill) = finalized(ports[3]).unwrap();
	nodes[3].kill();
	let survivors = &ports[..3];
	wait_all_finalized(survivors, before_kill + 3, Duration::from_secs(120));
	for &port in survivors {
		let best = best_number(port).unwrap();
		let (_, fin) = finalized(port).unwrap();
		lags.push(best.saturating_sub(fin));
	}
	// Restart it: it catches up to the same finalized hash.
	nodes[3].start();
	let (_, target) = finalized(ports[0]).unwrap();
	wait_all_finalized(&[ports[3]], target, Duration::from_secs(120));
	let reference = block_hash(ports[0], target).unwrap();
	assert_eq!(block_hash(ports[3], target), Some(reference), "dave disagrees after restart");

	// 5. Stop all four, restart them from their databases: nothing finalized is lost.
	let before: Vec<_> = ports.iter().map(|&p| finalized(p).unwrap()).collect();
	for node in nodes.iter_mut() {
		node.stop();
	}
	for node in nodes.iter_mut() {
		node.start();
	}
	for (i, &port) in ports.iter().enumerate() {
		let (hash, number) = before[i];
		let (_, fin) = finalized(port).expect("finalized head after restart");
		assert!(fin >= number, "{} lost finalized blocks: {fin} < {number}", NAMES[i]);
		assert_eq!(block_hash(port, number), Some(hash), "{} forgot block #{number}", NAMES[i]);
	}
	let highest_before = before.iter().map(|(_, n)| *n).max().unwrap();
	wait_all_finalized(&ports, highest_before + 3, Duration::from_secs(180));
	for &port in &ports {
		let best = best_number(port).unwrap();
		let (_, fin) = finalized(port).unwrap();
		lags.push(best.saturating_sub(fin));
	}
	let final_heads: Vec<_> = ports.iter().map(|&p| finalized(p).unwrap()).collect();
	let min_fin = final_heads.iter().map(|(_, n)| *n).min().unwrap();
	let agreed = block_hash(ports[0], min_fin).unwrap();
	for &port in &ports {
		assert_eq!(block_hash(port, min_fin), Some(agreed), "nodes disagree on #{min_fin}");
	}

	lags.sort_unstable();
	let p95 = lags[(lags.len() * 95 / 100).min(lags.len() - 1)];
	println!(
		"FIGURE local-network finality lag (best - finalized), {} samples: max {} p95 {}",
		lags.len(),
		lags.last().unwrap(),
		p95
	);
}
