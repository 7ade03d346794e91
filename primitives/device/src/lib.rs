//! # city-device: CityChain's device SDK
//!
//! What a device's firmware or a gateway needs to take part in CityChain, and nothing else: no
//! FRAME, no client, `no_std` (with `alloc`).
//!
//! - The [`Reading`] and [`BatchAnchor`] a device signs, with their SCALE encoding.
//! - The signing payloads and their domain tags: [`reading_payload`], [`batch_payload`],
//!   [`register_payload`] (proof of possession at registration) and [`rotate_payload`].
//! - Merkle batches: [`merkle_root`], [`merkle_proof`], [`verify_inclusion`].
//! - Device keys and signatures encoded as the chain takes them ([`PublicKey`] is encoded like
//!   the registry's `DeviceKey`, [`Signature`] like `MultiSignature`), and signers behind
//!   features: `ed25519` (ed25519-zebra), `sr25519` (schnorrkel, needs `std` for its random
//!   nonce) and `ecdsa` (k256; signs `blake2_256` of the payload, as Substrate does).
//!
//! The pallets use these very definitions (`pallet-sensor-attestation` and
//! `pallet-device-registry` re-export them), so the SDK and the chain cannot drift apart. The
//! byte layouts in the pallets' READMEs remain the reference for devices in other languages;
//! this crate's tests check its bytes against the examples printed there.
//!
//! ```
//! use city_device::{reading_payload, MeasurementKind, Reading, Unit};
//! let genesis = city_device::H256::repeat_byte(0x11);
//! let reading = Reading {
//!     device: 7,
//!     seq: 1,
//!     timestamp_ms: 1_790_000_000_000,
//!     kind: MeasurementKind::EnergyExport,
//!     value: 1_250,
//!     unit: Unit::WattHour,
//! };
//! let payload = reading_payload(&genesis, 0, &reading);
//! assert_eq!(payload.len(), 24 + 32 + 4 + 34);
//! # #[cfg(feature = "ed25519")] {
//! use city_device::{DeviceSigner, Ed25519Signer};
//! let device = Ed25519Signer::from_seed([7; 32]);
//! let signature = device.sign(&payload);
//! assert!(device.public().verify(&payload, &signature));
//! # }
//! ```

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod keys;
mod merkle;
pub mod names;

pub use keys::*;
pub use merkle::{
	merkle_proof, merkle_proof_of, merkle_root, merkle_root_of, proof_len, verify_inclusion,
	verify_leaf, Blake2Hasher,
};

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
pub use primitive_types::H256;
use scale_info::TypeInfo;

/// Identifier of a registered device, assigned by the registry in registration order.
pub type DeviceId = u64;
/// Generation of a device's key: 0 at registration, +1 at every rotation.
pub type KeyEpoch = u32;

/// Domain tag of a reading signature: `CITYCHAIN/READING/v1` and four zero bytes.
pub const READING_TAG: &[u8; 24] = b"CITYCHAIN/READING/v1\0\0\0\0";
/// Domain tag of a batch anchor signature: `CITYCHAIN/BATCH/v1` and six zero bytes.
pub const BATCH_TAG: &[u8; 24] = b"CITYCHAIN/BATCH/v1\0\0\0\0\0\0";
/// Domain tag of the proof of possession at registration.
pub const REGISTER_TAG: &[u8; 24] = b"CITYCHAIN/DEVICE/REG/v1\0";
/// Domain tag of the new key's proof at key rotation.
pub const ROTATE_TAG: &[u8; 24] = b"CITYCHAIN/DEVICE/ROT/v1\0";
/// Domain tag of a vehicle's trip summary (ride settlement): `CITYCHAIN/RIDE/TRIP/v1` and two
/// zero bytes.
pub const TRIP_TAG: &[u8; 24] = b"CITYCHAIN/RIDE/TRIP/v1\0\0";
/// Domain tag of a vehicle's arrival at a pick-up (ride settlement): `CITYCHAIN/RIDE/ARRIVE/v1`.
pub const ARRIVAL_TAG: &[u8; 24] = b"CITYCHAIN/RIDE/ARRIVE/v1";

/// What a reading measures.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum MeasurementKind {
	/// Energy import counter (Wh).
	EnergyImport,
	/// Energy export counter (Wh).
	EnergyExport,
	/// Instantaneous power (W).
	Power,
	/// Parking space occupancy (0 free, 1 occupied).
	ParkingOccupancy,
	/// Particulate matter PM2.5 (0.1 µg/m³).
	AirPm25,
	/// Particulate matter PM10 (0.1 µg/m³).
	AirPm10,
	/// Nitrogen dioxide (0.1 µg/m³).
	AirNo2,
	/// Ozone (0.1 µg/m³).
	AirO3,
	/// Vehicle trip summary (value: distance in metres).
	TripSummary,
	/// Anything else, by a city-assigned code.
	Generic(u16),
}

/// Unit of a reading's value. Values are integers: the unit carries the scale.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Unit {
	/// Watt-hours.
	WattHour,
	/// Watts.
	Watt,
	/// A count or a state (0/1).
	Count,
	/// Tenths of a microgram per cubic metre.
	DeciMicrogramPerCubicMetre,
	/// Metres.
	Metre,
	/// Seconds.
	Second,
	/// A city-assigned unit code.
	Other(u16),
}

/// One reading of one device.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Reading {
	/// The device that measured.
	pub device: DeviceId,
	/// The device's sequence number: 1 for its first reading, then +1 for every single
	/// reading. (Readings inside a batch carry whatever numbering the device likes: the
	/// batch's own `batch_seq` is what the chain checks.)
	pub seq: u64,
	/// When it was measured, Unix milliseconds.
	pub timestamp_ms: u64,
	/// What was measured.
	pub kind: MeasurementKind,
	/// The value, an integer in `unit`.
	pub value: i64,
	/// The unit of `value`.
	pub unit: Unit,
}

/// A Merkle-rooted batch of readings, as signed by the device.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct BatchAnchor {
	/// The device whose readings these are.
	pub device: DeviceId,
	/// The device's batch sequence number: 1, 2, ... (gapless, separate from readings').
	pub batch_seq: u64,
	/// Timestamp (Unix ms) of the first reading in the batch.
	pub period_start_ms: u64,
	/// Timestamp (Unix ms) of the last reading in the batch.
	pub period_end_ms: u64,
	/// Number of readings (leaves).
	pub count: u32,
	/// Merkle root of the readings ([`merkle_root`]).
	pub root: H256,
}

/// The identifier of a ride in the ride-settlement pallet.
pub type RideId = u64;

/// What a vehicle's on-board unit signs when a ride ends: the evidence the fare is computed
/// from (ride settlement).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct TripSummary {
	/// The ride this trip was.
	pub ride: RideId,
	/// The vehicle (its device id in the registry) that drove it.
	pub vehicle: DeviceId,
	/// Distance driven, in metres.
	pub distance_m: u32,
	/// Duration, in seconds.
	pub duration_s: u32,
	/// Hash of the route (e.g. `blake2_256` of the recorded GPS track, kept off chain).
	pub route_hash: H256,
	/// When the trip started, Unix milliseconds.
	pub start_ms: u64,
	/// When it ended, Unix milliseconds.
	pub end_ms: u64,
}

/// The bytes a vehicle signs for a trip summary: `SCALE(TRIP_TAG, genesis_hash, key_epoch,
/// summary)`, `key_epoch` being the vehicle key's current epoch.
pub fn trip_payload(genesis_hash: &H256, key_epoch: KeyEpoch, summary: &TripSummary) -> Vec<u8> {
	(TRIP_TAG, genesis_hash, key_epoch, summary).encode()
}

/// The bytes a vehicle's on-board unit signs when it is at a ride's pick-up (it checks its own
/// position against the pick-up before it signs): `SCALE(ARRIVAL_TAG, genesis_hash, key_epoch,
/// ride, vehicle)`.
pub fn arrival_payload(
	genesis_hash: &H256,
	key_epoch: KeyEpoch,
	ride: RideId,
	vehicle: DeviceId,
) -> Vec<u8> {
	(ARRIVAL_TAG, genesis_hash, key_epoch, ride, vehicle).encode()
}

/// The bytes a device signs for a reading: `SCALE(READING_TAG, genesis_hash, key_epoch,
/// reading)`. (ECDSA signs `blake2_256` of them; [`DeviceSigner`] does that for you.)
pub fn reading_payload(genesis_hash: &H256, key_epoch: KeyEpoch, reading: &Reading) -> Vec<u8> {
	(READING_TAG, genesis_hash, key_epoch, reading).encode()
}

/// The bytes a device signs for a batch anchor: `SCALE(BATCH_TAG, genesis_hash, key_epoch,
/// anchor)`.
pub fn batch_payload(genesis_hash: &H256, key_epoch: KeyEpoch, anchor: &BatchAnchor) -> Vec<u8> {
	(BATCH_TAG, genesis_hash, key_epoch, anchor).encode()
}

/// The bytes a device key signs to prove possession at registration:
/// `SCALE(REGISTER_TAG, genesis_hash, owner, key)`, `owner` being the registering account's 32
/// bytes (`[u8; 32]` or an `AccountId32`; mind that a literal `[0xaa; 32]` is `[i32; 32]` to
/// Rust, write `[0xaau8; 32]`) and `key` the device's [`PublicKey`] (or the registry's
/// `DeviceKey`, encoded alike).
pub fn register_payload<AccountId: Encode, Key: Encode>(
	genesis_hash: &H256,
	owner: &AccountId,
	key: &Key,
) -> Vec<u8> {
	(REGISTER_TAG, genesis_hash, owner, key).encode()
}

/// The bytes a device's new key signs at rotation:
/// `SCALE(ROTATE_TAG, genesis_hash, device, new_epoch, new_key)`, `new_epoch` being the current
/// epoch + 1.
pub fn rotate_payload<Key: Encode>(
	genesis_hash: &H256,
	device: DeviceId,
	new_epoch: KeyEpoch,
	new_key: &Key,
) -> Vec<u8> {
	(ROTATE_TAG, genesis_hash, device, new_epoch, new_key).encode()
}

/// `blake2_256` of `data`: the hash of Merkle leaves and nodes, and what ECDSA keys sign.
pub fn blake2_256(data: &[u8]) -> [u8; 32] {
	sp_crypto_hashing::blake2_256(data)
}

/// The inputs of the pallets' READMEs' worked example: `cargo run -p city-device --example
/// worked_example` prints its bytes, and the tests check the READMEs show exactly those.
pub mod worked_example {
	use super::{MeasurementKind, Reading, Unit, H256};
	use alloc::vec::Vec;

	/// The example chain's genesis hash: `0x11` x 32.
	pub const GENESIS: H256 = H256([0x11; 32]);
	/// The example device's ed25519 seed: `0x07` x 32.
	pub const SEED: [u8; 32] = [0x07; 32];
	/// The example owner's account: `0xaa` x 32.
	pub const OWNER: [u8; 32] = [0xAA; 32];

	/// Device 7's first reading: `EnergyExport`, 1,250 Wh, at 1,790,000,000,000 ms.
	pub fn reading() -> Reading {
		Reading {
			device: 7,
			seq: 1,
			timestamp_ms: 1_790_000_000_000,
			kind: MeasurementKind::EnergyExport,
			value: 1_250,
			unit: Unit::WattHour,
		}
	}

	/// The example batch: readings 1 to 5, one a minute, 1,250 to 1,290 Wh.
	pub fn batch() -> Vec<Reading> {
		(0..5u64)
			.map(|i| Reading {
				seq: i + 1,
				timestamp_ms: 1_790_000_000_000 + i * 60_000,
				value: 1_250 + i as i64 * 10,
				..reading()
			})
			.collect()
	}
}

#[cfg(test)]
mod tests;
