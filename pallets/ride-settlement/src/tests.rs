//! Tests of ride settlement: the fare arithmetic (pure), then drivers, the ride state machine,
//! the cancellation matrix, disputes, timeouts, ratings and the tariff in a test runtime, and a
//! conservation property over random sequences of ride actions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::{fare, mock::*, *};
use city_primitives::{DeviceClass, DeviceStatus, Suspender};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks,
	},
	weights::Weight,
};
use proptest::prelude::*;
use sp_runtime::{DispatchError, MultiSignature};

// ------------------------------------------------------------------ fares, pure

#[test]
fn the_fare_adds_base_distance_time_and_waiting_with_a_minimum() {
	let t = tariff();
	// 5.4 km, 15 minutes: 1,000 + 2,700 + 1,500.
	assert_eq!(fare::fare(&t, 5_400, 900, 0), 5_200);
	// Per metre and per second, rounded down: 1 m is 0.5 -> 0; 59 s is 98.3 -> 98.
	assert_eq!(fare::fare(&t, 10_001, 59, 0), 1_000 + 5_000 + 98);
	// Two waiting minutes: +100.
	assert_eq!(fare::fare(&t, 5_400, 900, 2), 5_300);
	// A short trip pays the minimum.
	assert_eq!(fare::fare(&t, 100, 30, 0), 2_000);
	// Huge inputs saturate instead of overflowing.
	let mut dear = t.clone();
	dear.per_km = u128::MAX;
	assert!(fare::fare(&dear, u32::MAX, u32::MAX, u32::MAX) >= u128::MAX / 1_000);
	dear.base_fare = u128::MAX;
	assert_eq!(fare::fare(&dear, u32::MAX, u32::MAX, u32::MAX), u128::MAX);
}

#[test]
fn the_split_caps_at_the_hold_and_rounds_the_fee_down() {
	// 3 % of 5,200 is 156.
	assert_eq!(
		fare::split(5_200, 10_000, 300),
		fare::Split { charged: 5_200, city_fee: 156, to_driver: 5_044, refund: 4_800 }
	);
	// Capped at the hold: the rider never pays more than they accepted.
	assert_eq!(
		fare::split(5_200, 4_000, 300),
		fare::Split { charged: 4_000, city_fee: 120, to_driver: 3_880, refund: 0 }
	);
	// 3 % of 33 is 0.99 -> 0.
	assert_eq!(fare::split(33, 33, 300).city_fee, 0);
	// No overflow at the top of the range, and the fee stays within the fare.
	let top = fare::split(u128::MAX, u128::MAX, 500);
	assert_eq!(top.charged, u128::MAX);
	assert!(top.city_fee <= top.charged && top.city_fee > 0);
	assert_eq!(top.city_fee + top.to_driver, top.charged);
	assert_eq!(fare::minutes(25, 10), 2);
	assert_eq!(fare::minutes(25, 0), 0);
}

proptest! {
	/// The parts of a split always add up to the hold.
	#[test]
	fn a_split_adds_up(amount in any::<u128>(), held in any::<u128>(), bps in 0u16..=500) {
		let split = fare::split(amount, held, bps);
		prop_assert!(split.charged <= held && split.charged <= amount);
		prop_assert_eq!(split.city_fee + split.to_driver, split.charged);
		prop_assert_eq!(split.charged + split.refund, held);
		prop_assert!(split.city_fee <= split.charged / 20 + 1);
	}
}

// ------------------------------------------------------------------ helpers

const MAX_FARE: Balance = 10_000;

fn origin(n: u8) -> RuntimeOrigin {
	RuntimeOrigin::signed(account(n))
}

fn place(zone: u32, geohash: &[u8]) -> Place {
	Place { zone, geohash: geohash.to_vec().try_into().unwrap() }
}

fn held(n: u8, reason: HoldReason) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::RideSettlement(reason), &account(n))
}

fn free(n: u8) -> Balance {
	Balances::balance(&account(n))
}

fn treasury() -> Balance {
	Balances::balance(&TreasuryAccount::get())
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::RideSettlement(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn last_event() -> Event<Test> {
	events().pop().expect("an event")
}

fn ride(id: RideId) -> RideOf<Test> {
	crate::Rides::<Test>::get(id).expect("the ride is in storage")
}

fn now() -> u64 {
	System::block_number()
}

/// Registers driver `n` with its vehicle and puts them on duty.
fn driver_ready(n: u8) {
	assert_ok!(RideSettlement::register_driver(origin(n), vehicle_of(n)));
	assert_ok!(RideSettlement::set_on_duty(origin(n), true));
}

fn request_with(rider: u8, code: Option<H256>) -> RideId {
	assert_ok!(RideSettlement::request_ride(
		origin(rider),
		place(1, b"u173zq"),
		place(2, b"u173zw"),
		MAX_FARE,
		code
	));
	NextRideId::<Test>::get() - 1
}

fn request(rider: u8) -> RideId {
	request_with(rider, None)
}

fn accepted(rider: u8, driver: u8) -> RideId {
	if !Drivers::<Test>::contains_key(account(driver)) {
		driver_ready(driver);
	}
	let id = request(rider);
	assert_ok!(RideSettlement::accept_ride(origin(driver), id));
	id
}

fn started(rider: u8, driver: u8) -> RideId {
	let id = accepted(rider, driver);
	assert_ok!(RideSettlement::driver_arrived(origin(driver), id, arrived(id)));
	assert_ok!(RideSettlement::start_ride(origin(rider), id));
	id
}

/// The trip summary of ride `id`: `distance_m`, `duration_s`, from the ride's start to now.
fn trip(id: RideId, vehicle: DeviceId, distance_m: u32, duration_s: u32) -> TripSummary {
	let start_ms = crate::Rides::<Test>::get(id).and_then(|r| r.started_ms).unwrap_or(0);
	TripSummary {
		ride: id,
		vehicle,
		distance_m,
		duration_s,
		route_hash: H256::repeat_byte(0x42),
		start_ms,
		end_ms: time_at(now()),
	}
}

/// The arrival signature of ride `id`'s vehicle (DRIVER's for a ride without one).
fn arrived(id: RideId) -> MultiSignature {
	let vehicle =
		crate::Rides::<Test>::get(id).and_then(|r| r.vehicle).unwrap_or(vehicle_of(DRIVER));
	sign(vehicle, &arrival_payload(&RideSettlement::genesis_hash(), 0, id, vehicle))
}

fn signed(trip: &TripSummary, by: DeviceId) -> MultiSignature {
	sign(by, &trip_payload(&RideSettlement::genesis_hash(), 0, trip))
}

/// Ride `id` completed after 150 blocks (15 minutes) of 5.4 km (within the trip timeout of 200).
fn complete(id: RideId, driver: u8) {
	run_to(now() + 150);
	let summary = trip(id, vehicle_of(driver), 5_400, 900);
	let signature = signed(&summary, vehicle_of(driver));
	assert_ok!(RideSettlement::complete_ride(origin(driver), id, summary, signature));
}

fn completed(rider: u8, driver: u8) -> RideId {
	let id = started(rider, driver);
	complete(id, driver);
	id
}

fn check() {
	RideSettlement::do_try_state().unwrap();
}

// ------------------------------------------------------------------ drivers

#[test]
fn a_driver_registers_with_a_certified_vehicle_and_holds_the_bond() {
	new_test_ext().execute_with(|| {
		assert_ok!(RideSettlement::register_driver(origin(DRIVER), vehicle_of(DRIVER)));
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 5_000);
		assert_eq!(free(DRIVER), INITIAL - 5_000);
		assert_eq!(
			Drivers::<Test>::get(account(DRIVER)),
			Some(Driver { vehicle: vehicle_of(DRIVER), bond: 5_000, on_duty: false, ride: None })
		);
		assert_eq!(VehicleDrivers::<Test>::get(vehicle_of(DRIVER)), Some(account(DRIVER)));
		assert_eq!(
			last_event(),
			Event::DriverRegistered {
				driver: account(DRIVER),
				vehicle: vehicle_of(DRIVER),
				bond: 5_000
			}
		);
		check();
	});
}

#[test]
fn driver_registration_refuses_what_is_not_a_usable_vehicle() {
	new_test_ext().execute_with(|| {
		let d = vehicle_of(DRIVER);
		assert_noop!(
			RideSettlement::register_driver(origin(DRIVER), 99),
			Error::<Test>::UnknownVehicle
		);
		add_device(98, &account(DRIVER), DeviceClass::SmartMeter);
		assert_noop!(
			RideSettlement::register_driver(origin(DRIVER), 98),
			Error::<Test>::NotAVehicle
		);
		assert_noop!(
			RideSettlement::register_driver(origin(OTHER), d),
			Error::<Test>::NotYourVehicle
		);
		edit_device(d, |v| v.status = DeviceStatus::Suspended(Suspender::Owner));
		assert_noop!(
			RideSettlement::register_driver(origin(DRIVER), d),
			Error::<Test>::VehicleNotActive
		);
		edit_device(d, |v| {
			v.status = DeviceStatus::Active;
			v.certified = false;
		});
		assert_noop!(
			RideSettlement::register_driver(origin(DRIVER), d),
			Error::<Test>::VehicleNotCertified
		);
		edit_device(d, |v| v.certified = true);
		// An operator may drive it.
		edit_device(d, |v| v.operator = Some(account(OTHER)));
		assert_ok!(RideSettlement::register_driver(origin(OTHER), d));
		assert_noop!(
			RideSettlement::register_driver(origin(OTHER), d),
			Error::<Test>::AlreadyDriver
		);
		assert_noop!(
			RideSettlement::register_driver(origin(DRIVER), d),
			Error::<Test>::VehicleTaken
		);
		// Too poor for the bond.
		add_vehicle(97, &account(RIDER));
		let _ = Balances::transfer_allow_death(origin(RIDER), account(OTHER), INITIAL - 4_000);
		assert_noop!(
			RideSettlement::register_driver(origin(RIDER), 97),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn without_a_tariff_nobody_registers_or_requests() {
	new_test_ext_with(None).execute_with(|| {
		assert_noop!(
			RideSettlement::register_driver(origin(DRIVER), vehicle_of(DRIVER)),
			Error::<Test>::RidesClosed
		);
		assert_noop!(
			RideSettlement::request_ride(
				origin(RIDER),
				place(1, b""),
				place(1, b""),
				MAX_FARE,
				None
			),
			Error::<Test>::RidesClosed
		);
		assert_eq!(RideSettlement::quote(1_000, 60), None);
	});
}

#[test]
fn a_vehicle_that_changed_hands_goes_to_its_new_owner() {
	new_test_ext().execute_with(|| {
		let d = vehicle_of(DRIVER);
		assert_ok!(RideSettlement::register_driver(origin(DRIVER), d));
		edit_device(d, |v| v.owner = account(OTHER));
		assert_ok!(RideSettlement::register_driver(origin(OTHER), d));
		// The former driver left, bond released.
		assert!(Drivers::<Test>::get(account(DRIVER)).is_none());
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 0);
		assert_eq!(VehicleDrivers::<Test>::get(d), Some(account(OTHER)));
		check();
	});
}

#[test]
fn a_former_driver_with_an_open_ride_keeps_the_vehicle_until_it_ends() {
	new_test_ext().execute_with(|| {
		let d = vehicle_of(DRIVER);
		let _id = accepted(RIDER, DRIVER);
		edit_device(d, |v| v.owner = account(OTHER));
		assert_noop!(
			RideSettlement::register_driver(origin(OTHER), d),
			Error::<Test>::VehicleTaken
		);
	});
}

#[test]
fn going_on_duty_checks_the_vehicle_and_tops_the_bond_up() {
	new_test_ext().execute_with(|| {
		assert_noop!(RideSettlement::set_on_duty(origin(DRIVER), true), Error::<Test>::NotADriver);
		assert_ok!(RideSettlement::register_driver(origin(DRIVER), vehicle_of(DRIVER)));
		let mut dearer = tariff();
		dearer.driver_bond = 7_000;
		assert_ok!(RideSettlement::set_tariff(RuntimeOrigin::root(), dearer));
		assert_ok!(RideSettlement::set_on_duty(origin(DRIVER), true));
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 7_000);
		assert_eq!(
			last_event(),
			Event::DriverDutyChanged { driver: account(DRIVER), on_duty: true, bond: 7_000 }
		);
		edit_device(vehicle_of(DRIVER), |v| v.certified = false);
		assert_noop!(
			RideSettlement::set_on_duty(origin(DRIVER), true),
			Error::<Test>::VehicleNotCertified
		);
		// Going off duty needs no checks.
		assert_ok!(RideSettlement::set_on_duty(origin(DRIVER), false));
		assert!(!Drivers::<Test>::get(account(DRIVER)).unwrap().on_duty);
		check();
	});
}

#[test]
fn a_driver_leaves_only_without_an_open_ride() {
	new_test_ext().execute_with(|| {
		assert_noop!(RideSettlement::leave(origin(DRIVER)), Error::<Test>::NotADriver);
		let id = accepted(RIDER, DRIVER);
		assert_noop!(RideSettlement::leave(origin(DRIVER)), Error::<Test>::DriverBusy);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_ok!(RideSettlement::leave(origin(DRIVER)));
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 0);
		assert_eq!(free(DRIVER), INITIAL);
		assert!(VehicleDrivers::<Test>::get(vehicle_of(DRIVER)).is_none());
		assert_eq!(last_event(), Event::DriverLeft { driver: account(DRIVER), released: 5_000 });
		check();
	});
}

// ------------------------------------------------------------------ requests

#[test]
fn a_request_holds_the_maximum_fare_and_the_deposit() {
	new_test_ext().execute_with(|| {
		let id = request(RIDER);
		assert_eq!(id, 0);
		assert_eq!(held(RIDER, HoldReason::RideEscrow), MAX_FARE);
		assert_eq!(held(RIDER, HoldReason::RideDeposit), DEPOSIT);
		let r = ride(id);
		assert_eq!(r.status, RideStatus::Requested);
		assert_eq!(r.deadline, 1 + 20);
		assert!(Deadlines::<Test>::contains_key(21, id));
		assert_eq!(OpenRides::<Test>::get(account(RIDER)), 1);
		assert_eq!(Stats::<Test>::get().requested, 1);
		assert_eq!(
			last_event(),
			Event::RideRequested {
				ride: id,
				rider: account(RIDER),
				pickup: place(1, b"u173zq"),
				dropoff: place(2, b"u173zw"),
				max_fare: MAX_FARE,
			}
		);
		check();
	});
}

#[test]
fn requests_refuse_bad_input() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			RideSettlement::request_ride(origin(RIDER), place(1, b""), place(1, b""), 1_999, None),
			Error::<Test>::MaxFareTooLow
		);
		// 'a', 'i', 'l', 'o' and capitals are not geohash characters.
		for bad in [&b"u17a"[..], b"ilo", b"U173", b"\xff"] {
			assert_noop!(
				RideSettlement::request_ride(
					origin(RIDER),
					place(1, bad),
					place(1, b""),
					MAX_FARE,
					None
				),
				Error::<Test>::BadPlace
			);
			assert_noop!(
				RideSettlement::request_ride(
					origin(RIDER),
					place(1, b""),
					place(1, bad),
					MAX_FARE,
					None
				),
				Error::<Test>::BadPlace
			);
		}
		request(RIDER);
		request(RIDER);
		assert_noop!(
			RideSettlement::request_ride(
				origin(RIDER),
				place(1, b""),
				place(1, b""),
				MAX_FARE,
				None
			),
			Error::<Test>::TooManyOpenRides
		);
		assert_noop!(
			RideSettlement::request_ride(
				origin(RIDER2),
				place(1, b""),
				place(1, b""),
				INITIAL,
				None
			),
			Error::<Test>::InsufficientBalance
		);
		// The deposit must fit too.
		assert_noop!(
			RideSettlement::request_ride(
				origin(RIDER2),
				place(1, b""),
				place(1, b""),
				INITIAL - DEPOSIT,
				None
			),
			Error::<Test>::InsufficientBalance
		);
	});
}

// ------------------------------------------------------------------ acceptance and the trip

#[test]
fn an_on_duty_driver_accepts_under_the_current_tariff() {
	new_test_ext().execute_with(|| {
		driver_ready(DRIVER);
		let id = request(RIDER);
		run_to(3);
		assert_ok!(RideSettlement::accept_ride(origin(DRIVER), id));
		let r = ride(id);
		assert_eq!(r.status, RideStatus::Accepted);
		assert_eq!((r.driver, r.vehicle, r.tariff), (Some(account(DRIVER)), Some(13), Some(0)));
		assert_eq!(r.deadline, 3 + 10);
		assert!(!Deadlines::<Test>::contains_key(21, id));
		assert_eq!(Drivers::<Test>::get(account(DRIVER)).unwrap().ride, Some(id));
		assert_eq!(TariffUsers::<Test>::get(0), 1);
		assert!(AccountRides::<Test>::contains_key(account(DRIVER), ride_key(id)));
		assert_eq!(
			last_event(),
			Event::RideAccepted { ride: id, driver: account(DRIVER), vehicle: 13, tariff: 0 }
		);
		check();
	});
}

#[test]
fn acceptance_refuses_who_cannot_drive_it() {
	new_test_ext().execute_with(|| {
		let id = request(RIDER);
		assert_noop!(RideSettlement::accept_ride(origin(DRIVER), 99), Error::<Test>::UnknownRide);
		assert_noop!(RideSettlement::accept_ride(origin(DRIVER), id), Error::<Test>::NotADriver);
		assert_ok!(RideSettlement::register_driver(origin(DRIVER), vehicle_of(DRIVER)));
		assert_noop!(RideSettlement::accept_ride(origin(DRIVER), id), Error::<Test>::OffDuty);
		assert_ok!(RideSettlement::set_on_duty(origin(DRIVER), true));
		edit_device(vehicle_of(DRIVER), |v| v.status = DeviceStatus::Revoked);
		assert_noop!(
			RideSettlement::accept_ride(origin(DRIVER), id),
			Error::<Test>::VehicleNotActive
		);
		edit_device(vehicle_of(DRIVER), |v| v.status = DeviceStatus::Active);
		// A ride requested under a tariff with a raised bond: go on duty again first (which
		// tops the bond up). The first ride keeps the tariff it was requested under.
		let mut dearer = tariff();
		dearer.driver_bond = 6_000;
		assert_ok!(RideSettlement::set_tariff(RuntimeOrigin::root(), dearer));
		let dear = request(RIDER2);
		assert_eq!((ride(id).tariff, ride(dear).tariff), (Some(0), Some(1)));
		assert_noop!(RideSettlement::accept_ride(origin(DRIVER), dear), Error::<Test>::BondTooLow);
		assert_ok!(RideSettlement::set_on_duty(origin(DRIVER), true));
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER2), dear));
		// Riders cannot drive themselves.
		add_vehicle(50, &account(RIDER));
		assert_ok!(RideSettlement::register_driver(origin(RIDER), 50));
		assert_ok!(RideSettlement::set_on_duty(origin(RIDER), true));
		assert_noop!(RideSettlement::accept_ride(origin(RIDER), id), Error::<Test>::OwnRide);
		assert_ok!(RideSettlement::accept_ride(origin(DRIVER), id));
		assert_noop!(RideSettlement::accept_ride(origin(DRIVER), id), Error::<Test>::WrongState);
		// One open ride per driver.
		let second = request(RIDER2);
		assert_noop!(
			RideSettlement::accept_ride(origin(DRIVER), second),
			Error::<Test>::DriverBusy
		);
		// A request past its deadline is only processed.
		driver_ready(DRIVER2);
		run_to(now() + 20);
		assert_noop!(
			RideSettlement::accept_ride(origin(DRIVER2), second),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn arrival_and_start_check_who_and_when() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_noop!(
			RideSettlement::driver_arrived(origin(RIDER), id, arrived(id)),
			Error::<Test>::NotTheDriver
		);
		assert_noop!(
			RideSettlement::driver_arrived(origin(DRIVER), 99, arrived(99)),
			Error::<Test>::UnknownRide
		);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		assert_eq!(ride(id).status, RideStatus::DriverArrived);
		assert_eq!(ride(id).deadline, now() + 15);
		assert_eq!(last_event(), Event::DriverArrived { ride: id });
		assert_noop!(
			RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)),
			Error::<Test>::WrongState
		);
		assert_noop!(RideSettlement::start_ride(origin(DRIVER), id), Error::<Test>::NotTheRider);
		assert_noop!(
			RideSettlement::start_ride_with_code(origin(DRIVER), id, [1; 16]),
			Error::<Test>::NoStartCode
		);
		// 7 blocks after arrival: the allowance is 5, so 2 blocks of waiting: 0 whole minutes.
		run_to(now() + 7);
		assert_ok!(RideSettlement::start_ride(origin(RIDER), id));
		let r = ride(id);
		assert_eq!(r.status, RideStatus::Started);
		assert_eq!(r.started_ms, Some(time_at(now())));
		assert_eq!(r.waited_min, 0);
		assert_eq!(r.deadline, now() + 200);
		assert_eq!(last_event(), Event::RideStarted { ride: id, by_code: false, waited_min: 0 });
		assert_noop!(RideSettlement::start_ride(origin(RIDER), id), Error::<Test>::WrongState);
		check();
	});
}

#[test]
fn the_driver_starts_with_the_riders_code() {
	new_test_ext().execute_with(|| {
		driver_ready(DRIVER);
		let code = [7u8; 16];
		let id = request_with(RIDER, Some(start_code_hash(&account(RIDER), &code)));
		assert_ok!(RideSettlement::accept_ride(origin(DRIVER), id));
		assert_noop!(
			RideSettlement::start_ride_with_code(origin(DRIVER), id, [8; 16]),
			Error::<Test>::WrongStartCode
		);
		assert_noop!(
			RideSettlement::start_ride_with_code(origin(RIDER), id, code),
			Error::<Test>::NotTheDriver
		);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		// Just before the start timeout (15 blocks).
		run_to(now() + 14);
		assert_ok!(RideSettlement::start_ride_with_code(origin(DRIVER), id, code));
		// 14 - 5 = 9 blocks beyond the allowance: 0 whole minutes (10 blocks a minute).
		assert_eq!(last_event(), Event::RideStarted { ride: id, by_code: true, waited_min: 0 });
	});
}

#[test]
fn waiting_beyond_the_allowance_is_charged_per_whole_minute() {
	let mut slow = tariff();
	slow.start_timeout = 40;
	new_test_ext_with(Some(slow)).execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		// 5 free blocks + 27: 2 whole minutes.
		run_to(now() + 32);
		assert_ok!(RideSettlement::start_ride(origin(RIDER), id));
		assert_eq!(ride(id).waited_min, 2);
		complete(id, DRIVER);
		// 5,200 + 2 x 50.
		assert_eq!(RideSettlement::ride_view(id).unwrap().quote.unwrap().fare, 5_300);
	});
}

#[test]
fn a_completed_ride_settles_to_the_unit_when_the_rider_confirms() {
	new_test_ext().execute_with(|| {
		let id = completed(RIDER, DRIVER);
		let r = ride(id);
		assert_eq!(r.status, RideStatus::Completed);
		assert_eq!(r.deadline, now() + 10);
		assert_eq!(
			last_event(),
			Event::RideCompleted { ride: id, trip: r.trip.clone().unwrap(), fare: 5_200 }
		);
		let treasury_before = treasury();
		assert_noop!(RideSettlement::confirm_ride(origin(DRIVER), id), Error::<Test>::NotTheRider);
		assert_ok!(RideSettlement::confirm_ride(origin(RIDER), id));
		// Fare 5,200: city fee 156 to the treasury, 5,044 to the driver, 4,800 back.
		assert_eq!(free(RIDER), INITIAL - 5_200 - DEPOSIT);
		assert_eq!(held(RIDER, HoldReason::RideEscrow), 0);
		assert_eq!(held(RIDER, HoldReason::RideDeposit), DEPOSIT);
		assert_eq!(free(DRIVER), INITIAL - 5_000 + 5_044);
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 5_000);
		assert_eq!(treasury(), treasury_before + 156);
		let r = ride(id);
		assert_eq!(r.status, RideStatus::Settled(SettledBy::Rider));
		assert_eq!(
			r.outcome,
			Outcome { fare: 5_200, city_fee: 156, to_driver: 5_044, penalty: 0, refund: 4_800 }
		);
		assert_eq!(
			last_event(),
			Event::RideSettled {
				ride: id,
				by: SettledBy::Rider,
				fare: 5_200,
				city_fee: 156,
				to_driver: 5_044,
				refund: 4_800
			}
		);
		let stats = Stats::<Test>::get();
		assert_eq!(
			(stats.settled, stats.fares, stats.city_fees, stats.driver_income),
			(1, 5_200, 156, 5_044)
		);
		assert_eq!(Drivers::<Test>::get(account(DRIVER)).unwrap().ride, None);
		assert_eq!(OpenRides::<Test>::get(account(RIDER)), 0);
		assert_noop!(RideSettlement::confirm_ride(origin(RIDER), id), Error::<Test>::WrongState);
		check();
		// Removal after the retention (on_idle of the 50th block after): the deposit comes back.
		run_to(now() + 51);
		assert!(crate::Rides::<Test>::get(id).is_none());
		assert_eq!(held(RIDER, HoldReason::RideDeposit), 0);
		assert_eq!(free(RIDER), INITIAL - 5_200);
		assert!(!AccountRides::<Test>::contains_key(account(RIDER), ride_key(id)));
		assert!(!AccountRides::<Test>::contains_key(account(DRIVER), ride_key(id)));
		assert!(events().contains(&Event::RideRemoved { ride: id }));
		check();
	});
}

#[test]
fn the_fare_is_capped_at_the_hold() {
	new_test_ext().execute_with(|| {
		driver_ready(DRIVER);
		assert_ok!(RideSettlement::request_ride(
			origin(RIDER),
			place(1, b""),
			place(1, b""),
			3_000,
			None
		));
		assert_ok!(RideSettlement::accept_ride(origin(DRIVER), 0));
		assert_ok!(RideSettlement::start_ride(origin(RIDER), 0));
		complete(0, DRIVER);
		assert_ok!(RideSettlement::confirm_ride(origin(RIDER), 0));
		// 3 % of 3,000 is 90.
		assert_eq!(ride(0).outcome.fare, 3_000);
		assert_eq!(ride(0).outcome.city_fee, 90);
		assert_eq!(free(RIDER), INITIAL - 3_000 - DEPOSIT);
	});
}

#[test]
fn trip_summaries_are_checked_before_they_count() {
	new_test_ext().execute_with(|| {
		let id = started(RIDER, DRIVER);
		let other = started(RIDER2, DRIVER2);
		run_to(now() + 150);
		let v = vehicle_of(DRIVER);
		let good = trip(id, v, 5_400, 900);
		// Another key signed it (the other driver's vehicle).
		assert_noop!(
			RideSettlement::complete_ride(
				origin(DRIVER),
				id,
				good.clone(),
				signed(&good, vehicle_of(DRIVER2))
			),
			Error::<Test>::BadTripSignature
		);
		// Signed for another chain.
		let foreign = sign(v, &trip_payload(&H256::repeat_byte(9), 0, &good));
		assert_noop!(
			RideSettlement::complete_ride(origin(DRIVER), id, good.clone(), foreign),
			Error::<Test>::BadTripSignature
		);
		// Signed under another key epoch.
		let epoch = sign(v, &trip_payload(&RideSettlement::genesis_hash(), 1, &good));
		assert_noop!(
			RideSettlement::complete_ride(origin(DRIVER), id, good.clone(), epoch),
			Error::<Test>::BadTripSignature
		);
		// A summary of this ride presented for another ride.
		assert_noop!(
			RideSettlement::complete_ride(origin(DRIVER2), other, good.clone(), signed(&good, v)),
			Error::<Test>::WrongRide
		);
		// Another vehicle named.
		let wrong_vehicle = TripSummary { vehicle: vehicle_of(DRIVER2), ..good.clone() };
		assert_noop!(
			RideSettlement::complete_ride(
				origin(DRIVER),
				id,
				wrong_vehicle.clone(),
				signed(&wrong_vehicle, vehicle_of(DRIVER2))
			),
			Error::<Test>::WrongVehicle
		);
		// Only the driver.
		assert_noop!(
			RideSettlement::complete_ride(origin(RIDER), id, good.clone(), signed(&good, v)),
			Error::<Test>::NotTheDriver
		);
		// Times that do not hold together.
		for bad in [
			TripSummary { end_ms: good.start_ms - 1, ..good.clone() },
			TripSummary { duration_s: 150 * 6 + 2, ..good.clone() },
			TripSummary { start_ms: good.start_ms - 60_001, ..good.clone() },
			TripSummary { end_ms: time_at(now()) + 60_001, ..good.clone() },
		] {
			assert_noop!(
				RideSettlement::complete_ride(origin(DRIVER), id, bad.clone(), signed(&bad, v)),
				Error::<Test>::BadTripTimes
			);
		}
		// A revoked vehicle's key is not trusted.
		edit_device(v, |d| d.status = DeviceStatus::Revoked);
		assert_noop!(
			RideSettlement::complete_ride(origin(DRIVER), id, good.clone(), signed(&good, v)),
			Error::<Test>::VehicleNotActive
		);
		edit_device(v, |d| d.status = DeviceStatus::Active);
		assert_ok!(RideSettlement::complete_ride(
			origin(DRIVER),
			id,
			good.clone(),
			signed(&good, v)
		));
		// Replayed: the ride is no longer under way.
		assert_noop!(
			RideSettlement::complete_ride(origin(DRIVER), id, good.clone(), signed(&good, v)),
			Error::<Test>::WrongState
		);
		assert_noop!(
			RideSettlement::complete_ride(origin(DRIVER), 99, good.clone(), signed(&good, v)),
			Error::<Test>::UnknownRide
		);
		check();
	});
}

// ------------------------------------------------------------------ the cancellation matrix

/// The balances a cancellation should leave: the rider paid `fee` to the driver and got
/// `penalty` from the driver's bond.
fn assert_cancelled(id: RideId, case: Cancellation, fee: Balance, penalty: Balance) {
	let r = ride(id);
	assert_eq!(r.status, RideStatus::Cancelled(case));
	assert_eq!(r.outcome.to_driver, fee);
	assert_eq!(r.outcome.penalty, penalty);
	assert_eq!(r.outcome.refund, MAX_FARE - fee);
	assert_eq!(held(RIDER, HoldReason::RideEscrow), 0);
	assert_eq!(free(RIDER), INITIAL - DEPOSIT - fee + penalty);
	if r.driver.is_some() {
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 5_000 - penalty);
		assert_eq!(free(DRIVER), INITIAL - 5_000 + fee);
		assert_eq!(Drivers::<Test>::get(account(DRIVER)).unwrap().ride, None);
	}
	assert_eq!(
		last_event(),
		Event::RideCancelled { ride: id, case, fee, penalty, refund: MAX_FARE - fee }
	);
	assert_eq!(OpenRides::<Test>::get(account(RIDER)), 0);
	check();
}

#[test]
fn the_rider_cancels_a_request_for_free() {
	new_test_ext().execute_with(|| {
		let id = request(RIDER);
		assert_noop!(RideSettlement::cancel_ride(origin(OTHER), id), Error::<Test>::NotAParty);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_cancelled(id, Cancellation::ByRiderBeforeAcceptance, 0, 0);
		assert_noop!(RideSettlement::cancel_ride(origin(RIDER), id), Error::<Test>::WrongState);
	});
}

#[test]
fn an_unaccepted_request_expires_for_free() {
	new_test_ext().execute_with(|| {
		let id = request(RIDER);
		assert_noop!(
			RideSettlement::process_deadline(origin(OTHER), id),
			Error::<Test>::DeadlineNotReached
		);
		run_to(21);
		// on_idle of block 21 has not run yet: anyone processes it.
		assert_ok!(RideSettlement::process_deadline(origin(OTHER), id));
		assert_cancelled(id, Cancellation::Expired, 0, 0);
	});
}

#[test]
fn the_hook_expires_requests_by_itself() {
	new_test_ext().execute_with(|| {
		let id = request(RIDER);
		run_to(22);
		assert_cancelled(id, Cancellation::Expired, 0, 0);
	});
}

#[test]
fn the_rider_cancels_for_free_within_the_grace_period() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		run_to(now() + 3);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_cancelled(id, Cancellation::ByRiderInGrace, 0, 0);
	});
}

#[test]
fn the_rider_pays_the_driver_after_the_grace_period() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		run_to(now() + 4);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_cancelled(id, Cancellation::ByRiderAfterGrace, 300, 0);
		assert_eq!(Stats::<Test>::get().cancellation_fees, 300);
	});
}

#[test]
fn a_driver_who_does_not_arrive_pays_the_rider() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		run_to(now() + 10);
		// At the arrival timeout the driver can no longer say they arrived.
		assert_noop!(
			RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)),
			Error::<Test>::DeadlinePassed
		);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_cancelled(id, Cancellation::DriverNoShow, 0, 1_000);
		// Below the bond: off duty until topped up.
		assert!(!Drivers::<Test>::get(account(DRIVER)).unwrap().on_duty);
		assert_ok!(RideSettlement::set_on_duty(origin(DRIVER), true));
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 5_000);
	});
}

#[test]
fn the_hook_penalises_a_driver_who_never_arrives() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		run_to(now() + 11);
		assert_cancelled(id, Cancellation::DriverNoShow, 0, 1_000);
	});
}

#[test]
fn the_rider_pays_more_after_the_driver_arrived() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		// 3 blocks: within the allowance, no waiting.
		run_to(now() + 3);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_cancelled(id, Cancellation::ByRiderAfterArrival, 500, 0);
	});
}

#[test]
fn a_cancellation_after_arrival_adds_the_waiting() {
	let mut slow = tariff();
	slow.start_timeout = 40;
	new_test_ext_with(Some(slow)).execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		// 5 free + 25 blocks: 2 whole minutes of 50.
		run_to(now() + 30);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_cancelled(id, Cancellation::ByRiderAfterArrival, 600, 0);
	});
}

#[test]
fn the_driver_cancelling_pays_the_rider_from_the_bond() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::cancel_ride(origin(DRIVER), id));
		assert_cancelled(id, Cancellation::ByDriver, 0, 1_000);
		assert_eq!(Stats::<Test>::get().penalties, 1_000);
	});
}

#[test]
fn the_driver_cancelling_after_arrival_within_the_allowance_pays_too() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		run_to(now() + 4);
		assert_ok!(RideSettlement::cancel_ride(origin(DRIVER), id));
		assert_cancelled(id, Cancellation::ByDriver, 0, 1_000);
	});
}

#[test]
fn a_rider_who_does_not_show_pays_the_no_show_fee() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		run_to(now() + 5);
		assert_ok!(RideSettlement::cancel_ride(origin(DRIVER), id));
		assert_cancelled(id, Cancellation::RiderNoShow, 800, 0);
	});
}

#[test]
fn the_hook_ends_a_ride_the_rider_never_started_as_a_no_show() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		// The start timeout (15) is 10 blocks past the allowance: one whole minute waited.
		run_to(now() + 16);
		assert_cancelled(id, Cancellation::RiderNoShow, 850, 0);
	});
}

#[test]
fn an_abandoned_trip_refunds_the_rider() {
	new_test_ext().execute_with(|| {
		let id = started(RIDER, DRIVER);
		assert_noop!(RideSettlement::cancel_ride(origin(RIDER), id), Error::<Test>::WrongState);
		assert_noop!(RideSettlement::cancel_ride(origin(DRIVER), id), Error::<Test>::WrongState);
		run_to(now() + 200);
		let summary = trip(id, vehicle_of(DRIVER), 1, 1);
		assert_noop!(
			RideSettlement::complete_ride(
				origin(DRIVER),
				id,
				summary.clone(),
				signed(&summary, 13)
			),
			Error::<Test>::DeadlinePassed
		);
		run_to(now() + 1);
		assert_cancelled(id, Cancellation::TripAbandoned, 0, 0);
	});
}

#[test]
fn a_fee_is_capped_at_the_riders_hold_and_a_penalty_as_large_as_the_bond_takes_all_of_it() {
	let mut harsh = tariff();
	harsh.no_show_fee = 50_000;
	harsh.driver_cancel_penalty = 5_000;
	new_test_ext_with(Some(harsh)).execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		run_to(now() + 5);
		assert_ok!(RideSettlement::cancel_ride(origin(DRIVER), id));
		assert_eq!(ride(id).outcome.to_driver, MAX_FARE);
		// A penalty as large as the bond (the most a tariff allows) takes all of it.
		let second = accepted(RIDER2, DRIVER2);
		assert_ok!(RideSettlement::cancel_ride(origin(DRIVER2), second));
		assert_eq!(ride(second).outcome.penalty, 5_000);
		assert_eq!(held(DRIVER2, HoldReason::DriverBond), 0);
		check();
	});
}

// ------------------------------------------------------------------ disputes

#[test]
fn a_dispute_holds_the_funds_until_the_arbiter_splits_them() {
	new_test_ext().execute_with(|| {
		let id = completed(RIDER, DRIVER);
		let reason = H256::repeat_byte(0xd1);
		assert_noop!(
			RideSettlement::dispute_ride(origin(OTHER), id, reason),
			Error::<Test>::NotAParty
		);
		assert_ok!(RideSettlement::dispute_ride(origin(RIDER), id, reason));
		assert_eq!(ride(id).status, RideStatus::Disputed { by: Party::Rider, reason });
		assert_eq!(ride(id).deadline, now() + 30);
		assert_eq!(last_event(), Event::RideDisputed { ride: id, by: Party::Rider, reason });
		assert_eq!(held(RIDER, HoldReason::RideEscrow), MAX_FARE);
		assert_noop!(
			RideSettlement::dispute_ride(origin(DRIVER), id, reason),
			Error::<Test>::WrongState
		);
		assert_noop!(RideSettlement::confirm_ride(origin(RIDER), id), Error::<Test>::WrongState);
		assert_noop!(
			RideSettlement::resolve_dispute(origin(OTHER), id, 1_000),
			DispatchError::BadOrigin
		);
		assert_noop!(
			RideSettlement::resolve_dispute(RuntimeOrigin::root(), id, MAX_FARE + 1),
			Error::<Test>::FareAboveHold
		);
		let before = treasury();
		assert_ok!(RideSettlement::resolve_dispute(RuntimeOrigin::root(), id, 4_000));
		assert_eq!(ride(id).status, RideStatus::Settled(SettledBy::Arbiter));
		assert_eq!(free(RIDER), INITIAL - DEPOSIT - 4_000);
		assert_eq!(free(DRIVER), INITIAL - 5_000 + 3_880);
		assert_eq!(treasury(), before + 120);
		assert_eq!(Stats::<Test>::get().disputed, 1);
		assert_noop!(
			RideSettlement::resolve_dispute(RuntimeOrigin::root(), id, 0),
			Error::<Test>::WrongState
		);
		check();
	});
}

#[test]
fn disputes_only_within_the_window() {
	new_test_ext().execute_with(|| {
		let id = started(RIDER, DRIVER);
		assert_noop!(
			RideSettlement::dispute_ride(origin(RIDER), id, H256::zero()),
			Error::<Test>::WrongState
		);
		complete(id, DRIVER);
		run_to(now() + 10);
		assert_noop!(
			RideSettlement::dispute_ride(origin(DRIVER), id, H256::zero()),
			Error::<Test>::DisputeWindowOver
		);
	});
}

#[test]
fn an_unresolved_dispute_settles_at_the_tariff_fare() {
	new_test_ext().execute_with(|| {
		let id = completed(RIDER, DRIVER);
		assert_ok!(RideSettlement::dispute_ride(origin(DRIVER), id, H256::zero()));
		run_to(now() + 31);
		assert_eq!(ride(id).status, RideStatus::Settled(SettledBy::ArbitrationTimeout));
		assert_eq!(ride(id).outcome.fare, 5_200);
		assert_eq!(free(DRIVER), INITIAL - 5_000 + 5_044);
		check();
	});
}

#[test]
fn an_unconfirmed_trip_settles_when_the_window_ends() {
	new_test_ext().execute_with(|| {
		let id = completed(RIDER, DRIVER);
		run_to(now() + 11);
		assert_eq!(ride(id).status, RideStatus::Settled(SettledBy::Timeout));
		assert_eq!(free(RIDER), INITIAL - DEPOSIT - 5_200);
		check();
	});
}

// ------------------------------------------------------------------ deadlines in the hook

#[test]
fn the_hook_works_within_the_weight_it_is_given() {
	new_test_ext().execute_with(|| {
		let a = request(RIDER);
		let b = request(RIDER2);
		run_to(21);
		let step = RideSettlement::deadline_weight();
		let db: frame_support::weights::RuntimeDbWeight =
			<Test as frame_system::Config>::DbWeight::get();
		let (cursor, scan) = (db.reads_writes(1, 1), db.reads(1));
		assert!(scan.ref_time() > 0, "the mock's database weights are real ones");
		// Nothing fits: nothing done, no weight used.
		assert_eq!(RideSettlement::on_idle(21, cursor), Weight::zero());
		// Room for the cursor, one block of the queue and one ride (run_to processed every
		// block before 21).
		let budget = cursor + scan + step;
		let used = RideSettlement::on_idle(21, budget);
		assert!(used.all_lte(budget));
		let expired = [a, b]
			.iter()
			.filter(|id| matches!(ride(**id).status, RideStatus::Cancelled(_)))
			.count();
		assert_eq!(expired, 1);
		assert_eq!(DeadlinesFrom::<Test>::get(), 21);
		// The rest next time.
		RideSettlement::on_idle(21, Weight::MAX);
		assert!(matches!(ride(a).status, RideStatus::Cancelled(Cancellation::Expired)));
		assert!(matches!(ride(b).status, RideStatus::Cancelled(Cancellation::Expired)));
		assert_eq!(DeadlinesFrom::<Test>::get(), 22);
		check();
	});
}

// ------------------------------------------------------------------ ratings

#[test]
fn each_party_rates_a_settled_ride_once() {
	new_test_ext().execute_with(|| {
		let id = completed(RIDER, DRIVER);
		assert_noop!(RideSettlement::rate(origin(RIDER), id, 5), Error::<Test>::WrongState);
		assert_ok!(RideSettlement::confirm_ride(origin(RIDER), id));
		assert_noop!(RideSettlement::rate(origin(RIDER), id, 0), Error::<Test>::BadRating);
		assert_noop!(RideSettlement::rate(origin(RIDER), id, 6), Error::<Test>::BadRating);
		assert_noop!(RideSettlement::rate(origin(OTHER), id, 3), Error::<Test>::NotAParty);
		assert_noop!(RideSettlement::rate(origin(RIDER), 99, 3), Error::<Test>::UnknownRide);
		assert_ok!(RideSettlement::rate(origin(RIDER), id, 4));
		assert_eq!(last_event(), Event::RideRated { ride: id, by: Party::Rider, stars: 4 });
		assert_noop!(RideSettlement::rate(origin(RIDER), id, 5), Error::<Test>::AlreadyRated);
		assert_ok!(RideSettlement::rate(origin(DRIVER), id, 5));
		assert_noop!(RideSettlement::rate(origin(DRIVER), id, 5), Error::<Test>::AlreadyRated);
		assert_eq!(
			Ratings::<Test>::get(Party::Driver, account(DRIVER)),
			RatingSummary { count: 1, total: 4 }
		);
		assert_eq!(
			Ratings::<Test>::get(Party::Rider, account(RIDER)),
			RatingSummary { count: 1, total: 5 }
		);
		// A second ride: the driver's average is (4 + 2) / 2.
		let second = completed(RIDER, DRIVER);
		assert_ok!(RideSettlement::confirm_ride(origin(RIDER), second));
		assert_ok!(RideSettlement::rate(origin(RIDER), second, 2));
		let view = RideSettlement::driver_view(&account(DRIVER)).unwrap();
		assert_eq!(view.rating, RatingSummary { count: 2, total: 6 });
		assert_eq!(view.vehicle, Some(vehicle_of(DRIVER)));
		// Cancelled rides are not rated.
		let cancelled = request(RIDER);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), cancelled));
		assert_noop!(RideSettlement::rate(origin(RIDER), cancelled, 3), Error::<Test>::WrongState);
		check();
	});
}

// ------------------------------------------------------------------ the tariff

#[test]
fn tariffs_are_checked_and_versioned() {
	new_test_ext().execute_with(|| {
		let t = tariff();
		assert_noop!(
			RideSettlement::set_tariff(origin(OTHER), t.clone()),
			DispatchError::BadOrigin
		);
		let bad: Vec<crate::TariffOf<Test>> = vec![
			crate::Tariff { city_fee_bps: 501, ..t.clone() },
			crate::Tariff { driver_cancel_penalty: 5_001, ..t.clone() },
			crate::Tariff { request_timeout: 0, ..t.clone() },
			crate::Tariff { arrival_timeout: 0, ..t.clone() },
			crate::Tariff { start_timeout: 0, waiting_allowance: 0, ..t.clone() },
			crate::Tariff { trip_timeout: 1_001, ..t.clone() },
			crate::Tariff { dispute_window: 0, ..t.clone() },
			crate::Tariff { arbitration_timeout: 0, ..t.clone() },
			crate::Tariff { cancel_grace: 10, ..t.clone() },
			crate::Tariff { waiting_allowance: 16, ..t.clone() },
			crate::Tariff { driver_bond: ED - 1, driver_cancel_penalty: 0, ..t.clone() },
			crate::Tariff { minimum_fare: 0, ..t.clone() },
			crate::Tariff { dispute_window: 9, ..t.clone() },
		];
		for tariff in bad {
			assert_noop!(
				RideSettlement::set_tariff(RuntimeOrigin::root(), tariff),
				Error::<Test>::InvalidTariff
			);
		}
		// A ride requested under version 0 keeps it after version 1 doubles the prices.
		let id = accepted(RIDER, DRIVER);
		let doubled = crate::Tariff { base_fare: 2_000, per_km: 1_000, ..t.clone() };
		assert_ok!(RideSettlement::set_tariff(RuntimeOrigin::root(), doubled.clone()));
		assert_eq!(last_event(), Event::TariffSet { version: 1, tariff: doubled.clone() });
		assert_eq!(CurrentTariff::<Test>::get(), Some(1));
		assert!(Tariffs::<Test>::contains_key(0));
		assert_ok!(RideSettlement::start_ride(origin(RIDER), id));
		complete(id, DRIVER);
		assert_ok!(RideSettlement::confirm_ride(origin(RIDER), id));
		assert_eq!(ride(id).outcome.fare, 5_200);
		// Version 0 has no user left: gone.
		assert!(!Tariffs::<Test>::contains_key(0));
		assert_eq!(RideSettlement::quote(5_400, 900).unwrap().fare, 2_000 + 5_400 + 1_500);
		// Version 1 is unused: the next change removes it at once.
		assert_ok!(RideSettlement::set_tariff(RuntimeOrigin::root(), t));
		assert!(!Tariffs::<Test>::contains_key(1));
		assert_eq!(RideSettlement::current_tariff().unwrap().0, 2);
		check();
	});
}

// ------------------------------------------------------------------ views

#[test]
fn views_show_rides_drivers_and_quotes() {
	new_test_ext().execute_with(|| {
		let q = RideSettlement::quote(5_400, 900).unwrap();
		assert_eq!(
			q,
			runtime_api::Quote { tariff: 0, fare: 5_200, city_fee: 156, driver_share: 5_044 }
		);
		let first = completed(RIDER, DRIVER);
		assert_eq!(RideSettlement::ride_view(first).unwrap().quote.unwrap().fare, 5_200);
		assert_ok!(RideSettlement::confirm_ride(origin(RIDER), first));
		assert_eq!(RideSettlement::ride_view(first).unwrap().quote, None);
		let ids: Vec<RideId> = (0..4)
			.map(|_| {
				let id = request(RIDER2);
				assert_ok!(RideSettlement::cancel_ride(origin(RIDER2), id));
				id
			})
			.collect();
		let page = |after, limit| -> Vec<RideId> {
			RideSettlement::rides_of(&account(RIDER2), after, limit)
				.into_iter()
				.map(|v| v.id)
				.collect()
		};
		assert_eq!(page(None, 100), ids);
		assert_eq!(page(None, 2), ids[..2].to_vec());
		assert_eq!(page(Some(ids[1]), 2), ids[2..].to_vec());
		assert_eq!(page(Some(RideId::MAX), 2), Vec::<RideId>::new());
		// The driver sees their ride too.
		assert_eq!(
			RideSettlement::rides_of(&account(DRIVER), None, 10)
				.into_iter()
				.map(|v| v.id)
				.collect::<Vec<_>>(),
			vec![first]
		);
		assert_eq!(RideSettlement::driver_view(&account(OTHER)), None);
		assert!(RideSettlement::ride_view(99).is_none());
	});
}

// ------------------------------------------------------------------ conservation

/// One action of the random sequences.
#[derive(Clone, Debug)]
enum Action {
	Request { rider: u8, max_fare: Balance },
	Accept { driver: u8, ride: RideId },
	Arrive { driver: u8 },
	Start { rider: u8 },
	Complete { driver: u8, distance_m: u32, duration_s: u32 },
	Confirm { rider: u8 },
	Cancel { who: u8, ride: RideId },
	Dispute { who: u8, ride: RideId },
	Resolve { ride: RideId, fare: Balance },
	Wait { blocks: u64 },
	Leave { driver: u8 },
	OnDuty { driver: u8 },
}

fn action() -> impl Strategy<Value = Action> {
	let person = prop_oneof![Just(RIDER), Just(RIDER2), Just(DRIVER), Just(DRIVER2)];
	let driver = prop_oneof![Just(DRIVER), Just(DRIVER2)];
	let rider = prop_oneof![Just(RIDER), Just(RIDER2)];
	prop_oneof![
		(rider.clone(), 2_000u128..20_000)
			.prop_map(|(rider, max_fare)| Action::Request { rider, max_fare }),
		(driver.clone(), 0u64..8).prop_map(|(driver, ride)| Action::Accept { driver, ride }),
		driver.clone().prop_map(|driver| Action::Arrive { driver }),
		rider.clone().prop_map(|rider| Action::Start { rider }),
		(driver.clone(), 0u32..40_000, 0u32..4_000).prop_map(|(driver, distance_m, duration_s)| {
			Action::Complete { driver, distance_m, duration_s }
		}),
		rider.prop_map(|rider| Action::Confirm { rider }),
		(person.clone(), 0u64..8).prop_map(|(who, ride)| Action::Cancel { who, ride }),
		(person, 0u64..8).prop_map(|(who, ride)| Action::Dispute { who, ride }),
		(0u64..8, 0u128..20_000).prop_map(|(ride, fare)| Action::Resolve { ride, fare }),
		(1u64..40).prop_map(|blocks| Action::Wait { blocks }),
		driver.clone().prop_map(|driver| Action::Leave { driver }),
		driver.prop_map(|driver| Action::OnDuty { driver }),
	]
}

/// The open ride of `n` as a rider, or as a driver.
fn open_ride_of(n: u8) -> Option<RideId> {
	if let Some(d) = Drivers::<Test>::get(account(n)) {
		return d.ride;
	}
	crate::Rides::<Test>::iter()
		.filter(|(_, r)| r.rider == account(n) && !r.status.is_closed())
		.map(|(id, _)| id)
		.min()
}

fn apply(action: Action) {
	// Each action may fail; a failed one must change nothing (checked by `check`).
	let _ = match action {
		Action::Request { rider, max_fare } => RideSettlement::request_ride(
			origin(rider),
			place(1, b""),
			place(2, b""),
			max_fare,
			None,
		),
		Action::Accept { driver, ride } => RideSettlement::accept_ride(origin(driver), ride),
		Action::Arrive { driver } => match open_ride_of(driver) {
			Some(id) => RideSettlement::driver_arrived(origin(driver), id, arrived(id)),
			None => Ok(()),
		},
		Action::Start { rider } => match open_ride_of(rider) {
			Some(id) => RideSettlement::start_ride(origin(rider), id),
			None => Ok(()),
		},
		Action::Complete { driver, distance_m, duration_s } => match open_ride_of(driver) {
			Some(id) => {
				let mut summary = trip(id, vehicle_of(driver), distance_m, duration_s);
				summary.duration_s =
					summary.duration_s.min(((summary.end_ms - summary.start_ms) / 1_000) as u32);
				let signature = signed(&summary, vehicle_of(driver));
				RideSettlement::complete_ride(origin(driver), id, summary, signature)
			}
			None => Ok(()),
		},
		Action::Confirm { rider } => {
			let done = crate::Rides::<Test>::iter()
				.find(|(_, r)| r.rider == account(rider) && r.status == RideStatus::Completed)
				.map(|(id, _)| id);
			match done {
				Some(id) => RideSettlement::confirm_ride(origin(rider), id),
				None => Ok(()),
			}
		}
		Action::Cancel { who, ride } => RideSettlement::cancel_ride(origin(who), ride),
		Action::Dispute { who, ride } => {
			RideSettlement::dispute_ride(origin(who), ride, H256::zero())
		}
		Action::Resolve { ride, fare } => {
			RideSettlement::resolve_dispute(RuntimeOrigin::root(), ride, fare)
		}
		Action::Wait { blocks } => {
			run_to(now() + blocks);
			Ok(())
		}
		Action::Leave { driver } => RideSettlement::leave(origin(driver)),
		Action::OnDuty { driver } => {
			if !Drivers::<Test>::contains_key(account(driver)) {
				let _ = RideSettlement::register_driver(origin(driver), vehicle_of(driver));
			}
			RideSettlement::set_on_duty(origin(driver), true)
		}
	};
}

fn everyone() -> Vec<AccountId> {
	let mut all: Vec<AccountId> =
		[RIDER, RIDER2, DRIVER, DRIVER2, OTHER].iter().map(|n| account(*n)).collect();
	all.push(TreasuryAccount::get());
	all
}

fn total_of_everyone() -> Balance {
	everyone().iter().map(Balances::total_balance).sum()
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(200))]

	/// Over random sequences of ride actions: total issuance never changes, nothing leaves
	/// the parties and the treasury, every hold matches what the rides and drivers say, and
	/// once every deadline has passed (rides closed and removed) only the drivers' bonds are
	/// still held; the treasury got exactly the city fees, riders paid exactly fares and fees.
	#[test]
	fn money_is_conserved_over_random_rides(actions in proptest::collection::vec(action(), 1..60)) {
		new_test_ext().execute_with(|| {
			let issuance = Balances::total_issuance();
			let total = total_of_everyone();
			let treasury_start = treasury();
			driver_ready(DRIVER);
			driver_ready(DRIVER2);
			for action in actions {
				apply(action);
				check();
				assert_eq!(Balances::total_issuance(), issuance);
				assert_eq!(total_of_everyone(), total);
			}
			// Every state times out within 1,000 blocks; removal 50 after.
			run_to(now() + 1_100);
			check();
			assert_eq!(crate::Rides::<Test>::iter().count(), 0);
			assert_eq!(Deadlines::<Test>::iter().count(), 0);
			for n in [RIDER, RIDER2] {
				assert_eq!(held(n, HoldReason::RideEscrow), 0);
				assert_eq!(held(n, HoldReason::RideDeposit), 0);
			}
			let stats = Stats::<Test>::get();
			assert_eq!(treasury(), treasury_start + stats.city_fees);
			let signed = |x: Balance| x as i128;
			let riders_now = signed(free(RIDER) + free(RIDER2));
			assert_eq!(
				riders_now - signed(2 * INITIAL),
				signed(stats.penalties) - signed(stats.fares) - signed(stats.cancellation_fees)
			);
			let drivers_now: Balance =
				[DRIVER, DRIVER2].iter().map(|n| Balances::total_balance(&account(*n))).sum();
			assert_eq!(
				signed(drivers_now) - signed(2 * INITIAL),
				signed(stats.driver_income) - signed(stats.penalties)
			);
		});
	}
}

// ------------------------------------------------------------------ review mends

#[test]
fn arrival_is_the_vehicles_word() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		let v = vehicle_of(DRIVER);
		let genesis = RideSettlement::genesis_hash();
		// Signed by another vehicle, for another ride, for another chain.
		for bad in [
			sign(vehicle_of(DRIVER2), &arrival_payload(&genesis, 0, id, v)),
			sign(v, &arrival_payload(&genesis, 0, id + 1, v)),
			sign(v, &arrival_payload(&H256::repeat_byte(9), 0, id, v)),
		] {
			assert_noop!(
				RideSettlement::driver_arrived(origin(DRIVER), id, bad),
				Error::<Test>::BadArrivalSignature
			);
		}
		// A suspended unit's word does not count.
		edit_device(v, |d| d.status = DeviceStatus::Suspended(Suspender::Registrar));
		assert_noop!(
			RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)),
			Error::<Test>::VehicleNotActive
		);
		edit_device(v, |d| d.status = DeviceStatus::Active);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
	});
}

#[test]
fn a_trip_faster_than_a_vehicle_drives_is_refused() {
	new_test_ext().execute_with(|| {
		let id = started(RIDER, DRIVER);
		run_to(now() + 10);
		let v = vehicle_of(DRIVER);
		// 60 s: at most 61 x 60 m.
		let mut summary = trip(id, v, 3_661, 60);
		assert_noop!(
			RideSettlement::complete_ride(origin(DRIVER), id, summary.clone(), signed(&summary, v)),
			Error::<Test>::ImplausibleTrip
		);
		summary.distance_m = 3_660;
		assert_ok!(RideSettlement::complete_ride(
			origin(DRIVER),
			id,
			summary.clone(),
			signed(&summary, v)
		));
	});
}

#[test]
fn a_deadline_processed_late_charges_no_more_waiting() {
	new_test_ext().execute_with(|| {
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::driver_arrived(origin(DRIVER), id, arrived(id)));
		// The hook does not run (blocks full, say) for 500 blocks.
		System::set_block_number(now() + 500);
		assert_ok!(RideSettlement::cancel_ride(origin(DRIVER), id));
		// Waiting counts until the start timeout (15 blocks; 10 beyond the allowance: one
		// minute), not until now.
		assert_cancelled(id, Cancellation::RiderNoShow, 850, 0);
	});
}

#[test]
fn a_city_fee_the_treasury_cannot_take_stays_with_the_rider() {
	new_test_ext().execute_with(|| {
		let id = completed(RIDER, DRIVER);
		assert_ok!(RideSettlement::dispute_ride(origin(RIDER), id, H256::zero()));
		// The treasury account is gone; a fee of 3 (3 % of 100) is below the existential
		// deposit, so it cannot be created with it.
		let treasury_account = TreasuryAccount::get();
		assert_ok!(Balances::transfer_all(
			RuntimeOrigin::signed(treasury_account.clone()),
			account(OTHER),
			false
		));
		assert_eq!(Balances::total_balance(&treasury_account), 0);
		assert_ok!(RideSettlement::resolve_dispute(RuntimeOrigin::root(), id, 100));
		let r = ride(id);
		assert_eq!(r.status, RideStatus::Settled(SettledBy::Arbiter));
		assert_eq!(
			r.outcome,
			Outcome { fare: 97, city_fee: 0, to_driver: 97, penalty: 0, refund: MAX_FARE - 97 }
		);
		assert_eq!(free(RIDER), INITIAL - DEPOSIT - 97);
		assert_eq!(free(DRIVER), INITIAL - 5_000 + 97);
		check();
	});
}

#[test]
fn a_lowered_bond_comes_back_between_rides() {
	new_test_ext().execute_with(|| {
		driver_ready(DRIVER);
		let cheaper = crate::Tariff { driver_bond: 3_000, ..tariff() };
		assert_ok!(RideSettlement::set_tariff(RuntimeOrigin::root(), cheaper));
		// With an open ride the bond stays.
		let id = accepted(RIDER, DRIVER);
		assert_ok!(RideSettlement::set_on_duty(origin(DRIVER), true));
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 5_000);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_ok!(RideSettlement::set_on_duty(origin(DRIVER), true));
		assert_eq!(held(DRIVER, HoldReason::DriverBond), 3_000);
		assert_eq!(Drivers::<Test>::get(account(DRIVER)).unwrap().bond, 3_000);
		check();
	});
}

#[test]
fn a_start_code_is_bound_to_its_rider() {
	new_test_ext().execute_with(|| {
		driver_ready(DRIVER);
		let code = [3u8; 16];
		// RIDER2's hash of the same code does not start RIDER's ride.
		let id = request_with(RIDER, Some(start_code_hash(&account(RIDER2), &code)));
		assert_ok!(RideSettlement::accept_ride(origin(DRIVER), id));
		assert_noop!(
			RideSettlement::start_ride_with_code(origin(DRIVER), id, code),
			Error::<Test>::WrongStartCode
		);
	});
}

#[test]
fn a_former_driver_with_an_open_ride_gives_the_vehicle_up_once_it_ends() {
	new_test_ext().execute_with(|| {
		let d = vehicle_of(DRIVER);
		let id = accepted(RIDER, DRIVER);
		edit_device(d, |v| v.owner = account(OTHER));
		assert_noop!(
			RideSettlement::register_driver(origin(OTHER), d),
			Error::<Test>::VehicleTaken
		);
		assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
		assert_ok!(RideSettlement::register_driver(origin(OTHER), d));
		assert!(events().contains(&Event::DriverLeft { driver: account(DRIVER), released: 5_000 }));
		check();
	});
}

#[test]
fn places_are_at_most_seven_geohash_characters() {
	use codec::{Decode, Encode};
	// A call naming a place with an eight-character geohash does not even decode.
	let seven = (1u32, b"u173zqw".to_vec()).encode();
	let eight = (1u32, b"u173zqwx".to_vec()).encode();
	assert_eq!(Place::decode(&mut &seven[..]).unwrap(), place(1, b"u173zqw"));
	assert!(Place::decode(&mut &eight[..]).is_err());
}

#[test]
fn an_account_with_more_than_a_page_of_rides_pages_in_id_order() {
	new_test_ext().execute_with(|| {
		// 300 rides: ids cross the 255/256 byte boundary, where a little-endian key would sort
		// them out of order.
		let ids: Vec<RideId> = (0..300)
			.map(|_| {
				let id = request(RIDER);
				assert_ok!(RideSettlement::cancel_ride(origin(RIDER), id));
				id
			})
			.collect();
		let page = |after: Option<RideId>, limit: u32| -> Vec<RideId> {
			RideSettlement::rides_of(&account(RIDER), after, limit)
				.into_iter()
				.map(|v| v.id)
				.collect()
		};
		// A page of 100 comes with one more, so that the RPC can tell there is a next page.
		let first = page(None, 100 + 1);
		assert_eq!(first, ids[..101].to_vec());
		// Asking for more than that is capped.
		assert_eq!(page(None, 10_000).len(), 101);
		let mut all = Vec::new();
		let mut after = None;
		loop {
			let mut got = page(after, 101);
			let more = got.len() > 100;
			got.truncate(100);
			after = got.last().copied();
			all.extend(got);
			if !more {
				break;
			}
		}
		assert_eq!(all, ids);
		check();
	});
}

// ------------------------------------------------------------------ migrations

#[test]
fn the_v1_migration_starts_an_empty_queue_at_the_upgrade() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext().execute_with(|| {
		// A chain whose pallet storage is at version 0 (it got the pallet by an upgrade).
		StorageVersion::new(0).put::<RideSettlement>();
		System::set_block_number(500);
		let before = DeadlinesFrom::<Test>::get();
		assert_eq!(before, 0);
		migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		migrations::v1::check_cursor::<Test>(before, true).unwrap();
		assert_eq!(DeadlinesFrom::<Test>::get(), 500);
		assert_eq!(RideSettlement::on_chain_storage_version(), 1);
		// Once: the version guards it.
		System::set_block_number(600);
		migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(DeadlinesFrom::<Test>::get(), 500);
		check();
	});
}

#[test]
fn the_v1_migration_keeps_the_cursor_of_a_queue_with_rides() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext().execute_with(|| {
		let id = request(RIDER);
		StorageVersion::new(0).put::<RideSettlement>();
		System::set_block_number(500);
		let before = DeadlinesFrom::<Test>::get();
		migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		migrations::v1::check_cursor::<Test>(before, false).unwrap();
		assert_eq!(DeadlinesFrom::<Test>::get(), before);
		assert_eq!(RideSettlement::on_chain_storage_version(), 1);
		// The ride's deadline (block 21) is still processed.
		RideSettlement::on_idle(500, Weight::MAX);
		assert_eq!(ride(id).status, RideStatus::Cancelled(Cancellation::Expired));
		check();
	});
}

/// The migration under try-runtime's own driver: `pre_upgrade`, the migration, `post_upgrade`
/// (with the pallet's `try_state`), as `try-runtime on-runtime-upgrade` runs it
/// (`cargo test -p pallet-ride-settlement --features try-runtime migration`; docs/upgrades.md).
#[cfg(feature = "try-runtime")]
#[test]
fn the_v1_migration_passes_its_try_runtime_checks() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	// Without rides: the cursor jumps to the upgrade.
	new_test_ext().execute_with(|| {
		StorageVersion::new(0).put::<RideSettlement>();
		System::set_block_number(500);
		migrations::v1::MigrateV0ToV1::<Test>::try_on_runtime_upgrade(true).unwrap();
		assert_eq!(DeadlinesFrom::<Test>::get(), 500);
		assert_eq!(RideSettlement::on_chain_storage_version(), 1);
	});
	// With a ride: it stays.
	new_test_ext().execute_with(|| {
		request(RIDER);
		StorageVersion::new(0).put::<RideSettlement>();
		let before = DeadlinesFrom::<Test>::get();
		System::set_block_number(500);
		migrations::v1::MigrateV0ToV1::<Test>::try_on_runtime_upgrade(true).unwrap();
		assert_eq!(DeadlinesFrom::<Test>::get(), before);
	});
}
