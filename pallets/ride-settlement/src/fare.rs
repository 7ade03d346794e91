//! Fares, the city fee and cancellation fees: pure arithmetic over a [`Tariff`], in `u128`,
//! rounding down (in the rider's favour) at every step.
//!
//! - **Fare** = `base_fare + per_km x distance_m / 1000 + per_minute x duration_s / 60 +
//!   waiting_per_minute x minutes waited beyond the allowance`, at least `minimum_fare`.
//! - **Charged** = the fare, capped at what the rider holds (the maximum fare they accepted).
//! - **City fee** = `charged x city_fee_bps / 10,000` (at most 5 %), to the city treasury.
//! - **Driver** gets `charged - city fee`; the rider gets `held - charged` back.
//!
//! Cancellation fees go to the driver in full (no city fee), penalties to the rider; both are
//! capped at what the payer holds for the ride (the rider's escrow, the driver's bond).

use crate::Tariff;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::traits::UniqueSaturatedInto;

/// An amount of any balance type, as `u128`.
fn units<Balance: Copy + UniqueSaturatedInto<u128>>(amount: Balance) -> u128 {
	amount.unique_saturated_into()
}

/// Basis points in one whole.
pub const BPS: u128 = 10_000;

/// How a fare splits.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Split {
	/// What the rider pays (the fare capped at the hold).
	pub charged: u128,
	/// The city fee, to the treasury.
	pub city_fee: u128,
	/// What the driver gets.
	pub to_driver: u128,
	/// What goes back to the rider.
	pub refund: u128,
}

/// The tariff's fare for a trip of `distance_m` metres and `duration_s` seconds after
/// `waited_min` chargeable minutes of waiting.
pub fn fare<Balance: Copy + UniqueSaturatedInto<u128>, BlockNumber>(
	tariff: &Tariff<Balance, BlockNumber>,
	distance_m: u32,
	duration_s: u32,
	waited_min: u32,
) -> u128 {
	let distance = units(tariff.per_km).saturating_mul(u128::from(distance_m)) / 1_000;
	let time = units(tariff.per_minute).saturating_mul(u128::from(duration_s)) / 60;
	units(tariff.base_fare)
		.saturating_add(distance)
		.saturating_add(time)
		.saturating_add(waiting_fee(tariff, waited_min))
		.max(units(tariff.minimum_fare))
}

/// The waiting fee for `waited_min` chargeable minutes.
pub fn waiting_fee<Balance: Copy + UniqueSaturatedInto<u128>, BlockNumber>(
	tariff: &Tariff<Balance, BlockNumber>,
	waited_min: u32,
) -> u128 {
	units(tariff.waiting_per_minute).saturating_mul(u128::from(waited_min))
}

/// Splits `fare` against the rider's `held` escrow with a city fee of `city_fee_bps`.
pub fn split(fare: u128, held: u128, city_fee_bps: u16) -> Split {
	let charged = fare.min(held);
	// `charged x bps` cannot overflow unless `charged` exceeds u128::MAX / 10,000: then
	// divide first (losing less than one unit of the fee).
	let city_fee = match charged.checked_mul(u128::from(city_fee_bps)) {
		Some(product) => product / BPS,
		None => (charged / BPS).saturating_mul(u128::from(city_fee_bps)),
	}
	.min(charged);
	Split {
		charged,
		city_fee,
		to_driver: charged.saturating_sub(city_fee),
		refund: held.saturating_sub(charged),
	}
}

/// Whole minutes in `blocks` blocks waited beyond an allowance, `blocks_per_minute` blocks a
/// minute (rounded down: a started minute is not charged).
pub fn minutes(blocks: u32, blocks_per_minute: u32) -> u32 {
	blocks.checked_div(blocks_per_minute).unwrap_or(0)
}
