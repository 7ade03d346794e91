//! Tests of the energy market: the clearing rules (pure), then orders, holds, gate closure and
//! clearing in a test runtime.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::{clearing::*, mock::*, *};
use city_primitives::{DeviceClass, DeviceStatus, Suspender};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use proptest::prelude::*;

fn depth(ticks: &[(u64, u64)]) -> Vec<TickDepth> {
	ticks.iter().map(|(bid_wh, ask_wh)| TickDepth { bid_wh: *bid_wh, ask_wh: *ask_wh }).collect()
}

// ------------------------------------------------------------------ clearing, pure

#[test]
fn no_crossing_clears_nothing() {
	// Asks at ticks 3 and 4, bids at ticks 0 and 1: no bid reaches an ask.
	assert_eq!(clear(&depth(&[(5, 0), (5, 0), (0, 0), (0, 5), (0, 5)])), None);
	// One side empty.
	assert_eq!(clear(&depth(&[(0, 5), (0, 5)])), None);
	assert_eq!(clear(&depth(&[(5, 0), (5, 0)])), None);
	assert_eq!(clear(&[]), None);
}

#[test]
fn everything_crosses_at_the_volume_maximising_tick() {
	// Asks 10 Wh at tick 0, bids 10 Wh at tick 4: everything trades; every tick 0..=4 trades
	// 10 Wh; the imbalance is 0 at all of them, so the lowest tick wins.
	let result = clear(&depth(&[(0, 10), (0, 0), (0, 0), (0, 0), (10, 0)])).unwrap();
	assert_eq!((result.tick, result.volume_wh), (0, 10));
	assert_eq!(fill(&result, Side::Ask, 0, 10), 10);
	assert_eq!(fill(&result, Side::Bid, 4, 10), 10);
}

#[test]
fn ties_go_to_the_smallest_imbalance_then_the_lowest_tick() {
	// Tick 1: D = 8, S = 6 -> 6. Tick 2: D = 8, S = 10 -> 8. Tick 3: D = 8, S = 12 -> 8.
	// Ticks 2 and 3 trade 8; imbalance 2 at tick 2, 4 at tick 3: tick 2.
	let result = clear(&depth(&[(0, 0), (0, 6), (0, 4), (8, 2)])).unwrap();
	assert_eq!((result.tick, result.volume_wh), (2, 8));
}

#[test]
fn equal_prices_cross_at_that_price() {
	let result = clear(&depth(&[(0, 0), (7, 7), (0, 0)])).unwrap();
	assert_eq!((result.tick, result.volume_wh), (1, 7));
	assert_eq!(fill(&result, Side::Bid, 1, 7), 7);
	assert_eq!(fill(&result, Side::Ask, 1, 7), 7);
}

#[test]
fn a_single_order_clears_nothing() {
	assert_eq!(clear(&depth(&[(0, 0), (0, 9)])), None);
	assert_eq!(clear(&depth(&[(9, 0)])), None);
}

#[test]
fn the_marginal_tick_shares_pro_rata_rounded_down() {
	// Asks: 10 Wh at tick 0 (in full), 3 orders at tick 1 of 10 + 10 + 10 Wh. Bids: 25 Wh at
	// tick 1. Volume 25: the asks at tick 1 share 15 Wh of 30: each gets 10 x 15 / 30 = 5.
	let result = clear(&depth(&[(0, 10), (25, 30)])).unwrap();
	assert_eq!((result.tick, result.volume_wh), (1, 25));
	assert_eq!(result.asks, Marginal { tick: 1, filled_wh: 15, offered_wh: 30 });
	assert_eq!(fill(&result, Side::Ask, 0, 10), 10);
	assert_eq!(fill(&result, Side::Ask, 1, 10), 5);
	// Orders of 7, 11 and 12 Wh at the margin: 3.5, 5.5 and 6 rounded down to 3, 5, 6: 14 of
	// the 15 Wh (rounding never creates a Wh).
	let shares: Vec<u64> = [7, 11, 12].iter().map(|q| fill(&result, Side::Ask, 1, *q)).collect();
	assert_eq!(shares, vec![3, 5, 6]);
	// The bids are the short side: filled in full.
	assert_eq!(fill(&result, Side::Bid, 1, 25), 25);
	// Worse than the marginal tick: nothing.
	let result = clear(&depth(&[(0, 10), (5, 0), (0, 10)])).unwrap();
	assert_eq!((result.tick, result.volume_wh), (0, 5));
	assert_eq!(fill(&result, Side::Ask, 2, 10), 0);
}

/// The volume at tick `k`, from the orders themselves (the definition).
fn naive_volume(orders: &[(Side, u16, u64)], k: u16) -> u64 {
	let demand: u64 = orders.iter().filter(|o| o.0 == Side::Bid && o.1 >= k).map(|o| o.2).sum();
	let supply: u64 = orders.iter().filter(|o| o.0 == Side::Ask && o.1 <= k).map(|o| o.2).sum();
	demand.min(supply)
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(500))]

	/// Over random order books: the clearing tick trades the most any tick could; fills never
	/// exceed the volume nor an order's quantity; nobody trades at a price worse than their
	/// order's; and the fills of each side are within one Wh per marginal order of the volume.
	#[test]
	fn clearing_holds_its_rules_on_random_books(
		orders in proptest::collection::vec(
			(prop_oneof![Just(Side::Bid), Just(Side::Ask)], 0u16..12, 1u64..5_000),
			0..40,
		),
	) {
		let mut book = vec![TickDepth::default(); 12];
		for (side, tick, quantity) in &orders {
			match side {
				Side::Bid => book[*tick as usize].bid_wh += quantity,
				Side::Ask => book[*tick as usize].ask_wh += quantity,
			}
		}
		let best = (0..12).map(|k| naive_volume(&orders, k)).max().unwrap_or(0);
		match clear(&book) {
			None => prop_assert_eq!(best, 0),
			Some(result) => {
				prop_assert_eq!(result.volume_wh, best);
				prop_assert_eq!(naive_volume(&orders, result.tick), best);
				for side in [Side::Bid, Side::Ask] {
					let mut total = 0u64;
					let mut marginal_orders = 0u64;
					for (order_side, tick, quantity) in orders.iter().filter(|o| o.0 == side) {
						let filled = fill(&result, *order_side, *tick, *quantity);
						prop_assert!(filled <= *quantity);
						if filled > 0 {
							match side {
								Side::Bid => prop_assert!(*tick >= result.tick),
								Side::Ask => prop_assert!(*tick <= result.tick),
							}
						}
						let marginal = match side { Side::Bid => result.bids, Side::Ask => result.asks };
						if *tick == marginal.tick {
							marginal_orders += 1;
						}
						total += filled;
					}
					prop_assert!(total <= result.volume_wh);
					prop_assert!(total + marginal_orders >= result.volume_wh, "{} + {} < {}", total, marginal_orders, result.volume_wh);
				}
			},
		}
	}
}

// ------------------------------------------------------------------ orders and holds

const ZONE: ZoneId = 7;
/// Slot 1 starts at block 10; its gate closes at block 8.
const SLOT: SlotIndex = 1;

fn held(who: u8, reason: HoldReason) -> Balance {
	<Balances as InspectHold<AccountId>>::balance_on_hold(&reason.into(), &account(who))
}

/// Meters 1..=4 owned by Alice (a solar inverter), Bob, Charlie and Dave (smart meters), in
/// `ZONE`; each also has smart meters `10 + n` and `20 + n`.
fn meters() {
	add_device(1, &account(ALICE), DeviceClass::SolarInverter, ZONE);
	add_device(2, &account(BOB), DeviceClass::SmartMeter, ZONE);
	add_device(3, &account(CHARLIE), DeviceClass::SmartMeter, ZONE);
	add_device(4, &account(DAVE), DeviceClass::SmartMeter, ZONE);
	for (n, who) in [(1, ALICE), (2, BOB), (3, CHARLIE), (4, DAVE)] {
		add_device(10 + n, &account(who), DeviceClass::SmartMeter, ZONE);
		add_device(20 + n, &account(who), DeviceClass::SmartMeter, ZONE);
	}
}

fn place(who: u8, side: Side, price: Balance, quantity_wh: u64, meter: DeviceId) -> DispatchResult {
	EnergyMarket::place_order(
		RuntimeOrigin::signed(account(who)),
		ZONE,
		SLOT,
		side,
		price,
		quantity_wh,
		meter,
	)
}

use sp_runtime::DispatchResult;

#[test]
fn a_bid_holds_its_maximum_cost_and_an_ask_its_bond() {
	new_test_ext().execute_with(|| {
		meters();
		// 2,500 Wh at most 150 per kWh, plus the grid fee of 5: 387.5, rounded up to 388.
		assert_ok!(place(BOB, Side::Bid, 150, 2_500, 2));
		assert_eq!(held(BOB, HoldReason::BidEscrow), 388);
		// 1,001 Wh at 155 per kWh = 155.155: rounded up to 156.
		assert_ok!(place(CHARLIE, Side::Bid, 150, 1_001, 3));
		assert_eq!(held(CHARLIE, HoldReason::BidEscrow), 156);
		// An ask of 3,000 Wh: bond 50 per kWh = 150.
		assert_ok!(place(ALICE, Side::Ask, 120, 3_000, 1));
		assert_eq!(held(ALICE, HoldReason::AskBond), 150);
		let order = Orders::<Test>::get(2).unwrap();
		assert_eq!(
			(order.side, order.tick, order.quantity_wh, order.held),
			(Side::Ask, 2, 3_000, 150)
		);
		assert_eq!(Depth::<Test>::get((ZONE, SLOT, 5)), TickDepth { bid_wh: 3_501, ask_wh: 0 });
		assert_eq!(Depth::<Test>::get((ZONE, SLOT, 2)), TickDepth { bid_wh: 0, ask_wh: 3_000 });
		let market = Markets::<Test>::get(ZONE, SLOT).unwrap();
		assert_eq!((market.orders, market.gate_closure, market.status), (3, 8, MarketStatus::Open));
		assert_eq!((market.slot_start, market.slot_end, market.deadline), (10, 20, 40));
		assert_eq!(market.grid, PriceGrid { floor: 100, tick_size: 10, ticks: 11 });
		assert_eq!(
			market.fees,
			MarketFees { ask_bond_per_kwh: 50, penalty_per_kwh: 40, grid_fee_per_kwh: 5 }
		);
		assert_eq!(SlotZones::<Test>::get(SLOT).into_inner(), vec![ZONE]);
		assert_eq!(LiveMarkets::<Test>::get(), 1);
		assert_eq!(AccountSlotOrders::<Test>::get(account(BOB), SLOT), 1);
		System::assert_last_event(
			Event::OrderPlaced {
				order: 2,
				owner: account(ALICE),
				zone: ZONE,
				slot: SLOT,
				side: Side::Ask,
				price: 120,
				quantity_wh: 3_000,
				held: 150,
			}
			.into(),
		);
	});
}

#[test]
fn orders_are_refused_with_their_reasons() {
	new_test_ext().execute_with(|| {
		meters();
		add_device(5, &account(ALICE), DeviceClass::ParkingSensor, ZONE);
		add_device(6, &account(ALICE), DeviceClass::SmartMeter, ZONE + 1);
		let place_in = |slot: SlotIndex, price, quantity, meter| {
			EnergyMarket::place_order(
				RuntimeOrigin::signed(account(ALICE)),
				ZONE,
				slot,
				Side::Ask,
				price,
				quantity,
				meter,
			)
		};
		assert_noop!(place_in(0, 150, 1_000, 1), Error::<Test>::GateClosed);
		assert_noop!(place_in(SLOT + 5, 150, 1_000, 1), Error::<Test>::SlotTooFarAhead);
		assert_noop!(place_in(SLOT, 90, 1_000, 1), Error::<Test>::PriceOutOfRange);
		assert_noop!(place_in(SLOT, 210, 1_000, 1), Error::<Test>::PriceOutOfRange);
		assert_noop!(place_in(SLOT, 155, 1_000, 1), Error::<Test>::PriceOffTick);
		assert_noop!(place_in(SLOT, 150, 0, 1), Error::<Test>::BadQuantity);
		assert_noop!(place_in(SLOT, 150, 9, 1), Error::<Test>::BadQuantity);
		assert_noop!(place_in(SLOT, 150, 1_000_001, 1), Error::<Test>::BadQuantity);
		assert_noop!(place_in(SLOT, 150, 1_000, 99), Error::<Test>::UnknownMeter);
		assert_noop!(place_in(SLOT, 150, 1_000, 2), Error::<Test>::NotYourMeter);
		assert_noop!(place_in(SLOT, 150, 1_000, 5), Error::<Test>::NotAMeter);
		assert_noop!(place_in(SLOT, 150, 1_000, 6), Error::<Test>::WrongZone);
		edit_device(1, |d| d.certified = false);
		assert_noop!(place_in(SLOT, 150, 1_000, 1), Error::<Test>::MeterNotCertified);
		edit_device(1, |d| {
			d.certified = true;
			d.status = DeviceStatus::Suspended(Suspender::Owner);
		});
		assert_noop!(place_in(SLOT, 150, 1_000, 1), Error::<Test>::MeterNotActive);
		edit_device(1, |d| d.status = DeviceStatus::Active);
		// An operator may trade with the meter it operates.
		edit_device(2, |d| d.operator = Some(account(ALICE)));
		assert_ok!(place_in(SLOT, 150, 1_000, 2));
		// A bid whose maximum cost is more than the buyer has (account 9 has nothing).
		add_device(9, &account(9), DeviceClass::SmartMeter, ZONE);
		assert_noop!(
			EnergyMarket::place_order(
				RuntimeOrigin::signed(account(9)),
				ZONE,
				SLOT,
				Side::Bid,
				200,
				1_000,
				9
			),
			Error::<Test>::InsufficientBalance
		);
		// Gate closure is 2 blocks before the slot: from block 8, slot 1 takes no orders.
		run_to(8);
		assert_noop!(place_in(SLOT, 150, 1_000, 1), Error::<Test>::GateClosed);
	});
}

#[test]
fn a_closed_market_takes_no_orders() {
	new_test_ext().execute_with(|| {
		meters();
		Params::<Test>::kill();
		assert_noop!(place(ALICE, Side::Ask, 150, 1_000, 1), Error::<Test>::MarketClosed);
	});
}

#[test]
fn orders_are_bounded_per_account_per_market_and_per_slot() {
	new_test_ext().execute_with(|| {
		meters();
		// One order per meter and side: its energy counts once.
		assert_ok!(place(ALICE, Side::Ask, 150, 1_000, 1));
		assert_noop!(place(ALICE, Side::Ask, 160, 500, 1), Error::<Test>::MeterAlreadyTrading);
		// A solar inverter only sells.
		assert_noop!(place(ALICE, Side::Bid, 150, 1_000, 1), Error::<Test>::NotAMeter);
		assert_ok!(place(ALICE, Side::Ask, 150, 1_000, 11));
		assert_ok!(place(ALICE, Side::Ask, 150, 1_000, 21));
		add_device(31, &account(ALICE), DeviceClass::SmartMeter, ZONE);
		assert_noop!(place(ALICE, Side::Ask, 150, 1_000, 31), Error::<Test>::TooManyOrders);
		for meter in [2, 12, 22] {
			assert_ok!(place(BOB, Side::Bid, 150, 1_000, meter));
		}
		// Six orders: the market is full.
		assert_noop!(place(CHARLIE, Side::Bid, 150, 1_000, 3), Error::<Test>::MarketFull);
		// Two markets close at block 8 at most.
		add_device(10, &account(CHARLIE), DeviceClass::SmartMeter, ZONE + 1);
		add_device(11, &account(CHARLIE), DeviceClass::SmartMeter, ZONE + 2);
		let bid_in = |zone| {
			EnergyMarket::place_order(
				RuntimeOrigin::signed(account(CHARLIE)),
				zone,
				SLOT,
				Side::Bid,
				150,
				1_000,
				if zone == ZONE + 1 { 10 } else { 11 },
			)
		};
		assert_ok!(bid_in(ZONE + 1));
		assert_noop!(bid_in(ZONE + 2), Error::<Test>::TooManyMarkets);
	});
}

#[test]
fn cancelling_releases_the_hold_until_gate_closure() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(BOB, Side::Bid, 150, 2_000, 2));
		assert_ok!(place(BOB, Side::Bid, 160, 1_000, 12));
		assert_ok!(place(ALICE, Side::Ask, 120, 1_000, 1));
		assert_noop!(
			EnergyMarket::cancel_order(RuntimeOrigin::signed(account(ALICE)), 0),
			Error::<Test>::NotYourOrder
		);
		assert_noop!(
			EnergyMarket::cancel_order(RuntimeOrigin::signed(account(BOB)), 9),
			Error::<Test>::UnknownOrder
		);
		assert_ok!(EnergyMarket::cancel_order(RuntimeOrigin::signed(account(BOB)), 0));
		System::assert_last_event(Event::OrderCancelled { order: 0, released: 310 }.into());
		assert_eq!(held(BOB, HoldReason::BidEscrow), 165);
		assert_eq!(Balances::balance(&account(BOB)), INITIAL - 165);
		assert_eq!(Depth::<Test>::get((ZONE, SLOT, 5)), TickDepth::default());
		assert!(Orders::<Test>::get(0).is_none());
		assert!(MarketOrders::<Test>::get((ZONE, SLOT, 0)).is_none());
		assert_eq!(AccountSlotOrders::<Test>::get(account(BOB), SLOT), 1);
		assert_eq!(Markets::<Test>::get(ZONE, SLOT).unwrap().orders, 2);
		assert!(MeterOrders::<Test>::get((SLOT, 2, Side::Bid)).is_none());
		// At gate closure the order stands.
		run_to(8);
		assert_noop!(
			EnergyMarket::cancel_order(RuntimeOrigin::signed(account(BOB)), 1),
			Error::<Test>::GateClosed
		);
		assert_eq!(held(BOB, HoldReason::BidEscrow), 165);
	});
}

#[test]
fn the_market_clears_at_gate_closure_and_only_once() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 120, 3_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 2_000, 2));
		assert_ok!(place(CHARLIE, Side::Bid, 130, 2_000, 3));
		assert_noop!(
			EnergyMarket::clear_market(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT),
			Error::<Test>::GateNotClosed
		);
		assert_noop!(
			EnergyMarket::clear_market(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT + 1),
			Error::<Test>::UnknownMarket
		);
		run_to(8);
		// Ask 3,000 at tick 2; bids 2,000 at tick 5 and 2,000 at tick 3. Tick 2 and 3: volume
		// 3,000 (imbalance 1,000); tick 2 is the lower: price 120.
		let market = Markets::<Test>::get(ZONE, SLOT).unwrap();
		let MarketStatus::Cleared(result) = market.status else { panic!("{market:?}") };
		assert_eq!((result.tick, result.volume_wh), (2, 3_000));
		System::assert_last_event(
			Event::MarketCleared { zone: ZONE, slot: SLOT, price: 120, volume_wh: 3_000 }.into(),
		);
		// Bob (tick 5) in full; Charlie (tick 3, the bids' marginal tick) gets the 1,000 left.
		assert_eq!(fill(&result, Side::Bid, 5, 2_000), 2_000);
		assert_eq!(fill(&result, Side::Bid, 3, 2_000), 1_000);
		assert_eq!(fill(&result, Side::Ask, 2, 3_000), 3_000);
		assert_noop!(
			EnergyMarket::clear_market(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT),
			Error::<Test>::AlreadyCleared
		);
	});
}

#[test]
fn a_market_without_crossing_orders_does_not_clear() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 180, 1_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 1_000, 2));
		run_to(8);
		assert_eq!(Markets::<Test>::get(ZONE, SLOT).unwrap().status, MarketStatus::NoTrade);
		System::assert_last_event(Event::MarketNotCleared { zone: ZONE, slot: SLOT }.into());
	});
}

#[test]
fn governance_sets_consistent_params_only() {
	new_test_ext().execute_with(|| {
		let set = |params| EnergyMarket::set_params(RuntimeOrigin::root(), params);
		assert_noop!(
			EnergyMarket::set_params(RuntimeOrigin::signed(account(ALICE)), params()),
			sp_runtime::DispatchError::BadOrigin
		);
		for bad in [
			MarketParams { slot_blocks: 0, ..params() },
			MarketParams { gate_closure_blocks: 10, ..params() },
			MarketParams { tick_size: 0, ..params() },
			MarketParams { price_floor: 300, ..params() },
			MarketParams { tick_size: 30, ..params() },
			MarketParams { tick_size: 1, price_cap: 300, ..params() },
			MarketParams { price_cap: 100, ..params() },
			MarketParams { penalty_per_kwh: 51, ..params() },
		] {
			assert_noop!(set(bad), Error::<Test>::InvalidParams);
		}
		let cheaper = MarketParams { price_floor: 50, ..params() };
		assert_ok!(set(cheaper.clone()));
		assert_eq!(Params::<Test>::get(), Some(cheaper.clone()));
		System::assert_last_event(Event::ParamsSet { params: cheaper }.into());
	});
}

// ------------------------------------------------------------------ settlement

/// The slot's boundaries as the hooks stamp them: blocks 10 and 20.
const START_MS: u64 = 60_000;
const END_MS: u64 = 120_000;

fn settle_all() {
	for _ in 0..20 {
		EnergyMarket::do_try_state().expect("state invariants hold during settlement");
		let market = Markets::<Test>::get(ZONE, SLOT).unwrap();
		if market.settlement.phase == settlement::Phase::Done {
			return;
		}
		assert_ok!(EnergyMarket::settle(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT));
	}
	panic!("settlement did not finish in 20 calls");
}

/// Everybody's free and held balance, the market's account and the treasury.
fn total_of_everyone() -> Balance {
	let mut everyone: Vec<AccountId> =
		[ALICE, BOB, CHARLIE, DAVE].iter().map(|n| account(*n)).collect();
	everyone.push(EnergyMarket::account());
	everyone.push(TreasuryAccount::get());
	everyone.iter().map(Balances::total_balance).sum()
}

fn meter_delta(device: DeviceId, flow: EnergyFlow, wh: u64) {
	set_counter(device, flow, START_MS, 1_000_000);
	set_counter(device, flow, END_MS, 1_000_000 + wh);
}

use city_primitives::EnergyFlow;

#[test]
fn a_trade_settles_to_the_unit() {
	new_test_ext().execute_with(|| {
		meters();
		let before = total_of_everyone();
		let issuance = Balances::total_issuance();
		assert_ok!(place(ALICE, Side::Ask, 120, 3_000, 1));
		assert_ok!(place(DAVE, Side::Ask, 110, 1_000, 4));
		assert_ok!(place(BOB, Side::Bid, 150, 2_000, 2));
		assert_ok!(place(CHARLIE, Side::Bid, 130, 2_000, 3));
		// Alice delivers 2,000 of her 3,000 Wh; Dave all 1,000; Bob takes 2,000; Charlie 1,500.
		meter_delta(1, EnergyFlow::Export, 2_000);
		meter_delta(4, EnergyFlow::Export, 1_000);
		meter_delta(2, EnergyFlow::Import, 2_000);
		meter_delta(3, EnergyFlow::Import, 1_500);
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT),
			Error::<Test>::SlotNotOver
		);
		run_to(21);
		let market = Markets::<Test>::get(ZONE, SLOT).unwrap();
		assert_eq!((market.start_ms, market.end_ms), (Some(START_MS), Some(END_MS)));
		// Every tick from 2 to 3 trades all 4,000 Wh with no imbalance: tick 2, 120 per kWh.
		let MarketStatus::Cleared(result) = market.status else { panic!("{market:?}") };
		assert_eq!((result.tick, result.volume_wh), (2, 4_000));
		settle_all();
		// Delivered 3,000, consumed 3,500: 3,000 Wh moved. Bob's share 2,000 x 3/3.5 = 1,714;
		// Charlie's 1,285. Bob pays 120 x 1.714 = 205 and a fee of 8; Charlie 154 and 6.
		// Alice forfeits 40 x 1 kWh = 40. Sellers share the 359 paid: Alice 2/3 = 239, Dave
		// 119. Buyers share the 40 by shortfall (286 and 215 Wh): Bob 22, Charlie 17. Dust:
		// 1 + 1 to the treasury, with the fees 14.
		let outcome = |id| Orders::<Test>::get(id).unwrap().outcome;
		assert_eq!(outcome(0).penalty, 40);
		assert_eq!(outcome(0).received, 239);
		assert_eq!(outcome(1).received, 119);
		assert_eq!(
			(outcome(2).energy_wh, outcome(2).paid, outcome(2).fee, outcome(2).compensation),
			(1_714, 205, 8, 22)
		);
		assert_eq!(
			(outcome(3).energy_wh, outcome(3).paid, outcome(3).fee, outcome(3).compensation),
			(1_285, 154, 6, 17)
		);
		// Charlie was allocated 2,000 Wh and took 1,500: 40 x 0.5 kWh = 20 for what he left.
		// The sellers' energy was all bought, so it goes to the treasury.
		assert_eq!(outcome(3).penalty, 20);
		assert!((0..4).all(|id| outcome(id).settled));
		assert_eq!(Balances::balance(&account(ALICE)), INITIAL - 40 + 239);
		assert_eq!(Balances::balance(&account(DAVE)), INITIAL + 119);
		assert_eq!(Balances::balance(&account(BOB)), INITIAL - 205 - 8 + 22);
		assert_eq!(Balances::balance(&account(CHARLIE)), INITIAL - 154 - 6 + 17 - 20);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), ED + 14 + 2 + 20);
		assert_eq!(Balances::balance(&EnergyMarket::account()), ED);
		for who in [ALICE, BOB, CHARLIE, DAVE] {
			assert_eq!(held(who, HoldReason::BidEscrow) + held(who, HoldReason::AskBond), 0);
		}
		System::assert_last_event(
			Event::MarketSettled {
				zone: ZONE,
				slot: SLOT,
				energy_wh: 3_000,
				paid: 359,
				fees: 14,
				penalties: 60,
				dust: 22,
			}
			.into(),
		);
		assert_eq!(total_of_everyone(), before);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(LiveMarkets::<Test>::get(), 0);
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT),
			Error::<Test>::AlreadySettled
		);
	});
}

#[test]
fn settlement_waits_for_readings_until_the_deadline_then_the_silent_side_bears_it() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 120, 3_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 3_000, 2));
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT + 1),
			Error::<Test>::UnknownMarket
		);
		run_to(21);
		// No readings yet; deadline at block 40.
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT),
			Error::<Test>::ReadingsPending
		);
		run_to(40);
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT),
			Error::<Test>::ReadingsPending
		);
		run_to(41);
		settle_all();
		// The seller delivered nothing (no readings): the whole 3 kWh penalty, 120, out of
		// a bond of 150. The buyer is deemed to have consumed its 3,000 Wh, none of which came
		// from the market: it pays nothing for energy, and, silent itself, has no shortfall to
		// be compensated for: the penalty goes to the treasury.
		let ask = Orders::<Test>::get(0).unwrap().outcome;
		let bid = Orders::<Test>::get(1).unwrap().outcome;
		assert_eq!((ask.metered_wh, ask.penalty, ask.deemed), (0, 120, true));
		assert_eq!(
			(bid.metered_wh, bid.energy_wh, bid.paid, bid.compensation, bid.deemed),
			(3_000, 0, 0, 0, true)
		);
		assert_eq!(Balances::balance(&account(ALICE)), INITIAL - 120);
		assert_eq!(Balances::balance(&account(BOB)), INITIAL);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), ED + 120);
		assert_eq!(held(ALICE, HoldReason::AskBond) + held(BOB, HoldReason::BidEscrow), 0);
	});
}

#[test]
fn a_market_that_did_not_clear_releases_everything() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 180, 1_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 1_000, 2));
		run_to(21);
		settle_all();
		assert_eq!(Balances::balance(&account(ALICE)), INITIAL);
		assert_eq!(Balances::balance(&account(BOB)), INITIAL);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), ED);
	});
}

#[test]
fn settlement_goes_in_bounded_steps() {
	new_test_ext().execute_with(|| {
		meters();
		// Six orders, four per call: metering takes two calls.
		for (who, meter) in [(ALICE, 1), (DAVE, 4), (ALICE, 11)] {
			assert_ok!(place(who, Side::Ask, 120, 1_000, meter));
			meter_delta(meter, EnergyFlow::Export, 5_000);
		}
		for (who, meter) in [(BOB, 2), (CHARLIE, 3), (BOB, 12)] {
			assert_ok!(place(who, Side::Bid, 150, 1_000, meter));
			meter_delta(meter, EnergyFlow::Import, 5_000);
		}
		run_to(21);
		assert_ok!(EnergyMarket::settle(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT));
		let progress = Markets::<Test>::get(ZONE, SLOT).unwrap().settlement;
		assert_eq!((progress.phase, progress.processed), (settlement::Phase::Metering, 4));
		settle_all();
		assert_eq!(Balances::balance(&EnergyMarket::account()), ED);
	});
}

#[test]
fn governance_cannot_renumber_slots_while_markets_live() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 120, 1_000, 1));
		assert_noop!(
			EnergyMarket::set_params(
				RuntimeOrigin::root(),
				MarketParams { slot_blocks: 20, ..params() }
			),
			Error::<Test>::MarketsLive
		);
		// Prices and fees may change: they apply to markets opened later.
		assert_ok!(EnergyMarket::set_params(
			RuntimeOrigin::root(),
			MarketParams { grid_fee_per_kwh: 9, ..params() }
		));
		assert_eq!(Markets::<Test>::get(ZONE, SLOT).unwrap().fees.grid_fee_per_kwh, 5);
	});
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	/// Over random order books and meter outcomes (some meters silent until past the
	/// deadline): total issuance never changes, nobody's money appears or vanishes (everyone's
	/// free and held balances, the market's account and the treasury add up to what they
	/// were), every hold is released, and the market's account ends where it started.
	#[test]
	fn settlement_conserves_money(
		orders in proptest::collection::vec(
			(0usize..4, 0usize..3, 0u16..11, 10u64..5_000),
			1..6,
		),
		metered in proptest::collection::vec(proptest::option::of(0u64..6_000), 12),
	) {
		new_test_ext().execute_with(|| {
			meters();
			let before = total_of_everyone();
			let issuance = Balances::total_issuance();
			// Alice and Dave sell, Bob and Charlie buy.
			// Trader n trades with meters n, 10 + n and 20 + n.
			let traders = [(ALICE, 1, Side::Ask), (BOB, 2, Side::Bid), (CHARLIE, 3, Side::Bid), (DAVE, 4, Side::Ask)];
			for (trader, meter, tick, quantity) in &orders {
				let (who, base, side) = traders[*trader];
				let meter = base + 10 * *meter as DeviceId;
				let _ = place(who, side, 100 + 10 * Balance::from(*tick), *quantity, meter);
			}
			for (index, delta) in metered.iter().enumerate() {
				let (_, base, side) = traders[index % 4];
				let meter = base + 10 * (index / 4) as DeviceId;
				let flow = if side == Side::Ask { EnergyFlow::Export } else { EnergyFlow::Import };
				if let Some(wh) = delta {
					meter_delta(meter, flow, *wh);
				}
			}
			run_to(41);
			if Markets::<Test>::contains_key(ZONE, SLOT) {
				settle_all();
			}
			prop_assert!(EnergyMarket::do_try_state().is_ok());
			prop_assert_eq!(Balances::total_issuance(), issuance);
			prop_assert_eq!(total_of_everyone(), before);
			prop_assert_eq!(Balances::balance(&EnergyMarket::account()), ED);
			for who in [ALICE, BOB, CHARLIE, DAVE] {
				prop_assert_eq!(held(who, HoldReason::BidEscrow) + held(who, HoldReason::AskBond), 0);
			}
			Ok(())
		})?;
	}
}

#[test]
fn a_payment_an_emptied_account_cannot_take_goes_to_the_treasury() {
	new_test_ext().execute_with(|| {
		meters();
		// 50 Wh at 120 per kWh: 6, below the existential deposit (10).
		assert_ok!(place(ALICE, Side::Ask, 120, 50, 1));
		assert_ok!(place(BOB, Side::Bid, 120, 50, 2));
		meter_delta(1, EnergyFlow::Export, 50);
		meter_delta(2, EnergyFlow::Import, 50);
		run_to(21);
		// Metering and collecting (2 + 2 orders) in the first call: the bond is released.
		assert_ok!(EnergyMarket::settle(RuntimeOrigin::signed(account(DAVE)), ZONE, SLOT));
		assert_eq!(held(ALICE, HoldReason::AskBond), 0);
		// Alice empties her account; it is reaped.
		assert_ok!(Balances::transfer_all(
			RuntimeOrigin::signed(account(ALICE)),
			account(DAVE),
			false
		));
		assert!(!System::account_exists(&account(ALICE)));
		// Her 6 cannot be paid to a reaped account: the treasury gets it, settlement ends.
		settle_all();
		assert_eq!(Orders::<Test>::get(0).unwrap().outcome.received, 0);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), ED + 6);
		assert_eq!(Balances::balance(&EnergyMarket::account()), ED);
	});
}

#[test]
fn a_new_slot_length_numbers_slots_above_every_slot_used_before() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 120, 1_000, 1));
		assert_ok!(place(BOB, Side::Bid, 120, 1_000, 2));
		meter_delta(1, EnergyFlow::Export, 1_000);
		meter_delta(2, EnergyFlow::Import, 1_000);
		run_to(21);
		settle_all();
		// Block 21 is in slot 2 of 10-block slots. Slots of 20 blocks now start at block 21 as
		// slot 3: slot 1, settled, is in the past and takes no orders.
		assert_ok!(EnergyMarket::set_params(
			RuntimeOrigin::root(),
			MarketParams { slot_blocks: 20, ..params() }
		));
		assert_eq!(Schedule::<Test>::get(), (21, 3));
		assert_noop!(place(ALICE, Side::Ask, 120, 1_000, 1), Error::<Test>::GateClosed);
		// Slot 4 starts at block 41; its gate closes at 39.
		assert_ok!(EnergyMarket::place_order(
			RuntimeOrigin::signed(account(ALICE)),
			ZONE,
			4,
			Side::Ask,
			120,
			1_000,
			1
		));
		let market = Markets::<Test>::get(ZONE, 4).unwrap();
		assert_eq!((market.slot_start, market.slot_end, market.gate_closure), (41, 61, 39));
	});
}

// ------------------------------------------------------------------ retention and removal

/// What `on_idle` at block `n` does with all the weight it may want.
fn idle(n: u64) -> Weight {
	let used = EnergyMarket::on_idle(n, Weight::MAX);
	EnergyMarket::do_try_state().expect("state invariants hold through maintenance");
	used
}

use frame_support::{
	traits::{Get, Hooks},
	weights::Weight,
};

#[test]
fn settled_markets_leave_storage_retain_slots_after_their_slot() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 120, 1_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 1_000, 2));
		meter_delta(1, EnergyFlow::Export, 1_000);
		meter_delta(2, EnergyFlow::Import, 1_000);
		run_to(21);
		settle_all();
		assert_eq!(AccountOrders::<Test>::iter_keys().count(), 2);
		// Slot 1 is kept through slot 4 (RetainSlots 3): block 49 is the last of it.
		run_to(49);
		idle(49);
		assert!(Markets::<Test>::contains_key(ZONE, SLOT));
		assert!(Orders::<Test>::get(0).is_some_and(|order| order.outcome.settled));
		run_to(50);
		let used = idle(50);
		assert!(used.all_gt(Weight::zero()));
		assert!(!Markets::<Test>::contains_key(ZONE, SLOT));
		assert_eq!(Orders::<Test>::iter().count(), 0);
		assert_eq!(AccountOrders::<Test>::iter().count(), 0);
		assert_eq!(MarketOrders::<Test>::iter().count(), 0);
		assert_eq!(MeterOrders::<Test>::iter().count(), 0);
		assert_eq!(AccountSlotOrders::<Test>::iter().count(), 0);
		assert_eq!(Depth::<Test>::iter().count(), 0);
		assert_eq!(SlotZones::<Test>::iter().count(), 0);
		// Slots 0 and 1 are done with; slot 2 is still within its retention.
		assert_eq!(PruneFrom::<Test>::get(), 2);
		assert_eq!(Balances::balance(&account(ALICE)), INITIAL + 120);
		// Nothing left to do: only the look-up.
		assert_eq!(
			idle(50),
			<<Test as frame_system::Config>::DbWeight as Get<
				frame_support::weights::RuntimeDbWeight,
			>>::get()
			.reads_writes(3, 1)
		);
	});
}

#[test]
fn a_market_nobody_settled_is_settled_by_the_deadline_rule_before_it_leaves() {
	new_test_ext().execute_with(|| {
		meters();
		let issuance = Balances::total_issuance();
		assert_ok!(place(ALICE, Side::Ask, 120, 3_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 3_000, 2));
		run_to(50);
		// Six settlement steps and three removals, at most MaxSettlePerCall (4) per block.
		for n in 50..60 {
			run_to(n);
			idle(n);
		}
		assert!(!Markets::<Test>::contains_key(ZONE, SLOT));
		assert_eq!(LiveMarkets::<Test>::get(), 0);
		// As in the deadline rule: the silent seller forfeits 3 kWh x 40 to the treasury.
		assert_eq!(Balances::balance(&account(ALICE)), INITIAL - 120);
		assert_eq!(Balances::balance(&account(BOB)), INITIAL);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), ED + 120);
		assert_eq!(held(ALICE, HoldReason::AskBond) + held(BOB, HoldReason::BidEscrow), 0);
		assert_eq!(Balances::total_issuance(), issuance);
		System::assert_has_event(
			Event::MarketSettled {
				zone: ZONE,
				slot: SLOT,
				energy_wh: 0,
				paid: 0,
				fees: 0,
				penalties: 120,
				dust: 120,
			}
			.into(),
		);
	});
}

#[test]
fn maintenance_takes_only_the_weight_the_block_has_left() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 120, 1_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 1_000, 2));
		meter_delta(1, EnergyFlow::Export, 1_000);
		meter_delta(2, EnergyFlow::Import, 1_000);
		run_to(21);
		settle_all();
		run_to(50);
		let step = EnergyMarket::maintenance_step_weight();
		// Nothing fits: nothing happens.
		assert_eq!(EnergyMarket::do_maintain(50, step - Weight::from_parts(1, 0)), Weight::zero());
		assert_eq!((PruneFrom::<Test>::get(), Orders::<Test>::iter().count()), (0, 2));
		// Room for one step: one order goes (the test runtime's reads and writes weigh
		// nothing, so the empty slot 0 is passed for free).
		let used = EnergyMarket::do_maintain(50, step);
		assert!(used.all_lte(step) && used.all_gt(Weight::zero()));
		assert_eq!((PruneFrom::<Test>::get(), Orders::<Test>::iter().count()), (1, 1));
		EnergyMarket::do_try_state().unwrap();
		// What `on_idle` reports never exceeds what the block had left.
		let remaining = step + step;
		assert!(EnergyMarket::on_idle(50, remaining).all_lte(remaining));
		EnergyMarket::do_try_state().unwrap();
		idle(50);
		assert_eq!(Orders::<Test>::iter().count(), 0);
		assert!(!Markets::<Test>::contains_key(ZONE, SLOT));
	});
}

#[test]
fn an_overdue_market_is_settled_right_after_its_deadline() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 120, 1_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 1_000, 2));
		meter_delta(1, EnergyFlow::Export, 1_000);
		meter_delta(2, EnergyFlow::Import, 1_000);
		// Deadline at block 40: until then nobody's readings are forced.
		run_to(40);
		idle(40);
		let phase = || Markets::<Test>::get(ZONE, SLOT).unwrap().settlement.phase;
		assert_eq!(phase(), settlement::Phase::Metering);
		run_to(41);
		idle(41);
		// Settled on the meters' own numbers (they reported), long before the retention.
		assert_eq!(phase(), settlement::Phase::Done);
		assert_eq!(Balances::balance(&account(ALICE)), INITIAL + 120);
		assert!(!Orders::<Test>::get(0).unwrap().outcome.deemed);
		assert_eq!(SettleFrom::<Test>::get(), 4);
	});
}

#[test]
fn an_emptied_market_gives_its_place_back() {
	new_test_ext().execute_with(|| {
		meters();
		assert_ok!(place(ALICE, Side::Ask, 120, 1_000, 1));
		assert_eq!((SlotZones::<Test>::get(SLOT).len(), LiveMarkets::<Test>::get()), (1, 1));
		assert_ok!(EnergyMarket::cancel_order(RuntimeOrigin::signed(account(ALICE)), 0));
		assert!(!Markets::<Test>::contains_key(ZONE, SLOT));
		assert_eq!((SlotZones::<Test>::get(SLOT).len(), LiveMarkets::<Test>::get()), (0, 0));
		EnergyMarket::do_try_state().unwrap();
		// The meter's owner may cancel what its operator placed on it; the bond goes back to
		// the operator who posted it. Nobody else may.
		edit_device(2, |d| d.operator = Some(account(CHARLIE)));
		assert_ok!(EnergyMarket::place_order(
			RuntimeOrigin::signed(account(CHARLIE)),
			ZONE,
			SLOT,
			Side::Ask,
			120,
			1_000,
			2
		));
		assert_noop!(
			EnergyMarket::cancel_order(RuntimeOrigin::signed(account(DAVE)), 1),
			Error::<Test>::NotYourOrder
		);
		assert_eq!(held(CHARLIE, HoldReason::AskBond), 50);
		assert_ok!(EnergyMarket::cancel_order(RuntimeOrigin::signed(account(BOB)), 1));
		assert_eq!(held(CHARLIE, HoldReason::AskBond), 0);
		assert_eq!(Balances::balance(&account(CHARLIE)), INITIAL);
		EnergyMarket::do_try_state().unwrap();
	});
}

#[test]
fn a_buyer_pays_for_an_allocation_it_did_not_take_and_sellers_with_unsold_energy_get_it() {
	new_test_ext().execute_with(|| {
		meters();
		let issuance = Balances::total_issuance();
		// Bob bids for 3 kWh and takes 1; Alice offers and delivers 3 kWh.
		assert_ok!(place(ALICE, Side::Ask, 120, 3_000, 1));
		assert_ok!(place(BOB, Side::Bid, 150, 3_000, 2));
		meter_delta(1, EnergyFlow::Export, 3_000);
		meter_delta(2, EnergyFlow::Import, 1_000);
		run_to(21);
		settle_all();
		// 1 kWh moved at 120 (fee 5): Bob pays 120 + 5 and 40 x 2 kWh = 80 for what he left;
		// Alice sold 1 of the 3 kWh she delivered: she gets the 120 and the 80.
		let bob = Orders::<Test>::get(1).unwrap().outcome;
		assert_eq!((bob.paid, bob.fee, bob.penalty), (120, 5, 80));
		assert_eq!(Orders::<Test>::get(0).unwrap().outcome.received, 200);
		assert_eq!(Balances::balance(&account(BOB)), INITIAL - 205);
		assert_eq!(Balances::balance(&account(ALICE)), INITIAL + 200);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), ED + 5);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}
