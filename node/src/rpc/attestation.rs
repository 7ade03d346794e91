//! `city_latestReadings`, `city_attestationCounters`, `city_verifyReading`, `city_anchors`:
//! sensor attestation's runtime API over JSON-RPC.

use std::sync::Arc;

use city_primitives::DeviceId;
use citychain_runtime::{opaque::Block, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_sensor_attestation::{
	names::{kind_name, unit_name},
	runtime_api::{SensorAttestationApi, VerifyError},
	StoredAnchor,
};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;

use super::{
	errors::{self, invalid_param, not_found},
	params::{self, ReadingJson},
};

/// Largest page of `city_anchors`.
pub const MAX_ANCHOR_PAGE: u32 = 1000;

/// The latest reading of one kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatestJson {
	/// Measurement kind.
	pub kind: String,
	/// Sequence number.
	pub seq: u64,
	/// Measurement time, Unix ms.
	pub timestamp_ms: u64,
	/// Value.
	pub value: i64,
	/// Unit.
	pub unit: String,
	/// Block it was attested in.
	pub block: BlockNumber,
}

/// An anchored batch in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnchorJson {
	/// Device id.
	pub device: DeviceId,
	/// Batch sequence number.
	pub batch_seq: u64,
	/// First reading's time, Unix ms.
	pub period_start_ms: u64,
	/// Last reading's time, Unix ms.
	pub period_end_ms: u64,
	/// Number of readings.
	pub count: u32,
	/// Merkle root, hex.
	pub root: String,
	/// Key epoch it was signed under.
	pub key_epoch: u32,
	/// Block it was anchored in.
	pub anchored_at: BlockNumber,
}

/// A device's attestation counters: where its sequences stand, what it has attested.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountersJson {
	/// Sequence number of the last attested reading (0: none yet); the next must be +1.
	pub last_seq: u64,
	/// Sequence number of the last anchored batch (0: none yet); the next must be +1.
	pub last_batch_seq: u64,
	/// Readings attested, in total.
	pub readings: u64,
	/// Batches anchored, in total.
	pub batches: u64,
}

/// The answer of `city_verifyReading`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationJson {
	/// Whether the reading is proven part of the anchored batch.
	pub valid: bool,
	/// Why not, when not: `deviceMismatch`, `leafIndexOutOfRange`, `proofMismatch`.
	pub reason: Option<String>,
	/// The anchor proven against.
	pub anchor: Option<AnchorJson>,
}

fn anchor_json(stored: StoredAnchor<BlockNumber>) -> AnchorJson {
	AnchorJson {
		device: stored.anchor.device,
		batch_seq: stored.anchor.batch_seq,
		period_start_ms: stored.anchor.period_start_ms,
		period_end_ms: stored.anchor.period_end_ms,
		count: stored.anchor.count,
		root: format!("{:?}", stored.anchor.root),
		key_epoch: stored.key_epoch,
		anchored_at: stored.anchored_at,
	}
}

/// Sensor attestation's JSON-RPC methods.
#[rpc(server, namespace = "city")]
pub trait CityAttestationApi {
	/// The newest reading of every kind the device reported (at most the runtime's
	/// `MaxKindsPerDevice`, ordered by kind), at block `at` (default: best). 4004 if no device
	/// has this id.
	#[method(name = "latestReadings")]
	fn latest_readings(&self, device: DeviceId, at: Option<H256>) -> RpcResult<Vec<LatestJson>>;

	/// The device's attestation counters at block `at` (default: best): a gateway resumes a
	/// device's sequence numbers from `lastSeq` and `lastBatchSeq`. All zero for a device that
	/// has attested nothing; 4004 if no device has this id.
	#[method(name = "attestationCounters")]
	fn attestation_counters(&self, device: DeviceId, at: Option<H256>) -> RpcResult<CountersJson>;

	/// Whether `reading` is leaf `leafIndex` of the device's anchored batch `batchSeq`, by the
	/// Merkle `proof` (sibling hashes from the leaf up, hex, at most 64). 4004 if the device or
	/// the anchor is unknown.
	#[method(name = "verifyReading")]
	fn verify_reading(
		&self,
		device: DeviceId,
		batch_seq: u64,
		reading: ReadingJson,
		leaf_index: u32,
		proof: Vec<String>,
		at: Option<H256>,
	) -> RpcResult<VerificationJson>;

	/// The device's stored anchors from batch `from` (default 1), at most `limit` (default
	/// 100, at most 1000). 4004 if no device has this id.
	#[method(name = "anchors")]
	fn anchors(
		&self,
		device: DeviceId,
		from: Option<u64>,
		limit: Option<u32>,
		at: Option<H256>,
	) -> RpcResult<Vec<AnchorJson>>;
}

/// Implementation of [`CityAttestationApiServer`] over a client.
pub struct CityAttestation<C> {
	client: Arc<C>,
}

impl<C> CityAttestation<C> {
	/// A new instance over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> CityAttestation<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: SensorAttestationApi<Block, BlockNumber>,
{
	/// The block to query, checking that its runtime has version 2 of the API (the version
	/// that tells unknown devices apart).
	fn at(&self, at: Option<H256>) -> RpcResult<H256> {
		super::block_with_api::<_, dyn SensorAttestationApi<Block, BlockNumber>>(
			&*self.client,
			at,
			"SensorAttestationApi version 2",
			Some(2),
		)
	}
}

impl<C> CityAttestationApiServer for CityAttestation<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: SensorAttestationApi<Block, BlockNumber>,
{
	fn latest_readings(&self, device: DeviceId, at: Option<H256>) -> RpcResult<Vec<LatestJson>> {
		let at = self.at(at)?;
		let latest = self
			.client
			.runtime_api()
			.latest_readings(at, device)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| unknown_device(device))?;
		Ok(latest
			.into_iter()
			.map(|(kind, l)| LatestJson {
				kind: kind_name(kind),
				seq: l.seq,
				timestamp_ms: l.timestamp_ms,
				value: l.value,
				unit: unit_name(l.unit),
				block: l.block,
			})
			.collect())
	}

	fn attestation_counters(&self, device: DeviceId, at: Option<H256>) -> RpcResult<CountersJson> {
		let at = self.at(at)?;
		let counters = self
			.client
			.runtime_api()
			.counters(at, device)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| unknown_device(device))?;
		Ok(CountersJson {
			last_seq: counters.last_seq,
			last_batch_seq: counters.last_batch_seq,
			readings: counters.readings,
			batches: counters.batches,
		})
	}

	fn verify_reading(
		&self,
		device: DeviceId,
		batch_seq: u64,
		reading: ReadingJson,
		leaf_index: u32,
		proof: Vec<String>,
		at: Option<H256>,
	) -> RpcResult<VerificationJson> {
		let reading = params::reading(&reading).map_err(invalid_param)?;
		let proof = params::proof(&proof).map_err(invalid_param)?;
		let at = self.at(at)?;
		let outcome = self
			.client
			.runtime_api()
			.verify_reading(at, device, batch_seq, reading, leaf_index, proof)
			.map_err(errors::runtime_error)?;
		match outcome {
			Ok(anchor) => Ok(VerificationJson { valid: true, reason: None, anchor: Some(anchor_json(anchor)) }),
			Err(VerifyError::UnknownAnchor) => Err(not_found(format!(
				"device {device} has no stored anchor {batch_seq} (never anchored, or pruned by the retention policy)"
			))),
			Err(VerifyError::UnknownDevice) => Err(unknown_device(device)),
			Err(reason) => {
				let reason = match reason {
					VerifyError::DeviceMismatch => "deviceMismatch",
					VerifyError::LeafIndexOutOfRange => "leafIndexOutOfRange",
					_ => "proofMismatch",
				};
				Ok(VerificationJson { valid: false, reason: Some(reason.into()), anchor: None })
			},
		}
	}

	fn anchors(
		&self,
		device: DeviceId,
		from: Option<u64>,
		limit: Option<u32>,
		at: Option<H256>,
	) -> RpcResult<Vec<AnchorJson>> {
		let limit = limit.unwrap_or(100);
		if limit == 0 || limit > MAX_ANCHOR_PAGE {
			return Err(invalid_param(format!("limit must be 1..={MAX_ANCHOR_PAGE}, got {limit}")));
		}
		let at = self.at(at)?;
		let anchors = self
			.client
			.runtime_api()
			.anchors(at, device, from.unwrap_or(1), limit)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| unknown_device(device))?;
		Ok(anchors.into_iter().map(anchor_json).collect())
	}
}

fn unknown_device(device: DeviceId) -> jsonrpsee::types::ErrorObjectOwned {
	not_found(format!("no device with id {device}"))
}
