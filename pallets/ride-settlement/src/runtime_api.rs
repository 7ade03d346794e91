//! Runtime API of ride settlement, wrapped by the node's `city_ride`, `city_ridesOf`,
//! `city_rideQuote`, `city_driver` and `city_rideStats` JSON-RPC methods.

use alloc::vec::Vec;
use city_primitives::DeviceId;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;

use crate::{Driver, RatingSummary, Ride, RideId, RideStats, Tariff, TariffVersion};

/// Most rides `rides_of` returns in one page.
pub const MAX_RIDES_PAGE: u32 = 100;

/// A ride with its id, as `city_ride` and `city_ridesOf` show it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RideView<AccountId, Balance, BlockNumber> {
	/// Its id.
	pub id: RideId,
	/// The ride.
	pub ride: Ride<AccountId, Balance, BlockNumber>,
	/// What the rider would pay for the trip now, split (once completed and not closed).
	pub quote: Option<Quote<Balance>>,
}

/// What a trip costs under a tariff, and how the fare splits.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Quote<Balance> {
	/// The tariff version quoted.
	pub tariff: TariffVersion,
	/// The fare.
	pub fare: Balance,
	/// The city fee out of it.
	pub city_fee: Balance,
	/// The driver's share.
	pub driver_share: Balance,
}

/// A driver, as `city_driver` shows them.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct DriverView<Balance> {
	/// The driver's record (`None`: not registered, e.g. left; the ratings stay).
	pub driver: Option<Driver<Balance>>,
	/// The vehicle's device id, while registered.
	pub vehicle: Option<DeviceId>,
	/// Ratings received as a driver.
	pub rating: RatingSummary,
	/// Ratings received as a rider.
	pub rider_rating: RatingSummary,
}

sp_api::decl_runtime_apis! {
	/// Queries of ride settlement.
	pub trait RideSettlementApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The current tariff and its version (`None`: rides are closed).
		fn tariff() -> Option<(TariffVersion, Tariff<Balance, BlockNumber>)>;

		/// Ride `id`, while in storage.
		fn ride(id: RideId) -> Option<RideView<AccountId, Balance, BlockNumber>>;

		/// The rides of `account` (as rider or driver) still in storage, by ascending id,
		/// after `start_after`, at most `limit` (capped at [`MAX_RIDES_PAGE`]).
		fn rides_of(account: AccountId, start_after: Option<RideId>, limit: u32) -> Vec<RideView<AccountId, Balance, BlockNumber>>;

		/// What a trip of `distance_m` metres and `duration_s` seconds costs under the current
		/// tariff (no waiting), and how it splits (`None`: no tariff).
		fn quote(distance_m: u32, duration_s: u32) -> Option<Quote<Balance>>;

		/// The driver record and the ratings of `account` (`None`: neither registered nor
		/// ever rated).
		fn driver(account: AccountId) -> Option<DriverView<Balance>>;

		/// What the platform has done since genesis.
		fn stats() -> RideStats<Balance>;
	}
}
