//! Benchmarks of ride settlement (v2 syntax). Worst cases: full geohashes in a request, a
//! start that computes waiting, a trip summary signed with the dearest scheme the runtime's
//! helper uses (ECDSA, which recovers the key), settlements that move the city fee, the
//! driver's share and the refund out of one hold, a driver's cancellation that pays the rider
//! from the bond, and the removal of a closed ride.
//!
//! They run in the pallet's mock (`cargo test -p pallet-ride-settlement --features
//! runtime-benchmarks`) and in the runtime (`scripts/benchmark.sh ride-settlement`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::Pallet as RideSettlement;
use city_primitives::DeviceLookup;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::SaturatedConversion;

/// `n` existential deposits (a tariff's bond must be at least one).
fn units<T: Config>(n: u128) -> BalanceOf<T> {
	let ed: u128 = T::Currency::minimum_balance().saturated_into();
	n.saturating_mul(ed.max(1)).saturated_into()
}

fn blocks<T: Config>(n: u32) -> BlockNumberFor<T> {
	n.into()
}

/// A tariff where every fee and penalty is non-zero.
fn tariff<T: Config>() -> TariffOf<T> {
	Tariff {
		base_fare: units::<T>(1_000),
		per_km: units::<T>(500),
		per_minute: units::<T>(100),
		minimum_fare: units::<T>(2_000),
		city_fee_bps: T::MaxCityFeeBps::get(),
		waiting_allowance: blocks::<T>(5),
		waiting_per_minute: units::<T>(50),
		rider_cancel_fee: units::<T>(300),
		arrived_cancel_fee: units::<T>(500),
		no_show_fee: units::<T>(800),
		driver_cancel_penalty: units::<T>(1_000),
		driver_bond: units::<T>(5_000),
		cancel_grace: blocks::<T>(3),
		request_timeout: blocks::<T>(20),
		arrival_timeout: blocks::<T>(10),
		start_timeout: blocks::<T>(15),
		trip_timeout: blocks::<T>(200),
		dispute_window: blocks::<T>(10),
		arbitration_timeout: blocks::<T>(30),
	}
}

fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	T::Currency::set_balance(&who, units::<T>(1_000_000_000));
	who
}

fn full_place() -> Place {
	Place { zone: 1, geohash: b"u173zqw".to_vec().try_into().expect("7 geohash characters fit") }
}

struct Setup<T: Config> {
	rider: T::AccountId,
	driver: T::AccountId,
	vehicle: DeviceId,
	ride: RideId,
}

/// A tariff, an on-duty driver and a requested ride, at block 1.
fn requested<T: Config>() -> Result<Setup<T>, BenchmarkError> {
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	Tariffs::<T>::insert(0, tariff::<T>());
	CurrentTariff::<T>::put(0);
	let rider = funded::<T>("rider");
	let driver = funded::<T>("driver");
	let vehicle = T::BenchmarkHelper::vehicle(&driver);
	RideSettlement::<T>::do_register_driver(driver.clone(), vehicle)?;
	RideSettlement::<T>::do_set_on_duty(driver.clone(), true)?;
	let ride = RideSettlement::<T>::do_request(
		rider.clone(),
		full_place(),
		full_place(),
		units::<T>(1_000_000),
		Some(start_code_hash(&rider, &[7; 16])),
	)?;
	Ok(Setup { rider, driver, vehicle, ride })
}

fn accepted<T: Config>() -> Result<Setup<T>, BenchmarkError> {
	let s = requested::<T>()?;
	RideSettlement::<T>::do_accept(s.driver.clone(), s.ride)?;
	Ok(s)
}

/// The vehicle's signature of its arrival for the ride.
fn arrival<T: Config>(s: &Setup<T>) -> sp_runtime::MultiSignature {
	let epoch = T::Devices::device(s.vehicle).map(|d| d.key_epoch).unwrap_or(0);
	let payload = arrival_payload(&RideSettlement::<T>::genesis_hash(), epoch, s.ride, s.vehicle);
	T::BenchmarkHelper::sign(s.vehicle, &payload)
}

fn arrived<T: Config>() -> Result<Setup<T>, BenchmarkError> {
	let s = accepted::<T>()?;
	let signature = arrival::<T>(&s);
	RideSettlement::<T>::do_arrived(s.driver.clone(), s.ride, signature)?;
	Ok(s)
}

/// Arrived at block 1, started at block 9 (3 blocks of waiting beyond the allowance).
fn started<T: Config>() -> Result<Setup<T>, BenchmarkError> {
	let s = arrived::<T>()?;
	frame_system::Pallet::<T>::set_block_number(9u32.into());
	RideSettlement::<T>::do_start(s.rider.clone(), s.ride, None)?;
	Ok(s)
}

fn summary<T: Config>(s: &Setup<T>) -> (TripSummary, sp_runtime::MultiSignature) {
	let start_ms = Rides::<T>::get(s.ride).and_then(|r| r.started_ms).unwrap_or(0);
	let trip = TripSummary {
		ride: s.ride,
		vehicle: s.vehicle,
		// The clock does not move in a benchmark: the most a vehicle drives in no time.
		distance_m: 60,
		duration_s: 0,
		route_hash: H256::repeat_byte(0x42),
		start_ms,
		end_ms: start_ms,
	};
	let epoch = T::Devices::device(s.vehicle).map(|d| d.key_epoch).unwrap_or(0);
	let payload = trip_payload(&RideSettlement::<T>::genesis_hash(), epoch, &trip);
	let signature = T::BenchmarkHelper::sign(s.vehicle, &payload);
	(trip, signature)
}

fn completed<T: Config>() -> Result<Setup<T>, BenchmarkError> {
	let s = started::<T>()?;
	let (trip, signature) = summary::<T>(&s);
	RideSettlement::<T>::do_complete(s.driver.clone(), s.ride, trip, signature)?;
	Ok(s)
}

fn status<T: Config>(ride: RideId) -> Option<RideStatus> {
	Rides::<T>::get(ride).map(|r| r.status)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_driver() -> Result<(), BenchmarkError> {
		Tariffs::<T>::insert(0, tariff::<T>());
		CurrentTariff::<T>::put(0);
		let driver = funded::<T>("driver");
		let vehicle = T::BenchmarkHelper::vehicle(&driver);

		#[extrinsic_call]
		_(RawOrigin::Signed(driver.clone()), vehicle);

		assert!(Drivers::<T>::contains_key(&driver));
		Ok(())
	}

	/// Going on duty with the bond topped up.
	#[benchmark]
	fn set_on_duty() -> Result<(), BenchmarkError> {
		Tariffs::<T>::insert(0, tariff::<T>());
		CurrentTariff::<T>::put(0);
		let driver = funded::<T>("driver");
		let vehicle = T::BenchmarkHelper::vehicle(&driver);
		RideSettlement::<T>::do_register_driver(driver.clone(), vehicle)?;
		let mut dearer = tariff::<T>();
		dearer.driver_bond = units::<T>(9_000);
		Tariffs::<T>::insert(0, dearer);

		#[extrinsic_call]
		_(RawOrigin::Signed(driver.clone()), true);

		assert_eq!(Drivers::<T>::get(&driver).map(|d| d.bond), Some(units::<T>(9_000)));
		Ok(())
	}

	#[benchmark]
	fn leave() -> Result<(), BenchmarkError> {
		Tariffs::<T>::insert(0, tariff::<T>());
		CurrentTariff::<T>::put(0);
		let driver = funded::<T>("driver");
		let vehicle = T::BenchmarkHelper::vehicle(&driver);
		RideSettlement::<T>::do_register_driver(driver.clone(), vehicle)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(driver.clone()));

		assert!(!Drivers::<T>::contains_key(&driver));
		Ok(())
	}

	#[benchmark]
	fn request_ride() -> Result<(), BenchmarkError> {
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		Tariffs::<T>::insert(0, tariff::<T>());
		CurrentTariff::<T>::put(0);
		let rider = funded::<T>("rider");

		#[extrinsic_call]
		_(
			RawOrigin::Signed(rider),
			full_place(),
			full_place(),
			units::<T>(1_000_000),
			Some(H256::repeat_byte(1)),
		);

		assert!(Rides::<T>::contains_key(0));
		Ok(())
	}

	#[benchmark]
	fn accept_ride() -> Result<(), BenchmarkError> {
		let s = requested::<T>()?;

		#[extrinsic_call]
		_(RawOrigin::Signed(s.driver), s.ride);

		assert_eq!(status::<T>(s.ride), Some(RideStatus::Accepted));
		Ok(())
	}

	#[benchmark]
	fn driver_arrived() -> Result<(), BenchmarkError> {
		let s = accepted::<T>()?;
		let signature = arrival::<T>(&s);

		#[extrinsic_call]
		_(RawOrigin::Signed(s.driver), s.ride, signature);

		assert_eq!(status::<T>(s.ride), Some(RideStatus::DriverArrived));
		Ok(())
	}

	/// The rider starts after waiting beyond the allowance.
	#[benchmark]
	fn start_ride() -> Result<(), BenchmarkError> {
		let s = arrived::<T>()?;
		frame_system::Pallet::<T>::set_block_number(9u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(s.rider), s.ride);

		assert_eq!(status::<T>(s.ride), Some(RideStatus::Started));
		Ok(())
	}

	#[benchmark]
	fn start_ride_with_code() -> Result<(), BenchmarkError> {
		let s = arrived::<T>()?;
		frame_system::Pallet::<T>::set_block_number(9u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(s.driver), s.ride, [7; 16]);

		assert_eq!(status::<T>(s.ride), Some(RideStatus::Started));
		Ok(())
	}

	#[benchmark]
	fn complete_ride() -> Result<(), BenchmarkError> {
		let s = started::<T>()?;
		let (trip, signature) = summary::<T>(&s);

		#[extrinsic_call]
		_(RawOrigin::Signed(s.driver), s.ride, trip, signature);

		assert_eq!(status::<T>(s.ride), Some(RideStatus::Completed));
		Ok(())
	}

	#[benchmark]
	fn confirm_ride() -> Result<(), BenchmarkError> {
		let s = completed::<T>()?;

		#[extrinsic_call]
		_(RawOrigin::Signed(s.rider), s.ride);

		assert_eq!(status::<T>(s.ride), Some(RideStatus::Settled(SettledBy::Rider)));
		Ok(())
	}

	/// The driver cancels: the penalty moves from the bond to the rider.
	#[benchmark]
	fn cancel_ride() -> Result<(), BenchmarkError> {
		let s = accepted::<T>()?;

		#[extrinsic_call]
		_(RawOrigin::Signed(s.driver), s.ride);

		assert_eq!(status::<T>(s.ride), Some(RideStatus::Cancelled(Cancellation::ByDriver)));
		Ok(())
	}

	#[benchmark]
	fn dispute_ride() -> Result<(), BenchmarkError> {
		let s = completed::<T>()?;

		#[extrinsic_call]
		_(RawOrigin::Signed(s.rider), s.ride, H256::repeat_byte(2));

		assert!(matches!(status::<T>(s.ride), Some(RideStatus::Disputed { .. })));
		Ok(())
	}

	#[benchmark]
	fn resolve_dispute() -> Result<(), BenchmarkError> {
		let s = completed::<T>()?;
		RideSettlement::<T>::do_dispute(s.rider.clone(), s.ride, H256::repeat_byte(2))?;
		let origin =
			T::ArbiterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, s.ride, units::<T>(4_000));

		assert_eq!(status::<T>(s.ride), Some(RideStatus::Settled(SettledBy::Arbiter)));
		Ok(())
	}

	/// A completed trip whose dispute window has ended settles (the dearest timeout).
	#[benchmark]
	fn process_deadline() -> Result<(), BenchmarkError> {
		let s = completed::<T>()?;
		let due =
			Rides::<T>::get(s.ride).map(|r| r.deadline).ok_or(BenchmarkError::Stop("no ride"))?;
		frame_system::Pallet::<T>::set_block_number(due);

		#[extrinsic_call]
		_(RawOrigin::Signed(s.rider), s.ride);

		assert_eq!(status::<T>(s.ride), Some(RideStatus::Settled(SettledBy::Timeout)));
		Ok(())
	}

	/// A closed ride leaves storage after the retention (the deposit is released).
	#[benchmark]
	fn remove_ride() -> Result<(), BenchmarkError> {
		let s = completed::<T>()?;
		RideSettlement::<T>::do_dispute(s.rider.clone(), s.ride, H256::repeat_byte(2))?;
		let mut ride = Rides::<T>::get(s.ride).ok_or(BenchmarkError::Stop("no ride"))?;
		RideSettlement::<T>::do_settle(s.ride, &mut ride, 4_000, SettledBy::Arbiter)?;
		let due =
			Rides::<T>::get(s.ride).map(|r| r.deadline).ok_or(BenchmarkError::Stop("no ride"))?;
		frame_system::Pallet::<T>::set_block_number(due);

		#[extrinsic_call]
		process_deadline(RawOrigin::Signed(s.rider), s.ride);

		assert!(!Rides::<T>::contains_key(s.ride));
		Ok(())
	}

	#[benchmark]
	fn rate() -> Result<(), BenchmarkError> {
		let s = completed::<T>()?;
		let mut ride = Rides::<T>::get(s.ride).ok_or(BenchmarkError::Stop("no ride"))?;
		RideSettlement::<T>::do_settle(s.ride, &mut ride, 4_000, SettledBy::Rider)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(s.rider), s.ride, 5);

		assert_eq!(Ratings::<T>::get(Party::Driver, &s.driver).count, 1);
		Ok(())
	}

	#[benchmark]
	fn set_tariff() -> Result<(), BenchmarkError> {
		Tariffs::<T>::insert(0, tariff::<T>());
		CurrentTariff::<T>::put(0);
		let origin =
			T::TariffOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, tariff::<T>());

		assert_eq!(CurrentTariff::<T>::get(), Some(1));
		Ok(())
	}

	impl_benchmark_test_suite!(RideSettlement, crate::mock::new_test_ext(), crate::mock::Test);
}
