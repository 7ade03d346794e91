//! Benchmarks of the energy market (v2 syntax). Worst cases: a bid that opens a new market
//! (its slot's zone list grows), clearing a grid of `MaxTicks` ticks with depth on every tick,
//! and each pass of settlement over `n` orders of a cleared market whose meters all reported
//! (metering reads two counters per order; collecting moves up to three amounts out of a hold;
//! distributing pays out of the market's account).
//!
//! These run in the pallet's mock (`cargo test -p pallet-energy-market --features
//! runtime-benchmarks`); the runtime's `weights.rs` is generated from them once the pallet is in
//! the runtime.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::Pallet as Market;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, EnsureOrigin, Get},
	weights::Weight,
};
use frame_system::RawOrigin;
use sp_runtime::SaturatedConversion;

const ZONE: ZoneId = 1;
const SLOT: SlotIndex = 1;

/// Slots of 10 blocks, gate closure 2 blocks before; a grid of `MaxTicks` ticks of 1 from 1.
fn market_params<T: Config>() {
	let ticks = u128::from(T::MaxTicks::get());
	Params::<T>::put(MarketParams {
		slot_blocks: 10u32.into(),
		gate_closure_blocks: 2u32.into(),
		price_floor: 1u128.saturated_into(),
		price_cap: ticks.saturated_into(),
		tick_size: 1u128.saturated_into(),
		ask_bond_per_kwh: 10u128.saturated_into(),
		penalty_per_kwh: 10u128.saturated_into(),
		grid_fee_per_kwh: 1u128.saturated_into(),
		settlement_deadline_blocks: 10u32.into(),
	});
}

/// Account `index` with plenty of funds.
fn trader<T: Config>(index: u32) -> T::AccountId {
	let who: T::AccountId = account("trader", index, 0);
	let plenty: BalanceOf<T> = 1_000_000_000_000_000u128.saturated_into();
	T::Currency::set_balance(&who, plenty);
	who
}

/// A cleared market of `n` orders (alternately asks at the floor and bids at the cap, each on
/// its own meter, every meter reporting), at the first block after its slot.
fn cleared_market_setup<T: Config>(n: u32) -> Result<(), BenchmarkError> {
	market_params::<T>();
	frame_system::Pallet::<T>::set_block_number(1u32.into());
	let cap: BalanceOf<T> = u128::from(T::MaxTicks::get()).saturated_into();
	let floor: BalanceOf<T> = 1u128.saturated_into();
	for i in 0..n {
		let who = trader::<T>(i);
		let meter = T::BenchmarkHelper::meter(&who, ZONE);
		let (side, price, flow) = if i % 2 == 0 {
			(Side::Ask, floor, EnergyFlow::Export)
		} else {
			(Side::Bid, cap, EnergyFlow::Import)
		};
		Market::<T>::do_place_order(who, ZONE, SLOT, side, price, 1_000, meter)?;
		// Sellers deliver 900 of 1,000 Wh, buyers take 800: both pay penalties, and sellers
		// share the buyers' (every pass takes its dearest path).
		let used = if side == Side::Ask { 900 } else { 800 };
		T::BenchmarkHelper::set_counter(meter, flow, 10_000, 1_000_000);
		T::BenchmarkHelper::set_counter(meter, flow, 20_000, 1_000_000 + used);
	}
	frame_system::Pallet::<T>::set_block_number(8u32.into());
	Market::<T>::do_clear(ZONE, SLOT)?;
	Markets::<T>::mutate(ZONE, SLOT, |market| {
		if let Some(market) = market {
			market.start_ms = Some(10_000);
			market.end_ms = Some(20_000);
		}
	});
	frame_system::Pallet::<T>::set_block_number(21u32.into());
	Ok(())
}

fn phase<T: Config>() -> settlement::Phase {
	Markets::<T>::get(ZONE, SLOT).map(|m| m.settlement.phase).unwrap_or_default()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A bid that opens its market.
	#[benchmark]
	fn place_order() -> Result<(), BenchmarkError> {
		market_params::<T>();
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		let who = trader::<T>(0);
		let meter = T::BenchmarkHelper::meter(&who, ZONE);
		let cap: BalanceOf<T> = u128::from(T::MaxTicks::get()).saturated_into();

		#[extrinsic_call]
		_(RawOrigin::Signed(who), ZONE, SLOT, Side::Bid, cap, 1_000, meter);

		assert!(Orders::<T>::contains_key(0));
		assert_eq!(SlotZones::<T>::get(SLOT).len(), 1);
		Ok(())
	}

	#[benchmark]
	fn cancel_order() -> Result<(), BenchmarkError> {
		market_params::<T>();
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		let who = trader::<T>(0);
		let meter = T::BenchmarkHelper::meter(&who, ZONE);
		let cap: BalanceOf<T> = u128::from(T::MaxTicks::get()).saturated_into();
		let order =
			Market::<T>::do_place_order(who.clone(), ZONE, SLOT, Side::Bid, cap, 1_000, meter)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who), order);

		assert!(!Orders::<T>::contains_key(order));
		Ok(())
	}

	/// Clearing a grid of `MaxTicks` ticks with depth on every tick (the hook does this per
	/// market at gate closure).
	#[benchmark]
	fn clear_market() -> Result<(), BenchmarkError> {
		market_params::<T>();
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		let who = trader::<T>(0);
		let meter = T::BenchmarkHelper::meter(&who, ZONE);
		let floor: BalanceOf<T> = 1u128.saturated_into();
		Market::<T>::do_place_order(who.clone(), ZONE, SLOT, Side::Ask, floor, 1_000, meter)?;
		for tick in 0..T::MaxTicks::get() {
			Depth::<T>::insert((ZONE, SLOT, tick), TickDepth { bid_wh: 1_000, ask_wh: 1_000 });
		}
		frame_system::Pallet::<T>::set_block_number(8u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(who), ZONE, SLOT);

		assert!(matches!(
			Markets::<T>::get(ZONE, SLOT).map(|m| m.status),
			Some(MarketStatus::Cleared(_))
		));
		Ok(())
	}

	/// Settlement's first pass over `n` orders: two meter counters each.
	#[benchmark]
	fn settle_metering(n: Linear<1, { T::MaxSettlePerCall::get() }>) -> Result<(), BenchmarkError> {
		cleared_market_setup::<T>(n)?;

		#[block]
		{
			Market::<T>::do_settle(ZONE, SLOT, n)?;
		}

		assert_eq!(Markets::<T>::get(ZONE, SLOT).map(|m| m.settlement.processed), Some(n));
		Ok(())
	}

	/// Settlement's second pass over `n` orders: charges, fees, penalties, releases.
	#[benchmark]
	fn settle_collecting(
		n: Linear<1, { T::MaxSettlePerCall::get() }>,
	) -> Result<(), BenchmarkError> {
		cleared_market_setup::<T>(n)?;
		Market::<T>::do_settle(ZONE, SLOT, n)?;

		#[block]
		{
			Market::<T>::do_settle(ZONE, SLOT, n)?;
		}

		assert_eq!(phase::<T>(), settlement::Phase::Collecting);
		Ok(())
	}

	/// Settlement's last pass over `n` orders: payouts, then the market's dust.
	#[benchmark]
	fn settle_distributing(
		n: Linear<1, { T::MaxSettlePerCall::get() }>,
	) -> Result<(), BenchmarkError> {
		cleared_market_setup::<T>(n)?;
		Market::<T>::do_settle(ZONE, SLOT, n)?;
		Market::<T>::do_settle(ZONE, SLOT, n)?;

		#[block]
		{
			Market::<T>::do_settle(ZONE, SLOT, n)?;
		}

		assert_eq!(phase::<T>(), settlement::Phase::Distributing);
		Ok(())
	}

	/// Removing `n` settled orders and then their market, `RetainSlots` after their slot.
	#[benchmark]
	fn prune_orders(n: Linear<1, { T::MaxSettlePerCall::get() }>) -> Result<(), BenchmarkError> {
		cleared_market_setup::<T>(n)?;
		while phase::<T>() != settlement::Phase::Done {
			Market::<T>::do_settle(ZONE, SLOT, n)?;
		}
		PruneFrom::<T>::put(SLOT);
		// Nothing left to settle: the measured work is the removal alone.
		SettleFrom::<T>::put(SLOT + T::RetainSlots::get() + 1);
		let later = (SLOT + T::RetainSlots::get() + 1) * 10;
		frame_system::Pallet::<T>::set_block_number(later.into());

		#[block]
		{
			Market::<T>::do_maintain(later.into(), Weight::MAX);
		}

		assert!(!Markets::<T>::contains_key(ZONE, SLOT));
		assert_eq!(Orders::<T>::iter().count(), 0);
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		market_params::<T>();
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let params = Params::<T>::get().ok_or(BenchmarkError::Stop("no params"))?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		Ok(())
	}

	impl_benchmark_test_suite!(Market, crate::mock::new_test_ext(), crate::mock::Test);
}
