//! End-to-end: two rides on the running dev node of the attestation scenario (no node of its
//! own), through the simulator's rider and driver agents ([`city_sim::rides`]): Bob drives Dave
//! from request to settlement (arrival and trip summary signed by Bob's vehicle key outside
//! the node, ed25519-dalek over the device SDK's payloads), Charlie accepts Eve's request,
//! arrives and cancels it.
//! The riders', drivers' and treasury's balances must match the tariff to the unit.

use std::time::Duration;

use city_sim::{
	governance::Authority,
	rides::{self, Plan},
	Client, Options,
};
use serde_json::json;
use sp_core::{crypto::Pair as _, sr25519};

use crate::common::*;

/// A CITY and a milli-CITY in the smallest unit (12 decimals).
const UNIT: u128 = 1_000_000_000_000;
const MILLI: u128 = 1_000_000_000;

fn dev(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{name}"), None).unwrap()
}

fn account(pair: &sr25519::Pair) -> citychain_runtime::AccountId {
	pair.public().into()
}

/// The rides, on the dev node behind `client` (test presets' tariff: 2 CITY base, 1.5 per km,
/// 0.3 per minute, minimum 5, city fee 3 %, driver bond 50, driver's cancellation 5). Returns
/// the settled ride's id and its driver's address (for the bad-input scenario).
pub fn one_ride_settles_and_one_is_cancelled(client: &Client, rpc_port: u16) -> (u64, String) {
	let options = Options {
		resubmit_after: Duration::from_secs(12),
		timeout: Duration::from_secs(300),
		verbose: true,
		..Options::default()
	};
	let (bob, charlie, dave, eve) = (dev("Bob"), dev("Charlie"), dev("Dave"), dev("Eve"));
	let tariff = rpc(rpc_port, "city_rideStats", json!([])).unwrap()["tariff"].clone();
	let bond: u128 = tariff["driverBond"].as_str().unwrap().parse().unwrap();
	let penalty: u128 = tariff["driverCancelPenalty"].as_str().unwrap().parse().unwrap();
	assert_eq!((bond, penalty), (50 * UNIT, 5 * UNIT));
	assert_eq!(tariff["cityFeeBps"], json!(300));
	let drivers = rides::register_drivers(
		client,
		&[bob.clone(), charlie.clone()],
		"e2e-rides",
		1,
		&Authority::sudo(dev("Alice")),
		&options,
	)
	.unwrap();
	let treasury = citychain_runtime::configs::CityTreasuryAccount::get();
	let everyone: Vec<citychain_runtime::AccountId> =
		[&dave, &eve, &bob, &charlie].into_iter().map(account).collect();
	let snapshot = || {
		let (head, _) = finalized(rpc_port).unwrap();
		everyone
			.iter()
			.chain([&treasury])
			.map(|who| {
				let info = account_info(rpc_port, who, head).map(|i| i.data);
				info.map_or((0, 0), |data| (data.free, data.reserved))
			})
			.collect::<Vec<(u128, u128)>>()
	};
	let before = snapshot();
	let stats_before = rpc(rpc_port, "city_rideStats", json!([])).unwrap();

	// 3 km: above the minimum fare, and at least 50 s at the chain's top speed (the simulator
	// waits for that).
	let distance_m = 3_000;
	let max_fare = 30 * UNIT;
	let report = rides::ride_round(
		client,
		&[dave.clone(), eve.clone()],
		&drivers,
		&[Plan::Settle { distance_m }, Plan::DriverCancels],
		max_fare,
		// Every step of the state machine: the vehicles sign their arrivals too.
		true,
		&Authority::sudo(dev("Alice")),
		&options,
	)
	.unwrap();
	println!("FIGURE rides e2e round: {}", report.to_json());
	let after = snapshot();
	let (settled, cancelled) = (&report.rides[0], &report.rides[1]);

	// The settled ride: the fare from the tariff for the vehicle's summary (3 km and the
	// trip's seconds), 3 % of it to the treasury, the rest to Bob, the rest of the hold back.
	let ride = rpc(rpc_port, "city_ride", json!([settled.ride])).unwrap();
	assert_eq!(ride["status"], json!("settled"));
	assert_eq!(ride["settledBy"], json!("rider"));
	let duration_s = u128::from(ride["trip"]["durationS"].as_u64().unwrap());
	assert_eq!(ride["trip"]["distanceM"], json!(distance_m));
	// Waiting beyond the 2-minute allowance (none unless the node was slow) is charged too.
	let waited_min = u128::from(ride["waitedMin"].as_u64().unwrap());
	let fare = 2 * UNIT
		+ 1_500 * MILLI * 3_000 / 1_000
		+ 300 * MILLI * duration_s / 60
		+ 300 * MILLI * waited_min;
	assert!(fare > 5 * UNIT, "above the minimum fare");
	let city_fee = fare * 300 / 10_000;
	assert_eq!(settled.fare, fare);
	assert_eq!(settled.city_fee, city_fee);
	assert_eq!(settled.to_driver, fare - city_fee);
	assert_eq!(settled.refund, max_fare - fare);
	let quote = rpc(rpc_port, "city_rideQuote", json!([3_000, duration_s as u64])).unwrap();
	assert_eq!(quote["fare"], json!(fare.to_string()));
	assert_eq!(quote["cityFee"], json!(city_fee.to_string()));

	// The cancelled ride: Charlie cancelled after accepting: his bond pays Eve the penalty.
	assert_eq!(cancelled.status, "cancelled");
	assert_eq!(cancelled.cancellation.as_deref(), Some("byDriver"));
	assert_eq!((cancelled.fare, cancelled.penalty, cancelled.refund), (0, penalty, max_fare));

	// Every balance, to the unit. Riders: the fare (Dave), the penalty (Eve), transaction
	// fees; each ride's deposit stays held until the ride leaves storage. Drivers: the fare's
	// share (Bob), the penalty out of the bond (Charlie; the bond is his reserved balance),
	// transaction fees. The treasury: the city fee and every transaction fee.
	let deposit = settled.deposit;
	assert!(deposit > 0);
	let change = |i: usize| after[i].0 as i128 - before[i].0 as i128;
	let held = |i: usize| after[i].1 as i128 - before[i].1 as i128;
	assert_eq!(change(0), -(fare as i128) - deposit as i128 - settled.rider_fees as i128, "Dave");
	assert_eq!(held(0), deposit as i128, "Dave's deposit");
	assert_eq!(change(1), penalty as i128 - deposit as i128 - cancelled.rider_fees as i128, "Eve");
	assert_eq!(held(1), deposit as i128, "Eve's deposit");
	assert_eq!(change(2), (fare - city_fee) as i128 - settled.driver_fees as i128, "Bob");
	assert_eq!(held(2), 0, "Bob's bond");
	assert_eq!(change(3), -(cancelled.driver_fees as i128), "Charlie");
	assert_eq!(held(3), -(penalty as i128), "Charlie's bond paid the penalty");
	let fees: u128 = report.rides.iter().map(|r| r.rider_fees + r.driver_fees).sum();
	assert!(settled.rider_fees > 0 && settled.driver_fees > 0);
	assert_eq!(change(4), (city_fee + fees) as i128, "the treasury");

	// The platform's totals moved by the same.
	let stats = rpc(rpc_port, "city_rideStats", json!([])).unwrap();
	let moved = |key: &str| -> u128 {
		let get = |v: &serde_json::Value| -> u128 { v[key].as_str().unwrap().parse().unwrap() };
		get(&stats) - get(&stats_before)
	};
	assert_eq!(moved("fares"), fare);
	assert_eq!(moved("cityFees"), city_fee);
	assert_eq!(moved("penalties"), penalty);
	assert_eq!(stats["settled"].as_u64().unwrap() - stats_before["settled"].as_u64().unwrap(), 1);
	// Charlie is off duty until his bond is topped up; Bob is on duty with his whole bond.
	let charlie_view =
		rpc(rpc_port, "city_driver", json!([account(&charlie).to_string()])).unwrap();
	assert_eq!(charlie_view["status"], json!("offDuty"));
	assert_eq!(charlie_view["bond"], json!((bond - penalty).to_string()));
	let bob_view = rpc(rpc_port, "city_driver", json!([account(&bob).to_string()])).unwrap();
	assert_eq!(bob_view["status"], json!("onDuty"));
	assert_eq!(bob_view["ride"], json!(null));
	(settled.ride, account(&bob).to_string())
}
