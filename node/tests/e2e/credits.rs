//! End-to-end: civic credits on the running dev node of the attestation scenario (no node of
//! its own), through the simulator's agents ([`city_sim::credits`]). The city (the sudo key)
//! approves Dave's food bank as an issuer and Charlie's corner shop as a merchant; the food bank
//! issues Eve 100 credits for care; Eve spends 40 at the shop; the shop redeems them. Alice
//! grants the city's data holder consent for her meter's readings, enrolls the meter, the city
//! funds the next reward period's pool with 1,000 credits, the meter attests readings during
//! that period, and Alice, the only earner, claims the whole pool. Every balance and total must
//! add up to the unit.

use std::time::Duration;

use city_sim::{access, credits, governance::Authority, Options, SimDevice};
use pallet_sensor_attestation::{MeasurementKind, Unit};
use serde_json::{json, Value};
use sp_core::{crypto::Pair as _, sr25519};

use crate::common::*;

/// A credit in the smallest unit (12 decimals).
const CREDIT: u128 = 1_000_000_000_000;
/// The presets' deed list: care.
const CARE: u16 = 2;

fn dev(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{name}"), None).unwrap()
}

fn amount(value: &Value) -> u128 {
	credits::amount(value).unwrap()
}

fn stats(port: u16) -> Value {
	rpc(port, "city_creditStats", json!([])).unwrap()
}

/// `meter` is a certified meter of Alice's (fee-less readings). Returns the issuer's and the
/// merchant's addresses (for the bad-input scenario).
pub fn credits_for_deeds_and_for_shared_readings(
	client: &city_sim::Client,
	rpc_port: u16,
	meter: &mut SimDevice,
) -> (String, String) {
	let options = Options {
		resubmit_after: Duration::from_secs(12),
		timeout: Duration::from_secs(240),
		verbose: true,
		..Options::default()
	};
	let city = Authority::sudo(dev("Alice"));
	let (dave, charlie, eve, alice) = (dev("Dave"), dev("Charlie"), dev("Eve"), dev("Alice"));
	let address = |p: &sr25519::Pair| {
		let account: citychain_runtime::AccountId = p.public().into();
		account.to_string()
	};
	let before = stats(rpc_port);

	// Deeds: issue, spend at a merchant, redeem.
	credits::approve_agency_and_merchant(
		client,
		&city,
		&dave,
		&[CARE],
		1_000 * CREDIT,
		&charlie,
		500,
		&options,
	)
	.unwrap();
	let flow = credits::issue_spend_redeem(
		client,
		&dave,
		&eve,
		&charlie,
		CARE,
		b"care visits, week 49",
		100 * CREDIT,
		40 * CREDIT,
		&options,
	)
	.unwrap();
	assert_eq!(flow.submissions.finalized, 3);
	let eve_credits = rpc(rpc_port, "city_creditsOf", json!([address(&eve)])).unwrap();
	assert_eq!(amount(&eve_credits["balance"]), 60 * CREDIT, "{eve_credits}");
	let shop = rpc(rpc_port, "city_merchant", json!([address(&charlie)])).unwrap();
	assert_eq!(
		(amount(&shop["balance"]), amount(&shop["receivedTotal"]), amount(&shop["redeemedTotal"])),
		(0, 40 * CREDIT, 40 * CREDIT)
	);
	assert_eq!(shop["discountBps"], json!(500));
	let agency = rpc(rpc_port, "city_issuer", json!([address(&dave)])).unwrap();
	assert_eq!(amount(&agency["issuedTotal"]), 100 * CREDIT);
	assert_eq!(amount(&agency["quotaLeft"]), 900 * CREDIT);
	assert_eq!(
		agency["byDeed"],
		json!([{"deed": CARE, "count": 1, "amount": (100 * CREDIT).to_string()}])
	);
	let after = stats(rpc_port);
	let delta = |key: &str| amount(&after[key]) - amount(&before[key]);
	assert_eq!(
		(delta("issued"), delta("spentAtMerchants"), delta("redeemed"), delta("outstanding")),
		(100 * CREDIT, 40 * CREDIT, 40 * CREDIT, 60 * CREDIT)
	);

	// Shared readings: consent, enrollment, a funded period, readings in it, the claim.
	let terms = access::GrantTerms {
		holder: 0,
		category: 1,
		purpose: 2,
		terms_hash: Default::default(),
		lead: Duration::from_secs(20),
		duration: Duration::from_secs(30 * 24 * 3600),
	};
	let mut total = city_sim::Report::default();
	let (grant, start_ms) = access::grant(client, &alice, &terms, &options, &mut total).unwrap();
	while city_sim::now_ms() <= start_ms + 1_000 {
		std::thread::sleep(Duration::from_millis(500));
	}
	credits::enroll(client, &alice, meter.id, grant, &options, &mut total).unwrap();
	let period = credits::current_period(client, &alice).unwrap() + 1;
	credits::fund(client, &city, period, 1_000 * CREDIT, &options).unwrap();
	wait_for("the funded reward period", Duration::from_secs(120), || {
		(credits::current_period(client, &alice).ok()? >= period).then_some(())
	});
	let submissions = city_sim::reading_submissions(
		client,
		std::slice::from_mut(meter),
		3,
		MeasurementKind::EnergyImport,
		Unit::WattHour,
		|_, seq| 1_000 + seq as i64,
	)
	.unwrap();
	let (report, _) = city_sim::tracker::run(client, submissions, &options).unwrap();
	assert_eq!(report.finalized, 3);
	let rewards = rpc(rpc_port, "city_rewardsOf", json!([address(&alice), period])).unwrap();
	let points = rewards["points"].as_u64().unwrap();
	assert!(points >= 1, "{rewards}");
	assert_eq!(rewards["totalPoints"], json!(points), "Alice's meter is the only earner");
	assert_eq!(amount(&rewards["pool"]), 1_000 * CREDIT);
	wait_for("the reward period's end", Duration::from_secs(120), || {
		(credits::current_period(client, &alice).ok()? > period).then_some(())
	});
	let claimable = rpc(rpc_port, "city_rewardsOf", json!([address(&alice), period])).unwrap();
	assert_eq!(amount(&claimable["claimable"]), 1_000 * CREDIT);
	let gained = credits::claim(client, &alice, period, &options, &mut total).unwrap();
	assert_eq!(gained, 1_000 * CREDIT, "the only earner gets the whole pool");
	let claimed = rpc(rpc_port, "city_rewardsOf", json!([address(&alice), period])).unwrap();
	assert_eq!(
		(claimed["points"].clone(), amount(&claimed["claimed"])),
		(json!(0), 1_000 * CREDIT)
	);
	let end = stats(rpc_port);
	assert_eq!(amount(&end["rewarded"]) - amount(&before["rewarded"]), 1_000 * CREDIT);
	assert_eq!(amount(&end["outstanding"]) - amount(&before["outstanding"]), 1_060 * CREDIT);
	println!(
		"FIGURE civic credits: issue, spend, redeem; {points} points in period {period}, the pool of 1,000 credits claimed"
	);
	(address(&dave), address(&charlie))
}
