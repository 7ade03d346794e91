//! End-to-end, on the attestation scenario's dev node: the gateway (the `city-sim` library:
//! extrinsics built and signed from the chain's metadata, events decoded through it) keeps
//! submitting across a runtime upgrade that changes `spec_version` and `transaction_version`.
//!
//! The chain is upgraded (sudo, `System::set_code`) to the upgrade rehearsal
//! (`citychain_runtime::upgrade_rehearsal`: this runtime with other versions). Transfers and
//! readings built before the upgrade and sent after it still get in: the pool calls the
//! transfers' signatures bad (they commit to the old `transaction_version`) and the gateway
//! signs them again for the new runtime. What the gateway builds after the upgrade goes in
//! without a retry, sent over `wss://` (a TLS proxy with a certificate from a test
//! authority, which the gateway is told to trust). Nothing in the gateway was rebuilt.

use std::time::Duration;

use city_sim::{chain::arg, chain::PairSigner, tracker, Client, Options, SimDevice, Submission};
use pallet_sensor_attestation::{MeasurementKind, Unit};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

use crate::common::*;

const TRANSFERS: u32 = 3;
const READINGS_PER_DEVICE: u32 = 2;

fn options() -> Options {
	Options {
		resubmit_after: Duration::from_secs(6),
		timeout: Duration::from_secs(180),
		verbose: true,
		..Options::default()
	}
}

/// The runtime's `(specVersion, transactionVersion)` at the node's best block.
fn versions(port: u16) -> (u64, u64) {
	let version = rpc(port, "state_getRuntimeVersion", json!([])).unwrap();
	(version["specVersion"].as_u64().unwrap(), version["transactionVersion"].as_u64().unwrap())
}

/// Upgrades the dev chain on `port` (sudo key: Alice) to the upgrade rehearsal and checks that
/// the gateway's submissions, built before and after, all end up finalized. `devices` are
/// registered and certified.
pub fn the_gateway_keeps_submitting_across_a_runtime_upgrade(
	client: &Client,
	port: u16,
	devices: &mut [SimDevice],
) {
	let real = &citychain_runtime::VERSION;
	let before = (u64::from(real.spec_version), u64::from(real.transaction_version));
	assert_eq!(versions(port), before);
	let sender = sr25519::Pair::from_string("//Bob", None).unwrap();
	let sudo = sr25519::Pair::from_string("//Alice", None).unwrap();

	// Built for the runtime of today, sent after the upgrade.
	let mut stale =
		city_sim::transfer_submissions(client, std::slice::from_ref(&sender), TRANSFERS).unwrap();
	stale.extend(
		city_sim::reading_submissions(
			client,
			devices,
			READINGS_PER_DEVICE,
			MeasurementKind::EnergyImport,
			Unit::WattHour,
			|device, seq| device as i64 * 1_000 + seq as i64,
		)
		.unwrap(),
	);

	// The upgrade, built from the metadata like everything else, against the chain as it is
	// now (not the block the simulator keeps for a few seconds).
	let chain = client.chain().unwrap();
	chain.refresh();
	let at = chain.current().unwrap();
	let code = citychain_runtime::upgrade_rehearsal::WASM_BINARY
		.expect("the build script builds the upgrade rehearsal");
	let set_code = at.call("System", "set_code", &[("code", arg(&code.to_vec()))]).unwrap();
	let upgrade = at
		.call(
			"Sudo",
			"sudo_unchecked_weight",
			&[
				("call", at.call_data(&set_code).unwrap()),
				("weight", arg(&sp_runtime::Weight::zero())),
			],
		)
		.unwrap();
	let nonce = city_sim::next_nonce(client, &sudo).unwrap();
	let (report, _) = tracker::run(
		client,
		vec![Submission {
			label: "runtime upgrade".into(),
			lane: 0,
			extrinsic: at.signed(&PairSigner(sudo.clone()), &upgrade, nonce.into()).unwrap(),
			// Signed again if the pool calls the signature bad, as the gateway does for any
			// signed transaction (in this long scenario the first submission once was).
			resign: Some(city_sim::resigner(client, sudo, upgrade, nonce)),
		}],
		&options(),
	)
	.unwrap();
	assert_eq!((report.finalized, report.failed), (1, 0), "{:?}", report.problems);
	let after = wait_for("the upgraded runtime", Duration::from_secs(60), || {
		Some(versions(port)).filter(|v| *v != before)
	});
	assert_eq!(after, (999_999_999, 999_999_999), "the rehearsal's versions");
	// The gateway heard of it from the node (runtime version subscription), not by polling.
	wait_for("the gateway to hear of the upgrade", Duration::from_secs(30), || {
		let heard = client.heads().unwrap().runtime_versions();
		(u64::from(heard.0), u64::from(heard.1)).eq(&after).then_some(())
	});

	// What was signed for the old versions: the transfers are signed again, nothing is lost.
	let total = stale.len();
	let (report, _) = tracker::run(client, stale, &options()).unwrap();
	println!("FIGURE gateway across an upgrade, built before: {}", report.to_json());
	assert_eq!(
		(report.finalized, report.rejected, report.failed, report.unresolved),
		(total, 0, 0, 0),
		"{:?}",
		report.problems
	);
	assert!(
		report.resigned >= TRANSFERS as usize,
		"transfers signed for transaction_version {} cannot be valid under {}: the gateway must \
		 have signed them again ({} re-signed)",
		before.1,
		after.1,
		report.resigned
	);

	// Built after the upgrade: in at the first try. This time through a TLS proxy, as a node
	// behind `wss://` with a certificate from the city's own authority.
	let proxy = TlsProxy::start(port);
	let url = format!("wss://localhost:{}", proxy.port);
	// (By address: `localhost` may resolve to ::1 first, where the proxy does not listen.)
	let untrusted = Client::connect(&format!("wss://127.0.0.1:{}", proxy.port))
		.expect_err("the test authority is not a system root");
	assert!(untrusted.to_lowercase().contains("certificate"), "{untrusted}");
	let client = &Client::connect_trusting(&url, &test_ca()).unwrap();
	let mut fresh = city_sim::transfer_submissions(client, &[sender], TRANSFERS).unwrap();
	fresh.extend(
		city_sim::reading_submissions(
			client,
			devices,
			READINGS_PER_DEVICE,
			MeasurementKind::EnergyImport,
			Unit::WattHour,
			|device, seq| device as i64 * 1_000 + seq as i64,
		)
		.unwrap(),
	);
	let total = fresh.len();
	let (report, _) = tracker::run(client, fresh, &options()).unwrap();
	println!("FIGURE gateway across an upgrade, built after: {}", report.to_json());
	assert_eq!(
		(report.finalized, report.rejected, report.failed, report.resigned),
		(total, 0, 0, 0),
		"{:?}",
		report.problems
	);
	// The chain's metadata now reports the new versions to the gateway too.
	let at = client.chain().unwrap().current().unwrap();
	assert_eq!(at.versions(), (999_999_999, 999_999_999));
}
