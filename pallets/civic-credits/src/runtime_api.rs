//! Runtime API of civic credits, wrapped by the node's `city_creditsOf`, `city_issuer`,
//! `city_merchant`, `city_rewardsOf` and `city_creditStats` JSON-RPC methods.

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;

use crate::{CreditStats, DeedCode, DeedTally, Lot, Merchant, PeriodIndex};

/// An issuer as the API shows it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct IssuerView<Credits> {
	/// The agency's name (UTF-8).
	pub name: Vec<u8>,
	/// Its quota per period.
	pub quota: Credits,
	/// What is left of it in the current period.
	pub quota_left: Credits,
	/// May issue.
	pub active: bool,
	/// Issued ever.
	pub issued_total: Credits,
	/// What it issued for each deed it may reward.
	pub by_deed: Vec<(DeedCode, DeedTally<Credits>)>,
}

/// An account's data-sharing reward for one period.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RewardsView<Credits> {
	/// The period asked about.
	pub period: PeriodIndex,
	/// The current period.
	pub current_period: PeriodIndex,
	/// The account's unclaimed points in it.
	pub points: u64,
	/// All devices' points in it.
	pub total_points: u64,
	/// Its pool.
	pub pool: Credits,
	/// Claimed from the pool so far.
	pub claimed: Credits,
	/// What the account would get now: its share, if the period has ended and the claim
	/// window is open (else 0).
	pub claimable: Credits,
}

/// The totals, and what was issued per deed.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct StatsView<Credits> {
	/// The totals ever.
	pub stats: CreditStats<Credits>,
	/// Credits in circulation: issued + rewarded - redeemed - expired (citizens' unexpired
	/// and not yet burned lots, and merchants' balances).
	pub outstanding: Credits,
	/// Issued per deed (all issuers), for every deed of the list.
	pub by_deed: Vec<(DeedCode, Vec<u8>, DeedTally<Credits>)>,
}

sp_api::decl_runtime_apis! {
	/// Queries of civic credits.
	pub trait CivicCreditsApi<AccountId, Credits>
	where
		AccountId: Codec,
		Credits: Codec,
	{
		/// A citizen's unexpired credits, in lots by expiry block (soonest first).
		fn credits_of(account: AccountId) -> Vec<Lot<Credits>>;

		/// An issuer, if the account is one.
		fn issuer(account: AccountId) -> Option<IssuerView<Credits>>;

		/// A merchant (name as UTF-8 bytes), if the account is one.
		fn merchant(account: AccountId) -> Option<Merchant<Vec<u8>, Credits>>;

		/// An account's data-sharing reward for `period`.
		fn rewards_of(account: AccountId, period: PeriodIndex) -> RewardsView<Credits>;

		/// The totals.
		fn credit_stats() -> StatsView<Credits>;
	}
}
