//! `city_creditsOf`, `city_issuer`, `city_merchant`, `city_rewardsOf`, `city_creditStats`:
//! civic credits' runtime API over JSON-RPC. Credit amounts are decimal strings in the smallest
//! unit (12 decimals, like CITY, but a separate currency); expiries are block numbers.

use std::sync::Arc;

use citychain_runtime::{opaque::Block, AccountId, Balance};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_civic_credits::{runtime_api::CivicCreditsApi, DeedTally};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;

use super::{
	errors::{self, invalid_param, not_found},
	params,
};

/// The runtime API's name, in errors.
const API: &str = "CivicCreditsApi";

/// Credits that expire together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotJson {
	/// The block from which they are expired.
	pub expires_at: u32,
	/// How many.
	pub amount: String,
}

/// The answer of `city_creditsOf`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditsJson {
	/// Unexpired credits in total.
	pub balance: String,
	/// By expiry, soonest first.
	pub lots: Vec<LotJson>,
}

/// What was issued for one deed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeedJson {
	/// The deed's code.
	pub deed: u16,
	/// Its name, where the answer lists the deed list.
	#[serde(skip_serializing_if = "Option::is_none", default)]
	pub name: Option<String>,
	/// Issues.
	pub count: u32,
	/// Credits.
	pub amount: String,
}

fn deed_json(deed: u16, name: Option<String>, tally: DeedTally<Balance>) -> DeedJson {
	DeedJson { deed, name, count: tally.count, amount: tally.amount.to_string() }
}

/// An issuer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerJson {
	/// The agency's name.
	pub name: String,
	/// Its quota per period.
	pub quota: String,
	/// What is left of it this period.
	pub quota_left: String,
	/// May issue.
	pub active: bool,
	/// Issued ever.
	pub issued_total: String,
	/// Issued per deed it may reward.
	pub by_deed: Vec<DeedJson>,
}

/// A merchant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantJson {
	/// The shop's name.
	pub name: String,
	/// The discount it advertises to credit payers, basis points.
	pub discount_bps: u16,
	/// Takes credits.
	pub active: bool,
	/// Credits it holds.
	pub balance: String,
	/// Taken from citizens, ever.
	pub received_total: String,
	/// Redeemed, ever.
	pub redeemed_total: String,
}

/// An account's reward for a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardsJson {
	/// The period asked about.
	pub period: u32,
	/// The current period.
	pub current_period: u32,
	/// The account's unclaimed points in it.
	pub points: u64,
	/// All devices' points in it.
	pub total_points: u64,
	/// Its pool.
	pub pool: String,
	/// Claimed from the pool so far.
	pub claimed: String,
	/// What the account would get by claiming now (0 before the period ends and after the
	/// claim window).
	pub claimable: String,
}

/// The answer of `city_creditStats`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditStatsJson {
	/// Issued by issuers for deeds.
	pub issued: String,
	/// Paid out as data-sharing rewards.
	pub rewarded: String,
	/// Spent by citizens at merchants.
	pub spent_at_merchants: String,
	/// Refunded by merchants.
	pub refunded: String,
	/// Redeemed (burned) by merchants.
	pub redeemed: String,
	/// Expired (burned) in citizens' hands.
	pub expired: String,
	/// In circulation: issued + rewarded - redeemed - expired.
	pub outstanding: String,
	/// Issued per deed, for every deed of the list.
	pub by_deed: Vec<DeedJson>,
}

fn utf8(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

/// Civic credits' JSON-RPC methods.
#[rpc(server, namespace = "city")]
pub trait CityCreditsApi {
	/// `account`'s unexpired credits, by expiry, at block `at` (default: best). An account
	/// without credits has a zero balance.
	#[method(name = "creditsOf")]
	fn credits_of(&self, account: String, at: Option<H256>) -> RpcResult<CreditsJson>;

	/// The issuer `account`: quota, what is left of it, what it issued per deed. 4004 if the
	/// account is not an issuer.
	#[method(name = "issuer")]
	fn issuer(&self, account: String, at: Option<H256>) -> RpcResult<IssuerJson>;

	/// The merchant `account`. 4004 if the account is not a merchant.
	#[method(name = "merchant")]
	fn merchant(&self, account: String, at: Option<H256>) -> RpcResult<MerchantJson>;

	/// `account`'s data-sharing points and claimable reward for reward period `period`.
	#[method(name = "rewardsOf")]
	fn rewards_of(&self, account: String, period: u32, at: Option<H256>) -> RpcResult<RewardsJson>;

	/// The totals: issued, rewarded, spent at merchants, redeemed, expired, by deed.
	#[method(name = "creditStats")]
	fn credit_stats(&self, at: Option<H256>) -> RpcResult<CreditStatsJson>;
}

/// Implementation of [`CityCreditsApiServer`] over a client.
pub struct CityCredits<C> {
	client: Arc<C>,
}

impl<C> CityCredits<C> {
	/// A new instance over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> CityCredits<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: CivicCreditsApi<Block, AccountId, Balance>,
{
	fn at(&self, at: Option<H256>) -> RpcResult<H256> {
		super::block_with_api::<_, dyn CivicCreditsApi<Block, AccountId, Balance>>(
			&*self.client,
			at,
			API,
			None,
		)
	}
}

impl<C> CityCreditsApiServer for CityCredits<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: CivicCreditsApi<Block, AccountId, Balance>,
{
	fn credits_of(&self, account: String, at: Option<H256>) -> RpcResult<CreditsJson> {
		let account = params::account(&account).map_err(invalid_param)?;
		let at = self.at(at)?;
		let lots =
			self.client.runtime_api().credits_of(at, account).map_err(errors::runtime_error)?;
		let balance = lots.iter().fold(0u128, |sum, lot| sum.saturating_add(lot.amount));
		Ok(CreditsJson {
			balance: balance.to_string(),
			lots: lots
				.into_iter()
				.map(|lot| LotJson { expires_at: lot.expires_at, amount: lot.amount.to_string() })
				.collect(),
		})
	}

	fn issuer(&self, account: String, at: Option<H256>) -> RpcResult<IssuerJson> {
		let account = params::account(&account).map_err(invalid_param)?;
		let at = self.at(at)?;
		let issuer = self
			.client
			.runtime_api()
			.issuer(at, account)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| not_found("the account is not a credit issuer"))?;
		Ok(IssuerJson {
			name: utf8(&issuer.name),
			quota: issuer.quota.to_string(),
			quota_left: issuer.quota_left.to_string(),
			active: issuer.active,
			issued_total: issuer.issued_total.to_string(),
			by_deed: issuer.by_deed.into_iter().map(|(d, t)| deed_json(d, None, t)).collect(),
		})
	}

	fn merchant(&self, account: String, at: Option<H256>) -> RpcResult<MerchantJson> {
		let account = params::account(&account).map_err(invalid_param)?;
		let at = self.at(at)?;
		let m = self
			.client
			.runtime_api()
			.merchant(at, account)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| not_found("the account is not a merchant"))?;
		Ok(MerchantJson {
			name: utf8(&m.name),
			discount_bps: m.discount_bps,
			active: m.active,
			balance: m.balance.to_string(),
			received_total: m.received_total.to_string(),
			redeemed_total: m.redeemed_total.to_string(),
		})
	}

	fn rewards_of(&self, account: String, period: u32, at: Option<H256>) -> RpcResult<RewardsJson> {
		let account = params::account(&account).map_err(invalid_param)?;
		let at = self.at(at)?;
		let r = self
			.client
			.runtime_api()
			.rewards_of(at, account, period)
			.map_err(errors::runtime_error)?;
		Ok(RewardsJson {
			period: r.period,
			current_period: r.current_period,
			points: r.points,
			total_points: r.total_points,
			pool: r.pool.to_string(),
			claimed: r.claimed.to_string(),
			claimable: r.claimable.to_string(),
		})
	}

	fn credit_stats(&self, at: Option<H256>) -> RpcResult<CreditStatsJson> {
		let at = self.at(at)?;
		let view = self.client.runtime_api().credit_stats(at).map_err(errors::runtime_error)?;
		let s = view.stats;
		Ok(CreditStatsJson {
			issued: s.issued.to_string(),
			rewarded: s.rewarded.to_string(),
			spent_at_merchants: s.spent.to_string(),
			refunded: s.refunded.to_string(),
			redeemed: s.redeemed.to_string(),
			expired: s.expired.to_string(),
			outstanding: view.outstanding.to_string(),
			by_deed: view
				.by_deed
				.into_iter()
				.map(|(d, name, t)| deed_json(d, Some(utf8(&name)), t))
				.collect(),
		})
	}
}
