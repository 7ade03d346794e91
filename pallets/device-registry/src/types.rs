//! Stored types of the device registry. All bounded, all `MaxEncodedLen`.

use city_primitives::{DeviceClass, DeviceKey, DeviceStatus, DeviceSummary, KeyEpoch, ZoneId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound,
	PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_core::{ConstU32, H256};

/// Maximum length of a geohash (12 characters locate a device to a few centimetres).
pub const MAX_GEOHASH_LEN: u32 = 12;

/// Descriptive data of a device, set by its owner. Its encoded size sets the deposit.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DefaultNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxUriLen))]
pub struct DeviceMetadata<MaxUriLen: Get<u32>> {
	/// Location as a geohash (base32 text, at most 12 characters), empty if not disclosed.
	pub geohash: BoundedVec<u8, ConstU32<MAX_GEOHASH_LEN>>,
	/// Hash identifying the device model (e.g. of its datasheet), if given.
	pub model_hash: Option<H256>,
	/// Hash of the installed firmware image, if given.
	pub firmware_hash: Option<H256>,
	/// Where more information lives (URL or content address), empty if none.
	pub uri: BoundedVec<u8, MaxUriLen>,
}

impl<MaxUriLen: Get<u32>> DeviceMetadata<MaxUriLen> {
	/// Whether the geohash uses only the geohash alphabet (`0-9`, `b-z` without `a i l o`).
	pub fn geohash_is_valid(&self) -> bool {
		self.geohash.iter().all(
			|c| matches!(c, b'0'..=b'9' | b'b'..=b'h' | b'j' | b'k' | b'm' | b'n' | b'p'..=b'z'),
		)
	}
}

/// The registrar's certification of a device.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Certification<AccountId, BlockNumber> {
	/// The registrar's account, if the registrar origin is an account (`None` for root or a
	/// collective).
	pub by: Option<AccountId>,
	/// Block at which the device was certified.
	pub at: BlockNumber,
}

/// A registered device.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxUriLen))]
// The derives add their own where-clauses next to these bounds.
#[allow(clippy::multiple_bound_locations)]
pub struct Device<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxUriLen: Get<u32>,
> {
	/// The owner; pays the deposit and controls the device.
	pub owner: AccountId,
	/// A gateway allowed to act for the device (submit readings, rotate its key).
	pub operator: Option<AccountId>,
	/// What kind of device it is.
	pub class: DeviceClass,
	/// The city district it is in.
	pub zone: ZoneId,
	/// The current key.
	pub key: DeviceKey,
	/// The current key's epoch (0 = registration key).
	pub key_epoch: KeyEpoch,
	/// Lifecycle status.
	pub status: DeviceStatus,
	/// The registrar's certification, if any.
	pub certification: Option<Certification<AccountId, BlockNumber>>,
	/// Block of revocation, if the device was revoked (kept after decommissioning).
	pub revoked_at: Option<BlockNumber>,
	/// Descriptive metadata.
	pub metadata: DeviceMetadata<MaxUriLen>,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// The deposit currently held from the owner.
	pub deposit: Balance,
}

impl<AccountId, Balance, BlockNumber, MaxUriLen> Device<AccountId, Balance, BlockNumber, MaxUriLen>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxUriLen: Get<u32>,
{
	/// What other pallets see of the device.
	pub fn summary(&self) -> DeviceSummary<AccountId> {
		DeviceSummary {
			owner: self.owner.clone(),
			operator: self.operator.clone(),
			class: self.class,
			zone: self.zone,
			status: self.status,
			certified: self.certification.is_some(),
			key_epoch: self.key_epoch,
			key: self.key.clone(),
		}
	}
}
