//! End-to-end: civic credits on the running dev node of the attestation scenario (no node of
//! its own), through the simulator's agents ([`city_sim::credits`]). The city (the sudo key)
//! approves Dave's food bank as an issuer and Charlie's corner shop as a merchant; the food bank
//! issues Eve 100 credits for care; Eve spends 40 at the shop; the shop redeems them. Alice
//! grants the city's data holder consent for her meter's readings, enrolls the meter, the city
//! funds the next two reward periods' pools with 1,000 credits each, the meter attests three
//! readings (one point each), and Alice, the only earner, claims the whole pool of every period
//! her readings landed in. Every balance and total must
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
	// The next period and the one after are funded, so a reading that lands a block late (a
	// dropped and resubmitted one) still earns in a funded period.
	let period = credits::current_period(client, &alice).unwrap() + 1;
	credits::fund(client, &city, period, 1_000 * CREDIT, &options).unwrap();
	credits::fund(client, &city, period + 1, 1_000 * CREDIT, &options).unwrap();
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
	let rewards_in = |p: u32| rpc(rpc_port, "city_rewardsOf", json!([address(&alice), p])).unwrap();
	let earned: Vec<(u32, u64)> = [period, period + 1]
		.into_iter()
		.map(|p| (p, rewards_in(p)["points"].as_u64().unwrap()))
		.filter(|(_, points)| *points > 0)
		.collect();
	let points: u64 = earned.iter().map(|(_, points)| points).sum();
	assert_eq!(points, 3, "every reading earned a point: {earned:?}");
	let last = earned.iter().map(|(p, _)| *p).max().unwrap();
	wait_for("the reward periods' end", Duration::from_secs(180), || {
		(credits::current_period(client, &alice).ok()? > last).then_some(())
	});
	let mut gained = 0;
	for (p, points) in &earned {
		let rewards = rewards_in(*p);
		assert_eq!(rewards["totalPoints"], json!(points), "Alice's meter is the only earner");
		assert_eq!(amount(&rewards["claimable"]), 1_000 * CREDIT);
		gained += credits::claim(client, &alice, *p, &options, &mut total).unwrap();
		let claimed = rewards_in(*p);
		assert_eq!(
			(claimed["points"].clone(), amount(&claimed["claimed"])),
			(json!(0), 1_000 * CREDIT)
		);
	}
	let pools = earned.len() as u128;
	assert_eq!(gained, pools * 1_000 * CREDIT, "the only earner gets every pool it earned in");
	let end = stats(rpc_port);
	assert_eq!(amount(&end["rewarded"]) - amount(&before["rewarded"]), pools * 1_000 * CREDIT);
	assert_eq!(
		amount(&end["outstanding"]) - amount(&before["outstanding"]),
		60 * CREDIT + pools * 1_000 * CREDIT
	);
	println!(
		"FIGURE civic credits: issue, spend, redeem; {points} points in {pools} funded period(s) from {period}, every pool claimed whole"
	);
	(address(&dave), address(&charlie))
}
