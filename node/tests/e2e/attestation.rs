//! End-to-end: the device simulator (`city-sim`, keys from ed25519-dalek, not Substrate's
//! crypto) registers devices and attests their readings fee-less as bare extrinsics on a dev
//! node whose pool is kept small, so the pool drops readings it had accepted and the simulator
//! must resubmit them: every reading still ends up finalized, in order, and
//! `city_latestReadings` shows them. A replay and a forged reading are refused before they
//! reach a block. A batch of 1,000 readings is anchored and one of them proven by
//! `city_verifyReading`, which rejects a tampered copy. Then two rides ([`crate::rides`]) and
//! a citizen's check of a data holder's access log ([`crate::data_access`]); every `city_*`
//! method is fed garbage ([`crate::bad_input`]), two prosumers and two consumers trade an energy market
//! slot ([`crate::energy`]) and, last, the chain is upgraded under the gateway
//! ([`crate::gateway_upgrade`]).

use std::time::Duration;

use city_primitives::DeviceClass;
use city_sim::{tracker, Options, Outcome, Submission};
use pallet_sensor_attestation::{MeasurementKind, Unit};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

use crate::common::*;

/// The node's pool holds at most this many transactions, far fewer than the run sends.
const POOL_LIMIT: usize = 40;
const DEVICES: u32 = 4;
const READINGS_PER_DEVICE: u32 = 40;

fn options() -> Options {
	Options {
		resubmit_after: Duration::from_secs(6),
		timeout: Duration::from_secs(240),
		verbose: true,
		..Options::default()
	}
}

#[test]
fn simulated_devices_attest_readings_and_batches_through_a_lossy_pool() {
	let _serial = serial();
	let [rpc_port, p2p_port] = free_ports(2)[..] else { unreachable!() };
	let dir = test_dir("attestation");
	let mut node = Node::new(
		"dev",
		&dir,
		rpc_port,
		p2p_port,
		&["--dev".to_string(), "--pool-limit".to_string(), POOL_LIMIT.to_string()],
	);
	node.start();
	wait_for("first block", Duration::from_secs(60), || best_number(rpc_port).filter(|n| *n >= 1));
	let client = city_sim::Client::local(rpc_port).unwrap();
	// Extrinsics are built from the chain's metadata at its current block (no compiled runtime).
	let at = || client.chain().and_then(|chain| chain.current()).unwrap();
	let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
	let registrar = alice.clone();

	// Devices registered by the simulator (proof of possession by each device key).
	let (mut devices, registration) = city_sim::register_fleet(
		&client,
		&[alice],
		"e2e-meters",
		DEVICES,
		DeviceClass::SmartMeter,
		3,
		&options(),
	)
	.unwrap();
	assert_eq!(
		(registration.submitted, registration.finalized, registration.rejected),
		(DEVICES as usize, DEVICES as usize, 0)
	);
	let ids: Vec<u64> = devices.iter().map(|d| d.id).collect();
	assert!(devices.iter().all(|d| d.next_seq == 1 && d.next_batch_seq == 1));

	// Uncertified, a device may not submit fee-less: the pool says so (`NotCertified`,
	// error 10), and nothing reaches a block.
	let uncertified = devices[0].clone();
	let mut early = uncertified.clone();
	let first =
		early.next_reading(MeasurementKind::EnergyImport, 1, Unit::WattHour, city_sim::now_ms());
	match rpc(
		rpc_port,
		"author_submitExtrinsic",
		json!([hex_encode(&early.reading_extrinsic(&at(), &first).unwrap())]),
	) {
		Err(RpcError::Rpc { code, data, .. }) => {
			assert_eq!((code, data.as_str()), (1010, "Custom error: 10"))
		}
		other => panic!("an uncertified device's free reading was accepted: {other:?}"),
	}
	// The registrar (root, through sudo, on the dev chain) certifies the fleet.
	let certification = city_sim::certify_fleet(
		&client,
		&city_sim::governance::Authority::sudo(registrar.clone()),
		&mut devices,
		&options(),
	)
	.unwrap();
	// One extrinsic for the fleet: sudo(utility.batchAll(certify, ...)).
	assert_eq!((certification.submitted, certification.finalized, certification.failed), (1, 1, 0));
	assert!(devices.iter().all(|d| d.certified));

	// 160 readings through a 40-transaction pool: the pool drops some of what it accepted,
	// the simulator notices and resubmits, and every reading is finalized.
	let submissions = city_sim::reading_submissions(
		&client,
		&mut devices,
		READINGS_PER_DEVICE,
		MeasurementKind::EnergyImport,
		Unit::WattHour,
		|device, seq| device as i64 * 1_000 + seq as i64,
	)
	.unwrap();
	let first_reading = submissions[0].extrinsic.clone();
	let (report, outcomes) = tracker::run(&client, submissions, &options()).unwrap();
	println!("FIGURE attestation lossy pool: {}", report.to_json());
	let total = (DEVICES * READINGS_PER_DEVICE) as usize;
	assert_eq!(
		(report.submitted, report.finalized, report.rejected, report.failed, report.unresolved),
		(total, total, 0, 0, 0),
		"{:?}",
		report.problems
	);
	assert!(
		report.dropped_by_pool > 0,
		"a {POOL_LIMIT}-transaction pool cannot keep {total} readings: it must have dropped some \
		 it had accepted (and the simulator resubmitted them)"
	);
	// A device's readings were finalized in sequence order (blocks never reorder them).
	for (device, chunk) in ids.iter().zip(0..DEVICES as usize) {
		let blocks: Vec<u32> = outcomes
			.iter()
			.skip(chunk)
			.step_by(DEVICES as usize)
			.map(|o| match o {
				Outcome::Finalized { block, .. } => *block,
				other => panic!("device {device}: {other:?}"),
			})
			.collect();
		assert!(blocks.windows(2).all(|w| w[0] <= w[1]), "device {device}: {blocks:?}");
	}
	let (head, _) = finalized(rpc_port).unwrap();
	for device in &ids {
		let latest =
			rpc(rpc_port, "city_latestReadings", json!([device, format!("{head:?}")])).unwrap();
		// The newest reading by measurement time: usually the last one, but a reading the
		// pool dropped was measured again (same sequence number, later timestamp) and may be
		// newer than the ones after it.
		assert_eq!(latest.as_array().map(Vec::len), Some(1), "one kind: {latest}");
		assert_eq!(latest[0]["kind"], json!("energyImport"));
		let seq = latest[0]["seq"].as_u64().unwrap();
		assert!((1..=READINGS_PER_DEVICE as u64).contains(&seq), "{latest}");
		assert_eq!(latest[0]["value"], json!(*device as i64 * 1_000 + seq as i64));
		assert_eq!(latest[0]["unit"], json!("wattHour"));
		let counters =
			rpc(rpc_port, "city_attestationCounters", json!([device, format!("{head:?}")]))
				.unwrap();
		assert_eq!(counters["lastSeq"], json!(READINGS_PER_DEVICE));
		assert_eq!(counters["readings"], json!(READINGS_PER_DEVICE));
	}

	// Replays and forgeries are refused by the pool, with the pallet's reasons.
	let refused = |extrinsic: Vec<u8>| match rpc(
		rpc_port,
		"author_submitExtrinsic",
		json!([hex_encode(&extrinsic)]),
	) {
		Err(RpcError::Rpc { code, data, .. }) => (code, data),
		other => panic!("the pool accepted a bad reading: {other:?}"),
	};
	// The very bytes of the first reading: invalid (1010) or banned as already seen (1012).
	let (code, _) = refused(first_reading);
	assert!(code == 1010 || code == 1012, "replay answered {code}");
	// A new reading re-using sequence number 1: outdated.
	let mut replaying =
		city_sim::SimDevice::new(devices[0].key.clone(), ids[0], 0, devices[0].genesis, 0, 0);
	let reused = replaying.next_reading(
		MeasurementKind::EnergyImport,
		7,
		Unit::WattHour,
		city_sim::now_ms(),
	);
	assert_eq!(
		refused(replaying.reading_extrinsic(&at(), &reused).unwrap()),
		(1010, "Transaction is outdated".into())
	);
	// The next reading of device 0, signed by device 1's key: `BadSignature` (error 3).
	let mut forging = city_sim::SimDevice::new(
		devices[1].key.clone(),
		ids[0],
		0,
		devices[0].genesis,
		READINGS_PER_DEVICE as u64,
		0,
	);
	let forged =
		forging.next_reading(MeasurementKind::EnergyImport, 1, Unit::WattHour, city_sim::now_ms());
	assert_eq!(
		refused(forging.reading_extrinsic(&at(), &forged).unwrap()),
		(1010, "Custom error: 3".into())
	);
	// The simulator counts a replay as rejected, not lost.
	let (report, outcomes) = tracker::run(
		&client,
		vec![Submission {
			label: "replay".into(),
			lane: 1,
			extrinsic: replaying.reading_extrinsic(&at(), &reused).unwrap(),
			resign: None,
		}],
		&options(),
	)
	.unwrap();
	assert_eq!((report.rejected, report.finalized), (1, 0));
	assert!(matches!(&outcomes[0], Outcome::Rejected(_)), "{outcomes:?}");

	// A batch of 1,000 readings from the first device, anchored by its Merkle root.
	let (submissions, batches) =
		city_sim::batch_submissions(&client, &mut devices[..1], 1, 1000).unwrap();
	let (report, _) = tracker::run(&client, submissions, &options()).unwrap();
	assert_eq!((report.finalized, report.rejected), (1, 0), "{:?}", report.problems);
	let batch = &batches[0];
	let (head, _) = finalized(rpc_port).unwrap();
	let anchors =
		rpc(rpc_port, "city_anchors", json!([ids[0], null, null, format!("{head:?}")])).unwrap();
	assert_eq!(anchors[0]["count"], json!(1000));
	assert_eq!(anchors[0]["batchSeq"], json!(1));
	assert_eq!(anchors[0]["root"], json!(format!("{:?}", batch.anchor.root)));

	// Prove reading 500; a tampered copy fails; an unknown batch is an error.
	let proof: Vec<String> = batch.proof(500).unwrap().iter().map(|h| format!("{h:?}")).collect();
	let reading = &batch.readings[500];
	let verified = rpc(
		rpc_port,
		"city_verifyReading",
		json!([ids[0], 1, city_sim::reading_json(reading), 500, proof.clone()]),
	)
	.unwrap();
	assert_eq!(verified["valid"], json!(true), "{verified}");
	assert_eq!(verified["anchor"]["count"], json!(1000));
	let mut tampered = reading.clone();
	tampered.value += 1;
	let rejected = rpc(
		rpc_port,
		"city_verifyReading",
		json!([ids[0], 1, city_sim::reading_json(&tampered), 500, proof.clone()]),
	)
	.unwrap();
	assert_eq!(rejected["valid"], json!(false));
	assert_eq!(rejected["reason"], json!("proofMismatch"));
	match rpc(
		rpc_port,
		"city_verifyReading",
		json!([ids[0], 9, city_sim::reading_json(reading), 500, proof]),
	) {
		Err(RpcError::Rpc { code, .. }) => assert_eq!(code, 4004),
		other => panic!("an unknown batch is a 4004 error, got {other:?}"),
	}
	match rpc(rpc_port, "city_anchors", json!([ids[0], null, 0])) {
		Err(RpcError::Rpc { code, .. }) => assert_eq!(code, 4001),
		other => panic!("limit 0 is a 4001 error, got {other:?}"),
	}
	let counters = rpc(rpc_port, "city_attestationCounters", json!([ids[0]])).unwrap();
	assert_eq!(
		(counters["lastBatchSeq"].clone(), counters["batches"].clone()),
		(json!(1), json!(1))
	);
	assert!(node.is_running());

	// Every city_* method, every parameter, with garbage (on this node a device has a batch
	// anchored, so every method's baseline call succeeds).
	let alice_account: citychain_runtime::AccountId =
		sr25519::Pair::from_string("//Alice", None).unwrap().public().into();
	let key = json!({
		"scheme": "ed25519",
		"publicKey": hex_encode(&devices[0].key.verifying_key().to_bytes()),
	});
	let proof: Vec<String> = batch.proof(500).unwrap().iter().map(|h| format!("{h:?}")).collect();
	// One ride settles and one is cancelled on this node (before the bad input, which asks
	// about that ride and its driver).
	let (ride, driver) = crate::rides::one_ride_settles_and_one_is_cancelled(&client, rpc_port);
	let access = crate::data_access::a_citizen_flags_the_access_made_after_revoking_consent(
		&client, rpc_port,
	);
	let credits = crate::credits::credits_for_deeds_and_for_shared_readings(
		&client,
		rpc_port,
		&mut devices[0],
	);
	crate::bad_input::every_city_method_refuses_bad_input(
		&mut node,
		crate::bad_input::Fixture {
			ride,
			driver,
			access,
			credits,
			device: ids[0],
			owner: alice_account.to_string(),
			key,
			batch_seq: 1,
			reading: city_sim::reading_json(&batch.readings[500]),
			leaf_index: 500,
			proof,
		},
	);

	// Two prosumers and two consumers trade a slot of the energy market on this node.
	crate::energy::two_prosumers_and_two_consumers_trade_a_slot(&client, rpc_port);

	// Last, as it changes the runtime: the gateway across a runtime upgrade.
	crate::gateway_upgrade::the_gateway_keeps_submitting_across_a_runtime_upgrade(
		&client,
		rpc_port,
		&mut devices,
	);
	assert!(node.is_running());
	node.stop();
}
