//! Prosumer and consumer agents of the energy market: a household with solar panels offers its
//! surplus for a coming slot, a neighbour bids for it; during the slot both meters attest
//! their energy counters (signed by the device keys, fee-less), and after it anyone settles
//! the market. Every submission is followed to finality ([`crate::tracker`]); the slot's
//! report says what was ordered, cleared, delivered, paid, forfeited and charged.
//!
//! Counters are attested at the slot's exact boundaries (the chain's time at its first block
//! and at the first block after it, which `city_energyMarket` shows once reached), so
//! settlement reads them without interpolation and the figures can be checked to the unit.
//! A meter records what its household exported (a seller) or imported (a buyer) over the
//! slot: its allocation times [`Agent::metered_percent`] (a prosumer below 100 falls short).

use std::time::{Duration, Instant};

use city_device::{MeasurementKind, Unit};
use serde_json::{json, Value};
use sp_core::{
	crypto::{Pair as _, Ss58Codec},
	sr25519,
};

use crate::{
	amount,
	chain::{arg, PairSigner},
	next_nonce, resigner,
	rpc::field,
	tracker, Client, Options, Outcome, Report, SimDevice, Submission,
};

/// How many blocks before its gate closure a slot must be for the agents to order in it (the
/// orders must be finalized before the gate closes).
pub const MIN_GATE_LEAD: u64 = 4;

/// Which side an agent trades on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
	/// Buys (a consumer).
	Bid,
	/// Sells (a prosumer).
	Ask,
}

impl Side {
	/// The call argument: the pallet's `Side` variant index.
	fn index(self) -> u8 {
		match self {
			Side::Bid => 0,
			Side::Ask => 1,
		}
	}

	/// Its name in the `city_energy*` JSON.
	pub fn name(self) -> &'static str {
		match self {
			Side::Bid => "bid",
			Side::Ask => "ask",
		}
	}

	/// What its meter counts: a seller's export, a buyer's import.
	fn kind(self) -> MeasurementKind {
		match self {
			Side::Bid => MeasurementKind::EnergyImport,
			Side::Ask => MeasurementKind::EnergyExport,
		}
	}
}

/// A household trading through its meter.
#[derive(Clone)]
pub struct Agent {
	/// The account that orders, pays and is paid.
	pub account: sr25519::Pair,
	/// Its certified meter (a smart meter in the market's zone, owned by `account`).
	pub meter: SimDevice,
	/// Bid or ask.
	pub side: Side,
	/// Its price per kWh, in the smallest unit (on the market's grid).
	pub price: u128,
	/// Its quantity, Wh.
	pub quantity_wh: u64,
	/// What its meter counts over the slot, in percent of its allocation (100: exactly the
	/// allocation; a prosumer below 100 under-delivers).
	pub metered_percent: u64,
	/// Its meter's counter before the slot, Wh (the next slot's readings continue from it).
	pub counter_wh: u64,
}

/// What became of one agent's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentOutcome {
	/// The account (SS58).
	pub account: String,
	/// Bid or ask.
	pub side: Side,
	/// The order's id.
	pub order: u64,
	/// The transaction fee its `place_order` paid.
	pub transaction_fee: u128,
	/// Wh the clearing allocated it.
	pub allocated_wh: u64,
	/// Wh its meter counted over the slot (what it attested).
	pub metered_wh: u64,
	/// Its share of the energy that moved, Wh.
	pub energy_wh: u64,
	/// Paid for energy (a buyer).
	pub paid: u128,
	/// Received for energy (a seller).
	pub received: u128,
	/// Grid fee paid to the treasury (a buyer).
	pub grid_fee: u128,
	/// Penalty forfeited (a seller).
	pub penalty: u128,
	/// Compensation received (a buyer left short).
	pub compensation: u128,
}

impl AgentOutcome {
	/// What the order did to the account's balance, transaction fee included.
	pub fn balance_change(&self) -> i128 {
		let gained = self.received.saturating_add(self.compensation);
		let spent = self
			.paid
			.saturating_add(self.grid_fee)
			.saturating_add(self.penalty)
			.saturating_add(self.transaction_fee);
		i128::try_from(gained).unwrap_or(i128::MAX) - i128::try_from(spent).unwrap_or(i128::MAX)
	}
}

/// A slot traded by the agents.
#[derive(Clone, Debug, Default)]
pub struct SlotReport {
	/// The zone.
	pub zone: u32,
	/// The slot.
	pub slot: u32,
	/// Orders placed and finalized.
	pub orders_placed: usize,
	/// The clearing price per kWh (`None`: the market did not trade).
	pub clearing_price: Option<u128>,
	/// Wh the clearing matched.
	pub volume_wh: u64,
	/// Wh that moved through the market (what the meters bear out).
	pub energy_wh: u64,
	/// What buyers paid for energy.
	pub paid: u128,
	/// Grid fees to the city treasury.
	pub grid_fees: u128,
	/// Penalties sellers forfeited.
	pub penalties: u128,
	/// Penalties paid to buyers left short.
	pub compensated: u128,
	/// Counter readings attested (fee-less).
	pub readings: usize,
	/// `settle` calls it took.
	pub settle_calls: usize,
	/// Transaction fees of the orders and settle calls.
	pub transaction_fees: u128,
	/// The settle calls' transaction fees.
	pub settle_fees: u128,
	/// Every agent's outcome, in the agents' order.
	pub agents: Vec<AgentOutcome>,
	/// Every submission of the slot, counted.
	pub submissions: Report,
	/// Seconds from the first order to the settled market.
	pub seconds: f64,
}

impl SlotReport {
	/// The report as JSON (amounts as decimal strings: u128 does not fit JSON numbers).
	pub fn to_json(&self) -> Value {
		let agents: Vec<Value> = self
			.agents
			.iter()
			.map(|a| {
				json!({
					"account": a.account,
					"side": a.side.name(),
					"order": a.order,
					"allocatedWh": a.allocated_wh,
					"meteredWh": a.metered_wh,
					"energyWh": a.energy_wh,
					"paid": a.paid.to_string(),
					"received": a.received.to_string(),
					"gridFee": a.grid_fee.to_string(),
					"penalty": a.penalty.to_string(),
					"compensation": a.compensation.to_string(),
					"transactionFee": a.transaction_fee.to_string(),
					"balanceChange": a.balance_change().to_string(),
				})
			})
			.collect();
		json!({
			"zone": self.zone,
			"slot": self.slot,
			"ordersPlaced": self.orders_placed,
			"clearingPrice": self.clearing_price.map(|p| p.to_string()),
			"volumeWh": self.volume_wh,
			"energyWh": self.energy_wh,
			"paid": self.paid.to_string(),
			"gridFeesToTreasury": self.grid_fees.to_string(),
			"penalties": self.penalties.to_string(),
			"compensated": self.compensated.to_string(),
			"readings": self.readings,
			"settleCalls": self.settle_calls,
			"transactionFees": self.transaction_fees.to_string(),
			"seconds": (self.seconds * 10.0).round() / 10.0,
			"submitted": self.submissions.submitted,
			"finalized": self.submissions.finalized,
			"rejected": self.submissions.rejected,
			"failed": self.submissions.failed,
			"agents": agents,
		})
	}
}

fn number(value: &Value) -> Result<u64, String> {
	value.as_u64().ok_or_else(|| format!("not a number: {value}"))
}

/// `city_energyMarket` at the finalized head.
pub fn finalized_market(client: &Client, zone: u32, slot: u32) -> Result<Value, String> {
	let heads = client.heads().map_err(|e| e.to_string())?;
	let head = client
		.block_hash(heads.finalized())
		.map_err(|e| e.to_string())?
		.ok_or("no finalized block hash")?;
	client
		.call("city_energyMarket", json!([zone, slot, format!("{head:?}")]))
		.map_err(|e| e.to_string())
}

/// Waits until `check` on the finalized market gives a value.
fn wait_market<T>(
	client: &Client,
	zone: u32,
	slot: u32,
	what: &str,
	deadline: Instant,
	mut check: impl FnMut(&Value) -> Option<T>,
) -> Result<T, String> {
	loop {
		let market = finalized_market(client, zone, slot)?;
		if let Some(found) = check(&market) {
			return Ok(found);
		}
		if Instant::now() > deadline {
			return Err(format!("zone {zone} slot {slot}: timed out waiting for {what}: {market}"));
		}
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// The first slot whose gate closes at least [`MIN_GATE_LEAD`] blocks after the best block.
pub fn next_slot(client: &Client, zone: u32) -> Result<u32, String> {
	let schedule = client.call("city_energySchedule", json!([])).map_err(|e| e.to_string())?;
	let mut slot =
		u32::try_from(number(field(&schedule, "nextOpenSlot"))?).map_err(|e| e.to_string())?;
	let best = u64::from(client.heads().map_err(|e| e.to_string())?.best());
	for _ in 0..16 {
		let market =
			client.call("city_energyMarket", json!([zone, slot])).map_err(|e| e.to_string())?;
		if number(field(&market, "gateClosureBlock"))? >= best.saturating_add(MIN_GATE_LEAD) {
			return Ok(slot);
		}
		slot = slot.saturating_add(1);
	}
	Err("no slot with a gate far enough ahead".into())
}

/// Runs submissions to finality; every one must be finalized. Adds the counts to `total`;
/// returns the outcomes.
fn run_all(
	client: &Client,
	what: &str,
	submissions: Vec<Submission>,
	options: &Options,
	total: &mut Report,
) -> Result<Vec<Outcome>, String> {
	let count = submissions.len();
	let (report, outcomes) =
		tracker::run(client, submissions, options).map_err(|e| e.to_string())?;
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
	Ok(outcomes)
}

/// The fee a finalized transaction paid.
fn fee_of(client: &Client, outcome: &Outcome) -> Result<u128, String> {
	match outcome {
		Outcome::Finalized { block_hash, index, .. } => {
			Ok(client.chain()?.fee_paid(*block_hash, *index)?.unwrap_or(0))
		}
		other => Err(format!("not finalized: {other:?}")),
	}
}

/// Each agent's counter reading at `timestamp_ms`, attested fee-less.
fn counter_readings(
	client: &Client,
	agents: &mut [Agent],
	values: &[u64],
	timestamp_ms: u64,
) -> Result<Vec<Submission>, String> {
	let at = client.chain()?.current()?;
	let mut submissions = Vec::new();
	for (agent, value) in agents.iter_mut().zip(values) {
		let value = i64::try_from(*value).map_err(|e| e.to_string())?;
		let reading =
			agent.meter.next_reading(agent.side.kind(), value, Unit::WattHour, timestamp_ms);
		submissions.push(Submission {
			label: format!("meter {} counter {}", agent.meter.id, reading.seq),
			lane: agent.meter.id,
			extrinsic: agent.meter.reading_extrinsic(&at, &reading)?,
			// ed25519 signatures are deterministic: the same bytes wait out a ban.
			resign: None,
		});
	}
	Ok(submissions)
}

/// The agents trade one slot of `zone`'s market, the first whose gate is far enough ahead:
/// they order, their meters attest their counters at the slot's start and end, and `settler`
/// settles the market once the slot is over. Returns the slot's report.
pub fn trade_slot(
	client: &Client,
	agents: &mut [Agent],
	zone: u32,
	settler: &sr25519::Pair,
	options: &Options,
) -> Result<SlotReport, String> {
	let started = Instant::now();
	let deadline = started + options.timeout;
	let slot = next_slot(client, zone)?;
	let mut report = SlotReport { zone, slot, ..SlotReport::default() };
	// Orders: one per agent, each account's nonces in its own lane.
	let at = client.chain()?.current()?;
	let mut submissions = Vec::new();
	let mut nonces: Vec<(sp_core::sr25519::Public, u32)> = Vec::new();
	for (lane, agent) in agents.iter().enumerate() {
		let public = agent.account.public();
		let nonce = match nonces.iter_mut().find(|(who, _)| *who == public) {
			Some((_, next)) => {
				*next += 1;
				*next
			}
			None => {
				let next = next_nonce(client, &agent.account).map_err(|e| e.to_string())?;
				nonces.push((public, next));
				next
			}
		};
		let call = at.call(
			"EnergyMarket",
			"place_order",
			&[
				("zone", arg(&zone)),
				("slot", arg(&slot)),
				("side", arg(&agent.side.index())),
				("price", arg(&agent.price)),
				("quantity_wh", arg(&agent.quantity_wh)),
				("meter", arg(&agent.meter.id)),
			],
		)?;
		submissions.push(Submission {
			label: format!(
				"order {} {} Wh at {}",
				agent.side.name(),
				agent.quantity_wh,
				agent.price
			),
			lane: lane as u64,
			extrinsic: at.signed(&PairSigner(agent.account.clone()), &call, nonce.into())?,
			resign: Some(resigner(client, agent.account.clone(), call, nonce)),
		});
	}
	let outcomes = run_all(client, "orders", submissions, options, &mut report.submissions)?;
	report.orders_placed = outcomes.len();
	let mut order_fees = Vec::new();
	for outcome in &outcomes {
		order_fees.push(fee_of(client, outcome)?);
	}

	// The allocations, once the market has cleared at gate closure.
	wait_market(client, zone, slot, "the clearing", deadline, |m| {
		matches!(field(m, "status").as_str(), Some("cleared" | "noTrade")).then_some(())
	})?;
	let mut orders = Vec::new();
	for agent in agents.iter() {
		let address = sp_runtime::AccountId32::from(agent.account.public()).to_ss58check();
		let listed =
			client.call("city_energyOrders", json!([address])).map_err(|e| e.to_string())?;
		let order = field(&listed, "orders")
			.as_array()
			.and_then(|all| {
				all.iter().find(|o| {
					field(o, "slot").as_u64() == Some(u64::from(slot))
						&& field(o, "zone").as_u64() == Some(u64::from(zone))
						&& field(o, "meter").as_u64() == Some(agent.meter.id)
						&& field(o, "side").as_str() == Some(agent.side.name())
				})
			})
			.cloned()
			.ok_or_else(|| format!("meter {}'s order is not listed: {listed}", agent.meter.id))?;
		orders.push(order);
	}
	let mut metered = Vec::new();
	for order in &orders {
		let allocated = field(order, "allocatedWh").as_u64().unwrap_or(0);
		metered.push(allocated);
	}
	for (agent, allocated) in agents.iter().zip(metered.iter_mut()) {
		*allocated = allocated.saturating_mul(agent.metered_percent) / 100;
	}

	// The slot's boundaries: the chain's time at its first block and at the first block
	// after it. The counters at both are attested once the slot is over, in order (a meter's
	// readings are one lane).
	let start_ms = wait_market(client, zone, slot, "the slot's start", deadline, |m| {
		field(m, "startMs").as_u64()
	})?;
	let end_ms = wait_market(client, zone, slot, "the slot's end", deadline, |m| {
		field(m, "endMs").as_u64()
	})?;
	let starts: Vec<u64> = agents.iter().map(|a| a.counter_wh).collect();
	let ends: Vec<u64> =
		agents.iter().zip(&metered).map(|(a, m)| a.counter_wh.saturating_add(*m)).collect();
	let mut readings = counter_readings(client, agents, &starts, start_ms)?;
	readings.extend(counter_readings(client, agents, &ends, end_ms)?);
	report.readings += readings.len();
	run_all(client, "counter readings", readings, options, &mut report.submissions)?;
	for (agent, end) in agents.iter_mut().zip(&ends) {
		agent.counter_wh = *end;
	}

	// Settlement: `settle` until the market says done (each call does up to MaxSettlePerCall).
	let mut settle_fees = 0u128;
	loop {
		let market = finalized_market(client, zone, slot)?;
		if field(field(&market, "settlement"), "phase").as_str() == Some("done") {
			break;
		}
		if Instant::now() > deadline {
			return Err(format!("zone {zone} slot {slot} did not settle: {market}"));
		}
		let at = client.chain()?.current()?;
		let nonce = next_nonce(client, settler).map_err(|e| e.to_string())?;
		let call =
			at.call("EnergyMarket", "settle", &[("zone", arg(&zone)), ("slot", arg(&slot))])?;
		let submission = Submission {
			label: format!("settle zone {zone} slot {slot}"),
			lane: 0,
			extrinsic: at.signed(&PairSigner(settler.clone()), &call, nonce.into())?,
			resign: Some(resigner(client, settler.clone(), call, nonce)),
		};
		// A settle call can fail for reasons that pass: another order's readings are still
		// pending (until the deadline), or someone else settled the market first. Look again.
		let (run, outcomes) =
			tracker::run(client, vec![submission], options).map_err(|e| e.to_string())?;
		report.submissions.submitted += run.submitted;
		report.submissions.finalized += run.finalized;
		report.submissions.failed += run.failed;
		report.submissions.rejected += run.rejected;
		report.settle_calls += 1;
		for outcome in &outcomes {
			match outcome {
				Outcome::Finalized { .. } => {
					settle_fees = settle_fees.saturating_add(fee_of(client, outcome)?)
				}
				Outcome::Failed { block, error } => {
					// The settler sends one transaction at a time: its fee in that block.
					let hash =
						client.block_hash(*block).map_err(|e| e.to_string())?.ok_or("no block")?;
					let fee = client.chain()?.fees_paid_by(hash, settler.public().0)?;
					settle_fees = settle_fees.saturating_add(fee);
					if options.verbose {
						eprintln!("city-sim: settle zone {zone} slot {slot} failed: {error}");
					}
					std::thread::sleep(Duration::from_secs(6));
				}
				other => return Err(format!("settle zone {zone} slot {slot}: {other:?}")),
			}
		}
	}

	// The figures, from the chain.
	let market = finalized_market(client, zone, slot)?;
	let settlement = field(&market, "settlement");
	let clearing = field(&market, "clearing");
	report.clearing_price =
		if clearing.is_null() { None } else { Some(amount(field(clearing, "price"))?) };
	report.volume_wh = field(clearing, "volumeWh").as_u64().unwrap_or(0);
	report.energy_wh = number(field(settlement, "energyWh"))?;
	report.paid = amount(field(settlement, "collected"))?;
	report.grid_fees = amount(field(settlement, "fees"))?;
	report.penalties = amount(field(settlement, "penalties"))?;
	report.compensated = amount(field(settlement, "compensated"))?;
	report.settle_fees = settle_fees;
	report.transaction_fees = order_fees.iter().sum::<u128>().saturating_add(settle_fees);
	for ((agent, order), fee) in agents.iter().zip(&orders).zip(&order_fees) {
		let address = sp_runtime::AccountId32::from(agent.account.public()).to_ss58check();
		let id = number(field(order, "id"))?;
		let listed = client
			.call("city_energyOrders", json!([address.clone()]))
			.map_err(|e| e.to_string())?;
		let settled = field(&listed, "orders")
			.as_array()
			.and_then(|all| all.iter().find(|o| field(o, "id").as_u64() == Some(id)))
			.cloned()
			.ok_or_else(|| format!("order {id} is gone: {listed}"))?;
		report.agents.push(AgentOutcome {
			account: address,
			side: agent.side,
			order: id,
			transaction_fee: *fee,
			allocated_wh: field(&settled, "allocatedWh").as_u64().unwrap_or(0),
			metered_wh: number(field(&settled, "meteredWh"))?,
			energy_wh: number(field(&settled, "energyWh"))?,
			paid: amount(field(&settled, "paid"))?,
			received: amount(field(&settled, "received"))?,
			grid_fee: amount(field(&settled, "fee"))?,
			penalty: amount(field(&settled, "penalty"))?,
			compensation: amount(field(&settled, "compensation"))?,
		});
	}
	report.seconds = started.elapsed().as_secs_f64();
	Ok(report)
}

/// What an agent is to do, before its meter exists.
#[derive(Clone)]
pub struct AgentSpec {
	/// The account that orders, pays and is paid (and owns the meter).
	pub account: sr25519::Pair,
	/// Bid or ask.
	pub side: Side,
	/// Its price per kWh.
	pub price: u128,
	/// Its quantity, Wh.
	pub quantity_wh: u64,
	/// What its meter counts, in percent of its allocation.
	pub metered_percent: u64,
}

/// Registers (or finds) a smart meter in `zone` for every agent of `specs`, owned by its
/// account, from fleet `seed` (meter `i` for agent `i`), has `registrar` certify them, and
/// resumes each meter's counter from its latest attested reading.
pub fn register_agents(
	client: &Client,
	specs: Vec<AgentSpec>,
	seed: &str,
	zone: u32,
	registrar: &crate::governance::Authority,
	options: &Options,
) -> Result<Vec<Agent>, String> {
	let owners: Vec<sr25519::Pair> = specs.iter().map(|s| s.account.clone()).collect();
	let count = u32::try_from(specs.len()).map_err(|e| e.to_string())?;
	let (mut meters, _) = crate::register_fleet(
		client,
		&owners,
		seed,
		count,
		city_primitives::DeviceClass::SmartMeter,
		zone,
		options,
	)?;
	let certified = crate::certify_fleet(client, registrar, &mut meters, options)?;
	if certified.finalized != certified.submitted {
		return Err(format!("meter certification failed: {:?}", certified.problems));
	}
	let mut agents = Vec::new();
	for (spec, meter) in specs.into_iter().zip(meters) {
		let latest =
			client.call("city_latestReadings", json!([meter.id])).map_err(|e| e.to_string())?;
		let kind = match spec.side {
			Side::Bid => "energyImport",
			Side::Ask => "energyExport",
		};
		let counter_wh = latest
			.as_array()
			.and_then(|all| all.iter().find(|r| field(r, "kind").as_str() == Some(kind)))
			.and_then(|r| field(r, "value").as_u64())
			.unwrap_or(0);
		agents.push(Agent {
			account: spec.account,
			meter,
			side: spec.side,
			price: spec.price,
			quantity_wh: spec.quantity_wh,
			metered_percent: spec.metered_percent,
			counter_wh,
		});
	}
	Ok(agents)
}

/// Order placement under load: every trader's meters each offer `quantity_wh` at `price` in
/// `slots` consecutive slots from `first_slot` (one order per meter and slot: a meter's energy
/// counts once), signed by the meter's owner, an account's orders in nonce order.
pub fn order_submissions(
	client: &Client,
	traders: &[(sr25519::Pair, Vec<SimDevice>)],
	zone: u32,
	first_slot: u32,
	slots: u32,
	price: u128,
	quantity_wh: u64,
) -> Result<Vec<Submission>, String> {
	let at = client.chain()?.current()?;
	let mut submissions = Vec::new();
	for (lane, (trader, meters)) in traders.iter().enumerate() {
		let mut nonce = next_nonce(client, trader).map_err(|e| e.to_string())?;
		for slot in first_slot..first_slot.saturating_add(slots) {
			for meter in meters {
				let call = at.call(
					"EnergyMarket",
					"place_order",
					&[
						("zone", arg(&zone)),
						("slot", arg(&slot)),
						("side", arg(&Side::Ask.index())),
						("price", arg(&price)),
						("quantity_wh", arg(&quantity_wh)),
						("meter", arg(&meter.id)),
					],
				)?;
				submissions.push(Submission {
					label: format!("order meter {} slot {slot}", meter.id),
					lane: lane as u64,
					extrinsic: at.signed(&PairSigner(trader.clone()), &call, nonce.into())?,
					resign: Some(resigner(client, trader.clone(), call, nonce)),
				});
				nonce += 1;
			}
		}
	}
	Ok(submissions)
}
