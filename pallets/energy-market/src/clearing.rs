//! The uniform-price double auction of one market, over per-tick depth: what anyone can
//! recompute from the chain's state (`Depth` of the market, or `city_energyMarket`).
//!
//! Prices sit on ticks `0..n` (price of tick `k` = floor + k x tick size). For each tick the
//! market keeps the Wh bid at exactly that price and the Wh offered at exactly that price.
//!
//! - Demand at tick `k`, `D(k)`: Wh bid at `k` or above. Supply `S(k)`: Wh offered at `k` or
//!   below. Traded volume `V(k) = min(D(k), S(k))`.
//! - The clearing tick maximises `V`. Ties: the smallest imbalance `|D(k) - S(k)|`, then the
//!   lowest tick (the buyers' side). No volume at any tick: nothing clears.
//! - Fills, on each side by price priority: asks below the ask-side *marginal tick* (the lowest
//!   tick where `S` reaches `V`) are filled in full, asks above it not at all, and asks at it
//!   share what is left, `V - S(marginal - 1)`, pro rata to their quantity, rounded down. Bids
//!   mirror this from the top (the highest tick where `D` reaches `V`). Rounding down means the
//!   fills of a side add up to at most `V`: no Wh is created; at most one Wh per marginal order
//!   is left unmatched.
//! - Every filled ask is at or below the clearing price and every filled bid at or above it,
//!   so nobody trades at a price worse than their order's.
//!
//! One pass over the ticks for the volumes and one for the marginal ticks: the work grows
//! with the number of ticks, never with the number of orders.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Wh bid and offered at exactly one price tick.
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
pub struct TickDepth {
	/// Wh of bids at this price.
	pub bid_wh: u64,
	/// Wh of asks at this price.
	pub ask_wh: u64,
}

/// Where one side of the market is cut: orders strictly better than `tick` are filled in full,
/// orders at `tick` share `filled_wh` of their `offered_wh` pro rata.
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
pub struct Marginal {
	/// The marginal tick.
	pub tick: u16,
	/// Wh filled at the marginal tick.
	pub filled_wh: u64,
	/// Wh ordered at the marginal tick (never 0).
	pub offered_wh: u64,
}

/// The outcome of a market that cleared.
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
pub struct Clearing {
	/// The clearing price's tick.
	pub tick: u16,
	/// Wh traded at the clearing price (before rounding the marginal fills down).
	pub volume_wh: u64,
	/// Where the bids are cut.
	pub bids: Marginal,
	/// Where the asks are cut.
	pub asks: Marginal,
}

/// Which side of the market an order is on.
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
pub enum Side {
	/// Buy up to a quantity at most at a price.
	Bid,
	/// Sell up to a quantity at least at a price.
	Ask,
}

/// Clears a market whose depth per tick is `depth` (tick `k` at `depth[k]`); `None` if no
/// volume trades at any tick.
pub fn clear(depth: &[TickDepth]) -> Option<Clearing> {
	let total_bid = depth.iter().fold(0u64, |sum, d| sum.saturating_add(d.bid_wh));
	// Pass 1: volume at every tick. `supply` is S(k); `demand` is D(k) = total - bids below k.
	let mut supply = 0u64;
	let mut bids_below = 0u64;
	let mut best: Option<(u16, u64, u64)> = None; // (tick, volume, imbalance)
	for (tick, d) in depth.iter().enumerate() {
		let tick = u16::try_from(tick).ok()?;
		supply = supply.saturating_add(d.ask_wh);
		let demand = total_bid.saturating_sub(bids_below);
		bids_below = bids_below.saturating_add(d.bid_wh);
		let volume = demand.min(supply);
		let imbalance = demand.abs_diff(supply);
		let better = match best {
			None => volume > 0,
			Some((_, best_volume, best_imbalance)) => {
				volume > best_volume || (volume == best_volume && imbalance < best_imbalance)
			}
		};
		if better {
			best = Some((tick, volume, imbalance));
		}
	}
	let (tick, volume_wh, _) = best?;
	// Pass 2: the marginal ticks. Asks: the lowest tick where supply reaches the volume. Bids:
	// the highest tick where demand reaches it.
	let mut asks = None;
	let mut supply = 0u64;
	for (k, d) in depth.iter().enumerate() {
		let before = supply;
		supply = supply.saturating_add(d.ask_wh);
		if supply >= volume_wh && d.ask_wh > 0 {
			let filled_wh = volume_wh.saturating_sub(before);
			asks = Some(Marginal { tick: u16::try_from(k).ok()?, filled_wh, offered_wh: d.ask_wh });
			break;
		}
	}
	let mut bids = None;
	let mut demand = 0u64;
	for (k, d) in depth.iter().enumerate().rev() {
		let above = demand;
		demand = demand.saturating_add(d.bid_wh);
		if demand >= volume_wh && d.bid_wh > 0 {
			let filled_wh = volume_wh.saturating_sub(above);
			bids = Some(Marginal { tick: u16::try_from(k).ok()?, filled_wh, offered_wh: d.bid_wh });
			break;
		}
	}
	Some(Clearing { tick, volume_wh, bids: bids?, asks: asks? })
}

/// The Wh an order of `quantity_wh` at price tick `tick` on `side` is filled with.
pub fn fill(clearing: &Clearing, side: Side, tick: u16, quantity_wh: u64) -> u64 {
	let (marginal, better) = match side {
		Side::Bid => (&clearing.bids, tick > clearing.bids.tick),
		Side::Ask => (&clearing.asks, tick < clearing.asks.tick),
	};
	if better {
		quantity_wh
	} else if tick == marginal.tick && marginal.offered_wh > 0 {
		let share = u128::from(quantity_wh) * u128::from(marginal.filled_wh)
			/ u128::from(marginal.offered_wh);
		// At most `quantity_wh`, as `filled_wh <= offered_wh`.
		u64::try_from(share).unwrap_or(quantity_wh).min(quantity_wh)
	} else {
		0
	}
}
