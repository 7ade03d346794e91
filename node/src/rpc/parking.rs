//! `city_parkingAvailability`: free parking in a zone, over the runtime's `CityServicesApi`.

use std::sync::Arc;

use citychain_runtime::{
	opaque::Block,
	parking::{CityServicesApi, ParkingAvailability},
	BlockNumber,
};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;

use super::{
	device::status_json,
	errors::{self, invalid_param},
};

/// Default freshness bound of `city_parkingAvailability`: 15 minutes.
pub const DEFAULT_MAX_AGE_SECONDS: u64 = 900;
/// Largest freshness bound: one day.
pub const MAX_MAX_AGE_SECONDS: u64 = 86_400;

/// One parking sensor in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkingSensorJson {
	/// Device id.
	pub device: u64,
	/// `active` or `suspended` (only active, certified sensors are counted; revoked and
	/// decommissioned sensors are not listed).
	pub status: String,
	/// Who suspended it (`owner` or `registrar`), when suspended.
	pub suspended_by: Option<String>,
	/// Whether the city registrar certified it (uncertified sensors are listed, not counted).
	pub certified: bool,
	/// The newest occupancy reading's verdict: `true` occupied, `false` free, `null` if the
	/// sensor never reported.
	pub occupied: Option<bool>,
	/// When that reading was measured, Unix ms.
	pub reading_timestamp_ms: Option<u64>,
	/// Its age at the block's time, in whole seconds rounded down (0 if stamped ahead of the
	/// block); `fresh` compares milliseconds.
	pub age_seconds: Option<u64>,
	/// Block the reading was attested in.
	pub reading_block: Option<BlockNumber>,
	/// Whether the reading is at most `maxAgeSeconds` old.
	pub fresh: bool,
}

/// The answer of `city_parkingAvailability`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkingJson {
	/// The zone asked about.
	pub zone: u32,
	/// The block answered at (hash).
	pub at: String,
	/// The chain's time at that block, Unix ms: ages are measured from it.
	pub now_ms: u64,
	/// The freshness bound used, seconds.
	pub max_age_seconds: u64,
	/// Active, certified sensors whose fresh reading says free.
	pub free: u32,
	/// Active, certified sensors whose fresh reading says occupied.
	pub occupied: u32,
	/// Active, certified sensors without a fresh reading.
	pub unknown: u32,
	/// The zone's parking sensors that may still act, by device id.
	pub sensors: Vec<ParkingSensorJson>,
}

fn parking_json(zone: u32, at: H256, max_age_seconds: u64, p: ParkingAvailability) -> ParkingJson {
	let now_ms = p.now_ms;
	ParkingJson {
		zone,
		at: format!("{at:?}"),
		now_ms,
		max_age_seconds,
		free: p.free,
		occupied: p.occupied,
		unknown: p.unknown,
		sensors: p
			.sensors
			.into_iter()
			.map(|sensor| {
				let (status, suspended_by) = status_json(sensor.status);
				let reading = sensor.occupancy.as_ref();
				ParkingSensorJson {
					device: sensor.device,
					status: status.into(),
					suspended_by,
					certified: sensor.certified,
					occupied: reading.map(|r| r.value != 0),
					reading_timestamp_ms: reading.map(|r| r.timestamp_ms),
					age_seconds: reading.map(|r| now_ms.saturating_sub(r.timestamp_ms) / 1000),
					reading_block: reading.map(|r| r.block),
					fresh: sensor.fresh,
				}
			})
			.collect(),
	}
}

/// City services' JSON-RPC methods.
#[rpc(server, namespace = "city")]
pub trait CityServicesRpc {
	/// The parking sensors of `zone` with their newest occupancy reading and its age, and how
	/// many spaces are free, occupied or unknown by readings at most `maxAgeSeconds` old
	/// (default 900, at most 86,400), at block `at` (default: best). Only active sensors the
	/// registrar certified are counted. A zone without sensors answers with empty counts.
	#[method(name = "parkingAvailability")]
	fn parking_availability(
		&self,
		zone: u32,
		max_age_seconds: Option<u64>,
		at: Option<H256>,
	) -> RpcResult<ParkingJson>;
}

/// Implementation of [`CityServicesRpcServer`] over a client.
pub struct CityServices<C> {
	client: Arc<C>,
}

impl<C> CityServices<C> {
	/// A new instance over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> CityServicesRpcServer for CityServices<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: CityServicesApi<Block>,
{
	fn parking_availability(
		&self,
		zone: u32,
		max_age_seconds: Option<u64>,
		at: Option<H256>,
	) -> RpcResult<ParkingJson> {
		let max_age_seconds = max_age_seconds.unwrap_or(DEFAULT_MAX_AGE_SECONDS);
		if max_age_seconds > MAX_MAX_AGE_SECONDS {
			return Err(invalid_param(format!(
				"maxAgeSeconds must be at most {MAX_MAX_AGE_SECONDS}, got {max_age_seconds}"
			)));
		}
		let at = super::block_with_api::<_, dyn CityServicesApi<Block>>(
			&*self.client,
			at,
			"CityServicesApi",
			None,
		)?;
		let availability = self
			.client
			.runtime_api()
			.parking_availability(at, zone, max_age_seconds.saturating_mul(1000))
			.map_err(errors::runtime_error)?;
		Ok(parking_json(zone, at, max_age_seconds, availability))
	}
}
