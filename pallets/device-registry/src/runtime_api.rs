//! Runtime API of the device registry, wrapped by the node's `city_device*` JSON-RPC methods
//! and callable by any client through `state_call` (`DeviceRegistryApi_device`, ...).

use alloc::vec::Vec;
use city_primitives::{DeviceClass, DeviceId, DeviceKey, DeviceStatus, KeyEpoch, ZoneId};
use codec::{Codec, Decode, Encode};
use frame_support::traits::Get;
use scale_info::TypeInfo;
use sp_core::H256;

use crate::{Certification, Device};

/// A device as the API returns it: the stored record with its id, bounds erased.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct DeviceInfo<AccountId, Balance, BlockNumber> {
	/// The device id.
	pub id: DeviceId,
	/// The owner.
	pub owner: AccountId,
	/// The operator (gateway), if any.
	pub operator: Option<AccountId>,
	/// Device class.
	pub class: DeviceClass,
	/// Zone (district).
	pub zone: ZoneId,
	/// Current key.
	pub key: DeviceKey,
	/// Current key epoch.
	pub key_epoch: KeyEpoch,
	/// Lifecycle status.
	pub status: DeviceStatus,
	/// Certification (registrar account if any, block).
	pub certification: Option<Certification<AccountId, BlockNumber>>,
	/// Block of revocation, if revoked.
	pub revoked_at: Option<BlockNumber>,
	/// Geohash text.
	pub geohash: Vec<u8>,
	/// Model hash.
	pub model_hash: Option<H256>,
	/// Firmware hash.
	pub firmware_hash: Option<H256>,
	/// Metadata URI.
	pub uri: Vec<u8>,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Deposit held.
	pub deposit: Balance,
}

impl<AccountId, Balance, BlockNumber> DeviceInfo<AccountId, Balance, BlockNumber>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
{
	/// The API view of a stored record.
	pub fn from_record<MaxUriLen: Get<u32>>(
		id: DeviceId,
		record: Device<AccountId, Balance, BlockNumber, MaxUriLen>,
	) -> Self {
		DeviceInfo {
			id,
			owner: record.owner,
			operator: record.operator,
			class: record.class,
			zone: record.zone,
			key: record.key,
			key_epoch: record.key_epoch,
			status: record.status,
			certification: record.certification,
			revoked_at: record.revoked_at,
			geohash: record.metadata.geohash.into_inner(),
			model_hash: record.metadata.model_hash,
			firmware_hash: record.metadata.firmware_hash,
			uri: record.metadata.uri.into_inner(),
			registered_at: record.registered_at,
			deposit: record.deposit,
		}
	}
}

sp_api::decl_runtime_apis! {
	/// Queries of the device registry.
	#[api_version(1)]
	pub trait DeviceRegistryApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The device with `id`, if registered.
		fn device(id: DeviceId) -> Option<DeviceInfo<AccountId, Balance, BlockNumber>>;

		/// The live devices of `owner` with ids above `start_after`, at most `limit`, by id.
		fn devices_by_owner(
			owner: AccountId,
			start_after: Option<DeviceId>,
			limit: u32,
		) -> Vec<DeviceInfo<AccountId, Balance, BlockNumber>>;

		/// The device that registered `key` (its current or an earlier key).
		fn device_by_key(key: DeviceKey) -> Option<DeviceInfo<AccountId, Balance, BlockNumber>>;
	}
}
