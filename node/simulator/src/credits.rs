//! Civic credits agents: the city approves an agency (issuer) and a merchant; the agency issues
//! credits to a citizen for a deed; the citizen spends part of them at the merchant; the
//! merchant redeems what it took. And data-sharing rewards: a device owner grants the city's
//! data holder consent for the device's readings, enrolls the device, the city funds a reward
//! period's pool, the device attests readings during the period and the owner claims.

use serde_json::json;
use sp_core::{sr25519, H256};

/// A decimal amount string of a `city_*` answer (the crate's, for the e2e tests).
pub use crate::amount;
use crate::{
	account_bytes, address, call_method as rpc, chain::arg, governance::Authority, rides::step,
	rpc::field, Client, Options, Report,
};

/// The city approves `agency` to issue up to `quota` per period for `deeds`, and `merchant`
/// (advertising `discount_bps`), in one batch.
#[allow(clippy::too_many_arguments)]
pub fn approve_agency_and_merchant(
	client: &Client,
	city: &Authority,
	agency: &sr25519::Pair,
	deeds: &[u16],
	quota: u128,
	merchant: &sr25519::Pair,
	discount_bps: u16,
	options: &Options,
) -> Result<Report, String> {
	let at = client.chain()?.current()?;
	let issuer = at.call(
		"CivicCredits",
		"set_issuer",
		&[
			("issuer", arg(&account_bytes(agency))),
			("name", arg(&b"Food bank (simulated)".to_vec())),
			("quota", arg(&quota)),
			("deeds", arg(&deeds.to_vec())),
			("active", arg(&true)),
		],
	)?;
	let shop = at.call(
		"CivicCredits",
		"set_merchant",
		&[
			("merchant", arg(&account_bytes(merchant))),
			("name", arg(&b"Corner shop (simulated)".to_vec())),
			("discount_bps", arg(&discount_bps)),
			("active", arg(&true)),
		],
	)?;
	city.dispatch(client, "approve issuer and merchant", vec![issuer, shop], options)
}

/// What [`issue_spend_redeem`] moved, and the fees it paid.
#[derive(Clone, Debug, Default)]
pub struct CreditFlow {
	/// Issued to the citizen.
	pub issued: u128,
	/// Spent at the merchant.
	pub spent: u128,
	/// Redeemed by the merchant.
	pub redeemed: u128,
	/// The transactions.
	pub submissions: Report,
}

/// The agency issues `issue` to the citizen for `deed` (with a hash of `evidence`), the
/// citizen spends `spend` at the merchant, the merchant redeems what it took.
#[allow(clippy::too_many_arguments)]
pub fn issue_spend_redeem(
	client: &Client,
	agency: &sr25519::Pair,
	citizen: &sr25519::Pair,
	merchant: &sr25519::Pair,
	deed: u16,
	evidence: &[u8],
	issue: u128,
	spend: u128,
	options: &Options,
) -> Result<CreditFlow, String> {
	let mut submissions = Report::default();
	let at = client.chain()?.current()?;
	let issue_call = at.call(
		"CivicCredits",
		"issue",
		&[
			("to", arg(&account_bytes(citizen))),
			("amount", arg(&issue)),
			("deed", arg(&deed)),
			("evidence", arg(&H256(city_device::blake2_256(evidence)))),
		],
	)?;
	step(client, "issue credits", vec![(agency.clone(), issue_call)], options, &mut submissions)?;
	let at = client.chain()?.current()?;
	let spend_call = at.call(
		"CivicCredits",
		"spend",
		&[("merchant", arg(&account_bytes(merchant))), ("amount", arg(&spend))],
	)?;
	step(client, "spend credits", vec![(citizen.clone(), spend_call)], options, &mut submissions)?;
	let at = client.chain()?.current()?;
	let redeem_call = at.call("CivicCredits", "redeem", &[("amount", arg(&spend))])?;
	step(
		client,
		"redeem credits",
		vec![(merchant.clone(), redeem_call)],
		options,
		&mut submissions,
	)?;
	Ok(CreditFlow { issued: issue, spent: spend, redeemed: spend, submissions })
}

/// The current data-sharing reward period, from `city_rewardsOf`.
pub fn current_period(client: &Client, who: &sr25519::Pair) -> Result<u32, String> {
	let view = rpc(client, "city_rewardsOf", json!([address(who), 0]))?;
	field(&view, "currentPeriod")
		.as_u64()
		.and_then(|p| u32::try_from(p).ok())
		.ok_or_else(|| "city_rewardsOf: currentPeriod".to_string())
}

/// The owner enrolls `device` citing consent `grant`.
pub fn enroll(
	client: &Client,
	owner: &sr25519::Pair,
	device: u64,
	grant: u64,
	options: &Options,
	total: &mut Report,
) -> Result<(), String> {
	let at = client.chain()?.current()?;
	let call =
		at.call("CivicCredits", "enroll", &[("device", arg(&device)), ("grant", arg(&grant))])?;
	step(client, "enroll device", vec![(owner.clone(), call)], options, total)?;
	Ok(())
}

/// The city funds `period`'s reward pool with `amount`.
pub fn fund(
	client: &Client,
	city: &Authority,
	period: u32,
	amount: u128,
	options: &Options,
) -> Result<Report, String> {
	let at = client.chain()?.current()?;
	let call = at.call(
		"CivicCredits",
		"fund_rewards",
		&[("period", arg(&period)), ("amount", arg(&amount))],
	)?;
	city.dispatch(client, "fund rewards", vec![call], options)
}

/// The owner claims `period`'s reward; returns what `city_creditsOf` shows it gained.
pub fn claim(
	client: &Client,
	owner: &sr25519::Pair,
	period: u32,
	options: &Options,
	total: &mut Report,
) -> Result<u128, String> {
	let before =
		amount(field(&rpc(client, "city_creditsOf", json!([address(owner)]))?, "balance"))?;
	let at = client.chain()?.current()?;
	let call = at.call("CivicCredits", "claim_reward", &[("period", arg(&period))])?;
	step(client, "claim reward", vec![(owner.clone(), call)], options, total)?;
	let after = amount(field(&rpc(client, "city_creditsOf", json!([address(owner)]))?, "balance"))?;
	Ok(after.saturating_sub(before))
}
