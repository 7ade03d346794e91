//! # city-sim: CityChain device and gateway simulator
//!
//! What a city gateway does, over JSON-RPC on one WebSocket (`ws://`, or `wss://` for a node
//! behind TLS; [`rpc`]):
//! - generates device keys (ed25519-dalek: not Substrate's crypto) and registers the devices
//!   with a proof of possession ([`register_fleet`]); has the registrar certify them
//!   ([`certify_fleet`]: only certified devices submit fee-less);
//! - signs readings and Merkle-rooted batches with the device keys and submits them as bare,
//!   fee-less extrinsics ([`reading_submissions`], [`batch_submissions`]);
//! - follows every submission until it is in a finalized block, resubmitting what the pool
//!   dropped ([`tracker`]), and reports submitted / finalized / resubmitted / rejected;
//! - runs prosumer and consumer agents through energy market slots: orders, meter counters
//!   attested at the slot's boundaries (with a configurable shortfall), settlement
//!   ([`energy`]).
//!
//! Nothing is compiled against the runtime: calls, extrinsics (bare and signed, with the
//! chain's current `spec_version` and `transaction_version`) and events are built and decoded
//! from the metadata of the chain's current block, through subxt ([`chain`]), so a runtime
//! upgrade does not need a new simulator. The device payloads and Merkle trees are the device
//! SDK's (`city-device`).
//!
//! The `city-sim` binary wraps this for the command line and the load benchmark
//! (`scripts/bench-attestation.sh`); the node's end-to-end tests use the library. Signed
//! transactions are mortal: valid for [`chain::TX_MORTALITY`] blocks from the finalized head at
//! the time they are built.

// No slicing or indexing of what the node sends back.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

pub mod access;
pub mod chain;
pub mod credits;
pub mod device;
pub mod energy;
pub mod governance;
pub mod rides;
pub mod rpc;
pub mod tracker;

use std::time::{SystemTime, UNIX_EPOCH};

use city_device::{MeasurementKind, Reading, Unit};
use city_primitives::{DeviceClass, DeviceId, KeyEpoch, ZoneId};
use codec::Compact;
use ed25519_dalek::SigningKey;
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

use chain::{arg, AtBlock, Call, PairSigner};
pub use device::{Batch, SimDevice};
use rpc::field;
pub use rpc::{Client, RpcError};
pub use tracker::{Options, Outcome, Report, Submission};

/// An account's SS58 address (the default prefix; the node takes any).
pub fn address(pair: &sr25519::Pair) -> String {
	use sp_core::crypto::Ss58Codec;
	sp_runtime::AccountId32::from(pair.public()).to_ss58check()
}

/// An account's 32 bytes, as calls take it.
pub fn account_bytes(pair: &sr25519::Pair) -> [u8; 32] {
	sp_runtime::AccountId32::from(pair.public()).into()
}

/// A decimal amount string of a `city_*` answer.
pub fn amount(value: &serde_json::Value) -> Result<u128, String> {
	value.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| format!("not an amount: {value}"))
}

/// `method(params)` on the node, its error naming the method.
pub fn call_method(
	client: &Client,
	method: &str,
	params: serde_json::Value,
) -> Result<serde_json::Value, String> {
	client.call(method, params).map_err(|e| format!("{method}: {e}"))
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The sr25519 account named by `source`: a development account (`//Alice`, `//Bob`, ...:
/// well-known keys, no secret), or where a secret URI (mnemonic, hex seed, with derivations)
/// is kept: `env:VAR` (an environment variable) or `file:PATH` (a file's first line). A secret
/// itself on the command line is refused: command lines end up in shell histories and process
/// lists.
pub fn account(source: &str) -> Result<sr25519::Pair, String> {
	let secret = if let Some(var) = source.strip_prefix("env:") {
		std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?
	} else if let Some(path) = source.strip_prefix("file:") {
		let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
		text.lines().next().unwrap_or_default().trim().to_string()
	} else if is_dev_account(source) {
		source.to_string()
	} else {
		return Err(format!(
			"{:?} is not a development account (//Name): pass a secret as env:VAR or file:PATH",
			source.chars().take(8).collect::<String>()
		));
	};
	// The error names the source, never the secret.
	sr25519::Pair::from_string(&secret, None)
		.map_err(|e| format!("the secret from {source} is not a valid secret URI: {e:?}"))
}

/// `//Name`: a well-known development key derived from the public development phrase.
fn is_dev_account(uri: &str) -> bool {
	uri.strip_prefix("//")
		.is_some_and(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The account's next nonce, counting its transactions in the pool.
pub fn next_nonce(client: &Client, account: &sr25519::Pair) -> Result<u32, RpcError> {
	use sp_core::crypto::Ss58Codec;
	let address = sp_runtime::AccountId32::from(account.public()).to_ss58check();
	let nonce = client.call("system_accountNextIndex", json!([address]))?;
	nonce
		.as_u64()
		.map(|n| n as u32)
		.ok_or_else(|| RpcError::Transport(format!("nonce is not a number: {nonce}")))
}

/// The chain connection of `client`, and the block new extrinsics are built against.
fn chain_at(client: &Client) -> Result<(chain::Chain, AtBlock), String> {
	let chain = client.chain()?;
	let at = chain.current()?;
	Ok((chain, at))
}

/// A registered device as the registry reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registered {
	/// Its id.
	pub id: DeviceId,
	/// Its current key epoch.
	pub key_epoch: KeyEpoch,
	/// Whether the city registrar certified it.
	pub certified: bool,
}

/// The registry entry of the device with ed25519 key `key`, if registered.
pub fn lookup_devices(
	client: &Client,
	keys: &[SigningKey],
) -> Result<Vec<Option<Registered>>, RpcError> {
	let mut found = Vec::with_capacity(keys.len());
	for chunk in keys.chunks(256) {
		let calls: Vec<(&str, serde_json::Value)> = chunk
			.iter()
			.map(|key| {
				let public = rpc::hex_encode(&key.verifying_key().to_bytes());
				("city_deviceByKey", json!([{"scheme": "ed25519", "publicKey": public}]))
			})
			.collect();
		for answer in client.batch(&calls)? {
			found.push(match answer {
				Ok(device) => {
					match (field(&device, "id").as_u64(), field(&device, "keyEpoch").as_u64()) {
						(Some(id), Some(epoch)) => Some(Registered {
							id,
							key_epoch: epoch as KeyEpoch,
							certified: !field(&device, "certification").is_null(),
						}),
						_ => {
							return Err(RpcError::Transport(format!("unexpected device: {device}")))
						}
					}
				}
				// 4004: no device has this key.
				Err(RpcError::Rpc { code: 4004, .. }) => None,
				Err(e) => return Err(e),
			});
		}
	}
	Ok(found)
}

/// The device's `(last_seq, last_batch_seq)` at the best block.
pub fn sequences(client: &Client, device: DeviceId) -> Result<(u64, u64), RpcError> {
	let counters = client.call("city_attestationCounters", json!([device]))?;
	match (field(&counters, "lastSeq").as_u64(), field(&counters, "lastBatchSeq").as_u64()) {
		(Some(seq), Some(batch)) => Ok((seq, batch)),
		_ => Err(RpcError::Transport(format!("unexpected counters: {counters}"))),
	}
}

/// Devices `0..count` of fleet `seed`, registered (those not yet registered are registered now,
/// owned round-robin by `owners`, who pay the deposit) and ready to sign, their sequence
/// numbers resumed from the chain. Also returns the registration run's report.
pub fn register_fleet(
	client: &Client,
	owners: &[sr25519::Pair],
	seed: &str,
	count: u32,
	class: DeviceClass,
	zone: ZoneId,
	options: &Options,
) -> Result<(Vec<SimDevice>, Report), String> {
	if owners.is_empty() {
		return Err("at least one owner account is needed".into());
	}
	let (chain, at) = chain_at(client)?;
	let genesis = chain.genesis_hash();
	let keys: Vec<SigningKey> = (0..count).map(|i| device::fleet_key(seed, i)).collect();
	let known = lookup_devices(client, &keys).map_err(|e| e.to_string())?;
	let mut nonces = Vec::new();
	for owner in owners {
		nonces.push(next_nonce(client, owner).map_err(|e| e.to_string())?);
	}
	let mut submissions = Vec::new();
	for (index, (key, known)) in keys.iter().zip(&known).enumerate() {
		if known.is_some() {
			continue;
		}
		let lane = index % owners.len();
		let (Some(owner), Some(next)) = (owners.get(lane), nonces.get_mut(lane)) else {
			continue;
		};
		let owner = owner.clone();
		let nonce = *next;
		*next += 1;
		let call = device::register_call(&at, key, genesis, &owner.public().0, class, zone)?;
		let extrinsic = at.signed(&PairSigner(owner.clone()), &call, nonce.into())?;
		submissions.push(Submission {
			label: format!("register device {seed}/{index}"),
			lane: lane as u64,
			extrinsic,
			// sr25519 signatures are randomised: signing again gives other bytes.
			resign: Some(resigner(client, owner, call, nonce)),
		});
	}
	let (report, _) = tracker::run(client, submissions, options).map_err(|e| e.to_string())?;
	let registered = lookup_devices(client, &keys).map_err(|e| e.to_string())?;
	let mut devices = Vec::with_capacity(keys.len());
	for (index, (key, found)) in keys.into_iter().zip(registered).enumerate() {
		let Registered { id, key_epoch, certified } = found.ok_or_else(|| {
			format!("device {seed}/{index} is not registered: {:?}", report.problems)
		})?;
		let (last_seq, last_batch_seq) = sequences(client, id).map_err(|e| e.to_string())?;
		let mut device = SimDevice::new(key, id, key_epoch, genesis, last_seq, last_batch_seq);
		device.certified = certified;
		devices.push(device);
	}
	Ok((devices, report))
}

/// Has the city registrar (`registrar`: the sudo key on a development chain, a council motion
/// elsewhere) certify every device of `devices` that is not certified yet (only certified
/// devices submit fee-less), in batches. Returns the run's report; an error if a device is
/// still not certified afterwards.
pub fn certify_fleet(
	client: &Client,
	registrar: &governance::Authority,
	devices: &mut [SimDevice],
	options: &Options,
) -> Result<Report, String> {
	let (_, at) = chain_at(client)?;
	let mut calls = Vec::new();
	for device in devices.iter().filter(|d| !d.certified) {
		calls.push(at.call("DeviceRegistry", "certify", &[("device", arg(&device.id))])?);
	}
	let mut report = if calls.is_empty() {
		Report::default()
	} else {
		registrar.dispatch(client, "certify devices", calls, options)?
	};
	// Ask the registry what it holds.
	let mut refused = 0;
	for device in devices.iter_mut().filter(|d| !d.certified) {
		let record = client.call("city_device", json!([device.id])).map_err(|e| e.to_string())?;
		device.certified = !field(&record, "certification").is_null();
		if !device.certified {
			refused += 1;
			if report.problems.len() < 20 {
				report.problems.push(format!("device {} is still not certified", device.id));
			}
		}
	}
	if refused > 0 {
		return Err(format!("{refused} devices are still not certified: {:?}", report.problems));
	}
	Ok(report)
}

/// Signs `call` again when the tracker asks, anchored to the finalized head of that moment (a
/// mortal transaction re-signed with its first block could be past its era), with the
/// metadata and versions the pool checks against then (an upgrade in between is followed),
/// over the client's connection of that moment (a lost one is opened again). `None` if the
/// chain cannot be asked now.
pub fn resigner(client: &Client, owner: sr25519::Pair, call: Call, nonce: u32) -> tracker::Resign {
	let client = client.clone();
	let signer = PairSigner(owner);
	Box::new(move |_| {
		client
			.chain()
			.and_then(|chain| chain.current())
			.and_then(|at| at.signed(&signer, &call, nonce.into()))
			.ok()
	})
}

/// `per_device` single readings from each device, interleaved (every device's first reading,
/// then every device's second, ...), stamped now. If the pool bans a reading's bytes after
/// dropping it, the device measures again: same sequence number, fresh timestamp.
pub fn reading_submissions(
	client: &Client,
	devices: &mut [SimDevice],
	per_device: u32,
	kind: MeasurementKind,
	unit: Unit,
	value_at: impl Fn(DeviceId, u64) -> i64,
) -> Result<Vec<Submission>, String> {
	let (_, at) = chain_at(client)?;
	let mut submissions = Vec::new();
	for _ in 0..per_device {
		for device in devices.iter_mut() {
			let seq = device.next_seq;
			let reading = device.next_reading(kind, value_at(device.id, seq), unit, now_ms());
			let extrinsic = device.reading_extrinsic(&at, &reading)?;
			let signer = device.clone();
			let client = client.clone();
			let mut fresh = reading.clone();
			submissions.push(Submission {
				label: format!("device {} reading {}", device.id, reading.seq),
				lane: device.id,
				extrinsic,
				resign: Some(Box::new(move |_| {
					fresh.timestamp_ms = now_ms().max(fresh.timestamp_ms.saturating_add(1));
					client
						.chain()
						.and_then(|chain| chain.current())
						.and_then(|at| signer.reading_extrinsic(&at, &fresh))
						.ok()
				})),
			});
		}
	}
	Ok(submissions)
}

/// `batches_per_device` batches of `size` readings (a power log, one reading a second,
/// ending now) from each device; returns the submissions and the batches (to prove readings
/// later). Batch bytes are deterministic (ed25519), so there is no fresh variant: a banned
/// batch waits out the ban.
pub fn batch_submissions(
	client: &Client,
	devices: &mut [SimDevice],
	batches_per_device: u32,
	size: u32,
) -> Result<(Vec<Submission>, Vec<Batch>), String> {
	let (_, at) = chain_at(client)?;
	let mut submissions = Vec::new();
	let mut batches = Vec::new();
	let end = now_ms();
	for round in 0..batches_per_device {
		for device in devices.iter_mut() {
			let batch_seq = device.next_batch_seq;
			// Batches of one device cover consecutive periods, the latest ending now.
			let period_end = end
				.saturating_sub(u64::from(batches_per_device - 1 - round) * u64::from(size) * 1000);
			let last = Reading {
				device: device.id,
				seq: batch_seq.saturating_mul(u64::from(size)),
				timestamp_ms: period_end,
				kind: MeasurementKind::Power,
				value: 0,
				unit: Unit::Watt,
			};
			let readings = device::reading_log(&last, size, 1_000, |i| 1_000 + i64::from(i % 500));
			let batch = device.next_batch(readings)?;
			submissions.push(Submission {
				label: format!("device {} batch {}", device.id, batch_seq),
				lane: device.id,
				extrinsic: batch.extrinsic(&at)?,
				resign: None,
			});
			batches.push(batch);
		}
	}
	Ok((submissions, batches))
}

/// `per_sender` balance transfers (`transfer_keep_alive`, 0.01 CITY each) from each sender to a
/// fixed sink account: the baseline that readings are compared with.
pub fn transfer_submissions(
	client: &Client,
	senders: &[sr25519::Pair],
	per_sender: u32,
) -> Result<Vec<Submission>, String> {
	let (_, at) = chain_at(client)?;
	let sink = sr25519::Pair::from_seed(&[0x5e; 32]).public().0;
	// `MultiAddress::Id(sink)`: variant 0 and the account; 0.01 CITY (12 decimals), compact.
	let dest = arg(&(0u8, sink));
	let value = arg(&Compact(10_000_000_000u128));
	let call = at.call("Balances", "transfer_keep_alive", &[("dest", dest), ("value", value)])?;
	let mut nonces = Vec::new();
	for sender in senders {
		nonces.push(next_nonce(client, sender).map_err(|e| e.to_string())?);
	}
	let mut submissions = Vec::new();
	for round in 0..per_sender {
		for (lane, (sender, first_nonce)) in senders.iter().zip(&nonces).enumerate() {
			let nonce = first_nonce + round;
			submissions.push(Submission {
				label: format!("transfer {lane}/{nonce}"),
				lane: lane as u64,
				extrinsic: at.signed(&PairSigner(sender.clone()), &call, nonce.into())?,
				resign: Some(resigner(client, sender.clone(), call.clone(), nonce)),
			});
		}
	}
	Ok(submissions)
}

/// A reading in the JSON form of the `city_*` RPC (`city_verifyReading`'s `reading`).
pub fn reading_json(reading: &Reading) -> serde_json::Value {
	use city_device::names::{kind_name, unit_name};
	json!({
		"device": reading.device,
		"seq": reading.seq,
		"timestampMs": reading.timestamp_ms,
		"kind": kind_name(reading.kind),
		"value": reading.value,
		"unit": unit_name(reading.unit),
	})
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
	use super::*;

	fn refused(source: &str) -> String {
		account(source).err().unwrap_or_default()
	}

	#[test]
	fn secrets_come_from_the_environment_or_a_file_never_the_command_line() {
		let alice = account("//Alice").unwrap();
		// A development account needs no secret.
		assert_eq!(alice.public(), sr25519::Pair::from_string("//Alice", None).unwrap().public());
		// A real secret on the command line is refused, and the error does not echo it.
		let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
		let refused_phrase = refused(phrase);
		assert!(
			refused_phrase.contains("env:VAR or file:PATH") && !refused_phrase.contains("smoke")
		);
		assert!(account(&format!("{phrase}//Alice")).is_err());
		assert!(account("//").is_err() && account("//a b").is_err());
		// From the environment.
		std::env::set_var("CITY_SIM_TEST_SECRET", format!("{phrase}//Alice"));
		assert_eq!(account("env:CITY_SIM_TEST_SECRET").unwrap().public(), alice.public());
		assert!(refused("env:CITY_SIM_NO_SUCH_VARIABLE").contains("not set"));
		// From a file (its first line).
		let path = std::env::temp_dir().join(format!("city-sim-secret-{}", std::process::id()));
		std::fs::write(&path, format!("{phrase}//Alice\nignored\n")).unwrap();
		let from_file = account(&format!("file:{}", path.display())).unwrap();
		assert_eq!(from_file.public(), alice.public());
		std::fs::write(&path, "not a secret uri at all\n").unwrap();
		let bad = refused(&format!("file:{}", path.display()));
		assert!(bad.contains("not a valid secret URI") && !bad.contains("at all"));
		std::fs::remove_file(&path).unwrap();
		assert!(refused("file:/no/such/file").contains("cannot read"));
	}
}
