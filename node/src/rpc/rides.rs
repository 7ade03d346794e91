//! `city_ride`, `city_ridesOf`, `city_rideQuote`, `city_driver`, `city_rideStats`: ride
//! settlement's runtime API over JSON-RPC. Amounts are decimal strings in the smallest unit
//! (u128 does not fit JSON numbers); distances in metres, durations in seconds, times in blocks
//! or Unix ms as named.

use std::sync::Arc;

use citychain_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_ride_settlement::{
	runtime_api::{DriverView, Quote, RideSettlementApi, RideView, MAX_RIDES_PAGE},
	Cancellation, Party, Place, RatingSummary, RideId, RideStatus, SettledBy, Tariff,
};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::Ss58Codec, H256};

use super::{
	errors::{self, invalid_param, not_found},
	params,
};

/// The runtime API's name, in errors.
const API: &str = "RideSettlementApi";
/// Rides `city_ridesOf` returns when no limit is given.
const DEFAULT_PAGE: u32 = 20;

/// A pick-up or drop-off place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceJson {
	/// The zone.
	pub zone: u32,
	/// The geohash (may be empty).
	pub geohash: String,
}

fn place_json(place: &Place) -> PlaceJson {
	PlaceJson { zone: place.zone, geohash: String::from_utf8_lossy(&place.geohash).into_owned() }
}

/// The vehicle's trip summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TripJson {
	/// Metres driven.
	pub distance_m: u32,
	/// Seconds.
	pub duration_s: u32,
	/// Hash of the route, 0x hex.
	pub route_hash: String,
	/// Start, Unix ms.
	pub start_ms: u64,
	/// End, Unix ms.
	pub end_ms: u64,
}

/// What a ride's closing moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeJson {
	/// The fare the rider paid.
	pub fare: String,
	/// The city fee out of it, to the treasury.
	pub city_fee: String,
	/// What the driver got (fare share or cancellation fee).
	pub to_driver: String,
	/// What the driver's bond paid the rider.
	pub penalty: String,
	/// What of the hold went back to the rider.
	pub refund: String,
}

/// What a trip costs and how it splits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteJson {
	/// The tariff version.
	pub tariff: u32,
	/// The fare.
	pub fare: String,
	/// The city fee out of it.
	pub city_fee: String,
	/// The driver's share.
	pub driver_share: String,
}

fn quote_json(q: &Quote<Balance>) -> QuoteJson {
	QuoteJson {
		tariff: q.tariff,
		fare: q.fare.to_string(),
		city_fee: q.city_fee.to_string(),
		driver_share: q.driver_share.to_string(),
	}
}

/// A ride, as `city_ride` and `city_ridesOf` show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RideJson {
	/// Its id.
	pub id: RideId,
	/// `requested`, `accepted`, `driverArrived`, `started`, `completed`, `disputed`,
	/// `settled` or `cancelled`.
	pub status: String,
	/// How a settled ride was settled: `rider`, `timeout`, `arbiter`, `arbitrationTimeout`.
	pub settled_by: Option<String>,
	/// How a cancelled ride was cancelled (the cancellation matrix's case, e.g. `byDriver`).
	pub cancellation: Option<String>,
	/// Who disputed it: `rider` or `driver`.
	pub disputed_by: Option<String>,
	/// The hash of the disputing party's statement.
	pub dispute_reason: Option<String>,
	/// The rider (SS58).
	pub rider: String,
	/// The driver (SS58), once accepted.
	pub driver: Option<String>,
	/// The vehicle's device id, once accepted.
	pub vehicle: Option<u64>,
	/// The tariff version it was requested (and accepted) under.
	pub tariff: Option<u32>,
	/// Pick-up.
	pub pickup: PlaceJson,
	/// Drop-off.
	pub dropoff: PlaceJson,
	/// The most the rider pays (held until it closes).
	pub max_fare: String,
	/// The storage deposit (held until it leaves storage).
	pub deposit: String,
	/// Whether the rider gave a start code.
	pub has_start_code: bool,
	/// Block of the request.
	pub requested_at: BlockNumber,
	/// Block of the acceptance.
	pub accepted_at: Option<BlockNumber>,
	/// Block the driver arrived at.
	pub arrived_at: Option<BlockNumber>,
	/// Block the trip started at.
	pub started_at: Option<BlockNumber>,
	/// The chain's time at the start, Unix ms.
	pub started_ms: Option<u64>,
	/// Chargeable minutes waited beyond the allowance.
	pub waited_min: u32,
	/// The vehicle's signed trip summary, once completed.
	pub trip: Option<TripJson>,
	/// Block of the completion.
	pub completed_at: Option<BlockNumber>,
	/// When its current state times out (once closed: when it leaves storage).
	pub deadline: BlockNumber,
	/// What its closing moved (zeros while open).
	pub outcome: OutcomeJson,
	/// What the rider would pay now, for a completed or disputed trip.
	pub quote: Option<QuoteJson>,
	/// The rider's rating of the driver (1-5).
	pub rider_rating: Option<u8>,
	/// The driver's rating of the rider (1-5).
	pub driver_rating: Option<u8>,
}

fn party_name(party: Party) -> &'static str {
	match party {
		Party::Rider => "rider",
		Party::Driver => "driver",
	}
}

fn settled_name(by: SettledBy) -> &'static str {
	match by {
		SettledBy::Rider => "rider",
		SettledBy::Timeout => "timeout",
		SettledBy::Arbiter => "arbiter",
		SettledBy::ArbitrationTimeout => "arbitrationTimeout",
	}
}

fn cancellation_name(case: Cancellation) -> &'static str {
	match case {
		Cancellation::ByRiderBeforeAcceptance => "byRiderBeforeAcceptance",
		Cancellation::Expired => "expired",
		Cancellation::ByRiderInGrace => "byRiderInGrace",
		Cancellation::ByRiderAfterGrace => "byRiderAfterGrace",
		Cancellation::DriverNoShow => "driverNoShow",
		Cancellation::ByRiderAfterArrival => "byRiderAfterArrival",
		Cancellation::ByDriver => "byDriver",
		Cancellation::RiderNoShow => "riderNoShow",
		Cancellation::TripAbandoned => "tripAbandoned",
	}
}

fn ride_json(view: RideView<AccountId, Balance, BlockNumber>) -> RideJson {
	let RideView { id, ride, quote } = view;
	let (status, settled_by, cancellation, disputed_by, dispute_reason) = match ride.status {
		RideStatus::Requested => ("requested", None, None, None, None),
		RideStatus::Accepted => ("accepted", None, None, None, None),
		RideStatus::DriverArrived => ("driverArrived", None, None, None, None),
		RideStatus::Started => ("started", None, None, None, None),
		RideStatus::Completed => ("completed", None, None, None, None),
		RideStatus::Disputed { by, reason } => {
			("disputed", None, None, Some(party_name(by)), Some(format!("{reason:?}")))
		}
		RideStatus::Settled(by) => ("settled", Some(settled_name(by)), None, None, None),
		RideStatus::Cancelled(case) => {
			("cancelled", None, Some(cancellation_name(case)), None, None)
		}
	};
	let outcome = ride.outcome;
	RideJson {
		id,
		status: status.into(),
		settled_by: settled_by.map(Into::into),
		cancellation: cancellation.map(Into::into),
		disputed_by: disputed_by.map(Into::into),
		dispute_reason,
		rider: ride.rider.to_ss58check(),
		driver: ride.driver.as_ref().map(|d| d.to_ss58check()),
		vehicle: ride.vehicle,
		tariff: ride.tariff,
		pickup: place_json(&ride.pickup),
		dropoff: place_json(&ride.dropoff),
		max_fare: ride.max_fare.to_string(),
		deposit: ride.deposit.to_string(),
		has_start_code: ride.start_code.is_some(),
		requested_at: ride.requested_at,
		accepted_at: ride.accepted_at,
		arrived_at: ride.arrived_at,
		started_at: ride.started_at,
		started_ms: ride.started_ms,
		waited_min: ride.waited_min,
		trip: ride.trip.as_ref().map(|t| TripJson {
			distance_m: t.distance_m,
			duration_s: t.duration_s,
			route_hash: format!("{:?}", t.route_hash),
			start_ms: t.start_ms,
			end_ms: t.end_ms,
		}),
		completed_at: ride.completed_at,
		deadline: ride.deadline,
		outcome: OutcomeJson {
			fare: outcome.fare.to_string(),
			city_fee: outcome.city_fee.to_string(),
			to_driver: outcome.to_driver.to_string(),
			penalty: outcome.penalty.to_string(),
			refund: outcome.refund.to_string(),
		},
		quote: quote.as_ref().map(quote_json),
		rider_rating: ride.rider_rating,
		driver_rating: ride.driver_rating,
	}
}

/// The answer of `city_ridesOf`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RidesJson {
	/// The account (SS58).
	pub account: String,
	/// The block answered at (hash).
	pub at: String,
	/// Its rides still in storage, by ascending id.
	pub rides: Vec<RideJson>,
	/// `startAfter` for the next page (`null`: this was the last).
	pub next: Option<RideId>,
}

/// Ratings received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingJson {
	/// How many.
	pub count: u32,
	/// Their sum.
	pub total: u64,
	/// The average times 100 (e.g. 450 for 4.5 stars); `null` without ratings.
	pub average_x100: Option<u64>,
}

fn rating_json(r: RatingSummary) -> RatingJson {
	RatingJson {
		count: r.count,
		total: r.total,
		average_x100: r.total.saturating_mul(100).checked_div(u64::from(r.count)),
	}
}

/// The answer of `city_driver`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriverJson {
	/// The account (SS58).
	pub account: String,
	/// The block answered at (hash).
	pub at: String,
	/// `onDuty`, `offDuty`, or `notRegistered` (left, but rated before).
	pub status: String,
	/// The vehicle's device id, while registered.
	pub vehicle: Option<u64>,
	/// The bond held, while registered.
	pub bond: Option<String>,
	/// The open ride, if any.
	pub ride: Option<RideId>,
	/// Ratings received as a driver.
	pub rating: RatingJson,
	/// Ratings received as a rider.
	pub rider_rating: RatingJson,
}

fn driver_json(account: &AccountId, at: H256, view: DriverView<Balance>) -> DriverJson {
	let status = match &view.driver {
		Some(d) if d.on_duty => "onDuty",
		Some(_) => "offDuty",
		None => "notRegistered",
	};
	DriverJson {
		account: account.to_ss58check(),
		at: format!("{at:?}"),
		status: status.into(),
		vehicle: view.vehicle,
		bond: view.driver.as_ref().map(|d| d.bond.to_string()),
		ride: view.driver.as_ref().and_then(|d| d.ride),
		rating: rating_json(view.rating),
		rider_rating: rating_json(view.rider_rating),
	}
}

/// The tariff in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TariffJson {
	/// Its version.
	pub version: u32,
	/// Charged on every trip.
	pub base_fare: String,
	/// Per kilometre.
	pub per_km: String,
	/// Per minute.
	pub per_minute: String,
	/// The least a trip costs.
	pub minimum_fare: String,
	/// The city fee in basis points of the fare.
	pub city_fee_bps: u16,
	/// Blocks a driver waits for free.
	pub waiting_allowance: BlockNumber,
	/// Per whole minute waited beyond it.
	pub waiting_per_minute: String,
	/// A rider's cancellation after the grace period.
	pub rider_cancel_fee: String,
	/// A rider's cancellation after the driver arrived (plus waiting).
	pub arrived_cancel_fee: String,
	/// A rider's no-show (plus waiting).
	pub no_show_fee: String,
	/// A driver's cancellation or no-show, from the bond to the rider.
	pub driver_cancel_penalty: String,
	/// The driver's bond.
	pub driver_bond: String,
	/// Blocks after acceptance the rider cancels for free.
	pub cancel_grace: BlockNumber,
	/// Blocks a request waits for a driver.
	pub request_timeout: BlockNumber,
	/// Blocks a driver has to arrive.
	pub arrival_timeout: BlockNumber,
	/// Blocks after arrival before a no-show.
	pub start_timeout: BlockNumber,
	/// Blocks a trip may last.
	pub trip_timeout: BlockNumber,
	/// Blocks after completion for disputes.
	pub dispute_window: BlockNumber,
	/// Blocks the arbiter has.
	pub arbitration_timeout: BlockNumber,
}

fn tariff_json(version: u32, t: &Tariff<Balance, BlockNumber>) -> TariffJson {
	TariffJson {
		version,
		base_fare: t.base_fare.to_string(),
		per_km: t.per_km.to_string(),
		per_minute: t.per_minute.to_string(),
		minimum_fare: t.minimum_fare.to_string(),
		city_fee_bps: t.city_fee_bps,
		waiting_allowance: t.waiting_allowance,
		waiting_per_minute: t.waiting_per_minute.to_string(),
		rider_cancel_fee: t.rider_cancel_fee.to_string(),
		arrived_cancel_fee: t.arrived_cancel_fee.to_string(),
		no_show_fee: t.no_show_fee.to_string(),
		driver_cancel_penalty: t.driver_cancel_penalty.to_string(),
		driver_bond: t.driver_bond.to_string(),
		cancel_grace: t.cancel_grace,
		request_timeout: t.request_timeout,
		arrival_timeout: t.arrival_timeout,
		start_timeout: t.start_timeout,
		trip_timeout: t.trip_timeout,
		dispute_window: t.dispute_window,
		arbitration_timeout: t.arbitration_timeout,
	}
}

/// The answer of `city_rideQuote`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RideQuoteJson {
	/// The distance asked about, metres.
	pub distance_m: u32,
	/// The duration asked about, seconds.
	pub duration_s: u32,
	/// The block answered at (hash).
	pub at: String,
	/// The tariff version.
	pub tariff: u32,
	/// The fare.
	pub fare: String,
	/// The city fee out of it.
	pub city_fee: String,
	/// The driver's share.
	pub driver_share: String,
}

/// The answer of `city_rideStats`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RideStatsJson {
	/// The block answered at (hash).
	pub at: String,
	/// Rides requested since genesis.
	pub requested: u64,
	/// Rides settled.
	pub settled: u64,
	/// Rides cancelled, expired or abandoned.
	pub cancelled: u64,
	/// Disputes opened.
	pub disputed: u64,
	/// Fares riders paid.
	pub fares: String,
	/// City fees kept by the treasury.
	pub city_fees: String,
	/// What drivers earned (fares less city fees, and cancellation fees): with the city fees,
	/// the value that stayed in the city.
	pub driver_income: String,
	/// Cancellation and no-show fees riders paid drivers.
	pub cancellation_fees: String,
	/// Penalties drivers' bonds paid riders.
	pub penalties: String,
	/// The current tariff (`null`: rides are closed).
	pub tariff: Option<TariffJson>,
}

/// Ride settlement's JSON-RPC methods.
#[rpc(server, namespace = "city")]
pub trait CityRidesApi {
	/// Ride `id`: its state, parties, places, times, trip summary, outcome and, for a
	/// completed trip, what the rider would pay.
	#[method(name = "ride")]
	fn ride(&self, id: RideId, at: Option<H256>) -> RpcResult<RideJson>;

	/// The rides of `account` (SS58 or 0x hex; as rider or driver) still in storage, by
	/// ascending id after `startAfter`, at most `limit` (default 20, at most 100).
	#[method(name = "ridesOf")]
	fn rides_of(
		&self,
		account: String,
		start_after: Option<RideId>,
		limit: Option<u32>,
		at: Option<H256>,
	) -> RpcResult<RidesJson>;

	/// What a trip of `distanceM` metres and `durationS` seconds costs under the current
	/// tariff, and how the fare splits between the city fee and the driver.
	#[method(name = "rideQuote")]
	fn ride_quote(
		&self,
		distance_m: u32,
		duration_s: u32,
		at: Option<H256>,
	) -> RpcResult<RideQuoteJson>;

	/// A driver: status, vehicle, bond, open ride and ratings.
	#[method(name = "driver")]
	fn driver(&self, account: String, at: Option<H256>) -> RpcResult<DriverJson>;

	/// What the platform has done since genesis (rides, fares, city fees: the value kept in
	/// the city) and the current tariff.
	#[method(name = "rideStats")]
	fn ride_stats(&self, at: Option<H256>) -> RpcResult<RideStatsJson>;
}

/// Implementation of [`CityRidesApiServer`] over a client.
pub struct CityRides<C> {
	client: Arc<C>,
}

impl<C> CityRides<C> {
	/// A new instance over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> CityRides<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: RideSettlementApi<Block, AccountId, Balance, BlockNumber>,
{
	/// The block to query, checking that its runtime has the API.
	fn at(&self, at: Option<H256>) -> RpcResult<H256> {
		super::block_with_api::<_, dyn RideSettlementApi<Block, AccountId, Balance, BlockNumber>>(
			&*self.client,
			at,
			API,
			None,
		)
	}
}

impl<C> CityRidesApiServer for CityRides<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: RideSettlementApi<Block, AccountId, Balance, BlockNumber>,
{
	fn ride(&self, id: RideId, at: Option<H256>) -> RpcResult<RideJson> {
		let at = self.at(at)?;
		let view =
			self.client.runtime_api().ride(at, id).map_err(errors::runtime_error)?.ok_or_else(
				|| not_found(format!("no ride {id}: never requested, or it has left storage")),
			)?;
		Ok(ride_json(view))
	}

	fn rides_of(
		&self,
		account: String,
		start_after: Option<RideId>,
		limit: Option<u32>,
		at: Option<H256>,
	) -> RpcResult<RidesJson> {
		let account = params::account(&account).map_err(invalid_param)?;
		let limit = limit.unwrap_or(DEFAULT_PAGE);
		if limit == 0 || limit > MAX_RIDES_PAGE {
			return Err(invalid_param(format!("limit must be 1 to {MAX_RIDES_PAGE}, got {limit}")));
		}
		let at = self.at(at)?;
		// One more than asked, to know whether there is a next page.
		let mut rides = self
			.client
			.runtime_api()
			.rides_of(at, account.clone(), start_after, limit.saturating_add(1))
			.map_err(errors::runtime_error)?;
		let more = rides.len() > limit as usize;
		rides.truncate(limit as usize);
		let next = if more { rides.last().map(|r| r.id) } else { None };
		Ok(RidesJson {
			account: account.to_ss58check(),
			at: format!("{at:?}"),
			rides: rides.into_iter().map(ride_json).collect(),
			next,
		})
	}

	fn ride_quote(
		&self,
		distance_m: u32,
		duration_s: u32,
		at: Option<H256>,
	) -> RpcResult<RideQuoteJson> {
		let at = self.at(at)?;
		let quote = self
			.client
			.runtime_api()
			.quote(at, distance_m, duration_s)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| not_found("rides are closed: no tariff is set"))?;
		Ok(RideQuoteJson {
			distance_m,
			duration_s,
			at: format!("{at:?}"),
			tariff: quote.tariff,
			fare: quote.fare.to_string(),
			city_fee: quote.city_fee.to_string(),
			driver_share: quote.driver_share.to_string(),
		})
	}

	fn driver(&self, account: String, at: Option<H256>) -> RpcResult<DriverJson> {
		let account = params::account(&account).map_err(invalid_param)?;
		let at = self.at(at)?;
		let view = self
			.client
			.runtime_api()
			.driver(at, account.clone())
			.map_err(errors::runtime_error)?
			.ok_or_else(|| {
				not_found(format!(
					"{} is not a registered driver and has no ratings",
					account.to_ss58check()
				))
			})?;
		Ok(driver_json(&account, at, view))
	}

	fn ride_stats(&self, at: Option<H256>) -> RpcResult<RideStatsJson> {
		let at = self.at(at)?;
		let api = self.client.runtime_api();
		let stats = api.stats(at).map_err(errors::runtime_error)?;
		let tariff = api.tariff(at).map_err(errors::runtime_error)?;
		Ok(RideStatsJson {
			at: format!("{at:?}"),
			requested: stats.requested,
			settled: stats.settled,
			cancelled: stats.cancelled,
			disputed: stats.disputed,
			fares: stats.fares.to_string(),
			city_fees: stats.city_fees.to_string(),
			driver_income: stats.driver_income.to_string(),
			cancellation_fees: stats.cancellation_fees.to_string(),
			penalties: stats.penalties.to_string(),
			tariff: tariff.as_ref().map(|(version, t)| tariff_json(*version, t)),
		})
	}
}
