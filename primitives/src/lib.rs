//! # CityChain primitives
//!
//! What CityChain's pallets share without depending on each other: device identifiers, device
//! keys and signatures, device classes and statuses, and the [`DeviceLookup`] trait through
//! which the attestation, energy and ride pallets read the device registry.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{ecdsa, ed25519, sr25519};
use sp_runtime::{traits::Verify, MultiSignature, MultiSigner};

/// Identifier of a registered device and its key's generation: defined once in the device SDK.
pub use city_device::{DeviceId, KeyEpoch};
/// A city district (zone) identifier, assigned by the city.
pub type ZoneId = u32;

/// The public key of a device: ed25519, sr25519 or ecdsa (secp256k1, compressed). Encoded
/// like `MultiSigner` (same variant order), but with a known maximum size.
#[derive(
	Clone,
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
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub enum DeviceKey {
	/// Ed25519 public key (32 bytes). Encoded index 0, as in `MultiSigner`.
	Ed25519(ed25519::Public),
	/// Schnorrkel/Ristretto sr25519 public key (32 bytes). Encoded index 1.
	Sr25519(sr25519::Public),
	/// Compressed secp256k1 ECDSA public key (33 bytes). Encoded index 2.
	Ecdsa(ecdsa::Public),
}

impl DeviceKey {
	/// Whether `signature` is this key's signature of `message`.
	///
	/// The signature scheme must match the key's: an sr25519 key only accepts sr25519
	/// signatures. ECDSA signs `blake2_256(message)` (Substrate's convention), the other two
	/// sign `message` itself.
	pub fn verify(&self, message: &[u8], signature: &MultiSignature) -> bool {
		match (self, signature) {
			(DeviceKey::Sr25519(key), MultiSignature::Sr25519(sig)) => sig.verify(message, key),
			(DeviceKey::Ed25519(key), MultiSignature::Ed25519(sig)) => sig.verify(message, key),
			(DeviceKey::Ecdsa(key), MultiSignature::Ecdsa(sig)) => sig.verify(message, key),
			_ => false,
		}
	}

	/// Whether `signature` uses this key's signature scheme.
	pub fn same_scheme(&self, signature: &MultiSignature) -> bool {
		matches!(
			(self, signature),
			(DeviceKey::Sr25519(_), MultiSignature::Sr25519(_))
				| (DeviceKey::Ed25519(_), MultiSignature::Ed25519(_))
				| (DeviceKey::Ecdsa(_), MultiSignature::Ecdsa(_))
		)
	}
}

impl From<DeviceKey> for MultiSigner {
	fn from(key: DeviceKey) -> Self {
		match key {
			DeviceKey::Sr25519(key) => MultiSigner::Sr25519(key),
			DeviceKey::Ed25519(key) => MultiSigner::Ed25519(key),
			DeviceKey::Ecdsa(key) => MultiSigner::Ecdsa(key),
		}
	}
}

/// What kind of device this is.
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
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub enum DeviceClass {
	/// Electricity meter (import/export counters).
	SmartMeter,
	/// Solar (PV) inverter.
	SolarInverter,
	/// Parking space occupancy sensor.
	ParkingSensor,
	/// Air-quality sensor.
	AirQualitySensor,
	/// Vehicle (e.g. a ride-hailing car) with an on-board unit.
	Vehicle,
	/// Electric-vehicle charger.
	Charger,
	/// Any other device.
	Other,
}

/// Who suspended a device: the owner may only lift its own suspension.
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
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub enum Suspender {
	/// The device's owner.
	Owner,
	/// The city registrar.
	Registrar,
}

/// Lifecycle status of a device. Only an `Active` device may act (sign readings, trade, ...).
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
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub enum DeviceStatus {
	/// In service.
	Active,
	/// Temporarily out of service; can be resumed.
	Suspended(Suspender),
	/// Permanently barred (compromised, fraudulent). The record and its keys are kept so that
	/// earlier readings stay verifiable.
	Revoked,
	/// Retired by its owner; the deposit was returned. The record and its keys are kept.
	Decommissioned,
}

/// What other pallets need to know about a device.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeviceSummary<AccountId> {
	/// The device's owner.
	pub owner: AccountId,
	/// A gateway allowed to act for the device, if any.
	pub operator: Option<AccountId>,
	/// The device's class.
	pub class: DeviceClass,
	/// The zone (district) the device is in.
	pub zone: ZoneId,
	/// Lifecycle status.
	pub status: DeviceStatus,
	/// Whether the city registrar has certified the device.
	pub certified: bool,
	/// The current key's epoch.
	pub key_epoch: KeyEpoch,
	/// The current key.
	pub key: DeviceKey,
}

impl<AccountId: PartialEq> DeviceSummary<AccountId> {
	/// Whether the device is in service.
	pub fn is_active(&self) -> bool {
		self.status == DeviceStatus::Active
	}

	/// Whether `who` is the owner or the operator.
	pub fn is_controller(&self, who: &AccountId) -> bool {
		&self.owner == who || self.operator.as_ref() == Some(who)
	}
}

/// Read access to the device registry for other pallets.
pub trait DeviceLookup<AccountId> {
	/// The device's summary, if it is registered.
	fn device(id: DeviceId) -> Option<DeviceSummary<AccountId>>;

	/// The key the device had at `epoch` (also after rotation, revocation or decommissioning),
	/// so that readings signed under an earlier key stay verifiable.
	fn key_at(id: DeviceId, epoch: KeyEpoch) -> Option<DeviceKey>;
}

/// A registry with no devices (for tests and runtimes without a registry).
impl<AccountId> DeviceLookup<AccountId> for () {
	fn device(_: DeviceId) -> Option<DeviceSummary<AccountId>> {
		None
	}

	fn key_at(_: DeviceId, _: KeyEpoch) -> Option<DeviceKey> {
		None
	}
}

/// Told when a device is decommissioned (it leaves service for good), so that pallets can
/// remove what the device left in their storage.
pub trait OnDeviceRetired {
	/// The device `id` was decommissioned. Must do bounded work (e.g. queue a cleanup).
	fn device_retired(id: DeviceId);

	/// The most weight [`Self::device_retired`] takes.
	fn weight() -> sp_runtime::Weight;
}

/// Nobody to tell.
impl OnDeviceRetired for () {
	fn device_retired(_: DeviceId) {}

	fn weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

/// Which cumulative energy counter of a meter: what it took from the grid or gave to it.
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
pub enum EnergyFlow {
	/// Energy imported (consumed), the `energyImport` counter.
	Import,
	/// Energy exported (produced into the grid), the `energyExport` counter.
	Export,
}

/// Read access to meters' attested cumulative energy counters, for settlement
/// (`sensor-attestation` implements it from the readings the meters signed).
pub trait MeterReadings {
	/// The `flow` counter of `device`, in Wh, at Unix time `at_ms`: the attested reading taken
	/// at `at_ms` if there is one, else interpolated linearly between the kept readings just
	/// before and just after it (rounded down); `None` if the kept readings do not surround
	/// `at_ms` (none yet after it, or the ones before it are gone).
	fn counter_at(device: DeviceId, flow: EnergyFlow, at_ms: u64) -> Option<u64>;
}

/// No meter readings.
impl MeterReadings for () {
	fn counter_at(_: DeviceId, _: EnergyFlow, _: u64) -> Option<u64> {
		None
	}
}

/// Told when a device's readings were attested, so that a pallet can count them (civic
/// credits' data-sharing points; sensor attestation reports single readings, each checked
/// on its own, not the self-declared counts of anchored batches).
pub trait OnReadingsAttested {
	/// `device` had `readings` readings attested in this block. Must do bounded work.
	fn readings_attested(device: DeviceId, readings: u32);

	/// The most weight [`Self::readings_attested`] takes.
	fn weight() -> sp_runtime::Weight;
}

/// Nobody counts.
impl OnReadingsAttested for () {
	fn readings_attested(_: DeviceId, _: u32) {}

	fn weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

/// Read access to citizens' consent grants (`data-access` implements it), for pallets that
/// act only with a citizen's consent.
pub trait ConsentLookup<AccountId> {
	/// Whether grant `grant` is `citizen`'s, to data holder `holder`, for data category
	/// `category`, covers `device` (names it, or names no device) and is live at Unix time
	/// `at_ms` (started, not expired, not revoked).
	fn consent_live(
		grant: u64,
		citizen: &AccountId,
		holder: u32,
		category: u16,
		device: DeviceId,
		at_ms: u64,
	) -> bool;
}

/// No consents.
impl<AccountId> ConsentLookup<AccountId> for () {
	fn consent_live(_: u64, _: &AccountId, _: u32, _: u16, _: DeviceId, _: u64) -> bool {
		false
	}
}
