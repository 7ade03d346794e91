//! # Energy market
//!
//! Solar prosumers sell surplus to neighbours in their zone in periodic auctions, one market
//! per (zone, slot); the money stays in the city.
//!
//! - **Slots.** A slot is [`MarketParams::slot_blocks`] blocks (150 = 15 minutes on the real
//!   network; the dev presets use a short slot). Slot `s` starts at block `s x slot_blocks`.
//!   Orders for slot `s` are taken until its *gate closure*,
//!   [`MarketParams::gate_closure_blocks`] blocks before it starts.
//! - **Orders.** A bid buys up to `q` Wh at most price `p` per kWh; the buyer's maximum cost
//!   `q x p` is held ([`HoldReason::BidEscrow`]). An ask sells up to `q` Wh at least `p`; it
//!   posts a bond ([`MarketParams::ask_bond_per_kwh`] per kWh, [`HoldReason::AskBond`]). Both
//!   name a meter: an active, certified smart meter or solar inverter in the zone that the
//!   trader owns or operates (settlement reads its attested counters, so buyers' meters must
//!   be as trustworthy as sellers'). Prices sit on the market's grid of ticks between the
//!   floor (feed-in tariff) and the cap (retail tariff), fixed when the market opens.
//!   Cancelling before gate closure releases the hold. Orders per account per slot and per
//!   market are bounded.
//! - **Clearing** at gate closure (in `on_initialize`, or by anyone with
//!   [`Pallet::clear_market`]): a uniform-price double auction over the per-tick depth that
//!   orders add to as they arrive ([`clearing`]: the rules, ties and rounding); its weight
//!   grows with the number of ticks, not of orders. The result and the depth stay in storage,
//!   so anyone can recompute it.
//!
//! - **Settlement** after the slot, from the meters' attested counters
//!   ([`city_primitives::MeterReadings`]), never from what a trader says; see [`settlement`]
//!   for the rules (delivery, payment, grid fee, penalties, the deadline rule, rounding) and
//!   [`Pallet::settle`]: anyone advances it, at most `MaxSettlePerCall` orders per call.
//!
//! Devices are read through [`city_primitives::DeviceLookup`] and meter counters through
//! [`city_primitives::MeterReadings`]; this pallet never reads another pallet's storage.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod clearing;
#[cfg(test)]
mod mock;
pub mod runtime_api;
pub mod settlement;
#[cfg(test)]
mod tests;
pub mod weights;

pub use clearing::{Clearing, Marginal, Side, TickDepth};
pub use weights::WeightInfo;

use city_primitives::{DeviceClass, DeviceId, EnergyFlow, ZoneId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// What the benchmarks need from the runtime: meters, and their counters.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// An active, certified smart meter owned by `owner` in `zone`.
	fn meter(owner: &AccountId, zone: ZoneId) -> DeviceId;
	/// Sets `device`'s `flow` counter to `wh` at Unix time `at_ms`.
	fn set_counter(device: DeviceId, flow: EnergyFlow, at_ms: u64, wh: u64);
}

/// A settlement deadline is at most this many slots: meters keep their counters' history for
/// 8 slots (24 readings a third of a slot apart), and a market past its deadline is settled
/// within the next slot, while the readings around its boundaries are still kept.
pub const MAX_DEADLINE_SLOTS: u32 = 6;

/// The number of a slot: slot `s` starts at block `s x slot_blocks`.
pub type SlotIndex = u32;
/// The id of an order.
pub type OrderId = u64;

/// Whole-chain parameters of the market, set by governance. A market keeps the price grid it
/// opened with; a change applies to markets opened after it.
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
pub struct MarketParams<Balance, BlockNumber> {
	/// Blocks per slot.
	pub slot_blocks: BlockNumber,
	/// Orders for a slot close this many blocks before it starts (then it clears).
	pub gate_closure_blocks: BlockNumber,
	/// Lowest price per kWh (the feed-in tariff).
	pub price_floor: Balance,
	/// Highest price per kWh (the retail tariff).
	pub price_cap: Balance,
	/// Price step between ticks; `price_cap - price_floor` is a whole number of ticks.
	pub tick_size: Balance,
	/// Bond an ask holds per kWh offered.
	pub ask_bond_per_kwh: Balance,
	/// What a seller pays per kWh it was allocated and did not deliver (at most the bond).
	pub penalty_per_kwh: Balance,
	/// Grid fee per kWh consumed, paid by buyers to the city treasury.
	pub grid_fee_per_kwh: Balance,
	/// Blocks after a slot ends during which its meter readings may arrive; then it settles
	/// by the deadline rule. At most [`MAX_DEADLINE_SLOTS`] slots.
	pub settlement_deadline_blocks: BlockNumber,
}

/// The price grid a market opened with.
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
pub struct PriceGrid<Balance> {
	/// Price of tick 0, per kWh.
	pub floor: Balance,
	/// Price step per tick.
	pub tick_size: Balance,
	/// Number of ticks (the cap is tick `ticks - 1`).
	pub ticks: u16,
}

/// What a market charges, fixed when it opens (a later change of the parameters applies to
/// later markets only, so escrows and bonds always cover what settlement takes).
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
pub struct MarketFees<Balance> {
	/// Bond an ask holds per kWh.
	pub ask_bond_per_kwh: Balance,
	/// Penalty per kWh allocated and not delivered.
	pub penalty_per_kwh: Balance,
	/// Grid fee per kWh consumed from the market.
	pub grid_fee_per_kwh: Balance,
}

/// Where a market is in its life.
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
pub enum MarketStatus {
	/// Taking orders (until gate closure).
	Open,
	/// Cleared: a price and volume were found.
	Cleared(Clearing),
	/// Gate closure passed and no bid met an ask: nothing trades.
	NoTrade,
}

/// One market: a zone in a slot.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Market<Balance, BlockNumber> {
	/// Its price grid.
	pub grid: PriceGrid<Balance>,
	/// Its fees, bond and penalty.
	pub fees: MarketFees<Balance>,
	/// The block its gate closes (and it clears) at.
	pub gate_closure: BlockNumber,
	/// The slot's first block.
	pub slot_start: BlockNumber,
	/// The first block after the slot.
	pub slot_end: BlockNumber,
	/// After this block, missing meter readings no longer hold settlement up (deadline rule).
	pub deadline: BlockNumber,
	/// Orders placed and not cancelled.
	pub orders: u32,
	/// Where it is.
	pub status: MarketStatus,
	/// The chain's time (Unix ms) at the slot's first block, once reached.
	pub start_ms: Option<u64>,
	/// The chain's time at the first block after the slot, once reached.
	pub end_ms: Option<u64>,
	/// Settlement progress and totals.
	pub settlement: settlement::Progress<Balance>,
}

/// An order.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Order<AccountId, Balance> {
	/// Who placed it (and pays or is paid).
	pub owner: AccountId,
	/// The market's zone.
	pub zone: ZoneId,
	/// The market's slot.
	pub slot: SlotIndex,
	/// Bid or ask.
	pub side: Side,
	/// Its price tick on the market's grid.
	pub tick: u16,
	/// Its quantity, in Wh.
	pub quantity_wh: u64,
	/// The meter whose attested counters settle it.
	pub meter: DeviceId,
	/// What it holds: the bid's maximum cost (grid fee included) or the ask's bond.
	pub held: Balance,
	/// What settlement made of it so far.
	pub outcome: settlement::Outcome<Balance>,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use city_primitives::{DeviceLookup, MeterReadings};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::Precision,
			UnixTime,
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{AccountIdConversion, Saturating, Zero},
		SaturatedConversion,
	};

	/// The balance type of the currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// Market parameters with this runtime's types.
	pub type ParamsOf<T> = MarketParams<BalanceOf<T>, BlockNumberFor<T>>;
	/// A market with this runtime's types.
	pub type MarketOf<T> = Market<BalanceOf<T>, BlockNumberFor<T>>;
	/// An order with this runtime's types.
	pub type OrderOf<T> = Order<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the energy market.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency orders are escrowed in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The device registry: who owns which meter, where, and whether it is certified.
		type Devices: DeviceLookup<Self::AccountId>;

		/// The meters' attested energy counters, which settle orders.
		type Meters: MeterReadings;

		/// The chain's time (the slot boundaries' timestamps).
		type UnixTime: UnixTime;

		/// Where grid fees and settlement's rounding dust go: the city treasury.
		type Treasury: Get<Self::AccountId>;

		/// The market's own account (holds what buyers paid and sellers forfeited between
		/// collection and payout) is derived from this id.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Sets the market parameters.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Most price ticks a grid may have (bounds clearing: one pass over the ticks).
		#[pallet::constant]
		type MaxTicks: Get<u16>;

		/// Most orders in one market.
		#[pallet::constant]
		type MaxOrdersPerMarket: Get<u32>;

		/// Most orders one account has in one slot (over all zones).
		#[pallet::constant]
		type MaxOrdersPerAccountPerSlot: Get<u32>;

		/// Most markets (zones) that close at one block: bounds the clearing hook.
		#[pallet::constant]
		type MaxMarketsPerSlot: Get<u32>;

		/// Smallest order, in Wh (orders take the market's bounded places).
		#[pallet::constant]
		type MinOrderWh: Get<u64>;

		/// Largest order, in Wh.
		#[pallet::constant]
		type MaxOrderWh: Get<u64>;

		/// How many slots ahead orders may be placed.
		#[pallet::constant]
		type MaxSlotsAhead: Get<u32>;

		/// Most orders one [`Pallet::settle`] call processes.
		#[pallet::constant]
		type MaxSettlePerCall: Get<u32>;

		/// A market stays in storage (with its orders, for `city_energyOrders` and explorers)
		/// this many slots after its slot; then `on_idle` removes it (its events keep the
		/// record). A market still unsettled by then is settled first, by the deadline rule.
		#[pallet::constant]
		type RetainSlots: Get<u32>;

		/// Weights of the calls and hooks (from the benchmarks).
		type WeightInfo: WeightInfo;

		/// Creates meters and their counters for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A bid's maximum cost, until settlement.
		#[codec(index = 0)]
		BidEscrow,
		/// An ask's bond, until settlement.
		#[codec(index = 1)]
		AskBond,
	}

	/// The market parameters (set at genesis and by [`Pallet::set_params`]).
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, ParamsOf<T>, OptionQuery>;

	/// Markets by zone and slot.
	#[pallet::storage]
	pub type Markets<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ZoneId,
		Twox64Concat,
		SlotIndex,
		MarketOf<T>,
		OptionQuery,
	>;

	/// Wh bid and offered per price tick of a market, by (zone, slot, tick): what clearing
	/// reads, and what anyone recomputes it from.
	#[pallet::storage]
	pub type Depth<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, ZoneId>,
			NMapKey<Twox64Concat, SlotIndex>,
			NMapKey<Twox64Concat, u16>,
		),
		TickDepth,
		ValueQuery,
	>;

	/// Orders by id.
	#[pallet::storage]
	pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, OrderOf<T>, OptionQuery>;

	/// The orders of a market, by (zone, slot, order id).
	#[pallet::storage]
	pub type MarketOrders<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, ZoneId>,
			NMapKey<Twox64Concat, SlotIndex>,
			NMapKey<Twox64Concat, OrderId>,
		),
		(),
		OptionQuery,
	>;

	/// How many orders an account has in a slot.
	#[pallet::storage]
	pub type AccountSlotOrders<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		SlotIndex,
		u32,
		ValueQuery,
	>;

	/// The zones with a market in a slot (what the hooks clear at gate closure and stamp
	/// with the slot's start and end times).
	#[pallet::storage]
	pub type SlotZones<T: Config> = StorageMap<
		_,
		Twox64Concat,
		SlotIndex,
		BoundedVec<ZoneId, T::MaxMarketsPerSlot>,
		ValueQuery,
	>;

	/// Where the slot numbering starts: `(block, slot)`: slot `s >= slot` starts at block
	/// `block + (s - slot) x slot_blocks`. A change of the slot length starts a new numbering
	/// at the block it is made, above every slot used before, so no slot number is reused.
	#[pallet::storage]
	pub type Schedule<T: Config> = StorageValue<_, (BlockNumberFor<T>, SlotIndex), ValueQuery>;

	/// The order a meter has on one side of a slot's market: one at most, so that one meter's
	/// energy is never counted for two orders.
	#[pallet::storage]
	pub type MeterOrders<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, SlotIndex>,
			NMapKey<Twox64Concat, DeviceId>,
			NMapKey<Twox64Concat, Side>,
		),
		OrderId,
		OptionQuery,
	>;

	/// Markets opened and not yet settled: while there are any, the slot length and gate
	/// closure stay as they are.
	#[pallet::storage]
	pub type LiveMarkets<T> = StorageValue<_, u32, ValueQuery>;

	/// The id the next order gets.
	#[pallet::storage]
	pub type NextOrderId<T> = StorageValue<_, OrderId, ValueQuery>;

	/// The orders of an account, by (account, order id): until their market leaves storage.
	#[pallet::storage]
	pub type AccountOrders<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, OrderId, (), OptionQuery>;

	/// The oldest slot whose markets may still be in storage: `on_idle` removes markets from
	/// here on, `RetainSlots` after their slot.
	#[pallet::storage]
	pub type PruneFrom<T> = StorageValue<_, SlotIndex, ValueQuery>;

	/// The oldest slot that may have a market nobody settled: `on_idle` settles markets from
	/// here on once their settlement deadline has passed.
	#[pallet::storage]
	pub type SettleFrom<T> = StorageValue<_, SlotIndex, ValueQuery>;

	/// The market parameters at genesis.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters; `None` leaves the market closed until governance sets them.
		pub params: Option<ParamsOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(params) = &self.params {
				assert!(
					Pallet::<T>::grid_of(params).is_ok(),
					"energy market genesis parameters are invalid"
				);
				Params::<T>::put(params);
			}
			// The market's account holds the existential deposit, so that settlement can pay
			// out everything it collected (it never takes the account below that).
			let pot = Pallet::<T>::account();
			let missing = T::Currency::minimum_balance().saturating_sub(T::Currency::balance(&pot));
			if !missing.is_zero() {
				let _ = T::Currency::mint_into(&pot, missing);
			}
		}
	}

	/// Events of the energy market.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An order was placed; `held` is its escrow (bid) or bond (ask).
		OrderPlaced {
			order: OrderId,
			owner: T::AccountId,
			zone: ZoneId,
			slot: SlotIndex,
			side: Side,
			price: BalanceOf<T>,
			quantity_wh: u64,
			held: BalanceOf<T>,
		},
		/// An order was cancelled before gate closure and its hold released.
		OrderCancelled { order: OrderId, released: BalanceOf<T> },
		/// A market cleared: `price` per kWh, `volume_wh` traded.
		MarketCleared { zone: ZoneId, slot: SlotIndex, price: BalanceOf<T>, volume_wh: u64 },
		/// A market's gate closed without any bid meeting an ask.
		MarketNotCleared { zone: ZoneId, slot: SlotIndex },
		/// Governance set the market parameters.
		ParamsSet { params: ParamsOf<T> },
		/// An order was settled: `energy_wh` traded through the market, `paid` for it (a bid)
		/// or `received` (an ask), `fee` to the treasury, `penalty` forfeited (an ask: undelivered; a bid: allocated and not taken),
		/// `compensation` received for a shortfall (a bid); the rest of its hold was released.
		OrderSettled {
			order: OrderId,
			owner: T::AccountId,
			filled_wh: u64,
			metered_wh: u64,
			energy_wh: u64,
			paid: BalanceOf<T>,
			received: BalanceOf<T>,
			fee: BalanceOf<T>,
			penalty: BalanceOf<T>,
			compensation: BalanceOf<T>,
		},
		/// A market is settled: every hold released; `penalties` are sellers' (undelivered) and
		/// buyers' (unconsumed); `dust` (rounding, penalties nobody was owed) went to the
		/// treasury.
		MarketSettled {
			zone: ZoneId,
			slot: SlotIndex,
			energy_wh: u64,
			paid: BalanceOf<T>,
			fees: BalanceOf<T>,
			penalties: BalanceOf<T>,
			dust: BalanceOf<T>,
		},
	}

	/// Errors of the energy market.
	#[pallet::error]
	pub enum Error<T> {
		/// No market parameters are set: the market is closed.
		MarketClosed,
		/// The slot's gate has closed (or the slot is past).
		GateClosed,
		/// The slot is further ahead than `MaxSlotsAhead`.
		SlotTooFarAhead,
		/// The price is below the floor or above the cap.
		PriceOutOfRange,
		/// The price is not on the grid of ticks.
		PriceOffTick,
		/// The quantity is below `MinOrderWh` or above `MaxOrderWh`.
		BadQuantity,
		/// No such device.
		UnknownMeter,
		/// The meter is neither owned nor operated by the sender.
		NotYourMeter,
		/// The meter is not active.
		MeterNotActive,
		/// The meter is not certified by the city registrar.
		MeterNotCertified,
		/// The device cannot settle this order: asks need a smart meter or a solar inverter,
		/// bids a smart meter.
		NotAMeter,
		/// The meter already has an order on this side of this slot (its energy counts once).
		MeterAlreadyTrading,
		/// The meter is in another zone.
		WrongZone,
		/// The market has `MaxOrdersPerMarket` orders.
		MarketFull,
		/// The sender has `MaxOrdersPerAccountPerSlot` orders in this slot.
		TooManyOrders,
		/// `MaxMarketsPerSlot` zones already trade in this slot.
		TooManyMarkets,
		/// Not enough free balance for the escrow or the bond.
		InsufficientBalance,
		/// No such order.
		UnknownOrder,
		/// The order is neither the sender's nor on the sender's meter.
		NotYourOrder,
		/// The market has not reached gate closure yet.
		GateNotClosed,
		/// The market is already cleared.
		AlreadyCleared,
		/// No such market.
		UnknownMarket,
		/// The parameters are inconsistent: zero slot, tick or settlement deadline, floor above
		/// cap, a range that is not a whole number of ticks, more than `MaxTicks` ticks, a gate
		/// closure not shorter than a slot, a penalty above the bond, or a settlement deadline
		/// longer than 6 slots.
		InvalidParams,
		/// An amount overflowed.
		Overflow,
		/// Markets are open or settling: the slot length and gate closure cannot change now.
		MarketsLive,
		/// The slot has not ended yet: nothing to settle.
		SlotNotOver,
		/// The market is settled.
		AlreadySettled,
		/// A meter's readings around the slot's boundaries have not arrived yet, and the
		/// settlement deadline has not passed.
		ReadingsPending,
		/// A transfer of settlement failed (an account that cannot receive it).
		TransferFailed,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Clears the markets whose gate closes at `now`: at most `MaxMarketsPerSlot` markets,
		/// one pass over at most `MaxTicks` ticks each.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let db = T::DbWeight::get();
			let mut weight = db.reads(2);
			let Some(params) = Params::<T>::get() else { return weight };
			if Self::is_slot_start(&params, now) {
				// What `on_finalize` does at this boundary.
				let stamps = u64::from(T::MaxMarketsPerSlot::get()).saturating_mul(2);
				weight = weight.saturating_add(db.reads_writes(stamps.saturating_add(2), stamps));
			}
			let closing_for = now.saturating_add(params.gate_closure_blocks);
			if !Self::is_slot_start(&params, closing_for) {
				return weight;
			}
			let slot = Self::slot_of(&params, closing_for);
			weight = weight.saturating_add(db.reads(1));
			for zone in SlotZones::<T>::get(slot) {
				// A market cleared early by `clear_market` is skipped.
				weight = weight.saturating_add(Self::clear_weight());
				let _ = Self::do_clear(zone, slot);
			}
			weight
		}

		/// At a slot boundary, stamps the markets of the slot that starts with the chain's time
		/// (its start) and those of the slot that ends (their end): at most
		/// `2 x MaxMarketsPerSlot` markets.
		fn on_finalize(now: BlockNumberFor<T>) {
			let Some(params) = Params::<T>::get() else { return };
			if !Self::is_slot_start(&params, now) {
				return;
			}
			let slot = Self::slot_of(&params, now);
			let now_ms: u64 = T::UnixTime::now().as_millis().saturated_into();
			for zone in SlotZones::<T>::get(slot) {
				Markets::<T>::mutate(zone, slot, |market| {
					if let Some(market) = market {
						market.start_ms = Some(now_ms);
					}
				});
			}
			if let Some(ended) = slot.checked_sub(1) {
				for zone in SlotZones::<T>::get(ended) {
					Markets::<T>::mutate(zone, ended, |market| {
						if let Some(market) = market {
							market.end_ms = Some(now_ms);
						}
					});
				}
			}
		}

		/// Settles markets whose settlement deadline has passed if nobody did (by the deadline
		/// rule for meters still silent), then removes markets `RetainSlots` after their slot,
		/// in steps that fit the block's remaining weight.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let overhead = T::DbWeight::get().reads_writes(4, 2);
			let Some(budget) = remaining.checked_sub(&overhead) else { return Weight::zero() };
			let used = Self::do_maintain(now, budget);
			if used.is_zero() {
				// Nothing fitted: only the look-up was done (or not even that).
				return overhead.min(remaining);
			}
			overhead.saturating_add(used)
		}

		fn integrity_test() {
			assert!(T::MaxTicks::get() >= 2, "a price grid needs two ticks");
			assert!(T::MaxOrdersPerMarket::get() > 0 && T::MaxOrdersPerAccountPerSlot::get() > 0);
			assert!(T::MaxMarketsPerSlot::get() > 0 && T::MaxOrderWh::get() > 0);
			assert!(T::MinOrderWh::get() > 0 && T::MinOrderWh::get() <= T::MaxOrderWh::get());
			assert!(T::MaxSettlePerCall::get() > 0 && T::MaxSlotsAhead::get() > 0);
			assert!(T::RetainSlots::get() > 0, "markets stay at least one slot after theirs");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Places an order for `slot` in `zone`: a bid buys up to `quantity_wh` Wh at most at
		/// `price` per kWh (the maximum cost is held); an ask sells up to `quantity_wh` Wh at
		/// least at `price` (the bond is held). `meter` is the sender's active, certified smart
		/// meter or solar inverter in `zone`, whose attested counters settle the order.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::place_order())]
		pub fn place_order(
			origin: OriginFor<T>,
			zone: ZoneId,
			slot: SlotIndex,
			side: Side,
			price: BalanceOf<T>,
			quantity_wh: u64,
			meter: DeviceId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_place_order(who, zone, slot, side, price, quantity_wh, meter).map(|_| ())
		}

		/// Cancels an order before its market's gate closes and releases its hold to the trader:
		/// the sender's own order, or one placed on the sender's meter by its operator. The
		/// market's last order takes the market with it.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::cancel_order())]
		pub fn cancel_order(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_order(&who, order)
		}

		/// Clears a market whose gate has closed, if the hook has not yet (anyone may call).
		#[pallet::call_index(2)]
		#[pallet::weight(Pallet::<T>::clear_weight())]
		pub fn clear_market(origin: OriginFor<T>, zone: ZoneId, slot: SlotIndex) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_clear(zone, slot)
		}

		/// Advances the settlement of a market whose slot has ended by up to
		/// `MaxSettlePerCall` orders (anyone may call: sellers want their pay, buyers their
		/// escrow back). Settlement reads each order's meter counters at the slot's start and
		/// end; it stops at an order whose readings have not arrived, until the deadline.
		#[pallet::call_index(4)]
		#[pallet::weight(Pallet::<T>::settle_weight(T::MaxSettlePerCall::get()))]
		pub fn settle(
			origin: OriginFor<T>,
			zone: ZoneId,
			slot: SlotIndex,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let processed = Self::do_settle(zone, slot, T::MaxSettlePerCall::get())?;
			Ok(Some(Self::settle_weight(processed)).into())
		}

		/// Sets the market parameters (governance). Markets already open keep their price
		/// grid, fees, bond and penalty; the slot length and gate closure change only when no
		/// market is open or settling (they number the slots).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::grid_of(&params)?;
			if let Some(current) = Params::<T>::get() {
				let renumbers = current.slot_blocks != params.slot_blocks
					|| current.gate_closure_blocks != params.gate_closure_blocks;
				if renumbers {
					ensure!(LiveMarkets::<T>::get() == 0, Error::<T>::MarketsLive);
					// The new numbering starts now, above every slot of the old one.
					let now = frame_system::Pallet::<T>::block_number();
					let next = Self::slot_of(&current, now).saturating_add(1);
					Schedule::<T>::put((now, next));
				}
			}
			Params::<T>::put(&params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The weight of settling `orders` orders: the dearest of the three passes (a call may
		/// cross from one pass to the next, and each order then counts in the pass it is in),
		/// plus clearing the market first if the hook never reached it.
		pub fn settle_weight(orders: u32) -> Weight {
			T::WeightInfo::settle_metering(orders)
				.max(T::WeightInfo::settle_collecting(orders))
				.max(T::WeightInfo::settle_distributing(orders))
				.saturating_add(T::WeightInfo::clear_market())
		}

		/// The market's own account: what buyers paid and sellers forfeited waits there
		/// between collection and payout. It holds the existential deposit from genesis, and
		/// settlement never takes it below that.
		pub fn account() -> T::AccountId {
			T::PalletId::get().into_account_truncating()
		}

		/// Advances the settlement of a market by up to `max` orders; returns how many it
		/// processed.
		pub fn do_settle(zone: ZoneId, slot: SlotIndex, max: u32) -> Result<u32, DispatchError> {
			let mut market = Markets::<T>::get(zone, slot).ok_or(Error::<T>::UnknownMarket)?;
			ensure!(market.settlement.phase != settlement::Phase::Done, Error::<T>::AlreadySettled);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now >= market.slot_end, Error::<T>::SlotNotOver);
			let clearing = match market.status {
				MarketStatus::Open => {
					// The hook clears at gate closure; a market still open here was never
					// reached by it (a chain halted through it): clear it now.
					Self::do_clear(zone, slot)?;
					market = Markets::<T>::get(zone, slot).ok_or(Error::<T>::UnknownMarket)?;
					match market.status {
						MarketStatus::Cleared(result) => Some(result),
						_ => None,
					}
				}
				MarketStatus::Cleared(result) => Some(result),
				MarketStatus::NoTrade => None,
			};
			let past_deadline = now > market.deadline;
			let mut processed = 0u32;
			while processed < max && market.settlement.phase != settlement::Phase::Done {
				let next = Self::next_order(zone, slot, market.settlement.cursor);
				let Some(id) = next else {
					Self::end_phase(zone, slot, &mut market)?;
					continue;
				};
				let done = match market.settlement.phase {
					settlement::Phase::Metering => {
						Self::meter(id, &mut market, clearing.as_ref(), past_deadline)?
					}
					settlement::Phase::Collecting => Self::collect(id, &mut market)?,
					settlement::Phase::Distributing => Self::distribute(id, &mut market)?,
					settlement::Phase::Done => true,
				};
				if !done {
					// Readings pending: stop here, keep what was done.
					break;
				}
				market.settlement.cursor = Some(id);
				market.settlement.processed = market.settlement.processed.saturating_add(1);
				processed = processed.saturating_add(1);
			}
			Markets::<T>::insert(zone, slot, &market);
			ensure!(
				processed > 0 || market.settlement.phase == settlement::Phase::Done,
				Error::<T>::ReadingsPending
			);
			Ok(processed)
		}

		/// The order after `cursor` in the market's storage order.
		fn next_order(zone: ZoneId, slot: SlotIndex, cursor: Option<OrderId>) -> Option<OrderId> {
			match cursor {
				None => MarketOrders::<T>::iter_key_prefix((zone, slot)).next(),
				Some(last) => {
					let from = MarketOrders::<T>::hashed_key_for((zone, slot, last));
					MarketOrders::<T>::iter_key_prefix_from((zone, slot), from).next()
				}
			}
		}

		/// Moves settlement to its next pass (or ends it).
		fn end_phase(zone: ZoneId, slot: SlotIndex, market: &mut MarketOf<T>) -> DispatchResult {
			use settlement::Phase;
			let progress = &mut market.settlement;
			progress.cursor = None;
			progress.processed = 0;
			progress.phase = match progress.phase {
				Phase::Metering => {
					progress.energy_wh = progress.delivered_wh.min(progress.consumed_wh);
					Phase::Collecting
				}
				Phase::Collecting => Phase::Distributing,
				Phase::Distributing | Phase::Done => {
					// What rounding left (and penalties nobody was short for) to the treasury.
					let owed = progress
						.collected
						.saturating_add(progress.unconsumed_penalties)
						.saturating_sub(progress.paid_out)
						.saturating_add(progress.penalties.saturating_sub(progress.compensated));
					let (_, dust) = Self::pay_out(&T::Treasury::get(), owed);
					progress.paid_out = progress.paid_out.saturating_add(dust);
					LiveMarkets::<T>::mutate(|live| *live = live.saturating_sub(1));
					Self::deposit_event(Event::MarketSettled {
						zone,
						slot,
						energy_wh: progress.energy_wh,
						paid: progress.collected,
						fees: progress.fees,
						penalties: progress.penalties.saturating_add(progress.unconsumed_penalties),
						dust,
					});
					Phase::Done
				}
			};
			Ok(())
		}

		/// Pass 1 for order `id`: its allocation and metered energy. `false` if its meter's
		/// readings are not there yet (and the deadline has not passed).
		fn meter(
			id: OrderId,
			market: &mut MarketOf<T>,
			clearing: Option<&Clearing>,
			past_deadline: bool,
		) -> Result<bool, DispatchError> {
			let mut order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
			let filled = clearing
				.map(|c| clearing::fill(c, order.side, order.tick, order.quantity_wh))
				.unwrap_or(0);
			let metered = if filled == 0 {
				0
			} else {
				let flow = match order.side {
					Side::Ask => EnergyFlow::Export,
					Side::Bid => EnergyFlow::Import,
				};
				let counter = |at: Option<u64>| {
					at.and_then(|at| T::Meters::counter_at(order.meter, flow, at))
				};
				match (counter(market.start_ms), counter(market.end_ms)) {
					(Some(start), Some(end)) => filled.min(end.saturating_sub(start)),
					_ if !past_deadline => return Ok(false),
					// Deadline rule: whoever did not report bears it. A silent buyer pays for its
					// whole allocation and has no shortfall to be compensated for.
					_ => {
						order.outcome.deemed = true;
						match order.side {
							Side::Ask => 0,
							Side::Bid => filled,
						}
					}
				}
			};
			order.outcome.filled_wh = filled;
			order.outcome.metered_wh = metered;
			let progress = &mut market.settlement;
			match order.side {
				Side::Ask => progress.delivered_wh = progress.delivered_wh.saturating_add(metered),
				Side::Bid => progress.consumed_wh = progress.consumed_wh.saturating_add(metered),
			}
			Orders::<T>::insert(id, order);
			Ok(true)
		}

		/// Pass 2 for order `id`: charge a buyer, take a seller's penalty; release the rest.
		fn collect(id: OrderId, market: &mut MarketOf<T>) -> Result<bool, DispatchError> {
			let mut order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
			let pot = Self::account();
			let clearing_price = Self::clearing_price(market).unwrap_or_else(Zero::zero);
			let progress = &mut market.settlement;
			let to_balance = |x: u128| -> BalanceOf<T> { x.saturated_into() };
			let held: u128 = order.held.saturated_into();
			match order.side {
				Side::Bid => {
					let energy = settlement::share(
						u128::from(order.outcome.metered_wh),
						progress.energy_wh,
						progress.consumed_wh,
					);
					let energy = u64::try_from(energy).unwrap_or(order.outcome.metered_wh);
					let cost =
						settlement::per_kwh(clearing_price.saturated_into(), energy).min(held);
					let fee =
						settlement::per_kwh(market.fees.grid_fee_per_kwh.saturated_into(), energy)
							.min(held.saturating_sub(cost));
					Self::take_from_hold(
						HoldReason::BidEscrow,
						&order.owner,
						&pot,
						to_balance(cost),
					)?;
					Self::take_from_hold(
						HoldReason::BidEscrow,
						&order.owner,
						&T::Treasury::get(),
						to_balance(fee),
					)?;
					// Allocated and not taken: the penalty, so that bidding for more than one
					// takes (crowding out other buyers) is not free. A silent buyer counts as
					// having taken its allocation (the deadline rule).
					let unconsumed =
						order.outcome.filled_wh.saturating_sub(order.outcome.metered_wh);
					let penalty = settlement::per_kwh(
						market.fees.penalty_per_kwh.saturated_into(),
						unconsumed,
					)
					.min(held.saturating_sub(cost).saturating_sub(fee));
					Self::take_from_hold(
						HoldReason::BidEscrow,
						&order.owner,
						&pot,
						to_balance(penalty),
					)?;
					Self::release(
						HoldReason::BidEscrow,
						&order.owner,
						to_balance(
							held.saturating_sub(cost).saturating_sub(fee).saturating_sub(penalty),
						),
					)?;
					order.outcome.energy_wh = energy;
					order.outcome.paid = to_balance(cost);
					order.outcome.fee = to_balance(fee);
					order.outcome.penalty = to_balance(penalty);
					progress.unconsumed_penalties =
						progress.unconsumed_penalties.saturating_add(to_balance(penalty));
					if !order.outcome.deemed {
						progress.shortfall_wh = progress
							.shortfall_wh
							.saturating_add(order.outcome.metered_wh.saturating_sub(energy));
					}
					progress.collected = progress.collected.saturating_add(to_balance(cost));
					progress.fees = progress.fees.saturating_add(to_balance(fee));
				}
				Side::Ask => {
					let missing = order.outcome.filled_wh.saturating_sub(order.outcome.metered_wh);
					let penalty =
						settlement::per_kwh(market.fees.penalty_per_kwh.saturated_into(), missing)
							.min(held);
					Self::take_from_hold(
						HoldReason::AskBond,
						&order.owner,
						&pot,
						to_balance(penalty),
					)?;
					Self::release(
						HoldReason::AskBond,
						&order.owner,
						to_balance(held.saturating_sub(penalty)),
					)?;
					order.outcome.penalty = to_balance(penalty);
					progress.penalties = progress.penalties.saturating_add(to_balance(penalty));
				}
			}
			Orders::<T>::insert(id, order);
			Ok(true)
		}

		/// Pass 3 for order `id`: pay a seller its share of what buyers paid, a buyer its share
		/// of the penalties.
		fn distribute(id: OrderId, market: &mut MarketOf<T>) -> Result<bool, DispatchError> {
			let mut order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
			let progress = &mut market.settlement;
			let to_balance = |x: u128| -> BalanceOf<T> { x.saturated_into() };
			match order.side {
				Side::Ask => {
					// Buyers' penalties for what they did not take go to the sellers whose
					// delivered energy was not all bought.
					let unsold = progress.delivered_wh > progress.energy_wh;
					let pool = progress.collected.saturating_add(if unsold {
						progress.unconsumed_penalties
					} else {
						Zero::zero()
					});
					let received = settlement::share(
						pool.saturated_into(),
						order.outcome.metered_wh,
						progress.delivered_wh,
					);
					let energy = settlement::share(
						u128::from(progress.energy_wh),
						order.outcome.metered_wh,
						progress.delivered_wh,
					);
					let (got, moved) = Self::pay_out(&order.owner, to_balance(received));
					order.outcome.received = got;
					order.outcome.energy_wh = u64::try_from(energy).unwrap_or(0);
					progress.paid_out = progress.paid_out.saturating_add(moved);
				}
				Side::Bid => {
					let short = if order.outcome.deemed {
						0
					} else {
						order.outcome.metered_wh.saturating_sub(order.outcome.energy_wh)
					};
					let compensation = settlement::share(
						progress.penalties.saturated_into(),
						short,
						progress.shortfall_wh,
					);
					let (got, moved) = Self::pay_out(&order.owner, to_balance(compensation));
					order.outcome.compensation = got;
					progress.compensated = progress.compensated.saturating_add(moved);
				}
			}
			order.outcome.settled = true;
			Self::deposit_event(Event::OrderSettled {
				order: id,
				owner: order.owner.clone(),
				filled_wh: order.outcome.filled_wh,
				metered_wh: order.outcome.metered_wh,
				energy_wh: order.outcome.energy_wh,
				paid: order.outcome.paid,
				received: order.outcome.received,
				fee: order.outcome.fee,
				penalty: order.outcome.penalty,
				compensation: order.outcome.compensation,
			});
			Orders::<T>::insert(id, order);
			Ok(true)
		}

		/// Moves `amount` of `who`'s `reason` hold to `to`'s free balance.
		fn take_from_hold(
			reason: HoldReason,
			who: &T::AccountId,
			to: &T::AccountId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			if amount.is_zero() {
				return Ok(());
			}
			T::Currency::transfer_on_hold(
				&reason.into(),
				who,
				to,
				amount,
				Precision::Exact,
				frame_support::traits::tokens::Restriction::Free,
				// A freeze on the trader's account does not stop settlement of its escrow.
				frame_support::traits::tokens::Fortitude::Force,
			)
			.map(|_| ())
			.map_err(|_| Error::<T>::TransferFailed.into())
		}

		/// Releases `amount` of `who`'s `reason` hold.
		fn release(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			if amount.is_zero() {
				return Ok(());
			}
			T::Currency::release(&reason.into(), who, amount, Precision::Exact).map(|_| ())
		}

		/// Pays `amount` from the market's account to `to`, never taking the account below its
		/// existential deposit. A payment `to` cannot take (an account emptied and reaped since
		/// it traded, and an amount below the existential deposit) goes to the treasury instead,
		/// so that no trader can hold a market's settlement up; if the treasury cannot take it
		/// either, it stays in the market's account (and goes with the market's dust). Returns
		/// what `to` got and what left the market's account.
		fn pay_out(to: &T::AccountId, amount: BalanceOf<T>) -> (BalanceOf<T>, BalanceOf<T>) {
			use frame_support::traits::tokens::Preservation::Preserve;
			if amount.is_zero() {
				return (amount, amount);
			}
			let pot = Self::account();
			if T::Currency::transfer(&pot, to, amount, Preserve).is_ok() {
				return (amount, amount);
			}
			let treasury = T::Treasury::get();
			if to != &treasury && T::Currency::transfer(&pot, &treasury, amount, Preserve).is_ok() {
				return (Zero::zero(), amount);
			}
			(Zero::zero(), Zero::zero())
		}

		/// The state invariants: the market account holds its existential deposit plus what
		/// every unsettled market collected and has not paid out; `LiveMarkets` counts the
		/// unsettled markets; an open market's depth is the sum of its orders; every order is
		/// in its market's index and its meter's slot.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let mut owed: BalanceOf<T> = Zero::zero();
			let mut live = 0u32;
			for (zone, slot, market) in Markets::<T>::iter() {
				let progress = &market.settlement;
				if progress.phase != settlement::Phase::Done {
					live = live.saturating_add(1);
					owed = owed
						.saturating_add(
							progress
								.collected
								.saturating_add(progress.unconsumed_penalties)
								.saturating_sub(progress.paid_out),
						)
						.saturating_add(progress.penalties.saturating_sub(progress.compensated));
				}
				if market.status == MarketStatus::Open {
					let mut depth =
						alloc::vec![TickDepth::default(); usize::from(market.grid.ticks)];
					let mut orders = 0u32;
					for id in MarketOrders::<T>::iter_key_prefix((zone, slot)) {
						let order =
							Orders::<T>::get(id).ok_or("a market lists an unknown order")?;
						let at =
							depth.get_mut(usize::from(order.tick)).ok_or("order off the grid")?;
						match order.side {
							Side::Bid => at.bid_wh = at.bid_wh.saturating_add(order.quantity_wh),
							Side::Ask => at.ask_wh = at.ask_wh.saturating_add(order.quantity_wh),
						}
						orders = orders.saturating_add(1);
					}
					ensure!(orders == market.orders, "market order count differs from its index");
					ensure!(
						depth == Self::depth(zone, slot, market.grid.ticks),
						"market depth differs from its orders"
					);
				}
			}
			ensure!(live == LiveMarkets::<T>::get(), "LiveMarkets differs from unsettled markets");
			for (owner, id) in AccountOrders::<T>::iter_keys() {
				ensure!(
					Orders::<T>::get(id).is_some_and(|order| order.owner == owner),
					"an account's index lists an order that is not its own"
				);
			}
			for (id, order) in Orders::<T>::iter() {
				ensure!(
					MarketOrders::<T>::contains_key((order.zone, order.slot, id)),
					"an order is missing from its market's index"
				);
				ensure!(
					MeterOrders::<T>::get((order.slot, order.meter, order.side)) == Some(id),
					"an order is missing from its meter's slot"
				);
				ensure!(
					AccountOrders::<T>::contains_key(&order.owner, id),
					"an order is missing from its owner's index"
				);
				ensure!(
					order.slot >= PruneFrom::<T>::get(),
					"an order of a pruned slot is still in storage"
				);
			}
			let pot = T::Currency::balance(&Self::account());
			ensure!(
				pot >= T::Currency::minimum_balance().saturating_add(owed),
				"the market account holds less than it owes"
			);
			Ok(())
		}

		/// The most [`Self::do_maintain`] spends on one step: settling one order, removing one
		/// order, or removing a market (its record, its place in the slot and up to `MaxTicks`
		/// depth entries).
		pub fn maintenance_step_weight() -> Weight {
			let market_removal =
				T::DbWeight::get().reads_writes(2, u64::from(T::MaxTicks::get()).saturating_add(2));
			T::WeightInfo::prune_orders(1).max(Self::settle_weight(1)).max(market_removal)
		}

		/// Maintenance at block `now` within `budget`, returning the weight used:
		/// 1. from [`SettleFrom`] on, the markets of ended slots whose settlement deadline has
		///    passed and that nobody settled are settled (meters still silent by the deadline
		///    rule), so that settlement never waits on a keeper, nor for so long that meters'
		///    counter histories have moved past the slot;
		/// 2. from [`PruneFrom`] on, the markets of slots more than `RetainSlots` slots past are
		///    removed with their orders, depth and indexes, one order per step.
		pub fn do_maintain(now: BlockNumberFor<T>, budget: Weight) -> Weight {
			let Some(params) = Params::<T>::get() else { return Weight::zero() };
			let current = Self::slot_of(&params, now);
			let step = Self::maintenance_step_weight();
			let db = T::DbWeight::get();
			let mut used = Weight::zero();
			let fits = |used: Weight, more: Weight| used.saturating_add(more).all_lte(budget);
			// 1. Overdue settlements.
			let mut slot = SettleFrom::<T>::get();
			'settling: while slot < current && fits(used, step) {
				used = used.saturating_add(db.reads(1));
				for zone in SlotZones::<T>::get(slot) {
					let Some(market) = Markets::<T>::get(zone, slot) else { continue };
					used = used.saturating_add(db.reads(1));
					if market.settlement.phase == settlement::Phase::Done {
						continue;
					}
					if now <= market.deadline {
						// Later slots end later: nothing more is overdue yet.
						break 'settling;
					}
					let per_order = Self::settle_weight(1);
					let spare = budget.saturating_sub(used);
					let fit = |spare: u64, per: u64| spare.checked_div(per).unwrap_or(u64::MAX);
					let orders = fit(spare.ref_time(), per_order.ref_time())
						.min(fit(spare.proof_size(), per_order.proof_size()));
					let orders = u32::try_from(orders).unwrap_or(u32::MAX);
					if orders == 0 {
						break 'settling;
					}
					// Its own storage layer: a settlement that fails leaves nothing behind.
					let settled = frame_support::storage::with_storage_layer(|| {
						Self::do_settle(zone, slot, orders)
					});
					match settled {
						Ok(processed) => {
							used = used.saturating_add(Self::settle_weight(processed.max(1)))
						}
						// Only a failed transfer can fail a settlement past its deadline: leave
						// the market to `settle` calls and go on with the others.
						Err(_) => used = used.saturating_add(Self::settle_weight(1)),
					}
					continue 'settling;
				}
				slot = slot.saturating_add(1);
				SettleFrom::<T>::put(slot);
				used = used.saturating_add(db.writes(1));
			}
			// 2. Removal after the retention.
			let mut slot = PruneFrom::<T>::get();
			while slot.saturating_add(T::RetainSlots::get()) < current && fits(used, step) {
				let mut zones = SlotZones::<T>::get(slot);
				used = used.saturating_add(db.reads(1));
				let Some(zone) = zones.last().copied() else {
					SlotZones::<T>::remove(slot);
					slot = slot.saturating_add(1);
					PruneFrom::<T>::put(slot);
					used = used.saturating_add(db.writes(2));
					continue;
				};
				let Some(market) = Markets::<T>::get(zone, slot) else {
					zones.pop();
					SlotZones::<T>::insert(slot, zones);
					used = used.saturating_add(db.reads_writes(1, 1));
					continue;
				};
				if market.settlement.phase != settlement::Phase::Done {
					// Step 1 settles it (or it failed there: it waits for `settle` calls).
					break;
				}
				match MarketOrders::<T>::iter_key_prefix((zone, slot)).next() {
					Some(id) => {
						Self::remove_order(zone, slot, id);
						used = used.saturating_add(T::WeightInfo::prune_orders(1));
					}
					None => {
						let ticks = u32::from(market.grid.ticks);
						let _ = Depth::<T>::clear_prefix((zone, slot), ticks, None);
						Markets::<T>::remove(zone, slot);
						zones.pop();
						SlotZones::<T>::insert(slot, zones);
						used = used
							.saturating_add(db.reads_writes(2, u64::from(ticks).saturating_add(2)));
					}
				}
			}
			used
		}

		/// Removes a settled order and its indexes.
		fn remove_order(zone: ZoneId, slot: SlotIndex, id: OrderId) {
			MarketOrders::<T>::remove((zone, slot, id));
			if let Some(order) = Orders::<T>::take(id) {
				MeterOrders::<T>::remove((slot, order.meter, order.side));
				AccountOrders::<T>::remove(&order.owner, id);
				AccountSlotOrders::<T>::remove(&order.owner, slot);
			}
		}

		/// The weight of clearing one market: its record, and every tick read once.
		pub fn clear_weight() -> Weight {
			T::WeightInfo::clear_market()
		}

		/// The price grid `params` describe, if they are consistent.
		pub fn grid_of(params: &ParamsOf<T>) -> Result<PriceGrid<BalanceOf<T>>, Error<T>> {
			ensure!(
				!params.slot_blocks.is_zero()
					&& params.gate_closure_blocks < params.slot_blocks
					&& !params.tick_size.is_zero()
					&& params.price_floor <= params.price_cap
					&& params.penalty_per_kwh <= params.ask_bond_per_kwh
					&& !params.settlement_deadline_blocks.is_zero()
					&& params.settlement_deadline_blocks
						<= params.slot_blocks.saturating_mul(MAX_DEADLINE_SLOTS.into()),
				Error::<T>::InvalidParams
			);
			let range = params.price_cap.saturating_sub(params.price_floor);
			ensure!((range % params.tick_size).is_zero(), Error::<T>::InvalidParams);
			let steps: u128 = (range / params.tick_size).saturated_into();
			let ticks =
				u16::try_from(steps.saturating_add(1)).map_err(|_| Error::<T>::InvalidParams)?;
			ensure!(ticks >= 2 && ticks <= T::MaxTicks::get(), Error::<T>::InvalidParams);
			Ok(PriceGrid { floor: params.price_floor, tick_size: params.tick_size, ticks })
		}

		/// The first block of `slot`; `None` for a slot before the current schedule (past).
		pub fn slot_start(params: &ParamsOf<T>, slot: SlotIndex) -> Option<BlockNumberFor<T>> {
			let (origin_block, origin_slot) = Schedule::<T>::get();
			let after = slot.checked_sub(origin_slot)?;
			Some(origin_block.saturating_add(params.slot_blocks.saturating_mul(after.into())))
		}

		/// The slot block `now` is in.
		pub fn slot_of(params: &ParamsOf<T>, now: BlockNumberFor<T>) -> SlotIndex {
			let (origin_block, origin_slot) = Schedule::<T>::get();
			let after: SlotIndex =
				(now.saturating_sub(origin_block) / params.slot_blocks).saturated_into();
			origin_slot.saturating_add(after)
		}

		/// Whether a slot starts at block `n`.
		pub fn is_slot_start(params: &ParamsOf<T>, n: BlockNumberFor<T>) -> bool {
			let (origin_block, _) = Schedule::<T>::get();
			n >= origin_block && (n.saturating_sub(origin_block) % params.slot_blocks).is_zero()
		}

		/// The clearing price of `market`, once cleared.
		pub fn clearing_price(market: &MarketOf<T>) -> Option<BalanceOf<T>> {
			match market.status {
				MarketStatus::Cleared(result) => Some(Self::price_of(&market.grid, result.tick)),
				_ => None,
			}
		}

		/// The price of `tick` on `grid`.
		pub fn price_of(grid: &PriceGrid<BalanceOf<T>>, tick: u16) -> BalanceOf<T> {
			grid.floor
				.saturating_add(grid.tick_size.saturating_mul(u128::from(tick).saturated_into()))
		}

		/// `quantity_wh` Wh at `per_kwh`, rounded up (what is held never falls short).
		pub fn cost_ceil(
			per_kwh: BalanceOf<T>,
			quantity_wh: u64,
		) -> Result<BalanceOf<T>, Error<T>> {
			let per_kwh: u128 = per_kwh.saturated_into();
			let total = per_kwh.checked_mul(u128::from(quantity_wh)).ok_or(Error::<T>::Overflow)?;
			Ok(total.div_ceil(1000).saturated_into())
		}

		/// Checks that `meter` may settle an order of `who` on `side` in `zone`: a seller's is a
		/// smart meter or a solar inverter (export), a buyer's a smart meter (import).
		fn check_meter(
			who: &T::AccountId,
			meter: DeviceId,
			zone: ZoneId,
			side: Side,
		) -> DispatchResult {
			let device = T::Devices::device(meter).ok_or(Error::<T>::UnknownMeter)?;
			ensure!(device.is_controller(who), Error::<T>::NotYourMeter);
			let fits = match side {
				Side::Ask => {
					matches!(device.class, DeviceClass::SmartMeter | DeviceClass::SolarInverter)
				}
				Side::Bid => device.class == DeviceClass::SmartMeter,
			};
			ensure!(fits, Error::<T>::NotAMeter);
			ensure!(device.is_active(), Error::<T>::MeterNotActive);
			ensure!(device.certified, Error::<T>::MeterNotCertified);
			ensure!(device.zone == zone, Error::<T>::WrongZone);
			Ok(())
		}

		/// Places an order (see [`Pallet::place_order`]); returns its id.
		pub fn do_place_order(
			who: T::AccountId,
			zone: ZoneId,
			slot: SlotIndex,
			side: Side,
			price: BalanceOf<T>,
			quantity_wh: u64,
			meter: DeviceId,
		) -> Result<OrderId, DispatchError> {
			let params = Params::<T>::get().ok_or(Error::<T>::MarketClosed)?;
			let now = frame_system::Pallet::<T>::block_number();
			let slot_start = Self::slot_start(&params, slot).ok_or(Error::<T>::GateClosed)?;
			let gate_closure = slot_start.saturating_sub(params.gate_closure_blocks);
			ensure!(now < gate_closure, Error::<T>::GateClosed);
			let current = Self::slot_of(&params, now);
			ensure!(
				slot <= current.saturating_add(T::MaxSlotsAhead::get()),
				Error::<T>::SlotTooFarAhead
			);
			ensure!(
				quantity_wh >= T::MinOrderWh::get() && quantity_wh <= T::MaxOrderWh::get(),
				Error::<T>::BadQuantity
			);
			Self::check_meter(&who, meter, zone, side)?;
			ensure!(
				!MeterOrders::<T>::contains_key((slot, meter, side)),
				Error::<T>::MeterAlreadyTrading
			);
			let existing = Markets::<T>::get(zone, slot);
			let new_market = existing.is_none();
			let mut market = match existing {
				Some(market) => {
					ensure!(
						market.status == MarketStatus::Open && now < market.gate_closure,
						Error::<T>::GateClosed
					);
					market
				}
				None => {
					let slot_end = slot_start.saturating_add(params.slot_blocks);
					MarketOf::<T> {
						grid: Self::grid_of(&params)?,
						fees: MarketFees {
							ask_bond_per_kwh: params.ask_bond_per_kwh,
							penalty_per_kwh: params.penalty_per_kwh,
							grid_fee_per_kwh: params.grid_fee_per_kwh,
						},
						gate_closure,
						slot_start,
						slot_end,
						deadline: slot_end.saturating_add(params.settlement_deadline_blocks),
						orders: 0,
						status: MarketStatus::Open,
						start_ms: None,
						end_ms: None,
						settlement: Default::default(),
					}
				}
			};
			let grid = market.grid;
			let cap = Self::price_of(&grid, grid.ticks.saturating_sub(1));
			ensure!(price >= grid.floor && price <= cap, Error::<T>::PriceOutOfRange);
			let offset = price.saturating_sub(grid.floor);
			ensure!((offset % grid.tick_size).is_zero(), Error::<T>::PriceOffTick);
			let tick: u16 = u16::try_from((offset / grid.tick_size).saturated_into::<u128>())
				.map_err(|_| Error::<T>::PriceOutOfRange)?;
			ensure!(market.orders < T::MaxOrdersPerMarket::get(), Error::<T>::MarketFull);
			let placed = AccountSlotOrders::<T>::get(&who, slot);
			ensure!(placed < T::MaxOrdersPerAccountPerSlot::get(), Error::<T>::TooManyOrders);
			// A bid holds its maximum cost with the grid fee: settlement never takes more.
			let (held, reason) = match side {
				Side::Bid => (
					Self::cost_ceil(
						price.saturating_add(market.fees.grid_fee_per_kwh),
						quantity_wh,
					)?,
					HoldReason::BidEscrow,
				),
				Side::Ask => (
					Self::cost_ceil(market.fees.ask_bond_per_kwh, quantity_wh)?,
					HoldReason::AskBond,
				),
			};
			if new_market {
				SlotZones::<T>::try_mutate(slot, |zones| zones.try_push(zone))
					.map_err(|_| Error::<T>::TooManyMarkets)?;
				LiveMarkets::<T>::mutate(|live| *live = live.saturating_add(1));
			}
			if !held.is_zero() {
				T::Currency::hold(&reason.into(), &who, held)
					.map_err(|_| Error::<T>::InsufficientBalance)?;
			}
			let mut depth = Depth::<T>::get((zone, slot, tick));
			match side {
				Side::Bid => {
					depth.bid_wh =
						depth.bid_wh.checked_add(quantity_wh).ok_or(Error::<T>::Overflow)?
				}
				Side::Ask => {
					depth.ask_wh =
						depth.ask_wh.checked_add(quantity_wh).ok_or(Error::<T>::Overflow)?
				}
			}
			let order = NextOrderId::<T>::get();
			NextOrderId::<T>::put(order.checked_add(1).ok_or(Error::<T>::Overflow)?);
			Depth::<T>::insert((zone, slot, tick), depth);
			market.orders = market.orders.saturating_add(1);
			Markets::<T>::insert(zone, slot, market);
			AccountSlotOrders::<T>::insert(&who, slot, placed.saturating_add(1));
			AccountOrders::<T>::insert(&who, order, ());
			MarketOrders::<T>::insert((zone, slot, order), ());
			MeterOrders::<T>::insert((slot, meter, side), order);
			Orders::<T>::insert(
				order,
				OrderOf::<T> {
					owner: who.clone(),
					zone,
					slot,
					side,
					tick,
					quantity_wh,
					meter,
					held,
					outcome: Default::default(),
				},
			);
			Self::deposit_event(Event::OrderPlaced {
				order,
				owner: who,
				zone,
				slot,
				side,
				price,
				quantity_wh,
				held,
			});
			Ok(order)
		}

		/// Cancels an order (see [`Pallet::cancel_order`]).
		pub fn do_cancel_order(who: &T::AccountId, id: OrderId) -> DispatchResult {
			let order = Orders::<T>::get(id).ok_or(Error::<T>::UnknownOrder)?;
			// The meter's owner may cancel what its operator placed on it: the owner decides
			// what its meter's energy is traded for.
			let meter_owner =
				T::Devices::device(order.meter).is_some_and(|device| &device.owner == who);
			ensure!(&order.owner == who || meter_owner, Error::<T>::NotYourOrder);
			let trader = order.owner.clone();
			let mut market =
				Markets::<T>::get(order.zone, order.slot).ok_or(Error::<T>::UnknownMarket)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				now < market.gate_closure && market.status == MarketStatus::Open,
				Error::<T>::GateClosed
			);
			let reason = match order.side {
				Side::Bid => HoldReason::BidEscrow,
				Side::Ask => HoldReason::AskBond,
			};
			let released =
				T::Currency::release(&reason.into(), &trader, order.held, Precision::Exact)?;
			// A tick left with no depth leaves storage (a default `TickDepth` reads the same).
			Depth::<T>::mutate_exists((order.zone, order.slot, order.tick), |entry| {
				let mut depth = entry.take().unwrap_or_default();
				match order.side {
					Side::Bid => depth.bid_wh = depth.bid_wh.saturating_sub(order.quantity_wh),
					Side::Ask => depth.ask_wh = depth.ask_wh.saturating_sub(order.quantity_wh),
				}
				*entry = (depth != TickDepth::default()).then_some(depth);
			});
			market.orders = market.orders.saturating_sub(1);
			if market.orders == 0 {
				// The market's last order: the market goes, and its place in the slot with it
				// (a market opened and emptied holds no zone's place).
				Markets::<T>::remove(order.zone, order.slot);
				SlotZones::<T>::mutate(order.slot, |zones| zones.retain(|z| *z != order.zone));
				LiveMarkets::<T>::mutate(|live| *live = live.saturating_sub(1));
			} else {
				Markets::<T>::insert(order.zone, order.slot, market);
			}
			AccountSlotOrders::<T>::mutate_exists(&trader, order.slot, |count| {
				*count = count.and_then(|c| c.checked_sub(1)).filter(|c| *c > 0);
			});
			MarketOrders::<T>::remove((order.zone, order.slot, id));
			MeterOrders::<T>::remove((order.slot, order.meter, order.side));
			AccountOrders::<T>::remove(&trader, id);
			Orders::<T>::remove(id);
			Self::deposit_event(Event::OrderCancelled { order: id, released });
			Ok(())
		}

		/// The per-tick depth of a market, tick 0 first.
		pub fn depth(zone: ZoneId, slot: SlotIndex, ticks: u16) -> alloc::vec::Vec<TickDepth> {
			(0..ticks).map(|tick| Depth::<T>::get((zone, slot, tick))).collect()
		}

		/// The slot length in blocks, while the market has parameters.
		pub fn slot_blocks() -> Option<BlockNumberFor<T>> {
			Params::<T>::get().map(|params| params.slot_blocks)
		}

		/// The runtime API's `schedule`: parameters, current slot, next slot taking orders.
		pub fn schedule_view() -> Option<(ParamsOf<T>, SlotIndex, SlotIndex)> {
			let params = Params::<T>::get()?;
			let now = frame_system::Pallet::<T>::block_number();
			let current = Self::slot_of(&params, now);
			let mut next = current.saturating_add(1);
			while Self::slot_start(&params, next)
				.is_some_and(|start| start.saturating_sub(params.gate_closure_blocks) <= now)
			{
				next = next.saturating_add(1);
			}
			Some((params, current, next))
		}

		/// The runtime API's `market`.
		pub fn market_view(
			zone: ZoneId,
			slot: SlotIndex,
		) -> Option<runtime_api::MarketView<BalanceOf<T>, BlockNumberFor<T>>> {
			let now = frame_system::Pallet::<T>::block_number();
			if slot < PruneFrom::<T>::get() {
				// Its market, if it had one, has left storage.
				return None;
			}
			let market = Markets::<T>::get(zone, slot);
			let params = Params::<T>::get();
			let (slot_start, gate_closure) = match (&market, &params) {
				(Some(market), _) => (market.slot_start, market.gate_closure),
				(None, Some(params)) => {
					let start = Self::slot_start(params, slot)?;
					(start, start.saturating_sub(params.gate_closure_blocks))
				}
				(None, None) => return None,
			};
			let ahead = params.as_ref().is_some_and(|params| {
				slot <= Self::slot_of(params, now).saturating_add(T::MaxSlotsAhead::get())
			});
			let open = market.as_ref().is_none_or(|m| m.status == MarketStatus::Open);
			let depth =
				market.as_ref().map(|m| Self::depth(zone, slot, m.grid.ticks)).unwrap_or_default();
			let clearing_price = market.as_ref().and_then(Self::clearing_price);
			Some(runtime_api::MarketView {
				slot_start,
				gate_closure,
				taking_orders: params.is_some() && ahead && open && now < gate_closure,
				market,
				depth,
				clearing_price,
			})
		}

		/// The runtime API's `orders`.
		pub fn orders_view(
			account: &T::AccountId,
		) -> alloc::vec::Vec<runtime_api::OrderView<T::AccountId, BalanceOf<T>>> {
			let mut ids: alloc::vec::Vec<OrderId> =
				AccountOrders::<T>::iter_key_prefix(account).collect();
			ids.sort_unstable();
			let skip = ids.len().saturating_sub(runtime_api::MAX_ORDERS_VIEW as usize);
			let mut markets = alloc::collections::BTreeMap::new();
			ids.into_iter()
				.skip(skip)
				.filter_map(|id| {
					let order = Orders::<T>::get(id)?;
					let market = markets
						.entry((order.zone, order.slot))
						.or_insert_with(|| Markets::<T>::get(order.zone, order.slot))
						.clone()?;
					let clearing_price = Self::clearing_price(&market);
					let allocated_wh = match market.status {
						MarketStatus::Open => None,
						MarketStatus::NoTrade => Some(0),
						MarketStatus::Cleared(result) => {
							Some(clearing::fill(&result, order.side, order.tick, order.quantity_wh))
						}
					};
					Some(runtime_api::OrderView {
						id,
						price: Self::price_of(&market.grid, order.tick),
						clearing_price,
						closed: market.status != MarketStatus::Open,
						allocated_wh,
						order,
					})
				})
				.collect()
		}

		/// The runtime API's `quote`: the market's depth with the new order added at the most
		/// accommodating price, cleared.
		pub fn quote(
			zone: ZoneId,
			slot: SlotIndex,
			side: Side,
			quantity_wh: u64,
		) -> Result<runtime_api::Quote<BalanceOf<T>>, runtime_api::QuoteError> {
			use runtime_api::QuoteError;
			let params = Params::<T>::get().ok_or(QuoteError::MarketClosed)?;
			let now = frame_system::Pallet::<T>::block_number();
			let start = Self::slot_start(&params, slot).ok_or(QuoteError::GateClosed)?;
			let market = Markets::<T>::get(zone, slot);
			let gate_closure = market
				.as_ref()
				.map(|m| m.gate_closure)
				.unwrap_or_else(|| start.saturating_sub(params.gate_closure_blocks));
			let open = market.as_ref().is_none_or(|m| m.status == MarketStatus::Open);
			if !open || now >= gate_closure {
				return Err(QuoteError::GateClosed);
			}
			if slot > Self::slot_of(&params, now).saturating_add(T::MaxSlotsAhead::get()) {
				return Err(QuoteError::SlotTooFarAhead);
			}
			if quantity_wh < T::MinOrderWh::get() || quantity_wh > T::MaxOrderWh::get() {
				return Err(QuoteError::BadQuantity);
			}
			let grid = match &market {
				Some(m) => m.grid,
				None => Self::grid_of(&params).map_err(|_| QuoteError::MarketClosed)?,
			};
			let mut depth = if market.is_some() {
				Self::depth(zone, slot, grid.ticks)
			} else {
				alloc::vec![TickDepth::default(); usize::from(grid.ticks)]
			};
			let tick = match side {
				Side::Bid => grid.ticks.saturating_sub(1),
				Side::Ask => 0,
			};
			if let Some(at) = depth.get_mut(usize::from(tick)) {
				match side {
					Side::Bid => at.bid_wh = at.bid_wh.saturating_add(quantity_wh),
					Side::Ask => at.ask_wh = at.ask_wh.saturating_add(quantity_wh),
				}
			}
			let clearing = clearing::clear(&depth);
			// At its tick it shares pro rata with the orders already there.
			let filled_wh =
				clearing.as_ref().map(|c| clearing::fill(c, side, tick, quantity_wh)).unwrap_or(0);
			Ok(runtime_api::Quote {
				price: clearing.as_ref().map(|c| Self::price_of(&grid, c.tick)),
				clearing,
				filled_wh,
			})
		}

		/// Clears a market at or after its gate closure.
		pub fn do_clear(zone: ZoneId, slot: SlotIndex) -> DispatchResult {
			let mut market = Markets::<T>::get(zone, slot).ok_or(Error::<T>::UnknownMarket)?;
			ensure!(market.status == MarketStatus::Open, Error::<T>::AlreadyCleared);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now >= market.gate_closure, Error::<T>::GateNotClosed);
			let depth = Self::depth(zone, slot, market.grid.ticks);
			market.status = match clearing::clear(&depth) {
				Some(result) => {
					let price = Self::price_of(&market.grid, result.tick);
					Self::deposit_event(Event::MarketCleared {
						zone,
						slot,
						price,
						volume_wh: result.volume_wh,
					});
					MarketStatus::Cleared(result)
				}
				None => {
					Self::deposit_event(Event::MarketNotCleared { zone, slot });
					MarketStatus::NoTrade
				}
			};
			Markets::<T>::insert(zone, slot, market);
			Ok(())
		}
	}
}
