//! Runtime API of sensor attestation, wrapped by the node's `city_latestReadings`,
//! `city_attestationCounters`, `city_verifyReading` and `city_anchors` JSON-RPC methods.
//!
//! Version 2 answers `None` (the RPC's 4004) for a device the registry does not know, instead
//! of an empty answer that looked like a device with no data.

use alloc::vec::Vec;
use city_primitives::DeviceId;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;
use sp_core::H256;

use crate::{DeviceCounters, LatestReading, MeasurementKind, Reading, StoredAnchor};

/// Why a reading could not be proven.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum VerifyError {
	/// No anchor with this batch sequence number is stored for the device (never anchored, or
	/// pruned by the retention policy).
	UnknownAnchor,
	/// The reading names another device than the anchor.
	DeviceMismatch,
	/// The leaf index is not below the batch's reading count.
	LeafIndexOutOfRange,
	/// The proof does not lead from the reading to the anchored root.
	ProofMismatch,
	/// No device has this id.
	UnknownDevice,
}

sp_api::decl_runtime_apis! {
	/// Queries of sensor attestation.
	#[api_version(2)]
	pub trait SensorAttestationApi<BlockNumber>
	where
		BlockNumber: Codec,
	{
		/// The newest reading of every kind the device has reported (at most
		/// `MaxKindsPerDevice`, so the answer is bounded), ordered by kind; `None` if no device
		/// has this id.
		fn latest_readings(device: DeviceId) -> Option<Vec<(MeasurementKind, LatestReading<BlockNumber>)>>;

		/// The device's counters (last sequence numbers, totals, rate window); `None` if no
		/// device has this id.
		fn counters(device: DeviceId) -> Option<DeviceCounters<BlockNumber>>;

		/// Whether `reading` is leaf `leaf_index` of the device's anchored batch `batch_seq`,
		/// by the Merkle `proof` (sibling hashes from the leaf up, root excluded).
		fn verify_reading(
			device: DeviceId,
			batch_seq: u64,
			reading: Reading,
			leaf_index: u32,
			proof: Vec<H256>,
		) -> Result<StoredAnchor<BlockNumber>, VerifyError>;

		/// Stored anchors of the device with batch sequence numbers from `from`, at most
		/// `limit` (capped at `MaxAnchorsPerDevice`); `None` if no device has this id.
		fn anchors(device: DeviceId, from: u64, limit: u32) -> Option<Vec<StoredAnchor<BlockNumber>>>;
	}
}
