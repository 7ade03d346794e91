//! `city_latestReadings`, `city_attestationCounters`, `city_verifyReading`, `city_anchors`:
//! sensor attestation's runtime API over JSON-RPC.

use std::sync::Arc;

use city_primitives::DeviceId;
use citychain_runtime::{opaque::Block, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_sensor_attestation::{
	names::{kind_name, parse_kind, parse_unit, unit_name},
	runtime_api::{SensorAttestationApi, VerifyError},
	Reading, StoredAnchor,
};
use serde::{Deserialize, Serialize};
use sp_api::{ApiExt, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::H256;

use super::errors::{self, invalid_param, not_found};

/// Largest page of `city_anchors`.
pub const MAX_ANCHOR_PAGE: u32 = 1000;

/// A reading in JSON. `kind` is `energyImport`, `energyExport`, `power`, `parkingOccupancy`,
/// `airPm25`, `airPm10`, `airNo2`, `airO3`, `tripSummary` or `generic:<code>`; `unit` is
/// `wattHour`, `watt`, `count`, `deciMicrogramPerCubicMetre`, `metre`, `second` or
/// `other:<code>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadingJson {
	/// Device id.
	pub device: DeviceId,
	/// Sequence number.
	pub seq: u64,
	/// Measurement time, Unix ms.
	pub timestamp_ms: u64,
	/// Measurement kind.
	pub kind: String,
	/// Integer value in `unit`.
	pub value: i64,
	/// Unit.
	pub unit: String,
}

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

/// The runtime reading of a JSON reading.
pub fn parse_reading(json: &ReadingJson) -> Result<Reading, String> {
	Ok(Reading {
		device: json.device,
		seq: json.seq,
		timestamp_ms: json.timestamp_ms,
		kind: parse_kind(&json.kind)?,
		value: json.value,
		unit: parse_unit(&json.unit)?,
	})
}

/// The JSON form of a reading (the inverse of [`parse_reading`]).
#[cfg(test)]
pub fn reading_json(reading: &Reading) -> ReadingJson {
	ReadingJson {
		device: reading.device,
		seq: reading.seq,
		timestamp_ms: reading.timestamp_ms,
		kind: kind_name(reading.kind),
		value: reading.value,
		unit: unit_name(reading.unit),
	}
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

fn parse_hash(s: &str) -> Result<H256, String> {
	let hex = s.strip_prefix("0x").ok_or_else(|| format!("hash must start with 0x: {s:?}"))?;
	if hex.len() != 64 {
		return Err(format!("a hash has 32 bytes (64 hex digits), got {s:?}"));
	}
	let bytes: Result<Vec<u8>, _> =
		(0..64).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16)).collect();
	bytes.map(|b| H256::from_slice(&b)).map_err(|_| format!("not hex: {s:?}"))
}

/// Sensor attestation's JSON-RPC methods.
#[rpc(server, namespace = "city")]
pub trait CityAttestationApi {
	/// The latest reading of every kind the device reported, at block `at` (default: best).
	#[method(name = "latestReadings")]
	fn latest_readings(&self, device: DeviceId, at: Option<H256>) -> RpcResult<Vec<LatestJson>>;

	/// The device's attestation counters at block `at` (default: best): a gateway resumes a
	/// device's sequence numbers from `lastSeq` and `lastBatchSeq`. All zero for a device that
	/// has attested nothing (or does not exist: see `city_device`).
	#[method(name = "attestationCounters")]
	fn attestation_counters(&self, device: DeviceId, at: Option<H256>) -> RpcResult<CountersJson>;

	/// Whether `reading` is leaf `leafIndex` of the device's anchored batch `batchSeq`, by the
	/// Merkle `proof` (sibling hashes from the leaf up, hex).
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
	/// 100, at most 1000).
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
	fn at(&self, at: Option<H256>) -> RpcResult<H256> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let has_api = self
			.client
			.runtime_api()
			.has_api::<dyn SensorAttestationApi<Block, BlockNumber>>(at)
			.map_err(|e| errors::error(errors::API_UNAVAILABLE, format!("block {at:?}: {e}")))?;
		if !has_api {
			return Err(errors::error(
				errors::API_UNAVAILABLE,
				format!("the runtime at block {at:?} has no SensorAttestationApi"),
			));
		}
		Ok(at)
	}
}

impl<C> CityAttestationApiServer for CityAttestation<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: SensorAttestationApi<Block, BlockNumber>,
{
	fn latest_readings(&self, device: DeviceId, at: Option<H256>) -> RpcResult<Vec<LatestJson>> {
		let at = self.at(at)?;
		let latest =
			self.client.runtime_api().latest_readings(at, device).map_err(errors::runtime_error)?;
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
		let counters =
			self.client.runtime_api().counters(at, device).map_err(errors::runtime_error)?;
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
		let reading = parse_reading(&reading).map_err(invalid_param)?;
		let proof = proof
			.iter()
			.map(|h| parse_hash(h))
			.collect::<Result<Vec<_>, _>>()
			.map_err(invalid_param)?;
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
			.map_err(errors::runtime_error)?;
		Ok(anchors.into_iter().map(anchor_json).collect())
	}
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
	use super::*;
	use pallet_sensor_attestation::{
		names::{KINDS, UNITS},
		MeasurementKind, Unit,
	};

	#[test]
	fn readings_round_trip_through_json() {
		for kind in KINDS.iter().map(|(_, k)| *k).chain([MeasurementKind::Generic(7)]) {
			for unit in UNITS.iter().map(|(_, u)| *u).chain([Unit::Other(9)]) {
				let reading = Reading { device: 1, seq: 2, timestamp_ms: 3, kind, value: -4, unit };
				assert_eq!(parse_reading(&reading_json(&reading)), Ok(reading));
			}
		}
		let mut bad = reading_json(&Reading {
			device: 1,
			seq: 1,
			timestamp_ms: 1,
			kind: MeasurementKind::Power,
			value: 1,
			unit: Unit::Watt,
		});
		bad.kind = "temperature".into();
		assert!(parse_reading(&bad).unwrap_err().contains("unknown measurement kind"));
		assert!(parse_hash("0x12").unwrap_err().contains("32 bytes"));
	}
}
