//! Clearing and settling a slot of 10,000 energy orders in the runtime (native, bench profile).
//!
//! `cargo bench -p citychain-runtime --bench energy_market` (or `scripts/bench-energy.sh`).
//! The development preset's market (10-block slots, 116 price ticks); 5 zones of 2,000 orders
//! each (a zone's registry index holds 2,000 smart meters: 1,000 meters here, each with an ask
//! and a bid, pseudo-random prices and sizes), from 1,250 accounts (8 orders each, the
//! per-account limit). Prints:
//! - clearing at gate closure (the hook clears the slot's 5 markets): its weight as a share of
//!   the block's and the wall time of the hook;
//! - settling every order (meters read at the slot's boundaries, three passes per order in
//!   `settle` calls of `MaxSettlePerCall` orders): calls, blocks needed if settle calls take
//!   the block's normal share, weight per order, wall time; and that total issuance did not
//!   change.
//!
//! Wall times are native; the weights are the benchmarked (wasm) ones.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use city_primitives::{DeviceClass, DeviceKey, EnergyFlow};
use citychain_runtime::{
	genesis_config_presets, AccountId, Balances, DeviceRegistry, EnergyMarket, Runtime,
	RuntimeOrigin, System, MILLI_UNIT, UNIT,
};
use frame_support::{
	dispatch::DispatchClass,
	traits::{fungible::Mutate, Get, Hooks},
	weights::Weight,
};
use pallet_energy_market::{settlement::Phase, MarketStatus, Side};
use sp_core::{crypto::Pair as _, ed25519};
use sp_runtime::BuildStorage;

const ZONES: u32 = 5;
const METERS_PER_ZONE: u32 = 1_000;
const METERS_PER_ACCOUNT: u32 = 4;
const SLOT: u32 = 3;

/// A small deterministic generator (the same book every run).
struct Lcg(u64);
impl Lcg {
	fn next(&mut self, below: u64) -> u64 {
		self.0 =
			self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
		(self.0 >> 33) % below
	}
}

fn set_time(block: u32) {
	pallet_timestamp::Now::<Runtime>::put(
		u64::from(block) * citychain_runtime::MILLI_SECS_PER_BLOCK,
	);
}

/// Runs the market's hooks from the current block to `to`.
fn run_to(to: u32) -> Weight {
	let mut used = Weight::zero();
	while System::block_number() < to {
		EnergyMarket::on_finalize(System::block_number());
		let next = System::block_number() + 1;
		System::set_block_number(next);
		set_time(next);
		used = EnergyMarket::on_initialize(next);
	}
	used
}

fn main() {
	let storage = genesis_config_presets::preset_genesis_config("development")
		.expect("development preset")
		.build_storage()
		.expect("genesis builds");
	sp_io::TestExternalities::new(storage).execute_with(run);
}

fn run() {
	System::set_block_number(1);
	set_time(1);
	let genesis = frame_system::BlockHash::<Runtime>::get(0);
	let params = pallet_energy_market::Params::<Runtime>::get().expect("the preset sets a market");
	let ticks =
		u64::try_from((params.price_cap - params.price_floor) / params.tick_size).unwrap() + 1;
	let mut rng = Lcg(7);
	let started = Instant::now();
	let mut meters = Vec::new();
	let mut index = 0u32;
	for zone in 1..=ZONES {
		for _ in 0..METERS_PER_ZONE {
			let owner = AccountId::from({
				let mut raw = [0xe7u8; 32];
				raw[..4].copy_from_slice(&(index / METERS_PER_ACCOUNT).to_le_bytes());
				raw
			});
			if index.is_multiple_of(METERS_PER_ACCOUNT) {
				Balances::set_balance(&owner, 1_000 * UNIT);
			}
			let mut seed = [0x3du8; 32];
			seed[..4].copy_from_slice(&index.to_le_bytes());
			let pair = ed25519::Pair::from_seed(&seed);
			let key = DeviceKey::Ed25519(pair.public());
			let proof =
				pair.sign(&pallet_device_registry::register_payload(&genesis, &owner, &key));
			let id = DeviceRegistry::do_register(
				owner.clone(),
				DeviceClass::SmartMeter,
				zone,
				key,
				proof.into(),
				None,
				Default::default(),
			)
			.expect("meter registers");
			DeviceRegistry::do_set_certified(id, Some(None)).expect("meter certified");
			meters.push((owner, id, zone));
			index += 1;
		}
	}
	println!(
		"setup: {} meters registered and certified in {:.1} s",
		meters.len(),
		started.elapsed().as_secs_f64()
	);

	// The book: each meter asks in the lower part of the grid and bids in the upper part.
	let started = Instant::now();
	let mut orders = 0u32;
	for (owner, meter, zone) in &meters {
		for side in [Side::Ask, Side::Bid] {
			let tick = match side {
				Side::Ask => rng.next(ticks * 2 / 3),
				Side::Bid => ticks / 3 + rng.next(ticks - ticks / 3),
			};
			let price = params.price_floor + params.tick_size * u128::from(tick);
			let quantity = 100 + rng.next(4_900);
			EnergyMarket::place_order(
				RuntimeOrigin::signed(owner.clone()),
				*zone,
				SLOT,
				side,
				price,
				quantity,
				*meter,
			)
			.expect("order placed");
			orders += 1;
		}
	}
	println!("setup: {orders} orders placed in {:.1} s", started.elapsed().as_secs_f64());
	let issuance = Balances::total_issuance();

	// Gate closure: the hook clears the slot's markets.
	let slot_start = SLOT * params.slot_blocks;
	let gate = slot_start - params.gate_closure_blocks;
	run_to(gate - 1);
	EnergyMarket::on_finalize(gate - 1);
	System::set_block_number(gate);
	set_time(gate);
	let started = Instant::now();
	let clearing_weight = EnergyMarket::on_initialize(gate);
	let clearing_time = started.elapsed();
	let block = <Runtime as frame_system::Config>::BlockWeights::get();
	let share = |w: Weight| 100.0 * w.ref_time() as f64 / block.max_block.ref_time() as f64;
	let mut volume = 0u64;
	for zone in 1..=ZONES {
		match pallet_energy_market::Markets::<Runtime>::get(zone, SLOT).map(|m| m.status) {
			Some(MarketStatus::Cleared(c)) => volume += c.volume_wh,
			other => panic!("zone {zone} did not clear: {other:?}"),
		}
	}
	println!(
		"FIGURE clearing a slot of {orders} orders in {ZONES} markets: weight {} ps ref time, {} bytes proof = {:.2}% of a block's ref time; wall time {:.2} ms (native); {volume} Wh matched",
		clearing_weight.ref_time(),
		clearing_weight.proof_size(),
		share(clearing_weight),
		clearing_time.as_secs_f64() * 1000.0,
	);

	// The slot runs; every meter reports its counters at the boundaries (sellers deliver 0 to
	// 120% of what they offered, buyers import 50 to 150%).
	run_to(slot_start + params.slot_blocks + 1);
	for (_, meter, zone) in &meters {
		let market = pallet_energy_market::Markets::<Runtime>::get(zone, SLOT).unwrap();
		let (start, end) = (market.start_ms.unwrap(), market.end_ms.unwrap());
		for flow in [EnergyFlow::Export, EnergyFlow::Import] {
			let used = rng.next(6_000);
			pallet_sensor_attestation::CounterHistory::<Runtime>::mutate(meter, flow, |history| {
				*history = frame_support::BoundedVec::truncate_from(vec![
					(start, 1_000_000),
					(end, 1_000_000 + used),
				]);
			});
		}
	}

	// Settlement, in calls of MaxSettlePerCall orders.
	let per_call = <Runtime as pallet_energy_market::Config>::MaxSettlePerCall::get();
	let normal = block.get(DispatchClass::Normal).max_total.unwrap_or(block.max_block);
	let mut calls = 0u32;
	let mut weight = Weight::zero();
	let mut blocks = 0u32;
	let mut in_block = Weight::zero();
	let started = Instant::now();
	for zone in 1..=ZONES {
		loop {
			let done = pallet_energy_market::Markets::<Runtime>::get(zone, SLOT)
				.is_some_and(|m| m.settlement.phase == Phase::Done);
			if done {
				break;
			}
			let processed = EnergyMarket::do_settle(zone, SLOT, per_call).expect("settles");
			let call_weight = EnergyMarket::settle_weight(processed);
			calls += 1;
			weight = weight.saturating_add(call_weight);
			if blocks == 0 || in_block.saturating_add(call_weight).any_gt(normal) {
				blocks += 1;
				in_block = Weight::zero();
			}
			in_block = in_block.saturating_add(call_weight);
		}
	}
	let settle_time = started.elapsed();
	assert_eq!(Balances::total_issuance(), issuance, "settlement mints or burns nothing");
	let penalties: u128 = (1..=ZONES)
		.filter_map(|zone| pallet_energy_market::Markets::<Runtime>::get(zone, SLOT))
		.map(|m| m.settlement.penalties)
		.sum();
	println!(
		"FIGURE settling {orders} orders: {calls} settle calls of up to {per_call} orders, {blocks} blocks at the normal class's {:.0}% of a block; weight per order {} ps ({:.4}% of a block); wall time {:.2} s native ({:.1} µs per order); penalties {} mCITY; total issuance unchanged",
		100.0 * normal.ref_time() as f64 / block.max_block.ref_time() as f64,
		weight.ref_time() / u64::from(orders),
		share(weight) / f64::from(orders),
		settle_time.as_secs_f64(),
		settle_time.as_secs_f64() * 1e6 / f64::from(orders),
		penalties / MILLI_UNIT,
	);
}
