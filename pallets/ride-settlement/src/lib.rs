//! # Ride settlement
//!
//! A city's local ride platform settles its fares on the city's own chain: riders and drivers
//! deal directly, the fare comes from a city tariff applied to a trip summary that the
//! vehicle's registered device signs, and a small, transparent city fee (at most
//! [`Config::MaxCityFeeBps`], 5 % in the runtime, versus 20-30 % taken by global platforms)
//! goes to the city treasury.
//!
//! - **Drivers** register with a vehicle device they own or operate (class vehicle, active,
//!   certified by the city registrar) and hold the tariff's bond ([`HoldReason::DriverBond`]).
//!   They go on and off duty; they leave (bond back) when no ride is open. A driver has at most
//!   one open ride, and a vehicle one driver.
//! - **Tariff** ([`Tariff`], set by [`Config::TariffOrigin`]): base fare, per km, per minute,
//!   minimum fare, city fee in basis points, waiting allowance and fee, cancellation fees, the
//!   driver's bond and cancellation penalty, and every timeout. Each change is a new version;
//!   a ride keeps the version it was requested under (the one the rider saw and the driver
//!   accepts).
//! - **Rides** ([`RideStatus`]): `request_ride` (the rider's maximum fare is held,
//!   [`HoldReason::RideEscrow`], plus a storage deposit, [`HoldReason::RideDeposit`]) ->
//!   `accept_ride` by an on-duty driver -> `driver_arrived` -> `start_ride` by the rider (or
//!   `start_ride_with_code` by the driver with the rider's start code) -> `complete_ride` with
//!   the vehicle's signed [`TripSummary`] -> `confirm_ride` by the rider, or automatically when
//!   the dispute window ends -> settled ([`fare`]: the fare, capped at the hold; the city fee to
//!   the treasury; the rest to the driver; the remainder back to the rider).
//! - **Cancellations** follow the matrix of [`Cancellation`] (who, when, what it costs).
//! - **Disputes**: either party, within the dispute window after completion; funds stay held;
//!   [`Config::ArbiterOrigin`] resolves with a fare of its choosing (a split of the hold); an
//!   unresolved dispute settles at the tariff's fare when the arbitration timeout ends.
//! - **Timeouts** run from one queue of deadlines ([`Deadlines`]): `on_idle` processes what is
//!   due within the block's spare weight, and anyone may process a due ride with
//!   [`Pallet::process_deadline`]. No funds stay held forever.
//! - **Ratings**: one (1-5) per party per settled ride; running totals per driver and rider.
//! - **Retention**: a closed ride stays readable (and ratable) for [`Config::RetainBlocks`],
//!   then leaves storage and the rider's deposit is released.
//!
//! Devices are read only through [`city_primitives::DeviceLookup`] (and trip signatures
//! checked with the key it returns).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod fare;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use city_device::{arrival_payload, trip_payload, RideId, TripSummary, ARRIVAL_TAG, TRIP_TAG};
pub use weights::WeightInfo;

use city_primitives::{DeviceId, ZoneId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;

/// What the benchmarks need from the runtime: a vehicle, and its signatures.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// An active, certified vehicle owned by `owner`.
	fn vehicle(owner: &AccountId) -> DeviceId;
	/// `vehicle`'s signature of `payload` with its current key.
	fn sign(vehicle: DeviceId, payload: &[u8]) -> sp_runtime::MultiSignature;
}

/// Most deadlines `on_idle` processes in one block, whatever its spare weight.
pub const MAX_DUE_PER_BLOCK: usize = 1_000;

/// Most blocks of the deadline queue `on_idle` looks at in one block (it catches up after a
/// halt or an upgrade that added the pallet, without one block doing it all).
pub const MAX_SCAN_PER_BLOCK: u32 = 10_000;

/// A deadline whose processing failed is tried again this many blocks later.
pub const RETRY_AFTER_BLOCKS: u32 = 100;

/// The fastest a vehicle is taken to drive, metres per second (216 km/h): a trip summary
/// claiming more distance than this over its duration is refused.
pub const MAX_SPEED_M_PER_S: u64 = 60;

/// A version of the tariff: 0 for the first, +1 at every change.
pub type TariffVersion = u32;

/// Domain tag of a start code's hash: the rider puts `start_code_hash(rider, code)` in the
/// request and gives the driver the 16-byte `code` (e.g. as a QR code) at the pick-up.
pub const START_CODE_TAG: &[u8; 24] = b"CITYCHAIN/RIDE/START/v1\0";

/// The key of ride `id` in an account's ride index (`AccountRides`): big-endian, so that the
/// index iterates in id order.
pub fn ride_key(id: RideId) -> [u8; 8] {
	id.to_be_bytes()
}

/// The hash a rider puts in a request for the start `code`: `blake2_256(SCALE(START_CODE_TAG,
/// rider, code))`. The hash is public, so the code must be random (16 random bytes, never a PIN)
/// and new for every ride: a used code is on chain for everyone to see.
pub fn start_code_hash<AccountId: Encode>(rider: &AccountId, code: &[u8; 16]) -> H256 {
	H256(sp_io::hashing::blake2_256(&(START_CODE_TAG, rider, code).encode()))
}

/// The city's ride tariff. Amounts are in the chain's currency; times are in blocks.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Tariff<Balance, BlockNumber> {
	/// Charged on every trip.
	pub base_fare: Balance,
	/// Per kilometre driven (charged per metre, rounded down).
	pub per_km: Balance,
	/// Per minute of the trip (charged per second, rounded down).
	pub per_minute: Balance,
	/// The least a trip costs.
	pub minimum_fare: Balance,
	/// The city's fee, in basis points of the fare (at most `MaxCityFeeBps`).
	pub city_fee_bps: u16,
	/// Blocks a driver waits at the pick-up for free.
	pub waiting_allowance: BlockNumber,
	/// Per whole minute waited beyond the allowance: added to the fare, to a cancellation
	/// after arrival, and to a no-show fee.
	pub waiting_per_minute: Balance,
	/// A rider cancelling after the grace period, before the driver arrived, pays this to the
	/// driver.
	pub rider_cancel_fee: Balance,
	/// A rider cancelling after the driver arrived pays this (plus waiting) to the driver.
	pub arrived_cancel_fee: Balance,
	/// A rider who does not show up within the waiting allowance pays this (plus waiting) to
	/// the driver.
	pub no_show_fee: Balance,
	/// A driver cancelling an accepted ride (or not arriving in time) pays this from the bond
	/// to the rider. At most the bond.
	pub driver_cancel_penalty: Balance,
	/// The bond a driver holds to accept rides.
	pub driver_bond: Balance,
	/// Blocks after acceptance during which the rider cancels for free.
	pub cancel_grace: BlockNumber,
	/// A request nobody accepts expires after this many blocks (the hold is released).
	pub request_timeout: BlockNumber,
	/// A driver who has not arrived this many blocks after accepting is a no-show.
	pub arrival_timeout: BlockNumber,
	/// A ride not started this many blocks after the driver arrived ends as the rider's
	/// no-show (at least the waiting allowance).
	pub start_timeout: BlockNumber,
	/// A started ride not completed within this many blocks is abandoned (the rider is
	/// refunded in full).
	pub trip_timeout: BlockNumber,
	/// Blocks after completion during which either party may dispute; then the ride settles
	/// by itself if the rider has not confirmed it.
	pub dispute_window: BlockNumber,
	/// A dispute the arbiter has not resolved this many blocks after it was opened settles at
	/// the tariff's fare (the vehicle's evidence stands).
	pub arbitration_timeout: BlockNumber,
}

/// A pick-up or drop-off place: a zone, and optionally a geohash (base32, at most 7 characters:
/// a cell of about 150 m, so that the chain, which everyone reads, does not learn riders'
/// doorsteps; the apps exchange the exact address off chain).
#[derive(
	Clone,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Place {
	/// The city zone (district).
	pub zone: ZoneId,
	/// A geohash in the zone (may be empty).
	pub geohash: BoundedVec<u8, ConstU32<7>>,
}

impl Place {
	/// Whether the geohash uses only geohash characters (`0-9`, `b-z` without `i`, `l`, `o`).
	pub fn is_valid(&self) -> bool {
		self.geohash.iter().all(
			|c| matches!(c, b'0'..=b'9' | b'b'..=b'h' | b'j' | b'k' | b'm' | b'n' | b'p'..=b'z'),
		)
	}
}

/// One of the two parties of a ride.
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
pub enum Party {
	/// The rider.
	Rider,
	/// The driver.
	Driver,
}

/// How a ride was cancelled, and what it cost: the cancellation matrix. Fees go to the driver
/// in full, penalties to the rider; each is capped at what its payer holds for the ride.
///
/// | Who | When | Case | Cost |
/// |---|---|---|---|
/// | rider | before acceptance | `ByRiderBeforeAcceptance` | free |
/// | nobody accepts | `request_timeout` after the request | `Expired` | free |
/// | rider | within `cancel_grace` after acceptance | `ByRiderInGrace` | free |
/// | rider | after the grace, before the driver arrived | `ByRiderAfterGrace` | `rider_cancel_fee` to the driver |
/// | the driver does not arrive | `arrival_timeout` after acceptance (rider or anyone) | `DriverNoShow` | `driver_cancel_penalty` from the bond to the rider |
/// | rider | after the driver arrived | `ByRiderAfterArrival` | `arrived_cancel_fee` + waiting to the driver |
/// | driver | after acceptance, before the waiting allowance ran out | `ByDriver` | `driver_cancel_penalty` from the bond to the rider |
/// | driver (or anyone at `start_timeout`) | the waiting allowance ran out, not started | `RiderNoShow` | `no_show_fee` + waiting to the driver |
/// | not completed | `trip_timeout` after the start | `TripAbandoned` | free (the driver earns nothing) |
///
/// "Waiting" is `waiting_per_minute` for every whole minute the driver waited beyond the
/// waiting allowance.
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
pub enum Cancellation {
	/// The rider cancelled before any driver accepted.
	ByRiderBeforeAcceptance,
	/// Nobody accepted the request in time.
	Expired,
	/// The rider cancelled within the grace period after acceptance.
	ByRiderInGrace,
	/// The rider cancelled after the grace period, before the driver arrived.
	ByRiderAfterGrace,
	/// The driver did not arrive within the arrival timeout.
	DriverNoShow,
	/// The rider cancelled after the driver arrived.
	ByRiderAfterArrival,
	/// The driver cancelled.
	ByDriver,
	/// The rider did not show up within the waiting allowance.
	RiderNoShow,
	/// The trip was not completed within the trip timeout.
	TripAbandoned,
}

/// How a ride came to be settled.
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
pub enum SettledBy {
	/// The rider confirmed the trip.
	Rider,
	/// The dispute window ended without a dispute.
	Timeout,
	/// The arbiter resolved a dispute.
	Arbiter,
	/// The arbitration timeout ended a dispute at the tariff's fare.
	ArbitrationTimeout,
}

/// Where a ride is.
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
pub enum RideStatus {
	/// Waiting for a driver.
	Requested,
	/// A driver accepted and is on the way.
	Accepted,
	/// The driver is at the pick-up.
	DriverArrived,
	/// The trip is under way.
	Started,
	/// The trip is over (summary in); waiting for the rider's confirmation or the end of the
	/// dispute window.
	Completed,
	/// A party disputes the trip; the arbiter decides.
	Disputed {
		/// Who opened it.
		by: Party,
		/// Hash of the party's statement (kept off chain).
		reason: H256,
	},
	/// Settled (closed).
	Settled(SettledBy),
	/// Cancelled (closed).
	Cancelled(Cancellation),
}

impl RideStatus {
	/// Whether the ride is closed (settled or cancelled): only removal is left.
	pub fn is_closed(&self) -> bool {
		matches!(self, RideStatus::Settled(_) | RideStatus::Cancelled(_))
	}
}

/// What a ride's closing moved.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Outcome<Balance> {
	/// The fare the rider paid (capped at the hold); 0 for a cancellation.
	pub fare: Balance,
	/// The city fee out of the fare, to the treasury.
	pub city_fee: Balance,
	/// What the driver got: the fare less the city fee, or a cancellation fee.
	pub to_driver: Balance,
	/// What the driver's bond paid the rider (a driver's cancellation or no-show).
	pub penalty: Balance,
	/// What of the rider's hold went back to the rider.
	pub refund: Balance,
}

/// A ride.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Ride<AccountId, Balance, BlockNumber> {
	/// Who asked for it (and pays).
	pub rider: AccountId,
	/// Where to pick the rider up.
	pub pickup: Place,
	/// Where to.
	pub dropoff: Place,
	/// The most the rider pays: held from the request until the ride closes.
	pub max_fare: Balance,
	/// The storage deposit, held until the ride leaves storage.
	pub deposit: Balance,
	/// `start_code_hash` of the start code the rider will give the driver, if any.
	pub start_code: Option<H256>,
	/// When it was requested.
	pub requested_at: BlockNumber,
	/// The driver, once accepted.
	pub driver: Option<AccountId>,
	/// The driver's vehicle, once accepted.
	pub vehicle: Option<DeviceId>,
	/// The tariff version it was requested (and so accepted) under: the rider saw it.
	pub tariff: Option<TariffVersion>,
	/// When it was accepted.
	pub accepted_at: Option<BlockNumber>,
	/// When the driver arrived at the pick-up.
	pub arrived_at: Option<BlockNumber>,
	/// When the trip started.
	pub started_at: Option<BlockNumber>,
	/// The chain's time (Unix ms) when it started.
	pub started_ms: Option<u64>,
	/// Chargeable minutes the driver waited beyond the allowance before the start.
	pub waited_min: u32,
	/// The vehicle's signed trip summary, once completed.
	pub trip: Option<TripSummary>,
	/// When the trip was completed.
	pub completed_at: Option<BlockNumber>,
	/// Where it is.
	pub status: RideStatus,
	/// When its current state times out (or, once closed, when it leaves storage).
	pub deadline: BlockNumber,
	/// The block its entry in the deadline queue is at: the deadline, or later while a
	/// processing that failed waits for its retry (the deadline itself does not move).
	pub queued_at: BlockNumber,
	/// What its closing moved.
	pub outcome: Outcome<Balance>,
	/// The rider's rating of the driver (1-5), once given.
	pub rider_rating: Option<u8>,
	/// The driver's rating of the rider (1-5), once given.
	pub driver_rating: Option<u8>,
}

/// A registered driver.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Driver<Balance> {
	/// The vehicle device the driver drives.
	pub vehicle: DeviceId,
	/// The bond held (less any penalties paid from it).
	pub bond: Balance,
	/// Whether the driver takes rides.
	pub on_duty: bool,
	/// The driver's open ride, if any.
	pub ride: Option<RideId>,
}

/// Ratings a party received: their average is `total / count`.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct RatingSummary {
	/// How many ratings.
	pub count: u32,
	/// Their sum.
	pub total: u64,
}

/// What the platform has done since genesis: the value kept in the city.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct RideStats<Balance> {
	/// Rides requested.
	pub requested: u64,
	/// Rides settled.
	pub settled: u64,
	/// Rides cancelled (or expired, or abandoned).
	pub cancelled: u64,
	/// Disputes opened.
	pub disputed: u64,
	/// Fares riders paid.
	pub fares: Balance,
	/// City fees kept by the treasury.
	pub city_fees: Balance,
	/// What drivers earned: fares less city fees, and cancellation fees.
	pub driver_income: Balance,
	/// Cancellation and no-show fees riders paid drivers.
	pub cancellation_fees: Balance,
	/// Penalties drivers' bonds paid riders.
	pub penalties: Balance,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use city_primitives::{DeviceClass, DeviceLookup};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{Saturating, Zero},
		MultiSignature, SaturatedConversion,
	};

	/// The balance type of the currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// The tariff with this runtime's types.
	pub type TariffOf<T> = Tariff<BalanceOf<T>, BlockNumberFor<T>>;
	/// A ride with this runtime's types.
	pub type RideOf<T> =
		Ride<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// The in-code storage version (1: the deadline cursor starts at the upgrade that brings
	/// the pallet, see [`crate::migrations::v1`]).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of ride settlement. The chain's hash is `H256`: vehicles sign the 32-byte
	/// genesis hash.
	#[pallet::config]
	pub trait Config: frame_system::Config<Hash = H256> {
		/// The currency fares are escrowed in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The device registry: vehicles, their owners, status, certification and keys.
		type Devices: DeviceLookup<Self::AccountId>;

		/// The chain's time (a trip summary's times are checked against it).
		type UnixTime: UnixTime;

		/// Where city fees go: the city treasury.
		type Treasury: Get<Self::AccountId>;

		/// Sets the tariff.
		type TariffOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Resolves disputes.
		type ArbiterOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The highest city fee a tariff may set, in basis points (500 = 5 %).
		#[pallet::constant]
		type MaxCityFeeBps: Get<u16>;

		/// Most open (not closed) rides one rider has.
		#[pallet::constant]
		type MaxOpenRidesPerRider: Get<u32>;

		/// The deposit a request holds until the ride leaves storage.
		#[pallet::constant]
		type RideDeposit: Get<BalanceOf<Self>>;

		/// A closed ride stays in storage (readable, ratable) this many blocks.
		#[pallet::constant]
		type RetainBlocks: Get<BlockNumberFor<Self>>;

		/// The longest timeout a tariff may set, in blocks.
		#[pallet::constant]
		type MaxTimeout: Get<BlockNumberFor<Self>>;

		/// Blocks in a minute (waiting is charged per whole minute).
		#[pallet::constant]
		type BlocksPerMinute: Get<u32>;

		/// How far a trip summary's times may be from the chain's (the vehicle's clock), ms.
		#[pallet::constant]
		type MaxClockDriftMs: Get<u64>;

		/// Weights of the calls and the deadline processing (from the benchmarks).
		type WeightInfo: WeightInfo;

		/// Creates vehicles and their signatures for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A rider's maximum fare, until the ride closes.
		#[codec(index = 0)]
		RideEscrow,
		/// A ride's storage deposit, until it leaves storage.
		#[codec(index = 1)]
		RideDeposit,
		/// A driver's bond, until the driver leaves.
		#[codec(index = 2)]
		DriverBond,
	}

	/// The tariff versions in use: the current one, and older ones while a ride requested
	/// under them is open.
	#[pallet::storage]
	pub type Tariffs<T: Config> = StorageMap<_, Twox64Concat, TariffVersion, TariffOf<T>>;

	/// The current tariff's version (`None`: no tariff, no new rides).
	#[pallet::storage]
	pub type CurrentTariff<T> = StorageValue<_, TariffVersion, OptionQuery>;

	/// How many open rides were requested under each tariff version.
	#[pallet::storage]
	pub type TariffUsers<T> = StorageMap<_, Twox64Concat, TariffVersion, u32, ValueQuery>;

	/// Registered drivers.
	#[pallet::storage]
	pub type Drivers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Driver<BalanceOf<T>>>;

	/// The driver of each registered vehicle (a vehicle has one driver).
	#[pallet::storage]
	pub type VehicleDrivers<T: Config> =
		StorageMap<_, Twox64Concat, DeviceId, T::AccountId, OptionQuery>;

	/// Rides by id, until they leave storage (`RetainBlocks` after closing).
	#[pallet::storage]
	pub type Rides<T: Config> = StorageMap<_, Twox64Concat, RideId, RideOf<T>>;

	/// The id the next ride gets.
	#[pallet::storage]
	pub type NextRideId<T> = StorageValue<_, RideId, ValueQuery>;

	/// A rider's open rides.
	#[pallet::storage]
	pub type OpenRides<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The rides of an account (as rider or driver) still in storage, by (account, the ride's
	/// id as 8 big-endian bytes): in id order, so that `city_ridesOf` pages without sorting.
	/// The value is the ride's id.
	#[pallet::storage]
	pub type AccountRides<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Identity, [u8; 8], RideId, OptionQuery>;

	/// Every ride in storage, by (deadline block, ride): when its state times out, or when it
	/// leaves storage.
	#[pallet::storage]
	pub type Deadlines<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, RideId, (), OptionQuery>;

	/// The first block whose deadlines `on_idle` has not processed yet.
	#[pallet::storage]
	pub type DeadlinesFrom<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Ratings received, by (role, account): drivers' from riders, riders' from drivers.
	#[pallet::storage]
	pub type Ratings<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		Party,
		Blake2_128Concat,
		T::AccountId,
		RatingSummary,
		ValueQuery,
	>;

	/// What the platform has done since genesis.
	#[pallet::storage]
	pub type Stats<T: Config> = StorageValue<_, RideStats<BalanceOf<T>>, ValueQuery>;

	/// The tariff at genesis.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The tariff; `None` leaves rides closed until governance sets one.
		pub tariff: Option<TariffOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(tariff) = &self.tariff {
				assert!(Pallet::<T>::check_tariff(tariff).is_ok(), "the genesis tariff is invalid");
				Tariffs::<T>::insert(0, tariff);
				CurrentTariff::<T>::put(0);
			}
		}
	}

	/// Events of ride settlement.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A driver registered with a vehicle and holds `bond`.
		DriverRegistered { driver: T::AccountId, vehicle: DeviceId, bond: BalanceOf<T> },
		/// A driver went on or off duty; `bond` is what the bond holds now.
		DriverDutyChanged { driver: T::AccountId, on_duty: bool, bond: BalanceOf<T> },
		/// A driver left; the bond was released.
		DriverLeft { driver: T::AccountId, released: BalanceOf<T> },
		/// A rider asked for a ride; `max_fare` is held.
		RideRequested {
			ride: RideId,
			rider: T::AccountId,
			pickup: Place,
			dropoff: Place,
			max_fare: BalanceOf<T>,
		},
		/// A driver accepted a ride (which keeps tariff version `tariff`, the one it was
		/// requested under).
		RideAccepted {
			ride: RideId,
			driver: T::AccountId,
			vehicle: DeviceId,
			tariff: TariffVersion,
		},
		/// The driver is at the pick-up.
		DriverArrived { ride: RideId },
		/// The trip started (`by_code`: the driver gave the rider's start code).
		RideStarted { ride: RideId, by_code: bool, waited_min: u32 },
		/// The trip ended with the vehicle's signed summary; `fare` is what the tariff charges
		/// for it (capped at the hold).
		RideCompleted { ride: RideId, trip: TripSummary, fare: BalanceOf<T> },
		/// A party disputed the trip.
		RideDisputed { ride: RideId, by: Party, reason: H256 },
		/// The ride was settled: the rider paid `fare`, `city_fee` of it to the treasury,
		/// `to_driver` to the driver, and got `refund` back.
		RideSettled {
			ride: RideId,
			by: SettledBy,
			fare: BalanceOf<T>,
			city_fee: BalanceOf<T>,
			to_driver: BalanceOf<T>,
			refund: BalanceOf<T>,
		},
		/// The ride was cancelled: `fee` from the rider to the driver, `penalty` from the
		/// driver's bond to the rider, `refund` of the hold back to the rider.
		RideCancelled {
			ride: RideId,
			case: Cancellation,
			fee: BalanceOf<T>,
			penalty: BalanceOf<T>,
			refund: BalanceOf<T>,
		},
		/// A party rated the other (1-5).
		RideRated { ride: RideId, by: Party, stars: u8 },
		/// A closed ride left storage; the rider's deposit was released.
		RideRemoved { ride: RideId },
		/// A due deadline could not be processed by `on_idle` (a transfer failed); it is tried
		/// again at block `retry`, and anyone may retry it earlier with `process_deadline`.
		DeadlineFailed { ride: RideId, error: DispatchError, retry: BlockNumberFor<T> },
		/// Governance set a new tariff version.
		TariffSet { version: TariffVersion, tariff: TariffOf<T> },
	}

	/// Errors of ride settlement.
	#[pallet::error]
	pub enum Error<T> {
		/// No tariff is set: rides are closed.
		RidesClosed,
		/// The tariff is inconsistent: a city fee above `MaxCityFeeBps`, a penalty above the
		/// bond, a bond below the existential deposit, a zero minimum fare, a zero timeout or
		/// one above `MaxTimeout`, a grace period not shorter than the arrival timeout, a
		/// waiting allowance longer than the start timeout, or a dispute window under a minute.
		InvalidTariff,
		/// The sender is already a registered driver.
		AlreadyDriver,
		/// The vehicle already has a driver.
		VehicleTaken,
		/// The sender is not a registered driver.
		NotADriver,
		/// No such device.
		UnknownVehicle,
		/// The device is not a vehicle.
		NotAVehicle,
		/// The vehicle is neither owned nor operated by the sender.
		NotYourVehicle,
		/// The vehicle is not active.
		VehicleNotActive,
		/// The vehicle is not certified by the city registrar.
		VehicleNotCertified,
		/// The driver has an open ride.
		DriverBusy,
		/// The driver is off duty.
		OffDuty,
		/// The driver's bond is below the tariff's (go on duty again to top it up).
		BondTooLow,
		/// Not enough free balance for the hold.
		InsufficientBalance,
		/// The maximum fare is below the tariff's minimum fare.
		MaxFareTooLow,
		/// A place's geohash has a character that is not a geohash character.
		BadPlace,
		/// The rider has `MaxOpenRidesPerRider` open rides.
		TooManyOpenRides,
		/// No such ride (or it left storage).
		UnknownRide,
		/// The ride is not in a state that allows this.
		WrongState,
		/// The ride's current deadline has passed: it can only be processed now.
		DeadlinePassed,
		/// The ride's deadline has not come yet.
		DeadlineNotReached,
		/// Drivers cannot take their own requests.
		OwnRide,
		/// Only the ride's driver may do this.
		NotTheDriver,
		/// Only the ride's rider may do this.
		NotTheRider,
		/// The sender is neither the ride's rider nor its driver.
		NotAParty,
		/// The ride has no start code: the rider starts it.
		NoStartCode,
		/// The start code does not match the rider's.
		WrongStartCode,
		/// The trip summary is for another ride.
		WrongRide,
		/// The trip summary names another vehicle.
		WrongVehicle,
		/// The trip summary is not signed by the vehicle's current key.
		BadTripSignature,
		/// The arrival is not signed by the vehicle's current key.
		BadArrivalSignature,
		/// The trip summary's distance is more than the vehicle could drive in its duration
		/// (above `MAX_SPEED_M_PER_S`).
		ImplausibleTrip,
		/// The trip summary's times are inconsistent: end before start, a duration longer than
		/// the times allow, a start before the ride started, or an end ahead of the chain's
		/// time (beyond the allowed clock drift).
		BadTripTimes,
		/// The dispute window has closed.
		DisputeWindowOver,
		/// The arbiter's fare is above what the rider holds.
		FareAboveHold,
		/// Ratings are 1 to 5.
		BadRating,
		/// This party has rated this ride already.
		AlreadyRated,
		/// An amount or an id overflowed.
		Overflow,
		/// A transfer of the ride's funds failed.
		TransferFailed,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Processes due deadlines (timeouts, expiries, removals) within the block's spare
		/// weight.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::do_process_due(now, remaining)
		}

		fn integrity_test() {
			assert!(T::MaxCityFeeBps::get() <= 10_000, "a fee cannot exceed the fare");
			assert!(T::MaxOpenRidesPerRider::get() > 0, "riders need at least one ride");
			assert!(!T::RetainBlocks::get().is_zero(), "closed rides stay at least a block");
			assert!(!T::MaxTimeout::get().is_zero() && T::BlocksPerMinute::get() > 0);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the sender as a driver with `vehicle`: an active vehicle certified by the
		/// city registrar, owned or operated by the sender and without another driver (a driver
		/// who no longer controls it and has no open ride is made to leave). Holds the tariff's
		/// driver bond. The driver starts off duty.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_driver().saturating_add(T::WeightInfo::leave()))]
		pub fn register_driver(origin: OriginFor<T>, vehicle: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_driver(who, vehicle)
		}

		/// Goes on duty (`on_duty = true`: the vehicle must still be usable, and the bond is
		/// topped up to the current tariff's, or what is above it released between rides) or
		/// off duty (an open ride stays open).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_on_duty())]
		pub fn set_on_duty(origin: OriginFor<T>, on_duty: bool) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_on_duty(who, on_duty)
		}

		/// Leaves the platform: the bond is released. Only with no open ride.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::leave())]
		pub fn leave(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_leave(who)
		}

		/// Asks for a ride from `pickup` to `dropoff`, paying at most `max_fare` (held, with the
		/// ride's storage deposit). `start_code`: `start_code_hash` of a 16-byte code the rider
		/// will give the driver to start the ride without the rider's own transaction.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::request_ride())]
		pub fn request_ride(
			origin: OriginFor<T>,
			pickup: Place,
			dropoff: Place,
			max_fare: BalanceOf<T>,
			start_code: Option<H256>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request(who, pickup, dropoff, max_fare, start_code).map(|_| ())
		}

		/// Accepts a requested ride: the sender is an on-duty driver with no open ride, a
		/// usable vehicle and the ride's tariff's bond. The ride keeps the tariff version it was
		/// requested under.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::accept_ride())]
		pub fn accept_ride(origin: OriginFor<T>, ride: RideId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_accept(who, ride)
		}

		/// The ride's driver is at the pick-up, as the vehicle attests: `signature` is the
		/// vehicle's current key's over `arrival_payload(genesis_hash, key_epoch, ride, vehicle)`
		/// (its certified on-board unit signs it when at the pick-up). The waiting allowance
		/// starts.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::driver_arrived())]
		pub fn driver_arrived(
			origin: OriginFor<T>,
			ride: RideId,
			signature: MultiSignature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_arrived(who, ride, signature)
		}

		/// The rider confirms the trip starts (after acceptance).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::start_ride())]
		pub fn start_ride(origin: OriginFor<T>, ride: RideId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_start(who, ride, None)
		}

		/// The driver starts the trip with the start code the rider gave them.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::start_ride_with_code())]
		pub fn start_ride_with_code(
			origin: OriginFor<T>,
			ride: RideId,
			code: [u8; 16],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_start(who, ride, Some(code))
		}

		/// The driver ends the trip with the vehicle's trip summary, signed by the vehicle's
		/// current key over `trip_payload(genesis_hash, key_epoch, trip)`. The dispute window
		/// starts.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::complete_ride())]
		pub fn complete_ride(
			origin: OriginFor<T>,
			ride: RideId,
			trip: TripSummary,
			signature: MultiSignature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_complete(who, ride, trip, signature)
		}

		/// The rider confirms a completed trip: it settles now (the rider gives up disputing
		/// it).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::confirm_ride())]
		pub fn confirm_ride(origin: OriginFor<T>, ride: RideId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Rides::<T>::get(ride).ok_or(Error::<T>::UnknownRide)?;
			ensure!(record.rider == who, Error::<T>::NotTheRider);
			ensure!(record.status == RideStatus::Completed, Error::<T>::WrongState);
			let fare = Self::tariff_fare(&record)?;
			Self::do_settle(ride, &mut record, fare, SettledBy::Rider)
		}

		/// Cancels a ride that has not started, by the rider or the driver; what it costs
		/// follows the cancellation matrix ([`Cancellation`]).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::cancel_ride())]
		pub fn cancel_ride(origin: OriginFor<T>, ride: RideId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_by(who, ride)
		}

		/// Disputes a completed trip, by the rider or the driver, within the dispute window:
		/// the funds stay held until the arbiter resolves it (or the arbitration timeout).
		/// `reason` is the hash of the party's statement.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::dispute_ride())]
		pub fn dispute_ride(origin: OriginFor<T>, ride: RideId, reason: H256) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute(who, ride, reason)
		}

		/// Resolves a dispute (the arbiter): the rider pays `fare` (at most the hold), the city
		/// fee is taken from it, the rest goes to the driver, the remainder back to the rider.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::resolve_dispute())]
		pub fn resolve_dispute(
			origin: OriginFor<T>,
			ride: RideId,
			fare: BalanceOf<T>,
		) -> DispatchResult {
			T::ArbiterOrigin::ensure_origin(origin)?;
			let mut record = Rides::<T>::get(ride).ok_or(Error::<T>::UnknownRide)?;
			ensure!(matches!(record.status, RideStatus::Disputed { .. }), Error::<T>::WrongState);
			ensure!(fare <= record.max_fare, Error::<T>::FareAboveHold);
			Self::do_settle(ride, &mut record, fare.saturated_into(), SettledBy::Arbiter)
		}

		/// Processes a ride whose deadline has come (anyone may call; `on_idle` does it too):
		/// a request expires, a driver who did not arrive or a rider who did not show is a
		/// no-show, an abandoned trip is refunded, a completed trip settles, an unresolved
		/// dispute settles at the tariff's fare, a closed ride leaves storage.
		#[pallet::call_index(13)]
		#[pallet::weight(Pallet::<T>::deadline_weight())]
		pub fn process_deadline(origin: OriginFor<T>, ride: RideId) -> DispatchResult {
			ensure_signed(origin)?;
			let record = Rides::<T>::get(ride).ok_or(Error::<T>::UnknownRide)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now >= record.deadline, Error::<T>::DeadlineNotReached);
			Self::do_timeout(ride, record)
		}

		/// Rates the other party of a settled ride, 1 to 5 stars, once per party.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::rate())]
		pub fn rate(origin: OriginFor<T>, ride: RideId, stars: u8) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_rate(who, ride, stars)
		}

		/// Sets a new tariff version (governance). Rides already requested keep theirs.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::set_tariff())]
		pub fn set_tariff(origin: OriginFor<T>, tariff: TariffOf<T>) -> DispatchResult {
			T::TariffOrigin::ensure_origin(origin)?;
			Self::check_tariff(&tariff)?;
			let version = match CurrentTariff::<T>::get() {
				Some(current) => {
					let next = current.checked_add(1).ok_or(Error::<T>::Overflow)?;
					if TariffUsers::<T>::get(current) == 0 {
						Tariffs::<T>::remove(current);
					}
					next
				}
				None => 0,
			};
			Tariffs::<T>::insert(version, &tariff);
			CurrentTariff::<T>::put(version);
			Self::deposit_event(Event::TariffSet { version, tariff });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The most processing one due deadline takes: a settlement or a removal.
		pub fn deadline_weight() -> Weight {
			// A settlement, a removal, or a cancellation with a penalty from the bond.
			T::WeightInfo::process_deadline()
				.max(T::WeightInfo::remove_ride())
				.max(T::WeightInfo::cancel_ride())
		}

		/// The current tariff and its version.
		pub fn current_tariff() -> Option<(TariffVersion, TariffOf<T>)> {
			let version = CurrentTariff::<T>::get()?;
			Tariffs::<T>::get(version).map(|tariff| (version, tariff))
		}

		/// The checks of a tariff.
		pub fn check_tariff(tariff: &TariffOf<T>) -> DispatchResult {
			let max = T::MaxTimeout::get();
			let timeouts = [
				tariff.request_timeout,
				tariff.arrival_timeout,
				tariff.start_timeout,
				tariff.trip_timeout,
				tariff.dispute_window,
				tariff.arbitration_timeout,
			];
			let minute: BlockNumberFor<T> = T::BlocksPerMinute::get().into();
			ensure!(
				tariff.city_fee_bps <= T::MaxCityFeeBps::get()
					&& tariff.driver_cancel_penalty <= tariff.driver_bond
					// A bond keeps a driver's account alive through every ride.
					&& tariff.driver_bond >= T::Currency::minimum_balance()
					&& !tariff.minimum_fare.is_zero()
					&& timeouts.iter().all(|t| !t.is_zero() && *t <= max)
					&& tariff.cancel_grace < tariff.arrival_timeout
					&& tariff.waiting_allowance <= tariff.start_timeout
					// A rider gets at least a minute to dispute a trip.
					&& tariff.dispute_window >= minute,
				Error::<T>::InvalidTariff
			);
			Ok(())
		}

		/// The genesis hash vehicles sign.
		pub fn genesis_hash() -> H256 {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		/// The fare the ride's tariff charges for its trip (0 without a trip).
		fn tariff_fare(ride: &RideOf<T>) -> Result<u128, DispatchError> {
			let tariff = Self::ride_tariff(ride)?;
			Ok(match &ride.trip {
				Some(trip) => {
					fare::fare(&tariff, trip.distance_m, trip.duration_s, ride.waited_min)
				}
				None => 0,
			})
		}

		/// The tariff an accepted ride keeps.
		fn ride_tariff(ride: &RideOf<T>) -> Result<TariffOf<T>, DispatchError> {
			let version = ride.tariff.ok_or(Error::<T>::WrongState)?;
			Ok(Tariffs::<T>::get(version).ok_or(Error::<T>::RidesClosed)?)
		}

		/// A vehicle whose signatures count: registered and active (a suspended, revoked or
		/// decommissioned unit's word does not move money).
		fn trusted_vehicle(
			vehicle: DeviceId,
		) -> Result<city_primitives::DeviceSummary<T::AccountId>, DispatchError> {
			let device = T::Devices::device(vehicle).ok_or(Error::<T>::UnknownVehicle)?;
			ensure!(device.is_active(), Error::<T>::VehicleNotActive);
			Ok(device)
		}

		/// The vehicle's checks for driving: a vehicle, active, certified, the driver's.
		fn check_vehicle(who: &T::AccountId, vehicle: DeviceId) -> DispatchResult {
			let device = T::Devices::device(vehicle).ok_or(Error::<T>::UnknownVehicle)?;
			ensure!(device.class == DeviceClass::Vehicle, Error::<T>::NotAVehicle);
			ensure!(device.is_controller(who), Error::<T>::NotYourVehicle);
			ensure!(device.is_active(), Error::<T>::VehicleNotActive);
			ensure!(device.certified, Error::<T>::VehicleNotCertified);
			Ok(())
		}

		/// Holds `amount` more of `who`'s balance for `reason`.
		fn hold(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			if amount.is_zero() {
				return Ok(());
			}
			T::Currency::hold(&reason.into(), who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance.into())
		}

		/// Releases `amount` of `who`'s `reason` hold.
		fn release(reason: HoldReason, who: &T::AccountId, amount: u128) -> DispatchResult {
			if amount == 0 {
				return Ok(());
			}
			T::Currency::release(&reason.into(), who, amount.saturated_into(), Precision::Exact)
				.map(|_| ())
		}

		/// Moves `amount` of `from`'s `reason` hold to `to`'s free balance. A freeze on `from`
		/// does not stop it (the funds were held for exactly this).
		fn take(
			reason: HoldReason,
			from: &T::AccountId,
			to: &T::AccountId,
			amount: u128,
		) -> DispatchResult {
			if amount == 0 {
				return Ok(());
			}
			T::Currency::transfer_on_hold(
				&reason.into(),
				from,
				to,
				amount.saturated_into(),
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)
			.map(|_| ())
			.map_err(|_| Error::<T>::TransferFailed.into())
		}

		/// Puts ride `id`'s deadline, and its queue entry, at `at` (moving the entry from `from`,
		/// if it had one).
		fn reschedule(
			id: RideId,
			ride: &mut RideOf<T>,
			at: BlockNumberFor<T>,
			from: Option<BlockNumberFor<T>>,
		) {
			if let Some(from) = from {
				Deadlines::<T>::remove(from, id);
			}
			ride.deadline = at;
			ride.queued_at = at;
			Deadlines::<T>::insert(at, id, ());
		}

		/// `now + blocks`.
		fn after(blocks: BlockNumberFor<T>) -> BlockNumberFor<T> {
			frame_system::Pallet::<T>::block_number().saturating_add(blocks)
		}

		pub(crate) fn do_register_driver(who: T::AccountId, vehicle: DeviceId) -> DispatchResult {
			ensure!(!Drivers::<T>::contains_key(&who), Error::<T>::AlreadyDriver);
			Self::check_vehicle(&who, vehicle)?;
			if let Some(previous) = VehicleDrivers::<T>::get(vehicle) {
				// A vehicle that changed hands: its former driver, who no longer controls it,
				// cannot keep it from its new owner (once their open ride is over).
				let busy = Drivers::<T>::get(&previous).is_some_and(|d| d.ride.is_some());
				ensure!(
					!busy && Self::check_vehicle(&previous, vehicle).is_err(),
					Error::<T>::VehicleTaken
				);
				Self::do_leave(previous)?;
			}
			let (_, tariff) = Self::current_tariff().ok_or(Error::<T>::RidesClosed)?;
			Self::hold(HoldReason::DriverBond, &who, tariff.driver_bond)?;
			Drivers::<T>::insert(
				&who,
				Driver { vehicle, bond: tariff.driver_bond, on_duty: false, ride: None },
			);
			VehicleDrivers::<T>::insert(vehicle, &who);
			Self::deposit_event(Event::DriverRegistered {
				driver: who,
				vehicle,
				bond: tariff.driver_bond,
			});
			Ok(())
		}

		pub(crate) fn do_set_on_duty(who: T::AccountId, on_duty: bool) -> DispatchResult {
			let mut driver = Drivers::<T>::get(&who).ok_or(Error::<T>::NotADriver)?;
			if on_duty {
				Self::check_vehicle(&who, driver.vehicle)?;
				let (_, tariff) = Self::current_tariff().ok_or(Error::<T>::RidesClosed)?;
				let missing = tariff.driver_bond.saturating_sub(driver.bond);
				Self::hold(HoldReason::DriverBond, &who, missing)?;
				driver.bond = driver.bond.saturating_add(missing);
				// A bond the tariff no longer asks for comes back (between rides).
				let excess = driver.bond.saturating_sub(tariff.driver_bond);
				if driver.ride.is_none() && !excess.is_zero() {
					Self::release(HoldReason::DriverBond, &who, excess.saturated_into())?;
					driver.bond = tariff.driver_bond;
				}
			}
			driver.on_duty = on_duty;
			let bond = driver.bond;
			Drivers::<T>::insert(&who, driver);
			Self::deposit_event(Event::DriverDutyChanged { driver: who, on_duty, bond });
			Ok(())
		}

		pub(crate) fn do_leave(who: T::AccountId) -> DispatchResult {
			let driver = Drivers::<T>::get(&who).ok_or(Error::<T>::NotADriver)?;
			ensure!(driver.ride.is_none(), Error::<T>::DriverBusy);
			Self::release(HoldReason::DriverBond, &who, driver.bond.saturated_into())?;
			Drivers::<T>::remove(&who);
			VehicleDrivers::<T>::remove(driver.vehicle);
			Self::deposit_event(Event::DriverLeft { driver: who, released: driver.bond });
			Ok(())
		}

		pub(crate) fn do_request(
			who: T::AccountId,
			pickup: Place,
			dropoff: Place,
			max_fare: BalanceOf<T>,
			start_code: Option<H256>,
		) -> Result<RideId, DispatchError> {
			let (version, tariff) = Self::current_tariff().ok_or(Error::<T>::RidesClosed)?;
			ensure!(max_fare >= tariff.minimum_fare, Error::<T>::MaxFareTooLow);
			ensure!(pickup.is_valid() && dropoff.is_valid(), Error::<T>::BadPlace);
			let open = OpenRides::<T>::get(&who);
			ensure!(open < T::MaxOpenRidesPerRider::get(), Error::<T>::TooManyOpenRides);
			let id = NextRideId::<T>::get();
			NextRideId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
			let deposit = T::RideDeposit::get();
			Self::hold(HoldReason::RideEscrow, &who, max_fare)?;
			Self::hold(HoldReason::RideDeposit, &who, deposit)?;
			let now = frame_system::Pallet::<T>::block_number();
			let mut ride = Ride {
				rider: who.clone(),
				pickup: pickup.clone(),
				dropoff: dropoff.clone(),
				max_fare,
				deposit,
				start_code,
				requested_at: now,
				driver: None,
				vehicle: None,
				tariff: Some(version),
				accepted_at: None,
				arrived_at: None,
				started_at: None,
				started_ms: None,
				waited_min: 0,
				trip: None,
				completed_at: None,
				status: RideStatus::Requested,
				deadline: now,
				queued_at: now,
				outcome: Outcome::default(),
				rider_rating: None,
				driver_rating: None,
			};
			Self::reschedule(id, &mut ride, Self::after(tariff.request_timeout), None);
			TariffUsers::<T>::mutate(version, |users| *users = users.saturating_add(1));
			Rides::<T>::insert(id, ride);
			OpenRides::<T>::insert(&who, open.saturating_add(1));
			AccountRides::<T>::insert(&who, ride_key(id), id);
			Stats::<T>::mutate(|s| s.requested = s.requested.saturating_add(1));
			Self::deposit_event(Event::RideRequested {
				ride: id,
				rider: who,
				pickup,
				dropoff,
				max_fare,
			});
			Ok(id)
		}

		/// Loads ride `id` in one of `states`, before its deadline.
		fn live_ride(
			id: RideId,
			allowed: impl Fn(&RideStatus) -> bool,
		) -> Result<RideOf<T>, DispatchError> {
			let ride = Rides::<T>::get(id).ok_or(Error::<T>::UnknownRide)?;
			ensure!(allowed(&ride.status), Error::<T>::WrongState);
			ensure!(
				frame_system::Pallet::<T>::block_number() < ride.deadline,
				Error::<T>::DeadlinePassed
			);
			Ok(ride)
		}

		pub(crate) fn do_accept(who: T::AccountId, id: RideId) -> DispatchResult {
			let mut ride = Self::live_ride(id, |s| *s == RideStatus::Requested)?;
			ensure!(ride.rider != who, Error::<T>::OwnRide);
			let mut driver = Drivers::<T>::get(&who).ok_or(Error::<T>::NotADriver)?;
			ensure!(driver.on_duty, Error::<T>::OffDuty);
			ensure!(driver.ride.is_none(), Error::<T>::DriverBusy);
			Self::check_vehicle(&who, driver.vehicle)?;
			// The tariff the rider requested under (and saw).
			let version = ride.tariff.ok_or(Error::<T>::WrongState)?;
			let tariff = Self::ride_tariff(&ride)?;
			ensure!(driver.bond >= tariff.driver_bond, Error::<T>::BondTooLow);
			let now = frame_system::Pallet::<T>::block_number();
			ride.driver = Some(who.clone());
			ride.vehicle = Some(driver.vehicle);
			ride.accepted_at = Some(now);
			ride.status = RideStatus::Accepted;
			let from = ride.queued_at;
			Self::reschedule(id, &mut ride, Self::after(tariff.arrival_timeout), Some(from));
			driver.ride = Some(id);
			let vehicle = driver.vehicle;
			Drivers::<T>::insert(&who, driver);
			AccountRides::<T>::insert(&who, ride_key(id), id);
			Rides::<T>::insert(id, ride);
			Self::deposit_event(Event::RideAccepted {
				ride: id,
				driver: who,
				vehicle,
				tariff: version,
			});
			Ok(())
		}

		pub(crate) fn do_arrived(
			who: T::AccountId,
			id: RideId,
			signature: MultiSignature,
		) -> DispatchResult {
			let mut ride = Self::live_ride(id, |s| *s == RideStatus::Accepted)?;
			ensure!(ride.driver.as_ref() == Some(&who), Error::<T>::NotTheDriver);
			let vehicle = ride.vehicle.ok_or(Error::<T>::WrongState)?;
			let device = Self::trusted_vehicle(vehicle)?;
			let payload = arrival_payload(&Self::genesis_hash(), device.key_epoch, id, vehicle);
			ensure!(device.key.verify(&payload, &signature), Error::<T>::BadArrivalSignature);
			let tariff = Self::ride_tariff(&ride)?;
			ride.arrived_at = Some(frame_system::Pallet::<T>::block_number());
			ride.status = RideStatus::DriverArrived;
			let from = ride.queued_at;
			Self::reschedule(id, &mut ride, Self::after(tariff.start_timeout), Some(from));
			Rides::<T>::insert(id, ride);
			Self::deposit_event(Event::DriverArrived { ride: id });
			Ok(())
		}

		/// Minutes waited beyond the allowance since the driver arrived, until now or the start
		/// timeout, whichever is first (a deadline processed late charges no more).
		fn waited_minutes(ride: &RideOf<T>, tariff: &TariffOf<T>) -> u32 {
			let Some(arrived) = ride.arrived_at else { return 0 };
			let now = frame_system::Pallet::<T>::block_number()
				.min(arrived.saturating_add(tariff.start_timeout));
			let beyond = now.saturating_sub(arrived).saturating_sub(tariff.waiting_allowance);
			fare::minutes(beyond.saturated_into(), T::BlocksPerMinute::get())
		}

		pub(crate) fn do_start(
			who: T::AccountId,
			id: RideId,
			code: Option<[u8; 16]>,
		) -> DispatchResult {
			let mut ride = Self::live_ride(id, |s| {
				matches!(s, RideStatus::Accepted | RideStatus::DriverArrived)
			})?;
			match code {
				None => ensure!(ride.rider == who, Error::<T>::NotTheRider),
				Some(code) => {
					ensure!(ride.driver.as_ref() == Some(&who), Error::<T>::NotTheDriver);
					let expected = ride.start_code.ok_or(Error::<T>::NoStartCode)?;
					ensure!(
						start_code_hash(&ride.rider, &code) == expected,
						Error::<T>::WrongStartCode
					);
				}
			}
			let tariff = Self::ride_tariff(&ride)?;
			let now = frame_system::Pallet::<T>::block_number();
			ride.waited_min = Self::waited_minutes(&ride, &tariff);
			ride.started_at = Some(now);
			ride.started_ms = Some(T::UnixTime::now().as_millis().saturated_into());
			ride.status = RideStatus::Started;
			let from = ride.queued_at;
			Self::reschedule(id, &mut ride, Self::after(tariff.trip_timeout), Some(from));
			let waited_min = ride.waited_min;
			Rides::<T>::insert(id, ride);
			Self::deposit_event(Event::RideStarted {
				ride: id,
				by_code: code.is_some(),
				waited_min,
			});
			Ok(())
		}

		pub(crate) fn do_complete(
			who: T::AccountId,
			id: RideId,
			trip: TripSummary,
			signature: MultiSignature,
		) -> DispatchResult {
			let mut ride = Self::live_ride(id, |s| *s == RideStatus::Started)?;
			ensure!(ride.driver.as_ref() == Some(&who), Error::<T>::NotTheDriver);
			ensure!(trip.ride == id, Error::<T>::WrongRide);
			ensure!(Some(trip.vehicle) == ride.vehicle, Error::<T>::WrongVehicle);
			let drift = T::MaxClockDriftMs::get();
			let now_ms: u64 = T::UnixTime::now().as_millis().saturated_into();
			let started_ms = ride.started_ms.unwrap_or(0);
			let span_ms = trip.end_ms.checked_sub(trip.start_ms).ok_or(Error::<T>::BadTripTimes)?;
			ensure!(
				u64::from(trip.duration_s).saturating_mul(1_000) <= span_ms.saturating_add(1_000)
					&& trip.start_ms.saturating_add(drift) >= started_ms
					&& trip.end_ms <= now_ms.saturating_add(drift),
				Error::<T>::BadTripTimes
			);
			// The distance must be drivable in the claimed duration (itself bounded by the
			// times above).
			ensure!(
				u64::from(trip.distance_m)
					<= u64::from(trip.duration_s)
						.saturating_add(1)
						.saturating_mul(MAX_SPEED_M_PER_S),
				Error::<T>::ImplausibleTrip
			);
			let device = Self::trusted_vehicle(trip.vehicle)?;
			let payload = trip_payload(&Self::genesis_hash(), device.key_epoch, &trip);
			ensure!(device.key.verify(&payload, &signature), Error::<T>::BadTripSignature);
			let tariff = Self::ride_tariff(&ride)?;
			ride.trip = Some(trip.clone());
			ride.completed_at = Some(frame_system::Pallet::<T>::block_number());
			ride.status = RideStatus::Completed;
			let from = ride.queued_at;
			Self::reschedule(id, &mut ride, Self::after(tariff.dispute_window), Some(from));
			let quote = Self::tariff_fare(&ride)?.min(ride.max_fare.saturated_into());
			Rides::<T>::insert(id, ride);
			Self::deposit_event(Event::RideCompleted {
				ride: id,
				trip,
				fare: quote.saturated_into(),
			});
			Ok(())
		}

		pub(crate) fn do_dispute(who: T::AccountId, id: RideId, reason: H256) -> DispatchResult {
			let mut ride = Rides::<T>::get(id).ok_or(Error::<T>::UnknownRide)?;
			let by = if ride.rider == who {
				Party::Rider
			} else if ride.driver.as_ref() == Some(&who) {
				Party::Driver
			} else {
				return Err(Error::<T>::NotAParty.into());
			};
			ensure!(ride.status == RideStatus::Completed, Error::<T>::WrongState);
			ensure!(
				frame_system::Pallet::<T>::block_number() < ride.deadline,
				Error::<T>::DisputeWindowOver
			);
			let tariff = Self::ride_tariff(&ride)?;
			ride.status = RideStatus::Disputed { by, reason };
			let from = ride.queued_at;
			Self::reschedule(id, &mut ride, Self::after(tariff.arbitration_timeout), Some(from));
			Rides::<T>::insert(id, ride);
			Stats::<T>::mutate(|s| s.disputed = s.disputed.saturating_add(1));
			Self::deposit_event(Event::RideDisputed { ride: id, by, reason });
			Ok(())
		}

		pub(crate) fn do_cancel_by(who: T::AccountId, id: RideId) -> DispatchResult {
			let ride = Rides::<T>::get(id).ok_or(Error::<T>::UnknownRide)?;
			let is_rider = ride.rider == who;
			let is_driver = ride.driver.as_ref() == Some(&who);
			ensure!(is_rider || is_driver, Error::<T>::NotAParty);
			let now = frame_system::Pallet::<T>::block_number();
			let case = match (ride.status, is_rider) {
				(RideStatus::Requested, true) => Cancellation::ByRiderBeforeAcceptance,
				(RideStatus::Accepted, true) => {
					let tariff = Self::ride_tariff(&ride)?;
					let accepted = ride.accepted_at.unwrap_or(now);
					if now >= ride.deadline {
						Cancellation::DriverNoShow
					} else if now <= accepted.saturating_add(tariff.cancel_grace) {
						Cancellation::ByRiderInGrace
					} else {
						Cancellation::ByRiderAfterGrace
					}
				}
				(RideStatus::DriverArrived, true) => {
					if now >= ride.deadline {
						Cancellation::RiderNoShow
					} else {
						Cancellation::ByRiderAfterArrival
					}
				}
				(RideStatus::Accepted, false) => Cancellation::ByDriver,
				(RideStatus::DriverArrived, false) => {
					let tariff = Self::ride_tariff(&ride)?;
					let arrived = ride.arrived_at.unwrap_or(now);
					if now >= arrived.saturating_add(tariff.waiting_allowance) {
						Cancellation::RiderNoShow
					} else {
						Cancellation::ByDriver
					}
				}
				_ => return Err(Error::<T>::WrongState.into()),
			};
			Self::do_cancel(id, ride, case)
		}

		/// Closes a ride by cancellation `case`: fees, penalties, refund, then the ride waits
		/// for removal.
		pub(crate) fn do_cancel(
			id: RideId,
			mut ride: RideOf<T>,
			case: Cancellation,
		) -> DispatchResult {
			let held: u128 = ride.max_fare.saturated_into();
			let tariff = match ride.tariff {
				Some(_) => Some(Self::ride_tariff(&ride)?),
				None => None,
			};
			let (fee, penalty) = match (&tariff, case) {
				(Some(t), Cancellation::ByRiderAfterGrace) => {
					(t.rider_cancel_fee.saturated_into(), 0)
				}
				(Some(t), Cancellation::ByRiderAfterArrival) => (
					t.arrived_cancel_fee
						.saturated_into::<u128>()
						.saturating_add(fare::waiting_fee(t, Self::waited_minutes(&ride, t))),
					0,
				),
				(Some(t), Cancellation::RiderNoShow) => (
					t.no_show_fee
						.saturated_into::<u128>()
						.saturating_add(fare::waiting_fee(t, Self::waited_minutes(&ride, t))),
					0,
				),
				(Some(t), Cancellation::ByDriver | Cancellation::DriverNoShow) => {
					(0, t.driver_cancel_penalty.saturated_into())
				}
				_ => (0u128, 0u128),
			};
			let fee = fee.min(held);
			let refund = held.saturating_sub(fee);
			let mut penalty_paid = 0u128;
			if let Some(driver_id) = ride.driver.clone() {
				Self::take(HoldReason::RideEscrow, &ride.rider, &driver_id, fee)?;
				if penalty > 0 {
					let mut driver = Drivers::<T>::get(&driver_id).ok_or(Error::<T>::NotADriver)?;
					penalty_paid = penalty.min(driver.bond.saturated_into());
					Self::take(HoldReason::DriverBond, &driver_id, &ride.rider, penalty_paid)?;
					driver.bond = driver.bond.saturating_sub(penalty_paid.saturated_into());
					// Below the tariff's bond the driver takes no rides until topped up.
					if let Some((_, current)) = Self::current_tariff() {
						if driver.bond < current.driver_bond {
							driver.on_duty = false;
						}
					}
					Drivers::<T>::insert(&driver_id, driver);
				}
			}
			Self::release(HoldReason::RideEscrow, &ride.rider, refund)?;
			ride.outcome = Outcome {
				fare: Zero::zero(),
				city_fee: Zero::zero(),
				to_driver: fee.saturated_into(),
				penalty: penalty_paid.saturated_into(),
				refund: refund.saturated_into(),
			};
			ride.status = RideStatus::Cancelled(case);
			Stats::<T>::mutate(|s| {
				s.cancelled = s.cancelled.saturating_add(1);
				s.cancellation_fees = s.cancellation_fees.saturating_add(fee.saturated_into());
				s.driver_income = s.driver_income.saturating_add(fee.saturated_into());
				s.penalties = s.penalties.saturating_add(penalty_paid.saturated_into());
			});
			Self::close(id, ride)?;
			Self::deposit_event(Event::RideCancelled {
				ride: id,
				case,
				fee: fee.saturated_into(),
				penalty: penalty_paid.saturated_into(),
				refund: refund.saturated_into(),
			});
			Ok(())
		}

		/// Settles a ride at `fare` (capped at the hold): the city fee to the treasury, the rest
		/// to the driver, the remainder back to the rider.
		pub(crate) fn do_settle(
			id: RideId,
			ride: &mut RideOf<T>,
			fare: u128,
			by: SettledBy,
		) -> DispatchResult {
			let tariff = Self::ride_tariff(ride)?;
			let driver = ride.driver.clone().ok_or(Error::<T>::WrongState)?;
			let mut split = fare::split(fare, ride.max_fare.saturated_into(), tariff.city_fee_bps);
			// A city fee the treasury cannot take (dust to an account below the existential
			// deposit) stays with the rider rather than holding the settlement up.
			let treasury = T::Treasury::get();
			let fee_paid = frame_support::storage::with_storage_layer(|| {
				Self::take(HoldReason::RideEscrow, &ride.rider, &treasury, split.city_fee)
			});
			if fee_paid.is_err() {
				split.refund = split.refund.saturating_add(split.city_fee);
				split.charged = split.charged.saturating_sub(split.city_fee);
				split.city_fee = 0;
			}
			Self::take(HoldReason::RideEscrow, &ride.rider, &driver, split.to_driver)?;
			Self::release(HoldReason::RideEscrow, &ride.rider, split.refund)?;
			ride.outcome = Outcome {
				fare: split.charged.saturated_into(),
				city_fee: split.city_fee.saturated_into(),
				to_driver: split.to_driver.saturated_into(),
				penalty: Zero::zero(),
				refund: split.refund.saturated_into(),
			};
			ride.status = RideStatus::Settled(by);
			Stats::<T>::mutate(|s| {
				s.settled = s.settled.saturating_add(1);
				s.fares = s.fares.saturating_add(split.charged.saturated_into());
				s.city_fees = s.city_fees.saturating_add(split.city_fee.saturated_into());
				s.driver_income = s.driver_income.saturating_add(split.to_driver.saturated_into());
			});
			Self::close(id, ride.clone())?;
			Self::deposit_event(Event::RideSettled {
				ride: id,
				by,
				fare: split.charged.saturated_into(),
				city_fee: split.city_fee.saturated_into(),
				to_driver: split.to_driver.saturated_into(),
				refund: split.refund.saturated_into(),
			});
			Ok(())
		}

		/// What every closing does: the driver and rider are free again, the tariff version
		/// loses a user, and the ride waits `RetainBlocks` for removal.
		fn close(id: RideId, mut ride: RideOf<T>) -> DispatchResult {
			if let Some(driver_id) = &ride.driver {
				Drivers::<T>::mutate(driver_id, |driver| {
					if let Some(driver) = driver {
						if driver.ride == Some(id) {
							driver.ride = None;
						}
					}
				});
			}
			if let Some(version) = ride.tariff {
				let users = TariffUsers::<T>::get(version).saturating_sub(1);
				if users == 0 {
					TariffUsers::<T>::remove(version);
					if CurrentTariff::<T>::get() != Some(version) {
						Tariffs::<T>::remove(version);
					}
				} else {
					TariffUsers::<T>::insert(version, users);
				}
			}
			OpenRides::<T>::mutate_exists(&ride.rider, |open| {
				*open = open.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
			});
			let from = ride.queued_at;
			Self::reschedule(id, &mut ride, Self::after(T::RetainBlocks::get()), Some(from));
			Rides::<T>::insert(id, ride);
			Ok(())
		}

		/// Removes a closed ride from storage and releases the rider's deposit.
		fn remove(id: RideId, ride: RideOf<T>) -> DispatchResult {
			Self::release(HoldReason::RideDeposit, &ride.rider, ride.deposit.saturated_into())?;
			Deadlines::<T>::remove(ride.queued_at, id);
			AccountRides::<T>::remove(&ride.rider, ride_key(id));
			if let Some(driver) = &ride.driver {
				AccountRides::<T>::remove(driver, ride_key(id));
			}
			Rides::<T>::remove(id);
			Self::deposit_event(Event::RideRemoved { ride: id });
			Ok(())
		}

		/// What a due deadline does, by the ride's state.
		pub(crate) fn do_timeout(id: RideId, mut ride: RideOf<T>) -> DispatchResult {
			match ride.status {
				RideStatus::Requested => Self::do_cancel(id, ride, Cancellation::Expired),
				RideStatus::Accepted => Self::do_cancel(id, ride, Cancellation::DriverNoShow),
				RideStatus::DriverArrived => Self::do_cancel(id, ride, Cancellation::RiderNoShow),
				RideStatus::Started => Self::do_cancel(id, ride, Cancellation::TripAbandoned),
				RideStatus::Completed => {
					let fare = Self::tariff_fare(&ride)?;
					Self::do_settle(id, &mut ride, fare, SettledBy::Timeout)
				}
				RideStatus::Disputed { .. } => {
					let fare = Self::tariff_fare(&ride)?;
					Self::do_settle(id, &mut ride, fare, SettledBy::ArbitrationTimeout)
				}
				RideStatus::Settled(_) | RideStatus::Cancelled(_) => Self::remove(id, ride),
			}
		}

		/// Processes due deadlines from `DeadlinesFrom` up to `now`, within `remaining`
		/// weight: each ride in its own storage layer (a failure leaves it for
		/// `process_deadline` and an event).
		pub(crate) fn do_process_due(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let db = T::DbWeight::get();
			let step = Self::deadline_weight();
			// Reading and writing the cursor, and one read per block of the queue looked at.
			let mut used = db.reads_writes(1, 1);
			let scan = db.reads(1);
			if !used.saturating_add(scan).all_lte(remaining) {
				return Weight::zero();
			}
			let fit = |spare: Weight| -> usize {
				let per = |spare: u64, per: u64| spare.checked_div(per).unwrap_or(u64::MAX);
				let n = per(spare.ref_time(), step.ref_time())
					.min(per(spare.proof_size(), step.proof_size()));
				usize::try_from(n).unwrap_or(usize::MAX)
			};
			let mut block = DeadlinesFrom::<T>::get();
			let mut processed = 0usize;
			let mut scanned = 0u32;
			while block <= now
				&& scanned < MAX_SCAN_PER_BLOCK
				&& used.saturating_add(scan).all_lte(remaining)
			{
				used = used.saturating_add(scan);
				scanned = scanned.saturating_add(1);
				// The ids first (at most what the budget can process, plus one to know whether
				// the block is drained), then the processing, which moves them.
				let fits = fit(remaining.saturating_sub(used))
					.min(MAX_DUE_PER_BLOCK.saturating_sub(processed));
				let ids: Vec<RideId> =
					Deadlines::<T>::iter_key_prefix(block).take(fits.saturating_add(1)).collect();
				let drained = ids.len() <= fits;
				for id in ids.into_iter().take(fits) {
					used = used.saturating_add(step);
					processed = processed.saturating_add(1);
					let due = Rides::<T>::get(id).filter(|ride| ride.queued_at == block);
					let Some(ride) = due else {
						// A stale entry (cannot happen: every move removes the old one).
						Deadlines::<T>::remove(block, id);
						continue;
					};
					let result =
						frame_support::storage::with_storage_layer(|| Self::do_timeout(id, ride));
					if let Err(error) = result {
						// Tried again later (or by `process_deadline`), so that one failing ride
						// never holds up the queue behind it.
						let retry = now.saturating_add(RETRY_AFTER_BLOCKS.into());
						Rides::<T>::mutate(id, |ride| {
							if let Some(ride) = ride {
								Deadlines::<T>::remove(block, id);
								ride.queued_at = retry;
								Deadlines::<T>::insert(retry, id, ());
							}
						});
						Self::deposit_event(Event::DeadlineFailed { ride: id, error, retry });
					}
				}
				if !drained {
					break;
				}
				block = block.saturating_add(1u32.into());
			}
			DeadlinesFrom::<T>::put(block);
			used
		}

		pub(crate) fn do_rate(who: T::AccountId, id: RideId, stars: u8) -> DispatchResult {
			ensure!((1..=5).contains(&stars), Error::<T>::BadRating);
			let mut ride = Rides::<T>::get(id).ok_or(Error::<T>::UnknownRide)?;
			ensure!(matches!(ride.status, RideStatus::Settled(_)), Error::<T>::WrongState);
			let driver = ride.driver.clone().ok_or(Error::<T>::WrongState)?;
			let (by, rated_role, rated, slot) = if ride.rider == who {
				(Party::Rider, Party::Driver, driver, &mut ride.rider_rating)
			} else if driver == who {
				(Party::Driver, Party::Rider, ride.rider.clone(), &mut ride.driver_rating)
			} else {
				return Err(Error::<T>::NotAParty.into());
			};
			ensure!(slot.is_none(), Error::<T>::AlreadyRated);
			*slot = Some(stars);
			Ratings::<T>::try_mutate(rated_role, &rated, |summary| -> DispatchResult {
				summary.count = summary.count.checked_add(1).ok_or(Error::<T>::Overflow)?;
				summary.total =
					summary.total.checked_add(u64::from(stars)).ok_or(Error::<T>::Overflow)?;
				Ok(())
			})?;
			Rides::<T>::insert(id, ride);
			Self::deposit_event(Event::RideRated { ride: id, by, stars });
			Ok(())
		}

		/// The state invariants: every ride in storage has exactly its deadline entry, none
		/// behind the cursor; riders' escrow holds are their open rides' maximum fares and
		/// deposit holds their rides' deposits; drivers' bond holds are their recorded bonds;
		/// open-ride counts, driver and vehicle links, index entries and tariff users match
		/// the rides.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::btree_map::BTreeMap;
			let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut open: BTreeMap<T::AccountId, u32> = BTreeMap::new();
			let mut users: BTreeMap<TariffVersion, u32> = BTreeMap::new();
			let mut rides = 0usize;
			for (id, ride) in Rides::<T>::iter() {
				rides = rides.saturating_add(1);
				ensure!(ride.queued_at >= ride.deadline, "queued before its deadline");
				ensure!(
					Deadlines::<T>::contains_key(ride.queued_at, id),
					"ride without its deadline"
				);
				ensure!(
					AccountRides::<T>::contains_key(&ride.rider, ride_key(id)),
					"ride not indexed"
				);
				let deposit = deposits.entry(ride.rider.clone()).or_default();
				*deposit = deposit.saturating_add(ride.deposit);
				if !ride.status.is_closed() {
					let held = escrow.entry(ride.rider.clone()).or_default();
					*held = held.saturating_add(ride.max_fare);
					let count = open.entry(ride.rider.clone()).or_default();
					*count = count.saturating_add(1);
					if let Some(version) = ride.tariff {
						let n = users.entry(version).or_default();
						*n = n.saturating_add(1);
						ensure!(Tariffs::<T>::contains_key(version), "a ride's tariff is gone");
					}
					if let Some(driver) = &ride.driver {
						let record =
							Drivers::<T>::get(driver).ok_or("an open ride's driver left")?;
						ensure!(record.ride == Some(id), "an open ride is not its driver's");
						ensure!(
							AccountRides::<T>::contains_key(driver, ride_key(id)),
							"ride not indexed"
						);
					}
				}
			}
			ensure!(Deadlines::<T>::iter().count() == rides, "deadlines without rides");
			for (who, held) in &escrow {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::RideEscrow.into(), who) == *held,
					"escrow hold differs from open rides"
				);
			}
			for (who, held) in &deposits {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::RideDeposit.into(), who) == *held,
					"deposit hold differs from rides"
				);
			}
			for (who, count) in OpenRides::<T>::iter() {
				ensure!(open.get(&who) == Some(&count), "open-ride count differs");
			}
			ensure!(OpenRides::<T>::iter().count() == open.len(), "open-ride count missing");
			for (version, n) in TariffUsers::<T>::iter() {
				ensure!(users.get(&version) == Some(&n), "tariff users differ");
			}
			ensure!(TariffUsers::<T>::iter().count() == users.len(), "tariff users missing");
			for (who, driver) in Drivers::<T>::iter() {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::DriverBond.into(), &who)
						== driver.bond,
					"bond hold differs from the driver's bond"
				);
				ensure!(
					VehicleDrivers::<T>::get(driver.vehicle).as_ref() == Some(&who),
					"vehicle link missing"
				);
				if let Some(id) = driver.ride {
					let ride = Rides::<T>::get(id).ok_or("a driver's ride is gone")?;
					ensure!(!ride.status.is_closed(), "a driver's open ride is closed");
				}
			}
			if let Some(version) = CurrentTariff::<T>::get() {
				ensure!(Tariffs::<T>::contains_key(version), "the current tariff is gone");
			}
			for (vehicle, who) in VehicleDrivers::<T>::iter() {
				ensure!(
					Drivers::<T>::get(&who).is_some_and(|d| d.vehicle == vehicle),
					"a vehicle's driver does not drive it"
				);
			}
			for (who, key, id) in AccountRides::<T>::iter() {
				ensure!(key == ride_key(id), "an index entry under another id");
				let ride = Rides::<T>::get(id).ok_or("an index entry without its ride")?;
				ensure!(
					ride.rider == who || ride.driver.as_ref() == Some(&who),
					"an index entry of someone else's ride"
				);
			}
			let from = DeadlinesFrom::<T>::get();
			for (block, _) in Deadlines::<T>::iter_keys() {
				ensure!(block >= from, "a deadline behind the cursor is never processed");
			}
			Ok(())
		}
	}
}

/// The views behind the runtime API.
impl<T: Config> Pallet<T> {
	/// The most bytes of state one ride keeps (its record, the rider's and the driver's index
	/// entries, its deadline entry, keys included): what the runtime's `RideDeposit` pays for.
	pub fn ride_storage_bytes() -> u32 {
		use codec::MaxEncodedLen;
		use frame_system::pallet_prelude::BlockNumberFor;
		// Every key starts with 32 bytes of pallet and item prefix; `Twox64Concat` adds 8
		// bytes of hash, `Blake2_128Concat` 16.
		let ride = 32 + 8 + 8 + RideOf::<T>::max_encoded_len();
		let index = 32 + 16 + T::AccountId::max_encoded_len() + 8 + 8;
		let deadline = 32 + 8 + BlockNumberFor::<T>::max_encoded_len() + 8 + 8;
		u32::try_from(ride + 2 * index + deadline).unwrap_or(u32::MAX)
	}

	/// A quote of `fare` under `tariff` (version `version`) against a hold of `held`.
	fn quote_of(
		version: TariffVersion,
		tariff: &TariffOf<T>,
		fare: u128,
		held: u128,
	) -> runtime_api::Quote<BalanceOf<T>> {
		use sp_runtime::SaturatedConversion;
		let split = fare::split(fare, held, tariff.city_fee_bps);
		runtime_api::Quote {
			tariff: version,
			fare: split.charged.saturated_into(),
			city_fee: split.city_fee.saturated_into(),
			driver_share: split.to_driver.saturated_into(),
		}
	}

	/// Ride `id` with what it would cost now if completed.
	pub fn ride_view(
		id: RideId,
	) -> Option<
		runtime_api::RideView<
			T::AccountId,
			BalanceOf<T>,
			frame_system::pallet_prelude::BlockNumberFor<T>,
		>,
	> {
		use sp_runtime::SaturatedConversion;
		let ride = Rides::<T>::get(id)?;
		let quote = match (&ride.status, &ride.trip, ride.tariff) {
			(RideStatus::Completed | RideStatus::Disputed { .. }, Some(trip), Some(version)) => {
				Tariffs::<T>::get(version).map(|tariff| {
					let fare =
						fare::fare(&tariff, trip.distance_m, trip.duration_s, ride.waited_min);
					Self::quote_of(version, &tariff, fare, ride.max_fare.saturated_into())
				})
			}
			_ => None,
		};
		Some(runtime_api::RideView { id, ride, quote })
	}

	/// The rides of `account` still in storage, ascending, after `start_after`, at most
	/// `limit` (capped at `MAX_RIDES_PAGE + 1`). Reads only what it returns.
	pub fn rides_of(
		account: &T::AccountId,
		start_after: Option<RideId>,
		limit: u32,
	) -> alloc::vec::Vec<
		runtime_api::RideView<
			T::AccountId,
			BalanceOf<T>,
			frame_system::pallet_prelude::BlockNumberFor<T>,
		>,
	> {
		// One more than a page, so that a caller can tell whether there is a next one.
		let limit = limit.min(runtime_api::MAX_RIDES_PAGE.saturating_add(1)) as usize;
		let ids: alloc::vec::Vec<RideId> = match start_after {
			None => AccountRides::<T>::iter_prefix_values(account).take(limit).collect(),
			Some(after) => {
				let from = AccountRides::<T>::hashed_key_for(account, ride_key(after));
				AccountRides::<T>::iter_prefix_from(account, from)
					.map(|(_, id)| id)
					.take(limit)
					.collect()
			}
		};
		ids.into_iter().filter_map(Self::ride_view).collect()
	}

	/// What a trip costs under the current tariff.
	pub fn quote(distance_m: u32, duration_s: u32) -> Option<runtime_api::Quote<BalanceOf<T>>> {
		let (version, tariff) = Self::current_tariff()?;
		let fare = fare::fare(&tariff, distance_m, duration_s, 0);
		Some(Self::quote_of(version, &tariff, fare, u128::MAX))
	}

	/// The driver record and ratings of `account`.
	pub fn driver_view(account: &T::AccountId) -> Option<runtime_api::DriverView<BalanceOf<T>>> {
		let driver = Drivers::<T>::get(account);
		let rating = Ratings::<T>::get(Party::Driver, account);
		let rider_rating = Ratings::<T>::get(Party::Rider, account);
		if driver.is_none() && rating.count == 0 && rider_rating.count == 0 {
			return None;
		}
		let vehicle = driver.as_ref().map(|d| d.vehicle);
		Some(runtime_api::DriverView { driver, vehicle, rating, rider_rating })
	}
}
