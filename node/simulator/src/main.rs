//! `city-sim`: simulate a fleet of city devices and their gateway against a CityChain node.
//!
//! ```text
//! city-sim keys --seed demo --count 3
//! city-sim register --seed demo --count 100 --owner //Alice --owner //Bob
//! city-sim readings --seed demo --devices 100 --per-device 20
//! city-sim batches --seed demo --devices 10 --batches 5 --size 1000 --prove 500
//! city-sim transfers --sender //Alice --sender //Bob --per-sender 500
//! city-sim flood --seed flood --devices 400 --per-device 50 --per-sender 500
//! city-sim energy --prosumer //Bob --prosumer //Charlie --consumer //Dave --consumer //Eve \
//!     --slots 3 --shortfall-percent 40
//! city-sim rides --drivers 50 --rounds 3 --cancel-percent 10 --dispute-percent 10 --arrive
//! ```
//! Devices are certified by the city registrar so they submit fee-less (`--uncertified` leaves
//! them as they are): on a development chain `--registrar` is the sudo key; on any other chain
//! (a local testnet has no sudo key) the `--council` members pass a council motion.
//! Every command prints one JSON report on stdout (submitted, finalized, resubmitted,
//! rejected, ...) and exits non-zero if anything was rejected, failed or left unresolved.

// No slicing or indexing of what the node sends back.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use std::{process::ExitCode, time::Duration};

use city_device::{MeasurementKind, Unit};
use city_primitives::DeviceClass;
use city_sim::{rpc::hex_encode, Client, Options, Report};
use clap::{Parser, Subcommand};
use serde_json::json;
use sp_core::crypto::Pair as _;

#[derive(Parser)]
#[command(name = "city-sim", about = "CityChain device and gateway simulator")]
struct Cli {
	/// The node's JSON-RPC endpoint over WebSocket: `ws://host:port`, or `wss://host` for a
	/// node behind TLS (`http(s)://` names the same node's WebSocket).
	#[arg(long, global = true, default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// For `wss://`: trust only the certificate authorities in this PEM file (a city's own
	/// PKI) instead of the system's.
	#[arg(long, global = true)]
	ca_cert: Option<std::path::PathBuf>,
	/// Most submissions in flight (sent, not yet finalized).
	#[arg(long, global = true, default_value_t = 4096)]
	max_in_flight: usize,
	/// Seconds after which an unfinalized submission is sent again.
	#[arg(long, global = true, default_value_t = 30)]
	resubmit_after: u64,
	/// Seconds the whole run may take.
	#[arg(long, global = true, default_value_t = 900)]
	timeout: u64,
	/// Print progress to stderr.
	#[arg(long, short, global = true)]
	verbose: bool,
	/// The council's members, who pass the motions of the city's roles (certifying devices,
	/// arbitrating rides) on chains without a sudo key: `//Name`, `env:VAR` or `file:PATH`,
	/// comma-separated (all of them vote: every role's threshold is met).
	#[arg(
		long,
		global = true,
		value_delimiter = ',',
		default_value = "//Alice,//Bob,//Charlie,//Dave"
	)]
	council: Vec<String>,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Print the public keys of fleet devices (no node needed).
	Keys {
		/// Fleet name: the same seed gives the same keys.
		#[arg(long, default_value = "city-sim")]
		seed: String,
		/// Number of devices.
		#[arg(long, default_value_t = 1)]
		count: u32,
	},
	/// Register fleet devices that are not registered yet.
	Register {
		#[command(flatten)]
		fleet: Fleet,
	},
	/// Attest single readings (fee-less bare extrinsics), registering devices as needed.
	Readings {
		#[command(flatten)]
		fleet: Fleet,
		/// Readings per device.
		#[arg(long, default_value_t = 10)]
		per_device: u32,
	},
	/// Anchor Merkle batches of readings, registering devices as needed.
	Batches {
		#[command(flatten)]
		fleet: Fleet,
		/// Batches per device.
		#[arg(long, default_value_t = 1)]
		batches: u32,
		/// Readings per batch.
		#[arg(long, default_value_t = 1000)]
		size: u32,
		/// Prove this reading (leaf index) of the first batch with `city_verifyReading`.
		#[arg(long)]
		prove: Option<u32>,
	},
	/// Transfers on an idle chain, then the same transfers while a flood of free readings
	/// from many devices runs: whether paid traffic keeps its throughput and latency.
	Flood {
		#[command(flatten)]
		fleet: Fleet,
		/// Free readings per device in the flood.
		#[arg(long, default_value_t = 50)]
		per_device: u32,
		/// Sending accounts: a development account (`//Alice`), or `env:VAR` / `file:PATH` naming
		/// where a secret URI is kept (never a secret on the command line).
		#[arg(long = "sender", default_values_t = ["//Bob".to_string(), "//Charlie".to_string(), "//Dave".to_string(), "//Eve".to_string()])]
		senders: Vec<String>,
		/// Transfers per sender, in each of the two runs (enough for several blocks, so the
		/// figures do not hinge on where in a slot a run starts).
		#[arg(long, default_value_t = 2500)]
		per_sender: u32,
		/// Seconds the flood runs before the transfers start.
		#[arg(long, default_value_t = 12)]
		warmup: u64,
	},
	/// Prosumers and consumers trade energy market slots: each registers a smart meter, orders
	/// for the next slot that takes orders, attests its meter's counters at the slot's start
	/// and end (fee-less), and the settler settles the market; one JSON report per slot.
	Energy {
		/// Fleet name of the agents' meters (meter `i` for agent `i`, prosumers first).
		#[arg(long, default_value = "energy")]
		seed: String,
		/// Prosumer (seller) accounts: `//Name`, `env:VAR` or `file:PATH`.
		#[arg(long = "prosumer", default_values_t = ["//Bob".to_string(), "//Charlie".to_string()])]
		prosumers: Vec<String>,
		/// Consumer (buyer) accounts.
		#[arg(long = "consumer", default_values_t = ["//Dave".to_string(), "//Eve".to_string()])]
		consumers: Vec<String>,
		/// The market's zone.
		#[arg(long, default_value_t = 1)]
		zone: u32,
		/// Slots to trade, one after the other.
		#[arg(long, default_value_t = 1)]
		slots: u32,
		/// Wh each prosumer offers.
		#[arg(long, default_value_t = 2_000)]
		offer_wh: u64,
		/// Wh each consumer bids for.
		#[arg(long, default_value_t = 1_500)]
		bid_wh: u64,
		/// The first prosumer delivers this many percent less than it was allocated (the others
		/// deliver in full), and pays the penalty.
		#[arg(long, default_value_t = 0)]
		shortfall_percent: u64,
		/// The registrar that certifies the meters (the sudo key on a development chain; elsewhere the --council's motion).
		#[arg(long, default_value = "//Alice")]
		registrar: String,
		/// The account that sends the `settle` calls.
		#[arg(long, default_value = "//Ferdie")]
		settler: String,
	},
	/// Order placement under load: each trader registers `--meters-per-trader` smart meters
	/// and every meter offers energy in each of `--slots` coming slots (asks at the floor); the
	/// report counts orders finalized per second, as `transfers` does transfers.
	Orders {
		/// Fleet name of the meters.
		#[arg(long, default_value = "orders")]
		seed: String,
		/// Trading accounts: `//Name`, `env:VAR` or `file:PATH`.
		#[arg(long = "trader", default_values_t = ["//Alice".to_string(), "//Bob".to_string(), "//Charlie".to_string(), "//Dave".to_string()])]
		traders: Vec<String>,
		/// Meters per trader (the runtime allows 8 orders per account and slot).
		#[arg(long, default_value_t = 8)]
		meters_per_trader: u32,
		/// Slots to order in, from a few slots ahead.
		#[arg(long, default_value_t = 40)]
		slots: u32,
		/// The market's zone.
		#[arg(long, default_value_t = 1)]
		zone: u32,
		/// The registrar that certifies the meters (the sudo key on a development chain; elsewhere the --council's motion).
		#[arg(long, default_value = "//Alice")]
		registrar: String,
	},
	/// Riders and drivers, on a development or local network only (the accounts are derived
	/// from the public development phrase): `--drivers` drivers (`//Driver0`, ...) register a
	/// certified vehicle each and go on duty, as many riders (`//Rider0`, ...) request rides,
	/// round after round; most rides are driven and settled (request, accept, start, complete
	/// with the vehicle's signed trip summary, confirm: 5 transactions; `--arrive` adds the
	/// vehicle-signed arrival), some are cancelled by the driver or the rider, or disputed (the
	/// arbiter, `--registrar`, settles them at half the fare); who does what rotates from round
	/// to round. `--funder` sends every account what the run needs. One JSON report per round,
	/// then the totals.
	Rides {
		/// Fleet name of the vehicles (vehicle `i` for driver `i`).
		#[arg(long, default_value = "rides")]
		seed: String,
		/// Drivers (and riders): rides per round.
		#[arg(long, default_value_t = 4)]
		drivers: u32,
		/// Rounds.
		#[arg(long, default_value_t = 1)]
		rounds: u32,
		/// Metres of every driven trip (the simulator waits until a trip is long enough for its
		/// distance at the chain's top speed, 60 m/s: 5,400 m take 91 s).
		#[arg(long, default_value_t = 5_400)]
		distance_m: u32,
		/// Drivers send the vehicle-signed arrival before the rider starts (6 transactions a
		/// ride instead of 5).
		#[arg(long)]
		arrive: bool,
		/// The most a rider pays, in CITY.
		#[arg(long, default_value_t = 30)]
		max_fare: u32,
		/// Percent of each round's rides that the driver cancels after accepting.
		#[arg(long, default_value_t = 0)]
		cancel_percent: u32,
		/// Percent of each round's rides that the rider cancels after acceptance (within the
		/// grace period: free).
		#[arg(long, default_value_t = 0)]
		rider_cancel_percent: u32,
		/// Percent of each round's rides that the rider disputes.
		#[arg(long, default_value_t = 0)]
		dispute_percent: u32,
		/// The vehicles' zone.
		#[arg(long, default_value_t = 1)]
		zone: u32,
		/// Funds the riders (the maximum fare and fees of every round) and drivers (bond,
		/// vehicle deposit, penalties and fees).
		#[arg(long, default_value = "//Alice")]
		funder: String,
		/// Certifies the vehicles and arbitrates disputes (the sudo key on dev and local
		/// networks).
		#[arg(long, default_value = "//Alice")]
		registrar: String,
	},
	/// A data holder and a citizen: the citizen grants the holder (approved by `--registrar`
	/// first if it is not a holder yet) access to a category for a purpose; the holder logs
	/// `--covered` accesses, the citizen revokes the grant, the holder logs
	/// `--after-revocation` more citing the revoked grant, anchors them all as one batch and
	/// hands the citizen the entries and proofs; the citizen's wallet verifies each with
	/// `city_verifyAccess` and flags the accesses no grant covered. One JSON report; succeeds
	/// when exactly the accesses after the revocation are flagged.
	Access {
		/// The data holder's account.
		#[arg(long, default_value = "//Ferdie")]
		holder: String,
		/// The citizen's account (or pseudonym).
		#[arg(long, default_value = "//Eve")]
		citizen: String,
		/// The data category's code (1: energy meter readings in the presets' vocabulary).
		#[arg(long, default_value_t = 1)]
		category: u16,
		/// The purpose's code (2: urban planning).
		#[arg(long, default_value_t = 2)]
		purpose: u16,
		/// Accesses while the grant is live.
		#[arg(long, default_value_t = 2)]
		covered: u32,
		/// Accesses after the revocation.
		#[arg(long, default_value_t = 1)]
		after_revocation: u32,
		/// Approves the holder (the sudo key on a development chain; elsewhere the --council's
		/// motion).
		#[arg(long, default_value = "//Alice")]
		registrar: String,
	},
	/// Balance transfers, the baseline for throughput comparisons.
	Transfers {
		/// Sending accounts: a development account (`//Alice`), or `env:VAR` / `file:PATH` naming
		/// where a secret URI is kept (never a secret on the command line).
		#[arg(long = "sender", default_values_t = ["//Alice".to_string(), "//Bob".to_string(), "//Charlie".to_string(), "//Dave".to_string()])]
		senders: Vec<String>,
		/// Transfers per sender.
		#[arg(long, default_value_t = 100)]
		per_sender: u32,
	},
}

#[derive(clap::Args)]
struct Fleet {
	/// Fleet name: the same seed gives the same device keys.
	#[arg(long, default_value = "city-sim")]
	seed: String,
	/// Number of devices.
	#[arg(long = "devices", alias = "count", default_value_t = 1)]
	devices: u32,
	/// Owner accounts that register and pay the deposits, round-robin: development accounts
	/// (`//Alice`), or `env:VAR` / `file:PATH` naming where a secret URI is kept.
	#[arg(long = "owner", default_values_t = ["//Alice".to_string()])]
	owners: Vec<String>,
	/// Device class: smartMeter, solarInverter, parkingSensor, airQualitySensor, vehicle,
	/// charger, other.
	#[arg(long, default_value = "smartMeter")]
	class: String,
	/// City zone of the devices.
	#[arg(long, default_value_t = 1)]
	zone: u32,
	/// The registrar that certifies the devices (the sudo key on a development chain; elsewhere the --council's motion), as
	/// `//Name`, `env:VAR` or `file:PATH`.
	#[arg(long, default_value = "//Alice")]
	registrar: String,
	/// Leave the devices uncertified (they can then only submit through a paying gateway).
	#[arg(long)]
	uncertified: bool,
}

fn parse_class(name: &str) -> Result<DeviceClass, String> {
	Ok(match name {
		"smartMeter" => DeviceClass::SmartMeter,
		"solarInverter" => DeviceClass::SolarInverter,
		"parkingSensor" => DeviceClass::ParkingSensor,
		"airQualitySensor" => DeviceClass::AirQualitySensor,
		"vehicle" => DeviceClass::Vehicle,
		"charger" => DeviceClass::Charger,
		"other" => DeviceClass::Other,
		_ => return Err(format!("unknown device class {name:?}")),
	})
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	match run(cli) {
		Ok(true) => ExitCode::SUCCESS,
		Ok(false) => ExitCode::from(1),
		Err(e) => {
			eprintln!("city-sim: {e}");
			ExitCode::from(2)
		}
	}
}

/// The chain's block time (Aura slot duration), in ms.
fn slot_duration_ms(client: &Client) -> Result<u64, String> {
	let answer = client
		.call("state_call", json!(["AuraApi_slot_duration", "0x"]))
		.map_err(|e| e.to_string())?;
	let bytes = answer.as_str().and_then(city_sim::rpc::hex_decode).ok_or("slot duration")?;
	<u64 as codec::Decode>::decode(&mut &bytes[..]).map_err(|e| e.to_string())
}

/// Prints the report with throughput figures, `units` finalized things counting for
/// `per_unit` each (1 for readings, the batch size for batches); whether everything submitted
/// was finalized.
///
/// - `perSecond`: end to end, from the first submission to the last finalization seen;
/// - `inBlocksPerSecond`: over the blocks that carried the run (first to last, x block time);
/// - `peakBlockPerSecond`: the busiest block, per block time: what one block can take.
fn print_report(
	mode: &str,
	report: &Report,
	per_unit: f64,
	slot_ms: u64,
	extra: serde_json::Value,
) -> bool {
	let mut json = report.to_json();
	let mut set = |key: &str, value: serde_json::Value| {
		if let Some(object) = json.as_object_mut() {
			object.insert(key.into(), value);
		}
	};
	set("mode", json!(mode));
	let slot_s = slot_ms as f64 / 1000.0;
	let span = match (report.per_block.keys().next(), report.per_block.keys().next_back()) {
		(Some(first), Some(last)) => f64::from(last - first + 1),
		_ => 0.0,
	};
	let busiest = report.per_block.values().max().copied().unwrap_or(0) as f64;
	let finalized = report.finalized as f64 * per_unit;
	set("blockTimeMs", json!(slot_ms));
	set("perSecond", json!(round1(report.per_second() * per_unit)));
	if span > 0.0 && slot_s > 0.0 {
		set("inBlocksPerSecond", json!(round1(finalized / (span * slot_s))));
		set("peakBlockPerSecond", json!(round1(busiest * per_unit / slot_s)));
	}
	if let (Some(json), Some(extra)) = (json.as_object_mut(), extra.as_object()) {
		json.extend(extra.clone());
	}
	println!("{json}");
	report.finalized == report.submitted
}

fn run(cli: Cli) -> Result<bool, String> {
	// Bad arguments fail before the node is contacted.
	if let Command::Register { fleet }
	| Command::Readings { fleet, .. }
	| Command::Batches { fleet, .. }
	| Command::Flood { fleet, .. } = &cli.command
	{
		parse_class(&fleet.class)?;
		fleet.owners.iter().map(|o| city_sim::account(o)).collect::<Result<Vec<_>, _>>()?;
		city_sim::account(&fleet.registrar)?;
	}
	if let Command::Keys { seed, count } = &cli.command {
		for index in 0..*count {
			let key = city_sim::device::fleet_key(seed, index);
			println!(
				"{}",
				json!({"index": index, "scheme": "ed25519", "publicKey": hex_encode(&key.verifying_key().to_bytes())})
			);
		}
		return Ok(true);
	}
	let client = match &cli.ca_cert {
		Some(ca) => Client::connect_trusting(&cli.url, ca)?,
		None => Client::connect(&cli.url)?,
	};
	let slot_ms = slot_duration_ms(&client)?;
	let mut options = Options {
		max_in_flight: cli.max_in_flight,
		resubmit_after: Duration::from_secs(cli.resubmit_after),
		timeout: Duration::from_secs(cli.timeout),
		verbose: cli.verbose,
		..Options::default()
	};
	let council =
		cli.council.iter().map(|m| city_sim::account(m)).collect::<Result<Vec<_>, _>>()?;
	// The city's registrar (and arbiter): the sudo key `registrar` on a development chain, a
	// council motion of `--council` elsewhere.
	let authority = |registrar: &str| -> Result<city_sim::governance::Authority, String> {
		city_sim::governance::Authority::for_chain(
			&client,
			&city_sim::account(registrar)?,
			&council,
		)
	};
	let fleet = |fleet: &Fleet| -> Result<(Vec<city_sim::SimDevice>, Report), String> {
		let owners =
			fleet.owners.iter().map(|o| city_sim::account(o)).collect::<Result<Vec<_>, _>>()?;
		let (mut devices, report) = city_sim::register_fleet(
			&client,
			&owners,
			&fleet.seed,
			fleet.devices,
			parse_class(&fleet.class)?,
			fleet.zone,
			&options,
		)?;
		if !fleet.uncertified {
			let registrar = authority(&fleet.registrar)?;
			let certified = city_sim::certify_fleet(&client, &registrar, &mut devices, &options)?;
			if certified.finalized != certified.submitted {
				return Err(format!("certification failed: {:?}", certified.problems));
			}
		}
		Ok((devices, report))
	};
	match cli.command {
		Command::Keys { .. } => Ok(true),
		Command::Orders { seed, traders, meters_per_trader, slots, zone, registrar } => {
			let traders =
				traders.iter().map(|t| city_sim::account(t)).collect::<Result<Vec<_>, _>>()?;
			let registrar = authority(&registrar)?;
			let count = u32::try_from(traders.len())
				.map_err(|e| e.to_string())?
				.saturating_mul(meters_per_trader);
			let (mut meters, _) = city_sim::register_fleet(
				&client,
				&traders,
				&seed,
				count,
				DeviceClass::SmartMeter,
				zone,
				&options,
			)?;
			let certified = city_sim::certify_fleet(&client, &registrar, &mut meters, &options)?;
			if certified.finalized != certified.submitted {
				return Err(format!("certification failed: {:?}", certified.problems));
			}
			// Meter `i` belongs to trader `i % traders` (registration is round-robin).
			let mut owned: Vec<(sp_core::sr25519::Pair, Vec<city_sim::SimDevice>)> =
				traders.iter().map(|t| (t.clone(), Vec::new())).collect();
			for (i, meter) in meters.into_iter().enumerate() {
				if let Some((_, list)) = owned.get_mut(i % traders.len().max(1)) {
					list.push(meter);
				}
			}
			let schedule =
				client.call("city_energySchedule", json!([])).map_err(|e| e.to_string())?;
			let field = city_sim::rpc::field;
			let floor: u128 = field(field(&schedule, "params"), "priceFloor")
				.as_str()
				.and_then(|s| s.parse().ok())
				.ok_or_else(|| format!("no price floor: {schedule}"))?;
			let next = field(&schedule, "nextOpenSlot").as_u64().ok_or("no open slot")?;
			// A few slots ahead, so that no gate closes while the orders go in.
			let first = u32::try_from(next + 5).map_err(|e| e.to_string())?;
			let submissions = city_sim::energy::order_submissions(
				&client, &owned, zone, first, slots, floor, 100,
			)?;
			let lanes = Options { lane_limit: options.max_in_flight, ..options.clone() };
			let (report, _) =
				city_sim::tracker::run(&client, submissions, &lanes).map_err(|e| e.to_string())?;
			Ok(print_report(
				"orders",
				&report,
				1.0,
				slot_ms,
				json!({"traders": traders.len(), "meters": count, "slots": slots, "firstSlot": first}),
			))
		}
		Command::Energy {
			seed,
			prosumers,
			consumers,
			zone,
			slots,
			offer_wh,
			bid_wh,
			shortfall_percent,
			registrar,
			settler,
		} => {
			use city_sim::energy::{AgentSpec, Side};
			if shortfall_percent > 100 {
				return Err("--shortfall-percent is at most 100".into());
			}
			let schedule =
				client.call("city_energySchedule", json!([])).map_err(|e| e.to_string())?;
			let params = city_sim::rpc::field(&schedule, "params");
			let price = |name: &str| -> Result<u128, String> {
				city_sim::rpc::field(params, name)
					.as_str()
					.and_then(|s| s.parse().ok())
					.ok_or_else(|| format!("the market has no {name}: {schedule}"))
			};
			let (floor, cap, tick) = (price("priceFloor")?, price("priceCap")?, price("tickSize")?);
			let mut specs = Vec::new();
			for (i, source) in prosumers.iter().enumerate() {
				// Asks from 5 ticks above the floor, 10 ticks apart.
				let ticks = 5 + 10 * i as u128;
				specs.push(AgentSpec {
					account: city_sim::account(source)?,
					side: Side::Ask,
					price: floor.saturating_add(tick.saturating_mul(ticks)).min(cap),
					quantity_wh: offer_wh,
					metered_percent: if i == 0 { 100 - shortfall_percent } else { 100 },
				});
			}
			for (i, source) in consumers.iter().enumerate() {
				// Bids from 20 ticks below the cap, 10 ticks apart.
				let ticks = 20 + 10 * i as u128;
				specs.push(AgentSpec {
					account: city_sim::account(source)?,
					side: Side::Bid,
					price: cap.saturating_sub(tick.saturating_mul(ticks)).max(floor),
					quantity_wh: bid_wh,
					metered_percent: 100,
				});
			}
			let registrar = authority(&registrar)?;
			let settler = city_sim::account(&settler)?;
			let mut agents = city_sim::energy::register_agents(
				&client, specs, &seed, zone, &registrar, &options,
			)?;
			let mut ok = true;
			for _ in 0..slots {
				let report =
					city_sim::energy::trade_slot(&client, &mut agents, zone, &settler, &options)?;
				let mut json = report.to_json();
				if let Some(object) = json.as_object_mut() {
					object.insert("mode".into(), json!("energy"));
				}
				println!("{json}");
				ok &= report.submissions.finalized == report.submissions.submitted;
			}
			Ok(ok)
		}
		Command::Rides {
			seed,
			drivers,
			rounds,
			distance_m,
			arrive,
			max_fare,
			cancel_percent,
			rider_cancel_percent,
			dispute_percent,
			zone,
			funder,
			registrar,
		} => {
			use city_sim::rides::{self, Plan};
			if cancel_percent.saturating_add(rider_cancel_percent).saturating_add(dispute_percent)
				> 100
			{
				return Err("the --*-percent options add up to at most 100".into());
			}
			// The riders and drivers are derived from the public development phrase: anyone
			// could spend what they are sent on a real network.
			let chain_type =
				client.call("system_chainType", json!([])).map_err(|e| e.to_string())?;
			if !matches!(chain_type.as_str(), Some("Development" | "Local")) {
				return Err(format!(
					"rides runs on development and local networks only (this one is {chain_type})"
				));
			}
			const UNIT: u128 = 1_000_000_000_000;
			let funder = city_sim::account(&funder)?;
			let registrar = authority(&registrar)?;
			// A rider holds the maximum fare and a deposit per round and pays at most the fare;
			// a driver holds the bond (50 CITY in the test presets), a vehicle deposit, and may
			// pay a penalty per round.
			let rounds_u128 = u128::from(rounds);
			let rider_funds = u128::from(max_fare).saturating_mul(rounds_u128 + 1) * UNIT;
			let driver_funds = (100 + 10 * rounds_u128) * UNIT;
			let riders =
				rides::funded_accounts(&client, "Rider", drivers, &funder, rider_funds, &options)?;
			let driver_accounts = rides::funded_accounts(
				&client,
				"Driver",
				drivers,
				&funder,
				driver_funds,
				&options,
			)?;
			let agents = rides::register_drivers(
				&client,
				&driver_accounts,
				&seed,
				zone,
				&registrar,
				&options,
			)?;
			// Counts round up: 10 % of 4 drivers is one ride, not none.
			let share = |percent: u32| drivers.saturating_mul(percent).div_ceil(100) as usize;
			let (cancels, rider_cancels, disputes) =
				(share(cancel_percent), share(rider_cancel_percent), share(dispute_percent));
			let plan_of = |i: usize| {
				if i < cancels {
					Plan::DriverCancels
				} else if i < cancels + rider_cancels {
					Plan::RiderCancels
				} else if i < cancels + rider_cancels + disputes {
					Plan::Dispute { distance_m }
				} else {
					Plan::Settle { distance_m }
				}
			};
			let n = drivers as usize;
			let started = std::time::Instant::now();
			let mut ok = true;
			let (mut settled, mut transactions, mut city_fees) = (0usize, 0usize, 0u128);
			for round in 0..rounds {
				// Who cancels or disputes rotates, so that no driver pays every round's penalty.
				let plans: Vec<Plan> =
					(0..n).map(|i| plan_of((i + round as usize) % n.max(1))).collect();
				// Drivers the last round's cancellations sent off duty go on duty again.
				if round > 0 && cancels > 0 {
					rides::register_drivers(
						&client,
						&driver_accounts,
						&seed,
						zone,
						&registrar,
						&options,
					)?;
				}
				let report = rides::ride_round(
					&client,
					&riders,
					&agents,
					&plans,
					u128::from(max_fare) * UNIT,
					arrive,
					&registrar,
					&options,
				)?;
				let mut json = report.to_json();
				if let Some(object) = json.as_object_mut() {
					object.insert("mode".into(), json!("rides-round"));
					object.insert("round".into(), json!(round));
				}
				println!("{json}");
				ok &= report.submissions.finalized == report.submissions.submitted;
				settled += report.settled;
				transactions += report.transactions;
				city_fees += report.city_fees;
			}
			let seconds = started.elapsed().as_secs_f64();
			let per = |n: usize| {
				if seconds > 0.0 {
					round1(n as f64 / seconds * 10.0) / 10.0
				} else {
					0.0
				}
			};
			println!(
				"{}",
				json!({
					"mode": "rides",
					"drivers": drivers,
					"rounds": rounds,
					"distanceM": distance_m,
					"settled": settled,
					"transactions": transactions,
					"cityFees": city_fees.to_string(),
					"seconds": round1(seconds),
					"ridesSettledPerSecond": per(settled),
					"transactionsPerSecond": per(transactions),
				})
			);
			Ok(ok)
		}
		Command::Access {
			holder,
			citizen,
			category,
			purpose,
			covered,
			after_revocation,
			registrar,
		} => {
			let report = city_sim::access::grant_log_revoke_verify(
				&client,
				&city_sim::account(&holder)?,
				&city_sim::account(&citizen)?,
				&authority(&registrar)?,
				category,
				purpose,
				covered,
				after_revocation,
				&options,
			)?;
			println!("{}", report.to_json());
			// Entries are in access order: the first `covered` under the live grant.
			let as_expected = report
				.verdicts
				.iter()
				.enumerate()
				.all(|(i, v)| v.in_batch && v.flagged() == (i >= covered as usize));
			Ok(as_expected)
		}
		Command::Register { fleet: spec } => {
			let (devices, report) = fleet(&spec)?;
			let ids: Vec<u64> = devices.iter().map(|d| d.id).collect();
			Ok(print_report("register", &report, 1.0, slot_ms, json!({"devices": ids})))
		}
		Command::Readings { fleet: spec, per_device } => {
			let (mut devices, _) = fleet(&spec)?;
			let submissions = city_sim::reading_submissions(
				&client,
				&mut devices,
				per_device,
				MeasurementKind::EnergyImport,
				Unit::WattHour,
				|device, seq| (device as i64) * 1_000_000 + seq as i64 * 250,
			)?;
			let (report, _) = city_sim::tracker::run(&client, submissions, &options)
				.map_err(|e| e.to_string())?;
			Ok(print_report("readings", &report, 1.0, slot_ms, json!({"devices": devices.len()})))
		}
		Command::Batches { fleet: spec, batches, size, prove } => {
			let (mut devices, _) = fleet(&spec)?;
			let (submissions, anchored) =
				city_sim::batch_submissions(&client, &mut devices, batches, size)?;
			let (report, _) = city_sim::tracker::run(&client, submissions, &options)
				.map_err(|e| e.to_string())?;
			let mut extra = json!({
				"devices": devices.len(),
				"batchSize": size,
				"readingsAnchored": report.finalized as u64 * u64::from(size),
			});
			if let (Some(index), Some(batch)) = (prove, anchored.first()) {
				if let Some(extra) = extra.as_object_mut() {
					extra.insert("proof".into(), prove_reading(&client, batch, index)?);
				}
			}
			// Figures count readings: every anchor carries `size` of them.
			Ok(print_report("batches", &report, f64::from(size), slot_ms, extra))
		}
		Command::Flood { fleet: spec, per_device, senders, per_sender, warmup } => {
			let (mut devices, _) = fleet(&spec)?;
			let senders =
				senders.iter().map(|s| city_sim::account(s)).collect::<Result<Vec<_>, _>>()?;
			let transfer_options = Options { lane_limit: options.max_in_flight, ..options.clone() };
			let transfers = |label: &str| -> Result<Report, String> {
				let submissions = city_sim::transfer_submissions(&client, &senders, per_sender)
					.map_err(|e| e.to_string())?;
				let (report, _) = city_sim::tracker::run(&client, submissions, &transfer_options)
					.map_err(|e| e.to_string())?;
				if options.verbose {
					eprintln!("city-sim: {label} transfers done: {}", report.to_json());
				}
				Ok(report)
			};
			let idle = transfers("idle")?;
			let flood_client = client.clone();
			let flood_options = options.clone();
			let (loaded, readings) = std::thread::scope(|scope| {
				let flood = scope.spawn(move || {
					let submissions = city_sim::reading_submissions(
						&flood_client,
						&mut devices,
						per_device,
						MeasurementKind::Power,
						Unit::Watt,
						|device, seq| (device as i64) * 1_000 + seq as i64,
					)?;
					city_sim::tracker::run(&flood_client, submissions, &flood_options)
						.map(|(report, _)| report)
						.map_err(|e| e.to_string())
				});
				std::thread::sleep(Duration::from_secs(warmup));
				let loaded = transfers("flooded");
				let readings = flood.join().map_err(|_| "the flood thread panicked".to_string());
				(loaded, readings)
			});
			let (loaded, readings) = (loaded?, readings??);
			let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
				(Some(a), Some(b)) if b > 0.0 => json!(round1(100.0 * a / b)),
				_ => serde_json::Value::Null,
			};
			let seconds = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
			// The comparison only holds if the flood was on while the transfers went in: the
			// flood's readings went into blocks from before the first flooded transfer to after
			// the last. (Blocks full of transfers carry no free readings: paid traffic comes
			// first, so the flood is not in every one of them.)
			fn span(report: &Report) -> Option<(u32, u32)> {
				Option::zip(
					report.per_block.keys().next().copied(),
					report.per_block.keys().next_back().copied(),
				)
			}
			let covered = match (span(&readings), span(&loaded)) {
				(Some((r_first, r_last)), Some((t_first, t_last))) => {
					r_first <= t_first && r_last >= t_last
				}
				_ => false,
			};
			let transfer_blocks: Vec<u32> = loaded.per_block.keys().copied().collect();
			let with_readings =
				transfer_blocks.iter().filter(|b| readings.per_block.contains_key(b)).count();
			let json = json!({
				"mode": "flood",
				"idleTransfers": idle.to_json(),
				"floodedTransfers": loaded.to_json(),
				"floodReadings": readings.to_json(),
				"floodCoveredTransfers": covered,
				"transferBlocksWithFloodReadings": format!("{with_readings}/{}", transfer_blocks.len()),
				"transfersPerSecondPercentOfIdle": ratio(Some(loaded.per_second()), Some(idle.per_second())),
				"transferLatencyP50PercentOfIdle": ratio(seconds(loaded.latency_percentile(50)), seconds(idle.latency_percentile(50))),
				"transferLatencyP95PercentOfIdle": ratio(seconds(loaded.latency_percentile(95)), seconds(idle.latency_percentile(95))),
			});
			println!("{json}");
			Ok(idle.finalized == idle.submitted
				&& loaded.finalized == loaded.submitted
				&& readings.finalized == readings.submitted
				&& covered)
		}
		Command::Transfers { senders, per_sender } => {
			let senders =
				senders.iter().map(|s| city_sim::account(s)).collect::<Result<Vec<_>, _>>()?;
			// An account's nonces are one lane: let the whole run be in flight.
			options.lane_limit = options.max_in_flight;
			let submissions = city_sim::transfer_submissions(&client, &senders, per_sender)
				.map_err(|e| e.to_string())?;
			let (report, _) = city_sim::tracker::run(&client, submissions, &options)
				.map_err(|e| e.to_string())?;
			Ok(print_report(
				"transfers",
				&report,
				1.0,
				slot_ms,
				json!({"senders": senders.iter().map(|s| s.public().to_string()).collect::<Vec<_>>()}),
			))
		}
	}
}

fn round1(x: f64) -> f64 {
	(x * 10.0).round() / 10.0
}

/// Proves reading `index` of `batch` with `city_verifyReading`.
fn prove_reading(
	client: &Client,
	batch: &city_sim::Batch,
	index: u32,
) -> Result<serde_json::Value, String> {
	let reading = batch
		.readings
		.get(index as usize)
		.ok_or_else(|| format!("the batch has {} readings", batch.readings.len()))?;
	let proof = batch.proof(index).ok_or("no such leaf")?;
	client
		.call(
			"city_verifyReading",
			json!([
				batch.anchor.device,
				batch.anchor.batch_seq,
				city_sim::reading_json(reading),
				index,
				proof.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>(),
			]),
		)
		.map_err(|e| e.to_string())
}
