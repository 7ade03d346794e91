//! Simulated devices: ed25519 keys (ed25519-dalek, not Substrate's crypto, as a device maker
//! would have), proofs of possession, signed readings and Merkle-rooted batches (the device
//! SDK's payloads), encoded as the bare extrinsics a device submits fee-less, built from the
//! chain's metadata ([`crate::chain`]).

use city_device::{BatchAnchor, MeasurementKind, Reading, Unit};
use city_primitives::{DeviceClass, DeviceId, DeviceKey, KeyEpoch, ZoneId};
use codec::Encode;
use ed25519_dalek::{Signer, SigningKey};
use sp_core::{ed25519, H256};
use sp_runtime::MultiSignature;

use crate::chain::{arg, AtBlock, Call};

/// The key of device `index` of a fleet named `seed`: the same seed and index always give the
/// same key, so a fleet needs no key files. (Test fleets only: real devices generate their key
/// in a secure element.)
pub fn fleet_key(seed: &str, index: u32) -> SigningKey {
	SigningKey::from_bytes(&city_device::blake2_256(
		&(b"city-sim/device-key", seed, index).encode(),
	))
}

/// The registry's view of an ed25519 device key.
pub fn device_key(key: &SigningKey) -> DeviceKey {
	DeviceKey::Ed25519(ed25519::Public::from_raw(key.verifying_key().to_bytes()))
}

/// `key`'s signature of `payload`, as the chain expects it (encoded as a `MultiSignature`).
pub fn sign(key: &SigningKey, payload: &[u8]) -> MultiSignature {
	MultiSignature::Ed25519(ed25519::Signature::from_raw(key.sign(payload).to_bytes()))
}

/// The `DeviceRegistry::register` call for `key`, owned by `owner` (32 bytes), with the key's
/// proof of possession over `(REGISTER_TAG, genesis, owner, key)` and empty metadata.
pub fn register_call(
	at: &AtBlock,
	key: &SigningKey,
	genesis: H256,
	owner: &[u8; 32],
	class: DeviceClass,
	zone: ZoneId,
) -> Result<Call, String> {
	let public = device_key(key);
	let proof = sign(key, &city_device::register_payload(&genesis, owner, &public));
	// Metadata: geohash, model hash, firmware hash, URI; all empty.
	let metadata = (Vec::<u8>::new(), None::<H256>, None::<H256>, Vec::<u8>::new());
	at.call(
		"DeviceRegistry",
		"register",
		&[
			("class", arg(&class)),
			("zone", arg(&zone)),
			("key", arg(&public)),
			("proof", arg(&proof)),
			("operator", arg(&None::<[u8; 32]>)),
			("metadata", arg(&metadata)),
		],
	)
}

/// A registered device that signs readings and batches, tracking its next sequence numbers.
#[derive(Clone)]
pub struct SimDevice {
	/// The device's key.
	pub key: SigningKey,
	/// Its registry id.
	pub id: DeviceId,
	/// Its current key epoch.
	pub key_epoch: KeyEpoch,
	/// Sequence number of its next single reading.
	pub next_seq: u64,
	/// Sequence number of its next batch.
	pub next_batch_seq: u64,
	/// The chain's genesis hash (part of every signed payload).
	pub genesis: H256,
	/// Whether the city registrar certified it (only certified devices submit fee-less).
	pub certified: bool,
}

impl SimDevice {
	/// A device resuming after `last_seq` readings and `last_batch_seq` batches.
	pub fn new(
		key: SigningKey,
		id: DeviceId,
		key_epoch: KeyEpoch,
		genesis: H256,
		last_seq: u64,
		last_batch_seq: u64,
	) -> Self {
		SimDevice {
			key,
			id,
			key_epoch,
			next_seq: last_seq.saturating_add(1),
			next_batch_seq: last_batch_seq.saturating_add(1),
			genesis,
			certified: false,
		}
	}

	/// The next reading (takes the next sequence number).
	pub fn next_reading(
		&mut self,
		kind: MeasurementKind,
		value: i64,
		unit: Unit,
		timestamp_ms: u64,
	) -> Reading {
		let seq = self.next_seq;
		self.next_seq = self.next_seq.saturating_add(1);
		Reading { device: self.id, seq, timestamp_ms, kind, value, unit }
	}

	/// The bare `submit_reading` extrinsic for `reading`, signed by the device key over
	/// `(READING_TAG, genesis, key_epoch, reading)`, built against the chain at `at`.
	pub fn reading_extrinsic(&self, at: &AtBlock, reading: &Reading) -> Result<Vec<u8>, String> {
		let payload = city_device::reading_payload(&self.genesis, self.key_epoch, reading);
		let call = at.call(
			"SensorAttestation",
			"submit_reading",
			&[
				("reading", arg(reading)),
				("key_epoch", arg(&self.key_epoch)),
				("signature", arg(&sign(&self.key, &payload))),
			],
		)?;
		at.bare(&call)
	}

	/// A batch of `readings` under the next batch sequence number.
	pub fn next_batch(&mut self, readings: Vec<Reading>) -> Result<Batch, String> {
		let (first, last) = match (readings.first(), readings.last()) {
			(Some(first), Some(last)) => (first.timestamp_ms, last.timestamp_ms),
			_ => return Err("a batch needs at least one reading".into()),
		};
		let count = u32::try_from(readings.len()).map_err(|_| "too many readings".to_string())?;
		let anchor = BatchAnchor {
			device: self.id,
			batch_seq: self.next_batch_seq,
			period_start_ms: first.min(last),
			period_end_ms: first.max(last),
			count,
			root: merkle_root(&readings),
		};
		self.next_batch_seq = self.next_batch_seq.saturating_add(1);
		let payload = city_device::batch_payload(&self.genesis, self.key_epoch, &anchor);
		let signature = sign(&self.key, &payload);
		Ok(Batch { anchor, key_epoch: self.key_epoch, signature, readings })
	}
}

/// A signed batch anchor together with its readings (kept to prove them later).
pub struct Batch {
	/// The anchor the device signed.
	pub anchor: BatchAnchor,
	/// The key epoch it is signed under.
	pub key_epoch: KeyEpoch,
	/// The device's signature of the anchor.
	pub signature: MultiSignature,
	/// The readings, in leaf order.
	pub readings: Vec<Reading>,
}

impl Batch {
	/// The bare `anchor_batch` extrinsic, built against the chain at `at`.
	pub fn extrinsic(&self, at: &AtBlock) -> Result<Vec<u8>, String> {
		let call = at.call(
			"SensorAttestation",
			"anchor_batch",
			&[
				("anchor", arg(&self.anchor)),
				("key_epoch", arg(&self.key_epoch)),
				("signature", arg(&self.signature)),
			],
		)?;
		at.bare(&call)
	}

	/// The Merkle proof of reading `index`: sibling hashes from the leaf up.
	pub fn proof(&self, index: u32) -> Option<Vec<H256>> {
		city_device::merkle_proof(&self.readings, index)
	}
}

/// The Merkle root of `readings` (the device SDK's, which the pallet uses too).
pub use city_device::merkle_root;

/// `count` readings like `last` (same device, kind and unit), one per `interval_ms`, the last
/// one stamped `last.timestamp_ms`, with values from `value_at` (a meter's periodic log, say).
/// Sequence numbers run up to `last.seq`: batched readings carry the gateway's own numbering;
/// the chain proves their membership in an anchored root, not their continuity with single
/// readings.
pub fn reading_log(
	last: &Reading,
	count: u32,
	interval_ms: u64,
	value_at: impl Fn(u32) -> i64,
) -> Vec<Reading> {
	(0..count)
		.map(|i| {
			let before = u64::from(count - 1 - i);
			Reading {
				seq: last.seq.saturating_sub(before),
				timestamp_ms: last.timestamp_ms.saturating_sub(interval_ms.saturating_mul(before)),
				value: value_at(i),
				..last.clone()
			}
		})
		.collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
	use super::*;
	use sp_runtime::traits::{IdentifyAccount, Verify};

	#[test]
	fn fleet_keys_are_deterministic_and_distinct() {
		assert_eq!(fleet_key("a", 1).to_bytes(), fleet_key("a", 1).to_bytes());
		assert_ne!(fleet_key("a", 1).to_bytes(), fleet_key("a", 2).to_bytes());
		assert_ne!(fleet_key("a", 1).to_bytes(), fleet_key("b", 1).to_bytes());
	}

	#[test]
	fn readings_are_signed_over_the_sdk_payload() {
		let genesis = H256::repeat_byte(7);
		let mut device = SimDevice::new(fleet_key("t", 0), 42, 3, genesis, 10, 0);
		let reading = device.next_reading(MeasurementKind::Power, -5, Unit::Watt, 1_000);
		assert_eq!((reading.seq, device.next_seq), (11, 12));
		let payload = city_device::reading_payload(&genesis, 3, &reading);
		let signature = sign(&device.key, &payload);
		let signer = sp_runtime::MultiSigner::Ed25519(ed25519::Public::from_raw(
			device.key.verifying_key().to_bytes(),
		));
		assert!(signature.verify(&payload[..], &signer.clone().into_account()));
		// Another genesis (another chain) gives another payload: the signature does not carry.
		let other = city_device::reading_payload(&H256::zero(), 3, &reading);
		assert!(!signature.verify(&other[..], &signer.into_account()));
	}

	#[test]
	fn batches_prove_their_readings_with_the_pallet_verifier() {
		let mut device = SimDevice::new(fleet_key("t", 1), 9, 0, H256::zero(), 0, 4);
		let last = Reading {
			device: 9,
			seq: 1000,
			timestamp_ms: 2_000_000,
			kind: MeasurementKind::Power,
			value: 0,
			unit: Unit::Watt,
		};
		let log = reading_log(&last, 1000, 1_000, |i| i64::from(i) * 3);
		assert_eq!((log[0].seq, log[999].seq, log[999].value), (1, 1000, 2997));
		assert_eq!(log[999].timestamp_ms, 2_000_000);
		assert_eq!(log[0].timestamp_ms, 2_000_000 - 999_000);
		let batch = device.next_batch(log).unwrap();
		assert_eq!((batch.anchor.batch_seq, batch.anchor.count), (5, 1000));
		assert_eq!(batch.anchor.period_start_ms, 2_000_000 - 999_000);
		for index in [0u32, 500, 999] {
			let proof = batch.proof(index).unwrap();
			let reading = &batch.readings[index as usize];
			assert!(city_device::verify_inclusion(
				&batch.anchor.root,
				1000,
				index,
				reading,
				&proof
			));
			let mut tampered = reading.clone();
			tampered.value += 1;
			assert!(!city_device::verify_inclusion(
				&batch.anchor.root,
				1000,
				index,
				&tampered,
				&proof
			));
		}
		assert!(batch.proof(1000).is_none());
		assert!(device.next_batch(Vec::new()).is_err());
	}
}
