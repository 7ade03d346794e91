//! Rider and driver agents of ride settlement: drivers register their vehicles (certified by
//! the registrar) and go on duty; riders request rides; drivers accept them; the rider starts
//! the trip; the driver completes it with a trip summary signed by the vehicle's key (outside
//! the node, ed25519-dalek, over the device SDK's payload); the rider confirms and the fare
//! settles. Some rides are cancelled (by the driver: the penalty comes from the bond; by the
//! rider) or disputed (the arbiter, through sudo on dev and local networks, settles them at half
//! the quoted fare). Every transaction is followed to finality ([`crate::tracker`]); the round's
//! report says what was requested, settled, cancelled and disputed, the fares and the city fees.

use std::time::Instant;

use city_device::TripSummary;
use city_primitives::{DeviceClass, ZoneId};
use codec::Encode;
use serde_json::{json, Value};
use sp_core::{crypto::Pair as _, sr25519, H256};

use crate::{
	address, amount,
	chain::{arg, Call, PairSigner},
	next_nonce, now_ms, resigner,
	rpc::field,
	tracker, Client, Options, Outcome, Report, SimDevice, Submission,
};

/// A driver with a certified vehicle.
#[derive(Clone)]
pub struct DriverAgent {
	/// The driver's account (owns the vehicle, holds the bond, is paid).
	pub account: sr25519::Pair,
	/// The vehicle's device (its key signs trip summaries).
	pub vehicle: SimDevice,
}

/// What a ride of the round is to become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
	/// Request, accept, start, complete with a trip of `distance_m` metres, confirm: settled.
	Settle {
		/// Metres driven.
		distance_m: u32,
	},
	/// Request, accept, then the driver cancels (the penalty goes to the rider).
	DriverCancels,
	/// Request, accept, then the rider cancels (free within the grace period).
	RiderCancels,
	/// Like `Settle`, but the rider disputes and the arbiter (sudo) settles at half the fare.
	Dispute {
		/// Metres driven.
		distance_m: u32,
	},
}

impl Plan {
	fn name(self) -> &'static str {
		match self {
			Plan::Settle { .. } => "settle",
			Plan::DriverCancels => "driverCancels",
			Plan::RiderCancels => "riderCancels",
			Plan::Dispute { .. } => "dispute",
		}
	}

	fn drives(self) -> Option<u32> {
		match self {
			Plan::Settle { distance_m } | Plan::Dispute { distance_m } => Some(distance_m),
			_ => None,
		}
	}
}

/// One ride of a round: who, what, and what became of it.
#[derive(Clone, Debug, Default)]
pub struct RideOutcome {
	/// Its id.
	pub ride: u64,
	/// The plan's name.
	pub plan: &'static str,
	/// The rider (SS58).
	pub rider: String,
	/// The driver (SS58).
	pub driver: String,
	/// Its final status (`settled`, `cancelled`).
	pub status: String,
	/// The cancellation case, if cancelled.
	pub cancellation: Option<String>,
	/// The fare the rider paid.
	pub fare: u128,
	/// The city fee out of it.
	pub city_fee: u128,
	/// What the driver got.
	pub to_driver: u128,
	/// What the driver's bond paid the rider.
	pub penalty: u128,
	/// What of the hold went back to the rider.
	pub refund: u128,
	/// The ride's storage deposit (held until the ride leaves storage).
	pub deposit: u128,
	/// Transaction fees the rider paid for this ride.
	pub rider_fees: u128,
	/// Transaction fees the driver paid for this ride.
	pub driver_fees: u128,
}

/// A round of rides.
#[derive(Clone, Debug, Default)]
pub struct RoundReport {
	/// Rides requested.
	pub requested: usize,
	/// Rides settled.
	pub settled: usize,
	/// Rides cancelled.
	pub cancelled: usize,
	/// Rides disputed.
	pub disputed: usize,
	/// Fares paid.
	pub fares: u128,
	/// City fees to the treasury.
	pub city_fees: u128,
	/// Transactions of the round (all finalized).
	pub transactions: usize,
	/// Every submission of the round, counted.
	pub submissions: Report,
	/// Seconds from the first request to the last closing.
	pub seconds: f64,
	/// Every ride, in the order of the pairs.
	pub rides: Vec<RideOutcome>,
}

impl RoundReport {
	/// The report as JSON (amounts as decimal strings).
	pub fn to_json(&self) -> Value {
		let rides: Vec<Value> = self
			.rides
			.iter()
			.map(|r| {
				json!({
					"ride": r.ride,
					"plan": r.plan,
					"rider": r.rider,
					"driver": r.driver,
					"status": r.status,
					"cancellation": r.cancellation,
					"fare": r.fare.to_string(),
					"cityFee": r.city_fee.to_string(),
					"toDriver": r.to_driver.to_string(),
					"penalty": r.penalty.to_string(),
					"refund": r.refund.to_string(),
					"riderFees": r.rider_fees.to_string(),
					"driverFees": r.driver_fees.to_string(),
				})
			})
			.collect();
		let per_second = if self.seconds > 0.0 { self.settled as f64 / self.seconds } else { 0.0 };
		json!({
			"requested": self.requested,
			"settled": self.settled,
			"cancelled": self.cancelled,
			"disputed": self.disputed,
			"fares": self.fares.to_string(),
			"cityFees": self.city_fees.to_string(),
			"transactions": self.transactions,
			"seconds": (self.seconds * 10.0).round() / 10.0,
			"ridesSettledPerSecond": (per_second * 100.0).round() / 100.0,
			"submitted": self.submissions.submitted,
			"finalized": self.submissions.finalized,
			"resubmitted": self.submissions.resubmitted,
			"rejected": self.submissions.rejected,
			"failed": self.submissions.failed,
			"rides": if self.rides.len() <= 20 { Value::Array(rides) } else { Value::Null },
		})
	}
}

/// Where a finalized transaction of a step went, and what it paid.
pub(crate) struct Done {
	/// Its fee.
	pub(crate) fee: u128,
	/// Its block.
	pub(crate) block_hash: H256,
	/// Its index in the block.
	pub(crate) index: u32,
}

/// Runs one transaction per `(signer, call)` to finality (a signer's in nonce order); every one
/// must be finalized and succeed. Returns where each went and its fee, in order.
pub(crate) fn step(
	client: &Client,
	what: &str,
	calls: Vec<(sr25519::Pair, Call)>,
	options: &Options,
	total: &mut Report,
) -> Result<Vec<Done>, String> {
	let at = client.chain()?.current()?;
	let mut nonces: Vec<(sr25519::Public, u32)> = Vec::new();
	let mut submissions = Vec::new();
	let mut signers = Vec::new();
	for (signer, call) in calls {
		let public = signer.public();
		let nonce = match nonces.iter_mut().find(|(who, _)| *who == public) {
			Some((_, next)) => {
				*next += 1;
				*next
			}
			None => {
				let next = next_nonce(client, &signer).map_err(|e| e.to_string())?;
				nonces.push((public, next));
				next
			}
		};
		let lane = nonces.iter().position(|(who, _)| *who == public).unwrap_or(0) as u64;
		submissions.push(Submission {
			label: format!("{what} {}", address(&signer)),
			lane,
			extrinsic: at.signed(&PairSigner(signer.clone()), &call, nonce.into())?,
			resign: Some(resigner(client, signer.clone(), call, nonce)),
		});
		signers.push(signer);
	}
	let count = submissions.len();
	let lanes = Options { lane_limit: options.max_in_flight, ..options.clone() };
	let (report, outcomes) =
		tracker::run(client, submissions, &lanes).map_err(|e| e.to_string())?;
	total.submitted += report.submitted;
	total.finalized += report.finalized;
	total.rejected += report.rejected;
	total.failed += report.failed;
	total.resubmitted += report.resubmitted;
	if report.finalized != count {
		return Err(format!(
			"{what}: {} of {count} finalized: {:?}",
			report.finalized, report.problems
		));
	}
	let chain = client.chain()?;
	outcomes
		.iter()
		.map(|outcome| match outcome {
			Outcome::Finalized { block_hash, index, .. } => Ok(Done {
				fee: chain.fee_paid(*block_hash, *index)?.unwrap_or(0),
				block_hash: *block_hash,
				index: *index,
			}),
			other => Err(format!("{what}: not finalized: {other:?}")),
		})
		.collect()
}

/// The fees of a step's transactions.
fn fees(done: Vec<Done>) -> Vec<u128> {
	done.into_iter().map(|d| d.fee).collect()
}

/// `city_ride` at the finalized head.
pub fn finalized_ride(client: &Client, ride: u64) -> Result<Value, String> {
	let heads = client.heads().map_err(|e| e.to_string())?;
	let head = client
		.block_hash(heads.finalized())
		.map_err(|e| e.to_string())?
		.ok_or("no finalized block hash")?;
	client.call("city_ride", json!([ride, format!("{head:?}")])).map_err(|e| e.to_string())
}

/// Registers (or finds) a vehicle from fleet `seed` for every driver (vehicle `i` for driver
/// `i`), has `registrar` certify them, registers every driver not registered yet with it (a
/// driver registered with another vehicle leaves first; one with an open ride is an error) and
/// puts every driver on duty (which tops the bond up).
pub fn register_drivers(
	client: &Client,
	drivers: &[sr25519::Pair],
	seed: &str,
	zone: ZoneId,
	registrar: &crate::governance::Authority,
	options: &Options,
) -> Result<Vec<DriverAgent>, String> {
	let count = u32::try_from(drivers.len()).map_err(|e| e.to_string())?;
	let (mut vehicles, _) =
		crate::register_fleet(client, drivers, seed, count, DeviceClass::Vehicle, zone, options)?;
	let certified = crate::certify_fleet(client, registrar, &mut vehicles, options)?;
	if certified.finalized != certified.submitted {
		return Err(format!("vehicle certification failed: {:?}", certified.problems));
	}
	let agents: Vec<DriverAgent> = drivers
		.iter()
		.zip(vehicles)
		.map(|(account, vehicle)| DriverAgent { account: account.clone(), vehicle })
		.collect();
	let at = client.chain()?.current()?;
	let mut calls = Vec::new();
	for agent in &agents {
		let driver = match client.call("city_driver", json!([address(&agent.account)])) {
			Ok(driver) => Some(driver),
			Err(crate::RpcError::Rpc { code: 4004, .. }) => None,
			Err(e) => return Err(e.to_string()),
		};
		let registered =
			driver.as_ref().is_some_and(|d| field(d, "status").as_str() != Some("notRegistered"));
		if let Some(ride) = driver.as_ref().and_then(|d| field(d, "ride").as_u64()) {
			return Err(format!(
				"driver {} still has ride {ride} open (a run that stopped half-way?): let it \
				 time out, or cancel it",
				address(&agent.account)
			));
		}
		let same_vehicle =
			driver.as_ref().is_some_and(|d| field(d, "vehicle").as_u64() == Some(agent.vehicle.id));
		if registered && !same_vehicle {
			// Registered with another vehicle (another fleet seed): leave first.
			calls.push((agent.account.clone(), at.call("RideSettlement", "leave", &[])?));
		}
		if !registered || !same_vehicle {
			let call = at.call(
				"RideSettlement",
				"register_driver",
				&[("vehicle", arg(&agent.vehicle.id))],
			)?;
			calls.push((agent.account.clone(), call));
		}
		let on_duty = at.call("RideSettlement", "set_on_duty", &[("on_duty", arg(&true))])?;
		calls.push((agent.account.clone(), on_duty));
	}
	let mut report = Report::default();
	step(client, "driver registration", calls, options, &mut report)?;
	Ok(agents)
}

/// One round: ride `i` is `riders[i]` with `drivers[i]` following `plans[i]`, all in
/// parallel, step by step (requests, acceptances, arrivals if `arrive`, then each plan's
/// steps), each step's transactions finalized before the next. `max_fare` is held from each
/// rider; `arbiter` (the sudo key on dev and local networks) resolves disputes.
#[allow(clippy::too_many_arguments)]
pub fn ride_round(
	client: &Client,
	riders: &[sr25519::Pair],
	drivers: &[DriverAgent],
	plans: &[Plan],
	max_fare: u128,
	arrive: bool,
	arbiter: &crate::governance::Authority,
	options: &Options,
) -> Result<RoundReport, String> {
	let started = Instant::now();
	let n = riders.len().min(drivers.len()).min(plans.len());
	let mut report = RoundReport { requested: n, ..RoundReport::default() };
	let mut rides: Vec<RideOutcome> = Vec::with_capacity(n);
	let at = client.chain()?.current()?;
	let genesis = client.chain()?.genesis_hash();

	// Requests.
	let mut calls = Vec::new();
	for (i, rider) in riders.iter().take(n).enumerate() {
		let place = |zone: u32, geohash: &[u8]| (zone, geohash.to_vec());
		let code: Option<H256> = None;
		let call = at.call(
			"RideSettlement",
			"request_ride",
			&[
				("pickup", arg(&place(1, b"u173zq"))),
				("dropoff", arg(&place(2, b"u173zw"))),
				("max_fare", arg(&max_fare)),
				("start_code", arg(&code)),
			],
		)?;
		calls.push((rider.clone(), call));
		rides.push(RideOutcome {
			plan: plans.get(i).map(|p| p.name()).unwrap_or("settle"),
			rider: address(rider),
			driver: drivers.get(i).map(|d| address(&d.account)).unwrap_or_default(),
			..RideOutcome::default()
		});
	}
	let done = step(client, "request", calls, options, &mut report.submissions)?;
	let chain = client.chain()?;
	for (ride, done) in rides.iter_mut().zip(done) {
		ride.rider_fees += done.fee;
		// The id, from the `RideRequested` event of the request.
		ride.ride = chain
			.event_field::<u64>(done.block_hash, done.index, "RideSettlement", "RideRequested")?
			.ok_or("a request without a RideRequested event")?;
	}

	// Acceptances.
	let at = client.chain()?.current()?;
	let mut calls = Vec::new();
	for (ride, driver) in rides.iter().zip(drivers) {
		let call = at.call("RideSettlement", "accept_ride", &[("ride", arg(&ride.ride))])?;
		calls.push((driver.account.clone(), call));
	}
	let accepted = fees(step(client, "accept", calls, options, &mut report.submissions)?);
	for (ride, fee) in rides.iter_mut().zip(accepted) {
		ride.driver_fees += fee;
	}

	// Arrivals: the vehicle's on-board unit signs that it is at the pick-up.
	if arrive {
		let at = client.chain()?.current()?;
		let mut calls = Vec::new();
		for (ride, driver) in rides.iter().zip(drivers) {
			let payload = city_device::arrival_payload(
				&genesis,
				driver.vehicle.key_epoch,
				ride.ride,
				driver.vehicle.id,
			);
			let signature = crate::device::sign(&driver.vehicle.key, &payload);
			let call = at.call(
				"RideSettlement",
				"driver_arrived",
				&[("ride", arg(&ride.ride)), ("signature", arg(&signature))],
			)?;
			calls.push((driver.account.clone(), call));
		}
		let arrived = fees(step(client, "arrive", calls, options, &mut report.submissions)?);
		for (ride, fee) in rides.iter_mut().zip(arrived) {
			ride.driver_fees += fee;
		}
	}

	// Cancellations, and starts of the trips that are driven.
	let at = client.chain()?.current()?;
	let mut calls = Vec::new();
	let mut who: Vec<(usize, bool)> = Vec::new();
	for (i, ((ride, rider), driver)) in rides.iter().zip(riders).zip(drivers).enumerate() {
		let plan = plans.get(i).copied().unwrap_or(Plan::Settle { distance_m: 1_000 });
		let by_rider = match plan {
			Plan::DriverCancels => {
				calls.push((
					driver.account.clone(),
					at.call("RideSettlement", "cancel_ride", &[("ride", arg(&ride.ride))])?,
				));
				false
			}
			Plan::RiderCancels => {
				calls.push((
					rider.clone(),
					at.call("RideSettlement", "cancel_ride", &[("ride", arg(&ride.ride))])?,
				));
				true
			}
			Plan::Settle { .. } | Plan::Dispute { .. } => {
				calls.push((
					rider.clone(),
					at.call("RideSettlement", "start_ride", &[("ride", arg(&ride.ride))])?,
				));
				true
			}
		};
		who.push((i, by_rider));
	}
	let paid = fees(step(client, "cancel or start", calls, options, &mut report.submissions)?);
	for ((i, by_rider), fee) in who.into_iter().zip(paid) {
		if let Some(ride) = rides.get_mut(i) {
			if by_rider {
				ride.rider_fees += fee;
			} else {
				ride.driver_fees += fee;
			}
		}
	}

	// Completions: the vehicle signs the trip from the chain's start time to now.
	let driven: Vec<usize> =
		(0..n).filter(|i| plans.get(*i).and_then(|p| p.drives()).is_some()).collect();
	if !driven.is_empty() {
		// A trip is at least as long as its distance takes at the chain's top speed
		// (`MAX_SPEED_M_PER_S`, 60 m/s): wait for the longest one.
		let mut starts = Vec::new();
		for &i in &driven {
			let Some(ride) = rides.get(i) else { continue };
			let view = finalized_ride(client, ride.ride)?;
			let start_ms =
				field(&view, "startedMs").as_u64().ok_or("a started ride without a start")?;
			starts.push((i, start_ms));
		}
		let earliest_end = starts
			.iter()
			.filter_map(|(i, start_ms)| {
				let distance_m = plans.get(*i).and_then(|p| p.drives())?;
				Some(start_ms.saturating_add(u64::from(distance_m).div_ceil(60) * 1_000 + 1_000))
			})
			.max()
			.unwrap_or(0);
		while now_ms() < earliest_end {
			std::thread::sleep(std::time::Duration::from_millis(250));
		}
		let at = client.chain()?.current()?;
		let mut calls = Vec::new();
		for &(i, start_ms) in &starts {
			let (Some(ride), Some(driver), Some(distance_m)) =
				(rides.get(i), drivers.get(i), plans.get(i).and_then(|p| p.drives()))
			else {
				continue;
			};
			let end_ms = now_ms().max(start_ms);
			let trip = TripSummary {
				ride: ride.ride,
				vehicle: driver.vehicle.id,
				distance_m,
				duration_s: u32::try_from((end_ms - start_ms) / 1_000).unwrap_or(u32::MAX),
				route_hash: H256::from(city_device::blake2_256(&(ride.ride, distance_m).encode())),
				start_ms,
				end_ms,
			};
			let payload = city_device::trip_payload(&genesis, driver.vehicle.key_epoch, &trip);
			let signature = crate::device::sign(&driver.vehicle.key, &payload);
			let call = at.call(
				"RideSettlement",
				"complete_ride",
				&[("ride", arg(&ride.ride)), ("trip", arg(&trip)), ("signature", arg(&signature))],
			)?;
			calls.push((driver.account.clone(), call));
		}
		let paid = fees(step(client, "complete", calls, options, &mut report.submissions)?);
		for (&i, fee) in driven.iter().zip(paid) {
			if let Some(ride) = rides.get_mut(i) {
				ride.driver_fees += fee;
			}
		}

		// Confirmations, or disputes.
		let at = client.chain()?.current()?;
		let mut calls = Vec::new();
		let mut disputed = Vec::new();
		for &i in &driven {
			let (Some(ride), Some(rider)) = (rides.get(i), riders.get(i)) else { continue };
			let call = if matches!(plans.get(i), Some(Plan::Dispute { .. })) {
				disputed.push(i);
				let reason =
					H256::from(city_device::blake2_256(b"the route was longer than needed"));
				at.call(
					"RideSettlement",
					"dispute_ride",
					&[("ride", arg(&ride.ride)), ("reason", arg(&reason))],
				)?
			} else {
				at.call("RideSettlement", "confirm_ride", &[("ride", arg(&ride.ride))])?
			};
			calls.push((rider.clone(), call));
		}
		let paid =
			fees(step(client, "confirm or dispute", calls, options, &mut report.submissions)?);
		for (&i, fee) in driven.iter().zip(paid) {
			if let Some(ride) = rides.get_mut(i) {
				ride.rider_fees += fee;
			}
		}
		report.disputed = disputed.len();

		// The arbiter settles disputes at half the quoted fare.
		if !disputed.is_empty() {
			let at = client.chain()?.current()?;
			let mut calls = Vec::new();
			for &i in &disputed {
				let Some(ride) = rides.get(i) else { continue };
				let view = finalized_ride(client, ride.ride)?;
				let quoted = amount(field(field(&view, "quote"), "fare"))?;
				calls.push(at.call(
					"RideSettlement",
					"resolve_dispute",
					&[("ride", arg(&ride.ride)), ("fare", arg(&(quoted / 2)))],
				)?);
			}
			let resolved = arbiter.dispatch(client, "resolve disputes", calls, options)?;
			report.submissions.submitted += resolved.submitted;
			report.submissions.finalized += resolved.finalized;
			// A finalized `sudo` does not mean its inner call succeeded: ask the ride.
			for &i in &disputed {
				let Some(ride) = rides.get(i) else { continue };
				let view = finalized_ride(client, ride.ride)?;
				if field(&view, "status").as_str() != Some("settled") {
					return Err(format!(
						"the arbiter's resolve_dispute of ride {} did not settle it (is the \
						 arbiter the sudo key?): {view}",
						ride.ride
					));
				}
			}
		}
	}

	// What the chain says became of each ride.
	for ride in rides.iter_mut() {
		let view = finalized_ride(client, ride.ride)?;
		ride.status = field(&view, "status").as_str().unwrap_or_default().to_string();
		ride.cancellation = field(&view, "cancellation").as_str().map(String::from);
		let outcome = field(&view, "outcome");
		ride.fare = amount(field(outcome, "fare"))?;
		ride.city_fee = amount(field(outcome, "cityFee"))?;
		ride.to_driver = amount(field(outcome, "toDriver"))?;
		ride.penalty = amount(field(outcome, "penalty"))?;
		ride.refund = amount(field(outcome, "refund"))?;
		ride.deposit = amount(field(&view, "deposit"))?;
		match ride.status.as_str() {
			"settled" => report.settled += 1,
			"cancelled" => report.cancelled += 1,
			other => return Err(format!("ride {} ended the round {other}: {view}", ride.ride)),
		}
		report.fares += ride.fare;
		report.city_fees += ride.city_fee;
	}
	report.transactions = report.submissions.finalized;
	report.rides = rides;
	report.seconds = started.elapsed().as_secs_f64();
	Ok(report)
}

/// `n` development accounts named `//{prefix}{i}` (test networks only: anyone can derive
/// them), each sent `amount` by `funder` (every run: what earlier runs spent is made up for).
/// Returns the accounts.
pub fn funded_accounts(
	client: &Client,
	prefix: &str,
	n: u32,
	funder: &sr25519::Pair,
	amount: u128,
	options: &Options,
) -> Result<Vec<sr25519::Pair>, String> {
	let accounts: Vec<sr25519::Pair> = (0..n)
		.map(|i| {
			sr25519::Pair::from_string(&format!("//{prefix}{i}"), None)
				.map_err(|e| format!("account {prefix}{i}: {e:?}"))
		})
		.collect::<Result<_, _>>()?;
	let at = client.chain()?.current()?;
	let mut calls = Vec::new();
	for account in &accounts {
		let dest = arg(&(0u8, account.public().0));
		let value = arg(&codec::Compact(amount));
		calls.push((
			funder.clone(),
			at.call("Balances", "transfer_keep_alive", &[("dest", dest), ("value", value)])?,
		));
	}
	let mut report = Report::default();
	step(client, "funding", calls, options, &mut report)?;
	Ok(accounts)
}
