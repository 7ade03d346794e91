//! End-to-end: readings signed outside the node (ed25519-dalek) are attested fee-less as bare
//! extrinsics, shown by `city_latestReadings`; a batch of 1,000 readings is anchored and one of
//! them proven by `city_verifyReading`, which rejects a tampered one. A replay is refused
//! before it reaches a block.

use std::time::Duration;

use city_primitives::{DeviceClass, DeviceKey};
use codec::Encode;
use ed25519_dalek::Signer;
use pallet_sensor_attestation::{BatchAnchor, MeasurementKind, Reading, Unit};
use serde_json::json;
use sp_core::{crypto::Pair as _, ed25519, sr25519};

use crate::common::*;

const RPC_PORT: u16 = 19950;
const P2P_PORT: u16 = 40350;

fn bare(call: pallet_sensor_attestation::Call<citychain_runtime::Runtime>) -> String {
	hex_encode(
		&citychain_runtime::UncheckedExtrinsic::new_bare(
			citychain_runtime::RuntimeCall::SensorAttestation(call),
		)
		.encode(),
	)
}

fn now_ms() -> u64 {
	std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

#[test]
fn readings_signed_outside_are_attested_anchored_and_proven() {
	let dir = test_dir("attestation");
	let mut node = Node::new("dev", &dir, RPC_PORT, P2P_PORT, &["--dev".to_string()]);
	node.start();
	wait_for("first block", Duration::from_secs(60), || best_number(RPC_PORT).filter(|n| *n >= 1));
	let genesis = block_hash(RPC_PORT, 0).unwrap();

	// A meter with an ed25519 key made outside Substrate, registered by Alice.
	let meter = ed25519_dalek::SigningKey::from_bytes(&[0x33; 32]);
	let meter_public = meter.verifying_key().to_bytes();
	let key = DeviceKey::Ed25519(ed25519::Public::from_raw(meter_public));
	let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
	let alice_account: citychain_runtime::AccountId = alice.public().into();
	let proof =
		meter.sign(&pallet_device_registry::register_payload(&genesis, &alice_account, &key));
	submit_and_finalize(
		RPC_PORT,
		&alice,
		citychain_runtime::RuntimeCall::DeviceRegistry(pallet_device_registry::Call::register {
			class: DeviceClass::SmartMeter,
			zone: 1,
			key: key.clone(),
			proof: sp_runtime::MultiSignature::Ed25519(ed25519::Signature::from_raw(
				proof.to_bytes(),
			)),
			operator: None,
			metadata: Default::default(),
		}),
		Duration::from_secs(60),
	);
	let device = rpc(
		RPC_PORT,
		"city_deviceByKey",
		json!([{"scheme": "ed25519", "publicKey": hex_encode(&meter_public)}]),
	)
	.unwrap()["id"]
		.as_u64()
		.unwrap();

	// Three single readings, fee-less: bare extrinsics signed by the meter.
	let sign = |payload: Vec<u8>| {
		sp_runtime::MultiSignature::Ed25519(ed25519::Signature::from_raw(
			meter.sign(&payload).to_bytes(),
		))
	};
	let mut first = None;
	for seq in 1..=3u64 {
		let reading = Reading {
			device,
			seq,
			timestamp_ms: now_ms(),
			kind: MeasurementKind::EnergyExport,
			value: 1_000 * seq as i64,
			unit: Unit::WattHour,
		};
		let signature = sign(pallet_sensor_attestation::reading_payload(&genesis, 0, &reading));
		let xt = bare(pallet_sensor_attestation::Call::submit_reading {
			reading,
			key_epoch: 0,
			signature,
		});
		rpc(RPC_PORT, "author_submitExtrinsic", json!([xt]))
			.expect("a signed reading enters the pool");
		first.get_or_insert(xt);
	}
	let latest = wait_for("three readings finalized", Duration::from_secs(60), || {
		let (head, _) = finalized(RPC_PORT)?;
		let latest =
			rpc(RPC_PORT, "city_latestReadings", json!([device, format!("{head:?}")])).ok()?;
		(latest[0]["seq"] == json!(3)).then_some(latest)
	});
	assert_eq!(latest[0]["kind"], json!("energyExport"));
	assert_eq!(latest[0]["value"], json!(3000));
	assert_eq!(latest[0]["unit"], json!("wattHour"));
	// A replayed reading is refused by the pool, with an error.
	assert!(matches!(
		rpc(RPC_PORT, "author_submitExtrinsic", json!([first.unwrap()])),
		Err(RpcError::Rpc { .. })
	));

	// A batch of 1,000 readings, anchored by its Merkle root.
	let start = now_ms() - 1_000_000;
	let readings: Vec<Reading> = (0..1000u64)
		.map(|i| Reading {
			device,
			seq: 100 + i,
			timestamp_ms: start + i * 1_000,
			kind: MeasurementKind::Power,
			value: 500 + i as i64,
			unit: Unit::Watt,
		})
		.collect();
	let leaves: Vec<Vec<u8>> = readings.iter().map(|r| r.encode()).collect();
	let root =
		binary_merkle_tree::merkle_root::<sp_runtime::traits::BlakeTwo256, _>(leaves.clone());
	let anchor = BatchAnchor {
		device,
		batch_seq: 1,
		period_start_ms: readings[0].timestamp_ms,
		period_end_ms: readings[999].timestamp_ms,
		count: 1000,
		root,
	};
	let signature = sign(pallet_sensor_attestation::batch_payload(&genesis, 0, &anchor));
	rpc(
		RPC_PORT,
		"author_submitExtrinsic",
		json!([bare(pallet_sensor_attestation::Call::anchor_batch {
			anchor,
			key_epoch: 0,
			signature
		})]),
	)
	.expect("the anchor enters the pool");
	let anchors = wait_for("batch anchored and finalized", Duration::from_secs(60), || {
		let (head, _) = finalized(RPC_PORT)?;
		let anchors =
			rpc(RPC_PORT, "city_anchors", json!([device, null, null, format!("{head:?}")])).ok()?;
		(!anchors.as_array()?.is_empty()).then_some(anchors)
	});
	assert_eq!(anchors[0]["count"], json!(1000));
	assert_eq!(anchors[0]["root"], json!(format!("{root:?}")));

	// Prove reading 500; a tampered copy fails.
	let proof =
		binary_merkle_tree::merkle_proof::<sp_runtime::traits::BlakeTwo256, _, _>(leaves, 500);
	let proof_hex: Vec<String> = proof.proof.iter().map(|h| format!("{h:?}")).collect();
	let reading_json = |r: &Reading| json!({"device": r.device, "seq": r.seq, "timestampMs": r.timestamp_ms, "kind": "power", "value": r.value, "unit": "watt"});
	let verified = rpc(
		RPC_PORT,
		"city_verifyReading",
		json!([device, 1, reading_json(&readings[500]), 500, proof_hex.clone()]),
	)
	.unwrap();
	assert_eq!(verified["valid"], json!(true), "{verified}");
	let mut tampered = readings[500].clone();
	tampered.value += 1;
	let rejected = rpc(
		RPC_PORT,
		"city_verifyReading",
		json!([device, 1, reading_json(&tampered), 500, proof_hex.clone()]),
	)
	.unwrap();
	assert_eq!(rejected["valid"], json!(false));
	assert_eq!(rejected["reason"], json!("proofMismatch"));
	match rpc(
		RPC_PORT,
		"city_verifyReading",
		json!([device, 9, reading_json(&readings[500]), 500, proof_hex]),
	) {
		Err(RpcError::Rpc { code, .. }) => assert_eq!(code, 4004),
		other => panic!("an unknown batch is a 4004 error, got {other:?}"),
	}
	match rpc(RPC_PORT, "city_anchors", json!([device, null, 0])) {
		Err(RpcError::Rpc { code, .. }) => assert_eq!(code, 4001),
		other => panic!("limit 0 is a 4001 error, got {other:?}"),
	}
	assert!(node.is_running());
	node.stop();
}
