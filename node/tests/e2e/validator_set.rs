//! End-to-end: the city changes its validator set on a live network, exactly as the runbook
//! (`docs/validators.md`) says.
//!
//! 1. Alice, Bob, Charlie, Dave validate (`--chain local`); Eve runs `--validator` without
//!    keys: a full node, not in the set.
//! 2. Ferdie registers two air sensors (through `city-sim`); a council motion certifies them.
//!    Eve generates session keys over RPC (`author_rotateKeysWithOwner`) and registers them
//!    (`session.set_keys`); the council (the four operators: the local testnet has no sudo
//!    key) passes a motion that adds her (`validatorSet.addValidator`).
//! 3. After the session change Eve is an Aura and GRANDPA authority and authors blocks. Her
//!    GRANDPA votes count: with Dave stopped, the 4 online voters of 5 (Eve among them) still
//!    reach the 2/3 supermajority, and finality advances.
//! 4. Two of five validators stop: finality halts (as GRANDPA requires), blocks continue.
//!    They restart: finality resumes on its own and every node agrees on the finalized hash.
//! 5. A council motion removes Dave: after the session change he is no authority and authors
//!    no more blocks.
//!
//! 6. The council upgrades the runtime of the live network (`runtime_upgrade.rs`: a second
//!    runtime with a higher spec version and the ride pallet's storage migration, and a
//!    polkadot.js client that lives through it), on the same network.
//!
//! Finality never stalls during the two membership changes or the upgrade.

use std::time::{Duration, Instant};

use crate::common::*;
use codec::{Decode, Encode};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

const NAMES: [&str; 5] = ["alice", "bob", "charlie", "dave", "eve"];
/// Sessions are 10 blocks (60 s); a key change takes effect one to two sessions later.
const SESSION_WAIT: Duration = Duration::from_secs(240);

/// Waits until finality on `port` passes its current finalized number by `blocks`.
fn finality_advances(port: u16, blocks: u32, timeout: Duration) {
	let (_, start) = finalized(port).unwrap();
	wait_for(&format!("finality +{blocks} on {port}"), timeout, || {
		finalized(port).filter(|(_, n)| *n >= start + blocks)
	});
}

#[test]
fn city_adds_and_removes_validators_and_upgrades_the_runtime_on_a_live_network() {
	let _serial = serial();
	let dir = test_dir("validator-set");
	// The local testnet, with the ride pallet at storage version 0 for the upgrade (step 6).
	let spec = crate::runtime_upgrade::local_spec_with_rides_at_v0(&dir).display().to_string();
	let ports = free_ports(2 * NAMES.len());
	let (rpc_ports, p2p_ports) = ports.split_at(NAMES.len());
	let boot = peer_id_of(&node_key(0), &dir);
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{boot}", p2p_ports[0]);
	let mut nodes: Vec<Node> = NAMES
		.iter()
		.enumerate()
		.map(|(i, name)| {
			let mut extra = vec!["--chain".into(), spec.clone(), "--node-key".into(), node_key(i)];
			if *name == "eve" {
				// A validator-to-be: authoring enabled, but no keys yet and not in the set.
				extra.extend(["--validator".into(), "--name".into(), "Eve".into()]);
			} else {
				extra.push(format!("--{name}"));
			}
			if i != 0 {
				extra.extend(["--bootnodes".into(), bootnode.clone()]);
			}
			Node::new(name, &dir, rpc_ports[i], p2p_ports[i], &extra)
		})
		.collect();
	for node in nodes.iter_mut() {
		node.start();
	}
	let ports: Vec<u16> = nodes.iter().map(|n| n.rpc_port).collect();
	let (alice_port, eve_port) = (ports[0], ports[4]);
	for &port in &ports {
		wait_for("finalized #2", Duration::from_secs(120), || {
			finalized(port).filter(|(_, n)| *n >= 2)
		});
	}

	// A device certified by a council motion (the registrar: more than half of the council),
	// through the simulator as a city's gateway does it; the local testnet has no sudo key.
	let council = local_council();
	let client = city_sim::Client::local(alice_port).unwrap();
	let sim_options =
		city_sim::Options { timeout: Duration::from_secs(120), ..city_sim::Options::default() };
	let ferdie = sr25519::Pair::from_string("//Ferdie", None).unwrap();
	let (mut sensors, registered) = city_sim::register_fleet(
		&client,
		&[ferdie],
		"e2e-council",
		2,
		city_primitives::DeviceClass::AirQualitySensor,
		1,
		&sim_options,
	)
	.unwrap();
	assert_eq!((registered.finalized, registered.rejected), (2, 0), "{:?}", registered.problems);
	assert!(sensors.iter().all(|sensor| !sensor.certified));
	let certified = city_sim::certify_fleet(
		&client,
		&city_sim::governance::Authority::Council(council.clone()),
		&mut sensors,
		&sim_options,
	)
	.unwrap();
	for sensor in &sensors {
		let record = rpc(alice_port, "city_device", json!([sensor.id])).unwrap();
		assert!(!record["certification"].is_null(), "device {} certified: {record}", sensor.id);
	}
	println!("FIGURE certified by a council motion: {}", certified.to_json());

	// 2. Eve's keys: generated in her node's keystore, with a proof naming her account.
	let eve = sr25519::Pair::from_string("//Eve", None).unwrap();
	let eve_account: citychain_runtime::AccountId = eve.public().into();
	let generated =
		rpc(eve_port, "author_rotateKeysWithOwner", json!([hex_encode(&eve_account.encode())]))
			.expect("author_rotateKeysWithOwner");
	let keys_bytes = hex_decode(generated["keys"].as_str().expect("keys"));
	let proof = hex_decode(generated["proof"].as_str().expect("proof of possession"));
	let keys = citychain_runtime::SessionKeys::decode(&mut &keys_bytes[..]).expect("session keys");
	let eve_aura = keys.aura.clone();
	let eve_grandpa = keys.grandpa.clone();
	submit_and_finalize(
		eve_port,
		&eve,
		citychain_runtime::RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof }),
		Duration::from_secs(60),
	);
	// The council (the four operators) passes the motion: the local testnet has no sudo key.
	council_motion(
		alice_port,
		&council,
		citychain_runtime::RuntimeCall::ValidatorSet(pallet_validator_set::Call::add_validator {
			who: eve_account.clone(),
		}),
		Duration::from_secs(60),
	);
	let (_, added_number) = finalized(alice_port).unwrap();

	// 3. Eve becomes an authority and authors blocks; finality kept going meanwhile.
	wait_for("Eve in the Aura and GRANDPA sets", SESSION_WAIT, || {
		let (head, _) = finalized(alice_port)?;
		let aura = aura_authorities(alice_port, Some(head));
		let grandpa = grandpa_authorities(alice_port, Some(head));
		(aura.contains(&eve_aura) && grandpa.iter().any(|(id, _)| *id == eve_grandpa)).then_some(())
	});
	let (_, joined_number) = finalized(alice_port).unwrap();
	assert!(joined_number > added_number, "finality advanced through the change");
	let start = Instant::now();
	wait_for("a block authored by Eve", Duration::from_secs(120), || {
		let head = best_hash(eve_port)?;
		(block_author(eve_port, head)? == eve_aura).then_some(())
	});
	println!("FIGURE Eve authored a block {:.0} s after joining", start.elapsed().as_secs_f64());

	// Eve's votes count: 5 voters need 4; with Dave down, Alice+Bob+Charlie+Eve finalize.
	nodes[3].stop();
	finality_advances(alice_port, 3, Duration::from_secs(120));
	nodes[3].start();

	// 4. Two of five down: finality halts, blocks continue; back up: it resumes by itself.
	for &port in &ports {
		wait_for("dave caught up", Duration::from_secs(120), || {
			let (_, n) = finalized(port)?;
			let (_, a) = finalized(alice_port)?;
			(n + 2 >= a).then_some(())
		});
	}
	nodes[2].stop();
	nodes[3].stop();
	// Votes cast before the stop may still finalize a few blocks (finality lags 2-3 blocks):
	// wait until finality stands still while 3 new blocks are authored ...
	let settle_started = Instant::now();
	let halted_at = loop {
		let (_, before) = finalized(alice_port).unwrap();
		let best = best_number(alice_port).unwrap();
		wait_for("3 more blocks", Duration::from_secs(60), || {
			best_number(alice_port).filter(|n| *n >= best + 3)
		});
		let (_, after) = finalized(alice_port).unwrap();
		if after == before {
			break after;
		}
		assert!(
			settle_started.elapsed() < Duration::from_secs(120),
			"finality kept advancing with 3 of 5 voters: {before} -> {after}"
		);
	};
	// ... then watch 5 more blocks: with 3 of 5 voters, none of them is finalized.
	let best_before = best_number(alice_port).unwrap();
	wait_for("5 more blocks while finality halts", Duration::from_secs(90), || {
		best_number(alice_port).filter(|n| *n >= best_before + 5)
	});
	let (_, still) = finalized(alice_port).unwrap();
	assert_eq!(still, halted_at, "finality must halt with 3 of 5 voters");
	nodes[2].start();
	nodes[3].start();
	finality_advances(alice_port, 3, Duration::from_secs(180));
	let (_, target) = finalized(alice_port).unwrap();
	for &port in &ports {
		wait_for("every node finalizes the same height", Duration::from_secs(120), || {
			finalized(port).filter(|(_, n)| *n >= target)
		});
	}
	let agreed = block_hash(alice_port, target).unwrap();
	for &port in &ports {
		assert_eq!(block_hash(port, target), Some(agreed), "nodes disagree at #{target}");
	}

	// 5. Dave is removed and stops authoring.
	let dave_aura: sp_consensus_aura::sr25519::AuthorityId =
		sp_keyring::Sr25519Keyring::Dave.public().into();
	council_motion(
		alice_port,
		&council,
		citychain_runtime::RuntimeCall::ValidatorSet(
			pallet_validator_set::Call::remove_validator {
				who: sp_keyring::Sr25519Keyring::Dave.to_account_id(),
			},
		),
		Duration::from_secs(60),
	);
	let (_, removed_number) = finalized(alice_port).unwrap();
	let gone_at = wait_for("Dave out of the Aura set", SESSION_WAIT, || {
		let (head, n) = finalized(alice_port)?;
		(!aura_authorities(alice_port, Some(head)).contains(&dave_aura)).then_some(n)
	});
	assert!(gone_at > removed_number, "finality advanced through the removal");
	finality_advances(alice_port, 6, Duration::from_secs(120));
	let (head, head_number) = finalized(alice_port).unwrap();
	let mut hash = head;
	for _ in 0..(head_number - gone_at) {
		assert_ne!(
			block_author(alice_port, hash),
			Some(dave_aura.clone()),
			"Dave authored after removal"
		);
		let header = rpc(alice_port, "chain_getHeader", json!([format!("{hash:?}")])).unwrap();
		hash = sp_core::H256::from_slice(&hex_decode(header["parentHash"].as_str().unwrap()));
	}
	assert_eq!(grandpa_authorities(alice_port, Some(head)).len(), 4);

	// 6. The runtime upgrade, on every node (Dave's full node too).
	crate::runtime_upgrade::the_council_upgrades_the_live_network(&ports, &council);
}
