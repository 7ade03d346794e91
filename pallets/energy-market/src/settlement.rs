//! Settlement of a market after its slot, from the meters' attested counters.
//!
//! Every order's *allocation* `a` is its fill from the clearing ([`crate::clearing::fill`]).
//! Settlement passes over the market's orders three times, in bounded batches
//! ([`crate::Pallet::settle`]); every amount is rounded down.
//!
//! 1. **Metering.** The order's meter counter at the slot's start and end (the chain's time at
//!    the slot's first block and at the first block after it; a reading that does not fall on
//!    a boundary is interpolated linearly between the kept readings around it, see
//!    [`city_primitives::MeterReadings`]). A seller *delivered* `d = min(a, export)`; a buyer
//!    *consumed* `c = min(a, import)`. An order with no allocation needs no readings.
//!    *Deadline rule:* if a meter's readings have not arrived by the market's deadline
//!    ([`crate::MarketParams::settlement_deadline_blocks`] after the slot), a missing seller
//!    meter counts as nothing delivered, a missing buyer meter as the whole allocation
//!    consumed, with no shortfall (no compensation): whoever does not report bears it, and
//!    no funds stay held. A meter has one order per side of a slot, so its energy counts once.
//! 2. **Collecting.** The energy that moved through the market is `E = min(sum d, sum c)`.
//!    A buyer is charged for its share `e = c x E / sum c`: `price x e` into the market's
//!    account and `grid fee x e` to the treasury; the rest of its escrow is released. Its
//!    *shortfall* `c - e` is what it had to take from the grid instead. A buyer that took
//!    less than its allocation forfeits `penalty x (a - c)` (at most what is left of its
//!    escrow): bidding for more than one takes would otherwise crowd out other buyers for
//!    free. A seller forfeits `penalty x (a - d)` (at most its bond) into the market's
//!    account; the rest of every hold is released.
//! 3. **Distributing.** Sellers share what buyers paid in proportion to `d`, and, when they
//!    delivered more than buyers took (`sum d > E`), the buyers' penalties the same way;
//!    buyers share the sellers' penalties in proportion to their shortfall (with no
//!    shortfall, or no unsold energy, penalties go to the treasury). What rounding leaves in the market's account goes to the treasury, as
//!    does a payment to an account that can no longer take it (emptied and reaped since it
//!    traded), so no trader can hold settlement up.
//!
//! Nothing is minted or burnt: every unit that leaves a hold is paid to a seller, paid as a
//! fee or dust to the treasury, paid as compensation, or released to its owner.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::OrderId;

/// Which pass over the orders settlement is in.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Phase {
	/// Reading meters.
	#[default]
	Metering,
	/// Charging buyers, taking penalties from sellers' bonds.
	Collecting,
	/// Paying sellers and compensating buyers.
	Distributing,
	/// Settled.
	Done,
}

/// A market's settlement progress and totals.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Progress<Balance> {
	/// The pass it is in.
	pub phase: Phase,
	/// The last order processed in this pass (orders are passed in storage order).
	pub cursor: Option<OrderId>,
	/// Orders processed in this pass.
	pub processed: u32,
	/// Wh the sellers delivered (sum of `d`).
	pub delivered_wh: u64,
	/// Wh the buyers consumed (sum of `c`).
	pub consumed_wh: u64,
	/// Wh that moved through the market, `min(delivered, consumed)`.
	pub energy_wh: u64,
	/// Wh buyers consumed beyond their share of `energy_wh` (sum of shortfalls).
	pub shortfall_wh: u64,
	/// What buyers paid into the market's account.
	pub collected: Balance,
	/// What sellers were paid from it.
	pub paid_out: Balance,
	/// Grid fees paid to the treasury.
	pub fees: Balance,
	/// Penalties sellers forfeited into the market's account.
	pub penalties: Balance,
	/// Penalties paid to buyers.
	pub compensated: Balance,
	/// Penalties buyers forfeited for allocations they did not take, into the market's
	/// account (paid to sellers with unsold energy).
	pub unconsumed_penalties: Balance,
}

/// What settlement made of one order so far.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Outcome<Balance> {
	/// Its allocation from the clearing, Wh.
	pub filled_wh: u64,
	/// Delivered (an ask) or consumed (a bid) by the meters, at most the allocation, Wh.
	pub metered_wh: u64,
	/// Its share of the energy that moved through the market, Wh.
	pub energy_wh: u64,
	/// What a buyer paid for energy.
	pub paid: Balance,
	/// What a seller was paid.
	pub received: Balance,
	/// The grid fee a buyer paid.
	pub fee: Balance,
	/// The penalty forfeited: a seller's for energy allocated and not delivered, a buyer's for
	/// energy allocated and not taken.
	pub penalty: Balance,
	/// The compensation a buyer received.
	pub compensation: Balance,
	/// Whether its meter's readings were missing at the deadline (the deadline rule applied).
	pub deemed: bool,
	/// Whether settlement is done with it.
	pub settled: bool,
}

/// `amount x part / whole`, rounded down; 0 if `whole` is 0 (and `amount` if the result would
/// not fit, which needs `part > whole`: never the case where it is used).
pub fn share(amount: u128, part: u64, whole: u64) -> u128 {
	if whole == 0 {
		return 0;
	}
	sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
		amount,
		u128::from(part),
		u128::from(whole),
		sp_runtime::Rounding::Down,
	)
	.unwrap_or(amount)
}

/// `per_kwh x wh / 1000`, rounded down (saturating: amounts that large are never held).
pub fn per_kwh(per_kwh: u128, wh: u64) -> u128 {
	per_kwh.saturating_mul(u128::from(wh)) / 1000
}
