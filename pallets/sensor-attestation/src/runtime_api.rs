//! Runtime API of sensor attestation, wrapped by the node's `city_latestReadings`,
//! `city_verifyReading` and `city_anchors` JSON-RPC methods.

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
}

sp_api::decl_runtime_apis! {
	/// Queries of sensor attestation.
	#[api_version(1)]
	pub trait SensorAttestationApi<BlockNumber>
	where
		BlockNumber: Codec,
	{
		/// The latest reading of every kind the device has reported.
		fn latest_readings(device: DeviceId) -> Vec<(MeasurementKind, LatestReading<BlockNumber>)>;

		/// The device's counters (last sequence numbers, totals).
		fn counters(device: DeviceId) -> DeviceCounters<BlockNumber>;

		/// Whether `reading` is leaf `leaf_index` of the device's anchored batch `batch_seq`,
		/// by the Merkle `proof` (sibling hashes from the leaf up, root excluded).
		fn verify_reading(
			device: DeviceId,
			batch_seq: u64,
			reading: Reading,
			leaf_index: u32,
			proof: Vec<H256>,
		) -> Result<StoredAnchor<BlockNumber>, VerifyError>;

		/// Stored anchors of the device with batch sequence numbers from `from`, at most `limit`.
		fn anchors(device: DeviceId, from: u64, limit: u32) -> Vec<StoredAnchor<BlockNumber>>;
	}
}
